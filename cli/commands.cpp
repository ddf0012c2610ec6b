// commands.cpp — the driver's subcommands: wiring of trainer, compiler, simulator and sinks.
#include "util/file_io.h"
#include "cli/commands.h"
#include "cli/rtl_output.h"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <tuple>
#include <stdexcept>

#include "compiler/compile.h"
#include "model/ir/block_shape.h"
#include "model/bundle/bundle_io.h"
#include "model/reference/reference_executor.h"
#include "hw/config/array_config.h"
#include "hw/isa/program_io.h"
#include "hw/sim/simulate.h"
#include "traces/sinks.h"
#include "model/data/idx.h"
#ifdef SAIE_WITH_TORCH
#include "trainer/train_pipeline.h"
#endif

namespace fs = std::filesystem;

namespace saie::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void progress(const std::string& line) {
  std::fflush(stdout);  // keep results (stdout) and progress (stderr) in order on a terminal
  std::fprintf(stderr, "[sparseaie] %s\n", line.c_str());
  std::fflush(stderr);
}

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create folder '{}': {}", dir, ec.message()));
}

std::string dataset_dir_or_default(const std::string& d) { return d.empty() ? data::default_dataset_dir() : d; }

// The program's input port says how the host quantises a 0..255 image: q = round(pixel/255/scale).
// (Same formula as reference::quantize_image, which needs the graph; the program carries the scale.)
std::vector<int8_t> quantize_for_program(const isa::Program& p, const data::Dataset& ds, uint32_t i) {
  const auto& in = p.input;
  if (in.h != ds.rows || in.w != ds.cols || in.c != 1)
    throw std::runtime_error(fmt::format("program input is {}x{}x{}, the dataset has {}x{}x1 images (use --random-inputs N)", in.h,
                                         in.w, in.c, ds.rows, ds.cols));
  std::vector<int8_t> t(size_t{in.h} * in.w);
  const uint8_t* px = ds.image(i);
  for (size_t k = 0; k < t.size(); ++k) {
    double q = std::nearbyint((px[k] / 255.0) / in.scale);
    t[k] = static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
  }
  return t;
}

// The largest int8 value a quantised 0..1 pixel can take: round(1/scale), clamped to 0..127.
int random_input_max(const isa::TensorPort& in) {
  const double q = in.scale > 0 ? std::nearbyint(1.0 / in.scale) : 127.0;
  return static_cast<int>(std::clamp(q, 0.0, 127.0));
}

// n seeded random inputs in simulate()'s layout (HWC, logical channels: h*w*c values), each
// uniform in 0..random_input_max. Platform independent: mt19937_64 is fully specified and the
// mapping to 0..hi is our own (the high 32 bits times hi+1, shifted: no library distribution).
std::vector<std::vector<int8_t>> random_program_inputs(const isa::TensorPort& in, uint32_t n, uint64_t seed) {
  const uint64_t span = static_cast<uint64_t>(random_input_max(in)) + 1;
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int8_t>> inputs(n, std::vector<int8_t>(size_t{in.h} * in.w * in.c));
  for (auto& t : inputs)
    for (auto& v : t) v = static_cast<int8_t>(((rng() >> 32) * span) >> 32);
  return inputs;
}

// The Fashion-MNIST path only fits programs whose input is one 28x28 grey image.
void require_fashion_mnist_input(const char* what, uint32_t h, uint32_t w, uint32_t c) {
  if (h != 28 || w != 28 || c != 1)
    throw std::runtime_error(fmt::format("{} input is {}x{}x{}, not a 28x28x1 Fashion-MNIST image: use --random-inputs N", what, h, w, c));
}

void check_input_flags(const SimulateArgs& a) {
  if (a.images_set && a.random_inputs > 0) throw std::runtime_error("--images and --random-inputs cannot be used together");
}

