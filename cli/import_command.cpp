// import_command.cpp — `sparseaie import` and `sparseaie zoo` (see import_command.h).
#include "cli/import_command.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "model/bundle/bundle_io.h"
#include "model/ir/block_shape.h"
#ifdef SAIE_WITH_TORCH
#include "trainer/import/torchscript_import.h"
#include "trainer/zoo/model_zoo.h"
#endif

namespace saie::cli {
namespace {

[[maybe_unused]] void progress(const std::string& line) {
  std::fflush(stdout);
  std::fprintf(stderr, "[sparseaie] %s\n", line.c_str());
  std::fflush(stderr);
}

[[maybe_unused]] double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

[[maybe_unused]] uint32_t parse_positive(const std::string& s, const std::string& what) {
  size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v == 0 || v > 65536)
    throw std::runtime_error(what + ": '" + s + "' is not a positive integer");
  return static_cast<uint32_t>(v);
}

// "8x8" -> {8, 8}
[[maybe_unused]] std::pair<uint32_t, uint32_t> parse_block(const std::string& s) {
  try {
    const ir::BlockShape b = ir::parse_block_shape(s);
    return {b.bo, b.bi};
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--block ") + e.what());
  }
}

// "224,224,3" -> {h, w, c}
[[maybe_unused]] std::vector<uint32_t> parse_shape(const std::string& s) {
  std::vector<uint32_t> v;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    v.push_back(parse_positive(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start), "--input-shape"));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (v.size() != 3) throw std::runtime_error("--input-shape '" + s + "' must be H,W,C (e.g. 224,224,3)");
  return v;
}

#ifdef SAIE_WITH_TORCH
void report(const ir::Graph& g, const std::string& out, double secs) {
  size_t convs = 0, fcs = 0, sparse = 0;
  uint64_t weights = 0;
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::Conv) ++convs;
    if (n.op == ir::OpKind::Fc) ++fcs;
    if (n.sparse) ++sparse;
    weights += n.weight.size();
  }
  const ir::Node& o = g.nodes[static_cast<size_t>(g.output)];
  std::printf("bundle %s: %zu nodes (%zu conv, %zu fc, %zu masked), %llu int8 weights, input %ux%ux%u, output %ux%ux%u (%.1f s)\n",
              out.c_str(), g.nodes.size(), convs, fcs, sparse, static_cast<unsigned long long>(weights), g.input().out.h,
              g.input().out.w, g.input().out.c, o.out.h, o.out.w, o.out.c, secs);
}
#endif

}  // namespace

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
}

void add_zoo_command(CLI::App& app, ZooArgs& a) {
  auto* c = app.add_subcommand("zoo", "write a bundle of one of the paper's ImageNet networks (torchvision structure, seeded "
                                      "random weights, pruned and quantised)");
  c->add_option("model", a.model, "inception_v3 (torchvision shape: --input-size 299), resnet50, vgg16 or vgg16_features (conv part only, as the paper times it)")
      ->required()
      ->check(CLI::IsMember({"inception_v3", "resnet50", "vgg16", "vgg16_features"}));
  c->add_option("--out,-o", a.out_dir, "bundle folder to write")->required();
  c->add_option("--sparsity", a.sparsity, "fraction of blocks zeroed per block row (first conv stays dense)")->check(CLI::Range(0.0, 0.95));
  c->add_option("--seed", a.seed, "weight seed");
  c->add_option("--block", a.block, "block shape OUTxIN channels, e.g. 8x8");
  c->add_option("--width-div", a.width_div, "divide every channel count (reduced variants)")->check(CLI::Range(1u, 64u));
  c->add_option("--input-size", a.input_hw, "square input side (224 = torchvision)")->check(CLI::Range(32u, 1024u));
  c->add_option("--calib-inputs", a.calib_inputs, "0: analytic activation scales; N: float calibration on N random inputs")
      ->check(CLI::Range(0u, 64u));
}

#ifdef SAIE_WITH_TORCH

int cmd_import(const ImportArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  trainer::ImportOptions o;
  o.model_path = a.model_path;
  const std::vector<uint32_t> s = parse_shape(a.input_shape);
  o.input = ir::Shape{s[0], s[1], s[2]};
  o.sparsity = a.sparsity;
  std::tie(o.block_o, o.block_i) = parse_block(a.block);
  o.calib_images = a.calib_images;
  o.random_calibration = a.random_calib;
  o.seed = a.seed;
  o.dataset_dir = a.dataset_dir;
  progress("importing " + a.model_path + " (input " + a.input_shape + ")");
  const ir::Graph g = trainer::import_torchscript(o);
  progress(g.provenance.notes);
  bundle::write_bundle(g, a.out_dir);
  report(g, a.out_dir, seconds_since(t0));
  return 0;
}

int cmd_zoo(const ZooArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  trainer::ZooOptions o;
  o.seed = a.seed;
  o.sparsity = a.sparsity;
  std::tie(o.block_o, o.block_i) = parse_block(a.block);
  o.width_div = a.width_div;
  o.input_hw = a.input_hw;
  o.calib_inputs = a.calib_inputs;
  progress("building " + a.model + " (seed " + std::to_string(a.seed) + ")");
  const ir::Graph g = trainer::make_zoo_graph(a.model, o);
  bundle::write_bundle(g, a.out_dir);
  report(g, a.out_dir, seconds_since(t0));
  return 0;
}

#else

int cmd_import(const ImportArgs&) {
  throw std::runtime_error("this sparseaie was built without LibTorch (SAIE_WITH_TORCH=OFF): 'import' is unavailable");
}
int cmd_zoo(const ZooArgs&) {
  throw std::runtime_error("this sparseaie was built without LibTorch (SAIE_WITH_TORCH=OFF): 'zoo' is unavailable");
}

#endif

}  // namespace saie::cli
