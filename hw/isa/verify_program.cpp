// verify_program.cpp — the program verifier (see verify_program.h).
#include "hw/isa/verify_program.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "hw/isa/op_args.h"
#include "hw/isa/tile_names.h"

namespace saie::isa {

namespace {


// Wide signed arithmetic for address extents: sizes (u32) x strides (i32) summed over four dims
// plus iter_count (u32) x iter_stride (i64) can exceed int64.
using Wide = __int128;

std::string wide_str(Wide v) {
  if (v >= 0 && v <= static_cast<Wide>(UINT64_MAX)) return std::to_string(static_cast<uint64_t>(v));
  if (v < 0 && v >= static_cast<Wide>(INT64_MIN)) return std::to_string(static_cast<int64_t>(v));
  return v < 0 ? "<-2^63" : ">2^64";
}

const char* kind_name(TileKind k) {
  switch (k) {
    case TileKind::Shim: return "shim";
    case TileKind::Mem: return "memtile";
    default: return "core";
  }
}

const char* dir_name(DmaDir d) { return d == DmaDir::MM2S ? "MM2S" : "S2MM"; }

const std::string kMaxLock = std::to_string(kMaxLockValue);


class Checker {
 public:
  Checker(const Program& p, const config::ArrayConfig& c) : p_(p), c_(c) {}

