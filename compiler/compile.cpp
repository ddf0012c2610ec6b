// compile.cpp — the compiler pipeline: passes -> DDR plan -> per-layer plan (W/COUT/H split,
// memory layouts) -> lowering to one phase per layer -> verification -> program + reports.
#include "compiler/compile.h"

#include <algorithm>
#include <sstream>

#include "compiler/emit/schedule_listing.h"
#include "compiler/estimate/roofline.h"
#include "compiler/lower/lower_layer.h"
#include "hw/isa/verify_program.h"
#include "compiler/passes/passes.h"
#include "compiler/schedule/ddr_plan.h"
#include "compiler/schedule/layer_plan.h"
#include "compiler/target/target_model.h"

namespace saie::compiler {

namespace {

void check_config(const config::ArrayConfig& cfg) {
  if (cfg.columns < 1 || cfg.columns > 255)
    throw CompileError("config columns " + std::to_string(cfg.columns) + " unsupported (1..255)");
  if (cfg.core_rows < 1 || cfg.core_rows > 250)
    throw CompileError("config core_rows " + std::to_string(cfg.core_rows) + " unsupported (1..250)");
  if (cfg.mem_rows < 1 || cfg.mem_rows > isa::kMaxMemRows)
    throw CompileError("config mem_rows " + std::to_string(cfg.mem_rows) + " unsupported (1.." +
                       std::to_string(isa::kMaxMemRows) + ")");
  const target::TargetModel tm(cfg);
  const uint32_t rows = tm.usable_core_rows();
  const auto& m = cfg.memtile.dma;
  if (rows < 1)
    throw CompileError("config memtile.dma needs at least 3 MM2S and 3 S2MM channels to feed one core row");
  if (m.locks < 3 || m.bds < 2 * rows + 6)
    throw CompileError("config memtile.dma has too few locks or BDs for " + std::to_string(rows) + " core rows");
  if (cfg.core.dma.mm2s_channels < 1 || cfg.core.dma.s2mm_channels < 2 || cfg.core.dma.locks < 6 ||
      cfg.core.dma.bds < 6)
    throw CompileError("config core.dma needs 1 MM2S, 2 S2MM channels, 6 locks and 6 BDs");
  if (cfg.shim.dma.mm2s_channels < 2 || cfg.shim.dma.s2mm_channels < 1 || cfg.shim.dma.bds < 3)
    throw CompileError("config shim.dma needs 2 MM2S, 1 S2MM channels and 3 BDs");
}

// True when every value of node i's output is >= 0: the (always non-negative) network input,
// a fused or standalone ReLU, or a pool over such values.
bool non_negative(const ir::Graph& g, int i) {
  const ir::Node& n = g.nodes.at(static_cast<size_t>(i));
  switch (n.op) {
    case ir::OpKind::Input:  // pixel / 255, quantised symmetrically (docs/bundle-format.md)
    case ir::OpKind::Relu: return true;
    case ir::OpKind::MaxPool:
    case ir::OpKind::AvgPool: return non_negative(g, n.inputs.at(0));
    default: return n.relu;
  }
}

void check_graph(const ir::Graph& g) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    switch (n.op) {
      case ir::OpKind::Input:
        if (i != 0) throw CompileError("layer " + n.name + ": input node must come first");
        break;
      case ir::OpKind::Relu:
        throw CompileError("layer " + n.name + ": standalone relu not supported (its producer cannot absorb it)");
      case ir::OpKind::Concat:  // in place (inputs write into its buffer), checked after the DDR plan
        break;
      case ir::OpKind::MaxPool:
        // Padded activation buffers hold zeros, which stand in for "ignore the padding" (the
        // reference's rule) only when no real value in a window can be negative.
        if ((n.pad_h != 0 || n.pad_w != 0) && !non_negative(g, n.inputs.at(0)))
          throw CompileError("layer " + n.name +
                             ": maxpool with padding needs a non-negative input (e.g. after a ReLU)");
        break;
      case ir::OpKind::Conv:
      case ir::OpKind::Fc:
      case ir::OpKind::AvgPool:
      case ir::OpKind::Add:
        break;
    }
    if (n.kh > 255 || n.kw > 255 || n.stride_h > 255 || n.stride_w > 255)
      throw CompileError("layer " + n.name + ": kernel or stride above 255 not supported");
  }
}

