// compile.h — the compiler's entry point: Graph + ArrayConfig -> Program.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <functional>
#include <string>
#include <vector>

#include "compiler/estimate/estimate.h"
#include "traces/roofline.h"
#include "model/ir/graph.h"
#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::compiler {

struct CompileOptions {
  bool dense = false;  // ignore masks: store and compute every block (baseline for comparison)
  // Cap on the band height (output rows per core compute op); 0 = the tallest band whose
  // double buffers fit core memory. Smaller bands pipeline LOADFM / COMP / WRITEFM.
  uint32_t max_band_rows = 0;
  // Allow column-group pieces (every column its own channel group over the whole width) where
  // the sub-volume search prefers them; false = width split everywhere (for comparison).
  bool column_groups = true;
  // Let a phase read its input from the memtile where the previous phase left it (and skip
  // that producer's DDR write when nothing else reads it); false = every layer round-trips DDR.
  bool memtile_residency = true;
  // Fold residual adds into the conv that produces one of their operands (pass fuse-add); false =
  // every add is its own phase (for comparison).
  bool fuse_add = true;
  // Called after every stage of compile_stages() with the stage's name and the text form of
  // its result (the graph, the DDR plan, the pieces, the program listing); none = no dumps.
  std::function<void(const std::string& stage, const std::string& text)> dump;
};

// The compiler's stages in order, each a name `sparseaie compile --dump-after` accepts:
// the graph passes (passes::default_passes: "fuse-relu", "fuse-add", "concat-copy"; the graph is validated
// after each), "plan-ddr" (buffers, tilings, weight blobs), "plan-layers" (every layer's
// pieces), "residency" (weights and activations placed in the memtiles), "lower" (the program,
// checked by isa::verify_program).
std::vector<std::string> compile_stages();

struct LayerReport {        // per phase, for the listing and the CLI
  std::string name;
  std::string op;
  std::string split;        // e.g. "W 2 cols x COUT 2 rows, 7 bands of 2 rows"
  uint64_t dense_macs = 0, actual_macs = 0;
  uint64_t weight_bytes = 0, metadata_bytes = 0;
  uint64_t core_mem_peak = 0, memtile_peak = 0;
};

struct CompileResult {
  isa::Program program;
  std::vector<LayerReport> layers;
  std::string schedule_listing;  // paper vocabulary (LOAD/LOADW/LOADFM/LOADWM/COMP/WRITEFM/WRITE)
  std::vector<estimate::PhaseTraffic> traffic;  // one per phase, for the analytical estimate
  traces::Roofline roofline;     // the floors of the compiled graph on the array (roofline.json)
};

struct CompileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs the passes (fuse-relu, ...) on a copy of g and lowers it. Throws CompileError with a
// one-line message naming the layer when something cannot be mapped.
// The graph is taken by value: the passes rewrite it (a caller done with its graph moves it in).
CompileResult compile(ir::Graph g, const config::ArrayConfig& cfg, const CompileOptions& opt = {});

}  // namespace saie::compiler
