// weight_bytes.cpp — dense vs compacted weight bytes of an int8 graph (see weight_bytes.h).
#include "trainer/export/weight_bytes.h"

#include "model/ir/block_sparse.h"

namespace saie::trainer {

WeightBytes weight_bytes(const ir::Graph& g) {
  WeightBytes wb;
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::Conv && n.op != ir::OpKind::Fc) continue;
    const uint64_t k = uint64_t{n.kh} * n.kw;
    const uint32_t cout = n.out.c;
    const auto cin = static_cast<uint32_t>(n.weight.size() / (uint64_t{cout} * k));
    const uint32_t in_c = (cin + 7) / 8 * 8, out_c = (cout + 7) / 8 * 8;
    LayerWeightBytes l;
    l.name = n.name;
    if (n.sparse) {
      l.bo = n.mask.bo;
      l.bi = n.mask.bi;
      l.blocks = n.mask.rows * n.mask.cols;
      l.zero_blocks = l.blocks - n.mask.nnz();
    } else {
      l.blocks = ((cout + 7) / 8) * ((cin + 7) / 8);
    }
    const ir::BlockMask hw = ir::hardware_mask(n, in_c, out_c);
    // (a grouped conv: only the blocks that meet its groups, and each group's own weights)
    l.hw_blocks = n.groups > 1 ? ir::hardware_mask(n, in_c, out_c, true).nnz() : hw.rows * hw.cols;
    l.hw_zero_blocks = l.hw_blocks - hw.nnz();
    l.int8_bytes = n.weight.size() / n.groups;
    const ir::CompactWeights dense = ir::compact_weights(n, in_c, 0, out_c, true);
    const ir::CompactWeights sparse = ir::compact_weights(n, in_c, 0, out_c, false);
    l.dense_bytes = dense.bytes.size();
    l.compact_bytes = sparse.bytes.size();
    l.metadata_bytes = sparse.metadata_bytes;
    wb.int8_bytes += l.int8_bytes;
    wb.dense_bytes += l.dense_bytes;
    wb.compact_bytes += l.compact_bytes;
    wb.metadata_bytes += l.metadata_bytes;
    wb.layers.push_back(l);
  }
  return wb;
}

}  // namespace saie::trainer