isa::TensorPort port(const schedule::TensorBuffer& t, float scale) {
  isa::TensorPort p;
  p.addr = t.interior();
  p.h = t.h;
  p.w = t.w;
  p.c = t.c;
  p.pitch_c = t.pitch;
  p.row_pitch = t.row_pitch();
  p.scale = scale;
  return p;
}

// The paper-vocabulary traffic of one lowered piece (see estimate.h). Weight bytes this phase
// prefetches for a later piece count as its LOADW (they share the DDR channel with nothing else).
estimate::PhaseTraffic traffic_of(const schedule::LayerPlan& p, const schedule::DdrPlan& ddr) {
  estimate::PhaseTraffic t;
  t.name = p.name;
  t.op = ir::op_name(p.op);
  t.columns = static_cast<uint32_t>(p.cols.size());
  t.cores_per_column = p.rows();
  t.iterations = p.nb;
  const bool conv_like = ir::has_weights(p.op);
  const bool add = p.op == ir::OpKind::Add;
  for (const schedule::ColumnWork& cw : p.cols) {
    const uint32_t in_c = p.in_cp_of(cw);
    if (!p.in_resident[0])
      t.load_bytes = std::max<uint64_t>(t.load_bytes, add ? uint64_t{p.out_h} * cw.wc() * in_c : p.slice_in_bytes(cw));
    t.loadfm_bytes = std::max<uint64_t>(t.loadfm_bytes, add ? uint64_t{p.bh} * cw.wc() * in_c : p.band_in_bytes(cw));
    t.write_bytes = std::max<uint64_t>(t.write_bytes, p.slice_out_bytes(cw));
    for (uint32_t r = 0; r < p.rows_of(cw); ++r) {
      const uint64_t px = uint64_t{p.bh} * cw.wc();
      const auto [oc0, oc1] = p.row_oc_of(cw).at(r);
      t.writefm_bytes = std::max<uint64_t>(t.writefm_bytes, px * (oc1 - oc0));
      uint64_t ops = 0;
      if (conv_like) {
        const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.node));
        const schedule::WeightBlob& b = lw.rows.at(lw.groups.at(static_cast<size_t>(p.group_of(cw))).first + r);
        ops = px * p.kh * p.kw * 64ull * b.nnz;
        if (p.wio.load_wm) t.loadwm_bytes = std::max<uint64_t>(t.loadwm_bytes, b.bytes());
      } else if (add) {
        ops = px * in_c;
      } else {
        ops = px * in_c * p.kh * p.kw;
      }
      t.comp_ops = std::max(t.comp_ops, ops);
    }
    if (conv_like && p.wio.load_w) {
      const schedule::WeightGroup& wg =
          ddr.weights.at(static_cast<size_t>(p.node)).groups.at(static_cast<size_t>(p.group_of(cw)));
      t.loadw_bytes = std::max<uint64_t>(t.loadw_bytes, p.col_groups ? wg.bytes : wg.max_share());
    }
  }
  if (add) {
    uint64_t b_bytes = 0;
    for (const schedule::ColumnWork& cw : p.cols) b_bytes = std::max<uint64_t>(b_bytes, uint64_t{p.out_h} * cw.wc() * p.in_cp_of(cw));
    t.loadw_bytes = p.in_resident[1] ? 0 : b_bytes;
    t.loadfm_b_bytes = t.loadfm_bytes;
  } else if (p.wio.pf_node >= 0) {
    const schedule::WeightGroup& pg =
        ddr.weights.at(static_cast<size_t>(p.wio.pf_node)).groups.at(static_cast<size_t>(p.wio.pf_group));
    t.loadw_bytes += p.wio.pf_col_groups ? pg.bytes : pg.max_share();
  }
  if (p.skip_write) t.write_bytes = 0;
  return t;
}

// Every column of b also works in a (with the same weight group in column-group pieces).
bool same_or_fewer_columns(const schedule::LayerPlan& a, const schedule::LayerPlan& b) {
  for (const schedule::ColumnWork& cb : b.cols) {
    bool found = false;
    for (const schedule::ColumnWork& ca : a.cols) found = found || (ca.col == cb.col && ca.group == cb.group);
    if (!found) return false;
  }
  return true;
}

