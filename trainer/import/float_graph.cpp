// float_graph.cpp — shapes, float execution, pruning and quantisation of a FloatGraph (see float_graph.h).
#include "trainer/import/float_graph.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

#include "trainer/quant/quantize.h"
#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {

namespace {

[[noreturn]] void fail(const FloatLayer& l, const std::string& what) {
  throw std::runtime_error("layer '" + l.name + "': " + what);
}

std::string shape_str(const ir::Shape& s) {
  return "[" + std::to_string(s.h) + ", " + std::to_string(s.w) + ", " + std::to_string(s.c) + "]";
}

size_t at(const ir::Shape& s, uint32_t y, uint32_t x, uint32_t c) { return (size_t{y} * s.w + x) * s.c + c; }

// Conv/Fc window: Fc covers its whole input with stride 1 and no padding.
struct Window {
  uint32_t kh, kw, sh, sw, ph, pw;
};
Window window_of(const FloatLayer& l, const ir::Shape& in) {
  if (l.op == FloatOp::Fc) return {in.h, in.w, 1, 1, 0, 0};
  return {l.kh, l.kw, l.stride_h, l.stride_w, l.pad_h, l.pad_w};
}

// A layer's fused activation: ReLU, capped at l.clamp when set (ReLU6).
float activate(const FloatLayer& l, float v) {
  if (!l.relu) return v;
  v = std::max(v, 0.0f);
  return l.clamp > 0.0f ? std::min(v, l.clamp) : v;
}

FloatTensor run_conv(const FloatLayer& l, const ir::Shape& is, const FloatTensor& in) {
  const Window win = window_of(l, is);
  const uint32_t cin = is.c, cout = l.cout;
  // Weights to [ky][kx][ic][oc] so the innermost loop runs over contiguous output channels.
  std::vector<float> wt(l.weight.size());
  for (uint32_t oc = 0; oc < cout; ++oc)
    for (uint32_t ic = 0; ic < cin; ++ic)
      for (uint32_t ky = 0; ky < win.kh; ++ky)
        for (uint32_t kx = 0; kx < win.kw; ++kx)
          wt[((size_t{ky} * win.kw + kx) * cin + ic) * cout + oc] = l.weight[((size_t{oc} * cin + ic) * win.kh + ky) * win.kw + kx];
  FloatTensor out(l.out.elements());
  std::vector<float> acc(cout);
  for (uint32_t oy = 0; oy < l.out.h; ++oy)
    for (uint32_t ox = 0; ox < l.out.w; ++ox) {
      for (uint32_t oc = 0; oc < cout; ++oc) acc[oc] = l.bias.empty() ? 0.0f : l.bias[oc];
      for (uint32_t ky = 0; ky < win.kh; ++ky) {
        const int64_t iy = int64_t{oy} * win.sh - win.ph + ky;
        if (iy < 0 || iy >= is.h) continue;
        for (uint32_t kx = 0; kx < win.kw; ++kx) {
          const int64_t ix = int64_t{ox} * win.sw - win.pw + kx;
          if (ix < 0 || ix >= is.w) continue;
          const float* a = &in[at(is, static_cast<uint32_t>(iy), static_cast<uint32_t>(ix), 0)];
          const float* w = &wt[(size_t{ky} * win.kw + kx) * cin * cout];
          for (uint32_t ic = 0; ic < cin; ++ic) {
            const float x = a[ic];
            if (x == 0.0f) continue;  // post-ReLU activations are often zero
            const float* wr = w + size_t{ic} * cout;
            // (a grouped conv: only the outputs of the input channel's group read it)
            const uint32_t g = ic / (cin / l.groups), oc0 = g * (cout / l.groups), oc1 = oc0 + cout / l.groups;
            for (uint32_t oc = oc0; oc < oc1; ++oc) acc[oc] += x * wr[oc];
          }
        }
      }
      float* o = &out[at(l.out, oy, ox, 0)];
      for (uint32_t oc = 0; oc < cout; ++oc) o[oc] = activate(l, acc[oc]);
    }
  return out;
}

FloatTensor run_pool(const FloatLayer& l, const ir::Shape& is, const FloatTensor& in) {
  const bool avg = l.op == FloatOp::AvgPool;
  FloatTensor out(l.out.elements());
  for (uint32_t oy = 0; oy < l.out.h; ++oy)
    for (uint32_t ox = 0; ox < l.out.w; ++ox)
      for (uint32_t c = 0; c < l.out.c; ++c) {
        double sum = 0;
        float mx = -INFINITY;
        for (uint32_t ky = 0; ky < l.kh; ++ky) {
          const int64_t iy = int64_t{oy} * l.stride_h - l.pad_h + ky;
          if (iy < 0 || iy >= is.h) continue;
          for (uint32_t kx = 0; kx < l.kw; ++kx) {
            const int64_t ix = int64_t{ox} * l.stride_w - l.pad_w + kx;
            if (ix < 0 || ix >= is.w) continue;
            const float v = in[at(is, static_cast<uint32_t>(iy), static_cast<uint32_t>(ix), c)];
            sum += v;
            mx = std::max(mx, v);
          }
        }
        // PyTorch's divisor: kh*kw, less the ceil_mode overhang, less the padding without count_include_pad.
        const auto divisor = [&] {
          return static_cast<double>(ir::avgpool_taps(oy, l.kh, l.stride_h, l.pad_h, is.h, l.count_include_pad) *
                                     ir::avgpool_taps(ox, l.kw, l.stride_w, l.pad_w, is.w, l.count_include_pad));
        };
        out[at(l.out, oy, ox, c)] = avg ? static_cast<float>(sum / divisor()) : mx;
      }
  return out;
}

}  // namespace

