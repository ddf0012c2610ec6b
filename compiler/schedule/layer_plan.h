// layer_plan.h — the placed schedule of one layer: which columns compute which output
// columns (W split), which core rows compute which output channels (COUT split), the band
// height streamed through the cores (H), and the memtile / core memory layouts.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/ir/graph.h"
#include "compiler/schedule/ddr_plan.h"
#include "compiler/target/target_model.h"
#include "hw/isa/program.h"

namespace saie::schedule {

inline constexpr uint32_t kCoreAlign = 16;     // bytes; core buffers start aligned
inline constexpr uint32_t kMemtileAlign = 64;  // bytes; memtile buffers start aligned
// Slices below this go to / come from DDR in one part; larger ones over two shim channels when
// free (a second part's BDs and DDR latency cost more than the second channel saves on less).
inline constexpr uint32_t kTwoPartBytes = 8192;

// Work of one array column.
struct ColumnWork {
  uint32_t col = 0;
  uint32_t w0 = 0, w1 = 0;    // output columns [w0, w1)
  uint32_t in_w0 = 0, wi = 0; // input slice: columns [in_w0, in_w0 + wi) in the layer's padded coordinates
  // Column-group pieces (LayerPlan::col_groups): this column's own channel group over the
  // whole width: weight group (conv/fc), channels [c0, c0 + cn) of the output (pool/add: and
  // of the input), and its core rows' output channel ranges relative to c0.
  int group = -1;
  uint32_t c0 = 0, cn = 0;
  std::vector<std::pair<uint32_t, uint32_t>> row_oc;
  // Pixel rows (LayerPlan::pixel_rows): core row r's output columns [first, second), parts of
  // [w0, w1); its input columns start at first * stride (the layer's padded coordinates).
  std::vector<std::pair<uint32_t, uint32_t>> row_w;
  // A subsampled conv (LayerPlan::subsample) reading a slice another phase left in the memtile:
  // that slice's width in pixels and the pixel its first input column is at (x_w 0: the slice is
  // this column's own, wi pixels wide).
  uint32_t x_w = 0, x_off = 0;
  uint32_t wc() const { return w1 - w0; }
};

// Core memory layout, identical in every working core of the layer (sized for the widest column).
struct CoreLayout {
  uint32_t weights = 0;                  // compact weights then requant records (conv/fc)
  uint32_t weights_bytes = 0;            // largest blob of the layer (chunk loop: largest chunk blob)
  uint32_t weights2 = 0;                 // chunk loop: the second weights buffer (ping/pong with weights)
  uint32_t in[2] = {0, 0};               // input band ping/pong (add: operand A)
  uint32_t in_bytes = 0;                 // one input band buffer (widest column)
  uint32_t b[2] = {0, 0};                // add: operand B band ping/pong
  uint32_t b_bytes = 0;
  uint32_t out[2] = {0, 0};              // output band ping/pong
  uint32_t out_bytes = 0;
  uint32_t res[2] = {0, 0};              // fused add: residual band ping/pong
  uint32_t res_bytes = 0;
  uint32_t tmp = 0;                      // fused add: the conv's output band before the add (out_bytes)
  // Input-channel split: the int32 partial sums of the core's whole piece (every band), kept
  // between the layer's chunk pieces; at the same address in all of them.
  uint32_t acc = 0, acc_bytes = 0;
  uint32_t end = 0;                      // bytes used
};

// Memtile layout, identical in every working column.
struct MemtileLayout {
  uint32_t x = 0, x_bytes = 0;  // input slice (add: operand A slice)
  uint32_t w = 0, w_bytes = 0;  // the piece's weights (add: operand B slice)
  uint32_t y = 0, y_bytes = 0;  // output slice
  uint32_t r = 0, r_bytes = 0;  // fused add: the residual slice (the output slice's shape)
  uint32_t end = 0;
};

// One piece of a layer = one phase. A layer that fits runs as a single piece; otherwise
// (or when the estimate says it is faster) it is cut by output-channel group, output-width
// part and output-height chunk (LayerTiling). Every piece reads its own input rows/columns
// (with halos) from DDR and writes its own part of the output.
// Where a conv/fc piece's weights come from (decided over the whole program in compile()).
struct WeightsIo {
  bool load_w = true;    // LOADW this piece's weights into mem.w (false: already there)
  bool load_wm = true;   // LOADWM memtile -> cores (false: the cores still hold this group)
  // Prefetch during this phase: the share of group `pf_group` of node `pf_node` into memtile
  // address `pf_addr` (pf_node -1: none), where the next phase finds it.
  int pf_node = -1, pf_group = -1;
  bool pf_col_groups = false;  // the prefetched piece has column groups: memtile m loads group pf_group + m * pf_stride
  uint32_t pf_stride = 1;      // (the piece's input-channel chunks: its columns' groups are that far apart)
  bool pf_whole = false;       // the prefetched piece has a fused add: every memtile loads all of group pf_group
  uint32_t pf_addr = 0;
};

struct LayerPlan {
  int node = -1;
  std::string name;          // layer name, plus " [piece i/n]" when cut
  uint32_t piece = 0, pieces = 1;
  int group = 0;             // conv/fc: weight group (LayerWeights::groups) of this piece
  uint32_t out_row0 = 0;     // first output row of the piece (layer coordinates)
  uint32_t in_c0 = 0;        // pool/add: first channel of the piece in the input buffer(s)
  uint32_t out_c0 = 0;       // first channel of the piece in the output buffer
  ir::OpKind op = ir::OpKind::Conv;
  uint32_t kh = 1, kw = 1, sh = 1, sw = 1;
  // > 1: a 1x1 stride-s conv whose LOAD reads every s-th input row and column (shim BD strides);
  // sh = sw = 1 and in_off / ColumnWork::in_w0 count subsampled rows / columns from in_off.
  uint32_t subsample = 1;
  uint32_t in_c_p = 8;       // channels per pixel read from the input buffer(s) (piece's channels)
  uint32_t out_c_p = 8;      // channels per pixel written to the output (piece's channels)
  uint32_t out_h = 1, out_w = 1;  // piece rows; layer width
  uint32_t in_rows = 1;      // input rows read, padded coords: (out_h - 1) * sh + kh
  // Per input k: (row, col) offset of the piece's padded coordinates inside input k's buffer
  // (buffer border minus the layer's own padding, plus out_row0 * stride rows).
  std::vector<std::pair<uint32_t, uint32_t>> in_off;
  std::vector<ColumnWork> cols;  // working columns only (a column with no output width is idle)
  // Per working core row: output channel range [begin, end) relative to out_c0 (pools: the
  // piece's channels split over the rows; adds: one row, all of them).
  std::vector<std::pair<uint32_t, uint32_t>> row_oc;
  uint32_t bh = 1, nb = 1;   // band height (output rows) and number of bands
  uint32_t band_in_rows = 1; // input rows per band: (bh - 1) * sh + kh
  CoreLayout core;
  MemtileLayout mem;
  WeightsIo wio;
  // Memtile residency between consecutive phases (compile(): chain_residency): input k
  // (0: x, 1: an add's operand B) is already in this memtile at its region, left there by the
  // previous phase's output slice, so its LOAD is skipped; skip_write: the output slice is
  // consumed only by the next phase from the memtile, so it is never written to DDR.
  bool in_resident[2] = {false, false};
  bool skip_write = false;
  // Halo residency (residency.cpp, halo_reader): the output slice keeps y_margin (0 or 1) pixel
  // columns left of every row's own ones and y_margin_r right of them, for a reader with a halo;
  // x_halo: this phase reads such a slice (ColumnWork::x_w = its row in pixels, margins included;
  // x_halo_r: with the right margin) and fills the margins at the start from the neighbour
  // memtiles' slices (at the array's edges: zero padding instead).
  uint32_t y_margin = 0, y_margin_r = 0;
  bool x_halo = false, x_halo_r = false;
  uint32_t out_row_px(const ColumnWork& c) const { return c.wc() + y_margin + y_margin_r; }

