// stage_dump.cpp — text forms of the graph and the DDR plan (stage_dump.h).
#include "compiler/emit/stage_dump.h"

#include <fmt/core.h>

namespace saie::emit {

std::string graph_listing(const ir::Graph& g) {
  std::string s = fmt::format("graph {}: {} nodes, output %{}\n", g.name, g.nodes.size(), g.output);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    s += fmt::format("%{} {} {}", i, n.name, ir::op_name(n.op));
    if (n.op == ir::OpKind::Conv || n.op == ir::OpKind::MaxPool || n.op == ir::OpKind::AvgPool)
      s += fmt::format(" {}x{}/{}x{} pad {}x{}", n.kh, n.kw, n.stride_h, n.stride_w, n.pad_h, n.pad_w);
    if (!n.inputs.empty()) {
      s += " (";
      for (size_t k = 0; k < n.inputs.size(); ++k) s += fmt::format("{}%{}", k ? ", " : "", n.inputs[k]);
      s += ")";
    }
    s += fmt::format(" -> {}x{}x{} scale {:g}", n.out.h, n.out.w, n.out.c, n.out_scale);
    if (n.relu) s += " relu";
    if (ir::has_weights(n.op)) {
      s += n.sparse ? fmt::format(" sparse {}/{} mask blocks", n.mask.nnz(), uint64_t{n.mask.rows} * n.mask.cols)
                    : std::string(" dense");
    }
    if (ir::has_fused_add(n))
      s += fmt::format(" + add of %{} (conv scale {:g}{})", n.inputs.at(1), n.pre_add_scale,
                       n.pre_add_relu ? ", conv relu" : "");
    s += "\n";
  }
  return s;
}

std::string ddr_plan_listing(const ir::Graph& g, const schedule::DdrPlan& ddr) {
  std::string s = fmt::format("ddr plan: {} B\n", ddr.end);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    const schedule::TensorBuffer& t = ddr.tensors.at(i);
    s += fmt::format("%{} {}: buffer @{} {}x{}x{} (cp {}) border {}x{} pitch {}", i, n.name, t.addr, t.h, t.w, t.c, t.cp,
                     t.ph, t.pw, t.pitch);
    if (t.is_view()) s += fmt::format(" view of %{}", t.view_of);
    if (n.op != ir::OpKind::Input && n.op != ir::OpKind::Concat) {
      const schedule::LayerTiling& l = ddr.tiling.at(i);
      s += fmt::format(" | tiling: {} pieces", l.pieces());
      if (l.col_groups)
        s += fmt::format(", {} column groups in {} batches", l.groups, l.col_batches);
      else
        s += fmt::format(", {} groups x {} width parts", l.groups, l.w_parts);
      s += fmt::format(" x {} height chunks", l.h_chunks);
      if (l.in_chunks > 1) s += fmt::format(" x {} input-channel chunks", l.in_chunks);
      if (l.pixel_rows) s += fmt::format(", pixel rows {}", l.pixel_rows);
      if (l.group_inner) s += ", groups innermost";
      if (l.input_resident || l.residual_resident || l.output_resident)
        s += fmt::format(", resident{}{}{}", l.input_resident ? " input" : "", l.residual_resident ? " residual" : "",
                         l.output_resident ? " output" : "");
      s += fmt::format(", estimate {:.0f} cycles", l.est_cycles);
      const schedule::LayerWeights& w = ddr.weights.at(i);
      if (!w.rows.empty())
        s += fmt::format(" | weights @{} {} B in {} blobs, {} groups", w.ddr_addr, w.bytes, w.rows.size(), w.groups.size());
    }
    s += "\n";
  }
  return s;
}

}  // namespace saie::emit
