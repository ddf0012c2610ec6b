// memory.h — a byte-addressed memory as a TLM-2.0 target (tile data memory, memtile, DDR base).
//
// Every initiator binds its own port on the multi-passthrough socket; each port keeps a
// busy-until time so bandwidth is occupancy: a transfer of n bytes starting at
// start = max(now + delay, busy_until) ends n / bytes_per_cycle cycles later. Cores use DMI
// (direct pointer, no timing: their cost comes from the kernel cost table).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "hw/sim/sim_context.h"

namespace saie::hw {

// AM020 "AIE-ML Tile Architecture": the 64 KB data memory has 8 physical banks. The bank
// conflict model (SimOptions::bank_conflicts) splits a compute tile's memory into this many
// equal contiguous banks (the hardware interleaves; we do not model the interleaving).
inline constexpr uint32_t kCoreMemoryBanks = 8;

// Zero-initialised bytes from calloc: large blocks come straight from the OS as zero pages, so
// an untouched part of a big memory (DDR) costs neither a memset nor page faults.
class ZeroBuffer {
 public:
  explicit ZeroBuffer(uint64_t n) : p_(static_cast<uint8_t*>(std::calloc(n ? n : 1, 1))), n_(n) {
    if (!p_) throw std::bad_alloc();
  }
  ~ZeroBuffer() { std::free(p_); }
  ZeroBuffer(const ZeroBuffer&) = delete;
  ZeroBuffer& operator=(const ZeroBuffer&) = delete;
  uint8_t* data() { return p_; }
  const uint8_t* data() const { return p_; }
  uint64_t size() const { return n_; }
  bool empty() const { return n_ == 0; }

 private:
  uint8_t* p_;
  uint64_t n_;
};

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Memory> socket;

  // port_bytes_per_cycle: bandwidth of each initiator port (bytes per array cycle).
  Memory(sc_core::sc_module_name name, uint64_t size_bytes, double port_bytes_per_cycle, SimContext& ctx);

  uint8_t* data() { return data_.data(); }

  // Bank conflicts (compute-tile data memory, SimOptions::bank_conflicts). The memory is split
  // into `banks` equal contiguous banks; set_core_use() says which banks the core's running
  // compute op uses (bit b = bank b) from cycle `begin` to `end`. A DMA access overlapping that
  // time pays its bytes in those banks twice (the core has priority; the DMA gets every other
  // cycle), in proportion to the overlap. Off (banks 0) by default.
  void enable_banks(uint32_t banks);
  uint64_t bank_mask(uint64_t addr, uint64_t n) const;  // banks touched by [addr, addr + n)
  void set_core_use(uint64_t mask, double begin, double end) {
    core_mask_ = mask;
    core_begin_ = begin;
    core_end_ = end;
  }
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

  ZeroBuffer data_;
  std::vector<double> busy_until_;  // per port, cycles
  uint32_t banks_ = 0;
  uint64_t bank_bytes_ = 0;
  uint64_t core_mask_ = 0;
  double core_begin_ = 0, core_end_ = 0;
  std::unique_ptr<StatCounter> st_conflict_;
};

}  // namespace saie::hw
