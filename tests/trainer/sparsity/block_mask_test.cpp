// block_mask_test.cpp — row-balanced block selection on hand-made weights (no training).
#include "trainer/sparsity/block_mask.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
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

TEST(BlockMask, SelectionWithinEligibleBlocksCountsOnlyThem) {
  // 2 block rows x 4 block columns; row 0 may keep columns 0-1, row 1 columns 1-3 (say, the
  // blocks a grouped conv's groups meet). Larger values score higher.
  const WeightDims d{16, 32, 1};
  std::vector<float> w(d.size());
  for (uint32_t r = 0; r < 2; ++r)
    for (uint32_t c = 0; c < 4; ++c) fill_block(w, d, 8, 8, r, c, 1.0f + c + 10.0f * (c == 1 && r == 1));
  ir::BlockMask eligible;
  eligible.bo = eligible.bi = 8;
  eligible.rows = 2;
  eligible.cols = 4;
  eligible.bits = {1, 1, 0, 0, 0, 1, 1, 1};
  const ir::BlockMask m = select_block_mask_within(w, d, 8, 8, 0.5, eligible);
  // Row 0: 1 of its 2 goes (the weaker, column 0). Row 1: round(1.5) = 2 of 3 go (columns 2 and
  // 3; column 1 scores highest). Ineligible blocks stay 0 whatever their score.
  EXPECT_EQ(m.bits, (std::vector<uint8_t>{0, 1, 0, 0, 0, 1, 0, 0}));
  // One eligible block in a row: nothing is zeroed (a row is never emptied).
  eligible.bits = {1, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(select_block_mask_within(w, d, 8, 8, 0.5, eligible).bits, eligible.bits);
  eligible.rows = 3;
  EXPECT_THROW(select_block_mask_within(w, d, 8, 8, 0.5, eligible), std::runtime_error);
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
  EXPECT_EQ(blocks_to_zero(0.95, 40), 38u);
  EXPECT_EQ(global_blocks_to_zero(0.25, 10), 3u);  // round(2.5) rounds half away from zero
  EXPECT_EQ(global_blocks_to_zero(0.95, 4), 3u);   // never the whole layer
  EXPECT_THROW(blocks_to_zero(1.0, 4), std::runtime_error);
  EXPECT_THROW(blocks_to_zero(-0.1, 4), std::runtime_error);
}

TEST(BlockMask, RejectsBadInput) {
  const WeightDims d{8, 8, 1};
  EXPECT_THROW(select_block_mask(std::vector<float>(63), d, 8, 8, 0.5), std::runtime_error);
  EXPECT_THROW(select_block_mask(std::vector<float>(64), d, 8, 8, 0.5, "l7"), std::runtime_error);
  EXPECT_THROW(select_block_mask(std::vector<float>(64), d, 0, 8, 0.5), std::runtime_error);
  EXPECT_THROW(select_block_mask(std::vector<float>(64), d, 8, 8, 0.5, "l2", "per-tensor"), std::runtime_error);
  try {
    check_block_score("l3");
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "unknown block score 'l3' (supported: l2, l1, variance)");
  }
  ir::BlockMask wrong;  // a 2x2 grid for a 1x1 layer
  wrong.rows = wrong.cols = 2;
  wrong.bits.assign(4, 1);
  EXPECT_THROW(select_block_mask(std::vector<float>(64), d, 8, 8, 0.5, "l2", "global", &wrong), std::runtime_error);
}

TEST(BlockMask, FirstConvIsNotPrunable) {
  for (const char* name : {"small-resnet", "resnet-s", "tiny"}) {
    const ModelSpec s = make_model_spec(name);
    ASSERT_EQ(s.layers[0].name, "conv1");
    EXPECT_FALSE(s.layers[0].prunable) << name;
    for (size_t i = 1; i < s.layers.size(); ++i) {
      const bool weighted = s.layers[i].kind == LayerKind::Conv || s.layers[i].kind == LayerKind::Fc;
      EXPECT_EQ(s.layers[i].prunable, weighted) << name << " " << s.layers[i].name;
    }
  }
}

// --- issue 3: scores, block shapes, selections, incremental schedule ---

