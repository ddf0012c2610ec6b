// report_command.cpp — `sparseaie report` (see report_command.h, docs/report.md).
#include "cli/report_command.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <filesystem>

#include "driver/exit_codes.h"
#include "traces/report.h"

namespace saie::cli {

using namespace driver;  // exit codes

void add_report_command(CLI::App& app, ReportArgs& a) {
  auto* c = app.add_subcommand("report", "write one self-contained HTML page (inline CSS + SVG, no network) from a simulate output "
                                         "folder: per-layer breakdown, timeline per tile, bandwidth, dense vs sparse");
  c->add_option("outdir", a.run_dir, "simulate output folder (summary.json, trace.json, bandwidth.csv, config.json)")->required();
  c->add_option("--dense", a.dense_dir, "the dense baseline's simulate output folder: per-layer cycles side by side and speedup");
  c->add_option("--out,-o", a.out_path, "HTML file to write (default OUTDIR/report.html)");
  c->add_option("--timeline-phases", a.timeline_phases, "phase executions drawn in the timeline (the first N in time)")
      ->check(CLI::Range(size_t{1}, size_t{100000}));
}

int cmd_report(const ReportArgs& a) {
  traces::ReportOptions opt;
  opt.run_dir = a.run_dir;
  opt.dense_dir = a.dense_dir;
  opt.timeline_phases = a.timeline_phases;
  const std::string out = a.out_path.empty() ? (std::filesystem::path(a.run_dir) / "report.html").string() : a.out_path;
  traces::write_report(opt, out);
  fmt::print("report                  : {}\n", out);
  return kOk;
}

}  // namespace saie::cli
