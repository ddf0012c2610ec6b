// import_command.h — the driver's `import` (TorchScript -> bundle) and `zoo` (ImageNet model
// zoo -> bundle) subcommands: option structs, CLI11 registration and entry points.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace saie::cli {

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

// Adds the subcommands "import" / "zoo" to app, parsing into args (which must outlive parsing).
// After app.parse(): if (app.got_subcommand("import")) return cmd_import(ia); likewise "zoo".
void add_import_command(CLI::App& app, ImportArgs& args);
void add_zoo_command(CLI::App& app, ZooArgs& args);

// Return 0 on success; throw std::exception with a one-line what() on failure (main prints it).
// Without LibTorch (SAIE_WITH_TORCH off) both throw "... built without LibTorch ...".
int cmd_import(const ImportArgs& args);
int cmd_zoo(const ZooArgs& args);

}  // namespace saie::cli
