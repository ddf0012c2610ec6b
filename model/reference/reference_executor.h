// reference_executor.h — the integer reference: runs a quantised Graph directly, no hardware model.
// The simulator's output must equal it bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "model/data/idx.h"
#include "model/ir/graph.h"

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

// Top-1 accuracy of the int8 reference on the first n images of ds (each quantised with
// quantize_image): the fraction whose argmax equals the label. n is capped at ds.count; 0 images
// give 0. The one accuracy function of the project (trainer, driver and tests use it).
double int8_accuracy(const ir::Graph& g, const data::Dataset& ds, uint32_t n);

}  // namespace saie::reference
