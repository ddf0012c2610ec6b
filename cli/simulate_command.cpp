// simulate_command.cpp — `compile`, `simulate` and `run` (see simulate_command.h).
#include "cli/simulate_command.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "driver/exit_codes.h"
#include "driver/rtl_compare.h"
#include "driver/sim_inputs.h"
#include "hw/isa/program_io.h"
#include "model/bundle/bundle_io.h"
#include "traces/readers.h"
#include "util/progress.h"

namespace saie::cli {

using namespace driver;  // exit codes

namespace {

void add_simulate_options(CLI::App* app, driver::SimulateRequest& s, bool with_program) {
  if (with_program)
    app->add_option("program", s.program_path, "program.bin written by `sparseaie compile`")->required()->check(CLI::ExistingFile);
  app->add_option("--outdir,-o", s.out_dir, "output folder (summary.json, config.json, trace.json, bandwidth.csv, waves.vcd)")->required();
  app->add_option("--images,-n", s.images, "number of Fashion-MNIST test images to simulate")->check(CLI::Range(1u, 10000u));
  app->add_option("--random-inputs", s.random_inputs,
                  "simulate N seeded random int8 inputs of the program's input shape instead of Fashion-MNIST images "
                  "(any network; no accuracy, still checked bit for bit against --bundle)")
      ->check(CLI::Range(1u, 10000u));
  app->add_option("--seed", s.seed, "seed of --random-inputs");
  app->add_option("--eval-images", s.eval_images, "also run the int8 reference on this many test images for its accuracy (default 0: the accuracy `train` recorded in the bundle's train_summary.json, if any)")
      ->check(CLI::Range(0u, 10000u));
  app->add_option("--dataset", s.dataset_dir, "folder with the Fashion-MNIST idx .gz files (default: the Debian package's)");
  app->add_flag("--vcd", s.vcd, "also write waves.vcd and waves.gtkw (GTKWave: gtkwave waves.vcd waves.gtkw)");
  app->add_option("--vcd-scope", s.vcd_scopes, "limit the VCD to tracks starting with these prefixes, e.g. array.tile_0_2");
  app->add_option("--max-cycles", s.max_cycles, "stop with exit status 4 after this many simulated cycles (0 = no limit)");
  app->add_option("--bin-cycles", s.bin_cycles, "bandwidth.csv bin width in cycles")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app->add_option("--fidelity", s.fidelity,
                  "stream timing: lt = loosely timed, bulk transfers (default, fast); beat = every 32-bit beat timed "
                  "through the FIFOs (slow; same outputs, cycles within a few percent)")
      ->check(CLI::IsMember({"lt", "beat"}));
  app->add_flag("--timing-only", s.timing_only,
                "skip the compute ops' int8 arithmetic: same cycles and traces, outputs not computed (no accuracy, no "
                "bit-exact check)");
  app->add_flag("--bank-conflicts", s.bank_conflicts,
                "model core data-memory bank conflicts: DMA bytes in banks the running compute op uses take twice as "
                "long (8 contiguous banks)");
  app->add_flag("!--no-trace", s.trace, "do not record slices (no trace.json / bandwidth.csv / waves.vcd; faster)");
}


void print_sim(const driver::SimOutcome& o, const config::ArrayConfig& cfg, const driver::SimulateRequest& a) {
  const auto& s = o.summary;
  double us = s.cycles_per_inference / cfg.clock_hz * 1e6;
  fmt::print("simulated images        : {}\n", s.inferences);
  if (a.random_inputs > 0) fmt::print("inputs                  : random int8 (seed {}), no labels: no accuracy\n", a.seed);
  if (o.ref_accuracy >= 0)
    fmt::print("int8 reference accuracy : {:.4f} ({} test images{})\n", o.ref_accuracy, o.ref_images,
               o.ref_from_bundle ? ", recorded by train in the bundle" : "");
  if (o.accuracy >= 0) fmt::print("simulated accuracy      : {:.4f} ({} test images)\n", o.accuracy, s.inferences);
  if (o.bit_exact >= 0)
    fmt::print("bit-exact vs reference  : {}/{} {}\n", o.bit_exact, o.compared, o.bit_exact == o.compared ? "(all equal)" : "(MISMATCH)");
  fmt::print("cycles per inference    : {} ({:.2f} us at {:.3g} GHz)\n", s.cycles_per_inference, us, cfg.clock_hz / 1e9);
  fmt::print("core compute cycles     : {} per inference, all cores (utilisation {:.1f}%)\n",
             s.inferences ? s.core_compute_cycles / s.inferences : 0, 100.0 * s.core_utilisation);
  if (o.roofline && o.roofline->floor_cycles > 0)
    fmt::print("roofline floor          : {:.0f} cycles ({}-bound); simulated / floor {:.2f} (roofline.json)\n",
               o.roofline->floor_cycles, traces::bound_name(o.roofline->bound),
               double(s.cycles_per_inference) / o.roofline->floor_cycles);
  fmt::print("bytes DDR->mem / mem->DDR / mem->core / core->mem: {} / {} / {} / {}\n", s.bytes_ddr_to_mem,
             s.bytes_mem_to_ddr, s.bytes_mem_to_core, s.bytes_core_to_mem);
  fmt::print("stall cycles (all agents): lock {} / stream data {} / output space {}\n", s.stall_lock_cycles,
             s.stall_data_cycles, s.stall_space_cycles);
  fmt::print("reconfiguration wait    : {} cycles ({:.1f}% of the run; control writes not hidden behind the phase before)\n",
             s.reconfig_cycles, s.total_cycles ? 100.0 * double(s.reconfig_cycles) / double(s.total_cycles) : 0.0);
  if (s.fidelity != "lt" || s.timing_only)
    fmt::print("mode                    : fidelity {}{}\n", s.fidelity, s.timing_only ? ", timing only" : "");
  fmt::print("simulation wall time    : {:.2f} s ({:.2f} M cycles/s)\n", o.wall_s,
             o.wall_s > 0 ? s.total_cycles / o.wall_s / 1e6 : 0.0);
}


void print_layers(const compiler::CompileResult& cr) {
  fmt::print("{:<10} {:<8} {:>12} {:>12} {:>10} {:>8}  {}\n", "layer", "op", "dense MACs", "MACs", "weights B", "meta B", "split");
  for (const auto& l : cr.layers)
    fmt::print("{:<10} {:<8} {:>12} {:>12} {:>10} {:>8}  {}\n", l.name, l.op, l.dense_macs, l.actual_macs, l.weight_bytes,
               l.metadata_bytes, l.split);
}


std::optional<ir::Graph> maybe_bundle(const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  return bundle::read_bundle(dir);
}

}  // namespace

CLI::App* add_compile_command(CLI::App& app, driver::CompileRequest& a) {
  auto* c = app.add_subcommand("compile", "compile a bundle into an AIE2 program (program.bin + program.txt + schedule.txt + "
                                          "config.json + roofline.json)");
  c->add_option("bundle", a.bundle_dir, "bundle folder (model.json + weights.safetensors)")->required()->check(CLI::ExistingDirectory);
  c->add_option("--config,-c", a.config, "array preset name (configs/) or path to a config .json");
  c->add_option("--out,-o", a.out_dir, "output folder")->required();
  c->add_flag("--dense", a.dense, "ignore the block masks: store and compute every block (baseline)");
  c->add_option("--dump-after", a.dump_after,
                "also write the text form of one compiler stage's result to OUT/after-STAGE.txt (stages in order: " +
                    [] {
                      std::string s;
                      for (const std::string& n : compiler::compile_stages()) s += (s.empty() ? "" : ", ") + n;
                      return s;
                    }() +
                    ")")
      ->check(CLI::IsMember(compiler::compile_stages()));
  return c;
}

CLI::App* add_simulate_command(CLI::App& app, driver::SimulateRequest& a) {
  auto* c = app.add_subcommand("simulate", "run a program on the SystemC/TLM-2.0 AIE2 array model");
  add_simulate_options(c, a, true);
  c->add_option("--rtl", a.rtl_blocks,
                  "co-simulation: replace these model blocks by their Verilated RTL (hw/rtl): mac = the core's "
                  "block-MAC datapath, lock = the tile lock unit, stream = the S2MM channels' AXI4-Stream input ports "
                  "(needs --fidelity beat); e.g. --rtl mac,lock")
      ->delimiter(',')
      ->check(CLI::IsMember({"mac", "lock", "stream"}));
  c->add_option("--rtl-tiles", a.rtl_tiles, "compute tiles COL_ROW that get the RTL, e.g. 0_2,1_3 (default: every compute tile)")
      ->delimiter(',');
  c->add_option("--rtl-acc-drain", a.rtl_acc_drain,
                  "RTL MAC sink: cycles out_ready stays low after each 4x8 accumulator taken (a slower accumulator drain; 0 = "
                  "always ready)")
      ->check(CLI::Range(0u, 64u));
  c->add_flag("--rtl-broken", a.rtl_broken,
                "use the deliberately broken RTL variants (a dropped valid, an off-by-one acquire) to see the checks catch them");
  c->add_flag("!--no-rtl-compare", a.rtl_compare,
                "skip the pure-model comparison run (outputs bit for bit, cycles, speed) that --rtl makes by default");
  c->add_option("--config,-c", a.config, "array preset name or config .json (default: the config.json compile wrote next to the "
                                          "program; another one must have the same array geometry)");
  c->add_option("--bundle", a.bundle_dir, "bundle to check the outputs against (integer reference executor)")->check(CLI::ExistingDirectory);
  return c;
}

CLI::App* add_run_command(CLI::App& app, RunArgs& a) {
  auto* c = app.add_subcommand("run", "compile a bundle and simulate it (plus the dense baseline for comparison)");
  c->add_option("bundle", a.compile.bundle_dir, "bundle folder")->required()->check(CLI::ExistingDirectory);
  c->add_option("--config,-c", a.compile.config, "array preset name or config .json");
  add_simulate_options(c, a.simulate, false);
  c->add_flag("!--no-dense-baseline", a.dense_baseline, "skip the dense baseline simulation");
  return c;
}

int cmd_compile(const driver::CompileRequest& a) {
  const config::ArrayConfig cfg = config::load_config(a.config);
  std::string dump_path;
  const compiler::CompileResult cr =
      driver::compile_bundle(bundle::read_bundle(a.bundle_dir), cfg, a.dense, a.dump_after, a.out_dir, &dump_path);
  driver::write_compiled(cr, cfg, a.out_dir);
  print_layers(cr);
  if (!dump_path.empty()) fmt::print("after {:<18}: {}\n", a.dump_after, dump_path);
  fmt::print("program                 : {}/program.bin ({} phases), listing program.txt, schedule schedule.txt\n", a.out_dir,
             cr.program.phases.size());
  fmt::print("roofline floor          : {:.0f} cycles = {:.3f} ms ({}-bound), per layer in roofline.json\n",
             cr.roofline.floor_cycles, cr.roofline.floor_cycles / cfg.clock_hz * 1e3, traces::bound_name(cr.roofline.bound));
  return kOk;
}

int cmd_simulate(const driver::SimulateRequest& a) {
  driver::check_input_flags(a);
  isa::Program prog = isa::read_program_file(a.program_path);
  const config::ArrayConfig cfg = driver::request_config(a);
  auto graph = maybe_bundle(a.bundle_dir);
  const hw::RtlOptions rtl = driver::rtl_options_from(a);  // bad --rtl arguments fail before any work
  if (rtl.enabled()) {
    if (std::string e = hw::rtl_tiles_error(rtl, cfg); !e.empty()) throw std::runtime_error(e);
    if (a.timing_only) throw std::runtime_error("--rtl computes in the RTL: it cannot be combined with --timing-only");
    if (rtl.stream && a.fidelity != "beat")
      throw std::runtime_error("--rtl stream needs --fidelity beat (in lt mode bulk transfers bypass the stream FIFOs)");
  }
  std::optional<driver::PureModelRun> pure;
  if (rtl.enabled() && a.rtl_compare) {
    util::progress("pure model: simulating for the comparison (child process)");
    int code = kOk;
    pure = driver::run_pure_model_child(cfg, prog, a, &code);
    if (code != kOk) return code;
  }
  driver::SimOutcome o = driver::simulate_and_write(cfg, prog, a, graph, "simulate");
  if (o.exit_code == kOk || o.exit_code == kMismatch) print_sim(o, cfg, a);
  if (rtl.enabled() && (o.exit_code == kOk || o.exit_code == kMismatch)) {
    const driver::RtlComparison c = driver::finish_rtl_run(a, cfg, prog, o.summary, o.wall_s, o.outputs, o.rtl, pure);
    fmt::print("{}", driver::format_rtl_comparison(c, a.out_dir));
    if (!c.outputs_match()) {
      std::fprintf(stderr, "error: RTL co-simulation outputs differ from the pure model's\n");
      return kMismatch;
    }
  }
  return o.exit_code;
}

int cmd_run(const RunArgs& a) {
  driver::check_input_flags(a.simulate);
  driver::SimulateRequest sim = a.simulate;
  sim.bundle_dir = a.compile.bundle_dir;  // the bundle both runs are checked against (and its train_summary.json)
  ir::Graph g = bundle::read_bundle(a.compile.bundle_dir);
  if (a.simulate.random_inputs == 0) driver::require_fashion_mnist_input("network", g.input().out.h, g.input().out.w, g.input().out.c);
  const config::ArrayConfig cfg = config::load_config(a.compile.config);
  fmt::print("network                 : {} (float accuracy {:.4f} from the bundle)\n", g.name, g.provenance.float_accuracy);
  util::progress("compiling sparse program");
  auto sparse = driver::compile_bundle(g, cfg, false);
  driver::write_compiled(sparse, cfg, a.simulate.out_dir + "/program");
  print_layers(sparse);

  // The dense baseline runs in a child process: SystemC allows one simulation per process.
  uint64_t dense_cycles = 0, dense_compute = 0;
  if (a.dense_baseline) {
    util::progress("compiling dense baseline program");
    auto dense = driver::compile_bundle(g, cfg, true);
    driver::write_compiled(dense, cfg, a.simulate.out_dir + "/dense/program");
    driver::SimulateRequest d = sim;
    d.out_dir = a.simulate.out_dir + "/dense";
    d.eval_images = 0;
    const int code = driver::simulate_in_child(cfg, dense.program, d, g, "dense baseline");
    if (code != kOk) {
      std::fprintf(stderr, "error: dense baseline simulation failed (exit %d)\n", code);
      return code;
    }
    const traces::RunSummary ds = traces::read_summary(a.simulate.out_dir + "/dense/summary.json").run;
    dense_cycles = ds.cycles_per_inference;
    dense_compute = ds.core_compute_cycles / std::max<uint64_t>(1, ds.inferences);
  }

  driver::SimOutcome o = driver::simulate_and_write(cfg, sparse.program, sim, g, "sparse");
  if (o.exit_code != kOk && o.exit_code != kMismatch) return o.exit_code;
  fmt::print("\n== {} on {} ==\n", g.name, cfg.name);
  fmt::print("float accuracy          : {:.4f} (trainer, full test set)\n", g.provenance.float_accuracy);
  print_sim(o, cfg, a.simulate);
  if (a.dense_baseline) {
    const auto& s = o.summary;
    const uint64_t sparse_compute = s.inferences ? s.core_compute_cycles / s.inferences : 0;
    fmt::print("dense  cycles/inference : {:>8}   core compute cycles/inference {:>8}\n", dense_cycles, dense_compute);
    fmt::print("sparse cycles/inference : {:>8}   core compute cycles/inference {:>8}\n", s.cycles_per_inference,
               sparse_compute);
    fmt::print("speedup (end to end)    : {:.2f}x   (core compute) {:.2f}x\n",
               s.cycles_per_inference ? double(dense_cycles) / s.cycles_per_inference : 0.0,
               sparse_compute ? double(dense_compute) / sparse_compute : 0.0);
  }
  fmt::print("outputs                 : {}/ (summary.json config.json trace.json bandwidth.csv{})\n", a.simulate.out_dir,
             a.simulate.vcd ? " waves.vcd waves.gtkw" : "");
  return o.exit_code;
}

}  // namespace saie::cli
