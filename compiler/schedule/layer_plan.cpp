// layer_plan.cpp — W/COUT/H partitioning and memory layouts of one layer (see layer_plan.h).
#include "compiler/schedule/layer_plan.h"

#include <algorithm>
#include <string>

#include "compiler/compile.h"
#include "hw/isa/op_costs.h"

namespace saie::schedule {

namespace {

uint32_t align32(uint64_t v, uint32_t a) { return static_cast<uint32_t>(align_up(v, a)); }

// Lays out core memory for band height bh; returns the layout (end = bytes used).
CoreLayout core_layout(const LayerPlan& p, uint32_t bh, uint32_t weights_bytes, uint32_t max_wi,
                       uint32_t max_wc, uint32_t max_out_c) {
  CoreLayout c;
  const uint32_t band_in_rows = (bh - 1) * p.sh + p.kh;
  c.weights = 0;
  c.weights_bytes = weights_bytes;
  uint64_t a = align32(weights_bytes, kCoreAlign);
  c.in_bytes = band_in_rows * max_wi * p.in_c_p;
  for (int k = 0; k < 2; ++k) {
    c.in[k] = static_cast<uint32_t>(a);
    a = align_up(a + c.in_bytes, kCoreAlign);
  }
  if (p.op == ir::OpKind::Add) {
    c.b_bytes = bh * max_wc * p.in_c_p;
    for (int k = 0; k < 2; ++k) {
      c.b[k] = static_cast<uint32_t>(a);
      a = align_up(a + c.b_bytes, kCoreAlign);
    }
  }
  c.out_bytes = bh * max_wc * max_out_c;
  for (int k = 0; k < 2; ++k) {
    c.out[k] = static_cast<uint32_t>(a);
    a = align_up(a + c.out_bytes, kCoreAlign);
  }
  c.end = static_cast<uint32_t>(std::min<uint64_t>(a, 0xffffffffu));
  return c;
}


// Estimated cycles of one column's band pipeline with band height bh: the ping-pong buffers let
// LOADFM (memtile -> core), COMP and WRITEFM (core -> memtile) of successive bands overlap, so
// after the first band the slowest stage sets the pace. Uses the simulator's own op costs.
double band_pipeline_estimate(const LayerPlan& p, uint32_t bh, uint32_t wi, uint32_t wc, uint32_t out_c,
                              uint32_t nnz, const target::TargetModel& tm) {
  const double bpc = tm.stream_bytes_per_cycle();
  const auto& costs = tm.config().core.costs;
  const double t_in = double((bh - 1) * p.sh + p.kh) * wi * p.in_c_p / bpc;
  const double t_out = double(bh) * wc * out_c / bpc;
  double t_comp = 0;
  if (p.op == ir::OpKind::Conv || p.op == ir::OpKind::Fc)
    t_comp = double(isa::conv_cycles(bh, wc, out_c, p.kh, p.kw, nnz, costs));
  else if (p.op == ir::OpKind::Add)
    t_comp = double(isa::add_cycles(uint64_t{bh} * wc * p.in_c_p, costs));
  else
    t_comp = double(isa::pool_cycles(bh, wc, p.in_c_p, p.kh, p.kw, costs));
  t_comp += 4.0 * costs.lock_cycles;  // acquire/release of the input and output buffers
  const uint32_t nb = p.out_h / bh;
  return t_in + t_comp + t_out + (nb - 1) * std::max({t_in, t_comp, t_out});
}

}  // namespace

LayerPlan plan_layer(const ir::Graph& g, int node, const DdrPlan& ddr, const target::TargetModel& tm,
                     uint32_t max_band_rows) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(node));
  LayerPlan p;
  p.node = node;
  p.name = n.name;
  p.op = n.op;
  const bool conv_like = n.op == ir::OpKind::Conv || n.op == ir::OpKind::Fc;
  const bool pool = n.op == ir::OpKind::MaxPool || n.op == ir::OpKind::AvgPool;
  const bool add = n.op == ir::OpKind::Add;
  if (!conv_like && !pool && !add)
    throw compiler::CompileError("layer " + n.name + ": op " + ir::op_name(n.op) + " is not supported by lowering");
  const TensorBuffer& x = ddr.tensors.at(static_cast<size_t>(n.inputs.at(0)));
  const TensorBuffer& y = ddr.tensors.at(static_cast<size_t>(node));
  if (add) {
    p.kh = p.kw = p.sh = p.sw = 1;
  } else {
    p.kh = n.kh;
    p.kw = n.kw;
    p.sh = n.stride_h;
    p.sw = n.stride_w;
  }
  const uint32_t pad_h = add ? 0 : n.pad_h, pad_w = add ? 0 : n.pad_w;
  p.in_c_p = x.cp;
  p.out_c_p = y.cp;
  p.out_h = n.out.h;
  p.out_w = n.out.w;
  p.in_rows = (p.out_h - 1) * p.sh + p.kh;
  for (int in : n.inputs) {
    const TensorBuffer& t = ddr.tensors.at(static_cast<size_t>(in));
    p.in_off.emplace_back(t.ph - pad_h, t.pw - pad_w);
    if (p.in_rows + (t.ph - pad_h) > t.padded_h() || (p.out_w - 1) * p.sw + p.kw + (t.pw - pad_w) > t.padded_w())
      throw compiler::CompileError("layer " + n.name + ": window reads past its input " + g.nodes.at(in).name);
  }
  if (pool && p.in_c_p != p.out_c_p)
    throw compiler::CompileError("layer " + n.name + ": pool changes the channel count");

  // W split over columns.
  uint32_t max_wi = 0, max_wc = 0;
  for (uint32_t c = 0; c < tm.columns(); ++c) {
    const auto [w0, w1] = split_even(p.out_w, tm.columns(), c);
    if (w0 == w1) continue;
    ColumnWork cw;
    cw.col = c;
    cw.w0 = w0;
    cw.w1 = w1;
    cw.in_w0 = w0 * p.sw;
    cw.wi = (w1 - 1) * p.sw + p.kw - cw.in_w0;
    max_wi = std::max(max_wi, cw.wi);
    max_wc = std::max(max_wc, cw.wc());
    p.cols.push_back(cw);
  }

  // COUT split over core rows (conv/fc); pools and adds use core row 0 with every channel.
  uint32_t weights_bytes = 0, max_out_c = 0, all_weights = 0;
  if (conv_like) {
    const LayerWeights& lw = ddr.weights.at(static_cast<size_t>(node));
    for (const WeightBlob& b : lw.rows) {
      p.row_oc.emplace_back(b.oc_begin, b.oc_end);
      weights_bytes = std::max(weights_bytes, b.bytes());
      max_out_c = std::max(max_out_c, b.out_c());
    }
    all_weights = static_cast<uint32_t>(lw.bytes);
  } else {
    p.row_oc.emplace_back(0, p.out_c_p);
    max_out_c = p.out_c_p;
  }

  // Memtile: whole input slice, every weight blob (add: operand B slice), whole output slice.
  MemtileLayout& m = p.mem;
  m.x = 0;
  m.x_bytes = p.in_rows * max_wi * p.in_c_p;
  m.w = align32(m.x + m.x_bytes, kMemtileAlign);
  m.w_bytes = conv_like ? all_weights : add ? p.out_h * max_wc * p.in_c_p : 0;
  m.y = align32(uint64_t{m.w} + m.w_bytes, kMemtileAlign);
  m.y_bytes = p.out_h * max_wc * p.out_c_p;
  const uint64_t mem_end = uint64_t{m.y} + m.y_bytes;
  if (mem_end > tm.memtile_memory_bytes())
    throw compiler::CompileError("layer " + n.name + " does not fit: memtile needs " + std::to_string(mem_end) +
                                 " B (input " + std::to_string(m.x_bytes) + ", weights/operand " +
                                 std::to_string(m.w_bytes) + ", output " + std::to_string(m.y_bytes) + ") > " +
                                 std::to_string(tm.memtile_memory_bytes()) + " B (spilling is not implemented yet)");
  m.end = static_cast<uint32_t>(mem_end);

  // H: among the band heights that divide out_h (at most max_band_rows) and whose buffers fit
  // a core, the one with the lowest estimated pipeline time (ties: the taller band).
  uint32_t max_nnz = 0;
  if (conv_like)
    for (const WeightBlob& b : ddr.weights.at(static_cast<size_t>(node)).rows) max_nnz = std::max(max_nnz, b.nnz);
  bool found = false;
  double best = 0;
  for (uint32_t bh = p.out_h; bh >= 1; --bh) {
    if (p.out_h % bh != 0) continue;
    if (max_band_rows != 0 && bh > max_band_rows) continue;
    CoreLayout cl = core_layout(p, bh, weights_bytes, max_wi, max_wc, max_out_c);
    if (cl.end > tm.core_memory_bytes()) continue;
    const double est = band_pipeline_estimate(p, bh, max_wi, max_wc, max_out_c, max_nnz, tm);
    if (!found || est < best) {
      best = est;
      p.bh = bh;
      p.nb = p.out_h / bh;
      p.band_in_rows = (bh - 1) * p.sh + p.kh;
      p.core = cl;
      found = true;
    }
  }
  if (!found) {
    CoreLayout cl = core_layout(p, 1, weights_bytes, max_wi, max_wc, max_out_c);
    throw compiler::CompileError("layer " + n.name + " does not fit: core memory needs " + std::to_string(cl.end) +
                                 " B with 1-row bands (weights " + std::to_string(weights_bytes) + ") > " +
                                 std::to_string(tm.core_memory_bytes()) + " B (spilling is not implemented yet)");
  }
  return p;
}

}  // namespace saie::schedule
