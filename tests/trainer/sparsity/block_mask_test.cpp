// block_mask_test.cpp — row-balanced block selection on hand-made weights (no training).
#include "trainer/sparsity/block_mask.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "trainer/models/model_spec.h"

namespace saie::trainer {
namespace {

// Fills block (r, c) of an OIHW tensor with value v.
void fill_block(std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi, uint32_t r, uint32_t c, float v) {
  for (uint32_t o = r * bo; o < std::min(d.cout, (r + 1) * bo); ++o)
    for (uint32_t i = c * bi; i < std::min(d.cin, (c + 1) * bi); ++i)
      for (uint32_t k = 0; k < d.khw; ++k) w[(size_t{o} * d.cin + i) * d.khw + k] = v;
}

std::vector<float> random_weights(const WeightDims& d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> w(d.size());
  for (auto& v : w) v = nd(rng);
  return w;
}

TEST(BlockMask, KnownWeightsGiveKnownMask) {
  const WeightDims d{16, 16, 9};
  std::vector<float> w(d.size());
  fill_block(w, d, 8, 8, 0, 0, 1.0f);
  fill_block(w, d, 8, 8, 0, 1, 2.0f);
  fill_block(w, d, 8, 8, 1, 0, 3.0f);
  fill_block(w, d, 8, 8, 1, 1, -0.5f);
  const ir::BlockMask m = select_block_mask(w, d, 8, 8, 0.5);
  EXPECT_EQ(m.bo, 8u);
  EXPECT_EQ(m.bi, 8u);
  ASSERT_EQ(m.rows, 2u);
  ASSERT_EQ(m.cols, 2u);
  EXPECT_EQ(m.bits, (std::vector<uint8_t>{0, 1, 1, 0}));
  // Scores are L2 norms: 64 weights * 9 taps of value 2 -> sqrt(576 * 4) = 48.
  const std::vector<double> s = block_scores(w, d, 8, 8);
  EXPECT_NEAR(s[1], 48.0, 1e-9);
  EXPECT_NEAR(s[3], 12.0, 1e-9);
}

TEST(BlockMask, ExactlyKZerosPerRow) {
  const WeightDims d{32, 32, 9};
  const std::vector<float> w = random_weights(d, 7);
  for (const double sp : {0.0, 0.25, 0.5, 0.75}) {
    const ir::BlockMask m = select_block_mask(w, d, 8, 8, sp);
    ASSERT_EQ(m.rows, 4u);
    ASSERT_EQ(m.cols, 4u);
    const uint32_t k = static_cast<uint32_t>(std::lround(sp * 4));
    const std::vector<double> s = block_scores(w, d, 8, 8);
    for (uint32_t r = 0; r < m.rows; ++r) {
      uint32_t zeros = 0;
      double max_zeroed = -1, min_kept = 1e300;
      for (uint32_t c = 0; c < m.cols; ++c) {
        if (!m.at(r, c)) {
          ++zeros;
          max_zeroed = std::max(max_zeroed, s[r * 4 + c]);
        } else {
          min_kept = std::min(min_kept, s[r * 4 + c]);
        }
      }
      EXPECT_EQ(zeros, k) << "sparsity " << sp << " row " << r;
      if (k > 0) {
        EXPECT_LE(max_zeroed, min_kept) << "the lowest-scored blocks go";
      }
    }
  }
}

TEST(BlockMask, PartialEdgeBlocks) {
  // 10 x 12 channels: 2 x 2 grid whose last row / column are partial (2 rows, 4 columns).
  const WeightDims d{10, 12, 3};
  std::vector<float> w(d.size(), 1.0f);
  const std::vector<double> s = block_scores(w, d, 8, 8);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_NEAR(s[0], std::sqrt(8.0 * 8 * 3), 1e-9);
  EXPECT_NEAR(s[1], std::sqrt(8.0 * 4 * 3), 1e-9);
  EXPECT_NEAR(s[2], std::sqrt(2.0 * 8 * 3), 1e-9);
  EXPECT_NEAR(s[3], std::sqrt(2.0 * 4 * 3), 1e-9);
  // All weights equal: the smaller partial column block scores lower and is zeroed in both rows.
  const ir::BlockMask m = select_block_mask(w, d, 8, 8, 0.5);
  ASSERT_EQ(m.rows, 2u);
  ASSERT_EQ(m.cols, 2u);
  EXPECT_EQ(m.bits, (std::vector<uint8_t>{1, 0, 1, 0}));
  // Expanding zeroes every weight of the partial blocks, kh x kw taps included, and nothing else.
  const std::vector<float> f = expand_block_mask(m, d);
  for (uint32_t o = 0; o < d.cout; ++o)
    for (uint32_t i = 0; i < d.cin; ++i)
      for (uint32_t k = 0; k < d.khw; ++k) EXPECT_EQ(f[(size_t{o} * d.cin + i) * d.khw + k], i < 8 ? 1.0f : 0.0f);
  for (size_t j = 0; j < w.size(); ++j) w[j] *= f[j];
  EXPECT_EQ(count_masked_nonzeros(w, m, d), 0u);
  w[(size_t{9} * d.cin + 11) * d.khw + 2] = 0.25f;  // last weight of the corner block
  EXPECT_EQ(count_masked_nonzeros(w, m, d), 1u);
}

TEST(BlockMask, TiesZeroLowerColumnFirst) {
  const WeightDims d{8, 32, 1};
  const std::vector<float> w(d.size(), 0.5f);
  const ir::BlockMask m = select_block_mask(w, d, 8, 8, 0.5);
  EXPECT_EQ(m.bits, (std::vector<uint8_t>{0, 0, 1, 1}));
}

TEST(BlockMask, KIsRoundedAndNeverEmptiesARow) {
  EXPECT_EQ(blocks_to_zero(0.5, 4), 2u);
  EXPECT_EQ(blocks_to_zero(0.3, 4), 1u);   // round(1.2)
  EXPECT_EQ(blocks_to_zero(0.4, 4), 2u);   // round(1.6)
  EXPECT_EQ(blocks_to_zero(0.9, 4), 3u);   // round(3.6) = 4, capped at cols - 1
  EXPECT_EQ(blocks_to_zero(0.5, 1), 0u);   // a single block column stays dense
  EXPECT_THROW(blocks_to_zero(1.0, 4), std::runtime_error);
  EXPECT_THROW(blocks_to_zero(-0.1, 4), std::runtime_error);
}

TEST(BlockMask, RejectsBadInput) {
  const WeightDims d{8, 8, 1};
  EXPECT_THROW(select_block_mask(std::vector<float>(63), d, 8, 8, 0.5), std::runtime_error);
  EXPECT_THROW(select_block_mask(std::vector<float>(64), d, 8, 8, 0.5, "l7"), std::runtime_error);
  EXPECT_THROW(select_block_mask(std::vector<float>(64), d, 0, 8, 0.5), std::runtime_error);
}

TEST(BlockMask, FirstConvIsNotPrunable) {
  for (const char* name : {"small-resnet", "tiny"}) {
    const ModelSpec s = make_model_spec(name);
    ASSERT_EQ(s.layers[0].name, "conv1");
    EXPECT_FALSE(s.layers[0].prunable) << name;
    for (size_t i = 1; i < s.layers.size(); ++i) {
      const bool weighted = s.layers[i].kind == LayerKind::Conv || s.layers[i].kind == LayerKind::Fc;
      EXPECT_EQ(s.layers[i].prunable, weighted) << name << " " << s.layers[i].name;
    }
  }
}

}  // namespace
}  // namespace saie::trainer
