// layer_plan.cpp — sub-volume search (choose_tiling) and the pieces of one layer: W/COUT/H
// split, band height and memory layouts (see layer_plan.h).
#include "compiler/schedule/layer_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "compiler/compile.h"
#include "model/ir/block_sparse.h"
#include "hw/isa/op_args.h"
#include "hw/isa/op_costs.h"

namespace saie::schedule {

namespace {

uint32_t align32(uint64_t v, uint32_t a) { return static_cast<uint32_t>(align_up(v, a)); }
uint32_t ceil_div(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

// Layer-level geometry shared by the search and the pieces.
struct Geometry {
  ir::OpKind op = ir::OpKind::Conv;
  bool conv_like = false, pool = false, add = false;
  bool fused = false;     // conv with a fused residual add (ir::has_fused_add)
  // Gate conv (ir::is_gate_conv, a Mul): its blob is the gate slice (one byte per output channel),
  // read from the gate's buffer; one piece kind only (no input-channel split, parts, pixel rows).
  bool gate = false;
  // Depthwise conv (ir::is_depthwise): the depthwise kernel, a blob of kh*kw bytes a channel; no
  // input-channel split or blob parts.
  bool dw = false;
  uint32_t blob_extra = 0;  // bytes every complete blob adds: a fused lookup table's
  bool in_place = false;  // fused, and this conv is the residual's last reader: the output overwrites it
  uint32_t kh = 1, kw = 1, sh = 1, sw = 1, pad_h = 0, pad_w = 0;
  // 1x1 conv with stride s and no padding: its LOAD reads every s-th row and column (the shim
  // BD's strides), so the memtile and the cores see a stride-1 conv on the subsampled input;
  // sh = sw = 1 then, and input coordinates below are subsampled ones.
  uint32_t subsample = 1;
  uint32_t in_c_p = 8, out_c_p = 8;  // whole-layer channels (input buffer cp, output buffer cp)
  uint32_t out_h = 1, out_w = 1;
};

Geometry geometry(const ir::Graph& g, int node, const std::vector<TensorBuffer>& tensors) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(node));
  Geometry ge;
  ge.op = n.op;
  ge.conv_like = ir::has_weights(n.op);
  ge.pool = n.op == ir::OpKind::MaxPool || n.op == ir::OpKind::AvgPool;
  ge.add = n.op == ir::OpKind::Add;
  ge.fused = ir::has_fused_add(n);
  ge.gate = ir::is_gate_conv(n);
  ge.dw = ir::is_depthwise(g, n);
  ge.blob_extra = ir::has_fused_lut(n) ? isa::kLutBytes : 0;
  if (ge.fused) {
    // Output band i is written after every core has taken residual band i, into the same rows,
    // columns and channels: the output can overwrite the residual when nothing reads it later.
    const int res = n.inputs.at(1);
    ge.in_place = true;
    for (size_t j = static_cast<size_t>(node) + 1; j < g.nodes.size(); ++j)
      for (int in : g.nodes[j].inputs) ge.in_place = ge.in_place && in != res;
    ge.in_place = ge.in_place && res != g.output;
  }
  if (!ge.conv_like && !ge.pool && !ge.add)
    throw compiler::CompileError("layer " + n.name + ": op " + ir::op_name(n.op) + " is not supported by lowering");
  if (!ge.add) {
    ge.kh = n.kh;
    ge.kw = n.kw;
    ge.sh = n.stride_h;
    ge.sw = n.stride_w;
    ge.pad_h = n.pad_h;
    ge.pad_w = n.pad_w;
    if (ge.conv_like && n.op == ir::OpKind::Conv && ge.kh == 1 && ge.kw == 1 && ge.pad_h == 0 &&
        ge.pad_w == 0 && ge.sh > 1 && ge.sh == ge.sw) {
      ge.subsample = ge.sh;
      ge.sh = ge.sw = 1;
    }
  }
  ge.in_c_p = tensors.at(static_cast<size_t>(n.inputs.at(0))).cp;
  ge.out_c_p = tensors.at(static_cast<size_t>(node)).cp;
  ge.out_h = n.out.h;
  ge.out_w = n.out.w;
  if (ge.pool && ge.in_c_p != ge.out_c_p)
    throw compiler::CompileError("layer " + n.name + ": pool changes the channel count");
  return ge;
}

// Output columns of width part j when the width is cut into `parts` parts.
ColumnWork column_work(const Geometry& ge, uint32_t parts, uint32_t j, uint32_t col) {
  const auto [w0, w1] = split_even(ge.out_w, parts, j);
  ColumnWork cw;
  cw.col = col;
  cw.w0 = w0;
  cw.w1 = w1;
  cw.in_w0 = w0 * ge.sw;
  cw.wi = w0 == w1 ? 0 : (w1 - 1) * ge.sw + ge.kw - cw.in_w0;
  return cw;
}

// Lays out core memory for band height bh; returns the layout (end = bytes used).
// double_weights (chunk loop, output parts): two weight buffers, the next chunk's (part's) blob
// landing in one while the other's is used. steps: the bands that pass through the band buffers
// (bands x chunk-loop chunks); with one there is nothing to overlap, so each ping/pong pair is one
// buffer (both halves at the same address; the second is never used), which lets a whole-piece
// band fit next to a large blob (ResNet's stage-4 1x1 convs: one 7-row band instead of seven 1-row
// ones). out_steps (0: steps): the outputs that pass through the output buffers (output parts:
// one per part of the single band).
CoreLayout core_layout(const Geometry& ge, uint32_t in_c, uint32_t bh, uint32_t weights_bytes, uint32_t max_wi,
                       uint32_t max_wc, uint32_t max_out_c, uint64_t acc_bytes = 0, bool double_weights = false,
                       uint32_t steps = 2, uint32_t out_steps = 0) {
  CoreLayout c;
  // Places a ping/pong pair of `bytes` each at `a` (one buffer when only one step passes).
  auto pair = [&](uint32_t (&at)[2], uint64_t& a, uint64_t bytes, uint32_t passes) {
    const int buffers = passes == 1 ? 1 : 2;
    for (int k = 0; k < buffers; ++k) {
      at[k] = static_cast<uint32_t>(a);
      a = align_up(a + bytes, kCoreAlign);
    }
    if (buffers == 1) at[1] = at[0];
  };
  const uint32_t band_in_rows = (bh - 1) * ge.sh + ge.kh;
  c.weights = 0;
  c.weights_bytes = weights_bytes;
  uint64_t a = align32(weights_bytes, kCoreAlign);
  if (double_weights) {
    c.weights2 = static_cast<uint32_t>(a);
    a = align_up(a + weights_bytes, kCoreAlign);
  }
  c.in_bytes = band_in_rows * max_wi * in_c;
  pair(c.in, a, c.in_bytes, steps);
  if (ge.add) {
    c.b_bytes = bh * max_wc * in_c;
    pair(c.b, a, c.b_bytes, steps);
  }
  c.out_bytes = bh * max_wc * max_out_c;
  pair(c.out, a, c.out_bytes, out_steps ? out_steps : steps);
  if (ge.fused) {  // residual band ping/pong, and the conv's own output before the add
    c.res_bytes = c.out_bytes;
    pair(c.res, a, c.res_bytes, steps);
    c.tmp = static_cast<uint32_t>(a);
    a = align_up(a + c.out_bytes, kCoreAlign);
  }
  if (acc_bytes > 0) {  // input-channel split: the piece's partial sums
    c.acc = static_cast<uint32_t>(std::min<uint64_t>(a, 0xffffffffu));
    c.acc_bytes = static_cast<uint32_t>(std::min<uint64_t>(acc_bytes, 0xffffffffu));
    a = align_up(a + acc_bytes, kCoreAlign);
  }
  c.end = static_cast<uint32_t>(std::min<uint64_t>(a, 0xffffffffu));
  return c;
}

// What one piece looks like for the search (the busiest column / core).
struct PieceShape {
  uint32_t rows = 1;           // output rows
  uint32_t max_wi = 0, max_wc = 0, cols = 1;
  uint32_t in_c = 8;           // channels per input pixel moved (the piece's slice)
  uint32_t slice_c = 0;        // input-channel split: channels per pixel of the memtile slice (all of
                               // them; the cores get in_c); 0 = in_c
  uint32_t xc() const { return slice_c ? slice_c : in_c; }
  uint32_t in_c_core = 8;      // channels per input pixel one core receives (pools: its share)
  uint32_t out_c_core = 8;     // output channels per core (busiest)
  uint32_t out_c_piece = 8;    // output channels of the piece (memtile slice)
  uint32_t core_rows = 1;      // working core rows
  uint32_t blob_bytes = 0;     // busiest core's weights
  uint64_t group_bytes = 0;    // LOADW bytes of the busiest memtile (its weight share)
  uint32_t nnz = 0;            // busiest core's stored blocks
  bool resident_in = false;    // the input slice is already in the memtile (no DDR LOAD)
  bool resident_residual = false;  // fused add: the residual slice is already in the memtile
  bool skip_write = false;     // the output slice stays in the memtile (no DDR WRITE)
  // Pixel rows (conv): each core row computes its own part of the column's width; core_wi /
  // core_wc are one core's input / output width (0: the column's, max_wi / max_wc).
  uint32_t core_wi = 0, core_wc = 0;
  bool own_weights = false;    // every memtile sends its own column's blobs, a channel per core row
  // Input-channel split: the core keeps int32 partial sums of all its rows x columns x channels.
  bool acc = false;
  // Chunk loop (LayerTiling::chunk_loop): every band goes to the cores this many times, once per
  // chunk; blob_bytes / nnz are one chunk's, whose blobs stream in beside the bands double-buffered.
  uint32_t loop_chunks = 1;
  // Chunk loop: the busiest core's stored blocks over every chunk, divided by the chunks: what a
  // step costs on average (nnz is the most any one chunk stores, which every step would overstate).
  uint32_t loop_nnz = 0;
  // Output parts (LayerTiling::out_parts): one band of every row; blob_bytes, nnz and out_c_core
  // are one part's (the busiest), whose blobs stream in beside the computation double-buffered.
  uint32_t out_parts = 1;
  uint64_t acc_bytes() const { return acc ? uint64_t{rows} * cwc() * out_c_core * 4 : 0; }
  uint32_t cwi() const { return core_wi ? core_wi : max_wi; }
  uint32_t cwc() const { return core_wc ? core_wc : max_wc; }
};

// Memtile bytes of a piece: input slice, weight share (add: operand B slice), output slice.
uint64_t memtile_need(const Geometry& ge, const PieceShape& s) {
  const uint64_t in_rows = uint64_t{s.rows - 1} * ge.sh + ge.kh;
  uint64_t a = align_up(in_rows * s.max_wi * s.xc(), kMemtileAlign);
  const uint64_t w = ge.conv_like ? s.group_bytes : ge.add ? uint64_t{s.rows} * s.max_wc * s.in_c : 0;
  a = align_up(a + w, kMemtileAlign);
  const uint64_t out = uint64_t{s.rows} * s.max_wc * s.out_c_piece;
  if (ge.fused && !ge.in_place) a = align_up(a + out, kMemtileAlign);  // the residual slice
  return a + out;
}

// Estimated cycles of one column's band pipeline with band height bh: the ping-pong buffers let
// LOADFM (memtile -> core), COMP and WRITEFM (core -> memtile) of successive bands overlap, so
// after the first band the slowest stage sets the pace. Uses the simulator's own op costs; a
// band cannot be sent before its rows have arrived from DDR.
double band_pipeline_estimate(const Geometry& ge, const PieceShape& s, uint32_t bh, const target::TargetModel& tm) {
  const double bpc = tm.stream_bytes_per_cycle();
  // A slice of two bands or more comes over both shim MM2S channels (lowering: load_slice).
  const uint64_t slice = (uint64_t{s.rows - 1} * ge.sh + ge.kh) * s.max_wi * s.xc();
  const double rd = tm.ddr_read_bytes_per_cycle() *
                    (s.rows / bh >= 2 && slice >= kTwoPartBytes && tm.channels(isa::TileKind::Shim, isa::DmaDir::MM2S) >= 2
                         ? 2.0
                         : 1.0);
  const auto& costs = tm.config().core.costs;
  const double band_in = double((bh - 1) * ge.sh + ge.kh) * s.cwi() * s.in_c_core;
  const double t_in = s.resident_in ? band_in / bpc
                                    : std::max(band_in / bpc, double(bh) * ge.sh * s.max_wi * s.xc() / rd);
  const double t_out = double(bh) * s.cwc() * s.out_c_core / bpc;
  double t_comp = 0;
  double t_res = 0;  // fused add: the residual band on the core's second input stream
  if (ge.gate) {
    t_comp = double(isa::mul_cycles(uint64_t{bh} * s.cwc() * s.out_c_core, costs));
  } else if (ge.dw) {
    isa::ConvArgs a;
    a.out_h = bh;
    a.out_w = s.cwc();
    a.out_c = s.out_c_core;
    a.kh = static_cast<uint8_t>(ge.kh);
    a.kw = static_cast<uint8_t>(ge.kw);
    a.lut = ge.blob_extra > 0;
    t_comp = double(isa::dwconv_cycles(a, costs));
  } else if (ge.conv_like) {
    t_comp = double(isa::conv_cycles(bh, s.cwc(), s.out_c_core, ge.kh, ge.kw, s.nnz, costs,
                                     s.acc ? isa::ConvAcc::Middle : isa::ConvAcc::None, ge.blob_extra > 0));
  } else if (ge.add) {
    t_comp = std::max(double(isa::add_cycles(uint64_t{bh} * s.max_wc * s.in_c, costs)), t_in);  // B stream too
  } else {
    t_comp = double(isa::pool_cycles(bh, s.max_wc, s.in_c_core, ge.kh, ge.kw, costs));
  }
  if (ge.fused) {
    t_comp += double(isa::add_cycles(uint64_t{bh} * s.max_wc * s.out_c_core, costs));
    t_res = double(bh) * s.max_wc * s.out_c_core / bpc;
  }
  t_comp += 4.0 * costs.lock_cycles;
  const uint32_t nb = s.rows / bh;
  if (s.out_parts > 1) {
    // Output parts: the band lands once; part j's blob streams in while part j - 1 computes and
    // its output leaves, so after the first part the slowest of the three sets the pace.
    const double t_w = double(s.blob_bytes) / bpc;
    return std::max(t_in, t_w) + t_comp + t_out + (s.out_parts - 1.0) * std::max({t_comp, t_w, t_out});
  }
  if (s.loop_chunks > 1) {
    if (s.loop_nnz > 0 && ge.conv_like)
      t_comp = double(isa::conv_cycles(bh, s.cwc(), s.out_c_core, ge.kh, ge.kw, s.loop_nnz, costs, isa::ConvAcc::Middle)) +
               4.0 * costs.lock_cycles;
    // Chunk loop: nb bands per chunk; the next chunk's blob streams in on the weights' channel
    // during a chunk's bands; the slice lands chunk by chunk (over both shim channels when large
    // enough), the cores starting on chunk 0 once it has, the last chunk once all have.
    const double t_in_s = band_in / bpc;
    const double t_w = double(s.blob_bytes) / bpc / nb;
    const double steps = double(nb) * s.loop_chunks;
    const double rd2 = tm.ddr_read_bytes_per_cycle() *
                       (slice >= kTwoPartBytes && tm.channels(isa::TileKind::Shim, isa::DmaDir::MM2S) >= 2 ? 2.0 : 1.0);
    const double slice_in = s.resident_in ? 0.0 : double(slice) / rd2;
    // (each chunk comes over one channel: the first takes a K-th of the slice at one channel's
    // rate; the lowering lands it band by band, but counting only its first band's rows here
    // picked worse tilings over the 42 paper cells)
    const double first_chunk = s.resident_in ? 0.0 : double(slice) / s.loop_chunks / tm.ddr_read_bytes_per_cycle();
    const double pipe = first_chunk + t_in_s + t_comp + t_out +
                        (steps - 1) * std::max({t_in_s, t_comp, t_out, t_w});
    return std::max(pipe, slice_in + t_in_s + nb * t_comp + t_out);
  }
  // More bands than a 6-bit lock can count: the slice lands as a whole before the first band
  // is sent (LayerPlan::lands_per_band), so the rest of the load is not overlapped.
  double wait_slice = 0;
  if (nb > isa::kMaxLockValue && !s.resident_in)
    wait_slice = double((s.rows - bh) * ge.sh) * s.max_wi * s.xc() / rd;
  return wait_slice + t_in + t_comp + t_out + (nb - 1) * std::max({t_in, t_comp, t_out, t_res});
}

struct BandChoice {
  bool ok = false;
  uint32_t bh = 1;
  double est = 0;
  CoreLayout core;
};

// Band height for a piece of s.rows output rows: among the divisors of s.rows (at most
// max_band_rows) whose buffers fit a core, the one with the lowest estimate (ties: taller);
// output parts: s.rows itself.
BandChoice choose_band(const Geometry& ge, const PieceShape& s, const target::TargetModel& tm, uint32_t max_band_rows) {
  BandChoice best;
  for (uint32_t bh = s.rows; bh >= 1; --bh) {
    if (s.rows % bh != 0) continue;
    if (max_band_rows != 0 && bh > max_band_rows) continue;
    if (s.out_parts > 1 && bh != s.rows) continue;  // (output parts: the piece is one band)
    const CoreLayout cl = core_layout(ge, s.in_c_core, bh, s.blob_bytes, s.cwi(), s.cwc(), s.out_c_core, s.acc_bytes(),
                                      s.loop_chunks > 1 || s.out_parts > 1, s.rows / bh * s.loop_chunks,
                                      s.rows / bh * s.loop_chunks * s.out_parts);
    if (cl.end > tm.core_memory_bytes()) continue;
    const double est = band_pipeline_estimate(ge, s, bh, tm);
    if (!best.ok || est < best.est) best = BandChoice{true, bh, est, cl};
  }
  return best;
}

// Estimated cycles of a whole piece (one phase): set-up, the first band's rows from DDR (unless
// resident), the band pipeline, the write-back. Weights are not included: pieces that wait for
// their weights add weights_extra().
double piece_estimate(const Geometry& ge, const PieceShape& s, const BandChoice& b, const target::TargetModel& tm) {
  const auto& cfg = tm.config();
  const double rd = tm.ddr_read_bytes_per_cycle(), wr = tm.ddr_write_bytes_per_cycle();
  // (output parts: every core's blob in one BD per part)
  const double bds = double(s.cols) * (6 + 5 * s.core_rows + s.core_rows * (s.out_parts - 1.0));
  // Control writes (hw/isa/reconfig.h), roughly: each BD a block write of 8 words and about two
  // 32-bit writes more (its share of connections and task starts), the columns on
  // control.write_paths paths (0: one each); the overlap with the phase before is left out.
  const uint32_t paths = cfg.control.write_paths == 0 ? tm.columns() : cfg.control.write_paths;
  const double serial_cols = std::ceil(double(s.cols) / std::min<double>(paths, s.cols));
  const double writes = bds / double(s.cols) * serial_cols *
                        (double(cfg.control.blockwrite_cycles(8)) + 2.0 * cfg.control.write32_cycles);
  const double setup = cfg.control.phase_setup_cycles + cfg.control.bd_setup_cycles * bds + writes + cfg.ddr.latency_cycles;
  // (chunk loop: the band pipeline estimate waits for the slice's first chunk itself)
  const double first_band = s.resident_in || s.loop_chunks > 1 ? 0.0 : double((b.bh - 1) * ge.sh + ge.kh) * s.max_wi * s.xc() / rd;
  // WRITE streams band by band beside the pipeline over one memtile-to-shim stream, or two when
  // the memtile has MM2S channels left after the bands, weights (residuals) and pool rows
  // (lowering: write_channels / write_parts); the last band's write is left after it.
  const uint32_t used = ge.pool ? s.core_rows
                        : ge.add ? 2
                        : s.core_wc ? s.core_rows + 1  // pixel rows: a channel per row, the blob's
                        : 1 + (s.own_weights || ge.fused ? s.core_rows : (s.core_rows + tm.columns() - 1) / tm.columns());
  const uint32_t mm2s = tm.channels(isa::TileKind::Mem, isa::DmaDir::MM2S);
  const uint64_t out_bytes = uint64_t{s.rows} * s.max_wc * s.out_c_piece;
  const double parts = mm2s >= used + 2 && out_bytes >= kTwoPartBytes ? 2.0 : 1.0;
  const double wrate = std::min(wr, tm.stream_bytes_per_cycle() * parts);
  const double write_all = s.skip_write ? 0.0 : double(out_bytes) / wrate;
  const double write_last = s.skip_write ? 0.0 : double(b.bh) * s.max_wc * s.out_c_piece / wrate;
  // Fused add: the residual slice comes from DDR on the weights' channel, beside the pipeline.
  const double residual = ge.fused && !s.resident_residual ? double(s.rows) * s.max_wc * s.out_c_piece / rd : 0.0;
  return setup + first_band + std::max({b.est, residual, write_all}) + write_last;
}

// Extra cycles the first piece of a weight group waits for its weights (LOADW unless
// prefetched by the phase before, then LOADWM, blocking) beyond its first band's rows.
double weights_extra(const Geometry& ge, const PieceShape& s, uint32_t bh, bool prefetched, const target::TargetModel& tm) {
  if (!ge.conv_like) return 0;
  const double rd = tm.ddr_read_bytes_per_cycle(), bpc = tm.stream_bytes_per_cycle();
  const double first_band = s.resident_in ? 0.0 : double((bh - 1) * ge.sh + ge.kh) * s.max_wi * s.xc() / rd;
  // (output parts: the first part's blob is in the band pipeline estimate)
  const double blob = s.out_parts > 1 ? 0.0 : s.blob_bytes;
  const double w = (prefetched ? 0.0 : double(s.group_bytes) / rd) + blob / bpc;
  return std::max(0.0, w - first_band);
}

// A chunk loop's weight group (all its chunks) is assumed prefetched by the phases before only
// up to 1/kPrefetchShare of the memtile (their own slices take the rest; a third measured best on
// the paper networks' 42 cells); a larger one is loaded in its own phase, and its first chunk
// waits for all of it (LOADW releases the group as a whole).
constexpr uint64_t kPrefetchShare = 3;

uint32_t rows_in_chunk(uint32_t h, uint32_t chunks, uint32_t i) {
  const auto [a, b] = split_even(h, chunks, i);
  return b - a;
}

}  // namespace