struct SimOutcome {
  int exit_code = kOk;
  traces::RunSummary summary;
  double accuracy = -1;      // simulated outputs vs labels
  double ref_accuracy = -1;  // reference executor on eval_images
  int bit_exact = -1, compared = 0;
  double wall_s = 0;
  std::vector<std::vector<int8_t>> outputs;  // per inference
  hw::RtlReport rtl;                         // co-simulation only
};

// Simulates `images` test images, compares with the reference (if a bundle is given), writes
// every output file into a.out_dir. One call per process (SystemC: one elaboration).
SimOutcome simulate_and_write(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateArgs& a,
                              const std::optional<ir::Graph>& graph, const std::string& label) {
  SimOutcome o;
  // Inputs: seeded random int8 tensors (no labels), or Fashion-MNIST test images (labels).
  const bool random = a.random_inputs > 0;
  const uint32_t n = random ? a.random_inputs : a.images;
  data::Dataset test;
  std::vector<std::vector<int8_t>> inputs;
  if (random) {
    inputs = random_program_inputs(prog.input, n, a.seed);
    progress(fmt::format("{}: {} random {}x{}x{} inputs (seed {}, values 0..{})", label, n, prog.input.h, prog.input.w, prog.input.c,
                         a.seed, random_input_max(prog.input)));
  } else {
    require_fashion_mnist_input("program", prog.input.h, prog.input.w, prog.input.c);
    test = data::load_fashion_mnist(dataset_dir_or_default(a.dataset_dir), "test", std::max(n, graph ? a.eval_images : 0u));
    if (test.count < n) throw std::runtime_error(fmt::format("only {} test images available", test.count));
    for (uint32_t i = 0; i < n; ++i) inputs.push_back(quantize_for_program(prog, test, i));
  }
  if (graph) {
    const ir::Shape& gin = graph->input().out;
    if (gin.h != prog.input.h || gin.w != prog.input.w || gin.c != prog.input.c)
      throw std::runtime_error(fmt::format("bundle input is {}x{}x{}, the program's is {}x{}x{}: not the bundle it was compiled from",
                                           gin.h, gin.w, gin.c, prog.input.h, prog.input.w, prog.input.c));
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
    if (done == total || done % std::max(1u, total / 10) == 0) progress(fmt::format("{}: simulated {}/{} images", label, done, total));
  };
  progress(fmt::format("{}: simulating {} {} on {} ({}x{})", label, n, random ? "random inputs" : "images", cfg.name, cfg.columns,
                       cfg.core_rows));
  auto t0 = std::chrono::steady_clock::now();
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
    progress(fmt::format("{}: timing only: outputs not computed (no accuracy, no bit-exact check)", label));
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
      int ok = 0;
      for (uint32_t i = 0; i < a.eval_images; ++i)
        ok += reference::argmax(reference::run(*graph, reference::quantize_image(*graph, test.image(i)))) == test.labels[i];
      o.ref_accuracy = double(ok) / a.eval_images;
    }
  }

  traces::write_summary(o.summary, rec, a.out_dir + "/summary.json");
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

