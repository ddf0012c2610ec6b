// graph_test.cpp — op names, mask statistics and Graph::validate on good and broken graphs.
#include "model/ir/graph.h"

#include <functional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "tests/model/test_graphs.h"

namespace saie::ir {
namespace {

int find(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name) return static_cast<int>(i);
  throw std::logic_error("no node " + name);
}

// Applies `breakit` to a fresh valid sparse graph and expects validate() to throw a one-line
// message containing `want` (normally the node's name).
void expect_invalid(const std::function<void(Graph&)>& breakit, const std::string& want) {
  Graph g = test::make_test_graph(3, true);
  ASSERT_NO_THROW(g.validate());
  breakit(g);
  try {
    g.validate();
    FAIL() << "validate() accepted a broken graph; expected an error mentioning " << want;
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(want), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(GraphTest, OpNamesRoundTrip) {
  for (OpKind k : {OpKind::Input, OpKind::Conv, OpKind::Fc, OpKind::MaxPool, OpKind::AvgPool, OpKind::Add, OpKind::Relu})
    EXPECT_EQ(op_from_name(op_name(k)), k);
  EXPECT_STREQ(op_name(OpKind::MaxPool), "maxpool");
  EXPECT_STREQ(op_name(OpKind::Fc), "fc");
  EXPECT_THROW(op_from_name("conv2d"), std::invalid_argument);
}

TEST(GraphTest, MaskNnzAndSparsity) {
  BlockMask m;
  m.rows = 2;
  m.cols = 4;
  m.bits = {1, 0, 1, 0, 0, 0, 0, 1};
  EXPECT_EQ(m.nnz(), 3u);
  EXPECT_DOUBLE_EQ(m.sparsity(), 5.0 / 8.0);
  EXPECT_TRUE(m.at(1, 3));
  EXPECT_FALSE(m.at(1, 2));
}

TEST(GraphTest, TestGraphsAreValid) {
  for (uint32_t seed = 0; seed < 4; ++seed) {
    EXPECT_NO_THROW(test::make_test_graph(seed, true).validate());
    EXPECT_NO_THROW(test::make_test_graph(seed, false).validate());
  }
  test::TestGraphOptions mnist;
  mnist.h = mnist.w = 28;
  mnist.c = 1;
  mnist.standalone_relu = true;
  EXPECT_NO_THROW(test::make_test_graph(1, true, mnist).validate());
}

TEST(GraphTest, TestGraphsAreDeterministicPerSeed) {
  const Graph a = test::make_test_graph(7, true), b = test::make_test_graph(7, true), c = test::make_test_graph(8, true);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    EXPECT_EQ(a.nodes[i].weight, b.nodes[i].weight);
    EXPECT_EQ(a.nodes[i].bias, b.nodes[i].bias);
    EXPECT_EQ(a.nodes[i].mask.bits, b.nodes[i].mask.bits);
    EXPECT_EQ(a.nodes[i].out_scale, b.nodes[i].out_scale);
  }
  EXPECT_NE(a.nodes[3].weight, c.nodes[3].weight);
  // Row-balanced 50% masks: every block row of conv3 (4 block columns) keeps exactly 2.
  const Node& conv3 = a.nodes[static_cast<size_t>(find(a, "conv3"))];
  for (uint32_t r = 0; r < conv3.mask.rows; ++r) {
    uint32_t kept = 0;
    for (uint32_t col = 0; col < conv3.mask.cols; ++col) kept += conv3.mask.at(r, col);
    EXPECT_EQ(kept, 2u);
  }
  EXPECT_FALSE(a.nodes[1].sparse);  // the first conv is always dense
}

TEST(GraphTest, RejectsFirstNodeNotInput) {
  expect_invalid([](Graph& g) { g.nodes[0].op = OpKind::Relu; }, "node 'input'");
}

TEST(GraphTest, RejectsForwardReference) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv2")].inputs[0] = find(g, "fc"); }, "node 'conv2'");
}

TEST(GraphTest, RejectsWrongArity) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "add1")].inputs.pop_back(); }, "node 'add1'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "pool1")].inputs.push_back(0); }, "node 'pool1'");
}

TEST(GraphTest, RejectsConvShapeThatDoesNotChain) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv2")].stride_h = 1; }, "node 'conv2'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv1")].pad_w = 0; }, "node 'conv1'");
}

TEST(GraphTest, RejectsFcKernelNotCoveringInput) {
  expect_invalid([](Graph& g) {
    Node& fc = g.nodes[find(g, "fc")];
    fc.out.h = 2;
  }, "node 'fc'");
}

TEST(GraphTest, RejectsPoolChangingChannels) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "pool1")].out.c += 1; }, "node 'pool1'");
}

TEST(GraphTest, RejectsAddShapeMismatch) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "add1")].inputs[1] = find(g, "conv2") - 1; }, "node 'add1'");
}

TEST(GraphTest, RejectsWrongWeightBiasScaleSizes) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv3")].weight.pop_back(); }, "node 'conv3'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv3")].bias.push_back(0); }, "node 'conv3'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv3")].weight_scales.pop_back(); }, "node 'conv3'");
}

TEST(GraphTest, RejectsBadScales) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "skip")].weight_scales[2] = 0.0f; }, "node 'skip'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "skip")].weight_scales[2] = INFINITY; }, "node 'skip'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "gap")].out_scale = -1.0f; }, "node 'gap'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "pool1")].out_scale *= 2.0f; }, "node 'pool1'");
}

TEST(GraphTest, RejectsMaskOfWrongSize) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv3")].mask.rows += 1; }, "node 'conv3'");
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv3")].mask.bits.pop_back(); }, "node 'conv3'");
}

TEST(GraphTest, RejectsNonZeroWeightInZeroBlock) {
  expect_invalid([](Graph& g) {
    Node& n = g.nodes[find(g, "fc")];
    // fc is 10 x 32: find a zero block and poke one weight of it (last kernel position).
    for (uint32_t r = 0; r < n.mask.rows; ++r)
      for (uint32_t c = 0; c < n.mask.cols; ++c)
        if (!n.mask.at(r, c)) {
          n.weight[size_t{r} * 8 * 32 + c * 8 + 7] = 5;
          return;
        }
  }, "node 'fc'");
  // A zero block of a 3x3 conv: a non-zero weight at kernel position (2, 2) is still caught.
  expect_invalid([](Graph& g) {
    Node& n = g.nodes[find(g, "conv3")];
    for (uint32_t c = 0; c < n.mask.cols; ++c)
      if (!n.mask.at(0, c)) {
        n.weight[(size_t{0} * 9 + 8) * 32 + c * 8] = -1;
        return;
      }
  }, "node 'conv3'");
}

TEST(GraphTest, RejectsBadOutputIndex) {
  expect_invalid([](Graph& g) { g.output = static_cast<int>(g.nodes.size()); }, "output");
  expect_invalid([](Graph& g) { g.output = -1; }, "output");
}

TEST(GraphTest, RejectsDuplicateNames) {
  expect_invalid([](Graph& g) { g.nodes[find(g, "conv3")].name = "conv2"; }, "node 'conv2'");
}

}  // namespace
}  // namespace saie::ir
