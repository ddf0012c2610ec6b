// ddr_plan.cpp — places activation buffers and weight blobs in DDR (see ddr_plan.h).
#include "compiler/schedule/ddr_plan.h"

#include <algorithm>
#include <string>

#include "compiler/compile.h"
#include "model/ir/block_sparse.h"
#include "model/ir/requant.h"
#include "compiler/schedule/layer_plan.h"

namespace saie::schedule {

std::pair<uint32_t, uint32_t> split_even(uint32_t n, uint32_t parts, uint32_t i) {
  const uint32_t base = n / parts, rem = n % parts;
  const uint32_t begin = i * base + std::min(i, rem);
  const uint32_t len = base + (i < rem ? 1u : 0u);
  return {begin, begin + len};
}

uint32_t working_rows(uint32_t block_rows, uint32_t core_rows) { return std::min(block_rows, core_rows); }

namespace {

void put_i32(std::vector<uint8_t>& v, int32_t x) {
  const auto u = static_cast<uint32_t>(x);
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>((u >> (8 * i)) & 0xffu));
}

void append_requant(WeightBlob& b, const ir::Graph& g, const ir::Node& n);

WeightBlob make_blob(const ir::Graph& g, const ir::Node& n, uint32_t cin_p, uint32_t oc_begin,
                     uint32_t oc_end, bool dense, uint32_t ic_begin, uint32_t ic_end) {
  WeightBlob b;
  b.oc_begin = oc_begin;
  b.oc_end = oc_end;
  ir::CompactWeights cw = ir::compact_weights(n, cin_p, oc_begin, oc_end, dense, ic_begin, ic_end);
  b.block_rows = cw.block_rows;
  b.block_cols = cw.block_cols;
  b.nnz = cw.nnz;
  b.grid_blocks = dense           ? cw.nnz
                  : n.groups <= 1 ? cw.block_rows * cw.block_cols
                                  : ir::compact_weights(n, cin_p, oc_begin, oc_end, true, ic_begin, ic_end).nnz;
  b.metadata_bytes = cw.metadata_bytes;
  b.payload_bytes = cw.payload_bytes;
  b.data = std::move(cw.bytes);
  append_requant(b, g, n);
  return b;
}

// A depthwise conv's blob for the depthwise kernel (isa::CoreOpKind::DwConv): output channels
// [oc_begin, oc_end), weights [kh][kw][oc_end - oc_begin] (each channel's own tap), then the
// requant records (and a table) as make_blob's. Statistics count 8 MACs a diagonal block.
WeightBlob dw_blob(const ir::Graph& g, const ir::Node& n, uint32_t cin_p, uint32_t oc_begin, uint32_t oc_end) {
  WeightBlob b;
  b.oc_begin = oc_begin;
  b.oc_end = oc_end;
  b.block_rows = (oc_end - oc_begin) / 8;
  b.block_cols = cin_p / 8;
  b.nnz = b.grid_blocks = b.block_rows;
  b.macs_per_block = 8;
  const uint32_t cin = g.nodes.at(static_cast<size_t>(n.inputs.at(0))).out.c, nc = oc_end - oc_begin;
  b.data.assign(uint64_t{n.kh} * n.kw * nc, 0);
  for (uint32_t t = 0; t < n.kh * n.kw; ++t)
    for (uint32_t k = 0; k < nc; ++k) {
      const uint64_t oc = oc_begin + k;
      if (oc < n.out.c) b.data[uint64_t{t} * nc + k] = static_cast<uint8_t>(n.weight[(oc * n.kh * n.kw + t) * cin + oc]);
    }
  b.payload_bytes = static_cast<uint32_t>(b.data.size());
  append_requant(b, g, n);
  return b;
}

// Pads b's weights to 4 bytes (compact_bytes), then appends the requant records of its output
// channels and a fused table (qp_bytes).
void append_requant(WeightBlob& b, const ir::Graph& g, const ir::Node& n) {
  const uint32_t oc_begin = b.oc_begin, oc_end = b.oc_end;
  while (b.data.size() % 4 != 0) b.data.push_back(0);
  b.compact_bytes = static_cast<uint32_t>(b.data.size());
  const float in_scale = g.nodes.at(n.inputs.at(0)).out_scale;
  for (uint32_t oc = oc_begin; oc < oc_end; ++oc) {
    if (oc < n.out.c) {
      const double factor = double{in_scale} * double{n.weight_scales.at(oc)} / double{ir::conv_out_scale(n)};
      ir::Requant rq;
      try {
        rq = ir::make_requant(factor);
      } catch (const std::exception& e) {
        throw compiler::CompileError("layer " + n.name + ": output channel " + std::to_string(oc) + ": " + e.what());
      }
      put_i32(b.data, n.bias.at(oc));
      put_i32(b.data, rq.mult);
      put_i32(b.data, rq.shift);
    } else {  // padded output channel: bias 0, mult 0 -> output 0
      put_i32(b.data, 0);
      put_i32(b.data, 0);
      put_i32(b.data, 0);
    }
  }
  b.qp_bytes = 12u * (oc_end - oc_begin);
  if (ir::has_fused_lut(n)) {  // the activation's table after the records (ConvArgs::lut_addr)
    for (int8_t v : n.lut) b.data.push_back(static_cast<uint8_t>(v));
    b.qp_bytes += static_cast<uint32_t>(n.lut.size());
  }
}

// A gate conv's blob (ir::Node::gate): output channels [oc_begin, oc_end) of the gate, a byte
// each, which the gate's producer writes at run time (no bytes of its own in the DDR image).
WeightBlob gate_blob(uint32_t cin_p, uint32_t oc_begin, uint32_t oc_end) {
  WeightBlob b;
  b.oc_begin = oc_begin;
  b.oc_end = oc_end;
  b.block_rows = (oc_end - oc_begin) / 8;
  b.block_cols = cin_p / 8;
  b.nnz = b.grid_blocks = b.block_rows;  // (the diagonal blocks, for the statistics: 8 products each)
  b.macs_per_block = 8;
  b.compact_bytes = oc_end - oc_begin;
  b.payload_bytes = b.compact_bytes;
  return b;
}


// One blob made of complete blobs back to back (WeightBlob::chunks), for output channels
// [oc_begin, oc_end): by_rows, the parts cut the output channels (their block rows add up), else
// the input channels (their block columns add up).
WeightBlob chunked_blob(const std::vector<WeightBlob>& parts, uint32_t oc_begin, uint32_t oc_end, bool by_rows) {
  WeightBlob whole = parts.at(0);
  whole.data.clear();
  whole.oc_begin = oc_begin;
  whole.oc_end = oc_end;
  whole.nnz = whole.grid_blocks = whole.metadata_bytes = whole.payload_bytes = 0;
  (by_rows ? whole.block_rows : whole.block_cols) = 0;
  for (const WeightBlob& part : parts) {
    whole.chunks.push_back(WeightBlob::Chunk{static_cast<uint32_t>(whole.data.size()), part.compact_bytes, part.bytes(),
                                             part.nnz, part.oc_begin - oc_begin, part.oc_end - oc_begin});
    whole.nnz += part.nnz;
    whole.grid_blocks += part.grid_blocks;
    (by_rows ? whole.block_rows : whole.block_cols) += by_rows ? part.block_rows : part.block_cols;
    whole.metadata_bytes += part.metadata_bytes;
    whole.payload_bytes += part.payload_bytes;
    whole.data.insert(whole.data.end(), part.data.begin(), part.data.end());
  }
  return whole;
}

// Concat inputs that can live in the concat's buffer: produced by a layer that writes DDR
// (not the network input), consumed by nothing else, at a channel offset that is a multiple
// of 8 and with 8-aligned channels (or the last input). Returns, per node, {concat, offset}.
std::vector<std::pair<int, uint32_t>> concat_views(const ir::Graph& g) {
  const size_t n = g.nodes.size();
  std::vector<int> uses(n, 0);
  for (const ir::Node& node : g.nodes)
    for (int in : node.inputs) ++uses.at(static_cast<size_t>(in));
  std::vector<std::pair<int, uint32_t>> view(n, {-1, 0});
  for (size_t i = 0; i < n; ++i) {
    const ir::Node& node = g.nodes[i];
    if (node.op != ir::OpKind::Concat) continue;
    uint32_t off = 0;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int in = node.inputs[k];
      const ir::Node& src = g.nodes.at(static_cast<size_t>(in));
      const bool last = k + 1 == node.inputs.size();
      const bool ok = src.op != ir::OpKind::Input && uses.at(static_cast<size_t>(in)) == 1 && off % 8 == 0 &&
                      (last || src.out.c % 8 == 0) && static_cast<size_t>(in) != static_cast<size_t>(g.output);
      if (ok) view[static_cast<size_t>(in)] = {static_cast<int>(i), off};
      off += src.out.c;
    }
  }
  return view;
}

