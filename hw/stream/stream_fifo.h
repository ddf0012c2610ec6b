// stream_fifo.h — the bounded input FIFO of one S2MM channel (one end of a stream connection).
//
// A route connects an MM2S channel to the FIFOs of one or more S2MM channels. The sender
// reserves space for a chunk (blocking while full = backpressure), spends the transfer time,
// then commits the bytes with the time they become visible at this end (hop latency). The
// receiver pops only bytes whose arrival time has passed, in order.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <systemc>

#include "hw/isa/program.h"

namespace saie::hw {

class StreamFifo {
 public:
  explicit StreamFifo(uint32_t capacity_bytes);

  uint32_t capacity() const { return capacity_; }
  uint32_t stored() const { return stored_; }
  uint32_t reserved() const { return reserved_; }  // space a sender holds for a chunk in flight
  uint32_t free_space() const { return capacity_ - stored_ - reserved_; }
  // Phase start: drops all content and reservations, disconnects.
  void reset();

  // Sender side.
  void reserve(uint32_t n);  // n <= free_space()
  void unreserve(uint32_t n);  // gives reserved space back (the bytes went around the FIFO)
  void commit(const uint8_t* src, uint32_t n, const sc_core::sc_time& ready);
  sc_core::sc_event space_event;  // notified when bytes are popped

  // Receiver side. Bytes already visible at `now`; earliest time more bytes become visible
  // (SC_ZERO_TIME if nothing is stored).
  uint32_t ready_bytes(const sc_core::sc_time& now) const;
  sc_core::sc_time next_ready() const;
  uint32_t pop(uint8_t* dst, uint32_t max, const sc_core::sc_time& now);
  sc_core::sc_event data_event;  // notified when bytes are committed

  // Co-simulation (--rtl stream, fidelity beat): the committed bytes travel through this
  // Verilated stream port; ready_bytes / next_ready / pop then read its output. The accounting
  // above (stored, reserved, free space) stays the model's.
  void attach_rtl(class StreamPortTransactor* rtl);
  bool has_rtl() const { return rtl_ != nullptr; }

  // Which MM2S channel feeds this FIFO in the current phase (set by the controller).
  bool connected = false;
  isa::TileId src_tile;
  uint8_t src_channel = 0;

 private:
  struct Mark {
    uint32_t bytes;
    sc_core::sc_time ready;
  };
  uint32_t capacity_;
  std::vector<uint8_t> ring_;
  uint32_t head_ = 0;  // index of the oldest stored byte
  uint32_t stored_ = 0, reserved_ = 0;
  std::deque<Mark> marks_;  // committed groups, oldest first
  class StreamPortTransactor* rtl_ = nullptr;
};

}  // namespace saie::hw
