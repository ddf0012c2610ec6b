// test_graphs.h — header-only helpers for compiler tests: a small random but valid quantised
// Graph (conv, maxpool, strided conv, residual add, global avgpool, fc), inputs and temp dirs.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "model/ir/graph.h"

namespace saie::test {

struct TestGraphOptions {
  uint32_t h = 8, w = 8, c = 8;  // input shape (h, w multiples of 4); 28x28x1 gives an MNIST-like net
  uint32_t c1 = 16;              // conv1 / pool1 channels
  uint32_t c2 = 32;              // channels of the residual stage (conv2, conv3, skip, add, gap)
  uint32_t classes = 10;         // fc outputs (10 exercises a partial edge block row)
  double sparsity = 0.5;         // fraction of zero blocks per block row of each sparse layer
  bool standalone_relu = false;  // add without fused relu followed by a Relu node (for fuse-relu)
};

namespace detail {

struct Rng {
  std::mt19937 gen;
  explicit Rng(uint32_t seed) : gen(seed) {}
  // Integer in [lo, hi] (modulo mapping: identical on every platform, bias irrelevant here).
  int64_t uniform_int(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(gen() % static_cast<uint64_t>(hi - lo + 1));
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * (gen() / 4294967296.0); }
};

inline size_t idx(const ir::Shape& s, uint32_t y, uint32_t x, uint32_t c) { return (size_t{y} * s.w + x) * s.c + c; }

// Float forward of node n (real-valued weights and biases) for scale calibration.
inline std::vector<double> float_forward(const ir::Graph& g, const ir::Node& n, const std::vector<std::vector<double>>& t) {
  const ir::Node& src = g.nodes[static_cast<size_t>(n.inputs[0])];
  const ir::Shape& is = src.out;
  const std::vector<double>& in = t[static_cast<size_t>(n.inputs[0])];
  std::vector<double> out(n.out.elements(), 0.0);
  switch (n.op) {
    case ir::OpKind::Conv:
    case ir::OpKind::Fc:
      for (uint32_t oc = 0; oc < n.out.c; ++oc)
        for (uint32_t oy = 0; oy < n.out.h; ++oy)
          for (uint32_t ox = 0; ox < n.out.w; ++ox) {
            double acc = static_cast<double>(n.bias[oc]) * src.out_scale * n.weight_scales[oc];
            for (uint32_t ky = 0; ky < n.kh; ++ky)
              for (uint32_t kx = 0; kx < n.kw; ++kx) {
                const int64_t iy = int64_t{oy} * n.stride_h - n.pad_h + ky, ix = int64_t{ox} * n.stride_w - n.pad_w + kx;
                if (iy < 0 || ix < 0 || iy >= is.h || ix >= is.w) continue;
                for (uint32_t ic = 0; ic < is.c; ++ic)
                  acc += in[idx(is, uint32_t(iy), uint32_t(ix), ic)] *
                         n.weight[((size_t{oc} * n.kh + ky) * n.kw + kx) * is.c + ic] * n.weight_scales[oc];
              }
            out[idx(n.out, oy, ox, oc)] = n.relu ? std::max(acc, 0.0) : acc;
          }
      break;
    case ir::OpKind::MaxPool:
    case ir::OpKind::AvgPool:
      for (uint32_t oy = 0; oy < n.out.h; ++oy)
        for (uint32_t ox = 0; ox < n.out.w; ++ox)
          for (uint32_t c = 0; c < n.out.c; ++c) {
            double sum = 0, mx = -1e300;
            for (uint32_t ky = 0; ky < n.kh; ++ky)
              for (uint32_t kx = 0; kx < n.kw; ++kx) {
                const int64_t iy = int64_t{oy} * n.stride_h - n.pad_h + ky, ix = int64_t{ox} * n.stride_w - n.pad_w + kx;
                if (iy < 0 || ix < 0 || iy >= is.h || ix >= is.w) continue;
                sum += in[idx(is, uint32_t(iy), uint32_t(ix), c)];
                mx = std::max(mx, in[idx(is, uint32_t(iy), uint32_t(ix), c)]);
              }
            out[idx(n.out, oy, ox, c)] =
                n.op == ir::OpKind::MaxPool ? mx : sum / static_cast<double>(ir::avgpool_count(n, is, oy, ox));
          }
      break;
    case ir::OpKind::Add: {
      const std::vector<double>& b = t[static_cast<size_t>(n.inputs[1])];
      for (size_t i = 0; i < out.size(); ++i) out[i] = n.relu ? std::max(in[i] + b[i], 0.0) : in[i] + b[i];
      break;
    }
    case ir::OpKind::Relu:
      for (size_t i = 0; i < out.size(); ++i) out[i] = std::max(in[i], 0.0);
      break;
    case ir::OpKind::Lut:
      for (size_t i = 0; i < out.size(); ++i) out[i] = ir::lut_function(n.act, in[i]);
      break;
    case ir::OpKind::Mul: {
      const std::vector<double>& gate = t[static_cast<size_t>(n.inputs[1])];
      for (size_t i = 0; i < out.size(); ++i) out[i] = in[i] * gate[i % n.out.c];
      break;
    }
    case ir::OpKind::Concat: {
      uint32_t off = 0;
      for (int k : n.inputs) {
        const ir::Shape& s = g.nodes[static_cast<size_t>(k)].out;
        const std::vector<double>& x = t[static_cast<size_t>(k)];
        for (uint32_t y = 0; y < s.h; ++y)
          for (uint32_t xx = 0; xx < s.w; ++xx)
            for (uint32_t c = 0; c < s.c; ++c) out[idx(n.out, y, xx, off + c)] = x[idx(s, y, xx, c)];
        off += s.c;
      }
      break;
    }
    case ir::OpKind::Input: break;
  }
  return out;
}

// Fills weights (int8, masked), per-channel weight scales and int32 biases of a conv/fc node.
inline void fill_weights(ir::Node& n, const ir::Shape& in, float in_scale, bool sparse, double sparsity, Rng& rng) {
  const uint32_t cout = n.out.c, cin = in.c, k = n.kh * n.kw;
  n.sparse = sparse;
  if (sparse) {
    n.mask.bo = n.mask.bi = 8;
    n.mask.rows = (cout + 7) / 8;
    n.mask.cols = (cin + 7) / 8;
    n.mask.bits.assign(size_t{n.mask.rows} * n.mask.cols, 0);
    // Row-balanced: every block row keeps the same number of blocks, at random columns.
    const uint32_t keep =
        std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(n.mask.cols * (1.0 - sparsity))));
    for (uint32_t r = 0; r < n.mask.rows; ++r) {
      std::vector<uint32_t> cols(n.mask.cols);
      for (uint32_t c = 0; c < n.mask.cols; ++c) cols[c] = c;
      for (uint32_t c = n.mask.cols; c > 1; --c) std::swap(cols[c - 1], cols[static_cast<size_t>(rng.uniform_int(0, c - 1))]);
      for (uint32_t j = 0; j < keep && j < n.mask.cols; ++j) n.mask.bits[size_t{r} * n.mask.cols + cols[j]] = 1;
    }
  }
  n.weight.assign(size_t{cout} * k * cin, 0);
  const double kept_fraction = sparse ? static_cast<double>(n.mask.nnz()) / n.mask.bits.size() : 1.0;
  const double fan_in = std::max(1.0, k * cin * kept_fraction);
  for (uint32_t oc = 0; oc < cout; ++oc)
    for (uint32_t kk = 0; kk < k; ++kk)
      for (uint32_t ic = 0; ic < cin; ++ic) {
        const int8_t w = static_cast<int8_t>(rng.uniform_int(-127, 127));
        if (!sparse || n.mask.at(oc / 8, ic / 8)) n.weight[(size_t{oc} * k + kk) * cin + ic] = w;
      }
  n.weight_scales.resize(cout);
  n.bias.resize(cout);
  for (uint32_t oc = 0; oc < cout; ++oc) {
    // Real weights ~ U(-1, 1) * 1.7 / sqrt(fan_in): unit-ish gain; biases real in [-0.2, 0.2].
    n.weight_scales[oc] = static_cast<float>(rng.uniform(0.6, 1.4) * 1.7 / (127.0 * std::sqrt(fan_in)));
    const double real_bias = rng.uniform(-0.2, 0.2);
    n.bias[oc] = static_cast<int32_t>(std::lround(real_bias / (double{in_scale} * n.weight_scales[oc])));
  }
}

}  // namespace detail