TEST(BlockMask, L1AndVarianceScoresOnKnownBlocks) {
  // 8 x 16 channels, 2 taps, 8x8 blocks: block 0 holds +-1 alternating (mean 0, variance 1),
  // block 1 holds the constant 3 (variance 0) except one weight 3 + 64 (a single outlier).
  const WeightDims d{8, 16, 2};
  std::vector<float> w(d.size());
  for (uint32_t o = 0; o < 8; ++o)
    for (uint32_t i = 0; i < 16; ++i)
      for (uint32_t k = 0; k < 2; ++k) w[(size_t{o} * 16 + i) * 2 + k] = i < 8 ? ((o + i + k) % 2 ? 1.0f : -1.0f) : 3.0f;
  w[(size_t{5} * 16 + 12) * 2 + 1] = 67.0f;
  const double n = 8 * 8 * 2;  // 128 weights per block
  const auto l1 = block_scores(w, d, 8, 8, "l1");
  EXPECT_NEAR(l1[0], n, 1e-9);
  EXPECT_NEAR(l1[1], 3 * (n - 1) + 67, 1e-9);
  const auto l2 = block_scores(w, d, 8, 8, "l2");
  EXPECT_NEAR(l2[0], std::sqrt(n), 1e-9);
  EXPECT_NEAR(l2[1], std::sqrt(9 * (n - 1) + 67.0 * 67), 1e-9);
  const auto var = block_scores(w, d, 8, 8, "variance");
  EXPECT_NEAR(var[0], 1.0, 1e-12);
  const double mean1 = (3 * (n - 1) + 67) / n;
  EXPECT_NEAR(var[1], ((n - 1) * (3 - mean1) * (3 - mean1) + (67 - mean1) * (67 - mean1)) / n, 1e-9);
  // Variance ignores the block's offset: a constant block scores 0 and is pruned first, although
  // its norms are the largest.
  for (uint32_t o = 0; o < 8; ++o)
    for (uint32_t k = 0; k < 2; ++k) w[(size_t{o} * 16 + 12) * 2 + k] = 3.0f;
  EXPECT_NEAR(block_scores(w, d, 8, 8, "variance")[1], 0.0, 1e-12);
  EXPECT_EQ(select_block_mask(w, d, 8, 8, 0.5, "variance").bits, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(select_block_mask(w, d, 8, 8, 0.5, "l1").bits, (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(select_block_mask(w, d, 8, 8, 0.5, "l2").bits, (std::vector<uint8_t>{0, 1}));
}

TEST(BlockMask, VarianceOfPartialBlockUsesItsOwnCount) {
  // 3 x 3 channels, 1 tap, 2x2 blocks: the corner block holds one weight -> variance 0;
  // the 2x1 edge block (channels o 0..1, i 2) holds {1, 3} -> mean 2, variance 1.
  const WeightDims d{3, 3, 1};
  std::vector<float> w{0, 0, 1,  //
                       0, 0, 3,  //
                       5, 7, 9};
  const auto v = block_scores(w, d, 2, 2, "variance");
  ASSERT_EQ(v.size(), 4u);
  EXPECT_NEAR(v[1], 1.0, 1e-12);
  EXPECT_NEAR(v[2], 1.0, 1e-12);  // {5, 7}
  EXPECT_NEAR(v[3], 0.0, 1e-12);  // {9}
  EXPECT_NEAR(block_scores(w, d, 2, 2, "l1")[2], 12.0, 1e-12);
}

// Shape-generic checks: grid size, per-row / per-layer zero counts, masked weights exactly the
// zero blocks (partial edges included).
void check_shape(uint32_t bo, uint32_t bi, const WeightDims& d, double sp, const std::string& sel) {
  SCOPED_TRACE(std::to_string(bo) + "x" + std::to_string(bi) + " " + sel);
  const std::vector<float> w = random_weights(d, 11 + bo * 7 + bi);
  const ir::BlockMask m = select_block_mask(w, d, bo, bi, sp, "l2", sel);
  const uint32_t rows = (d.cout + bo - 1) / bo, cols = (d.cin + bi - 1) / bi;
  ASSERT_EQ(m.bo, bo);
  ASSERT_EQ(m.bi, bi);
  ASSERT_EQ(m.rows, rows);
  ASSERT_EQ(m.cols, cols);
  const std::vector<double> s = block_scores(w, d, bo, bi, "l2");
  uint32_t total = 0;
  double max_zeroed = -1, min_kept = 1e300;
  for (uint32_t r = 0; r < rows; ++r) {
    uint32_t zeros = 0;
    for (uint32_t c = 0; c < cols; ++c) {
      const double v = s[size_t{r} * cols + c];
      if (!m.at(r, c)) {
        ++zeros;
        max_zeroed = std::max(max_zeroed, v);
      } else {
        min_kept = std::min(min_kept, v);
      }
    }
    if (sel == "row-balanced") {
      EXPECT_EQ(zeros, blocks_to_zero(sp, cols)) << "row " << r;
    }
    total += zeros;
  }
  if (sel == "global") {
    EXPECT_EQ(total, global_blocks_to_zero(sp, rows * cols));
    EXPECT_LE(max_zeroed, min_kept) << "global keeps the highest scores of the whole layer";
  }
  const std::vector<float> f = expand_block_mask(m, d);
  size_t zero_weights = 0;
  for (uint32_t o = 0; o < d.cout; ++o)
    for (uint32_t i = 0; i < d.cin; ++i)
      for (uint32_t k = 0; k < d.khw; ++k) {
        const float want = m.at(o / bo, i / bi) ? 1.0f : 0.0f;
        ASSERT_EQ(f[(size_t{o} * d.cin + i) * d.khw + k], want);
        zero_weights += want == 0.0f;
      }
  EXPECT_GT(zero_weights, 0u);
}

TEST(BlockMask, EveryBlockShapeWithPartialEdges) {
  // 20 x 36 channels is a multiple of none of 8, 16 (and leaves partial 4x16 / 16x4 edges).
  const WeightDims d{20, 36, 9};
  for (const auto& [bo, bi] : std::vector<std::pair<uint32_t, uint32_t>>{{1, 1}, {8, 8}, {4, 16}, {16, 4}})
    for (const char* sel : {"row-balanced", "global"}) check_shape(bo, bi, d, 0.5, sel);
  // FC as a 1x1 conv: [10][32][1].
  check_shape(8, 8, WeightDims{10, 32, 1}, 0.5, "row-balanced");
  check_shape(1, 1, WeightDims{10, 32, 1}, 0.75, "global");
}

TEST(BlockMask, FourBySixteenPartialGrid) {
  // 6 x 20 channels in 4x16 blocks: 2 x 2 grid, last row 2 channels, last column 4 channels.
  const WeightDims d{6, 20, 1};
  std::vector<float> w(d.size(), 1.0f);
  const ir::BlockMask m = select_block_mask(w, d, 4, 16, 0.5);
  ASSERT_EQ(m.rows, 2u);
  ASSERT_EQ(m.cols, 2u);
  // Equal weights: the 4-channel partial column scores lower than the 16-channel one in each row.
  EXPECT_EQ(m.bits, (std::vector<uint8_t>{1, 0, 1, 0}));
  const auto s = block_scores(w, d, 4, 16, "l1");
  EXPECT_EQ(s, (std::vector<double>{64, 16, 32, 8}));
  // Global 25% of 4 blocks = 1: the smallest (corner, 2 x 4 weights).
  EXPECT_EQ(select_block_mask(w, d, 4, 16, 0.25, "l1", "global").bits, (std::vector<uint8_t>{1, 1, 1, 0}));
}

TEST(BlockMask, GlobalSelectionMayEmptyRowsButNotTheLayer) {
  // Row 0 has tiny weights, row 1 large: global 50% zeroes all of row 0, row-balanced half of each.
  const WeightDims d{16, 32, 1};
  std::vector<float> w(d.size());
  for (uint32_t c = 0; c < 4; ++c) {
    fill_block(w, d, 8, 8, 0, c, 0.01f * (c + 1));
    fill_block(w, d, 8, 8, 1, c, 1.0f + c);
  }
  EXPECT_EQ(select_block_mask(w, d, 8, 8, 0.5, "l2", "global").bits, (std::vector<uint8_t>{0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(select_block_mask(w, d, 8, 8, 0.5, "l2", "row-balanced").bits, (std::vector<uint8_t>{0, 0, 1, 1, 0, 0, 1, 1}));
  const ir::BlockMask all = select_block_mask(w, d, 8, 8, 0.95, "l2", "global");
  EXPECT_EQ(all.nnz(), 1u);  // round(0.95 * 8) = 8 capped at 7
  EXPECT_TRUE(all.at(1, 3));
}

TEST(BlockMask, IncrementalScheduleIsMonotoneAndReachesTheTarget) {
  EXPECT_EQ(incremental_steps(1), 1u);
  EXPECT_EQ(incremental_steps(3), 2u);
  EXPECT_EQ(incremental_steps(6), 5u);
  EXPECT_DOUBLE_EQ(incremental_sparsity(0.5, 1, 2), 0.25);
  EXPECT_DOUBLE_EQ(incremental_sparsity(0.5, 2, 2), 0.5);
  EXPECT_DOUBLE_EQ(incremental_sparsity(0.7, 3, 3), 0.7);  // exactly the target at the last step
  EXPECT_THROW(incremental_sparsity(0.5, 3, 2), std::runtime_error);

  const WeightDims d{24, 40, 9};
  for (const char* sel : {"row-balanced", "global"})
    for (const auto& [bo, bi] : std::vector<std::pair<uint32_t, uint32_t>>{{8, 8}, {1, 1}, {16, 4}}) {
      SCOPED_TRACE(std::string(sel) + " " + std::to_string(bo) + "x" + std::to_string(bi));
      const double target = 0.75;
      const uint32_t steps = incremental_steps(6);
      std::vector<float> w = random_weights(d, 21);
      ir::BlockMask m;
      for (uint32_t t = 1; t <= steps; ++t) {
        // Training between steps changes the scores: previously weak blocks may now score high.
        std::vector<float> moved = random_weights(d, 100 + t);
        const std::vector<float> f = m.bits.empty() ? std::vector<float>(d.size(), 1.0f) : expand_block_mask(m, d);
        for (size_t j = 0; j < w.size(); ++j) w[j] = f[j] * moved[j];  // zero blocks stay zero
        const ir::BlockMask next =
            select_block_mask(w, d, bo, bi, incremental_sparsity(target, t, steps), "l2", sel, m.bits.empty() ? nullptr : &m);
        for (size_t b = 0; b < m.bits.size(); ++b) {
          if (!m.bits[b]) {
            ASSERT_EQ(next.bits[b], 0) << "step " << t << " un-zeroed block " << b;
          }
        }
        EXPECT_GE(next.bits.size() - next.nnz(), m.bits.size() - (m.bits.empty() ? 0 : m.nnz()));
        m = next;
      }
      // The last step reaches exactly the one-shot count.
      const ir::BlockMask one_shot = select_block_mask(w, d, bo, bi, target, "l2", sel);
      EXPECT_EQ(m.nnz(), one_shot.nnz());
      if (std::string(sel) == "row-balanced") {
        for (uint32_t r = 0; r < m.rows; ++r) {
          uint32_t zeros = 0;
          for (uint32_t c = 0; c < m.cols; ++c) zeros += !m.at(r, c);
          EXPECT_EQ(zeros, blocks_to_zero(target, m.cols));
        }
      }
    }
}

TEST(BlockMask, PrevZerosStayEvenWhenTheyScoreHigh) {
  const WeightDims d{8, 32, 1};
  std::vector<float> w(d.size());
  for (uint32_t c = 0; c < 4; ++c) fill_block(w, d, 8, 8, 0, c, 1.0f + c);
  ir::BlockMask prev;
  prev.rows = 1;
  prev.cols = 4;
  prev.bits = {1, 1, 1, 0};  // the strongest block was zeroed earlier
  // Target 50% = 2 zeros: block 3 stays zero, one more goes (the weakest kept: block 0).
  EXPECT_EQ(select_block_mask(w, d, 8, 8, 0.5, "l2", "row-balanced", &prev).bits, (std::vector<uint8_t>{0, 1, 1, 0}));
  // A target below what prev already has zeroes nothing more and un-zeroes nothing.
  EXPECT_EQ(select_block_mask(w, d, 8, 8, 0.0, "l2", "global", &prev).bits, prev.bits);
}

}  // namespace
}  // namespace saie::trainer
