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
    if (use_count(g, p) != 1 || ir::has_fused_lut(prod)) continue;
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
