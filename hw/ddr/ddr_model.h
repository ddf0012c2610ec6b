// ddr_model.h — off-chip DDR: one memory shared by every shim DMA channel.
//
// Timing: each port (one shim channel) is limited to ddr.read_bytes_per_cycle (reads) or
// ddr.write_bytes_per_cycle (writes), and all ports together to ddr.total_bytes_per_cycle.
// The per-BD-repetition first-byte latency (ddr.latency_cycles) is charged by the shim DMA
// channel, not here.
//
// The shared total is accounted in windows of kWindowCycles: an access takes its bytes from
// the window its start falls in and spills into later windows once a window's budget
// (total x window) is used. Accesses are annotated with loosely-timed start times that run
// ahead of simulation time by different amounts per process, so a single "bus busy until"
// time would let one process's future-dated accesses delay another's earlier ones even when
// the bus is nearly idle; budgets per window do not depend on the order of the calls.
#pragma once

#include <cstdint>
#include <map>

#include "hw/mem/memory.h"

namespace saie::hw {

class DdrModel : public Memory {
 public:
  DdrModel(sc_core::sc_module_name name, SimContext& ctx);

 protected:
  double occupy(int port, bool write, uint64_t bytes, double start) override;

 private:
  static constexpr double kWindowCycles = 64;
  std::map<uint64_t, double> window_bytes_;  // window index -> bytes taken from the shared total
};

}  // namespace saie::hw
