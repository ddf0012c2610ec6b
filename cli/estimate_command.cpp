// estimate_command.cpp — `sparseaie estimate` (see estimate_command.h, docs/estimate.md).
#include "util/file_io.h"
#include "cli/estimate_command.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "driver/exit_codes.h"
#include "compiler/compile.h"
#include "compiler/estimate/estimate.h"
#include "model/bundle/bundle_io.h"
#include "hw/config/array_config.h"
#include "traces/sinks.h"

namespace saie::cli {

using namespace driver;  // exit codes

void add_estimate_command(CLI::App& app, EstimateArgs& a) {
  auto* c = app.add_subcommand("estimate", "the paper's analytical time model (bytes / channel bandwidth, MACs / 256 x clock, "
                                           "per-iteration max rule) over the compiled schedule, per phase and in total");
  c->add_option("bundle", a.bundle_dir, "bundle folder (model.json + weights.safetensors)")->required()->check(CLI::ExistingDirectory);
  c->add_option("--config,-c", a.config, "array preset name (configs/) or path to a config .json");
  c->add_flag("--dense", a.dense, "ignore the block masks: store and compute every block (baseline)");
  c->add_option("--json", a.json_path, "also write the table and totals as JSON to this file");
  c->add_flag("--mute-compute", a.mute_compute, "set every COMP term to 0 (communication only, as the paper's estimator can)");
}

int cmd_estimate(const EstimateArgs& a) {
  const ir::Graph g = bundle::read_bundle(a.bundle_dir);
  const config::ArrayConfig cfg = config::load_config(a.config);
  compiler::CompileOptions opt;
  opt.dense = a.dense;
  const compiler::CompileResult cr = compiler::compile(g, cfg, opt);
  const estimate::Estimate e = estimate::estimate(cr.traffic, cfg, a.mute_compute);
  fmt::print("analytical estimate (paper sec. 4.6) of {} on {}{}{}\n", a.bundle_dir, cfg.name, a.dense ? ", dense" : ", sparse",
             a.mute_compute ? ", compute muted" : "");
  fmt::print("{}", estimate::format_table(e));
  if (!a.json_path.empty()) {
    util::write_file_atomic(a.json_path, estimate::to_json(e, cfg.name, a.dense, a.mute_compute));
    fmt::print("json                    : {}\n", a.json_path);
  }
  return kOk;
}

}  // namespace saie::cli
