// train_loop_test.cpp — LibTorch steps: masked SGD keeps zero blocks exactly zero, masks on the
// live net skip the first conv, calibration and parameter extraction line up with the spec.
#include "trainer/train_loop.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "trainer/quant/quantize.h"
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
  for (int e = 0; e < 3; ++e) train_epoch(net, sgd, d, 16, rng, &ms, EpochOptions{});  // 18 SGD steps
  EXPECT_TRUE(masks_hold(net, ms));
  EXPECT_GT((net->weight(3) - before).abs().max().item<float>(), 0.0f) << "kept weights must have trained";

  // Control: without the masks the same steps move the pruned weights off zero.
  torch::optim::SGD sgd2(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  train_epoch(net, sgd2, d, 16, rng, nullptr, EpochOptions{});
  EXPECT_FALSE(masks_hold(net, ms));
}

TEST(TrainLoop, TrainEpochReportsProgressAndIsDeterministic) {
  TensorData d = random_data(64, 6);
  auto run = [&](std::vector<std::string>* lines) {
    torch::manual_seed(7);
    SpecNet net(make_model_spec("tiny"));
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    std::mt19937_64 rng(8);
    EpochOptions eo;
    eo.progress = [&](const std::string& s) { lines->push_back(s); };
    eo.label = "dense 1/1";
    eo.report_every = 3;
    train_epoch(net, sgd, d, 8, rng, nullptr, eo);
    return to_vector(net->weight(6));
  };
  std::vector<std::string> a, b;
  const auto wa = run(&a), wb = run(&b);
  EXPECT_EQ(wa, wb);
  ASSERT_EQ(a.size(), 2u);  // 8 batches, every 3rd reported except the last
  EXPECT_EQ(a[0].rfind("dense 1/1 [####------]  37% batch 3/8, loss ", 0), 0u) << a[0];
  EXPECT_NE(a[0].find(", acc "), std::string::npos) << a[0];
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
  EpochOptions eo;
  eo.lr = &lr;
  train_epoch(net, sgd, d, 16, rng, nullptr, eo);  // 2 steps: rates 0.2, 0.2 * (1 + cos(pi/4)) / 2
  EXPECT_EQ(lr.step, 2);
  EXPECT_NEAR(static_cast<torch::optim::SGDOptions&>(sgd.param_groups()[0].options()).lr(),
              0.1 * (1 + std::cos(M_PI / 4)), 1e-12);
}

}  // namespace
}  // namespace saie::trainer

