// local_backend.cpp — the sweep's points on this machine: bundles first (each may serve many
// points), then the points, `jobs` at a time, each step a child process.
#include <fmt/core.h>

#include <atomic>
#include <chrono>

#include "driver/sweep/backend.h"
#include "driver/sweep/runner.h"
#include "util/file_io.h"

namespace saie::driver::sweep {

namespace {

using ojson = nlohmann::ordered_json;

class LocalBackend : public Backend {
 public:
  SweepOutcome run(SweepPlan& plan, const SweepOptions& o, uint32_t jobs) override {
    const Grid& grid = plan.grid;
    say(fmt::format("{} points ({} networks x {} configs x {} block shapes x {} sparsity levels); {} reused from an earlier run, "
                    "{}{} to run on {} jobs; folder {}",
                    plan.points.size(), grid.nets.size(), plan.cfgs.size(), grid.blocks.size(), grid.levels.size(), plan.reused,
                    o.prefilter.empty() ? "" : fmt::format("{} skipped by the prefilter, ", plan.skipped), plan.todo.size(), jobs,
                    plan.dir));
    std::vector<size_t> blist(plan.needed_bundles.begin(), plan.needed_bundles.end());
    parallel_for(blist.size(), jobs, [&](size_t i) { build_bundle(o.exe, plan.bundles[blist[i]]); });

    std::atomic<size_t> done{plan.reused + plan.skipped};
    parallel_for(plan.todo.size(), jobs, [&](size_t i) {
      Point& p = plan.points[plan.todo[i]];
      const BundleJob& b = plan.bundles[p.bundle];
      ojson r;
      bool record = true;
      if (!b.ok) {
        r = failed("bundle-failed", b.reason);
        record = false;  // not a property of the point: a rerun tries again
      } else {
        try {
          r = run_point(o.exe, p, b, grid.sim);
        } catch (const std::exception& e) {
          r = failed("sweep-error", e.what());
          record = false;
        }
      }
      ojson stored = point_identity(p);
      for (auto it = r.begin(); it != r.end(); ++it) stored[it.key()] = it.value();
      p.result = stored;
      if (record) util::write_file_atomic(p.dir + "/result.json", stored.dump(2) + "\n");
      const bool is_ok = stored["status"] == "ok";
      const size_t d = ++done;
      say(fmt::format("{}/{} done: {}: {}", d, plan.points.size(), point_label(p),
                      is_ok ? fmt::format("ok, {} cycles, {:.2f} us (compile {:.1f} s, simulate {:.1f} s)",
                                          stored["cycles_per_inference"].get<uint64_t>(), stored["time_us"].get<double>(),
                                          stored.value("compile_s", 0.0), stored.value("simulate_s", 0.0))
                            : stored["status"].get<std::string>() + ": " + stored["reason"].get<std::string>()));
    });
    if (plan.shard_n > 0) {  // an array task: its points are recorded; the submitter writes the table
      SweepOutcome out;
      out.backend = "local";
      out.shard = true;
      out.shard_i = plan.shard_i;
      out.shard_n = plan.shard_n;
      out.shard_run = plan.todo.size();
      return out;
    }
    return write_table(plan, "local");
  }
};

}  // namespace

std::unique_ptr<Backend> make_local_backend() { return std::make_unique<LocalBackend>(); }

}  // namespace saie::driver::sweep
