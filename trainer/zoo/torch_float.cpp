// torch_float.cpp — a FloatGraph as a LibTorch float network (see torch_float.h).
#include "trainer/zoo/torch_float.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace saie::trainer {

namespace {

[[noreturn]] void fail(const std::string& layer, const std::string& what) {
  throw std::runtime_error("layer '" + layer + "': " + what);
}

std::string shape_str(const ir::Shape& s) {
  return "[" + std::to_string(s.h) + ", " + std::to_string(s.w) + ", " + std::to_string(s.c) + "]";
}

// A copy of v as a float tensor of the given sizes.
torch::Tensor tensor_of(const std::vector<float>& v, at::IntArrayRef sizes) {
  torch::Tensor t = at::empty(sizes, at::TensorOptions().dtype(at::kFloat));
  if (static_cast<size_t>(t.numel()) != v.size()) throw std::logic_error("tensor_of: size mismatch");
  std::memcpy(t.data_ptr<float>(), v.data(), v.size() * sizeof(float));
  return t;
}

}  // namespace

TorchFloatNet::TorchFloatNet(const FloatGraph& g) : name_(g.name), input_(g.input) {
  layers_.reserve(g.layers.size());
  last_use_.resize(g.layers.size());
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const FloatLayer& fl = g.layers[i];
    last_use_[i] = static_cast<int>(i);
    if (fl.inputs.empty()) fail(fl.name, "no inputs");
    for (int in : fl.inputs) {
      if (in < -1 || in >= static_cast<int>(i)) fail(fl.name, "input " + std::to_string(in) + " is not an earlier layer");
      if (in >= 0) last_use_[static_cast<size_t>(in)] = static_cast<int>(i);
    }
    if (fl.out.elements() == 0) fail(fl.name, "shapes are not inferred (call FloatGraph::infer_shapes)");
    Layer l;
    l.name = fl.name;
    l.op = fl.op;
    l.inputs = fl.inputs;
    l.kh = fl.kh;
    l.kw = fl.kw;
    l.sh = fl.stride_h;
    l.sw = fl.stride_w;
    l.ph = fl.pad_h;
    l.pw = fl.pad_w;
    l.relu = fl.relu;
    l.clamp = fl.clamp;
    l.ceil_mode = fl.ceil_mode;
    l.count_include_pad = fl.count_include_pad;
    l.groups = fl.groups;
    l.act = fl.act;
    if (fl.op == FloatOp::Conv || fl.op == FloatOp::Fc) {
      const ir::Shape in = g.shape_of(fl.inputs[0]);
      if (fl.weight.empty()) fail(fl.name, "weights are not materialised");
      const int64_t cout = fl.cout, cin = in.c;
      if (fl.op == FloatOp::Conv) {
        const size_t expect = static_cast<size_t>(cout * cin) * fl.kh * fl.kw;
        if (fl.weight.size() != expect)
          fail(fl.name, "weight has " + std::to_string(fl.weight.size()) + " values, expected " + std::to_string(expect));
        l.weight = tensor_of(fl.weight, {cout, cin, l.kh, l.kw});
        if (l.groups > 1) {  // each output channel's own group of input channels
          if (cin % l.groups != 0 || cout % l.groups != 0) fail(fl.name, "groups do not divide the channels");
          const int64_t cout_g = cout / l.groups, cin_g = cin / l.groups;
          std::vector<torch::Tensor> slices;
          for (int64_t gi = 0; gi < l.groups; ++gi)
            slices.push_back(l.weight.narrow(0, gi * cout_g, cout_g).narrow(1, gi * cin_g, cin_g));
          l.weight = at::cat(slices, 0).contiguous();
        }
      } else {
        const int64_t k = cin * in.h * in.w;  // CHW flatten of the input
        if (fl.weight.size() != static_cast<size_t>(cout * k))
          fail(fl.name, "weight has " + std::to_string(fl.weight.size()) + " values, expected " +
                            std::to_string(cout * k) + " for input " + shape_str(in));
        l.weight = tensor_of(fl.weight, {cout, k});
      }
      if (!fl.bias.empty()) {
        if (fl.bias.size() != static_cast<size_t>(cout)) fail(fl.name, "bias has " + std::to_string(fl.bias.size()) + " values, expected cout");
        l.bias = tensor_of(fl.bias, {cout});
      }
    } else if (fl.op == FloatOp::MaxPool || fl.op == FloatOp::AvgPool) {
      if (l.kh == 0 || l.kw == 0 || l.sh == 0 || l.sw == 0) fail(fl.name, "kernel and stride must be positive");
      if (2 * l.ph > l.kh || 2 * l.pw > l.kw) fail(fl.name, "padding larger than half the window");
    }
    layers_.push_back(std::move(l));
  }
  if (layers_.empty()) throw std::runtime_error("float graph '" + name_ + "' has no layers");
}

