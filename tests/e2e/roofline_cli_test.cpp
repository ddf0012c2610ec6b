// roofline_cli_test.cpp — the roofline as a user meets it: `compile` writes roofline.json next to
// program.bin, `simulate` copies it into its output folder with the simulated cycles per layer,
// `estimate --roofline` prints the floors next to a timing-only simulation, and `report` draws it.
#include <gtest/gtest.h>

#include "tests/e2e/cli_test_util.h"
#include "traces/readers.h"

namespace saie::test {
namespace {

TEST(RooflineCli, CompileSimulateEstimateAndReportCarryTheFloors) {
  const fs::path d = fresh_dir("roofline");
  ASSERT_EQ(write_and_compile_mnist_net(d, 3, "paper-2x2"), 0) << slurp(d / "compile.log");
  EXPECT_NE(slurp(d / "compile.log").find("roofline floor          : "), std::string::npos) << slurp(d / "compile.log");
  const traces::Roofline compiled = traces::read_roofline((d / "prog/roofline.json").string());
  EXPECT_EQ(compiled.config, "paper-2x2");
  EXPECT_FALSE(compiled.dense);
  EXPECT_GT(compiled.floor_cycles, 0);
  EXPECT_EQ(compiled.simulated_cycles, -1);

  // simulate: OUT/roofline.json = the compiled floors + this run's cycles per layer.
  ASSERT_EQ(sh(driver() + " simulate " + (d / "prog/program.bin").string() + " -o " + (d / "sim").string() +
               " --random-inputs 2 --no-trace > " + (d / "sim.log").string() + " 2>&1"),
            0)
      << slurp(d / "sim.log");
  EXPECT_NE(slurp(d / "sim.log").find("roofline floor          : "), std::string::npos) << slurp(d / "sim.log");
  const traces::Roofline run = traces::read_roofline((d / "sim/roofline.json").string());
  const traces::SummaryFile s = traces::read_summary((d / "sim/summary.json").string());
  EXPECT_EQ(run.simulated_cycles, static_cast<int64_t>(s.run.cycles_per_inference));
  EXPECT_DOUBLE_EQ(run.floor_cycles, compiled.floor_cycles);
  int64_t layers = 0;
  for (const traces::RooflineLayer& l : run.layers) {
    EXPECT_GE(l.simulated_cycles, 0) << l.name;
    // No schedule beats its floor (the floors are lower bounds of the simulated machine).
    EXPECT_GE(double(l.simulated_cycles), l.floor_cycles) << l.name;
    layers += l.simulated_cycles;
  }
  EXPECT_LE(layers, run.simulated_cycles);
  EXPECT_GE(double(run.simulated_cycles), run.floor_cycles);

  // estimate --roofline: the same floors and the same cycles, as a table and as JSON.
  ASSERT_EQ(sh(driver() + " estimate " + (d / "bundle").string() + " -c paper-2x2 --roofline --json " +
               (d / "est.json").string() + " > " + (d / "est.log").string() + " 2>&1"),
            0)
      << slurp(d / "est.log");
  const std::string est = slurp(d / "est.log");
  EXPECT_NE(est.find("network floor           : "), std::string::npos) << est;
  EXPECT_NE(est.find("x the floor"), std::string::npos) << est;
  const traces::Roofline ej = traces::read_roofline((d / "est.json").string());
  EXPECT_EQ(ej.simulated_cycles, run.simulated_cycles);  // timing-only cycles = full-run cycles
  EXPECT_DOUBLE_EQ(ej.floor_cycles, run.floor_cycles);
  ASSERT_EQ(sh(driver() + " estimate " + (d / "bundle").string() + " -c paper-2x2 --roofline --floors-only > " +
               (d / "floors.log").string() + " 2>&1"),
            0);
  EXPECT_EQ(slurp(d / "floors.log").find("simulated"), std::string::npos) << slurp(d / "floors.log");
  EXPECT_NE(sh(driver() + " estimate " + (d / "bundle").string() + " -c paper-2x2 --floors-only > /dev/null 2>&1"), 0);

  // report: the roofline section.
  ASSERT_EQ(sh(driver() + " report " + (d / "sim").string() + " > /dev/null 2>&1"), 0);
  EXPECT_NE(slurp(d / "sim/report.html").find("<section id=\"roofline\">"), std::string::npos);
  fs::remove_all(d);
}

}  // namespace
}  // namespace saie::test
