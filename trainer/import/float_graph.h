// float_graph.h — a float CNN as a plain layer list (torch-free), the common middle of the
// TorchScript importer and the ImageNet model zoo: shapes, float execution (calibration),
// block pruning and int8 quantisation into the compiler's ir::Graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir/graph.h"

namespace saie::trainer {

// Concat: >= 2 inputs of equal h and w joined along channels in input order (ir::OpKind::Concat).
// Act: an element-wise non-linear function (FloatLayer::act, ir::lut_function), an int8 lookup
// table once quantised (ir::OpKind::Lut). Mul: input 0 (h x w x c) times input 1 (1 x 1 x c), the
// channel gate of a squeeze-excitation block (ir::OpKind::Mul).
enum class FloatOp { Conv, Fc, MaxPool, AvgPool, Add, Relu, Concat, Act, Mul };
// "conv", "fc", "maxpool", "avgpool", "add", "relu", "concat", "act", "mul"
const char* float_op_name(FloatOp op);

struct FloatLayer {
  std::string name;
  FloatOp op = FloatOp::Conv;
  std::vector<int> inputs;  // -1 = the network input, otherwise an earlier layer's index
  // Conv and pools: window (rows x cols), stride, zero padding. Fc ignores them (kernel = input).
  uint32_t kh = 1, kw = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  bool relu = false;  // fused ReLU on the output (Conv, Fc, Add)
  bool ceil_mode = false;  // MaxPool / AvgPool: PyTorch's ceil_mode (ir::Node::ceil_mode)
  bool count_include_pad = true;  // AvgPool: PyTorch's (ir::Node::count_include_pad)
  // > 0 (with relu): the fused activation also caps the output at this value (ReLU6 = 6,
  // PyTorch's hardtanh(0, clamp)). In int8 it is exact only while clamp / scale >= 127: the
  // output's own calibrated scale gives that (its max is at most clamp); quantize_float_graph
  // rejects a layer whose scale a concat raised above clamp / 127.
  float clamp = 0.0f;
  std::string act;    // Act: the function's name ("hardswish", "sigmoid", ...; ir::lut_function)
  // Conv: a channel copy (a 1x1 conv whose weights are 0 / 1, each output channel one input
  // channel: ShuffleNet's channel shuffle and chunks). Its output keeps its input's scale, its
  // int8 weights are the 0 / 1 themselves (scale 1), so the int8 layer copies bytes exactly; its
  // mask keeps the blocks that hold a 1 and pruning leaves it alone.
  bool copy = false;
  uint32_t cout = 0;  // Conv/Fc output channels
  uint32_t groups = 1;  // Conv: PyTorch's groups (ir::Node::groups); weights zero outside them
  // Conv: PyTorch OIHW [cout][cin][kh][kw] (a grouped conv's expanded to every input channel,
  // zero outside its group). Fc: [cout][in_c][in_h][in_w] (PyTorch Linear on a
  // CHW flatten). Empty = not materialised (shape-only graphs); bias empty = zero bias.
  std::vector<float> weight;
  std::vector<float> bias;
  bool has_mask = false;  // set by prune_float_graph: weights outside the mask are zero
  ir::BlockMask mask;
  ir::Shape out;          // output HWC, set by FloatGraph::infer_shapes
  uint32_t cin = 0;       // Conv/Fc input channels, set by infer_shapes
};

struct FloatGraph {
  std::string name;
  ir::Shape input{28, 28, 1};
  std::vector<FloatLayer> layers;  // topological order; the last layer is the output

  // Fills out/cin of every layer from the input shape and the layers' windows; checks channel
  // and weight sizes (when materialised). Throws std::runtime_error naming the layer.
  void infer_shapes();
  const ir::Shape& shape_of(int layer) const { return layer < 0 ? input : layers.at(static_cast<size_t>(layer)).out; }
  // Number of weights + biases (Conv/Fc, from shapes; biases counted for every Conv/Fc).
  uint64_t parameter_count() const;
};

// Spatial output size of a window (ir::window_extent; ceil_mode as PyTorch's); throws if the
// window does not fit.
uint32_t window_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad, const std::string& layer,
                    bool ceil_mode = false);

using FloatTensor = std::vector<float>;  // HWC, batch 1

// Runs the float graph on one HWC input; returns every layer's output (index = layer index).
// Semantics match the int8 reference: maxpool ignores padding, avgpool divides by kh*kw
// (padding counts as 0). Weights must be materialised.
std::vector<FloatTensor> run_float(const FloatGraph& g, const FloatTensor& input);

// Max |output| of every layer over the inputs (calibration).
std::vector<float> calibrate_max_abs(const FloatGraph& g, const std::vector<FloatTensor>& inputs);

// Output scale of every layer: activation_scale(max_abs) for Conv/Fc/Add/Act/Mul; pools and standalone
// ReLU keep their input's scale (the network input has kInputScale). A concat and all of its
// producers share ONE scale (the int8 concat is a plain copy): the layers tied together this way
// (transitively, through pools / ReLUs and their sources) get the max of their members' scales,
// or kInputScale when the network input is among them.
std::vector<float> scales_from_max(const FloatGraph& g, const std::vector<float>& max_abs);

// Block pruning by the trainer's rules: every Conv/Fc except the first Conv gets an L2,
// row-balanced bo x bi block mask of the given sparsity and its masked weights are zeroed.
// A grouped conv is pruned inside its groups: each block row loses that share of the blocks
// that meet its groups (the others hold no weight and stay 0); a conv whose block rows meet one
// block each (depthwise) stays dense.
// sparsity 0 leaves every layer dense (no masks). Fc blocks span (out x in channels) over the
// whole input window, as a 1x1 conv over channels would.
void prune_float_graph(FloatGraph& g, double sparsity, uint32_t bo = 8, uint32_t bi = 8);

// Quantises into the compiler's int8 graph: input node "input" (scale kInputScale), then one
// node per layer with the given output scales; weights symmetric per output channel (OHWI),
// biases int32 with scale in_scale * w_scale. Throws std::runtime_error naming the layer.
ir::Graph quantize_float_graph(const FloatGraph& g, const std::vector<float>& scales, const ir::Provenance& prov,
                               uint32_t bo = 8, uint32_t bi = 8);

}  // namespace saie::trainer
