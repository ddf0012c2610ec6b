// lock_unit.cpp — per-tile semaphore locks with wait statistics and value samples.
#include "hw/lock/lock_unit.h"

#include "hw/cosim/lock_transactor.h"

namespace saie::hw {

LockUnit::LockUnit(isa::TileId tile, uint32_t count, SimContext& ctx)
    : tile_(tile),
      ctx_(ctx),
      prefix_(track_prefix(tile)),
      values_(count, 0),
      st_acquires_(ctx, prefix_ + ".lock.acquires", "count", "lock acquires on this tile"),
      st_wait_(ctx, prefix_ + ".lock.wait_cycles", "cycles", "cycles agents of this tile spent waiting for lock acquires"),
      st_releases_(ctx, prefix_ + ".lock.releases", "count", "lock releases on this tile") {
  changed_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) changed_.push_back(std::make_unique<sc_core::sc_event>());
}

namespace {
std::string caller(const std::string& who, int op) { return op >= 0 ? who + " op " + std::to_string(op) : who; }
}  // namespace

void LockUnit::sample(int id) {
  if (ctx_.tracing()) ctx_.counter(prefix_ + ".lock." + std::to_string(id), values_[id]);
}

int LockUnit::value(int id) const { return rtl_ ? rtl_->value(id) : values_.at(id); }

void LockUnit::reset() {
  if (rtl_) {
    rtl_->reset();
    return;
  }
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i] != 0) {
      values_[i] = 0;
      sample(static_cast<int>(i));
    }
  }
}

void LockUnit::check_id(int id, const std::string& who, int op) {
  if (id < 0 || id >= static_cast<int>(values_.size()))
    ctx_.fail(caller(who, op) + ": lock " + std::to_string(id) + " does not exist on " + tile_label(tile_) + " (" +
              std::to_string(values_.size()) + " locks)");
}

void LockUnit::init(int id, int value) {
  check_id(id, tile_label(tile_) + " lock init", -1);
  if (value < 0 || value > static_cast<int>(isa::kMaxLockValue))
    ctx_.fail(tile_label(tile_) + " lock " + std::to_string(id) + " init value " + std::to_string(value) +
              " outside 0.." + std::to_string(isa::kMaxLockValue));
  if (rtl_) {
    rtl_->init(id, value);
    return;
  }
  if (values_[id] != value) {
    values_[id] = value;
    sample(id);
  }
  changed_[id]->notify(sc_core::SC_ZERO_TIME);
}

uint64_t LockUnit::acquire(int id, int value, const std::string& who, int op) {
  check_id(id, who, op);
  if (rtl_) {
    const uint64_t waited = rtl_->acquire(op >= 0 ? 0 : 1, id, value, caller(who, op));
    st_acquires_.add(1);
    st_wait_.add(static_cast<double>(waited));
    return waited;
  }
  uint64_t t0 = ctx_.now();
  while (values_[id] < value) sc_core::wait(*changed_[id]);
  uint64_t waited = ctx_.now() - t0;
  st_acquires_.add(1);
  st_wait_.add(static_cast<double>(waited));
  if (value != 0) {
    values_[id] -= value;
    sample(id);
  }
  return waited;
}

void LockUnit::release(int id, int value, const std::string& who, int op) {
  check_id(id, who, op);
  if (rtl_) {
    rtl_->release(op >= 0 ? 0 : 1, id, value, caller(who, op));
    st_releases_.add(1);
    return;
  }
  if (values_[id] + value > static_cast<int>(isa::kMaxLockValue))
    ctx_.fail(caller(who, op) + ": " + tile_label(tile_) + " lock " + std::to_string(id) + " overflow: " +
              std::to_string(values_[id]) + " + " + std::to_string(value) + " > " + std::to_string(isa::kMaxLockValue));
  st_releases_.add(1);
  if (value != 0) {
    values_[id] += value;
    sample(id);
    changed_[id]->notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace saie::hw
