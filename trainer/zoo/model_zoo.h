// model_zoo.h — the paper's ImageNet networks (torchvision layer structure) as int8 ir::Graphs
// with seeded random weights, pruned and quantised by the trainer's rules (torch-free).
//
// BatchNorm is folded by construction (every conv carries a bias). Scales are ANALYTIC by default:
// the mean and variance of every activation are propagated through the network for inputs
// uniform in [0, 1] (the bundle's pixel/255 convention) and each scale covers mean + 4.5
// standard deviations (see analytic_max_abs). calib_inputs > 0 instead runs a float max
// calibration on that many seeded random inputs (ResNet-50 ~0.5 s, VGG-16 ~3 s per input here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir/graph.h"
#include "trainer/import/float_graph.h"

namespace saie::trainer {

struct ZooOptions {
  uint64_t seed = 1;
  double sparsity = 0.5;          // fraction of 8x8 blocks zeroed per block row (first conv dense)
  uint32_t block_o = 8, block_i = 8;
  uint32_t input_hw = 224;        // square input side; 224 is the torchvision shape
  uint32_t width_div = 1;         // divides every channel count (reduced variants for fast tests)
  uint32_t num_classes = 1000;
  bool materialise = true;        // false: shapes only (no weights; cannot be quantised)
  uint32_t calib_inputs = 0;      // 0 = analytic scales; N = float calibration on N random inputs
};

// model::zoo_model_names(): alexnet, inception_v3, resnet50, vgg16, vgg16_features (VGG-16
// without the classifier: the convolutional part the paper times), wide_resnet50_2.
std::vector<std::string> zoo_names();

// The float network with He-uniform random weights (seeded, platform-independent generator) and
// small random biases; not pruned. Throws std::runtime_error("unknown zoo model ...") for other
// names (the message lists the known ones). inception_v3 is torchvision's Inception3 without the
// aux classifier (use input_hw 299); its Mixed blocks end in concat layers, which the int8
// reference runs but compile() does not lower yet.
FloatGraph make_zoo_float_graph(const std::string& name, const ZooOptions& opt = {});

// Analytic max |activation| per layer (mean + 4 sigma of a Gaussian model of each channel,
// inputs independent), for scales_from_max.
std::vector<float> analytic_max_abs(const FloatGraph& g);

// N uniform [0, 1) HWC inputs from `seed` (platform-independent generator).
std::vector<FloatTensor> zoo_calibration_inputs(const ir::Shape& input, uint32_t n, uint64_t seed);

// Float network -> pruned -> scales (analytic or calibrated) -> int8 graph (validated).
ir::Graph make_zoo_graph(const std::string& name, const ZooOptions& opt);
ir::Graph make_zoo_graph(const std::string& name, uint64_t seed, double sparsity);

}  // namespace saie::trainer