std::vector<uint32_t> stored_blocks_per_row(const ir::Node& n, uint32_t cin_p, bool dense, uint32_t chunks) {
  const uint32_t br = round_up8(n.out.c) / 8, bc = cin_p / 8;
  chunks = std::max(1u, std::min(chunks, bc));
  std::vector<uint32_t> v(br, (bc + chunks - 1) / chunks);
  if ((dense || !n.sparse) && n.groups <= 1) return v;
  const ir::BlockMask m = ir::hardware_mask(n, cin_p, br * 8, dense);
  for (uint32_t r = 0; r < br; ++r) {
    uint32_t most = 0;
    for (uint32_t k = 0; k < chunks; ++k) {
      const auto [c0, c1] = split_even(bc, chunks, k);
      uint32_t nnz = 0;
      for (uint32_t c = c0; c < c1; ++c) nnz += m.at(r, c) ? 1 : 0;
      most = std::max(most, nnz);
    }
    v[r] = most;
  }
  return v;
}

uint64_t blob_bytes(uint32_t block_rows, uint64_t nnz, uint32_t kh, uint32_t kw) {
  const uint64_t meta = align_up(8 + 2 * (uint64_t{block_rows} + 1) + 2 * nnz, 4);
  return meta + nnz * 64 * kh * kw + 12ull * 8 * block_rows;
}

