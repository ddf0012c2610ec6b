// lower_layer.cpp — one layer -> one phase. The data flow per working column:
//   DDR --shim MM2S0--> memtile S2MM0 (input slice, lands band by band)  LOAD
//   DDR --shim MM2S1--> memtile S2MM1 (weights | add: B)  LOADW
//   memtile MM2S0 --broadcast--> cores S2MM0 (bands)      LOADFM
//   memtile MM2S(1+r) --> core r S2MM1 (weights | B)      LOADWM
//   core r: per band acquire, compute, release            COMP
//   core r MM2S0 --> memtile S2MM(2+r) (strided gather)   WRITEFM
//   memtile MM2S(last) --> shim S2MM0 --> DDR interior    WRITE
#include "compiler/lower/lower_layer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "model/ir/requant.h"
#include "compiler/lower/phase_builder.h"
#include "hw/isa/op_args.h"

namespace saie::lower {

namespace {

using isa::DmaDim;
using isa::DmaDir;
using isa::StreamEndpoint;
using isa::TileId;
using schedule::ColumnWork;
using schedule::LayerPlan;
using schedule::TensorBuffer;

isa::BufferDescriptor with_locks(isa::BufferDescriptor bd, int16_t acq, uint8_t acq_v, int16_t rel, uint8_t rel_v) {
  bd.acq_lock = acq;
  bd.acq_value = acq_v;
  bd.rel_lock = rel;
  bd.rel_value = rel_v;
  return bd;
}

isa::CoreOp lock_op(isa::CoreOpKind k, uint8_t lock, uint8_t value) {
  isa::CoreOp op;
  op.kind = k;
  op.lock = lock;
  op.value = value;
  return op;
}

// Ping-pong pair A->B->A on (tile), each moving `bytes` contiguous bytes; returns A's id.
uint16_t ping_pong(PhaseBuilder& b, TileId t, const uint32_t addr[2], uint32_t bytes, uint8_t acq, uint8_t rel) {
  const uint16_t a_id = b.next_bd_id(t);
  isa::BufferDescriptor a = with_locks(make_bd(addr[0], {DmaDim{bytes, 1}}), acq, 1, rel, 1);
  a.next_bd = static_cast<int16_t>(a_id + 1);
  isa::BufferDescriptor bb = with_locks(make_bd(addr[1], {DmaDim{bytes, 1}}), acq, 1, rel, 1);
  bb.next_bd = static_cast<int16_t>(a_id);
  b.add_bd(t, a);
  b.add_bd(t, bb);
  return a_id;
}

// One BD + task of `bytes` contiguous bytes.
void single(PhaseBuilder& b, TileId t, DmaDir dir, uint8_t ch, isa::BufferDescriptor bd) {
  const uint16_t id = b.add_bd(t, bd);
  b.add_task(t, dir, ch, id, 1);
}

// Lock values are 6-bit: a producer may run at most isa::kMaxLockValue releases ahead of its consumer.
using isa::kMaxLockValue;

// Initial value of an input's lock when the input is already in the memtile: every band has
// "landed" (one per band, or one for the whole slice).
uint8_t resident_lock(const LayerPlan& p, int k) {
  return p.in_resident[k] ? static_cast<uint8_t>(p.lands_per_band() ? p.nb : 1) : 0;
}

// Memtile bands: band i = `bytes` bytes at base + i*stride, sent on (t, MM2S ch). When
// `per_band` the input slice lands band by band (see land_bands) and every band waits for its
// own release of `lock`, so LOADFM starts as soon as the first band's rows have arrived;
// otherwise the first band waits for the whole slice and the rest follow without locks.
void stream_bands(PhaseBuilder& b, TileId t, uint8_t ch, uint32_t base, uint32_t bytes, uint32_t stride,
                  uint32_t nb, uint8_t lock, bool per_band) {
  const uint16_t first_id = b.next_bd_id(t);
  isa::BufferDescriptor first = with_locks(make_bd(base, {DmaDim{bytes, 1}}), lock, 1, isa::kNoLock, 0);
  if (nb > 1) first.next_bd = static_cast<int16_t>(first_id + 1);
  b.add_bd(t, first);
  if (nb > 1) {
    isa::BufferDescriptor rest = make_bd(uint64_t{base} + stride, {DmaDim{bytes, 1}});
    if (per_band) rest = with_locks(rest, lock, 1, isa::kNoLock, 0);
    rest.iter_count = nb - 1;
    rest.iter_stride = stride;
    b.add_bd(t, rest);
  }
  b.add_task(t, DmaDir::MM2S, ch, first_id, nb > 1 ? 2 : 1);
}

// A band's first rows reach the cores while the rest of them land (cut-through): the first band
// lands in up to this many row pieces, each releasing the input lock once, and the memtile sends
// each piece as soon as it has landed, instead of storing the whole band first. Pieces are at
// least kFirstPieceBytes (per memtile): every further piece costs two BDs to set up, which on
// small bands (the reduced timing workloads) cost more than the pieces save.
constexpr uint32_t kFirstBandPieces = 4;
constexpr uint32_t kFirstPieceBytes = 2048;

// bd (a band of `rows` rows, its last dimension counting whole rows, possibly merged with the
// dimensions inside them: make_bd merges contiguous ones) cut into `pieces` BDs of consecutive
// rows (split_even), in order.
std::vector<isa::BufferDescriptor> split_rows(const isa::BufferDescriptor& bd, uint32_t rows, uint32_t pieces) {
  const int last = bd.ndims - 1;
  const uint32_t size = bd.dims[last].size;
  if (rows == 0 || size % rows != 0) throw std::logic_error("split_rows: a band's last dimension is not whole rows");
  const uint32_t unit = size / rows;
  std::vector<isa::BufferDescriptor> v;
  for (uint32_t i = 0; i < pieces; ++i) {
    const auto [r0, r1] = schedule::split_even(rows, pieces, i);
    isa::BufferDescriptor piece = bd;
    piece.dims[last].size = (r1 - r0) * unit;
    piece.addr += uint64_t{r0} * unit * static_cast<uint64_t>(bd.dims[last].stride);
    piece.iter_count = 1;
    piece.iter_stride = 0;
    v.push_back(piece);
  }
  return v;
}

// The memtile side of a LOAD: a slice of `total` contiguous bytes at base, as S2MM BDs (chained
// by the caller). When `per_band`, the first band's `first` bytes release `lock` once, then every
// further `step` bytes (the rows the next band adds) release it again; otherwise one release at
// the end.
// first_rows > 0: the first band is that many rows, landing in first_pieces pieces (cut-through).
std::vector<isa::BufferDescriptor> landing_bds(uint64_t base, uint32_t total, uint32_t first, uint32_t step,
                                               uint32_t nb, uint8_t lock, bool per_band, uint8_t readers = 1,
                                               uint32_t first_rows = 0, uint32_t first_pieces = 1) {
  if (first_pieces > 1 && (nb == 1 || per_band)) {
    std::vector<isa::BufferDescriptor> v =
        split_rows(with_locks(make_bd(base, {DmaDim{first, 1}}), isa::kNoLock, 0, lock, 1), first_rows, first_pieces);
    if (nb > 1) {
      isa::BufferDescriptor rest = with_locks(make_bd(base + first, {DmaDim{step, 1}}), isa::kNoLock, 0, lock, 1);
      rest.iter_count = nb - 1;
      rest.iter_stride = step;
      v.push_back(rest);
    }
    return v;
  }
  if (!per_band || nb == 1) return {with_locks(make_bd(base, {DmaDim{total, 1}}), isa::kNoLock, 0, lock, readers)};
  isa::BufferDescriptor head = with_locks(make_bd(base, {DmaDim{first, 1}}), isa::kNoLock, 0, lock, 1);
  isa::BufferDescriptor rest = with_locks(make_bd(base + first, {DmaDim{step, 1}}), isa::kNoLock, 0, lock, 1);
  rest.iter_count = nb - 1;
  rest.iter_stride = step;
  return {head, rest};
}

// Adds `bds` to tile t chained in order and starts them as one task on (dir, ch).
void chain(PhaseBuilder& b, TileId t, DmaDir dir, uint8_t ch, std::vector<isa::BufferDescriptor> bds) {
  if (bds.empty()) return;
  const uint16_t first_id = b.next_bd_id(t);
  for (size_t k = 0; k < bds.size(); ++k) {
    if (k + 1 < bds.size()) bds[k].next_bd = static_cast<int16_t>(first_id + k + 1);
    b.add_bd(t, bds[k]);
  }
  b.add_task(t, dir, ch, first_id, static_cast<uint32_t>(bds.size()));
}

// The memtile side of LOAD on S2MM ch (see landing_bds).
void land_bands(PhaseBuilder& b, TileId t, uint8_t ch, uint32_t base, uint32_t total, uint32_t first, uint32_t step,
                uint32_t nb, uint8_t lock, bool per_band) {
  chain(b, t, DmaDir::S2MM, ch, landing_bds(base, total, first, step, nb, lock, per_band));
}

StreamEndpoint ep(TileId t, uint32_t ch) { return StreamEndpoint{t, static_cast<uint8_t>(ch)}; }

// Shim BD addressing rows [0, rows), columns [col0, col0 + cols) (the piece's padded
// coordinates, offset by `off` inside the buffer) and channels [c0, c0 + nc) of buffer t. With
// `sub` > 1 the piece's rows and columns are every sub-th of the buffer's from `off`.
isa::BufferDescriptor ddr_box(const TensorBuffer& t, std::pair<uint32_t, uint32_t> off, uint32_t col0, uint32_t cols,
                              uint32_t rows, uint32_t c0, uint32_t nc, uint32_t sub = 1) {
  const uint64_t a = t.at(off.first, off.second + col0 * sub) + c0;
  if (sub > 1)
    return make_bd(a, {DmaDim{nc, 1}, DmaDim{cols, static_cast<int32_t>(t.pitch * sub)},
                       DmaDim{rows, static_cast<int32_t>(t.row_pitch() * sub)}});
  if (nc == t.pitch)
    return make_bd(a, {DmaDim{cols * t.pitch, 1}, DmaDim{rows, static_cast<int32_t>(t.row_pitch())}});
  return make_bd(a, {DmaDim{nc, 1}, DmaDim{cols, static_cast<int32_t>(t.pitch)},
                     DmaDim{rows, static_cast<int32_t>(t.row_pitch())}});
}

// WRITE streams band by band. With several writers their gathers normally pass each band down
// the rows (WritePart::brigade), so the last one's release says the band is complete. Where the
// memtile lacks the locks for that, every writer releases kMemLockOut once per band it lands,
// and WRITE starts band i once enough releases have come that every writer must have landed it.
// A counting lock cannot tell whose band landed, but a writer can only run a bounded
// number of bands ahead of the slowest (kWriterLead), so with R writers band i is complete once
// the count reaches T_i = R (i + 1) + (R - 1) kWriterLead (capped at R nb, when everything has
// landed). WRITE acquires T_i - T_(i-1) before band i. With more band parts than a 6-bit lock
// holds (R nb > 63), the gathers also take one kMemLockSpace per band part and WRITE gives R back
// per band written, so the count never exceeds the space.
//
// kWriterLead: the cores of a column get their input bands from one broadcast, which runs at the
// pace of the slowest core's two input buffers, so a core computes at most 2 bands ahead of the
// slowest; its own two output buffers and one band in flight let the slowest core's landed count
// trail its computed count by at most 3. 6 leaves a margin.
constexpr uint32_t kWriterLead = 6;

// One part of a column's WRITE, on its own memtile MM2S channel, shim S2MM channel and locks: the
// channels [c0, c0 + cn) (relative to the slice) that core rows [row0, row0 + writers) produce,
// over bands [band0, band0 + bands). A slice goes out in two parts when the memtile has a second
// free MM2S channel and the shim a second S2MM channel (a memtile-to-shim stream carries
// stream.bandwidth, half of what the shim can write): split by core rows (each part has its own
// writers, both run from the first band), or, with one writer, into top and bottom bands.
struct WritePart {
  uint32_t band0 = 0, bands = 0;
  uint32_t row0 = 0, writers = 1;
  uint32_t c0 = 0, cn = 0;
  uint8_t mem_ch = 0, shim_ch = 0;
  uint8_t out_lock = kMemLockOut, space_lock = kMemLockSpace;
  bool per_band = false;  // WRITE band by band (else once every writer has landed all of the part)
  // Several writers: their gathers pass each band down the rows (writer j lands band i once
  // writer j - 1 has, lock kMemLockGather0 + row, and the last tells WRITE), so WRITE knows
  // exactly when a band is complete; only the first writer takes space.
  bool brigade = false;
  uint8_t space = 0;      // > 0: initial value of space_lock (the gathers acquire it per band)
  std::vector<uint32_t> acquire;  // per band of the part: what WRITE acquires on out_lock (per_band)
};


// Per-band acquires of a part (see kWriterLead); false when the first band would need more than
// a lock holds.
bool plan_bands(WritePart& w, const target::TargetModel& tm) {
  if (w.writers > 1 && w.row0 + w.writers <= kMemLocksUsed - kMemLockGather0 &&
      tm.locks(isa::TileKind::Mem) >= kMemLocksUsed) {
    w.brigade = true;
    w.space = w.bands > kMaxLockValue ? static_cast<uint8_t>(kMaxLockValue) : 0;
    w.acquire.assign(w.bands, 1);
    w.per_band = true;
    return true;
  }
  const uint64_t lead = w.writers > 1 ? kWriterLead : 0;
  if (w.writers + (w.writers - 1) * lead > kMaxLockValue) return false;
  const uint64_t total = uint64_t{w.writers} * w.bands;
  w.space = total > kMaxLockValue ? static_cast<uint8_t>(kMaxLockValue) : 0;
  uint64_t prev = 0;
  for (uint32_t i = 0; i < w.bands; ++i) {
    const uint64_t t = std::min<uint64_t>(uint64_t{w.writers} * (i + 1) + (w.writers - 1) * lead, total);
    w.acquire.push_back(static_cast<uint32_t>(t - prev));
    prev = t;
  }
  w.per_band = true;
  return true;
}

// The parts of column cw's WRITE. mem_chs: the memtile MM2S channels free for it (first: the one
// a single part uses).
std::vector<WritePart> write_parts(const LayerPlan& p, const ColumnWork& cw, const std::vector<uint8_t>& mem_chs,
                                   const target::TargetModel& tm) {
  const auto& row_oc = p.row_oc_of(cw);
  const auto writers = static_cast<uint32_t>(row_oc.size());
  WritePart whole;
  whole.bands = p.nb;
  whole.writers = writers;
  whole.cn = p.out_cp_of(cw);
  whole.mem_ch = mem_chs.at(0);
  std::vector<WritePart> parts{whole};
  // Two parts pay for their extra BDs and DDR latency only on slices of some size.
  const bool two = !p.skip_write && p.slice_out_bytes(cw) >= schedule::kTwoPartBytes && mem_chs.size() >= 2 &&
                   tm.channels(isa::TileKind::Shim, DmaDir::S2MM) >= 2 && tm.locks(isa::TileKind::Mem) > kMemLockSpace2;
  if (two && writers >= 2) {
    // Rows [0, h) and [h, writers), h balancing the channels.
    uint32_t h = 1;
    for (uint32_t k = 1; k < writers; ++k)
      if (2 * row_oc[k].first <= whole.cn) h = k;
    parts.assign(2, whole);
    parts[0].writers = h;
    parts[0].cn = row_oc[h].first;
    parts[1].row0 = h;
    parts[1].writers = writers - h;
    parts[1].c0 = row_oc[h].first;
    parts[1].cn = whole.cn - row_oc[h].first;
  } else if (two && p.nb >= 2) {
    parts.assign(2, whole);
    parts[0].bands = (p.nb + 1) / 2;
    parts[1].band0 = parts[0].bands;
    parts[1].bands = p.nb - parts[0].bands;
  }
  if (parts.size() == 2) {
    parts[1].mem_ch = mem_chs[1];
    parts[1].shim_ch = 1;
    parts[1].out_lock = kMemLockOut2;
    parts[1].space_lock = kMemLockSpace2;
  }
  if (p.skip_write || p.nb < 2) return parts;
  for (WritePart& w : parts)
    if (!plan_bands(w, tm)) return {whole};  // too many writers for one counting lock: written at the end
  return parts;
}

// WRITE: per part, memtile MM2S -> shim S2MM -> the part's box of the output buffer's interior.
void write_back(PhaseBuilder& b, const LayerPlan& p, const ColumnWork& cw, const TensorBuffer& y,
                const target::TargetModel& tm, const std::vector<WritePart>& parts) {
  if (p.skip_write) return;  // the next phase reads the slice from the memtile
  const TileId shim = tm.shim(cw.col), mem = tm.memtile(cw.col);
  const uint32_t pitch = p.out_cp_of(cw);
  const uint32_t band = p.bh * p.out_row_px(cw) * pitch;  // (rows of the slice: margin, then own pixels)
  for (const WritePart& w : parts) {
    if (w.out_lock != kMemLockOut) b.add_lock(mem, w.out_lock, 0);
    const uint64_t base = uint64_t{p.mem.y} + uint64_t{w.band0} * band + uint64_t{p.y_margin} * pitch + w.c0;
    // `rows` output rows of the part's channels, from base.
    auto box = [&](uint64_t addr, uint32_t rows) {
      return make_bd(addr, {DmaDim{w.cn, 1}, DmaDim{cw.wc(), static_cast<int32_t>(pitch)},
                            DmaDim{rows, static_cast<int32_t>(p.out_row_px(cw) * pitch)}});
    };
    if (w.per_band) {
      if (w.space) b.add_lock(mem, w.space_lock, w.space);
      // Consecutive bands that acquire the same amount share one BD (repetitions).
      const uint16_t first_id = b.next_bd_id(mem);
      std::vector<isa::BufferDescriptor> bds;
      for (uint32_t i = 0; i < w.bands;) {
        uint32_t n = 1;
        while (i + n < w.bands && w.acquire[i + n] == w.acquire[i]) ++n;
        const uint32_t a = w.acquire[i];
        const uint32_t give_back = w.brigade ? 1 : w.writers;  // the space the gathers took per band
        isa::BufferDescriptor bd = with_locks(box(base + uint64_t{i} * band, p.bh), a ? w.out_lock : isa::kNoLock,
                                              static_cast<uint8_t>(a), w.space ? w.space_lock : isa::kNoLock,
                                              static_cast<uint8_t>(w.space ? give_back : 0));
        bd.iter_count = n;
        bd.iter_stride = band;
        bds.push_back(bd);
        i += n;
      }
      for (size_t k = 0; k < bds.size(); ++k) {
        if (k + 1 < bds.size()) bds[k].next_bd = static_cast<int16_t>(first_id + k + 1);
        b.add_bd(mem, bds[k]);
      }
      b.add_task(mem, DmaDir::MM2S, w.mem_ch, first_id, static_cast<uint32_t>(bds.size()));
    } else {
      single(b, mem, DmaDir::MM2S, w.mem_ch,
             with_locks(box(base, w.bands * p.bh), w.out_lock, static_cast<uint8_t>(w.writers), isa::kNoLock, 0));
    }
    single(b, shim, DmaDir::S2MM, w.shim_ch,
           ddr_box(y, {y.ph + p.out_row0 + w.band0 * p.bh, y.pw}, cw.w0, cw.wc(), w.bands * p.bh, p.out_c0_of(cw) + w.c0,
                   w.cn));
    b.add_route(ep(mem, w.mem_ch), {ep(shim, w.shim_ch)});
  }
}

// WRITEFM: core MM2S0 ping-pong -> memtile S2MM(gather_ch), channels [oc0, oc1) of the slice;
// per WRITE part that row r writes into, one BD releasing the part's output lock per band (or
// once, see write_parts).
void gather(PhaseBuilder& b, const LayerPlan& p, const ColumnWork& cw, TileId core, const target::TargetModel& tm,
            uint32_t r, uint8_t gather_ch, const std::vector<WritePart>& parts) {
  const TileId mem = tm.memtile(cw.col);
  const auto [oc0, oc1] = p.row_oc_of(cw).at(r);
  const uint32_t pitch = p.out_cp_of(cw);
  const uint32_t out_c = oc1 - oc0;
  // Output or weight parts (LayerPlan::out_parts, weight_parts; equal parts): every band comes
  // part-major (part j's channels of every pixel, then part j + 1's), each part into its channels
  // of the slice; a slice written at the end then takes its bands one by one too. Output parts
  // leave the cores one by one from the two output buffers in turn.
  const uint32_t J = std::max(p.weight_parts, p.out_parts), cn = out_c / J;
  if (cn * J != out_c) throw std::logic_error("parts of " + p.name + ": unequal parts");
  const uint16_t start = ping_pong(b, core, p.core.out, p.out_parts > 1 ? p.bh * cw.wc() * cn : p.band_out_bytes(cw, r),
                                   kCoreOutCons, kCoreOutProd);
  b.add_task(core, DmaDir::MM2S, 0, start, p.out_parts > 1 ? p.out_parts : p.nb);
  const uint32_t band_bytes = p.bh * p.out_row_px(cw) * pitch;  // (rows of the slice: margin, own pixels)
  std::vector<const WritePart*> mine;
  for (const WritePart& w : parts)
    if (r >= w.row0 && r < w.row0 + w.writers) mine.push_back(&w);
  std::vector<isa::BufferDescriptor> all;
  for (size_t k = 0; k < mine.size(); ++k) {
    const WritePart& w = *mine[k];
    const uint32_t rows = w.per_band || J > 1 ? p.bh : w.bands * p.bh;
    int16_t acq = w.space ? w.space_lock : isa::kNoLock, rel = w.out_lock;
    if (w.brigade) {  // band i after the writer above has landed it; then tell the one below
      const uint32_t j = r - w.row0;
      if (j > 0) {
        acq = static_cast<int16_t>(kMemLockGather0 + r);
        b.add_lock(mem, static_cast<uint8_t>(kMemLockGather0 + r), 0);
      }
      if (j + 1 < w.writers) rel = static_cast<int16_t>(kMemLockGather0 + r + 1);
    }
    const uint64_t base = uint64_t{p.mem.y} + uint64_t{w.band0} * band_bytes + uint64_t{p.y_margin} * pitch + oc0;
    const auto row_pitch = static_cast<int32_t>(p.out_row_px(cw) * pitch);
    isa::BufferDescriptor bd = with_locks(
        J > 1 ? make_bd(base, {DmaDim{cn, 1}, DmaDim{cw.wc(), static_cast<int32_t>(pitch)}, DmaDim{rows, row_pitch},
                               DmaDim{J, static_cast<int32_t>(cn)}})
              : make_bd(base, {DmaDim{out_c, 1}, DmaDim{cw.wc(), static_cast<int32_t>(pitch)}, DmaDim{rows, row_pitch}}),
        acq, acq == isa::kNoLock ? 0 : 1, rel, 1);
    if (w.per_band) {
      bd.iter_count = w.bands;
      bd.iter_stride = band_bytes;
    } else if (J > 1 && w.bands > 1) {  // bands but the last without locks, the last releasing
      isa::BufferDescriptor head = with_locks(bd, isa::kNoLock, 0, isa::kNoLock, 0);
      head.iter_count = w.bands - 1;
      head.iter_stride = band_bytes;
      all.push_back(head);
      bd.addr += uint64_t{w.bands - 1} * band_bytes;
    }
    all.push_back(bd);
  }
  chain(b, mem, DmaDir::S2MM, gather_ch, std::move(all));
  b.add_route(ep(core, 0), {ep(mem, gather_ch)});
}

// (weight parts: the core acquires the weights once per part)
void core_locks(PhaseBuilder& b, TileId core, bool weights, bool operand_b, bool weights_ready = false,
                uint32_t w_parts = 1) {
  b.add_lock(core, kCoreInProd, 2);
  b.add_lock(core, kCoreInCons, 0);
  b.add_lock(core, kCoreOutProd, 2);
  b.add_lock(core, kCoreOutCons, 0);
  if (weights) b.add_lock(core, kCoreWCons, weights_ready ? static_cast<uint8_t>(w_parts) : 0);
  if (operand_b) {
    b.add_lock(core, kCoreBProd, 2);
    b.add_lock(core, kCoreBCons, 0);
  }
}

// in_init: bands of an input already resident in the memtile (see resident_lock).
void mem_locks(PhaseBuilder& b, TileId mem, uint8_t w_init = 0, uint8_t in_init = 0) {
  b.add_lock(mem, kMemLockIn, in_init);
  b.add_lock(mem, kMemLockW, w_init);
  b.add_lock(mem, kMemLockOut, 0);
}

// Rows served by memtile column m (schedule::weight_server).
std::vector<uint32_t> served_rows(uint32_t m, uint32_t rows, uint32_t columns) {
  std::vector<uint32_t> v;
  for (uint32_t r = 0; r < rows; ++r)
    if (schedule::weight_server(r, columns) == m) v.push_back(r);
  return v;
}

// What shim MM2S1 -> memtile S2MM1 carries in a phase, in order: the piece's own weights
// (released on kMemLockW with `own_release`), a fused add's residual slice, a prefetch of a
// later piece's weights (no lock). Each segment is one shim BD and its memtile BDs.
struct ShareLoad {
  uint64_t ddr = 0, bytes = 0;
  uint32_t slot = 0;
};
struct LoadSegment {
  isa::BufferDescriptor shim;
  std::vector<isa::BufferDescriptor> mem;
};
LoadSegment contiguous_load(const ShareLoad& l, int16_t rel_lock, uint8_t rel_value) {
  const DmaDim d{static_cast<uint32_t>(l.bytes), 1};
  return {make_bd(l.ddr, {d}), {with_locks(make_bd(l.slot, {d}), isa::kNoLock, 0, rel_lock, rel_value)}};
}
// Shim MM2S ch -> memtile m's S2MM ch: the segments chained in order, one route.
void channel_loads(PhaseBuilder& b, const target::TargetModel& tm, uint32_t m, uint8_t ch,
                   const std::vector<LoadSegment>& segs) {
  if (segs.empty()) return;
  std::vector<isa::BufferDescriptor> shim_bds, mem_bds;
  for (const LoadSegment& s : segs) {
    shim_bds.push_back(s.shim);
    mem_bds.insert(mem_bds.end(), s.mem.begin(), s.mem.end());
  }
  const TileId shim = tm.shim(m), mem = tm.memtile(m);
  chain(b, shim, DmaDir::MM2S, ch, shim_bds);
  chain(b, mem, DmaDir::S2MM, ch, mem_bds);
  b.add_route(StreamEndpoint{shim, ch}, {StreamEndpoint{mem, ch}});
}

uint64_t segment_bytes(const LoadSegment& s) { return s.shim.real_bytes_per_repetition() * s.shim.iter_count; }

// What shim MM2S0 / MM2S1 carry into each memtile in a phase: channel 0 the input LOAD (top part),
// channel 1 the piece's weights, a fused add's residual or a LOAD's bottom part, in that order.
// A prefetch of a later piece's weights (no lock: the next phase finds it) is cut in two at the
// byte that lets both channels finish together, its tail chained after channel 0's load.
struct ShimLoads {
  std::vector<std::vector<LoadSegment>> ch0, ch1;
  std::vector<ShareLoad> pf;
  bool ch0_taken = false;  // memtile S2MM0 carries something else (a halo): prefetch on channel 1 only
  ShimLoads(uint32_t columns, std::vector<ShareLoad> prefetch) : ch0(columns), ch1(columns), pf(std::move(prefetch)) {}

