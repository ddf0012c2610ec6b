// rtl_output.h — the driver side of RTL co-simulation (`simulate --rtl ...`): options, the
// pure-model comparison run and the report files rtl_ops.csv / rtl.json (docs/rtl.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "hw/config/array_config.h"
#include "hw/cosim/rtl_cosim.h"
#include "hw/isa/program.h"
#include "traces/summary.h"

namespace saie::cli {

// The co-simulation options of a simulate command (throws std::runtime_error on a bad tile).
hw::RtlOptions rtl_options_from(const SimulateArgs& a);

// outputs.bin (every inference's int8 outputs, concatenated) and run.json (cycles, wall time):
// what the pure-model child of a co-simulation hands back to its parent.
void write_outputs_file(const std::vector<std::vector<int8_t>>& outputs, const traces::RunSummary& s, double wall_s,
                        const std::string& dir);

struct PureModelRun {
  uint64_t total_cycles = 0;
  uint32_t inferences = 0;
  double wall_s = 0;
  std::vector<int8_t> outputs;  // concatenated
};
PureModelRun read_pure_model_run(const std::string& dir);

// Writes rtl_ops.csv and rtl.json into a.out_dir, prints the comparison, and returns kOk or
// kMismatch (outputs differ from the pure model's).
int finish_rtl_run(const SimulateArgs& a, const config::ArrayConfig& cfg, const isa::Program& prog,
                   const traces::RunSummary& s, double wall_s,
                   const std::vector<std::vector<int8_t>>& outputs, const hw::RtlReport& rep,
                   const std::optional<PureModelRun>& pure);

}  // namespace saie::cli