namespace {

// One way of cutting the channels: (groups, per-core block rows) for conv/fc; channel groups
// for pools/adds. Sizes are for the busiest group / core / memtile.
struct Grouping {
  uint32_t groups = 1;
  uint32_t core_rows = 1, out_c_core = 8, out_c_piece = 8, in_c = 8, in_c_core = 8, blob = 0, nnz = 0;
  uint64_t share = 0;   // largest per-memtile weight share of a group
  uint64_t gbytes = 0;  // largest whole group (column-group pieces load a group per memtile)
  uint32_t pixel_rows = 0;  // conv: > 0 = each of this many core rows computes every channel of the
                            // group for its own part of the column's width (one blob per group)
  uint32_t row_cap = 0;     // conv: core rows limited to this (0: every usable row)
  uint32_t rows_arg = 0;    // conv: the row count conv_grouping was given
  // Output parts (LayerTiling::out_parts, conv_grouping's J > 1): the busiest part's blob,
  // stored blocks and output channels (a core row's block rows split_even into J parts).
  uint32_t part_blob = 0, part_nnz = 0, part_out_c = 0;
  uint32_t parts_blob = 0;  // the most bytes one core's J parts take together
  bool parts_equal = true;  // every core row's block rows divide into J equal parts
};

// Bytes of one complete blob of the layer: compact weights and requant records (and a fused
// table); a gate conv's is its slice of the gate, a byte per output channel.
uint64_t piece_blob_bytes(const Geometry& ge, uint32_t block_rows, uint64_t nnz) {
  if (ge.gate) return 8ull * block_rows;
  if (ge.dw) return align_up(8ull * block_rows * ge.kh * ge.kw, 4) + 12ull * 8 * block_rows + ge.blob_extra;
  return blob_bytes(block_rows, nnz, ge.kh, ge.kw) + ge.blob_extra;
}

Grouping conv_grouping(const Geometry& ge, const std::vector<uint32_t>& nnz_row, uint32_t R, uint32_t G, uint32_t C,
                       uint32_t J = 1) {
  const uint32_t BR = ge.out_c_p / 8;
  Grouping gr;
  gr.groups = G;
  gr.rows_arg = R;
  gr.in_c = gr.in_c_core = ge.in_c_p;
  for (uint32_t gi = 0; gi < G; ++gi) {
    const auto [g0, g1] = split_even(BR, G, gi);
    const uint32_t rows = working_rows(g1 - g0, R);
    std::vector<uint64_t> share(C, 0);
    for (uint32_t r = 0; r < rows; ++r) {
      const auto [r0, r1] = split_even(g1 - g0, rows, r);
      uint64_t nnz = 0;
      for (uint32_t b = g0 + r0; b < g0 + r1; ++b) nnz += nnz_row[b];
      const uint64_t bytes = piece_blob_bytes(ge, r1 - r0, nnz);
      share[weight_server(r, C)] += bytes;
      gr.blob = std::max<uint32_t>(gr.blob, static_cast<uint32_t>(std::min<uint64_t>(bytes, 0xffffffffu)));
      gr.nnz = std::max<uint32_t>(gr.nnz, static_cast<uint32_t>(nnz));
      gr.out_c_core = std::max(gr.out_c_core, 8 * (r1 - r0));
      const uint32_t parts = std::min(J, r1 - r0);
      gr.parts_equal = gr.parts_equal && (r1 - r0) % J == 0;
      uint64_t sum = 0;
      for (uint32_t j = 0; J > 1 && j < parts; ++j) {  // (as plan_ddr cuts the blob)
        const auto [p0, p1] = split_even(r1 - r0, parts, j);
        uint64_t pn = 0;
        for (uint32_t b = g0 + r0 + p0; b < g0 + r0 + p1; ++b) pn += nnz_row[b];
        const uint64_t pb = piece_blob_bytes(ge, p1 - p0, pn);
        sum += pb;
        gr.parts_blob = std::max<uint32_t>(gr.parts_blob, static_cast<uint32_t>(sum));
        gr.part_blob = std::max<uint32_t>(gr.part_blob, static_cast<uint32_t>(pb));
        gr.part_nnz = std::max<uint32_t>(gr.part_nnz, static_cast<uint32_t>(pn));
        gr.part_out_c = std::max(gr.part_out_c, 8 * (p1 - p0));
      }
    }
    gr.core_rows = std::max(gr.core_rows, rows);
    gr.share = std::max(gr.share, *std::max_element(share.begin(), share.end()));
    uint64_t total = 0;
    for (uint64_t b : share) total += b;
    gr.gbytes = std::max(gr.gbytes, total);
    gr.out_c_piece = std::max(gr.out_c_piece, 8 * (g1 - g0));
  }
  return gr;
}

// The per-core / per-piece sizes a grouping gives a piece (widths, rows and weight bytes per
// memtile are set by the caller).
PieceShape shape_of(const Grouping& gr) {
  PieceShape s;
  s.in_c = gr.in_c;
  s.in_c_core = gr.in_c_core;
  s.out_c_core = gr.out_c_core;
  s.out_c_piece = gr.out_c_piece;
  s.core_rows = gr.core_rows;
  s.blob_bytes = gr.blob;
  s.nnz = gr.nnz;
  return s;
}

}  // namespace

