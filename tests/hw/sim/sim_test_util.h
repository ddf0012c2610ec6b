// sim_test_util.h — small builders for hand-written Programs used by the array-model tests.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"
#include "hw/isa/quant_math.h"
#include "hw/sim/simulate.h"
#include "traces/trace.h"

namespace saie::hw::test {

using isa::DmaDir;
using isa::TileId;

inline TileId tile(int col, int row) { return TileId{static_cast<uint8_t>(col), static_cast<uint8_t>(row)}; }

// A small array with a 1 MiB DDR (other values: the config defaults).
inline config::ArrayConfig small_config(uint32_t columns = 1, uint32_t core_rows = 2, uint32_t mem_rows = 1) {
  config::ArrayConfig c;
  c.name = "test-" + std::to_string(columns) + "x" + std::to_string(core_rows);
  if (mem_rows != 1) c.name += "-m" + std::to_string(mem_rows);
  c.columns = columns;
  c.core_rows = core_rows;
  c.mem_rows = mem_rows;
  c.ddr.size_bytes = 1u << 20;
  return c;
}

inline isa::Program empty_program(const config::ArrayConfig& c, const std::string& name) {
  isa::Program p;
  p.name = name;
  p.columns = static_cast<uint8_t>(c.columns);
  p.core_rows = static_cast<uint8_t>(c.core_rows);
  p.mem_rows = static_cast<uint8_t>(c.mem_rows);
  p.ddr_bytes_needed = c.ddr.size_bytes;
  return p;
}

// Dense HWC port (pitch_c = c, row_pitch = w*c unless given).
inline isa::TensorPort port(uint64_t addr, uint32_t h, uint32_t w, uint32_t c, uint32_t pitch_c = 0,
                            uint32_t row_pitch = 0) {
  isa::TensorPort t;
  t.addr = addr;
  t.h = h;
  t.w = w;
  t.c = c;
  t.pitch_c = pitch_c ? pitch_c : c;
  t.row_pitch = row_pitch ? row_pitch : w * t.pitch_c;
  return t;
}

// Contiguous 1-D BD of n bytes.
// A hand-built program whose memtile BDs run by odd channels are moved into the range those
// channels reach (24..47 of 48: isa::bd_range), so the tests can number BDs from 0 on every
// channel; every other BD keeps its id.
inline isa::Program slotted(isa::Program p, const config::ArrayConfig& cfg) {
  const uint16_t half = static_cast<uint16_t>(cfg.memtile.dma.bds / 2);
  for (isa::Phase& ph : p.phases) {
    std::map<isa::TileId, std::set<uint16_t>> moved;  // per memtile: the low ids odd channels run
    for (const isa::DmaTask& t : ph.tasks) {
      if (isa::tile_kind(t.tile, cfg.mem_rows) != isa::TileKind::Mem || t.channel % 2 == 0) continue;
      std::map<uint16_t, int16_t> next;
      for (const isa::TileBds& tb : ph.bds)
        if (tb.tile == t.tile)
          for (const isa::BufferDescriptor& b : tb.bds) next[b.id] = b.next_bd;
      for (int id = t.start_bd; id >= 0 && id < half && next.count(static_cast<uint16_t>(id)) &&
                                moved[t.tile].insert(static_cast<uint16_t>(id)).second;)
        id = next[static_cast<uint16_t>(id)];
    }
    const auto shifted = [&](isa::TileId t, int id) {
      auto it = moved.find(t);
      return it != moved.end() && id >= 0 && it->second.count(static_cast<uint16_t>(id)) ? id + half : id;
    };
    for (isa::TileBds& tb : ph.bds)
      for (isa::BufferDescriptor& b : tb.bds) {
        if (b.next_bd != isa::kNoNextBd) b.next_bd = static_cast<int16_t>(shifted(tb.tile, b.next_bd));
        b.id = static_cast<uint16_t>(shifted(tb.tile, b.id));
      }
    for (isa::DmaTask& t : ph.tasks) t.start_bd = static_cast<uint16_t>(shifted(t.tile, t.start_bd));
  }
  return p;
}

inline isa::BufferDescriptor bd(uint16_t id, uint64_t addr, uint32_t n) {
  isa::BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.ndims = 1;
  b.dims[0] = {n, 1};
  return b;
}
// n-D BD: dims innermost first, {size, stride}.
inline isa::BufferDescriptor bd_nd(uint16_t id, uint64_t addr, std::initializer_list<isa::DmaDim> dims) {
  isa::BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.ndims = static_cast<uint8_t>(dims.size());
  int d = 0;
  for (const auto& x : dims) b.dims[d++] = x;
  return b;
}
inline isa::BufferDescriptor acq(isa::BufferDescriptor b, int lock, int value) {
  b.acq_lock = static_cast<int16_t>(lock);
  b.acq_value = static_cast<uint8_t>(value);
  return b;
}
inline isa::BufferDescriptor rel(isa::BufferDescriptor b, int lock, int value) {
  b.rel_lock = static_cast<int16_t>(lock);
  b.rel_value = static_cast<uint8_t>(value);
  return b;
}
inline isa::BufferDescriptor iter(isa::BufferDescriptor b, uint32_t count, int64_t stride) {
  b.iter_count = count;
  b.iter_stride = stride;
  return b;
}
inline isa::BufferDescriptor next(isa::BufferDescriptor b, int next_bd) {
  b.next_bd = static_cast<int16_t>(next_bd);
  return b;
}

inline void add_bd(isa::Phase& ph, TileId t, const isa::BufferDescriptor& b) {
  for (auto& tb : ph.bds)
    if (tb.tile == t) {
      tb.bds.push_back(b);
      return;
    }
  ph.bds.push_back(isa::TileBds{t, {b}});
}
inline void add_task(isa::Phase& ph, TileId t, DmaDir dir, int channel, int start_bd, uint32_t executions = 1) {
  isa::DmaTask k;
  k.tile = t;
  k.dir = dir;
  k.channel = static_cast<uint8_t>(channel);
  k.start_bd = static_cast<uint16_t>(start_bd);
  k.bd_executions = executions;
  ph.tasks.push_back(k);
}
// Route from (src, mm2s ch) to each (tile, s2mm ch).
inline void add_route(isa::Phase& ph, TileId src, int ch, std::initializer_list<std::pair<TileId, int>> dsts) {
  isa::Route r;
  r.src = {src, static_cast<uint8_t>(ch)};
  for (const auto& d : dsts) r.dsts.push_back({d.first, static_cast<uint8_t>(d.second)});
  ph.routes.push_back(r);
}
// One transfer: BD `b_src` on src's mm2s channel -> BD `b_dst` on dst's s2mm channel, with tasks and route.
inline void add_transfer(isa::Phase& ph, TileId src, int src_ch, const isa::BufferDescriptor& b_src, TileId dst,
                         int dst_ch, const isa::BufferDescriptor& b_dst) {
  add_bd(ph, src, b_src);
  add_bd(ph, dst, b_dst);
  add_route(ph, src, src_ch, {{dst, dst_ch}});
  add_task(ph, src, DmaDir::MM2S, src_ch, b_src.id);
  add_task(ph, dst, DmaDir::S2MM, dst_ch, b_dst.id);
}
inline void add_lock(isa::Phase& ph, TileId t, int lock, int value) {
  ph.locks.push_back(isa::LockInit{t, static_cast<uint8_t>(lock), static_cast<uint8_t>(value)});
}

inline isa::CoreOp op_acquire(int lock, int value) {
  isa::CoreOp o;
  o.kind = isa::CoreOpKind::Acquire;
  o.lock = static_cast<uint8_t>(lock);
  o.value = static_cast<uint8_t>(value);
  return o;
}
inline isa::CoreOp op_release(int lock, int value) {
  isa::CoreOp o = op_acquire(lock, value);
  o.kind = isa::CoreOpKind::Release;
  return o;
}
inline isa::CoreOp op_add(uint32_t a, uint32_t b, uint32_t out, uint32_t n, int32_t mult_a, int32_t mult_b,
                          int32_t shift, const std::string& label, bool relu = false) {
  isa::CoreOp o;
  o.kind = isa::CoreOpKind::Add;
  o.add.a_addr = a;
  o.add.b_addr = b;
  o.add.out_addr = out;
  o.add.n = n;
  o.add.mult_a = mult_a;
  o.add.mult_b = mult_b;
  o.add.shift = shift;
  o.add.relu = relu ? 1 : 0;
  o.label = label;
  return o;
}
inline void add_core(isa::Phase& ph, TileId t, std::vector<isa::CoreOp> ops) {
  ph.cores.push_back(isa::CoreProgram{t, std::move(ops)});
}

// Independent expectation of the Add op.
inline int8_t expect_add(int8_t a, int8_t b, int32_t ma, int32_t mb, int32_t shift, bool relu = false) {
  int64_t y = isa::round_shift(int64_t{a} * ma + int64_t{b} * mb, shift);
  if (relu) y = std::max<int64_t>(y, 0);
  return static_cast<int8_t>(std::clamp<int64_t>(y, -128, 127));
}

// Deterministic pseudo-random int8 data.
inline std::vector<int8_t> pattern(size_t n, uint32_t seed) {
  std::vector<int8_t> v(n);
  uint32_t x = seed * 2654435761u + 12345u;
  for (auto& e : v) {
    x = x * 1103515245u + 12345u;
    e = static_cast<int8_t>((x >> 16) & 0xff);
  }
  return v;
}

inline double stat(const traces::TraceRecorder& rec, const std::string& name) {
  auto it = rec.stats().find(name);
  return it == rec.stats().end() ? -1.0 : it->second.value;
}
inline std::vector<traces::Slice> slices_on(const traces::TraceRecorder& rec, const std::string& track) {
  std::vector<traces::Slice> out;
  for (const auto& s : rec.slices())
    if (s.track == track) out.push_back(s);
  return out;
}

// Runs `fn` in a forked child (SystemC allows one simulation per process) and returns the text
// it produced, or "child failed".
inline std::string run_in_child(const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string d = fn();
    const ssize_t w = write(fds[1], d.data(), d.size());
    _exit(w == static_cast<ssize_t>(d.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "child failed";
}

}  // namespace saie::hw::test
