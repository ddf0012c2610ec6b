// fuse_relu.cpp — pass "fuse-relu": folds standalone Relu nodes into their Conv/Fc/Add producer.
#include <cstddef>

#include "compiler/passes/passes.h"

namespace saie::passes {

namespace {

// Returns true when one Relu was fused.
bool fuse_one(ir::Graph& g) {
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const ir::Node& r = g.nodes[i];
    if (r.op != ir::OpKind::Relu || r.inputs.size() != 1) continue;
    const int p = r.inputs[0];
    if (p < 0 || static_cast<size_t>(p) >= i) continue;
    ir::Node& prod = g.nodes[static_cast<size_t>(p)];
    if (prod.op != ir::OpKind::Conv && prod.op != ir::OpKind::Fc && prod.op != ir::OpKind::Add) continue;
    if (g.output == p) continue;  // the un-rectified value is observable
    size_t uses = 0;
    for (const ir::Node& n : g.nodes)
      for (int in : n.inputs) uses += in == p ? 1 : 0;
    if (uses != 1) continue;
    prod.relu = true;
    remove_node(g, static_cast<int>(i), p);
    return true;
  }
  return false;
}

}  // namespace

void fuse_relu(ir::Graph& g) {
  while (fuse_one(g)) {
  }
}

}  // namespace saie::passes
