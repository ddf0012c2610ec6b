// calibration_test.cpp — the device presets reproduce the published measurements they cite
// (docs/calibration.md), within the rounding their integer fields allow.
#include <gtest/gtest.h>

#include <string>

#include "hw/config/array_config.h"
#include "hw/isa/op_costs.h"

namespace saie::config {
namespace {

ArrayConfig preset(const std::string& name) { return load_config_file(std::string(SAIE_CONFIG_DIR) + "/" + name + ".json"); }

TEST(Calibration, OneCoreMatmulRunsAtTheMeasuredShareOfPeak) {
  // Measured: a 64x64x64 int16 matmul on one AIE2 core, about 2535 cycles against 2048 ideal
  // (Xilinx/mlir-aie programming guide, section 4c). Modelled: the same shape as an int8 block
  // conv (8x8 output pixels, 64 input and 64 output channels, all 64 blocks stored).
  const double measured = 2048.0 / 2535.0;
  for (const char* name : {"phoenix", "ve2802"}) {
    const ArrayConfig c = preset(name);
    ASSERT_EQ(c.core.costs.macs_per_cycle, 256u) << name;
    const uint64_t cycles = isa::conv_cycles(8, 8, 64, 1, 1, 64, c.core.costs);
    const double modelled = 64.0 * 64 * 64 / 256.0 / static_cast<double>(cycles);
    EXPECT_NEAR(modelled / measured, 1.0, 0.03) << name << ": " << cycles << " cycles";
  }
  // The paper presets keep the paper's assumptions (4 cycles a block): 71% of peak, not calibrated.
  const ArrayConfig paper = preset("paper-4x4");
  EXPECT_EQ(paper.core.costs.block_overhead_cycles, 4u);
}

TEST(Calibration, ControlWritesCostWhatPhoenixMeasured) {
  // Measured on Phoenix: write32 about 100.5 cycles, a blockwrite of 8 words 203.
  for (const char* name : {"phoenix", "strix", "ve2802"}) {
    const ControlConfig& c = preset(name).control;
    EXPECT_NEAR(c.write32_cycles / 100.5, 1.0, 0.01) << name;
    EXPECT_NEAR(static_cast<double>(c.blockwrite_cycles(8)) / 203.0, 1.0, 0.02) << name;
    EXPECT_EQ(c.phase_setup_cycles, 0u) << name;  // the flat assumption is replaced, not added to
    EXPECT_EQ(c.bd_setup_cycles, 0u) << name;
  }
  for (const char* name : {"paper-2x2", "paper-4x4", "paper-8x8"}) {
    const ControlConfig& c = preset(name).control;
    EXPECT_EQ(c.write32_cycles + c.blockwrite_base_cycles + c.blockwrite_cycles_per_word, 0u) << name;
  }
}

TEST(Calibration, EveryKeyOfEveryPresetNamesItsSource) {
  for (const char* name : {"paper-2x2", "paper-3x3", "paper-4x4", "paper-5x5", "paper-6x6", "paper-7x7", "paper-8x8",
                           "phoenix", "strix", "ve2802"}) {
    const ArrayConfig c = preset(name);
    for (const std::string& key : config_keys()) {
      bool covered = c.sources.count(key) > 0;
      // A section's source covers its keys ("core.dma" for "core.dma.bds").
      for (std::string k = key; !covered && k.find('.') != std::string::npos;) {
        k = k.substr(0, k.rfind('.'));
        covered = c.sources.count(k) > 0;
      }
      EXPECT_TRUE(covered) << name << ": " << key << " has no source";
    }
  }
}

}  // namespace
}  // namespace saie::config