  void emit(PhaseBuilder& b, const target::TargetModel& tm) {
    for (uint32_t m = 0; m < ch0.size(); ++m) {
      const ShareLoad& f = pf.at(m);
      if (f.bytes > 0) {
        uint64_t b0 = 0, b1 = 0;
        for (const LoadSegment& s : ch0[m]) b0 += segment_bytes(s);
        for (const LoadSegment& s : ch1[m]) b1 += segment_bytes(s);
        // Bytes for channel 0: (b1 + P - b0) / 2, within [0, P], in whole 64-byte units.
        const int64_t want = (static_cast<int64_t>(b1) + static_cast<int64_t>(f.bytes) - static_cast<int64_t>(b0)) / 2;
        uint64_t tail = static_cast<uint64_t>(std::clamp<int64_t>(want, 0, static_cast<int64_t>(f.bytes))) / 64 * 64;
        if (tm.channels(isa::TileKind::Shim, DmaDir::MM2S) < 2 || tail < 4096 || ch0_taken) tail = 0;  // not worth a BD
        const uint64_t head = f.bytes - tail;
        if (head > 0) ch1[m].push_back(contiguous_load(ShareLoad{f.ddr, head, f.slot}, isa::kNoLock, 0));
        if (tail > 0)
          ch0[m].push_back(contiguous_load(ShareLoad{f.ddr + head, tail, static_cast<uint32_t>(f.slot + head)},
                                           isa::kNoLock, 0));
      }
      channel_loads(b, tm, m, 0, ch0[m]);
      channel_loads(b, tm, m, 1, ch1[m]);
    }
  }
};

// LOAD of column cw's input slice (channels [c0, c0 + pitch) of every pixel; `sub`: the rows and
// columns it reads, see ddr_box). A slice of schedule::kTwoPartBytes or more with two bands or more
// comes over both shim MM2S channels — unless channel 1 already carries what the phase needs
// first (its own weights, a residual), which the second part would wait behind:
// - `by_columns` (pools) and landing band by band: the left half of every row on channel 0
//   (releasing kMemLockIn per band), the right half on channel 1, whose band i waits for the left
//   half of band i and then releases kMemLockIn2, so every band arrives at both channels' rate
//   (split 0). (Convs gain nothing from it in the measured networks: their two halves wait on
//   each other band by band while channel 1 also carries a prefetch.)
// - otherwise: bands [0, split) on channel 0 releasing
//   kMemLockIn, bands [split, nb) on channel 1 releasing kMemLockIn2 (the rows both parts' edge
//   bands need come twice).
// A part that lands whole (not band by band) releases its lock by `readers`, one for each
// memtile channel that reads it. Returns split (nb: one part on channel 0). Readers take band_reads().
uint32_t load_slice(PhaseBuilder& b, const target::TargetModel& tm, ShimLoads& loads, const LayerPlan& p,
                    const ColumnWork& cw, const TensorBuffer& x, uint32_t c0, uint32_t pitch, uint32_t sub,
                    bool by_columns = false, uint8_t readers = 1, uint32_t first_pieces = 1) {
  if (p.in_resident[0]) return p.nb;
  const bool ch1_busy = !loads.ch1[cw.col].empty();
  const bool per_band = p.lands_per_band();
  const uint32_t band_stride = p.bh * p.sh * cw.wi * pitch, band = p.band_in_rows * cw.wi * pitch;
  const bool two = !ch1_busy && p.nb >= 2 && p.in_rows * cw.wi * pitch >= schedule::kTwoPartBytes &&
                   tm.channels(isa::TileKind::Shim, DmaDir::MM2S) >= 2;
  if (two && by_columns && per_band && cw.wi >= 2) {
    const uint32_t wl = cw.wi / 2, row_bytes = cw.wi * pitch, step_rows = p.bh * p.sh;
    const TileId mem = tm.memtile(cw.col);
    b.add_lock(mem, kMemLockIn2, 0);
    // Columns [col, col + ncols) of every row, band by band.
    auto land = [&](uint32_t col, uint32_t ncols, int16_t acq, uint8_t rel) {
      const uint64_t base = uint64_t{p.mem.x} + uint64_t{col} * pitch;
      isa::BufferDescriptor head = with_locks(
          make_bd(base, {DmaDim{ncols * pitch, 1}, DmaDim{p.band_in_rows, static_cast<int32_t>(row_bytes)}}), acq,
          acq == isa::kNoLock ? 0 : 1, rel, 1);
      isa::BufferDescriptor rest = with_locks(
          make_bd(base + uint64_t{p.band_in_rows} * row_bytes,
                  {DmaDim{ncols * pitch, 1}, DmaDim{step_rows, static_cast<int32_t>(row_bytes)}}),
          acq, acq == isa::kNoLock ? 0 : 1, rel, 1);
      rest.iter_count = p.nb - 1;
      rest.iter_stride = int64_t{step_rows} * row_bytes;
      return std::vector<isa::BufferDescriptor>{head, rest};
    };
    loads.ch0[cw.col].push_back(LoadSegment{ddr_box(x, p.in_off.at(0), cw.in_w0, wl, p.in_rows, c0, pitch, sub),
                                            land(0, wl, isa::kNoLock, kMemLockIn)});
    loads.ch1[cw.col].push_back(LoadSegment{ddr_box(x, p.in_off.at(0), cw.in_w0 + wl, cw.wi - wl, p.in_rows, c0, pitch, sub),
                                            land(wl, cw.wi - wl, kMemLockIn, kMemLockIn2)});
    return 0;
  }
  // By columns, landing whole (one band, or more than a lock counts): the left half of every
  // row on channel 0 releasing kMemLockIn, the right half on channel 1, whose last row waits for
  // the left half and then releases kMemLockIn2 once per reader; every reader's first band waits
  // for kMemLockIn2 (split 0).
  if (by_columns && !per_band && !ch1_busy && cw.wi >= 2 && p.in_rows >= 2 &&
      p.in_rows * cw.wi * pitch >= schedule::kTwoPartBytes && tm.channels(isa::TileKind::Shim, DmaDir::MM2S) >= 2) {
    const uint32_t wl = cw.wi / 2, row_bytes = cw.wi * pitch;
    b.add_lock(tm.memtile(cw.col), kMemLockIn2, 0);
    auto rows_bd = [&](uint32_t col, uint32_t ncols, uint32_t row0, uint32_t rows) {
      return make_bd(uint64_t{p.mem.x} + uint64_t{row0} * row_bytes + uint64_t{col} * pitch,
                     {DmaDim{ncols * pitch, 1}, DmaDim{rows, static_cast<int32_t>(row_bytes)}});
    };
    loads.ch0[cw.col].push_back(
        LoadSegment{ddr_box(x, p.in_off.at(0), cw.in_w0, wl, p.in_rows, c0, pitch, sub),
                    {with_locks(rows_bd(0, wl, 0, p.in_rows), isa::kNoLock, 0, kMemLockIn, 1)}});
    loads.ch1[cw.col].push_back(LoadSegment{
        ddr_box(x, p.in_off.at(0), cw.in_w0 + wl, cw.wi - wl, p.in_rows, c0, pitch, sub),
        {rows_bd(wl, cw.wi - wl, 0, p.in_rows - 1),
         with_locks(rows_bd(wl, cw.wi - wl, p.in_rows - 1, 1), kMemLockIn, 1, kMemLockIn2, readers)}});
    return 0;
  }
  const uint32_t split = two ? (p.nb + 1) / 2 : p.nb;
  const uint32_t top_rows = (split - 1) * p.bh * p.sh + p.band_in_rows;
  loads.ch0[cw.col].push_back(
      LoadSegment{ddr_box(x, p.in_off.at(0), cw.in_w0, cw.wi, top_rows, c0, pitch, sub),
                  landing_bds(p.mem.x, top_rows * cw.wi * pitch, band, band_stride, split, kMemLockIn, per_band,
                              readers, p.band_in_rows, first_pieces)});
  if (split < p.nb) {
    const uint32_t row0 = split * p.bh * p.sh;
    b.add_lock(tm.memtile(cw.col), kMemLockIn2, 0);
    loads.ch1[cw.col].push_back(LoadSegment{
        ddr_box(x, {p.in_off.at(0).first + row0 * sub, p.in_off.at(0).second}, cw.in_w0, cw.wi, p.in_rows - row0, c0,
                pitch, sub),
        landing_bds(uint64_t{p.mem.x} + uint64_t{row0} * cw.wi * pitch, (p.in_rows - row0) * cw.wi * pitch, band,
                    band_stride, p.nb - split, kMemLockIn2, per_band, readers)});
  }
  return split;
}

// LOAD of a chunk loop's input slice (LayerTiling::chunk_loop), chunk by chunk: chunk k's
// channels of every pixel of the slice (`pitch` channels per pixel from c0, chunks of p.in_c_p),
// landing at its channel offset, so the cores start on chunk 0 after a K-th of the slice. Over
// both shim MM2S channels when the slice is large enough and channel 1 carries nothing the phase
// needs first: even chunks on channel 0 (releasing kMemLockIn once each), odd ones on channel 1
// (kMemLockIn2), nb at a time: one for each band its readers send. Returns whether channel 1
// carries chunks.
bool load_chunks(PhaseBuilder& b, const target::TargetModel& tm, ShimLoads& loads, const LayerPlan& p,
                 const ColumnWork& cw, const TensorBuffer& x, uint32_t c0, uint32_t pitch, uint32_t sub,
                 uint32_t first_pieces = 1) {
  const bool two = loads.ch1[cw.col].empty() && p.in_rows * cw.wi * pitch >= schedule::kTwoPartBytes &&
                   tm.channels(isa::TileKind::Shim, DmaDir::MM2S) >= 2;
  if (two) b.add_lock(tm.memtile(cw.col), kMemLockIn2, 0);
  const uint32_t cc = p.in_c_p, pixels = p.in_rows * cw.wi;
  for (uint32_t k = 0; k < p.in_chunks; ++k) {
    const bool on1 = two && k % 2 == 1;
    const uint8_t lock = on1 ? kMemLockIn2 : kMemLockIn;
    const uint64_t base = uint64_t{p.mem.x} + uint64_t{k} * cc;
    auto land = [&](uint64_t at, uint32_t px, uint32_t reps, uint8_t value) {
      isa::BufferDescriptor bd =
          with_locks(make_bd(at, {DmaDim{cc, 1}, DmaDim{px, static_cast<int32_t>(pitch)}}), isa::kNoLock, 0, lock, value);
      bd.iter_count = reps;
      bd.iter_stride = int64_t{px} * pitch;
      return bd;
    };
    // Chunk 0 band by band (its first band's rows, then the rows each further band adds), so
    // the cores start once the first band's rows are in; later chunks whole, releasing nb.
    // (cut-through: chunk 0's first band in first_pieces row pieces, each releasing once)
    std::vector<isa::BufferDescriptor> mem;
    if (k == 0 && (first_pieces > 1 || p.nb > 1)) {
      for (uint32_t i = 0; i < first_pieces; ++i) {
        const auto [r0, r1] = schedule::split_even(p.band_in_rows, first_pieces, i);
        mem.push_back(land(base + uint64_t{r0} * cw.wi * pitch, (r1 - r0) * cw.wi, 1, 1));
      }
      if (p.nb > 1) {
        const uint32_t first = p.band_in_rows * cw.wi, step = p.bh * p.sh * cw.wi;
        mem.push_back(land(base + uint64_t{first} * pitch, step, p.nb - 1, 1));
      }
    } else {
      mem.push_back(land(base, pixels, 1, static_cast<uint8_t>(p.nb)));
    }
    (on1 ? loads.ch1 : loads.ch0)[cw.col].push_back(
        LoadSegment{ddr_box(x, p.in_off.at(0), cw.in_w0, cw.wi, p.in_rows, c0 + k * cc, cc, sub), std::move(mem)});
  }
  return two;
}

// The BDs that read bands [0, nb) of a loaded slice (`band`: band 0's BD, then every `stride`
// bytes), waiting on the LOAD's locks: kMemLockIn for bands before `split`, kMemLockIn2 from it
// (load_slice); per band when the slice lands band by band, else each part's first band waits
// for the whole part. `acquire` false: no lock (a reader later in a brigade sets its own).
std::vector<isa::BufferDescriptor> band_reads(const isa::BufferDescriptor& band, uint32_t stride, uint32_t nb,
                                              uint32_t split, bool per_band, uint32_t band_rows = 0,
                                              uint32_t first_pieces = 1) {
  std::vector<isa::BufferDescriptor> v;
  auto part = [&](uint32_t b0, uint32_t n, uint8_t lock) {
    if (n == 0) return;
    if (b0 == 0 && first_pieces > 1 && (per_band || n == 1)) {  // the first band piece by piece as it lands
      isa::BufferDescriptor first = band;
      first.acq_lock = static_cast<int16_t>(lock);
      first.acq_value = 1;
      for (const isa::BufferDescriptor& piece : split_rows(first, band_rows, first_pieces)) v.push_back(piece);
      ++b0;
      --n;
      if (n == 0) return;
    }
    auto bands = [&](uint32_t first, uint32_t count, bool acquire) {
      isa::BufferDescriptor bd = band;
      bd.addr += uint64_t{first} * stride;
      bd.acq_lock = acquire ? static_cast<int16_t>(lock) : isa::kNoLock;
      bd.acq_value = acquire ? 1 : 0;
      bd.iter_count = count;
      bd.iter_stride = stride;
      v.push_back(bd);
    };
    if (!per_band && n > 1) {
      bands(b0, 1, true);
      bands(b0 + 1, n - 1, false);
    } else {
      bands(b0, n, true);
    }
  };
  part(0, split, kMemLockIn);
  part(split, nb - split, kMemLockIn2);
  return v;
}

// The BDs with which core row r's memtile channel reads the bands of an input slice, from
// band_bd(first band, count, acquire) (which sets the row's pass lock release, if any): a slice
// already in the memtile without locks; else through the LOAD's locks (band_reads) or, where the
// bands pass down the rows (LayerPlan::rows_pass_bands), from the row before.
template <class BandBd>
std::vector<isa::BufferDescriptor> row_band_reads(const LayerPlan& p, uint32_t r, const BandBd& band_bd,
                                                  uint32_t band_stride, uint32_t split) {
  if (p.in_resident[0]) return {band_bd(0, p.nb, false)};
  if (r == 0 || !p.rows_pass_bands()) return band_reads(band_bd(0, 1, false), band_stride, p.nb, split, p.lands_per_band());
  return {band_bd(0, p.nb, true)};
}

// Halo residency (LayerPlan::x_halo): the input slice's rows are cw.x_w pixels of `pitch` bytes:
// a margin column, the producer column's own pixels, and with x_halo_r a second margin column.
// Margins with a neighbour column are filled at the start of the phase (every real row the bands
// read), releasing kMemLockIn2 by `release` each on this memtile; margins at the array's edges
// stay unfilled, the band BDs generate zero padding there instead (halo_band_reads).
uint32_t halo_rows(const LayerPlan& p, const TensorBuffer& x) { return std::min(p.in_rows - 1, x.h); }
bool has_col(const LayerPlan& p, uint32_t col) {
  return std::any_of(p.cols.begin(), p.cols.end(), [&](const ColumnWork& c) { return c.col == col; });
}
const ColumnWork& col_work(const LayerPlan& p, uint32_t col) {
  const auto it = std::find_if(p.cols.begin(), p.cols.end(), [&](const ColumnWork& c) { return c.col == col; });
  if (it == p.cols.end()) throw std::logic_error("halo residency: no column " + std::to_string(col) + " in " + p.name);
  return *it;
}
// Margins this column's phase fills (0, 1 or 2).
uint32_t halo_margins(const LayerPlan& p, const ColumnWork& cw) {
  return (cw.col > 0 && has_col(p, cw.col - 1) ? 1u : 0u) + (p.x_halo_r && has_col(p, cw.col + 1) ? 1u : 0u);
}
// Left margin only, as a stream: the west neighbour's MM2S `ch` sends its last own column onto
// this memtile's S2MM0.
void halo_copy(PhaseBuilder& b, const target::TargetModel& tm, const LayerPlan& p, const ColumnWork& cw,
               const TensorBuffer& x, uint32_t pitch, uint8_t ch, uint8_t release) {
  if (halo_margins(p, cw) == 0) return;
  const ColumnWork& west = col_work(p, cw.col - 1);
  const uint32_t rows = halo_rows(p, x);
  const TileId src = tm.memtile(west.col), mem = tm.memtile(cw.col);
  single(b, src, DmaDir::MM2S, ch,
         make_bd(uint64_t{p.mem.x} + uint64_t{west.x_w - 1} * pitch,
                 {DmaDim{pitch, 1}, DmaDim{rows, static_cast<int32_t>(west.x_w * pitch)}}));
  b.add_lock(mem, kMemLockIn2, 0);
  single(b, mem, DmaDir::S2MM, 0,
         with_locks(make_bd(p.mem.x, {DmaDim{pitch, 1}, DmaDim{rows, static_cast<int32_t>(cw.x_w * pitch)}}),
                    isa::kNoLock, 0, kMemLockIn2, release));
  b.add_route(ep(src, ch), {ep(mem, 0)});
}
// Both margins, by neighbour access (memtile channels 0..3 reach the west / east memories): this
// memtile's MM2S `ch` reads the west neighbour's last own column, then the east one's first,
// into its own S2MM0, which writes them into the margins (a loopback route).
void halo_copy_both(PhaseBuilder& b, const target::TargetModel& tm, const LayerPlan& p, const ColumnWork& cw,
                    const TensorBuffer& x, uint32_t pitch, uint8_t ch, uint8_t release) {
  if (halo_margins(p, cw) == 0) return;
  const uint64_t S = tm.memtile_memory_bytes();
  const uint32_t rows = halo_rows(p, x);
  const TileId mem = tm.memtile(cw.col);
  std::vector<isa::BufferDescriptor> rd, wr;
  auto column = [&](uint64_t addr, uint32_t row_px) {
    return make_bd(addr, {DmaDim{pitch, 1}, DmaDim{rows, static_cast<int32_t>(row_px * pitch)}});
  };
  if (cw.col > 0 && has_col(p, cw.col - 1)) {  // west's last own column -> the left margin
    const ColumnWork& w = col_work(p, cw.col - 1);
    rd.push_back(column(S + p.mem.x + uint64_t{w.x_w - 1 - (p.x_halo_r ? 1 : 0)} * pitch, w.x_w));
    wr.push_back(with_locks(column(p.mem.x, cw.x_w), isa::kNoLock, 0, kMemLockIn2, release));
  }
  if (p.x_halo_r && has_col(p, cw.col + 1)) {  // east's first own column -> the right margin
    const ColumnWork& e = col_work(p, cw.col + 1);
    rd.push_back(column(2 * S + p.mem.x + pitch, e.x_w));
    wr.push_back(with_locks(column(p.mem.x + uint64_t{cw.x_w - 1} * pitch, cw.x_w), isa::kNoLock, 0, kMemLockIn2,
                            release));
  }
  b.add_lock(mem, kMemLockIn2, 0);
  chain(b, mem, DmaDir::MM2S, ch, std::move(rd));
  chain(b, mem, DmaDir::S2MM, 0, std::move(wr));
  b.add_route(ep(mem, ch), {ep(mem, 0)});
}

// Halo residency: the BDs reading bands [0, nb) of such a slice, `inner` bytes of every pixel
// (the reader's channels) from `base` (the slice's first byte plus the channel offset): zero
// padding for the top row (band 0), the rows past the slice's (the last band), the left column
// at column 0 and the right one at the last column; band 0 waits for this column's margins
// (acquire: kMemLockIn2 by `per_margin` each; 0: no wait), the rest go on (the slice is there).
std::vector<isa::BufferDescriptor> halo_band_reads(const LayerPlan& p, const ColumnWork& cw, const TensorBuffer& x,
                                                   uint64_t base, uint32_t inner, uint32_t pitch, uint8_t per_margin) {
  const uint32_t row_bytes = cw.x_w * pitch, left = cw.col == 0 ? 1 : 0;
  const uint32_t right = p.x_halo_r && !has_col(p, cw.col + 1) ? 1 : 0;
  const uint64_t stride = uint64_t{p.bh} * p.sh;  // padded rows between bands
  // Band b reads padded rows [b * stride, + band_in_rows), real rows one less; runs of bands with
  // the same padding share a BD.
  auto pads = [&](uint32_t band) {
    const int64_t r0 = int64_t(band * stride) - 1, r1 = r0 + p.band_in_rows;
    return std::pair<uint32_t, uint32_t>{r0 < 0 ? uint32_t(-r0) : 0, r1 > int64_t(x.h) ? uint32_t(r1 - x.h) : 0};
  };
  std::vector<isa::BufferDescriptor> v;
  for (uint32_t b0 = 0; b0 < p.nb;) {
    uint32_t n = 1;
    while (b0 + n < p.nb && pads(b0 + n) == pads(b0)) ++n;
    const auto [top, bottom] = pads(b0);
    isa::BufferDescriptor bd;
    bd.addr = base + uint64_t{left} * pitch + (b0 == 0 ? 0 : (b0 * stride - 1) * row_bytes);
    bd.ndims = 3;  // (padding needs its dims: no merging)
    bd.dims[0] = DmaDim{inner, 1};
    bd.dims[1] = DmaDim{cw.wi - left - right, static_cast<int32_t>(pitch)};
    bd.dims[2] = DmaDim{p.band_in_rows - top - bottom, static_cast<int32_t>(row_bytes)};
    bd.pad_before[1] = static_cast<uint8_t>(left);
    bd.pad_after[1] = static_cast<uint8_t>(right);
    bd.pad_before[2] = static_cast<uint8_t>(top);
    bd.pad_after[2] = static_cast<uint8_t>(bottom);
    bd.iter_count = n;
    bd.iter_stride = static_cast<int64_t>(stride * row_bytes);
    const uint32_t margins = halo_margins(p, cw);
    if (b0 == 0 && per_margin && margins)
      bd = with_locks(bd, kMemLockIn2, static_cast<uint8_t>(per_margin * margins), isa::kNoLock, 0);
    v.push_back(bd);
    b0 += n;
  }
  return v;
}

// The prefetch a phase carries (wio.pf_*), as per-memtile loads; empty when none.
std::vector<ShareLoad> prefetch_loads(const LayerPlan& p, const schedule::DdrPlan& ddr, uint32_t columns) {
  std::vector<ShareLoad> v(columns);
  if (p.wio.pf_node < 0) return v;
  const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.wio.pf_node));
  if (p.wio.pf_col_groups) {  // memtile m: the whole group its column will compute
    for (uint32_t m = 0; m < columns; ++m) {
      const size_t gi = static_cast<size_t>(p.wio.pf_group) + size_t{m} * p.wio.pf_stride;
      if (gi < lw.groups.size()) v[m] = ShareLoad{lw.groups[gi].ddr_addr, lw.groups[gi].bytes, p.wio.pf_addr};
    }
    return v;
  }
  const schedule::WeightGroup& wg = lw.groups.at(static_cast<size_t>(p.wio.pf_group));
  for (uint32_t m = 0; m < columns; ++m)
    v[m] = p.wio.pf_whole ? ShareLoad{wg.ddr_addr, wg.bytes, p.wio.pf_addr}  // fused add: every memtile all of it
                          : ShareLoad{wg.share_addr.at(m), wg.share_bytes.at(m), p.wio.pf_addr};
  return v;
}

