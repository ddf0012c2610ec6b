// lock_unit.cpp — per-tile semaphore locks with wait statistics and value samples.
#include "hw/lock/lock_unit.h"

namespace saie::hw {

LockUnit::LockUnit(isa::TileId tile, uint32_t count, SimContext& ctx)
    : tile_(tile), ctx_(ctx), prefix_(track_prefix(tile)), values_(count, 0) {
  changed_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) changed_.push_back(std::make_unique<sc_core::sc_event>());
}

void LockUnit::sample(int id) { ctx_.counter(prefix_ + ".lock." + std::to_string(id), values_[id]); }

void LockUnit::reset() {
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i] != 0) {
      values_[i] = 0;
      sample(static_cast<int>(i));
    }
  }
}

void LockUnit::check_id(int id, const std::string& who) {
  if (id < 0 || id >= static_cast<int>(values_.size()))
    ctx_.fail(who + ": lock " + std::to_string(id) + " does not exist on " + tile_label(tile_) + " (" +
              std::to_string(values_.size()) + " locks)");
}

void LockUnit::init(int id, int value) {
  check_id(id, tile_label(tile_) + " lock init");
  if (value < 0 || value > kMaxValue)
    ctx_.fail(tile_label(tile_) + " lock " + std::to_string(id) + " init value " + std::to_string(value) +
              " outside 0..63");
  if (values_[id] != value) {
    values_[id] = value;
    sample(id);
  }
  changed_[id]->notify(sc_core::SC_ZERO_TIME);
}

uint64_t LockUnit::acquire(int id, int value, const std::string& who) {
  check_id(id, who);
  uint64_t t0 = ctx_.now();
  while (values_[id] < value) sc_core::wait(*changed_[id]);
  uint64_t waited = ctx_.now() - t0;
  ctx_.stat(prefix_ + ".lock.acquires", 1, "count", "lock acquires on this tile");
  ctx_.stat(prefix_ + ".lock.wait_cycles", static_cast<double>(waited), "cycles",
            "cycles agents of this tile spent waiting for lock acquires");
  if (value != 0) {
    values_[id] -= value;
    sample(id);
  }
  return waited;
}

void LockUnit::release(int id, int value, const std::string& who) {
  check_id(id, who);
  if (values_[id] + value > kMaxValue)
    ctx_.fail(who + ": " + tile_label(tile_) + " lock " + std::to_string(id) + " overflow: " +
              std::to_string(values_[id]) + " + " + std::to_string(value) + " > 63");
  ctx_.stat(prefix_ + ".lock.releases", 1, "count", "lock releases on this tile");
  if (value != 0) {
    values_[id] += value;
    sample(id);
    changed_[id]->notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace saie::hw
