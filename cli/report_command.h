// report_command.h — the driver's `report` subcommand: one self-contained HTML page from a
// `simulate` output folder (traces/report.h, docs/report.md).
#pragma once

#include <cstddef>
#include <string>

namespace CLI {
class App;
}

namespace saie::cli {

struct ReportArgs {
  std::string run_dir;           // simulate output folder (summary.json, trace.json, bandwidth.csv, config.json)
  std::string dense_dir;         // "" = no dense comparison
  std::string out_path;          // "" = <run_dir>/report.html
  size_t timeline_phases = 8;    // phase executions drawn in the timeline
};

// Adds the subcommand "report" to app, parsing into args (which must outlive parsing).
// After app.parse(): if (app.got_subcommand("report")) return cmd_report(ra);
void add_report_command(CLI::App& app, ReportArgs& args);

// Builds the page and writes it atomically. Returns 0; throws std::exception with a one-line
// what() on a missing folder / summary.json or an unparsable file (main prints it, exits 1).
int cmd_report(const ReportArgs& args);

}  // namespace saie::cli
