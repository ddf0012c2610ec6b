// sweep.cpp — run_sweep (backend.h): plan, prefilter, backend, plots.
#include <algorithm>
#include <chrono>
#include <thread>

#include "driver/child_process.h"
#include "util/progress.h"
#include "driver/sweep/backend.h"
#include "driver/sweep/prefilter.h"
#include "driver/sweep/runner.h"

namespace saie::driver::sweep {

using util::progress;
using util::seconds_since;

SweepOutcome run_sweep(const SweepOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  SweepOptions o = opts;
  if (o.exe.empty()) o.exe = self_exe();
  const Prefilter pf = parse_prefilter(o.prefilter);
  SweepPlan plan;
  plan_sweep(plan, o.grid_path, o.out_dir, o.shard, pf.setting);
  const uint32_t jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  if (pf.on && plan.shard_n == 0) apply_prefilter(pf, o.exe, jobs, plan);
  const std::unique_ptr<Backend> backend =
      o.backend == "slurm" && plan.shard_n == 0 ? make_slurm_backend() : make_local_backend();
  SweepOutcome out = backend->run(plan, o, jobs);
  out.dir = plan.dir;
  out.seconds = seconds_since(t0);
  if (o.plots && out.table) {
    out.plots_warning = run_plots(plan.dir);
    if (!out.plots_warning.empty()) say("warning: plots not made: " + out.plots_warning);
  }
  return out;
}

}  // namespace saie::driver::sweep