void print_sim(const SimOutcome& o, const config::ArrayConfig& cfg, const SimulateArgs& a) {
  const auto& s = o.summary;
  double us = s.cycles_per_inference / cfg.clock_hz * 1e6;
  fmt::print("simulated images        : {}\n", s.inferences);
  if (a.random_inputs > 0) fmt::print("inputs                  : random int8 (seed {}), no labels: no accuracy\n", a.seed);
  if (o.ref_accuracy >= 0) fmt::print("int8 reference accuracy : {:.4f} ({} test images)\n", o.ref_accuracy, a.eval_images);
  if (o.accuracy >= 0) fmt::print("simulated accuracy      : {:.4f} ({} test images)\n", o.accuracy, s.inferences);
  if (o.bit_exact >= 0)
    fmt::print("bit-exact vs reference  : {}/{} {}\n", o.bit_exact, o.compared, o.bit_exact == o.compared ? "(all equal)" : "(MISMATCH)");
  fmt::print("cycles per inference    : {} ({:.2f} us at {:.3g} GHz)\n", s.cycles_per_inference, us, cfg.clock_hz / 1e9);
  fmt::print("core compute cycles     : {} per inference, all cores (utilisation {:.1f}%)\n",
             s.inferences ? s.core_compute_cycles / s.inferences : 0, 100.0 * s.core_utilisation);
  fmt::print("bytes DDR->mem / mem->DDR / mem->core / core->mem: {} / {} / {} / {}\n", s.bytes_ddr_to_mem,
             s.bytes_mem_to_ddr, s.bytes_mem_to_core, s.bytes_core_to_mem);
  fmt::print("stall cycles (all agents): lock {} / stream data {} / output space {}\n", s.stall_lock_cycles,
             s.stall_data_cycles, s.stall_space_cycles);
  if (s.fidelity != "lt" || s.timing_only)
    fmt::print("mode                    : fidelity {}{}\n", s.fidelity, s.timing_only ? ", timing only" : "");
  fmt::print("simulation wall time    : {:.2f} s ({:.2f} M cycles/s)\n", o.wall_s,
             o.wall_s > 0 ? s.total_cycles / o.wall_s / 1e6 : 0.0);
}

std::optional<ir::Graph> maybe_bundle(const std::string& dir) {
  if (dir.empty()) return std::nullopt;
  return bundle::read_bundle(dir);
}

compiler::CompileResult compile_bundle(const ir::Graph& g, const config::ArrayConfig& cfg, bool dense) {
  compiler::CompileOptions opt;
  opt.dense = dense;
  return compiler::compile(g, cfg, opt);
}

void write_compiled(const compiler::CompileResult& cr, const config::ArrayConfig& cfg, const std::string& dir) {
  ensure_dir(dir);
  isa::write_program_file(cr.program, dir + "/program.bin");
  util::write_file_atomic(dir + "/program.txt", isa::listing(cr.program));
  util::write_file_atomic(dir + "/schedule.txt", cr.schedule_listing);
  util::write_file_atomic(dir + "/config.json", config::to_json(cfg));
}

void print_layers(const compiler::CompileResult& cr) {
  fmt::print("{:<10} {:<8} {:>12} {:>12} {:>10} {:>8}  {}\n", "layer", "op", "dense MACs", "MACs", "weights B", "meta B", "split");
  for (const auto& l : cr.layers)
    fmt::print("{:<10} {:<8} {:>12} {:>12} {:>10} {:>8}  {}\n", l.name, l.op, l.dense_macs, l.actual_macs, l.weight_bytes,
               l.metadata_bytes, l.split);
}

}  // namespace

namespace {
// "8x8" -> {8, 8}; throws naming the flag on anything else.
[[maybe_unused]] std::pair<uint32_t, uint32_t> parse_block_flag(const std::string& s) {
  try {
    const ir::BlockShape b = ir::parse_block_shape(s);
    return {b.bo, b.bi};
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("--block ") + e.what());
  }
}
}  // namespace

