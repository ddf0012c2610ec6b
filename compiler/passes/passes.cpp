// passes.cpp — the default pass pipeline and its verifier-after-each-pass driver.
#include "compiler/passes/passes.h"

#include <algorithm>
#include <stdexcept>

namespace saie::passes {

void remove_node(ir::Graph& g, int victim, int replacement) {
  auto remap = [&](int i) { return i == victim ? replacement : (i > victim ? i - 1 : i); };
  g.nodes.erase(g.nodes.begin() + victim);
  for (ir::Node& n : g.nodes)
    for (int& in : n.inputs) in = remap(in);
  g.output = remap(g.output);
}

size_t use_count(const ir::Graph& g, int node) {
  size_t n = 0;
  for (const ir::Node& x : g.nodes)
    for (int in : x.inputs) n += in == node ? 1 : 0;
  return n;
}

ir::Node identity_depthwise(const std::string& name, int src, const ir::Shape& shape, float out_scale,
                            float weight_scale) {
  const uint32_t c = shape.c;
  ir::Node n;
  n.name = name;
  n.op = ir::OpKind::Conv;
  n.inputs = {src};
  n.out = shape;
  n.out_scale = out_scale;
  n.groups = c;
  n.weight.assign(uint64_t{c} * c, 0);
  for (uint32_t i = 0; i < c; ++i) n.weight[uint64_t{i} * c + i] = 1;
  n.weight_scales.assign(c, weight_scale);
  n.bias.assign(c, 0);
  return n;
}

bool fold_into_producer(ir::Graph& g, ir::OpKind kind, const std::function<bool(const ir::Node&)>& can,
                        const std::function<void(ir::Node&, const ir::Node&)>& fold) {
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (n.op != kind || n.inputs.size() != 1) continue;
    const int p = n.inputs[0];
    if (p < 0 || static_cast<size_t>(p) >= i) continue;
    ir::Node& prod = g.nodes[static_cast<size_t>(p)];
    // (the producer's own value is observable when it is the output or read elsewhere)
    if (!can(prod) || g.output == p || use_count(g, p) != 1) continue;
    fold(prod, n);
    remove_node(g, static_cast<int>(i), p);
    return true;
  }
  return false;
}

const std::vector<Pass>& default_passes() {
  static const std::vector<Pass> list = {
      {"fuse-relu", [](ir::Graph& g, const PassOptions&) { fuse_relu(g); }},
      {"fuse-lut", [](ir::Graph& g, const PassOptions&) { fuse_lut(g); }},
      {"concat-copy", [](ir::Graph& g, const PassOptions&) { concat_copy(g); }},  // (its adds may fuse)
      {"fuse-add", [](ir::Graph& g, const PassOptions& o) { fuse_add(g, o.fuse_add_worth); }},
      {"mul-conv", [](ir::Graph& g, const PassOptions&) { mul_conv(g); }},
  };
  return list;
}

void run_default_passes(ir::Graph& g, const PassOptions& opt) {
  try {
    g.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("before passes: ") + e.what());
  }
  for (const Pass& p : default_passes()) {
    if (std::find(opt.skip.begin(), opt.skip.end(), p.name) != opt.skip.end()) continue;
    p.run(g, opt);
    try {
      g.validate();
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("after pass '") + p.name + "': " + e.what());
    }
    if (opt.after_pass) opt.after_pass(p.name, g);
  }
}

}  // namespace saie::passes
