// rtl_compare.h — the driver side of RTL co-simulation (`simulate --rtl ...`): the options, the
// pure-model comparison run and its hand-over files, and the report files rtl_ops.csv / rtl.json
// (docs/rtl.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/cosim/rtl_cosim.h"
#include "hw/isa/program.h"
#include "traces/summary.h"

namespace saie::driver {

struct SimulateRequest;

// The co-simulation options of a request (throws std::runtime_error on a bad block or tile, or
// RTL options without --rtl).
hw::RtlOptions rtl_options_from(const SimulateRequest& r);

// outputs.bin (every inference's int8 outputs, concatenated) and run.json (cycles, wall time):
// what the pure-model child of a co-simulation hands back to its parent, and their reader.
void write_outputs_file(const std::vector<std::vector<int8_t>>& outputs, const traces::RunSummary& s, double wall_s,
                        const std::string& dir);
struct PureModelRun {
  uint64_t total_cycles = 0;
  uint32_t inferences = 0;
  double wall_s = 0;
  std::vector<int8_t> outputs;  // concatenated
};
PureModelRun read_pure_model_run(const std::string& dir);

// The same run without RTL in a child process (SystemC allows one simulation per process), into
// r.out_dir/pure_model; *code is its exit status (not kOk: it failed and printed why).
PureModelRun run_pure_model_child(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateRequest& r,
                                  int* code);

// What a co-simulated run measured against the cost table and the pure model.
struct RtlComparison {
  std::vector<std::string> blocks, tiles;  // tiles "C_R"; empty = every compute tile
  bool broken = false;
  size_t conv_ops = 0;
  uint64_t steps = 0, model_mac_cycles = 0, rtl_mac_cycles = 0;
  double fit_per_op = 0, fit_per_block = 0;  // RTL MAC cycles - MAC beats = per_op + per_block x stored blocks
  uint32_t cost_block_overhead = 0, cost_mac_pipeline = 0;
  long long calibrated_block_overhead = 0, calibrated_mac_pipeline = 0;
  uint64_t lock_requests = 0, lock_edges = 0, lock_latency = 0;
  size_t stream_ports = 0;
  uint64_t stream_beats = 0, stream_edges = 0, stream_backpressure = 0;
  bool compared = false;  // against a pure-model run
  uint32_t identical = 0, inferences = 0;
  uint64_t cycles = 0, pure_cycles = 0;
  double wall_s = 0, pure_wall_s = 0;
  bool outputs_match() const { return !compared || identical == inferences; }
};

// Writes rtl_ops.csv and rtl.json into r.out_dir and returns the comparison.
RtlComparison finish_rtl_run(const SimulateRequest& r, const config::ArrayConfig& cfg, const isa::Program& prog,
                             const traces::RunSummary& s, double wall_s, const std::vector<std::vector<int8_t>>& outputs,
                             const hw::RtlReport& rep, const std::optional<PureModelRun>& pure);
// The lines `simulate` prints about it.
std::string format_rtl_comparison(const RtlComparison& c, const std::string& out_dir);

}  // namespace saie::driver
