// schedule_listing.cpp — see schedule_listing.h. Byte counts are per column (the widest one).
#include "compiler/emit/schedule_listing.h"

#include <algorithm>
#include <sstream>
#include <vector>

namespace saie::emit {

namespace {

const schedule::ColumnWork& widest(const schedule::LayerPlan& p) {
  const schedule::ColumnWork* best = &p.cols.at(0);
  for (const schedule::ColumnWork& c : p.cols)
    if (c.wc() > best->wc()) best = &c;
  return *best;
}


}  // namespace

std::string split_text(const schedule::LayerPlan& p) {
  std::ostringstream s;
  if (p.col_groups)
    s << "CH " << p.cols.size() << (p.cols.size() == 1 ? " col group" : " col groups") << " (full width) x ";
  else
    s << "W " << p.cols.size() << (p.cols.size() == 1 ? " col" : " cols") << " x ";
  if (p.pixel_rows)
    s << "PIX " << p.rows() << " rows (all channels, own columns)";
  else if (ir::has_weights(p.op))
    s << "COUT " << p.rows() << (p.rows() == 1 ? " row" : " rows");
  else if (p.rows() > 1)
    s << "CH " << p.rows() << " rows";  // a pool's channels split over the core rows
  else
    s << "1 row";
  s << ", " << p.nb << (p.nb == 1 ? " band" : " bands") << " of " << p.bh << (p.bh == 1 ? " row" : " rows");
  if (p.out_parts > 1)  // the band stays in the cores while the blob passes in parts
    s << ", COUT " << p.out_parts << " parts in one phase (the band held in the cores)";
  if (p.weight_parts > 1)  // the blob lands in parts, the first band starting on the first
    s << ", blob in " << p.weight_parts << " parts (a conv per part)";
  if (p.chunk_loop)  // every chunk of the input channels in this phase
    s << ", CIN " << p.in_chunks << " chunks in one phase (" << p.in_c_p << " ch each, int32 sums in the cores)";
  else if (p.acc_split())  // input-channel split: this piece's chunk of the input channels
    s << ", CIN chunk " << p.in_chunk + 1 << "/" << p.in_chunks << " (in ch " << p.in_c0 << "-"
      << p.in_c0 + p.in_c_p - 1 << (p.writes_output() ? ", int32 sums requantised" : ", int32 sums kept") << ")";
  return s.str();
}

compiler::LayerReport layer_report(const ir::Graph& g, const schedule::LayerPlan& p, const schedule::DdrPlan& ddr,
                                   const isa::Phase& phase) {
  compiler::LayerReport r;
  r.name = p.name;
  r.op = ir::op_name(g.nodes.at(static_cast<size_t>(p.node)).op);
  r.split = split_text(p);
  r.dense_macs = phase.dense_macs;
  r.actual_macs = phase.actual_macs;
  // A group's weights are counted in its first piece, so the pieces of a layer add up to the layer.
  const schedule::LayerTiling& t = ddr.tiling.at(static_cast<size_t>(p.node));
  const uint32_t per_group = t.col_groups ? t.h_chunks : t.w_parts * t.h_chunks;
  // With an input-channel split every chunk has its own weights: the chunks of the group's first piece
  // (a chunk loop runs every chunk in one piece: its pieces are the group's height chunks).
  const uint32_t chunks = t.chunk_loop ? 1u : std::max(1u, t.in_chunks);
  if (ir::has_weights(p.op) && (p.piece / chunks) % per_group == 0) {
    const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.node));
    std::vector<int> groups{p.group};
    if (p.col_groups) {
      groups.clear();
      for (const schedule::ColumnWork& c : p.cols) groups.push_back(c.group);
    }
    for (int gi : groups) {
      const schedule::WeightGroup& wg = lw.groups.at(static_cast<size_t>(gi));
      for (uint32_t i = 0; i < wg.count; ++i) {
        r.weight_bytes += lw.rows.at(wg.first + i).payload_bytes;
        r.metadata_bytes += lw.rows.at(wg.first + i).metadata_bytes;
      }
    }
  }
  r.core_mem_peak = p.core.end;
  r.memtile_peak = p.mem.end;
  return r;
}

