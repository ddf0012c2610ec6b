// simulate.h — run a Program on the SystemC/TLM-2.0 array model (one call per process:
// SystemC allows one elaboration per process).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/cosim/rtl_cosim.h"
#include "hw/isa/program.h"
#include "hw/sim/backends.h"
#include "hw/sim/sim_context.h"
#include "traces/summary.h"
#include "traces/trace.h"

namespace saie::hw {

struct SimOptions {
  uint64_t max_cycles = 0;                 // 0 = no limit; else stop with an error past this
  Fidelity fidelity = Fidelity::Lt;        // stream timing granularity (sim_context.h)
  bool timing_only = false;                // skip the compute ops' arithmetic: same cycles, outputs not computed
  bool bank_conflicts = false;             // model core data-memory bank conflicts (hw/mem/memory.h)
  RtlOptions rtl;                          // co-simulation: Verilated RTL blocks in chosen tiles (hw/cosim)
  BackendProvider* backends = nullptr;     // your own block implementations (hw/sim/backends.h); not with rtl
  std::function<void(uint32_t done, uint32_t total)> progress;  // called after each inference
};

struct SimResult {
  std::vector<std::vector<int8_t>> outputs;  // per inference: output.h*w*c int8 (HWC, logical c)
  traces::RunSummary summary;
  RtlReport rtl;              // co-simulation: per-op cycle comparison and lock statistics
  bool ok = false;            // all inferences completed
  int exit_code = 0;          // 0 ok, 3 deadlock, 4 max-cycles exceeded, 2 program rejected
  std::string error;          // one line when !ok (deadlock report may be multi-line in summary)
};

// Validates the program against the config (resource counts, addresses in range; rejects with
// a message naming tile and resource), builds the array, runs all inferences. inputs: one
// int8 HWC tensor (input.h*w*c, logical channels) per inference.
SimResult simulate(const config::ArrayConfig& cfg, const isa::Program& prog,
                   const std::vector<std::vector<int8_t>>& inputs, const SimOptions& opt,
                   traces::TraceRecorder& rec);

}  // namespace saie::hw
