// ddr_plan.cpp — places activation buffers and weight blobs in DDR (see ddr_plan.h).
#include "compiler/schedule/ddr_plan.h"

#include <algorithm>
#include <string>

#include "compiler/compile.h"
#include "compiler/ir/block_sparse.h"
#include "compiler/ir/requant.h"

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

bool is_conv_like(ir::OpKind k) { return k == ir::OpKind::Conv || k == ir::OpKind::Fc; }

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

}  // namespace

DdrPlan plan_ddr(const ir::Graph& g, const target::TargetModel& tm, bool dense) {
  DdrPlan p;
  const size_t n = g.nodes.size();
  p.tensors.resize(n);
  p.weights.resize(n);
  // Border of each tensor = the largest padding any consumer applies to it.
  for (size_t i = 0; i < n; ++i) {
    const ir::Node& node = g.nodes[i];
    for (int in : node.inputs) {
      TensorBuffer& t = p.tensors.at(static_cast<size_t>(in));
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
    t.addr = addr;
    addr = align_up(addr + t.bytes(), kDdrAlign);
  }
  // Weight blobs, layer by layer, the core rows of a layer contiguous (one shim BD loads them).
  for (size_t i = 0; i < n; ++i) {
    const ir::Node& node = g.nodes[i];
    if (!is_conv_like(node.op)) continue;
    LayerWeights& lw = p.weights[i];
    lw.ddr_addr = addr;
    const uint32_t cin_p = round_up8(g.nodes.at(node.inputs.at(0)).out.c);
    const uint32_t block_rows = round_up8(node.out.c) / 8;
    const uint32_t rows = working_rows(block_rows, tm.usable_core_rows());
    uint64_t a = addr;
    for (uint32_t r = 0; r < rows; ++r) {
      const auto [b0, b1] = split_even(block_rows, rows, r);
      WeightBlob b = make_blob(g, node, cin_p, 8 * b0, 8 * b1, dense);
      b.ddr_addr = a;
      a += b.bytes();
      lw.rows.push_back(std::move(b));
    }
    lw.bytes = a - addr;
    addr = align_up(a, kDdrAlign);
  }
  p.end = addr;
  return p;
}

}  // namespace saie::schedule