  void run() {
    check_geometry();
    check_ddr();
    for (size_t i = 0; i < p_.phases.size(); ++i) {
      const Phase& ph = p_.phases[i];
      footprint.phase_memtile_bytes.push_back(0);
      where_ = "phase " + std::to_string(i) + " '" + ph.name + "': ";
      check_phase(ph);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw ProgramError("program check: " + where_ + msg); }

  // Tile kind in this array (rows 1..mem_rows are memtiles; valid once check_geometry passed).
  TileKind kind(const TileId& t) const { return tile_kind(t, c_.mem_rows); }

  const config::DmaResources& dma(TileKind k) const { return dma_resources(c_, k); }
  uint64_t memory_bytes(TileKind k) const {
    return k == TileKind::Shim ? p_.ddr_bytes_needed : k == TileKind::Mem ? c_.memtile.memory_bytes
                                                                         : c_.core.data_memory_bytes;
  }
  const char* memory_name(TileKind k) const {
    return k == TileKind::Shim ? "the program's DDR (ddr_bytes_needed)" : k == TileKind::Mem ? "memtile memory" : "data memory";
  }

  // ---- program level ----

  void check_geometry() {
    where_ = "program: ";
    if (c_.mem_rows < 1 || c_.mem_rows > kMaxMemRows)
      fail("config mem_rows " + std::to_string(c_.mem_rows) + " unsupported (1.." + std::to_string(kMaxMemRows) +
           " memtile rows)");
    if (p_.columns != c_.columns || p_.core_rows != c_.core_rows || p_.mem_rows != c_.mem_rows)
      fail("geometry columns=" + std::to_string(p_.columns) + " core_rows=" + std::to_string(p_.core_rows) +
           " mem_rows=" + std::to_string(p_.mem_rows) + " differs from config '" + c_.name +
           "' columns=" + std::to_string(c_.columns) + " core_rows=" + std::to_string(c_.core_rows) +
           " mem_rows=" + std::to_string(c_.mem_rows));
  }

  // The program's DDR is [0, ddr_bytes_needed), itself inside the config's DDR (check_ddr).
  void check_ddr_extent(const std::string& what, Wide lo, Wide hi) {
    if (lo < 0 || hi >= Wide(p_.ddr_bytes_needed))
      fail(what + " bytes [" + wide_str(lo) + ", " + wide_str(hi) + "] outside the program's DDR of " +
           std::to_string(p_.ddr_bytes_needed) + " bytes (ddr_bytes_needed)");
  }

  void check_port(const char* name, const TensorPort& t) {
    if (t.h == 0 || t.w == 0 || t.c == 0) return;  // nothing read or written
    if (t.pitch_c < t.c)
      fail(std::string(name) + " port pitch_c " + std::to_string(t.pitch_c) + " < c " + std::to_string(t.c));
    if (uint64_t{t.row_pitch} < uint64_t{t.w} * t.pitch_c)
      fail(std::string(name) + " port row_pitch " + std::to_string(t.row_pitch) + " < w*pitch_c " +
           std::to_string(uint64_t{t.w} * t.pitch_c));
    const Wide lo = t.addr;
    const Wide hi = lo + Wide(t.h - 1) * t.row_pitch + Wide(t.w - 1) * t.pitch_c + t.c - 1;
    check_ddr_extent(std::string(name) + " port", lo, hi);
  }

  void check_ddr() {
    where_ = "program: ";
    if (p_.ddr_bytes_needed > c_.ddr.size_bytes)
      fail("ddr_bytes_needed " + std::to_string(p_.ddr_bytes_needed) + " exceeds DDR of " +
           std::to_string(c_.ddr.size_bytes) + " bytes");
    for (size_t i = 0; i < p_.ddr_init.size(); ++i) {
      const DdrSegment& s = p_.ddr_init[i];
      if (s.bytes.empty()) continue;
      check_ddr_extent("ddr_init segment " + std::to_string(i), Wide(s.addr), Wide(s.addr) + s.bytes.size() - 1);
    }
    check_port("input", p_.input);
    check_port("output", p_.output);
  }

  // ---- phase level ----

  void check_tile(const TileId& t, const std::string& what) {
    const uint32_t rows = array_rows(c_.core_rows, c_.mem_rows);
    if (t.col >= c_.columns || t.row >= rows)
      fail(what + " " + tile_label(t) + " outside the array (" + std::to_string(c_.columns) + " columns, rows 0.." +
           std::to_string(rows - 1) + ")");
  }

  void check_lock_id(const TileId& t, int lock, const std::string& what) {
    const uint32_t n = dma(kind(t)).locks;
    if (lock < 0 || static_cast<uint32_t>(lock) >= n)
      fail(tile_label(t) + " " + what + " lock " + std::to_string(lock) + " out of range (" +
           kind_name(kind(t)) + " has " + std::to_string(n) + " locks)");
  }

  void check_channel(const TileId& t, DmaDir dir, unsigned ch, const std::string& what) {
    const config::DmaResources& r = dma(kind(t));
    const uint32_t n = dir == DmaDir::MM2S ? r.mm2s_channels : r.s2mm_channels;
    if (ch >= n)
      fail(tile_label(t) + " " + what + " " + dir_name(dir) + " channel " + std::to_string(ch) + " out of range (" +
           kind_name(kind(t)) + " has " + std::to_string(n) + ")");
  }

  void check_bd(const TileId& t, const BufferDescriptor& bd) {
    const TileKind k = kind(t);
    const std::string who = tile_label(t) + " BD " + std::to_string(bd.id) + ": ";
    const unsigned max_dims = k == TileKind::Mem ? 4 : 3;
    if (bd.ndims < 1 || bd.ndims > max_dims)
      fail(who + "ndims " + std::to_string(bd.ndims) + " outside 1.." + std::to_string(max_dims) + " for a " +
           kind_name(k) + " tile");
    if (bd.iter_count < 1) fail(who + "iter_count is 0");
    check_padding(t, bd, who);
    if (bd.acq_lock != kNoLock) check_lock_id(t, bd.acq_lock, "BD " + std::to_string(bd.id) + " acquire");
    if (bd.rel_lock != kNoLock) check_lock_id(t, bd.rel_lock, "BD " + std::to_string(bd.id) + " release");
    if (bd.acq_lock != kNoLock && bd.acq_value > kMaxLockValue)
      fail(who + "lock " + std::to_string(bd.acq_lock) + " acquire value " + std::to_string(bd.acq_value) + " > " +
           kMaxLock + " (6-bit semaphore)");
    if (bd.rel_lock != kNoLock && bd.rel_value > kMaxLockValue)
      fail(who + "lock " + std::to_string(bd.rel_lock) + " release value " + std::to_string(bd.rel_value) + " > " +
           kMaxLock + " (6-bit semaphore)");
    Wide lo = bd.addr, hi = bd.addr;
    for (unsigned d = 0; d < bd.ndims; ++d) {
      if (bd.dims[d].size == 0) fail(who + "dim " + std::to_string(d) + " size is 0");
      const Wide span = Wide(bd.dims[d].size - 1) * bd.dims[d].stride;
      (span < 0 ? lo : hi) += span;
    }
    const Wide iter_span = Wide(bd.iter_count - 1) * bd.iter_stride;
    (iter_span < 0 ? lo : hi) += iter_span;
    // [lo, hi] are real addresses only: padding reads no memory.
    const uint64_t mem = memory_bytes(k);
    if (k == TileKind::Mem) {
      check_memtile_extent(t, who, lo, hi);
      if (hi < Wide(mem)) {
        footprint.memtile_bytes = std::max<uint64_t>(footprint.memtile_bytes, uint64_t(hi) + 1);
        if (!footprint.phase_memtile_bytes.empty())
          footprint.phase_memtile_bytes.back() = std::max<uint64_t>(footprint.phase_memtile_bytes.back(), uint64_t(hi) + 1);
      }
      return;
    }
    if (lo < 0 || hi >= Wide(mem))
      fail(who + "touches bytes [" + wide_str(lo) + ", " + wide_str(hi) + "] outside " + memory_name(k) + " of " +
           std::to_string(mem) + " bytes");
    if (k == TileKind::Core) footprint.core_bytes = std::max<uint64_t>(footprint.core_bytes, uint64_t(hi) + 1);
  }

  // Zero padding: memtile BDs only (whether an S2MM channel runs one is checked with the tasks),
  // dims 0..2 only, and only on dims the BD has.
  void check_padding(const TileId& t, const BufferDescriptor& bd, const std::string& who) {
    const TileKind k = kind(t);
    for (unsigned d = 0; d < 4; ++d) {
      if (bd.pad_before[d] == 0 && bd.pad_after[d] == 0) continue;
      const std::string pad = "zero padding on dim " + std::to_string(d) + " (before " +
                              std::to_string(bd.pad_before[d]) + ", after " + std::to_string(bd.pad_after[d]) + ")";
      if (k != TileKind::Mem) fail(who + pad + " on a " + kind_name(k) + " tile (only memtile MM2S BDs pad)");
      if (d >= kMaxPaddedDims)
        fail(who + pad + ": only dims 0.." + std::to_string(kMaxPaddedDims - 1) + " pad");
      if (d >= bd.ndims) fail(who + pad + " beyond ndims " + std::to_string(bd.ndims));
    }
  }

  // Memtile address map (program.h MemRegion): [0, S) own, [S, 2S) west, [2S, 3S) east; a BD's
  // real addresses lie in one of them, and a neighbour region needs that neighbour to exist.
  void check_memtile_extent(const TileId& t, const std::string& who, Wide lo, Wide hi) {
    const uint64_t mem = c_.memtile.memory_bytes;
    const std::string bytes = "bytes [" + wide_str(lo) + ", " + wide_str(hi) + "]";
    if (lo < 0 || hi >= 3 * Wide(mem))
      fail(who + "touches " + bytes + " outside memtile memory of " + std::to_string(mem) +
           " bytes (neighbours: [" + std::to_string(mem) + ", " + std::to_string(3 * mem) + "))");
    const auto region = [&](Wide a) { return static_cast<MemRegion>(static_cast<int>(a / Wide(mem))); };
    const MemRegion r = region(lo);
    if (region(hi) != r)
      fail(who + "touches " + bytes + " outside memtile memory of " + std::to_string(mem) + " bytes (crosses from " +
           mem_region_name(r) + " into " + mem_region_name(region(hi)) +
           " memory; a BD addresses one memory)");
    if (r == MemRegion::West && t.col == 0)
      fail(who + "touches " + bytes + " of the west neighbour memtile, but column 0 has none");
    if (r == MemRegion::East && t.col + 1u >= c_.columns)
      fail(who + "touches " + bytes + " of the east neighbour memtile, but column " + std::to_string(t.col) +
           " is the last");
  }

  // What the channels that run a BD allow: padding only on MM2S, neighbour addresses only from
  // memtile channels 0..3. Follows each task's BD chain (as DmaChannel does).
  void check_task_bds(const DmaTask& task, const std::map<uint16_t, const BufferDescriptor*>& bds) {
    const std::string chan = std::string(dir_name(task.dir)) + " channel " + std::to_string(task.channel);
    std::set<uint16_t> seen;
    int id = task.start_bd;
    for (uint32_t e = 0; e < task.bd_executions && id >= 0 && seen.insert(static_cast<uint16_t>(id)).second; ++e) {
      auto it = bds.find(static_cast<uint16_t>(id));
      if (it == bds.end()) return;  // reported elsewhere
      const BufferDescriptor& bd = *it->second;
      const std::string who = tile_label(task.tile) + " BD " + std::to_string(bd.id) + ": ";
      if (const auto [lo, hi] = bd_range(c_, kind(task.tile), task.channel); bd.id < lo || bd.id >= hi)
        fail(who + chan + " runs it, but that channel reaches BDs " + std::to_string(lo) + ".." + std::to_string(hi - 1) +
             " only");
      if (task.dir == DmaDir::S2MM)
        for (unsigned d = 0; d < 4; ++d)
          if (bd.pad_before[d] != 0 || bd.pad_after[d] != 0)
            fail(who + "zero padding on dim " + std::to_string(d) + ", but " + chan +
                 " runs it (only MM2S BDs pad)");
      if (kind(task.tile) == TileKind::Mem && task.channel >= kMemtileNeighbourChannels) {
        const uint64_t mem = c_.memtile.memory_bytes;
        if (bd.addr >= mem)  // extent checked: the whole BD lies in addr's region
          fail(who + "addresses the " +
               mem_region_name(static_cast<MemRegion>(std::min<uint64_t>(bd.addr / mem, 2))) +
               " neighbour memtile, but " + chan + " runs it (only channels 0.." +
               std::to_string(kMemtileNeighbourChannels - 1) + " reach neighbours)");
      }
      id = bd.next_bd;
    }
  }

  void check_extent(const TileId& t, const std::string& who, const char* what, uint64_t addr, uint64_t bytes) {
    const uint64_t mem = c_.core.data_memory_bytes;
    if (addr > mem || bytes > mem - addr)
      fail(who + what + " bytes [" + std::to_string(addr) + ", +" + std::to_string(bytes) +
           ") outside data memory of " + std::to_string(mem) + " bytes");
    footprint.core_bytes = std::max<uint64_t>(footprint.core_bytes, addr + bytes);
  }

  void check_core_op(const TileId& t, size_t idx, const CoreOp& op) {
    const std::string who = tile_label(t) + " op " + std::to_string(idx) + " (" + core_op_name(op.kind) +
                            (op.label.empty() ? std::string() : " '" + op.label + "'") + "): ";
    switch (op.kind) {
      case CoreOpKind::Acquire:
      case CoreOpKind::Release:
        check_lock_id(t, op.lock, std::string("op ") + std::to_string(idx) + " " + core_op_name(op.kind));
        if (op.value > kMaxLockValue) fail(who + "lock value " + std::to_string(op.value) + " > " + kMaxLock);
        break;
      case CoreOpKind::Conv: {
        const ConvArgs& a = op.conv;
        if (std::string e = conv_args_error(a); !e.empty()) fail(who + e);
        check_extent(t, who, "input", a.in_addr, conv_input_bytes(a));
        if (conv_writes_output(a)) check_extent(t, who, "output", a.out_addr, conv_output_bytes(a));
        if (a.acc_mode != ConvAcc::None) check_extent(t, who, "accumulators", a.acc_addr, conv_acc_bytes(a));
        check_extent(t, who, "weights header", a.w_addr, conv_weight_header_bytes(a));
        check_extent(t, who, "requant records", a.qp_addr, conv_qp_bytes(a));
        if (a.lut) check_extent(t, who, "lookup table", a.lut_addr, kLutBytes);
        break;
      }
      case CoreOpKind::MaxPool:
      case CoreOpKind::AvgPool: {
        const PoolArgs& a = op.pool;
        if (std::string e = pool_args_error(a); !e.empty()) fail(who + e);
        check_extent(t, who, "input", a.in_addr, uint64_t{a.in_h} * a.in_w * a.c);
        check_extent(t, who, "output", a.out_addr, uint64_t{a.out_h} * a.out_w * a.c);
        if (op.kind == CoreOpKind::AvgPool)
          if (std::string e = shift_error(a.shift); !e.empty()) fail(who + e);
        break;
      }
      case CoreOpKind::Add: {
        const AddArgs& a = op.add;
        check_extent(t, who, "input a", a.a_addr, a.n);
        check_extent(t, who, "input b", a.b_addr, a.n);
        check_extent(t, who, "output", a.out_addr, a.n);
        if (std::string e = shift_error(a.shift); !e.empty()) fail(who + e);
        break;
      }
      case CoreOpKind::DwConv: {
        const ConvArgs& a = op.conv;
        if (std::string e = dwconv_args_error(a); !e.empty()) fail(who + e);
        check_extent(t, who, "input", a.in_addr, conv_input_bytes(a));
        check_extent(t, who, "output", a.out_addr, conv_output_bytes(a));
        check_extent(t, who, "weights", a.w_addr, dwconv_weight_bytes(a));
        check_extent(t, who, "requant records", a.qp_addr, conv_qp_bytes(a));
        if (a.lut) check_extent(t, who, "lookup table", a.lut_addr, kLutBytes);
        break;
      }
      case CoreOpKind::Mul: {
        const MulArgs& a = op.mul;
        if (std::string e = mul_args_error(a); !e.empty()) fail(who + e);
        check_extent(t, who, "input", a.in_addr, mul_input_bytes(a));
        check_extent(t, who, "gate", a.g_addr, a.c);
        check_extent(t, who, "output", a.out_addr, mul_output_bytes(a));
        break;
      }
      default:
        fail(who + "unknown op kind " + std::to_string(static_cast<int>(op.kind)));
    }
  }

  void check_phase(const Phase& ph) {
    std::set<std::pair<TileId, uint8_t>> lock_inits;
    for (const LockInit& l : ph.locks) {
      check_tile(l.tile, "lock init on");
      check_lock_id(l.tile, l.lock, "init");
      if (l.value > kMaxLockValue)
        fail(tile_label(l.tile) + " lock " + std::to_string(l.lock) + " init value " + std::to_string(l.value) + " > " +
             kMaxLock);
      if (!lock_inits.insert({l.tile, l.lock}).second)
        fail(tile_label(l.tile) + " lock " + std::to_string(l.lock) + " initialised twice in one phase");
    }

    // BDs, gathered per tile (a tile may appear in several TileBds entries).
    std::map<TileId, std::set<uint16_t>> bd_ids;
    for (const TileBds& tb : ph.bds) {
      check_tile(tb.tile, "BDs on");
      const uint32_t n = dma(kind(tb.tile)).bds;
      for (const BufferDescriptor& bd : tb.bds) {
        if (bd.id >= n)
          fail(tile_label(tb.tile) + " BD " + std::to_string(bd.id) + " out of range (" +
               kind_name(kind(tb.tile)) + " has " + std::to_string(n) + " BDs)");
        if (!bd_ids[tb.tile].insert(bd.id).second)
          fail(tile_label(tb.tile) + " BD " + std::to_string(bd.id) + " defined twice");
      }
    }
    for (const TileBds& tb : ph.bds)
      for (const BufferDescriptor& bd : tb.bds) {
        check_bd(tb.tile, bd);
        if (bd.next_bd != kNoNextBd &&
            (bd.next_bd < 0 || bd_ids[tb.tile].count(static_cast<uint16_t>(bd.next_bd)) == 0))
          fail(tile_label(tb.tile) + " BD " + std::to_string(bd.id) + ": next_bd " + std::to_string(bd.next_bd) +
               " is not a BD of this tile");
      }

    // Routes: one MM2S source each, S2MM destinations used at most once per phase.
    using Endpoint = std::pair<TileId, unsigned>;
    std::set<Endpoint> srcs, dsts;
    for (size_t i = 0; i < ph.routes.size(); ++i) {
      const Route& r = ph.routes[i];
      const std::string what = "route " + std::to_string(i) + " source";
      check_tile(r.src.tile, what);
      check_channel(r.src.tile, DmaDir::MM2S, r.src.channel, what);
      if (!srcs.insert({r.src.tile, r.src.channel}).second)
        fail(tile_label(r.src.tile) + " MM2S channel " + std::to_string(r.src.channel) + " is the source of two routes");
      if (r.dsts.empty()) fail("route " + std::to_string(i) + " from " + tile_label(r.src.tile) + " has no destination");
      for (const StreamEndpoint& d : r.dsts) {
        const std::string dwhat = "route " + std::to_string(i) + " destination";
        check_tile(d.tile, dwhat);
        check_channel(d.tile, DmaDir::S2MM, d.channel, dwhat);
        if (!dsts.insert({d.tile, d.channel}).second)
          fail(tile_label(d.tile) + " S2MM channel " + std::to_string(d.channel) + " is the destination of two routes");
      }
    }

    // Tasks.
    std::set<std::tuple<TileId, int, unsigned>> task_channels;
    for (const DmaTask& t : ph.tasks) {
      const std::string what = std::string("task on");
      check_tile(t.tile, what);
      check_channel(t.tile, t.dir, t.channel, "task");
      const std::string who = tile_label(t.tile) + " " + dir_name(t.dir) + " channel " + std::to_string(t.channel);
      if (!task_channels.insert({t.tile, static_cast<int>(t.dir), t.channel}).second) fail(who + " has two tasks");
      auto it = bd_ids.find(t.tile);
      if (it == bd_ids.end() || it->second.count(t.start_bd) == 0)
        fail(who + " task start_bd " + std::to_string(t.start_bd) + " is not a BD of this tile");
      const std::set<Endpoint>& routed = t.dir == DmaDir::MM2S ? srcs : dsts;
      if (routed.count({t.tile, t.channel}) == 0) fail(who + " has a task but no route");
    }
    std::map<TileId, std::map<uint16_t, const BufferDescriptor*>> bd_of;
    for (const TileBds& tb : ph.bds)
      for (const BufferDescriptor& bd : tb.bds) bd_of[tb.tile][bd.id] = &bd;
    for (const DmaTask& t : ph.tasks) check_task_bds(t, bd_of[t.tile]);

    // Every route connects a running source to running destinations that take exactly what it
    // sends: a destination short of bytes waits forever, one with bytes left over blocks the source.
    std::map<std::tuple<TileId, int, unsigned>, const DmaTask*> task_of;
    for (const DmaTask& t : ph.tasks) task_of[{t.tile, static_cast<int>(t.dir), t.channel}] = &t;
    for (size_t i = 0; i < ph.routes.size(); ++i) {
      const Route& r = ph.routes[i];
      const std::string src = tile_label(r.src.tile) + " MM2S channel " + std::to_string(r.src.channel);
      auto st = task_of.find({r.src.tile, static_cast<int>(DmaDir::MM2S), r.src.channel});
      if (st == task_of.end()) fail("route " + std::to_string(i) + " source " + src + " has no task");
      const uint64_t sent = task_bytes(ph, *st->second);
      for (const StreamEndpoint& d : r.dsts) {
        const std::string dst = tile_label(d.tile) + " S2MM channel " + std::to_string(d.channel);
        auto dt = task_of.find({d.tile, static_cast<int>(DmaDir::S2MM), d.channel});
        if (dt == task_of.end()) fail("route " + std::to_string(i) + " destination " + dst + " has no task");
        const uint64_t got = task_bytes(ph, *dt->second);
        if (got != sent)
          fail("route " + std::to_string(i) + ": " + src + " sends " + std::to_string(sent) + " bytes, " + dst +
               " receives " + std::to_string(got));
      }
    }

    // Core programs.
    std::set<TileId> cores;
    for (const CoreProgram& cp : ph.cores) {
      check_tile(cp.tile, "core program on");
      if (kind(cp.tile) != TileKind::Core)
        fail("core program on " + tile_label(cp.tile) + ", a " + kind_name(kind(cp.tile)) + " tile");
      if (!cores.insert(cp.tile).second) fail(tile_label(cp.tile) + " has two core programs");
      for (size_t i = 0; i < cp.ops.size(); ++i) check_core_op(cp.tile, i, cp.ops[i]);
    }
  }

  const Program& p_;
  const config::ArrayConfig& c_;
  std::string where_;

 public:
  MemoryFootprint footprint;  // filled as the records are checked
};

}  // namespace

uint64_t task_bytes(const Phase& ph, const DmaTask& t) {
  std::map<int, const BufferDescriptor*> bds;
  for (const TileBds& tb : ph.bds)
    if (tb.tile == t.tile)
      for (const BufferDescriptor& bd : tb.bds) bds.emplace(bd.id, &bd);
  using U128 = unsigned __int128;
  const U128 kMax = UINT64_MAX;
  // Bytes of one execution (saturating: sizes are u32 products, a hostile BD must not wrap).
  auto bytes_of = [&](const BufferDescriptor& bd) {
    U128 n = bd.iter_count;
    for (int d = 0; d < bd.ndims && d < 4; ++d) n = std::min<U128>(n * bd.padded_size(d), kMax);
    return n;
  };
  // Walk the chain; on reaching a BD seen before, the rest of the executions go round the cycle
  // (summed, not walked: bd_executions may be in the billions).
  std::map<int, std::pair<uint64_t, U128>> first;  // BD id -> (its first execution, bytes before it)
  std::vector<U128> before{0};                      // bytes before execution e
  U128 total = 0;
  int id = t.start_bd;
  for (uint64_t e = 0; e < t.bd_executions && id >= 0; ++e) {
    auto seen = first.find(id);
    if (seen != first.end()) {
      const uint64_t start = seen->second.first, len = e - start, left = t.bd_executions - e;
      const U128 per_round = total - seen->second.second;
      total += per_round * (left / len) + (before[start + left % len] - before[start]);
      break;
    }
    auto it = bds.find(id);
    if (it == bds.end()) return 0;
    first.emplace(id, std::make_pair(e, total));
    total = std::min(total + bytes_of(*it->second), kMax);
    before.push_back(total);
    id = it->second->next_bd;
  }
  return static_cast<uint64_t>(std::min(total, kMax));
}

const config::DmaResources& dma_resources(const config::ArrayConfig& cfg, TileKind k) {
  switch (k) {
    case TileKind::Shim: return cfg.shim.dma;
    case TileKind::Mem: return cfg.memtile.dma;
    case TileKind::Core: break;
  }
  return cfg.core.dma;
}

std::pair<uint32_t, uint32_t> bd_range(const config::ArrayConfig& cfg, TileKind k, uint8_t channel) {
  const uint32_t n = dma_resources(cfg, k).bds;
  if (k != TileKind::Mem) return {0, n};
  return channel % 2 == 0 ? std::pair<uint32_t, uint32_t>{0, n / 2} : std::pair<uint32_t, uint32_t>{n / 2, n};
}

MemoryFootprint verify_program(const Program& prog, const config::ArrayConfig& cfg) {
  Checker c(prog, cfg);
  c.run();
  return c.footprint;
}

}  // namespace saie::isa
