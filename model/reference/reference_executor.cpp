// reference_executor.cpp — the integer reference: plain loops over the quantised graph.
//
// Exact arithmetic (the simulator's kernels must agree bit for bit). All scales are taken as
// double(float) and combined in double in exactly the order written here; int64 accumulation.
//   Conv/Fc:  acc = bias[oc] + sum_{ky,kx,ic} in[iy][ix][ic] * w[oc][ky][kx][ic]
//             (iy = oy*stride_h - pad_h + ky, ix = ox*stride_w - pad_w + kx; positions outside
//             the input contribute 0: q = 0 is real 0, symmetric quantisation).
//             r = make_requant(double(in_scale) * double(weight_scales[oc]) / double(out_scale))
//             y = isa::requantize(acc, r.mult, r.shift, relu)
//             Fc = conv with kernel in.h x in.w, stride 1, pad 0. A grouped conv sums only its
//             group's input channels (ir::group_inputs; its weights are zero elsewhere).
//   MaxPool:  y = max over the window of the input positions inside the tensor (padding ignored).
//   AvgPool:  sum over the window (padding counts as 0, the divisor is kh*kw);
//             r = make_requant(double(in_scale) / (double(out_scale) * kh * kw))
//             y = saturate_int8(round_shift(sum * r.mult, r.shift))
//             A pool that divides by count (ir::avgpool_divides_by_count: count_include_pad=False
//             with padding, or an overhanging ceil_mode window): count = ir::avgpool_count,
//             r = make_requant(double(in_scale) / double(out_scale)),
//             y = isa::avg_requantize(sum, count, r.mult, r.shift).
//   Add:      p = make_requant_pair(double(sa) / double(sy), double(sb) / double(sy))
//             y = saturate_int8(round_shift(a * p.mult_a + b * p.mult_b, p.shift)); relu: max(y, 0)
//             (applied after saturation; identical to clamping before).
//   Relu:     y = max(x, 0).
//   Lut:      y = lut[x + 128] (isa::lut_lookup). A conv / fc with a fused table (compiler pass
//             fuse-lut): the conv as above into its lut_in_scale, then the table.
//   Mul:      r = make_requant(double(sx) * double(sg) / double(out_scale)), per element
//             y[y][x][c] = isa::mul_requantize(in[y][x][c], gate[c], r.mult, r.shift).
//   Concat:   y[y][x][off_k + c] = in_k[y][x][c], off_k = channels of inputs 0..k-1 (same scale:
//             a copy, no requantisation).
//   A gate conv (compiler pass mul-conv): the conv above with the gate's values as its diagonal
//   weights and bias 0, which is exactly Mul (acc = x * g, factor sx * sg / out_scale).
//   in_scale / sa / sb are the out_scale of the producing node.
//   A conv with a fused add (compiler pass fuse-add): the conv as above with its pre-add scale
//   and ReLU, then the Add above of its output and the residual, in the add's operand order.
#include "model/reference/reference_executor.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "model/ir/requant.h"
#include "hw/isa/quant_math.h"

