// fuse_lut_test.cpp — the fuse-lut and mul-conv passes: tables fold into their conv / fc, a Mul
// becomes a gate conv, and the reference outputs do not move.
#include "compiler/passes/passes.h"

#include <gtest/gtest.h>

#include "model/reference/reference_executor.h"
#include "tests/model/grouped_graphs.h"

namespace saie::passes {
namespace {

int find(const ir::Graph& g, const std::string& name) { return test::node_index(g, name); }

TEST(FuseLutTest, TablesMoveIntoTheirConvs) {
  ir::Graph g = test::make_se_graph(2, true);
  const ir::Graph before = g;
  fuse_lut(g);
  EXPECT_EQ(g.nodes.size(), before.nodes.size() - 2);
  EXPECT_EQ(find(g, "act1"), -1);
  EXPECT_EQ(find(g, "se_gate"), -1);
  const ir::Node& c = g.nodes[static_cast<size_t>(find(g, "conv1"))];
  EXPECT_TRUE(ir::has_fused_lut(c));
  EXPECT_EQ(c.lut, before.nodes[static_cast<size_t>(find(before, "act1"))].lut);
  EXPECT_EQ(c.act, "hardswish");
  EXPECT_EQ(c.lut_in_scale, before.nodes[static_cast<size_t>(find(before, "conv1"))].out_scale);
  EXPECT_EQ(c.out_scale, before.nodes[static_cast<size_t>(find(before, "act1"))].out_scale);
  EXPECT_EQ(g.nodes[static_cast<size_t>(find(g, "dw"))].inputs, std::vector<int>{find(g, "conv1")});
  EXPECT_EQ(g.nodes[static_cast<size_t>(find(g, "se_mul"))].inputs,
            (std::vector<int>{find(g, "dw"), find(g, "se_fc2")}));
  EXPECT_NO_THROW(g.validate());
  // A conv whose output also feeds another node keeps its table separate.
  ir::Graph h = test::make_se_graph(2, true);
  h.nodes[static_cast<size_t>(find(h, "dw"))].inputs = {find(h, "conv1")};
  fuse_lut(h);
  EXPECT_GE(find(h, "act1"), 0);
  EXPECT_FALSE(ir::has_fused_lut(h.nodes[static_cast<size_t>(find(h, "conv1"))]));
}

TEST(FuseLutTest, MulBecomesAGateConvAndOutputsStayExact) {
  for (bool sparse : {false, true}) {
    ir::Graph g = test::make_se_graph(4, sparse, "silu", "sigmoid");
    const auto in = test::make_test_input(g, 3, -127, 127);
    const auto want = reference::run(g, in);
    run_default_passes(g);
    const int m = find(g, "se_mul");
    ASSERT_GE(m, 0);
    const ir::Node& n = g.nodes[static_cast<size_t>(m)];
    EXPECT_TRUE(ir::is_gate_conv(n));
    EXPECT_EQ(n.groups, 16u);
    EXPECT_EQ(n.inputs, (std::vector<int>{find(g, "dw"), find(g, "se_fc2")}));
    EXPECT_EQ(n.weight_scales.at(0), g.nodes[static_cast<size_t>(find(g, "se_fc2"))].out_scale);
    EXPECT_EQ(reference::run(g, in), want);
  }
}

}  // namespace
}  // namespace saie::passes
