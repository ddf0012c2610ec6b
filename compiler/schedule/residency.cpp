// residency.cpp — see residency.h.
#include "compiler/schedule/residency.h"

#include <algorithm>
#include <map>
#include <optional>

namespace saie::schedule {

namespace {

// How many phases before its use a weight group may be prefetched (each phase carries at most
// one prefetch; further back holds memtile memory longer).
constexpr size_t kPrefetchLookback = 4;


// A memtile region that outlives one phase: the same address in every working memtile.
struct Region {
  uint64_t addr = 0, bytes = 0;
  size_t first = 0, last = 0;  // phases that use it (inclusive)
};

// What one phase binds to regions (index into the region list, -1: its own scratch buffer).
struct Binding {
  int x = -1;          // input slice (add: operand A)
  bool x_loads = false;  // the phase loads its input from DDR into region x (first of a shared slice)
  int b = -1;          // add: operand B slice; fused conv: the residual slice
  int y = -1;          // output slice
  int w = -1;          // conv: the weights the phase's LOADWM reads
};

bool same_output_columns(const ColumnWork& a, const ColumnWork& b) {
  return a.col == b.col && a.w0 == b.w0 && a.w1 == b.w1;
}

// Pieces q after p of one layer that read the same input slice (group-innermost order).
bool same_input_slice(const LayerPlan& p, const LayerPlan& q) {
  if (p.node != q.node || !ir::has_weights(q.op) || q.col_groups != p.col_groups || q.out_row0 != p.out_row0 ||
      q.out_h != p.out_h || q.x_cp != p.x_cp || (q.x_cp ? q.x_c0 != p.x_c0 : q.in_c0 != p.in_c0 || q.in_c_p != p.in_c_p) ||
      q.mem.x_bytes != p.mem.x_bytes ||
      q.cols.size() != p.cols.size())
    return false;
  for (size_t c = 0; c < q.cols.size(); ++c)
    if (!same_output_columns(q.cols[c], p.cols[c]) || q.cols[c].in_w0 != p.cols[c].in_w0 || q.cols[c].wi != p.cols[c].wi)
      return false;
  return true;
}

// The producer p of tensor t can leave its output slice for consumer q reading it as input k:
// single width-split pieces over the same columns, q reading exactly that slice (a subsampled
// 1x1 conv: every s-th row and column of it, inside each column's slice).
bool reads_slice(const LayerPlan& p, const LayerPlan& q, int k, const TensorBuffer& t) {
  if (k == 1 && q.op != ir::OpKind::Add && !q.fused) return false;  // (a gate conv's gate: its weights)
  if (q.pieces != 1 || q.col_groups || q.cols.size() != p.cols.size()) return false;
  if (q.in_off.at(static_cast<size_t>(k)) != std::pair<uint32_t, uint32_t>{t.ph, t.pw}) return false;
  const bool residual = q.fused && k == 1;
  const uint32_t s = residual ? 1 : q.subsample;
  if (s > 1 && (q.pixel_rows || q.x_cp)) return false;
  for (size_t c = 0; c < q.cols.size(); ++c) {
    const ColumnWork& a = q.cols[c];
    const ColumnWork& b = p.cols[c];
    if (s > 1) {
      if (a.col != b.col || a.in_w0 * s < b.w0 || (a.in_w0 + a.wi - 1) * s >= b.w1) return false;
    } else if (!same_output_columns(a, b)) {
      return false;
    }
    if (residual) {
      if (q.out_c0_of(a) != 0 || q.out_cp_of(a) != t.cp) return false;
    } else {
      if ((s == 1 && (a.in_w0 != a.w0 || a.wi != a.wc())) || q.slice_c0_of(a) != 0 || q.slice_cp_of(a) != t.cp)
        return false;
    }
  }
  if (!residual && ((q.in_rows - 1) * s + 1 > t.h || q.in_rows * s < t.h)) return false;
  if (residual && q.out_h != t.h) return false;
  return true;
}

// Column groups: the producer p (one column-group piece: each column's memtile holds its own
// channel group over the whole width) can leave its output for a reader q that works on channel
// groups too (an add operand, a pool without padding), one column-group piece whose columns take
// exactly the same channels and the whole tensor (ResNet's stage-4 conv3 -> add -> ... -> avgpool).
bool reads_group_slice(const LayerPlan& p, const LayerPlan& q, int k, const TensorBuffer& t) {
  if (k == 1 && q.op != ir::OpKind::Add) return false;  // (a gate conv's gate: its weights)
  if (!p.col_groups || !q.col_groups || p.pieces != 1 || q.pieces != 1 || !q.channel_grouped_input() || q.fused ||
      q.x_halo || q.cols.size() != p.cols.size() || p.out_row0 != 0 || q.out_row0 != 0 || p.y_margin != 0 ||
      p.y_margin_r != 0)
    return false;
  if (q.in_off.at(static_cast<size_t>(k)) != std::pair<uint32_t, uint32_t>{t.ph, t.pw}) return false;
  if (p.out_h != t.h || q.in_rows != t.h) return false;
  for (size_t c = 0; c < q.cols.size(); ++c) {
    const ColumnWork& a = q.cols[c];
    const ColumnWork& b = p.cols[c];
    if (a.col != b.col || b.w0 != 0 || b.wc() != t.w || a.in_w0 != 0 || a.wi != t.w || a.x_w != 0 ||
        q.in_c0_of(a) != p.out_c0_of(b) || q.in_cp_of(a) != p.out_cp_of(b))
      return false;
  }
  return true;
}

// q (a 3x3 max pool or conv with padding 1, stride 1 or 2 (pools: 2), one width-split piece over
// p's columns) reads p's output (a conv's, one width-split piece): each of its columns needs the
// column left of its producer column's own (the west neighbour's last; padding at column 0),
// with stride 1 the one right of it too (the east neighbour's first; padding at the last
// column), and the padding rows. It can read p's slice if p leaves margin columns there, which
// q's phase fills from the neighbour memtiles (ResNet's stem pool and its 3x3 convs after 1x1
// ones). Returns the margins (0: it cannot; 1: left; 2: left and right). columns: the array's;
// a conv reader's memtiles fill the margins on the MM2S channel after their weights', which
// must be one of 0..3 (neighbour access) and come before its first WRITE channel, rows + 1.
// memtile_bds: a memtile's BDs; the halo band reads (up to 3 BDs per input-channel chunk of a
// chunk loop, halo_band_reads) run on MM2S channel 0, whose range is half of them
// (isa::bd_range), shared with that parity's other chains: too many chunks, no halo.
uint32_t halo_reader(const LayerPlan& p, const LayerPlan& q, int k, const TensorBuffer& t, uint32_t columns,
                     uint32_t memtile_bds) {
  if (3 * (q.chunk_loop ? q.in_chunks : 1) + 6 > memtile_bds / 2) return 0;
  const bool pool = q.op == ir::OpKind::MaxPool, conv = q.op == ir::OpKind::Conv && !q.fused && !q.pixel_rows;
  if (k != 0 || !(pool || conv) || q.kh != 3 || q.kw != 3 || q.sh != q.sw || q.sh > 2 || (pool && q.sh != 2) ||
      q.pieces != 1 || q.col_groups || q.subsample != 1 || q.cols.size() != p.cols.size())
    return 0;
  if (p.op != ir::OpKind::Conv || p.pieces != 1 || p.col_groups || p.fused) return 0;
  if (conv) {
    const uint32_t ch = (q.rows() + columns - 1) / columns + 1;
    if (ch >= q.rows() + 1 || ch > 3) return 0;
  }
  if (t.ph != 1 || t.pw != 1 || q.in_off.at(0) != std::pair<uint32_t, uint32_t>{0, 0}) return 0;
  uint32_t margins = 1;
  for (size_t c = 0; c < q.cols.size(); ++c) {
    const ColumnWork& a = q.cols[c];
    const ColumnWork& b = p.cols[c];
    // q's real columns: [a.in_w0 - 1, a.in_w0 + a.wi - 1)
    if (a.col != b.col || a.in_w0 != b.w0 || a.in_w0 + a.wi - 1 > b.w1 + 1 || q.slice_c0_of(a) != 0 ||
        q.slice_cp_of(a) != t.cp)
      return 0;
    if (a.in_w0 + a.wi - 1 > b.w1) margins = 2;
  }
  if (pool && margins == 2) return 0;
  return q.in_rows <= t.h + 2 && p.out_h == t.h ? margins : 0;
}

// First-fit placement of `sizes` in [0, cap) around `taken` (address, bytes) ranges; false when
// one does not fit.
bool place(std::vector<std::pair<uint64_t, uint64_t>> taken, uint64_t cap, const std::vector<uint64_t>& sizes,
           std::vector<uint64_t>& addrs) {
  addrs.clear();
  for (uint64_t sz : sizes) {
    std::sort(taken.begin(), taken.end());
    uint64_t a = 0;
    bool placed = false;
    for (size_t i = 0; i <= taken.size(); ++i) {
      const uint64_t start = align_up(a, kMemtileAlign);
      const uint64_t end = i < taken.size() ? taken[i].first : cap;
      if (start + sz <= end) {
        addrs.push_back(start);
        taken.emplace_back(start, sz);
        placed = true;
        break;
      }
      if (i < taken.size()) a = std::max(a, taken[i].first + taken[i].second);
    }
    if (!placed) return false;
  }
  return true;
}

class Allocator {
 public:
  Allocator(std::vector<LayerPlan>& plans, uint64_t cap) : plans_(plans), cap_(cap), bind_(plans.size()) {}