// --- issue 3: block shapes on live nets, incremental masks, BatchNorm folding, calibration ---
namespace saie::trainer {
namespace {

TEST(TrainLoop, NonSquareAndUnstructuredMasksHeldThroughSgd) {
  TensorData d = random_data(64, 31);
  for (const auto& [bo, bi] : std::vector<std::pair<uint32_t, uint32_t>>{{4, 16}, {16, 4}, {1, 1}}) {
    SCOPED_TRACE(std::to_string(bo) + "x" + std::to_string(bi));
    torch::manual_seed(32);
    SpecNet net(make_model_spec("tiny"));
    MaskRule rule;
    rule.bo = bo;
    rule.bi = bi;
    rule.selection = "global";  // tiny has 16 channels: a 4x16 grid has one column per row
    const MaskSet ms = compute_masks(net, rule, 0.5);
    for (const auto& m : ms.masks) {
      EXPECT_EQ(m.bo, bo);
      EXPECT_EQ(m.bi, bi);
    }
    apply_masks(net, ms);
    EXPECT_GT(masked_fraction(net, ms), 0.3);
    EXPECT_LT(masked_fraction(net, ms), 0.6);
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(5e-4));
    std::mt19937_64 rng(33);
    EpochOptions eo;
    eo.augment = true;
    for (int e = 0; e < 2; ++e) train_epoch(net, sgd, d, 16, rng, &ms, eo);  // 8 steps
    EXPECT_TRUE(masks_hold(net, ms));
  }
}

TEST(TrainLoop, IncrementalMasksKeepOldZerosAndClearTheirMomentum) {
  TensorData d = random_data(64, 41);
  torch::manual_seed(42);
  SpecNet net(make_model_spec("tiny"));
  MaskRule rule;  // 8x8, l2, row-balanced
  MaskSet m1 = compute_masks(net, rule, 0.0);  // tiny: conv3 16x16 -> 2x2 grid; nothing zero yet
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  std::mt19937_64 rng(43);
  train_epoch(net, sgd, d, 16, rng, &m1, EpochOptions{});
  const MaskSet m2 = compute_masks(net, rule, 0.5, &m1);
  apply_masks(net, m2);
  apply_masks_to_optimizer(net, m2, sgd);
  for (size_t k = 0; k < m2.layers.size(); ++k) {
    const torch::Tensor w = net->weight(m2.layers[k]);
    const auto& st = static_cast<torch::optim::SGDParamState&>(*sgd.state().at(c10::guts::to_string(w.unsafeGetTensorImpl())));
    EXPECT_EQ((st.momentum_buffer() * (1 - m2.factors[k])).abs().max().item<float>(), 0.0f) << "layer " << m2.layers[k];
    EXPECT_GT(st.momentum_buffer().abs().max().item<float>(), 0.0f);
  }
  train_epoch(net, sgd, d, 16, rng, &m2, EpochOptions{});
  const MaskSet m3 = compute_masks(net, rule, 0.75, &m2);  // cols 2 -> still 1 zero per row (cap)
  for (size_t k = 0; k < m2.masks.size(); ++k)
    for (size_t b = 0; b < m2.masks[k].bits.size(); ++b) {
      if (!m2.masks[k].bits[b]) {
        EXPECT_EQ(m3.masks[k].bits[b], 0);
      }
    }
  EXPECT_TRUE(masks_hold(net, m2));
}

TEST(TrainLoop, BatchNormIsFoldedIntoTheExportedConv) {
  torch::manual_seed(51);
  SpecNet net(make_model_spec("resnet-s"));
  // Non-trivial BN statistics and affine parameters.
  {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < net->spec().layers.size(); ++i)
      if (auto bn = net->batchnorm(i)) {
        bn->running_mean.uniform_(-0.5, 0.5);
        bn->running_var.uniform_(0.5, 2.0);
        bn->weight.uniform_(0.5, 1.5);
        bn->bias.uniform_(-0.2, 0.2);
      }
  }
  const MaskSet ms = compute_masks(net, 8, 8, 0.5, "l2");
  apply_masks(net, ms);
  const auto ps = extract_params(net, ms);
  net->eval();
  const torch::Tensor x = torch::rand({2, 1, 28, 28});
  const auto outs = net->forward_all(x);
  // conv2 (index 2) reads pool1 (index 1); its folded params alone must reproduce conv+BN+ReLU.
  const LayerSpec& l = net->spec().layers[2];
  ASSERT_EQ(l.name, "conv2");
  ASSERT_TRUE(l.bn);
  const torch::Tensor w = torch::tensor(ps[2].weight).reshape({l.cout, l.cin, 3, 3});
  const torch::Tensor b = torch::tensor(ps[2].bias);
  const torch::Tensor y = torch::relu(torch::conv2d(outs[1], w, b, 1, 1));
  EXPECT_LT((y - outs[2]).abs().max().item<float>(), 1e-4f);
  // Folding scales whole output channels: the masked-out blocks are still exactly zero.
  EXPECT_TRUE(ps[2].has_mask);
  EXPECT_EQ(count_masked_nonzeros(ps[2].weight, ps[2].mask, weight_dims(net, 2)), 0u);
  // And the exported graph has no BN op (conv/fc/pool/add only).
  const auto mx = calibrate_max_abs(net, x);
  const ir::Graph g = build_graph(net->spec(), ps, calibrated_scales(net->spec(), mx), ir::Provenance{}, 8, 8);
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.nodes.size(), net->spec().layers.size() + 1);
}

