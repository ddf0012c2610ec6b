// dma_channel.h — one MM2S or S2MM DMA channel of a tile: runs a DmaTask's BD chain.
//
// Per BD repetition: acquire lock (optional) -> move the repetition's bytes with the n-D
// address pattern (MM2S: read memory through TLM, push chunks into every destination FIFO of
// its route; S2MM: pop from its own input FIFO, write memory) -> release lock (optional).
// Shim channels address DDR and add ddr.latency_cycles per repetition.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

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
  // MM2S: one more destination of this channel's route.
  void add_target(StreamFifo* fifo, uint32_t latency_cycles, const std::string& dst_label,
                  const std::string& fifo_track, double rate_limit);
  StreamFifo& fifo() { return *fifo_; }  // S2MM: the input FIFO
  const std::string& fifo_track() const { return fifo_track_; }  // S2MM: FIFO occupancy track
  void start();                           // run the task set with set_task
  bool busy() const { return running_; }  // started, not finished
  std::string blocked_description() const;
  const std::string& label() const { return label_; }  // "tile(0,1).dma.mm2s_0"
  isa::DmaDir dir() const { return dir_; }

 private:
  struct Target {
    StreamFifo* fifo;
    uint32_t latency_cycles;
    std::string label;  // "tile(0,2).dma.s2mm_0"
    std::string track;  // FIFO occupancy counter track
    double rate_limit;  // bytes/cycle the destination accepts (shim S2MM: DDR write rate)
  };

  void run();
  void run_task(const isa::DmaTask& task);
  void send(const isa::BufferDescriptor& bd, uint32_t rep);
  void receive(const isa::BufferDescriptor& bd, uint32_t rep);
  void access(bool write, const isa::BufferDescriptor& bd, int64_t addr, uint8_t* data, uint64_t len,
              sc_core::sc_time& delay);
  uint64_t delay_cycles(const sc_core::sc_time& delay) const;

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
};

}  // namespace saie::hw
