// train_pipeline.h — dense training, block pruning, masked fine-tuning, int8 quantisation and
// bundle export, as one call. This header is torch-free so the driver does not include LibTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace saie::trainer {

struct TrainOptions {
  std::string dataset_dir;          // Fashion-MNIST idx .gz folder
  std::string out_dir;              // bundle folder (model.json + weights.safetensors)
  std::string model = "small-resnet";
  uint32_t dense_epochs = 1;
  uint32_t finetune_epochs = 1;
  uint32_t train_limit = 0;         // 0 = all 60k training images
  uint32_t test_limit = 0;          // 0 = all 10k test images
  double sparsity = 0.5;            // fraction of 8x8 blocks zeroed per block row
  uint32_t block_o = 8, block_i = 8;
  std::string score = "l2";         // block score: l2 (spine); l1/variance come with issue 3
  uint32_t batch_size = 64;
  double lr = 0.01;
  uint32_t calib_images = 512;      // activation-scale calibration images (from training data)
  uint64_t seed = 1;
  int threads = 2;                  // torch::set_num_threads
  std::function<void(const std::string&)> progress;  // one line per step/epoch
};

struct TrainReport {
  double dense_float_accuracy = 0;   // after dense training
  double sparse_float_accuracy = 0;  // after pruning + fine-tuning (the exported model)
  double achieved_sparsity = 0;      // over sparsified layers
  bool masks_held = false;           // every zero block exactly zero after fine-tuning
  double seconds = 0;
};

// Throws std::runtime_error with one line on failure; writes the bundle atomically.
TrainReport train_and_export(const TrainOptions& opt);

}  // namespace saie::trainer
