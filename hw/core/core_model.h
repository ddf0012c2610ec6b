// core_model.h — the AIE2 core of one compute tile: runs a CoreProgram's ops in order.
//
// Acquire/Release cost core.costs.lock_cycles each; compute ops run the int8 kernels of
// hw/core/kernels.h on the tile memory (through a DMI pointer) and then take the kernel's
// cycle count. Compute slices go to track "array.tile_C_R.core" (category "compute").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "hw/lock/lock_unit.h"
#include "hw/sim/backends.h"
#include "hw/sim/sim_context.h"

namespace saie::hw {

class CoreModel : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<CoreModel> socket;  // to the tile memory; used for DMI

  SC_HAS_PROCESS(CoreModel);
  CoreModel(sc_core::sc_module_name name, isa::TileId tile, LockUnit& locks, SimContext& ctx);
  ~CoreModel() override;

  void clear() { program_ = nullptr; }
  // Bank conflicts on: the core tells this memory which banks each compute op uses.
  void set_bank_memory(class Memory* m) { bank_mem_ = m; }
  void set_program(const isa::CoreProgram& p) { program_ = &p; }
  // Replaces the kernels by another implementation of the compute ops (while elaborating).
  void set_compute(std::unique_ptr<ComputeBackend> c) { compute_ = std::move(c); }
  bool has_program() const { return program_ != nullptr; }
  void start();
  bool busy() const { return running_; }
  std::string blocked_description() const;

 private:
  void start_of_simulation() override;
  void run();
  void run_program(const isa::CoreProgram& p);

  isa::TileId tile_;
  LockUnit& locks_;
  SimContext& ctx_;
  std::string label_, track_;
  uint8_t* mem_ = nullptr;
  uint64_t mem_size_ = 0;
  const isa::CoreProgram* program_ = nullptr;
  class Memory* bank_mem_ = nullptr;
  std::unique_ptr<ComputeBackend> compute_;  // the kernels (hw/core/kernels.h) by default
  bool pending_ = false, running_ = false;
  sc_core::sc_event start_event_;
  WaitState ws_;
  StatCounter st_lock_wait_, st_busy_, st_macs_, st_blocks_, st_ops_;
};

}  // namespace saie::hw
