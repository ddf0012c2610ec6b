// demo_pipeline_test.cpp — the main job as a user runs it, through the sparseaie driver:
// train a tiny model briefly, compile it, simulate it (and its dense baseline) and check that
// the simulated outputs equal the reference executor bit for bit and that sparsity pays.
#include <gtest/gtest.h>

#include "tests/e2e/cli_test_util.h"
#include "traces/readers.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace fs = std::filesystem;

namespace {

using saie::test::driver;
using saie::test::fresh_dir;
using saie::test::sh;
using saie::test::slurp;

[[maybe_unused]] nlohmann::json read_json(const fs::path& p) { return saie::test::read_json(p); }

}  // namespace

#ifdef SAIE_WITH_TORCH
TEST(DemoPipeline, TrainCompileSimulateIsBitExactAndSparseIsFaster) {
  ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
  fs::path d = fresh_dir("pipeline");
  const std::string bundle = (d / "bundle").string();
  ASSERT_EQ(sh(driver() + " train --model tiny --out " + bundle +
               " --dense-epochs 1 --finetune-epochs 1 --train-limit 2000 --test-limit 500 > " + (d / "train.log").string() + " 2>&1"),
            0);
  ASSERT_TRUE(fs::exists(d / "bundle" / "model.json"));
  ASSERT_TRUE(fs::exists(d / "bundle" / "weights.safetensors"));

  ASSERT_EQ(sh(driver() + " run " + bundle + " --config paper-2x2 --images 3 --eval-images 50 --vcd --outdir " +
               (d / "run").string() + " > " + (d / "run.log").string() + " 2>&1"),
            0);
  for (const char* f : {"summary.json", "config.json", "trace.json", "bandwidth.csv", "waves.vcd"})
    EXPECT_TRUE(fs::exists(d / "run" / f)) << f;

  const saie::traces::RunSummary sparse = saie::traces::read_summary((d / "run" / "summary.json").string()).run;
  const saie::traces::RunSummary dense = saie::traces::read_summary((d / "run" / "dense" / "summary.json").string()).run;
  EXPECT_EQ(sparse.compared, 3);
  EXPECT_EQ(sparse.bit_exact, 3);
  EXPECT_EQ(dense.bit_exact, 3);
  const auto sc = sparse.core_compute_cycles;
  const auto dc = dense.core_compute_cycles;
  EXPECT_GT(sc, 0u);
  EXPECT_LT(sc, dc) << "sparse program should spend fewer core compute cycles than the dense one";
  EXPECT_GT(sparse.total_cycles, 0u);
  // The int8 reference accuracy: computed on --eval-images here, else the one train recorded.
  EXPECT_NE(slurp(d / "run.log").find("(50 test images)"), std::string::npos) << slurp(d / "run.log");
  ASSERT_EQ(sh(driver() + " run " + bundle + " --config paper-2x2 --images 3 --no-dense-baseline --no-trace --outdir " +
               (d / "run2").string() + " > " + (d / "run2.log").string() + " 2>&1"),
            0);
  EXPECT_NE(slurp(d / "run2.log").find("(500 test images, recorded by train in the bundle)"), std::string::npos)
      << slurp(d / "run2.log");
  fs::remove_all(d);
}
#endif

TEST(DemoPipeline, BadInputsGiveOneLineErrorsAndNonZeroExit) {
  ASSERT_TRUE(fs::exists(driver()));
  fs::path d = fresh_dir("bad");
  fs::create_directories(d / "empty_bundle");
  EXPECT_NE(sh(driver() + " compile " + (d / "empty_bundle").string() + " --out " + (d / "o").string() + " 2> " +
               (d / "err.txt").string()),
            0);
  std::ifstream err(d / "err.txt");
  std::string line, all;
  int lines = 0;
  while (std::getline(err, line)) { ++lines; all += line; }
  EXPECT_EQ(lines, 1) << all;
  EXPECT_NE(all.find("error:"), std::string::npos) << all;

  {
    std::ofstream bad(d / "bad.bin");
    bad << "not a program";
  }
  EXPECT_NE(sh(driver() + " simulate " + (d / "bad.bin").string() + " --outdir " + (d / "s").string() + " 2>/dev/null"), 0);
  EXPECT_NE(sh(driver() + " compile --nonsense 2>/dev/null"), 0);
  EXPECT_EQ(sh(driver() + " run --help > /dev/null"), 0);
  fs::remove_all(d);
}
