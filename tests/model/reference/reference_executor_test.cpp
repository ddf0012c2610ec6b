// reference_executor_test.cpp — each integer op against a plain double computation (within
// 1 LSB), exact pins of the rounding rules, and whole-graph sanity.
#include "model/reference/reference_executor.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "model/ir/requant.h"
#include "hw/isa/quant_math.h"
#include "tests/model/test_graphs.h"

namespace saie::reference {
namespace {

using ir::Graph;
using ir::Node;
using ir::OpKind;
using ir::Shape;

size_t at(const Shape& s, int64_t y, int64_t x, uint32_t c) { return (size_t(y) * s.w + size_t(x)) * s.c + c; }

int8_t quant(double real, double scale, bool relu = false) {
  double q = std::round(real / scale);
  if (relu) q = std::max(q, 0.0);
  return static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
}

// Graph with an input [h, w, c] (scale in_scale) and one op node fed by it.
Graph one_op(Shape in, float in_scale, Node op) {
  Graph g;
  g.name = "one-op";
  Node i;
  i.name = "input";
  i.op = OpKind::Input;
  i.out = in;
  i.out_scale = in_scale;
  g.nodes.push_back(i);
  op.inputs = {0};
  g.nodes.push_back(op);
  g.output = 1;
  return g;
}

Tensor random_tensor(size_t n, uint32_t seed, int lo = -128, int hi = 127) {
  test::detail::Rng rng(seed);
  Tensor t(n);
  for (int8_t& v : t) v = static_cast<int8_t>(rng.uniform_int(lo, hi));
  return t;
}

// Double-precision conv (dequantised inputs and weights), quantised at the end.
std::vector<int8_t> float_conv(const Graph& g, const Tensor& in) {
  const Node& n = g.nodes[1];
  const Shape& is = g.nodes[0].out;
  const double sin = g.nodes[0].out_scale;
  std::vector<int8_t> out(n.out.elements());
  for (uint32_t oy = 0; oy < n.out.h; ++oy)
    for (uint32_t ox = 0; ox < n.out.w; ++ox)
      for (uint32_t oc = 0; oc < n.out.c; ++oc) {
        const double ws = n.weight_scales[oc];
        double real = n.bias[oc] * sin * ws;
        for (uint32_t ky = 0; ky < n.kh; ++ky)
          for (uint32_t kx = 0; kx < n.kw; ++kx) {
            const int64_t iy = int64_t(oy) * n.stride_h - n.pad_h + ky, ix = int64_t(ox) * n.stride_w - n.pad_w + kx;
            if (iy < 0 || ix < 0 || iy >= is.h || ix >= is.w) continue;
            for (uint32_t ic = 0; ic < is.c; ++ic)
              real += (in[at(is, iy, ix, ic)] * sin) * (n.weight[((size_t(oc) * n.kh + ky) * n.kw + kx) * is.c + ic] * ws);
          }
        out[at(n.out, oy, ox, oc)] = quant(real, n.out_scale, n.relu);
      }
  return out;
}

// Compares within 1 LSB and checks the test is not vacuous (some values strictly inside range).
void expect_close(const Tensor& got, const std::vector<int8_t>& want) {
  ASSERT_EQ(got.size(), want.size());
  size_t interior = 0, exact = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_LE(std::abs(int(got[i]) - int(want[i])), 1) << "element " << i;
    interior += (want[i] > -128 && want[i] < 127 && want[i] != 0) ? 1 : 0;
    exact += got[i] == want[i] ? 1 : 0;
  }
  EXPECT_GT(interior, got.size() / 4) << "too many saturated/zero outputs: test would be vacuous";
  EXPECT_GT(exact, got.size() * 3 / 4);
}

Node conv_node(uint32_t k, uint32_t stride, uint32_t pad, Shape in, uint32_t cout, bool relu, uint32_t seed) {
  test::detail::Rng rng(seed);
  Node n;
  n.name = "conv";
  n.op = OpKind::Conv;
  n.kh = n.kw = k;
  n.stride_h = n.stride_w = stride;
  n.pad_h = n.pad_w = pad;
  n.relu = relu;
  n.out = {(in.h + 2 * pad - k) / stride + 1, (in.w + 2 * pad - k) / stride + 1, cout};
  n.weight.resize(size_t(cout) * k * k * in.c);
  for (int8_t& w : n.weight) w = static_cast<int8_t>(rng.uniform_int(-127, 127));
  for (uint32_t oc = 0; oc < cout; ++oc) {
    n.weight_scales.push_back(static_cast<float>(rng.uniform(0.5, 1.5) * 0.01));
    n.bias.push_back(static_cast<int32_t>(rng.uniform_int(-20000, 20000)));
  }
  // Output scale so that typical |y| is ~ 40 LSB: real acc std ~ sqrt(K) * 73 * 73 * s_in * s_w.
  const double typical = std::sqrt(double(k * k * in.c)) * 73.0 * 73.0 * 0.02 * 0.01;
  n.out_scale = static_cast<float>(typical / 40.0);
  return n;
}

void run_conv_case(uint32_t k, uint32_t stride, uint32_t pad, Shape in, uint32_t cout, bool relu, uint32_t seed) {
  SCOPED_TRACE(testing::Message() << "k " << k << " stride " << stride << " pad " << pad);
  Graph g = one_op(in, 0.02f, conv_node(k, stride, pad, in, cout, relu, seed));
  ASSERT_NO_THROW(g.validate());
  Tensor x = random_tensor(in.elements(), seed + 1);
  expect_close(run(g, x), float_conv(g, x));
}

TEST(ReferenceTest, Conv1x1) { run_conv_case(1, 1, 0, {5, 6, 16}, 8, false, 1); }
TEST(ReferenceTest, Conv3x3Stride1Pad1) { run_conv_case(3, 1, 1, {7, 6, 8}, 16, false, 2); }
TEST(ReferenceTest, Conv3x3Stride2Pad1) { run_conv_case(3, 2, 1, {9, 8, 12}, 8, false, 3); }
TEST(ReferenceTest, Conv3x3Stride1Pad1Relu) { run_conv_case(3, 1, 1, {6, 6, 8}, 8, true, 4); }
TEST(ReferenceTest, Conv5x5Stride2Pad2) { run_conv_case(5, 2, 2, {10, 10, 3}, 8, false, 5); }

TEST(ReferenceTest, Fc) {
  const Shape in{3, 2, 8};
  Node n = conv_node(1, 1, 0, {1, 1, in.c * 6}, 10, false, 7);  // same statistics, fan-in 48
  n.op = OpKind::Fc;
  n.name = "fc";
  n.kh = in.h;
  n.kw = in.w;
  n.out = {1, 1, 10};
  Graph g = one_op(in, 0.02f, n);
  ASSERT_NO_THROW(g.validate());
  Tensor x = random_tensor(in.elements(), 8);
  expect_close(run(g, x), float_conv(g, x));
}

TEST(ReferenceTest, ConvRoundsHalfUpPinned) {
  // factor 0.5 -> mult 16384, shift 15; acc 3 -> 1.5 -> 2; acc -3 -> -1.5 -> -1 (half up);
  // acc 1000 -> 500 -> 127 (saturate); relu flag on a second channel clamps -1 to 0.
  Node n;
  n.name = "c";
  n.op = OpKind::Conv;
  n.out = {1, 3, 2};
  n.weight = {1, 1};
  n.weight_scales = {1.0f, 1.0f};
  n.bias = {0, 0};
  n.out_scale = 2.0f;
  Graph g = one_op({1, 3, 1}, 1.0f, n);
  EXPECT_EQ(ir::make_requant(0.5).mult, 16384);
  EXPECT_EQ(ir::make_requant(0.5).shift, 15);
  EXPECT_EQ(run(g, {3, -3, 127}), (Tensor{2, 2, -1, -1, 64, 64}));
  g.nodes[1].weight = {1, -1};
  g.nodes[1].relu = true;
  EXPECT_EQ(run(g, {3, -3, 127}), (Tensor{2, 0, 0, 2, 64, 0}));
  g.nodes[1].relu = false;
  g.nodes[1].bias = {1000, -1000};
  EXPECT_EQ(run(g, {0, 0, 0}), (Tensor{127, -128, 127, -128, 127, -128}));
}

TEST(ReferenceTest, MaxPoolExactWithPaddingIgnored) {
  Node n;
  n.name = "pool";
  n.op = OpKind::MaxPool;
  n.kh = n.kw = 3;
  n.stride_h = n.stride_w = 2;
  n.pad_h = n.pad_w = 1;
  const Shape in{7, 6, 8};
  n.out = {4, 3, 8};
  n.out_scale = 0.05f;
  Graph g = one_op(in, 0.05f, n);
  ASSERT_NO_THROW(g.validate());
  Tensor x = random_tensor(in.elements(), 9, -128, -1);  // all negative: padding must not win
  Tensor y = run(g, x);
  for (uint32_t oy = 0; oy < 4; ++oy)
    for (uint32_t ox = 0; ox < 3; ++ox)
      for (uint32_t c = 0; c < 8; ++c) {
        int m = -1000;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx) {
            int iy = int(oy) * 2 - 1 + ky, ix = int(ox) * 2 - 1 + kx;
            if (iy >= 0 && ix >= 0 && iy < 7 && ix < 6) m = std::max(m, int(x[at(in, iy, ix, c)]));
          }
        EXPECT_EQ(y[at(n.out, oy, ox, c)], m);
      }
}

