// backends.h — the blocks of a compute tile whose behaviour can be swapped: the core's compute
// ops, the tile's locks, and the stream input of each S2MM channel. The models call these
// interfaces only and never learn what is behind them: by default their own C++ (kernels, the
// semaphores, the timed FIFO ring), or whatever a BackendProvider hands out while the array is
// built — the Verilated RTL of hw/rtl through the transactors of hw/cosim (rtl_backends.h). A
// user's own block plugs in the same way (docs/rtl.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <systemc>

#include "hw/core/kernels.h"
#include "hw/isa/program.h"

namespace saie::hw {

// A tile's locks (AIE2 acquire-greater-equal semaphores). Ids and init values are checked by
// LockUnit before they get here.
class LockBackend {
 public:
  virtual ~LockBackend() = default;
  virtual int value(int id) const = 0;
  virtual void reset() = 0;                  // phase start: every lock 0
  virtual void init(int id, int value) = 0;  // no waiting
  // Blocks the calling SystemC thread until lock id >= value, then subtracts value; returns the
  // cycles waited. port: 0 for the core, 1 for the tile's DMA channels; who names the caller in
  // errors.
  virtual uint64_t acquire(int port, int id, int value, const std::string& who) = 0;
  // Adds value; going above the 6-bit maximum is a run-time fault.
  virtual void release(int port, int id, int value, const std::string& who) = 0;
};

// Where the bytes of one S2MM channel's input FIFO live between the sender's commit and the
// receiver's pop. StreamFifo keeps the flow-control accounting (capacity, reservations) itself.
class StreamPortBackend {
 public:
  virtual ~StreamPortBackend() = default;
  virtual void reset() = 0;  // phase start: empty
  // Bytes the sender committed; they reach this end at `ready` (after the hop latency).
  virtual void push(const uint8_t* src, uint32_t n, const sc_core::sc_time& ready) = 0;
  virtual uint32_t visible_bytes(const sc_core::sc_time& now) const = 0;
  // When more bytes become visible, if that is known and later than now; SC_ZERO_TIME: wait
  // for the FIFO's data_event instead (notify_on_data).
  virtual sc_core::sc_time next_visible() const = 0;
  virtual uint32_t pop(uint8_t* dst, uint32_t max, const sc_core::sc_time& now) = 0;
  // The event to notify when bytes become visible later than their push (the FIFO's data_event).
  virtual void notify_on_data(sc_core::sc_event* e) { (void)e; }
};

// The core's compute ops on its data memory: functional result and cycles (kernels.h contract).
class ComputeBackend {
 public:
  virtual ~ComputeBackend() = default;
  // op is core program op `op_index`; it starts at array cycle start_cycle (for waveforms).
  virtual KernelResult run(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, uint32_t op_index,
                           uint64_t start_cycle) = 0;
};

// Asked once per compute tile while the array is elaborated (so a backend may be an sc_module of
// that tile); nullptr keeps the model's own behaviour.
class BackendProvider {
 public:
  virtual ~BackendProvider() = default;
  virtual std::unique_ptr<ComputeBackend> compute(isa::TileId tile) = 0;
  virtual std::unique_ptr<LockBackend> locks(isa::TileId tile, uint32_t count) = 0;
  // channel_label: "tile(0,2).dma.s2mm_0"; track: its trace prefix ("array.tile_0_2").
  virtual std::unique_ptr<StreamPortBackend> stream_port(isa::TileId tile, uint32_t s2mm_channel,
                                                         const std::string& channel_label) = 0;
};

}  // namespace saie::hw
