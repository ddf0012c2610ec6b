// schedule_listing.h — per-layer report and one listing line per layer in the paper's
// vocabulary (LOAD / LOADW / LOADFM / LOADWM / COMP / WRITEFM / WRITE).
#pragma once

#include <string>

#include "compiler/compile.h"
#include "model/ir/graph.h"
#include "compiler/schedule/ddr_plan.h"
#include "compiler/schedule/layer_plan.h"
#include "hw/isa/program.h"

namespace saie::emit {

// "W 2 cols x COUT 2 rows, 7 bands of 2 rows"
std::string split_text(const schedule::LayerPlan& p);

compiler::LayerReport layer_report(const ir::Graph& g, const schedule::LayerPlan& p, const schedule::DdrPlan& ddr,
                                   const isa::Phase& phase);

// One line (no trailing newline), e.g.
// "conv2 conv 3x3/1: W 2 cols x COUT 2 rows, 7 bands of 2 rows | LOAD 2x1536 B | ... | WRITE 2x896 B"
std::string schedule_line(const ir::Graph& g, const schedule::LayerPlan& p, const schedule::DdrPlan& ddr);

}  // namespace saie::emit
