// slurm_backend.cpp — the sweep as a Slurm job array: the bundles are built here (once), then a
// job array runs the points, task I the points whose index % N == I (`sweep ... --shard I/N`, each
// point recorded in its result.json as the local backend does); after the array (sbatch --wait)
// the table is merged from those files. With --no-wait the command returns after submitting; the
// same sweep command run later merges.
#include <fmt/core.h>

#include <filesystem>
#include <stdexcept>

#include "driver/child_process.h"
#include "driver/sweep/backend.h"
#include "driver/sweep/runner.h"
#include "util/file_io.h"

namespace saie::driver::sweep {

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

class SlurmBackend : public Backend {
 public:
  SweepOutcome run(SweepPlan& plan, const SweepOptions& o, uint32_t jobs) override {
    SweepOutcome out;
    out.backend = "slurm";
    const std::string sbatch = find_on_path("sbatch");
    if (sbatch.empty()) throw std::runtime_error("--backend slurm: sbatch not found on PATH (install slurm-wlm, or use --backend local)");
    const fs::path dir(plan.dir);
    say(fmt::format("{} points; {} reused from an earlier run, {}{} to run on Slurm; folder {}", plan.points.size(), plan.reused,
                    o.prefilter.empty() ? "" : fmt::format("{} skipped by the prefilter, ", plan.skipped), plan.todo.size(), plan.dir));
    if (!plan.todo.empty()) {
      std::vector<size_t> blist(plan.needed_bundles.begin(), plan.needed_bundles.end());
      parallel_for(blist.size(), jobs, [&](size_t i) { build_bundle(o.exe, plan.bundles[blist[i]]); });
      const uint32_t tasks = static_cast<uint32_t>(
          std::min<size_t>(o.slurm_tasks ? o.slurm_tasks : std::min<size_t>(plan.todo.size(), 1000), plan.points.size()));
      const fs::path sdir = dir / "slurm";
      std::error_code ec;
      fs::create_directories(sdir, ec);
      std::string script = "#!/bin/bash\n# written by sparseaie sweep --backend slurm (docs/sweep.md)\n";
      script += "#SBATCH --job-name=saie-sweep\n";
      script += fmt::format("#SBATCH --array=0-{}\n", tasks - 1);
      script += "#SBATCH --cpus-per-task=1\n";
      script += "#SBATCH --output=" + (sdir / "task-%a.log").string() + "\n";
      for (const auto& opt : o.slurm_options) script += "#SBATCH " + opt + "\n";
      script += "export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 OPENBLAS_NUM_THREADS=1\n";
      // Tasks get the same --prefilter: they then take the skipped points' result.json as finished.
      script += fmt::format("exec {} sweep {} --out {} --jobs 1{} --shard \"$SLURM_ARRAY_TASK_ID/{}\"\n", shell_quote(o.exe),
                            shell_quote(fs::absolute(o.grid_path).string()), shell_quote(plan.dir),
                            o.prefilter.empty() ? "" : " --prefilter " + shell_quote(o.prefilter), tasks);
      const std::string script_path = (sdir / "sweep.sbatch").string();
      util::write_file_atomic(script_path, script);
      std::vector<std::string> args;
      if (!o.slurm_no_wait) args.push_back("--wait");
      args.push_back("--parsable");
      args.push_back(script_path);
      say(fmt::format("submitting {} array tasks: {} {}", tasks, sbatch, script_path));
      const std::string log = (sdir / "sbatch.log").string();
      const int code = run_program(sbatch, args, log);
      if (o.slurm_no_wait) {
        if (code != 0) throw std::runtime_error("sbatch failed: " + failure_reason(log, code));
        out.submitted = true;
        out.tasks = tasks;
        out.job = failure_reason(log, 0);  // the log's last line: --parsable prints the job id
        return out;
      }
      if (code != 0) say(fmt::format("sbatch ended with status {}: {}", code, failure_reason(log, code)));
    }
    // Merge: every point's result.json (the tasks' and the earlier runs').
    size_t missing = 0;
    for (auto& p : plan.points) {
      ojson r;
      try {
        r = ojson::parse(util::read_file((fs::path(p.dir) / "result.json").string()));
      } catch (const std::exception&) {
      }
      if (r.is_object() && r.value("id", "") == p.id && r.contains("status")) {
        p.result = r;
      } else {
        ++missing;
        p.result = point_identity(p);
        p.result["status"] = "not-run";
        p.result["reason"] = "no result from its Slurm task (see " + (dir / "slurm").string() + "/task-*.log)";
      }
    }
    out = write_table(plan, "slurm");
    out.missing = missing;
    return out;
  }
};

}  // namespace

std::unique_ptr<Backend> make_slurm_backend() { return std::make_unique<SlurmBackend>(); }

}  // namespace saie::driver::sweep
