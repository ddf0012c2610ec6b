// torchscript_import_test.cpp — TorchScript models built and saved from C++ (m.define), then
// imported: structure, BatchNorm folding (float graph == torch module), int8 bundle round trip,
// traced-style ops (aten::_convolution, addmm, in-place), and one-line errors.
#include "trainer/import/torchscript_import.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <random>

#include "model/bundle/bundle_io.h"
#include "trainer/quant/quantize.h"
#include "tests/model/test_graphs.h"
#include "model/reference/reference_executor.h"
#include "model/data/idx.h"

namespace saie::trainer {
namespace {

namespace fs = std::filesystem;

void param(torch::jit::Module& m, const std::string& name, const torch::Tensor& t) { m.register_parameter(name, t, false); }
void buffer(torch::jit::Module& m, const std::string& name, const torch::Tensor& t) { m.register_buffer(name, t); }

// BatchNorm parameters far from identity so folding mistakes show.
void bn(torch::jit::Module& m, const std::string& p, int64_t c) {
  param(m, p + "_g", torch::rand({c}) + 0.5);
  param(m, p + "_b", torch::randn({c}) * 0.3);
  buffer(m, p + "_m", torch::randn({c}) * 0.5);
  buffer(m, p + "_v", torch::rand({c}) + 0.5);
}

// conv(1->16)-bn-relu-maxpool, residual block (conv-bn-relu-conv + add, relu), strided conv,
// global average pool, flatten, linear (28x28x1 input).
std::string save_small_resnet(const fs::path& dir) {
  torch::manual_seed(3);
  torch::jit::Module m("SmallNet");
  param(m, "conv1_weight", torch::randn({16, 1, 3, 3}) * 0.5);
  bn(m, "bn1", 16);
  param(m, "conv2_weight", torch::randn({16, 16, 3, 3}) * 0.12);
  param(m, "conv2_bias", torch::randn({16}) * 0.1);
  bn(m, "bn2", 16);
  param(m, "conv3_weight", torch::randn({16, 16, 3, 3}) * 0.12);
  param(m, "conv3_bias", torch::randn({16}) * 0.1);
  param(m, "conv4_weight", torch::randn({32, 16, 3, 3}) * 0.12);
  param(m, "conv4_bias", torch::randn({32}) * 0.1);
  param(m, "fc_weight", torch::randn({10, 32}) * 0.3);
  param(m, "fc_bias", torch::randn({10}) * 0.1);
  m.define(R"(
def forward(self, x):
    y = torch.conv2d(x, self.conv1_weight, None, [1, 1], [1, 1], [1, 1], 1)
    y = torch.batch_norm(y, self.bn1_g, self.bn1_b, self.bn1_m, self.bn1_v, False, 0.1, 1e-5, False)
    y = torch.relu(y)
    y = torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], False)
    z = torch.conv2d(y, self.conv2_weight, self.conv2_bias, [1, 1], [1, 1], [1, 1], 1)
    z = torch.batch_norm(z, self.bn2_g, self.bn2_b, self.bn2_m, self.bn2_v, False, 0.1, 1e-5, False)
    z = torch.relu(z)
    z = torch.conv2d(z, self.conv3_weight, self.conv3_bias, [1, 1], [1, 1], [1, 1], 1)
    y = torch.relu(z + y)
    y = torch.conv2d(y, self.conv4_weight, self.conv4_bias, [2, 2], [1, 1], [1, 1], 1)
    y = torch.relu(y)
    y = torch.adaptive_avg_pool2d(y, [1, 1])
    y = torch.flatten(y, 1)
    return torch.linear(y, self.fc_weight, self.fc_bias)
)");
  const std::string path = (dir / "small_resnet.pt").string();
  m.save(path);
  return path;
}

// What a torch.jit.trace of nn.Modules records: aten::_convolution, in-place relu_/add_,
// avg_pool2d, view(x.size(0), -1) and addmm(bias, x, W.t()) — with a non-1x1 map before the
// linear layer so PyTorch's CHW flatten order matters.
std::string save_traced_style(const fs::path& dir) {
  torch::manual_seed(5);
  torch::jit::Module m("TracedStyle");
  param(m, "c1_weight", torch::randn({8, 3, 3, 3}) * 0.4);
  param(m, "c1_bias", torch::randn({8}) * 0.1);
  param(m, "c2_weight", torch::randn({8, 8, 1, 1}) * 0.4);
  param(m, "fc_weight", torch::randn({5, 8 * 4 * 4}) * 0.2);
  param(m, "fc_bias", torch::randn({5}) * 0.1);
  m.define(R"(
def forward(self, x):
    y = torch._convolution(x, self.c1_weight, self.c1_bias, [2, 2], [1, 1], [1, 1], False, [0, 0], 1, False, False, True, True)
    y = torch.relu_(y)
    z = torch._convolution(y, self.c2_weight, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, False, False, True, True)
    z.add_(y, alpha=1)
    z = torch.relu_(z)
    z = torch.avg_pool2d(z, [2, 2], [2, 2], [0, 0], False, True, None)
    z = z.view(z.size(0), -1)
    return torch.addmm(self.fc_bias, z, self.fc_weight.t(), beta=1, alpha=1)
)");
  const std::string path = (dir / "traced_style.pt").string();
  m.save(path);
  return path;
}

std::string save_with_body(const fs::path& dir, const std::string& file, const std::string& body, int64_t wcin) {
  torch::manual_seed(1);
  torch::jit::Module m("Bad");
  param(m, "conv_weight", torch::randn({4, wcin, 3, 3}));
  m.define("def forward(self, x):\n" + body);
  const std::string path = (dir / file).string();
  m.save(path);
  return path;
}

// Options for a quick import of `path`: 2 seeded random calibration inputs of `input`.
ImportOptions quick_import(const std::string& path, ir::Shape input) {
  ImportOptions o;
  o.model_path = path;
  o.input = input;
  o.random_calibration = true;
  o.calib_images = 2;
  return o;
}

