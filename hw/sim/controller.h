// controller.h — the host/array controller of one run: DDR image, per inference the input,
// per phase the array configuration (locks, routes, BDs), start of every task and core
// program, and the wait for all of them; finally the output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "hw/array/array_top.h"
#include "hw/sim/simulate.h"

namespace saie::hw {

class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);
  Controller(sc_core::sc_module_name name, ArrayTop& array, const isa::Program& prog,
             const std::vector<std::vector<int8_t>>& inputs, const SimOptions& opt, SimContext& ctx);

  bool finished() const { return finished_; }
  uint64_t end_cycle() const { return end_cycle_; }
  uint32_t inference() const { return inference_; }
  const std::vector<std::vector<int8_t>>& outputs() const { return outputs_; }
  const std::vector<uint64_t>& phase_cycles() const { return phase_cycles_; }
  // Every started agent that has not finished, one line each, in tile order.
  std::vector<std::string> blocked_agents() const;

 private:
  void run();
  uint32_t setup_phase(const isa::Phase& ph);  // returns the number of BDs written
  TileBase& tile(isa::TileId id, const char* what);
  void write_input(const std::vector<int8_t>& in);
  std::vector<int8_t> read_output();

  ArrayTop& array_;
  const isa::Program& prog_;
  const std::vector<std::vector<int8_t>>& inputs_;
  const SimOptions& opt_;
  SimContext& ctx_;
  bool finished_ = false;
  uint64_t end_cycle_ = 0;
  uint32_t inference_ = 0;
  std::vector<std::vector<int8_t>> outputs_;
  std::vector<uint64_t> phase_cycles_;
};

}  // namespace saie::hw
