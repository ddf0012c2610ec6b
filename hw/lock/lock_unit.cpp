// lock_unit.cpp — per-tile semaphore locks with wait statistics and value samples.
#include "hw/lock/lock_unit.h"

#include <vector>

namespace saie::hw {

namespace {

std::string caller(const std::string& who, int op) { return op >= 0 ? who + " op " + std::to_string(op) : who; }

// The model's own locks: an int per lock and an event notified when it grows.
class SemaphoreLocks : public LockBackend {
 public:
  SemaphoreLocks(isa::TileId tile, uint32_t count, SimContext& ctx)
      : tile_(tile), ctx_(ctx), prefix_(track_prefix(tile)), values_(count, 0) {
    changed_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) changed_.push_back(std::make_unique<sc_core::sc_event>());
  }
  int value(int id) const override { return values_.at(id); }
  void reset() override {
    for (size_t i = 0; i < values_.size(); ++i)
      if (values_[i] != 0) {
        values_[i] = 0;
        sample(static_cast<int>(i));
      }
  }
  void init(int id, int value) override {
    if (values_[id] != value) {
      values_[id] = value;
      sample(id);
    }
    changed_[id]->notify(sc_core::SC_ZERO_TIME);
  }
  uint64_t acquire(int /*port*/, int id, int value, const std::string& /*who*/) override {
    const uint64_t t0 = ctx_.now();
    while (values_[id] < value) sc_core::wait(*changed_[id]);
    if (value != 0) {
      values_[id] -= value;
      sample(id);
    }
    return ctx_.now() - t0;
  }
  void release(int /*port*/, int id, int value, const std::string& who) override {
    if (values_[id] + value > static_cast<int>(isa::kMaxLockValue))
      ctx_.fail(who + ": " + tile_label(tile_) + " lock " + std::to_string(id) + " overflow: " + std::to_string(values_[id]) +
                " + " + std::to_string(value) + " > " + std::to_string(isa::kMaxLockValue));
    if (value != 0) {
      values_[id] += value;
      sample(id);
      changed_[id]->notify(sc_core::SC_ZERO_TIME);
    }
  }

 private:
  void sample(int id) {
    if (ctx_.tracing()) ctx_.counter(prefix_ + ".lock." + std::to_string(id), values_[id]);
  }
  isa::TileId tile_;
  SimContext& ctx_;
  std::string prefix_;  // "array.tile_C_R"
  std::vector<int> values_;
  std::vector<std::unique_ptr<sc_core::sc_event>> changed_;  // per lock, notified on release
};

}  // namespace

LockUnit::LockUnit(isa::TileId tile, uint32_t count, SimContext& ctx)
    : tile_(tile),
      count_(count),
      ctx_(ctx),
      backend_(std::make_unique<SemaphoreLocks>(tile, count, ctx)),
      st_acquires_(ctx, track_prefix(tile) + ".lock.acquires", "count", "lock acquires on this tile"),
      st_wait_(ctx, track_prefix(tile) + ".lock.wait_cycles", "cycles", "cycles agents of this tile spent waiting for lock acquires"),
      st_releases_(ctx, track_prefix(tile) + ".lock.releases", "count", "lock releases on this tile") {}

void LockUnit::check_id(int id, const std::string& who, int op) {
  if (id < 0 || id >= static_cast<int>(count_))
    ctx_.fail(caller(who, op) + ": lock " + std::to_string(id) + " does not exist on " + tile_label(tile_) + " (" +
              std::to_string(count_) + " locks)");
}

void LockUnit::init(int id, int value) {
  check_id(id, tile_label(tile_) + " lock init", -1);
  if (value < 0 || value > static_cast<int>(isa::kMaxLockValue))
    ctx_.fail(tile_label(tile_) + " lock " + std::to_string(id) + " init value " + std::to_string(value) + " outside 0.." +
              std::to_string(isa::kMaxLockValue));
  backend_->init(id, value);
}

uint64_t LockUnit::acquire(int id, int value, const std::string& who, int op) {
  check_id(id, who, op);
  const uint64_t waited = backend_->acquire(op >= 0 ? 0 : 1, id, value, caller(who, op));
  st_acquires_.add(1);
  st_wait_.add(static_cast<double>(waited));
  return waited;
}

void LockUnit::release(int id, int value, const std::string& who, int op) {
  check_id(id, who, op);
  backend_->release(op >= 0 ? 0 : 1, id, value, caller(who, op));
  st_releases_.add(1);
}

}  // namespace saie::hw