int cmd_train(const TrainArgs& a) {
#ifdef SAIE_WITH_TORCH
  trainer::TrainOptions o;
  o.out_dir = a.out_dir;
  o.dataset_dir = dataset_dir_or_default(a.dataset_dir);
  o.model = a.model;
  o.dense_epochs = a.dense_epochs;
  o.finetune_epochs = a.finetune_epochs;
  o.train_limit = a.train_limit;
  o.test_limit = a.test_limit;
  o.sparsity = a.sparsity;
  std::tie(o.block_o, o.block_i) = parse_block_flag(a.block);
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
  o.progress = progress;
  if (a.bench_steps > 0) {
    const trainer::BenchReport b = trainer::bench_masking(o, a.bench_steps);
    fmt::print("model                   : {} ({}x{} blocks, {} score, {}, sparsity {:.2f}), batch {}, {} torch thread(s)\n", o.model,
               o.block_o, o.block_i, o.score, o.selection, o.sparsity > 0 ? o.sparsity : 0.5, o.batch_size, o.threads);
    fmt::print("dense step              : {:.3f} ms (mean of {} steps)\n", b.dense_ms, b.steps);
    fmt::print("masked step             : {:.3f} ms ({:+.1f}% vs dense)\n", b.masked_ms, 100.0 * b.overhead());
    fmt::print("masking operations alone: {:.3f} ms per step ({:.1f}% of a dense step)\n", b.mask_ops_ms, 100.0 * b.mask_ops_share());
    return kOk;
  }
  trainer::TrainReport r = trainer::train_and_export(o);
  if (!r.completed) {
    fmt::print("stopped early           : checkpoint kept, run again with --resume\n");
    return kOk;
  }
  fmt::print("dense float accuracy    : {:.4f}\n", r.dense_float_accuracy);
  fmt::print("sparse float accuracy   : {:.4f} (sparsity {:.1f}% of the sparsified weights, masks held: {})\n",
             r.sparse_float_accuracy, 100.0 * r.achieved_sparsity, r.masks_held ? "yes" : "NO");
  if (r.int8_accuracy >= 0) fmt::print("int8 reference accuracy : {:.4f}\n", r.int8_accuracy);
  fmt::print("weights (8x8 compacted) : {} B of {} B dense ({:.1f}%)\n", r.weight_bytes_compact, r.weight_bytes_dense,
             r.weight_bytes_dense ? 100.0 * r.weight_bytes_compact / r.weight_bytes_dense : 0.0);
  fmt::print("training time           : {:.1f} s (epochs), {:.1f} s this run\n", r.train_seconds, r.seconds);
  fmt::print("bundle                  : {} (summary {}/train_summary.json)\n", a.out_dir, a.out_dir);
  return r.masks_held ? kOk : kError;
#else
  (void)a;
  throw std::runtime_error("this sparseaie was built without LibTorch (SAIE_WITH_TORCH=OFF): 'train' is unavailable");
#endif
}

int cmd_compile(const CompileArgs& a) {
  ir::Graph g = bundle::read_bundle(a.bundle_dir);
  config::ArrayConfig cfg = config::load_config(a.config);
  auto cr = compile_bundle(g, cfg, a.dense);
  write_compiled(cr, cfg, a.out_dir);
  print_layers(cr);
  fmt::print("program                 : {}/program.bin ({} phases), listing program.txt, schedule schedule.txt\n", a.out_dir,
             cr.program.phases.size());
  return kOk;
}

// Runs simulate_and_write(cfg, prog, d, graph, label) in a child process (SystemC allows one
// simulation per process) and returns its exit status; an exception there is its error line.
static int simulate_in_child(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateArgs& d,
                      const std::optional<ir::Graph>& graph, const std::string& label) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed for the " + label + " simulation");
  if (pid == 0) {
    int code = kError;
    try {
      code = simulate_and_write(cfg, prog, d, graph, label).exit_code;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s: %s\n", label.c_str(), e.what());
    }
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : kError;
}

// The pure-model half of a co-simulation: the same run without RTL, in a child process (SystemC
// allows one simulation per process), into a.out_dir/pure_model. Returns its results; *code is
// its exit status (not kOk: it failed and printed why, e.g. --max-cycles exceeded).
static PureModelRun run_pure_model_child(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateArgs& a,
                                         int* code) {
  SimulateArgs d = a;
  d.rtl_blocks.clear();
  d.rtl_tiles.clear();
  d.rtl_broken = false;
  d.rtl_acc_drain = 0;
  d.out_dir = a.out_dir + "/pure_model";
  d.trace = false;
  d.vcd = false;
  d.eval_images = 0;
  d.write_outputs = true;
  d.error_label = "pure model (the --rtl comparison run): ";
  *code = simulate_in_child(cfg, prog, d, std::nullopt, "pure model");
  if (*code != kOk) return {};  // the child printed its error line
  return read_pure_model_run(d.out_dir);
}

