// grid.h — a sweep's grid file (docs/sweep.md): networks x array configs (presets, or presets with
// parameter overrides) x sparsity levels x block shapes, and how each point is simulated. The
// reader is strict: every error is one line naming the grid file and the key path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saie::driver::sweep {

struct NetSpec {
  std::string name;
  bool zoo = true;
  std::string model;             // zoo model
  uint32_t width_div = 1, input_size = 224;
  uint64_t seed = 1;
  std::string bundle;            // bundle network: absolute folder
  double bundle_sparsity = 0;    // the level the bundle was built at
};

struct CfgSpec {
  std::string name, preset, overrides;  // overrides: "key=value;key=value" ("" = none)
  std::string text;                     // resolved config (config::to_json)
  std::string path;                     // DIR/configs/<hash>.json
  uint32_t tiles = 0;                   // compute tiles: columns x core_rows
};

struct SimSpec {
  uint32_t random_inputs = 1;
  uint64_t seed = 1;
  bool timing_only = true;
  uint64_t max_cycles = 0;
};

struct Grid {
  std::vector<NetSpec> nets;
  std::vector<CfgSpec> cfgs;
  std::vector<double> levels;
  std::vector<std::string> blocks;
  SimSpec sim;
};

// Reads and checks a grid file; throws std::runtime_error with one line.
Grid read_grid(const std::string& file);

}  // namespace saie::driver::sweep