// Memtile MM2S channels for WRITE: `first`, then the lowest channel above `used` (channels
// 0..used are taken by bands and weights) that is not `first`, if the memtile has one.
std::vector<uint8_t> write_channels(const target::TargetModel& tm, uint32_t first, uint32_t used) {
  std::vector<uint8_t> v{static_cast<uint8_t>(first)};
  for (uint32_t ch = used + 1; ch < tm.channels(isa::TileKind::Mem, DmaDir::MM2S); ++ch)
    if (ch != first) {
      v.push_back(static_cast<uint8_t>(ch));
      break;
    }
  return v;
}

std::string band_label(const LayerPlan& p, uint32_t band) { return p.name + " band " + std::to_string(band); }

// The conv op of one band: input band in_w columns wide at the band's ping-pong buffer, output
// band out_w columns at out_addr, the blob at the core's weights; with an input-channel split the
// band's partial sums (First / Middle / Last by the piece's chunk; chunk loop: by `chunk`, whose
// blob is in weight buffer chunk % 2); output parts: part `chunk` of the blob's output channels.
// A gate conv (`gate`: its mul's requantisation) runs the band as a mul op instead: the gate slice
// is the blob, the band's channels [oc_begin, oc_end) of every pixel are the input.
isa::CoreOp band_conv(const ir::Node& n, const LayerPlan& p, const schedule::WeightBlob& blob, uint32_t band,
                      uint32_t in_w, uint32_t out_w, uint32_t out_addr, uint32_t chunk = 0,
                      const isa::MulArgs* gate = nullptr) {
  const bool parts = p.out_parts > 1;  // (output parts: `chunk` is the part, in weight buffer chunk % 2;
                                       // weight parts: the part of the resident blob)
  isa::CoreOp op;
  op.kind = isa::CoreOpKind::Conv;
  isa::ConvArgs& a = op.conv;
  a.in_addr = p.core.in[((p.chunk_loop ? chunk : 0) * p.nb + band) % 2];  // (chunk loop: the bands of every chunk alternate)
  a.in_h = p.band_in_rows;
  a.in_w = in_w;
  a.in_c = p.in_c_p;
  a.out_addr = out_addr;
  a.out_h = p.bh;
  a.out_w = out_w;
  a.out_c = blob.out_c();
  a.w_addr = p.core.weights;
  a.qp_addr = p.core.weights + blob.compact_bytes;
  if (p.chunk_loop || parts) {
    a.w_addr = chunk % 2 ? p.core.weights2 : p.core.weights;
    a.qp_addr = a.w_addr + blob.chunks.at(chunk).compact_bytes;
  }
  if (parts) {
    a.in_addr = p.core.in[0];
    a.out_c = blob.chunks.at(chunk).oc1 - blob.chunks.at(chunk).oc0;
  }
  if (p.weight_parts > 1) {  // part `chunk` of the resident blob, into its part of the output band
    const schedule::WeightBlob::Chunk& c = blob.chunks.at(chunk);
    a.w_addr = p.core.weights + c.off;
    a.qp_addr = a.w_addr + c.compact_bytes;
    a.out_c = c.oc1 - c.oc0;
    a.out_addr = out_addr + p.bh * out_w * c.oc0;
  }
  a.kh = static_cast<uint8_t>(p.kh);
  a.kw = static_cast<uint8_t>(p.kw);
  a.stride_h = static_cast<uint8_t>(p.sh);
  a.stride_w = static_cast<uint8_t>(p.sw);
  a.relu = ir::conv_relu(n) ? 1 : 0;
  if (p.acc_split()) {  // this band's partial sums, kept in the core between the chunk pieces
    const uint32_t k = p.chunk_loop ? chunk : p.in_chunk;
    a.acc_mode = k == 0 ? isa::ConvAcc::First : k + 1 == p.in_chunks ? isa::ConvAcc::Last : isa::ConvAcc::Middle;
    a.acc_addr = p.core.acc + band * static_cast<uint32_t>(isa::conv_acc_bytes(a));
    if (p.weight_parts > 1)  // (the band's sums part-major, as its output)
      a.acc_addr = p.core.acc + (band * blob.out_c() + blob.chunks.at(chunk).oc0) * p.bh * out_w * 4;
  }
  if (p.dw) {  // the depthwise kernel: the blob's channels of the band (schedule::dw_blob)
    op.kind = isa::CoreOpKind::DwConv;
    a.c0 = blob.oc_begin;
    a.qp_addr = a.w_addr + blob.compact_bytes;
  }
  if (ir::has_fused_lut(n)) {  // the table after the requant records (schedule::make_blob)
    a.lut = 1;
    a.lut_addr = a.qp_addr + isa::kRequantRecordBytes * a.out_c;
  }
  op.label = band_label(p, band);
  if (gate) {
    if (a.in_h != a.out_h || a.in_w != a.out_w)
      throw compiler::CompileError("layer " + n.name + ": a mul's band must be its output's pixels");
    isa::CoreOp m;
    m.kind = isa::CoreOpKind::Mul;
    m.mul = *gate;
    m.mul.in_addr = a.in_addr + blob.oc_begin;
    m.mul.in_pitch = a.in_c;
    m.mul.out_addr = a.out_addr;
    m.mul.g_addr = a.w_addr;
    m.mul.pixels = a.out_h * a.out_w;
    m.mul.c = a.out_c;
    m.label = op.label;
    return m;
  }
  return op;
}