uint64_t max_weight_share(const ir::Graph& g, int node, const std::vector<TensorBuffer>& tensors,
                          const target::TargetModel& tm, bool dense, const LayerTiling& t) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(node));
  if (!ir::has_weights(n.op)) return 0;
  const Geometry ge = geometry(g, node, tensors);
  const uint32_t R = t.pixel_rows ? 1 : working_rows(ge.out_c_p / 8, t.row_cap ? t.row_cap : tm.usable_core_rows());  // pixel rows: one blob
  const uint32_t K = std::max(1u, t.in_chunks);
  Geometry gk = ge;  // input-channel split: the largest chunk
  gk.in_c_p = 8 * ceil_div(ge.in_c_p / 8, K);
  const Grouping gr = conv_grouping(gk, stored_blocks_per_row(n, ge.in_c_p, dense, K), R, t.groups, tm.columns());
  // Column groups and fused adds keep a whole group per memtile.
  return t.col_groups || ge.fused ? gr.gbytes : gr.share;
}

namespace {

// The search for one input-channel split K (1: none): every piece sums the largest chunk of
// 8 * ceil(in_c / 8 / K) input channels; K > 1 keeps to plain width-split pieces (no column
// groups, pixel rows or group-innermost order) whose cores hold their partial sums.
LayerTiling choose_tiling_k(const ir::Graph& g, int node, const std::vector<TensorBuffer>& tensors,
                            const target::TargetModel& tm, bool dense, const TilingOptions& opt, uint32_t K) {
  const uint32_t max_band_rows = opt.max_band_rows;
  const uint64_t mem_cap_in = opt.mem_cap;
  const bool weights_prefetched = true;  // the memtile allocation prefetches where there is room
  const bool allow_col_groups = opt.col_groups && !opt.single_piece;
  const ir::Node& n = g.nodes.at(static_cast<size_t>(node));
  Geometry ge = geometry(g, node, tensors);
  const uint32_t layer_in_c_p = ge.in_c_p;
  ge.in_c_p = 8 * ceil_div(ge.in_c_p / 8, K);
  const uint32_t C = tm.columns();
  const uint64_t mem_cap = mem_cap_in ? mem_cap_in : tm.memtile_memory_bytes();

  std::vector<Grouping> groupings;
  const std::vector<uint32_t> nnz_row =
      ge.conv_like ? stored_blocks_per_row(n, layer_in_c_p, dense, K) : std::vector<uint32_t>{};
  if (ge.conv_like) {
    const uint32_t BR = ge.out_c_p / 8;
    // Every usable core row, or one fewer: a memtile MM2S channel left for a second WRITE part
    // can be worth more than the row's compute.
    // (A gate conv's memtiles serve at most one core row each: their blobs are slices of the
    // gate's buffer in channel order, and a memtile's share must be contiguous.)
    const uint32_t R_all = working_rows(BR, ge.gate ? std::min(C, tm.usable_core_rows()) : tm.usable_core_rows());
    for (uint32_t R : {R_all, R_all >= 3 ? R_all - 1 : 0u}) {
      if (R == 0) continue;
      uint32_t last_groups = 0;
      for (uint32_t k = ceil_div(BR, R); k >= 1; --k) {
        const uint32_t G = ceil_div(BR, k * R);
        if (G != last_groups) {
          groupings.push_back(conv_grouping(ge, nnz_row, R, G, C));
          if (R != R_all || (ge.gate && R < tm.usable_core_rows())) groupings.back().row_cap = R;
        }
        last_groups = G;
        if (k == 1) break;
      }
    }
    // Pixel rows: the smallest group counts whose single blob fits a core next to its bands.
    const uint32_t pixel = tm.usable_core_rows();
    if (pixel >= 2 && K == 1 && opt.pixel_rows && !ge.fused && !ge.gate && n.op == ir::OpKind::Conv && ge.out_w >= 2) {
      uint32_t tried = 0, last_blocks = 0;
      for (uint32_t G = 1; G <= BR && tried < 3; ++G) {
        const uint32_t blocks = ceil_div(BR, G);
        if (blocks == last_blocks) continue;
        last_blocks = blocks;
        Grouping gr = conv_grouping(ge, nnz_row, 1, G, C);
        if (gr.blob >= tm.core_memory_bytes()) continue;
        gr.pixel_rows = pixel;
        groupings.push_back(gr);
        ++tried;
      }
    }
  } else {
    const uint32_t blocks = ge.in_c_p / 8;
    uint32_t last = 0;
    for (uint32_t G = 1; G <= blocks; ++G) {
      const uint32_t cg = 8 * ceil_div(blocks, G);
      if (cg == last) continue;
      last = cg;
      Grouping gr;
      gr.groups = ceil_div(blocks, cg / 8);
      gr.in_c = gr.out_c_piece = cg;
      // Pools: the group's channels split over the core rows (each its own input stream);
      // adds: one core row (its two operand streams take two memtile channels).
      gr.core_rows = ge.pool ? working_rows(cg / 8, tm.usable_core_rows()) : 1;
      gr.in_c_core = gr.out_c_core = 8 * ceil_div(cg / 8, gr.core_rows);
      groupings.push_back(gr);
    }
  }

  // A chunk loop's memtile weights: the group's every chunk (the chunk blobs hold the whole
  // group's blocks, each with its own requant records), per memtile share or whole group.
  const std::vector<uint32_t> nnz_full =
      K > 1 && ge.conv_like ? stored_blocks_per_row(n, layer_in_c_p, dense) : std::vector<uint32_t>{};
  auto loop_group_bytes = [&](const Grouping& gr, bool whole) {
    Geometry gf = ge;
    gf.in_c_p = layer_in_c_p;
    const Grouping full = conv_grouping(gf, nnz_full, gr.rows_arg, gr.groups, C);
    const uint64_t qp = uint64_t{K - 1} * 12 * (whole ? gr.out_c_piece : gr.out_c_core * ceil_div(gr.core_rows, C));
    return (whole ? full.gbytes : full.share) + qp;
  };
  auto loop_nnz = [&](const Grouping& gr) {
    Geometry gf = ge;
    gf.in_c_p = layer_in_c_p;
    return ceil_div(conv_grouping(gf, nnz_full, gr.rows_arg, gr.groups, C).nnz, K);
  };
  // Output parts (LayerTiling::out_parts): a grouping's shape with each core's blob cut into J
  // parts; for 1x1 convs and fcs only (a larger kernel pays the per-block overhead once per
  // kh x kw taps, and the whole band must land before the first part starts: measured slower on
  // ResNet-50's 3x3 convs), and none for fused adds (the residual bands), pixel rows and
  // input-channel splits.
  constexpr uint32_t kOutParts[] = {2, 4, 8};
  auto part_shapes = [&](const Grouping& gr) {
    std::vector<std::pair<uint32_t, Grouping>> v;
    if (K > 1 || !opt.out_parts || !ge.conv_like || ge.kh * ge.kw != 1 || ge.fused || ge.gate || ge.dw || gr.pixel_rows) return v;
    for (uint32_t J : kOutParts) {
      if (J > gr.out_c_core / 8) break;
      // (equal parts: the cores send their outputs from one ping/pong pair, within their BDs)
      Grouping pg = conv_grouping(ge, nnz_row, gr.rows_arg, gr.groups, C, J);
      if (pg.parts_equal) v.emplace_back(J, std::move(pg));
    }
    return v;
  };
  // Weight parts (LayerTiling::weight_parts): the same cut for a conv whose blob stays whole in the
  // cores (any kernel, input-channel split pieces too; not for pixel rows or chunk loops, nor
  // fused adds, whose first residual band comes after the whole blob on the same channel).
  auto weight_part_shapes = [&](const Grouping& gr) {
    std::vector<std::pair<uint32_t, Grouping>> v;
    if (!opt.out_parts || !ge.conv_like || ge.fused || ge.gate || ge.dw || gr.pixel_rows) return v;
    for (uint32_t J : {2u, 4u}) {
      if (J > gr.out_c_core / 8) break;
      Grouping pg = conv_grouping(ge, nnz_row, gr.rows_arg, gr.groups, C, J);
      if (pg.parts_equal) v.emplace_back(J, std::move(pg));
    }
    return v;
  };
  // The weight parts that pay most: each piece that waits for its blob (waits: the shapes and
  // band heights of those pieces, count times each) waits for the first part only, while every
  // band of every piece (bands: the busiest core's over the layer) pays an op prologue and a lock
  // per further part; the blob, a little larger in parts, must still fit (end: the largest core
  // layout). Returns (parts, the change to the estimate).
  constexpr double kMinWeightPartsWait = 1024;  // cycles a waiting piece must save
  struct Wait {
    PieceShape s;
    uint32_t bh;
    double count;
  };
  auto choose_weight_parts = [&](const std::vector<std::pair<uint32_t, Grouping>>& wparted, const Grouping& gr,
                                 const std::vector<Wait>& waits, double bands, uint32_t end) {
    std::pair<uint32_t, double> best{1, 0.0};
    const auto& costs = tm.config().core.costs;
    for (const auto& [J, pg] : wparted) {
      if (end + uint64_t{pg.parts_blob} - gr.blob > tm.core_memory_bytes()) continue;
      // (the prologues counted twice: the first band often waits for more than the model sees
      // (set-up, margins), so the saving is smaller than estimated; measured on ResNet-50)
      double adj = 2.0 * (J - 1.0) * (costs.op_prologue_cycles + costs.lock_cycles) * bands;
      double largest = 0;
      for (const Wait& w : waits) {
        // (the first band streams to the cores beside the blob, after its rows from DDR)
        const double rd = tm.ddr_read_bytes_per_cycle(), bpc = tm.stream_bytes_per_cycle();
        const double band_rows = double((w.bh - 1) * ge.sh + ge.kh);
        const double band0 = (w.s.resident_in ? 0.0 : band_rows * w.s.max_wi * w.s.xc() / rd) +
                             band_rows * w.s.cwi() * w.s.in_c_core / bpc;
        auto wait = [&](double bytes) { return std::max(0.0, bytes / bpc - band0); };
        adj -= w.count * (wait(gr.blob) - wait(pg.part_blob));
        largest = std::max(largest, wait(gr.blob) - wait(pg.part_blob));
      }
      // (small waits are within what the model cannot see: whether the input will be resident,
      // the set-up; on the Fashion-MNIST network a 200-cycle saving was a 76-cycle loss)
      if (largest < kMinWeightPartsWait) continue;
      if (adj < best.second) best = {J, adj};
    }
    return best;
  };
  auto with_parts = [](PieceShape s, uint32_t J, const Grouping& pg) {
    s.out_parts = J;
    s.blob_bytes = pg.part_blob;
    s.nnz = pg.part_nnz;
    s.out_c_core = pg.part_out_c;
    return s;
  };
  // Estimate of s's height chunks (nh) as output-part pieces of J parts: per chunk, its first
  // piece and `again` more that find the input in the memtile; times `times`. Negative: does not fit.
  auto parts_estimate = [&](const PieceShape& s, uint32_t J, const Grouping& pg, uint32_t nh, double again,
                            double times) {
    double est = 0;
    for (uint32_t i = 0; i < nh; ++i) {
      PieceShape so = with_parts(s, J, pg);
      so.rows = rows_in_chunk(ge.out_h, nh, i);
      const BandChoice b = choose_band(ge, so, tm, max_band_rows);
      if (!b.ok) return -1.0;
      est += piece_estimate(ge, so, b, tm) + weights_extra(ge, so, b.bh, weights_prefetched, tm);
      if (again > 0) {
        PieceShape sr = so;
        sr.resident_in = true;
        const BandChoice br = choose_band(ge, sr, tm, max_band_rows);
        if (!br.ok) return -1.0;
        est += again * (piece_estimate(ge, sr, br, tm) + weights_extra(ge, sr, br.bh, weights_prefetched, tm));
      }
    }
    return est * times;
  };
  LayerTiling best;
  bool found = false;
  const uint32_t max_parts = ceil_div(ge.out_w, C);
  for (const Grouping& gr : groupings) {
    if (opt.single_piece && gr.groups != 1) continue;
    const std::vector<std::pair<uint32_t, Grouping>> parted = part_shapes(gr);
    const std::vector<std::pair<uint32_t, Grouping>> wparted = weight_part_shapes(gr);
    uint32_t last_wc = 0;
    for (uint32_t P = 1; P <= (opt.single_piece ? 1 : max_parts); ++P) {
      const uint32_t parts = C * P;
      PieceShape s = shape_of(gr);
      s.group_bytes = ge.fused ? gr.gbytes : gr.share;  // fused add: every memtile holds the whole group
      s.cols = std::min(C, ge.out_w);
      s.resident_in = opt.input_resident;
      s.resident_residual = opt.residual_resident;
      s.skip_write = opt.output_resident;
      s.acc = K > 1;
      if (K > 1) s.slice_c = layer_in_c_p;  // the memtile keeps every channel; the cores get a chunk
      for (uint32_t j = 0; j < std::min(parts, ge.out_w); ++j) {
        const ColumnWork cw = column_work(ge, parts, j, 0);
        s.max_wi = std::max(s.max_wi, cw.wi);
        s.max_wc = std::max(s.max_wc, cw.wc());
      }
      if (s.max_wc == last_wc) continue;  // same widths as a smaller P
      last_wc = s.max_wc;
      if (gr.pixel_rows) {  // each core row its own part of the column's width
        const uint32_t rows = std::min(gr.pixel_rows, s.max_wc);
        if (rows < 2) continue;
        s.core_rows = rows;
        s.core_wc = ceil_div(s.max_wc, rows);
        s.core_wi = (s.core_wc - 1) * ge.sw + ge.kw;
      }
      // One-row bands must fit a core, else no height helps.
      {
        PieceShape one = s;
        one.rows = 1;
        if (!choose_band(ge, one, tm, max_band_rows).ok) continue;
      }
      uint32_t tried = 0;
      for (uint32_t nh = 1; nh <= (opt.single_piece ? 1u : ge.out_h) && tried < 3; ++nh) {
        const uint32_t hc = ceil_div(ge.out_h, nh);
        if (nh > 1 && hc == ceil_div(ge.out_h, nh - 1)) continue;
        s.rows = hc;
        if (memtile_need(ge, s) > mem_cap) continue;
        ++tried;
        // Two chunk heights at most (split_even): estimate each once.
        double est = 0, wextra = 0;
        bool ok = true;
        uint32_t prev_rows = 0;
        double prev_est = 0;
        std::vector<Wait> waits;
        double bands = 0, prev_nb = 0;
        uint32_t end = 0;
        for (uint32_t i = 0; i < nh && ok; ++i) {
          const uint32_t rows = rows_in_chunk(ge.out_h, nh, i);
          if (rows != prev_rows) {
            PieceShape sc = s;
            sc.rows = rows;
            const BandChoice b = choose_band(ge, sc, tm, max_band_rows);
            if (!b.ok) {
              ok = false;
              break;
            }
            prev_rows = rows;
            prev_est = piece_estimate(ge, sc, b, tm);
            prev_nb = double(rows / b.bh);
            end = std::max(end, b.core.end);
            if (i == 0) {
              wextra = weights_extra(ge, sc, b.bh, weights_prefetched, tm);
              waits.push_back(Wait{sc, b.bh, double(gr.groups)});
            }
          }
          est += prev_est;
          bands += prev_nb;
        }
        if (!ok) continue;
        est = (est * double(gr.groups) * P + wextra * gr.groups) * K;
        const auto [wp0, w_adj] = choose_weight_parts(wparted, gr, waits, bands * gr.groups * P, end);
        uint32_t wparts = wp0;
        (void)w_adj;  // (chosen for the tiling, not in the comparison: see choose_weight_parts)
        // Groups innermost instead: the pieces of one (height chunk, width part) share the
        // input slice, which stays in the memtile after the first of them (no LOAD), but every
        // piece waits for its own weights (LOADWM; LOADW is prefetched).
        // An input-channel split always runs this way: its slice holds every channel, and each of
        // the G x K pieces of a (height chunk, width part) streams its own chunk from it.
        bool inner = false;
        if (K > 1) est = std::numeric_limits<double>::max();
        if (ge.conv_like && (gr.groups > 1 || K > 1) && !gr.pixel_rows && !opt.single_piece) {
          double est_in = 0;
          bool ok_in = true;
          std::vector<Wait> waits_in;
          double bands_in = 0;
          uint32_t end_in = 0;
          for (uint32_t i = 0; i < nh && ok_in; ++i) {
            PieceShape sc = s;
            sc.rows = rows_in_chunk(ge.out_h, nh, i);
            const BandChoice b = choose_band(ge, sc, tm, max_band_rows);
            sc.resident_in = true;
            const BandChoice br = choose_band(ge, sc, tm, max_band_rows);
            if (!b.ok || !br.ok) {
              ok_in = false;
              break;
            }
            PieceShape first = sc;
            first.resident_in = opt.input_resident;
            // With an input-channel split only each group's last chunk writes: G of the G x K pieces.
            PieceShape quiet = sc;
            quiet.skip_write = true;
            const double res_w = piece_estimate(ge, sc, br, tm), res_q = piece_estimate(ge, quiet, br, tm);
            est_in += piece_estimate(ge, first, b, tm) + weights_extra(ge, first, b.bh, weights_prefetched, tm) +
                      (gr.groups * K - 1) * (res_q + weights_extra(ge, sc, br.bh, weights_prefetched, tm)) +
                      double(gr.groups) * (res_w - res_q);
            waits_in.push_back(Wait{first, b.bh, double(P)});
            waits_in.push_back(Wait{sc, br.bh, (gr.groups * K - 1.0) * P});
            bands_in += P * (double(first.rows / b.bh) + (gr.groups * K - 1.0) * double(sc.rows / br.bh));
            end_in = std::max({end_in, b.core.end, br.core.end});
          }
          est_in *= P;
          if (ok_in && est_in < est) {
            est = est_in;
            inner = true;
            wparts = choose_weight_parts(wparted, gr, waits_in, bands_in, end_in).first;
          }
        }
        // Chunk loop instead: every piece runs its K chunks in one phase (equal chunks only), its
        // memtile holding the group's every chunk; every piece waits for its first chunk's blob.
        bool loop = false;
        if (K > 1 && ge.conv_like && !gr.pixel_rows && !ge.fused && (layer_in_c_p / 8) % K == 0) {
          PieceShape sl = s;
          sl.loop_chunks = K;
          sl.loop_nnz = loop_nnz(gr);
          sl.group_bytes = loop_group_bytes(gr, false);
          sl.resident_in = opt.input_resident;
          const bool loop_pf = sl.group_bytes <= tm.memtile_memory_bytes() / kPrefetchShare;
          if (memtile_need(ge, sl) <= mem_cap) {
            // Group-major (every piece loads its slice), or with several groups group-innermost
            // (the groups of one height chunk and width part share the slice, loaded once).
            double est_major = 0, est_inner = 0;
            bool ok_l = true;
            for (uint32_t i = 0; i < nh && ok_l; ++i) {
              PieceShape sc = sl;
              sc.rows = rows_in_chunk(ge.out_h, nh, i);
              PieceShape sr = sc;
              sr.resident_in = true;
              const BandChoice b = choose_band(ge, sc, tm, max_band_rows);
              const BandChoice br = choose_band(ge, sr, tm, max_band_rows);
              ok_l = b.ok && br.ok;
              if (!ok_l) break;
              const double first = piece_estimate(ge, sc, b, tm) + weights_extra(ge, sc, b.bh, loop_pf, tm);
              est_major += first * gr.groups;
              est_inner += first + (gr.groups - 1.0) * (piece_estimate(ge, sr, br, tm) +
                                                        weights_extra(ge, sr, br.bh, loop_pf, tm));
            }
            const bool loop_inner = gr.groups > 1 && !opt.single_piece && est_inner < est_major;
            const double est_loop = (loop_inner ? est_inner : est_major) * P;
            if (ok_l && est_loop < est) {
              est = est_loop;
              loop = true;
              inner = loop_inner;
              wparts = 1;
            }
          }
        }
        // Output parts instead (group-major): every piece one band held in its cores while the
        // blob streams past in parts (again in every piece: the cores end with the last part).
        uint32_t out_parts = 1;
        for (const auto& [J, pg] : parted) {
          const double est_p = parts_estimate(s, J, pg, nh, 0.0, double(gr.groups) * P);
          if (est_p >= 0 && est_p < est) {
            est = est_p;
            out_parts = J;
            inner = loop = false;
            wparts = 1;
          }
        }
        if (!inner && !loop && K > 1) continue;
        const uint32_t pieces = gr.groups * P * nh * (loop ? 1 : K);
        if (!found || est < best.est_cycles || (est == best.est_cycles && pieces < best.pieces())) {
          best = LayerTiling{};
          best.in_chunks = K;
          best.chunk_loop = loop;
          best.out_parts = out_parts;
          best.weight_parts = wparts;
          best.group_inner = inner;
          best.groups = gr.groups;
          best.w_parts = P;
          best.h_chunks = nh;
          best.pixel_rows = gr.pixel_rows;
          best.row_cap = gr.row_cap;
          best.input_resident = opt.input_resident;
          best.residual_resident = opt.residual_resident;
          best.output_resident = opt.output_resident;
          best.est_cycles = est;
          found = true;
        }
      }
    }
  }
  // Column groups: every column its own channel group over the whole width.
  for (const Grouping& gr : groupings) {
    if (!allow_col_groups || C < 2 || gr.groups < 2 || gr.pixel_rows) continue;
    const std::vector<std::pair<uint32_t, Grouping>> parted = part_shapes(gr);
    const std::vector<std::pair<uint32_t, Grouping>> wparted = weight_part_shapes(gr);
    PieceShape s = shape_of(gr);
    s.group_bytes = gr.gbytes;
    s.own_weights = true;
    s.acc = K > 1;
    if (K > 1) s.slice_c = layer_in_c_p;
    s.cols = std::min(C, gr.groups);
    s.max_wc = ge.out_w;
    s.max_wi = (ge.out_w - 1) * ge.sw + ge.kw;
    const uint32_t batches = ceil_div(gr.groups, C);
    uint32_t tried = 0;
    for (uint32_t nh = 1; nh <= ge.out_h && tried < 3; ++nh) {
      const uint32_t hc = ceil_div(ge.out_h, nh);
      if (nh > 1 && hc == ceil_div(ge.out_h, nh - 1)) continue;
      s.rows = hc;
      if (memtile_need(ge, s) > mem_cap) continue;
      ++tried;
      // Pieces run chunk by chunk, batch by batch: a conv's batches after the first read the
      // same whole-width input, which stays in the memtile (with an input-channel split: every
      // channel of it, each piece streaming its chunk); every batch waits for its weights
      // (prefetched by the phase before).
      double est = 0;
      bool ok = true;
      std::vector<Wait> waits;
      double bands = 0;
      uint32_t end = 0;
      for (uint32_t i = 0; i < nh && ok; ++i) {
        PieceShape sc = s;
        sc.rows = rows_in_chunk(ge.out_h, nh, i);
        const BandChoice b = choose_band(ge, sc, tm, max_band_rows);
        PieceShape sr = sc;
        sr.resident_in = ge.conv_like;
        const BandChoice br = choose_band(ge, sr, tm, max_band_rows);
        if (!b.ok || !br.ok) {
          ok = false;
          break;
        }
        waits.push_back(Wait{sc, b.bh, 1.0});
        waits.push_back(Wait{sr, br.bh, batches * K - 1.0});
        bands += double(sc.rows / b.bh) + (batches * K - 1.0) * double(sr.rows / br.bh);
        end = std::max({end, b.core.end, br.core.end});
        PieceShape quiet = sr;  // only each batch's last chunk writes
        quiet.skip_write = true;
        const double res_w = piece_estimate(ge, sr, br, tm), res_q = piece_estimate(ge, quiet, br, tm);
        est += piece_estimate(ge, sc, b, tm) + weights_extra(ge, sc, b.bh, weights_prefetched, tm) +
               (batches * K - 1) * (res_q + weights_extra(ge, sr, br.bh, weights_prefetched, tm)) +
               double(batches) * (res_w - res_q);
      }
      if (!ok) continue;
      const auto [wp0, w_adj] = choose_weight_parts(wparted, gr, waits, bands, end);
      uint32_t wparts = wp0;
      (void)w_adj;  // (chosen for the tiling, not in the comparison: see choose_weight_parts)
      // Chunk loop instead: one phase over every chunk (equal chunks only), where every group
      // runs at once (one batch: later batches' weights, each prefetched during the batch before,
      // would bound them by DDR, which the estimate does not see).
      bool loop = false;
      if (K > 1 && batches == 1 && !ge.fused && (layer_in_c_p / 8) % K == 0) {
        PieceShape sl = s;
        sl.loop_chunks = K;
        sl.loop_nnz = loop_nnz(gr);
        sl.group_bytes = loop_group_bytes(gr, true);
        const bool loop_pf = sl.group_bytes <= tm.memtile_memory_bytes() / kPrefetchShare;
        if (memtile_need(ge, sl) <= mem_cap) {
          double est_loop = 0;
          bool ok_l = true;
          for (uint32_t i = 0; i < nh && ok_l; ++i) {
            PieceShape sc = sl;
            sc.rows = rows_in_chunk(ge.out_h, nh, i);
            const BandChoice b = choose_band(ge, sc, tm, max_band_rows);
            ok_l = b.ok;
            if (ok_l)
              est_loop += piece_estimate(ge, sc, b, tm) + weights_extra(ge, sc, b.bh, loop_pf, tm);
          }
          if (ok_l && est_loop < est) {
            est = est_loop;
            loop = true;
            wparts = 1;
          }
        }
      }
      // Output parts instead: every batch one band per column held in its cores while the blobs
      // stream past in parts; batches after the first find the input in the memtile.
      uint32_t out_parts = 1;
      for (const auto& [J, pg] : parted) {
        const double est_p = parts_estimate(s, J, pg, nh, batches - 1.0, 1.0);
        if (est_p >= 0 && est_p < est) {
          est = est_p;
          out_parts = J;
          loop = false;
          wparts = 1;
        }
      }
      const uint32_t pieces = batches * nh * (loop ? 1 : K);
      if (!found || est < best.est_cycles || (est == best.est_cycles && pieces < best.pieces())) {
        best = LayerTiling{};
        best.in_chunks = K;
        best.chunk_loop = loop;
        best.out_parts = out_parts;
        best.weight_parts = wparts;
        best.groups = gr.groups;
        best.row_cap = gr.row_cap;
        best.h_chunks = nh;
        best.col_groups = true;
        best.col_batches = batches;
        best.est_cycles = est;
        found = true;
      }
    }
  }
  if (!found && opt.single_piece)
    throw compiler::CompileError("layer " + n.name + " does not fit as one width-split piece");
  if (!found) {
    const Grouping& gr = groupings.back();
    PieceShape s = shape_of(gr);
    s.rows = 1;
    s.group_bytes = gr.share;
    const ColumnWork cw = column_work(ge, std::max(1u, ge.out_w), 0, 0);
    s.max_wi = cw.wi;
    s.max_wc = cw.wc();
    s.acc = K > 1;
    const CoreLayout cl = core_layout(ge, s.in_c_core, 1, s.blob_bytes, s.max_wi, s.max_wc, s.out_c_core, s.acc_bytes(),
                                      false, 1);  // (one 1-row band: what choose_band tried)
    throw compiler::CompileError("layer " + n.name + " does not fit even as 1 row x 1 column x " +
                                 std::to_string(s.out_c_core) + " channel pieces" +
                                 (K > 1 ? " over " + std::to_string(K) + " input-channel chunks" : std::string()) +
                                 ": core needs " + std::to_string(cl.end) + " B (weights " +
                                 std::to_string(s.blob_bytes) + ") of " + std::to_string(tm.core_memory_bytes()) +
                                 ", memtile needs " + std::to_string(memtile_need(ge, s)) + " B of " +
                                 std::to_string(mem_cap));
  }
  return best;
}

}  // namespace

