// graph.h — the compiler's IR: a quantised CNN as plain values (no LibTorch, no SystemC).
//
// The bundle reader (compiler/import) produces a Graph; passes (compiler/passes) rewrite it;
// the reference executor (compiler/reference) runs it; lowering turns it into an isa::Program.
// Tensors are int8 HWC (batch 1), symmetric quantisation (real = scale * q, zero point 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saie::ir {

// Concat: k >= 2 inputs of equal h and w, joined along channels in input order; every input
// carries the concat's out_scale, so it is pure data layout (no requantisation).
// Lut: an element-wise int8 -> int8 lookup table (a non-linear activation: hardswish, sigmoid, ...).
// Mul: a feature map times a per-channel gate vector (squeeze-excitation), requantised.
enum class OpKind { Input, Conv, Fc, MaxPool, AvgPool, Add, Relu, Concat, Lut, Mul };
// "input", "conv", "fc", "maxpool", "avgpool", "add", "relu", "concat", "lut", "mul"
const char* op_name(OpKind k);

// Conv and Fc carry weights (and a mask, bias, requantisation); every other op does not.
inline bool has_weights(OpKind k) { return k == OpKind::Conv || k == OpKind::Fc; }
OpKind op_from_name(const std::string& s);  // throws std::invalid_argument on unknown names

struct Shape {
  uint32_t h = 1, w = 1, c = 1;
  uint64_t elements() const { return uint64_t{h} * w * c; }
  bool operator==(const Shape& o) const { return h == o.h && w == o.w && c == o.c; }
};

// Block mask over the Cout x Cin block grid: rows = ceil(cout/bo), cols = ceil(cin/bi).
// 1 = block stored/computed, 0 = block is all zero. Explicit (never inferred from zeros).
struct BlockMask {
  uint32_t bo = 8, bi = 8;
  uint32_t rows = 0, cols = 0;
  std::vector<uint8_t> bits;  // row-major rows x cols
  bool at(uint32_t r, uint32_t c) const { return bits[size_t{r} * cols + c] != 0; }
  uint32_t nnz() const;
  double sparsity() const;  // fraction of zero blocks
};

struct Node {
  std::string name;
  OpKind op = OpKind::Input;
  std::vector<int> inputs;  // indices of producer nodes (earlier in Graph::nodes)
  Shape out;                // output shape (HWC)
  float out_scale = 1.0f;   // output quantisation scale

  // Conv / Fc / pools
  uint32_t kh = 1, kw = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  bool relu = false;  // fused ReLU on the output (Conv, Fc, Add)
  // Conv: input and output channels in this many equal groups (PyTorch's `groups`; cin = groups
  // is depthwise). Output channel oc reads only the input channels of its group, so `weight`
  // (below, full cout x kh x kw x cin) is zero outside them; the bundle stores the group's slice.
  uint32_t groups = 1;
  // MaxPool / AvgPool: PyTorch's ceil_mode — the output size rounds up (window_extent), so the
  // last window may reach past the bottom/right padding; positions outside the input are ignored
  // as always (an average divides by the window's part inside the padded input).
  bool ceil_mode = false;
  // AvgPool: PyTorch's count_include_pad (false: a window divides by its positions inside the
  // input only). See avgpool_divides_by_count.
  bool count_include_pad = true;

  // Lut: y = lut[x + 128] for every element (kLutEntries int8 values, input -128 .. 127), built
  // at import from the float function `act` ("hardswish", "sigmoid", ...) and the input's and
  // output's scales (make_lut). The compiler pass "fuse-lut" moves a Lut into the conv / fc that
  // produces its input (never in a bundle): the conv's requantisation then targets lut_in_scale,
  // its output goes through `lut`, and out_scale is the table's output scale.
  std::vector<int8_t> lut;
  std::string act;
  float lut_in_scale = 0;  // 0: no fused table

