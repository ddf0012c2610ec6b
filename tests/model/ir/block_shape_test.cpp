// block_shape_test.cpp — Graph::validate with non-8x8 block masks (1x1, 4x16, 16x4, ...):
// accepted when consistent, rejected (naming the node) on zero or mismatched block shapes and
// on non-zero weights inside zero logical blocks; and the text form "BOxBI" of a block shape.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "model/ir/block_shape.h"
#include "model/ir/graph.h"
#include "tests/model/block_shape_graphs.h"
#include "tests/model/test_graphs.h"

namespace saie::ir {
namespace {

Node& node(Graph& g, const std::string& name) {
  for (Node& n : g.nodes)
    if (n.name == name) return n;
  throw std::logic_error("no node " + name);
}

// validate() must throw std::runtime_error whose message contains `needle`.
void expect_rejected(const Graph& g, const std::string& needle) {
  try {
    g.validate();
    ADD_FAILURE() << "validate() accepted the graph";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

Graph remasked(uint32_t bo, uint32_t bi, double keep = 0.5, double region_drop = 0.0) {
  Graph g = test::make_test_graph(7, false);
  test::remask_graph(g, bo, bi, keep, region_drop, 3);
  return g;
}

TEST(BlockShapeTest, AcceptsAnyPositiveBlockShape) {
  for (auto [bo, bi] : {std::pair<uint32_t, uint32_t>{1, 1}, {4, 16}, {16, 4}, {8, 8}, {2, 32}, {32, 1}}) {
    SCOPED_TRACE(std::to_string(bo) + "x" + std::to_string(bi));
    const Graph g = remasked(bo, bi);
    EXPECT_NO_THROW(g.validate());
    const Node& c3 = g.nodes.at(4);  // conv3: 32 x 3 x 3 x 32
    ASSERT_EQ(c3.name, "conv3");
    EXPECT_TRUE(c3.sparse);
    EXPECT_EQ(c3.mask.rows, (32 + bo - 1) / bo);
    EXPECT_EQ(c3.mask.cols, (32 + bi - 1) / bi);
    EXPECT_GT(c3.mask.nnz(), 0u);
    EXPECT_LT(c3.mask.nnz(), c3.mask.bits.size());
  }
}

TEST(BlockShapeTest, RejectsNonZeroWeightInZeroLogicalBlock) {
  for (auto [bo, bi] : {std::pair<uint32_t, uint32_t>{4, 16}, {16, 4}, {1, 1}}) {
    SCOPED_TRACE(std::to_string(bo) + "x" + std::to_string(bi));
    Graph g = remasked(bo, bi);
    Node& c3 = node(g, "conv3");
    const uint32_t cin = 32, k = 9;
    bool poked = false;
    // A zero logical block: put a weight at its last channel pair and last kernel position,
    // which for 4x16 / 16x4 lies in an 8x8 region that may also hold kept blocks.
    for (uint32_t r = 0; r < c3.mask.rows && !poked; ++r)
      for (uint32_t c = 0; c < c3.mask.cols && !poked; ++c)
        if (!c3.mask.at(r, c)) {
          const uint32_t oc = r * bo + bo - 1, ic = c * bi + bi - 1;
          c3.weight[(size_t{oc} * k + k - 1) * cin + ic] = 3;
          poked = true;
        }
    ASSERT_TRUE(poked);
    expect_rejected(g, "node 'conv3'");
    expect_rejected(g, "lies in zero mask block");
  }
}

TEST(BlockShapeTest, RejectsZeroBlockShapeNamingTheNode) {
  Graph g = remasked(4, 16);
  Node& c2 = node(g, "conv2");
  c2.mask.bo = 0;  // graph says 4x16
  expect_rejected(g, "node 'conv2'");
  // All masks and the graph at 0: the first sparse node is named, not just the graph.
  Graph z = remasked(4, 16);
  z.block_o = 0;
  for (Node& n : z.nodes)
    if (n.sparse) n.mask.bo = 0;
  expect_rejected(z, "node 'conv2'");
  expect_rejected(z, "must be non-zero");
  // A graph block of 0 with consistent masks elsewhere: the first sparse node disagrees.
  Graph y = remasked(4, 16);
  y.block_i = 0;
  expect_rejected(y, "node 'conv2'");
  // Without sparse nodes the graph itself is named.
  Graph d = test::make_test_graph(7, false);
  d.block_o = 0;
  expect_rejected(d, "block shape [0, 8] must be non-zero");
}

TEST(BlockShapeTest, RejectsMaskBlockDifferentFromGraphBlock) {
  Graph g = remasked(4, 16);
  g.block_o = 16;
  g.block_i = 4;
  expect_rejected(g, "node 'conv2'");
  expect_rejected(g, "differs from the graph block [16, 4]");
  // One node only: a 16x4 mask on fc in an otherwise 4x16 graph.
  Graph h = remasked(4, 16);
  Graph other = remasked(16, 4);
  node(h, "fc") = node(other, "fc");
  expect_rejected(h, "node 'fc'");
}

TEST(BlockShapeTest, RejectsMaskGridOfWrongSizeForItsBlock) {
  Graph g = remasked(16, 4);
  Node& skip = node(g, "skip");
  skip.mask.rows += 1;
  skip.mask.bits.resize(size_t{skip.mask.rows} * skip.mask.cols, 0);
  expect_rejected(g, "node 'skip'");
}

}  // namespace
}  // namespace saie::ir


namespace saie::ir {
namespace {

TEST(BlockShapeText, ParsesEveryShapeInRangeAndRejectsTheRest) {
  EXPECT_EQ(parse_block_shape("8x8").bo, 8u);
  EXPECT_EQ(parse_block_shape("4x16").bi, 16u);
  EXPECT_EQ(parse_block_shape("1x1").bo, 1u);
  EXPECT_EQ(parse_block_shape("256x256").bi, 256u);
  for (const char* bad : {"", "8", "x8", "8x", "0x8", "8x0", "257x8", "8x257", "8x8x8", "-8x8", "8 x8", "1000x8", "0008x8"}) {
    try {
      parse_block_shape(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("is not BOxBI with 1..256 channels each"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace saie::ir