const char* float_op_name(FloatOp op) {
  switch (op) {
    case FloatOp::Conv: return "conv";
    case FloatOp::Fc: return "fc";
    case FloatOp::MaxPool: return "maxpool";
    case FloatOp::AvgPool: return "avgpool";
    case FloatOp::Add: return "add";
    case FloatOp::Relu: return "relu";
    case FloatOp::Concat: return "concat";
    case FloatOp::Act: return "act";
    case FloatOp::Mul: return "mul";
  }
  return "?";
}

uint32_t window_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad, const std::string& layer, bool ceil_mode) {
  if (k == 0 || stride == 0) throw std::runtime_error("layer '" + layer + "': kernel and stride must be positive");
  if (uint64_t{in} + 2ull * pad < k)
    throw std::runtime_error("layer '" + layer + "': kernel " + std::to_string(k) + " larger than the padded input " +
                             std::to_string(in + 2 * pad));
  return ir::window_extent(in, k, stride, pad, ceil_mode);
}

void FloatGraph::infer_shapes() {
  std::set<std::string> names;
  for (size_t i = 0; i < layers.size(); ++i) {
    FloatLayer& l = layers[i];
    if (l.name.empty() || l.name == "input") throw std::runtime_error("layer #" + std::to_string(i) + ": invalid name '" + l.name + "'");
    if (!names.insert(l.name).second) fail(l, "duplicate layer name");
    if (l.op == FloatOp::Concat) {
      if (l.inputs.size() < 2) fail(l, "concat takes at least 2 inputs");
    } else {
      const size_t arity = l.op == FloatOp::Add || l.op == FloatOp::Mul ? 2 : 1;
      if (l.inputs.size() != arity) fail(l, std::string(float_op_name(l.op)) + " takes " + std::to_string(arity) + " input(s)");
    }
    for (int in : l.inputs)
      if (in < -1 || in >= static_cast<int>(i)) fail(l, "input " + std::to_string(in) + " is not an earlier layer");
    const ir::Shape in = shape_of(l.inputs[0]);
    switch (l.op) {
      case FloatOp::Conv:
      case FloatOp::Fc: {
        if (l.cout == 0) fail(l, "cout must be positive");
        l.cin = in.c;
        if (l.groups == 0 || (l.groups > 1 && (l.op != FloatOp::Conv || in.c % l.groups != 0 || l.cout % l.groups != 0)))
          fail(l, "groups " + std::to_string(l.groups) + " must divide the input channels " + std::to_string(in.c) +
                      " and the output channels " + std::to_string(l.cout) + " of a conv");
        const Window win = window_of(l, in);
        if (l.op == FloatOp::Conv) {
          l.out = ir::Shape{window_out(in.h, win.kh, win.sh, win.ph, l.name), window_out(in.w, win.kw, win.sw, win.pw, l.name), l.cout};
        } else {
          l.out = ir::Shape{1, 1, l.cout};
        }
        const size_t expect = size_t{l.cout} * in.c * win.kh * win.kw;
        if (!l.weight.empty() && l.weight.size() != expect)
          fail(l, "weight has " + std::to_string(l.weight.size()) + " values, expected " + std::to_string(expect) + " for input " +
                      shape_str(in));
        if (!l.bias.empty() && l.bias.size() != l.cout) fail(l, "bias has " + std::to_string(l.bias.size()) + " values, expected cout");
        break;
      }
      case FloatOp::MaxPool:
      case FloatOp::AvgPool:
        if (l.pad_h * 2 > l.kh || l.pad_w * 2 > l.kw) fail(l, "padding larger than half the window");
        if (!l.count_include_pad && l.op != FloatOp::AvgPool) fail(l, "only an average pool has count_include_pad");
        l.out = ir::Shape{window_out(in.h, l.kh, l.stride_h, l.pad_h, l.name, l.ceil_mode),
                          window_out(in.w, l.kw, l.stride_w, l.pad_w, l.name, l.ceil_mode), in.c};
        break;
      case FloatOp::Add: {
        const ir::Shape b = shape_of(l.inputs[1]);
        if (!(b == in)) fail(l, "add inputs differ in shape: " + shape_str(in) + " vs " + shape_str(b));
        l.out = in;
        break;
      }
      case FloatOp::Relu: l.out = in; break;
      case FloatOp::Act:
        if (!ir::lut_function_known(l.act)) fail(l, "unknown activation '" + l.act + "'");
        l.out = in;
        break;
      case FloatOp::Mul: {
        const ir::Shape b = shape_of(l.inputs[1]);
        if (b.h != 1 || b.w != 1 || b.c != in.c)
          fail(l, "mul gate must be 1x1x" + std::to_string(in.c) + ", is " + shape_str(b));
        l.out = in;
        break;
      }
      case FloatOp::Concat: {
        uint32_t c = 0;
        for (int src : l.inputs) {
          const ir::Shape s = shape_of(src);
          if (s.h != in.h || s.w != in.w)
            fail(l, "concat inputs differ in h/w: " + shape_str(in) + " vs " + shape_str(s));
          c += s.c;
        }
        l.out = ir::Shape{in.h, in.w, c};
        break;
      }
    }
  }
}