// How a layer reads tensor t as its input `k`, when it can read t's output slice straight from
// the memtile (residency.h): 1 = as its input slice (1x1 unpadded conv, stride 1 or every s-th row
// and column, add operand A), 2 = as an add's operand B or a fused add's residual, 3 = as its
// input slice with a halo column (below); 0 = it cannot.
// in_w: the width of the tensor read; columns: the array's.
int slice_reader(const ir::Node& c, size_t k, uint32_t in_w, uint32_t columns) {
  if (c.op == ir::OpKind::Add) return k == 0 ? 1 : 2;
  // A 3x3 max pool (stride 2) or conv (stride 1 or 2) with padding 1 reads its producer's slice
  // with halo columns (residency.cpp, halo_reader) when every column's input starts where the
  // producer's own columns do (stride 2: even width splits).
  const uint32_t s = c.stride_w;
  const bool halo = c.kh == 3 && c.kw == 3 && c.stride_h == s && c.pad_h == 1 && c.pad_w == 1 &&
                    ((c.op == ir::OpKind::MaxPool && s == 2) ||
                     (c.op == ir::OpKind::Conv && !ir::has_fused_add(c) && (s == 1 || s == 2)));
  if (k == 0 && halo) {
    for (uint32_t j = 0; j < columns; ++j)
      if (s * split_even(c.out.w, columns, j).first != split_even(in_w, columns, j).first) return 0;
    return 3;
  }
  if (c.op != ir::OpKind::Conv) return 0;
  if (k == 1) return ir::has_fused_add(c) ? 2 : 0;
  return c.kh == 1 && c.kw == 1 && c.stride_h == c.stride_w && c.pad_h == 0 && c.pad_w == 0 ? 1 : 0;
}