std::vector<int8_t> float_avgpool(const Graph& g, const Tensor& in) {
  const Node& n = g.nodes[1];
  const Shape& is = g.nodes[0].out;
  std::vector<int8_t> out(n.out.elements());
  for (uint32_t oy = 0; oy < n.out.h; ++oy)
    for (uint32_t ox = 0; ox < n.out.w; ++ox)
      for (uint32_t c = 0; c < n.out.c; ++c) {
        double sum = 0;
        for (uint32_t ky = 0; ky < n.kh; ++ky)
          for (uint32_t kx = 0; kx < n.kw; ++kx) {
            const int64_t iy = int64_t(oy) * n.stride_h - n.pad_h + ky, ix = int64_t(ox) * n.stride_w - n.pad_w + kx;
            if (iy >= 0 && ix >= 0 && iy < is.h && ix < is.w) sum += in[at(is, iy, ix, c)] * double(g.nodes[0].out_scale);
          }
        out[at(n.out, oy, ox, c)] = quant(sum / (n.kh * n.kw), n.out_scale);
      }
  return out;
}

TEST(ReferenceTest, AvgPoolGlobal) {
  Node n;
  n.name = "gap";
  n.op = OpKind::AvgPool;
  n.kh = n.stride_h = 7;
  n.kw = n.stride_w = 7;
  n.out = {1, 1, 32};
  n.out_scale = 0.03f;
  const Shape in{7, 7, 32};
  Graph g = one_op(in, 0.05f, n);
  Tensor x = random_tensor(in.elements(), 10, -60, 127);
  expect_close(run(g, x), float_avgpool(g, x));
  g.nodes[1].out_scale = 0.05f;  // keeps the input scale (the usual case)
  expect_close(run(g, x), float_avgpool(g, x));
}

