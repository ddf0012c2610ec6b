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
      std::string name = s.name + ".copy";
      for (int v = 2; std::any_of(g.nodes.begin(), g.nodes.end(), [&](const ir::Node& n) { return n.name == name; }); ++v)
        name = s.name + ".copy" + std::to_string(v);
      insert_node(g, static_cast<int>(i), copy_of(g, src, name));
      g.nodes[i + 1].inputs[k] = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

void concat_copy(ir::Graph& g) {
  while (copy_one(g)) {
  }
}

}  // namespace saie::passes