// Residency-aware tiling: a tensor whose producer and every reader read it as a whole slice can
// stay in the memtiles if they all run as single width-split pieces; re-tile them so when the
// planner's estimates (the readers need no LOAD, the producer no WRITE) say it pays.
void retile_for_residency(const ir::Graph& g, DdrPlan& p, const target::TargetModel& tm, bool dense,
                          const TilingOptions& base) {
  const size_t n = g.nodes.size();
  TilingOptions o = base;
  o.single_piece = true;
  std::vector<TilingOptions> mode(n, o);  // per layer: the residency flags accepted so far
  std::vector<std::vector<std::pair<size_t, size_t>>> readers(n);  // (node, input index)
  for (size_t i = 1; i < n; ++i)
    for (size_t k = 0; k < g.nodes[i].inputs.size(); ++k)
      readers[static_cast<size_t>(g.nodes[i].inputs[k])].emplace_back(i, k);
  auto layer = [&](size_t i) {
    const ir::OpKind op = g.nodes[i].op;
    return op != ir::OpKind::Input && op != ir::OpKind::Concat;
  };
  for (size_t t = 1; t < n; ++t) {
    if (!layer(t) || static_cast<int>(t) == g.output || p.tensors[t].is_view() || readers[t].empty()) continue;
    bool ok = true;
    const uint32_t in_w = g.nodes[t].out.w, C = tm.columns();
    for (const auto& [c, k] : readers[t]) ok = ok && layer(c) && slice_reader(g.nodes[c], k, in_w, C) != 0;
    if (!ok) continue;
    // Trial: t resident; every affected layer as one piece with its flags.
    std::vector<std::pair<size_t, TilingOptions>> trial{{t, mode[t]}};
    trial.back().second.output_resident = true;
    for (const auto& [c, k] : readers[t]) {
      auto it = std::find_if(trial.begin(), trial.end(), [&](const auto& e) { return e.first == c; });
      if (it == trial.end()) {
        trial.emplace_back(c, mode[c]);
        it = trial.end() - 1;
      }
      const int how = slice_reader(g.nodes[c], k, in_w, C);
      (how == 2 ? it->second.residual_resident : it->second.input_resident) = true;
      if (how == 3) it->second.pixel_rows = false;  // (a halo reader reads the slice as column bands)
    }
    double before = 0, after = 0;
    std::vector<LayerTiling> tilings;
    try {
      for (const auto& [i, opt] : trial) {
        before += p.tiling[i].est_cycles;
        LayerTiling lt = choose_tiling(g, static_cast<int>(i), p.tensors, tm, dense, opt);
        after += lt.est_cycles;
        tilings.push_back(lt);
      }
    } catch (const compiler::CompileError&) {
      ok = false;
    }
    if (!ok || after >= before) continue;
    for (size_t j = 0; j < trial.size(); ++j) {
      mode[trial[j].first] = trial[j].second;
      p.tiling[trial[j].first] = tilings[j];
    }
  }
}

}  // namespace

