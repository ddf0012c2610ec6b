// train_pipeline_test.cpp — end to end: train "tiny" briefly, prune, fine-tune, quantise, export,
// and read the bundle back with the compiler's reader. Also the one-line option errors.
#include "trainer/train_pipeline.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "model/bundle/bundle_io.h"
#include "model/data/idx.h"

namespace saie::trainer {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& tag) {
  std::random_device rd;
  return fs::temp_directory_path() / ("saie_" + tag + "_" + std::to_string(rd()) + std::to_string(rd()));
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

TEST(TrainPipeline, TinyEndToEnd) {
  const fs::path dir = fresh_dir("train_e2e");
  TrainOptions opt;
  opt.dataset_dir = data::default_dataset_dir();
  opt.out_dir = dir.string();
  opt.model = "tiny";
  // 1000 images (32 SGD steps) leave "tiny" near chance; 10000 images take about 0.5 s an epoch.
  opt.train_limit = 10000;
  opt.test_limit = 500;
  opt.dense_epochs = 1;
  opt.finetune_epochs = 1;
  opt.batch_size = 32;
  opt.lr = 0.05;
  opt.calib_images = 256;
  opt.threads = 1;  // deterministic, and 2 OpenMP threads crawl on a busy 2-core machine
  std::vector<std::string> lines;
  opt.progress = [&](const std::string& s) { lines.push_back(s); };

  const TrainReport rep = train_and_export(opt);
  EXPECT_TRUE(rep.masks_held);
  EXPECT_GT(rep.sparse_float_accuracy, 0.5);
  EXPECT_GT(rep.dense_float_accuracy, 0.5);
  EXPECT_GT(rep.achieved_sparsity, 0.2);
  EXPECT_LT(rep.achieved_sparsity, 0.6);
  EXPECT_GT(rep.seconds, 0.0);
  bool saw_dense = false, saw_ft = false;
  for (const auto& l : lines) {
    saw_dense |= l.rfind("dense epoch 1/1: loss", 0) == 0;
    saw_ft |= l.rfind("fine-tune epoch 1/1: loss", 0) == 0;
  }
  EXPECT_TRUE(saw_dense);
  EXPECT_TRUE(saw_ft);

  const ir::Graph g = bundle::read_bundle(dir.string());
  // Same options, same bytes.
  const fs::path dir2 = fresh_dir("train_e2e_again");
  opt.out_dir = dir2.string();
  opt.progress = nullptr;
  const TrainReport rep2 = train_and_export(opt);
  EXPECT_EQ(rep2.sparse_float_accuracy, rep.sparse_float_accuracy);
  EXPECT_EQ(slurp(dir / "model.json"), slurp(dir2 / "model.json"));
  EXPECT_EQ(slurp(dir / "weights.safetensors"), slurp(dir2 / "weights.safetensors"));
  fs::remove_all(dir);
  fs::remove_all(dir2);
  EXPECT_EQ(g.name, "fmnist-tiny");
  EXPECT_EQ(g.provenance.dataset, "fashion-mnist");
  EXPECT_EQ(g.provenance.model, "tiny");
  EXPECT_NEAR(g.provenance.float_accuracy, rep.sparse_float_accuracy, 1e-6);
  const std::vector<std::pair<std::string, ir::OpKind>> want = {
      {"input", ir::OpKind::Input}, {"conv1", ir::OpKind::Conv}, {"pool1", ir::OpKind::MaxPool},
      {"conv2", ir::OpKind::Conv},  {"conv3", ir::OpKind::Conv}, {"add1", ir::OpKind::Add},
      {"gap", ir::OpKind::AvgPool}, {"fc", ir::OpKind::Fc}};
  ASSERT_EQ(g.nodes.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(g.nodes[i].name, want[i].first);
    EXPECT_EQ(g.nodes[i].op, want[i].second) << want[i].first;
  }
  EXPECT_EQ(g.output, 7);
  EXPECT_FLOAT_EQ(g.nodes[0].out_scale, 1.0f / 127.0f);
  EXPECT_FALSE(g.nodes[1].sparse);
  EXPECT_EQ(g.nodes[2].out_scale, g.nodes[1].out_scale);
  EXPECT_EQ(g.nodes[6].out_scale, g.nodes[5].out_scale);
  EXPECT_EQ(g.nodes[5].inputs, (std::vector<int>{3, 4}));
  for (int i : {3, 4, 7}) {
    const ir::Node& n = g.nodes[i];
    ASSERT_TRUE(n.sparse) << n.name;
    for (uint32_t r = 0; r < n.mask.rows; ++r) {
      uint32_t zeros = 0;
      for (uint32_t c = 0; c < n.mask.cols; ++c) zeros += !n.mask.at(r, c);
      // conv2 has a single 8-channel input block column, which is never zeroed (k capped at cols-1).
      EXPECT_EQ(zeros, n.mask.cols == 1 ? 0u : n.mask.cols / 2) << n.name << " row " << r;
    }
  }
}

TEST(TrainPipeline, OptionErrorsAreOneLine) {
  TrainOptions opt;
  opt.out_dir = fresh_dir("train_err").string();
  opt.model = "tiny";
  auto message = [&]() -> std::string {
    try {
      train_and_export(opt);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  opt.dataset_dir = "/nonexistent/fmnist";
  std::string m = message();
  EXPECT_NE(m.find("/nonexistent/fmnist"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
  opt.dataset_dir = data::default_dataset_dir();
  opt.model = "vgg";
  m = message();
  EXPECT_NE(m.find("vgg"), std::string::npos) << m;
  opt.model = "tiny";
  opt.sparsity = 1.0;
  m = message();
  EXPECT_NE(m.find("sparsity"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(opt.out_dir));
}

}  // namespace
}  // namespace saie::trainer

// --- issue 3: methods from the options, checkpoints and resume, summary ---
namespace saie::trainer {
namespace {

TrainOptions small_run(const fs::path& dir) {
  TrainOptions opt;
  opt.dataset_dir = data::default_dataset_dir();
  opt.out_dir = dir.string();
  opt.model = "tiny";
  opt.train_limit = 1500;
  opt.test_limit = 300;
  opt.dense_epochs = 1;
  opt.finetune_epochs = 3;
  opt.batch_size = 50;
  opt.lr = 0.05;
  opt.calib_images = 128;
  opt.threads = 1;
  opt.int8_eval_images = 100;
  return opt;
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(slurp(p)); }

TEST(TrainPipeline, ResumeAfterInterruptionEqualsAnUninterruptedRun) {
  // Incremental 4x16 global pruning over 3 fine-tune epochs (masks tighten before epochs 1 and 2),
  // with augmentation: the checkpoint must carry weights, momentum, masks, RNG and schedule.
  const fs::path a = fresh_dir("resume_a"), b = fresh_dir("resume_b");
  TrainOptions opt = small_run(a);
  opt.schedule = "incremental";
  opt.block_o = 4;
  opt.block_i = 16;
  opt.selection = "global";
  opt.augment = true;
  const TrainReport full = train_and_export(opt);
  ASSERT_TRUE(full.completed);

  opt.out_dir = b.string();
  opt.stop_after_epochs = 1;  // killed after the dense epoch
  TrainReport r = train_and_export(opt);
  EXPECT_FALSE(r.completed);
  EXPECT_FALSE(fs::exists(b / "model.json")) << "no bundle from an unfinished run";
  EXPECT_TRUE(fs::exists(b / "checkpoint" / "last.pt"));
  EXPECT_TRUE(fs::exists(b / "checkpoint" / "dense.pt"));
  opt.resume = true;  // killed again after fine-tune epoch 1 (between two incremental steps)
  r = train_and_export(opt);
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.resumed_epochs, 1u);
  opt.stop_after_epochs = 0;
  r = train_and_export(opt);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(r.resumed_epochs, 2u);

  EXPECT_EQ(r.sparse_float_accuracy, full.sparse_float_accuracy);
  EXPECT_EQ(r.int8_accuracy, full.int8_accuracy);
  EXPECT_EQ(slurp(a / "model.json"), slurp(b / "model.json"));
  EXPECT_EQ(slurp(a / "weights.safetensors"), slurp(b / "weights.safetensors"));
  const auto sa = read_json(a / "train_summary.json"), sb = read_json(b / "train_summary.json");
  ASSERT_EQ(sa["epochs"].size(), 4u);
  ASSERT_EQ(sb["epochs"].size(), 4u);
  for (size_t e = 0; e < 4; ++e) {
    EXPECT_EQ(sa["epochs"][e]["loss"], sb["epochs"][e]["loss"]) << e;
    EXPECT_EQ(sa["epochs"][e]["sparsity"], sb["epochs"][e]["sparsity"]) << e;
  }
  // Incremental: half the target after step 1, the target from epoch 2 on.
  EXPECT_LT(sa["epochs"][1]["sparsity"].get<double>(), 0.4);
  EXPECT_NEAR(sa["epochs"][2]["sparsity"].get<double>(), 0.5, 0.02);
  EXPECT_EQ(sa["epochs"][2]["sparsity"], sa["epochs"][3]["sparsity"]);
  EXPECT_EQ(sb["resumed_epochs"], 2);

  // A different method cannot resume from this checkpoint: one line naming the option.
  opt.score = "l1";
  try {
    train_and_export(opt);
    ADD_FAILURE() << "resumed with a different score";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("score"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }

  // Fine-tuning from the dense phase of run b gives the same result as the whole run.
  const fs::path c = fresh_dir("resume_c");
  opt.score = "l2";
  opt.resume = false;
  opt.out_dir = c.string();
  opt.dense_from = (b / "checkpoint" / "dense.pt").string();
  r = train_and_export(opt);
  ASSERT_TRUE(r.completed);
  EXPECT_EQ(slurp(a / "weights.safetensors"), slurp(c / "weights.safetensors"));
  for (const auto& d : {a, b, c}) fs::remove_all(d);
}

TEST(TrainPipeline, SummaryRecordsMethodBytesAndInt8) {
  const fs::path dir = fresh_dir("summary");
  TrainOptions opt = small_run(dir);
  opt.finetune_epochs = 1;
  opt.sparsity = 0.75;
  opt.score = "variance";
  opt.calib = "percentile";
  opt.calib_percentile = 99.9;
  opt.checkpoint = false;
  std::vector<std::string> lines;
  opt.progress = [&](const std::string& s) { lines.push_back(s); };
  const TrainReport r = train_and_export(opt);
  ASSERT_TRUE(r.completed);
  EXPECT_FALSE(fs::exists(dir / "checkpoint"));
  EXPECT_GE(r.int8_accuracy, 0.0);
  EXPECT_LE(std::abs(r.int8_accuracy - r.sparse_float_accuracy), 0.1);
  EXPECT_LT(r.weight_bytes_compact, r.weight_bytes_dense);
  bool eta = false;
  for (const auto& l : lines) eta |= l.find("ETA") != std::string::npos;
  EXPECT_TRUE(eta);

  const auto s = read_json(dir / "train_summary.json");
  EXPECT_EQ(s["options"]["score"], "variance");
  EXPECT_EQ(s["options"]["selection"], "row-balanced");
  EXPECT_EQ(s["options"]["schedule"], "one-shot");
  EXPECT_EQ(s["options"]["calib"], "percentile");
  EXPECT_EQ(s["epochs"].size(), 2u);
  EXPECT_EQ(s["int8_eval_images"], 100);
  EXPECT_EQ(s["float_accuracy"].get<double>(), r.sparse_float_accuracy);
  EXPECT_EQ(s["weight_bytes"]["compact_8x8"].get<uint64_t>(), r.weight_bytes_compact);
  // Per layer: conv1 dense; conv3 16x16 in 8x8 blocks at 75% of 2 columns = 1 per row.
  ASSERT_EQ(s["layers"].size(), 4u);
  EXPECT_EQ(s["layers"][0]["zero_blocks"], 0);
  EXPECT_EQ(s["layers"][2]["name"], "conv3");
  EXPECT_EQ(s["layers"][2]["zero_blocks"], 2);
  const ir::Graph g = bundle::read_bundle(dir.string());
  EXPECT_NE(g.provenance.notes.find("score=variance selection=row-balanced schedule=one-shot"), std::string::npos)
      << g.provenance.notes;
  EXPECT_NE(g.provenance.notes.find("calib=percentile:99.9"), std::string::npos) << g.provenance.notes;
  fs::remove_all(dir);
}

TEST(TrainPipeline, BlockShapeReachesTheBundleAndDenseHasNoMasks) {
  const fs::path dir = fresh_dir("shape");
  TrainOptions opt = small_run(dir);
  opt.finetune_epochs = 1;
  opt.block_o = 16;
  opt.block_i = 4;
  opt.int8_eval_images = 0;
  opt.checkpoint = false;
  TrainReport r = train_and_export(opt);
  EXPECT_LT(r.int8_accuracy, 0);  // skipped
  ir::Graph g = bundle::read_bundle(dir.string());
  EXPECT_EQ(g.block_o, 16u);
  EXPECT_EQ(g.block_i, 4u);
  for (const auto& n : g.nodes)
    if (n.sparse) {
      EXPECT_EQ(n.mask.bo, 16u) << n.name;
      EXPECT_EQ(n.mask.bi, 4u) << n.name;
    }
  EXPECT_TRUE(g.nodes[3].sparse);  // conv2 (8 -> 16 channels): 2 block columns of 4
  EXPECT_EQ(g.nodes[3].mask.nnz(), 1u);

  opt.sparsity = 0.0;  // dense: no masks at all
  r = train_and_export(opt);
  EXPECT_EQ(r.achieved_sparsity, 0.0);
  g = bundle::read_bundle(dir.string());
  for (const auto& n : g.nodes) EXPECT_FALSE(n.sparse) << n.name;
  EXPECT_EQ(r.weight_bytes_compact, r.weight_bytes_dense);
  fs::remove_all(dir);
}

TEST(TrainPipeline, MethodOptionErrorsAreOneLine) {
  TrainOptions opt = small_run(fresh_dir("method_err"));
  auto message = [&]() -> std::string {
    try {
      train_and_export(opt);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  opt.score = "l3";
  EXPECT_EQ(message(), "unknown block score 'l3' (supported: l2, l1, variance)");
  opt.score = "l1";
  opt.selection = "per-tensor";
  EXPECT_EQ(message(), "unknown selection 'per-tensor' (supported: row-balanced, global)");
  opt.selection = "global";
  opt.schedule = "gradual";
  EXPECT_EQ(message(), "unknown schedule 'gradual' (supported: one-shot, incremental)");
  opt.schedule = "incremental";
  opt.calib = "mse";
  EXPECT_EQ(message(), "unknown calibration 'mse' (supported: max, percentile)");
  opt.calib = "max";
  opt.sparsity = 0.96;
  EXPECT_NE(message().find("outside [0, 0.95]"), std::string::npos);
  opt.sparsity = 0.5;
  opt.dense_from = "/nonexistent/dense.pt";
  EXPECT_NE(message().find("/nonexistent/dense.pt"), std::string::npos);
  EXPECT_FALSE(fs::exists(opt.out_dir));
}

}  // namespace
}  // namespace saie::trainer
