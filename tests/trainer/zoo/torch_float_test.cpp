// torch_float_test.cpp — the LibTorch float network (TorchFloatNet) computes what run_float
// computes: every layer of reduced zoo networks and of a small hand-made graph with every op.
#include "trainer/zoo/torch_float.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "trainer/zoo/model_zoo.h"

namespace saie::trainer {
namespace {

// Largest |torch - reference| over a layer, relative to the layer's largest |reference| value.
double rel_error(const FloatTensor& got, const FloatTensor& want) {
  double err = 0, mx = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, std::fabs(static_cast<double>(got[i]) - want[i]));
    mx = std::max(mx, std::fabs(static_cast<double>(want[i])));
  }
  return err / std::max(mx, 1e-12);
}

// Every layer's torch output equals run_float's within a float tolerance (summation order differs).
void expect_matches_run_float(const FloatGraph& g, uint64_t seed, double tol = 1e-4) {
  const FloatTensor x = zoo_calibration_inputs(g.input, 1, seed).front();
  const std::vector<FloatTensor> want = run_float(g, x);
  const TorchFloatNet net(g);
  ASSERT_EQ(net.layer_count(), g.layers.size());
  const std::vector<torch::Tensor> got = net.forward_all(hwc_to_nchw(x, g.input));
  ASSERT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const FloatTensor h = nchw_to_hwc(got[i]);
    ASSERT_EQ(h.size(), want[i].size()) << g.name << " " << g.layers[i].name;
    const double e = rel_error(h, want[i]);
    worst = std::max(worst, e);
    EXPECT_LT(e, tol) << g.name << " " << g.layers[i].name;
  }
  // forward() (intermediates freed) gives the last layer's output too.
  const torch::Tensor y = net.forward(hwc_to_nchw(x, g.input));
  EXPECT_LT(rel_error(nchw_to_hwc(y), want.back()), tol) << g.name;
  EXPECT_TRUE(y.equal(got.back().view(y.sizes())));
  std::printf("%s: %zu layers, worst relative error %.3g\n", g.name.c_str(), g.layers.size(), worst);
}

ZooOptions small(uint32_t width_div, uint32_t input_hw) {
  ZooOptions o;
  o.width_div = width_div;
  o.input_hw = input_hw;
  o.num_classes = 40;
  return o;
}

TEST(TorchFloat, ResNet50ReducedMatchesRunFloat) {
  FloatGraph g = make_zoo_float_graph("resnet50", small(8, 64));
  prune_float_graph(g, 0.5);  // the benchmark's network: pruned float weights
  expect_matches_run_float(g, 3);
}

TEST(TorchFloat, InceptionV3ReducedMatchesRunFloat) {
  // 75x75 is the smallest input Inception-v3 takes (Mixed_7a's stride-2 3x3 leaves a 1x1 grid).
  expect_matches_run_float(make_zoo_float_graph("inception_v3", small(8, 75)), 4);
}

TEST(TorchFloat, Vgg16ReducedMatchesRunFloat) {
  expect_matches_run_float(make_zoo_float_graph("vgg16", small(16, 64)), 5);
}