// Where each conv piece's weights come from. A piece directly after a piece of the same weight
// group keeps the cores' copy (no LOADW, no LOADWM). With weight slots (ddr.slot_bytes > 0) a
// piece whose group is already in a memtile slot skips LOADW, and a new group is prefetched
// into the other slot by the phase just before it (a conv or pool phase; an add's shim
// channels are busy, so a piece after an add loads its own).
void assign_weight_io(std::vector<schedule::LayerPlan>& plans, const schedule::DdrPlan& ddr) {
  const bool slots = ddr.slot_bytes > 0;
  std::pair<int, int> content[2] = {{-1, -1}, {-1, -1}};
  int active = 0;
  for (size_t k = 0; k < plans.size(); ++k) {
    schedule::LayerPlan& p = plans[k];
    if (!ir::has_weights(p.op)) continue;
    const std::pair<int, int> key{p.node, p.group};
    const schedule::LayerPlan* prev = k > 0 ? &plans[k - 1] : nullptr;
    const bool cores_hold = prev && ir::has_weights(prev->op) && prev->node == p.node && prev->group == p.group &&
                            prev->col_groups == p.col_groups && same_or_fewer_columns(*prev, p);
    p.wio.load_wm = !cores_hold;
    if (!slots) {
      p.wio.load_w = !cores_hold;
      continue;
    }
    if (content[active] == key) {
      p.wio.load_w = false;
    } else {
      active = 1 - active;
      content[active] = key;
      if (prev && prev->op != ir::OpKind::Add && !cores_hold) {
        plans[k - 1].wio.pf_node = p.node;
        plans[k - 1].wio.pf_group = p.group;
        plans[k - 1].wio.pf_col_groups = p.col_groups;
        plans[k - 1].wio.pf_slot = ddr.slot_addr[active];
        p.wio.load_w = false;
      } else {
        p.wio.load_w = true;
      }
    }
    p.mem.w = ddr.slot_addr[active];
  }
}

// Same array column computing the same output columns.
bool same_output_columns(const schedule::ColumnWork& a, const schedule::ColumnWork& b) {
  return a.col == b.col && a.w0 == b.w0 && a.w1 == b.w1;
}

// Places regions of the given sizes (64-byte aligned) first-fit in [0, cap) around the fixed
// region [fixed, fixed + fixed_bytes). Returns false when they do not fit.
bool place_around(uint64_t fixed, uint64_t fixed_bytes, uint64_t cap, const std::vector<uint64_t>& sizes,
                  std::vector<uint32_t>& addrs) {
  std::vector<std::pair<uint64_t, uint64_t>> free{{0, fixed}, {schedule::align_up(fixed + fixed_bytes, 64), cap}};
  addrs.clear();
  for (uint64_t sz : sizes) {
    bool placed = false;
    for (auto& [a, e] : free) {
      const uint64_t start = schedule::align_up(a, 64);
      if (start + sz <= e) {
        addrs.push_back(static_cast<uint32_t>(start));
        a = start + sz;
        placed = true;
        break;
      }
    }
    if (!placed) return false;
  }
  return true;
}

