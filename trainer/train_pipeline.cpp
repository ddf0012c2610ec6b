// train_pipeline.cpp — train_and_export: dense training -> block masks (one-shot or incremental)
// -> masked fine-tune -> int8 quantisation -> bundle, with a checkpoint after every epoch, resume,
// int8 reference accuracy and a run summary; plus the masking-overhead benchmark.
// Set OPENBLAS_NUM_THREADS=1 in the environment: torch already uses opt.threads threads, and
// OpenBLAS's own default pool (one thread per core) would oversubscribe the cores. Results depend on
// the thread count (reduction order), so a resume must use the same --threads.
#include "trainer/train_pipeline.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "model/bundle/train_summary.h"
#include "model/reference/reference_executor.h"
#include "util/file_io.h"
#include "trainer/export/bundle_export.h"
#include "trainer/export/weight_bytes.h"
#include "trainer/quant/quantize.h"
#include "trainer/train_loop.h"

namespace saie::trainer {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

constexpr int kCheckpointVersion = 1;
constexpr int64_t kBnRecalImages = 2000;  // training images re-estimating BN statistics after pruning

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename... A>
std::string fmt(const char* f, A... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

void check_options(const TrainOptions& opt) {
  if (!(opt.sparsity >= 0.0 && opt.sparsity <= 0.95))
    throw std::runtime_error("sparsity " + std::to_string(opt.sparsity) + " outside [0, 0.95]");
  if (opt.out_dir.empty()) throw std::runtime_error("out_dir (bundle folder) is empty");
  if (opt.batch_size == 0) throw std::runtime_error("batch_size must be positive");
  if (opt.block_o == 0 || opt.block_i == 0) throw std::runtime_error("block size must be positive");
  if (!(opt.lr > 0.0)) throw std::runtime_error("lr must be positive");
  if (!(opt.finetune_lr >= 0.0)) throw std::runtime_error("finetune_lr must not be negative");
  check_block_score(opt.score);
  check_selection(opt.selection);
  if (opt.schedule != "one-shot" && opt.schedule != "incremental")
    throw std::runtime_error("unknown schedule '" + opt.schedule + "' (supported: one-shot, incremental)");
  if (opt.calib != "max" && opt.calib != "percentile")
    throw std::runtime_error("unknown calibration '" + opt.calib + "' (supported: max, percentile)");
  if (opt.calib == "percentile" && !(opt.calib_percentile > 0.0 && opt.calib_percentile <= 100.0))
    throw std::runtime_error("calibration percentile " + std::to_string(opt.calib_percentile) + " outside (0, 100]");
}

std::string augment_name(const TrainOptions& o) { return o.augment ? "crop2+flip" : "none"; }
std::string calib_name(const TrainOptions& o) {
  return o.calib == "max" ? std::string("max") : fmt("percentile:%g", o.calib_percentile);
}
double finetune_rate(const TrainOptions& o) { return o.finetune_lr > 0 ? o.finetune_lr : o.lr; }

// Everything that changes the trained weights (a resume must match it exactly).
json fingerprint(const TrainOptions& o) {
  return json{{"model", o.model},           {"dense_epochs", o.dense_epochs}, {"finetune_epochs", o.finetune_epochs},
              {"train_limit", o.train_limit}, {"sparsity", o.sparsity},       {"block", {o.block_o, o.block_i}},
              {"score", o.score},           {"selection", o.selection},     {"schedule", o.schedule},
              {"augment", o.augment},       {"batch_size", o.batch_size},   {"lr", o.lr},
              {"finetune_lr", finetune_rate(o)}, {"seed", o.seed},          {"threads", o.threads}};
}
// The part of it that shapes the dense phase (what a dense.pt must match).
json dense_fingerprint(const TrainOptions& o) {
  return json{{"model", o.model},     {"dense_epochs", o.dense_epochs}, {"train_limit", o.train_limit},
              {"augment", o.augment}, {"batch_size", o.batch_size},     {"lr", o.lr},
              {"seed", o.seed}};
}

void check_fingerprint(const json& want, const json& got, const std::string& file) {
  for (const auto& [key, value] : want.items())
    if (!got.contains(key) || got[key] != value)
      throw std::runtime_error("checkpoint " + file + " was made with " + key + "=" +
                               (got.contains(key) ? got[key].dump() : std::string("(missing)")) + ", this run has " +
                               value.dump());
}

std::string notes_for(const TrainOptions& o) {
  return fmt("dense_epochs=%u finetune_epochs=%u train_limit=%u test_limit=%u sparsity=%.3f block=%ux%u score=%s "
             "selection=%s schedule=%s batch=%u lr=%g finetune_lr=%g lr_schedule=cosine augment=%s calib=%s "
             "calib_images=%u seed=%llu threads=%d",
             o.dense_epochs, o.finetune_epochs, o.train_limit, o.test_limit, o.sparsity, o.block_o, o.block_i,
             o.score.c_str(), o.selection.c_str(), o.schedule.c_str(), o.batch_size, o.lr, finetune_rate(o),
             augment_name(o).c_str(), calib_name(o).c_str(), o.calib_images, static_cast<unsigned long long>(o.seed),
             o.threads);
}

std::string mask_bits(const ir::BlockMask& m) {
  std::string s(m.bits.size(), '0');
  for (size_t i = 0; i < m.bits.size(); ++i) s[i] = m.bits[i] ? '1' : '0';
  return s;
}

// Where the run stands: saved in every checkpoint.
struct RunState {
  std::string phase = "dense";  // "dense" or "finetune": the phase of the last completed epoch
  uint32_t epoch = 0;           // completed epochs of that phase
  double dense_acc = 0, pruned_acc = -1, sparse_acc = 0;
  json history = json::array();  // one object per completed epoch
  std::vector<size_t> mask_layers;
  std::vector<ir::BlockMask> masks;
};

void write_checkpoint(const fs::path& file, SpecNet& net, torch::optim::SGD* sgd, const std::mt19937_64& rng,
                      const RunState& st, const json& fp) {
  torch::serialize::OutputArchive ar, net_ar, opt_ar;
  net->save(net_ar);
  ar.write("net", net_ar);
  if (sgd) {
    sgd->save(opt_ar);
    ar.write("optim", opt_ar);
  }
  std::ostringstream rs;
  rs << rng;
  json meta{{"version", kCheckpointVersion}, {"fingerprint", fp},       {"phase", st.phase},
            {"epoch", st.epoch},             {"rng", rs.str()},         {"dense_acc", st.dense_acc},
            {"pruned_acc", st.pruned_acc},   {"sparse_acc", st.sparse_acc}, {"history", st.history}};
  json masks = json::array();
  for (size_t k = 0; k < st.masks.size(); ++k) {
    const ir::BlockMask& m = st.masks[k];
    masks.push_back({{"layer", st.mask_layers[k]}, {"bo", m.bo}, {"bi", m.bi}, {"rows", m.rows}, {"cols", m.cols},
                     {"bits", mask_bits(m)}});
  }
  meta["masks"] = masks;
  ar.write("meta", c10::IValue(meta.dump()));
  fs::create_directories(file.parent_path());
  util::StagedFile staged(file.string());  // LibTorch saves to a path: write it there, then rename
  ar.save_to(staged.temp_path());
  staged.commit();
}

// Loads net weights and the run state; `optim` gets the optimiser archive if there is one.
json read_checkpoint(const fs::path& file, SpecNet& net, torch::serialize::InputArchive& ar, bool* has_optim) {
  try {
    ar.load_from(file.string());
    torch::serialize::InputArchive net_ar;
    ar.read("net", net_ar);
    net->load(net_ar);
    c10::IValue meta;
    ar.read("meta", meta);
    torch::serialize::InputArchive probe;
    *has_optim = ar.try_read("optim", probe);
    json j = json::parse(meta.toStringRef());
    if (j.value("version", 0) != kCheckpointVersion)
      throw std::runtime_error("version " + std::to_string(j.value("version", 0)));
    return j;
  } catch (const std::exception& e) {
    std::string m = e.what();
    m = m.substr(0, m.find('\n'));
    throw std::runtime_error("cannot read checkpoint " + file.string() + ": " + m);
  }
}

void restore_state(const json& j, RunState& st, std::mt19937_64& rng) {
  st.phase = j.at("phase").get<std::string>();
  st.epoch = j.at("epoch").get<uint32_t>();
  st.dense_acc = j.at("dense_acc").get<double>();
  st.pruned_acc = j.at("pruned_acc").get<double>();
  st.sparse_acc = j.at("sparse_acc").get<double>();
  st.history = j.at("history");
  std::istringstream rs(j.at("rng").get<std::string>());
  rs >> rng;
  st.mask_layers.clear();
  st.masks.clear();
  for (const auto& m : j.at("masks")) {
    ir::BlockMask b;
    b.bo = m.at("bo");
    b.bi = m.at("bi");
    b.rows = m.at("rows");
    b.cols = m.at("cols");
    const std::string bits = m.at("bits");
    for (char c : bits) b.bits.push_back(c == '1');
    st.mask_layers.push_back(m.at("layer").get<size_t>());
    st.masks.push_back(std::move(b));
  }
}

json options_json(const TrainOptions& o) {
  json j = fingerprint(o);
  j["test_limit"] = o.test_limit;
  j["calib"] = o.calib;
  if (o.calib == "percentile") j["calib_percentile"] = o.calib_percentile;
  j["calib_images"] = o.calib_images;
  j["int8_eval_images"] = o.int8_eval_images;
  j["dense_from"] = o.dense_from;
  return j;
}

}  // namespace

TrainReport train_and_export(const TrainOptions& opt) {
  const auto t_start = Clock::now();
  check_options(opt);
  const ModelSpec spec = make_model_spec(opt.model);  // throws on unknown names
  auto say = [&](const std::string& s) {
    if (opt.progress) opt.progress(s);
  };

  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  // Denormal floats (tiny gradients, decaying momentum) make x86 arithmetic many times slower.
  at::globalContext().setFlushDenormal(true);
  torch::manual_seed(opt.seed);
  std::mt19937_64 rng(opt.seed);

  const std::string dir = opt.dataset_dir.empty() ? data::default_dataset_dir() : opt.dataset_dir;
  const TensorData train = to_tensors(data::load_fashion_mnist(dir, "train", opt.train_limit));
  const data::Dataset test_raw = data::load_fashion_mnist(dir, "test", opt.test_limit);
  const TensorData test = to_tensors(test_raw);
  say(fmt("model %s: %lld training / %lld test images from %s", opt.model.c_str(), static_cast<long long>(train.size()),
          static_cast<long long>(test.size()), dir.c_str()));

  SpecNet net(spec);
  TrainReport rep;
  RunState st;
  const int64_t steps_per_epoch = (train.size() + opt.batch_size - 1) / opt.batch_size;
  const json fp = fingerprint(opt);
  const fs::path ckpt_dir = opt.checkpoint_dir.empty() ? fs::path(opt.out_dir) / "checkpoint" : fs::path(opt.checkpoint_dir);
  const fs::path last_file = ckpt_dir / "last.pt", dense_file = ckpt_dir / "dense.pt";
  const bool sparse_run = opt.sparsity > 0.0;
  const MaskRule rule{opt.block_o, opt.block_i, opt.score, opt.selection};

  // Resume: the last completed epoch, or a finished dense phase to fine-tune from.
  torch::serialize::InputArchive resume_ar;
  bool resume_has_optim = false;
  if (opt.resume && fs::exists(last_file)) {
    const json j = read_checkpoint(last_file, net, resume_ar, &resume_has_optim);
    check_fingerprint(fp, j.at("fingerprint"), last_file.string());
    restore_state(j, st, rng);
    rep.resumed_epochs = static_cast<uint32_t>(st.history.size());
    say(fmt("resumed from %s: %s epoch %u done", last_file.string().c_str(), st.phase.c_str(), st.epoch));
  } else if (!opt.dense_from.empty()) {
    const json j = read_checkpoint(opt.dense_from, net, resume_ar, &resume_has_optim);
    check_fingerprint(dense_fingerprint(opt), j.at("fingerprint"), opt.dense_from);
    restore_state(j, st, rng);
    if (st.phase != "dense" || st.epoch != opt.dense_epochs)
      throw std::runtime_error("checkpoint " + opt.dense_from + " is not a finished dense phase (" + st.phase + " epoch " +
                               std::to_string(st.epoch) + ")");
    rep.resumed_epochs = static_cast<uint32_t>(st.history.size());
    resume_has_optim = false;  // fine-tuning starts with a fresh optimiser anyway
    say(fmt("dense phase from %s (test acc %.4f)", opt.dense_from.c_str(), st.dense_acc));
  } else if (opt.resume) {
    say("no checkpoint at " + last_file.string() + ": starting from scratch");
  }

  EtaClock eta;
  eta.total_steps = steps_per_epoch * (opt.dense_epochs + opt.finetune_epochs);
  eta.done_steps = steps_per_epoch * static_cast<int64_t>(st.history.size());
  uint32_t epochs_here = 0;
  auto stop_now = [&]() { return opt.stop_after_epochs > 0 && epochs_here >= opt.stop_after_epochs; };
  auto record_epoch = [&](const std::string& phase, uint32_t e, uint32_t of, const EpochStats& es, double acc, double secs,
                          double sparsity) {
    st.history.push_back({{"phase", phase},
                          {"epoch", e},
                          {"loss", es.loss},
                          {"train_accuracy", es.train_accuracy},
                          {"test_accuracy", acc},
                          {"sparsity", sparsity},
                          {"seconds", secs}});
    say(fmt("%s epoch %u/%u: loss %.4f, train acc %.4f, test acc %.4f, %.1f s, ETA %s", phase.c_str(), e, of, es.loss,
            es.train_accuracy, acc, secs, format_duration(eta.eta_seconds()).c_str()));
  };

  // 1. Dense training: SGD, momentum 0.9, weight decay 5e-4, cosine decay from opt.lr over the phase.
  if (st.phase == "dense" && st.epoch < opt.dense_epochs) {
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4));
    if (st.epoch > 0 && resume_has_optim) {
      torch::serialize::InputArchive oa;
      resume_ar.read("optim", oa);
      sgd.load(oa);
    }
    CosineLr lr{opt.lr, steps_per_epoch * opt.dense_epochs, steps_per_epoch * st.epoch};
    for (uint32_t e = st.epoch; e < opt.dense_epochs; ++e) {
      const auto t0 = Clock::now();
      EpochOptions eo;
      eo.progress = opt.progress;
      eo.label = fmt("dense %u/%u", e + 1, opt.dense_epochs);
      eo.lr = &lr;
      eo.augment = opt.augment;
      eo.eta = &eta;
      const EpochStats es = train_epoch(net, sgd, train, opt.batch_size, rng, nullptr, eo);
      st.dense_acc = evaluate(net, test);
      st.epoch = e + 1;
      record_epoch("dense", e + 1, opt.dense_epochs, es, st.dense_acc, seconds_since(t0), 0.0);
      if (opt.checkpoint) {
        write_checkpoint(last_file, net, &sgd, rng, st, fp);
        if (st.epoch == opt.dense_epochs) write_checkpoint(dense_file, net, nullptr, rng, st, fp);
      }
      ++epochs_here;
      if (stop_now()) break;
    }
  }
  if (opt.dense_epochs == 0 && st.phase == "dense") st.dense_acc = evaluate(net, test);
  rep.dense_float_accuracy = st.dense_acc;

  // 2 + 3. Block masks and masked fine-tune: fresh optimiser state and cosine decay from the
  // fine-tune rate; masks re-applied after every step. One-shot prunes to the target before
  // epoch 1; incremental tightens the masks before epochs 1 .. incremental_steps(F).
  MaskSet masks;
  if (st.phase == "finetune") masks = masks_from(net, st.mask_layers, st.masks);
  const bool incremental = opt.schedule == "incremental";
  const uint32_t inc_steps = incremental_steps(opt.finetune_epochs);
  auto prune_to = [&](double s, torch::optim::SGD* sgd) {
    masks = compute_masks(net, rule, s, masks.empty() ? nullptr : &masks);
    apply_masks(net, masks);
    if (sgd) apply_masks_to_optimizer(net, masks, *sgd);
    recalibrate_batchnorm(net, train.images.slice(0, 0, std::min<int64_t>(train.size(), kBnRecalImages)));
    st.mask_layers = masks.layers;
    st.masks = masks.masks;
  };
  const bool dense_done = st.phase == "finetune" || st.epoch >= opt.dense_epochs;
  if (dense_done && !stop_now()) {
    const uint32_t first = st.phase == "finetune" ? st.epoch : 0;
    if (st.phase != "finetune") st.sparse_acc = st.dense_acc;
    if (first == 0 && sparse_run) {
      const double s0 = incremental ? incremental_sparsity(opt.sparsity, 1, inc_steps) : opt.sparsity;
      prune_to(s0, nullptr);
      st.pruned_acc = evaluate(net, test);
      st.sparse_acc = st.pruned_acc;
      say(fmt("pruned %zu layers to %.3f of their weights (%ux%u blocks, %s, %s, %s step 1/%u): test acc %.4f", masks.layers.size(),
              masked_fraction(net, masks), opt.block_o, opt.block_i, opt.score.c_str(), opt.selection.c_str(),
              opt.schedule.c_str(), incremental ? inc_steps : 1u, st.pruned_acc));
    }
    const double ft_lr = finetune_rate(opt);
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(ft_lr).momentum(0.9).weight_decay(5e-4));
    if (first > 0 && resume_has_optim) {
      torch::serialize::InputArchive oa;
      resume_ar.read("optim", oa);
      sgd.load(oa);
    }
    CosineLr lr{ft_lr, steps_per_epoch * opt.finetune_epochs, steps_per_epoch * first};
    for (uint32_t e = first; e < opt.finetune_epochs; ++e) {
      if (sparse_run && incremental && e > 0 && e < inc_steps) {
        prune_to(incremental_sparsity(opt.sparsity, e + 1, inc_steps), &sgd);
        say(fmt("incremental step %u/%u: %.3f of the sparsified weights zero", e + 1, inc_steps, masked_fraction(net, masks)));
      }
      const auto t0 = Clock::now();
      EpochOptions eo;
      eo.progress = opt.progress;
      eo.label = fmt("fine-tune %u/%u", e + 1, opt.finetune_epochs);
      eo.lr = &lr;
      eo.augment = opt.augment;
      eo.eta = &eta;
      const EpochStats es = train_epoch(net, sgd, train, opt.batch_size, rng, masks.empty() ? nullptr : &masks, eo);
      st.sparse_acc = evaluate(net, test);
      st.phase = "finetune";
      st.epoch = e + 1;
      record_epoch("fine-tune", e + 1, opt.finetune_epochs, es, st.sparse_acc, seconds_since(t0),
                   masks.empty() ? 0.0 : masked_fraction(net, masks));
      if (opt.checkpoint) write_checkpoint(last_file, net, &sgd, rng, st, fp);
      ++epochs_here;
      if (stop_now()) break;
    }
  }
  for (const auto& h : st.history) rep.train_seconds += h.at("seconds").get<double>();
  const bool finished = dense_done && (st.phase == "finetune" ? st.epoch >= opt.finetune_epochs : opt.finetune_epochs == 0);
  if (!finished) {
    rep.seconds = seconds_since(t_start);
    say(fmt("stopped after %u epochs in this run (checkpoint %s); --resume continues", epochs_here, last_file.string().c_str()));
    return rep;
  }
  rep.pruned_float_accuracy = st.pruned_acc;
  rep.sparse_float_accuracy = st.sparse_acc;
  rep.achieved_sparsity = masks.empty() ? 0.0 : masked_fraction(net, masks);
  rep.masks_held = masks_hold(net, masks);
  if (!rep.masks_held) throw std::runtime_error("fine-tuning left non-zero weights in masked-out blocks");

  // 4. Calibrate activation scales on the first calib_images training images.
  const int64_t n_cal = std::min<int64_t>(train.size(), opt.calib_images > 0 ? opt.calib_images : 1);
  const torch::Tensor cal = train.images.slice(0, 0, n_cal);
  const std::vector<float> act = opt.calib == "max" ? calibrate_max_abs(net, cal) : calibrate_percentile(net, cal, opt.calib_percentile);
  const std::vector<float> scales = calibrated_scales(spec, act);

  // 5. Quantise (BatchNorm folded), export, and measure the int8 graph.
  ir::Provenance prov;
  prov.dataset = "fashion-mnist";
  prov.model = opt.model;
  prov.float_accuracy = rep.sparse_float_accuracy;
  prov.notes = notes_for(opt);
  const ir::Graph g = build_graph(spec, extract_params(net, masks), scales, prov, opt.block_o, opt.block_i);
  export_bundle(g, opt.out_dir);
  const WeightBytes wb = weight_bytes(g);
  rep.weight_bytes_dense = wb.dense_bytes;
  rep.weight_bytes_compact = wb.compact_bytes;
  const auto t_q = Clock::now();
  if (opt.int8_eval_images != 0) {
    rep.int8_accuracy = reference::int8_accuracy(
        g, test_raw, opt.int8_eval_images < 0 ? test_raw.count : static_cast<uint32_t>(opt.int8_eval_images));
    say(fmt("int8 reference accuracy %.4f (float %.4f), %.1f s", rep.int8_accuracy, rep.sparse_float_accuracy,
            seconds_since(t_q)));
  }
  rep.seconds = seconds_since(t_start);

  // 6. Run summary.
  json layers = json::array();
  for (const auto& l : wb.layers)
    layers.push_back({{"name", l.name},
                      {"block", {l.bo, l.bi}},
                      {"blocks", l.blocks},
                      {"zero_blocks", l.zero_blocks},
                      {"sparsity", l.blocks ? static_cast<double>(l.zero_blocks) / l.blocks : 0.0},
                      {"hw_blocks_8x8", l.hw_blocks},
                      {"hw_zero_blocks_8x8", l.hw_zero_blocks},
                      {"int8_bytes", l.int8_bytes},
                      {"dense_bytes", l.dense_bytes},
                      {"compact_bytes", l.compact_bytes},
                      {"metadata_bytes", l.metadata_bytes}});
  json sum{{"format", bundle::kTrainSummaryFormat},
           {"version", bundle::kTrainSummaryVersion},
           {"options", options_json(opt)},
           {"dataset", {{"name", "fashion-mnist"}, {"train_images", train.size()}, {"test_images", test.size()}}},
           {"epochs", st.history},
           {"dense_float_accuracy", rep.dense_float_accuracy},
           {"pruned_float_accuracy", rep.pruned_float_accuracy},
           {"float_accuracy", rep.sparse_float_accuracy},
           {"int8_accuracy", rep.int8_accuracy},
           {"int8_eval_images", opt.int8_eval_images < 0 ? test.size() : std::min<int64_t>(opt.int8_eval_images, test.size())},
           {"achieved_sparsity", rep.achieved_sparsity},
           {"masks_held", rep.masks_held},
           {"layers", layers},
           {"weight_bytes",
            {{"int8", wb.int8_bytes}, {"dense_8x8", wb.dense_bytes}, {"compact_8x8", wb.compact_bytes},
             {"compact_metadata", wb.metadata_bytes},
             {"compact_over_dense", wb.dense_bytes ? static_cast<double>(wb.compact_bytes) / wb.dense_bytes : 0.0}}},
           {"resumed_epochs", rep.resumed_epochs},
           {"train_seconds", rep.train_seconds},
           {"total_seconds", rep.seconds},
           {"bundle", opt.out_dir}};
  const fs::path sum_path = opt.summary_path.empty() ? fs::path(opt.out_dir) / "train_summary.json" : fs::path(opt.summary_path);
  if (sum_path.has_parent_path()) fs::create_directories(sum_path.parent_path());
  util::write_file_atomic(sum_path.string(), sum.dump(2) + "\n");
  rep.completed = true;
  say(fmt("wrote bundle %s (%zu nodes, weights %llu B compacted vs %llu B dense) and %s, %.1f s total", opt.out_dir.c_str(),
          g.nodes.size(), static_cast<unsigned long long>(wb.compact_bytes), static_cast<unsigned long long>(wb.dense_bytes),
          sum_path.string().c_str(), rep.seconds));
  return rep;
}