  std::vector<Region>& regions() { return regions_; }
  std::vector<Binding>& bindings() { return bind_; }

  // The scratch buffers phase k needs besides its bound regions, in placement order
  // (kind: 'x', 'w', 'r', 'y').
  std::vector<std::pair<char, uint64_t>> scratch(size_t k) const {
    const LayerPlan& p = plans_[k];
    const Binding& b = bind_[k];
    std::vector<std::pair<char, uint64_t>> v;
    if (b.x < 0) v.emplace_back('x', p.mem.x_bytes);
    const bool add = p.op == ir::OpKind::Add;
    const bool conv_w = ir::has_weights(p.op) && p.wio.load_wm && b.w < 0;  // weights the cores need, not placed yet
    if (add ? b.b < 0 : conv_w) v.emplace_back('w', p.mem.w_bytes);
    if (p.fused && !p.in_place && b.b < 0) v.emplace_back('r', p.mem.r_bytes);
    // In place, the output goes where the residual is (bound or scratch 'r' placed as 'y').
    const bool y_bound = b.y >= 0 || (p.in_place && b.b >= 0);
    if (!y_bound) v.emplace_back('y', p.mem.y_bytes);
    return v;
  }

  // Regions alive in phase k.
  std::vector<std::pair<uint64_t, uint64_t>> taken(size_t k) const {
    std::vector<std::pair<uint64_t, uint64_t>> t;
    for (const Region& r : regions_)
      if (r.first <= k && k <= r.last) t.emplace_back(r.addr, r.bytes);
    return t;
  }