  bool col_groups = false;   // see LayerTiling::col_groups; per-column values in ColumnWork
  // Conv with a fused residual add: every memtile holds its column's whole weight group (col_groups:
  // its own group) and sends each core row its blob, then that row's residual bands, on one channel.
  bool fused = false;
  bool dw = false;    // a depthwise conv (ir::is_depthwise): the cores run dwconv ops
  bool gate = false;  // a gate conv (ir::is_gate_conv): the weights are the gate, written by an
                      // earlier phase at run time, so never prefetched; the cores run mul ops
  bool in_place = false;  // fused, and the output overwrites the residual (mem.r == mem.y)
  // Conv: every core row computes all of the group's channels for its own columns
  // (ColumnWork::row_w); row_oc then holds one (0, out_c_p) entry per row and the group has one blob.
  bool pixel_rows = false;
  // Input-channel split (LayerTiling::in_chunks): this piece sums input channels
  // [in_c0, in_c0 + in_c_p), chunk in_chunk of in_chunks; the chunks of one output piece run
  // back to back and only the last writes the output.
  uint32_t in_chunk = 0, in_chunks = 1;
  // LayerTiling::chunk_loop: this one piece runs all in_chunks chunks (in_chunk = in_chunks - 1),
  // band after band per chunk, each chunk in_c_p channels from in_c0 + chunk * in_c_p.
  bool chunk_loop = false;
  // LayerTiling::out_parts: one band (nb 1) held in the cores while each core's blob streams in
  // as this many parts of its output channels (WeightBlob::chunks), each computed into its own
  // output buffer and gathered into its channels of the slice.
  uint32_t out_parts = 1;
  // LayerTiling::weight_parts: the blob lands in this many parts (WeightBlob::chunks, all kept),
  // one conv op per part and band; output (and a fused add's residual) bands are part-major.
  uint32_t weight_parts = 1;
  // The memtile input slice keeps every input channel (x_cp > 0: channels [x_c0, x_c0 + x_cp),
  // loaded once and shared by the layer's consecutive pieces) while each piece's bands carry
  // its chunk [in_c0, in_c0 + in_c_p) to the cores; x_cp 0: the slice is the chunk.
  uint32_t x_c0 = 0, x_cp = 0;
  // The input slice lands from DDR band by band (each band's rows release the input lock once),
  // so its readers can start on the first band; with one band, or more than a lock counts, it
  // lands whole.
  bool lands_per_band() const { return nb > 1 && nb <= isa::kMaxLockValue; }
  // Pools and pixel-row convs: the input bands pass down the core rows' channels (a lock per row)
  // because they land one by one; a slice already in the memtile, or landing whole, every row
  // reads at its own pace.
  bool rows_pass_bands() const { return !x_halo && !in_resident[0] && lands_per_band(); }
  bool acc_split() const { return in_chunks > 1; }
  bool writes_output() const { return in_chunk + 1 == in_chunks; }
  bool own_weights() const { return col_groups || fused; }

