// fuse_add_test.cpp — the fuse-add pass: which conv takes which add, what it carries, that the
// reference executor gives the same outputs on the fused graph, and the cases it leaves alone.
#include "compiler/passes/passes.h"

#include <gtest/gtest.h>

#include "model/bundle/bundle_io.h"
#include "model/reference/reference_executor.h"
#include "tests/model/test_graphs.h"

namespace saie::passes {
namespace {

int find(const ir::Graph& g, const std::string& name) { return test::node_index(g, name); }

// make_test_graph: add1 = conv3 + skip, skip after conv3: the add goes into skip (its residual,
// conv3, comes earlier), with the add's ReLU, scale and consumers.
TEST(FuseAddTest, FoldsTheAddIntoTheLaterConv) {
  ir::Graph g = test::make_test_graph(4, true);
  const ir::Node add = g.nodes[find(g, "add1")];
  const ir::Node skip = g.nodes[find(g, "skip")];
  const size_t before = g.nodes.size();
  run_default_passes(g);
  EXPECT_EQ(g.nodes.size(), before - 1);
  EXPECT_EQ(find(g, "add1"), -1);
  const int f = find(g, "skip+add1");
  ASSERT_GE(f, 0);
  const ir::Node& n = g.nodes[f];
  EXPECT_TRUE(ir::has_fused_add(n));
  EXPECT_EQ(n.inputs, (std::vector<int>{find(g, "pool1"), find(g, "conv3")}));
  EXPECT_EQ(n.out_scale, add.out_scale);
  EXPECT_EQ(n.relu, add.relu);
  EXPECT_EQ(n.pre_add_scale, skip.out_scale);
  EXPECT_EQ(n.pre_add_relu, skip.relu);
  EXPECT_TRUE(n.residual_first);  // add1 = conv3 + skip: the residual (conv3) is operand 0
  EXPECT_EQ(ir::conv_out_scale(n), skip.out_scale);
  EXPECT_EQ(g.nodes[find(g, "gap")].inputs, std::vector<int>{f});
}

TEST(FuseAddTest, ReferenceOutputsAreUnchanged) {
  for (uint32_t seed : {1u, 5u, 9u}) {
    ir::Graph g = test::make_test_graph(seed, seed % 2 == 1);
    ir::Graph fused = g;
    run_default_passes(fused);
    ASSERT_LT(fused.nodes.size(), g.nodes.size());
    for (uint32_t in_seed = 1; in_seed <= 3; ++in_seed) {
      const auto in = test::make_test_input(g, in_seed, -127, 127);
      EXPECT_EQ(reference::run(fused, in), reference::run(g, in)) << "graph " << seed << " input " << in_seed;
    }
  }
}

TEST(FuseAddTest, OperandOrderFollowsTheAdd) {
  // Swap the add's operands: the residual (conv3) is now operand 1.
  ir::Graph g = test::make_test_graph(6, true);
  ir::Node& add = g.nodes[find(g, "add1")];
  std::swap(add.inputs[0], add.inputs[1]);
  ir::Graph fused = g;
  run_default_passes(fused);
  const ir::Node& n = fused.nodes[find(fused, "skip+add1")];
  EXPECT_FALSE(n.residual_first);
  const auto in = test::make_test_input(g, 2, -127, 127);
  EXPECT_EQ(reference::run(fused, in), reference::run(g, in));
}

TEST(FuseAddTest, LeavesAddsItCannotFold) {
  // skip also feeds the output: the add stays.
  ir::Graph g = test::make_test_graph(4, true);
  const int skip = find(g, "skip");
  ir::Node extra = g.nodes[find(g, "gap")];
  extra.name = "gap2";
  extra.inputs = {skip};
  g.nodes.push_back(extra);
  ASSERT_NO_THROW(g.validate());
  ir::Graph a = g;
  run_default_passes(a);
  // conv3 is the other candidate, but its residual (skip) comes after it: no fusion at all.
  EXPECT_GE(find(a, "add1"), 0);
  // A predicate that refuses keeps every add.
  ir::Graph b = test::make_test_graph(4, true);
  PassOptions po;
  po.fuse_add_worth = [](const ir::Graph&, int, int) { return false; };
  run_default_passes(b, po);
  EXPECT_GE(find(b, "add1"), 0);
  // Skipping the pass too.
  ir::Graph c = test::make_test_graph(4, true);
  run_default_passes(c, PassOptions{{"fuse-add"}, {}, {}});
  EXPECT_GE(find(c, "add1"), 0);
}

TEST(FuseAddTest, BundlesNeverCarryAFusedAdd) {
  ir::Graph g = test::make_test_graph(4, true);
  run_default_passes(g);
  const test::TempDir dir("fuse-add");
  try {
    bundle::write_bundle(g, (dir.path / "b").string());
    FAIL() << "a fused graph was written";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("fused add"), std::string::npos) << e.what();
  }
  // validate() rejects the fields on a node that is not a fused conv.
  ir::Graph h = test::make_test_graph(4, true);
  h.nodes[find(h, "conv2")].pre_add_relu = true;
  EXPECT_THROW(h.validate(), std::runtime_error);
}

}  // namespace
}  // namespace saie::passes
