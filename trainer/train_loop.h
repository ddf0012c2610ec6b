// train_loop.h — the LibTorch steps of the pipeline: epochs, evaluation, block masks on live
// weights, calibration and parameter extraction (trainer-internal: includes LibTorch).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "trainer/data/idx.h"
#include "trainer/export/bundle_export.h"
#include "trainer/models/spec_net.h"
#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {

struct TensorData {
  torch::Tensor images;  // [N, 1, rows, cols] float, pixel / 255 (no mean/std normalisation)
  torch::Tensor labels;  // [N] int64
  int64_t size() const { return images.size(0); }
};
TensorData to_tensors(const data::Dataset& ds);

// Block masks of the prunable layers of a net.
struct MaskSet {
  std::vector<size_t> layers;           // layer indices (spec order)
  std::vector<ir::BlockMask> masks;     // aligned with layers
  std::vector<torch::Tensor> factors;   // 0/1 float tensors shaped like each layer's weight
  bool empty() const { return layers.empty(); }
  const ir::BlockMask* find(size_t layer) const;
};

// Layer i's weight as WeightDims (Fc: [cout][in_c][in_h * in_w]).
WeightDims weight_dims(SpecNet& net, size_t layer);
std::vector<float> to_vector(const torch::Tensor& t);

// Cosine learning-rate decay over one training phase: lr(t) = base * (1 + cos(pi * t / steps)) / 2
// for t = 0 .. steps-1 (the last step still has a small positive rate). Constant a decayed
// rate per phase keeps the final epoch from ending on a noisy high-rate step.
struct CosineLr {
  double base = 0.01;
  int64_t steps = 1;  // SGD steps in the whole phase
  int64_t step = 0;   // next step
  double next();      // rate for the next step, then advances
};

// One epoch of SGD on shuffled `train` (order from rng). With lr, every step first sets the
// optimiser's rate to lr->next(). With masks, gradients of masked-out
// weights are zeroed before and the weights re-masked (W *= mask) after EVERY optimiser step.
// progress (may be empty) gets "<label>: batch b/B, loss x" every `report_every` batches.
// Returns the mean training loss.
double train_epoch(SpecNet& net, torch::optim::SGD& sgd, const TensorData& train, uint32_t batch_size, std::mt19937_64& rng,
                   const MaskSet* masks, const std::function<void(const std::string&)>& progress, const std::string& label,
                   uint32_t report_every = 200, CosineLr* lr = nullptr);

// Top-1 accuracy in [0, 1].
double evaluate(SpecNet& net, const TensorData& test, int64_t batch_size = 500);

// Row-balanced block masks (select_block_mask) for every prunable layer of the net.
MaskSet compute_masks(SpecNet& net, uint32_t bo, uint32_t bi, double sparsity, const std::string& score);
void apply_masks(SpecNet& net, const MaskSet& masks);     // W *= mask, in place
bool masks_hold(SpecNet& net, const MaskSet& masks);      // every masked-out weight exactly 0.0
double masked_fraction(SpecNet& net, const MaskSet& masks);  // masked-out weights / weights of masked layers

// max|output| of every layer over `images` (inference mode, batches of 256).
std::vector<float> calibrate_max_abs(SpecNet& net, const torch::Tensor& images);

// Float weights/biases (+ masks) of every layer, ready for build_graph.
std::vector<LayerParams> extract_params(SpecNet& net, const MaskSet& masks);

}  // namespace saie::trainer
