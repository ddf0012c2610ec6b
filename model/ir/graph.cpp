// graph.cpp — op names, block-mask statistics and the structural verifier of the IR graph.
#include "model/ir/graph.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "hw/isa/quant_math.h"

namespace saie::ir {

const char* op_name(OpKind k) {
  switch (k) {
    case OpKind::Input: return "input";
    case OpKind::Conv: return "conv";
    case OpKind::Fc: return "fc";
    case OpKind::MaxPool: return "maxpool";
    case OpKind::AvgPool: return "avgpool";
    case OpKind::Add: return "add";
    case OpKind::Relu: return "relu";
    case OpKind::Concat: return "concat";
    case OpKind::Lut: return "lut";
    case OpKind::Mul: return "mul";
  }
  return "?";
}

OpKind op_from_name(const std::string& s) {
  static const OpKind all[] = {OpKind::Input, OpKind::Conv, OpKind::Fc, OpKind::MaxPool,
                               OpKind::AvgPool, OpKind::Add, OpKind::Relu, OpKind::Concat,
                               OpKind::Lut,   OpKind::Mul};
  for (OpKind k : all)
    if (s == op_name(k)) return k;
  throw std::invalid_argument("unknown op '" + s + "'");
}

uint32_t BlockMask::nnz() const {
  uint32_t n = 0;
  for (uint8_t b : bits) n += b != 0 ? 1 : 0;
  return n;
}

double BlockMask::sparsity() const {
  if (bits.empty()) return 0.0;
  return 1.0 - static_cast<double>(nnz()) / static_cast<double>(bits.size());
}

namespace {

// Builds the one-line error "node 'name': <message>".
struct NodeError {
  const Node& n;
  template <class... A>
  [[noreturn]] void operator()(const A&... parts) const {
    std::ostringstream os;
    os << "node '" << n.name << "': ";
    (os << ... << parts);
    throw std::runtime_error(os.str());
  }
};

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[" << s.h << ", " << s.w << ", " << s.c << "]";
  return os.str();
}

bool positive_finite(double v) { return v > 0 && std::isfinite(v); }

// Scales a node must carry over unchanged (maxpool, relu) may differ by float noise only.
bool same_scale(float a, float b) { return std::fabs(double{a} - double{b}) <= 1e-5 * std::fabs(double{a}); }

void check_window(const Node& n, const Shape& in, bool require_pad_below_kernel) {
  NodeError fail{n};
  if (n.kh == 0 || n.kw == 0) fail("kernel must be at least 1x1");
  if (n.stride_h == 0 || n.stride_w == 0) fail("stride must be at least 1");
  if (require_pad_below_kernel && (n.pad_h >= n.kh || n.pad_w >= n.kw))
    fail("pad [", n.pad_h, ", ", n.pad_w, "] must be smaller than the kernel [", n.kh, ", ", n.kw, "]");
  uint32_t oh = window_extent(in.h, n.kh, n.stride_h, n.pad_h, n.ceil_mode);
  uint32_t ow = window_extent(in.w, n.kw, n.stride_w, n.pad_w, n.ceil_mode);
  if (oh == 0 || ow == 0) fail("kernel [", n.kh, ", ", n.kw, "] does not fit input ", shape_str(in));
  if (n.out.h != oh || n.out.w != ow)
    fail("output shape ", shape_str(n.out), " does not chain: expected h ", oh, ", w ", ow, " from input ",
         shape_str(in));
}

void check_weights(const Node& n, const Shape& in, uint32_t block_o, uint32_t block_i) {
  NodeError fail{n};
  const uint64_t cout = n.out.c, cin = in.c, k = uint64_t{n.kh} * n.kw;
  if (n.weight.size() != cout * k * cin)
    fail("weight has ", n.weight.size(), " elements, expected ", cout * k * cin, " (cout ", cout, " x kh ", n.kh,
         " x kw ", n.kw, " x cin ", cin, ")");
  if (n.bias.size() != cout) fail("bias has ", n.bias.size(), " elements, expected ", cout);
  if (n.weight_scales.size() != cout) fail("weight_scales has ", n.weight_scales.size(), " elements, expected ", cout);
  for (size_t i = 0; i < n.weight_scales.size(); ++i)
    if (!positive_finite(n.weight_scales[i])) fail("weight_scales[", i, "] = ", n.weight_scales[i], " is not positive and finite");
  if (n.groups == 0) fail("groups must be at least 1");
  if (n.groups > 1) {
    if (n.op != OpKind::Conv) fail("only a conv can have groups (", n.groups, ")");
    if (cin % n.groups != 0 || cout % n.groups != 0)
      fail("groups ", n.groups, " must divide the input channels ", cin, " and the output channels ", cout);
    // A grouped conv's output channel reads only its group's input channels.
    for (uint64_t oc = 0; oc < cout; ++oc) {
      const ChannelRange r = group_inputs(n, static_cast<uint32_t>(cin), static_cast<uint32_t>(oc));
      for (uint64_t kk = 0; kk < k; ++kk) {
        const int8_t* run = n.weight.data() + (oc * k + kk) * cin;
        for (uint64_t ic = 0; ic < cin; ++ic)
          if ((ic < r.first || ic >= r.last) && run[ic] != 0)
            fail("weight [oc ", oc, ", ky ", kk / n.kw, ", kx ", kk % n.kw, ", ic ", ic, "] = ", int{run[ic]},
                 " lies outside its group (input channels ", r.first, "..", r.last - 1, ")");
      }
    }
  }
  if (!n.sparse) return;

  // Any non-zero block shape bo x bi is accepted (the trainer uses 1x1, 4x16, 8x8, 16x4); the
  // compiler maps it onto the core's 8x8 blocks (ir::hardware_mask). Masks and graph must agree.
  const BlockMask& m = n.mask;
  if (m.bo == 0 || m.bi == 0) fail("mask block [", m.bo, ", ", m.bi, "] must be non-zero");
  if (m.bo != block_o || m.bi != block_i)
    fail("mask block [", m.bo, ", ", m.bi, "] differs from the graph block [", block_o, ", ", block_i, "]");
  const uint64_t rows = (cout + m.bo - 1) / m.bo, cols = (cin + m.bi - 1) / m.bi;
  if (m.rows != rows || m.cols != cols)
    fail("mask is ", m.rows, "x", m.cols, ", expected ", rows, "x", cols);
  if (m.bits.size() != rows * cols) fail("mask has ", m.bits.size(), " bits, expected ", rows * cols);
  for (size_t i = 0; i < m.bits.size(); ++i)
    if (m.bits[i] > 1) fail("mask bit ", i, " is ", int{m.bits[i]}, ", expected 0 or 1");
  // Every weight inside a zero block (all kh x kw positions; edge blocks partial) must be zero.
  // Walked per run of a block column's bi input channels, so kept blocks cost one mask lookup.
  for (uint64_t oc = 0; oc < cout; ++oc) {
    const uint32_t r = static_cast<uint32_t>(oc / m.bo);
    for (uint32_t c = 0; c < m.cols; ++c) {
      if (m.at(r, c)) continue;
      const uint64_t ic0 = uint64_t{c} * m.bi, ic1 = std::min<uint64_t>(cin, ic0 + m.bi);
      for (uint64_t kk = 0; kk < k; ++kk) {
        const int8_t* run = n.weight.data() + (oc * k + kk) * cin;
        for (uint64_t ic = ic0; ic < ic1; ++ic)
          if (run[ic] != 0)
            fail("weight [oc ", oc, ", ky ", kk / n.kw, ", kx ", kk % n.kw, ", ic ", ic, "] = ", int{run[ic]},
                 " lies in zero mask block (", r, ", ", c, ")");
      }
    }
  }
}

}  // namespace

