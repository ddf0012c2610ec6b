// sweep_command.h — the driver's `sweep` subcommand: CLI11 wiring of its options into
// driver::sweep::SweepOptions, and what it prints (the sweep itself: driver/sweep/, docs/sweep.md).
#pragma once

#include "driver/sweep/backend.h"

namespace CLI {
class App;
}

namespace saie::cli {

// Adds the subcommand "sweep", parsing into o (which must outlive parsing).
void add_sweep_command(CLI::App& app, driver::sweep::SweepOptions& o);

// Runs the sweep and prints its outcome; returns 0 once the sweep itself ran (a failed point is
// a row of the table, not an error). A bad grid or option throws one line.
int cmd_sweep(const driver::sweep::SweepOptions& o);

}  // namespace saie::cli
