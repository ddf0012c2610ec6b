// commands.h — the sparseaie driver's subcommands: options structs and entry points.
// main.cpp only parses arguments into these structs; each command wires library calls.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saie::cli {

// Exit codes shared by every subcommand.
enum ExitCode : int {
  kOk = 0,
  kError = 1,          // bad arguments, bad input files, compile errors
  kRejected = 2,       // program rejected by the simulator's loader
  kDeadlock = 3,       // simulation stopped making progress
  kMaxCycles = 4,      // --max-cycles exceeded
  kMismatch = 5,       // simulated outputs differ from the reference executor
  kTimingRegression = 6,  // check-timing: a metric moved beyond its tolerance (or the run does not match the golden)
};

struct TrainArgs {
  std::string out_dir;
  std::string model = "small-resnet";
  std::string dataset_dir;
  uint32_t dense_epochs = 1, finetune_epochs = 1;
  uint32_t train_limit = 0, test_limit = 0;
  double sparsity = 0.5;
  std::string block = "8x8";          // BOxBI: output x input channels per block
  std::string score = "l2";           // l2 | l1 | variance
  std::string selection = "row-balanced";  // row-balanced | global
  std::string schedule = "one-shot";  // one-shot | incremental
  std::string calib = "max";          // max | percentile
  double calib_percentile = 99.99;
  uint32_t calib_images = 512;
  bool augment = false;
  double lr = 0.1;
  double finetune_lr = 0;             // 0 = --lr
  uint32_t batch_size = 64;
  uint64_t seed = 1;
  int threads = 1;  // measured: 2 LibTorch threads are no faster for these small convs on 2 cores
  bool checkpoint = true;
  std::string checkpoint_dir;         // "" = <out>/checkpoint
  bool resume = false;
  std::string dense_from;             // dense.pt of an earlier run: skip dense training
  uint32_t stop_after_epochs = 0;     // testing: stop as if killed after N epochs
  int64_t int8_eval_images = -1;      // -1 = every loaded test image, 0 = skip
  uint32_t bench_steps = 0;           // > 0: only time dense vs masked SGD steps
};

struct CompileArgs {
  std::string bundle_dir;
  std::string config = "paper-2x2";
  std::string out_dir;
  bool dense = false;
};

struct SimulateArgs {
  std::string program_path;       // program.bin
  std::string config = "paper-2x2";
  std::string out_dir;
  std::string bundle_dir;         // optional: compare with the reference executor
  std::string dataset_dir;
  uint32_t images = 16;           // test images simulated
  bool images_set = false;        // --images was given explicitly (main.cpp sets it; clashes with random_inputs)
  uint32_t random_inputs = 0;     // > 0: simulate N seeded random int8 inputs of the program's shape instead
  uint64_t seed = 1;              // seed of the random inputs
  uint32_t eval_images = 10000;   // test images for the reference accuracy (needs bundle; 10000 = all, ~7 s)
  bool vcd = false;
  std::vector<std::string> vcd_scopes;
  uint64_t max_cycles = 0;
  bool trace = true;
  uint64_t bin_cycles = 1000;     // bandwidth.csv bin width
  std::string fidelity = "lt";    // "lt" (default, fast) or "beat" (per-beat streams)
  bool timing_only = false;       // skip compute arithmetic: cycles and traces only, no outputs
  bool bank_conflicts = false;    // model core data-memory bank conflicts
  // RTL co-simulation (simulate only; docs/rtl.md)
  std::vector<std::string> rtl_blocks;  // "mac", "lock"
  std::vector<std::string> rtl_tiles;   // "C_R"; empty = every compute tile
  bool rtl_broken = false;              // the deliberately broken RTL variants
  uint32_t rtl_acc_drain = 0;           // MAC sink: cycles out_ready stays low after each accumulator
  bool rtl_compare = true;              // also run the pure model (child process) and compare
  bool write_outputs = false;           // write outputs.bin + run.json (the pure-model child of --rtl)
  std::string error_label;              // prefix of a failed simulation's error line
};

struct RunArgs {
  CompileArgs compile;
  SimulateArgs simulate;
  bool dense_baseline = true;     // also compile+simulate the dense program (in a child process)
};

int cmd_train(const TrainArgs& a);
int cmd_compile(const CompileArgs& a);
int cmd_simulate(const SimulateArgs& a);
int cmd_run(const RunArgs& a);

}  // namespace saie::cli