uint64_t FloatGraph::parameter_count() const {
  uint64_t n = 0;
  for (const FloatLayer& l : layers) {
    if (l.op != FloatOp::Conv && l.op != FloatOp::Fc) continue;
    const ir::Shape in = shape_of(l.inputs.at(0));
    const Window win = window_of(l, in);
    n += uint64_t{l.cout} * (in.c / l.groups) * win.kh * win.kw + l.cout;  // (a grouped conv: its groups' weights)
  }
  return n;
}

std::vector<FloatTensor> run_float(const FloatGraph& g, const FloatTensor& input) {
  if (input.size() != g.input.elements())
    throw std::runtime_error("float graph '" + g.name + "': input has " + std::to_string(input.size()) + " values, expected " +
                             std::to_string(g.input.elements()));
  std::vector<FloatTensor> t(g.layers.size());
  auto tensor_of = [&](int i) -> const FloatTensor& { return i < 0 ? input : t[static_cast<size_t>(i)]; };
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const FloatLayer& l = g.layers[i];
    const ir::Shape& is = g.shape_of(l.inputs[0]);
    const FloatTensor& in = tensor_of(l.inputs[0]);
    switch (l.op) {
      case FloatOp::Conv:
      case FloatOp::Fc:
        if (l.weight.empty()) fail(l, "weights are not materialised");
        t[i] = run_conv(l, is, in);
        break;
      case FloatOp::MaxPool:
      case FloatOp::AvgPool: t[i] = run_pool(l, is, in); break;
      case FloatOp::Add: {
        const FloatTensor& b = tensor_of(l.inputs[1]);
        t[i].resize(in.size());
        for (size_t k = 0; k < in.size(); ++k) t[i][k] = activate(l, in[k] + b[k]);
        break;
      }
      case FloatOp::Relu:
        t[i] = in;
        for (float& v : t[i]) v = std::max(v, 0.0f);
        break;
      case FloatOp::Act:
        t[i] = in;
        for (float& v : t[i]) v = static_cast<float>(ir::lut_function(l.act, v));
        break;
      case FloatOp::Mul: {
        const FloatTensor& gate = tensor_of(l.inputs[1]);
        t[i].resize(in.size());
        for (size_t k = 0; k < in.size(); ++k) t[i][k] = in[k] * gate[k % is.c];
        break;
      }
      case FloatOp::Concat: {
        t[i].resize(l.out.elements());
        uint32_t off = 0;  // first output channel of the current input
        for (int src : l.inputs) {
          const ir::Shape& s = g.shape_of(src);
          const FloatTensor& x = tensor_of(src);
          for (uint32_t y = 0; y < s.h; ++y)
            for (uint32_t xx = 0; xx < s.w; ++xx)
              std::copy_n(&x[at(s, y, xx, 0)], s.c, &t[i][at(l.out, y, xx, off)]);
          off += s.c;
        }
        break;
      }
    }
  }
  return t;
}

