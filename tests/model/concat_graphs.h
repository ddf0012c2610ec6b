// concat_graphs.h — a small valid quantised graph with two channel concats, for the concat tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir/graph.h"
#include "tests/model/test_graphs.h"

namespace saie::test {

// Appends a node (no weights) and returns it; references into g.nodes die with the next append.
inline ir::Node& append_node(ir::Graph& g, const std::string& name, ir::OpKind op, std::vector<int> inputs,
                             ir::Shape out, float scale) {
  ir::Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.out = out;
  n.out_scale = scale;
  g.nodes.push_back(std::move(n));
  return g.nodes.back();
}

// input [6, 5, 3] (scale 1/127)
// a      conv 1x1 -> [6, 5, 4], relu, dense          scale 0.05
// b      conv 3x3 p1 -> [6, 5, 8], relu, sparse       scale 0.05
// cat2   concat(a, b) -> [6, 5, 12]                   scale 0.05
// mp     maxpool 3x3 s1 p1 of a -> [6, 5, 4]          scale 0.05
// cat3   concat(b, cat2, mp) -> [6, 5, 24]            scale 0.05
// head   conv 1x1 on cat3 -> [6, 5, 8], sparse        scale 0.1 = output
inline ir::Graph make_concat_graph(uint32_t seed = 1) {
  detail::Rng rng(seed * 7919u + 3u);
  ir::Graph g;
  g.name = "concat-graph-" + std::to_string(seed);
  auto add = [&](const std::string& name, ir::OpKind op, std::vector<int> inputs, ir::Shape out, float scale) -> ir::Node& {
    return append_node(g, name, op, std::move(inputs), out, scale);
  };
  add("input", ir::OpKind::Input, {}, {6, 5, 3}, 1.0f / 127.0f);
  {
    ir::Node& a = add("a", ir::OpKind::Conv, {0}, {6, 5, 4}, 0.05f);
    a.relu = true;
    detail::fill_weights(a, g.nodes[0].out, g.nodes[0].out_scale, false, 0.0, rng);
  }
  {
    ir::Node& b = add("b", ir::OpKind::Conv, {0}, {6, 5, 8}, 0.05f);
    b.kh = b.kw = 3;
    b.pad_h = b.pad_w = 1;
    b.relu = true;
    detail::fill_weights(b, g.nodes[0].out, g.nodes[0].out_scale, true, 0.5, rng);
  }
  add("cat2", ir::OpKind::Concat, {1, 2}, {6, 5, 12}, 0.05f);
  {
    ir::Node& mp = add("mp", ir::OpKind::MaxPool, {1}, {6, 5, 4}, 0.05f);
    mp.kh = mp.kw = 3;
    mp.pad_h = mp.pad_w = 1;
  }
  add("cat3", ir::OpKind::Concat, {2, 3, 4}, {6, 5, 24}, 0.05f);
  {
    ir::Node& h = add("head", ir::OpKind::Conv, {5}, {6, 5, 8}, 0.1f);
    detail::fill_weights(h, g.nodes[5].out, 0.05f, true, 0.5, rng);
  }
  g.output = 6;
  return g;
}

// Inception-style block whose concats run in place (every input 8-aligned, single consumer):
// input [9, 7, 3]
// a      conv 1x1 -> [9, 7, 16], relu, dense
// b      conv 3x3 p1 -> [9, 7, 8], relu, sparse
// c      conv 1x1 -> [9, 7, 8], relu, sparse
// mp     maxpool 3x3 s1 p1 of c -> [9, 7, 8]
// inner  concat(b, mp) -> [9, 7, 16]
// outer  concat(a, inner) -> [9, 7, 32]
// ap     avgpool 3x3 s1 p1 of outer -> [9, 7, 32]
// head   conv 3x3 s2 p1 on ap -> [5, 4, 16] = output
inline ir::Graph make_inplace_concat_graph(uint32_t seed = 1) {
  detail::Rng rng(seed * 104729u + 11u);
  ir::Graph g;
  g.name = "inplace-concat-" + std::to_string(seed);
  auto add = [&](const std::string& name, ir::OpKind op, std::vector<int> inputs, ir::Shape out, float scale) -> ir::Node& {
    return append_node(g, name, op, std::move(inputs), out, scale);
  };
  const float s = 0.05f;
  add("input", ir::OpKind::Input, {}, {9, 7, 3}, 1.0f / 127.0f);
  auto conv = [&](const std::string& name, int src, uint32_t cout, uint32_t k, uint32_t stride, bool sparse, bool relu,
                  float scale, ir::Shape out) {
    ir::Node& n = add(name, ir::OpKind::Conv, {src}, out, scale);
    n.kh = n.kw = k;
    n.stride_h = n.stride_w = stride;
    n.pad_h = n.pad_w = k / 2;
    n.relu = relu;
    const ir::Node& in = g.nodes.at(static_cast<size_t>(src));
    detail::fill_weights(n, in.out, in.out_scale, sparse, 0.5, rng);
    (void)cout;
  };
  conv("a", 0, 16, 1, 1, false, true, s, {9, 7, 16});      // 1
  conv("b", 0, 8, 3, 1, true, true, s, {9, 7, 8});         // 2
  conv("c", 0, 8, 1, 1, true, true, s, {9, 7, 8});         // 3
  {
    ir::Node& mp = add("mp", ir::OpKind::MaxPool, {3}, {9, 7, 8}, s);  // 4
    mp.kh = mp.kw = 3;
    mp.pad_h = mp.pad_w = 1;
  }
  add("inner", ir::OpKind::Concat, {2, 4}, {9, 7, 16}, s);   // 5
  add("outer", ir::OpKind::Concat, {1, 5}, {9, 7, 32}, s);   // 6
  {
    ir::Node& ap = add("ap", ir::OpKind::AvgPool, {6}, {9, 7, 32}, s);  // 7
    ap.kh = ap.kw = 3;
    ap.pad_h = ap.pad_w = 1;
  }
  conv("head", 7, 16, 3, 2, true, false, 0.1f, {5, 4, 16});  // 8
  g.output = 8;
  return g;
}

// A DenseNet-style concat whose inputs cannot all be written in place (the compiler's
// "concat-copy" pass gives them copies):
// input  [6, 5, 8] (scale 1/127)
// a      conv 1x1 -> [6, 5, 8], relu                  scale 1/127 (the concat's)
// b      conv 3x3 p1 of a -> [6, 5, 8], relu, sparse  scale 1/127  (a has two consumers)
// cat    concat(input, a, b) -> [6, 5, 24]            scale 1/127
// head   conv 1x1 on cat -> [6, 5, 16], sparse        scale 0.1 = output
inline ir::Graph make_copy_concat_graph(uint32_t seed = 1) {
  detail::Rng rng(seed * 15485863u + 5u);
  ir::Graph g;
  g.name = "copy-concat-graph-" + std::to_string(seed);
  const float s = 1.0f / 127.0f;
  append_node(g, "input", ir::OpKind::Input, {}, {6, 5, 8}, s);
  {
    ir::Node& a = append_node(g, "a", ir::OpKind::Conv, {0}, {6, 5, 8}, s);
    a.relu = true;
    detail::fill_weights(a, g.nodes[0].out, s, false, 0.0, rng);
  }
  {
    ir::Node& b = append_node(g, "b", ir::OpKind::Conv, {1}, {6, 5, 8}, s);
    b.kh = b.kw = 3;
    b.pad_h = b.pad_w = 1;
    b.relu = true;
    detail::fill_weights(b, g.nodes[1].out, s, true, 0.5, rng);
  }
  append_node(g, "cat", ir::OpKind::Concat, {0, 1, 2}, {6, 5, 24}, s);
  {
    ir::Node& h = append_node(g, "head", ir::OpKind::Conv, {3}, {6, 5, 16}, 0.1f);
    detail::fill_weights(h, g.nodes[3].out, s, true, 0.5, rng);
  }
  g.output = 4;
  return g;
}

}  // namespace saie::test
