// dma_channel.h — one MM2S or S2MM DMA channel of a tile: runs a DmaTask's BD chain.
//
// Per BD repetition: acquire lock (optional) -> move the repetition's bytes with the n-D
// address pattern (MM2S: read memory through TLM, push chunks into every destination FIFO of
// its route; S2MM: pop from its own input FIFO, write memory) -> release lock (optional).
// Shim channels address DDR and add ddr.latency_cycles per repetition.
//
// Fidelity::Lt adds a fast path: an S2MM channel inside a repetition whose FIFO is empty "arms"
// itself (want = bytes left in its repetition); while every destination of a route is armed, the
// sender moves min(its bytes left, every want) bytes in one transaction straight into the
// destinations' memories (deliver()), waits the computed duration once, and wakes each
// destination at the time its last byte lands. Destinations that are not armed get chunks
// through their FIFO as in Fidelity::Beat, so bytes stay in order and backpressure still acts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "hw/dma/address_gen.h"
#include "hw/lock/lock_unit.h"
#include "hw/sim/sim_context.h"
#include "hw/stream/stream_fifo.h"

namespace saie::hw {

using BdTable = std::vector<std::optional<isa::BufferDescriptor>>;

class DmaChannel : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaChannel> socket;  // to the tile memory (shim: DDR)

  SC_HAS_PROCESS(DmaChannel);
  DmaChannel(sc_core::sc_module_name name, isa::TileId tile, isa::DmaDir dir, uint8_t index, LockUnit& locks,
             const BdTable& bds, SimContext& ctx);

  // Controller interface, used between phases.
  void clear();  // no task, no route, empty FIFO
  void set_task(const isa::DmaTask& task) { task_ = task; }
  bool has_task() const { return task_.has_value(); }
  // MM2S: one more destination (an S2MM channel) of this channel's route.
  void add_target(DmaChannel* dst, uint32_t latency_cycles, double rate_limit);
  StreamFifo& fifo() { return *fifo_; }  // S2MM: the input FIFO
  const std::string& fifo_track() const { return fifo_track_; }  // S2MM: FIFO occupancy track
  void start();                           // run the task set with set_task
  bool busy() const { return running_; }  // started, not finished
  std::string blocked_description() const;
  const std::string& label() const { return label_; }  // "tile(0,1).dma.mm2s_0"
  isa::DmaDir dir() const { return dir_; }

 private:
  struct Target {
    DmaChannel* dst;    // the S2MM channel
    StreamFifo* fifo;   // its input FIFO
    uint32_t latency_cycles;
    double rate_limit;  // bytes/cycle the destination accepts (shim S2MM: DDR write rate)
  };

  void run();
  void run_task(const isa::DmaTask& task);
  void send(const isa::BufferDescriptor& bd, uint32_t rep);
  void receive(const isa::BufferDescriptor& bd, uint32_t rep);
  void access(bool write, const isa::BufferDescriptor& bd, int64_t addr, uint8_t* data, uint64_t len,
              sc_core::sc_time& delay);
  uint64_t delay_cycles(const sc_core::sc_time& delay) const;
  // MM2S: reads the next n bytes of the repetition into buf_ (padding runs are zeros);
  // returns the memory's delay in cycles from now.
  uint64_t read_chunk(const isa::BufferDescriptor& bd, AddressGen& gen, uint32_t n);
  // S2MM, called by the sender while this channel is armed: writes n bytes at the next addresses
  // of the armed repetition, the first byte landing `arrive` cycles from now and the last one
  // `flow` cycles after that. Returns the cycle (absolute) at which the bytes are in memory.
  uint64_t deliver(const uint8_t* data, uint64_t n, uint64_t arrive, uint64_t flow);
  bool armed() const { return armed_; }
  uint64_t want() const { return want_; }

  isa::TileId tile_;
  isa::DmaDir dir_;
  uint8_t index_;
  LockUnit& locks_;
  const BdTable& bds_;
  SimContext& ctx_;
  bool is_shim_;
  std::string label_, prefix_, fifo_track_;

  std::optional<isa::DmaTask> task_;
  bool pending_ = false, running_ = false;
  sc_core::sc_event start_event_, never_;
  WaitState ws_;
  std::unique_ptr<StreamFifo> fifo_;  // S2MM only
  std::vector<Target> targets_;        // MM2S only
  std::vector<uint8_t> buf_;
  tlm::tlm_generic_payload tx_;

  StatCounter st_lock_wait_, st_bytes_, st_busy_, st_reps_, st_bulk_, st_chunks_, st_stall_;

  // S2MM armed state (Fidelity::Lt): the repetition being filled directly by the sender.
  bool armed_ = false;
  uint64_t want_ = 0;             // bytes the armed repetition still needs
  uint64_t armed_flow_ = 0;       // cycles during which delivered bytes were flowing
  uint64_t armed_done_ = 0;       // absolute cycle at which the last delivered byte is in memory
  const isa::BufferDescriptor* armed_bd_ = nullptr;
  AddressGen* armed_gen_ = nullptr;
  sc_core::sc_event filled_event_;  // notified (timed) when want_ reaches 0
};

}  // namespace saie::hw
