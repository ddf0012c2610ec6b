// concat_graph_test.cpp — Graph::validate on the channel concat: channel sum, h/w and scale checks.
#include <functional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "model/ir/graph.h"
#include "tests/model/concat_graphs.h"

namespace saie::ir {
namespace {

// Breaks a fresh concat graph and expects a one-line error containing every string of `want`.
void expect_invalid(const std::function<void(Graph&)>& breakit, const std::vector<std::string>& want) {
  Graph g = test::make_concat_graph();
  ASSERT_NO_THROW(g.validate());
  breakit(g);
  try {
    g.validate();
    FAIL() << "validate() accepted a broken concat graph";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    for (const std::string& w : want) EXPECT_NE(msg.find(w), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(ConcatGraphTest, OpNameRoundTrips) {
  EXPECT_STREQ(op_name(OpKind::Concat), "concat");
  EXPECT_EQ(op_from_name("concat"), OpKind::Concat);
}

TEST(ConcatGraphTest, ValidGraphPasses) {
  const Graph g = test::make_concat_graph();
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.nodes[5].out.c, 8u + 12u + 4u);  // cat3 = b + cat2 + mp
}

TEST(ConcatGraphTest, OutputChannelsMustBeTheSum) {
  expect_invalid([](Graph& g) { g.nodes[3].out.c = 11; }, {"'cat2'", "inputs sum to 12"});
  expect_invalid([](Graph& g) { g.nodes[5].out.c = 25; }, {"'cat3'", "inputs sum to 24"});
}

TEST(ConcatGraphTest, InputsMustShareHeightAndWidth) {
  // A stride-2 maxpool (3x3) halves mp to [3, 3, 4]: cat3's third input no longer matches.
  expect_invalid(
      [](Graph& g) {
        g.nodes[4].stride_h = g.nodes[4].stride_w = 2;
        g.nodes[4].out = Shape{3, 3, 4};
      },
      {"'cat3'", "'mp'", "[3, 3, 4]"});
  // The concat's own h/w must match its inputs too.
  expect_invalid([](Graph& g) { g.nodes[3].out.w = 4; }, {"'cat2'"});
}

TEST(ConcatGraphTest, EveryInputMustCarryTheConcatScale) {
  // b's scale differs: cat2 (its first consumer in node order) is named along with b.
  expect_invalid([](Graph& g) { g.nodes[2].out_scale = 0.06f; }, {"'cat2'", "'b'"});
  expect_invalid([](Graph& g) { g.nodes[5].out_scale = 0.051f; }, {"'cat3'", "scale"});
  // Float noise well inside the 1e-5 relative tolerance is accepted.
  Graph g = test::make_concat_graph();
  g.nodes[5].out_scale = 0.05f * (1.0f + 2e-6f);
  EXPECT_NO_THROW(g.validate());
}

TEST(ConcatGraphTest, NeedsAtLeastTwoInputsAndNoWeights) {
  expect_invalid(
      [](Graph& g) {
        g.nodes[3].inputs = {1};
        g.nodes[3].out.c = 4;
      },
      {"'cat2'", "at least 2 inputs"});
  expect_invalid([](Graph& g) { g.nodes[3].relu = true; }, {"'cat2'", "relu"});
  expect_invalid([](Graph& g) { g.nodes[3].bias = {1}; }, {"'cat2'"});
  expect_invalid([](Graph& g) { g.nodes[5].inputs[1] = 6; }, {"'cat3'", "earlier node"});
}

}  // namespace
}  // namespace saie::ir
