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
};

struct TrainArgs {
  std::string out_dir;
  std::string model = "small-resnet";
  std::string dataset_dir;
  uint32_t dense_epochs = 1, finetune_epochs = 1;
  uint32_t train_limit = 0, test_limit = 0;
  double sparsity = 0.5;
  double lr = 0.1;
  uint32_t batch_size = 64;
  uint64_t seed = 1;
  int threads = 1;  // measured: 2 LibTorch threads are no faster for these small convs on 2 cores
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
  uint32_t eval_images = 10000;   // test images for the reference accuracy (needs bundle; 10000 = all, ~7 s)
  bool vcd = false;
  std::vector<std::string> vcd_scopes;
  uint64_t max_cycles = 0;
  bool trace = true;
  uint64_t bin_cycles = 1000;     // bandwidth.csv bin width
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