namespace saie::reference {

namespace {

using ir::Node;
using ir::Shape;

size_t at(const Shape& s, uint32_t y, uint32_t x, uint32_t c) { return (size_t{y} * s.w + x) * s.c + c; }

Tensor run_conv(const Node& n, const Node& src, const Tensor& in) {
  const Shape& is = src.out;
  const bool fc = n.op == ir::OpKind::Fc;
  const uint32_t kh = fc ? is.h : n.kh, kw = fc ? is.w : n.kw;
  const uint32_t sh = fc ? 1 : n.stride_h, sw = fc ? 1 : n.stride_w;
  const int64_t ph = fc ? 0 : n.pad_h, pw = fc ? 0 : n.pad_w;
  const uint32_t cin = is.c;
  Tensor out(n.out.elements());
  for (uint32_t oc = 0; oc < n.out.c; ++oc) {
    const ir::Requant r =
        ir::make_requant(double{src.out_scale} * double{n.weight_scales[oc]} / double{ir::conv_out_scale(n)});
    const ir::ChannelRange g = ir::group_inputs(n, cin, oc);  // (the weights are zero outside it)
    for (uint32_t oy = 0; oy < n.out.h; ++oy)
      for (uint32_t ox = 0; ox < n.out.w; ++ox) {
        int64_t acc = n.bias[oc];
        for (uint32_t ky = 0; ky < kh; ++ky) {
          const int64_t iy = int64_t{oy} * sh - ph + ky;
          if (iy < 0 || iy >= is.h) continue;
          for (uint32_t kx = 0; kx < kw; ++kx) {
            const int64_t ix = int64_t{ox} * sw - pw + kx;
            if (ix < 0 || ix >= is.w) continue;
            const int8_t* a = &in[at(is, static_cast<uint32_t>(iy), static_cast<uint32_t>(ix), 0)];
            const int8_t* w = &n.weight[((size_t{oc} * kh + ky) * kw + kx) * cin];
            for (uint32_t ic = g.first; ic < g.last; ++ic) acc += int64_t{a[ic]} * int64_t{w[ic]};
          }
        }
        const int8_t y = isa::requantize(acc, r.mult, r.shift, ir::conv_relu(n));
        out[at(n.out, oy, ox, oc)] = ir::has_fused_lut(n) ? isa::lut_lookup(n.lut.data(), y) : y;
      }
  }
  return out;
}

Tensor run_pool(const Node& n, const Node& src, const Tensor& in) {
  const Shape& is = src.out;
  const bool avg = n.op == ir::OpKind::AvgPool;
  const bool by_count = ir::avgpool_divides_by_count(n, is);
  ir::Requant r;
  if (avg)
    r = by_count ? ir::make_requant(double{src.out_scale} / double{n.out_scale})
                 : ir::make_requant(double{src.out_scale} / (double{n.out_scale} * n.kh * n.kw));
  Tensor out(n.out.elements());
  for (uint32_t oy = 0; oy < n.out.h; ++oy)
    for (uint32_t ox = 0; ox < n.out.w; ++ox)
      for (uint32_t c = 0; c < n.out.c; ++c) {
        int64_t sum = 0;
        int64_t mx = -128;  // validate() guarantees pad < kernel, so every window has a real element
        for (uint32_t ky = 0; ky < n.kh; ++ky) {
          const int64_t iy = int64_t{oy} * n.stride_h - n.pad_h + ky;
          if (iy < 0 || iy >= is.h) continue;
          for (uint32_t kx = 0; kx < n.kw; ++kx) {
            const int64_t ix = int64_t{ox} * n.stride_w - n.pad_w + kx;
            if (ix < 0 || ix >= is.w) continue;
            const int64_t v = in[at(is, static_cast<uint32_t>(iy), static_cast<uint32_t>(ix), c)];
            sum += v;
            mx = std::max(mx, v);
          }
        }
        if (!avg)
          out[at(n.out, oy, ox, c)] = static_cast<int8_t>(mx);
        else if (by_count)
          out[at(n.out, oy, ox, c)] = isa::avg_requantize(sum, ir::avgpool_count(n, is, oy, ox), r.mult, r.shift);
        else
          out[at(n.out, oy, ox, c)] = isa::saturate_int8(isa::round_shift(sum * r.mult, r.shift));
      }
  return out;
}

// Add of a (scale sa) and b (scale sb) into n's scale and relu.
Tensor run_add(const Node& n, float sa, float sb, const Tensor& a, const Tensor& b) {
  const ir::RequantPair p = ir::make_requant_pair(double{sa} / double{n.out_scale}, double{sb} / double{n.out_scale});
  Tensor out(n.out.elements());
  for (size_t i = 0; i < out.size(); ++i) {
    int8_t y = isa::saturate_int8(isa::round_shift(int64_t{a[i]} * p.mult_a + int64_t{b[i]} * p.mult_b, p.shift));
    out[i] = n.relu ? std::max<int8_t>(y, 0) : y;
  }
  return out;
}

Tensor run_mul(const Node& n, float sx, float sg, const Tensor& x, const Tensor& gate) {
  const ir::Requant r = ir::make_requant(double{sx} * double{sg} / double{n.out_scale});
  Tensor out(n.out.elements());
  for (size_t i = 0; i < out.size(); ++i) out[i] = isa::mul_requantize(x[i], gate[i % n.out.c], r.mult, r.shift);
  return out;
}

Tensor run_concat(const ir::Graph& g, const Node& n, const std::vector<Tensor>& t) {
  Tensor out(n.out.elements());
  uint32_t off = 0;  // first output channel of the current input
  for (int idx : n.inputs) {
    const Shape& is = g.nodes[static_cast<size_t>(idx)].out;
    const Tensor& in = t[static_cast<size_t>(idx)];
    for (uint32_t y = 0; y < n.out.h; ++y)
      for (uint32_t x = 0; x < n.out.w; ++x)
        std::copy_n(&in[at(is, y, x, 0)], is.c, &out[at(n.out, y, x, off)]);
    off += is.c;
  }
  return out;
}

}  // namespace

std::vector<Tensor> run_all(const ir::Graph& g, const Tensor& input) {
  g.validate();
  if (input.size() != g.input().out.elements())
    throw std::invalid_argument("reference: input has " + std::to_string(input.size()) + " elements, node '" +
                                g.input().name + "' expects " + std::to_string(g.input().out.elements()));
  std::vector<Tensor> t(g.nodes.size());
  t[0] = input;
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const Node& src = g.nodes[static_cast<size_t>(n.inputs[0])];
    const Tensor& in = t[static_cast<size_t>(n.inputs[0])];
    switch (n.op) {
      case ir::OpKind::Conv:
      case ir::OpKind::Fc:
        if (ir::is_gate_conv(n)) {  // a Mul as the compiler carries it: the gate is the diagonal
          Node d = n;
          const Tensor& gate = t[static_cast<size_t>(n.inputs[1])];
          for (uint32_t c = 0; c < n.out.c; ++c) d.weight[size_t{c} * n.out.c + c] = gate[c];
          t[i] = run_conv(d, src, in);
          break;
        }
        t[i] = run_conv(n, src, in);
        if (ir::has_fused_add(n)) {  // the add the compiler folded into this conv, exactly as an Add node
          const size_t res = static_cast<size_t>(n.inputs[1]);
          const float sr = g.nodes[res].out_scale, sc = n.pre_add_scale;
          t[i] = n.residual_first ? run_add(n, sr, sc, t[res], t[i]) : run_add(n, sc, sr, t[i], t[res]);
        }
        break;
      case ir::OpKind::MaxPool:
      case ir::OpKind::AvgPool: t[i] = run_pool(n, src, in); break;
      case ir::OpKind::Add:
        t[i] = run_add(n, src.out_scale, g.nodes[static_cast<size_t>(n.inputs[1])].out_scale, in,
                       t[static_cast<size_t>(n.inputs[1])]);
        break;
      case ir::OpKind::Relu:
        t[i] = in;
        for (int8_t& v : t[i]) v = std::max<int8_t>(v, 0);
        break;
      case ir::OpKind::Concat: t[i] = run_concat(g, n, t); break;
      case ir::OpKind::Lut:
        t[i] = in;
        for (int8_t& v : t[i]) v = isa::lut_lookup(n.lut.data(), v);
        break;
      case ir::OpKind::Mul: {
        const size_t gi = static_cast<size_t>(n.inputs[1]);
        t[i] = run_mul(n, src.out_scale, g.nodes[gi].out_scale, in, t[gi]);
        break;
      }
      case ir::OpKind::Input: throw std::logic_error("reference: input node after nodes[0]");
    }
  }
  return t;
}

