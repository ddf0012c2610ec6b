// block_mask.h — row-balanced block pruning on plain float weights (torch-free, so it is
// testable without training): scores bo x bi blocks and picks which ones become zero.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"

namespace saie::trainer {

// Weight layout everywhere here: OIHW row-major, [cout][cin][khw] where khw = kh * kw
// (PyTorch's Conv2d layout; an Fc layer is viewed as [cout][in_c][in_h * in_w]).
struct WeightDims {
  uint32_t cout = 0, cin = 0, khw = 1;
  size_t size() const { return size_t{cout} * cin * khw; }
};

// Number of blocks zeroed in every block row: round(sparsity * cols), capped at cols - 1 so no
// block row (8 output channels) is ever zeroed completely (cols == 1 therefore stays dense).
uint32_t blocks_to_zero(double sparsity, uint32_t cols);

// Block scores, row-major rows x cols (rows = ceil(cout/bo), cols = ceil(cin/bi)); a block spans
// the whole kernel. score "l2": Euclidean norm of the block's weights. Throws for other scores.
std::vector<double> block_scores(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                 const std::string& score = "l2");

// Row-balanced selection: in every block row the blocks_to_zero(sparsity, cols) lowest-scored
// blocks get bit 0 (ties: lower column index first). sparsity must be in [0, 1).
ir::BlockMask select_block_mask(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                double sparsity, const std::string& score = "l2");

// Per-weight 0/1 factors in the same OIHW layout as the weights (1 = kept).
std::vector<float> expand_block_mask(const ir::BlockMask& m, const WeightDims& d);

// Counts the weights that lie in masked-out blocks yet are not exactly 0.0.
size_t count_masked_nonzeros(const std::vector<float>& w, const ir::BlockMask& m, const WeightDims& d);

}  // namespace saie::trainer
