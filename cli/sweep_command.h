// sweep_command.h — the driver's `sweep` subcommand: compile + simulate over a grid of networks x
// array configs (presets or parameter overrides) x sparsity levels x block shapes, on the local
// cores, resumable (docs/sweep.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace saie::cli {

struct SweepArgs {
  std::string grid_path;  // grid file (JSON, docs/sweep.md)
  std::string out_dir;    // sweep folder: bundles/, configs/, points/<id>/, results.csv, results.json
  uint32_t jobs = 0;      // points run at once (0 = number of cores)
  std::string backend = "local";         // "local" or "slurm" (a job array through sbatch)
  uint32_t slurm_tasks = 0;              // array tasks (0 = one per point to run, at most 1000)
  std::vector<std::string> slurm_options;  // extra #SBATCH lines, e.g. "--partition=debug"
  bool slurm_no_wait = false;            // submit and return; a later `sweep` run merges
  std::string shard;                     // "I/N": run only points with index % N == I, no table (array tasks)
  std::string prefilter;                 // "" (none), "estimate" or "estimate:FACTOR" (docs/sweep.md)
  bool plots = false;                    // run scripts/sweep-plots on the folder after the table
};

// Adds the subcommand "sweep" to app, parsing into args (which must outlive parsing).
// After app.parse(): if (app.got_subcommand("sweep")) return cmd_sweep(sa);
void add_sweep_command(CLI::App& app, SweepArgs& args);

// Reads and checks the grid (a bad grid throws std::exception with a one-line what(): main prints
// it and exits 1), prepares the bundles, runs every point not finished by an earlier run (each
// step a child process of this binary), and writes DIR/results.csv and DIR/results.json
// atomically, one row per point in grid order. A failed point is a row, not an error: returns 0
// once the sweep itself ran.
int cmd_sweep(const SweepArgs& args);

}  // namespace saie::cli
