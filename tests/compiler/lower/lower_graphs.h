// lower_graphs.h — small hand-shaped graphs for lowering tests (single conv layers, a graph
// whose tensors have consumers with different paddings), built on tests/model/test_graphs.h.
#pragma once

#include <string>
#include <vector>

#include "model/ir/graph.h"
#include "tests/model/test_graphs.h"

namespace saie::test {

struct ConvSpec {
  uint32_t h = 8, w = 8, cin = 8, cout = 16, k = 3, stride = 1, pad = 1;
  bool sparse = true, relu = true;
};

// Appends a conv/fc node reading `src` and calibrates nothing: out_scale is a fixed multiple
// of the input scale chosen so outputs spread over the int8 range without saturating much.
inline ir::Node& append_conv(ir::Graph& g, detail::Rng& rng, const std::string& name, int src, uint32_t cout,
                             uint32_t k, uint32_t stride, uint32_t pad, bool sparse, bool relu,
                             ir::OpKind op = ir::OpKind::Conv) {
  const ir::Node s = g.nodes.at(static_cast<size_t>(src));
  ir::Node n;
  n.name = name;
  n.op = op;
  n.inputs = {src};
  if (op == ir::OpKind::Fc) {
    n.kh = s.out.h;
    n.kw = s.out.w;
    n.out = {1, 1, cout};
  } else {
    n.kh = n.kw = k;
    n.stride_h = n.stride_w = stride;
    n.pad_h = n.pad_w = pad;
    n.out = {(s.out.h + 2 * pad - k) / stride + 1, (s.out.w + 2 * pad - k) / stride + 1, cout};
  }
  n.relu = relu;
  detail::fill_weights(n, s.out, s.out_scale, sparse, 0.5, rng);
  n.out_scale = s.out_scale * 2.5f;
  g.nodes.push_back(std::move(n));
  return g.nodes.back();
}

// Appends a max or average pool (k x k, stride, padding) over `src`, keeping its scale.
inline ir::Node& append_pool(ir::Graph& g, const std::string& name, ir::OpKind op, int src, uint32_t k, uint32_t stride,
                             uint32_t pad) {
  const ir::Node& s = g.nodes.at(static_cast<size_t>(src));
  ir::Node n;
  n.name = name;
  n.op = op;
  n.inputs = {src};
  n.kh = n.kw = k;
  n.stride_h = n.stride_w = stride;
  n.pad_h = n.pad_w = pad;
  n.out = {(s.out.h + 2 * pad - k) / stride + 1, (s.out.w + 2 * pad - k) / stride + 1, s.out.c};
  n.out_scale = s.out_scale;
  g.nodes.push_back(std::move(n));
  return g.nodes.back();
}

inline ir::Graph input_graph(const std::string& name, uint32_t h, uint32_t w, uint32_t c) {
  ir::Graph g;
  g.name = name;
  ir::Node in;
  in.name = "input";
  in.op = ir::OpKind::Input;
  in.out = {h, w, c};
  in.out_scale = 1.0f / 127.0f;
  g.nodes.push_back(in);
  return g;
}

// input h x w x c -> one pool (k x k, stride, no padding).
inline ir::Graph pool_graph(const std::string& name, uint32_t h, uint32_t w, uint32_t c, ir::OpKind op, uint32_t k,
                            uint32_t stride) {
  ir::Graph g = input_graph(name, h, w, c);
  append_pool(g, "pool", op, 0, k, stride, 0);
  g.output = 1;
  g.validate();
  return g;
}

// input 16x16x32 -> c1 (1x1, 64) -> ds (1x1 stride 2, 64): a strided reader of c1's slice.
inline ir::Graph strided_reader_graph(bool sparse) {
  detail::Rng rng(9);
  ir::Graph g = input_graph("strided-reader", 16, 16, 32);
  append_conv(g, rng, "c1", 0, 64, 1, 1, 0, sparse, true);
  append_conv(g, rng, "ds", 1, 64, 1, 2, 0, sparse, false);
  g.output = 2;
  g.validate();
  return g;
}

// input 32x32x16 -> c1 (3x3 p1, 32, ReLU) -> pool (max 3x3 stride 2 p1): on 4 columns every
// pool column reads one column left of c1's own (ResNet's stem conv and pool, smaller).
inline ir::Graph stem_pool_graph(bool sparse) {
  detail::Rng rng(13);
  ir::Graph g = input_graph("stem-pool", 32, 32, 16);
  append_conv(g, rng, "c1", 0, 32, 3, 1, 1, sparse, true);
  append_pool(g, "pool", ir::OpKind::MaxPool, 1, 3, 2, 1);
  g.output = 2;
  g.validate();
  return g;
}

// A 1x1 conv, then a 3x3 conv with padding 1 reading its output with halo columns on 4 columns:
// stride 2 (input 32x32x64 -> 64 -> 128 channels; ResNet's layer2.0, the left column only) or
// stride 1 (32x32x32 -> 64 -> 64; a bottleneck's conv1 -> conv2, a column on each side).
inline ir::Graph halo_conv_graph(uint32_t stride, bool sparse) {
  detail::Rng rng(stride == 2 ? 17 : 19);
  const uint32_t cin = stride == 2 ? 64 : 32, cout = stride == 2 ? 128 : 64;
  ir::Graph g = input_graph(stride == 2 ? "stride2-halo" : "stride1-halo", 32, 32, cin);
  append_conv(g, rng, "c1", 0, 64, 1, 1, 0, sparse, true);
  append_conv(g, rng, "c2", 1, cout, 3, stride, 1, sparse, true);
  g.output = 2;
  g.validate();
  return g;
}

inline ir::Graph single_conv_graph(const ConvSpec& s, uint32_t seed = 1) {
  detail::Rng rng(seed);
  ir::Graph g = input_graph("single-conv", s.h, s.w, s.cin);
  append_conv(g, rng, "conv", 0, s.cout, s.k, s.stride, s.pad, s.sparse, s.relu);
  g.output = 1;
  g.validate();
  return g;
}

// input 8x8x8 -> c1 (3x3 p1, 16) -> c2 (5x5 p2 on c1) ; add(c1, c2) -> avg 3x3 s1 p1 -> fc 10.
// c1 has a border of 2 (c2's pad) but is read by add without padding; add's output has a
// border of 1 for the padded avgpool.
inline ir::Graph multi_pad_graph(uint32_t seed = 3) {
  detail::Rng rng(seed);
  ir::Graph g = input_graph("multi-pad", 8, 8, 8);
  append_conv(g, rng, "c1", 0, 16, 3, 1, 1, false, true);
  append_conv(g, rng, "c2", 1, 16, 5, 1, 2, true, false);
  ir::Node add;
  add.name = "add";
  add.op = ir::OpKind::Add;
  add.inputs = {1, 2};
  add.out = {8, 8, 16};
  add.relu = true;
  add.out_scale = g.nodes[2].out_scale * 1.3f;
  g.nodes.push_back(add);
  ir::Node avg;
  avg.name = "avg";
  avg.op = ir::OpKind::AvgPool;
  avg.inputs = {3};
  avg.kh = avg.kw = 3;
  avg.pad_h = avg.pad_w = 1;
  avg.out = {8, 8, 16};
  avg.out_scale = add.out_scale;
  g.nodes.push_back(avg);
  append_conv(g, rng, "fc", 4, 10, 0, 1, 0, true, false, ir::OpKind::Fc);
  g.output = 5;
  g.validate();
  return g;
}

}  // namespace saie::test