  bool fits(size_t k, std::vector<uint64_t>* addrs = nullptr) const {
    std::vector<uint64_t> sizes, tmp;
    for (const auto& s : scratch(k)) sizes.push_back(s.second);
    return place(taken(k), cap_, sizes, addrs ? *addrs : tmp);
  }

  // Adds a region of `bytes` alive in phases [first, last] at the lowest address that overlaps no
  // region alive at the same time and leaves every phase of [first, last] room for its scratch
  // (with `bind` applied to the bindings first). Returns its index, or -1 (nothing changed).
  template <class Bind>
  int add_region(uint64_t bytes, size_t first, size_t last, Bind bind) {
    std::vector<uint64_t> cands{0};
    for (const Region& r : regions_)
      if (r.first <= last && first <= r.last) cands.push_back(align_up(r.addr + r.bytes, kMemtileAlign));
    std::sort(cands.begin(), cands.end());
    const std::vector<Binding> saved = bind_;
    for (uint64_t a : cands) {
      if (a + bytes > cap_) break;
      bool clash = false;
      for (const Region& r : regions_)
        clash = clash || (r.first <= last && first <= r.last && a < r.addr + r.bytes && r.addr < a + bytes);
      if (clash) continue;
      regions_.push_back(Region{a, bytes, first, last});
      const int id = static_cast<int>(regions_.size()) - 1;
      bind(id);
      bool ok = true;
      for (size_t k = first; k <= last && ok; ++k) ok = fits(k);
      if (ok) return id;
      regions_.pop_back();
      bind_ = saved;
    }
    return -1;
  }

