// check_timing_command.cpp — `sparseaie check-timing` (see check_timing_command.h).
#include "util/file_io.h"
#include "cli/check_timing_command.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "driver/exit_codes.h"
#include "traces/readers.h"
#include "traces/timing_check.h"

namespace saie::cli {

using namespace driver;  // exit codes

namespace {

std::string read_text(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + what + " " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string summary_path(const std::string& run) {
  return std::filesystem::is_directory(run) ? run + "/summary.json" : run;
}

}  // namespace

void add_check_timing_command(CLI::App& app, CheckTimingArgs& a) {
  auto* c = app.add_subcommand("check-timing",
                               "compare a run's per-layer cycles and bytes moved with a committed golden; exit status 6 "
                               "when a metric moved beyond its tolerance (regression)");
  c->add_option("golden", a.golden_path, "golden JSON (tests/golden/*.json; written by --update)")->required();
  c->add_option("run", a.run_path, "a `simulate` output folder or its summary.json")->required();
  c->add_option("--tolerance", a.tolerances, "override a relative tolerance, e.g. cycles=0.02 or bytes=0 (repeatable)");
  c->add_flag("--all", a.all, "list every metric, not only those that moved");
  c->add_flag("--update", a.update, "write the golden from this run instead of checking (on purpose only: "
                                    "scripts/timing-goldens --update)");
  c->add_option("--workload", a.workload, "with --update: the workload's name stored in the golden");
}

int cmd_check_timing(const CheckTimingArgs& a) {
  const traces::RunSummary summary = traces::read_summary(summary_path(a.run_path)).run;
  traces::Tolerances tol;
  for (const auto& t : a.tolerances) traces::apply_tolerance(tol, t);
  if (a.update) {
    std::string name = a.workload;
    if (name.empty()) name = std::filesystem::path(a.golden_path).stem().string();
    util::write_file_atomic(a.golden_path, traces::make_golden(summary, name, tol));
    fmt::print("golden written          : {} ({})\n", a.golden_path, name);
    return kOk;
  }
  const std::string golden = read_text(a.golden_path, "golden");
  const traces::TimingReport r = traces::compare(golden, summary, a.tolerances.empty() ? nullptr : &tol);
  fmt::print("{}", traces::format_report(r, a.all));
  return r.passed() ? kOk : kTimingRegression;
}

}  // namespace saie::cli
