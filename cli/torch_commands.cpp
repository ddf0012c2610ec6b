// torch_commands.cpp — option registration of train, import and zoo (see torch_commands.h).
#include "cli/torch_commands.h"
#include "model/zoo_names.h"

#include <CLI/CLI.hpp>

namespace saie::cli {

void add_train_command(CLI::App& app, TrainArgs& a) {
  auto* train = app.add_subcommand("train", "train a CNN on Fashion-MNIST, prune to block sparsity, quantise to int8, export a bundle");
  train->add_option("--out,-o", a.out_dir, "bundle folder to write (model.json + weights.safetensors)")->required();
  train->add_option("--model", a.model, "model: small-resnet (demo), resnet-s (BatchNorm, 32-64 channels), vgg-s (VGG-style) or tiny")
      ->check(CLI::IsMember({"small-resnet", "resnet-s", "vgg-s", "tiny"}));
  train->add_option("--dataset", a.dataset_dir, "folder with the Fashion-MNIST idx .gz files");
  train->add_option("--dense-epochs", a.dense_epochs, "dense training epochs");
  train->add_option("--finetune-epochs", a.finetune_epochs, "fine-tuning epochs with the block masks held");
  train->add_option("--train-limit", a.train_limit, "use only the first N training images (0 = all 60000)");
  train->add_option("--test-limit", a.test_limit, "evaluate on the first N test images (0 = all 10000)");
  train->add_option("--sparsity", a.sparsity, "target fraction of blocks zeroed (0 = dense, no masks)")->check(CLI::Range(0.0, 0.95));
  train->add_option("--block", a.block, "block shape BOxBI (output x input channels, whole kernel): 8x8, 1x1, 4x16, 16x4, ...");
  train->add_option("--score", a.score, "block score")->check(CLI::IsMember({"l2", "l1", "variance"}));
  train->add_option("--selection", a.selection, "row-balanced: every block row loses the same share; global: rank all blocks of a layer")
      ->check(CLI::IsMember({"row-balanced", "global"}));
  train->add_option("--schedule", a.schedule, "one-shot: prune to the target, then fine-tune; incremental: tighten the masks every fine-tune epoch up to the last-but-one")
      ->check(CLI::IsMember({"one-shot", "incremental"}));
  train->add_option("--calib", a.calib, "int8 activation calibration: max or percentile")->check(CLI::IsMember({"max", "percentile"}));
  train->add_option("--calib-percentile", a.calib_percentile, "percentile of |activation| for --calib percentile")->check(CLI::Range(50.0, 100.0));
  train->add_option("--calib-images", a.calib_images, "training images used for calibration")->check(CLI::Range(1u, 60000u));
  train->add_flag("--augment", a.augment, "random crop (pad 2) + horizontal flip while training");
  train->add_option("--lr", a.lr, "SGD learning rate")->check(CLI::PositiveNumber);
  train->add_option("--finetune-lr", a.finetune_lr, "fine-tune learning rate (0 = --lr)")->check(CLI::NonNegativeNumber);
  train->add_option("--batch-size", a.batch_size, "mini-batch size")->check(CLI::Range(1u, 4096u));
  train->add_option("--seed", a.seed, "random seed");
  train->add_option("--threads", a.threads, "LibTorch threads")->check(CLI::Range(1, 64));
  train->add_flag("!--no-checkpoint", a.checkpoint, "do not write a checkpoint after every epoch");
  train->add_option("--checkpoint-dir", a.checkpoint_dir, "checkpoint folder (default <out>/checkpoint)");
  train->add_flag("--resume", a.resume, "continue from the last completed epoch in the checkpoint folder");
  train->add_option("--dense-from", a.dense_from, "dense.pt of an earlier run with the same dense options: skip dense training")
      ->check(CLI::ExistingFile);
  train->add_option("--stop-after-epochs", a.stop_after_epochs, "stop (as if killed) after N epochs, for testing --resume");
  train->add_option("--int8-eval-images", a.int8_eval_images, "test images for the int8 reference accuracy (-1 = all loaded, 0 = skip)")
      ->check(CLI::Range(int64_t{-1}, int64_t{10000}));
  train->add_option("--bench-steps", a.bench_steps, "only benchmark: time N dense vs N masked SGD steps, no training");
}

void add_import_command(CLI::App& app, ImportArgs& a) {
  auto* c = app.add_subcommand("import", "turn a TorchScript CNN (.pt, e.g. a traced torchvision model) into a bundle: "
                                         "BatchNorm folded, pruned to block sparsity, quantised to int8");
  c->add_option("model", a.model_path, "TorchScript file (torch.jit.trace/script + save)")->required()->check(CLI::ExistingFile);
  c->add_option("--out,-o", a.out_dir, "bundle folder to write (model.json + weights.safetensors)")->required();
  c->add_option("--input-shape", a.input_shape, "network input H,W,C (28,28,1 for Fashion-MNIST models; 224,224,3 for ImageNet ones)");
  c->add_option("--sparsity", a.sparsity, "fraction of blocks zeroed per block row (first conv stays dense)")->check(CLI::Range(0.0, 0.95));
  c->add_option("--block", a.block, "block shape OUTxIN channels, e.g. 8x8");
  c->add_option("--calib-images", a.calib_images, "calibration inputs (Fashion-MNIST training images for 28x28x1, else random)")
      ->check(CLI::Range(1u, 60000u));
  c->add_flag("--random-calib", a.random_calib, "calibrate on seeded random inputs even for 28x28x1 models");
  c->add_option("--seed", a.seed, "seed of the random calibration inputs");
  c->add_option("--dataset", a.dataset_dir, "folder with the Fashion-MNIST idx .gz files");
  c->add_option("--sqnr-inputs", a.sqnr_inputs,
                "also run N seeded random inputs through the int8 reference and the float graph and record the "
                "output's SQNR in dB (slow on ImageNet-sized networks: the reference is plain loops; default 0 = skip)")
      ->check(CLI::Range(0u, 1000u));
  c->add_option("--threads", a.threads,
                "LibTorch threads of the float check and the calibration (the calibration's float sums, and so the "
                "last bits of a scale, can depend on it: the default is the same on every machine)")
      ->check(CLI::Range(1, 64));
}

void add_zoo_command(CLI::App& app, ZooArgs& a) {
  auto* c = app.add_subcommand("zoo", "write a bundle of one of the paper's ImageNet networks (torchvision structure, seeded "
                                      "random weights, pruned and quantised)");
  c->add_option("model", a.model,
                "torchvision network: " + model::zoo_model_list() +
                    " (inception_v3: torchvision's shape is --input-size 299; vgg16_features: the conv part only, as "
                    "the paper times it)")
      ->required()
      ->check(CLI::IsMember(model::zoo_model_names()));
  c->add_option("--out,-o", a.out_dir, "bundle folder to write")->required();
  c->add_option("--sparsity", a.sparsity, "fraction of blocks zeroed per block row (first conv stays dense)")->check(CLI::Range(0.0, 0.95));
  c->add_option("--seed", a.seed, "weight seed");
  c->add_option("--block", a.block, "block shape OUTxIN channels, e.g. 8x8");
  c->add_option("--width-div", a.width_div, "divide every channel count (reduced variants)")->check(CLI::Range(1u, 64u));
  c->add_option("--input-size", a.input_hw, "square input side (224 = torchvision)")->check(CLI::Range(32u, 1024u));
  c->add_option("--calib-inputs", a.calib_inputs, "0: analytic activation scales; N: float calibration on N random inputs")
      ->check(CLI::Range(0u, 64u));
}

}  // namespace saie::cli
