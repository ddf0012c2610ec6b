// rtl_cosim_cli_test.cpp — `sparseaie simulate --rtl mac,lock --rtl-tiles ...` as a user runs it:
// a compiled network co-simulated with the Verilated RTL in two tiles equals the pure model and
// the reference bit for bit, writes rtl_ops.csv / rtl.json (cycle comparison, calibration fit,
// speed) and RTL waveforms in the same VCD (parsed strictly); bad options are one error line;
// the broken RTL is caught with a non-zero exit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "model/bundle/bundle_io.h"
#include "tests/model/test_graphs.h"
#include "tests/e2e/cli_test_util.h"
#include "traces/readers.h"

namespace fs = std::filesystem;

namespace {

using saie::test::driver;
using saie::test::fresh_dir;
using saie::test::read_json;
using saie::test::sh;
using saie::test::slurp;

using saie::test::count_lines;

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string x; std::getline(ss, x, sep);) f.push_back(x);
  return f;
}

class RtlCosimCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
    d_ = fresh_dir("rtl_cosim_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    bundle_ = (d_ / "bundle").string();
    prog_ = (d_ / "prog").string();
    ASSERT_EQ(saie::test::write_and_compile_mnist_net(d_, 41, "paper-2x2"), 0) << slurp(d_ / "compile.log");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(d_);
  }
  int simulate(const std::string& name, const std::string& extra) {
    const std::string out = (d_ / name).string();
    return sh(driver() + " simulate " + prog_ + "/program.bin -c paper-2x2 --bundle " + bundle_ + " --random-inputs 2 --seed 3 -o " +
              out + " " + extra + " > " + out + ".log 2> " + out + ".err");
  }
  fs::path d_;
  std::string bundle_, prog_;
};

