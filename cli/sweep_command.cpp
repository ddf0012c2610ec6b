// sweep_command.cpp — `sparseaie sweep` (see sweep_command.h, docs/sweep.md).
#include "cli/sweep_command.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

namespace saie::cli {

void add_sweep_command(CLI::App& app, driver::sweep::SweepOptions& a) {
  auto* c = app.add_subcommand("sweep", "compile + simulate over a grid of networks x array configs x sparsity levels x block shapes "
                                        "(local cores, resumable; docs/sweep.md)");
  c->add_option("grid", a.grid_path, "grid file (JSON, docs/sweep.md)")->required()->check(CLI::ExistingFile);
  c->add_option("--out,-o", a.out_dir, "sweep folder (results.csv, results.json, points/, bundles/, configs/)")->required();
  c->add_option("--jobs,-j", a.jobs, "points run at once (0 = number of cores)")->check(CLI::Range(0u, 1024u));
  c->add_option("--backend", a.backend, "local: run the points on this machine; slurm: submit them as a Slurm job array "
                                        "(sbatch; each task runs a shard, the table merges the same way)")
      ->check(CLI::IsMember({"local", "slurm"}));
  c->add_option("--slurm-tasks", a.slurm_tasks, "array tasks (0 = one per point to run, at most 1000)")->check(CLI::Range(0u, 100000u));
  c->add_option("--slurm-option", a.slurm_options, "extra #SBATCH option for the batch script, e.g. --partition=debug (repeatable)");
  c->add_flag("--no-wait", a.slurm_no_wait, "slurm: submit and return; run the same sweep command again later to merge the table");
  c->add_option("--prefilter", a.prefilter,
                "estimate[:FACTOR]: before simulating, estimate every point analytically (sparseaie estimate) and skip a point "
                "when a point of the same network and sparsity with no more compute tiles has an estimate FACTOR (default 2) "
                "times smaller");
  c->add_flag("--plots", a.plots, "after the table, run scripts/sweep-plots on the folder (PNG plots in DIR/plots/; "
                                  "a failure is a warning)");
  c->add_option("--shard", a.shard, "I/N: run only the points whose index % N == I and write no table (what each array task runs)");
}

int cmd_sweep(const driver::sweep::SweepOptions& o) {
  const driver::sweep::SweepOutcome r = driver::sweep::run_sweep(o);
  if (r.shard) {
    fmt::print("sweep shard {}/{}       : {} points run ({:.1f} s)\n", r.shard_i, r.shard_n, r.shard_run, r.seconds);
    return 0;
  }
  if (r.submitted) {
    fmt::print("sweep                   : submitted {} array tasks (job {}); run the same sweep command again to merge the table\n",
               r.tasks, r.job);
    return 0;
  }
  if (r.backend == "slurm")
    fmt::print("sweep                   : {} points, {} ok, {} failed, {} skipped, {} reused, {} without a result (slurm, {:.1f} s)\n",
               r.points, r.ok, r.failed, r.skipped, r.reused, r.missing, r.seconds);
  else
    fmt::print("sweep                   : {} points, {} ok, {} failed, {} skipped, {} reused ({:.1f} s)\n", r.points, r.ok, r.failed,
               r.skipped, r.reused, r.seconds);
  fmt::print("results                 : {}/results.csv, {}/results.json\n", r.dir, r.dir);
  if (o.plots && r.plots_warning.empty()) fmt::print("plots                   : {}/plots/\n", r.dir);
  return 0;
}

}  // namespace saie::cli
