// fuse_relu_test.cpp — the fuse-relu pass and the default pass pipeline (fuse-add: fuse_add_test.cpp).
#include "compiler/passes/passes.h"

#include <gtest/gtest.h>

#include "model/reference/reference_executor.h"
#include "tests/model/test_graphs.h"

namespace saie::passes {
namespace {

// The pipeline without fuse-add (which would fold add1 into skip), for tests about fuse-relu.
const PassOptions kReluOnly{{"fuse-add"}, {}, {}};

int find(const ir::Graph& g, const std::string& name) { return test::node_index(g, name); }

ir::Graph graph_with_relu() {
  test::TestGraphOptions o;
  o.standalone_relu = true;
  return test::make_test_graph(4, true, o);
}

TEST(FuseReluTest, FoldsReluIntoAddAndRewires) {
  ir::Graph g = graph_with_relu();
  const size_t before = g.nodes.size();
  ASSERT_GE(find(g, "relu1"), 0);
  ASSERT_FALSE(g.nodes[find(g, "add1")].relu);
  fuse_relu(g);
  EXPECT_EQ(g.nodes.size(), before - 1);
  EXPECT_EQ(find(g, "relu1"), -1);
  const int add = find(g, "add1");
  EXPECT_TRUE(g.nodes[add].relu);
  EXPECT_EQ(g.nodes[find(g, "gap")].inputs, std::vector<int>{add});
  EXPECT_EQ(g.output, find(g, "fc"));
  EXPECT_EQ(g.nodes[g.output].inputs, std::vector<int>{find(g, "gap")});
  EXPECT_NO_THROW(g.validate());
}

TEST(FuseReluTest, PreservesReferenceOutputs) {
  ir::Graph g = graph_with_relu();
  const auto in = test::make_test_input(g, 1);
  const auto before = reference::run(g, in);
  run_default_passes(g);
  EXPECT_EQ(reference::run(g, in), before);
}

TEST(FuseReluTest, ReluAsOutputFixesOutputIndex) {
  ir::Graph g = test::make_test_graph(4, true);
  ir::Node r;
  r.name = "relu_out";
  r.op = ir::OpKind::Relu;
  r.inputs = {g.output};
  r.out = g.nodes[g.output].out;
  r.out_scale = g.nodes[g.output].out_scale;
  g.nodes.push_back(r);
  g.output = static_cast<int>(g.nodes.size()) - 1;
  run_default_passes(g);
  EXPECT_EQ(find(g, "relu_out"), -1);
  EXPECT_EQ(g.output, find(g, "fc"));
  EXPECT_TRUE(g.nodes[g.output].relu);
}

TEST(FuseReluTest, KeepsReluWhenProducerHasOtherConsumers) {
  ir::Graph g = test::make_test_graph(4, true);
  // relu on skip, while add1 also reads skip: must stay standalone.
  const int skip = find(g, "skip");
  ir::Node r;
  r.name = "relu_skip";
  r.op = ir::OpKind::Relu;
  r.inputs = {skip};
  r.out = g.nodes[skip].out;
  r.out_scale = g.nodes[skip].out_scale;
  g.nodes.insert(g.nodes.begin() + skip + 1, r);
  for (size_t i = static_cast<size_t>(skip) + 2; i < g.nodes.size(); ++i)
    for (int& in : g.nodes[i].inputs)
      if (in > skip) ++in;
  ++g.output;
  ASSERT_NO_THROW(g.validate());
  const size_t n = g.nodes.size();
  fuse_relu(g);
  EXPECT_EQ(g.nodes.size(), n);
  EXPECT_FALSE(g.nodes[skip].relu);
}

TEST(FuseReluTest, KeepsReluAfterPool) {
  ir::Graph g = test::make_test_graph(4, true);
  const int pool = find(g, "pool1");
  // Put a relu between pool1 and conv2 only (skip keeps reading pool1, so pool1 has 2 users anyway;
  // the rule that matters here is the producer kind).
  ir::Node r;
  r.name = "relu_pool";
  r.op = ir::OpKind::Relu;
  r.inputs = {pool};
  r.out = g.nodes[pool].out;
  r.out_scale = g.nodes[pool].out_scale;
  g.nodes.insert(g.nodes.begin() + pool + 1, r);
  for (size_t i = static_cast<size_t>(pool) + 2; i < g.nodes.size(); ++i)
    for (int& in : g.nodes[i].inputs)
      in = in == pool ? (g.nodes[i].name == "conv2" ? pool + 1 : pool) : (in > pool ? in + 1 : in);
  ++g.output;
  ASSERT_NO_THROW(g.validate());
  const size_t n = g.nodes.size();
  run_default_passes(g, kReluOnly);
  EXPECT_EQ(g.nodes.size(), n);
}

TEST(FuseReluTest, ChainedRelusAllFold) {
  ir::Graph g = graph_with_relu();
  const int r1 = find(g, "relu1");
  ir::Node r2 = g.nodes[r1];
  r2.name = "relu2";
  r2.inputs = {r1};
  g.nodes.insert(g.nodes.begin() + r1 + 1, r2);
  for (size_t i = static_cast<size_t>(r1) + 2; i < g.nodes.size(); ++i)
    for (int& in : g.nodes[i].inputs)
      if (in >= r1) ++in;
  ++g.output;
  ASSERT_NO_THROW(g.validate());
  run_default_passes(g, kReluOnly);
  EXPECT_EQ(find(g, "relu1"), -1);
  EXPECT_EQ(find(g, "relu2"), -1);
  EXPECT_TRUE(g.nodes[find(g, "add1")].relu);
}

TEST(PassesTest, DefaultPipelineNamesAndValidation) {
  ASSERT_FALSE(default_passes().empty());
  EXPECT_STREQ(default_passes()[0].name, "fuse-relu");
  ir::Graph g = test::make_test_graph(4, true);
  g.nodes[3].bias.pop_back();
  try {
    run_default_passes(g);
    FAIL() << "invalid graph accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'conv2'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace saie::passes
