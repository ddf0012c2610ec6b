// weight_bytes.h — weight storage of an exported int8 graph, dense vs 8x8 block-compacted, as
// the compiler stores it (ir::compact_weights): the figure the training study reports (torch-free).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ir/graph.h"

namespace saie::trainer {

struct LayerWeightBytes {
  std::string name;
  uint32_t bo = 8, bi = 8;          // the node's logical block shape (8x8 for dense nodes)
  uint32_t blocks = 0, zero_blocks = 0;        // logical mask blocks (0 zero blocks when dense)
  uint32_t hw_blocks = 0, hw_zero_blocks = 0;  // 8x8 hardware blocks over the padded channels
  uint64_t int8_bytes = 0;     // cout * kh * kw * cin, the plain int8 tensor
  uint64_t dense_bytes = 0;    // compact format with every block stored (ir::compact_weights dense)
  uint64_t compact_bytes = 0;  // compact format with the zero 8x8 blocks dropped (payload + metadata)
  uint64_t metadata_bytes = 0; // of compact_bytes: header + row pointers + column indices + padding
};

struct WeightBytes {
  std::vector<LayerWeightBytes> layers;  // every Conv/Fc node, graph order
  uint64_t int8_bytes = 0, dense_bytes = 0, compact_bytes = 0, metadata_bytes = 0;
};

// Every Conv/Fc node of g, compacted over the whole output-channel range (cout rounded up to 8)
// with its input channels rounded up to 8. Throws on an inconsistent node (compiler's message).
WeightBytes weight_bytes(const ir::Graph& g);

}  // namespace saie::trainer