// HWC float tensor for the float graph, NCHW tensor for torch, from the same values.
struct Input {
  FloatTensor hwc;
  torch::Tensor nchw;
};
Input make_input(uint32_t h, uint32_t w, uint32_t c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Input in;
  in.hwc.resize(size_t{h} * w * c);
  in.nchw = torch::zeros({1, c, h, w});
  auto acc = in.nchw.accessor<float, 4>();
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x)
      for (uint32_t ch = 0; ch < c; ++ch) {
        const float v = static_cast<float>((rng() >> 40) * 0x1.0p-24);  // [0, 1)
        in.hwc[(size_t{y} * w + x) * c + ch] = v;
        acc[0][ch][y][x] = v;
      }
  return in;
}

// The module's output, flattened; an NCHW feature map as HWC (run_float's layout).
std::vector<float> torch_forward(const std::string& path, const torch::Tensor& x) {
  torch::jit::Module m = torch::jit::load(path);
  m.eval();
  torch::NoGradGuard ng;
  torch::Tensor y = m.forward({x}).toTensor();
  if (y.dim() == 4) y = y.permute({0, 2, 3, 1});
  y = y.contiguous();
  return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol * (1.0 + std::fabs(b[i]))) << "element " << i;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TorchScriptImport, RecognisesLayersAndFoldsBatchNorm) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_small_resnet(dir.path);
  std::string notes;
  const FloatGraph g = load_torchscript(path, ir::Shape{28, 28, 1}, &notes);
  EXPECT_NE(notes.find("2 BatchNorm folded"), std::string::npos) << notes;
  // conv1(+bn+relu) maxpool conv2(+bn+relu) conv3 add(+relu) conv4(+relu) avgpool fc
  const std::vector<FloatOp> ops = {FloatOp::Conv, FloatOp::MaxPool, FloatOp::Conv, FloatOp::Conv,
                                    FloatOp::Add,  FloatOp::Conv,    FloatOp::AvgPool, FloatOp::Fc};
  const std::vector<bool> relu = {true, false, true, false, true, true, false, false};
  ASSERT_EQ(g.layers.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(g.layers[i].op, ops[i]) << i;
    EXPECT_EQ(g.layers[i].relu, relu[i]) << i;
  }
  EXPECT_EQ(g.layers[4].inputs, (std::vector<int>{3, 1}));  // conv3 + the maxpool output
  // Shapes computed from weights, strides and padding.
  EXPECT_TRUE(g.layers[1].out == (ir::Shape{14, 14, 16}));
  EXPECT_TRUE(g.layers[5].out == (ir::Shape{7, 7, 32}));
  EXPECT_TRUE(g.layers[6].out == (ir::Shape{1, 1, 32}));
  EXPECT_EQ(g.layers[6].kh, 7u);
  EXPECT_TRUE(g.layers.back().out == (ir::Shape{1, 1, 10}));
  // Names come from the weights' attribute paths.
  EXPECT_EQ(g.layers[0].name, "conv1");
  EXPECT_EQ(g.layers.back().name, "fc");
}

TEST(TorchScriptImport, FoldedFloatGraphEqualsTorchModule) {
  test::TempDir dir("saie_import_test");
  for (const std::string& path : {save_small_resnet(dir.path), save_traced_style(dir.path)}) {
    const bool rgb = path.find("traced") != std::string::npos;
    const ir::Shape shape = rgb ? ir::Shape{16, 16, 3} : ir::Shape{28, 28, 1};
    const FloatGraph g = load_torchscript(path, shape);
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const Input in = make_input(shape.h, shape.w, shape.c, seed);
      const std::vector<FloatTensor> outs = run_float(g, in.hwc);
      expect_close(outs.back(), torch_forward(path, in.nchw), 1e-4);
    }
  }
}

TEST(TorchScriptImport, TracedStyleOpsAreRecognised) {
  test::TempDir dir("saie_import_test");
  const FloatGraph g = load_torchscript(save_traced_style(dir.path), ir::Shape{16, 16, 3});
  // c1(+relu_) c2 add_(+relu_) avgpool fc(addmm)
  ASSERT_EQ(g.layers.size(), 5u);
  EXPECT_EQ(g.layers[0].op, FloatOp::Conv);
  EXPECT_TRUE(g.layers[0].relu);
  EXPECT_TRUE(g.layers[0].out == (ir::Shape{8, 8, 8}));
  EXPECT_EQ(g.layers[2].op, FloatOp::Add);
  EXPECT_TRUE(g.layers[2].relu);
  EXPECT_EQ(g.layers[3].op, FloatOp::AvgPool);
  EXPECT_EQ(g.layers[4].op, FloatOp::Fc);
  EXPECT_EQ(g.layers[4].cin, 8u);
  EXPECT_TRUE(g.shape_of(3) == (ir::Shape{4, 4, 8}));
}