TEST(ReferenceTest, AvgPoolWithPaddingCountsZeros) {
  Node n;
  n.name = "ap";
  n.op = OpKind::AvgPool;
  n.kh = n.kw = 3;
  n.stride_h = n.stride_w = 1;
  n.pad_h = n.pad_w = 1;
  const Shape in{5, 4, 8};
  n.out = {5, 4, 8};
  n.out_scale = 0.02f;
  Graph g = one_op(in, 0.05f, n);
  Tensor x = random_tensor(in.elements(), 11, -30, 60);
  expect_close(run(g, x), float_avgpool(g, x));
  // Corner (0,0): 4 real inputs of 9, divisor 9: all inputs 9 -> 4 * 9 * 0.05 / 9 / 0.02 = 10.
  Tensor nine(in.elements(), 9);
  EXPECT_EQ(run(g, nine)[0], 10);
}

TEST(ReferenceTest, AvgPoolDividesByEachWindowsCountAsPyTorch) {
  // 3x3 s2 p1 over 5x6 with ceil_mode and count_include_pad=False (values from
  // torch.nn.functional.avg_pool2d's rule: windows clipped to the input, then to the padding).
  Node n;
  n.name = "ap";
  n.op = OpKind::AvgPool;
  n.kh = n.kw = 3;
  n.stride_h = n.stride_w = 2;
  n.pad_h = n.pad_w = 1;
  n.ceil_mode = true;
  n.count_include_pad = false;
  const Shape in{5, 6, 8};
  n.out = {3, 4, 8};  // floor mode: 3x3; the fourth column's window starts at input column 5
  n.out_scale = 0.05f;
  Graph g = one_op(in, 0.05f, n);
  EXPECT_TRUE(ir::avgpool_divides_by_count(g.nodes[1], in));
  // Corner: 2x2 inputs; top edge: 2x3; interior: 3x3; last column: 2 rows x 1 column.
  EXPECT_EQ(ir::avgpool_count(g.nodes[1], in, 0, 0), 4);
  EXPECT_EQ(ir::avgpool_count(g.nodes[1], in, 0, 1), 6);
  EXPECT_EQ(ir::avgpool_count(g.nodes[1], in, 1, 1), 9);
  EXPECT_EQ(ir::avgpool_count(g.nodes[1], in, 0, 3), 2);
  // A constant input averages to itself in every window, whatever its count.
  Tensor nine(in.elements(), 9);
  for (int8_t v : run(g, nine)) EXPECT_EQ(v, 9);
  // count_include_pad: the padding counts, the ceil overhang does not: the corner divides by 9
  // (4 real inputs of 9 -> 4), the last column (window columns 5, 6, 7; 7 past the padding) by 3x2.
  g.nodes[1].count_include_pad = true;
  EXPECT_EQ(ir::avgpool_count(g.nodes[1], in, 0, 0), 9);
  EXPECT_EQ(ir::avgpool_count(g.nodes[1], in, 1, 3), 6);
  const Tensor y = run(g, nine);
  EXPECT_EQ(y[0], 4);
  EXPECT_EQ(y[at(n.out, 1, 3, 0)], 5);  // 3 real inputs of the 6 counted: 27 / 6 = 4.5, half up
  // Without ceil_mode and padding every window divides by kh*kw: the ordinary path.
  g.nodes[1].ceil_mode = false;
  g.nodes[1].out = {3, 3, 8};
  EXPECT_FALSE(ir::avgpool_divides_by_count(g.nodes[1], in));
  // Rounding of the division: half up, also for negative sums.
  EXPECT_EQ(isa::div_round_half_up(5, 2), 3);
  EXPECT_EQ(isa::div_round_half_up(-5, 2), -2);
  EXPECT_EQ(isa::div_round_half_up(-7, 3), -2);
  EXPECT_EQ(isa::div_round_half_up(7, 3), 2);
}

