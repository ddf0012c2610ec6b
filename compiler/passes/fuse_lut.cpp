// fuse_lut.cpp — pass "fuse-lut": folds a Lut (an activation's int8 lookup table) into the Conv
// or Fc that produces its input, so the table runs in that conv's epilogue after the
// requantisation (program format 1.3, ConvArgs::lut) instead of as an op of its own.
#include "compiler/passes/passes.h"

namespace saie::passes {

void fuse_lut(ir::Graph& g) {
  const auto can = [](const ir::Node& p) {
    return ir::has_weights(p.op) && !ir::has_fused_add(p) && !ir::has_fused_lut(p);
  };
  const auto fold = [](ir::Node& p, const ir::Node& t) {
    p.lut = t.lut;
    p.act = t.act;
    p.lut_in_scale = p.out_scale;
    p.out_scale = t.out_scale;
  };
  while (fold_into_producer(g, ir::OpKind::Lut, can, fold)) {
  }
}

}  // namespace saie::passes