std::vector<float> calibrate_max_abs(const FloatGraph& g, const std::vector<FloatTensor>& inputs) {
  std::vector<float> mx(g.layers.size(), 0.0f);
  for (const FloatTensor& x : inputs) {
    const std::vector<FloatTensor> t = run_float(g, x);
    for (size_t i = 0; i < t.size(); ++i)
      for (float v : t[i]) mx[i] = std::max(mx[i], std::fabs(v));
  }
  return mx;
}

std::vector<float> scales_from_max(const FloatGraph& g, const std::vector<float>& max_abs) {
  if (max_abs.size() != g.layers.size())
    throw std::runtime_error("float graph '" + g.name + "': " + std::to_string(max_abs.size()) + " maxima for " +
                             std::to_string(g.layers.size()) + " layers");
  // Union-find over "must share a scale": element 0 is the network input, layer i is i + 1.
  // Pass-through layers (pools, standalone ReLU) join their input; a concat joins all its inputs.
  const size_t n = g.layers.size() + 1;
  std::vector<size_t> parent(n);
  for (size_t i = 0; i < n; ++i) parent[i] = i;
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto unite = [&](size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // smallest index is the root: deterministic
  };
  auto elem = [](int layer) { return static_cast<size_t>(layer + 1); };
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const FloatLayer& l = g.layers[i];
    if (l.op == FloatOp::MaxPool || l.op == FloatOp::AvgPool || l.op == FloatOp::Relu || l.copy) {
      unite(i + 1, elem(l.inputs.at(0)));
    } else if (l.op == FloatOp::Concat) {
      for (int src : l.inputs) unite(i + 1, elem(src));
    }
  }
  // Group scale: kInputScale when the input is a member (its scale is fixed), otherwise the max
  // over the members that set a scale of their own (Conv/Fc/Add/Concat).
  std::vector<float> group(n, 0.0f);
  group[find(0)] = kInputScale;
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const FloatLayer& l = g.layers[i];
    if (l.op == FloatOp::MaxPool || l.op == FloatOp::AvgPool || l.op == FloatOp::Relu || l.copy) continue;
    const size_t r = find(i + 1);
    if (r == find(0)) continue;
    group[r] = std::max(group[r], activation_scale(max_abs[i]));
  }
  std::vector<float> s(g.layers.size());
  for (size_t i = 0; i < g.layers.size(); ++i) s[i] = group[find(i + 1)];
  return s;
}

namespace {

// A grouped conv's pruning (prune_float_graph): a row-balanced L2 mask among the blocks that
// meet its groups (a block row's outputs read their groups' input channels only); false when no
// block row meets two such blocks (nothing to prune: the conv stays dense).
bool prune_in_groups(FloatLayer& l, const WeightDims& d, uint32_t bo, uint32_t bi, double sparsity) {
  const uint32_t cout_g = d.cout / l.groups, cin_g = d.cin / l.groups;
  ir::BlockMask eligible;
  eligible.bo = bo;
  eligible.bi = bi;
  eligible.rows = (d.cout + bo - 1) / bo;
  eligible.cols = (d.cin + bi - 1) / bi;
  eligible.bits.assign(size_t{eligible.rows} * eligible.cols, 0);
  bool prunable = false;
  for (uint32_t r = 0; r < eligible.rows; ++r) {
    const uint32_t g0 = r * bo / cout_g, g1 = (std::min(r * bo + bo, d.cout) - 1) / cout_g;
    const uint32_t c0 = g0 * cin_g / bi, c1 = ((g1 + 1) * cin_g - 1) / bi;  // the block columns met
    for (uint32_t c = c0; c <= c1; ++c) eligible.bits[size_t{r} * eligible.cols + c] = 1;
    prunable = prunable || c1 > c0;
  }
  if (prunable) l.mask = select_block_mask_within(l.weight, d, bo, bi, sparsity, eligible, "l2");
  return prunable;
}

}  // namespace

