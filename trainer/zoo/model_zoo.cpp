// model_zoo.cpp — ResNet-50, VGG-16 and Inception-v3 at ImageNet shapes as FloatGraphs / int8 graphs (see model_zoo.h).
//
// Layer names follow torchvision's module paths (conv1, layer1.0.conv1, layer1.0.downsample.0,
// fc; features.0 ... features.30, classifier.0/3/6; Conv2d_1a_3x3, Mixed_5b.branch1x1, ...) so
// bundles read like the PyTorch models. Inception-v3's convs use the same kaiming draw (not
// torchvision's truncated normal, whose scale BatchNorm would undo in a trained network).
// Weights follow torchvision's initialisation statistics with uniform draws of equal variance:
// convs kaiming (fan_out, ReLU gain), ResNet's fc PyTorch's Linear default, VGG's fc N(0, 0.01)
// -like; every BatchNorm is freshly initialised (gamma 1, beta 0, mean 0, var 1), so folding it
// leaves a zero bias.
#include "trainer/zoo/model_zoo.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "model/zoo_names.h"
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
    return conv2(name, in, cout, k, k, stride, pad, pad, relu);
  }
  // Non-square kernel kh x kw with padding pad_h x pad_w (Inception's 1x7 / 7x1, 1x3 / 3x1).
  int conv2(const std::string& name, int in, uint32_t cout, uint32_t kh, uint32_t kw, uint32_t stride, uint32_t pad_h,
            uint32_t pad_w, bool relu) {
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Conv;
    l.inputs = {in};
    l.kh = kh;
    l.kw = kw;
    l.stride_h = l.stride_w = stride;
    l.pad_h = pad_h;
    l.pad_w = pad_w;
    l.relu = relu;
    l.cout = cout;
    return push(std::move(l), Init::KaimingFanOut);
  }
  int concat(const std::string& name, const std::vector<int>& inputs) {
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Concat;
    l.inputs = inputs;
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

// width_mult 2: Wide-ResNet-50-2 (torchvision wide_resnet50_2: width_per_group 128, so every
// bottleneck's 1x1 / 3x3 width doubles; block outputs stay 256 .. 2048).
void build_resnet50(Builder& b, uint32_t classes, uint32_t width_mult) {
  int x = b.conv("conv1", -1, b.ch(64), 7, 2, 3, true);
  x = b.pool("maxpool", FloatOp::MaxPool, x, 3, 2, 1);
  const uint32_t blocks[4] = {3, 4, 6, 3};
  const uint32_t widths[4] = {64, 128, 256, 512};
  for (int li = 0; li < 4; ++li) {
    for (uint32_t bi = 0; bi < blocks[li]; ++bi) {
      const std::string p = "layer" + std::to_string(li + 1) + "." + std::to_string(bi) + ".";
      const uint32_t stride = (bi == 0 && li > 0) ? 2 : 1;  // torchvision v1.5: stride on the 3x3
      const uint32_t w = b.ch(widths[li] * width_mult), out = b.ch(widths[li] * 4);
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

// torchvision AlexNet: features.0 .. features.12, AdaptiveAvgPool2d((6, 6)) (the identity at
// 224x224: 55 -> 27 -> 13 -> 6, left out), classifier.1 / .4 / .6 (Dropout = identity).
void build_alexnet(Builder& b, uint32_t classes) {
  int x = b.conv("features.0", -1, b.ch(64), 11, 4, 2, true);
  x = b.pool("features.2", FloatOp::MaxPool, x, 3, 2, 0);
  x = b.conv("features.3", x, b.ch(192), 5, 1, 2, true);
  x = b.pool("features.5", FloatOp::MaxPool, x, 3, 2, 0);
  x = b.conv("features.6", x, b.ch(384), 3, 1, 1, true);
  x = b.conv("features.8", x, b.ch(256), 3, 1, 1, true);
  x = b.conv("features.10", x, b.ch(256), 3, 1, 1, true);
  x = b.pool("features.12", FloatOp::MaxPool, x, 3, 2, 0);
  x = b.fc("classifier.1", x, b.ch(4096), true, Init::Normal001);
  x = b.fc("classifier.4", x, b.ch(4096), true, Init::Normal001);
  b.fc("classifier.6", x, classes, false, Init::Normal001);
}

// features_only: the convolutional part (features.0 .. features.30, ending in the last max
// pool, 7x7x512 at 224x224), which is what the paper's timing table covers ("VGG 16 (No FC)").
void build_vgg16(Builder& b, uint32_t classes, bool features_only) {
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
  if (features_only) return;
  // AdaptiveAvgPool2d((7, 7)) is the identity at 224x224 and is left out; at other input sizes
  // classifier.0 takes the flattened feature map as it is.
  x = b.fc("classifier.0", x, b.ch(4096), true, Init::Normal001);   // + ReLU; Dropout = identity
  x = b.fc("classifier.3", x, b.ch(4096), true, Init::Normal001);
  b.fc("classifier.6", x, classes, false, Init::Normal001);
}

// torchvision Inception3 (transform_input=False, aux_logits off). BasicConv2d = conv (no bias)
// + BatchNorm(eps 0.001) + ReLU, folded to conv + bias + fused ReLU. Branch order inside every
// Mixed block is torchvision's torch.cat order.
void build_inception_v3(Builder& b, uint32_t classes) {
  auto bc = [&](const std::string& name, int in, uint32_t cout, uint32_t k, uint32_t stride = 1, uint32_t pad = 0) {
    return b.conv(name + ".conv", in, b.ch(cout), k, stride, pad, true);
  };
  auto bc2 = [&](const std::string& name, int in, uint32_t cout, uint32_t kh, uint32_t kw, uint32_t ph, uint32_t pw) {
    return b.conv2(name + ".conv", in, b.ch(cout), kh, kw, 1, ph, pw, true);
  };
  // avg_pool2d(3, stride 1, padding 1), count_include_pad=True = the IR's AvgPool rule.
  auto avg3 = [&](const std::string& name, int in) { return b.pool(name, FloatOp::AvgPool, in, 3, 1, 1); };

  int x = bc("Conv2d_1a_3x3", -1, 32, 3, 2);
  x = bc("Conv2d_2a_3x3", x, 32, 3);
  x = bc("Conv2d_2b_3x3", x, 64, 3, 1, 1);
  x = b.pool("maxpool1", FloatOp::MaxPool, x, 3, 2, 0);
  x = bc("Conv2d_3b_1x1", x, 80, 1);
  x = bc("Conv2d_4a_3x3", x, 192, 3);
  x = b.pool("maxpool2", FloatOp::MaxPool, x, 3, 2, 0);

  auto inception_a = [&](const std::string& p, int in, uint32_t pool_features) {
    const int b1 = bc(p + ".branch1x1", in, 64, 1);
    int b5 = bc(p + ".branch5x5_1", in, 48, 1);
    b5 = bc(p + ".branch5x5_2", b5, 64, 5, 1, 2);
    int bd = bc(p + ".branch3x3dbl_1", in, 64, 1);
    bd = bc(p + ".branch3x3dbl_2", bd, 96, 3, 1, 1);
    bd = bc(p + ".branch3x3dbl_3", bd, 96, 3, 1, 1);
    int bp = avg3(p + ".branch_pool.avgpool", in);
    bp = bc(p + ".branch_pool", bp, pool_features, 1);
    return b.concat(p, {b1, b5, bd, bp});
  };
  x = inception_a("Mixed_5b", x, 32);
  x = inception_a("Mixed_5c", x, 64);
  x = inception_a("Mixed_5d", x, 64);

  {  // InceptionB (Mixed_6a): grid 35 -> 17
    const std::string p = "Mixed_6a";
    const int b3 = bc(p + ".branch3x3", x, 384, 3, 2);
    int bd = bc(p + ".branch3x3dbl_1", x, 64, 1);
    bd = bc(p + ".branch3x3dbl_2", bd, 96, 3, 1, 1);
    bd = bc(p + ".branch3x3dbl_3", bd, 96, 3, 2);
    const int bp = b.pool(p + ".branch_pool", FloatOp::MaxPool, x, 3, 2, 0);
    x = b.concat(p, {b3, bd, bp});
  }

  auto inception_c = [&](const std::string& p, int in, uint32_t c7) {
    const int b1 = bc(p + ".branch1x1", in, 192, 1);
    int b7 = bc(p + ".branch7x7_1", in, c7, 1);
    b7 = bc2(p + ".branch7x7_2", b7, c7, 1, 7, 0, 3);
    b7 = bc2(p + ".branch7x7_3", b7, 192, 7, 1, 3, 0);
    int bd = bc(p + ".branch7x7dbl_1", in, c7, 1);
    bd = bc2(p + ".branch7x7dbl_2", bd, c7, 7, 1, 3, 0);
    bd = bc2(p + ".branch7x7dbl_3", bd, c7, 1, 7, 0, 3);
    bd = bc2(p + ".branch7x7dbl_4", bd, c7, 7, 1, 3, 0);
    bd = bc2(p + ".branch7x7dbl_5", bd, 192, 1, 7, 0, 3);
    int bp = avg3(p + ".branch_pool.avgpool", in);
    bp = bc(p + ".branch_pool", bp, 192, 1);
    return b.concat(p, {b1, b7, bd, bp});
  };
  x = inception_c("Mixed_6b", x, 128);
  x = inception_c("Mixed_6c", x, 160);
  x = inception_c("Mixed_6d", x, 160);
  x = inception_c("Mixed_6e", x, 192);

  {  // InceptionD (Mixed_7a): grid 17 -> 8
    const std::string p = "Mixed_7a";
    int b3 = bc(p + ".branch3x3_1", x, 192, 1);
    b3 = bc(p + ".branch3x3_2", b3, 320, 3, 2);
    int b7 = bc(p + ".branch7x7x3_1", x, 192, 1);
    b7 = bc2(p + ".branch7x7x3_2", b7, 192, 1, 7, 0, 3);
    b7 = bc2(p + ".branch7x7x3_3", b7, 192, 7, 1, 3, 0);
    b7 = bc(p + ".branch7x7x3_4", b7, 192, 3, 2);
    const int bp = b.pool(p + ".branch_pool", FloatOp::MaxPool, x, 3, 2, 0);
    x = b.concat(p, {b3, b7, bp});
  }

  auto inception_e = [&](const std::string& p, int in) {
    const int b1 = bc(p + ".branch1x1", in, 320, 1);
    const int b3 = bc(p + ".branch3x3_1", in, 384, 1);
    const int b3a = bc2(p + ".branch3x3_2a", b3, 384, 1, 3, 0, 1);
    const int b3b = bc2(p + ".branch3x3_2b", b3, 384, 3, 1, 1, 0);
    int bd = bc(p + ".branch3x3dbl_1", in, 448, 1);
    bd = bc(p + ".branch3x3dbl_2", bd, 384, 3, 1, 1);
    const int bda = bc2(p + ".branch3x3dbl_3a", bd, 384, 1, 3, 0, 1);
    const int bdb = bc2(p + ".branch3x3dbl_3b", bd, 384, 3, 1, 1, 0);
    int bp = avg3(p + ".branch_pool.avgpool", in);
    bp = bc(p + ".branch_pool", bp, 192, 1);
    // torchvision's nested cats (branch3x3 = cat[2a, 2b], branch3x3dbl = cat[3a, 3b]) flatten
    // into one concat with the same channel order.
    return b.concat(p, {b1, b3a, b3b, bda, bdb, bp});
  };
  x = inception_e("Mixed_7b", x);
  x = inception_e("Mixed_7c", x);

  const ir::Shape s = b.shape(x);
  x = b.pool("avgpool", FloatOp::AvgPool, x, s.h, s.w, 0);  // adaptive 1x1; dropout = identity
  b.fc("fc", x, classes, false, Init::LinearDefault);
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

std::vector<std::string> zoo_names() { return model::zoo_model_names(); }

FloatGraph make_zoo_float_graph(const std::string& name, const ZooOptions& opt) {
  if (opt.width_div == 0 || opt.input_hw == 0 || opt.num_classes == 0)
    throw std::runtime_error("zoo model " + name + ": width_div, input_hw and num_classes must be positive");
  FloatGraph g;
  g.name = name;
  g.input = ir::Shape{opt.input_hw, opt.input_hw, 3};
  Builder b(g, opt);
  if (name == "resnet50") {
    build_resnet50(b, opt.num_classes, 1);
  } else if (name == "wide_resnet50_2") {
    build_resnet50(b, opt.num_classes, 2);
  } else if (name == "alexnet") {
    build_alexnet(b, opt.num_classes);
  } else if (name == "vgg16" || name == "vgg16_features") {
    build_vgg16(b, opt.num_classes, name == "vgg16_features");
  } else if (name == "inception_v3") {
    build_inception_v3(b, opt.num_classes);
  } else {
    throw std::runtime_error("unknown zoo model '" + name + "' (known: " + model::zoo_model_list() + ")");
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
      case FloatOp::Act:
      case FloatOp::Mul:  // (the zoo's networks have neither; imported graphs calibrate on data)
        throw std::runtime_error("layer '" + l.name + "': moment calibration has no rule for '" +
                                 float_op_name(l.op) + "'");
      case FloatOp::Relu: {
        o = in;
        for (size_t c = 0; c < o.mean.size(); ++c) relu_moments(in.mean[c], in.var[c], o.mean[c], o.var[c]);
        continue;
      }
      case FloatOp::Concat: {
        // Channels side by side; the scale is shared with the producers (scales_from_max), so
        // the concat's own max is just the largest of theirs.
        o = Moments{};
        float m_abs = 0;
        for (int src : l.inputs) {
          const Moments& s = moments_of(src);
          o.mean.insert(o.mean.end(), s.mean.begin(), s.mean.end());
          o.var.insert(o.var.end(), s.var.begin(), s.var.end());
          if (src >= 0) m_abs = std::max(m_abs, mx[static_cast<size_t>(src)]);
        }
        mx[i] = m_abs;
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
