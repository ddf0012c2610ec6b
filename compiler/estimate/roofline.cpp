// roofline.cpp — see roofline.h; the formulas are in docs/roofline.md.
#include "compiler/estimate/roofline.h"

#include <algorithm>
#include <limits>

#include "compiler/schedule/ddr_plan.h"
#include "compiler/schedule/layer_plan.h"

namespace saie::estimate {

namespace {

// Input rows (or columns) of an `in`-long axis that some window of a k-tap, stride-s,
// pad-p convolution with `out` outputs reads (padding positions are not input).
uint32_t touched(uint32_t in, uint32_t out, uint32_t k, uint32_t s, uint32_t p) {
  std::vector<bool> hit(in, false);
  for (uint32_t o = 0; o < out; ++o)
    for (uint32_t t = 0; t < k; ++t) {
      const int64_t r = int64_t{o} * s + t - p;
      if (r >= 0 && r < int64_t{in}) hit[static_cast<size_t>(r)] = true;
    }
  return static_cast<uint32_t>(std::count(hit.begin(), hit.end(), true));
}

}  // namespace

traces::Roofline roofline(const ir::Graph& g, const config::ArrayConfig& cfg, bool dense) {
  traces::Roofline r;
  r.network = g.name;
  r.config = cfg.name;
  r.dense = dense;
  r.clock_hz = cfg.clock_hz;
  traces::RooflineRates& rt = r.rates;
  rt.compute_tiles = cfg.columns * cfg.core_rows;
  rt.macs_per_cycle = double(cfg.core.costs.macs_per_cycle) * rt.compute_tiles;
  rt.ddr_read_per_cycle = double(cfg.columns) * cfg.shim.dma.mm2s_channels * cfg.ddr.read_bytes_per_cycle;
  rt.ddr_write_per_cycle = double(cfg.columns) * cfg.shim.dma.s2mm_channels * cfg.ddr.write_bytes_per_cycle;
  rt.ddr_total_per_cycle = cfg.ddr.total_bytes_per_cycle;
  rt.ingress_per_cycle = double(rt.compute_tiles) * cfg.core.dma.s2mm_channels * cfg.stream.bytes_per_cycle;

  bool input_read = false;
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    const bool weights = ir::has_weights(n.op);
    const bool pool = n.op == ir::OpKind::MaxPool || n.op == ir::OpKind::AvgPool;
    if (!weights && !pool && n.op != ir::OpKind::Add) continue;  // concat in place, relu fused
    traces::RooflineLayer l;
    l.layer = static_cast<uint32_t>(i);
    l.name = n.name;
    l.op = ir::op_name(n.op);
    // Input bytes the windows touch (an add reads each operand whole, so does a conv's fused add
    // its residual, inputs[1]).
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int in = n.inputs[k];
      const ir::Shape& s = g.nodes.at(static_cast<size_t>(in)).out;
      if (n.op == ir::OpKind::Add || k > 0)
        l.input_bytes += s.elements();
      else
        l.input_bytes += uint64_t{touched(s.h, n.out.h, n.kh, n.stride_h, n.pad_h)} *
                         touched(s.w, n.out.w, n.kw, n.stride_w, n.pad_w) * s.c;
      if (in == 0 && !input_read) {
        l.ddr_read_bytes += g.input().out.elements();
        input_read = true;
      }
    }
    if (weights) {
      const uint32_t cin_p = schedule::round_up8(g.nodes.at(static_cast<size_t>(n.inputs.at(0))).out.c);
      uint64_t nnz = 0;
      for (uint32_t k : schedule::stored_blocks_per_row(n, cin_p, dense)) nnz += k;
      l.weight_bytes = nnz * 64 * n.kh * n.kw;
      l.stored_macs = uint64_t{n.out.h} * n.out.w * l.weight_bytes;
      l.ddr_read_bytes += l.weight_bytes;
    }
    if (static_cast<int>(i) == g.output) l.ddr_write_bytes = n.out.elements();
    // Core ingress: the output cut into split_c channel groups x split_p pixel groups over at
    // most every core; each core needs its pixel group's input and its channel group's weights.
    l.ingress_bytes = std::numeric_limits<uint64_t>::max();
    for (uint32_t c = 1; c <= rt.compute_tiles; ++c) {
      const uint32_t p = rt.compute_tiles / c;
      const uint64_t b = uint64_t{c} * l.input_bytes + uint64_t{p} * l.weight_bytes;
      if (b < l.ingress_bytes) {
        l.ingress_bytes = b;
        l.split_c = c;
        l.split_p = p;
      }
    }
    l.compute_cycles = double(l.stored_macs) / rt.macs_per_cycle;
    l.ddr_cycles = std::max({double(l.ddr_read_bytes) / rt.ddr_read_per_cycle,
                             double(l.ddr_write_bytes) / rt.ddr_write_per_cycle,
                             double(l.ddr_read_bytes + l.ddr_write_bytes) / rt.ddr_total_per_cycle});
    l.ingress_cycles = double(l.ingress_bytes) / rt.ingress_per_cycle;
    r.layers.push_back(std::move(l));
  }
  r.finish();
  return r;
}

}  // namespace saie::estimate
