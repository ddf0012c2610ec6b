// block_sparse.h — block-sparse compaction of conv weights into the core's compact format.
// Format: docs/program-format.md "Compact weights".
#pragma once

#include <cstdint>
#include <vector>

#include "model/ir/graph.h"

namespace saie::ir {

struct CompactWeights {
  std::vector<uint8_t> bytes;   // header + row_ptr + col_idx + pad + blocks (qp records NOT included)
  uint32_t block_rows = 0, block_cols = 0, nnz = 0;
  uint32_t metadata_bytes = 0;  // header + indices + padding
  uint32_t payload_bytes = 0;   // nnz * 64 * kh * kw
};

// The 8x8 hardware block mask the compiler stores for a Conv/Fc node (bo = bi = 8), over the
// grid ceil(out_c / 8) rows x ceil(in_c / 8) cols; in_c >= the node's cin and out_c >= its
// cout are the (possibly padded) channel extents. Logical masks of any block shape bo x bi map
// conservatively: hardware block (R, C), covering output channels 8R..8R+7 and input channels
// 8C..8C+7 (all kernel positions), is 1 iff any logical mask block overlapping its REAL channels
// (oc < cout, ic < cin) is 1; blocks lying entirely in padding are 0. A dense node (sparse ==
// false), or any node when `dense` (the "dense" program), gives all ones, as compact_weights
// stores every block of it. For an 8x8 logical mask this is the logical mask itself (plus zero
// padding rows/cols). A grouped conv (Node::groups > 1) keeps only the blocks that meet a
// group's diagonal (some output channel of the block reads some input channel of it), dense or
// not: the groups are the network's structure, not sparsity.
// Throws std::invalid_argument naming the node on bad arguments or an inconsistent mask.
BlockMask hardware_mask(const Node& node, uint32_t in_c, uint32_t out_c, bool dense = false);

// Compacts output channels [oc_begin, oc_end) of a Conv/Fc node (oc range a multiple of 8
// except possibly at the padded end). Input channels are padded with zeros to a multiple of 8
// (in_c_padded); output channels past node.out.c are zero padding. When `dense` is true every
// block is stored (the "dense" program for comparison); otherwise only the blocks whose
// hardware_mask bit is 1 (a dense node stores every block). Either way a grouped conv stores
// only the blocks that meet its groups (hardware_mask). The node's logical mask may have
// any block shape bo x bi (see hardware_mask); the stored format is always 8x8.
// Input-channel split: [ic_begin, ic_end) (multiples of 8 inside [0, in_c); ic_end 0 = in_c)
// keeps only those input channels; block columns and col_idx count from ic_begin, so the
// weights apply to an input holding just those channels.
CompactWeights compact_weights(const Node& node, uint32_t in_c, uint32_t oc_begin, uint32_t oc_end, bool dense,
                               uint32_t ic_begin = 0, uint32_t ic_end = 0);

}  // namespace saie::ir
