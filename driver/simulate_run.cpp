// simulate_run.cpp — see simulate_run.h.
#include "driver/simulate_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "driver/child_process.h"
#include "driver/compile_run.h"
#include "driver/exit_codes.h"
#include "util/progress.h"
#include "driver/rtl_compare.h"
#include "driver/sim_inputs.h"
#include "hw/sim/simulate.h"
#include "model/bundle/train_summary.h"
#include "model/reference/reference_executor.h"
#include "traces/readers.h"
#include "traces/sinks.h"
#include "util/file_io.h"

namespace saie::driver {

using util::progress;
using util::seconds_since;

namespace {
std::string dataset_dir_or_default(const std::string& d) { return d.empty() ? data::default_dataset_dir() : d; }
}  // namespace

config::ArrayConfig request_config(const SimulateRequest& r) {
  if (!r.config.empty()) return config::load_config(r.config);
  const std::string own = program_config_path(r.program_path);
  if (!std::filesystem::exists(own))
    throw std::runtime_error("no --config given and no config.json next to " + r.program_path +
                             " (compile writes one): give --config PRESET|FILE");
  return config::load_config(own);
}

void check_input_flags(const SimulateRequest& r) {
  if (r.images_set && r.random_inputs > 0) throw std::runtime_error("--images and --random-inputs cannot be used together");
}

SimOutcome simulate_and_write(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateRequest& a,
                              const std::optional<ir::Graph>& graph, const std::string& label) {
  SimOutcome o;
  // Inputs: seeded random int8 tensors (no labels), or Fashion-MNIST test images (labels).
  const bool random = a.random_inputs > 0;
  const uint32_t n = random ? a.random_inputs : a.images;
  data::Dataset test;
  std::vector<std::vector<int8_t>> inputs;
  if (random) {
    inputs = random_program_inputs(prog.input, n, a.seed);
    progress(label + ": " + std::to_string(n) + " random " + std::to_string(prog.input.h) + "x" + std::to_string(prog.input.w) +
             "x" + std::to_string(prog.input.c) + " inputs (seed " + std::to_string(a.seed) + ", values 0.." +
             std::to_string(random_input_max(prog.input)) + ")");
  } else {
    require_fashion_mnist_input("program", prog.input.h, prog.input.w, prog.input.c);
    test = data::load_fashion_mnist(dataset_dir_or_default(a.dataset_dir), "test", std::max(n, graph ? a.eval_images : 0u));
    if (test.count < n) throw std::runtime_error("only " + std::to_string(test.count) + " test images available");
    for (uint32_t i = 0; i < n; ++i) inputs.push_back(quantize_for_program(prog.input, test, i));
  }
  if (graph) {
    const ir::Shape& gin = graph->input().out;
    if (gin.h != prog.input.h || gin.w != prog.input.w || gin.c != prog.input.c)
      throw std::runtime_error("bundle input is " + std::to_string(gin.h) + "x" + std::to_string(gin.w) + "x" +
                               std::to_string(gin.c) + ", the program's is " + std::to_string(prog.input.h) + "x" +
                               std::to_string(prog.input.w) + "x" + std::to_string(prog.input.c) +
                               ": not the bundle it was compiled from");
  }
  // What `train` recorded next to the bundle (read before any work: a damaged file stops here).
  bundle::TrainAccuracy recorded;  // int8_accuracy -1: none
  if (!random && graph && a.eval_images == 0)
    if (const auto r = bundle::read_train_accuracy(a.bundle_dir)) recorded = *r;
  // The floors `compile` wrote next to the program, when they are for this network and config.
  std::optional<traces::Roofline> roof;
  const std::string roof_path = program_roofline_path(a.program_path);
  if (std::filesystem::exists(roof_path)) {
    traces::Roofline rl = traces::read_roofline(roof_path);
    if (rl.network == prog.name && rl.config == cfg.name)
      roof = std::move(rl);
    else
      progress(label + ": " + roof_path + " is for " + rl.network + " on " + rl.config + ", not this run: no roofline");
  }
  ensure_dir(a.out_dir);  // only once the inputs are known to fit: a refused run writes nothing
  util::write_file_atomic(a.out_dir + "/config.json", config::to_json(cfg));

  traces::TraceRecorder rec;
  rec.record_events = a.trace;
  hw::SimOptions so;
  so.max_cycles = a.max_cycles;
  so.fidelity = a.fidelity == "beat" ? hw::Fidelity::Beat : hw::Fidelity::Lt;
  so.timing_only = a.timing_only;
  so.bank_conflicts = a.bank_conflicts;
  so.rtl = rtl_options_from(a);
  so.progress = [&](uint32_t done, uint32_t total) {
    if (done == total || done % std::max(1u, total / 10) == 0)
      progress(label + ": simulated " + std::to_string(done) + "/" + std::to_string(total) + " images");
  };
  progress(label + ": simulating " + std::to_string(n) + (random ? " random inputs" : " images") + " on " + cfg.name + " (" +
           std::to_string(cfg.columns) + "x" + std::to_string(cfg.core_rows) + ")");
  const auto t0 = std::chrono::steady_clock::now();
  hw::SimResult r = hw::simulate(cfg, prog, inputs, so, rec);
  o.wall_s = seconds_since(t0);
  o.summary = r.summary;
  o.rtl = std::move(r.rtl);
  if (!r.ok) {
    o.exit_code = r.exit_code ? r.exit_code : kError;
    traces::write_summary(o.summary, rec, a.out_dir + "/summary.json");
    if (!r.summary.deadlock_report.empty()) std::fprintf(stderr, "%s\n", r.summary.deadlock_report.c_str());
    std::fprintf(stderr, "error: %s%s\n", a.error_label.c_str(), r.error.c_str());
    return o;
  }

  if (a.timing_only) {  // outputs were not computed: nothing to score or compare
    progress(label + ": timing only: outputs not computed (no accuracy, no bit-exact check)");
  } else if (!random) {  // random inputs have no labels: no accuracy
    int correct = 0;
    for (uint32_t i = 0; i < n; ++i) correct += reference::argmax(r.outputs[i]) == test.labels[i];
    o.accuracy = double(correct) / n;
  }

  if (graph && !a.timing_only) {
    int exact = 0;
    for (uint32_t i = 0; i < n; ++i) exact += reference::run(*graph, inputs[i]) == r.outputs[i];
    o.bit_exact = exact;
    o.compared = static_cast<int>(n);
    o.summary.bit_exact = exact;
    o.summary.compared = o.compared;
    if (!random && a.eval_images > 0) {
      o.ref_accuracy = reference::int8_accuracy(*graph, test, a.eval_images);
      o.ref_images = std::min(a.eval_images, test.count);
    }
  }
  // The whole-test-set figure `train` recorded, when none was asked for here.
  if (o.ref_accuracy < 0 && recorded.int8_accuracy >= 0) {
    o.ref_accuracy = recorded.int8_accuracy;
    o.ref_images = recorded.int8_eval_images;
    o.ref_from_bundle = true;
  }

  traces::write_summary(o.summary, rec, a.out_dir + "/summary.json");
  if (roof) {
    traces::attach_simulated(*roof, o.summary);
    util::write_file_atomic(a.out_dir + "/roofline.json", traces::roofline_json(*roof));
    o.roofline = std::move(roof);
  } else {
    std::error_code ec;  // a roofline.json of an earlier run in this folder would not be this run's
    std::filesystem::remove(a.out_dir + "/roofline.json", ec);
  }
  if (a.write_outputs) write_outputs_file(r.outputs, o.summary, o.wall_s, a.out_dir);
  o.outputs = std::move(r.outputs);
  if (a.trace) {
    traces::write_perfetto(rec, cfg.clock_hz, a.out_dir + "/trace.json", a.bin_cycles);
    traces::write_bandwidth_csv(rec, a.bin_cycles, a.out_dir + "/bandwidth.csv");
    if (a.vcd) {
      traces::write_vcd(rec, cfg.clock_hz, a.vcd_scopes, a.out_dir + "/waves.vcd");
      traces::write_gtkw(rec, a.vcd_scopes, "waves.vcd", a.out_dir + "/waves.gtkw");
    }
  }
  if (graph && !a.timing_only && o.bit_exact != o.compared) o.exit_code = kMismatch;
  return o;
}

int simulate_in_child(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateRequest& r,
                      const std::optional<ir::Graph>& graph, const std::string& label) {
  return run_in_child(label, [&] { return simulate_and_write(cfg, prog, r, graph, label).exit_code; });
}

}  // namespace saie::driver