void lower_conv(PhaseBuilder& b, const ir::Graph& g, const LayerPlan& p, const schedule::DdrPlan& ddr,
                const target::TargetModel& tm, isa::Phase& phase) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(p.node));
  const TensorBuffer& x = ddr.tensors.at(static_cast<size_t>(n.inputs.at(0)));
  const TensorBuffer& y = ddr.tensors.at(static_cast<size_t>(p.node));
  const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.node));
  const uint32_t C = tm.columns();
  ShimLoads loads(C, prefetch_loads(p, ddr, C));
  loads.ch0_taken = p.x_halo;  // (S2MM0 takes the halo)
  std::vector<bool> working(C, false);
  for (const ColumnWork& cw : p.cols) working[cw.col] = true;
  auto group_of = [&](const ColumnWork& cw) -> const schedule::WeightGroup& {
    return lw.groups.at(static_cast<size_t>(p.group_of(cw)));
  };
  // Gate conv: its mul ops' requantisation (as the reference's conv: in_scale * gate_scale / out_scale).
  isa::MulArgs gate_rq;
  if (p.gate) {
    const ir::Requant r = ir::make_requant(double{g.nodes.at(static_cast<size_t>(n.inputs.at(0))).out_scale} *
                                           double{n.weight_scales.at(0)} / double{n.out_scale});
    gate_rq.mult = r.mult;
    gate_rq.shift = r.shift;
  }
  const isa::MulArgs* gate = p.gate ? &gate_rq : nullptr;
  // Fused add: (conv output, residual) multipliers, from the add's own operand order.
  ir::RequantPair res_rq;
  if (p.fused) {
    const double sy = n.out_scale, sc = n.pre_add_scale;
    const double sr = g.nodes.at(static_cast<size_t>(n.inputs.at(1))).out_scale;
    const ir::RequantPair pr = n.residual_first ? ir::make_requant_pair(sr / sy, sc / sy) : ir::make_requant_pair(sc / sy, sr / sy);
    res_rq = pr;
    if (n.residual_first) std::swap(res_rq.mult_a, res_rq.mult_b);
  }

  const TensorBuffer* res = p.fused ? &ddr.tensors.at(static_cast<size_t>(n.inputs.at(1))) : nullptr;
  if (p.own_weights()) {
    // Column groups, or a fused add: memtile c loads its column's whole group (LOADW) and sends
    // each row's blob to that row's core of its own column (LOADWM); with a fused add the same
    // channel then sends that core its channels of every residual band.
    for (uint32_t m = 0; m < C; ++m) {
      if (!working[m]) continue;
      const ColumnWork& cw = *std::find_if(p.cols.begin(), p.cols.end(), [&](const ColumnWork& c) { return c.col == m; });
      const schedule::WeightGroup& wg = group_of(cw);
      const TileId mem = tm.memtile(m);
      const auto nrows = static_cast<uint8_t>(wg.count);
      mem_locks(b, mem, p.wio.load_w ? 0 : nrows, resident_lock(p, 0));
      std::vector<LoadSegment> segs;
      if (p.wio.load_w) segs.push_back(contiguous_load(ShareLoad{wg.ddr_addr, wg.bytes, p.mem.w}, kMemLockW, nrows));
      const bool res_per_band = p.lands_per_band();
      const uint32_t pitch = p.out_cp_of(cw), res_band = p.bh * cw.wc() * pitch;
      if (res) {
        // The residual slice lands in mem.r (band by band when the bands fit a lock) and passes
        // down the core rows' channels like a bucket brigade: row r's channel sends band i once
        // kMemLockRes0 + r says it may (landed, or row r - 1 has sent it) and then tells row r + 1.
        // A resident residual (left by an earlier phase) has landed already: every row sends its
        // bands at its own pace (a brigade would hold row r a band behind row r - 1, and the
        // input bands, broadcast to all rows, would wait for the last).
        for (uint32_t r = 0; r <= wg.count && !p.in_resident[1]; ++r)
          b.add_lock(mem, static_cast<uint8_t>(kMemLockRes0 + r), 0);
        if (!p.in_resident[1])
          segs.push_back(LoadSegment{ddr_box(*res, {res->ph + p.out_row0, res->pw}, cw.w0, cw.wc(), p.out_h,
                                             p.out_c0_of(cw), pitch),
                                     landing_bds(p.mem.r, p.slice_out_bytes(cw), res_band, res_band, p.nb, kMemLockRes0,
                                                 res_per_band)});
      }
      loads.ch1[m] = std::move(segs);
      for (uint32_t r = 0; r < wg.count; ++r) {
        const schedule::WeightBlob& blob = lw.rows.at(wg.first + r);
        std::vector<isa::BufferDescriptor> bds;
        const uint64_t at = p.mem.w + (blob.ddr_addr - wg.ddr_addr);
        // (chunk loop: the core's BDs take the blob chunk by chunk as it frees a weight buffer)
        if (p.wio.load_wm) bds.push_back(with_locks(make_bd(at, {DmaDim{blob.bytes(), 1}}), kMemLockW, 1, isa::kNoLock, 0));
        if (res) {
          const auto [oc0, oc1] = p.row_oc_of(cw).at(r);
          const auto acq = static_cast<uint8_t>(kMemLockRes0 + r);
          const int16_t rel =
              r + 1 < wg.count && !p.in_resident[1] ? static_cast<int16_t>(kMemLockRes0 + r + 1) : isa::kNoLock;
          auto band_bd = [&](uint32_t band0, uint32_t count, bool acquire) {
            // (weight parts: part-major, as the conv's output band)
            const uint32_t J = p.weight_parts, cn = (oc1 - oc0) / J;
            const uint64_t at = uint64_t{p.mem.r} + uint64_t{band0} * res_band + oc0;
            isa::BufferDescriptor bd = with_locks(
                J > 1 ? make_bd(at, {DmaDim{cn, 1}, DmaDim{cw.wc(), static_cast<int32_t>(pitch)},
                                     DmaDim{p.bh, static_cast<int32_t>(cw.wc() * pitch)}, DmaDim{J, static_cast<int32_t>(cn)}})
                      : make_bd(at, {DmaDim{oc1 - oc0, 1}, DmaDim{cw.wc(), static_cast<int32_t>(pitch)},
                                     DmaDim{p.bh, static_cast<int32_t>(cw.wc() * pitch)}}),
                acquire ? static_cast<int16_t>(acq) : isa::kNoLock, acquire ? 1 : 0, rel, rel == isa::kNoLock ? 0 : 1);
            bd.iter_count = count;
            bd.iter_stride = res_band;
            return bd;
          };
          if (p.in_resident[1]) {
            bds.push_back(band_bd(0, p.nb, false));
          } else if (r == 0 && !res_per_band && p.nb > 1) {  // the whole slice lands before its first band goes
            bds.push_back(band_bd(0, 1, true));
            bds.push_back(band_bd(1, p.nb - 1, false));
          } else {
            bds.push_back(band_bd(0, p.nb, true));
          }
        }
        chain(b, mem, DmaDir::MM2S, static_cast<uint8_t>(1 + r), bds);
        if (!bds.empty()) b.add_route(ep(mem, 1 + r), {ep(tm.core(m, r), 1)});
      }
    }
  } else {
    // Width split: memtile m loads its share of the group (LOADW, unless already there)
    // and broadcasts each served row's blob along that core row to every working column
    // (LOADWM, unless the cores still hold it). A memtile that only prefetches gets just the load.
    const schedule::WeightGroup& wg = lw.groups.at(static_cast<size_t>(p.group));
    const uint32_t rows = p.rows();
    for (uint32_t m = 0; m < C; ++m) {
      const TileId mem = tm.memtile(m);
      const std::vector<uint32_t> served = served_rows(m, rows, C);
      const auto nserved = static_cast<uint8_t>(served.size());
      if (working[m])
        mem_locks(b, mem, p.wio.load_w ? 0 : nserved, resident_lock(p, 0));
      else if (!served.empty())
        b.add_lock(mem, kMemLockW, p.wio.load_w ? 0 : nserved);
      const ShareLoad own{wg.share_addr.at(m), wg.share_bytes.at(m), p.mem.w};
      if (p.wio.load_w && own.bytes > 0) loads.ch1[m].push_back(contiguous_load(own, kMemLockW, nserved));
      if (!p.wio.load_wm) continue;
      for (size_t j = 0; j < served.size(); ++j) {
        const uint32_t r = served[j];
        const schedule::WeightBlob& blob = lw.rows.at(wg.first + r);
        // (chunk loop: the cores' BDs take the blob chunk by chunk as they free a weight buffer)
        const uint64_t at = p.mem.w + (blob.ddr_addr - wg.share_addr.at(m));
        single(b, mem, DmaDir::MM2S, static_cast<uint8_t>(1 + j),
               with_locks(make_bd(at, {DmaDim{blob.bytes(), 1}}), kMemLockW, 1, isa::kNoLock, 0));
        std::vector<StreamEndpoint> dsts;
        for (const ColumnWork& cw : p.cols) dsts.push_back(ep(tm.core(cw.col, r), 1));
        b.add_route(ep(mem, 1 + j), dsts);
      }
    }
  }

  for (const ColumnWork& cw : p.cols) {
    const TileId mem = tm.memtile(cw.col);
    // LOAD: input slice with its halo, landing band by band.
    const schedule::WeightGroup& wg = group_of(cw);
    const uint32_t rows = p.rows_of(cw);
    const uint32_t xp = p.slice_cp_of(cw);  // channels per pixel of the memtile slice
    // A subsampled conv reading another phase's resident slice takes every s-th pixel of it.
    const uint32_t step = cw.x_w ? p.subsample : 1, xw = cw.x_w ? cw.x_w : cw.wi;
    const uint32_t row_bytes = step * xw * xp;  // between the rows the bands read
    const uint32_t band_stride = p.bh * p.sh * row_bytes;
    // LOAD chunk by chunk, not band by band (when a lock can count every chunk's bands)
    const bool by_chunks = p.chunk_loop && !p.in_resident[0] && p.nb * p.in_chunks <= kMaxLockValue;
    // Cut-through of the first band (kFirstBandPieces) where the input lock can count its pieces
    // beside every band's release.
    const uint32_t landings = by_chunks ? p.nb * p.in_chunks : p.lands_per_band() ? p.nb : 1;
    const uint32_t pieces =
        p.in_resident[0] || p.x_halo || (!by_chunks && !p.lands_per_band() && p.nb > 1)
            ? 1
            : std::max(1u, std::min({kFirstBandPieces, p.band_in_rows, kMaxLockValue + 1 - landings,
                                     p.band_in_bytes(cw) / kFirstPieceBytes}));
    const bool chunks_two = by_chunks && load_chunks(b, tm, loads, p, cw, x, p.slice_c0_of(cw), xp, p.subsample, pieces);
    const uint32_t split =
        by_chunks ? p.nb : load_slice(b, tm, loads, p, cw, x, p.slice_c0_of(cw), xp, p.subsample, false, 1, pieces);
    // WRITE: on channel rows + 1, and a second one past the weight channels (and a halo's) if
    // there is one. Halo residency: every memtile sends its last column east on the channel after
    // its weights' (the same on every memtile when they serve as many rows).
    const auto weight_chs_of = [&](uint32_t m) {
      return p.fused             ? rows  // blobs and residual bands, one channel per row
             : !p.wio.load_wm    ? 0
             : p.col_groups      ? rows
                                 : static_cast<uint32_t>(served_rows(m, p.rows(), C).size());
    };
    const uint32_t weight_chs = weight_chs_of(cw.col);
    if (p.x_halo) {  // the margins, on the channel after the weights' (0..3: neighbour access)
      const uint32_t ch = weight_chs + 1;
      if (ch >= rows + 1 || ch > 3) throw std::logic_error("halo residency: no memtile MM2S channel for the margins of " + p.name);
      halo_copy_both(b, tm, p, cw, x, xp, static_cast<uint8_t>(ch), 1);
    }
    const std::vector<WritePart> wparts =
        write_parts(p, cw, write_channels(tm, rows + 1, weight_chs + (p.x_halo ? 1 : 0)), tm);
    // LOADFM: bands broadcast to every working core of the column.
    // (an input-channel split's piece: its chunk of every pixel of the band)
    // (chunk loop: every band once per chunk; the first chunk's bands wait for the LOAD)
    const bool strided = p.x_cp || cw.x_w;
    const auto band0 = [&](uint32_t c0) {
      return strided ? make_bd(uint64_t{p.mem.x} + (p.x_cp ? c0 - p.x_c0 : 0) + uint64_t{cw.x_off} * xp,
                               {DmaDim{p.in_c_p, 1}, DmaDim{cw.wi, static_cast<int32_t>(step * xp)},
                                DmaDim{p.band_in_rows, static_cast<int32_t>(row_bytes)}})
                     : make_bd(p.mem.x, {DmaDim{p.band_in_bytes(cw), 1}});
    };
    // (loaded chunk by chunk: every band of a chunk takes one of the nb the chunk's LOAD
    // released, load_chunks; halo residency: halo_band_reads per chunk, the first waiting for
    // the margin)
    std::vector<isa::BufferDescriptor> fm;
    if (p.x_halo) {
      for (uint32_t k = 0; k < (p.chunk_loop ? p.in_chunks : 1); ++k)
        for (const isa::BufferDescriptor& bd :
             halo_band_reads(p, cw, x, uint64_t{p.mem.x} + (p.in_c0 + k * p.in_c_p - p.x_c0), p.in_c_p, xp, k == 0 ? 1 : 0))
          fm.push_back(bd);
    } else if (!by_chunks) {
      fm = band_reads(band0(p.in_c0), band_stride, p.nb, split, p.lands_per_band(), p.band_in_rows, pieces);
    }
    for (uint32_t k = by_chunks ? 0 : 1; p.chunk_loop && !p.x_halo && k < p.in_chunks; ++k) {
      const uint8_t lock = chunks_two && k % 2 == 1 ? kMemLockIn2 : kMemLockIn;
      isa::BufferDescriptor bd = band0(p.in_c0 + k * p.in_c_p);
      if (by_chunks) bd = with_locks(bd, lock, 1, isa::kNoLock, 0);
      if (by_chunks && k == 0 && pieces > 1) {  // (cut-through: chunk 0's first band piece by piece)
        for (const isa::BufferDescriptor& piece : split_rows(bd, p.band_in_rows, pieces)) fm.push_back(piece);
        if (p.nb == 1) continue;
        bd.addr += band_stride;
        bd.iter_count = p.nb - 1;
        bd.iter_stride = band_stride;
        fm.push_back(bd);
        continue;
      }
      bd.iter_count = p.nb;
      bd.iter_stride = band_stride;
      fm.push_back(bd);
    }
    chain(b, mem, DmaDir::MM2S, 0, std::move(fm));
    std::vector<StreamEndpoint> fm_dsts;
    for (uint32_t r = 0; r < rows; ++r) fm_dsts.push_back(ep(tm.core(cw.col, r), 0));
    b.add_route(ep(mem, 0), fm_dsts);
    for (uint32_t r = 0; r < rows; ++r) {
      const TileId core = tm.core(cw.col, r);
      const schedule::WeightBlob& blob = lw.rows.at(wg.first + r);
      core_locks(b, core, true, false, !p.wio.load_wm, p.weight_parts);
      // S2MM1: the weights (unless held), then with a fused add the residual bands, ping-pong.
      // Chunk loop: chunk after chunk into the two weight buffers in turn.
      if (p.chunk_loop || p.out_parts > 1) {
        b.add_lock(core, kCoreWProd, 2);
        std::vector<isa::BufferDescriptor> bds;
        for (uint32_t k = 0; k < blob.chunks.size(); ++k)
          bds.push_back(with_locks(make_bd(k % 2 ? p.core.weights2 : p.core.weights, {DmaDim{blob.chunks[k].bytes, 1}}),
                                   kCoreWProd, 1, kCoreWCons, 1));
        chain(b, core, DmaDir::S2MM, 1, std::move(bds));
      } else {
        const uint16_t w_id = b.next_bd_id(core);
        // (weight parts: part after part, each telling the core it has landed)
        const auto wparts_n = static_cast<uint32_t>(p.weight_parts > 1 ? blob.chunks.size() : 1);
        if (p.wio.load_wm) {
          for (uint32_t j = 0; j < wparts_n; ++j) {
            isa::BufferDescriptor wbd =
                p.weight_parts > 1 ? with_locks(make_bd(p.core.weights + blob.chunks[j].off, {DmaDim{blob.chunks[j].bytes, 1}}),
                                           isa::kNoLock, 0, kCoreWCons, 1)
                              : with_locks(make_bd(p.core.weights, {DmaDim{blob.bytes(), 1}}), isa::kNoLock, 0, kCoreWCons, 1);
            if (p.fused || j + 1 < wparts_n) wbd.next_bd = static_cast<int16_t>(w_id + j + 1);
            b.add_bd(core, wbd);
          }
        }
        if (p.fused) {
          b.add_lock(core, kCoreResProd, 2);
          b.add_lock(core, kCoreResCons, 0);
          ping_pong(b, core, p.core.res, p.band_out_bytes(cw, r), kCoreResProd, kCoreResCons);
        }
        if (p.wio.load_wm || p.fused)
          b.add_task(core, DmaDir::S2MM, 1, w_id, (p.wio.load_wm ? wparts_n : 0) + (p.fused ? p.nb : 0));
      }
      // Input bands, ping-pong.
      const uint32_t loops = p.chunk_loop ? p.in_chunks : 1;
      const uint16_t in_start = ping_pong(b, core, p.core.in, p.band_in_bytes(cw), kCoreInProd, kCoreInCons);
      b.add_task(core, DmaDir::S2MM, 0, in_start, p.nb * loops);
      // COMP (chunk loop: chunk by chunk, each waiting for its blob and freeing its buffer after).
      isa::CoreProgram& prog = b.core_program(core);
      if (p.out_parts > 1) {
        // Output parts: the one band stays while part after part of the blob passes.
        prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreInCons, 1));
        for (uint32_t j = 0; j < blob.chunks.size(); ++j) {
          prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreWCons, 1));
          prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreOutProd, 1));
          prog.ops.push_back(band_conv(n, p, blob, 0, cw.wi, cw.wc(), p.core.out[j % 2], j, gate));
          prog.ops.back().label += " part " + std::to_string(j);
          prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreWProd, 1));
          prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreOutCons, 1));
        }
        prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreInProd, 1));
        gather(b, p, cw, core, tm, r, static_cast<uint8_t>(2 + r), wparts);
        continue;
      }
      for (uint32_t chunk = 0; chunk < loops; ++chunk) {
        if (p.weight_parts <= 1) prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreWCons, 1));
        const bool out = p.writes_output() && chunk + 1 == loops;
        for (uint32_t band = 0; band < p.nb; ++band) {
          prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreInCons, 1));
          if (p.fused) prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreResCons, 1));
          if (out) prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreOutProd, 1));
          if (p.weight_parts > 1) {
            // Weight parts: one conv per part, the first band's each as soon as its part has landed.
            for (uint32_t j = 0; j < blob.chunks.size(); ++j) {
              if (band == 0) prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreWCons, 1));
              prog.ops.push_back(
                  band_conv(n, p, blob, band, cw.wi, cw.wc(), p.fused ? p.core.tmp : p.core.out[band % 2], j, gate));
              prog.ops.back().label += " part " + std::to_string(j);
            }
          } else {
            prog.ops.push_back(
                band_conv(n, p, blob, band, cw.wi, cw.wc(), p.fused ? p.core.tmp : p.core.out[band % 2], chunk, gate));
          }
          if (loops > 1) prog.ops.back().label += " chunk " + std::to_string(chunk);
          if (p.fused) {  // the residual add, exactly the Add the graph had
            isa::CoreOp add;
            add.kind = isa::CoreOpKind::Add;
            add.add.a_addr = p.core.tmp;
            add.add.b_addr = p.core.res[band % 2];
            add.add.out_addr = p.core.out[band % 2];
            add.add.n = p.band_out_bytes(cw, r);
            add.add.mult_a = res_rq.mult_a;
            add.add.mult_b = res_rq.mult_b;
            add.add.shift = res_rq.shift;
            add.add.relu = n.relu ? 1 : 0;
            add.label = band_label(p, band) + " add";
            prog.ops.push_back(add);
          }
          prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreInProd, 1));
          if (p.fused) prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreResProd, 1));
          if (out) prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreOutCons, 1));
        }
        if (p.chunk_loop) prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreWProd, 1));
      }
      // WRITEFM (input-channel split: the last chunk only).
      if (p.writes_output()) gather(b, p, cw, core, tm, r, static_cast<uint8_t>(2 + r), wparts);
    }
    // WRITE as the rows' channels land.
    if (p.writes_output()) write_back(b, p, cw, y, tm, wparts);
  }
  loads.emit(b, tm);
  for (const ColumnWork& cw : p.cols) {
    const schedule::WeightGroup& wg = group_of(cw);
    const uint64_t pixels = uint64_t{p.out_h} * cw.wc() * p.kh * p.kw;
    for (uint32_t r = 0; r < wg.count; ++r) {
      const schedule::WeightBlob& blob = lw.rows.at(wg.first + r);
      phase.dense_macs += uint64_t{blob.grid_blocks} * blob.macs_per_block * pixels;
      phase.actual_macs += uint64_t{blob.nnz} * blob.macs_per_block * pixels;
    }
  }
}

