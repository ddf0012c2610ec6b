// torchvision_zoo_test.cpp — torchvision's own CNNs (traced by scripts/trace-torchvision with
// Debian's python3-torchvision, at 64x64 to keep the suite fast; cached in the build folder)
// through the driver as a user runs it: import (whose float graph must match the TorchScript
// forward), compile dense and 50% sparse for paper-4x4 and phoenix, simulate one random input,
// and equal the integer reference bit for bit.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/cli_test_util.h"

#ifdef SAIE_WITH_TORCH
namespace saie::test {
namespace {

// The traced model, made once per build folder (a .pt written under a temporary name).
fs::path traced(const std::string& model) {
  const fs::path cache = fs::path(SAIE_BINARY_DIR) / "torchvision-cache";
  fs::create_directories(cache);
  const fs::path pt = cache / (model + "_64.pt");
  if (!fs::exists(pt)) {
    const std::string cmd = std::string(SAIE_SOURCE_DIR) + "/scripts/trace-torchvision " + model + " 64 " + pt.string() +
                            " > " + (cache / (model + ".log")).string() + " 2>&1";
    EXPECT_EQ(sh(cmd), 0) << cmd << "\n" << slurp(cache / (model + ".log"));
  }
  return pt;
}

class TorchvisionZoo : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchvisionZoo, ImportsCompilesAndSimulatesBitExact) {
  const std::string model = GetParam();
  const fs::path pt = traced(model);
  ASSERT_TRUE(fs::exists(pt));
  const fs::path dir = fresh_dir("tv_" + model);
  const fs::path bundle = dir / "bundle";
  const std::string imp = driver() + " import " + pt.string() + " --out " + bundle.string() +
                          " --input-shape 64,64,3 --sparsity 0.5 --calib-images 4 --threads 1 > " + (dir / "import.log").string() +
                          " 2>&1";
  ASSERT_EQ(sh(imp), 0) << slurp(dir / "import.log");
  // The import checked its float graph against the module's own forward, and says so.
  const std::string notes = slurp(dir / "import.log");
  EXPECT_NE(notes.find("float graph vs TorchScript forward: relative error"), std::string::npos) << notes;
  for (const char* config : {"paper-4x4", "phoenix"})
    for (const char* dense : {"", " --dense"}) {
      SCOPED_TRACE(std::string(config) + dense);
      const fs::path prog = dir / (std::string(config) + (*dense ? "-dense" : "-sparse"));
      const std::string log = (prog.string() + ".log");
      ASSERT_EQ(sh(driver() + " compile " + bundle.string() + " -c " + config + " -o " + prog.string() + dense + " > " + log +
                   " 2>&1"),
                0)
          << slurp(log);
      ASSERT_EQ(sh(driver() + " simulate " + (prog / "program.bin").string() + " -o " + (prog / "sim").string() +
                   " --random-inputs 1 --bundle " + bundle.string() + " > " + log + " 2>&1"),
                0)
          << slurp(log);
      EXPECT_NE(slurp(log).find("bit-exact vs reference  : 1/1 (all equal)"), std::string::npos) << slurp(log);
    }
  fs::remove_all(dir);
}

// Grouped (ResNeXt, RegNetX), depthwise + ReLU6 (MobileNetV2), concat (SqueezeNet), concat with
// copies and pre-activation BatchNorm (DenseNet), plain residual (ResNet-18), and lookup-table
// activations with squeeze-excitation (MobileNetV3: hardswish / hardsigmoid; EfficientNet: SiLU /
// sigmoid; RegNetY: ReLU / sigmoid), channel shuffle / chunk / mean (ShuffleNetV2), and
// ceil-mode pools with vanishing activations whose biases clamp (GoogLeNet's random weights) networks.
INSTANTIATE_TEST_SUITE_P(Models, TorchvisionZoo,
                         ::testing::Values("resnet18", "resnext50_32x4d", "regnet_x_400mf", "mobilenet_v2",
                                           "squeezenet1_1", "densenet121", "mobilenet_v3_small", "efficientnet_b0",
                                           "regnet_y_400mf", "shufflenet_v2_x0_5", "googlenet"),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

}  // namespace
}  // namespace saie::test
#endif