// Memtile residency: when a phase's input is the output slice the previous phase just left in
// the same memtiles, in the same layout (single pieces, same width split, a 1x1 stride-1
// unpadded conv or pool, or an add operand, with all channels), the phase reads it there
// instead of loading it from DDR, and the producer skips its WRITE when this phase is its
// only consumer.
void chain_residency(std::vector<schedule::LayerPlan>& plans, const ir::Graph& g, const schedule::DdrPlan& ddr,
                     const target::TargetModel& tm) {
  std::vector<int> uses(g.nodes.size(), 0);
  for (const ir::Node& n : g.nodes)
    for (int in : n.inputs) ++uses.at(static_cast<size_t>(in));
  const uint64_t cap = ddr.slot_bytes > 0 ? ddr.slot_addr[0] : tm.memtile_memory_bytes();
  for (size_t k = 1; k < plans.size(); ++k) {
    schedule::LayerPlan& prod = plans[k - 1];
    schedule::LayerPlan& q = plans[k];
    // Pieces of one layer that read the same input slice (group-innermost order): it stays.
    if (prod.node == q.node && q.col_groups == prod.col_groups && q.out_row0 == prod.out_row0 &&
        q.out_h == prod.out_h && q.in_c0 == prod.in_c0 && q.in_c_p == prod.in_c_p && q.mem.x == prod.mem.x &&
        q.mem.x_bytes == prod.mem.x_bytes && q.cols.size() == prod.cols.size() &&
        ir::has_weights(q.op)) {
      bool same = true;
      for (size_t c = 0; c < q.cols.size(); ++c)
        same = same && same_output_columns(q.cols[c], prod.cols[c]) && q.cols[c].in_w0 == prod.cols[c].in_w0 &&
               q.cols[c].wi == prod.cols[c].wi;
      if (same) {
        q.in_resident[0] = true;
        continue;
      }
    }
    // Single pieces (column-group pieces: one batch each), same split kind.
    if (prod.pieces != 1 || q.pieces != 1 || prod.col_groups != q.col_groups) continue;
    const ir::Node& qn = g.nodes.at(static_cast<size_t>(q.node));
    const schedule::TensorBuffer& t = ddr.tensors.at(static_cast<size_t>(prod.node));
    if (t.is_view()) continue;
    int input = -1;
    for (size_t i = 0; i < qn.inputs.size() && i < 2; ++i)
      if (qn.inputs[i] == prod.node) input = static_cast<int>(i);
    if (input < 0) continue;
    if (qn.op == ir::OpKind::Add) {
      if (qn.inputs[0] == qn.inputs[1]) continue;
    } else if (input != 0 || q.kh != 1 || q.kw != 1 || q.sh != 1 || q.sw != 1 || qn.pad_h != 0 || qn.pad_w != 0) {
      continue;
    }
    if (q.in_rows != prod.out_h || q.cols.size() != prod.cols.size()) continue;
    if (q.in_off.at(static_cast<size_t>(input)) != std::pair<uint32_t, uint32_t>{t.ph, t.pw}) continue;
    // Every column reads exactly the pixels and channels the producer left in its memtile.
    bool same_cols = true;
    for (size_t c = 0; c < q.cols.size(); ++c) {
      const schedule::ColumnWork &a = q.cols[c], &b = prod.cols[c];
      same_cols = same_cols && same_output_columns(a, b) && a.in_w0 == a.w0 && a.wi == a.wc() &&
                  q.in_c0_of(a) == prod.out_c0_of(b) && q.in_cp_of(a) == prod.out_cp_of(b) &&
                  (prod.col_groups || prod.out_cp_of(b) == t.cp);
    }
    if (!same_cols) continue;
    // Re-place the consumer's other memtile regions around the resident slice.
    const bool add = qn.op == ir::OpKind::Add;
    const bool w_in_slot = !add && ddr.slot_bytes > 0;  // width-split convs keep weights in the slots
    schedule::MemtileLayout m = q.mem;
    const uint64_t resident_bytes = input == 0 ? m.x_bytes : m.w_bytes;
    if (resident_bytes != prod.mem.y_bytes) continue;
    std::vector<uint64_t> sizes;
    if (input == 1) sizes.push_back(m.x_bytes);
    else if (!w_in_slot && m.w_bytes > 0) sizes.push_back(m.w_bytes);
    sizes.push_back(m.y_bytes);
    std::vector<uint32_t> addrs;
    if (!place_around(prod.mem.y, resident_bytes, cap, sizes, addrs)) continue;
    size_t a = 0;
    if (input == 0) {
      m.x = prod.mem.y;
      if (!w_in_slot && m.w_bytes > 0) m.w = addrs[a++];
    } else {
      m.w = prod.mem.y;
      m.x = addrs[a++];
    }
    m.y = addrs[a++];
    m.end = static_cast<uint32_t>(std::max<uint64_t>({uint64_t{m.x} + m.x_bytes, uint64_t{m.y} + m.y_bytes,
                                                      uint64_t{prod.mem.y} + resident_bytes}));
    q.mem = m;
    q.in_resident[input] = true;
    if (uses.at(static_cast<size_t>(prod.node)) == 1 && prod.node != g.output) prod.skip_write = true;
  }
}

}  // namespace