  // Per-column views (column-group pieces take them from the column, others from the piece).
  int group_of(const ColumnWork& c) const { return col_groups ? c.group : group; }
  uint32_t out_c0_of(const ColumnWork& c) const { return col_groups ? c.c0 : out_c0; }
  uint32_t out_cp_of(const ColumnWork& c) const { return col_groups ? c.cn : out_c_p; }
  bool channel_grouped_input() const { return !ir::has_weights(op); }
  uint32_t in_c0_of(const ColumnWork& c) const { return col_groups && channel_grouped_input() ? c.c0 : in_c0; }
  uint32_t in_cp_of(const ColumnWork& c) const { return col_groups && channel_grouped_input() ? c.cn : in_c_p; }
  const std::vector<std::pair<uint32_t, uint32_t>>& row_oc_of(const ColumnWork& c) const {
    return col_groups ? c.row_oc : row_oc;
  }
  uint32_t rows_of(const ColumnWork& c) const { return static_cast<uint32_t>(row_oc_of(c).size()); }

  uint32_t rows() const { return static_cast<uint32_t>(row_oc.size()); }  // busiest column's working rows
  uint32_t band_in_bytes(const ColumnWork& c) const { return band_in_rows * c.wi * in_cp_of(c); }
  // Pools: the input band core row r receives (its channels only).
  uint32_t band_in_bytes_of_row(const ColumnWork& c, uint32_t r) const {
    return band_in_rows * c.wi * (row_oc_of(c).at(r).second - row_oc_of(c).at(r).first);
  }
  uint32_t band_out_bytes(const ColumnWork& c, uint32_t r) const {
    return bh * c.wc() * (row_oc_of(c).at(r).second - row_oc_of(c).at(r).first);
  }
  // The memtile input slice: its first channel and channels per pixel.
  uint32_t slice_c0_of(const ColumnWork& c) const { return x_cp ? x_c0 : in_c0_of(c); }
  uint32_t slice_cp_of(const ColumnWork& c) const { return x_cp ? x_cp : in_cp_of(c); }
  uint32_t slice_in_bytes(const ColumnWork& c) const { return in_rows * c.wi * slice_cp_of(c); }
  uint32_t slice_band_bytes(const ColumnWork& c) const { return band_in_rows * c.wi * slice_cp_of(c); }
  uint32_t slice_out_bytes(const ColumnWork& c) const { return out_h * c.wc() * out_cp_of(c); }
};

// What the sub-volume search may choose and assume (see choose_tiling).
struct TilingOptions {
  uint32_t max_band_rows = 0;     // cap on the band height (0: none)
  uint64_t mem_cap = 0;           // memtile bytes available to the piece (0: all of it)
  bool col_groups = true;         // column-group pieces allowed
  bool pixel_rows = true;         // pixel-row pieces allowed (not for a reader with a halo, residency.cpp)
  bool out_parts = true;          // output parts allowed (LayerTiling::out_parts)
  // Residency (residency.h): one width-split piece over the natural column split only, whose
  // input / fused residual is already in the memtile and / or whose output stays there.
  bool single_piece = false;
  bool input_resident = false, residual_resident = false, output_resident = false;
};

// Sub-volume search for node `node` (Conv, Fc, MaxPool, AvgPool or Add): among the tilings
// whose pieces fit core memory (weights + double-buffered bands) and memtile memory (input
// slice + weight group + output slice), the one with the lowest estimated time (estimate of
// every piece: phase set-up, LOADW + LOADWM before compute, the band pipeline, WRITE).
// `tensors` must be final (plan_ddr). Throws compiler::CompileError naming the layer when even
// the smallest piece does not fit (with single_piece: when one piece does not).
LayerTiling choose_tiling(const ir::Graph& g, int node, const std::vector<TensorBuffer>& tensors,
                          const target::TargetModel& tm, bool dense, const TilingOptions& opt = {});

// Largest per-memtile weight share of node `node` under tiling t (0 for non-conv nodes).
uint64_t max_weight_share(const ir::Graph& g, int node, const std::vector<TensorBuffer>& tensors,
                          const target::TargetModel& tm, bool dense, const LayerTiling& t);

// The pieces of node `node` under ddr.tiling[node], in execution order (group, then height
// chunk, then width part). max_band_rows caps the band height (0 = no cap).
std::vector<LayerPlan> plan_layer(const ir::Graph& g, int node, const DdrPlan& ddr, const target::TargetModel& tm,
                                  uint32_t max_band_rows = 0);

// Blocks per hardware block row (8 output channels) of a conv/fc node that the compiler
// stores: the mask's non-zero count per block row (dense: every block column). With `chunks`
// > 1 (input-channel split): per block row, the most any one chunk of the block columns stores.
std::vector<uint32_t> stored_blocks_per_row(const ir::Node& n, uint32_t cin_p, bool dense, uint32_t chunks = 1);

// Bytes of a blob holding `block_rows` block rows with `nnz` stored blocks of a kh x kw kernel.
uint64_t blob_bytes(uint32_t block_rows, uint64_t nnz, uint32_t kh, uint32_t kw);

}  // namespace saie::schedule
