// spec_net.cpp — LibTorch module executing a ModelSpec layer list (see spec_net.h).
#include "trainer/models/spec_net.h"

namespace saie::trainer {

SpecNetImpl::SpecNetImpl(const ModelSpec& spec) : spec_(spec) {
  const std::vector<TensorShape> shapes = spec_.shapes();
  const size_t n = spec_.layers.size();
  convs_.assign(n, torch::nn::Conv2d(nullptr));
  fcs_.assign(n, torch::nn::Linear(nullptr));
  bns_.assign(n, torch::nn::BatchNorm2d(nullptr));
  inputs_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const LayerSpec& l = spec_.layers[i];
    for (const auto& nm : l.inputs) inputs_[i].push_back(spec_.index_of(nm));
    if (l.kind == LayerKind::Conv) {
      auto c = torch::nn::Conv2d(torch::nn::Conv2dOptions(l.cin, l.cout, l.kernel).stride(l.stride).padding(l.pad).bias(true));
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanIn, torch::kReLU);
      torch::nn::init::zeros_(c->bias);
      convs_[i] = register_module(l.name, c);
      // Default BN (gamma 1, beta 0, eps 1e-5, momentum 0.1); registered after its conv so the
      // parameter order is conv.weight, conv.bias, bn.weight, bn.bias per layer.
      if (l.bn) bns_[i] = register_module(l.name + "_bn", torch::nn::BatchNorm2d(l.cout));
    } else if (l.kind == LayerKind::Fc) {
      const int j = inputs_[i].at(0);
      const TensorShape in = j < 0 ? spec_.input : shapes[static_cast<size_t>(j)];
      fcs_[i] = register_module(l.name, torch::nn::Linear(int64_t{in.c} * in.h * in.w, l.cout));
    }
  }
}

std::vector<torch::Tensor> SpecNetImpl::forward_all(const torch::Tensor& x) {
  std::vector<torch::Tensor> out(spec_.layers.size());
  auto in = [&](size_t i, size_t k) -> const torch::Tensor& {
    const int j = inputs_[i].at(k);
    return j < 0 ? x : out[static_cast<size_t>(j)];
  };
  for (size_t i = 0; i < spec_.layers.size(); ++i) {
    const LayerSpec& l = spec_.layers[i];
    torch::Tensor y;
    switch (l.kind) {
      case LayerKind::Conv:
        y = convs_[i]->forward(in(i, 0));
        if (bns_[i]) y = bns_[i]->forward(y);
        break;
      case LayerKind::MaxPool:
        y = torch::max_pool2d(in(i, 0), {l.kernel, l.kernel}, {l.stride, l.stride}, {l.pad, l.pad});
        break;
      case LayerKind::AvgPool:
        y = torch::avg_pool2d(in(i, 0), {l.kernel, l.kernel}, {l.stride, l.stride}, {l.pad, l.pad});
        break;
      case LayerKind::Add:
        y = in(i, 0) + in(i, 1);
        break;
      case LayerKind::Fc:
        // Flatten is NCHW (CHW order); the exporter permutes the weights to HWC.
        y = fcs_[i]->forward(in(i, 0).flatten(1));
        break;
    }
    if (l.relu) y = torch::relu(y);
    out[i] = y;
  }
  return out;
}

torch::Tensor SpecNetImpl::forward(const torch::Tensor& x) { return forward_all(x).back(); }

torch::Tensor SpecNetImpl::weight(size_t i) const {
  if (convs_.at(i)) return convs_[i]->weight;
  if (fcs_.at(i)) return fcs_[i]->weight;
  return {};
}

torch::Tensor SpecNetImpl::bias(size_t i) const {
  if (convs_.at(i)) return convs_[i]->bias;
  if (fcs_.at(i)) return fcs_[i]->bias;
  return {};
}

}  // namespace saie::trainer
