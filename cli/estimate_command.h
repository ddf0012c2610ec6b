// estimate_command.h — the driver's `estimate` subcommand: the paper's analytical time model
// (arXiv 2407.09453 sec. 4.6, compiler/estimate/estimate.h) over the compiled schedule of a bundle.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace saie::cli {

struct EstimateArgs {
  std::string bundle_dir;
  std::string config = "paper-2x2";  // preset name or config .json
  bool dense = false;                // compile ignoring the masks (dense baseline)
  std::string json_path;             // "" = no JSON file
  bool mute_compute = false;         // COMP terms = 0 (communication only)
  bool roofline = false;             // the roofline (docs/roofline.md) instead of the paper's model
  bool floors_only = false;          // --roofline without the timing-only simulation
};

// Adds the subcommand "estimate" to app, parsing into args (which must outlive parsing).
// After app.parse(): if (app.got_subcommand("estimate")) return cmd_estimate(ea);
void add_estimate_command(CLI::App& app, EstimateArgs& args);

// Reads the bundle, loads the config, compiles, prints the per-phase table and the totals, and
// writes --json atomically. With --roofline: the per-layer floors instead, next to the cycles of
// a timing-only simulation of the compiled program (one random input, in a child process,
// outputs in a temporary folder that is removed), and --json writes them as roofline.json. Returns 0; throws std::exception with a one-line what() on failure
// (compile errors included; main prints them and exits 1, as for `compile`).
int cmd_estimate(const EstimateArgs& args);

}  // namespace saie::cli