// Every op and the arguments torch must not swap: non-square kernels, strides and paddings,
// max/avg pools with padding (avg divides by kh*kw), Fc with ReLU on a CHW flatten, Add, Relu,
// a 3-way concat.
TEST(TorchFloat, HandGraphWithEveryOpMatchesRunFloat) {
  FloatGraph g;
  g.name = "hand";
  g.input = ir::Shape{9, 11, 3};
  uint64_t s = 12345;
  auto rnd = [&]() {  // deterministic values in [-1, 1)
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(static_cast<double>(s >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  };
  auto add = [&](FloatLayer l) {
    g.layers.push_back(std::move(l));
    g.infer_shapes();
    FloatLayer& b = g.layers.back();
    if (b.op == FloatOp::Conv || b.op == FloatOp::Fc) {
      const ir::Shape in = g.shape_of(b.inputs[0]);
      const size_t n = size_t{b.cout} * in.c * (b.op == FloatOp::Fc ? in.h * in.w : b.kh * b.kw);
      b.weight.resize(n);
      for (float& v : b.weight) v = rnd();
      b.bias.resize(b.cout);
      for (float& v : b.bias) v = 0.1f * rnd();
    }
    return static_cast<int>(g.layers.size()) - 1;
  };
  auto layer = [](const char* name, FloatOp op, std::vector<int> in) {
    FloatLayer l;
    l.name = name;
    l.op = op;
    l.inputs = std::move(in);
    return l;
  };
  FloatLayer c0 = layer("c0", FloatOp::Conv, {-1});
  c0.kh = 3, c0.kw = 5, c0.stride_h = 2, c0.stride_w = 1, c0.pad_h = 1, c0.pad_w = 2, c0.cout = 6, c0.relu = true;
  const int a = add(c0);  // 5x11x6
  FloatLayer c1 = layer("c1", FloatOp::Conv, {a});
  c1.kh = 1, c1.kw = 3, c1.pad_w = 1, c1.cout = 6;  // no ReLU: negatives reach the pools
  const int b = add(c1);
  FloatLayer mp = layer("mp", FloatOp::MaxPool, {b});
  mp.kh = 3, mp.kw = 2, mp.stride_h = 1, mp.stride_w = 1, mp.pad_h = 1, mp.pad_w = 1;  // 5x12: padding ignored
  const int m = add(mp);
  FloatLayer ap = layer("ap", FloatOp::AvgPool, {b});
  ap.kh = 3, ap.kw = 2, ap.stride_h = 1, ap.stride_w = 1, ap.pad_h = 1, ap.pad_w = 1;  // edges: /6 with zeros
  const int p = add(ap);
  FloatLayer sum = layer("sum", FloatOp::Add, {m, p});
  sum.relu = true;
  const int ad = add(sum);
  const int r = add(layer("relu", FloatOp::Relu, {p}));
  const int cat = add(layer("cat", FloatOp::Concat, {ad, r, m}));
  FloatLayer pool = layer("pool", FloatOp::MaxPool, {cat});
  pool.kh = 2, pool.kw = 3, pool.stride_h = 2, pool.stride_w = 3;
  const int q0 = add(pool);  // 2x4x18
  // Table activations and a squeeze-excitation product (gate: global pool, 1x1 conv, sigmoid).
  const char* fns[] = {"hardswish", "hardsigmoid", "silu", "tanh"};
  int t = q0;
  for (const char* fn : fns) {
    FloatLayer l = layer(fn, FloatOp::Act, {t});
    l.act = fn;
    t = add(l);
  }
  FloatLayer gp = layer("gp", FloatOp::AvgPool, {t});
  gp.kh = 2, gp.kw = 4, gp.stride_h = 2, gp.stride_w = 4;
  const int gpi = add(gp);
  FloatLayer gc = layer("gc", FloatOp::Conv, {gpi});
  gc.cout = 18;
  const int gci = add(gc);
  FloatLayer sg = layer("sg", FloatOp::Act, {gci});
  sg.act = "sigmoid";
  const int gate = add(sg);
  const int q = add(layer("se", FloatOp::Mul, {t, gate}));
  FloatLayer f0 = layer("fc0", FloatOp::Fc, {q});
  f0.cout = 10, f0.relu = true;
  const int f = add(f0);
  FloatLayer f1 = layer("fc1", FloatOp::Fc, {f});
  f1.cout = 4;
  add(f1);
  EXPECT_EQ(g.layers[static_cast<size_t>(m)].out, (ir::Shape{5, 12, 6}));
  EXPECT_EQ(g.layers[static_cast<size_t>(q)].out, (ir::Shape{2, 4, 18}));
  expect_matches_run_float(g, 6, 1e-5);
  // forward() of an Fc-ended graph is [N, cout].
  const torch::Tensor y = TorchFloatNet(g).forward(hwc_to_nchw(zoo_calibration_inputs(g.input, 1, 6).front(), g.input));
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{1, 4}));
}

TEST(TorchFloat, BatchRowsAreIndependentImages) {
  const FloatGraph g = make_zoo_float_graph("resnet50", small(16, 32));
  const TorchFloatNet net(g);
  const std::vector<FloatTensor> xs = zoo_calibration_inputs(g.input, 2, 8);
  const torch::Tensor batch = torch::cat({hwc_to_nchw(xs[0], g.input), hwc_to_nchw(xs[1], g.input)}, 0);
  const torch::Tensor y = net.forward(batch);
  ASSERT_EQ(y.size(0), 2);
  for (int i = 0; i < 2; ++i) {
    const FloatTensor want = run_float(g, xs[static_cast<size_t>(i)]).back();
    EXPECT_LT(rel_error(nchw_to_hwc(y.narrow(0, i, 1)), want), 1e-4) << i;
  }
}

TEST(TorchFloat, RejectsBadInputsAndUnmaterialisedWeights) {
  const FloatGraph g = make_zoo_float_graph("resnet50", small(16, 32));
  const TorchFloatNet net(g);
  try {
    net.forward(torch::zeros({1, 3, 31, 32}));
    FAIL() << "wrong input shape accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("[N, 3, 32, 32]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("got [1, 3, 31, 32]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(net.forward(torch::zeros({1, 3, 32, 32}, torch::kDouble)), std::runtime_error);
  EXPECT_THROW(hwc_to_nchw(FloatTensor(5), g.input), std::runtime_error);
  ZooOptions o = small(16, 32);
  o.materialise = false;
  try {
    TorchFloatNet bad(make_zoo_float_graph("resnet50", o));
    FAIL() << "shape-only graph accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not materialised"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace saie::trainer
