// lock_unit.h — the 6-bit semaphore locks of one tile (AIE2 acquire-greater-equal semantics).
//
// acquire(l, v) waits until lock[l] >= v, then subtracts v; release(l, v) adds v (a value above
// 63 is a run-time fault). Value changes are recorded as counter samples on track
// "array.tile_C_R.lock.N"; wait time is a statistic of the tile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "hw/sim/sim_context.h"

namespace saie::hw {

class LockUnit {
 public:

  LockUnit(isa::TileId tile, uint32_t count, SimContext& ctx);

  uint32_t count() const { return static_cast<uint32_t>(values_.size()); }
  int value(int id) const;
  // Phase start: every lock back to 0, then the program's initial values (no waiting).
  void reset();
  void init(int id, int value);
  // Blocks the calling thread; returns the cycles spent waiting. `who` (and core op index `op`,
  // when >= 0) names the caller in errors.
  // With an RTL lock unit attached (co-simulation) the core (op >= 0) uses its port 0, the DMA
  // channels port 1.
  uint64_t acquire(int id, int value, const std::string& who, int op = -1);
  void release(int id, int value, const std::string& who, int op = -1);
  // Co-simulation: from now on the values live in this Verilated lock unit (hw/cosim).
  void attach_rtl(class LockTransactor* rtl) { rtl_ = rtl; }

 private:
  void check_id(int id, const std::string& who, int op);
  void sample(int id);

  isa::TileId tile_;
  SimContext& ctx_;
  std::string prefix_;  // "array.tile_C_R"
  std::vector<int> values_;
  std::vector<std::unique_ptr<sc_core::sc_event>> changed_;  // per lock, notified on release
  StatCounter st_acquires_, st_wait_, st_releases_;
  class LockTransactor* rtl_ = nullptr;
};

}  // namespace saie::hw