TEST(TorchScriptImport, Int8BundleRoundTripsAndTracksTheFloatModel) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_small_resnet(dir.path);
  ImportOptions o;
  o.model_path = path;
  o.sparsity = 0.5;
  o.calib_images = 16;
  o.random_calibration = true;  // the test must not depend on the dataset package
  const ir::Graph g = import_torchscript(o);
  EXPECT_NE(g.provenance.notes.find("random"), std::string::npos) << g.provenance.notes;
  EXPECT_NE(g.provenance.notes.find("seed 1"), std::string::npos);
  EXPECT_EQ(g.provenance.dataset, "random");
  EXPECT_EQ(g.provenance.model, "small_resnet.pt");
  // First conv dense (1 input channel stays 1), every other conv / fc masked row-balanced.
  EXPECT_FALSE(g.nodes[1].sparse);
  EXPECT_EQ(g.nodes[1].out.c, 16u);
  EXPECT_EQ(g.nodes[0].out.c, 1u);
  for (const ir::Node& n : g.nodes)
    if ((n.op == ir::OpKind::Conv || n.op == ir::OpKind::Fc) && n.name != "conv1") {
      ASSERT_TRUE(n.sparse) << n.name;
      EXPECT_DOUBLE_EQ(n.mask.sparsity(), 0.5) << n.name;
    }
  const fs::path out = dir.path / "bundle";
  bundle::write_bundle(g, out.string());
  const ir::Graph r = bundle::read_bundle(out.string());
  ASSERT_EQ(r.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < r.nodes.size(); ++i) EXPECT_EQ(r.nodes[i].weight, g.nodes[i].weight) << r.nodes[i].name;

  // Dense import: the int8 reference output (dequantised) follows the float torch module.
  o.sparsity = 0.0;
  const ir::Graph d = import_torchscript(o);
  const float out_scale = d.nodes[static_cast<size_t>(d.output)].out_scale;
  int agree = 0, confident = 0;
  for (uint64_t seed = 11; seed <= 16; ++seed) {
    const Input in = make_input(28, 28, 1, seed);
    reference::Tensor q(in.hwc.size());
    for (size_t k = 0; k < q.size(); ++k) q[k] = static_cast<int8_t>(std::lround(in.hwc[k] * 127.0f));
    const reference::Tensor y = reference::run(d, q);
    const std::vector<float> f = torch_forward(path, in.nchw);
    float fmax = 0;
    for (float v : f) fmax = std::max(fmax, std::fabs(v));
    for (size_t k = 0; k < f.size(); ++k) EXPECT_NEAR(y[k] * out_scale, f[k], 0.1 * fmax + 2 * out_scale) << "seed " << seed;
    std::vector<float> sorted = f;
    std::sort(sorted.rbegin(), sorted.rend());
    const int fa = static_cast<int>(std::max_element(f.begin(), f.end()) - f.begin());
    if (sorted[0] - sorted[1] > 0.1 * fmax) {
      ++confident;
      agree += reference::argmax(y) == fa ? 1 : 0;
    }
  }
  EXPECT_GE(confident, 3);  // the argmax check below must not be vacuous
  EXPECT_EQ(agree, confident);
}

TEST(TorchScriptImport, CalibrationUsesFashionMnistFor28x28x1ElseSeededRandom) {
  ImportOptions o;
  o.calib_images = 3;
  std::string source;
  const std::vector<FloatTensor> fm = calibration_inputs(o, &source);
  ASSERT_EQ(fm.size(), 3u);
  EXPECT_NE(source.find("3 Fashion-MNIST training images"), std::string::npos) << source;
  const data::Dataset d = data::load_fashion_mnist(data::default_dataset_dir(), "train", 1);
  for (size_t k = 0; k < 28 * 28; ++k) ASSERT_FLOAT_EQ(fm[0][k], d.image(0)[k] / 255.0f) << k;

  o.dataset_dir = "/nonexistent-saie-dataset";
  const std::vector<FloatTensor> fallback = calibration_inputs(o, &source);
  EXPECT_NE(source.find("unreadable"), std::string::npos) << source;
  EXPECT_NE(source.find("random"), std::string::npos) << source;

  o.input = ir::Shape{8, 8, 3};
  o.seed = 5;
  const std::vector<FloatTensor> r1 = calibration_inputs(o, &source), r2 = calibration_inputs(o);
  EXPECT_NE(source.find("seed 5"), std::string::npos) << source;
  ASSERT_EQ(r1.size(), 3u);
  EXPECT_EQ(r1[0].size(), 8u * 8 * 3);
  EXPECT_EQ(r1, r2);  // seeded: reproducible
  for (float v : r1[1]) ASSERT_TRUE(v >= 0.0f && v < 1.0f);
}

TEST(TorchScriptImport, UnsupportedOpIsNamedOnOneLine) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_with_body(dir.path, "sig.pt",
                                          "    y = torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)\n"
                                          "    return torch.erf(y)\n",
                                          1);
  const std::string e = error_of([&] { load_torchscript(path, ir::Shape{28, 28, 1}); });
  EXPECT_EQ(e.rfind("unsupported operation aten::erf at node ", 0), 0u) << e;
  EXPECT_NE(e.find("(%"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(TorchScriptImport, ClassifierChainAfterFlattenMatchesTorch) {
  // VGG-style head: flatten of a 4x4x4 map, linear, relu, dropout (identity), linear.
  test::TempDir dir("saie_import_test");
  torch::manual_seed(9);
  torch::jit::Module m("Head");
  param(m, "conv_weight", torch::randn({4, 1, 3, 3}));
  param(m, "fc1_weight", torch::randn({12, 64}) * 0.2);
  param(m, "fc1_bias", torch::randn({12}) * 0.1);
  param(m, "fc2_weight", torch::randn({3, 12}) * 0.3);
  m.define(R"(
def forward(self, x):
    y = torch.relu(torch.conv2d(x, self.conv_weight, None, [2, 2], [1, 1], [1, 1], 1))
    y = torch.flatten(y, 1)
    y = torch.relu(torch.linear(y, self.fc1_weight, self.fc1_bias))
    y = torch.dropout(y, 0.5, False)
    return torch.linear(y, self.fc2_weight, None)
)");
  const std::string path = (dir.path / "head.pt").string();
  m.save(path);
  const FloatGraph g = load_torchscript(path, ir::Shape{8, 8, 1});
  ASSERT_EQ(g.layers.size(), 3u);
  EXPECT_EQ(g.layers[1].op, FloatOp::Fc);
  EXPECT_TRUE(g.layers[1].relu);
  EXPECT_EQ(g.layers[2].op, FloatOp::Fc);
  EXPECT_EQ(g.layers[2].cin, 12u);
  const Input in = make_input(8, 8, 1, 4);
  expect_close(run_float(g, in.hwc).back(), torch_forward(path, in.nchw), 1e-4);
}

TEST(TorchScriptImport, ChannelConcatImportsAndMatchesTorch) {
  test::TempDir dir("saie_import_test");
  const std::string path =
      save_with_body(dir.path, "cat.pt",
                     "    y = torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)\n"
                     "    z = torch.max_pool2d(torch.cat([torch.relu(y), y, x], 1), [2, 2], [2, 2], [0, 0], [1, 1], False)\n"
                     "    return torch.cat([z], 1)\n",
                     1);
  const FloatGraph g = load_torchscript(path, ir::Shape{8, 8, 1});
  ASSERT_EQ(g.layers.size(), 4u);  // conv, relu, concat, maxpool (a cat of one is its input)
  EXPECT_EQ(g.layers[2].op, FloatOp::Concat);
  EXPECT_EQ(g.layers[2].inputs, (std::vector<int>{1, 0, -1}));
  EXPECT_TRUE(g.layers[2].out == (ir::Shape{8, 8, 9}));
  torch::jit::Module m = torch::jit::load(path);
  torch::NoGradGuard ng;
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    const Input in = make_input(8, 8, 1, seed);
    const torch::Tensor y = m.forward({in.nchw}).toTensor().permute({0, 2, 3, 1}).contiguous();  // HWC
    expect_close(run_float(g, in.hwc).back(), std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel()),
                 1e-5);
  }
  const std::string other = save_with_body(
      dir.path, "cat2.pt",
      "    y = torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)\n    return torch.cat([y, y], 2)\n", 1);
  const std::string e = error_of([&] { load_torchscript(other, ir::Shape{28, 28, 1}); });
  EXPECT_EQ(e.rfind("unsupported: cat along dim 2 (only channels, dim 1)", 0), 0u) << e;
}

