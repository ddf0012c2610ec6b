// simulate_run_test.cpp — simulate-and-compare as a library call (no driver process): a compiled
// test network on seeded random inputs equals the reference bit for bit, and every output file is
// written and reads back through the traces readers; a bundle of another input shape is refused
// before anything is written.
#include "driver/simulate_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "driver/compile_run.h"
#include "tests/model/test_graphs.h"
#include "traces/readers.h"

namespace saie::driver {
namespace {

namespace fs = std::filesystem;

TEST(SimulateRun, ComparesWithTheReferenceAndWritesEveryFile) {
  const fs::path dir = fs::temp_directory_path() / ("saie_simulate_run_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const ir::Graph g = test::make_test_graph(11, true);
  const config::ArrayConfig cfg = config::load_config("paper-2x2");
  const compiler::CompileResult cr = compile_bundle(g, cfg, false);
  SimulateRequest r;
  r.out_dir = (dir / "sim").string();
  r.random_inputs = 2;
  r.seed = 9;
  r.vcd = true;
  const SimOutcome o = simulate_and_write(cfg, cr.program, r, g, "test");
  ASSERT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.bit_exact, 2);
  EXPECT_EQ(o.compared, 2);
  EXPECT_LT(o.accuracy, 0);  // random inputs have no labels
  ASSERT_EQ(o.outputs.size(), 2u);
  const traces::SummaryFile s = traces::read_summary(r.out_dir + "/summary.json");
  EXPECT_EQ(s.run.bit_exact, 2);
  EXPECT_EQ(s.run.total_cycles, o.summary.total_cycles);
  EXPECT_EQ(s.run.config, "paper-2x2");
  EXPECT_FALSE(traces::read_perfetto(r.out_dir + "/trace.json").slices.empty());
  EXPECT_FALSE(traces::read_bandwidth_csv(r.out_dir + "/bandwidth.csv").empty());
  EXPECT_FALSE(traces::read_vcd(r.out_dir + "/waves.vcd").vars.empty());
  EXPECT_TRUE(fs::exists(r.out_dir + "/waves.gtkw"));
  EXPECT_EQ(config::load_config(r.out_dir + "/config.json").name, "paper-2x2");

  // A bundle whose input is not the program's: refused, nothing written.
  test::TestGraphOptions other;
  other.h = other.w = 16;
  SimulateRequest r2 = r;
  r2.out_dir = (dir / "refused").string();
  EXPECT_THROW(simulate_and_write(cfg, cr.program, r2, test::make_test_graph(11, true, other), "test"), std::runtime_error);
  EXPECT_FALSE(fs::exists(r2.out_dir));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace saie::driver