// Pixel rows: every core of a column computes all of the group's channels for its own columns
// (ColumnWork::row_w). The group's single blob goes from memtile 0 to every core on one
// broadcast; core row r reads its columns of every band on memtile MM2S r (the bands passed down
// the rows' channels, as for pools); its output lands in its columns of the slice, and the rows'
// gathers pass each band down the rows too, so WRITE knows exactly when a band is complete.
void lower_conv_pixel(PhaseBuilder& b, const ir::Graph& g, const LayerPlan& p, const schedule::DdrPlan& ddr,
                      const target::TargetModel& tm, isa::Phase& phase) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(p.node));
  const TensorBuffer& x = ddr.tensors.at(static_cast<size_t>(n.inputs.at(0)));
  const TensorBuffer& y = ddr.tensors.at(static_cast<size_t>(p.node));
  const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.node));
  const schedule::WeightGroup& wg = lw.groups.at(static_cast<size_t>(p.group));
  const schedule::WeightBlob& blob = lw.rows.at(wg.first);
  const uint32_t C = tm.columns(), rows = p.rows();
  const auto w_ch = static_cast<uint8_t>(rows);       // memtile 0: the weight broadcast
  const auto write_ch = static_cast<uint8_t>(rows + 1);
  ShimLoads loads(C, prefetch_loads(p, ddr, C));
  std::vector<bool> working(C, false);
  for (const ColumnWork& cw : p.cols) working[cw.col] = true;

  // Weights: memtile 0 holds the group (its share is all of it).
  std::vector<StreamEndpoint> w_dsts;
  for (const ColumnWork& cw : p.cols)
    for (uint32_t r = 0; r < cw.row_w.size(); ++r) w_dsts.push_back(ep(tm.core(cw.col, r), 1));
  for (uint32_t m = 0; m < C; ++m) {
    const TileId mem = tm.memtile(m);
    const uint8_t w_init = m == 0 && !p.wio.load_w ? 1 : 0;
    if (working[m])
      mem_locks(b, mem, w_init, resident_lock(p, 0));
    else if (m == 0)
      b.add_lock(mem, kMemLockW, w_init);
    const ShareLoad own{wg.share_addr.at(0), wg.share_bytes.at(0), p.mem.w};
    if (m == 0 && p.wio.load_w && own.bytes > 0) loads.ch1[m].push_back(contiguous_load(own, kMemLockW, 1));
    if (m == 0 && p.wio.load_wm) {
      single(b, mem, DmaDir::MM2S, w_ch,
             with_locks(make_bd(p.mem.w, {DmaDim{blob.bytes(), 1}}), kMemLockW, 1, isa::kNoLock, 0));
      b.add_route(ep(mem, w_ch), w_dsts);
    }
  }

  const uint32_t in_c = p.in_c_p, out_c = p.out_c_p;
  const bool space = !p.skip_write && p.nb > kMaxLockValue;
  for (const ColumnWork& cw : p.cols) {
    const TileId shim = tm.shim(cw.col), mem = tm.memtile(cw.col);
    const auto nr = static_cast<uint32_t>(cw.row_w.size());
    const uint32_t band_stride = p.bh * p.sh * cw.wi * in_c;
    const uint32_t out_row = p.out_row_px(cw) * out_c;  // a slice row (its margin, if any, first)
    const uint32_t out_band = p.bh * out_row;
    // (rows that read at their own pace, and an output kept in the memtile, which has no WRITE to
    // tell, need no chain and no chain locks)
    const bool brigade = p.rows_pass_bands();
    const uint32_t split = load_slice(b, tm, loads, p, cw, x, p.in_c0, in_c, p.subsample, false,
                                      brigade ? 1 : static_cast<uint8_t>(nr));
    for (uint32_t r = 1; r < nr; ++r) {
      if (brigade) b.add_lock(mem, static_cast<uint8_t>(kMemLockPass0 + r), 0);
      if (!p.skip_write) b.add_lock(mem, static_cast<uint8_t>(kMemLockGather0 + r), 0);
    }
    if (space) b.add_lock(mem, kMemLockSpace, static_cast<uint8_t>(kMaxLockValue));
    for (uint32_t r = 0; r < nr; ++r) {
      const TileId core = tm.core(cw.col, r);
      const auto [o0, o1] = cw.row_w[r];
      const uint32_t wc_r = o1 - o0, in_w0 = o0 * p.sw, wi_r = (o1 - 1) * p.sw + p.kw - in_w0;
      const uint32_t band_in_r = p.band_in_rows * wi_r * in_c;
      // Input: this row's columns of every band (row_band_reads: passed down the rows only while
      // they land band by band).
      const uint8_t acq = r == 0 ? kMemLockIn : static_cast<uint8_t>(kMemLockPass0 + r);
      const int16_t rel = r + 1 < nr && brigade ? static_cast<int16_t>(kMemLockPass0 + r + 1) : isa::kNoLock;
      auto band_bd = [&](uint32_t band0, uint32_t count, bool acquire) {
        isa::BufferDescriptor bd = with_locks(
            make_bd(uint64_t{p.mem.x} + uint64_t{band0} * band_stride + uint64_t{in_w0 - cw.in_w0} * in_c,
                    {DmaDim{in_c, 1}, DmaDim{wi_r, static_cast<int32_t>(in_c)},
                     DmaDim{p.band_in_rows, static_cast<int32_t>(cw.wi * in_c)}}),
            acquire ? static_cast<int16_t>(acq) : isa::kNoLock, acquire ? 1 : 0, rel, rel == isa::kNoLock ? 0 : 1);
        bd.iter_count = count;
        bd.iter_stride = band_stride;
        return bd;
      };
      chain(b, mem, DmaDir::MM2S, static_cast<uint8_t>(r), row_band_reads(p, r, band_bd, band_stride, split));
      b.add_route(ep(mem, r), {ep(core, 0)});
      // Core: weights, input bands, conv per band, output bands.
      core_locks(b, core, true, false, !p.wio.load_wm);
      if (p.wio.load_wm)
        single(b, core, DmaDir::S2MM, 1,
               with_locks(make_bd(p.core.weights, {DmaDim{blob.bytes(), 1}}), isa::kNoLock, 0, kCoreWCons, 1));
      b.add_task(core, DmaDir::S2MM, 0, ping_pong(b, core, p.core.in, band_in_r, kCoreInProd, kCoreInCons), p.nb);
      isa::CoreProgram& prog = b.core_program(core);
      prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreWCons, 1));
      for (uint32_t band = 0; band < p.nb; ++band) {
        prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreInCons, 1));
        prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreOutProd, 1));
        prog.ops.push_back(band_conv(n, p, blob, band, wi_r, wc_r, p.core.out[band % 2]));
        prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreInProd, 1));
        prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreOutCons, 1));
      }
      const uint32_t band_out_r = p.bh * wc_r * out_c;
      b.add_task(core, DmaDir::MM2S, 0, ping_pong(b, core, p.core.out, band_out_r, kCoreOutCons, kCoreOutProd), p.nb);
      // WRITEFM: its columns of the slice; row 0 waits for space (when needed), every row tells
      // the next, the last tells WRITE. A slice that stays in the memtile has no WRITE to tell:
      // every row lands its bands at its own pace.
      const int16_t g_acq = p.skip_write ? isa::kNoLock
                            : r == 0     ? (space ? kMemLockSpace : isa::kNoLock)
                                         : static_cast<int16_t>(kMemLockGather0 + r);
      const int16_t g_rel = p.skip_write ? isa::kNoLock
                            : r + 1 < nr ? static_cast<int16_t>(kMemLockGather0 + r + 1)
                                         : static_cast<int16_t>(kMemLockOut);
      isa::BufferDescriptor gbd = with_locks(
          make_bd(uint64_t{p.mem.y} + uint64_t{o0 - cw.w0 + p.y_margin} * out_c,
                  {DmaDim{out_c, 1}, DmaDim{wc_r, static_cast<int32_t>(out_c)},
                   DmaDim{p.bh, static_cast<int32_t>(out_row)}}),
          g_acq, g_acq == isa::kNoLock ? 0 : 1, g_rel, g_rel == isa::kNoLock ? 0 : 1);
      gbd.iter_count = p.nb;
      gbd.iter_stride = out_band;
      single(b, mem, DmaDir::S2MM, static_cast<uint8_t>(2 + r), gbd);
      b.add_route(ep(core, 0), {ep(mem, 2 + r)});
      const uint64_t px = uint64_t{p.out_h} * wc_r * p.kh * p.kw;
      phase.dense_macs += uint64_t{blob.grid_blocks} * blob.macs_per_block * px;
      phase.actual_macs += uint64_t{blob.nnz} * blob.macs_per_block * px;
    }
    // WRITE band by band, each once every row has landed it.
    if (!p.skip_write) {
      isa::BufferDescriptor wbd =
          with_locks(make_bd(uint64_t{p.mem.y} + uint64_t{p.y_margin} * out_c,
                             {DmaDim{cw.wc() * out_c, 1}, DmaDim{p.bh, static_cast<int32_t>(out_row)}}),
                     kMemLockOut, 1, space ? kMemLockSpace : isa::kNoLock, space ? 1 : 0);
      wbd.iter_count = p.nb;
      wbd.iter_stride = out_band;
      single(b, mem, DmaDir::MM2S, write_ch, wbd);
      single(b, shim, DmaDir::S2MM, 0, ddr_box(y, {y.ph + p.out_row0, y.pw}, cw.w0, cw.wc(), p.out_h, p.out_c0, out_c));
      b.add_route(ep(mem, write_ch), {ep(shim, 0)});
    }
  }
  loads.emit(b, tm);
}

