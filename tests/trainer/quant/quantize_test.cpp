// quantize_test.cpp — per-channel int8 weights, int32 biases and calibrated activation scales.
#include "trainer/quant/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {
namespace {

TEST(Quantize, PerChannelScalesAndExtremes) {
  // 3 channels of 4 weights; channel 2 is all zero.
  const std::vector<float> w = {0.5f, -1.27f, 0.1f, 0.0f, 2.54f, 1.0f, -2.0f, 0.01f, 0, 0, 0, 0};
  const QuantizedWeights q = quantize_weights_per_channel(w, 3);
  ASSERT_EQ(q.scales.size(), 3u);
  EXPECT_FLOAT_EQ(q.scales[0], 1.27f / 127.0f);
  EXPECT_FLOAT_EQ(q.scales[1], 2.54f / 127.0f);
  EXPECT_FLOAT_EQ(q.scales[2], 1.0f / 127.0f);  // all-zero channel: safe scale
  EXPECT_EQ(q.q[1], -127);                       // the channel maximum maps to +-127
  EXPECT_EQ(q.q[4], 127);
  EXPECT_EQ(q.q[0], 50);                         // 0.5 / 0.01
  EXPECT_EQ(q.q[6], -100);
  for (int j = 8; j < 12; ++j) EXPECT_EQ(q.q[j], 0);
  EXPECT_THROW(quantize_weights_per_channel(w, 5), std::runtime_error);
}

TEST(Quantize, RoundTripErrorWithinHalfStep) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.2f);
  const uint32_t cout = 16;
  std::vector<float> w(cout * 8 * 9);
  for (auto& v : w) v = nd(rng);
  const QuantizedWeights q = quantize_weights_per_channel(w, cout);
  const size_t per = w.size() / cout;
  for (uint32_t oc = 0; oc < cout; ++oc) {
    for (size_t j = 0; j < per; ++j) {
      const size_t k = oc * per + j;
      EXPECT_LE(std::fabs(q.q[k] * q.scales[oc] - w[k]), q.scales[oc] * 0.5f * (1 + 1e-5f)) << oc << " " << j;
      EXPECT_GE(q.q[k], -127);
      EXPECT_LE(q.q[k], 127);
    }
  }
}

TEST(Quantize, ZeroBlocksStayExactlyZero) {
  const WeightDims d{16, 24, 9};
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> w(d.size());
  for (auto& v : w) v = nd(rng);
  const ir::BlockMask m = select_block_mask(w, d, 8, 8, 0.5);
  const std::vector<float> f = expand_block_mask(m, d);
  for (size_t j = 0; j < w.size(); ++j) w[j] *= f[j];
  const QuantizedWeights q = quantize_weights_per_channel(w, d.cout);
  size_t zeros = 0;
  for (size_t j = 0; j < w.size(); ++j) {
    if (f[j] == 0.0f) {
      EXPECT_EQ(q.q[j], 0) << j;
      ++zeros;
    }
  }
  EXPECT_EQ(zeros, size_t{2} * 2 * 8 * 8 * 9);  // 2 block rows x k = round(0.5 * 3) = 2 zero blocks of 8x8x9
}

TEST(Quantize, BiasUsesInputTimesWeightScale) {
  const std::vector<int32_t> b = quantize_bias({0.5f, -0.25f, 0.0f}, 0.01f, {0.1f, 0.05f, 1.0f});
  EXPECT_EQ(b, (std::vector<int32_t>{500, -500, 0}));
  // Huge biases saturate instead of wrapping.
  EXPECT_EQ(quantize_bias({1e30f}, 1e-3f, {1e-3f})[0], kBiasLimit);
  EXPECT_EQ(quantize_bias({-1e30f}, 1e-3f, {1e-3f})[0], -kBiasLimit);
  EXPECT_THROW(quantize_bias({1.0f}, 0.1f, {0.1f, 0.2f}), std::runtime_error);
}

TEST(Quantize, PoolsKeepTheirInputScale) {
  const ModelSpec s = make_model_spec("tiny");  // conv1 pool1 conv2 conv3 add1 gap fc
  const std::vector<float> mx = {2.54f, 99.0f, 1.27f, 0.635f, 3.81f, 99.0f, 0.0f};
  const std::vector<float> sc = calibrated_scales(s, mx);
  EXPECT_FLOAT_EQ(sc[0], 0.02f);
  EXPECT_FLOAT_EQ(sc[1], sc[0]);  // maxpool: conv1's scale, not its own max
  EXPECT_FLOAT_EQ(sc[2], 0.01f);
  EXPECT_FLOAT_EQ(sc[3], 0.005f);
  EXPECT_FLOAT_EQ(sc[4], 0.03f);
  EXPECT_FLOAT_EQ(sc[5], sc[4]);  // avgpool: add1's scale
  EXPECT_FLOAT_EQ(sc[6], 1.0f / 127.0f);  // never active: safe fallback
  EXPECT_THROW(calibrated_scales(s, {1.0f}), std::runtime_error);
  EXPECT_FLOAT_EQ(kInputScale, 1.0f / 127.0f);
}

TEST(Quantize, OihwToOhwi) {
  // cout 2, cin 3, kh 2, kw 2: value = o*1000 + i*100 + y*10 + x (fits int8 after scaling down).
  std::vector<int8_t> w(2 * 3 * 2 * 2);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 3; ++i)
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x) w[((o * 3 + i) * 2 + y) * 2 + x] = static_cast<int8_t>(o * 60 + i * 16 + y * 4 + x);
  const std::vector<int8_t> r = oihw_to_ohwi(w, 2, 3, 2, 2);
  for (int o = 0; o < 2; ++o)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x)
        for (int i = 0; i < 3; ++i) EXPECT_EQ(r[((o * 2 + y) * 2 + x) * 3 + i], o * 60 + i * 16 + y * 4 + x);
  EXPECT_THROW(oihw_to_ohwi(w, 2, 3, 2, 3), std::runtime_error);
}

}  // namespace
}  // namespace saie::trainer
