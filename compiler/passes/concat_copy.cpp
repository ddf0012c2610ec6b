// concat_copy.cpp — pass "concat-copy": gives every concat input that cannot be written into the
// concat's buffer in place (it has other consumers, is the network input or the graph output)
// a copy of its own, so that the concat's inputs are all views (ddr_plan.cpp, concat_views).
#include <algorithm>
#include <string>
#include <vector>

#include "compiler/passes/passes.h"

namespace saie::passes {

namespace {

// Inserts `node` at index `at` (its inputs already refer to earlier nodes), shifting every later
// index up by one.
void insert_node(ir::Graph& g, int at, ir::Node node) {
  for (ir::Node& n : g.nodes)
    for (int& in : n.inputs)
      if (in >= at) ++in;
  if (g.output >= at) ++g.output;
  g.nodes.insert(g.nodes.begin() + at, std::move(node));
}

// The copy: a depthwise 1x1 conv with weight 1 and the source's scale, whose requantisation
// factor is exactly 1 (in_scale * 1 / out_scale), so it reproduces its input bit for bit.
ir::Node copy_of(const ir::Graph& g, int src, const std::string& name) {
  const ir::Node& s = g.nodes.at(static_cast<size_t>(src));
  return identity_depthwise(name, src, s.out, s.out_scale, 1.0f);
}

std::string fresh_name(const ir::Graph& g, const std::string& base) {
  std::string name = base;
  for (int v = 2; std::any_of(g.nodes.begin(), g.nodes.end(), [&](const ir::Node& n) { return n.name == name; }); ++v)
    name = base + std::to_string(v);
  return name;
}

// A concat with an input at a channel offset that is not a multiple of 8 (ShuffleNet's 58 + 58
// channels) cannot be written in place by 8-channel blocks. It becomes the sum of its inputs
// placed into the whole width: input k through a 1x1 conv with weight 1 from its channel c to
// channel off_k + c (the concat's scale: an exact copy, zeros elsewhere; its mask keeps the blocks
// holding a 1), then adds of those (x + 0 = x at one scale: exact). The concat's node becomes
// the last add. Returns true when one concat was rewritten.
bool place_one(ir::Graph& g) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node cat = g.nodes[i];
    if (cat.op != ir::OpKind::Concat) continue;
    bool aligned = true;
    uint32_t off = 0;
    for (int src : cat.inputs) {
      aligned = aligned && off % 8 == 0;
      off += g.nodes.at(static_cast<size_t>(src)).out.c;
    }
    if (aligned) continue;
    const uint32_t c = cat.out.c;
    int at = static_cast<int>(i);
    std::vector<int> placed;
    off = 0;
    for (int src : cat.inputs) {
      const ir::Node& s = g.nodes.at(static_cast<size_t>(src));
      const uint32_t n = s.out.c;
      ir::Node p;
      p.name = fresh_name(g, cat.name + ".place");
      p.op = ir::OpKind::Conv;
      p.inputs = {src};
      p.out = cat.out;
      p.out_scale = cat.out_scale;
      p.weight.assign(uint64_t{c} * n, 0);
      for (uint32_t k = 0; k < n; ++k) p.weight[uint64_t{off + k} * n + k] = 1;
      p.weight_scales.assign(c, 1.0f);
      p.bias.assign(c, 0);
      p.sparse = true;
      p.mask.bo = g.block_o;
      p.mask.bi = g.block_i;
      p.mask.rows = (c + g.block_o - 1) / g.block_o;
      p.mask.cols = (n + g.block_i - 1) / g.block_i;
      p.mask.bits.assign(size_t{p.mask.rows} * p.mask.cols, 0);
      for (uint32_t k = 0; k < n; ++k) p.mask.bits[size_t{(off + k) / g.block_o} * p.mask.cols + k / g.block_i] = 1;
      off += n;
      insert_node(g, at, std::move(p));
      placed.push_back(at++);
    }
    int sum = placed[0];
    for (size_t k = 1; k < placed.size(); ++k) {
      ir::Node a;
      a.op = ir::OpKind::Add;
      a.inputs = {sum, placed[k]};
      a.out = cat.out;
      a.out_scale = cat.out_scale;
      if (k + 1 == placed.size()) {  // the concat's own node, now the last add
        a.name = cat.name;
        g.nodes[static_cast<size_t>(at)] = std::move(a);
        return true;
      }
      a.name = fresh_name(g, cat.name + ".sum");
      insert_node(g, at, std::move(a));
      sum = at++;
    }
  }
  return false;
}

// Returns true when one copy was inserted.
bool copy_one(ir::Graph& g) {
  std::vector<int> uses(g.nodes.size(), 0);
  for (const ir::Node& n : g.nodes)
    for (int in : n.inputs) ++uses.at(static_cast<size_t>(in));
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& cat = g.nodes[i];
    if (cat.op != ir::OpKind::Concat) continue;
    for (size_t k = 0; k < cat.inputs.size(); ++k) {
      const int src = cat.inputs[k];
      const ir::Node& s = g.nodes.at(static_cast<size_t>(src));
      if (s.op != ir::OpKind::Input && uses.at(static_cast<size_t>(src)) == 1 && src != g.output) continue;
      // (the copy goes just before the concat, which then reads it)
      insert_node(g, static_cast<int>(i), copy_of(g, src, fresh_name(g, s.name + ".copy")));
      g.nodes[i + 1].inputs[k] = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

void concat_copy(ir::Graph& g) {
  while (place_one(g)) {
  }
  while (copy_one(g)) {
  }
}

}  // namespace saie::passes