CompileResult compile(ir::Graph gg, const config::ArrayConfig& cfg, const CompileOptions& opt) {
  check_config(cfg);
  try {
    passes::run_default_passes(gg);
  } catch (const std::exception& e) {
    throw CompileError("graph " + gg.name + ": " + e.what());
  }
  check_graph(gg);
  const target::TargetModel tm(cfg);

  schedule::DdrPlan ddr;
  try {
    ddr = schedule::plan_ddr(gg, tm, opt.dense, opt.max_band_rows, opt.column_groups);
  } catch (const CompileError&) {
    throw;
  } catch (const std::exception& e) {
    throw CompileError(e.what());
  }
  if (ddr.end > cfg.ddr.size_bytes)
    throw CompileError("graph " + gg.name + " needs " + std::to_string(ddr.end) + " B of DDR > " +
                       std::to_string(cfg.ddr.size_bytes) + " B");

  CompileResult res;
  isa::Program& prog = res.program;
  prog.columns = static_cast<uint8_t>(cfg.columns);
  prog.core_rows = static_cast<uint8_t>(cfg.core_rows);
  prog.mem_rows = static_cast<uint8_t>(cfg.mem_rows);
  prog.name = gg.name;
  prog.ddr_bytes_needed = ddr.end;
  prog.input = port(ddr.tensors.at(0), gg.input().out_scale);
  const size_t out = static_cast<size_t>(gg.output);
  prog.output = port(ddr.tensors.at(out), gg.nodes.at(out).out_scale);
  for (const schedule::LayerWeights& lw : ddr.weights)
    for (const schedule::WeightBlob& b : lw.rows) prog.ddr_init.push_back(isa::DdrSegment{b.ddr_addr, b.data});

  std::ostringstream listing;
  listing << "schedule " << gg.name << " on " << cfg.columns << " cols x " << cfg.core_rows << " core rows ("
          << (opt.dense ? "dense" : "sparse") << ")";
  if (tm.usable_core_rows() < cfg.core_rows)
    listing << ", using " << tm.usable_core_rows() << " core rows per column (memtile DMA channels)";
  listing << "\n";
  // Every layer's pieces, in program order (concats in place cost none).
  std::vector<schedule::LayerPlan> plans;
  std::vector<std::string> concat_lines;  // listing lines, emitted before piece `at`
  std::vector<size_t> concat_at;
  for (size_t i = 1; i < gg.nodes.size(); ++i) {
    const ir::Node& n = gg.nodes[i];
    if (n.op == ir::OpKind::Concat) {
      if (!schedule::concat_in_place(gg, ddr, static_cast<int>(i)))
        throw CompileError("layer " + n.name +
                           ": concat needs every input to be written in place (an input with other consumers, "
                           "the network input, or a channel offset not a multiple of 8 would need a copy, "
                           "which is not implemented)");
      concat_lines.push_back(n.name + " concat: in place (" + std::to_string(n.inputs.size()) +
                             " inputs write into its buffer)");
      concat_at.push_back(plans.size());
      continue;
    }
    std::vector<schedule::LayerPlan> pieces = schedule::plan_layer(gg, static_cast<int>(i), ddr, tm, opt.max_band_rows);
    for (schedule::LayerPlan& p : pieces) plans.push_back(std::move(p));
  }
  if (opt.memtile_residency) chain_residency(plans, gg, ddr, tm);
  assign_weight_io(plans, ddr);
  size_t next_concat = 0;
  for (size_t k = 0; k < plans.size(); ++k) {
    while (next_concat < concat_at.size() && concat_at[next_concat] == k) listing << concat_lines[next_concat++] << "\n";
    const schedule::LayerPlan& plan = plans[k];
    prog.phases.push_back(lower::lower_layer(gg, plan, ddr, tm));
    res.layers.push_back(emit::layer_report(gg, plan, ddr, prog.phases.back()));
    res.traffic.push_back(traffic_of(plan, ddr));
    listing << emit::schedule_line(gg, plan, ddr) << "\n";
  }
  while (next_concat < concat_at.size()) listing << concat_lines[next_concat++] << "\n";
  res.schedule_listing = listing.str();
  res.roofline = estimate::roofline(gg, cfg, opt.dense);

  try {
    isa::verify_program(prog, cfg);
  } catch (const isa::ProgramError& e) {
    throw CompileError(std::string("internal: lowering produced an invalid program: ") + e.what());
  }
  return res;
}

}  // namespace saie::compiler