void lower_pool(PhaseBuilder& b, const ir::Graph& g, const LayerPlan& p, const schedule::DdrPlan& ddr,
                const target::TargetModel& tm) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(p.node));
  const ir::Node& in_node = g.nodes.at(static_cast<size_t>(n.inputs.at(0)));
  const TensorBuffer& x = ddr.tensors.at(static_cast<size_t>(n.inputs.at(0)));
  const TensorBuffer& y = ddr.tensors.at(static_cast<size_t>(p.node));
  // Exactly the factor the reference executor uses; a pool dividing by each window's count
  // (ir::avgpool_divides_by_count) leaves the divisor out of it.
  const bool by_count = ir::avgpool_divides_by_count(n, in_node.out);
  const ir::CountRegion region = ir::avgpool_count_region(n, in_node.out);
  ir::Requant rq;
  if (n.op == ir::OpKind::AvgPool) {
    const double divisor = by_count ? 1.0 : static_cast<double>(n.kh) * static_cast<double>(n.kw);
    rq = ir::make_requant(double{in_node.out_scale} / (double{n.out_scale} * divisor));
  }
  ShimLoads loads(tm.columns(), prefetch_loads(p, ddr, tm.columns()));
  loads.ch0_taken = p.x_halo;
  for (const ColumnWork& cw : p.cols) {
    const TileId mem = tm.memtile(cw.col);
    const auto& row_oc = p.row_oc_of(cw);
    const auto rows = static_cast<uint32_t>(row_oc.size());
    mem_locks(b, mem, 0, resident_lock(p, 0));
    const uint32_t pitch = p.in_cp_of(cw);
    // Halo residency (p.x_halo): the producer's slice rows are cw.x_w pixels, a margin column
    // first, which memtile MM2S `rows` of the west neighbour fills (its last own column, on this
    // memtile's S2MM0, releasing kMemLockIn2) before the first band goes; column 0's margin and
    // the top row are zero padding generated by the band BDs.
    const uint32_t row_bytes = (p.x_halo ? cw.x_w : cw.wi) * pitch;
    const uint32_t band_stride = p.bh * p.sh * row_bytes;
    if (p.x_halo) halo_copy(b, tm, p, cw, x, pitch, static_cast<uint8_t>(rows), static_cast<uint8_t>(rows));
    // Core row r gets its channels of every band on memtile MM2S r. A slice landing band by band
    // passes down the rows' channels like a bucket brigade: row r sends band i once the lock says
    // it may (landed, or row r - 1 has sent it) and then tells row r + 1, so no row can take
    // another's turn. A slice already in the memtile (resident), or landing whole (each part
    // releasing its lock once per row), lets every row read at its own pace instead.
    const bool brigade = p.rows_pass_bands();
    // LOAD over both shim MM2S channels (a pool has no weights on channel 1).
    const uint32_t split =
        load_slice(b, tm, loads, p, cw, x, p.in_c0_of(cw), pitch, 1, true, brigade ? 1 : static_cast<uint8_t>(rows));
    for (uint32_t r = 1; r < rows && brigade; ++r) b.add_lock(mem, static_cast<uint8_t>(kMemLockPass0 + r), 0);
    for (uint32_t r = 0; r < rows; ++r) {
      const TileId core = tm.core(cw.col, r);
      const auto [c0, c1] = row_oc.at(r);
      const uint32_t band_bytes = p.band_in_bytes_of_row(cw, r);
      const uint8_t acq = r == 0 ? kMemLockIn : static_cast<uint8_t>(kMemLockPass0 + r);
      const int16_t rel = r + 1 < rows && brigade ? static_cast<int16_t>(kMemLockPass0 + r + 1) : isa::kNoLock;
      auto band_bd = [&](uint32_t band0, uint32_t count, bool acquire) {
        isa::BufferDescriptor bd = with_locks(
            make_bd(uint64_t{p.mem.x} + uint64_t{band0} * band_stride + c0,
                    {DmaDim{c1 - c0, 1}, DmaDim{cw.wi, static_cast<int32_t>(pitch)},
                     DmaDim{p.band_in_rows, static_cast<int32_t>(row_bytes)}}),
            acquire ? static_cast<int16_t>(acq) : isa::kNoLock, acquire ? 1 : 0, rel, rel == isa::kNoLock ? 0 : 1);
        bd.iter_count = count;
        bd.iter_stride = band_stride;
        return bd;
      };
      // (Halo residency: the slice is there already; every row's first band waits for the
      // margin, then the rows stream on their own.)
      chain(b, mem, DmaDir::MM2S, static_cast<uint8_t>(r),
            p.x_halo ? halo_band_reads(p, cw, x, uint64_t{p.mem.x} + c0, c1 - c0, pitch, 1)
                     : row_band_reads(p, r, band_bd, band_stride, split));
      b.add_route(ep(mem, r), {ep(core, 0)});
      core_locks(b, core, false, false);
      const uint16_t in_start = ping_pong(b, core, p.core.in, band_bytes, kCoreInProd, kCoreInCons);
      b.add_task(core, DmaDir::S2MM, 0, in_start, p.nb);
      isa::CoreProgram& prog = b.core_program(core);
      for (uint32_t band = 0; band < p.nb; ++band) {
        prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreInCons, 1));
        prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreOutProd, 1));
        isa::CoreOp op;
        op.kind = n.op == ir::OpKind::MaxPool ? isa::CoreOpKind::MaxPool : isa::CoreOpKind::AvgPool;
        isa::PoolArgs& a = op.pool;
        a.in_addr = p.core.in[band % 2];
        a.in_h = p.band_in_rows;
        a.in_w = cw.wi;
        a.c = c1 - c0;
        a.out_addr = p.core.out[band % 2];
        a.out_h = p.bh;
        a.out_w = cw.wc();
        a.kh = static_cast<uint8_t>(p.kh);
        a.kw = static_cast<uint8_t>(p.kw);
        a.stride_h = static_cast<uint8_t>(p.sh);
        a.stride_w = static_cast<uint8_t>(p.sw);
        a.mult = rq.mult;
        a.shift = rq.shift;
        if (by_count) {
          // The counted region in this band's coordinates: its row 0 is padded row
          // (out_row0 + band * bh) * sh, its column 0 padded column in_w0 (image = padded - pad).
          const int64_t row0 = int64_t{p.out_row0 + band * p.bh} * p.sh - n.pad_h;
          const int64_t col0 = int64_t{cw.in_w0} - n.pad_w;
          a.divide = 1;
          a.count_y0 = static_cast<int32_t>(region.y0 - row0);
          a.count_y1 = static_cast<int32_t>(region.y1 - row0);
          a.count_x0 = static_cast<int32_t>(region.x0 - col0);
          a.count_x1 = static_cast<int32_t>(region.x1 - col0);
        }
        op.label = band_label(p, band);
        prog.ops.push_back(op);
        prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreInProd, 1));
        prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreOutCons, 1));
      }
    }
    // WRITEFM on S2MM 2.., WRITE on the MM2S channels after the rows' inputs (and the halo's).
    const uint32_t first_write = rows + (p.x_halo ? 1 : 0);
    const std::vector<WritePart> wparts = write_parts(p, cw, write_channels(tm, first_write, first_write), tm);
    for (uint32_t r = 0; r < rows; ++r)
      gather(b, p, cw, tm.core(cw.col, r), tm, r, static_cast<uint8_t>(2 + r), wparts);
    write_back(b, p, cw, y, tm, wparts);
  }
  // LOAD's two parts, then the prefetch of the next conv's weights over both channels.
  loads.emit(b, tm);
}