// conv (3 -> 16) + bn + relu, grouped conv (16 -> 32, 4 groups) + bn + relu, depthwise conv
// (32 groups, stride 2) + relu, grouped 1x1 (32 -> 32, 2 groups), global average pool, linear.
std::string save_grouped(const fs::path& dir) {
  torch::manual_seed(9);
  torch::jit::Module m("GroupedNet");
  param(m, "c1_weight", torch::randn({16, 3, 3, 3}) * 0.4);
  bn(m, "bn1", 16);
  param(m, "g_weight", torch::randn({32, 4, 3, 3}) * 0.3);
  bn(m, "bn2", 32);
  param(m, "dw_weight", torch::randn({32, 1, 3, 3}) * 0.5);
  param(m, "dw_bias", torch::randn({32}) * 0.1);
  param(m, "pw_weight", torch::randn({32, 16, 1, 1}) * 0.3);
  param(m, "fc_weight", torch::randn({10, 32}) * 0.3);
  param(m, "fc_bias", torch::randn({10}) * 0.1);
  m.define(R"(
def forward(self, x):
    y = torch.conv2d(x, self.c1_weight, None, [1, 1], [1, 1], [1, 1], 1)
    y = torch.relu(torch.batch_norm(y, self.bn1_g, self.bn1_b, self.bn1_m, self.bn1_v, False, 0.1, 1e-5, False))
    y = torch.conv2d(y, self.g_weight, None, [1, 1], [1, 1], [1, 1], 4)
    y = torch.relu(torch.batch_norm(y, self.bn2_g, self.bn2_b, self.bn2_m, self.bn2_v, False, 0.1, 1e-5, False))
    y = torch.relu(torch.conv2d(y, self.dw_weight, self.dw_bias, [2, 2], [1, 1], [1, 1], 32))
    y = torch.conv2d(y, self.pw_weight, None, [1, 1], [0, 0], [1, 1], 2)
    y = torch.adaptive_avg_pool2d(y, [1, 1])
    return torch.linear(torch.flatten(y, 1), self.fc_weight, self.fc_bias)
)");
  const std::string path = (dir / "grouped.pt").string();
  m.save(path);
  return path;
}

TEST(TorchScriptImport, GroupedAndDepthwiseConvsMatchTorchAndPruneInsideTheirGroups) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_grouped(dir.path);
  FloatGraph g = load_torchscript(path, ir::Shape{12, 12, 3});
  ASSERT_EQ(g.layers.size(), 6u);  // c1 g dw pw avgpool fc
  EXPECT_EQ(g.layers[1].groups, 4u);
  EXPECT_EQ(g.layers[2].groups, 32u);
  EXPECT_EQ(g.layers[3].groups, 2u);
  EXPECT_TRUE(g.layers[2].out == (ir::Shape{6, 6, 32}));
  for (uint64_t seed = 1; seed <= 3; ++seed) {  // BatchNorm folded into a grouped conv included
    const Input in = make_input(12, 12, 3, seed);
    expect_close(run_float(g, in.hwc).back(), torch_forward(path, in.nchw), 1e-4);
  }
  // Pruning at 50%: the 4-group conv has one 8x8 block per block row inside its groups and the
  // depthwise one too (both stay dense); the 2-group 1x1 keeps one of its two blocks per row.
  prune_float_graph(g, 0.5);
  EXPECT_FALSE(g.layers[1].has_mask);
  EXPECT_FALSE(g.layers[2].has_mask);
  ASSERT_TRUE(g.layers[3].has_mask);
  const ir::BlockMask& m = g.layers[3].mask;
  for (uint32_t r = 0; r < 4; ++r) {
    const uint32_t grp = r / 2;  // output block rows 0-1 read input channels 0-15 (columns 0-1)
    EXPECT_EQ(m.at(r, 2 * grp) + m.at(r, 2 * grp + 1), 1) << "row " << r;
    EXPECT_EQ(m.at(r, 2 * (1 - grp)) + m.at(r, 2 * (1 - grp) + 1), 0) << "row " << r;
  }
  // The int8 graph keeps the groups, validates (weights zero outside them) and round-trips.
  ImportOptions o;
  o.model_path = path;
  o.input = ir::Shape{12, 12, 3};
  o.sparsity = 0.5;
  o.calib_images = 4;
  o.random_calibration = true;
  o.sqnr_inputs = 2;
  const ir::Graph q = import_torchscript(o);
  EXPECT_NE(q.provenance.notes.find("int8 reference vs float output: SQNR "), std::string::npos) << q.provenance.notes;
  // The SQNR is the int8 graph's own: good as imported, far worse with a broken layer.
  FloatGraph pruned = load_torchscript(path, ir::Shape{12, 12, 3});
  prune_float_graph(pruned, 0.5);
  const double good = int8_sqnr_db(q, pruned, 3);
  EXPECT_GT(good, 20.0);
  ir::Graph broken = q;
  for (int8_t& w : broken.nodes[4].weight) w = static_cast<int8_t>(-w);  // the 2-group 1x1 conv negated
  EXPECT_LT(int8_sqnr_db(broken, pruned, 3), good - 10.0);
  EXPECT_EQ(q.nodes[2].groups, 4u);
  EXPECT_EQ(q.nodes[3].groups, 32u);
  const fs::path out = dir.path / "bundle";
  bundle::write_bundle(q, out.string());
  const ir::Graph r = bundle::read_bundle(out.string());
  for (size_t i = 0; i < r.nodes.size(); ++i) EXPECT_EQ(r.nodes[i].weight, q.nodes[i].weight) << r.nodes[i].name;
}

