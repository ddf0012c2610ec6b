// model_zoo.cpp — ResNet-50 and VGG-16 at ImageNet shapes as FloatGraphs / int8 graphs (see model_zoo.h).
//
// Layer names follow torchvision's module paths (conv1, layer1.0.conv1, layer1.0.downsample.0,
// fc; features.0 ... features.30, classifier.0/3/6) so bundles read like the PyTorch models.
// Weights follow torchvision's initialisation statistics with uniform draws of equal variance:
// convs kaiming (fan_out, ReLU gain), ResNet's fc PyTorch's Linear default, VGG's fc N(0, 0.01)
// -like; every BatchNorm is freshly initialised (gamma 1, beta 0, mean 0, var 1), so folding it
// leaves a zero bias.
#include "trainer/zoo/model_zoo.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "trainer/quant/quantize.h"

namespace saie::trainer {

namespace {

// splitmix64: tiny, fast and identical on every platform (std distributions are not).
struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float a) {  // in [-a, a)
    return static_cast<float>((static_cast<double>(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0) * a);
  }
};

enum class Init { KaimingFanOut, LinearDefault, Normal001 };

class Builder {
 public:
  Builder(FloatGraph& g, const ZooOptions& o) : g_(g), o_(o) {}

  uint32_t ch(uint32_t c) const { return std::max<uint32_t>(1, c / o_.width_div); }

  int conv(const std::string& name, int in, uint32_t cout, uint32_t k, uint32_t stride, uint32_t pad, bool relu) {
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Conv;
    l.inputs = {in};
    l.kh = l.kw = k;
    l.stride_h = l.stride_w = stride;
    l.pad_h = l.pad_w = pad;
    l.relu = relu;
    l.cout = cout;
    return push(std::move(l), Init::KaimingFanOut);
  }
  int fc(const std::string& name, int in, uint32_t cout, bool relu, Init init) {
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Fc;
    l.inputs = {in};
    l.relu = relu;
    l.cout = cout;
    return push(std::move(l), init);
  }
  int pool(const std::string& name, FloatOp op, int in, uint32_t k, uint32_t stride, uint32_t pad) {
    FloatLayer l;
    l.name = name;
    l.op = op;
    l.inputs = {in};
    l.kh = l.kw = k;
    l.stride_h = l.stride_w = stride;
    l.pad_h = l.pad_w = pad;
    return push(std::move(l), Init::KaimingFanOut);
  }
  int add(const std::string& name, int a, int b, bool relu) {
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Add;
    l.inputs = {a, b};
    l.relu = relu;
    return push(std::move(l), Init::KaimingFanOut);
  }
  const ir::Shape& shape(int layer) const { return g_.shape_of(layer); }

 private:
  // Appends the layer, infers its shape (incrementally: later layers need it) and draws weights.
  int push(FloatLayer l, Init init) {
    g_.layers.push_back(std::move(l));
    g_.infer_shapes();
    FloatLayer& L = g_.layers.back();
    const int index = static_cast<int>(g_.layers.size()) - 1;
    if (o_.materialise && (L.op == FloatOp::Conv || L.op == FloatOp::Fc)) {
      const ir::Shape in = g_.shape_of(L.inputs[0]);
      const uint32_t khw = L.op == FloatOp::Fc ? in.h * in.w : L.kh * L.kw;
      const size_t n = size_t{L.cout} * in.c * khw;
      // One stream per layer: the seed and the layer index, so layers do not depend on each other.
      SplitMix rng{o_.seed * 0x100000001B3ull + static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull + 0x5A1Eull};
      double stddev = 0;
      const double fan_in = static_cast<double>(in.c) * khw, fan_out = static_cast<double>(L.cout) * khw;
      float bias_bound = 0;
      switch (init) {
        case Init::KaimingFanOut: stddev = std::sqrt(2.0 / fan_out); break;
        case Init::LinearDefault:
          stddev = 1.0 / std::sqrt(3.0 * fan_in);  // U(-1/sqrt(fan_in), 1/sqrt(fan_in))
          bias_bound = static_cast<float>(1.0 / std::sqrt(fan_in));
          break;
        case Init::Normal001: stddev = 0.01; break;
      }
      const float a = static_cast<float>(std::sqrt(3.0) * stddev);  // uniform of the same variance
      L.weight.resize(n);
      for (float& w : L.weight) w = rng.uniform(a);
      L.bias.assign(L.cout, 0.0f);
      if (bias_bound > 0)
        for (float& b : L.bias) b = rng.uniform(bias_bound);
    }
    return index;
  }

