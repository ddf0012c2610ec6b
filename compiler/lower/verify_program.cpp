// verify_program.cpp — see verify_program.h.
#include "compiler/lower/verify_program.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace saie::lower {

namespace {

using isa::TileId;
using isa::TileKind;

const isa::BufferDescriptor* find_bd(const isa::Phase& ph, TileId t, int id) {
  for (const isa::TileBds& tb : ph.bds)
    if (tb.tile == t)
      for (const isa::BufferDescriptor& bd : tb.bds)
        if (bd.id == id) return &bd;
  return nullptr;
}

std::string tname(TileId t) { return target::TargetModel::tile_name(t); }

// [lowest, highest+1) byte address touched by one BD execution (strides may be negative).
std::pair<int64_t, int64_t> bd_extent(const isa::BufferDescriptor& bd) {
  int64_t lo = static_cast<int64_t>(bd.addr), hi = static_cast<int64_t>(bd.addr);
  auto span = [&](int64_t count, int64_t stride) {
    if (count <= 1) return;
    const int64_t d = (count - 1) * stride;
    if (d > 0) hi += d; else lo += d;
  };
  for (int d = 0; d < bd.ndims; ++d) span(bd.dims[d].size, bd.dims[d].stride);
  span(bd.iter_count, bd.iter_stride);
  return {lo, hi + 1};
}

struct ChanKey {
  TileId tile;
  isa::DmaDir dir;
  uint8_t ch;
  bool operator<(const ChanKey& o) const {
    return std::tie(tile, dir, ch) < std::tie(o.tile, o.dir, o.ch);
  }
};

}  // namespace

uint64_t task_bytes(const isa::Phase& ph, const isa::DmaTask& t) {
  uint64_t total = 0;
  int id = t.start_bd;
  for (uint32_t e = 0; e < t.bd_executions && id >= 0; ++e) {
    const isa::BufferDescriptor* bd = find_bd(ph, t.tile, id);
    if (bd == nullptr) return 0;
    total += bd->bytes_per_repetition() * bd->iter_count;
    id = bd->next_bd;
  }
  return total;
}