TEST(TorchScriptImport, Relu6IsACappedReluFusedIntoItsProducer) {
  test::TempDir dir("saie_import_test");
  // Weights large enough that many outputs pass 6 (and many stay below 0).
  const std::string relu6 = save_with_body(
      dir.path, "relu6c.pt",
      "    y = torch.conv2d(x, self.conv_weight * 8.0, None, [1, 1], [1, 1], [1, 1], 1)\n"
      "    return torch.flatten(torch.max_pool2d(torch.hardtanh(y, 0.0, 6.0), [8, 8], [8, 8], [0, 0], [1, 1], False), 1)\n",
      1);
  const FloatGraph g = load_torchscript(relu6, ir::Shape{8, 8, 1});
  ASSERT_EQ(g.layers.size(), 2u);  // conv (+ capped relu), maxpool
  EXPECT_TRUE(g.layers[0].relu);
  EXPECT_EQ(g.layers[0].clamp, 6.0f);
  bool capped = false;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const Input in = make_input(8, 8, 1, seed);
    const std::vector<float> want = torch_forward(relu6, in.nchw);
    expect_close(run_float(g, in.hwc).back(), want, 1e-5);
    capped = capped || std::count(want.begin(), want.end(), 6.0f) > 0;
  }
  EXPECT_TRUE(capped) << "the cap must bind for the test to mean anything";
  // Only hardtanh(0, c > 0) is a ReLU cap, and it must follow a conv, fc or add.
  const std::string wide = save_with_body(
      dir.path, "ht.pt",
      "    return torch.hardtanh(torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1), -1.0, 1.0)\n", 1);
  const std::string e1 = error_of([&] { load_torchscript(wide, ir::Shape{8, 8, 1}); });
  EXPECT_EQ(e1.rfind("unsupported: hardtanh(-1.000000, 1.000000) (only a ReLU cap: hardtanh(0, c > 0))", 0), 0u) << e1;
  const std::string alone = save_with_body(
      dir.path, "ht2.pt",
      "    y = torch.max_pool2d(torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1), [2, 2], [2, 2], [0, 0], [1, 1], False)\n"
      "    return torch.hardtanh(y, 0.0, 6.0)\n",
      1);
  const std::string e2 = error_of([&] { load_torchscript(alone, ir::Shape{8, 8, 1}); });
  EXPECT_EQ(e2.rfind("unsupported: a ReLU cap (hardtanh / relu6) that does not directly follow a conv, fc or add", 0), 0u)
      << e2;
}

TEST(TorchScriptImport, TableActivationsAndSqueezeExcitationMatchTorch) {
  // conv -> hardswish -> SE (global mean, 1x1 conv, relu, 1x1 conv, hardsigmoid, gate * map, in
  // both operand orders) -> silu / sigmoid / tanh, as torchvision's MobileNetV3 and EfficientNet.
  test::TempDir dir("saie_import_test");
  torch::manual_seed(5);
  torch::jit::Module m("Se");
  param(m, "w", torch::randn({8, 2, 3, 3}) * 0.7);
  param(m, "f1", torch::randn({4, 8, 1, 1}) * 0.5);
  param(m, "f2", torch::randn({8, 4, 1, 1}) * 0.5);
  param(m, "w2", torch::randn({8, 8, 3, 3}) * 0.3);
  param(m, "f3", torch::randn({8, 8, 1, 1}) * 0.5);
  m.define(R"(
def forward(self, x):
    y = torch.hardswish(torch.conv2d(x, self.w, None, [1, 1], [1, 1], [1, 1], 1))
    s = torch.adaptive_avg_pool2d(y, [1, 1])
    s = torch.relu(torch.conv2d(s, self.f1, None, [1, 1], [0, 0], [1, 1], 1))
    s = torch.hardsigmoid(torch.conv2d(s, self.f2, None, [1, 1], [0, 0], [1, 1], 1))
    y = s * y
    z = torch.silu(torch.conv2d(y, self.w2, None, [1, 1], [1, 1], [1, 1], 1))
    g = torch.sigmoid(torch.conv2d(torch.adaptive_avg_pool2d(z, [1, 1]), self.f3, None, [1, 1], [0, 0], [1, 1], 1))
    return torch.tanh(z * g)
)");
  const std::string path = (dir.path / "se.pt").string();
  m.save(path);
  const FloatGraph g = load_torchscript(path, ir::Shape{6, 6, 2});
  std::vector<std::string> acts;
  int muls = 0;
  for (const FloatLayer& l : g.layers) {
    if (l.op == FloatOp::Act) acts.push_back(l.act);
    if (l.op == FloatOp::Mul) {
      ++muls;
      EXPECT_EQ(g.shape_of(l.inputs[1]).h, 1u) << l.name << ": the gate is input 1 whatever the operand order";
    }
  }
  EXPECT_EQ(acts, (std::vector<std::string>{"hardswish", "hardsigmoid", "silu", "sigmoid", "tanh"}));
  EXPECT_EQ(muls, 2);
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    const Input in = make_input(6, 6, 2, seed);
    expect_close(run_float(g, in.hwc).back(), torch_forward(path, in.nchw), 1e-4);
  }
  // A product of two feature maps (no 1x1 gate) is not a squeeze-excitation: one line.
  const std::string sq = save_with_body(
      dir.path, "sq.pt", "    y = torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)\n    return y * y\n", 1);
  const std::string e = error_of([&] { load_torchscript(sq, ir::Shape{8, 8, 1}); });
  EXPECT_EQ(e.rfind("unsupported: mul other than a feature map times a 1x1 per-channel gate", 0), 0u) << e;
}