// Builds a valid random graph (deterministic for a seed):
//   input [h, w, c] (scale 1/127)
//   conv1  3x3 s1 p1 -> [h, w, c1], relu, always dense
//   pool1  maxpool 2x2 s2 -> [h/2, w/2, c1]
//   conv2  3x3 s2 p1 -> [h/4, w/4, c2], relu          (sparse if `sparse`)
//   conv3  3x3 s1 p1 -> [h/4, w/4, c2], no relu       (sparse if `sparse`)
//   skip   1x1 s2 p0 from pool1 -> [h/4, w/4, c2]     (sparse if `sparse`)
//   add1   conv3 + skip, relu (or: add1 without relu, then relu1 when standalone_relu)
//   gap    avgpool [h/4, w/4] -> [1, 1, c2] (keeps the scale)
//   fc     -> [1, 1, classes], no relu                (sparse if `sparse`) = output
// Random int8 weights (masked: zero blocks are zero), row-balanced masks, per-channel weight
// scales, and output scales calibrated by a float forward pass on a random [0, 1] input.
inline ir::Graph make_test_graph(uint32_t seed, bool sparse, const TestGraphOptions& opt = {}) {
  detail::Rng rng(seed * 2654435761u + 17u);
  ir::Graph g;
  g.name = "test-graph-" + std::to_string(seed) + (sparse ? "-sparse" : "-dense");
  g.provenance.dataset = "random";
  g.provenance.model = "test_graphs.h";
  g.provenance.notes = "seed " + std::to_string(seed);

  auto add_node = [&](const std::string& name, ir::OpKind op, std::vector<int> inputs, ir::Shape out) -> ir::Node& {
    ir::Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(inputs);
    n.out = out;
    g.nodes.push_back(std::move(n));
    return g.nodes.back();
  };
  auto window = [](ir::Node& n, uint32_t k, uint32_t s, uint32_t p) {
    n.kh = n.kw = k;
    n.stride_h = n.stride_w = s;
    n.pad_h = n.pad_w = p;
  };

  std::vector<std::vector<double>> real;  // float activations for calibration
  ir::Node& in = add_node("input", ir::OpKind::Input, {}, {opt.h, opt.w, opt.c});
  in.out_scale = 1.0f / 127.0f;
  real.emplace_back(in.out.elements());
  for (double& v : real.back()) v = rng.uniform(0.0, 1.0);

  // Sets weights (conv/fc) and calibrates the scale of the node just added.
  auto finish = [&](bool weighted, bool sparse_layer, bool keep_scale) {
    ir::Node& n = g.nodes.back();
    const ir::Node& src = g.nodes[static_cast<size_t>(n.inputs[0])];
    if (weighted) detail::fill_weights(n, src.out, src.out_scale, sparse_layer, opt.sparsity, rng);
    real.push_back(detail::float_forward(g, n, real));
    if (keep_scale) {
      n.out_scale = src.out_scale;
    } else {
      double mx = 0;
      for (double v : real.back()) mx = std::max(mx, std::fabs(v));
      n.out_scale = static_cast<float>(std::max(mx, 1e-3) * 1.05 / 127.0);
    }
  };

  const uint32_t h2 = opt.h / 2, w2 = opt.w / 2, h4 = opt.h / 4, w4 = opt.w / 4;
  ir::Node* n = &add_node("conv1", ir::OpKind::Conv, {0}, {opt.h, opt.w, opt.c1});
  window(*n, 3, 1, 1);
  n->relu = true;
  finish(true, false, false);
  n = &add_node("pool1", ir::OpKind::MaxPool, {1}, {h2, w2, opt.c1});
  window(*n, 2, 2, 0);
  finish(false, false, true);
  n = &add_node("conv2", ir::OpKind::Conv, {2}, {h4, w4, opt.c2});
  window(*n, 3, 2, 1);
  n->relu = true;
  finish(true, sparse, false);
  n = &add_node("conv3", ir::OpKind::Conv, {3}, {h4, w4, opt.c2});
  window(*n, 3, 1, 1);
  finish(true, sparse, false);
  n = &add_node("skip", ir::OpKind::Conv, {2}, {h4, w4, opt.c2});
  window(*n, 1, 2, 0);
  finish(true, sparse, false);
  n = &add_node("add1", ir::OpKind::Add, {4, 5}, {h4, w4, opt.c2});
  n->relu = !opt.standalone_relu;
  finish(false, false, false);
  int last = static_cast<int>(g.nodes.size()) - 1;
  if (opt.standalone_relu) {
    add_node("relu1", ir::OpKind::Relu, {last}, {h4, w4, opt.c2});
    finish(false, false, true);
    last = static_cast<int>(g.nodes.size()) - 1;
  }
  n = &add_node("gap", ir::OpKind::AvgPool, {last}, {1, 1, opt.c2});
  n->kh = n->stride_h = h4;
  n->kw = n->stride_w = w4;
  finish(false, false, true);
  n = &add_node("fc", ir::OpKind::Fc, {last + 1}, {1, 1, opt.classes});
  n->kh = n->kw = 1;  // gap output is 1x1
  finish(true, sparse, false);
  g.output = static_cast<int>(g.nodes.size()) - 1;
  g.validate();
  return g;
}

