// weight_bytes_test.cpp — dense vs 8x8-compacted weight bytes for hand-made masks of every shape.
#include "trainer/export/weight_bytes.h"

#include <gtest/gtest.h>

#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {
namespace {

// A 16 -> 16 channel 3x3 conv whose zero weights follow `mask` (OHWI int8, all kept weights 1).
ir::Graph one_conv(const ir::BlockMask& mask, bool sparse) {
  ir::Graph g;
  ir::Node in;
  in.name = "input";
  in.out = ir::Shape{4, 4, 16};
  g.nodes.push_back(in);
  ir::Node c;
  c.name = "conv";
  c.op = ir::OpKind::Conv;
  c.inputs = {0};
  c.out = ir::Shape{4, 4, 16};
  c.kh = c.kw = 3;
  c.pad_h = c.pad_w = 1;
  c.weight.assign(16 * 9 * 16, 1);
  for (uint32_t o = 0; o < 16; ++o)
    for (uint32_t k = 0; k < 9; ++k)
      for (uint32_t i = 0; i < 16; ++i)
        if (sparse && !mask.at(o / mask.bo, i / mask.bi)) c.weight[(size_t{o} * 9 + k) * 16 + i] = 0;
  c.weight_scales.assign(16, 0.01f);
  c.bias.assign(16, 0);
  c.sparse = sparse;
  c.mask = mask;
  g.nodes.push_back(c);
  g.output = 1;
  return g;
}

ir::BlockMask mask_of(uint32_t bo, uint32_t bi, std::vector<uint8_t> bits) {
  ir::BlockMask m;
  m.bo = bo;
  m.bi = bi;
  m.rows = (16 + bo - 1) / bo;
  m.cols = (16 + bi - 1) / bi;
  m.bits = std::move(bits);
  return m;
}

TEST(WeightBytes, EightByEightHalfZeroHalvesThePayload) {
  const WeightBytes wb = weight_bytes(one_conv(mask_of(8, 8, {1, 0, 0, 1}), true));
  ASSERT_EQ(wb.layers.size(), 1u);
  const LayerWeightBytes& l = wb.layers[0];
  EXPECT_EQ(l.blocks, 4u);
  EXPECT_EQ(l.zero_blocks, 2u);
  EXPECT_EQ(l.hw_blocks, 4u);
  EXPECT_EQ(l.hw_zero_blocks, 2u);
  EXPECT_EQ(l.int8_bytes, 16u * 9 * 16);
  EXPECT_EQ(l.compact_bytes - l.metadata_bytes, 2u * 64 * 9);  // two stored 8x8x3x3 blocks
  EXPECT_GT(l.dense_bytes, 4u * 64 * 9 - 1);
  EXPECT_LT(l.compact_bytes, l.dense_bytes);
  EXPECT_EQ(wb.compact_bytes, l.compact_bytes);
  // The same weights stored densely (sparse = false) keep every block.
  const WeightBytes dense = weight_bytes(one_conv(mask_of(8, 8, {1, 1, 1, 1}), false));
  EXPECT_EQ(dense.layers[0].compact_bytes, dense.layers[0].dense_bytes);
  EXPECT_EQ(dense.layers[0].dense_bytes, l.dense_bytes);
}

TEST(WeightBytes, UnstructuredZerosSaveNothingOn8x8Hardware) {
  std::vector<uint8_t> bits(256);
  for (size_t j = 0; j < bits.size(); ++j) bits[j] = (j / 16 + j % 16) % 2;  // checkerboard, 50%
  const LayerWeightBytes l = weight_bytes(one_conv(mask_of(1, 1, bits), true)).layers[0];
  EXPECT_EQ(l.zero_blocks, 128u);
  EXPECT_EQ(l.hw_zero_blocks, 0u);
  EXPECT_EQ(l.compact_bytes - l.metadata_bytes, 4u * 64 * 9);
}

TEST(WeightBytes, SixteenByFourMapsOntoWhole8x8Blocks) {
  // 16x4 blocks: 1 row x 4 columns; zeroing columns 0 and 1 empties input channels 0..7 of all
  // 16 outputs = hardware blocks (0,0) and (1,0). Zeroing columns 0 and 2 empties none.
  LayerWeightBytes l = weight_bytes(one_conv(mask_of(16, 4, {0, 0, 1, 1}), true)).layers[0];
  EXPECT_EQ(l.bo, 16u);
  EXPECT_EQ(l.bi, 4u);
  EXPECT_EQ(l.hw_zero_blocks, 2u);
  EXPECT_EQ(l.compact_bytes - l.metadata_bytes, 2u * 64 * 9);
  l = weight_bytes(one_conv(mask_of(16, 4, {0, 1, 0, 1}), true)).layers[0];
  EXPECT_EQ(l.zero_blocks, 2u);
  EXPECT_EQ(l.hw_zero_blocks, 0u);
}

}  // namespace
}  // namespace saie::trainer
