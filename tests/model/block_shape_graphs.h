// block_shape_graphs.h — test helpers for non-8x8 block masks: re-masks a test graph at any
// block shape bo x bi (zeroing the weights of dropped blocks) and builds single-layer nodes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir/graph.h"
#include "tests/model/test_graphs.h"

namespace saie::test {

// Channel counts of a Conv/Fc node: cout from its shape, cin from its weight tensor.
inline uint32_t node_cin(const ir::Node& n) {
  return static_cast<uint32_t>(n.weight.size() / (size_t{n.out.c} * n.kh * n.kw));
}

// Sets n's mask to `bits` (rows x cols of bo x bi blocks over n's channels) and zeroes every
// weight inside a zero block, so the node validates.
inline void set_mask(ir::Node& n, uint32_t bo, uint32_t bi, const std::vector<uint8_t>& bits) {
  const uint32_t cout = n.out.c, cin = node_cin(n), k = n.kh * n.kw;
  n.sparse = true;
  n.mask.bo = bo;
  n.mask.bi = bi;
  n.mask.rows = (cout + bo - 1) / bo;
  n.mask.cols = (cin + bi - 1) / bi;
  n.mask.bits = bits;
  n.mask.bits.resize(size_t{n.mask.rows} * n.mask.cols, 0);
  for (uint32_t oc = 0; oc < cout; ++oc)
    for (uint32_t kk = 0; kk < k; ++kk)
      for (uint32_t ic = 0; ic < cin; ++ic)
        if (!n.mask.at(oc / bo, ic / bi)) n.weight[(size_t{oc} * k + kk) * cin + ic] = 0;
}

// Re-masks every Conv/Fc node that does not read the network input (the first conv stays
// dense, as the trainer keeps it) at block shape bo x bi: each logical block is kept with
// probability `keep`; additionally each whole 8x8 channel region is cleared with probability
// `region_drop` (its logical blocks that lie inside it are set to 0), so that fine masks such as
// 1x1 still leave some hardware blocks empty. Weights of dropped blocks become zero. Start from
// a DENSE graph (make_test_graph(seed, false)) so kept blocks hold non-zero weights.
inline void remask_graph(ir::Graph& g, uint32_t bo, uint32_t bi, double keep, double region_drop, uint32_t seed) {
  detail::Rng rng(seed * 747796405u + 2891336453u);
  g.block_o = bo;
  g.block_i = bi;
  for (ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::Conv && n.op != ir::OpKind::Fc) continue;
    if (n.inputs.at(0) == 0) continue;
    const uint32_t cout = n.out.c, cin = node_cin(n);
    const uint32_t rows = (cout + bo - 1) / bo, cols = (cin + bi - 1) / bi;
    std::vector<uint8_t> bits(size_t{rows} * cols);
    for (uint8_t& b : bits) b = rng.uniform(0.0, 1.0) < keep ? 1 : 0;
    for (uint32_t r8 = 0; r8 < (cout + 7) / 8; ++r8)
      for (uint32_t c8 = 0; c8 < (cin + 7) / 8; ++c8) {
        if (!(rng.uniform(0.0, 1.0) < region_drop)) continue;
        for (uint32_t r = 0; r < rows; ++r)
          for (uint32_t c = 0; c < cols; ++c)
            if (r * bo >= r8 * 8 && (r + 1) * bo <= r8 * 8 + 8 && c * bi >= c8 * 8 && (c + 1) * bi <= c8 * 8 + 8)
              bits[size_t{r} * cols + c] = 0;
      }
    set_mask(n, bo, bi, bits);
  }
}

// A Conv node (kernel kh x kw, stride 1, no pad, 1x1 output pixel grid of kh x kw input) with
// `cout` outputs over `cin` inputs and all weights 1 + ((oc * 7 + kk * 3 + ic) % 5), dense until
// set_mask is called. Not part of a graph: for compact_weights / hardware_mask tests.
inline ir::Node make_conv_node(const std::string& name, uint32_t cout, uint32_t cin, uint32_t kh = 1, uint32_t kw = 1) {
  ir::Node n;
  n.name = name;
  n.op = ir::OpKind::Conv;
  n.kh = kh;
  n.kw = kw;
  n.out = {1, 1, cout};
  const uint32_t k = kh * kw;
  n.weight.resize(size_t{cout} * k * cin);
  for (uint32_t oc = 0; oc < cout; ++oc)
    for (uint32_t kk = 0; kk < k; ++kk)
      for (uint32_t ic = 0; ic < cin; ++ic)
        n.weight[(size_t{oc} * k + kk) * cin + ic] = static_cast<int8_t>(1 + (oc * 7 + kk * 3 + ic) % 5);
  n.weight_scales.assign(cout, 0.01f);
  n.bias.assign(cout, 0);
  return n;
}

}  // namespace saie::test
