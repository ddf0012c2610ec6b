// stream_fifo.h — the bounded input FIFO of one S2MM channel (one end of a stream connection).
//
// A route connects an MM2S channel to the FIFOs of one or more S2MM channels. The sender
// reserves space for a chunk (blocking while full = backpressure), spends the transfer time,
// then commits the bytes with the time they become visible at this end (hop latency). The
// receiver pops only bytes whose arrival time has passed, in order. The FIFO keeps the flow
// control (capacity, reservations, stored bytes, events); the bytes themselves wait in its
// StreamPortBackend (hw/sim/backends.h): a timed ring buffer by default.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <systemc>

#include "hw/isa/program.h"
#include "hw/sim/backends.h"

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

  // Receiver side. Bytes already visible at `now`; pop takes at most max of them.
  uint32_t ready_bytes(const sc_core::sc_time& now) const { return port_->visible_bytes(now); }
  // Arrival time of the oldest stored bytes (SC_ZERO_TIME if unknown or none).
  sc_core::sc_time next_ready() const { return port_->next_visible(); }
  uint32_t pop(uint8_t* dst, uint32_t max, const sc_core::sc_time& now);
  // Blocks the calling thread until more bytes may be visible (their arrival time, or data_event).
  void wait_for_data() const;
  sc_core::sc_event data_event;  // notified when bytes are committed or become visible

  // Replaces the ring by another holder of the same bytes (while elaborating).
  void set_backend(std::unique_ptr<StreamPortBackend> b);

  // Which MM2S channel feeds this FIFO in the current phase (set by the controller).
  bool connected = false;
  isa::TileId src_tile;
  uint8_t src_channel = 0;

 private:
  uint32_t capacity_;
  uint32_t stored_ = 0, reserved_ = 0;
  std::unique_ptr<StreamPortBackend> port_;
};

}  // namespace saie::hw
