// torch_commands.h — the commands that need LibTorch (train, import, zoo): their option structs and
// CLI11 registration. Both binaries register them: `sparseaie` (no LibTorch) to parse and check the
// arguments and show --help, then it hands the command line over to `sparseaie-trainer` (the only
// executable that links LibTorch, built next to it), which parses the same options and runs them
// (trainer_main.cpp). So `compile`, `simulate` and the rest never load LibTorch.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace saie::cli {

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

struct ImportArgs {
  std::string model_path;          // TorchScript .pt
  std::string out_dir;             // bundle folder
  std::string input_shape = "28,28,1";  // H,W,C
  double sparsity = 0.5;
  std::string block = "8x8";       // BOxBI
  uint32_t calib_images = 32;
  bool random_calib = false;       // random inputs even for 28x28x1 models
  uint64_t seed = 1;
  std::string dataset_dir;         // Fashion-MNIST folder (default: the Debian package's)
  uint32_t sqnr_inputs = 0;        // > 0: int8 reference vs float output SQNR over this many inputs
  int threads = 2;                 // LibTorch threads (import-zoo and the suite, running imports side by side, pass 1)
};

struct ZooArgs {
  std::string model;               // resnet50 | vgg16
  std::string out_dir;
  double sparsity = 0.5;
  uint64_t seed = 1;
  std::string block = "8x8";
  uint32_t width_div = 1;          // reduced-width variants
  uint32_t input_hw = 224;
  uint32_t calib_inputs = 0;       // 0 = analytic scales
};

// Adds the subcommands, parsing into the structs (which must outlive parsing).
void add_train_command(CLI::App& app, TrainArgs& a);
void add_import_command(CLI::App& app, ImportArgs& a);
void add_zoo_command(CLI::App& app, ZooArgs& a);

// The names of those subcommands.
inline bool is_torch_command(const std::string& name) { return name == "train" || name == "import" || name == "zoo"; }

}  // namespace saie::cli