// A chain of ResNet bottleneck blocks (deterministic for a seed), to exercise fused residual adds
// and activations kept on chip across several phases:
//   input [h, w, c] -> stem 1x1 conv -> [h, w, wide] (relu)
//   block k (k < blocks): conv1 1x1 -> [h, w, narrow] relu, conv2 3x3 p1 -> [h, w, narrow] relu,
//     conv3 1x1 -> [h, w, wide], add (conv3 + block input) relu
//   last block with a downsample: conv1 1x1, conv2 3x3 s2 p1 -> [h/2, w/2, narrow], conv3 1x1,
//     downsample 1x1 s2 from the block input, add(conv3, downsample) relu
//   gap avgpool -> [1, 1, wide], fc -> [1, 1, classes]
struct ResidualChainOptions {
  uint32_t h = 16, w = 16, c = 8;  // h = w, even
  uint32_t wide = 32, narrow = 16, blocks = 2, classes = 10;
  double sparsity = 0.5;
};
inline ir::Graph make_residual_chain_graph(uint32_t seed, bool sparse, const ResidualChainOptions& opt = {}) {
  detail::Rng rng(seed * 2246822519u + 3u);
  ir::Graph g;
  g.name = "residual-chain-" + std::to_string(seed) + (sparse ? "-sparse" : "-dense");
  g.provenance.dataset = "random";
  g.provenance.model = "test_graphs.h";
  std::vector<std::vector<double>> real;
  ir::Node in;
  in.name = "input";
  in.op = ir::OpKind::Input;
  in.out = {opt.h, opt.w, opt.c};
  in.out_scale = 1.0f / 127.0f;
  g.nodes.push_back(in);
  real.emplace_back(in.out.elements());
  for (double& v : real.back()) v = rng.uniform(0.0, 1.0);
  // Appends a node and calibrates its scale from the float forward pass.
  auto add = [&](const std::string& name, ir::OpKind op, std::vector<int> inputs, ir::Shape out, uint32_t k, uint32_t s,
                 uint32_t pad, bool relu, bool sparse_layer) -> int {
    ir::Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(inputs);
    n.out = out;
    n.kh = n.kw = k;
    n.stride_h = n.stride_w = s;
    n.pad_h = n.pad_w = pad;
    n.relu = relu;
    g.nodes.push_back(std::move(n));
    ir::Node& m = g.nodes.back();
    const ir::Node& src = g.nodes[static_cast<size_t>(m.inputs[0])];
    if (ir::has_weights(op)) detail::fill_weights(m, src.out, src.out_scale, sparse_layer, opt.sparsity, rng);
    real.push_back(detail::float_forward(g, m, real));
    if (op == ir::OpKind::AvgPool) {
      m.out_scale = src.out_scale;
    } else {
      double mx = 0;
      for (double v : real.back()) mx = std::max(mx, std::fabs(v));
      m.out_scale = static_cast<float>(std::max(mx, 1e-3) * 1.05 / 127.0);
    }
    return static_cast<int>(g.nodes.size()) - 1;
  };
  const ir::Shape full{opt.h, opt.w, opt.wide}, mid{opt.h, opt.w, opt.narrow};
  int x = add("stem", ir::OpKind::Conv, {0}, full, 1, 1, 0, true, false);
  for (uint32_t b = 0; b < opt.blocks; ++b) {
    const std::string p = "block" + std::to_string(b) + ".";
    const int c1 = add(p + "conv1", ir::OpKind::Conv, {x}, mid, 1, 1, 0, true, sparse);
    const int c2 = add(p + "conv2", ir::OpKind::Conv, {c1}, mid, 3, 1, 1, true, sparse);
    const int c3 = add(p + "conv3", ir::OpKind::Conv, {c2}, full, 1, 1, 0, false, sparse);
    x = add(p + "add", ir::OpKind::Add, {c3, x}, full, 1, 1, 0, true, false);
  }
  const ir::Shape half{opt.h / 2, opt.w / 2, opt.wide}, half_mid{opt.h / 2, opt.w / 2, opt.narrow};
  const int d1 = add("down.conv1", ir::OpKind::Conv, {x}, mid, 1, 1, 0, true, sparse);
  const int d2 = add("down.conv2", ir::OpKind::Conv, {d1}, half_mid, 3, 2, 1, true, sparse);
  const int d3 = add("down.conv3", ir::OpKind::Conv, {d2}, half, 1, 1, 0, false, sparse);
  const int ds = add("down.downsample", ir::OpKind::Conv, {x}, half, 1, 2, 0, false, sparse);
  x = add("down.add", ir::OpKind::Add, {d3, ds}, half, 1, 1, 0, true, false);
  const int gap = add("gap", ir::OpKind::AvgPool, {x}, {1, 1, opt.wide}, opt.h / 2, opt.h / 2, 0, false, false);
  add("fc", ir::OpKind::Fc, {gap}, {1, 1, opt.classes}, 1, 1, 0, false, sparse);
  g.output = static_cast<int>(g.nodes.size()) - 1;
  g.validate();
  return g;
}

// A deterministic input for g: int8 HWC values in [lo, hi] (default: image-like, non-negative).
// Index of the node called `name`, or -1.
inline int node_index(const ir::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

inline std::vector<int8_t> make_test_input(const ir::Graph& g, uint32_t seed, int lo = 0, int hi = 127) {
  detail::Rng rng(seed ^ 0x9e3779b9u);
  std::vector<int8_t> t(g.input().out.elements());
  for (int8_t& v : t) v = static_cast<int8_t>(rng.uniform_int(lo, hi));
  return t;
}

// A fresh, empty directory under the system temp dir, removed (recursively) on destruction.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "saie") {
    static std::atomic<unsigned> counter{0};
    path = std::filesystem::temp_directory_path() /
           (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string str() const { return path.string(); }
};

}  // namespace saie::test