  FloatGraph& g_;
  const ZooOptions& o_;
};

void build_resnet50(Builder& b, uint32_t classes) {
  int x = b.conv("conv1", -1, b.ch(64), 7, 2, 3, true);
  x = b.pool("maxpool", FloatOp::MaxPool, x, 3, 2, 1);
  const uint32_t blocks[4] = {3, 4, 6, 3};
  const uint32_t widths[4] = {64, 128, 256, 512};
  for (int li = 0; li < 4; ++li) {
    for (uint32_t bi = 0; bi < blocks[li]; ++bi) {
      const std::string p = "layer" + std::to_string(li + 1) + "." + std::to_string(bi) + ".";
      const uint32_t stride = (bi == 0 && li > 0) ? 2 : 1;  // torchvision v1.5: stride on the 3x3
      const uint32_t w = b.ch(widths[li]), out = b.ch(widths[li] * 4);
      const int identity = x;
      int y = b.conv(p + "conv1", x, w, 1, 1, 0, true);
      y = b.conv(p + "conv2", y, w, 3, stride, 1, true);
      y = b.conv(p + "conv3", y, out, 1, 1, 0, false);
      int skip = identity;
      if (bi == 0) skip = b.conv(p + "downsample.0", identity, out, 1, stride, 0, false);
      x = b.add(p + "add", y, skip, true);
    }
  }
  const ir::Shape s = b.shape(x);
  x = b.pool("avgpool", FloatOp::AvgPool, x, s.h, s.h, 0);  // adaptive 1x1 = window over the whole map
  b.fc("fc", x, classes, false, Init::LinearDefault);
}

void build_vgg16(Builder& b, uint32_t classes) {
  // Configuration "D"; 0 = max pool. Indices follow torchvision's features Sequential
  // (each conv is followed by a ReLU module, fused here, that takes an index).
  const uint32_t cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  int x = -1, idx = 0;
  for (uint32_t c : cfg) {
    const std::string name = "features." + std::to_string(idx);
    if (c == 0) {
      x = b.pool(name, FloatOp::MaxPool, x, 2, 2, 0);
      idx += 1;
    } else {
      x = b.conv(name, x, b.ch(c), 3, 1, 1, true);
      idx += 2;
    }
  }
  // AdaptiveAvgPool2d((7, 7)) is the identity at 224x224 and is left out; at other input sizes
  // classifier.0 takes the flattened feature map as it is.
  x = b.fc("classifier.0", x, b.ch(4096), true, Init::Normal001);   // + ReLU; Dropout = identity
  x = b.fc("classifier.3", x, b.ch(4096), true, Init::Normal001);
  b.fc("classifier.6", x, classes, false, Init::Normal001);
}

double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI); }
double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Per-channel mean and variance of a tensor.
struct Moments {
  std::vector<double> mean, var;
};

// Moments of ReLU(N(m, v)).
void relu_moments(double m, double v, double& mean, double& var) {
  const double s = std::sqrt(std::max(v, 0.0));
  if (s < 1e-30) {
    mean = std::max(m, 0.0);
    var = 0;
    return;
  }
  const double z = m / s;
  mean = m * Phi(z) + s * phi(z);
  const double m2 = (m * m + v) * Phi(z) + m * s * phi(z);
  var = std::max(m2 - mean * mean, 0.0);
}

