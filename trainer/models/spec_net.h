// spec_net.h — a LibTorch module built from a ModelSpec (trainer-internal: includes LibTorch,
// so only trainer .cpp files and trainer tests may include it).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "trainer/models/model_spec.h"

namespace saie::trainer {

class SpecNetImpl : public torch::nn::Module {
 public:
  // Conv weights: Kaiming-normal (fan_in, ReLU gain), biases 0; Fc: PyTorch's default init.
  // Seed torch (torch::manual_seed) before constructing for reproducible weights.
  explicit SpecNetImpl(const ModelSpec& spec);

  // x: [N, 1, 28, 28] float, pixel / 255. Returns logits [N, classes].
  torch::Tensor forward(const torch::Tensor& x);
  // Output of every layer (after its BatchNorm and fused ReLU), aligned with spec().layers; NCHW.
  std::vector<torch::Tensor> forward_all(const torch::Tensor& x);

  const ModelSpec& spec() const { return spec_; }
  // Weight / bias of layer i (Conv: OIHW, Fc: [cout, C*H*W]); undefined tensors for other layers.
  torch::Tensor weight(size_t i) const;
  torch::Tensor bias(size_t i) const;
  // BatchNorm of conv layer i (empty holder when the layer has none).
  torch::nn::BatchNorm2d batchnorm(size_t i) const { return bns_.at(i); }

 private:
  ModelSpec spec_;
  std::vector<torch::nn::Conv2d> convs_;  // per layer; empty holder when not a Conv
  std::vector<torch::nn::Linear> fcs_;    // per layer; empty holder when not an Fc
  std::vector<torch::nn::BatchNorm2d> bns_;  // per layer; empty holder unless a Conv with bn
  std::vector<std::vector<int>> inputs_;  // producer layer indices (-1 = network input)
};
TORCH_MODULE(SpecNet);

}  // namespace saie::trainer
