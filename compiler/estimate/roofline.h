// roofline.h — the floors of a network on an array (docs/roofline.md): per layer, the cycles
// that its stored-block MACs, its DDR bytes and the bytes that must enter the cores take at the
// array's peak rates, whatever the schedule. compile() fills CompileResult::roofline with it.
#pragma once

#include "hw/config/array_config.h"
#include "model/ir/graph.h"
#include "traces/roofline.h"

namespace saie::estimate {

// The roofline of graph g (as the compiler lowers it: after its passes) on cfg. dense: every
// block counts as stored (the dense baseline). Layers are every node with work (conv, fc,
// pools, adds), in graph order; in-place concats and the input have none.
traces::Roofline roofline(const ir::Graph& g, const config::ArrayConfig& cfg, bool dense);

}  // namespace saie::estimate