Tensor run(const ir::Graph& g, const Tensor& input) {
  std::vector<Tensor> all = run_all(g, input);
  return std::move(all[static_cast<size_t>(g.output)]);
}

// q = saturate(round((pixel / 255.0) / double(scale))), std::round = half away from zero; the
// pixel is replicated into every channel when the input has more than one.
Tensor quantize_image(const ir::Graph& g, const uint8_t* pixels) {
  const Node& in = g.input();
  Tensor out(in.out.elements());
  const double scale = in.out_scale;
  for (uint32_t y = 0; y < in.out.h; ++y)
    for (uint32_t x = 0; x < in.out.w; ++x) {
      const double real = pixels[size_t{y} * in.out.w + x] / 255.0;
      const int8_t q = isa::saturate_int8(static_cast<int64_t>(std::round(real / scale)));
      for (uint32_t c = 0; c < in.out.c; ++c) out[at(in.out, y, x, c)] = q;
    }
  return out;
}

int argmax(const Tensor& t) {
  if (t.empty()) throw std::invalid_argument("argmax: empty tensor");
  return static_cast<int>(std::max_element(t.begin(), t.end()) - t.begin());
}

double int8_accuracy(const ir::Graph& g, const data::Dataset& ds, uint32_t n) {
  n = std::min(n, ds.count);
  uint32_t correct = 0;
  for (uint32_t i = 0; i < n; ++i) correct += argmax(run(g, quantize_image(g, ds.image(i)))) == ds.labels[i];
  return n > 0 ? double(correct) / n : 0.0;
}

}  // namespace saie::reference