TEST_F(RtlCosimCli, TwoRtlTilesBitExactWithCycleReportAndWaves) {
  ASSERT_EQ(simulate("sim", "--rtl mac,lock --rtl-tiles 0_2,1_3 --vcd"), 0) << slurp(d_ / "sim.err");
  const std::string log = slurp(d_ / "sim.log");
  EXPECT_NE(log.find("bit-exact vs reference  : 2/2"), std::string::npos) << log;
  EXPECT_NE(log.find("outputs identical 2/2 (bit-exact)"), std::string::npos) << log;
  EXPECT_NE(log.find("co-simulation speed"), std::string::npos) << log;
  EXPECT_NE(log.find("rtl calibration"), std::string::npos) << log;

  // rtl_ops.csv: conv ops of the two tiles only; the RTL takes steps + 2 cycles (latency 2).
  std::ifstream csv(d_ / "sim" / "rtl_ops.csv");
  std::string header;
  ASSERT_TRUE(std::getline(csv, header));
  const std::vector<std::string> cols = split(header, ',');
  auto col = [&](const std::string& name) {
    for (size_t i = 0; i < cols.size(); ++i)
      if (cols[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  int rows = 0;
  for (std::string line; std::getline(csv, line);) {
    const auto f = split(line, ',');
    ASSERT_EQ(f.size(), cols.size()) << line;
    ++rows;
    EXPECT_TRUE(f[col("tile")] == "0_2" || f[col("tile")] == "1_3") << line;
    EXPECT_EQ(std::stoull(f[col("rtl_mac_cycles")]), std::stoull(f[col("steps")]) + 2) << line;
    EXPECT_EQ(std::stoll(f[col("diff_cycles")]),
              static_cast<long long>(std::stoull(f[col("rtl_op_cycles")])) - static_cast<long long>(std::stoull(f[col("model_cycles")])));
    EXPECT_EQ(f[col("executions")], "2");
  }
  EXPECT_GT(rows, 4);

  const auto j = read_json(d_ / "sim" / "rtl.json");
  EXPECT_EQ(j.at("blocks"), nlohmann::json({"mac", "lock"}));
  EXPECT_EQ(j.at("tiles"), nlohmann::json({"0_2", "1_3"}));
  EXPECT_EQ(j.at("vs_pure_model").at("outputs_identical").get<int>(), 2);
  EXPECT_NEAR(j.at("vs_pure_model").at("cycle_diff_pct").get<double>(), 0.0, 5.0);
  EXPECT_GT(j.at("vs_pure_model").at("cosim_cycles_per_s").get<double>(), 0.0);
  EXPECT_NEAR(j.at("mac").at("fit_per_op_cycles").get<double>(), 2.0, 1e-6) << "the RTL's pipeline latency";
  EXPECT_NEAR(j.at("mac").at("fit_per_block_cycles").get<double>(), 0.0, 1e-6);
  const auto cfg = read_json(d_ / "sim" / "config.json");
  const auto& cal = j.at("mac").at("calibrated_costs");
  EXPECT_EQ(cal.at("core.costs.block_overhead_cycles").get<int>(), 0);
  EXPECT_EQ(cal.at("core.costs.mac_pipeline_cycles").get<int>(), 2);
  EXPECT_EQ(cfg.at("core").at("costs").at("mac_pipeline_cycles").get<int>(), 0) << "paper-2x2 charges no pipeline fill";
  ASSERT_EQ(j.at("locks").size(), 2u);
  EXPECT_GT(j.at("locks")[0].at("requests").get<uint64_t>(), 0u);
  EXPECT_TRUE(fs::exists(d_ / "sim" / "pure_model" / "summary.json"));

  // The RTL pins are in the model's VCD: 1-bit wires under the tile's scope, on the same time axis.
  const auto vcd = saie::traces::parse_vcd(slurp(d_ / "sim" / "waves.vcd"));
  const std::string mac = "array.tile_0_2.rtl_mac.";
  ASSERT_TRUE(vcd.vars.count(mac + "in_valid")) << "no RTL MAC signals in waves.vcd";
  EXPECT_EQ(vcd.vars.at(mac + "in_valid").type, "wire");
  EXPECT_EQ(vcd.vars.at(mac + "in_valid").width, 1);
  EXPECT_EQ(vcd.vars.at(mac + "block_row").type, "integer");
  EXPECT_TRUE(vcd.vars.count("array.tile_1_3.rtl_lock.port0.ready"));
  EXPECT_FALSE(vcd.vars.count("array.tile_1_2.rtl_mac.in_valid")) << "tile 1_2 is not an RTL tile";
  // Every rise of in_valid lies inside a busy span of the same tile's core.
  const auto busy = vcd.history("array.tile_0_2.core.busy");
  const auto valid = vcd.history(mac + "in_valid");
  ASSERT_FALSE(valid.empty());
  for (const auto& [t, v] : valid) {
    if (v != "1") continue;
    std::string state = "0";
    for (const auto& [bt, bv] : busy)
      if (bt <= t) state = bv;
    EXPECT_EQ(state, "1") << "in_valid rises at " << t << " while the core is not busy";
  }
}

TEST_F(RtlCosimCli, BadOptionsAreOneErrorLine) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"--rtl mac --rtl-tiles 9_9", "not a compute tile"},
      {"--rtl mac --rtl-tiles 0_1", "not a compute tile"},
      {"--rtl mac --rtl-tiles x2", "is not a tile COL_ROW"},
      {"--rtl-tiles 0_2", "need --rtl"},
      {"--rtl mac --timing-only", "--timing-only"},
      {"--rtl stream", "--fidelity beat"},
  };
  int k = 0;
  for (const auto& [args, want] : bad) {
    const std::string name = "bad" + std::to_string(k++);
    EXPECT_EQ(simulate(name, args), 1) << args;
    const std::string err = slurp(d_ / (name + ".err"));
    EXPECT_EQ(count_lines(err), 1) << args << ": " << err;
    EXPECT_NE(err.find(want), std::string::npos) << args << ": " << err;
    EXPECT_FALSE(fs::exists(d_ / name / "summary.json")) << "a refused run writes nothing";
  }
  EXPECT_NE(simulate("bad_block", "--rtl dsp"), 0);
}

TEST_F(RtlCosimCli, BrokenRtlIsCaught) {
  EXPECT_EQ(simulate("mac", "--no-trace --rtl mac --rtl-broken --rtl-acc-drain 24"), 2);
  EXPECT_NE(slurp(d_ / "mac.err").find("dropped valid"), std::string::npos) << slurp(d_ / "mac.err");
  EXPECT_EQ(simulate("lock", "--no-trace --rtl lock --rtl-tiles 0_2 --rtl-broken --no-rtl-compare"), 2);
  EXPECT_NE(slurp(d_ / "lock.err").find("withholds"), std::string::npos) << slurp(d_ / "lock.err");
}

}  // namespace