LayerTiling choose_tiling(const ir::Graph& g, int node, const std::vector<TensorBuffer>& tensors,
                          const target::TargetModel& tm, bool dense, const TilingOptions& opt) {
  const ir::Node& nd = g.nodes.at(static_cast<size_t>(node));
  // (a single piece can still be split inside its phase: LayerTiling::chunk_loop)
  const bool splittable =
      ir::has_weights(nd.op) && !ir::has_fused_add(nd) && !ir::is_gate_conv(nd) && !ir::is_depthwise(g, nd);
  try {
    LayerTiling best = choose_tiling_k(g, node, tensors, tm, dense, opt, 1);
    // Where a layer fits whole, an input-channel split can still be faster: smaller input bands
    // let taller bands fit (fewer halo rows streamed) and more output channels share a core.
    const uint32_t blocks = tensors.at(static_cast<size_t>(nd.inputs.at(0))).cp / 8;
    if (splittable && blocks >= 16)
      for (uint32_t K : {2u, 4u, 8u}) {
        try {
          const LayerTiling t = choose_tiling_k(g, node, tensors, tm, dense, opt, K);
          if (t.est_cycles < best.est_cycles) best = t;
        } catch (const compiler::CompileError&) {
        }
      }
    return best;
  } catch (const compiler::CompileError&) {
    // Input-channel split: the fewest chunks that fit (a single-piece request, a fused residual
    // add or a weightless op cannot be split).
    const ir::Node& n = g.nodes.at(static_cast<size_t>(node));
    if (opt.single_piece || !ir::has_weights(n.op) || ir::has_fused_add(n) || ir::is_gate_conv(n) ||
        ir::is_depthwise(g, n))
      throw;
    const uint32_t blocks = tensors.at(static_cast<size_t>(n.inputs.at(0))).cp / 8;
    for (uint32_t K = 2; K < blocks; ++K) {
      if (ceil_div(blocks, K) == ceil_div(blocks, K - 1)) continue;  // the same largest chunk
      try {
        return choose_tiling_k(g, node, tensors, tm, dense, opt, K);
      } catch (const compiler::CompileError&) {
      }
    }
    return choose_tiling_k(g, node, tensors, tm, dense, opt, blocks);
  }
}