std::vector<std::string> verify_program(const isa::Program& p, const target::TargetModel& tm) {
  std::vector<std::string> errs;
  // Tile kinds depend on the number of memtile rows: the program must be built for the target's.
  if (p.mem_rows != tm.mem_rows())
    errs.push_back("program mem_rows " + std::to_string(p.mem_rows) + " differs from the target's " +
                   std::to_string(tm.mem_rows()));
  auto in_array = [&](TileId t) { return tm.in_array(t); };
  for (const isa::Phase& ph : p.phases) {
    const std::string at = "phase " + ph.name + ": ";
    // BDs.
    for (const isa::TileBds& tb : ph.bds) {
      if (!in_array(tb.tile)) { errs.push_back(at + tname(tb.tile) + " is outside the array"); continue; }
      const TileKind k = tm.kind(tb.tile);
      std::set<int> ids;
      for (const isa::BufferDescriptor& bd : tb.bds) {
        const std::string where = at + tname(tb.tile) + " bd " + std::to_string(bd.id);
        if (bd.id >= tm.bds(k)) errs.push_back(where + ": id exceeds " + std::to_string(tm.bds(k)) + " BDs");
        if (!ids.insert(bd.id).second) errs.push_back(where + ": duplicate id");
        if (bd.ndims < 1 || bd.ndims > tm.max_bd_dims(k)) errs.push_back(where + ": bad ndims");
        if (bd.dims[0].stride != 1) errs.push_back(where + ": innermost stride must be 1 byte");
        if (bd.iter_count < 1) errs.push_back(where + ": iter_count 0");
        for (int16_t l : {bd.acq_lock, bd.rel_lock})
          if (l != isa::kNoLock && (l < 0 || static_cast<uint32_t>(l) >= tm.locks(k)))
            errs.push_back(where + ": lock " + std::to_string(l) + " out of range");
        if (bd.acq_value > target::TargetModel::kMaxLockValue || bd.rel_value > target::TargetModel::kMaxLockValue)
          errs.push_back(where + ": lock value above 63");
        const auto [lo, hi] = bd_extent(bd);
        if (lo < 0 || static_cast<uint64_t>(hi) > (k == TileKind::Shim ? p.ddr_bytes_needed : tm.memory_bytes(k)))
          errs.push_back(where + ": addresses [" + std::to_string(lo) + ", " + std::to_string(hi) + ") out of memory");
      }
      for (const isa::BufferDescriptor& bd : tb.bds)
        if (bd.next_bd != isa::kNoNextBd && ids.count(bd.next_bd) == 0)
          errs.push_back(at + tname(tb.tile) + " bd " + std::to_string(bd.id) + ": next_bd missing");
    }
    // Locks.
    std::set<std::pair<TileId, uint8_t>> lock_seen;
    for (const isa::LockInit& l : ph.locks) {
      const std::string where = at + tname(l.tile) + " lock " + std::to_string(l.lock);
      if (!in_array(l.tile)) errs.push_back(where + ": tile outside the array");
      else if (l.lock >= tm.locks(tm.kind(l.tile))) errs.push_back(where + ": id out of range");
      if (l.value > target::TargetModel::kMaxLockValue) errs.push_back(where + ": value above 63");
      if (!lock_seen.insert({l.tile, l.lock}).second) errs.push_back(where + ": initialised twice");
    }
    // Tasks.
    std::map<ChanKey, const isa::DmaTask*> tasks;
    for (const isa::DmaTask& t : ph.tasks) {
      const std::string where = at + tname(t.tile) + (t.dir == isa::DmaDir::MM2S ? " mm2s" : " s2mm") +
                                std::to_string(t.channel);
      if (!in_array(t.tile)) { errs.push_back(where + ": tile outside the array"); continue; }
      if (t.channel >= tm.channels(tm.kind(t.tile), t.dir)) errs.push_back(where + ": channel out of range");
      if (find_bd(ph, t.tile, t.start_bd) == nullptr) errs.push_back(where + ": start bd missing");
      if (!tasks.emplace(ChanKey{t.tile, t.dir, t.channel}, &t).second) errs.push_back(where + ": two tasks");
    }
    // Routes: every endpoint has a task, bytes match, each S2MM fed by one route.
    std::set<ChanKey> routed;
    for (const isa::Route& r : ph.routes) {
      const ChanKey src{r.src.tile, isa::DmaDir::MM2S, r.src.channel};
      const std::string where = at + "route from " + tname(r.src.tile) + " mm2s" + std::to_string(r.src.channel);
      if (!routed.insert(src).second) errs.push_back(where + ": source used twice");
      auto st = tasks.find(src);
      if (st == tasks.end()) { errs.push_back(where + ": no task on the source"); continue; }
      const uint64_t sent = task_bytes(ph, *st->second);
      if (r.dsts.empty()) errs.push_back(where + ": no destination");
      for (const isa::StreamEndpoint& d : r.dsts) {
        const ChanKey dk{d.tile, isa::DmaDir::S2MM, d.channel};
        const std::string dw = where + " to " + tname(d.tile) + " s2mm" + std::to_string(d.channel);
        if (!routed.insert(dk).second) errs.push_back(dw + ": destination fed twice");
        auto dt = tasks.find(dk);
        if (dt == tasks.end()) { errs.push_back(dw + ": no task on the destination"); continue; }
        const uint64_t got = task_bytes(ph, *dt->second);
        if (got != sent)
          errs.push_back(dw + ": sends " + std::to_string(sent) + " B, receives " + std::to_string(got) + " B");
      }
    }
    for (const auto& [k, t] : tasks)
      if (routed.count(k) == 0)
        errs.push_back(at + tname(k.tile) + (k.dir == isa::DmaDir::MM2S ? " mm2s" : " s2mm") +
                       std::to_string(k.ch) + ": task without a route");
    // Core programs.
    for (const isa::CoreProgram& cp : ph.cores) {
      const std::string where = at + "core " + tname(cp.tile);
      if (!in_array(cp.tile) || tm.kind(cp.tile) != TileKind::Core) { errs.push_back(where + ": not a core"); continue; }
      const uint64_t mem = tm.core_memory_bytes();
      auto range = [&](uint64_t addr, uint64_t bytes, const char* what) {
        if (addr + bytes > mem) errs.push_back(where + ": " + what + " [" + std::to_string(addr) + ", +" +
                                               std::to_string(bytes) + ") outside core memory");
      };
      for (const isa::CoreOp& op : cp.ops) {
        switch (op.kind) {
          case isa::CoreOpKind::Acquire:
          case isa::CoreOpKind::Release:
            if (op.lock >= tm.locks(TileKind::Core)) errs.push_back(where + ": lock out of range");
            if (op.value > target::TargetModel::kMaxLockValue) errs.push_back(where + ": lock value above 63");
            break;
          case isa::CoreOpKind::Conv: {
            const isa::ConvArgs& a = op.conv;
            range(a.in_addr, uint64_t{a.in_h} * a.in_w * a.in_c, "conv input");
            range(a.out_addr, uint64_t{a.out_h} * a.out_w * a.out_c, "conv output");
            range(a.qp_addr, uint64_t{12} * a.out_c, "conv requant records");
            range(a.w_addr, 8, "conv weights");
            if ((a.out_h - 1) * a.stride_h + a.kh > a.in_h || (a.out_w - 1) * a.stride_w + a.kw > a.in_w)
              errs.push_back(where + ": conv window reads past its input (" + op.label + ")");
            break;
          }
          case isa::CoreOpKind::MaxPool:
          case isa::CoreOpKind::AvgPool: {
            const isa::PoolArgs& a = op.pool;
            range(a.in_addr, uint64_t{a.in_h} * a.in_w * a.c, "pool input");
            range(a.out_addr, uint64_t{a.out_h} * a.out_w * a.c, "pool output");
            if ((a.out_h - 1) * a.stride_h + a.kh > a.in_h || (a.out_w - 1) * a.stride_w + a.kw > a.in_w)
              errs.push_back(where + ": pool window reads past its input (" + op.label + ")");
            break;
          }
          case isa::CoreOpKind::Add:
            range(op.add.a_addr, op.add.n, "add input a");
            range(op.add.b_addr, op.add.n, "add input b");
            range(op.add.out_addr, op.add.n, "add output");
            break;
        }
      }
    }
  }
  return errs;
}

}  // namespace saie::lower
