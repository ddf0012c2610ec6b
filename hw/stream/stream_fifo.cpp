// stream_fifo.cpp — FIFO flow control over a ring buffer of bytes with per-chunk arrival times.
#include "hw/stream/stream_fifo.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <vector>

namespace saie::hw {

namespace {

// The model's own port: a ring buffer of capacity bytes, each committed group with the time it
// becomes visible.
class TimedRing : public StreamPortBackend {
 public:
  explicit TimedRing(uint32_t capacity) : capacity_(capacity), ring_(capacity) {}
  void reset() override {
    head_ = 0;
    stored_ = 0;
    marks_.clear();
  }
  void push(const uint8_t* src, uint32_t n, const sc_core::sc_time& ready) override {
    const uint32_t tail = (head_ + stored_) % capacity_;
    const uint32_t first = std::min(n, capacity_ - tail);  // up to the end of the ring, then wrap
    std::memcpy(&ring_[tail], src, first);
    std::memcpy(&ring_[0], src + first, n - first);
    stored_ += n;
    if (!marks_.empty() && marks_.back().ready == ready)
      marks_.back().bytes += n;
    else
      marks_.push_back({n, ready});
  }
  uint32_t visible_bytes(const sc_core::sc_time& now) const override {
    uint32_t n = 0;
    for (const auto& m : marks_) {
      if (m.ready > now) break;
      n += m.bytes;
    }
    return n;
  }
  sc_core::sc_time next_visible() const override { return marks_.empty() ? sc_core::SC_ZERO_TIME : marks_.front().ready; }
  uint32_t pop(uint8_t* dst, uint32_t max, const sc_core::sc_time& now) override {
    uint32_t n = 0;
    while (n < max && !marks_.empty() && marks_.front().ready <= now) {
      Mark& m = marks_.front();
      const uint32_t take = std::min(m.bytes, max - n);
      const uint32_t first = std::min(take, capacity_ - head_);
      std::memcpy(dst + n, &ring_[head_], first);
      std::memcpy(dst + n + first, &ring_[0], take - first);
      head_ = (head_ + take) % capacity_;
      stored_ -= take;
      n += take;
      m.bytes -= take;
      if (m.bytes == 0) marks_.pop_front();
    }
    return n;
  }

 private:
  struct Mark {
    uint32_t bytes;
    sc_core::sc_time ready;
  };
  uint32_t capacity_;
  std::vector<uint8_t> ring_;
  uint32_t head_ = 0;  // index of the oldest stored byte
  uint32_t stored_ = 0;
  std::deque<Mark> marks_;  // committed groups, oldest first
};

}  // namespace

StreamFifo::StreamFifo(uint32_t capacity_bytes)
    : capacity_(std::max<uint32_t>(capacity_bytes, 1)), port_(std::make_unique<TimedRing>(capacity_)) {}

void StreamFifo::set_backend(std::unique_ptr<StreamPortBackend> b) {
  port_ = std::move(b);
  port_->notify_on_data(&data_event);
}

void StreamFifo::reset() {
  port_->reset();
  stored_ = 0;
  reserved_ = 0;
  connected = false;
}

void StreamFifo::reserve(uint32_t n) {
  if (n > free_space()) throw std::logic_error("stream fifo: reserve beyond free space");
  reserved_ += n;
}

void StreamFifo::unreserve(uint32_t n) {
  if (n > reserved_) throw std::logic_error("stream fifo: unreserve beyond reservation");
  reserved_ -= n;
  space_event.notify(sc_core::SC_ZERO_TIME);
}

void StreamFifo::commit(const uint8_t* src, uint32_t n, const sc_core::sc_time& ready) {
  if (n > reserved_) throw std::logic_error("stream fifo: commit without reservation");
  port_->push(src, n, ready);
  reserved_ -= n;
  stored_ += n;
  data_event.notify(sc_core::SC_ZERO_TIME);
}

uint32_t StreamFifo::pop(uint8_t* dst, uint32_t max, const sc_core::sc_time& now) {
  const uint32_t n = port_->pop(dst, max, now);
  stored_ -= n;
  if (n > 0) space_event.notify(sc_core::SC_ZERO_TIME);
  return n;
}

void StreamFifo::wait_for_data() const {
  const sc_core::sc_time now = sc_core::sc_time_stamp(), next = port_->next_visible();
  if (stored_ > 0 && next > now)
    sc_core::wait(next - now);  // bytes in flight (hop latency)
  else
    sc_core::wait(data_event);  // new bytes, or a backend that makes them visible later
}

}  // namespace saie::hw