TEST(ReferenceTest, Add) {
  Graph g;
  g.name = "add";
  Node i;
  i.name = "input";
  i.op = OpKind::Input;
  i.out = {4, 4, 8};
  i.out_scale = 0.02f;
  g.nodes.push_back(i);
  Node a = conv_node(1, 1, 0, i.out, 8, false, 21);
  a.name = "a";
  a.inputs = {0};
  Node b = conv_node(3, 1, 1, i.out, 8, false, 22);
  b.name = "b";
  b.inputs = {0};
  b.out_scale = a.out_scale * 1.7f;
  Node s;
  s.name = "sum";
  s.op = OpKind::Add;
  s.inputs = {1, 2};
  s.out = i.out;
  s.out_scale = a.out_scale * 1.9f;
  g.nodes = {i, a, b, s};
  g.output = 3;
  ASSERT_NO_THROW(g.validate());
  Tensor x = random_tensor(i.out.elements(), 23);
  std::vector<Tensor> t = run_all(g, x);
  ASSERT_EQ(t.size(), 4u);
  std::vector<int8_t> want(t[3].size());
  for (size_t k = 0; k < want.size(); ++k)
    want[k] = quant(t[1][k] * double(a.out_scale) + t[2][k] * double(b.out_scale), s.out_scale);
  expect_close(t[3], want);
  g.nodes[3].relu = true;
  Tensor r = run(g, x);
  for (size_t k = 0; k < r.size(); ++k) EXPECT_EQ(r[k], std::max<int8_t>(t[3][k], 0));
}

