// reconfig.cpp — see reconfig.h.
#include "hw/isa/reconfig.h"

#include <algorithm>
#include <cstdlib>

#include "hw/isa/verify_program.h"

namespace saie::isa {
bool same_bd_registers(const BufferDescriptor& a, const BufferDescriptor& b) {
  if (a.addr != b.addr || a.ndims != b.ndims || a.iter_count != b.iter_count || a.iter_stride != b.iter_stride ||
      a.acq_lock != b.acq_lock || a.acq_value != b.acq_value || a.rel_lock != b.rel_lock || a.rel_value != b.rel_value ||
      a.next_bd != b.next_bd || a.pad_before != b.pad_before || a.pad_after != b.pad_after)
    return false;
  for (size_t d = 0; d < a.dims.size(); ++d)
    if (a.dims[d].size != b.dims[d].size || a.dims[d].stride != b.dims[d].stride) return false;
  return true;
}

namespace {

// What a phase uses: BD slots, locks, stream ports (MM2S and S2MM) and cores.
struct Usage {
  std::set<std::pair<TileId, uint16_t>> bds;
  std::set<std::pair<TileId, int>> locks;
  std::set<std::tuple<TileId, uint8_t, uint8_t>> ports;  // tile, dir, channel
  std::set<TileId> cores;
};

Usage usage_of(const Phase& p) {
  Usage u;
  for (const LockInit& l : p.locks) u.locks.insert({l.tile, l.lock});
  for (const TileBds& tb : p.bds)
    for (const BufferDescriptor& bd : tb.bds) {
      u.bds.insert({tb.tile, bd.id});
      if (bd.acq_lock != kNoLock) u.locks.insert({tb.tile, bd.acq_lock});
      if (bd.rel_lock != kNoLock) u.locks.insert({tb.tile, bd.rel_lock});
    }
  for (const Route& r : p.routes) {
    u.ports.insert({r.src.tile, static_cast<uint8_t>(DmaDir::MM2S), r.src.channel});
    for (const StreamEndpoint& d : r.dsts) u.ports.insert({d.tile, static_cast<uint8_t>(DmaDir::S2MM), d.channel});
  }
  for (const CoreProgram& cp : p.cores) {
    u.cores.insert(cp.tile);
    for (const CoreOp& op : cp.ops)
      if (op.kind == CoreOpKind::Acquire || op.kind == CoreOpKind::Release) u.locks.insert({cp.tile, op.lock});
  }
  return u;
}

}  // namespace

void add_path(std::set<TileId>& switches, TileId a, TileId b) {
  const int step_c = b.col >= a.col ? 1 : -1, step_r = b.row >= a.row ? 1 : -1;
  for (int c = a.col;; c += step_c) {
    switches.insert(TileId{static_cast<uint8_t>(c), a.row});
    if (c == b.col) break;
  }
  for (int r = a.row;; r += step_r) {
    switches.insert(TileId{b.col, static_cast<uint8_t>(r)});
    if (r == b.row) break;
  }
}

uint32_t bd_register_words(TileKind k) { return k == TileKind::Core ? 6u : 8u; }

ReconfigState::ReconfigState(const config::ArrayConfig& cfg)
    : cfg_(cfg), paths_(cfg.control.write_paths == 0 ? std::max(1u, cfg.columns) : cfg.control.write_paths) {}

PhaseWrites ReconfigState::plan(const Phase& next, const Phase* running,
                                const std::function<int(TileId, int)>& lock_value) const {
  const config::ControlConfig& c = cfg_.control;
  PhaseWrites w;
  w.early_cycles.assign(paths_, 0);
  w.late_cycles.assign(paths_, 0);
  const Usage busy = running ? usage_of(*running) : Usage{};
  const auto add = [&](TileId t, bool early, uint64_t cycles, uint64_t words) {
    (early ? w.early_cycles : w.late_cycles)[t.col % paths_] += cycles;
    w.words += words;
    if (early) w.early_words += words;
  };
  const auto write32 = [&](TileId t, bool early) { add(t, early, c.write32_cycles, 1); };

  // BDs: a block write of the descriptor's registers where the slot holds something else.
  for (const TileBds& tb : next.bds) {
    const uint32_t words = bd_register_words(tile_kind(tb.tile, cfg_.mem_rows));
    for (const BufferDescriptor& bd : tb.bds) {
      auto it = bds_.find({tb.tile, bd.id});
      if (it != bds_.end() && same_bd_registers(it->second, bd)) continue;
      ++w.bd_writes;
      add(tb.tile, busy.bds.count({tb.tile, bd.id}) == 0, c.blockwrite_cycles(words), words);
    }
  }
  // Locks: every lock the phase uses starts it at its listed value (0 when not listed); a lock it
  // does not use keeps whatever it holds (nothing reads it).
  std::map<std::pair<TileId, int>, int> start;
  for (const LockInit& l : next.locks) start[{l.tile, l.lock}] = l.value;
  for (const auto& [t, id] : usage_of(next).locks) {
    auto it = start.find({t, id});
    const int want = it == start.end() ? 0 : it->second;
    if (lock_value(t, id) == want) continue;
    ++w.lock_writes;
    write32(t, busy.locks.count({t, id}) == 0);
  }
  // Stream connections not already in place: two registers in every switch on their paths, each
  // switch once however many of the route's destinations pass it (a broadcast shares its trunk),
  // written by the path of the switch's column.
  for (const Route& r : next.routes) {
    std::set<TileId> switches;
    bool early = busy.ports.count({r.src.tile, static_cast<uint8_t>(DmaDir::MM2S), r.src.channel}) == 0;
    for (const StreamEndpoint& d : r.dsts) {
      auto it = routes_.find({d.tile, d.channel});
      if (it != routes_.end() && it->second == std::tuple<TileId, uint8_t>{r.src.tile, r.src.channel}) continue;
      early = early && busy.ports.count({d.tile, static_cast<uint8_t>(DmaDir::S2MM), d.channel}) == 0;
      add_path(switches, r.src.tile, d.tile);
    }
    for (const TileId& s : switches) {
      w.route_writes += 2;
      add(s, early, 2 * uint64_t{c.write32_cycles}, 2);
    }
  }
  // Each core's program pointer; each DMA task start (always late: it starts the phase).
  for (const CoreProgram& cp : next.cores) {
    ++w.core_writes;
    write32(cp.tile, busy.cores.count(cp.tile) == 0);
  }
  for (const DmaTask& t : next.tasks) {
    ++w.task_writes;
    write32(t.tile, false);
  }
  return w;
}

void ReconfigState::commit(const Phase& next) {
  for (const TileBds& tb : next.bds)
    for (const BufferDescriptor& bd : tb.bds) bds_[{tb.tile, bd.id}] = bd;
  for (const Route& r : next.routes)
    for (const StreamEndpoint& d : r.dsts) routes_[{d.tile, d.channel}] = {r.src.tile, r.src.channel};
}

uint64_t ReconfigState::wait_cycles(const PhaseWrites& w, uint64_t running_cycles, bool something_ran) {
  uint64_t wait = 0;
  for (size_t p = 0; p < w.late_cycles.size(); ++p) {
    const uint64_t early = w.early_cycles[p];
    const uint64_t left = something_ran ? (early > running_cycles ? early - running_cycles : 0) : early;
    wait = std::max(wait, left + w.late_cycles[p]);
  }
  return wait;
}

}  // namespace saie::isa
