// check_timing_command.h — the driver's `check-timing` subcommand: a run's per-layer cycles and
// bytes moved against a committed golden (traces/timing_check.h, docs/timing-check.md).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace saie::cli {

struct CheckTimingArgs {
  std::string golden_path;               // tests/golden/<workload>.json
  std::string run_path;                  // a simulate output folder or its summary.json
  std::vector<std::string> tolerances;   // "cycles=0.02", "bytes=0" (override the golden's)
  bool all = false;                      // list every metric, not only those that moved
  bool update = false;                   // write the golden from the run instead of checking
  std::string workload;                  // with --update: the golden's name (default: program @ config)
};

void add_check_timing_command(CLI::App& app, CheckTimingArgs& args);

// Check: prints the table; returns kOk when nothing regressed beyond tolerance, else
// kTimingRegression. --update: writes the golden atomically, returns kOk. Throws std::exception
// with a one-line what() on bad input (main prints it and exits 1).
int cmd_check_timing(const CheckTimingArgs& args);

}  // namespace saie::cli