void prune_float_graph(FloatGraph& g, double sparsity, uint32_t bo, uint32_t bi) {
  if (!(sparsity >= 0.0 && sparsity < 1.0)) throw std::runtime_error("sparsity " + std::to_string(sparsity) + " outside [0, 1)");
  bool first_conv = true;
  for (FloatLayer& l : g.layers) {
    if (l.op != FloatOp::Conv && l.op != FloatOp::Fc) continue;
    if (l.copy) {  // only the blocks holding a 1
      const ir::Shape in = g.shape_of(l.inputs.at(0));
      l.mask = ir::BlockMask{};
      l.mask.bo = bo;
      l.mask.bi = bi;
      l.mask.rows = (l.cout + bo - 1) / bo;
      l.mask.cols = (in.c + bi - 1) / bi;
      l.mask.bits.assign(size_t{l.mask.rows} * l.mask.cols, 0);
      for (uint32_t oc = 0; oc < l.cout; ++oc)
        for (uint32_t ic = 0; ic < in.c; ++ic)
          if (l.weight[size_t{oc} * in.c + ic] != 0.0f) l.mask.bits[size_t{oc / bo} * l.mask.cols + ic / bi] = 1;
      l.has_mask = true;
      continue;
    }
    const bool dense = l.op == FloatOp::Conv && first_conv;
    if (l.op == FloatOp::Conv) first_conv = false;
    l.has_mask = false;
    if (dense || sparsity == 0.0) continue;
    if (l.weight.empty()) fail(l, "weights are not materialised");
    const ir::Shape in = g.shape_of(l.inputs.at(0));
    const Window win = window_of(l, in);
    const WeightDims d{l.cout, in.c, win.kh * win.kw};
    if (l.groups > 1) {
      if (!prune_in_groups(l, d, bo, bi, sparsity)) continue;
    } else {
      l.mask = select_block_mask(l.weight, d, bo, bi, sparsity, "l2");
    }
    l.has_mask = true;
    // Zero the masked-out blocks in place (cheaper than expand_block_mask on VGG's 100M-weight fc).
    for (uint32_t oc = 0; oc < d.cout; ++oc)
      for (uint32_t ic = 0; ic < d.cin; ++ic)
        if (!l.mask.at(oc / bo, ic / bi))
          std::fill_n(l.weight.begin() + static_cast<std::ptrdiff_t>((size_t{oc} * d.cin + ic) * d.khw), d.khw, 0.0f);
  }
}

