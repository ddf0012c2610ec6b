// train_pipeline.h — dense training, block pruning, masked fine-tuning, int8 quantisation and
// bundle export, as one call, with per-epoch checkpoints, resume and a run summary. This header
// is torch-free so the driver does not include LibTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace saie::trainer {

struct TrainOptions {
  std::string dataset_dir;          // Fashion-MNIST idx .gz folder ("" = the Debian package's)
  std::string out_dir;              // bundle folder (model.json + weights.safetensors + train_summary.json)
  std::string model = "small-resnet";  // small-resnet, resnet-s, vgg-s or tiny (model_names())
  uint32_t dense_epochs = 1;
  uint32_t finetune_epochs = 1;
  uint32_t train_limit = 0;         // 0 = all 60k training images
  uint32_t test_limit = 0;          // 0 = all 10k test images
  // --- method (issue 3) ---
  double sparsity = 0.5;            // target fraction of blocks zeroed, [0, 0.95]; 0 = dense (no masks)
  uint32_t block_o = 8, block_i = 8;  // block = block_o output x block_i input channels (whole kernel)
  std::string score = "l2";         // l2 | l1 | variance
  std::string selection = "row-balanced";  // row-balanced | global (per layer)
  std::string schedule = "one-shot";       // one-shot | incremental (see block_mask.h incremental_steps)
  std::string calib = "max";        // activation calibration: max | percentile
  double calib_percentile = 99.99;  // with calib == "percentile": percentile of |activation|
  uint32_t calib_images = 512;      // activation-scale calibration images (from training data)
  bool augment = false;             // random crop (pad 2) + horizontal flip while training
  // --- optimisation ---
  uint32_t batch_size = 64;
  double lr = 0.01;                 // SGD (momentum 0.9, weight decay 5e-4), cosine decay per phase
  double finetune_lr = 0;           // 0 = lr
  uint64_t seed = 1;
  int threads = 2;                  // torch::set_num_threads
  // --- tool ---
  bool checkpoint = true;           // write <checkpoint_dir>/last.pt after every epoch (+ dense.pt)
  std::string checkpoint_dir;       // "" = <out_dir>/checkpoint
  bool resume = false;              // continue from <checkpoint_dir>/last.pt if it exists
  std::string dense_from;           // a dense.pt checkpoint: skip dense training, start from it
  uint32_t stop_after_epochs = 0;   // testing: stop (as if killed) after this many epochs ran here
  int64_t int8_eval_images = -1;    // int8 reference accuracy on this many test images (-1 = all loaded, 0 = skip)
  std::string summary_path;         // "" = <out_dir>/train_summary.json
  std::function<void(const std::string&)> progress;  // one line per step/epoch
};

struct TrainReport {
  double dense_float_accuracy = 0;   // after dense training
  double pruned_float_accuracy = 0;  // right after the first pruning step, before fine-tuning
  double sparse_float_accuracy = 0;  // after pruning + fine-tuning (the exported model)
  double int8_accuracy = -1;         // int8 reference executor on the test set (-1 = not computed)
  double achieved_sparsity = 0;      // masked-out weights / weights of the sparsified layers
  bool masks_held = false;           // every zero block exactly zero after fine-tuning
  bool completed = false;            // false: stopped by stop_after_epochs (no bundle written)
  uint32_t resumed_epochs = 0;       // epochs taken from a checkpoint instead of being trained
  uint64_t weight_bytes_dense = 0;   // int8 weights stored densely in the core's 8x8 format
  uint64_t weight_bytes_compact = 0; // same after 8x8 block compaction (payload + metadata)
  double seconds = 0;                // wall time of this call
  double train_seconds = 0;          // sum of epoch times, including epochs before a resume
};

// Throws std::runtime_error with one line on failure; writes the bundle atomically and the
// summary JSON (tmp + rename) only when the run completes.
TrainReport train_and_export(const TrainOptions& opt);

// Masking overhead: times `steps` SGD steps of the dense model and `steps` steps with the block
// masks of opt (block/score/selection/sparsity) held, interleaved in rounds of 10 on the same
// data, after 5 warm-up steps of each. Uses opt.model, batch_size, threads, train_limit.
struct BenchReport {
  uint32_t steps = 0;
  double dense_ms = 0;      // mean wall time per dense step
  double masked_ms = 0;     // mean wall time per masked step (mask gradients, step, re-mask)
  double mask_ops_ms = 0;   // the masking operations alone, per step
  double overhead() const { return dense_ms > 0 ? (masked_ms - dense_ms) / dense_ms : 0; }
  double mask_ops_share() const { return dense_ms > 0 ? mask_ops_ms / dense_ms : 0; }
};
BenchReport bench_masking(const TrainOptions& opt, uint32_t steps);

}  // namespace saie::trainer
