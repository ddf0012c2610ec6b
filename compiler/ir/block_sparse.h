// block_sparse.h — block-sparse compaction of conv weights into the core's compact format.
// Format: docs/program-format.md "Compact weights".
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/graph.h"

namespace saie::ir {

struct CompactWeights {
  std::vector<uint8_t> bytes;   // header + row_ptr + col_idx + pad + blocks (qp records NOT included)
  uint32_t block_rows = 0, block_cols = 0, nnz = 0;
  uint32_t metadata_bytes = 0;  // header + indices + padding
  uint32_t payload_bytes = 0;   // nnz * 64 * kh * kw
};

// Compacts output channels [oc_begin, oc_end) of a Conv/Fc node (oc range a multiple of 8
// except possibly at the padded end). Input channels are padded with zeros to a multiple of 8
// (in_c_padded); output channels past node.out.c are zero padding. When `dense` is true every
// block is stored (the "dense" program for comparison); otherwise only blocks whose mask bit
// is 1 (a dense node stores every block).
CompactWeights compact_weights(const Node& node, uint32_t in_c, uint32_t oc_begin, uint32_t oc_end, bool dense);

}  // namespace saie::ir