TEST(TorchScriptImport, ChannelShuffleChunkAndMeanMatchTorchAndCopyExactly) {
  // ShuffleNetV2's block: chunk in two, one half through a conv, concat, channel shuffle
  // (view 5-D, transpose 1 and 2, view back), then a spatial mean.
  test::TempDir dir("saie_import_test");
  torch::manual_seed(8);
  torch::jit::Module m("Shuffle");
  param(m, "w", torch::randn({16, 3, 3, 3}) * 0.5);
  param(m, "b2", torch::randn({8, 8, 1, 1}) * 0.5);
  m.define(R"(
def forward(self, x):
    y = torch.relu(torch.conv2d(x, self.w, None, [1, 1], [1, 1], [1, 1], 1))
    a, b = torch.chunk(y, 2, 1)
    z = torch.cat([a, torch.relu(torch.conv2d(b, self.b2, None, [1, 1], [0, 0], [1, 1], 1))], 1)
    n = z.size(0)
    z = z.view(n, 2, 8, 6, 6)
    z = torch.transpose(z, 1, 2).contiguous()
    z = z.view(n, 16, 6, 6)
    return torch.mean(z, [2, 3])
)");
  const std::string path = (dir.path / "shuffle.pt").string();
  m.save(path);
  const FloatGraph g = load_torchscript(path, ir::Shape{6, 6, 3});
  int copies = 0;
  for (const FloatLayer& l : g.layers) copies += l.copy;
  EXPECT_EQ(copies, 3);  // two chunks, one shuffle
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    const Input in = make_input(6, 6, 3, seed);
    expect_close(run_float(g, in.hwc).back(), torch_forward(path, in.nchw), 1e-5);
  }
  // The int8 copies are exact: each copy's output equals its input's bytes, permuted.
  ImportOptions o;
  o.model_path = path;
  o.input = ir::Shape{6, 6, 3};
  o.sparsity = 0.5;
  o.calib_images = 4;
  const ir::Graph q = import_torchscript(o);
  const reference::Tensor x = test::make_test_input(q, 2);
  const std::vector<reference::Tensor> t = reference::run_all(q, x);
  int checked = 0;
  for (size_t i = 1; i < q.nodes.size(); ++i) {
    const ir::Node& n = q.nodes[i];
    if (n.name.rfind("shuffle", 0) != 0 && n.name.rfind("chunk", 0) != 0) continue;
    const ir::Node& src = q.nodes[static_cast<size_t>(n.inputs[0])];
    EXPECT_EQ(n.out_scale, src.out_scale) << n.name;
    const uint32_t cin = src.out.c;
    for (uint32_t px = 0; px < n.out.h * n.out.w; ++px)
      for (uint32_t o = 0; o < n.out.c; ++o) {
        uint32_t from = 0;
        for (uint32_t ic = 0; ic < cin; ++ic)
          if (n.weight[size_t{o} * cin + ic] != 0) from = ic;
        ASSERT_EQ(t[i][size_t{px} * n.out.c + o], t[static_cast<size_t>(n.inputs[0])][size_t{px} * cin + from]) << n.name;
      }
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

TEST(TorchScriptImport, SplitAlongChannelsMatchesTorch) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_with_body(
      dir.path, "split.pt",
      "    y = torch.relu(torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1))\n"
      "    a, b = torch.split(y, [1, 3], 1)\n"
      "    c, d = torch.split(y, 2, 1)\n"
      "    return torch.cat([b, a, d, c], 1)\n",
      1);
  const FloatGraph g = load_torchscript(path, ir::Shape{6, 6, 1});
  int copies = 0;
  for (const FloatLayer& l : g.layers) copies += l.copy;
  EXPECT_EQ(copies, 4);
  const Input in = make_input(6, 6, 1, 4);
  expect_close(run_float(g, in.hwc).back(), torch_forward(path, in.nchw), 1e-6);
  const std::string bad = save_with_body(
      dir.path, "split_w.pt",
      "    a, b = torch.split(torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1), 3, 2)\n    return a\n", 1);
  const std::string e = error_of([&] { load_torchscript(bad, ir::Shape{6, 6, 1}); });
  EXPECT_EQ(e.rfind("unsupported: split other than along the channels of a feature map", 0), 0u) << e;
}

TEST(TorchScriptImport, DilatedConvIsTheConvWithZerosBetweenItsTaps) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_with_body(
      dir.path, "dil.pt", "    return torch.conv2d(x, self.conv_weight, None, [1, 2], [2, 3], [2, 3], 1)\n", 1);
  const FloatGraph g = load_torchscript(path, ir::Shape{9, 11, 1});
  ASSERT_EQ(g.layers.size(), 1u);
  EXPECT_EQ(g.layers[0].kh, 5u);  // (3 - 1) * 2 + 1
  EXPECT_EQ(g.layers[0].kw, 7u);  // (3 - 1) * 3 + 1
  EXPECT_EQ(g.layers[0].weight[1], 0.0f);  // between the first two taps of a row
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    const Input in = make_input(9, 11, 1, seed);
    expect_close(run_float(g, in.hwc).back(), torch_forward(path, in.nchw), 1e-5);
  }
}

TEST(TorchScriptImport, LargeGlobalAveragePoolBecomesTwoPools) {
  // 70x70 = 4900 positions, more than one pool window may hold: 7x7 tiles, then the 10x10 rest
  // (7 and 10: the common divisor pair nearest the square root). 60x60 stays one pool.
  test::TempDir dir("saie_import_test");
  const std::string path = save_with_body(
      dir.path, "gap.pt",
      "    y = torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)\n"
      "    return torch.flatten(torch.adaptive_avg_pool2d(y, [1, 1]), 1)\n",
      1);
  const FloatGraph g = load_torchscript(path, ir::Shape{70, 70, 1});
  ASSERT_EQ(g.layers.size(), 3u);
  EXPECT_EQ(g.layers[1].op, FloatOp::AvgPool);
  EXPECT_EQ(g.layers[1].kh, 7u);
  EXPECT_EQ(g.layers[1].stride_w, 7u);
  EXPECT_TRUE(g.layers[1].out == (ir::Shape{10, 10, 4}));
  EXPECT_EQ(g.layers[2].kh, 10u);
  EXPECT_TRUE(g.layers[2].out == (ir::Shape{1, 1, 4}));
  const Input in = make_input(70, 70, 1, 3);
  expect_close(run_float(g, in.hwc).back(), torch_forward(path, in.nchw), 1e-5);
  EXPECT_EQ(load_torchscript(path, ir::Shape{60, 60, 1}).layers.size(), 2u);
}

