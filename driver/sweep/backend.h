// backend.h — where a planned sweep's points run: on this machine (local_backend.cpp) or as a
// Slurm job array (slurm_backend.cpp). run_sweep plans, prefilters, hands the plan to the
// backend and makes the plots (docs/sweep.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "driver/sweep/plan.h"

namespace saie::driver::sweep {

struct SweepOptions {
  std::string grid_path;  // grid file (JSON, docs/sweep.md)
  std::string out_dir;    // sweep folder: bundles/, configs/, points/<id>/, results.csv, results.json
  uint32_t jobs = 0;      // points run at once (0 = number of cores)
  std::string backend = "local";           // "local" or "slurm"
  uint32_t slurm_tasks = 0;                // array tasks (0 = one per point to run, at most 1000)
  std::vector<std::string> slurm_options;  // extra #SBATCH lines, e.g. "--partition=debug"
  bool slurm_no_wait = false;              // submit and return; a later run merges
  std::string shard;                       // "I/N": run only points with index % N == I, no table (array tasks)
  std::string prefilter;                   // "" (none), "estimate" or "estimate:FACTOR"
  bool plots = false;                      // run scripts/sweep-plots on the folder after the table
  std::string exe;                         // the sparseaie binary the steps run ("" = this one)
};

// What a sweep did, for the command to print.
struct SweepOutcome {
  std::string dir;
  size_t points = 0, ok = 0, failed = 0, skipped = 0, reused = 0;
  size_t missing = 0;         // slurm: points without a result from their task
  bool table = false;         // results.csv / results.json written
  bool shard = false;         // an array task: its points recorded, no table
  uint32_t shard_i = 0, shard_n = 0;
  size_t shard_run = 0;
  bool submitted = false;     // slurm --no-wait: the job array was submitted
  uint32_t tasks = 0;
  std::string job;            // the Slurm job id (--no-wait)
  std::string backend;
  std::string plots_warning;  // with plots: "" = made
  double seconds = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Runs the plan's points to run (bundles first), records each point's result.json, and writes
  // the table (unless the plan is a shard).
  virtual SweepOutcome run(SweepPlan& plan, const SweepOptions& o, uint32_t jobs) = 0;
};
std::unique_ptr<Backend> make_local_backend();
std::unique_ptr<Backend> make_slurm_backend();

// The whole sweep: read the grid, plan, prefilter (not in a shard), run on o.backend, plots.
// Throws std::runtime_error with one line on a bad grid or option; a failed point is a row.
SweepOutcome run_sweep(const SweepOptions& o);

}  // namespace saie::driver::sweep