constexpr double kSigmas = 4.0;

std::string fmt_num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}  // the scale covers mean + 4 standard deviations

}  // namespace

std::vector<std::string> zoo_names() { return {"resnet50", "vgg16"}; }

FloatGraph make_zoo_float_graph(const std::string& name, const ZooOptions& opt) {
  if (opt.width_div == 0 || opt.input_hw == 0 || opt.num_classes == 0)
    throw std::runtime_error("zoo model " + name + ": width_div, input_hw and num_classes must be positive");
  FloatGraph g;
  g.name = name;
  g.input = ir::Shape{opt.input_hw, opt.input_hw, 3};
  Builder b(g, opt);
  if (name == "resnet50") {
    build_resnet50(b, opt.num_classes);
  } else if (name == "vgg16") {
    build_vgg16(b, opt.num_classes);
  } else {
    throw std::runtime_error("unknown zoo model '" + name +
                             "' (known: resnet50, vgg16; inception_v3 needs a channel-concat op the IR lacks)");
  }
  return g;
}

std::vector<float> analytic_max_abs(const FloatGraph& g) {
  // Input: pixel/255 uniform in [0, 1]: mean 1/2, variance 1/12, pixels independent.
  Moments input{std::vector<double>(g.input.c, 0.5), std::vector<double>(g.input.c, 1.0 / 12.0)};
  std::vector<Moments> mom(g.layers.size());
  std::vector<float> mx(g.layers.size(), 0.0f);
  auto moments_of = [&](int i) -> const Moments& { return i < 0 ? input : mom[static_cast<size_t>(i)]; };

  for (size_t i = 0; i < g.layers.size(); ++i) {
    const FloatLayer& l = g.layers[i];
    const Moments& in = moments_of(l.inputs.at(0));
    const ir::Shape is = g.shape_of(l.inputs.at(0));
    Moments& o = mom[i];
    // Pre-activation Gaussian per output channel, then the fused ReLU.
    std::vector<double> pm, pv;
    switch (l.op) {
      case FloatOp::Conv:
      case FloatOp::Fc: {
        if (l.weight.empty()) throw std::runtime_error("layer '" + l.name + "': weights are not materialised");
        const uint32_t khw = l.op == FloatOp::Fc ? is.h * is.w : l.kh * l.kw;
        pm.assign(l.cout, 0.0);
        pv.assign(l.cout, 0.0);
        for (uint32_t oc = 0; oc < l.cout; ++oc) {
          double m = l.bias.empty() ? 0.0 : l.bias[oc], v = 0;
          for (uint32_t ic = 0; ic < is.c; ++ic) {
            const float* w = &l.weight[(size_t{oc} * is.c + ic) * khw];
            double s1 = 0, s2 = 0;
            for (uint32_t k = 0; k < khw; ++k) {
              s1 += w[k];
              s2 += double{w[k]} * w[k];
            }
            m += in.mean[ic] * s1;
            v += in.var[ic] * s2;
          }
          pm[oc] = m;
          pv[oc] = v;
        }
        break;
      }
      case FloatOp::Add: {
        const Moments& b = moments_of(l.inputs.at(1));
        pm.resize(in.mean.size());
        pv.resize(in.mean.size());
        for (size_t c = 0; c < pm.size(); ++c) {
          pm[c] = in.mean[c] + b.mean[c];
          pv[c] = in.var[c] + b.var[c];
        }
        break;
      }
      case FloatOp::MaxPool: {
        // Max of n values: mean + sigma * E[max of n standard normals], variance shrinks.
        const double n = static_cast<double>(l.kh) * l.kw;
        const double e = n <= 1 ? 0.0 : (n <= 4 ? 1.029 : (n <= 9 ? 1.485 : std::sqrt(2.0 * std::log(n))));
        o = in;
        for (size_t c = 0; c < o.mean.size(); ++c) {
          o.mean[c] += std::sqrt(in.var[c]) * e;
          o.var[c] *= n <= 1 ? 1.0 : 0.4;
        }
        continue;  // keeps its input's scale; mx unused
      }
      case FloatOp::AvgPool: {
        // Mean of n independent values (the window is all inside for global pooling).
        const double n = static_cast<double>(l.kh) * l.kw;
        o = in;
        for (double& v : o.var) v /= n;
        continue;
      }
      case FloatOp::Relu: {
        o = in;
        for (size_t c = 0; c < o.mean.size(); ++c) relu_moments(in.mean[c], in.var[c], o.mean[c], o.var[c]);
        continue;
      }
    }
    o.mean.resize(pm.size());
    o.var.resize(pm.size());
    double m_abs = 0;
    for (size_t c = 0; c < pm.size(); ++c) {
      const double s = std::sqrt(pv[c]);
      if (l.relu) {
        m_abs = std::max(m_abs, std::max(0.0, pm[c] + kSigmas * s));
        relu_moments(pm[c], pv[c], o.mean[c], o.var[c]);
      } else {
        m_abs = std::max(m_abs, std::fabs(pm[c]) + kSigmas * s);
        o.mean[c] = pm[c];
        o.var[c] = pv[c];
      }
    }
    mx[i] = static_cast<float>(m_abs);
  }
  return mx;
}