  // Conv / Fc: int8 weights OHWI [cout][kh][kw][cin]; Fc is stored as a conv whose kernel
  // covers its whole input (kh = in.h, kw = in.w), i.e. weights [cout][in.h][in.w][in.c].
  std::vector<int8_t> weight;
  std::vector<float> weight_scales;  // per output channel
  std::vector<int32_t> bias;         // int32, scale = in_scale * weight_scale[oc]
  bool sparse = false;               // true: `mask` applies; false: dense (e.g. first conv)
  BlockMask mask;
  // Conv only, set by the compiler pass "fuse-add" (never in a bundle): the conv also performs the
  // residual Add that consumed it. inputs[1] is the residual; the conv's own int8 output has scale
  // pre_add_scale and ReLU pre_add_relu; out_scale and relu are the add's. residual_first: the
  // residual was the add's first operand (its requant pair is (residual, conv) in that order).
  // Conv only, set by the compiler pass "mul-conv" (never in a bundle): the conv is a Mul — a
  // depthwise 1x1 conv whose diagonal weights are the values of inputs[1] (the 1x1xC gate) at run
  // time. Its own `weight` holds the placeholder 1, weight_scales the gate's scale, bias 0, so the
  // requantisation factor is the Mul's (in_scale * gate_scale / out_scale).
  bool gate = false;
  float pre_add_scale = 0;  // 0: no fused add
  bool pre_add_relu = false;
  bool residual_first = false;
};

// Output extent of a window of k over `in` with `pad` on both sides and `stride`, as PyTorch
// computes it: floor((in + 2 pad - k) / stride) + 1, or with ceil_mode the ceiling, less one
// when the last window would start past the input and its left padding; 0 when k does not fit.
inline uint32_t window_extent(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad, bool ceil_mode = false) {
  const uint64_t padded = uint64_t{in} + 2ull * pad;
  if (k == 0 || stride == 0 || padded < k) return 0;
  uint64_t out = (padded - k + (ceil_mode ? stride - 1 : 0)) / stride + 1;
  if (ceil_mode && (out - 1) * stride >= uint64_t{in} + pad) --out;
  return static_cast<uint32_t>(out);
}
// Rows (columns) the last window reaches past the input's far edge beyond `pad`: > 0 only for a
// ceil_mode window whose last position overhangs (the buffer it reads needs that much more border).
inline uint32_t window_overhang(uint32_t in, uint32_t out, uint32_t k, uint32_t stride, uint32_t pad) {
  const int64_t e = (int64_t{out} - 1) * stride + k - (int64_t{in} + 2 * int64_t{pad});
  return e > 0 ? static_cast<uint32_t>(e) : 0;
}

// An average pool whose windows do not all divide by kh*kw (PyTorch's avg_pool2d): with
// count_include_pad=False and padding, or a ceil_mode window that reaches past the padding.
// Such a pool divides each window's sum by its own count (isa::avg_requantize) of the taps inside
// the counted region: the padded input [-pad, in + pad) with count_include_pad, else the input
// [0, in), per dimension (input coordinates). Every other pool divides by kh*kw.
struct CountRegion {
  int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;
};
bool avgpool_divides_by_count(const Node& n, const Shape& in);
CountRegion avgpool_count_region(const Node& n, const Shape& in);
// PyTorch's avg_pool2d divisor along one dimension: the taps of window o (k wide, `stride`
// apart, `pad` before the input of size `in`) inside the counted region. The divisor of a window
// is the product over both dimensions (kh*kw for every window of an ordinary pool).
int64_t avgpool_taps(uint32_t o, uint32_t k, uint32_t stride, uint32_t pad, uint32_t in, bool count_include_pad);
// The divisor of output position (oy, ox) of an average pool.
int64_t avgpool_count(const Node& n, const Shape& in, uint32_t oy, uint32_t ox);