uint32_t WeightBlob::op_bytes() const {
  uint32_t m = chunks.empty() ? bytes() : 0;
  for (const Chunk& c : chunks) m = std::max(m, c.bytes);
  return m;
}

uint32_t WeightBlob::op_nnz() const {
  uint32_t m = chunks.empty() ? nnz : 0;
  for (const Chunk& c : chunks) m = std::max(m, c.nnz);
  return m;
}

uint64_t WeightGroup::max_share() const {
  uint64_t m = 0;
  for (uint64_t b : share_bytes) m = std::max(m, b);
  return m;
}

bool concat_in_place(const ir::Graph& g, const DdrPlan& p, int node) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(node));
  if (n.op != ir::OpKind::Concat) return false;
  for (int in : n.inputs)
    if (p.tensors.at(static_cast<size_t>(in)).view_of != node) return false;
  return true;
}

DdrPlan plan_ddr(const ir::Graph& g, const target::TargetModel& tm, bool dense, uint32_t max_band_rows,
                 bool col_groups) {
  DdrPlan p;
  const size_t n = g.nodes.size();
  p.tensors.resize(n);
  p.weights.resize(n);
  p.tiling.resize(n);
  const std::vector<std::pair<int, uint32_t>> view = concat_views(g);
  // The buffer a tensor lives in (views chain through nested concats).
  auto root = [&](size_t i) {
    while (view[i].first >= 0) i = static_cast<size_t>(view[i].first);
    return i;
  };
  // Border of each buffer = the largest padding any consumer applies to it or to a view of it.
  for (size_t i = 0; i < n; ++i) {
    const ir::Node& node = g.nodes[i];
    for (int in : node.inputs) {
      TensorBuffer& t = p.tensors.at(root(static_cast<size_t>(in)));
      // (a ceil-mode pool's last window reaches past the far padding: that much more border)
      const ir::Shape& is = g.nodes.at(static_cast<size_t>(in)).out;
      t.ph = std::max(t.ph, node.pad_h + ir::window_overhang(is.h, node.out.h, node.kh, node.stride_h, node.pad_h));
      t.pw = std::max(t.pw, node.pad_w + ir::window_overhang(is.w, node.out.w, node.kw, node.stride_w, node.pad_w));
    }
  }
  uint64_t addr = 0;
  for (size_t i = 0; i < n; ++i) {
    TensorBuffer& t = p.tensors[i];
    const ir::Node& node = g.nodes[i];
    t.h = node.out.h;
    t.w = node.out.w;
    t.c = node.out.c;
    t.cp = round_up8(node.out.c);
    t.pitch = t.cp;
    if (view[i].first >= 0) continue;
    t.addr = addr;
    addr = align_up(addr + t.bytes(), kDdrAlign);
  }
  // Views, outermost concat first (a later node never feeds an earlier one).
  for (size_t i = n; i-- > 0;) {
    if (view[i].first < 0) continue;
    const TensorBuffer& c = p.tensors.at(static_cast<size_t>(view[i].first));
    TensorBuffer& t = p.tensors[i];
    t.view_of = view[i].first;
    t.ph = c.ph;
    t.pw = c.pw;
    t.pitch = c.pitch;
    t.addr = c.addr + view[i].second;
  }
  // Tiling of every layer (weights assumed prefetched by the phase before: the memtile
  // allocation (residency.h) prefetches wherever there is room).
  const std::vector<int> layers = [&] {
    std::vector<int> v;
    for (size_t i = 0; i < n; ++i)
      if (g.nodes[i].op != ir::OpKind::Input && g.nodes[i].op != ir::OpKind::Concat) v.push_back(static_cast<int>(i));
    return v;
  }();
  TilingOptions topt;
  topt.max_band_rows = max_band_rows;
  topt.col_groups = col_groups;
  for (int i : layers) p.tiling[static_cast<size_t>(i)] = choose_tiling(g, i, p.tensors, tm, dense, topt);
  retile_for_residency(g, p, tm, dense, topt);
  // Weight blobs grouped to match the tiling, layer by layer, group by group; inside a group
  // ordered by serving memtile so each memtile's share is contiguous (one shim BD each).
  const uint32_t C = tm.columns();
  for (int li : layers) {
    const size_t i = static_cast<size_t>(li);
    const ir::Node& node = g.nodes[i];
    if (!ir::has_weights(node.op)) continue;
    const LayerTiling& t = p.tiling[i];
    LayerWeights& lw = p.weights[i];
    lw.ddr_addr = addr;
    const bool gate = ir::is_gate_conv(node), depthwise = ir::is_depthwise(g, node);
    // A gate conv's blobs lie in the gate's buffer: one pixel, its channels contiguous.
    const uint64_t gate_addr = gate ? p.tensors.at(static_cast<size_t>(node.inputs.at(1))).interior() : 0;
    const uint32_t cin_p = round_up8(g.nodes.at(node.inputs.at(0)).out.c);
    const uint32_t block_rows = round_up8(node.out.c) / 8;
    const uint32_t R = t.pixel_rows ? 1  // pixel rows: one blob a group
                                    : working_rows(block_rows, t.row_cap ? t.row_cap : tm.usable_core_rows());
    uint64_t a = addr;
    const uint32_t K = std::max(1u, t.in_chunks);
    for (uint32_t gi = 0; gi < t.groups; ++gi)
      for (uint32_t k = 0; k < (t.chunk_loop ? 1 : K); ++k) {
        const auto [g0, g1] = split_even(block_rows, t.groups, gi);
        const auto [k0, k1] = t.chunk_loop ? std::pair<uint32_t, uint32_t>{0, cin_p / 8} : split_even(cin_p / 8, K, k);
        WeightGroup wg;
        wg.first = static_cast<uint32_t>(lw.rows.size());
        wg.ddr_addr = a;
        wg.oc_begin = 8 * g0;
        wg.oc_end = 8 * g1;
        wg.ic_begin = 8 * k0;
        wg.ic_end = 8 * k1;
        const uint32_t rows = working_rows(g1 - g0, R);
        for (uint32_t r = 0; r < rows; ++r) {
          const auto [b0, b1] = split_even(g1 - g0, rows, r);
          const uint32_t blob_parts = std::max(t.out_parts, t.weight_parts);
          if (gate) {
            lw.rows.push_back(gate_blob(cin_p, 8 * (g0 + b0), 8 * (g0 + b1)));
            continue;
          }
          if (depthwise) {
            lw.rows.push_back(dw_blob(g, node, cin_p, 8 * (g0 + b0), 8 * (g0 + b1)));
            continue;
          }
          if (!t.chunk_loop && blob_parts <= 1) {
            lw.rows.push_back(make_blob(g, node, cin_p, 8 * (g0 + b0), 8 * (g0 + b1), dense, wg.ic_begin, wg.ic_end));
            continue;
          }
          // Output (weight) parts: part j's complete blob (its block rows, every input channel)
          // after part j - 1's; chunk loop: chunk c's (every block row, its input channels).
          std::vector<WeightBlob> parts;
          const uint32_t J = blob_parts > 1 ? std::min(blob_parts, b1 - b0) : K;
          for (uint32_t j = 0; j < J; ++j) {
            if (blob_parts > 1) {
              const auto [p0, p1] = split_even(b1 - b0, J, j);
              parts.push_back(make_blob(g, node, cin_p, 8 * (g0 + b0 + p0), 8 * (g0 + b0 + p1), dense, wg.ic_begin,
                                        wg.ic_end));
            } else {
              const auto [c0, c1] = split_even(cin_p / 8, K, j);
              parts.push_back(make_blob(g, node, cin_p, 8 * (g0 + b0), 8 * (g0 + b1), dense, 8 * c0, 8 * c1));
            }
          }
          lw.rows.push_back(chunked_blob(parts, 8 * (g0 + b0), 8 * (g0 + b1), blob_parts > 1));
        }
        wg.share_addr.assign(C, 0);
        wg.share_bytes.assign(C, 0);
        if (gate) {  // every share one blob (choose_tiling keeps rows <= columns), in channel order
          if (rows > C)
            throw compiler::CompileError("layer " + node.name + ": a mul needs at most one core row per column");
          wg.ddr_addr = gate_addr + wg.oc_begin;
          for (uint32_t r = 0; r < rows; ++r) {
            WeightBlob& b = lw.rows[wg.first + r];
            b.ddr_addr = gate_addr + b.oc_begin;
            const uint32_t m = weight_server(r, C);
            wg.share_addr[m] = b.ddr_addr;
            wg.share_bytes[m] = b.bytes();
          }
          wg.count = rows;
          wg.bytes = wg.oc_end - wg.oc_begin;
          lw.groups.push_back(std::move(wg));
          continue;
        }
        for (uint32_t m = 0; m < C; ++m) {
          wg.share_addr[m] = a;
          for (uint32_t r = 0; r < rows; ++r) {
            if (weight_server(r, C) != m) continue;
            WeightBlob& b = lw.rows[wg.first + r];
            b.ddr_addr = a;
            a += b.bytes();
          }
          wg.share_bytes[m] = a - wg.share_addr[m];
        }
        wg.count = rows;
        wg.bytes = a - wg.ddr_addr;
        lw.groups.push_back(std::move(wg));
      }
    lw.bytes = a - addr;
    addr = align_up(a, kDdrAlign);
  }
  p.end = addr;
  return p;
}

}  // namespace saie::schedule
