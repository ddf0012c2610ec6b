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

WeightBlob make_blob(const ir::Graph& g, const ir::Node& n, uint32_t cin_p, uint32_t oc_begin,
                     uint32_t oc_end, bool dense) {
  WeightBlob b;
  b.oc_begin = oc_begin;
  b.oc_end = oc_end;
  ir::CompactWeights cw = ir::compact_weights(n, cin_p, oc_begin, oc_end, dense);
  b.block_rows = cw.block_rows;
  b.block_cols = cw.block_cols;
  b.nnz = cw.nnz;
  b.metadata_bytes = cw.metadata_bytes;
  b.payload_bytes = cw.payload_bytes;
  b.data = std::move(cw.bytes);
  while (b.data.size() % 4 != 0) b.data.push_back(0);
  b.compact_bytes = static_cast<uint32_t>(b.data.size());
  const float in_scale = g.nodes.at(n.inputs.at(0)).out_scale;
  for (uint32_t oc = oc_begin; oc < oc_end; ++oc) {
    if (oc < n.out.c) {
      const double factor = double{in_scale} * double{n.weight_scales.at(oc)} / double{n.out_scale};
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
  return b;
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

}  // namespace

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
      t.ph = std::max(t.ph, node.pad_h);
      t.pw = std::max(t.pw, node.pad_w);
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
  // Tiling of every layer. First with the whole memtile for slices and weights; then, when the
  // largest weight share leaves room, again with two weight slots carved off the top of the
  // memtile (prefetch and reuse of weights across pieces, see DdrPlan). Falls back to the
  // first tiling if the second does not fit.
  const std::vector<int> layers = [&] {
    std::vector<int> v;
    for (size_t i = 0; i < n; ++i)
      if (g.nodes[i].op != ir::OpKind::Input && g.nodes[i].op != ir::OpKind::Concat) v.push_back(static_cast<int>(i));
    return v;
  }();
  for (int i : layers) p.tiling[static_cast<size_t>(i)] = choose_tiling(g, i, p.tensors, tm, dense, max_band_rows, 0, false, col_groups);
  uint64_t share = 0;
  for (int i : layers)
    share = std::max(share, max_weight_share(g, i, p.tensors, tm, dense, p.tiling[static_cast<size_t>(i)]));
  const uint64_t slot = align_up(share, 64);
  if (share > 0 && 2 * slot < tm.memtile_memory_bytes()) {
    const uint64_t cap = tm.memtile_memory_bytes() - 2 * slot;
    try {
      std::vector<LayerTiling> t2(n);
      uint64_t share2 = 0;
      for (int i : layers) {
        t2[static_cast<size_t>(i)] = choose_tiling(g, i, p.tensors, tm, dense, max_band_rows, cap, true, col_groups);
        share2 = std::max(share2, max_weight_share(g, i, p.tensors, tm, dense, t2[static_cast<size_t>(i)]));
      }
      if (share2 <= slot) {
        p.tiling = std::move(t2);
        p.slot_bytes = static_cast<uint32_t>(slot);
        p.slot_addr[0] = static_cast<uint32_t>(cap);
        p.slot_addr[1] = static_cast<uint32_t>(cap + slot);
      }
    } catch (const compiler::CompileError&) {
      // keep the first tiling, without slots
    }
  }
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
    const uint32_t cin_p = round_up8(g.nodes.at(node.inputs.at(0)).out.c);
    const uint32_t block_rows = round_up8(node.out.c) / 8;
    const uint32_t R = working_rows(block_rows, tm.usable_core_rows());
    uint64_t a = addr;
    for (uint32_t gi = 0; gi < t.groups; ++gi) {
      const auto [g0, g1] = split_even(block_rows, t.groups, gi);
      WeightGroup wg;
      wg.first = static_cast<uint32_t>(lw.rows.size());
      wg.ddr_addr = a;
      wg.oc_begin = 8 * g0;
      wg.oc_end = 8 * g1;
      const uint32_t rows = working_rows(g1 - g0, R);
      for (uint32_t r = 0; r < rows; ++r) {
        const auto [b0, b1] = split_even(g1 - g0, rows, r);
        lw.rows.push_back(make_blob(g, node, cin_p, 8 * (g0 + b0), 8 * (g0 + b1), dense));
      }
      wg.share_addr.assign(C, 0);
      wg.share_bytes.assign(C, 0);
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
