// block_mask.h — block pruning on plain float weights (torch-free, so it is testable without
// training): scores bo x bi blocks (l2, l1, variance) and picks which ones become zero, per block
// row (row-balanced) or per layer (global), in one shot or as monotone incremental steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir/graph.h"

namespace saie::trainer {

// Weight layout everywhere here: OIHW row-major, [cout][cin][khw] where khw = kh * kw
// (PyTorch's Conv2d layout; an Fc layer is viewed as [cout][in_c][in_h * in_w], i.e. a conv
// whose kernel covers its input; for a 1x1 input that is a plain 1x1 conv).
struct WeightDims {
  uint32_t cout = 0, cin = 0, khw = 1;
  size_t size() const { return size_t{cout} * cin * khw; }
};

// Names accepted for scores and selections (also what the bundle notes and summaries record).
inline const std::vector<std::string>& block_score_names() {
  static const std::vector<std::string> n{"l2", "l1", "variance"};
  return n;
}
inline const std::vector<std::string>& selection_names() {
  static const std::vector<std::string> n{"row-balanced", "global"};
  return n;
}
// Throws std::runtime_error("unknown block score 'x' (supported: l2, l1, variance)") etc.
void check_block_score(const std::string& score);
void check_selection(const std::string& selection);

// Row-balanced: blocks zeroed in every block row = round(sparsity * cols), capped at cols - 1 so
// no block row (bo output channels) is ever zeroed completely (cols == 1 stays dense).
// sparsity must be in [0, 1).
uint32_t blocks_to_zero(double sparsity, uint32_t cols);
// Global: blocks zeroed in the layer = round(sparsity * blocks), capped at blocks - 1 (a layer is
// never zeroed completely).
uint32_t global_blocks_to_zero(double sparsity, uint32_t blocks);

// Block scores, row-major rows x cols (rows = ceil(cout/bo), cols = ceil(cin/bi)); a block spans
// the whole kernel (all khw taps). Partial edge blocks are scored over the weights they really
// hold (no padding), so with L1/L2 a small edge block scores lower, as zeroing it loses less.
//   "l2":       sqrt(sum w^2)
//   "l1":       sum |w|
//   "variance": (1/n) sum (w - mean)^2, mean = the block's own mean, n = weights in the block
std::vector<double> block_scores(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                 const std::string& score = "l2");

// The mask of a layer: the lowest-scored blocks get bit 0 (ties: lower row-major index first).
//   selection "row-balanced": every block row loses blocks_to_zero(sparsity, cols) blocks;
//   selection "global":       the layer loses global_blocks_to_zero(sparsity, rows * cols) blocks.
// With `prev` (same grid), the counts are totals: every block zero in prev stays zero and only
// the still-kept blocks compete for the remaining zeros (incremental pruning; never un-zeroes).
// sparsity must be in [0, 1). Throws std::runtime_error with one line on bad input.
ir::BlockMask select_block_mask(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                double sparsity, const std::string& score = "l2",
                                const std::string& selection = "row-balanced", const ir::BlockMask* prev = nullptr);

// Row-balanced selection among the blocks `eligible` marks (same grid; the others are 0 in the
// result): every block row loses blocks_to_zero(sparsity, its eligible blocks) of them, the
// lowest-scored by `score` (ties: lower index first). For a grouped conv, eligible = the blocks
// that meet its groups.
ir::BlockMask select_block_mask_within(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                       double sparsity, const ir::BlockMask& eligible, const std::string& score = "l2");

// Incremental schedule: with F fine-tune epochs the masks are tightened at the start of epochs
// 1 .. incremental_steps(F) = max(1, F - 1), so the target holds from the last-but-one epoch on
// and the last epoch only fine-tunes. Step t (1-based) prunes to target * t / steps: every step
// zeroes the same number of blocks (1/steps of the target), i.e. a rising share of the blocks
// that are still kept (for 50% over 2 steps: 25% of all, then 1/3 of the remaining 75%).
uint32_t incremental_steps(uint32_t finetune_epochs);
double incremental_sparsity(double target, uint32_t step, uint32_t steps);

// Per-weight 0/1 factors in the same OIHW layout as the weights (1 = kept).
std::vector<float> expand_block_mask(const ir::BlockMask& m, const WeightDims& d);

// Counts the weights that lie in masked-out blocks yet are not exactly 0.0.
size_t count_masked_nonzeros(const std::vector<float>& w, const ir::BlockMask& m, const WeightDims& d);

}  // namespace saie::trainer
