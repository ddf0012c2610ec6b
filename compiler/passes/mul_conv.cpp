// mul_conv.cpp — pass "mul-conv": turns each Mul (squeeze-excitation's channel gate) into a gate
// conv (ir::Node::gate), a depthwise 1x1 conv whose weights are the gate vector at run time.
#include "compiler/passes/passes.h"

namespace saie::passes {

void mul_conv(ir::Graph& g) {
  for (ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::Mul) continue;
    const int x = n.inputs.at(0), gate = n.inputs.at(1);
    const float gate_scale = g.nodes.at(static_cast<size_t>(gate)).out_scale;
    ir::Node c = identity_depthwise(n.name, x, n.out, n.out_scale, gate_scale);
    c.inputs.push_back(gate);
    c.gate = true;
    n = std::move(c);
  }
}

}  // namespace saie::passes