// Input channels [first, last) that output channel oc of a (possibly grouped) conv reads.
struct ChannelRange {
  uint32_t first = 0, last = 0;
};
inline ChannelRange group_inputs(const Node& n, uint32_t cin, uint32_t oc) {
  if (n.groups <= 1) return {0, cin};
  const uint32_t cin_g = cin / n.groups, g = oc / (n.out.c / n.groups);
  return {g * cin_g, (g + 1) * cin_g};
}

// A grouped conv's weights as the bundle stores them, [cout][kh][kw][cin / groups] (each output
// channel's own group only), from the full cout x kh x kw x cin tensor, and back (zeros outside
// the groups). k = kh * kw. groups 1: the tensor itself.
std::vector<int8_t> group_slice_weights(const std::vector<int8_t>& full, uint32_t cout, uint64_t k, uint32_t cin,
                                        uint32_t groups);
std::vector<int8_t> expand_group_weights(const std::vector<int8_t>& slices, uint32_t cout, uint64_t k, uint32_t cin,
                                         uint32_t groups);

// A conv carrying a fused residual add (see Node::pre_add_scale).
inline bool has_fused_add(const Node& n) { return n.op == OpKind::Conv && n.pre_add_scale > 0; }
// A conv made from a Mul (see Node::gate).
inline bool is_gate_conv(const Node& n) { return n.op == OpKind::Conv && n.gate; }
// A conv / fc carrying a fused lookup table (see Node::lut_in_scale).
inline bool has_fused_lut(const Node& n) { return has_weights(n.op) && n.lut_in_scale > 0; }
// Scale and ReLU of a conv/fc's own (pre-add, pre-table) int8 output: what its requantisation
// produces.
inline float conv_out_scale(const Node& n) {
  return has_fused_add(n) ? n.pre_add_scale : has_fused_lut(n) ? n.lut_in_scale : n.out_scale;
}
inline bool conv_relu(const Node& n) { return has_fused_add(n) ? n.pre_add_relu : n.relu; }

// Entries of a Lut table: one per int8 input value.
inline constexpr size_t kLutEntries = 256;
// The float functions a Lut can tabulate, as PyTorch defines them (and names its ops):
// "hardswish", "hardsigmoid", "silu", "sigmoid", "tanh".
const std::vector<std::string>& lut_functions();
bool lut_function_known(const std::string& act);  // in lut_functions()
double lut_function(const std::string& act, double x);  // throws std::invalid_argument if unknown
// The table of `act` from an input scale to an output scale:
// lut[i] = saturate_int8(std::round(f((i - 128) * in_scale) / out_scale)) (half away from zero).
std::vector<int8_t> make_lut(const std::string& act, double in_scale, double out_scale);

struct Provenance {
  std::string dataset;
  std::string model;
  double float_accuracy = -1;  // on the test set, -1 = unknown
  std::string notes;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;  // topological order; nodes[0] is the Input
  int output = -1;          // index of the output node
  uint32_t block_o = 8, block_i = 8;
  Provenance provenance;

  const Node& input() const { return nodes.at(0); }
  // Checks structure, shapes, weight sizes, masks (including that masked-out blocks are zero).
  // Throws std::runtime_error naming the node on the first problem.
  void validate() const;
};

// A depthwise conv: as many groups as input and output channels (a gate conv aside). The compiler
// runs it with the depthwise kernel (program op dwconv), not as block-diagonal 8x8 blocks.
inline bool is_depthwise(const Graph& g, const Node& n) {
  return n.op == OpKind::Conv && !n.gate && n.groups > 1 && n.groups == n.out.c &&
         g.nodes.at(static_cast<size_t>(n.inputs.at(0))).out.c == n.groups;
}

// True when every value of node i's output is >= 0: the network input (pixels / 255), a fused or
// standalone ReLU, a pool over such values, a concat of such inputs, a table without negative
// entries, or a product of non-negative operands.
bool non_negative(const Graph& g, int i);

}  // namespace saie::ir