TEST(TorchScriptImport, FloatGraphErrorMeasuresHowFaithfullyTheGraphWasRead) {
  test::TempDir dir("saie_import_test");
  for (const std::string& path : {save_grouped(dir.path), save_traced_style(dir.path)}) {
    const ir::Shape shape = path.find("grouped") != std::string::npos ? ir::Shape{12, 12, 3} : ir::Shape{16, 16, 3};
    FloatGraph g = load_torchscript(path, shape);
    EXPECT_LT(float_graph_error(path, g), 1e-5) << path;
    g.layers[1].weight[3] += 0.5f;  // a graph read wrongly
    EXPECT_GT(float_graph_error(path, g), kMaxFloatGraphError) << path;
  }
}

TEST(TorchScriptImport, BatchNormAfterAPoolBecomesADepthwiseConv) {
  // DenseNet's pre-activation order: pool, then BatchNorm + ReLU, then conv.
  test::TempDir dir("saie_import_test");
  torch::manual_seed(4);
  torch::jit::Module m("PreAct");
  param(m, "c1_weight", torch::randn({8, 3, 3, 3}) * 0.5);
  bn(m, "bn", 8);
  param(m, "c2_weight", torch::randn({16, 8, 1, 1}) * 0.4);
  m.define(R"(
def forward(self, x):
    y = torch.max_pool2d(torch.conv2d(x, self.c1_weight, None, [1, 1], [1, 1], [1, 1], 1), [2, 2], [2, 2], [0, 0], [1, 1], False)
    y = torch.relu(torch.batch_norm(y, self.bn_g, self.bn_b, self.bn_m, self.bn_v, False, 0.1, 1e-5, False))
    return torch.conv2d(y, self.c2_weight, None, [1, 1], [0, 0], [1, 1], 1)
)");
  const std::string path = (dir.path / "preact.pt").string();
  m.save(path);
  const FloatGraph g = load_torchscript(path, ir::Shape{8, 8, 3});
  ASSERT_EQ(g.layers.size(), 4u);  // conv, maxpool, bn (depthwise 1x1 + relu), conv
  EXPECT_EQ(g.layers[2].op, FloatOp::Conv);
  EXPECT_EQ(g.layers[2].groups, 8u);
  EXPECT_TRUE(g.layers[2].relu);
  EXPECT_EQ(g.layers[2].name, "bn_g");  // (named after the BN weight, as torchvision's "norm1.weight" gives "norm1")
  EXPECT_LT(float_graph_error(path, g), 1e-5);
}

TEST(TorchScriptImport, CeilModeMaxPoolMatchesTorch) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_with_body(
      dir.path, "ceil.pt",
      "    y = torch.relu(torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1))\n"
      "    return torch.flatten(torch.max_pool2d(y, [3, 3], [2, 2], [0, 0], [1, 1], True), 1)\n",
      1);
  const FloatGraph g = load_torchscript(path, ir::Shape{12, 12, 1});
  ASSERT_EQ(g.layers.size(), 2u);
  EXPECT_TRUE(g.layers[1].ceil_mode);
  EXPECT_TRUE(g.layers[1].out == (ir::Shape{6, 6, 4}));  // floor mode: 5x5
  EXPECT_LT(float_graph_error(path, g), 1e-6);
  ImportOptions o = quick_import(path, ir::Shape{12, 12, 1});
  const ir::Graph q = import_torchscript(o);
  EXPECT_TRUE(q.nodes[2].ceil_mode);
  EXPECT_EQ(q.provenance.notes.find("saturate"), std::string::npos) << q.provenance.notes;
}

TEST(TorchScriptImport, AvgPoolCeilModeAndCountIncludePadMatchTorch) {
  // Every combination PyTorch allows, on a map whose last ceil_mode window overhangs (12 -> 7
  // with 3x3 s2 p1; 6 in floor mode), over negative values (no ReLU).
  test::TempDir dir("saie_import_test");
  for (int variant = 0; variant < 4; ++variant) {
    const bool ceil = variant & 1, include = variant & 2;
    const std::string body = std::string("    y = torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)\n") +
                             "    return torch.flatten(torch.avg_pool2d(y, [3, 3], [2, 2], [1, 1], " + (ceil ? "True" : "False") +
                             ", " + (include ? "True" : "False") + ", None), 1)\n";
    const std::string path = save_with_body(dir.path, "avg" + std::to_string(variant) + ".pt", body, 1);
    const FloatGraph g = load_torchscript(path, ir::Shape{12, 12, 1});
    ASSERT_EQ(g.layers.size(), 2u);
    EXPECT_EQ(g.layers[1].ceil_mode, ceil);
    EXPECT_EQ(g.layers[1].count_include_pad, include);
    EXPECT_EQ(g.layers[1].out.h, ceil ? 7u : 6u);
    EXPECT_LT(float_graph_error(path, g), 1e-6) << variant;
    ImportOptions o = quick_import(path, ir::Shape{12, 12, 1});
    const ir::Graph q = import_torchscript(o);
    EXPECT_EQ(q.nodes[2].ceil_mode, ceil);
    EXPECT_EQ(q.nodes[2].count_include_pad, include);
    EXPECT_EQ(ir::avgpool_divides_by_count(q.nodes[2], q.nodes[1].out), ceil || !include) << variant;
  }
  const std::string over = save_with_body(
      dir.path, "override.pt",
      "    return torch.avg_pool2d(torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1), [3, 3], [2, 2], [0, 0], True, True, 4)\n",
      1);
  const std::string e = error_of([&] { load_torchscript(over, ir::Shape{12, 12, 1}); });
  EXPECT_EQ(e.rfind("unsupported: avg_pool2d with divisor_override", 0), 0u) << e;
}