bool non_negative(const Graph& g, int i) {
  const Node& n = g.nodes.at(static_cast<size_t>(i));
  switch (n.op) {
    case OpKind::Input:  // pixel / 255, quantised symmetrically (docs/bundle-format.md)
    case OpKind::Relu: return true;
    case OpKind::MaxPool:
    case OpKind::AvgPool: return non_negative(g, n.inputs.at(0));
    case OpKind::Concat:
    case OpKind::Mul:
      return std::all_of(n.inputs.begin(), n.inputs.end(), [&](int in) { return non_negative(g, in); });
    default:
      if (n.op == OpKind::Lut || has_fused_lut(n))  // the table's entries are all its outputs can be
        return std::all_of(n.lut.begin(), n.lut.end(), [](int8_t v) { return v >= 0; });
      return n.relu;
  }
}

std::vector<int8_t> group_slice_weights(const std::vector<int8_t>& full, uint32_t cout, uint64_t k, uint32_t cin,
                                        uint32_t groups) {
  if (groups <= 1) return full;
  const uint32_t cin_g = cin / groups, cout_g = cout / groups;
  std::vector<int8_t> out(uint64_t{cout} * k * cin_g);
  for (uint64_t oc = 0; oc < cout; ++oc)
    for (uint64_t kk = 0; kk < k; ++kk) {
      const int8_t* src = full.data() + (oc * k + kk) * cin + oc / cout_g * cin_g;
      std::copy(src, src + cin_g, out.data() + (oc * k + kk) * cin_g);
    }
  return out;
}

