// schedule_listing.cpp — see schedule_listing.h. Byte counts are per column (the widest one).
#include "compiler/emit/schedule_listing.h"

#include <sstream>

namespace saie::emit {

namespace {

const schedule::ColumnWork& widest(const schedule::LayerPlan& p) {
  const schedule::ColumnWork* best = &p.cols.at(0);
  for (const schedule::ColumnWork& c : p.cols)
    if (c.wc() > best->wc()) best = &c;
  return *best;
}

bool conv_like(ir::OpKind k) { return k == ir::OpKind::Conv || k == ir::OpKind::Fc; }

}  // namespace

std::string split_text(const schedule::LayerPlan& p) {
  std::ostringstream s;
  s << "W " << p.cols.size() << (p.cols.size() == 1 ? " col" : " cols") << " x ";
  if (conv_like(p.op))
    s << "COUT " << p.rows() << (p.rows() == 1 ? " row" : " rows");
  else
    s << "1 row";
  s << ", " << p.nb << (p.nb == 1 ? " band" : " bands") << " of " << p.bh << (p.bh == 1 ? " row" : " rows");
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
  for (const schedule::WeightBlob& b : ddr.weights.at(static_cast<size_t>(p.node)).rows) {
    r.weight_bytes += b.payload_bytes;
    r.metadata_bytes += b.metadata_bytes;
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
  if (n.op != ir::OpKind::Add) s << " " << p.kh << "x" << p.kw << "/" << p.sh;
  s << ": " << split_text(p);
  s << " | LOAD " << ncols << "x" << (n.op == ir::OpKind::Add ? p.out_h * cw.wc() * p.in_c_p : p.slice_in_bytes(cw))
    << " B";
  if (conv_like(n.op)) {
    const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.node));
    s << " | LOADW " << ncols << "x" << lw.bytes << " B";
    const uint32_t band = p.band_in_bytes(cw);
    s << " | LOADFM iter " << p.nb << " x " << band << " B lock in, bcast " << p.rows();
    s << " | LOADWM";
    for (size_t r = 0; r < lw.rows.size(); ++r) s << (r ? "/" : " ") << lw.rows[r].bytes();
    s << " B lock w";
    uint32_t nnz = 0, blocks = 0;
    for (const schedule::WeightBlob& b : lw.rows) {
      nnz += b.nnz;
      blocks += b.block_rows * b.block_cols;
    }
    const uint64_t macs_per_band = uint64_t{nnz} * 64 * p.kh * p.kw * p.bh * cw.wc();
    s << " | COMP iter " << p.nb << " (" << nnz << "/" << blocks << " blocks, " << macs_per_band
      << " MAC/band/col)";
  } else if (n.op == ir::OpKind::Add) {
    const uint32_t band = p.bh * cw.wc() * p.in_c_p;
    s << " | LOADB " << ncols << "x" << p.out_h * cw.wc() * p.in_c_p << " B";
    s << " | LOADFM iter " << p.nb << " x " << band << " B lock in";
    s << " | LOADFM(B) iter " << p.nb << " x " << band << " B lock b";
    s << " | COMP iter " << p.nb << " (add " << band << " B)";
  } else {
    s << " | LOADFM iter " << p.nb << " x " << p.band_in_bytes(cw) << " B lock in";
    s << " | COMP iter " << p.nb << " (" << ir::op_name(n.op) << " " << p.bh << "x" << cw.wc() << "x" << p.in_c_p
      << ")";
  }
  s << " | WRITEFM iter " << p.nb << " x";
  for (uint32_t r = 0; r < p.rows(); ++r) s << (r ? "/" : " ") << p.band_out_bytes(cw, r);
  s << " B | WRITE " << ncols << "x" << p.slice_out_bytes(cw) << " B";
  return s.str();
}

}  // namespace saie::emit
