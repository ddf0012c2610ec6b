// train_pipeline.cpp — train_and_export: dense training -> block masks -> masked fine-tune ->
// int8 quantisation -> bundle. Set OPENBLAS_NUM_THREADS=1 in the environment: torch already uses
// opt.threads threads, and OpenBLAS's own default pool would oversubscribe the cores (build-notes 5).
// Measured here: threads = 1 is as fast as 2 on an idle 2-core machine and many times faster on a
// busy one (OpenMP threads spin-wait when descheduled); results depend on the thread count.
#include "trainer/train_pipeline.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "trainer/export/bundle_export.h"
#include "trainer/quant/quantize.h"
#include "trainer/train_loop.h"

namespace saie::trainer {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void check_options(const TrainOptions& opt) {
  if (!(opt.sparsity >= 0.0 && opt.sparsity < 1.0))
    throw std::runtime_error("sparsity " + std::to_string(opt.sparsity) + " outside [0, 1)");
  if (opt.out_dir.empty()) throw std::runtime_error("out_dir (bundle folder) is empty");
  if (opt.batch_size == 0) throw std::runtime_error("batch_size must be positive");
  if (opt.block_o == 0 || opt.block_i == 0) throw std::runtime_error("block size must be positive");
  if (!(opt.lr > 0.0)) throw std::runtime_error("lr must be positive");
  if (opt.score != "l2") throw std::runtime_error("unknown block score '" + opt.score + "' (supported: l2)");
}

std::string notes_for(const TrainOptions& opt) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "dense_epochs=%u finetune_epochs=%u train_limit=%u test_limit=%u sparsity=%.3f block=%ux%u score=%s "
                "selection=row-balanced batch=%u lr=%g lr_schedule=cosine calib=max calib_images=%u seed=%llu",
                opt.dense_epochs, opt.finetune_epochs, opt.train_limit, opt.test_limit, opt.sparsity, opt.block_o,
                opt.block_i, opt.score.c_str(), opt.batch_size, opt.lr, opt.calib_images,
                static_cast<unsigned long long>(opt.seed));
  return buf;
}

}  // namespace

TrainReport train_and_export(const TrainOptions& opt) {
  const auto t_start = Clock::now();
  check_options(opt);
  const ModelSpec spec = make_model_spec(opt.model);  // throws on unknown names
  auto say = [&](const std::string& s) {
    if (opt.progress) opt.progress(s);
  };
  auto fmt = [](const char* f, auto... args) {
    char buf[256];
    std::snprintf(buf, sizeof buf, f, args...);
    return std::string(buf);
  };

  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  // Denormal floats (tiny gradients, decaying momentum) make x86 arithmetic many times slower.
  at::globalContext().setFlushDenormal(true);
  torch::manual_seed(opt.seed);
  std::mt19937_64 rng(opt.seed);

  const std::string dir = opt.dataset_dir.empty() ? data::default_dataset_dir() : opt.dataset_dir;
  const TensorData train = to_tensors(data::load_fashion_mnist(dir, "train", opt.train_limit));
  const TensorData test = to_tensors(data::load_fashion_mnist(dir, "test", opt.test_limit));
  say(fmt("model %s: %lld training / %lld test images from %s", opt.model.c_str(), static_cast<long long>(train.size()),
          static_cast<long long>(test.size()), dir.c_str()));

  SpecNet net(spec);
  TrainReport rep;
  const int64_t steps_per_epoch = (train.size() + opt.batch_size - 1) / opt.batch_size;

  // 1. Dense training: SGD, momentum 0.9, weight decay 5e-4, cosine decay from opt.lr over the phase.
  {
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4));
    CosineLr lr{opt.lr, steps_per_epoch * opt.dense_epochs, 0};
    for (uint32_t e = 0; e < opt.dense_epochs; ++e) {
      const auto t0 = Clock::now();
      const std::string label = fmt("dense epoch %u/%u", e + 1, opt.dense_epochs);
      const double loss = train_epoch(net, sgd, train, opt.batch_size, rng, nullptr, opt.progress, label, 200, &lr);
      rep.dense_float_accuracy = evaluate(net, test);
      say(fmt("%s: loss %.3f, test acc %.4f, %.1f s", label.c_str(), loss, rep.dense_float_accuracy, seconds_since(t0)));
    }
    if (opt.dense_epochs == 0) rep.dense_float_accuracy = evaluate(net, test);
  }

  // 2. Row-balanced block masks on every layer except the first conv; zero the pruned blocks.
  const MaskSet masks = compute_masks(net, opt.block_o, opt.block_i, opt.sparsity, opt.score);
  apply_masks(net, masks);
  rep.achieved_sparsity = masked_fraction(net, masks);
  const double pruned_acc = evaluate(net, test);
  say(fmt("pruned %zu layers to %.3f block sparsity (%ux%u, row-balanced, %s): test acc %.4f before fine-tune",
          masks.layers.size(), rep.achieved_sparsity, opt.block_o, opt.block_i, opt.score.c_str(), pruned_acc));

  // 3. Masked fine-tune: fresh optimiser state and cosine decay from opt.lr again; masks re-applied
  //    after every step.
  rep.sparse_float_accuracy = pruned_acc;
  {
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4));
    CosineLr lr{opt.lr, steps_per_epoch * opt.finetune_epochs, 0};
    for (uint32_t e = 0; e < opt.finetune_epochs; ++e) {
      const auto t0 = Clock::now();
      const std::string label = fmt("fine-tune epoch %u/%u", e + 1, opt.finetune_epochs);
      const double loss = train_epoch(net, sgd, train, opt.batch_size, rng, &masks, opt.progress, label, 200, &lr);
      rep.sparse_float_accuracy = evaluate(net, test);
      say(fmt("%s: loss %.3f, test acc %.4f, %.1f s", label.c_str(), loss, rep.sparse_float_accuracy, seconds_since(t0)));
    }
  }
  rep.masks_held = masks_hold(net, masks);
  if (!rep.masks_held) throw std::runtime_error("fine-tuning left non-zero weights in masked-out blocks");

  // 4. Calibrate activation scales (max) on the first calib_images training images.
  const int64_t n_cal = std::min<int64_t>(train.size(), opt.calib_images > 0 ? opt.calib_images : 1);
  const std::vector<float> scales = calibrated_scales(spec, calibrate_max_abs(net, train.images.slice(0, 0, n_cal)));

  // 5. Quantise and export.
  ir::Provenance prov;
  prov.dataset = "fashion-mnist";
  prov.model = opt.model;
  prov.float_accuracy = rep.sparse_float_accuracy;
  prov.notes = notes_for(opt);
  const ir::Graph g = build_graph(spec, extract_params(net, masks), scales, prov, opt.block_o, opt.block_i);
  export_bundle(g, opt.out_dir);
  rep.seconds = seconds_since(t_start);
  say(fmt("wrote bundle %s (%zu nodes), %.1f s total", opt.out_dir.c_str(), g.nodes.size(), rep.seconds));
  return rep;
}

}  // namespace saie::trainer
