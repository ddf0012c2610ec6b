// lock_unit.h — the 6-bit semaphore locks of one tile (AIE2 acquire-greater-equal semantics).
//
// acquire(l, v) waits until lock[l] >= v, then subtracts v; release(l, v) adds v (a value above
// isa::kMaxLockValue is a run-time fault). LockUnit checks ids and init values and keeps the
// statistics (acquires, releases, wait cycles of the tile); the values themselves live in its
// LockBackend (hw/sim/backends.h): its own semaphores by default, which record every value change
// as a counter sample on track "array.tile_C_R.lock.N".
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hw/sim/backends.h"
#include "hw/sim/sim_context.h"

namespace saie::hw {

class LockUnit {
 public:
  LockUnit(isa::TileId tile, uint32_t count, SimContext& ctx);

  uint32_t count() const { return count_; }
  int value(int id) const { return backend_->value(id); }
  // Phase start: every lock back to 0, then the program's initial values (no waiting).
  void reset() { backend_->reset(); }
  void init(int id, int value);
  // Blocks the calling thread; returns the cycles spent waiting. `who` (and core op index `op`,
  // when >= 0) names the caller in errors. The core (op >= 0) is the backend's port 0, the DMA
  // channels port 1.
  uint64_t acquire(int id, int value, const std::string& who, int op = -1);
  void release(int id, int value, const std::string& who, int op = -1);
  // Replaces the semaphores by another implementation of the same locks (while elaborating).
  void set_backend(std::unique_ptr<LockBackend> b) { backend_ = std::move(b); }

 private:
  void check_id(int id, const std::string& who, int op);

  isa::TileId tile_;
  uint32_t count_;
  SimContext& ctx_;
  std::unique_ptr<LockBackend> backend_;
  StatCounter st_acquires_, st_wait_, st_releases_;
};

}  // namespace saie::hw