  // Extends region id to phase `last` (and applies bind) if every phase on the way keeps room.
  template <class Bind>
  bool extend(int id, size_t last, Bind bind) {
    Region& r = regions_.at(static_cast<size_t>(id));
    const size_t old = r.last;
    const std::vector<Binding> saved = bind_;
    for (const Region& o : regions_)
      if (&o != &r && o.first <= last && old < o.last && o.addr < r.addr + r.bytes && r.addr < o.addr + o.bytes)
        return false;
    r.last = std::max(old, last);
    bind(id);
    bool ok = true;
    for (size_t k = old; k <= r.last && ok; ++k) ok = fits(k);
    if (!ok) {
      r.last = old;
      bind_ = saved;
    }
    return ok;
  }

 private:
  std::vector<LayerPlan>& plans_;
  uint64_t cap_;
  std::vector<Region> regions_;
  std::vector<Binding> bind_;
};

}  // namespace

void assign_residency(std::vector<LayerPlan>& plans, const ir::Graph& g, const DdrPlan& ddr,
                      const target::TargetModel& tm, bool memtile_residency) {
  const uint64_t cap = tm.memtile_memory_bytes();
  Allocator al(plans, cap);
  std::vector<Binding>& bind = al.bindings();

  std::vector<int> region_of_phase;  // the region phase k's output slice stays in (-1: none)
  // Every (phase, input) that reads a node.
  std::map<int, std::vector<std::pair<size_t, int>>> readers;
  // Phase k's output, kept in the memtiles for every reader where they all can read it there.
  auto keep_output = [&](size_t k) {
    LayerPlan& p = plans[k];
    if (p.pieces != 1 || p.node == g.output) return;
    const TensorBuffer& t = ddr.tensors.at(static_cast<size_t>(p.node));
    const auto& rd = readers[p.node];
    if (t.is_view() || rd.empty()) return;
    bool ok = true;
    size_t last = k;
    for (const auto& [q, in] : rd) {
      ok = ok && q > k && (p.col_groups ? reads_group_slice(p, plans[q], in, t) : reads_slice(p, plans[q], in, t));
      last = std::max(last, q);
    }
    // A single reader with a left halo: the slice gets a margin column.
    const uint32_t halo = !ok && rd.size() == 1 && rd[0].first > k
                              ? halo_reader(p, plans[rd[0].first], static_cast<int>(rd[0].second), t, tm.columns(),
                                            tm.config().memtile.dma.bds)
                              : 0;
    if (!ok && !halo) return;
    const uint32_t y_bytes = p.mem.y_bytes;
    if (halo) {
      uint32_t px = 0;
      for (const ColumnWork& c : p.cols) px = std::max(px, c.wc() + halo);
      p.mem.y_bytes = p.out_h * px * p.out_c_p;
    }
    auto bind_readers = [&](int id) {
      bind[k].y = id;
      for (const auto& [q, in] : rd) (in == 0 ? bind[q].x : bind[q].b) = id;
    };
    // In place over a resident residual: the same region, kept longer.
    const int res_region = p.in_place ? bind[k].b : -1;
    int id = -1;
    if (res_region >= 0) {
      if (al.extend(res_region, last, bind_readers)) id = res_region;
    } else {
      id = al.add_region(p.mem.y_bytes, k, last, bind_readers);
    }
    if (id >= 0) {
      region_of_phase[k] = id;
      if (halo) {
        LayerPlan& q = plans[rd[0].first];
        p.y_margin = 1;
        p.y_margin_r = halo - 1;
        q.x_halo = true;
        q.x_halo_r = halo == 2;
        q.mem.x_bytes = p.mem.y_bytes;
        for (size_t c = 0; c < q.cols.size(); ++c) q.cols[c].x_w = p.cols[c].wc() + halo;
      }
    } else {
      p.mem.y_bytes = y_bytes;
    }
  };
  // Column-group outputs are kept after the weights are placed, only where the room their
  // prefetches need is left (stage 4's regions placed first took a 154 KB prefetch's room).
  std::vector<size_t> group_outputs;
  if (memtile_residency) {
    for (size_t k = 0; k < plans.size(); ++k) {
      const ir::Node& n = g.nodes.at(static_cast<size_t>(plans[k].node));
      for (size_t i = 0; i < n.inputs.size() && i < 2; ++i) readers[n.inputs[i]].emplace_back(k, static_cast<int>(i));
    }
    region_of_phase.assign(plans.size(), -1);
    for (size_t k = 0; k < plans.size(); ++k) {
      LayerPlan& p = plans[k];
      // Pieces of one layer after this one that read the same input slice keep it.
      if (bind[k].x < 0 && k + 1 < plans.size() && same_input_slice(p, plans[k + 1])) {
        size_t last = k + 1;
        while (last + 1 < plans.size() && same_input_slice(p, plans[last + 1])) ++last;
        al.add_region(p.mem.x_bytes, k, last, [&](int id) {
          bind[k].x = id;
          bind[k].x_loads = true;
          for (size_t j = k + 1; j <= last; ++j) bind[j].x = id;
        });
      }
      if (p.col_groups)
        group_outputs.push_back(k);
      else
        keep_output(k);
    }
  }

  // Weights: a conv piece whose cores need them (LOADWM) finds them where the previous phase left
  // them (same group), or has them prefetched by one of the few phases before it (not an add: its
  // shim channels are busy) when every phase in between has room, or loads them itself.
  std::vector<int> pf_for(plans.size(), -1);  // the phase whose weights phase j prefetches
  for (size_t k = 0; k < plans.size(); ++k) {
    LayerPlan& p = plans[k];
    if (!ir::has_weights(p.op) || !p.wio.load_wm) continue;
    auto bind_w = [&](int id) { bind[k].w = id; };
    if (k > 0 && bind[k - 1].w >= 0 && plans[k - 1].node == p.node && plans[k - 1].group == p.group &&
        plans[k - 1].col_groups == p.col_groups && plans[k - 1].mem.w_bytes == p.mem.w_bytes &&
        al.extend(bind[k - 1].w, k, bind_w)) {
      p.wio.load_w = false;
      continue;
    }
    // The latest of the kPrefetchLookback phases before this one that carries no other prefetch
    // and leaves room for the weights from then until this phase: a conv first (its compute hides
    // the load), else a pool (a short phase the load would stretch).
    LayerPlan* from = nullptr;
    for (const bool conv_only : {true, false})
      for (size_t j = k; !from && !p.gate && j-- > 0 && k - j <= kPrefetchLookback;) {
        LayerPlan& q = plans[j];
        if (q.op == ir::OpKind::Add || q.wio.pf_node >= 0 || (conv_only && !ir::has_weights(q.op))) continue;
        if (al.add_region(p.mem.w_bytes, j, k, bind_w) >= 0) from = &q;
      }
    if (from) {
      pf_for[static_cast<size_t>(from - plans.data())] = static_cast<int>(k);
      from->wio.pf_node = p.node;
      from->wio.pf_group = p.group;
      from->wio.pf_col_groups = p.col_groups;
      from->wio.pf_stride = p.chunk_loop ? 1u : std::max(1u, p.in_chunks);  // (a chunk loop: one group per column)
      from->wio.pf_whole = p.fused && !p.col_groups;
      p.wio.load_w = false;
      continue;
    }
    if (al.add_region(p.mem.w_bytes, k, k, bind_w) < 0)
      throw std::logic_error("memtile allocation: no room for the weights of " + p.name);
    p.wio.load_w = true;
  }

  for (size_t k : group_outputs) keep_output(k);

  // Every phase's layout: bound regions, then its scratch first-fit around what is alive.
  for (size_t k = 0; k < plans.size(); ++k) {
    LayerPlan& p = plans[k];
    const Binding& b = bind[k];
    std::vector<uint64_t> addrs;
    if (!al.fits(k, &addrs))
      throw std::logic_error("memtile allocation: phase " + p.name + " has no room (a tiling the allocator cannot place)");
    const std::vector<std::pair<char, uint64_t>> sc = al.scratch(k);
    auto region_addr = [&](int id) { return static_cast<uint32_t>(al.regions().at(static_cast<size_t>(id)).addr); };
    MemtileLayout& m = p.mem;
    for (size_t i = 0; i < sc.size(); ++i) {
      const auto a = static_cast<uint32_t>(addrs[i]);
      switch (sc[i].first) {
        case 'x': m.x = a; break;
        case 'w': m.w = a; break;
        case 'r': m.r = a; break;
        case 'y': m.y = a; break;
      }
    }
    if (b.x >= 0) m.x = region_addr(b.x);
    if (b.b >= 0) (p.op == ir::OpKind::Add ? m.w : m.r) = region_addr(b.b);
    if (b.y >= 0) m.y = region_addr(b.y);
    if (b.w >= 0) m.w = region_addr(b.w);
    if (p.in_place) {
      if (b.b >= 0) m.y = m.r;  // the output is written where the resident residual is
      else m.r = m.y;           // the residual lands where the output goes
    }
    p.in_resident[0] = b.x >= 0 && !b.x_loads;
    if (p.in_resident[0] && p.subsample > 1) {  // every s-th pixel of the producer's column slices
      size_t j = 0;
      while (j < region_of_phase.size() && region_of_phase[j] != b.x) ++j;
      // (none: the slice an earlier piece of this layer loaded, laid out as its own)
      for (size_t c = 0; c < p.cols.size() && j < region_of_phase.size(); ++c) {
        p.cols[c].x_w = plans[j].cols[c].wc();
        p.cols[c].x_off = p.cols[c].in_w0 * p.subsample - plans[j].cols[c].w0;
      }
    }
    p.in_resident[1] = b.b >= 0;
    p.skip_write = b.y >= 0;
    uint64_t end = uint64_t{m.x} + m.x_bytes;
    end = std::max<uint64_t>(end, uint64_t{m.y} + m.y_bytes);
    if (p.fused) end = std::max<uint64_t>(end, uint64_t{m.r} + m.r_bytes);
    if (p.op == ir::OpKind::Add || b.w >= 0) end = std::max<uint64_t>(end, uint64_t{m.w} + m.w_bytes);
    m.end = static_cast<uint32_t>(end);
  }
  for (size_t k = 0; k < plans.size(); ++k)
    if (pf_for[k] >= 0) plans[k].wio.pf_addr = plans[static_cast<size_t>(pf_for[k])].mem.w;
}

}  // namespace saie::schedule
