// fuse_lut.cpp — pass "fuse-lut": folds a Lut (an activation's int8 lookup table) into the Conv
// or Fc that produces its input, so the table runs in that conv's epilogue after the
// requantisation (program format 1.3, ConvArgs::lut) instead of as an op of its own.
#include <cstddef>

#include "compiler/passes/passes.h"

namespace saie::passes {

namespace {

// Returns true when one Lut was fused.
bool fuse_one(ir::Graph& g) {
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const ir::Node& t = g.nodes[i];
    if (t.op != ir::OpKind::Lut || t.inputs.size() != 1) continue;
    const int p = t.inputs[0];
    if (p < 0 || static_cast<size_t>(p) >= i) continue;
    ir::Node& prod = g.nodes[static_cast<size_t>(p)];
    if (!ir::has_weights(prod.op) || ir::has_fused_add(prod) || ir::has_fused_lut(prod)) continue;
    if (g.output == p || use_count(g, p) != 1) continue;  // the value before the table is observable
    prod.lut = t.lut;
    prod.act = t.act;
    prod.lut_in_scale = prod.out_scale;
    prod.out_scale = t.out_scale;
    remove_node(g, static_cast<int>(i), p);
    return true;
  }
  return false;
}

}  // namespace

void fuse_lut(ir::Graph& g) {
  while (fuse_one(g)) {
  }
}

}  // namespace saie::passes
