// stage_dump.h — text forms of the compiler's intermediate results, for
// `sparseaie compile --dump-after STAGE` (see compiler::compile_stages()).
#pragma once

#include <string>

#include "compiler/schedule/ddr_plan.h"
#include "model/ir/graph.h"

namespace saie::emit {

// One line per node: index, name, op, window, inputs, output shape and scale, flags (relu,
// sparse with stored / total mask blocks, a fused add with its residual).
std::string graph_listing(const ir::Graph& g);

// One line per tensor (DDR buffer: address, shape, border, pitch, view) and per layer (the
// tiling the sub-volume search chose, its estimate, the weight bytes).
std::string ddr_plan_listing(const ir::Graph& g, const schedule::DdrPlan& ddr);

}  // namespace saie::emit
