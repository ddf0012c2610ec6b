// main.cpp — the sparseaie driver: argument parsing only (CLI11); commands live in commands.cpp.
//
// libsystemc.so defines main() and wants an sc_main (build-notes pitfall 2). We define our own
// main() so the SystemC banner is off before the library prints it (SYSTEMC_DISABLE_COPYRIGHT_
// MESSAGE; a user's own setting wins), and an sc_main for the link.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "cli/check_timing_command.h"
#include "cli/commands.h"
#include "cli/estimate_command.h"
#include "cli/import_command.h"
#include "cli/report_command.h"
#include "cli/sweep_command.h"

namespace {

void add_simulate_options(CLI::App* app, saie::cli::SimulateArgs& s, bool with_program) {
  if (with_program)
    app->add_option("program", s.program_path, "program.bin written by `sparseaie compile`")->required()->check(CLI::ExistingFile);
  app->add_option("--outdir,-o", s.out_dir, "output folder (summary.json, config.json, trace.json, bandwidth.csv, waves.vcd)")->required();
  app->add_option("--images,-n", s.images, "number of Fashion-MNIST test images to simulate")->check(CLI::Range(1u, 10000u));
  app->add_option("--random-inputs", s.random_inputs,
                  "simulate N seeded random int8 inputs of the program's input shape instead of Fashion-MNIST images "
                  "(any network; no accuracy, still checked bit for bit against --bundle)")
      ->check(CLI::Range(1u, 10000u));
  app->add_option("--seed", s.seed, "seed of --random-inputs");
  app->add_option("--eval-images", s.eval_images, "test images for the int8 reference accuracy (0 = skip)")->check(CLI::Range(0u, 10000u));
  app->add_option("--dataset", s.dataset_dir, "folder with the Fashion-MNIST idx .gz files (default: the Debian package's)");
  app->add_flag("--vcd", s.vcd, "also write waves.vcd (GTKWave)");
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

}  // namespace

static int run_driver(int argc, char** argv) {
  using namespace saie::cli;
  CLI::App app{"sparseaie — weight block sparsity from LibTorch training to a simulated AMD AIE2 array"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sparseaie 0.1.0");

  TrainArgs ta;
  auto* train = app.add_subcommand("train", "train a CNN on Fashion-MNIST, prune to block sparsity, quantise to int8, export a bundle");
  train->add_option("--out,-o", ta.out_dir, "bundle folder to write (model.json + weights.safetensors)")->required();
  train->add_option("--model", ta.model, "model: small-resnet (demo), resnet-s (BatchNorm, 32-64 channels), vgg-s (VGG-style) or tiny")
      ->check(CLI::IsMember({"small-resnet", "resnet-s", "vgg-s", "tiny"}));
  train->add_option("--dataset", ta.dataset_dir, "folder with the Fashion-MNIST idx .gz files");
  train->add_option("--dense-epochs", ta.dense_epochs, "dense training epochs");
  train->add_option("--finetune-epochs", ta.finetune_epochs, "fine-tuning epochs with the block masks held");
  train->add_option("--train-limit", ta.train_limit, "use only the first N training images (0 = all 60000)");
  train->add_option("--test-limit", ta.test_limit, "evaluate on the first N test images (0 = all 10000)");
  train->add_option("--sparsity", ta.sparsity, "target fraction of blocks zeroed (0 = dense, no masks)")->check(CLI::Range(0.0, 0.95));
  train->add_option("--block", ta.block, "block shape BOxBI (output x input channels, whole kernel): 8x8, 1x1, 4x16, 16x4, ...");
  train->add_option("--score", ta.score, "block score")->check(CLI::IsMember({"l2", "l1", "variance"}));
  train->add_option("--selection", ta.selection, "row-balanced: every block row loses the same share; global: rank all blocks of a layer")
      ->check(CLI::IsMember({"row-balanced", "global"}));
  train->add_option("--schedule", ta.schedule, "one-shot: prune to the target, then fine-tune; incremental: tighten the masks every fine-tune epoch up to the last-but-one")
      ->check(CLI::IsMember({"one-shot", "incremental"}));
  train->add_option("--calib", ta.calib, "int8 activation calibration: max or percentile")->check(CLI::IsMember({"max", "percentile"}));
  train->add_option("--calib-percentile", ta.calib_percentile, "percentile of |activation| for --calib percentile")->check(CLI::Range(50.0, 100.0));
  train->add_option("--calib-images", ta.calib_images, "training images used for calibration")->check(CLI::Range(1u, 60000u));
  train->add_flag("--augment", ta.augment, "random crop (pad 2) + horizontal flip while training");
  train->add_option("--lr", ta.lr, "SGD learning rate")->check(CLI::PositiveNumber);
  train->add_option("--finetune-lr", ta.finetune_lr, "fine-tune learning rate (0 = --lr)")->check(CLI::NonNegativeNumber);
  train->add_option("--batch-size", ta.batch_size, "mini-batch size")->check(CLI::Range(1u, 4096u));
  train->add_option("--seed", ta.seed, "random seed");
  train->add_option("--threads", ta.threads, "LibTorch threads")->check(CLI::Range(1, 64));
  train->add_flag("!--no-checkpoint", ta.checkpoint, "do not write a checkpoint after every epoch");
  train->add_option("--checkpoint-dir", ta.checkpoint_dir, "checkpoint folder (default <out>/checkpoint)");
  train->add_flag("--resume", ta.resume, "continue from the last completed epoch in the checkpoint folder");
  train->add_option("--dense-from", ta.dense_from, "dense.pt of an earlier run with the same dense options: skip dense training")
      ->check(CLI::ExistingFile);
  train->add_option("--stop-after-epochs", ta.stop_after_epochs, "stop (as if killed) after N epochs, for testing --resume");
  train->add_option("--int8-eval-images", ta.int8_eval_images, "test images for the int8 reference accuracy (-1 = all loaded, 0 = skip)")
      ->check(CLI::Range(int64_t{-1}, int64_t{10000}));
  train->add_option("--bench-steps", ta.bench_steps, "only benchmark: time N dense vs N masked SGD steps, no training");

  CompileArgs ca;
  auto* comp = app.add_subcommand("compile", "compile a bundle into an AIE2 program (program.bin + program.txt + schedule.txt)");
  comp->add_option("bundle", ca.bundle_dir, "bundle folder (model.json + weights.safetensors)")->required()->check(CLI::ExistingDirectory);
  comp->add_option("--config,-c", ca.config, "array preset name (configs/) or path to a config .json");
  comp->add_option("--out,-o", ca.out_dir, "output folder")->required();
  comp->add_flag("--dense", ca.dense, "ignore the block masks: store and compute every block (baseline)");

  SimulateArgs sa;
  auto* sim = app.add_subcommand("simulate", "run a program on the SystemC/TLM-2.0 AIE2 array model");
  add_simulate_options(sim, sa, true);
  sim->add_option("--rtl", sa.rtl_blocks,
                  "co-simulation: replace these model blocks by their Verilated RTL (hw/rtl): mac = the core's "
                  "block-MAC datapath, lock = the tile lock unit, stream = the S2MM channels' AXI4-Stream input ports "
                  "(needs --fidelity beat); e.g. --rtl mac,lock")
      ->delimiter(',')
      ->check(CLI::IsMember({"mac", "lock", "stream"}));
  sim->add_option("--rtl-tiles", sa.rtl_tiles, "compute tiles COL_ROW that get the RTL, e.g. 0_2,1_3 (default: every compute tile)")
      ->delimiter(',');
  sim->add_option("--rtl-acc-drain", sa.rtl_acc_drain,
                  "RTL MAC sink: cycles out_ready stays low after each 4x8 accumulator taken (a slower accumulator drain; 0 = "
                  "always ready)")
      ->check(CLI::Range(0u, 64u));
  sim->add_flag("--rtl-broken", sa.rtl_broken,
                "use the deliberately broken RTL variants (a dropped valid, an off-by-one acquire) to see the checks catch them");
  sim->add_flag("!--no-rtl-compare", sa.rtl_compare,
                "skip the pure-model comparison run (outputs bit for bit, cycles, speed) that --rtl makes by default");
  sim->add_option("--config,-c", sa.config, "array preset name or config .json (must match the compile config)");
  sim->add_option("--bundle", sa.bundle_dir, "bundle to check the outputs against (integer reference executor)")->check(CLI::ExistingDirectory);

  RunArgs ra;
  auto* run = app.add_subcommand("run", "compile a bundle and simulate it (plus the dense baseline for comparison)");
  run->add_option("bundle", ra.compile.bundle_dir, "bundle folder")->required()->check(CLI::ExistingDirectory);
  run->add_option("--config,-c", ra.compile.config, "array preset name or config .json");
  add_simulate_options(run, ra.simulate, false);
  run->add_flag("!--no-dense-baseline", ra.dense_baseline, "skip the dense baseline simulation");

  ImportArgs ia;
  add_import_command(app, ia);
  ZooArgs za;
  add_zoo_command(app, za);
  EstimateArgs ea;
  add_estimate_command(app, ea);
  CheckTimingArgs cta;
  add_check_timing_command(app, cta);
  SweepArgs swa;
  add_sweep_command(app, swa);
  ReportArgs rpa;
  add_report_command(app, rpa);

  try {
    app.parse(argc, argv);
    sa.images_set = sim->count("--images") > 0;
    ra.simulate.images_set = run->count("--images") > 0;
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*train) return cmd_train(ta);
    if (*comp) return cmd_compile(ca);
    if (*sim) return cmd_simulate(sa);
    if (*run) return cmd_run(ra);
    if (app.got_subcommand("import")) return cmd_import(ia);
    if (app.got_subcommand("zoo")) return cmd_zoo(za);
    if (app.got_subcommand("estimate")) return cmd_estimate(ea);
    if (app.got_subcommand("check-timing")) return cmd_check_timing(cta);
    if (app.got_subcommand("sweep")) return cmd_sweep(swa);
    if (app.got_subcommand("report")) return cmd_report(rpa);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kError;
  }
  return kError;
}

extern "C" int sc_main(int argc, char** argv) { return run_driver(argc, argv); }  // C linkage, as SystemC declares it

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return run_driver(argc, argv);
}