std::vector<int8_t> expand_group_weights(const std::vector<int8_t>& slices, uint32_t cout, uint64_t k, uint32_t cin,
                                         uint32_t groups) {
  if (groups <= 1) return slices;
  const uint32_t cin_g = cin / groups, cout_g = cout / groups;
  std::vector<int8_t> out(uint64_t{cout} * k * cin, 0);
  for (uint64_t oc = 0; oc < cout; ++oc)
    for (uint64_t kk = 0; kk < k; ++kk) {
      const int8_t* src = slices.data() + (oc * k + kk) * cin_g;
      std::copy(src, src + cin_g, out.data() + (oc * k + kk) * cin + oc / cout_g * cin_g);
    }
  return out;
}

const std::vector<std::string>& lut_functions() {
  static const std::vector<std::string> names = {"hardswish", "hardsigmoid", "silu", "sigmoid", "tanh"};
  return names;
}

bool avgpool_divides_by_count(const Node& n, const Shape& in) {
  if (n.op != OpKind::AvgPool) return false;
  if (!n.count_include_pad && (n.pad_h != 0 || n.pad_w != 0)) return true;
  return n.ceil_mode && (window_overhang(in.h, n.out.h, n.kh, n.stride_h, n.pad_h) > 0 ||
                         window_overhang(in.w, n.out.w, n.kw, n.stride_w, n.pad_w) > 0);
}

namespace {
// The counted positions of one dimension, [first, second) in input coordinates.
std::pair<int64_t, int64_t> counted_range(uint32_t pad, uint32_t in, bool count_include_pad) {
  const int64_t p = count_include_pad ? pad : 0;
  return {-p, int64_t{in} + p};
}
}  // namespace

CountRegion avgpool_count_region(const Node& n, const Shape& in) {
  const auto [y0, y1] = counted_range(n.pad_h, in.h, n.count_include_pad);
  const auto [x0, x1] = counted_range(n.pad_w, in.w, n.count_include_pad);
  return CountRegion{y0, y1, x0, x1};
}

int64_t avgpool_taps(uint32_t o, uint32_t k, uint32_t stride, uint32_t pad, uint32_t in, bool count_include_pad) {
  const auto [lo, hi] = counted_range(pad, in, count_include_pad);
  return isa::window_taps(int64_t{o} * stride - pad, k, lo, hi);
}

int64_t avgpool_count(const Node& n, const Shape& in, uint32_t oy, uint32_t ox) {
  return avgpool_taps(oy, n.kh, n.stride_h, n.pad_h, in.h, n.count_include_pad) *
         avgpool_taps(ox, n.kw, n.stride_w, n.pad_w, in.w, n.count_include_pad);
}

bool lut_function_known(const std::string& act) {
  return std::find(lut_functions().begin(), lut_functions().end(), act) != lut_functions().end();
}

