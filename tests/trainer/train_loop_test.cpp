// train_loop_test.cpp — LibTorch steps: masked SGD keeps zero blocks exactly zero, masks on the
// live net skip the first conv, calibration and parameter extraction line up with the spec.
#include "trainer/train_loop.h"

#include <gtest/gtest.h>

#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {
namespace {

TensorData random_data(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  TensorData d;
  d.images = torch::rand({n, 1, 28, 28});
  d.labels = torch::randint(0, 10, {n}, torch::kInt64);
  return d;
}

TEST(TrainLoop, ForwardShapes) {
  torch::manual_seed(1);
  SpecNet net(make_model_spec("tiny"));
  const auto outs = net->forward_all(torch::rand({3, 1, 28, 28}));
  ASSERT_EQ(outs.size(), 7u);
  EXPECT_EQ(outs[1].sizes(), (std::vector<int64_t>{3, 8, 14, 14}));  // pool1
  EXPECT_EQ(outs[5].sizes(), (std::vector<int64_t>{3, 16, 1, 1}));   // gap
  EXPECT_EQ(outs[6].sizes(), (std::vector<int64_t>{3, 10}));         // logits
  EXPECT_GE(outs[4].min().item<float>(), 0.0f);                      // add1 has its ReLU
}

TEST(TrainLoop, MasksSkipFirstConvAndZeroHalfOfEachRow) {
  torch::manual_seed(2);
  SpecNet net(make_model_spec("small-resnet"));
  const MaskSet ms = compute_masks(net, 8, 8, 0.5, "l2");
  EXPECT_EQ(ms.layers, (std::vector<size_t>{2, 3, 4, 5, 8}));  // conv2..conv5, fc; not conv1 (0)
  for (const auto& m : ms.masks)
    for (uint32_t r = 0; r < m.rows; ++r) {
      uint32_t zeros = 0;
      for (uint32_t c = 0; c < m.cols; ++c) zeros += !m.at(r, c);
      EXPECT_EQ(zeros, m.cols / 2);
    }
  EXPECT_FALSE(masks_hold(net, ms));  // not applied yet: random weights are non-zero
  apply_masks(net, ms);
  EXPECT_TRUE(masks_hold(net, ms));
  EXPECT_NEAR(masked_fraction(net, ms), 0.5, 1e-9);
}

TEST(TrainLoop, MaskedFineTuneKeepsZerosExactly) {
  TensorData d = random_data(96, 3);
  torch::manual_seed(4);
  SpecNet net(make_model_spec("tiny"));
  const MaskSet ms = compute_masks(net, 8, 8, 0.5, "l2");
  apply_masks(net, ms);
  const torch::Tensor before = net->weight(3).detach().clone();  // conv3
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(5e-4));
  std::mt19937_64 rng(5);
  for (int e = 0; e < 3; ++e) train_epoch(net, sgd, d, 16, rng, &ms, {}, "ft");  // 18 SGD steps
  EXPECT_TRUE(masks_hold(net, ms));
  EXPECT_GT((net->weight(3) - before).abs().max().item<float>(), 0.0f) << "kept weights must have trained";

  // Control: without the masks the same steps move the pruned weights off zero.
  torch::optim::SGD sgd2(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  train_epoch(net, sgd2, d, 16, rng, nullptr, {}, "dense");
  EXPECT_FALSE(masks_hold(net, ms));
}

TEST(TrainLoop, TrainEpochReportsProgressAndIsDeterministic) {
  TensorData d = random_data(64, 6);
  auto run = [&](std::vector<std::string>* lines) {
    torch::manual_seed(7);
    SpecNet net(make_model_spec("tiny"));
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    std::mt19937_64 rng(8);
    train_epoch(net, sgd, d, 8, rng, nullptr, [&](const std::string& s) { lines->push_back(s); }, "dense epoch 1/1", 3);
    return to_vector(net->weight(6));
  };
  std::vector<std::string> a, b;
  const auto wa = run(&a), wb = run(&b);
  EXPECT_EQ(wa, wb);
  ASSERT_EQ(a.size(), 2u);  // 8 batches, every 3rd reported except the last
  EXPECT_EQ(a[0].rfind("dense epoch 1/1: batch 3/8, loss ", 0), 0u) << a[0];
}

TEST(TrainLoop, CalibrationAndExtraction) {
  torch::manual_seed(9);
  SpecNet net(make_model_spec("tiny"));
  const MaskSet ms = compute_masks(net, 8, 8, 0.5, "l2");
  const auto mx = calibrate_max_abs(net, torch::rand({300, 1, 28, 28}));
  ASSERT_EQ(mx.size(), 7u);
  EXPECT_FLOAT_EQ(mx[1], mx[0]);  // max-pooling keeps conv1's maximum
  for (float v : mx) EXPECT_GT(v, 0.0f);
  const auto ps = extract_params(net, ms);
  ASSERT_EQ(ps.size(), 7u);
  EXPECT_EQ(ps[0].weight.size(), 8u * 9);
  EXPECT_FALSE(ps[0].has_mask);
  EXPECT_TRUE(ps[2].has_mask);
  EXPECT_TRUE(ps[1].weight.empty());
  EXPECT_EQ(ps[6].weight.size(), 10u * 16);
  EXPECT_EQ(ps[6].bias.size(), 10u);
}

TEST(TrainLoop, ToTensorsScalesPixels) {
  data::Dataset ds;
  ds.count = 2;
  ds.rows = ds.cols = 2;
  ds.pixels = {0, 255, 51, 102, 1, 2, 3, 4};
  ds.labels = {3, 9};
  const TensorData t = to_tensors(ds);
  EXPECT_EQ(t.images.sizes(), (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_FLOAT_EQ(t.images[0][0][0][1].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(t.images[0][0][1][0].item<float>(), 0.2f);
  EXPECT_EQ(t.labels[1].item<int64_t>(), 9);
}

}  // namespace
}  // namespace saie::trainer

namespace saie::trainer {
namespace {

TEST(TrainLoop, CosineLrDecaysOverThePhase) {
  CosineLr lr{0.1, 4, 0};
  EXPECT_DOUBLE_EQ(lr.next(), 0.1);
  EXPECT_NEAR(lr.next(), 0.1 * (1 + std::cos(M_PI / 4)) / 2, 1e-12);
  EXPECT_NEAR(lr.next(), 0.05, 1e-12);
  const double last = lr.next();
  EXPECT_GT(last, 0.0);
  EXPECT_LT(last, 0.02);
}

TEST(TrainLoop, ScheduleSetsTheOptimiserRate) {
  TensorData d = random_data(32, 10);
  torch::manual_seed(11);
  SpecNet net(make_model_spec("tiny"));
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(1.0));
  CosineLr lr{0.2, 4, 0};
  std::mt19937_64 rng(12);
  train_epoch(net, sgd, d, 16, rng, nullptr, {}, "x", 200, &lr);  // 2 steps: rates 0.2, 0.2 * (1 + cos(pi/4)) / 2
  EXPECT_EQ(lr.step, 2);
  EXPECT_NEAR(static_cast<torch::optim::SGDOptions&>(sgd.param_groups()[0].options()).lr(),
              0.1 * (1 + std::cos(M_PI / 4)), 1e-12);
}

}  // namespace
}  // namespace saie::trainer
