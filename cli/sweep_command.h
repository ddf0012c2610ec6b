// sweep_command.h — the driver's `sweep` subcommand: compile + simulate over a grid of networks x
// array configs (presets or parameter overrides) x sparsity levels x block shapes, on the local
// cores, resumable (docs/sweep.md).
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace saie::cli {

struct SweepArgs {
  std::string grid_path;  // grid file (JSON, docs/sweep.md)
  std::string out_dir;    // sweep folder: bundles/, configs/, points/<id>/, results.csv, results.json
  uint32_t jobs = 0;      // points run at once (0 = number of cores)
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