std::vector<LayerPlan> plan_layer(const ir::Graph& g, int node, const DdrPlan& ddr, const target::TargetModel& tm,
                                  uint32_t max_band_rows) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(node));
  const Geometry ge = geometry(g, node, ddr.tensors);
  const LayerTiling& t = ddr.tiling.at(static_cast<size_t>(node));
  const uint32_t C = tm.columns();
  const uint32_t parts = C * t.w_parts;
  const uint32_t total = t.pieces();
  const LayerWeights* lw = ge.conv_like ? &ddr.weights.at(static_cast<size_t>(node)) : nullptr;

  // Channel group gi: (out channel begin, count, row ranges relative to begin).
  // Pools: channels [0, cn) of a group over the core rows (8-channel blocks, split evenly); adds:
  // one row.
  auto channel_rows = [&](uint32_t cn) {
    std::vector<std::pair<uint32_t, uint32_t>> v;
    const uint32_t rows = ge.pool ? working_rows(cn / 8, tm.usable_core_rows()) : 1;
    for (uint32_t r = 0; r < rows; ++r) {
      const auto [b0, b1] = split_even(cn / 8, rows, r);
      v.emplace_back(8 * b0, 8 * b1);
    }
    return v;
  };
  // gi: output-channel group; chunk: its input-channel chunk (weights groups[gi * K + chunk]).
  auto channel_group = [&](uint32_t gi, ColumnWork& cw, uint32_t chunk) {
    cw.row_oc.clear();
    if (ge.conv_like) {
      cw.group = static_cast<int>(gi * (t.chunk_loop ? 1u : std::max(1u, t.in_chunks)) + chunk);
      const WeightGroup& wg = lw->groups.at(static_cast<size_t>(cw.group));
      cw.c0 = wg.oc_begin;
      cw.cn = wg.oc_end - wg.oc_begin;
      for (uint32_t r = 0; r < wg.count; ++r) {
        const WeightBlob& b = lw->rows.at(wg.first + r);
        cw.row_oc.emplace_back(b.oc_begin - wg.oc_begin, b.oc_end - wg.oc_begin);
      }
    } else {
      cw.group = static_cast<int>(gi);
      const auto [c0, c1] = split_even(ge.in_c_p / 8, t.groups, gi);
      cw.c0 = 8 * c0;
      cw.cn = 8 * (c1 - c0);
      cw.row_oc = channel_rows(cw.cn);
    }
  };

  struct Spec {
    uint32_t group, hi, wp, chunk = 0;
  };
  const uint32_t K = std::max(1u, t.in_chunks);
  const uint32_t KP = t.chunk_loop ? 1 : K;  // chunk pieces per output piece
  std::vector<Spec> specs;
  const uint32_t outer = t.col_groups ? t.col_batches : t.groups;
  if (t.group_inner && !t.col_groups) {  // (input-channel split: each group's chunks back to back)
    for (uint32_t hi = 0; hi < t.h_chunks; ++hi)
      for (uint32_t wp = 0; wp < t.w_parts; ++wp)
        for (uint32_t gi = 0; gi < t.groups; ++gi)
          for (uint32_t k = 0; k < KP; ++k) specs.push_back(Spec{gi, hi, wp, k});
  } else if (t.col_groups) {  // chunk by chunk, batch by batch (the input stays across batches),
                              // a batch's input-channel chunks back to back
    for (uint32_t hi = 0; hi < t.h_chunks; ++hi)
      for (uint32_t gi = 0; gi < outer; ++gi)
        for (uint32_t k = 0; k < KP; ++k) specs.push_back(Spec{gi, hi, 0, k});
  } else {  // the input-channel chunks of one output piece back to back (its cores keep the sums)
    for (uint32_t gi = 0; gi < outer; ++gi)
      for (uint32_t hi = 0; hi < t.h_chunks; ++hi)
        for (uint32_t wp = 0; wp < t.w_parts; ++wp)
          for (uint32_t k = 0; k < KP; ++k) specs.push_back(Spec{gi, hi, wp, k});
  }

  // Input-channel split: the piece sums chunk `chunk` (the channels of weight group wg) out of a
  // memtile slice that keeps every input channel.
  // Chunk loop: every chunk in this phase, chunk k being channels [k, k + 1) * in_c_p.
  auto set_chunk = [&](LayerPlan& p, const WeightGroup& wg, uint32_t chunk) {
    p.chunk_loop = t.chunk_loop;
    p.in_chunk = t.chunk_loop ? K - 1 : chunk;
    p.in_chunks = K;
    p.in_c0 = t.chunk_loop ? 0 : wg.ic_begin;
    p.in_c_p = t.chunk_loop ? ge.in_c_p / K : wg.ic_end - wg.ic_begin;
    p.x_c0 = 0;
    p.x_cp = ge.in_c_p;
  };
  std::vector<LayerPlan> out;
  for (const Spec& sp : specs) {
    LayerPlan p;
    p.node = node;
    p.piece = static_cast<uint32_t>(out.size());
    p.pieces = total;
    p.name = total == 1 ? n.name : n.name + " [" + std::to_string(p.piece + 1) + "/" + std::to_string(total) + "]";
    p.op = n.op;
    p.kh = ge.kh;
    p.kw = ge.kw;
    p.sh = ge.sh;
    p.sw = ge.sw;
    p.subsample = ge.subsample;
    p.col_groups = t.col_groups;
    p.fused = ge.fused;
    p.gate = ge.gate;
    p.dw = ge.dw;
    p.in_place = ge.in_place;
    const auto [h0, h1] = split_even(ge.out_h, t.h_chunks, sp.hi);
    p.out_row0 = h0;
    p.out_h = h1 - h0;
    p.out_w = ge.out_w;
    p.in_rows = (p.out_h - 1) * p.sh + p.kh;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const int in = n.inputs[k];
      const TensorBuffer& x = ddr.tensors.at(static_cast<size_t>(in));
      if (ge.fused && k == 1) {  // the residual: the output's own rows and columns, no window
        p.in_off.emplace_back(x.ph + h0, x.pw);
        continue;
      }
      if (ge.gate && k == 1) {  // the gate: read as the conv's weights (plan_ddr), not as a window
        p.in_off.emplace_back(x.ph, x.pw);
        continue;
      }
      const uint32_t sub = k == 0 ? ge.subsample : 1;  // subsampled: rows r0, r0 + sub, ...
      const uint32_t r0 = x.ph - ge.pad_h + h0 * p.sh * sub;
      p.in_off.emplace_back(r0, x.pw - ge.pad_w);
      if (r0 + (p.in_rows - 1) * sub + 1 > x.padded_h() ||
          ((p.out_w - 1) * p.sw + p.kw - 1) * sub + 1 + (x.pw - ge.pad_w) > x.padded_w())
        throw compiler::CompileError("layer " + n.name + ": window reads past its input " + g.nodes.at(in).name);
    }
    uint32_t max_wi = 0, max_wc = 0, weights_bytes = 0, max_out_c = 0, nnz = 0, max_cn = 0, max_parts_c = 0;
    uint32_t core_wi = 0, core_wc = 0;  // pixel rows: one core's widths
    uint64_t group_bytes = 0;
    auto note_blobs = [&](const WeightGroup& wg) {
      for (uint32_t r = 0; r < wg.count; ++r) {
        const WeightBlob& b = lw->rows.at(wg.first + r);
        // (weight parts: the whole blob stays, every op visits a part)
        weights_bytes = std::max(weights_bytes, t.weight_parts > 1 ? b.bytes() : b.op_bytes());
        max_out_c = std::max(max_out_c, b.out_c());
        if (t.out_parts > 1)  // (the output buffers hold one part)
          for (const WeightBlob::Chunk& c : b.chunks) max_parts_c = std::max(max_parts_c, c.oc1 - c.oc0);
        nnz = std::max(nnz, t.weight_parts > 1 ? b.nnz : b.op_nnz());
      }
    };
    if (t.col_groups) {
      // Every column: its own group, the whole width.
      for (uint32_t c = 0; c < C; ++c) {
        const uint32_t gi = sp.group * C + c;
        if (gi >= t.groups) break;
        ColumnWork cw = column_work(ge, 1, 0, c);
        channel_group(gi, cw, sp.chunk);
        max_wi = std::max(max_wi, cw.wi);
        max_wc = std::max(max_wc, cw.wc());
        max_cn = std::max(max_cn, cw.cn);
        if (cw.row_oc.size() > p.row_oc.size()) p.row_oc = cw.row_oc;
        if (ge.conv_like)  // every chunk of the group: the same core layout in all of them
          for (uint32_t k = 0; k < KP; ++k) {
            const WeightGroup& wg = lw->groups.at(gi * KP + k);
            note_blobs(wg);
            group_bytes = std::max(group_bytes, wg.bytes);
          }
        p.cols.push_back(std::move(cw));
      }
      p.group = p.cols.front().group;
      p.out_c0 = p.cols.front().c0;
      p.out_c_p = max_cn;
      p.in_c_p = ge.conv_like ? ge.in_c_p : max_cn;
      p.in_c0 = ge.conv_like ? 0 : p.cols.front().c0;
      if (ge.conv_like && K > 1) set_chunk(p, lw->groups.at(static_cast<size_t>(p.group)), sp.chunk);
      if (!ge.conv_like)
        for (const ColumnWork& c : p.cols)
          for (const auto& [a, b] : c.row_oc) max_out_c = std::max(max_out_c, b - a);
    } else {
      for (uint32_t c = 0; c < C; ++c) {
        const uint32_t j = sp.wp * C + c;
        if (j >= parts) break;
        ColumnWork cw = column_work(ge, parts, j, c);
        if (cw.wc() == 0) continue;
        max_wi = std::max(max_wi, cw.wi);
        max_wc = std::max(max_wc, cw.wc());
        p.cols.push_back(cw);
      }
      if (ge.conv_like) {
        const WeightGroup& wg = lw->groups.at(sp.group * KP + sp.chunk);
        p.group = static_cast<int>(sp.group * KP + sp.chunk);
        p.in_c_p = ge.in_c_p;
        if (t.chunk_loop) {
          set_chunk(p, wg, 0);
        } else if (K > 1) {  // this chunk's input channels; sizes below are the largest chunk's, so every
                      // chunk of the piece has the same core layout (the partial sums stay put)
          set_chunk(p, wg, sp.chunk);
          for (uint32_t k = 0; k < K; ++k) {
            const WeightGroup& other = lw->groups.at(sp.group * K + k);
            note_blobs(other);
            group_bytes = std::max(group_bytes, other.max_share());
          }
        }
        p.out_c0 = wg.oc_begin;
        p.out_c_p = wg.oc_end - wg.oc_begin;
        if (t.pixel_rows) {
          // Pixel rows: core row r of a column computes every channel of the group for its part
          // [row_w[r]) of the column's output width.
          p.pixel_rows = true;
          uint32_t rows = 0;
          for (ColumnWork& cw : p.cols) {
            const uint32_t n_r = std::min(t.pixel_rows, cw.wc());
            for (uint32_t r = 0; r < n_r; ++r) {
              const auto [a, b] = split_even(cw.wc(), n_r, r);
              cw.row_w.emplace_back(cw.w0 + a, cw.w0 + b);
              core_wc = std::max(core_wc, b - a);
              core_wi = std::max(core_wi, (b - a - 1) * ge.sw + ge.kw);
            }
            rows = std::max(rows, n_r);
          }
          p.row_oc.assign(rows, {0, p.out_c_p});
        } else {
          for (uint32_t r = 0; r < wg.count; ++r) {
            const WeightBlob& b = lw->rows.at(wg.first + r);
            p.row_oc.emplace_back(b.oc_begin - wg.oc_begin, b.oc_end - wg.oc_begin);
          }
        }
        note_blobs(wg);
        group_bytes = std::max(group_bytes, ge.fused ? wg.bytes : wg.max_share());
      } else {
        const auto [c0, c1] = split_even(ge.in_c_p / 8, t.groups, sp.group);
        p.in_c0 = p.out_c0 = 8 * c0;
        p.in_c_p = p.out_c_p = 8 * (c1 - c0);
        p.row_oc = channel_rows(p.out_c_p);
        for (const auto& [a, b] : p.row_oc) max_out_c = std::max(max_out_c, b - a);
      }
    }
    // Memtile: input slice, weights (add: operand B slice), output slice, placed as if the piece
    // were alone; the memtile allocation (residency.h) places them among what else is alive.
    MemtileLayout& m = p.mem;
    m.x = 0;
    m.x_bytes = p.in_rows * max_wi * (p.x_cp ? p.x_cp : p.in_c_p);
    m.w = align32(m.x + m.x_bytes, kMemtileAlign);
    m.w_bytes = ge.conv_like ? static_cast<uint32_t>(group_bytes) : ge.add ? p.out_h * max_wc * p.in_c_p : 0;
    m.y = align32(uint64_t{m.w} + m.w_bytes, kMemtileAlign);
    m.y_bytes = p.out_h * max_wc * p.out_c_p;
    if (ge.fused) {  // the residual slice, then the output slice (the same one when in place)
      m.r = m.y;
      m.r_bytes = m.y_bytes;
      if (!ge.in_place) m.y = align32(uint64_t{m.r} + m.r_bytes, kMemtileAlign);
    }
    const uint64_t mem_end = uint64_t{m.y} + m.y_bytes;
    const uint64_t cap = tm.memtile_memory_bytes();
    if (mem_end > cap)
      throw compiler::CompileError("layer " + p.name + " does not fit: memtile needs " + std::to_string(mem_end) +
                                   " B > " + std::to_string(cap) + " B");
    m.end = static_cast<uint32_t>(mem_end);
    PieceShape s;
    s.rows = p.out_h;
    s.max_wi = max_wi;
    s.max_wc = max_wc;
    s.cols = static_cast<uint32_t>(p.cols.size());
    s.in_c = K > 1 ? 8 * ceil_div(ge.in_c_p / 8, K) : p.in_c_p;
    if (K > 1) s.slice_c = ge.in_c_p;
    s.in_c_core = ge.pool ? max_out_c : s.in_c;  // pools: each core row receives its own channels
    s.acc = K > 1;
    s.loop_chunks = t.chunk_loop ? K : 1;
    s.out_parts = t.out_parts;
    p.out_parts = t.out_parts;
    p.weight_parts = t.weight_parts;
    s.out_c_core = t.out_parts > 1 ? max_parts_c : max_out_c;
    s.out_c_piece = p.out_c_p;
    s.core_rows = p.rows();
    s.blob_bytes = weights_bytes;
    s.group_bytes = group_bytes;
    s.nnz = nnz;
    s.core_wi = core_wi;
    s.core_wc = core_wc;
    s.own_weights = t.col_groups;
    // As the tiling was chosen (residency.h decides for real). An input-channel split's pieces
    // share one slice, which only the first loads; all of them need one band height (the
    // partial sums stay put), so it is chosen for the many that stream a resident slice.
    s.resident_in = t.input_resident || (K > 1 && !t.chunk_loop);
    s.resident_residual = t.residual_resident;
    s.skip_write = t.output_resident;
    const BandChoice b = choose_band(ge, s, tm, max_band_rows);
    if (!b.ok)
      throw compiler::CompileError("layer " + p.name + " does not fit: no band height fits core memory of " +
                                   std::to_string(tm.core_memory_bytes()) + " B");
    p.bh = b.bh;
    p.nb = p.out_h / b.bh;
    p.band_in_rows = (b.bh - 1) * p.sh + p.kh;
    p.core = b.core;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace saie::schedule