BenchReport bench_masking(const TrainOptions& opt, uint32_t steps) {
  check_options(opt);
  if (steps == 0) throw std::runtime_error("bench steps must be positive");
  const ModelSpec spec = make_model_spec(opt.model);
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  at::globalContext().setFlushDenormal(true);
  torch::manual_seed(opt.seed);
  const std::string dir = opt.dataset_dir.empty() ? data::default_dataset_dir() : opt.dataset_dir;
  const uint32_t need = opt.train_limit > 0 ? opt.train_limit : std::min<uint32_t>(60000, opt.batch_size * 50);
  const TensorData train = to_tensors(data::load_fashion_mnist(dir, "train", need));
  SpecNet net(spec);
  const MaskRule rule{opt.block_o, opt.block_i, opt.score, opt.selection};
  const MaskSet masks = compute_masks(net, rule, opt.sparsity > 0 ? opt.sparsity : 0.5);
  apply_masks(net, masks);
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(opt.lr).momentum(0.9).weight_decay(5e-4));
  net->train();
  const int64_t batches = std::max<int64_t>(1, train.size() / opt.batch_size);
  int64_t next = 0;
  auto step = [&](const MaskSet* m) {
    const int64_t lo = (next++ % batches) * opt.batch_size;
    const torch::Tensor x = train.images.slice(0, lo, lo + opt.batch_size), y = train.labels.slice(0, lo, lo + opt.batch_size);
    sgd.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), y);
    loss.backward();
    if (m) {
      torch::NoGradGuard ng;
      for (size_t k = 0; k < m->layers.size(); ++k) net->weight(m->layers[k]).mutable_grad().mul_(m->factors[k]);
    }
    sgd.step();
    if (m) apply_masks(net, *m);
    (void)loss.item<double>();  // the loop reads the loss every step too
  };
  for (int i = 0; i < 5; ++i) {
    step(nullptr);
    step(&masks);
  }
  BenchReport r;
  r.steps = steps;
  double dense_s = 0, masked_s = 0, ops_s = 0;
  for (uint32_t done = 0; done < steps;) {
    const uint32_t n = std::min<uint32_t>(10, steps - done);
    auto t0 = Clock::now();
    for (uint32_t i = 0; i < n; ++i) step(nullptr);
    dense_s += seconds_since(t0);
    t0 = Clock::now();
    for (uint32_t i = 0; i < n; ++i) step(&masks);
    masked_s += seconds_since(t0);
    t0 = Clock::now();
    for (uint32_t i = 0; i < n; ++i) {
      torch::NoGradGuard ng;
      for (size_t k = 0; k < masks.layers.size(); ++k) net->weight(masks.layers[k]).mutable_grad().mul_(masks.factors[k]);
      apply_masks(net, masks);
    }
    ops_s += seconds_since(t0);
    done += n;
  }
  r.dense_ms = 1000.0 * dense_s / steps;
  r.masked_ms = 1000.0 * masked_s / steps;
  r.mask_ops_ms = 1000.0 * ops_s / steps;
  return r;
}

}  // namespace saie::trainer
