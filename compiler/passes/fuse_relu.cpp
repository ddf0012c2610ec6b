// fuse_relu.cpp — pass "fuse-relu": folds standalone Relu nodes into their Conv/Fc/Add producer.
#include "compiler/passes/passes.h"

namespace saie::passes {

void fuse_relu(ir::Graph& g) {
  const auto can = [](const ir::Node& p) {
    return (p.op == ir::OpKind::Conv || p.op == ir::OpKind::Fc || p.op == ir::OpKind::Add) && !ir::has_fused_lut(p);
  };
  while (fold_into_producer(g, ir::OpKind::Relu, can, [](ir::Node& p, const ir::Node&) { p.relu = true; })) {
  }
}

}  // namespace saie::passes
