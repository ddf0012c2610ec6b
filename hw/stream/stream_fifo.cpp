// stream_fifo.cpp — ring-buffer FIFO with per-chunk arrival times.
#include "hw/stream/stream_fifo.h"

#include "hw/cosim/stream_transactor.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace saie::hw {

StreamFifo::StreamFifo(uint32_t capacity_bytes) : capacity_(std::max<uint32_t>(capacity_bytes, 1)), ring_(capacity_) {}

void StreamFifo::attach_rtl(StreamPortTransactor* rtl) {
  rtl_ = rtl;
  rtl_->data_event = &data_event;
}

void StreamFifo::reset() {
  if (rtl_) rtl_->reset();
  head_ = 0;
  stored_ = 0;
  reserved_ = 0;
  marks_.clear();
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
  if (rtl_) {
    rtl_->push(src, n, ready);
    reserved_ -= n;
    stored_ += n;
    data_event.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  const uint32_t tail = (head_ + stored_) % capacity_;
  const uint32_t first = std::min(n, capacity_ - tail);  // up to the end of the ring, then wrap
  std::memcpy(&ring_[tail], src, first);
  std::memcpy(&ring_[0], src + first, n - first);
  reserved_ -= n;
  stored_ += n;
  if (!marks_.empty() && marks_.back().ready == ready)
    marks_.back().bytes += n;
  else
    marks_.push_back({n, ready});
  data_event.notify(sc_core::SC_ZERO_TIME);
}

uint32_t StreamFifo::ready_bytes(const sc_core::sc_time& now) const {
  if (rtl_) return rtl_->visible_bytes();
  uint32_t n = 0;
  for (const auto& m : marks_) {
    if (m.ready > now) break;
    n += m.bytes;
  }
  return n;
}

sc_core::sc_time StreamFifo::next_ready() const {
  return marks_.empty() ? sc_core::SC_ZERO_TIME : marks_.front().ready;
}

uint32_t StreamFifo::pop(uint8_t* dst, uint32_t max, const sc_core::sc_time& now) {
  if (rtl_) {
    const uint32_t k = rtl_->pop(dst, max);
    stored_ -= k;
    if (k > 0) space_event.notify(sc_core::SC_ZERO_TIME);
    return k;
  }
  uint32_t n = 0;
  while (n < max && !marks_.empty() && marks_.front().ready <= now) {
    Mark& m = marks_.front();
    uint32_t take = std::min(m.bytes, max - n);
    const uint32_t first = std::min(take, capacity_ - head_);
    std::memcpy(dst + n, &ring_[head_], first);
    std::memcpy(dst + n + first, &ring_[0], take - first);
    head_ = (head_ + take) % capacity_;
    stored_ -= take;
    n += take;
    m.bytes -= take;
    if (m.bytes == 0) marks_.pop_front();
  }
  if (n > 0) space_event.notify(sc_core::SC_ZERO_TIME);
  return n;
}

}  // namespace saie::hw