TEST(TorchScriptImport, SaturatedInt32BiasesAreReported) {
  // The first conv's tiny weights leave activations near 1e-10: the second conv's biases of 1
  // are ~1e10 LSBs of its accumulator, beyond int32.
  test::TempDir dir("saie_import_test");
  torch::jit::Module m("Vanish");
  param(m, "c1_weight", torch::randn({8, 1, 3, 3}) * 1e-10);
  param(m, "c2_weight", torch::randn({8, 8, 1, 1}));
  param(m, "c2_bias", torch::ones({8}));
  m.define(R"(
def forward(self, x):
    y = torch.relu(torch.conv2d(x, self.c1_weight, None, [1, 1], [1, 1], [1, 1], 1))
    return torch.conv2d(y, self.c2_weight, self.c2_bias, [1, 1], [0, 0], [1, 1], 1)
)");
  const std::string path = (dir.path / "vanish.pt").string();
  m.save(path);
  ImportOptions o = quick_import(path, ir::Shape{8, 8, 1});
  std::string progress;
  o.progress = [&](const std::string& line) { progress += line + "\n"; };
  const ir::Graph q = import_torchscript(o);
  EXPECT_NE(q.provenance.notes.find("warning: 8 int32 biases saturate (first in layer c2, input scale"), std::string::npos)
      << q.provenance.notes;
  EXPECT_NE(progress.find("import: warning: 8 int32 biases saturate"), std::string::npos) << progress;
  // Clamped to +-2^30: half the int32 range stays for the sum the accumulator adds.
  for (const ir::Node& n : q.nodes) {
    if (n.name != "c2") continue;
    for (int32_t b : n.bias) EXPECT_EQ(b, kBiasLimit) << n.name;
  }
}

TEST(TorchScriptImport, ACapInsideTheInt8RangeBecomesAnExactTable) {
  test::TempDir dir("saie_import_test");
  const std::string relu6 = save_with_body(
      dir.path, "relu6.pt",
      "    return torch.hardtanh(torch.conv2d(x, self.conv_weight * 8.0, None, [1, 1], [1, 1], [1, 1], 1), 0.0, 6.0)\n", 1);
  const FloatGraph g = load_torchscript(relu6, ir::Shape{8, 8, 1});
  // Scale 6/127 puts the cap at 127 exactly: the int8 ReLU, no table.
  EXPECT_EQ(quantize_float_graph(g, {6.0f / 127.0f}, {}).nodes.size(), 2u);
  // A larger scale (as a shared concat scale gives) puts the cap at round(6 / s) = 95: a table
  // after the conv clamps there (the compiler folds it into the conv's epilogue).
  const ir::Graph q = quantize_float_graph(g, {8.0f / 127.0f}, {});
  ASSERT_EQ(q.nodes.size(), 3u);
  const ir::Node& t = q.nodes[2];
  EXPECT_EQ(t.op, ir::OpKind::Lut);
  EXPECT_EQ(t.name, g.layers[0].name + ".cap");
  EXPECT_EQ(t.out_scale, 8.0f / 127.0f);
  EXPECT_EQ(q.output, 2);
  for (int v = -128; v <= 127; ++v)
    EXPECT_EQ(t.lut[static_cast<size_t>(v + 128)], std::clamp(v, 0, 95)) << v;
  // The int8 graph against the float one: where the float output is clearly above the cap the
  // int8 one is the cap; elsewhere they agree within the weights' quantisation error.
  const Input in = make_input(8, 8, 1, 5);
  reference::Tensor x(in.hwc.size());
  for (size_t k = 0; k < x.size(); ++k) x[k] = static_cast<int8_t>(std::lround(in.hwc[k] * 127.0f));
  FloatTensor xf(x.size());
  for (size_t k = 0; k < x.size(); ++k) xf[k] = x[k] / 127.0f;
  const FloatTensor f = run_float(g, xf).back();
  const reference::Tensor y = reference::run(q, x);
  int capped = 0;
  for (size_t k = 0; k < f.size(); ++k) {
    EXPECT_NEAR(y[k] * (8.0 / 127.0), f[k], 0.3) << k;
    if (f[k] >= 6.0f) {
      EXPECT_EQ(y[k], 95) << k;
      ++capped;
    }
  }
  EXPECT_GT(capped, 0) << "the cap must bind for the test to mean anything";
}

TEST(TorchScriptImport, GroupsThatDoNotMatchTheInputAreOneLineErrors) {
  test::TempDir dir("saie_import_test");
  // 4 groups of 1 input channel (the weight's second dim) need 4 input channels, not 2.
  const std::string path = save_with_body(dir.path, "grouped.pt",
                                          "    return torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 4)\n", 1);
  const std::string e = error_of([&] { load_torchscript(path, ir::Shape{28, 28, 2}); });
  EXPECT_EQ(e.rfind("conv 'conv' expects 4 input channels (1 in each of 4 groups), its input has 2", 0), 0u) << e;
}

TEST(TorchScriptImport, InputChannelMismatchAndMissingFileAreOneLineErrors) {
  test::TempDir dir("saie_import_test");
  const std::string path = save_with_body(dir.path, "rgb.pt",
                                          "    return torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)\n", 3);
  const std::string e = error_of([&] { load_torchscript(path, ir::Shape{28, 28, 1}); });
  EXPECT_NE(e.find("expects 3 input channels"), std::string::npos) << e;
  EXPECT_NE(e.find("--input-shape"), std::string::npos) << e;
  const std::string m = error_of([&] { load_torchscript((dir.path / "nope.pt").string(), ir::Shape{28, 28, 1}); });
  EXPECT_EQ(m.rfind("cannot load TorchScript file", 0), 0u) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace
}  // namespace saie::trainer
