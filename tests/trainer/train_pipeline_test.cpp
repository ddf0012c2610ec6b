// train_pipeline_test.cpp — end to end: train "tiny" briefly, prune, fine-tune, quantise, export,
// and read the bundle back with the compiler's reader. Also the one-line option errors.
#include "trainer/train_pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "compiler/import/bundle_io.h"
#include "trainer/data/idx.h"

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

  const ir::Graph g = import::read_bundle(dir.string());
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