TEST(ReferenceTest, StandaloneRelu) {
  Node n;
  n.name = "r";
  n.op = OpKind::Relu;
  n.out = {2, 2, 2};
  n.out_scale = 0.1f;
  Graph g = one_op({2, 2, 2}, 0.1f, n);
  EXPECT_EQ(run(g, {-128, -1, 0, 1, 127, -5, 5, -100}), (Tensor{0, 0, 0, 1, 127, 0, 5, 0}));
}

TEST(ReferenceTest, LutMapsEveryValueThroughItsTable) {
  Node n;
  n.name = "t";
  n.op = OpKind::Lut;
  n.act = "hardswish";
  n.out = {1, 2, 4};
  n.out_scale = 0.05f;
  n.lut = ir::make_lut("hardswish", 0.1, 0.05);
  Graph g = one_op({1, 2, 4}, 0.1f, n);
  ASSERT_NO_THROW(g.validate());
  const Tensor x{-128, -31, -30, -1, 0, 1, 29, 127};
  const Tensor y = run(g, x);
  for (size_t k = 0; k < x.size(); ++k) {
    // hardswish(v) = v * relu6(v + 3) / 6, rounded half away from zero at the output scale
    const double v = x[k] * 0.1, f = v * std::clamp(v + 3.0, 0.0, 6.0) / 6.0;
    EXPECT_EQ(y[k], static_cast<int8_t>(std::clamp(std::round(f / double{0.05f}), -128.0, 127.0))) << k;
  }
  EXPECT_EQ(y[4], 0);           // hardswish(0) = 0
  EXPECT_EQ(y[0], 0);           // below -3 the function is 0
  EXPECT_EQ(y[7], 127);         // 12.7 * 1 / 0.05 saturates
  n.lut.pop_back();             // a table of 255 entries is refused
  EXPECT_THROW(one_op({1, 2, 4}, 0.1f, n).validate(), std::runtime_error);
}

TEST(ReferenceTest, MakeLutFollowsPyTorchDefinitions) {
  EXPECT_TRUE(ir::lut_function_known("sigmoid"));
  EXPECT_FALSE(ir::lut_function_known("gelu"));
  EXPECT_THROW(ir::lut_function("gelu", 0.0), std::invalid_argument);
  EXPECT_DOUBLE_EQ(ir::lut_function("hardsigmoid", 0.0), 0.5);
  EXPECT_DOUBLE_EQ(ir::lut_function("hardsigmoid", 3.0), 1.0);
  EXPECT_DOUBLE_EQ(ir::lut_function("hardsigmoid", -3.0), 0.0);
  EXPECT_NEAR(ir::lut_function("silu", 1.0), 1.0 / (1.0 + std::exp(-1.0)), 1e-15);
  EXPECT_NEAR(ir::lut_function("tanh", 0.5), std::tanh(0.5), 1e-15);
  const std::vector<int8_t> t = ir::make_lut("sigmoid", 0.05, 1.0 / 127);
  ASSERT_EQ(t.size(), ir::kLutEntries);
  EXPECT_EQ(t[128], 64);  // sigmoid(0) = 0.5 -> 63.5 rounds away from zero
  EXPECT_TRUE(std::is_sorted(t.begin(), t.end()));
  EXPECT_GE(*std::min_element(t.begin(), t.end()), 0);
}

// The squeeze-excitation product: out = x * gate[c], rescaled by sx * sg / sy.
Graph mul_graph(Shape s, float sx, float sg, float sy) {
  Graph g = one_op(s, sx, Node{});
  g.nodes.pop_back();
  Node gate;  // a 1x1xC gate: the global average pool of the input
  gate.name = "gate";
  gate.op = OpKind::AvgPool;
  gate.inputs = {0};
  gate.out = {1, 1, s.c};
  gate.out_scale = sg;
  gate.kh = s.h;
  gate.kw = s.w;
  gate.stride_h = s.h;
  gate.stride_w = s.w;
  g.nodes.push_back(gate);
  Node m;
  m.name = "mul";
  m.op = OpKind::Mul;
  m.inputs = {0, 1};
  m.out = s;
  m.out_scale = sy;
  g.nodes.push_back(m);
  g.output = 2;
  return g;
}

