// compile.cpp — the compiler pipeline: passes -> DDR plan -> per-layer plan (W/COUT/H split,
// memory layouts) -> lowering to one phase per layer -> verification -> program + reports.
#include "compiler/compile.h"

#include <algorithm>
#include <sstream>

#include "compiler/emit/schedule_listing.h"
#include "compiler/emit/stage_dump.h"
#include "compiler/estimate/roofline.h"
#include "compiler/lower/lower_layer.h"
#include "hw/isa/program_io.h"
#include "hw/isa/bd_slots.h"
#include "hw/isa/verify_program.h"
#include "compiler/passes/passes.h"
#include "compiler/schedule/ddr_plan.h"
#include "compiler/schedule/layer_plan.h"
#include "compiler/schedule/residency.h"
#include "compiler/target/target_model.h"

namespace saie::compiler {

namespace {

// How many times the saved activation bytes a fused add's extra weight bytes may be (pass
// fuse-add, below). 4 measured best on the 14 ResNet-50 cells of paper-2x2 .. paper-8x8, dense
// and 50% sparse: of 1, 2, 4, 8 and 16 it is the only one faster than 1 on every cell (8 and 16
// are faster on some and slower on paper-2x2 sparse). Inception-v3 and VGG-16 have no adds.
constexpr uint64_t kFuseAddBytesRatio = 4;

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
  if (m.locks < lower::kMemLocksUsed || m.bds < 2 * rows + 6)
    throw CompileError("config memtile.dma has too few locks (" + std::to_string(lower::kMemLocksUsed) +
                       " needed) or BDs for " + std::to_string(rows) + " core rows");
  if (cfg.core.dma.mm2s_channels < 1 || cfg.core.dma.s2mm_channels < 2 || cfg.core.dma.locks < lower::kCoreLocksUsed ||
      cfg.core.dma.bds < 6)
    throw CompileError("config core.dma needs 1 MM2S, 2 S2MM channels, " + std::to_string(lower::kCoreLocksUsed) +
                       " locks and 6 BDs");
  if (cfg.shim.dma.mm2s_channels < 2 || cfg.shim.dma.s2mm_channels < 1 || cfg.shim.dma.bds < 3)
    throw CompileError("config shim.dma needs 2 MM2S, 1 S2MM channels and 3 BDs");
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
      case ir::OpKind::Lut:
        throw CompileError("layer " + n.name + ": standalone " + (n.act.empty() ? "lookup table" : n.act) +
                           " not supported (only right after a conv or fc that feeds nothing else)");
      case ir::OpKind::Concat:  // in place (inputs write into its buffer), checked after the DDR plan
        break;
      case ir::OpKind::MaxPool:
        // Padded activation buffers hold zeros, which stand in for "ignore the padding" (the
        // reference's rule) only when no real value in a window can be negative.
        if ((n.pad_h != 0 || n.pad_w != 0 || n.ceil_mode) && !ir::non_negative(g, n.inputs.at(0)))
          throw CompileError("layer " + n.name +
                             ": maxpool with padding (or ceil_mode) needs a non-negative input (e.g. after a ReLU)");
        break;
      case ir::OpKind::Conv:
      case ir::OpKind::Fc:
      case ir::OpKind::AvgPool:
      case ir::OpKind::Add:
      case ir::OpKind::Mul:
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
    t.loadfm_bytes = std::max<uint64_t>(t.loadfm_bytes, add            ? uint64_t{p.bh} * cw.wc() * in_c
                                                        : p.chunk_loop ? uint64_t{p.band_in_bytes(cw)} * p.in_chunks
                                                                       : p.band_in_bytes(cw));
    t.write_bytes = std::max<uint64_t>(t.write_bytes, p.slice_out_bytes(cw));
    const uint32_t rows = p.pixel_rows ? static_cast<uint32_t>(cw.row_w.size()) : p.rows_of(cw);
    for (uint32_t r = 0; r < rows; ++r) {
      const uint64_t px = p.pixel_rows ? uint64_t{p.bh} * (cw.row_w[r].second - cw.row_w[r].first)
                                       : uint64_t{p.bh} * cw.wc();
      const auto [oc0, oc1] = p.row_oc_of(cw).at(r);
      t.writefm_bytes = std::max<uint64_t>(t.writefm_bytes, px * (oc1 - oc0));
      uint64_t ops = 0;
      if (conv_like) {
        const schedule::LayerWeights& lw = ddr.weights.at(static_cast<size_t>(p.node));
        // Pixel rows: the group's one blob, over this row's share of the width.
        const schedule::WeightBlob& b =
            lw.rows.at(lw.groups.at(static_cast<size_t>(p.group_of(cw))).first + (p.pixel_rows ? 0 : r));
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
      t.loadw_bytes = std::max<uint64_t>(t.loadw_bytes, p.own_weights() ? wg.bytes : wg.max_share());
    }
    if (p.fused) {  // the residual shares LOADW's channel; its bands go to the cores beside the input
      t.loadw_bytes += p.slice_out_bytes(cw);
      for (uint32_t r = 0; r < p.rows_of(cw); ++r)
        t.loadfm_b_bytes = std::max<uint64_t>(t.loadfm_b_bytes, p.band_out_bytes(cw, r));
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
    t.loadw_bytes += p.wio.pf_col_groups || p.wio.pf_whole ? pg.bytes : pg.max_share();
  }
  if (p.skip_write || !p.writes_output()) t.write_bytes = 0;
  if (!p.writes_output()) t.writefm_bytes = 0;  // input-channel split: partial sums stay in the cores
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

// A conv piece directly after a piece of the same weight group over the same or fewer columns
// keeps the cores' copy (no LOADWM, no memtile copy needed). Where the other pieces' weights
// come from (LOADW in their phase, or prefetched by the phase before) is decided with the memtile
// allocation (residency.h).
void assign_weight_io(std::vector<schedule::LayerPlan>& plans) {
  for (size_t k = 0; k < plans.size(); ++k) {
    schedule::LayerPlan& p = plans[k];
    if (!ir::has_weights(p.op)) continue;
    const schedule::LayerPlan* prev = k > 0 ? &plans[k - 1] : nullptr;
    // (a chunk loop's cores end with its last chunk only, output parts' with the last two parts)
    const bool cores_hold = prev && !p.chunk_loop && p.out_parts <= 1 && ir::has_weights(prev->op) && prev->node == p.node &&
                            prev->group == p.group &&
                            prev->col_groups == p.col_groups && same_or_fewer_columns(*prev, p);
    p.wio.load_wm = !cores_hold;
    p.wio.load_w = !cores_hold;
  }
}

}  // namespace

std::vector<std::string> compile_stages() {
  std::vector<std::string> v;
  for (const passes::Pass& p : passes::default_passes()) v.emplace_back(p.name);
  for (const char* s : {"plan-ddr", "plan-layers", "residency", "lower"}) v.emplace_back(s);
  return v;
}

CompileResult compile(ir::Graph gg, const config::ArrayConfig& cfg, const CompileOptions& opt) {
  check_config(cfg);
  const target::TargetModel tm(cfg);
  const bool fuse_add = opt.fuse_add;
  try {
    passes::PassOptions po;
    if (!fuse_add) po.skip.push_back("fuse-add");
    // A fused add saves two passes of its output over DDR (the conv's write and the add's read
    // of it) and the add's own phase (set-up, DDR latency, pipeline fill and drain), but makes
    // every memtile hold the conv's whole weight group instead of its share. The extra weight
    // bytes are mostly prefetched behind the phase before's compute, so fusing is worth it while
    // they stay below kFuseAddBytesRatio times the saved activation bytes.
    po.fuse_add_worth = [&](const ir::Graph& g, int conv, int) {
      const ir::Node& n = g.nodes.at(static_cast<size_t>(conv));
      const uint32_t cin_p = schedule::round_up8(g.nodes.at(static_cast<size_t>(n.inputs.at(0))).out.c);
      uint64_t nnz = 0;
      for (uint32_t k : schedule::stored_blocks_per_row(n, cin_p, opt.dense)) nnz += k;
      const uint64_t weights = nnz * 64 * n.kh * n.kw;
      const uint64_t saved = 2ull * n.out.h * n.out.w * schedule::round_up8(n.out.c);
      return uint64_t{tm.columns() - 1} * weights < kFuseAddBytesRatio * saved;
    };
    po.after_pass = [&](const std::string& name, const ir::Graph& g) {
      if (opt.dump) opt.dump(name, emit::graph_listing(g));
    };
    passes::run_default_passes(gg, po);
  } catch (const std::exception& e) {
    throw CompileError("graph " + gg.name + ": " + e.what());
  }
  check_graph(gg);

  schedule::DdrPlan ddr;
  try {
    ddr = schedule::plan_ddr(gg, tm, opt.dense, opt.max_band_rows, opt.column_groups);
  } catch (const CompileError&) {
    throw;
  } catch (const std::exception& e) {
    throw CompileError(e.what());
  }
  if (opt.dump) opt.dump("plan-ddr", emit::ddr_plan_listing(gg, ddr));
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
    for (const schedule::WeightBlob& b : lw.rows)
      if (!b.data.empty()) prog.ddr_init.push_back(isa::DdrSegment{b.ddr_addr, b.data});  // (a gate's: run time)

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
  auto dump_pieces = [&](const char* stage) {
    if (!opt.dump) return;
    std::string text;
    for (const schedule::LayerPlan& p : plans) text += emit::schedule_line(gg, p, ddr) + "\n";
    opt.dump(stage, text);
  };
  dump_pieces("plan-layers");
  assign_weight_io(plans);
  try {
    schedule::assign_residency(plans, gg, ddr, tm, opt.memtile_residency);
  } catch (const std::logic_error& e) {
    throw CompileError(std::string("internal: ") + e.what());
  }
  dump_pieces("residency");
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
  try {
    isa::assign_bd_slots(prog, cfg);
  } catch (const std::runtime_error& e) {
    throw CompileError(std::string("BD slots: ") + e.what());
  }
  res.schedule_listing = listing.str();
  res.roofline = estimate::roofline(gg, cfg, opt.dense);

  try {
    isa::verify_program(prog, cfg);
  } catch (const isa::ProgramError& e) {
    throw CompileError(std::string("internal: lowering produced an invalid program: ") + e.what());
  }
  if (opt.dump) opt.dump("lower", isa::listing(prog));
  return res;
}

}  // namespace saie::compiler
