// fold_bn_test.cpp — BatchNorm folding on a hand-computed example and its size checks.
#include "trainer/export/fold_bn.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace saie::trainer {
namespace {

TEST(FoldBn, HandComputedTwoChannels) {
  // cout = 2, rows of 3 weights (e.g. 1 input channel, 1x3 kernel).
  std::vector<float> w = {1.0f, -2.0f, 0.5f, 4.0f, 0.0f, -1.0f};
  std::vector<float> b = {1.0f, -1.0f};
  // var = {3, 0}, eps = 1: s0 = 2 / sqrt(4) = 1.0, s1 = 0.5 / sqrt(1) = 0.5.
  const std::vector<float> gamma = {2.0f, 0.5f}, beta = {0.25f, 3.0f}, mean = {2.0f, -3.0f}, var = {3.0f, 0.0f};
  fold_batchnorm(w, b, 2, gamma, beta, mean, var, 1.0);
  const std::vector<float> w_expect = {1.0f, -2.0f, 0.5f, 2.0f, 0.0f, -0.5f};
  for (size_t i = 0; i < w.size(); ++i) EXPECT_FLOAT_EQ(w[i], w_expect[i]) << i;
  ASSERT_EQ(b.size(), 2u);
  EXPECT_FLOAT_EQ(b[0], (1.0f - 2.0f) * 1.0f + 0.25f);   // -0.75
  EXPECT_FLOAT_EQ(b[1], (-1.0f + 3.0f) * 0.5f + 3.0f);   // 4.0
}

TEST(FoldBn, EmptyBiasBecomesFoldedShift) {
  std::vector<float> w = {2.0f, 2.0f};
  std::vector<float> b;
  fold_batchnorm(w, b, 1, {4.0f}, {1.0f}, {0.5f}, {4.0f}, 0.0);  // s = 4 / 2 = 2
  EXPECT_FLOAT_EQ(w[0], 4.0f);
  EXPECT_FLOAT_EQ(w[1], 4.0f);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_FLOAT_EQ(b[0], (0.0f - 0.5f) * 2.0f + 1.0f);  // 0
}

TEST(FoldBn, FoldedEqualsConvThenBnOnAnInput) {
  // One output channel of a 1x1 conv over 3 input channels: y = w.x + b, then BN.
  std::vector<float> w = {0.3f, -1.2f, 2.5f}, b = {0.1f};
  const std::vector<float> x = {1.5f, 0.25f, -0.75f};
  const float gamma = 1.7f, beta = -0.4f, mean = 0.9f, var = 2.3f;
  const double eps = 1e-5;
  double conv = b[0];
  for (int i = 0; i < 3; ++i) conv += double{w[i]} * x[i];
  const double bn = gamma * (conv - mean) / std::sqrt(var + eps) + beta;
  fold_batchnorm(w, b, 1, {gamma}, {beta}, {mean}, {var}, eps);
  double folded = b[0];
  for (int i = 0; i < 3; ++i) folded += double{w[i]} * x[i];
  EXPECT_NEAR(folded, bn, 1e-5);
}

TEST(FoldBn, RejectsSizeMismatches) {
  std::vector<float> w(6, 1.0f), b;
  const std::vector<float> two = {1.0f, 1.0f}, three = {1.0f, 1.0f, 1.0f};
  EXPECT_THROW(fold_batchnorm(w, b, 2, three, two, two, two, 1e-5), std::invalid_argument);  // gamma
  EXPECT_THROW(fold_batchnorm(w, b, 2, two, three, two, two, 1e-5), std::invalid_argument);  // beta
  EXPECT_THROW(fold_batchnorm(w, b, 2, two, two, three, two, 1e-5), std::invalid_argument);  // mean
  EXPECT_THROW(fold_batchnorm(w, b, 2, two, two, two, three, 1e-5), std::invalid_argument);  // var
  std::vector<float> bad_b = {1.0f, 2.0f, 3.0f};
  EXPECT_THROW(fold_batchnorm(w, bad_b, 2, two, two, two, two, 1e-5), std::invalid_argument);
  std::vector<float> w5(5, 1.0f);
  EXPECT_THROW(fold_batchnorm(w5, b, 2, two, two, two, two, 1e-5), std::invalid_argument);  // 5 % 2 != 0
  EXPECT_THROW(fold_batchnorm(w, b, 0, {}, {}, {}, {}, 1e-5), std::invalid_argument);
  // var + eps <= 0
  EXPECT_THROW(fold_batchnorm(w, b, 2, two, two, two, {0.0f, 0.0f}, 0.0), std::invalid_argument);
  // Nothing was modified by the failed calls.
  EXPECT_EQ(w, std::vector<float>(6, 1.0f));
  EXPECT_TRUE(b.empty());
}

TEST(FoldBn, ErrorNamesTheOffendingTensor) {
  std::vector<float> w(4, 1.0f), b;
  try {
    fold_batchnorm(w, b, 2, {1.0f, 1.0f}, {0.0f, 0.0f}, {0.0f}, {1.0f, 1.0f}, 1e-5);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("running_mean"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace saie::trainer