std::vector<torch::Tensor> TorchFloatNet::run(const torch::Tensor& x, bool keep_all, std::vector<float>* max_abs) const {
  if (x.dim() != 4 || x.size(0) < 1 || x.size(1) != input_.c || x.size(2) != input_.h || x.size(3) != input_.w) {
    std::string got;
    for (int64_t d : x.sizes()) got += (got.empty() ? "" : ", ") + std::to_string(d);
    throw std::runtime_error("float graph '" + name_ + "': input must be [N, " + std::to_string(input_.c) + ", " +
                             std::to_string(input_.h) + ", " + std::to_string(input_.w) + "] (NCHW), got [" + got + "]");
  }
  if (x.scalar_type() != at::kFloat) throw std::runtime_error("float graph '" + name_ + "': input must be float32");
  c10::InferenceMode guard;
  std::vector<torch::Tensor> t(layers_.size());
  const torch::Tensor in = x.contiguous();
  auto get = [&](int i) -> const torch::Tensor& { return i < 0 ? in : t[static_cast<size_t>(i)]; };
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    const torch::Tensor& a = get(l.inputs[0]);
    torch::Tensor y;
    switch (l.op) {
      case FloatOp::Conv:
        y = at::conv2d(a, l.weight, l.bias, {l.sh, l.sw}, {l.ph, l.pw}, {1, 1}, l.groups);
        if (l.relu) y.relu_();
        if (l.clamp > 0.0f) y.clamp_max_(l.clamp);
        break;
      case FloatOp::Fc:
        y = at::linear(a.flatten(1), l.weight, l.bias);
        if (l.relu) y.relu_();
        if (l.clamp > 0.0f) y.clamp_max_(l.clamp);
        y = y.view({y.size(0), y.size(1), 1, 1});  // an Fc output is 1x1xcout like run_float's
        break;
      case FloatOp::MaxPool: y = at::max_pool2d(a, {l.kh, l.kw}, {l.sh, l.sw}, {l.ph, l.pw}, {1, 1}, l.ceil_mode); break;
      case FloatOp::AvgPool:
        // PyTorch's own divisor (ir::avgpool_taps computes the same for the int8 graph).
        y = at::avg_pool2d(a, {l.kh, l.kw}, {l.sh, l.sw}, {l.ph, l.pw}, l.ceil_mode, l.count_include_pad);
        break;
      case FloatOp::Add:
        y = at::add(a, get(l.inputs[1]));
        if (l.relu) y.relu_();
        if (l.clamp > 0.0f) y.clamp_max_(l.clamp);
        break;
      case FloatOp::Relu: y = at::relu(a); break;
      case FloatOp::Act:
        if (l.act == "hardswish") y = at::hardswish(a);
        else if (l.act == "hardsigmoid") y = at::hardsigmoid(a);
        else if (l.act == "silu") y = at::silu(a);
        else if (l.act == "sigmoid") y = at::sigmoid(a);
        else if (l.act == "tanh") y = at::tanh(a);
        else throw std::runtime_error("layer '" + l.name + "': unknown activation '" + l.act + "'");
        break;
      case FloatOp::Mul: y = at::mul(a, get(l.inputs[1])); break;
      case FloatOp::Concat: {
        std::vector<torch::Tensor> parts;
        parts.reserve(l.inputs.size());
        for (int src : l.inputs) parts.push_back(get(src));
        y = at::cat(parts, 1);
        break;
      }
    }
    if (max_abs) (*max_abs)[i] = std::max((*max_abs)[i], y.abs().max().item<float>());
    t[i] = std::move(y);
    if (!keep_all)
      for (int src : l.inputs)
        if (src >= 0 && last_use_[static_cast<size_t>(src)] == static_cast<int>(i)) t[static_cast<size_t>(src)] = torch::Tensor();
  }
  return t;
}

torch::Tensor TorchFloatNet::forward(const torch::Tensor& x) const {
  c10::InferenceMode guard;
  torch::Tensor y = run(x, false).back();
  const Layer& last = layers_.back();
  if (last.op == FloatOp::Fc) y = y.view({y.size(0), y.size(1)});
  return y;
}

std::vector<torch::Tensor> TorchFloatNet::forward_all(const torch::Tensor& x) const { return run(x, true); }

void TorchFloatNet::accumulate_max_abs(const torch::Tensor& x, std::vector<float>& max_abs) const {
  if (max_abs.size() != layers_.size()) max_abs.resize(layers_.size(), 0.0f);
  run(x, false, &max_abs);
}

std::vector<float> calibrate_max_abs_torch(const FloatGraph& g, const std::vector<FloatTensor>& inputs, size_t batch) {
  const TorchFloatNet net(g);
  std::vector<float> max_abs(g.layers.size(), 0.0f);
  batch = std::max<size_t>(1, batch);
  for (size_t i = 0; i < inputs.size(); i += batch) {
    std::vector<torch::Tensor> xs;
    for (size_t j = i; j < std::min(inputs.size(), i + batch); ++j) xs.push_back(hwc_to_nchw(inputs[j], g.input));
    net.accumulate_max_abs(at::cat(xs, 0), max_abs);
  }
  return max_abs;
}

torch::Tensor hwc_to_nchw(const FloatTensor& x, const ir::Shape& s) {
  if (x.size() != s.elements())
    throw std::runtime_error("hwc_to_nchw: " + std::to_string(x.size()) + " values for shape " + shape_str(s));
  const int64_t h = s.h, w = s.w, c = s.c;
  return tensor_of(x, {1, h, w, c}).permute({0, 3, 1, 2}).contiguous();
}

FloatTensor nchw_to_hwc(const torch::Tensor& x) {
  torch::Tensor t = x.detach().to(at::kFloat);
  if (t.dim() == 2) t = t.view({t.size(0), t.size(1), 1, 1});
  if (t.dim() != 4 || t.size(0) < 1) throw std::runtime_error("nchw_to_hwc: expected a [N, C, H, W] or [N, C] tensor");
  const torch::Tensor hwc = t[0].permute({1, 2, 0}).contiguous();
  FloatTensor out(static_cast<size_t>(hwc.numel()));
  std::memcpy(out.data(), hwc.data_ptr<float>(), out.size() * sizeof(float));
  return out;
}

}  // namespace saie::trainer