ir::Graph quantize_float_graph(const FloatGraph& g, const std::vector<float>& scales, const ir::Provenance& prov,
                               uint32_t bo, uint32_t bi) {
  if (scales.size() != g.layers.size())
    throw std::runtime_error("float graph '" + g.name + "': " + std::to_string(scales.size()) + " scales for " +
                             std::to_string(g.layers.size()) + " layers");
  if (g.layers.empty()) throw std::runtime_error("float graph '" + g.name + "': has no layers");
  ir::Graph out;
  out.name = g.name;
  out.block_o = bo;
  out.block_i = bi;
  out.provenance = prov;
  ir::Node in;
  in.name = "input";
  in.op = ir::OpKind::Input;
  in.out = g.input;
  in.out_scale = kInputScale;
  out.nodes.push_back(std::move(in));
  auto scale_of = [&](int i) { return i < 0 ? kInputScale : scales[static_cast<size_t>(i)]; };

  std::vector<int> node_of(g.layers.size());  // layer -> its (last) node in out
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const FloatLayer& l = g.layers[i];
    ir::Node n;
    n.name = l.name;
    n.out = l.out;
    n.out_scale = scales[i];
    n.relu = l.relu;
    for (int src : l.inputs) n.inputs.push_back(src < 0 ? 0 : node_of[static_cast<size_t>(src)]);
    if (!(n.out_scale > 0.0f) || !std::isfinite(n.out_scale)) fail(l, "output scale must be positive and finite");
    // A capped ReLU is the int8 ReLU while the cap lies at or above the largest int8 value; below
    // it (a concat's shared scale) the cap becomes a table after the layer: min(y, round(cap / s)),
    // exact because rounding is monotone (the compiler folds it into the conv's epilogue).
    const bool cap_inside = l.clamp > 0.0f && double{l.clamp} / n.out_scale < 127.0 * (1.0 - 1e-6);
    const ir::Shape is = g.shape_of(l.inputs.at(0));
    switch (l.op) {
      case FloatOp::MaxPool:
      case FloatOp::AvgPool:
        n.op = l.op == FloatOp::MaxPool ? ir::OpKind::MaxPool : ir::OpKind::AvgPool;
        n.ceil_mode = l.ceil_mode;
        n.count_include_pad = l.count_include_pad;
        n.kh = l.kh;
        n.kw = l.kw;
        n.stride_h = l.stride_h;
        n.stride_w = l.stride_w;
        n.pad_h = l.pad_h;
        n.pad_w = l.pad_w;
        n.relu = false;
        break;
      case FloatOp::Add: n.op = ir::OpKind::Add; break;
      case FloatOp::Concat:
        n.op = ir::OpKind::Concat;
        n.relu = false;
        break;
      case FloatOp::Relu:
        n.op = ir::OpKind::Relu;
        n.relu = false;
        break;
      case FloatOp::Act:
        n.op = ir::OpKind::Lut;
        n.relu = false;
        n.act = l.act;
        n.lut = ir::make_lut(l.act, scale_of(l.inputs[0]), n.out_scale);
        break;
      case FloatOp::Mul:
        n.op = ir::OpKind::Mul;
        n.relu = false;
        break;
      case FloatOp::Conv:
      case FloatOp::Fc: {
        if (l.weight.empty()) fail(l, "weights are not materialised");
        const Window win = window_of(l, is);
        n.op = l.op == FloatOp::Conv ? ir::OpKind::Conv : ir::OpKind::Fc;
        n.groups = l.groups;
        n.kh = win.kh;
        n.kw = win.kw;
        n.stride_h = win.sh;
        n.stride_w = win.sw;
        n.pad_h = win.ph;
        n.pad_w = win.pw;
        if (l.copy) {  // the 0 / 1 as int8 with scale 1 (the output has the input's scale): exact
          if (win.kh != 1 || win.kw != 1 || !l.bias.empty()) fail(l, "a channel copy must be a 1x1 conv without bias");
          n.weight.resize(l.weight.size());
          for (size_t i = 0; i < l.weight.size(); ++i) n.weight[i] = l.weight[i] != 0.0f ? 1 : 0;
          n.weight_scales.assign(l.cout, 1.0f);
          n.bias.assign(l.cout, 0);
          n.sparse = l.has_mask;
          if (l.has_mask) n.mask = l.mask;
          break;
        }
        const QuantizedWeights qw = quantize_weights_per_channel(l.weight, l.cout);
        n.weight = oihw_to_ohwi(qw.q, l.cout, is.c, win.kh, win.kw);
        n.weight_scales = qw.scales;
        const std::vector<float> bias = l.bias.empty() ? std::vector<float>(l.cout, 0.0f) : l.bias;
        n.bias = quantize_bias(bias, scale_of(l.inputs[0]), qw.scales);
        n.sparse = l.has_mask;
        if (l.has_mask) n.mask = l.mask;
        break;
      }
    }
    out.nodes.push_back(std::move(n));
    if (cap_inside) {
      ir::Node t;
      t.name = l.name + ".cap";
      t.op = ir::OpKind::Lut;
      t.act = "hardtanh";
      t.inputs = {static_cast<int>(out.nodes.size()) - 1};
      t.out = l.out;
      t.out_scale = scales[i];
      const double capq = std::round(double{l.clamp} / double{scales[i]});
      for (int v = -128; v <= 127; ++v) t.lut.push_back(static_cast<int8_t>(std::clamp<double>(v, 0.0, capq)));
      out.nodes.push_back(std::move(t));
    }
    node_of[i] = static_cast<int>(out.nodes.size()) - 1;
  }
  out.output = static_cast<int>(out.nodes.size()) - 1;
  return out;
}

}  // namespace saie::trainer