int cmd_simulate(const SimulateArgs& a) {
  check_input_flags(a);
  isa::Program prog = isa::read_program_file(a.program_path);
  config::ArrayConfig cfg = config::load_config(a.config);
  auto graph = maybe_bundle(a.bundle_dir);
  const hw::RtlOptions rtl = rtl_options_from(a);  // bad --rtl arguments fail before any work
  if (rtl.enabled()) {
    if (std::string e = hw::rtl_tiles_error(rtl, cfg); !e.empty()) throw std::runtime_error(e);
    if (a.timing_only) throw std::runtime_error("--rtl computes in the RTL: it cannot be combined with --timing-only");
    if (rtl.stream && a.fidelity != "beat")
      throw std::runtime_error("--rtl stream needs --fidelity beat (in lt mode bulk transfers bypass the stream FIFOs)");
  }
  std::optional<PureModelRun> pure;
  if (rtl.enabled() && a.rtl_compare) {
    progress("pure model: simulating for the comparison (child process)");
    int code = kOk;
    pure = run_pure_model_child(cfg, prog, a, &code);
    if (code != kOk) return code;
  }
  SimOutcome o = simulate_and_write(cfg, prog, a, graph, "simulate");
  if (o.exit_code == kOk || o.exit_code == kMismatch) print_sim(o, cfg, a);
  if (rtl.enabled() && (o.exit_code == kOk || o.exit_code == kMismatch)) {
    const int code = finish_rtl_run(a, cfg, prog, o.summary, o.wall_s, o.outputs, o.rtl, pure);
    if (code != kOk) {
      std::fprintf(stderr, "error: RTL co-simulation outputs differ from the pure model's\n");
      return code;
    }
  }
  return o.exit_code;
}

int cmd_run(const RunArgs& a) {
  check_input_flags(a.simulate);
  ir::Graph g = bundle::read_bundle(a.compile.bundle_dir);
  if (a.simulate.random_inputs == 0) require_fashion_mnist_input("network", g.input().out.h, g.input().out.w, g.input().out.c);
  config::ArrayConfig cfg = config::load_config(a.compile.config);
  fmt::print("network                 : {} (float accuracy {:.4f} from the bundle)\n", g.name, g.provenance.float_accuracy);
  progress("compiling sparse program");
  auto sparse = compile_bundle(g, cfg, false);
  write_compiled(sparse, cfg, a.simulate.out_dir + "/program");
  print_layers(sparse);

  // The dense baseline runs in a child process: SystemC allows one simulation per process.
  std::optional<traces::RunSummary> dense_summary;
  uint64_t dense_cycles = 0, dense_compute = 0;
  if (a.dense_baseline) {
    progress("compiling dense baseline program");
    auto dense = compile_bundle(g, cfg, true);
    write_compiled(dense, cfg, a.simulate.out_dir + "/dense/program");
    SimulateArgs d = a.simulate;
    d.out_dir = a.simulate.out_dir + "/dense";
    d.eval_images = 0;
    const int code = simulate_in_child(cfg, dense.program, d, g, "dense baseline");
    if (code != kOk) {
      std::fprintf(stderr, "error: dense baseline simulation failed (exit %d)\n", code);
      return code;
    }
    std::ifstream in(a.simulate.out_dir + "/dense/summary.json");
    nlohmann::json j = nlohmann::json::parse(in);
    dense_cycles = j.at("cycles_per_inference").get<uint64_t>();
    dense_compute = j.at("core_compute_cycles").get<uint64_t>() / std::max<uint64_t>(1, j.at("inferences").get<uint64_t>());
  }

  SimOutcome o = simulate_and_write(cfg, sparse.program, a.simulate, g, "sparse");
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
             a.simulate.vcd ? " waves.vcd" : "");
  return o.exit_code;
}

}  // namespace saie::cli
