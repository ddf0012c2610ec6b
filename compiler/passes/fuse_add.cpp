// fuse_add.cpp — pass "fuse-add": folds a residual Add into the Conv that produces one of its
// operands, so the compiler computes the add in that conv's epilogue (no phase of its own, the
// conv's output never goes to memory before the add).
#include <cstddef>

#include "compiler/passes/passes.h"

namespace saie::passes {

namespace {

// Returns true when one Add was fused.
bool fuse_one(ir::Graph& g, const FuseAddWorth& worth, std::vector<bool>& refused) {
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const ir::Node& add = g.nodes[i];
    if (refused[i]) continue;
    if (add.op != ir::OpKind::Add || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) continue;
    // The conv to fuse into: a plain conv used only by this add, not the graph output, whose other
    // operand (the residual) comes earlier in the graph. Of two candidates, the later one.
    int conv = -1, residual = -1;
    bool residual_first = false;
    for (int k = 0; k < 2; ++k) {
      const int c = add.inputs[static_cast<size_t>(k)], r = add.inputs[static_cast<size_t>(1 - k)];
      const ir::Node& n = g.nodes[static_cast<size_t>(c)];
      if (n.op != ir::OpKind::Conv || ir::has_fused_add(n) || ir::has_fused_lut(n) || n.inputs.size() != 1) continue;
      if (c == g.output || use_count(g, c) != 1 || r >= c) continue;
      if (c > conv) {
        conv = c;
        residual = r;
        residual_first = k == 1;
      }
    }
    if (conv < 0) continue;
    if (worth && !worth(g, conv, static_cast<int>(i))) {
      refused[i] = true;
      continue;
    }
    refused.erase(refused.begin() + static_cast<std::ptrdiff_t>(i));  // indices shift with the removal
    ir::Node& n = g.nodes[static_cast<size_t>(conv)];
    n.pre_add_scale = n.out_scale;
    n.pre_add_relu = n.relu;
    n.residual_first = residual_first;
    n.out_scale = add.out_scale;
    n.relu = add.relu;
    n.inputs.push_back(residual);
    n.name += "+" + add.name;
    remove_node(g, static_cast<int>(i), conv);
    return true;
  }
  return false;
}

}  // namespace

void fuse_add(ir::Graph& g, const FuseAddWorth& worth) {
  std::vector<bool> refused(g.nodes.size(), false);
  while (fuse_one(g, worth, refused)) {
  }
}

}  // namespace saie::passes
