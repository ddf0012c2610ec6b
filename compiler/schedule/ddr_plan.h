// ddr_plan.h — DDR allocation: one zero-padded HWC buffer per activation tensor and one
// weight blob (compact weights + requant records) per (conv/fc layer, core row).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "model/ir/graph.h"
#include "compiler/target/target_model.h"

namespace saie::schedule {

inline constexpr uint64_t kDdrAlign = 64;  // bytes; every buffer and layer weight area starts aligned

inline uint32_t round_up8(uint32_t v) { return (v + 7u) / 8u * 8u; }
inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Part i of n items split over `parts` as evenly as possible (earlier parts get the remainder).
// Returns [begin, end); empty when n < parts and i >= n.
std::pair<uint32_t, uint32_t> split_even(uint32_t n, uint32_t parts, uint32_t i);

// One activation tensor in DDR: HWC, logical h x w x c, border ph/pw of zeros on every side,
// cp channels (c rounded up to 8; padded channels are zero) stored per pixel of `pitch` bytes.
// pitch == cp for an ordinary buffer. A concat input written in place is a VIEW: its pixels
// are channels [off, off + cp) of the concat's buffer (addr points at channel `off` of the
// first padded pixel, pitch = the concat buffer's pitch), so the concat costs no copy.
struct TensorBuffer {
  uint64_t addr = 0;  // first byte of the padded buffer (border included; views: + channel offset)
  uint32_t h = 0, w = 0, c = 0, cp = 0, ph = 0, pw = 0;
  uint32_t pitch = 0;   // bytes per pixel (>= cp)
  int view_of = -1;     // node whose buffer this one lives in (-1: own buffer)
  uint32_t padded_h() const { return h + 2 * ph; }
  uint32_t padded_w() const { return w + 2 * pw; }
  uint32_t row_pitch() const { return padded_w() * pitch; }
  uint64_t bytes() const { return uint64_t{padded_h()} * row_pitch(); }
  bool is_view() const { return view_of >= 0; }
  // Address of pixel (row, col) in padded coordinates (0 = first border row/column).
  uint64_t at(uint32_t prow, uint32_t pcol) const { return addr + uint64_t{prow} * row_pitch() + uint64_t{pcol} * pitch; }
  uint64_t interior() const { return at(ph, pw); }
};

// Weights of one core row: compact block-sparse weights for output channels
// [oc_begin, oc_end) (padded range, multiple of 8), then out_c requant records
// {int32 bias, int32 mult, int32 shift} (padded channels: all zero, so their output is 0).
struct WeightBlob {
  uint32_t oc_begin = 0, oc_end = 0;
  uint64_t ddr_addr = 0;
  uint32_t compact_bytes = 0;  // compact weights padded to 4 bytes; qp records start here
  uint32_t qp_bytes = 0;       // 12 * (oc_end - oc_begin), + 256 for a fused lookup table after them
                               // (a gate conv's blob, ir::Node::gate: only the gate's bytes,
                               // compact_bytes; its data is not in the DDR image)
  uint32_t block_rows = 0, block_cols = 0, nnz = 0;
  // Blocks the dense program stores here: block_rows x block_cols, or a grouped conv's blocks that
  // meet its groups (ir::hardware_mask); the denominator of the layer's "dense" MACs.
  uint32_t grid_blocks = 0;
  uint32_t metadata_bytes = 0, payload_bytes = 0;
  // MACs one stored block costs per output pixel and kernel tap: 64 (8x8), or 8 for a depthwise or
  // gate conv's blob (a diagonal block's channels, each its own product).
  uint32_t macs_per_block = 64;
  std::vector<uint8_t> data;   // compact_bytes + qp_bytes (chunked: the chunks' blobs back to back)
  // A layer whose input-channel chunks run inside one phase (LayerTiling::chunk_loop): the blob
  // holds one complete blob (compact weights, then requant records) per chunk, back to back at
  // `off`; the cores receive them one at a time. The fields above then describe the whole (nnz:
  // every chunk's blocks; compact_bytes / qp_bytes: chunk 0's).
  // A layer whose output channels run in parts inside one phase (LayerTiling::out_parts): the
  // same, one complete blob per part of the blob's output channels ([oc0, oc1) relative to
  // oc_begin; a chunk loop's chunks cover all of them).
  struct Chunk {
    uint32_t off = 0, compact_bytes = 0, bytes = 0, nnz = 0;
    uint32_t oc0 = 0, oc1 = 0;
  };
  std::vector<Chunk> chunks;
  uint32_t bytes() const { return chunks.empty() ? compact_bytes + qp_bytes : chunks.back().off + chunks.back().bytes; }
  // The most bytes / stored blocks one core op sees (the largest chunk; unchunked: the blob).
  uint32_t op_bytes() const;
  uint32_t op_nnz() const;
  uint32_t out_c() const { return oc_end - oc_begin; }
};

// One output-channel group of a layer: the blobs of its working core rows, contiguous in DDR
// (one LOADW moves a group).
// Weights are spread over the memtiles by core row: memtile m holds the blobs of the rows r
// with r % columns == m (its "share", contiguous in DDR) and broadcasts each along its row to
// every working column, so each column loads 1/columns of a group from DDR.
struct WeightGroup {
  uint32_t first = 0, count = 0;  // blobs [first, first + count) of LayerWeights::rows
  uint32_t ic_begin = 0, ic_end = 0;  // input channels the blobs cover (input-channel split: a chunk)
  uint64_t ddr_addr = 0, bytes = 0;
  uint32_t oc_begin = 0, oc_end = 0;
  std::vector<uint64_t> share_addr, share_bytes;  // per memtile column (bytes 0: serves no row)
  uint64_t max_share() const;
};

// Memtile column serving core row r (see WeightGroup).
inline uint32_t weight_server(uint32_t r, uint32_t columns) { return r % columns; }

// All blobs of one layer, contiguous in DDR starting at ddr_addr, group by group.
struct LayerWeights {
  uint64_t ddr_addr = 0;
  uint64_t bytes = 0;
  std::vector<WeightBlob> rows;     // every blob, group-major (one group: one per working core row)
  // Output-channel groups (pieces of the layer load one each); with an input-channel split
  // (LayerTiling::in_chunks = K) group gi's chunk k is groups[gi * K + k] (chunk_loop: one group
  // per output-channel group, its blobs chunked).
  std::vector<WeightGroup> groups;
};

// How a layer is cut into pieces (one phase each) when it does not fit, or runs faster, in
// smaller parts: output channels (conv/fc) or channels (pools/adds) in `groups` even groups of
// 8-channel blocks (split_even); output width in columns x w_parts parts; output height in
// h_chunks chunks.
struct LayerTiling {
  uint32_t groups = 1;
  uint32_t w_parts = 1;
  uint32_t h_chunks = 1;
  // Column groups: instead of splitting the width over the columns, every column computes
  // its own channel group over the whole width (narrow layers: late ResNet stages, fc, global
  // pools); `col_batches` batches of up to `columns` groups run one after another.
  bool col_groups = false;
  uint32_t col_batches = 0;
  // Width-split conv with several groups: pieces ordered height chunk, width part, group (the
  // input slice stays in the memtile across the groups) instead of group-major (the weights
  // stay in the cores across the parts).
  bool group_inner = false;
  // Conv, width split: > 0 = pixel rows: each of this many core rows of a column computes every
  // output channel of the group for its own part of the column's width (one weight blob per
  // group, broadcast to every core) instead of its own channels over the whole width.
  uint32_t pixel_rows = 0;
  // Input-channel split (a layer whose weights for 8 output channels do not fit a core next to
  // its bands): > 1 = every piece is cut into this many pieces over the input channels (even
  // 8-channel chunks, split_even), run one after another; each core keeps int32 partial sums in
  // its own memory between them (program format 1.2, ConvAcc) and only the last writes output.
  uint32_t in_chunks = 1;
  // With in_chunks > 1: the chunks run inside one phase instead of one phase each: the cores
  // take chunk after chunk of every band while the next chunk's weights stream in beside them
  // (double-buffered), so a piece waits for one chunk's weights, not the whole group's, and its
  // bands can be taller. One weight group per output-channel group (chunked blobs, WeightBlob).
  bool chunk_loop = false;
  // Conv, one band per piece (in_chunks 1): > 1 = every core keeps its whole input band while its
  // blob streams in as this many parts of its output channels (double-buffered, each part a
  // complete blob), computing and writing one part while the next lands: the input is sent once,
  // and every op sees the piece's every pixel (the per-block overhead paid once per piece, not
  // once per band), at the price of the core holding the whole band.
  uint32_t out_parts = 1;
  // Conv (in_chunks 1, no output parts): > 1 = every core's blob comes as this many parts of its
  // output channels, each a complete blob, all kept; the first band's conv runs part by part as
  // the parts land (one conv op per part for every band: an op prologue per part), so the cores
  // start after a part of the blob instead of all of it. Output bands are part-major.
  uint32_t weight_parts = 1;
  // Conv: at most this many core rows work (0: every usable row); one fewer leaves a memtile
  // channel for a second WRITE part.
  uint32_t row_cap = 0;
  // The residency the tiling was chosen for (TilingOptions; the memtile allocation decides).
  bool input_resident = false, residual_resident = false, output_resident = false;
  double est_cycles = 0;       // the planner's estimate for the whole layer
  uint32_t pieces() const {
    return (col_groups ? col_batches * h_chunks : groups * w_parts * h_chunks) * (chunk_loop ? 1 : in_chunks);
  }
};

struct DdrPlan {
  std::vector<TensorBuffer> tensors;  // index = node index
  std::vector<LayerWeights> weights;  // index = node index; empty rows for non-conv nodes
  std::vector<LayerTiling> tiling;    // index = node index (Input/Concat: unused)
  uint64_t end = 0;                   // bytes needed
};

// Number of working core rows for a conv/fc with `block_rows` output block rows.
uint32_t working_rows(uint32_t block_rows, uint32_t core_rows);

// Plans every buffer (concat inputs become views into the concat's buffer where possible),
// chooses every layer's tiling (layer_plan.h, choose_tiling) and builds every weight blob
// grouped to match. `dense` stores every block. max_band_rows caps band heights (0 = none).
// The graph must already be validated, with fused ReLUs and supported ops only.
// col_groups = false keeps every layer width-split (no column-group pieces).
DdrPlan plan_ddr(const ir::Graph& g, const target::TargetModel& tm, bool dense, uint32_t max_band_rows = 0,
                 bool col_groups = true);

// True when the concat node's output needs no phase (every input is a view into it).
bool concat_in_place(const ir::Graph& g, const DdrPlan& p, int node);

}  // namespace saie::schedule
