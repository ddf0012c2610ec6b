// main.cpp — the sparseaie driver: argument parsing only (CLI11); commands live in commands.cpp.
//
// The entry point is sc_main: libsystemc.so defines main() and calls it (build-notes pitfall 2).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "cli/commands.h"

namespace {

void add_simulate_options(CLI::App* app, saie::cli::SimulateArgs& s, bool with_program) {
  if (with_program)
    app->add_option("program", s.program_path, "program.bin written by `sparseaie compile`")->required()->check(CLI::ExistingFile);
  app->add_option("--outdir,-o", s.out_dir, "output folder (summary.json, config.json, trace.json, bandwidth.csv, waves.vcd)")->required();
  app->add_option("--images,-n", s.images, "number of Fashion-MNIST test images to simulate")->check(CLI::Range(1u, 10000u));
  app->add_option("--eval-images", s.eval_images, "test images for the int8 reference accuracy (0 = skip)")->check(CLI::Range(0u, 10000u));
  app->add_option("--dataset", s.dataset_dir, "folder with the Fashion-MNIST idx .gz files (default: the Debian package's)");
  app->add_flag("--vcd", s.vcd, "also write waves.vcd (GTKWave)");
  app->add_option("--vcd-scope", s.vcd_scopes, "limit the VCD to tracks starting with these prefixes, e.g. array.tile_0_2");
  app->add_option("--max-cycles", s.max_cycles, "stop with exit status 4 after this many simulated cycles (0 = no limit)");
  app->add_option("--bin-cycles", s.bin_cycles, "bandwidth.csv bin width in cycles")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app->add_flag("!--no-trace", s.trace, "do not record slices (no trace.json / bandwidth.csv / waves.vcd; faster)");
}

}  // namespace

extern "C" int sc_main(int argc, char** argv) {  // C linkage, as SystemC declares it
  using namespace saie::cli;
  CLI::App app{"sparseaie — weight block sparsity from LibTorch training to a simulated AMD AIE2 array"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "sparseaie 0.1.0");

  TrainArgs ta;
  auto* train = app.add_subcommand("train", "train a CNN on Fashion-MNIST, prune to block sparsity, quantise to int8, export a bundle");
  train->add_option("--out,-o", ta.out_dir, "bundle folder to write (model.json + weights.safetensors)")->required();
  train->add_option("--model", ta.model, "model: small-resnet (demo) or tiny")->check(CLI::IsMember({"small-resnet", "tiny"}));
  train->add_option("--dataset", ta.dataset_dir, "folder with the Fashion-MNIST idx .gz files");
  train->add_option("--dense-epochs", ta.dense_epochs, "dense training epochs");
  train->add_option("--finetune-epochs", ta.finetune_epochs, "fine-tuning epochs with the block masks held");
  train->add_option("--train-limit", ta.train_limit, "use only the first N training images (0 = all 60000)");
  train->add_option("--test-limit", ta.test_limit, "evaluate on the first N test images (0 = all 10000)");
  train->add_option("--sparsity", ta.sparsity, "fraction of 8x8 blocks zeroed per block row")->check(CLI::Range(0.0, 0.95));
  train->add_option("--lr", ta.lr, "SGD learning rate")->check(CLI::PositiveNumber);
  train->add_option("--batch-size", ta.batch_size, "mini-batch size")->check(CLI::Range(1u, 4096u));
  train->add_option("--seed", ta.seed, "random seed");
  train->add_option("--threads", ta.threads, "LibTorch threads")->check(CLI::Range(1, 64));

  CompileArgs ca;
  auto* comp = app.add_subcommand("compile", "compile a bundle into an AIE2 program (program.bin + program.txt + schedule.txt)");
  comp->add_option("bundle", ca.bundle_dir, "bundle folder (model.json + weights.safetensors)")->required()->check(CLI::ExistingDirectory);
  comp->add_option("--config,-c", ca.config, "array preset name (configs/) or path to a config .json");
  comp->add_option("--out,-o", ca.out_dir, "output folder")->required();
  comp->add_flag("--dense", ca.dense, "ignore the block masks: store and compute every block (baseline)");

  SimulateArgs sa;
  auto* sim = app.add_subcommand("simulate", "run a program on the SystemC/TLM-2.0 AIE2 array model");
  add_simulate_options(sim, sa, true);
  sim->add_option("--config,-c", sa.config, "array preset name or config .json (must match the compile config)");
  sim->add_option("--bundle", sa.bundle_dir, "bundle to check the outputs against (integer reference executor)")->check(CLI::ExistingDirectory);

  RunArgs ra;
  auto* run = app.add_subcommand("run", "compile a bundle and simulate it (plus the dense baseline for comparison)");
  run->add_option("bundle", ra.compile.bundle_dir, "bundle folder")->required()->check(CLI::ExistingDirectory);
  run->add_option("--config,-c", ra.compile.config, "array preset name or config .json");
  add_simulate_options(run, ra.simulate, false);
  run->add_flag("!--no-dense-baseline", ra.dense_baseline, "skip the dense baseline simulation");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*train) return cmd_train(ta);
    if (*comp) return cmd_compile(ca);
    if (*sim) return cmd_simulate(sa);
    if (*run) return cmd_run(ra);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return kError;
  }
  return kError;
}