TEST(ReferenceTest, MulScalesEveryPixelByItsChannelsGate) {
  const Shape s{3, 2, 8};
  Graph g = mul_graph(s, 0.02f, 0.01f, 0.004f);
  ASSERT_NO_THROW(g.validate());
  const Tensor x = random_tensor(s.elements(), 7);
  const std::vector<Tensor> t = run_all(g, x);
  const ir::Requant r = ir::make_requant(double{0.02f} * double{0.01f} / double{0.004f});
  for (size_t k = 0; k < x.size(); ++k) {
    const int64_t p = int64_t{x[k]} * t[1][k % s.c];
    EXPECT_EQ(t[2][k], static_cast<int8_t>(std::clamp<int64_t>(isa::round_shift(p * r.mult, r.shift), -128, 127))) << k;
    // and the real-valued product within one output step
    const double real = x[k] * 0.02 * t[1][k % s.c] * 0.01;
    if (std::fabs(real / 0.004) < 127) {
      EXPECT_NEAR(t[2][k] * 0.004, real, 0.004) << k;
    }
  }
  // The gate must be 1x1 with the map's channels.
  g.nodes[2].inputs = {0, 0};
  EXPECT_THROW(g.validate(), std::runtime_error);
}

TEST(ReferenceTest, GateConvEqualsTheMulItReplaces) {
  // What the compiler's pass mul-conv makes of a Mul: a depthwise 1x1 conv whose diagonal is the
  // gate at run time, weight scale = the gate's scale, bias 0.
  const Shape s{2, 3, 16};
  Graph g = mul_graph(s, 0.03f, 0.02f, 0.01f);
  const Tensor x = random_tensor(s.elements(), 9);
  const Tensor want = run(g, x);
  Node& c = g.nodes[2];
  c.op = OpKind::Conv;
  c.gate = true;
  c.groups = s.c;
  c.weight.assign(size_t{s.c} * s.c, 0);
  for (uint32_t i = 0; i < s.c; ++i) c.weight[size_t{i} * s.c + i] = 1;
  c.weight_scales.assign(s.c, 0.02f);
  c.bias.assign(s.c, 0);
  ASSERT_NO_THROW(g.validate());
  EXPECT_EQ(run(g, x), want);
}

TEST(ReferenceTest, WholeGraphDeterministicAndShaped) {
  Graph g = test::make_test_graph(6, true);
  Tensor x = test::make_test_input(g, 2);
  std::vector<Tensor> t = run_all(g, x);
  ASSERT_EQ(t.size(), g.nodes.size());
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].size(), g.nodes[i].out.elements()) << g.nodes[i].name;
  EXPECT_EQ(run(g, x), t[g.output]);
  EXPECT_EQ(run(g, x), run(g, x));
  // Calibrated scales keep the logits informative: not all equal, not all saturated.
  const Tensor& y = t[g.output];
  EXPECT_NE(*std::min_element(y.begin(), y.end()), *std::max_element(y.begin(), y.end()));
  EXPECT_THROW(run(g, Tensor(3)), std::invalid_argument);
}

TEST(ReferenceTest, QuantizeImageAndArgmax) {
  test::TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  Graph g = test::make_test_graph(1, false, o);
  std::vector<uint8_t> px(28 * 28);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i % 256);
  Tensor q = quantize_image(g, px.data());
  ASSERT_EQ(q.size(), 28u * 28u);
  // scale 1/127: q = round(127 * p / 255).
  for (size_t i = 0; i < px.size(); ++i) EXPECT_EQ(q[i], int(std::lround(127.0 * px[i] / 255.0))) << i;
  EXPECT_EQ(q[255], 127);
  g.nodes[0].out_scale = 0.5f / 127.0f;  // saturates above half brightness
  EXPECT_EQ(quantize_image(g, px.data())[255], 127);
  EXPECT_EQ(argmax(Tensor{1, 5, -3, 5, 2}), 1);
  EXPECT_EQ(argmax(Tensor{-128}), 0);
  EXPECT_THROW(argmax(Tensor{}), std::invalid_argument);
}

}  // namespace
}  // namespace saie::reference
