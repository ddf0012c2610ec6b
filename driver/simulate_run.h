// simulate_run.h — one simulation as `simulate` and `run` make it: build the inputs, run the
// program on the array model, compare with the integer reference, write every output file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/cosim/rtl_cosim.h"
#include "hw/isa/program.h"
#include "model/ir/graph.h"
#include "traces/roofline.h"
#include "traces/summary.h"

namespace saie::driver {

struct SimulateRequest {
  std::string program_path;       // program.bin
  std::string config;             // preset or .json; "" = the config.json `compile` wrote next to program.bin
  std::string out_dir;
  std::string bundle_dir;         // optional: compare with the reference executor
  std::string dataset_dir;        // "" = the Debian package's
  uint32_t images = 16;           // test images simulated
  bool images_set = false;        // --images was given explicitly (clashes with random_inputs)
  uint32_t random_inputs = 0;     // > 0: N seeded random int8 inputs of the program's shape instead
  uint64_t seed = 1;              // seed of the random inputs
  uint32_t eval_images = 0;       // > 0: also the int8 reference's accuracy on this many test images
  bool vcd = false;               // waves.vcd + waves.gtkw
  std::vector<std::string> vcd_scopes;
  uint64_t max_cycles = 0;
  bool trace = true;              // trace.json, bandwidth.csv (and the VCD)
  uint64_t bin_cycles = 1000;     // bandwidth.csv bin width
  std::string fidelity = "lt";    // "lt" (default, fast) or "beat" (per-beat streams)
  bool timing_only = false;       // skip compute arithmetic: cycles and traces only, no outputs
  bool bank_conflicts = false;    // model core data-memory bank conflicts
  // RTL co-simulation (simulate only; docs/rtl.md)
  std::vector<std::string> rtl_blocks;  // "mac", "lock", "stream"
  std::vector<std::string> rtl_tiles;   // "C_R"; empty = every compute tile
  bool rtl_broken = false;              // the deliberately broken RTL variants
  uint32_t rtl_acc_drain = 0;           // MAC sink: cycles out_ready stays low after each accumulator
  bool rtl_compare = true;              // also run the pure model (child process) and compare
  bool write_outputs = false;           // write outputs.bin + run.json (the pure-model child of --rtl)
  std::string error_label;              // prefix of a failed simulation's error line
};

struct SimOutcome {
  int exit_code = 0;
  traces::RunSummary summary;
  double accuracy = -1;       // simulated outputs vs labels (Fashion-MNIST inputs)
  double ref_accuracy = -1;   // int8 reference on eval_images test images (or recorded by `train`)
  int64_t ref_images = 0;     // test images behind ref_accuracy
  bool ref_from_bundle = false;  // ref_accuracy read from the bundle's train_summary.json
  int bit_exact = -1, compared = 0;
  double wall_s = 0;
  std::vector<std::vector<int8_t>> outputs;  // per inference
  hw::RtlReport rtl;                         // co-simulation only
  // The floors compile wrote next to the program (same network and config), with this run's
  // cycles attached; also written as OUT/roofline.json.
  std::optional<traces::Roofline> roofline;
};

// The array config of a request: --config, else the program's own config.json.
config::ArrayConfig request_config(const SimulateRequest& r);

// Throws on flags that contradict each other (--images with --random-inputs).
void check_input_flags(const SimulateRequest& r);

// Simulates, compares with the reference (with a bundle), writes config.json, summary.json and
// (with trace) trace.json, bandwidth.csv, waves.vcd + waves.gtkw into r.out_dir. A failed run
// writes its error line to stderr and returns its exit code. One call per process (SystemC: one
// elaboration); simulate_in_child runs it in a forked child and returns the child's exit code.
SimOutcome simulate_and_write(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateRequest& r,
                              const std::optional<ir::Graph>& graph, const std::string& label);
int simulate_in_child(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateRequest& r,
                      const std::optional<ir::Graph>& graph, const std::string& label);

}  // namespace saie::driver
