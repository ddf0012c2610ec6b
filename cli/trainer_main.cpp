// trainer_main.cpp — sparseaie-trainer: the commands that need LibTorch (train, import, zoo). The
// user types `sparseaie train ...`; sparseaie checks the arguments and hands the command line over
// to this executable (torch_commands.h), so only these commands pay for loading LibTorch.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cli/torch_commands.h"
#include "model/bundle/bundle_io.h"
#include "model/data/idx.h"
#include "model/ir/block_shape.h"
#include "trainer/import/torchscript_import.h"
#include "trainer/train_pipeline.h"
#include "trainer/zoo/model_zoo.h"
#include "util/progress.h"

namespace saie::cli {
namespace {

// "8x8" -> {8, 8}; throws naming the flag on anything else.
std::pair<uint32_t, uint32_t> block_flag(const std::string& s) {
  try {
    const ir::BlockShape b = ir::parse_block_shape(s);
    return {b.bo, b.bi};
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--block ") + e.what());
  }
}

uint32_t parse_positive(const std::string& s, const std::string& what) {
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

// "224,224,3" -> {h, w, c}
std::vector<uint32_t> parse_shape(const std::string& s) {
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

// Writes the bundle and prints what it holds; the command's exit status.
int write_and_report(const ir::Graph& g, const std::string& out, std::chrono::steady_clock::time_point t0) {
  bundle::write_bundle(g, out);
  const double secs = util::seconds_since(t0);
  size_t convs = 0, fcs = 0, sparse = 0;
  uint64_t weights = 0;
  for (const ir::Node& n : g.nodes) {
    if (n.op == ir::OpKind::Conv) ++convs;
    if (n.op == ir::OpKind::Fc) ++fcs;
    if (n.sparse) ++sparse;
    weights += n.weight.size() / n.groups;  // (a grouped conv: each group's own weights)
  }
  const ir::Node& o = g.nodes[static_cast<size_t>(g.output)];
  std::printf("bundle %s: %zu nodes (%zu conv, %zu fc, %zu masked), %llu int8 weights, input %ux%ux%u, output %ux%ux%u (%.1f s)\n",
              out.c_str(), g.nodes.size(), convs, fcs, sparse, static_cast<unsigned long long>(weights), g.input().out.h,
              g.input().out.w, g.input().out.c, o.out.h, o.out.w, o.out.c, secs);
  return 0;
}

}  // namespace

int cmd_train(const TrainArgs& a) {
  trainer::TrainOptions o;
  o.out_dir = a.out_dir;
  o.dataset_dir = a.dataset_dir.empty() ? data::default_dataset_dir() : a.dataset_dir;
  o.model = a.model;
  o.dense_epochs = a.dense_epochs;
  o.finetune_epochs = a.finetune_epochs;
  o.train_limit = a.train_limit;
  o.test_limit = a.test_limit;
  o.sparsity = a.sparsity;
  std::tie(o.block_o, o.block_i) = block_flag(a.block);
  o.score = a.score;
  o.selection = a.selection;
  o.schedule = a.schedule;
  o.calib = a.calib;
  o.calib_percentile = a.calib_percentile;
  o.calib_images = a.calib_images;
  o.augment = a.augment;
  o.lr = a.lr;
  o.finetune_lr = a.finetune_lr;
  o.batch_size = a.batch_size;
  o.seed = a.seed;
  o.threads = a.threads;
  o.checkpoint = a.checkpoint;
  o.checkpoint_dir = a.checkpoint_dir;
  o.resume = a.resume;
  o.dense_from = a.dense_from;
  o.stop_after_epochs = a.stop_after_epochs;
  o.int8_eval_images = a.int8_eval_images;
  o.progress = [](const std::string& line) { util::progress(line); };
  if (a.bench_steps > 0) {
    const trainer::BenchReport b = trainer::bench_masking(o, a.bench_steps);
    fmt::print("model                   : {} ({}x{} blocks, {} score, {}, sparsity {:.2f}), batch {}, {} torch thread(s)\n", o.model,
               o.block_o, o.block_i, o.score, o.selection, o.sparsity > 0 ? o.sparsity : 0.5, o.batch_size, o.threads);
    fmt::print("dense step              : {:.3f} ms (mean of {} steps)\n", b.dense_ms, b.steps);
    fmt::print("masked step             : {:.3f} ms ({:+.1f}% vs dense)\n", b.masked_ms, 100.0 * b.overhead());
    fmt::print("masking operations alone: {:.3f} ms per step ({:.1f}% of a dense step)\n", b.mask_ops_ms, 100.0 * b.mask_ops_share());
    return 0;
  }
  trainer::TrainReport r = trainer::train_and_export(o);
  if (!r.completed) {
    fmt::print("stopped early           : checkpoint kept, run again with --resume\n");
    return 0;
  }
  fmt::print("dense float accuracy    : {:.4f}\n", r.dense_float_accuracy);
  fmt::print("sparse float accuracy   : {:.4f} (sparsity {:.1f}% of the sparsified weights, masks held: {})\n",
             r.sparse_float_accuracy, 100.0 * r.achieved_sparsity, r.masks_held ? "yes" : "NO");
  if (r.int8_accuracy >= 0) fmt::print("int8 reference accuracy : {:.4f}\n", r.int8_accuracy);
  fmt::print("weights (8x8 compacted) : {} B of {} B dense ({:.1f}%)\n", r.weight_bytes_compact, r.weight_bytes_dense,
             r.weight_bytes_dense ? 100.0 * r.weight_bytes_compact / r.weight_bytes_dense : 0.0);
  fmt::print("training time           : {:.1f} s (epochs), {:.1f} s this run\n", r.train_seconds, r.seconds);
  fmt::print("bundle                  : {} (summary {}/train_summary.json)\n", a.out_dir, a.out_dir);
  return r.masks_held ? 0 : 1;
}

int cmd_import(const ImportArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  trainer::ImportOptions o;
  o.model_path = a.model_path;
  const std::vector<uint32_t> s = parse_shape(a.input_shape);
  o.input = ir::Shape{s[0], s[1], s[2]};
  o.sparsity = a.sparsity;
  std::tie(o.block_o, o.block_i) = block_flag(a.block);
  o.calib_images = a.calib_images;
  o.random_calibration = a.random_calib;
  o.seed = a.seed;
  o.dataset_dir = a.dataset_dir;
  o.progress = [](const std::string& line) { util::progress(line); };
  o.sqnr_inputs = a.sqnr_inputs;
  o.threads = a.threads;
  util::progress("importing " + a.model_path + " (input " + a.input_shape + ")");
  const ir::Graph g = trainer::import_torchscript(o);
  util::progress(g.provenance.notes);
  return write_and_report(g, a.out_dir, t0);
}

int cmd_zoo(const ZooArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  trainer::ZooOptions o;
  o.seed = a.seed;
  o.sparsity = a.sparsity;
  std::tie(o.block_o, o.block_i) = block_flag(a.block);
  o.width_div = a.width_div;
  o.input_hw = a.input_hw;
  o.calib_inputs = a.calib_inputs;
  util::progress("building " + a.model + " (seed " + std::to_string(a.seed) + ")");
  return write_and_report(trainer::make_zoo_graph(a.model, o), a.out_dir, t0);
}

}  // namespace saie::cli

namespace {

// LibTorch allocates every layer's activations afresh in each forward pass; with glibc's default
// thresholds the large ones are mmap'ed and unmapped every time and their pages faulted in again.
// Keeping freed memory in the heap (this process is short-lived) makes the calibration's 32
// forwards of VGG-16 at 224x224 take 8.4 s instead of 12.3 s on 2 cores (same bytes out).
void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);           // glibc's largest: blocks below it come from the heap
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());  // never give the heap's top back
  mallopt(M_TOP_PAD, 256 << 20);                 // grow the heap in large steps
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  using namespace saie::cli;
  CLI::App app{"sparseaie-trainer — the LibTorch commands of sparseaie (train, import, zoo); run them as `sparseaie <command>`"};
  app.require_subcommand(1);
  TrainArgs ta;
  ImportArgs ia;
  ZooArgs za;
  add_train_command(app, ta);
  add_import_command(app, ia);
  add_zoo_command(app, za);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (app.got_subcommand("train")) return cmd_train(ta);
    if (app.got_subcommand("import")) return cmd_import(ia);
    if (app.got_subcommand("zoo")) return cmd_zoo(za);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 1;
}