std::string schedule_line(const ir::Graph& g, const schedule::LayerPlan& p, const schedule::DdrPlan& ddr) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(p.node));
  const schedule::ColumnWork& cw = widest(p);
  const size_t ncols = p.cols.size();
  std::ostringstream s;
  s << p.name << " " << ir::op_name(n.op);
  if (n.op != ir::OpKind::Add) {
    s << " " << p.kh << "x" << p.kw << "/" << p.sh * p.subsample;
    if (p.subsample > 1) s << " (reads rows and columns " << p.subsample << " apart)";
  }
  s << ": " << split_text(p);
  s << " | rows " << p.out_row0 << "-" << p.out_row0 + p.out_h - 1 << " cols " << p.cols.front().w0 << "-"
    << p.cols.back().w1 - 1 << " ch " << p.out_c0_of(p.cols.front()) << "-"
    << p.out_c0_of(p.cols.back()) + p.out_cp_of(p.cols.back()) - 1;
  if (p.in_resident[0])
    s << " | LOAD - (resident in memtile)";
  else
    s << " | LOAD " << ncols << "x"
      << (n.op == ir::OpKind::Add ? p.out_h * cw.wc() * p.in_cp_of(cw) : p.slice_in_bytes(cw)) << " B";
  if (ir::has_weights(n.op)) {
    const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.node));
    const schedule::WeightGroup& wg = lw.groups.at(static_cast<size_t>(p.group_of(cw)));
    const uint64_t w_bytes = p.col_groups ? wg.bytes : wg.max_share();
    if (p.wio.load_w)
      s << " | LOADW " << ncols << "x" << w_bytes << " B" << (p.col_groups ? "" : " (row shares)");
    else
      s << " | LOADW - (in memtile)";
    const uint32_t band = p.band_in_bytes(cw);
    s << " | LOADFM iter " << p.nb << " x " << band << " B lock in, bcast " << p.rows_of(cw);
    uint32_t nnz = 0, blocks = 0;
    if (p.wio.load_wm) {
      s << " | LOADWM";
      for (uint32_t r = 0; r < wg.count; ++r) s << (r ? "/" : " ") << lw.rows.at(wg.first + r).bytes();
      s << " B lock w" << (p.col_groups ? "" : ", bcast along rows");
    } else {
      s << " | LOADWM - (held by cores)";
    }
    for (uint32_t r = 0; r < wg.count; ++r) {
      const schedule::WeightBlob& b = lw.rows.at(wg.first + r);
      nnz += b.nnz;
      blocks += b.grid_blocks;
    }
    const uint64_t macs_per_band = uint64_t{nnz} * 64 * p.kh * p.kw * p.bh * cw.wc();
    s << " | COMP iter " << p.nb << " (" << nnz << "/" << blocks << " blocks, " << macs_per_band
      << " MAC/band/col)";
  } else if (n.op == ir::OpKind::Add) {
    const uint32_t band = p.bh * cw.wc() * p.in_cp_of(cw);
    if (p.in_resident[1])
      s << " | LOADB - (resident in memtile)";
    else
      s << " | LOADB " << ncols << "x" << p.out_h * cw.wc() * p.in_cp_of(cw) << " B";
    s << " | LOADFM iter " << p.nb << " x " << band << " B lock in";
    s << " | LOADFM(B) iter " << p.nb << " x " << band << " B lock b";
    s << " | ELEW iter " << p.nb << " (add " << band << " B)";
  } else {
    s << " | LOADFM iter " << p.nb << " x";
    for (uint32_t r = 0; r < p.rows_of(cw); ++r) s << (r ? "/" : " ") << p.band_in_bytes_of_row(cw, r);
    s << " B lock in" << (p.rows_of(cw) > 1 && p.rows_pass_bands() ? ", passed down the rows" : "");
    s << " | POOL iter " << p.nb << " (" << ir::op_name(n.op) << " " << p.bh << "x" << cw.wc() << "x"
      << p.row_oc_of(cw).front().second - p.row_oc_of(cw).front().first << " per core)";
  }
  s << " | WRITEFM iter " << p.nb << " x";
  for (uint32_t r = 0; r < p.rows_of(cw); ++r) s << (r ? "/" : " ") << p.band_out_bytes(cw, r);
  if (p.skip_write)
    s << " B | WRITE - (kept in memtile for the next phase)";
  else
    s << " B | WRITE " << ncols << "x" << p.slice_out_bytes(cw) << " B";
  if (p.wio.pf_node >= 0) {
    const schedule::WeightGroup& pg =
        ddr.weights.at(static_cast<size_t>(p.wio.pf_node)).groups.at(static_cast<size_t>(p.wio.pf_group));
    s << " | LOADW(next) " << g.nodes.at(static_cast<size_t>(p.wio.pf_node)).name << " group " << p.wio.pf_group << " "
      << (p.wio.pf_col_groups ? pg.bytes : pg.max_share()) << " B per memtile";
  }
  return s.str();
}

}  // namespace saie::emit
