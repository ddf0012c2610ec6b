// layer_plan.h — the placed schedule of one layer: which columns compute which output
// columns (W split), which core rows compute which output channels (COUT split), the band
// height streamed through the cores (H), and the memtile / core memory layouts.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/schedule/ddr_plan.h"
#include "compiler/target/target_model.h"

namespace saie::schedule {

inline constexpr uint32_t kCoreAlign = 16;     // bytes; core buffers start aligned
inline constexpr uint32_t kMemtileAlign = 64;  // bytes; memtile buffers start aligned

// Work of one array column.
struct ColumnWork {
  uint32_t col = 0;
  uint32_t w0 = 0, w1 = 0;    // output columns [w0, w1)
  uint32_t in_w0 = 0, wi = 0; // input slice: columns [in_w0, in_w0 + wi) in the layer's padded coordinates
  uint32_t wc() const { return w1 - w0; }
};

// Core memory layout, identical in every working core of the layer (sized for the widest column).
struct CoreLayout {
  uint32_t weights = 0;                  // compact weights then requant records (conv/fc)
  uint32_t weights_bytes = 0;            // largest blob of the layer
  uint32_t in[2] = {0, 0};               // input band ping/pong (add: operand A)
  uint32_t in_bytes = 0;                 // one input band buffer (widest column)
  uint32_t b[2] = {0, 0};                // add: operand B band ping/pong
  uint32_t b_bytes = 0;
  uint32_t out[2] = {0, 0};              // output band ping/pong
  uint32_t out_bytes = 0;
  uint32_t end = 0;                      // bytes used
};

// Memtile layout, identical in every working column.
struct MemtileLayout {
  uint32_t x = 0, x_bytes = 0;  // input slice (add: operand A slice)
  uint32_t w = 0, w_bytes = 0;  // all weight blobs of the layer (add: operand B slice)
  uint32_t y = 0, y_bytes = 0;  // output slice
  uint32_t end = 0;
};

struct LayerPlan {
  int node = -1;
  std::string name;
  ir::OpKind op = ir::OpKind::Conv;
  uint32_t kh = 1, kw = 1, sh = 1, sw = 1;
  uint32_t in_c_p = 8;       // channels per pixel of the input buffer(s)
  uint32_t out_c_p = 8;      // channels per pixel of the output buffer
  uint32_t out_h = 1, out_w = 1;
  uint32_t in_rows = 1;      // input rows read, padded coords: (out_h - 1) * sh + kh
  // Per input k: (row, col) offset of the layer's padded coordinates inside input k's buffer
  // (buffer border minus the layer's own padding).
  std::vector<std::pair<uint32_t, uint32_t>> in_off;
  std::vector<ColumnWork> cols;  // working columns only (a column with no output width is idle)
  // Per working core row: output channel range [begin, end) (padded; pools/adds: one row, all channels).
  std::vector<std::pair<uint32_t, uint32_t>> row_oc;
  uint32_t bh = 1, nb = 1;   // band height (output rows) and number of bands
  uint32_t band_in_rows = 1; // input rows per band: (bh - 1) * sh + kh
  CoreLayout core;
  MemtileLayout mem;

  uint32_t rows() const { return static_cast<uint32_t>(row_oc.size()); }
  uint32_t band_in_bytes(const ColumnWork& c) const { return band_in_rows * c.wi * in_c_p; }
  uint32_t band_out_bytes(const ColumnWork& c, uint32_t r) const {
    return bh * c.wc() * (row_oc.at(r).second - row_oc.at(r).first);
  }
  uint32_t slice_in_bytes(const ColumnWork& c) const { return in_rows * c.wi * in_c_p; }
  uint32_t slice_out_bytes(const ColumnWork& c) const { return out_h * c.wc() * out_c_p; }
};

// Plans node `node` (Conv, Fc, MaxPool, AvgPool or Add). max_band_rows caps the band height
// (0 = no cap). Throws compiler::CompileError naming the layer when it cannot be mapped
// (e.g. "layer conv3 does not fit: ... (spilling is not implemented yet)").
LayerPlan plan_layer(const ir::Graph& g, int node, const DdrPlan& ddr, const target::TargetModel& tm,
                     uint32_t max_band_rows = 0);

}  // namespace saie::schedule