std::vector<FloatTensor> zoo_calibration_inputs(const ir::Shape& input, uint32_t n, uint64_t seed) {
  SplitMix rng{seed ^ 0xC0FFEE1234567ull};
  std::vector<FloatTensor> xs(n, FloatTensor(input.elements()));
  for (FloatTensor& x : xs)
    for (float& v : x) v = static_cast<float>(static_cast<double>(rng.next() >> 11) * 0x1.0p-53);
  return xs;
}

ir::Graph make_zoo_graph(const std::string& name, const ZooOptions& opt) {
  if (!opt.materialise) throw std::runtime_error("zoo model " + name + ": a quantised graph needs materialised weights");
  FloatGraph g = make_zoo_float_graph(name, opt);
  prune_float_graph(g, opt.sparsity, opt.block_o, opt.block_i);
  std::vector<float> max_abs;
  std::string scales_note;
  if (opt.calib_inputs == 0) {
    max_abs = analytic_max_abs(g);
    scales_note = "analytic activation scales (mean + 4.5 sigma, uniform [0,1] inputs)";
  } else {
    max_abs = calibrate_max_abs(g, zoo_calibration_inputs(g.input, opt.calib_inputs, opt.seed));
    scales_note = "activation scales from a float max calibration on " + std::to_string(opt.calib_inputs) +
                  " random uniform [0,1] inputs (seed " + std::to_string(opt.seed) + ")";
  }
  const std::vector<float> scales = scales_from_max(g, max_abs);
  ir::Provenance prov;
  prov.dataset = "random";
  prov.model = name;
  prov.notes = "model zoo: torchvision layer structure at " + std::to_string(opt.input_hw) + "x" + std::to_string(opt.input_hw) +
               "x3, width/" + std::to_string(opt.width_div) + ", seeded random weights (seed " + std::to_string(opt.seed) +
               "), BatchNorm folded (fresh BN = identity), " + std::to_string(opt.block_o) + "x" + std::to_string(opt.block_i) +
               " L2 row-balanced block pruning at " + fmt_num(opt.sparsity) +
               " (first conv dense), " + scales_note;
  ir::Graph out = quantize_float_graph(g, scales, prov, opt.block_o, opt.block_i);
  out.validate();
  return out;
}

ir::Graph make_zoo_graph(const std::string& name, uint64_t seed, double sparsity) {
  ZooOptions o;
  o.seed = seed;
  o.sparsity = sparsity;
  return make_zoo_graph(name, o);
}

}  // namespace saie::trainer
