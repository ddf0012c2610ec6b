// train_loop.h — the LibTorch steps of the pipeline: epochs, evaluation, block masks on live
// weights, calibration and parameter extraction (trainer-internal: includes LibTorch).
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "model/ir/graph.h"
#include "model/data/idx.h"
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

// How blocks are chosen (see block_mask.h).
struct MaskRule {
  uint32_t bo = 8, bi = 8;
  std::string score = "l2";
  std::string selection = "row-balanced";
};

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

// Remaining-time estimate over a whole run: steps done in this process and their wall time.
struct EtaClock {
  int64_t total_steps = 0;  // SGD steps of the whole run (all phases)
  int64_t done_steps = 0;   // steps finished so far (including those before a resume)
  int64_t timed_steps = 0;  // steps timed in this process
  double timed_seconds = 0;
  double eta_seconds() const;  // -1 until a step has been timed
};
std::string format_duration(double seconds);  // "42 s", "3m05s", "1h02m"

// Per-epoch knobs of train_epoch.
struct EpochOptions {
  std::function<void(const std::string&)> progress;  // may be empty
  std::string label = "epoch";
  uint32_t report_every = 0;     // batches between progress lines; 0 = about every 10% of the epoch
  CosineLr* lr = nullptr;        // with lr, every step first sets the optimiser's rate to lr->next()
  bool augment = false;          // random crop (zero pad 2, shift +-2 px) + horizontal flip
  EtaClock* eta = nullptr;       // progress lines carry an ETA when given
};

struct EpochStats {
  double loss = 0;            // mean training loss
  double train_accuracy = 0;  // top-1 on the (augmented) training batches, in [0, 1]
};

// One epoch of SGD on shuffled `train` (order, and augmentation draws, from rng). With masks,
// gradients of masked-out weights are zeroed before and the weights re-masked (W *= mask) after
// EVERY optimiser step. Progress lines: "<label> [####------] 40% batch b/B, loss x, acc y, ETA z".
EpochStats train_epoch(SpecNet& net, torch::optim::SGD& sgd, const TensorData& train, uint32_t batch_size,
                       std::mt19937_64& rng, const MaskSet* masks, const EpochOptions& eo);

// The random crop + flip of train_epoch's augmentation, on a batch [N, 1, H, W] (draws from rng).
torch::Tensor augment_batch(const torch::Tensor& x, std::mt19937_64& rng);

// Top-1 accuracy in [0, 1].
double evaluate(SpecNet& net, const TensorData& test, int64_t batch_size = 500);

// Masks for every prunable layer of the net at `sparsity`. With prev (an earlier MaskSet of the
// same net and rule), zero blocks stay zero and only kept blocks compete (incremental pruning).
MaskSet compute_masks(SpecNet& net, const MaskRule& rule, double sparsity, const MaskSet* prev = nullptr);
MaskSet compute_masks(SpecNet& net, uint32_t bo, uint32_t bi, double sparsity, const std::string& score);
// A MaskSet from stored masks (e.g. a checkpoint): factors rebuilt from the bits.
MaskSet masks_from(SpecNet& net, const std::vector<size_t>& layers, const std::vector<ir::BlockMask>& masks);
void apply_masks(SpecNet& net, const MaskSet& masks);     // W *= mask, in place
// Also zeroes the SGD momentum of masked-out weights (after masks tighten mid-phase, so stale
// momentum does not keep pushing weights that are re-zeroed every step anyway).
void apply_masks_to_optimizer(SpecNet& net, const MaskSet& masks, torch::optim::SGD& sgd);
bool masks_hold(SpecNet& net, const MaskSet& masks);      // every masked-out weight exactly 0.0
double masked_fraction(SpecNet& net, const MaskSet& masks);  // masked-out weights / weights of masked layers

// Re-estimates every BatchNorm's running mean/variance from `images` (train-mode forward passes
// without gradients, cumulative average, batches of 250), then restores the BN momentum. Pruning
// changes each conv's output statistics, so the old running statistics would make the pruned
// net's evaluation meaningless. Returns false (and does nothing) for nets without BatchNorm.
bool recalibrate_batchnorm(SpecNet& net, const torch::Tensor& images);

// max|output| of every layer over `images` (inference mode, batches of 256).
std::vector<float> calibrate_max_abs(SpecNet& net, const torch::Tensor& images);
// The `percentile`-th percentile (0 < p <= 100) of |output| of every layer over `images`
// (the k-th smallest of all n values, k = ceil(p / 100 * n)).
std::vector<float> calibrate_percentile(SpecNet& net, const torch::Tensor& images, double percentile);

// Float weights/biases (+ masks) of every layer, ready for build_graph. A conv's BatchNorm
// (running statistics) is folded into its weights and bias here.
std::vector<LayerParams> extract_params(SpecNet& net, const MaskSet& masks);

}  // namespace saie::trainer
