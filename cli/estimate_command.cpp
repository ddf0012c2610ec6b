// estimate_command.cpp — `sparseaie estimate` (see estimate_command.h, docs/estimate.md).
#include "util/file_io.h"
#include "cli/estimate_command.h"

#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <stdexcept>
#include <fmt/core.h>

#include "driver/exit_codes.h"
#include "compiler/compile.h"
#include "compiler/estimate/estimate.h"
#include "model/bundle/bundle_io.h"
#include "hw/config/array_config.h"
#include "driver/simulate_run.h"
#include "traces/readers.h"
#include "traces/roofline.h"

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
  c->add_flag("--roofline", a.roofline,
              "per layer and for the network: the compute / DDR / core-ingress floors (docs/roofline.md) next to the "
              "simulated cycles (a timing-only simulation of the compiled program); --json then writes roofline.json");
  c->add_flag("--floors-only", a.floors_only, "with --roofline: the floors alone, no simulation");
}

namespace {

// The compiled program's cycles per layer: one timing-only simulation (one seeded random
// input) in a child process, its outputs in a temporary folder removed afterwards.
void simulate_roofline(const compiler::CompileResult& cr, const config::ArrayConfig& cfg, traces::Roofline& roof) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sparseaie-roofline-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder for the simulation");
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{tmpl};
  SimulateRequest req;
  req.program_path = tmpl + "/program.bin";  // not written: no roofline.json to pick up
  req.out_dir = tmpl + "/sim";
  req.random_inputs = 1;
  req.timing_only = true;
  req.trace = false;
  req.error_label = "roofline simulation: ";
  const int code = simulate_in_child(cfg, cr.program, req, std::nullopt, "roofline");
  if (code != kOk) throw std::runtime_error("the timing-only simulation failed (exit " + std::to_string(code) + ")");
  traces::attach_simulated(roof, traces::read_summary(req.out_dir + "/summary.json").run);
}

}  // namespace

int cmd_estimate(const EstimateArgs& a) {
  const ir::Graph g = bundle::read_bundle(a.bundle_dir);
  const config::ArrayConfig cfg = config::load_config(a.config);
  compiler::CompileOptions opt;
  opt.dense = a.dense;
  const compiler::CompileResult cr = compiler::compile(g, cfg, opt);
  if (a.floors_only && !a.roofline) throw std::runtime_error("--floors-only needs --roofline");
  if (a.roofline) {
    traces::Roofline roof = cr.roofline;
    if (!a.floors_only) simulate_roofline(cr, cfg, roof);
    fmt::print("{}", traces::format_roofline(roof));
    if (!a.json_path.empty()) {
      util::write_file_atomic(a.json_path, traces::roofline_json(roof));
      fmt::print("json                    : {}\n", a.json_path);
    }
    return kOk;
  }
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
