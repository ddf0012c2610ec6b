// grouped_graphs.h — small random quantised graphs of the torchvision operators beyond the
// paper's: grouped and depthwise convolutions (ir::Node::groups), ceil-mode max pools, lookup-table
// activations and squeeze-excitation (ir::OpKind::Lut, Mul), for the reference executor, bundle,
// block-sparse and lowering tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/model/test_graphs.h"

namespace saie::test {

namespace detail {

// A chain of layers, each reading the one before, with random weights (fill_weights), weights
// outside a conv's groups zeroed, and output scales calibrated by a float forward pass on a
// random [0, 1] input (pools keep their input's scale).
struct ChainBuilder {
  ir::Graph g;
  Rng rng;
  std::vector<std::vector<double>> real;
  ChainBuilder(const std::string& name, uint32_t seed, ir::Shape input) : rng(seed) {
    g.name = name;
    g.provenance.dataset = "random";
    g.provenance.model = "grouped_graphs.h";
    ir::Node in;
    in.name = "input";
    in.op = ir::OpKind::Input;
    in.out = input;
    in.out_scale = 1.0f / 127.0f;
    g.nodes.push_back(in);
    real.emplace_back(in.out.elements());
    for (double& v : real.back()) v = rng.uniform(0.0, 1.0);
  }
  bool relu = true;  // the next convs get a fused ReLU
  int from = -1;     // >= 0: the next layer reads this node instead of the last one
  int last() const { return static_cast<int>(g.nodes.size()) - 1; }
  int take_input() {
    const int i = from >= 0 ? from : last();
    from = -1;
    return i;
  }
  // Output scale from the float activations of the node just added.
  void calibrate() {
    double mx = 0;
    for (double v : real.back()) mx = std::max(mx, std::fabs(v));
    g.nodes.back().out_scale = static_cast<float>(std::max(mx, 1e-3) * 1.05 / 127.0);
  }
  // A lookup-table activation of the last node (PyTorch's function `fn`).
  void act(const std::string& name, const std::string& fn) {
    ir::Node n;
    n.name = name;
    n.op = ir::OpKind::Lut;
    n.act = fn;
    n.inputs = {take_input()};
    n.out = g.nodes[static_cast<size_t>(n.inputs[0])].out;
    g.nodes.push_back(std::move(n));
    real.push_back(float_forward(g, g.nodes.back(), real));
    calibrate();
    ir::Node& m = g.nodes.back();
    m.lut = ir::make_lut(fn, g.nodes[static_cast<size_t>(m.inputs[0])].out_scale, m.out_scale);
  }
  // x * gate (a squeeze-excitation's channel gate, 1x1xC).
  void mul(const std::string& name, int x, int gate) {
    ir::Node n;
    n.name = name;
    n.op = ir::OpKind::Mul;
    n.inputs = {x, gate};
    n.out = g.nodes[static_cast<size_t>(x)].out;
    g.nodes.push_back(std::move(n));
    real.push_back(float_forward(g, g.nodes.back(), real));
    calibrate();
  }
  void layer(const std::string& name, ir::OpKind op, ir::Shape out, uint32_t k, uint32_t s, uint32_t p,
             uint32_t groups, bool ceil_mode, bool sparse_layer, bool count_include_pad = true) {
    ir::Node n;
    n.name = name;
    n.op = op;
    n.inputs = {take_input()};
    n.out = out;
    n.kh = n.kw = k;
    n.stride_h = n.stride_w = s;
    n.pad_h = n.pad_w = p;
    n.groups = groups;
    n.ceil_mode = ceil_mode;
    n.count_include_pad = count_include_pad;
    n.relu = op == ir::OpKind::Conv && relu;
    g.nodes.push_back(std::move(n));
    ir::Node& m = g.nodes.back();
    const ir::Node& src = g.nodes[static_cast<size_t>(m.inputs[0])];
    if (ir::has_weights(op)) {
      fill_weights(m, src.out, src.out_scale, sparse_layer, 0.5, rng);
      const uint32_t cin = src.out.c;
      const uint64_t kk = uint64_t{m.kh} * m.kw;
      for (uint32_t oc = 0; oc < m.out.c; ++oc) {
        const ir::ChannelRange r = ir::group_inputs(m, cin, oc);
        for (uint64_t t = 0; t < kk; ++t)
          for (uint32_t ic = 0; ic < cin; ++ic)
            if (ic < r.first || ic >= r.last) m.weight[(oc * kk + t) * cin + ic] = 0;
      }
    }
    real.push_back(float_forward(g, m, real));
    if (op == ir::OpKind::MaxPool || op == ir::OpKind::AvgPool) {
      m.out_scale = src.out_scale;
    } else {
      calibrate();
    }
  }
  ir::Graph done() {
    g.output = static_cast<int>(g.nodes.size()) - 1;
    g.validate();
    return std::move(g);
  }
};

}  // namespace detail

// Deterministic for a seed:
//   input [16, 16, 8] (scale 1/127)
//   conv1  3x3 p1 -> [16, 16, 32] relu, dense
//   gconv  3x3 p1, 4 groups of 8 channels -> [16, 16, 32] relu     (sparse if `sparse`)
//   dw     3x3 s2 p1, depthwise (32 groups) -> [8, 8, 32] relu      (dense: one block per row)
//   pw     1x1, 2 groups (16 in, 32 out each) -> [8, 8, 64] relu     (sparse if `sparse`)
//   g4     3x3 p1, 16 groups of 4 channels -> [8, 8, 64] relu       (an 8x8 block spans 2 groups)
//   gap    avgpool -> [1, 1, 64]; fc -> [1, 1, 10]                   (sparse if `sparse`)
// Weights outside a conv's groups are zero; a sparse layer's random mask keeps half of every
// block row (blocks outside the groups may be kept: they hold zeros, as a mask allows).
inline ir::Graph make_grouped_graph(uint32_t seed, bool sparse) {
  detail::ChainBuilder b("grouped-graph-" + std::to_string(seed) + (sparse ? "-sparse" : "-dense"),
                         seed * 2654435761u + 101u, {16, 16, 8});
  b.layer("conv1", ir::OpKind::Conv, {16, 16, 32}, 3, 1, 1, 1, false, false);
  b.layer("gconv", ir::OpKind::Conv, {16, 16, 32}, 3, 1, 1, 4, false, sparse);
  b.layer("dw", ir::OpKind::Conv, {8, 8, 32}, 3, 2, 1, 32, false, false);
  b.layer("pw", ir::OpKind::Conv, {8, 8, 64}, 1, 1, 0, 2, false, sparse);
  b.layer("g4", ir::OpKind::Conv, {8, 8, 64}, 3, 1, 1, 16, false, sparse);
  b.layer("gap", ir::OpKind::AvgPool, {1, 1, 64}, 8, 8, 0, 1, false, false);
  b.layer("fc", ir::OpKind::Fc, {1, 1, 10}, 1, 1, 0, 1, false, sparse);
  return b.done();
}

// A ceil-mode max pool (PyTorch's ceil_mode: GoogLeNet's pools) between convs:
//   input [16, 16, 8] -> conv 3x3 p1 -> [16, 16, 16] relu -> maxpool 3x3 s2 ceil -> [8, 8, 16]
//   (floor mode: 7x7; the last window overhangs the bottom/right edge by one) -> conv 1x1 ->
//   [8, 8, 16] relu (sparse if `sparse`) -> maxpool 3x3 s1 p1 ceil -> [8, 8, 16] -> gap -> fc 10
inline ir::Graph make_ceil_pool_graph(uint32_t seed, bool sparse) {
  detail::ChainBuilder b("ceil-pool-graph-" + std::to_string(seed), seed * 97u + 7u, {16, 16, 8});
  b.layer("conv1", ir::OpKind::Conv, {16, 16, 16}, 3, 1, 1, 1, false, false);
  b.layer("pool1", ir::OpKind::MaxPool, {8, 8, 16}, 3, 2, 0, 1, true, false);
  b.layer("conv2", ir::OpKind::Conv, {8, 8, 16}, 1, 1, 0, 1, false, sparse);
  b.layer("pool2", ir::OpKind::MaxPool, {8, 8, 16}, 3, 1, 1, 1, true, false);
  b.layer("gap", ir::OpKind::AvgPool, {1, 1, 16}, 8, 8, 0, 1, false, false);
  b.layer("fc", ir::OpKind::Fc, {1, 1, 10}, 1, 1, 0, 1, false, sparse);
  return b.done();
}

// Average pools that divide each window by its own count (PyTorch's avg_pool2d with ceil_mode and
// count_include_pad=False; ir::avgpool_divides_by_count):
//   input [16, 16, 8] -> conv1 3x3 p1 -> [16, 16, 16] (relu if `relu`)
//   -> apool1 avg 3x3 s2 p1 ceil, count_include_pad=False -> [9, 9, 16] (floor mode: 8x8; the last
//      window overhangs by one, the first row and column of windows hold padding)
//   -> conv2 1x1 -> [9, 9, 16] relu (sparse if `sparse`)
//   -> apool2 avg 3x3 s1 p1, count_include_pad=False -> [9, 9, 16] (corners divide by 4, edges by 6)
//   -> apool3 avg 2x2 s2 ceil -> [5, 5, 16] (the last window holds 2 or 1 input positions)
//   -> gap avg 5x5 -> [1, 1, 16] -> fc 10
inline ir::Graph make_count_pool_graph(uint32_t seed, bool sparse, bool relu = false) {
  detail::ChainBuilder b("count-pool-graph-" + std::to_string(seed), seed * 131u + 5u, {16, 16, 8});
  b.relu = relu;
  b.layer("conv1", ir::OpKind::Conv, {16, 16, 16}, 3, 1, 1, 1, false, false);
  b.relu = true;
  b.layer("apool1", ir::OpKind::AvgPool, {9, 9, 16}, 3, 2, 1, 1, true, false, false);
  b.layer("conv2", ir::OpKind::Conv, {9, 9, 16}, 1, 1, 0, 1, false, sparse);
  b.layer("apool2", ir::OpKind::AvgPool, {9, 9, 16}, 3, 1, 1, 1, false, false, false);
  b.layer("apool3", ir::OpKind::AvgPool, {5, 5, 16}, 2, 2, 0, 1, true, false);
  b.layer("gap", ir::OpKind::AvgPool, {1, 1, 16}, 5, 5, 0, 1, false, false);
  b.layer("fc", ir::OpKind::Fc, {1, 1, 10}, 1, 1, 0, 1, false, sparse);
  return b.done();
}

// A MobileNetV3-style block with squeeze-excitation (deterministic for a seed):
//   input [12, 12, 8] -> conv1 3x3 p1 -> [12, 12, 16] -> hardswish (table)
//   -> dw 3x3 p1 depthwise -> [12, 12, 16] relu                       (x)
//   -> se_pool avgpool 12x12 -> [1, 1, 16] -> se_fc1 1x1 -> [1, 1, 8] relu (sparse if `sparse`)
//   -> se_fc2 1x1 -> [1, 1, 16] -> hardsigmoid (table)                (the gate)
//   -> se_mul x * gate -> [12, 12, 16] -> proj 1x1 -> [12, 12, 16]    (sparse if `sparse`)
//   -> gap -> [1, 1, 16] -> fc -> [1, 1, 10]                          (sparse if `sparse`)
// `act` / `gate_act`: the two tables' functions.
inline ir::Graph make_se_graph(uint32_t seed, bool sparse, const std::string& act = "hardswish",
                               const std::string& gate_act = "hardsigmoid") {
  detail::ChainBuilder b("se-graph-" + std::to_string(seed) + (sparse ? "-sparse" : "-dense"), seed * 31u + 5u,
                         {12, 12, 8});
  b.relu = false;
  b.layer("conv1", ir::OpKind::Conv, {12, 12, 16}, 3, 1, 1, 1, false, false);
  b.act("act1", act);
  b.relu = true;
  b.layer("dw", ir::OpKind::Conv, {12, 12, 16}, 3, 1, 1, 16, false, false);
  const int x = b.last();
  b.layer("se_pool", ir::OpKind::AvgPool, {1, 1, 16}, 12, 12, 0, 1, false, false);
  b.layer("se_fc1", ir::OpKind::Conv, {1, 1, 8}, 1, 1, 0, 1, false, sparse);
  b.relu = false;
  b.layer("se_fc2", ir::OpKind::Conv, {1, 1, 16}, 1, 1, 0, 1, false, false);
  b.act("se_gate", gate_act);
  b.mul("se_mul", x, b.last());
  b.layer("proj", ir::OpKind::Conv, {12, 12, 16}, 1, 1, 0, 1, false, sparse);
  b.layer("gap", ir::OpKind::AvgPool, {1, 1, 16}, 12, 12, 0, 1, false, false);
  b.layer("fc", ir::OpKind::Fc, {1, 1, 10}, 1, 1, 0, 1, false, sparse);
  return b.done();
}

}  // namespace saie::test
