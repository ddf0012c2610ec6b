// ddr_plan.h — DDR allocation: one zero-padded HWC buffer per activation tensor and one
// weight blob (compact weights + requant records) per (conv/fc layer, core row).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/target/target_model.h"

namespace saie::schedule {

inline constexpr uint64_t kDdrAlign = 64;  // bytes; every buffer and layer weight area starts aligned

inline uint32_t round_up8(uint32_t v) { return (v + 7u) / 8u * 8u; }
inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Part i of n items split over `parts` as evenly as possible (earlier parts get the remainder).
// Returns [begin, end); empty when n < parts and i >= n.
std::pair<uint32_t, uint32_t> split_even(uint32_t n, uint32_t parts, uint32_t i);

// One activation tensor in DDR: HWC, logical h x w x c, border ph/pw of zeros on every side,
// cp channels per pixel (c rounded up to 8; padded channels are zero).
struct TensorBuffer {
  uint64_t addr = 0;  // first byte of the padded buffer (border included)
  uint32_t h = 0, w = 0, c = 0, cp = 0, ph = 0, pw = 0;
  uint32_t padded_h() const { return h + 2 * ph; }
  uint32_t padded_w() const { return w + 2 * pw; }
  uint32_t row_pitch() const { return padded_w() * cp; }
  uint64_t bytes() const { return uint64_t{padded_h()} * row_pitch(); }
  // Address of pixel (row, col) in padded coordinates (0 = first border row/column).
  uint64_t at(uint32_t prow, uint32_t pcol) const { return addr + uint64_t{prow} * row_pitch() + uint64_t{pcol} * cp; }
  uint64_t interior() const { return at(ph, pw); }
};

// Weights of one core row: compact block-sparse weights for output channels
// [oc_begin, oc_end) (padded range, multiple of 8), then out_c requant records
// {int32 bias, int32 mult, int32 shift} (padded channels: all zero, so their output is 0).
struct WeightBlob {
  uint32_t oc_begin = 0, oc_end = 0;
  uint64_t ddr_addr = 0;
  uint32_t compact_bytes = 0;  // compact weights padded to 4 bytes; qp records start here
  uint32_t qp_bytes = 0;       // 12 * (oc_end - oc_begin)
  uint32_t block_rows = 0, block_cols = 0, nnz = 0;
  uint32_t metadata_bytes = 0, payload_bytes = 0;
  std::vector<uint8_t> data;   // compact_bytes + qp_bytes
  uint32_t bytes() const { return compact_bytes + qp_bytes; }
  uint32_t out_c() const { return oc_end - oc_begin; }
};

// All core rows' blobs of one layer, contiguous in DDR starting at ddr_addr.
struct LayerWeights {
  uint64_t ddr_addr = 0;
  uint64_t bytes = 0;
  std::vector<WeightBlob> rows;  // one per working core row
};

struct DdrPlan {
  std::vector<TensorBuffer> tensors;  // index = node index
  std::vector<LayerWeights> weights;  // index = node index; empty rows for non-conv nodes
  uint64_t end = 0;                   // bytes needed
};

// Number of working core rows for a conv/fc with `block_rows` output block rows.
uint32_t working_rows(uint32_t block_rows, uint32_t core_rows);

// Plans every buffer and builds every weight blob. `dense` stores every block.
// The graph must already be validated, with fused ReLUs and supported ops only.
DdrPlan plan_ddr(const ir::Graph& g, const target::TargetModel& tm, bool dense);

}  // namespace saie::schedule
