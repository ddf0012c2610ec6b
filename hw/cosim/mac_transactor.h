// mac_transactor.h — a core's conv ops through the Verilated int8 block-MAC (hw/rtl/block_mac.v).
//
// The transactor turns one conv op (a TLM-level "transaction" of the core model) into the RTL's
// AXI4-Stream-style beats and back:
//   source  one step per beat: for each block row, each group of 4 output pixels, each stored
//           block of the row and each kernel tap, X[4 pixels][8 cin] from the tile memory and the
//           block's W[8 cout][8 cin] for that tap; `first` on the group's first step, `last` on
//           its last. valid and the data are held until the RTL's in_ready takes them.
//   sink    takes each 4x8 int32 accumulator (out_valid / out_ready); out_ready drops for
//           RtlOptions::acc_drain_cycles cycles after each take (0 = always ready).
// Then bias, requantisation and the int8 stores happen as in the model (isa::requantize), so
// the RTL computes every MAC and the model the rest. Pixels past the end of the last group are
// fed as zeros; block rows without stored blocks issue nothing (their accumulators are the bias).
//
// Clocking: one rising edge per array clock cycle. The block only talks to its own core, so the
// transactor runs an op's cycles back to back inside the core's SystemC thread and the core then
// waits that many cycles (temporal decoupling: nothing else can observe the pins in between).
// The op takes  cost-table cycles - the cost table's MAC term + the RTL's MAC cycles  (edges from
// the first step offered to the last accumulator taken); both are reported per op.
//
// Errors (thrown as std::runtime_error, one line): the RTL stops making progress, or returns
// fewer accumulators than the op issued sequences (a dropped valid), or more.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "hw/core/kernels.h"
#include "hw/cosim/rtl_cosim.h"
#include "hw/sim/backends.h"
#include "hw/sim/sim_context.h"

namespace saie::hw {

class MacTransactor : public ComputeBackend {
 public:
  MacTransactor(isa::TileId tile, SimContext& ctx, const RtlOptions& opt, RtlReport& report);
  ~MacTransactor() override;
  MacTransactor(const MacTransactor&) = delete;
  MacTransactor& operator=(const MacTransactor&) = delete;

  // Runs the conv op (index op_index of this tile's core program) on the RTL starting at array
  // cycle start_cycle (for the waveforms), writes its int8 outputs and returns the op's cycles.
  KernelResult run_conv(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, uint32_t op_index, uint64_t start_cycle);
  // ComputeBackend: conv ops through the RTL (run_conv), the other ops through the kernels.
  KernelResult run(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, uint32_t op_index, uint64_t start_cycle) override;

  struct Dut;  // the pins of the Verilated model (defined in the .cpp)

 private:
  void record(uint32_t op_index, const RtlOpRecord& r);

  isa::TileId tile_;
  SimContext& ctx_;
  const RtlOptions& opt_;
  RtlReport& report_;
  std::unique_ptr<Dut> dut_;
  std::string track_;                                      // "array.tile_C_R.rtl_mac"
  std::map<std::pair<uint32_t, uint32_t>, size_t> index_;  // (phase, op) -> report_.ops
  StatCounter st_edges_, st_steps_, st_stall_;
};

}  // namespace saie::hw
