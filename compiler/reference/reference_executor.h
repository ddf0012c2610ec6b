// reference_executor.h — the integer reference: runs a quantised Graph directly, no hardware model.
// The simulator's output must equal it bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/graph.h"

namespace saie::reference {

using Tensor = std::vector<int8_t>;  // HWC, logical channels (node.out)

// Runs every node; returns one tensor per node (index = node index). input: HWC int8 of
// g.input().out. Plain loops, dense weights (zero blocks are zeros), requant via ir::make_requant.
std::vector<Tensor> run_all(const ir::Graph& g, const Tensor& input);
Tensor run(const ir::Graph& g, const Tensor& input);  // output node only

// Quantises pixels (0..255, HW) into the graph's input tensor: round(pixel/255 / scale),
// saturated, channel count g.input().out.c (a 1-channel image).
Tensor quantize_image(const ir::Graph& g, const uint8_t* pixels);
// Index of the largest element (first on ties).
int argmax(const Tensor& t);

}  // namespace saie::reference