void lower_add(PhaseBuilder& b, const ir::Graph& g, const LayerPlan& p, const schedule::DdrPlan& ddr,
               const target::TargetModel& tm) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(p.node));
  const TensorBuffer& xa = ddr.tensors.at(static_cast<size_t>(n.inputs.at(0)));
  const TensorBuffer& xb = ddr.tensors.at(static_cast<size_t>(n.inputs.at(1)));
  const TensorBuffer& y = ddr.tensors.at(static_cast<size_t>(p.node));
  const double sy = n.out_scale;
  const ir::RequantPair rq = ir::make_requant_pair(g.nodes.at(static_cast<size_t>(n.inputs[0])).out_scale / sy,
                                                   g.nodes.at(static_cast<size_t>(n.inputs[1])).out_scale / sy);
  for (const ColumnWork& cw : p.cols) {
    const TileId shim = tm.shim(cw.col), mem = tm.memtile(cw.col), core = tm.core(cw.col, 0);
    const uint32_t band = p.bh * cw.wc() * p.in_cp_of(cw);
    const uint32_t slice = p.out_h * cw.wc() * p.in_cp_of(cw);
    mem_locks(b, mem, resident_lock(p, 1), resident_lock(p, 0));
    core_locks(b, core, false, true);
    // Operand A: shim MM2S0 -> memtile S2MM0 -> MM2S0 -> core S2MM0.
    if (!p.in_resident[0]) {
      single(b, shim, DmaDir::MM2S, 0,
             ddr_box(xa, p.in_off.at(0), cw.w0, cw.wc(), p.out_h, p.in_c0_of(cw), p.in_cp_of(cw)));
      land_bands(b, mem, 0, p.mem.x, slice, band, band, p.nb, kMemLockIn, p.lands_per_band());
      b.add_route(ep(shim, 0), {ep(mem, 0)});
    }
    stream_bands(b, mem, 0, p.mem.x, band, band, p.nb, kMemLockIn, p.lands_per_band());
    b.add_route(ep(mem, 0), {ep(core, 0)});
    b.add_task(core, DmaDir::S2MM, 0, ping_pong(b, core, p.core.in, band, kCoreInProd, kCoreInCons), p.nb);
    // Operand B: shim MM2S1 -> memtile S2MM1 -> MM2S1 -> core S2MM1.
    if (!p.in_resident[1]) {
      single(b, shim, DmaDir::MM2S, 1,
             ddr_box(xb, p.in_off.at(1), cw.w0, cw.wc(), p.out_h, p.in_c0_of(cw), p.in_cp_of(cw)));
      land_bands(b, mem, 1, p.mem.w, slice, band, band, p.nb, kMemLockW, p.lands_per_band());
      b.add_route(ep(shim, 1), {ep(mem, 1)});
    }
    stream_bands(b, mem, 1, p.mem.w, band, band, p.nb, kMemLockW, p.lands_per_band());
    b.add_route(ep(mem, 1), {ep(core, 1)});
    b.add_task(core, DmaDir::S2MM, 1, ping_pong(b, core, p.core.b, band, kCoreBProd, kCoreBCons), p.nb);
    isa::CoreProgram& prog = b.core_program(core);
    for (uint32_t i = 0; i < p.nb; ++i) {
      prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreInCons, 1));
      prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreBCons, 1));
      prog.ops.push_back(lock_op(isa::CoreOpKind::Acquire, kCoreOutProd, 1));
      isa::CoreOp op;
      op.kind = isa::CoreOpKind::Add;
      op.add.a_addr = p.core.in[i % 2];
      op.add.b_addr = p.core.b[i % 2];
      op.add.out_addr = p.core.out[i % 2];
      op.add.n = band;
      op.add.mult_a = rq.mult_a;
      op.add.mult_b = rq.mult_b;
      op.add.shift = rq.shift;
      op.add.relu = n.relu ? 1 : 0;
      op.label = band_label(p, i);
      prog.ops.push_back(op);
      prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreInProd, 1));
      prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreBProd, 1));
      prog.ops.push_back(lock_op(isa::CoreOpKind::Release, kCoreOutCons, 1));
    }
    const std::vector<WritePart> wparts = write_parts(p, cw, write_channels(tm, 2, 2), tm);
    gather(b, p, cw, core, tm, 0, 2, wparts);
    write_back(b, p, cw, y, tm, wparts);
  }
}

}  // namespace

isa::Phase lower_layer(const ir::Graph& g, const schedule::LayerPlan& plan, const schedule::DdrPlan& ddr,
                       const target::TargetModel& tm) {
  isa::Phase phase;
  phase.name = plan.name;
  phase.layer = static_cast<uint32_t>(plan.node);
  PhaseBuilder b(phase);
  switch (plan.op) {
    case ir::OpKind::Conv:
    case ir::OpKind::Fc:
      if (plan.pixel_rows)
        lower_conv_pixel(b, g, plan, ddr, tm, phase);
      else
        lower_conv(b, g, plan, ddr, tm, phase);
      break;
    case ir::OpKind::MaxPool:
    case ir::OpKind::AvgPool: lower_pool(b, g, plan, ddr, tm); break;
    case ir::OpKind::Add: lower_add(b, g, plan, ddr, tm); break;
    default: throw compiler::CompileError("layer " + plan.name + ": op " + ir::op_name(plan.op) + " cannot be lowered");
  }
  return phase;
}

}  // namespace saie::lower