// PyTorch's definitions (torch.nn.Hardswish, Hardsigmoid, SiLU, Sigmoid, Tanh).
double lut_function(const std::string& act, double x) {
  const auto relu6 = [](double v) { return std::min(std::max(v, 0.0), 6.0); };
  if (act == "hardswish") return x * relu6(x + 3.0) / 6.0;
  if (act == "hardsigmoid") return relu6(x + 3.0) / 6.0;
  if (act == "silu") return x / (1.0 + std::exp(-x));
  if (act == "sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (act == "tanh") return std::tanh(x);
  throw std::invalid_argument("unknown activation '" + act + "'");
}

std::vector<int8_t> make_lut(const std::string& act, double in_scale, double out_scale) {
  std::vector<int8_t> t(kLutEntries);
  for (size_t i = 0; i < kLutEntries; ++i) {
    const double y = std::round(lut_function(act, (static_cast<double>(i) - 128.0) * in_scale) / out_scale);
    t[i] = static_cast<int8_t>(std::clamp(y, -128.0, 127.0));
  }
  return t;
}

void Graph::validate() const {
  if (nodes.empty()) throw std::runtime_error("graph '" + name + "': has no nodes");
  std::set<std::string> names;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    NodeError fail{n};
    if (n.name.empty()) throw std::runtime_error("node #" + std::to_string(i) + ": empty name");
    if (!names.insert(n.name).second) fail("duplicate node name");
    if (n.out.h == 0 || n.out.w == 0 || n.out.c == 0) fail("output shape ", shape_str(n.out), " has a zero extent");
    if (!positive_finite(n.out_scale)) fail("scale ", n.out_scale, " is not positive and finite");
    if (i == 0) {
      if (n.op != OpKind::Input) fail("nodes[0] must be the input, not '", op_name(n.op), "'");
      if (!n.inputs.empty()) fail("the input node takes no inputs");
      continue;
    }
    if (n.op == OpKind::Input) fail("only nodes[0] may be an input");

    if (n.op == OpKind::Concat) {
      if (n.inputs.size() < 2) fail("'concat' takes at least 2 inputs, has ", n.inputs.size());
    } else {
      const size_t arity = n.op == OpKind::Add || n.op == OpKind::Mul || has_fused_add(n) || is_gate_conv(n) ? 2 : 1;
      if (n.inputs.size() != arity) fail("'", op_name(n.op), "' takes ", arity, " input(s), has ", n.inputs.size());
    }
    for (int in : n.inputs)
      if (in < 0 || static_cast<size_t>(in) >= i) fail("input index ", in, " does not refer to an earlier node");
    const Node& src = nodes[static_cast<size_t>(n.inputs[0])];
    const Shape& in = src.out;

    const bool weighted = ir::has_weights(n.op);
    if (!weighted && (!n.weight.empty() || !n.bias.empty() || !n.weight_scales.empty() || n.sparse))
      fail("'", op_name(n.op), "' carries no weights, bias, scales or mask");
    if (n.groups != 1 && n.op != OpKind::Conv) fail("only a conv can have groups (", n.groups, ")");
    if (n.ceil_mode && n.op != OpKind::MaxPool && n.op != OpKind::AvgPool) fail("only a pool can have ceil_mode");
    if (!n.count_include_pad && n.op != OpKind::AvgPool) fail("only an avgpool can have count_include_pad false");
    if (n.relu && !(weighted || n.op == OpKind::Add)) fail("fused relu is only allowed on conv, fc and add");
    if (n.op == OpKind::Lut || n.lut_in_scale != 0) {
      if (n.lut.size() != kLutEntries) fail("lookup table has ", n.lut.size(), " entries, expected ", kLutEntries);
      if (n.op != OpKind::Lut && !(weighted && positive_finite(n.lut_in_scale)))
        fail("only a conv or fc can carry a fused lookup table, with a positive scale");
      if (has_fused_add(n)) fail("a conv cannot carry both a fused add and a lookup table");
    } else if (!n.lut.empty()) {
      fail("'", op_name(n.op), "' carries a lookup table");
    }
    if (n.gate) {
      if (n.op != OpKind::Conv || has_fused_add(n) || n.groups != in.c || n.kh != 1 || n.kw != 1 || n.stride_h != 1 ||
          n.stride_w != 1 || n.pad_h != 0 || n.pad_w != 0 || n.sparse || n.out.c != in.c)
        fail("a gate (mul) conv must be an unfused, dense, depthwise 1x1 conv of stride 1");
      const Shape& gs = nodes[static_cast<size_t>(n.inputs[1])].out;
      if (gs.h != 1 || gs.w != 1 || gs.c != in.c) fail("gate (input 1) must be 1x1x", in.c, ", is ", shape_str(gs));
    }
    if (n.pre_add_scale != 0) {
      if (n.op != OpKind::Conv) fail("only a conv can carry a fused add");
      if (!positive_finite(n.pre_add_scale)) fail("pre-add scale ", n.pre_add_scale, " is not positive and finite");
      const Shape& r = nodes[static_cast<size_t>(n.inputs[1])].out;
      if (!(r == n.out)) fail("residual shape ", shape_str(r), " differs from the output's ", shape_str(n.out));
    } else if (n.pre_add_relu || n.residual_first) {
      fail("pre-add relu or residual order set without a fused add");
    }

    switch (n.op) {
      case OpKind::Conv:
        check_window(n, in, false);
        check_weights(n, in, block_o, block_i);
        break;
      case OpKind::Fc:
        if (n.kh != in.h || n.kw != in.w)
          fail("fc kernel [", n.kh, ", ", n.kw, "] must cover the whole input ", shape_str(in));
        if (n.stride_h != 1 || n.stride_w != 1 || n.pad_h != 0 || n.pad_w != 0) fail("fc must have stride 1 and pad 0");
        if (n.out.h != 1 || n.out.w != 1) fail("fc output must be 1x1xcout, is ", shape_str(n.out));
        check_weights(n, in, block_o, block_i);
        break;
      case OpKind::MaxPool:
      case OpKind::AvgPool:
        check_window(n, in, true);
        if (n.out.c != in.c) fail("pool changes channels from ", in.c, " to ", n.out.c);
        if (n.op == OpKind::MaxPool && !same_scale(n.out_scale, src.out_scale))
          fail("maxpool scale ", n.out_scale, " differs from its input's ", src.out_scale);
        break;
      case OpKind::Add: {
        const Shape& b = nodes[static_cast<size_t>(n.inputs[1])].out;
        if (!(in == b)) fail("add inputs differ in shape: ", shape_str(in), " vs ", shape_str(b));
        if (!(n.out == in)) fail("output shape ", shape_str(n.out), " differs from the inputs' ", shape_str(in));
        break;
      }
      case OpKind::Lut:
        if (!(n.out == in)) fail("output shape ", shape_str(n.out), " differs from the input's ", shape_str(in));
        break;
      case OpKind::Mul: {
        const Shape& gate = nodes[static_cast<size_t>(n.inputs[1])].out;
        if (gate.h != 1 || gate.w != 1 || gate.c != in.c)
          fail("mul gate (input 1) must be 1x1x", in.c, ", is ", shape_str(gate));
        if (!(n.out == in)) fail("output shape ", shape_str(n.out), " differs from the input's ", shape_str(in));
        break;
      }
      case OpKind::Relu:
        if (!(n.out == in)) fail("output shape ", shape_str(n.out), " differs from the input's ", shape_str(in));
        if (!same_scale(n.out_scale, src.out_scale))
          fail("relu scale ", n.out_scale, " differs from its input's ", src.out_scale);
        break;
      case OpKind::Concat: {
        uint64_t channels = 0;
        for (size_t k = 0; k < n.inputs.size(); ++k) {
          const Node& p = nodes[static_cast<size_t>(n.inputs[k])];
          if (p.out.h != n.out.h || p.out.w != n.out.w)
            fail("concat input ", k, " '", p.name, "' has shape ", shape_str(p.out), ", expected h ", n.out.h, ", w ",
                 n.out.w);
          if (!same_scale(n.out_scale, p.out_scale))
            fail("concat scale ", n.out_scale, " differs from input ", k, " '", p.name, "' scale ", p.out_scale);
          channels += p.out.c;
        }
        if (channels != n.out.c) fail("concat output has ", n.out.c, " channels, inputs sum to ", channels);
        break;
      }
      case OpKind::Input: break;
    }
  }
  // Checked after the nodes so that a sparse node whose mask disagrees is the one named; a graph
  // without sparse nodes must still declare a usable block shape.
  if (block_o == 0 || block_i == 0)
    throw std::runtime_error("graph '" + name + "': block shape [" + std::to_string(block_o) + ", " +
                             std::to_string(block_i) + "] must be non-zero");
  if (output < 0 || static_cast<size_t>(output) >= nodes.size())
    throw std::runtime_error("graph '" + name + "': output index " + std::to_string(output) + " is not a node");
}

}  // namespace saie::ir
