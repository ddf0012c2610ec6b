// model_spec.h — the trainer's CNNs as plain layer lists (torch-free), shared by the LibTorch
// module, pruning, calibration and bundle export so all of them agree on names and shapes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saie::trainer {

enum class LayerKind { Conv, MaxPool, AvgPool, Add, Fc };

struct LayerSpec {
  std::string name;
  LayerKind kind = LayerKind::Conv;
  std::vector<std::string> inputs;  // producer layer names, or "input" for the network input
  uint32_t cin = 0, cout = 0;       // Conv/Fc channels (Fc: cin = channels of its input tensor)
  uint32_t kernel = 1, stride = 1, pad = 0;  // square kernels (Conv, pools)
  bool relu = false;                // fused ReLU on the output (Conv, Add)
  bool bn = false;                  // Conv only: BatchNorm2d between conv and ReLU while training;
                                    // folded into the conv at export (the bundle has no BN op)
  bool prunable = false;            // gets a block mask (every Conv/Fc except the first conv)
};

struct TensorShape {
  uint32_t h = 1, w = 1, c = 1;  // HWC
};

struct ModelSpec {
  std::string name;
  TensorShape input{28, 28, 1};
  std::vector<LayerSpec> layers;  // topological order; the last layer is the output

  // Index of the layer called `name`, -1 for "input"; throws std::runtime_error if unknown.
  int index_of(const std::string& name) const;
  // Output shape of every layer (same order as layers); throws on inconsistent channels.
  std::vector<TensorShape> shapes() const;
};

// Model names make_model_spec knows, in the order --help lists them.
const std::vector<std::string>& model_names();

// "small-resnet" (the demo: 16-32 channels, no BatchNorm), "resnet-s" (32-64 channels with
// BatchNorm, the accuracy model of the training study), "vgg-s" (VGG-style conv stacks with
// BatchNorm, no skips) or "tiny" (fast tests).
// BatchNorm is folded into its conv at export (fold_batchnorm): folding scales whole output
// channels, so zero blocks stay zero. Throws std::runtime_error("unknown model ...") otherwise.
ModelSpec make_model_spec(const std::string& model);

}  // namespace saie::trainer