TEST(TrainLoop, PercentileCalibrationClipsOutliers) {
  torch::manual_seed(61);
  SpecNet net(make_model_spec("tiny"));
  const torch::Tensor x = torch::rand({40, 1, 28, 28});
  const auto mx = calibrate_max_abs(net, x);
  const auto p100 = calibrate_percentile(net, x, 100.0);
  const auto p99 = calibrate_percentile(net, x, 99.0);
  const auto p50 = calibrate_percentile(net, x, 50.0);
  ASSERT_EQ(p100.size(), mx.size());
  for (size_t i = 0; i < mx.size(); ++i) {
    EXPECT_FLOAT_EQ(p100[i], mx[i]) << i;
    EXPECT_LT(p99[i], mx[i]) << i;
    EXPECT_LE(p50[i], p99[i]) << i;
  }
  // The median of the logits' |values| over 40 x 10 values is the 200th smallest.
  const torch::Tensor logits = net->forward(x).abs().flatten();
  EXPECT_FLOAT_EQ(p50.back(), std::get<0>(logits.kthvalue(200)).item<float>());
  EXPECT_THROW(calibrate_percentile(net, x, 0.0), std::runtime_error);
}

TEST(TrainLoop, AugmentationShiftsAndFlipsDeterministically) {
  // One bright pixel at (14, 14): after a shift of at most 2 px (and a flip) it is still inside
  // the image, so every augmented image keeps exactly one pixel of value 1.
  torch::Tensor x = torch::zeros({50, 1, 28, 28});
  x.index_put_({torch::indexing::Slice(), 0, 14, 14}, 1.0f);
  std::mt19937_64 r1(5), r2(5);
  const torch::Tensor a = augment_batch(x, r1), b = augment_batch(x, r2);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_EQ(a.sizes(), x.sizes());
  std::set<std::pair<int64_t, int64_t>> positions;
  for (int64_t i = 0; i < 50; ++i) {
    EXPECT_FLOAT_EQ(a[i].sum().item<float>(), 1.0f);
    const int64_t flat = a[i].flatten().argmax().item<int64_t>();
    const int64_t row = flat / 28, col = flat % 28;
    EXPECT_LE(std::abs(row - 14), 2);
    EXPECT_TRUE(std::abs(col - 14) <= 2 || std::abs(col - 13) <= 2);  // a flip mirrors 14 to 13
    positions.insert({row, col});
  }
  EXPECT_GT(positions.size(), 5u) << "shifts must vary";
}

TEST(TrainLoop, EtaAndDurations) {
  EtaClock e;
  EXPECT_LT(e.eta_seconds(), 0);
  e.total_steps = 100;
  e.done_steps = 60;  // 50 of them before a resume
  e.timed_steps = 10;
  e.timed_seconds = 2.0;
  EXPECT_DOUBLE_EQ(e.eta_seconds(), 8.0);
  EXPECT_EQ(format_duration(42.4), "42 s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
}

}  // namespace
}  // namespace saie::trainer

namespace saie::trainer {
namespace {

TEST(TrainLoop, BatchNormRecalibrationMatchesTheDataStatistics) {
  torch::manual_seed(71);
  SpecNet net(make_model_spec("resnet-s"));
  SpecNet tiny(make_model_spec("tiny"));
  EXPECT_FALSE(recalibrate_batchnorm(tiny, torch::rand({4, 1, 28, 28})));
  const torch::Tensor x = torch::rand({600, 1, 28, 28});
  ASSERT_TRUE(recalibrate_batchnorm(net, x));
  // conv1's BN statistics are the per-channel mean / unbiased variance of conv1's raw output.
  torch::NoGradGuard ng;
  const torch::Tensor y = torch::conv2d(x, net->weight(0), net->bias(0), 1, 1);
  const auto bn = net->batchnorm(0);
  // Cumulative averages over the batches of 250, 250, 100 images of each batch's mean and
  // unbiased variance (the old statistics are gone).
  torch::Tensor mean = torch::zeros({32}), var = torch::zeros({32});
  int64_t seen = 0;
  for (int64_t lo : {0, 250, 500}) {
    const torch::Tensor b = y.slice(0, lo, std::min<int64_t>(600, lo + 250));
    ++seen;
    mean += (b.mean({0, 2, 3}) - mean) / static_cast<double>(seen);
    var += (b.var({0, 2, 3}, true) - var) / static_cast<double>(seen);
  }
  EXPECT_LT((bn->running_mean - mean).abs().max().item<float>(), 1e-4f);
  EXPECT_LT((bn->running_var - var).abs().max().item<float>(), 1e-4f);
  EXPECT_EQ(bn->options.momentum().value(), 0.1);  // restored
}

}  // namespace
}  // namespace saie::trainer
