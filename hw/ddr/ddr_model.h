// ddr_model.h — off-chip DDR: one memory shared by every shim DMA channel.
//
// Timing: each port (one shim channel) is limited to ddr.read_bytes_per_cycle (reads) or
// ddr.write_bytes_per_cycle (writes), and all ports together to ddr.total_bytes_per_cycle.
// The per-BD-repetition first-byte latency (ddr.latency_cycles) is charged by the shim DMA
// channel, not here.
#pragma once

#include "hw/mem/memory.h"

namespace saie::hw {

class DdrModel : public Memory {
 public:
  DdrModel(sc_core::sc_module_name name, SimContext& ctx);

 protected:
  double occupy(int port, bool write, uint64_t bytes, double start) override;

 private:
  double total_busy_ = 0;  // cycles, shared by all ports
};

}  // namespace saie::hw
