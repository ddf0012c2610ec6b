// estimate_test.cpp — the analytical time model (compiler/estimate): every rule on hand-built
// PhaseTraffic, the paper's worked numbers (arXiv 2407.09453 sec. 4.6), and the
// traffic the compiler emits for a small graph.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/estimate/estimate.h"
#include "hw/config/array_config.h"
#include "tests/model/test_graphs.h"

namespace saie {
namespace {

using estimate::Estimate;
using estimate::PhaseTraffic;

constexpr double kUs = 1e-6;
constexpr double kTol = 1e-9;  // seconds: hand-built rules are exact up to rounding

// Round numbers: 1 GHz; DDR reads 1 B/cycle (1 GB/s), writes 2 B/cycle; streams 4 B/cycle;
// 256 MACs/cycle. So 1000 B of LOAD = 1 us, 2000 B WRITE = 1 us, 4000 B stream = 1 us,
// 256000 ops = 1 us.
config::ArrayConfig simple_cfg() {
  config::ArrayConfig c;
  c.clock_hz = 1e9;
  c.ddr.read_bytes_per_cycle = 1.0;
  c.ddr.write_bytes_per_cycle = 2.0;
  c.stream.bytes_per_cycle = 4.0;
  c.core.costs.macs_per_cycle = 256;
  return c;
}

// A core phase with the given per-iteration stage sizes in microseconds (under simple_cfg).
PhaseTraffic core_phase(uint32_t iterations, double loadfm_us, double comp_us, double writefm_us) {
  PhaseTraffic t;
  t.name = "p";
  t.op = "conv";
  t.columns = 2;
  t.cores_per_column = 2;
  t.iterations = iterations;
  t.loadfm_bytes = static_cast<uint64_t>(loadfm_us * 4000);
  t.comp_ops = static_cast<uint64_t>(comp_us * 256000);
  t.writefm_bytes = static_cast<uint64_t>(writefm_us * 4000);
  return t;
}

estimate::PhaseEstimate only(const Estimate& e) {  // a copy: callers pass temporaries
  EXPECT_EQ(e.phases.size(), 1u);
  return e.phases.at(0);
}

TEST(EstimateRules, StageTimesAreBytesOverBandwidthAndOpsOverMacRate) {
  PhaseTraffic t = core_phase(1, 1, 1, 1);
  t.load_bytes = 3000;     // 3 us at 1 B/cycle
  t.loadw_bytes = 2000;    // 2 us
  t.loadwm_bytes = 8000;   // 2 us at 4 B/cycle
  t.write_bytes = 10000;   // 5 us at 2 B/cycle
  const auto& p = only(estimate::estimate({t}, simple_cfg()));
  EXPECT_NEAR(p.load, 3 * kUs, kTol);
  EXPECT_NEAR(p.loadw, 2 * kUs, kTol);
  EXPECT_NEAR(p.loadwm, 2 * kUs, kTol);
  EXPECT_NEAR(p.loadfm, 1 * kUs, kTol);
  EXPECT_NEAR(p.comp, 1 * kUs, kTol);
  EXPECT_NEAR(p.writefm, 1 * kUs, kTol);
  EXPECT_NEAR(p.write, 5 * kUs, kTol);
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.op, "conv");
  // max(3, 2) + 2 + (1 + 1 + 1) + 5
  EXPECT_NEAR(p.total, 13 * kUs, kTol);
}

TEST(EstimateRules, OneIterationIsSequential) {
  const auto& p = only(estimate::estimate({core_phase(1, 1, 3, 2)}, simple_cfg()));
  EXPECT_EQ(p.iterations, 1u);
  EXPECT_NEAR(p.total, 6 * kUs, kTol);  // 1 + 3 + 2, no overlap
  EXPECT_NEAR(p.comp_total, 3 * kUs, kTol);
}

TEST(EstimateRules, ZeroIterationsCountAsOne) {
  const auto& p = only(estimate::estimate({core_phase(0, 1, 3, 2)}, simple_cfg()));
  EXPECT_EQ(p.iterations, 1u);
  EXPECT_NEAR(p.total, 6 * kUs, kTol);
  EXPECT_NEAR(p.comp_total, 3 * kUs, kTol);
}

TEST(EstimateRules, BodyTakesTheMaxOfLoadfmCompWritefm) {
  // head (sequential) + (i-1) x max stage; each stage dominating in turn.
  struct Case {
    double loadfm, comp, writefm;
  };
  for (const Case& c : {Case{10, 1, 2}, Case{1, 10, 2}, Case{2, 1, 10}}) {
    const auto& p = only(estimate::estimate({core_phase(5, c.loadfm, c.comp, c.writefm)}, simple_cfg()));
    SCOPED_TRACE(testing::Message() << c.loadfm << "/" << c.comp << "/" << c.writefm);
    EXPECT_EQ(p.iterations, 5u);
    EXPECT_NEAR(p.total, (13 + 4 * 10) * kUs, kTol);
    EXPECT_NEAR(p.comp_total, 5 * c.comp * kUs, kTol);
  }
}

TEST(EstimateRules, LoadwmIsBlocking) {
  PhaseTraffic t = core_phase(4, 1, 2, 1);  // body stage 2 us
  const double without = only(estimate::estimate({t}, simple_cfg())).total;
  EXPECT_NEAR(without, (4 + 3 * 2) * kUs, kTol);
  t.loadwm_bytes = 4000;  // 1 us: smaller than the body stage, still not hidden
  const auto& p = only(estimate::estimate({t}, simple_cfg()));
  EXPECT_NEAR(p.loadwm, 1 * kUs, kTol);
  EXPECT_NEAR(p.total, without + 1 * kUs, kTol);
}

TEST(EstimateRules, LoadAndLoadwRunInParallel) {
  const std::vector<std::pair<uint64_t, uint64_t>> cases = {{3000, 5000}, {5000, 3000}, {5000, 0}, {0, 5000}};
  for (auto [load, loadw] : cases) {
    PhaseTraffic t = core_phase(1, 0, 0, 0);
    t.load_bytes = load;
    t.loadw_bytes = loadw;
    t.write_bytes = 4000;  // 2 us
    const Estimate e = estimate::estimate({t}, simple_cfg());
    EXPECT_NEAR(only(e).total, 7 * kUs, kTol) << load << " " << loadw;  // max(3, 5) + 2
    EXPECT_NEAR(e.ddr_total, 7 * kUs, kTol);
  }
}

TEST(EstimateRules, OperandBStreamsOnItsOwnChannel) {
  PhaseTraffic t = core_phase(1, 1, 1, 1);
  t.op = "add";
  t.loadfm_b_bytes = 8000;  // 2 us, in parallel with the 1 us of operand A
  EXPECT_NEAR(only(estimate::estimate({t}, simple_cfg())).loadfm, 2 * kUs, kTol);
  t.loadfm_b_bytes = 2000;  // 0.5 us: operand A dominates
  EXPECT_NEAR(only(estimate::estimate({t}, simple_cfg())).loadfm, 1 * kUs, kTol);
}

TEST(EstimateRules, MuteComputeZeroesEveryCompTerm) {
  PhaseTraffic t = core_phase(3, 1, 5, 2);
  t.load_bytes = 1000;
  const Estimate e = estimate::estimate({t}, simple_cfg(), /*mute_compute=*/true);
  const auto& p = only(e);
  EXPECT_EQ(p.comp, 0.0);
  EXPECT_EQ(p.comp_total, 0.0);
  EXPECT_EQ(e.comp_total, 0.0);
  EXPECT_NEAR(p.total, (1 + (1 + 2) + 2 * 2) * kUs, kTol);  // LOAD + head + 2 x max(LOADFM, WRITEFM)
  const Estimate full = estimate::estimate({t}, simple_cfg());
  EXPECT_NEAR(full.phases[0].total, (1 + 8 + 2 * 5) * kUs, kTol);
}

TEST(EstimateRules, CopyPhaseHasOnlyDdrTerms) {
  PhaseTraffic t = core_phase(7, 9, 9, 9);  // core fields are ignored without cores
  t.op = "copy";
  t.cores_per_column = 0;
  t.loadwm_bytes = 40000;
  t.load_bytes = 4000;   // 4 us
  t.loadw_bytes = 1000;  // 1 us
  t.write_bytes = 6000;  // 3 us
  const Estimate e = estimate::estimate({t}, simple_cfg());
  const auto& p = only(e);
  EXPECT_NEAR(p.total, 7 * kUs, kTol);
  EXPECT_EQ(p.loadwm, 0.0);
  EXPECT_EQ(p.loadfm, 0.0);
  EXPECT_EQ(p.comp, 0.0);
  EXPECT_EQ(p.writefm, 0.0);
  EXPECT_EQ(p.comp_total, 0.0);
  EXPECT_NEAR(e.ddr_total, 7 * kUs, kTol);
}

TEST(EstimateRules, TotalsSumThePhases) {
  PhaseTraffic a = core_phase(2, 1, 3, 1), b = core_phase(1, 2, 2, 2), c = core_phase(1, 0, 0, 0);
  a.load_bytes = 2000;
  b.write_bytes = 2000;
  c.cores_per_column = 0;
  c.loadw_bytes = 1000;
  c.write_bytes = 2000;
  const Estimate e = estimate::estimate({a, b, c}, simple_cfg());
  ASSERT_EQ(e.phases.size(), 3u);
  EXPECT_NEAR(e.phases[0].total, (2 + 5 + 3) * kUs, kTol);
  EXPECT_NEAR(e.phases[1].total, (6 + 1) * kUs, kTol);
  EXPECT_NEAR(e.phases[2].total, 2 * kUs, kTol);
  EXPECT_NEAR(e.total, 19 * kUs, kTol);
  EXPECT_NEAR(e.comp_total, (6 + 2) * kUs, kTol);
  EXPECT_NEAR(e.ddr_total, (2 + 1 + 2) * kUs, kTol);
  EXPECT_TRUE(estimate::estimate({}, simple_cfg()).phases.empty());
}

TEST(EstimateRules, RejectsNonPositiveRates) {
  config::ArrayConfig c = simple_cfg();
  c.stream.bytes_per_cycle = 0;
  EXPECT_THROW(estimate::estimate({core_phase(1, 1, 1, 1)}, c), std::invalid_argument);
  c = simple_cfg();
  c.clock_hz = 0;
  EXPECT_THROW(estimate::estimate({core_phase(1, 1, 1, 1)}, c), std::invalid_argument);
  c = simple_cfg();
  c.core.costs.macs_per_cycle = 0;
  EXPECT_THROW(estimate::estimate({core_phase(1, 1, 1, 1)}, c), std::invalid_argument);
}

TEST(EstimateRules, TableAndJsonCarryEveryPhase) {
  PhaseTraffic a = core_phase(3, 1, 2, 1), b = core_phase(1, 1, 1, 1);
  a.name = "layer1.conv";
  b.name = "fc";
  b.op = "fc";
  const Estimate e = estimate::estimate({a, b}, simple_cfg());
  const std::string table = estimate::format_table(e);
  EXPECT_NE(table.find("layer1.conv"), std::string::npos);
  EXPECT_NE(table.find("LOADWM"), std::string::npos);
  EXPECT_NE(table.find("WRITEFM"), std::string::npos);
  EXPECT_NE(table.find(" ms"), std::string::npos);
  EXPECT_EQ(table, estimate::format_table(e));  // deterministic

  const auto j = nlohmann::json::parse(estimate::to_json(e, "paper-2x2", true, false));
  EXPECT_EQ(j.at("config"), "paper-2x2");
  EXPECT_EQ(j.at("dense"), true);
  EXPECT_EQ(j.at("mute_compute"), false);
  ASSERT_EQ(j.at("phases").size(), 2u);
  EXPECT_EQ(j.at("phases")[0].at("name"), "layer1.conv");
  EXPECT_EQ(j.at("phases")[0].at("iterations"), 3);
  EXPECT_NEAR(j.at("phases")[0].at("comp_us").get<double>(), 2.0, 1e-9);
  EXPECT_NEAR(j.at("phases")[0].at("total_us").get<double>(), e.phases[0].total * 1e6, 1e-9);
  EXPECT_NEAR(j.at("totals").at("total_us").get<double>(), e.total * 1e6, 1e-9);
  EXPECT_NEAR(j.at("totals").at("comp_total_us").get<double>(), e.comp_total * 1e6, 1e-9);
  EXPECT_NEAR(j.at("totals").at("ddr_total_us").get<double>(), e.ddr_total * 1e6, 1e-9);
}

// ---- the paper's numbers (arXiv 2407.09453 sec. 4.6, its logged example) on the paper-4x4 preset

config::ArrayConfig paper_4x4() { return config::load_config_file(SAIE_CONFIG_DIR "/paper-4x4.json"); }

constexpr double kPaperTolUs = 0.01;

TEST(EstimatePaper, PresetRatesAreTheLoggedOnes) {
  const config::ArrayConfig c = paper_4x4();
  EXPECT_DOUBLE_EQ(c.ddr.read_bytes_per_cycle * c.clock_hz, 4294967296.0);  // "4 GB/s" = 2^32 B/s
  EXPECT_DOUBLE_EQ(c.stream.bytes_per_cycle * c.clock_hz, 4294967296.0);
  EXPECT_EQ(c.core.costs.macs_per_cycle, 256u);
  EXPECT_DOUBLE_EQ(c.clock_hz, 1e9);
}

TEST(EstimatePaper, OneByOneConvComputeTerm) {
  // 1x1 conv 64 -> 256 on 56x56 over 16 cores: COMP = MACs / (16 x 256 x 1 GHz) = 12.54 us dense,
  // 6.27 us at 50% block sparsity (half the ops).
  const uint64_t macs = 56ull * 56 * 64 * 256;
  PhaseTraffic t;
  t.name = "conv 1x1 64->256";
  t.op = "conv";
  t.columns = 4;
  t.cores_per_column = 4;
  t.iterations = 1;
  t.comp_ops = macs / 16;
  const Estimate dense = estimate::estimate({t}, paper_4x4());
  EXPECT_NEAR(dense.phases[0].comp / kUs, 12.54, kPaperTolUs);
  EXPECT_NEAR(dense.comp_total / kUs, 12.54, kPaperTolUs);
  t.comp_ops = macs / 16 / 2;
  const Estimate sparse = estimate::estimate({t}, paper_4x4());
  EXPECT_NEAR(sparse.phases[0].comp / kUs, 6.27, kPaperTolUs);
  EXPECT_NEAR(sparse.comp_total / kUs, 6.27, kPaperTolUs);
}

TEST(EstimatePaper, ResNetInputLoad) {
  // 224 x 56 x 8 B (width split over 4 memtiles, Cin padded 3 -> 8) takes 23.365 us.
  PhaseTraffic t;
  t.name = "conv1 input";
  t.op = "copy";
  t.load_bytes = 224ull * 56 * 8;
  const Estimate e = estimate::estimate({t}, paper_4x4());
  EXPECT_NEAR(e.phases[0].load / kUs, 23.365, 0.001);
  EXPECT_NEAR(e.total / kUs, 23.365, 0.001);
}

TEST(EstimatePaper, ResNetLayer1BodyBlock) {
  // ResNet50 layer1 3x3 conv on 4x4, one body block: LOADFM 8 rows x 16 x 64 = 1.907 us,
  // WRITEFM 6 rows x 16 x 64 = 1.43 us, COMP 18.43 us (= 8 x 16 x 64 outputs x 3x3x64 MACs
  // / 256 GMAC/s = 18.432 us); 8 iterations.
  PhaseTraffic t;
  t.name = "layer1.0.conv2";
  t.op = "conv";
  t.columns = 4;
  t.cores_per_column = 4;
  t.iterations = 8;
  t.loadfm_bytes = 8ull * 16 * 64;
  t.writefm_bytes = 6ull * 16 * 64;
  t.comp_ops = 8ull * 16 * 64 * 3 * 3 * 64;
  const Estimate e = estimate::estimate({t}, paper_4x4());
  const auto& p = e.phases[0];
  EXPECT_NEAR(p.loadfm / kUs, 1.907, kPaperTolUs);
  EXPECT_NEAR(p.writefm / kUs, 1.43, kPaperTolUs);
  EXPECT_NEAR(p.comp / kUs, 18.43, kPaperTolUs);
  // COMP dominates the body: head LOADFM + COMP + WRITEFM, then 7 more COMPs.
  EXPECT_NEAR(p.comp_total / kUs, 8 * 18.43, 8 * kPaperTolUs);
  EXPECT_NEAR(p.total / kUs, 8 * 18.43 + 1.907 + 1.43, 8 * kPaperTolUs);
  EXPECT_GT(p.comp_total / p.total, 0.97);
}

// ---- the compiler's traffic for a small graph ---------------------------------------------

TEST(EstimateCompile, SmallGraphOnPaper2x2) {
  const config::ArrayConfig cfg = config::load_config_file(SAIE_CONFIG_DIR "/paper-2x2.json");
  const ir::Graph g = test::make_test_graph(7, /*sparse=*/true);
  compiler::CompileOptions dense_opt;
  dense_opt.dense = true;
  const compiler::CompileResult sparse_cr = compiler::compile(g, cfg);
  const compiler::CompileResult dense_cr = compiler::compile(g, cfg, dense_opt);
  ASSERT_FALSE(sparse_cr.traffic.empty());
  ASSERT_EQ(sparse_cr.traffic.size(), dense_cr.traffic.size());

  const Estimate sparse = estimate::estimate(sparse_cr.traffic, cfg);
  const Estimate dense = estimate::estimate(dense_cr.traffic, cfg);
  for (const Estimate* e : {&sparse, &dense}) {
    ASSERT_EQ(e->phases.size(), sparse_cr.traffic.size());
    double sum = 0, comp = 0;
    for (const auto& p : e->phases) {
      EXPECT_GT(p.total, 0.0) << p.name;
      EXPECT_GE(p.total, p.comp_total) << p.name;
      sum += p.total;
      comp += p.comp_total;
    }
    EXPECT_NEAR(e->total, sum, 1e-12);
    EXPECT_NEAR(e->comp_total, comp, 1e-12);
    EXPECT_GT(e->comp_total, 0.0);
    EXPECT_LE(e->comp_total + e->ddr_total, e->total * (1 + 1e-12));
  }
  EXPECT_LT(sparse.comp_total, dense.comp_total);

  const Estimate muted = estimate::estimate(sparse_cr.traffic, cfg, /*mute_compute=*/true);
  EXPECT_EQ(muted.comp_total, 0.0);
  EXPECT_LT(muted.total, sparse.total);
}

}  // namespace
}  // namespace saie
