// roofline_test.cpp — the floors (compiler/estimate/roofline.h, docs/roofline.md) of the small
// test graph, each checked against a number worked out by hand from the formulas.
#include "compiler/estimate/roofline.h"

#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "tests/model/test_graphs.h"

namespace saie {
namespace {

using test::make_test_graph;

// Round rates: 2x2 array (4 compute tiles, 1024 MAC/cycle); DDR 1 B/cycle per shim MM2S (2 per
// shim: 4 B/cycle), 2 B/cycle per shim S2MM (8 B/cycle), 64 total; streams 4 B/cycle, 2 core
// S2MM channels: 32 B/cycle into the cores.
config::ArrayConfig round_cfg() {
  config::ArrayConfig c;
  c.name = "round";
  c.columns = 2;
  c.core_rows = 2;
  c.core.costs.macs_per_cycle = 256;
  c.ddr.read_bytes_per_cycle = 1.0;
  c.ddr.write_bytes_per_cycle = 2.0;
  c.ddr.total_bytes_per_cycle = 64.0;
  c.stream.bytes_per_cycle = 4.0;
  return c;
}

const traces::RooflineLayer& layer(const traces::Roofline& r, const std::string& name) {
  for (const auto& l : r.layers)
    if (l.name == name) return l;
  throw std::runtime_error("no layer " + name);
}

// make_test_graph(1, sparse): input 8x8x8; conv1 3x3 8->16 dense; pool1 2x2/2; conv2 3x3/2 16->32
// (one of 2 block columns kept per row); conv3 3x3 32->32; skip 1x1/2 16->32; add1; gap; fc 32->10.
TEST(Roofline, FloorsOfTheTestGraphMatchTheFormulasWorkedByHand) {
  const traces::Roofline r = estimate::roofline(make_test_graph(1, true), round_cfg(), false);
  EXPECT_EQ(r.rates.compute_tiles, 4u);
  EXPECT_DOUBLE_EQ(r.rates.macs_per_cycle, 1024);
  EXPECT_DOUBLE_EQ(r.rates.ddr_read_per_cycle, 4);
  EXPECT_DOUBLE_EQ(r.rates.ddr_write_per_cycle, 8);
  EXPECT_DOUBLE_EQ(r.rates.ingress_per_cycle, 32);

  // conv1: 2 stored blocks x 64 x 9 = 1152 B; 64 pixels -> 73728 MACs = 72 cycles. DDR: weights
  // + the network input 8x8x8 = 1664 B / 4 = 416. Ingress: min_c c*512 + floor(4/c)*1152 over
  // c = 1..4 = 2688 (c = 3, p = 1) / 32 = 84. Floor: DDR.
  const auto& c1 = layer(r, "conv1");
  EXPECT_EQ(c1.weight_bytes, 1152u);
  EXPECT_EQ(c1.stored_macs, 73728u);
  EXPECT_DOUBLE_EQ(c1.compute_cycles, 72);
  EXPECT_EQ(c1.ddr_read_bytes, 1664u);
  EXPECT_DOUBLE_EQ(c1.ddr_cycles, 416);
  EXPECT_EQ(c1.input_bytes, 512u);
  EXPECT_EQ(c1.ingress_bytes, 2688u);
  EXPECT_EQ(c1.split_c, 3u);
  EXPECT_EQ(c1.split_p, 1u);
  EXPECT_DOUBLE_EQ(c1.ingress_cycles, 84);
  EXPECT_DOUBLE_EQ(c1.floor_cycles, 416);
  EXPECT_EQ(c1.bound, traces::Bound::Ddr);

  // pool1: no MACs, no DDR; its whole input 8x8x16 = 1024 B enters once: 32 cycles.
  const auto& p1 = layer(r, "pool1");
  EXPECT_EQ(p1.stored_macs, 0u);
  EXPECT_EQ(p1.ingress_bytes, 1024u);
  EXPECT_DOUBLE_EQ(p1.floor_cycles, 32);
  EXPECT_EQ(p1.bound, traces::Bound::Ingress);

  // conv2: 4 block rows x 1 kept block = 4 blocks x 576 = 2304 B; 2x2 outputs: 9216 MACs = 9
  // cycles; DDR 2304 / 4 = 576; windows touch every row and column of 4x4x16 = 256 B.
  const auto& c2 = layer(r, "conv2");
  EXPECT_EQ(c2.weight_bytes, 2304u);
  EXPECT_DOUBLE_EQ(c2.compute_cycles, 9);
  EXPECT_DOUBLE_EQ(c2.ddr_cycles, 576);
  EXPECT_EQ(c2.input_bytes, 256u);
  EXPECT_EQ(c2.ingress_bytes, 3u * 256 + 2304);

  // skip: 1x1 stride 2 reads rows and columns 0 and 2 of pool1's 4x4 only: 2x2x16 = 64 B.
  EXPECT_EQ(layer(r, "skip").input_bytes, 64u);
  // add1: both 2x2x32 operands enter once: 256 B.
  EXPECT_EQ(layer(r, "add1").ingress_bytes, 256u);
  // fc (the output): writes its 10 outputs to DDR.
  EXPECT_EQ(layer(r, "fc").ddr_write_bytes, 10u);
  EXPECT_EQ(layer(r, "conv3").ddr_write_bytes, 0u);

  // The network: each term summed, the floor the largest sum.
  double compute = 0, ddr = 0, ingress = 0;
  for (const auto& l : r.layers) {
    compute += l.compute_cycles;
    ddr += l.ddr_cycles;
    ingress += l.ingress_cycles;
    EXPECT_DOUBLE_EQ(l.floor_cycles, std::max({l.compute_cycles, l.ddr_cycles, l.ingress_cycles}));
  }
  EXPECT_DOUBLE_EQ(r.ddr_cycles, ddr);
  EXPECT_DOUBLE_EQ(r.floor_cycles, std::max({compute, ddr, ingress}));
  EXPECT_EQ(r.layers.size(), 8u);  // every node with work: 4 convs, 2 pools, the add, the fc
}

TEST(Roofline, DenseCountsEveryBlockAndHalvesNothing) {
  const ir::Graph g = make_test_graph(1, true);
  const traces::Roofline sp = estimate::roofline(g, round_cfg(), false);
  const traces::Roofline de = estimate::roofline(g, round_cfg(), true);
  EXPECT_EQ(layer(de, "conv2").weight_bytes, 2 * layer(sp, "conv2").weight_bytes);  // 8 blocks, not 4
  EXPECT_EQ(layer(de, "conv1").weight_bytes, layer(sp, "conv1").weight_bytes);      // conv1 is dense anyway
  EXPECT_GT(de.compute_cycles, sp.compute_cycles);
}

TEST(Roofline, CompileReportsTheRooflineOfTheGraphItLowers) {
  config::ArrayConfig cfg = round_cfg();
  const compiler::CompileResult cr = compiler::compile(make_test_graph(2, true), cfg);
  EXPECT_EQ(cr.roofline.network, cr.program.name);
  EXPECT_EQ(cr.roofline.config, "round");
  EXPECT_FALSE(cr.roofline.dense);
  // Every phase's layer has a roofline row.
  for (const isa::Phase& p : cr.program.phases) {
    bool found = false;
    for (const auto& l : cr.roofline.layers) found = found || l.layer == p.layer;
    EXPECT_TRUE(found) << p.name;
  }
}

}  // namespace
}  // namespace saie
