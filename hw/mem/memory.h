// memory.h — a byte-addressed memory as a TLM-2.0 target (tile data memory, memtile, DDR base).
//
// Every initiator binds its own port on the multi-passthrough socket; each port keeps a
// busy-until time so bandwidth is occupancy: a transfer of n bytes starting at
// start = max(now + delay, busy_until) ends n / bytes_per_cycle cycles later. Cores use DMI
// (direct pointer, no timing: their cost comes from the kernel cost table).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "hw/sim/sim_context.h"

namespace saie::hw {

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Memory> socket;

  // port_bytes_per_cycle: bandwidth of each initiator port (bytes per array cycle).
  Memory(sc_core::sc_module_name name, uint64_t size_bytes, double port_bytes_per_cycle, SimContext& ctx);

  uint8_t* data() { return data_.data(); }
  uint64_t size() const { return data_.size(); }
  // Host access without timing; throws std::out_of_range naming the memory and range.
  void write_backdoor(uint64_t addr, const uint8_t* src, uint64_t n);
  void read_backdoor(uint64_t addr, uint8_t* dst, uint64_t n) const;

 protected:
  // Occupancy of one access: returns the end time (fractional cycles) of `bytes` bytes on
  // `port` that may start at `start` (cycles). Derived memories (DDR) add shared limits.
  virtual double occupy(int port, bool write, uint64_t bytes, double start);
  double& port_busy(int port);
  SimContext& ctx_;
  double port_bytes_per_cycle_;

 private:
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  void check_range(uint64_t addr, uint64_t n) const;

  std::vector<uint8_t> data_;
  std::vector<double> busy_until_;  // per port, cycles
};

}  // namespace saie::hw
