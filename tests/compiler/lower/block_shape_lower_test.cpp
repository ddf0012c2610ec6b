// block_shape_lower_test.cpp — compile() of graphs whose masks use non-8x8 block shapes
// (4x16, 16x4, 1x1): the lowered program (functional interpreter) matches the reference
// executor bit for bit, and the layer report counts exactly the derived 8x8 hardware blocks.
#include <gtest/gtest.h>

#include <string>

#include "compiler/compile.h"
#include "model/ir/block_sparse.h"
#include "hw/isa/verify_program.h"
#include "model/reference/reference_executor.h"
#include "compiler/target/target_model.h"
#include "tests/model/block_shape_graphs.h"
#include "tests/compiler/lower/program_interpreter.h"
#include "tests/model/test_graphs.h"

namespace saie {
namespace {

config::ArrayConfig make_cfg(uint32_t cols, uint32_t rows) {
  config::ArrayConfig c;
  c.name = "test-" + std::to_string(cols) + "x" + std::to_string(rows);
  c.columns = cols;
  c.core_rows = rows;
  return c;
}

uint32_t round8(uint32_t v) { return (v + 7) / 8 * 8; }

// The layer report of node `name`, also when fuse-add named it "name+add".
const compiler::LayerReport* find_layer(const compiler::CompileResult& res, const std::string& name) {
  for (const compiler::LayerReport& r : res.layers)
    if (r.name == name || r.name.rfind(name + "+", 0) == 0) return &r;
  return nullptr;
}

// Compiles g (sparse and dense programs), checks both against the reference on two inputs, and
// checks that the sparse program stores and computes exactly the hardware_mask blocks of every
// sparse layer. Returns the sparse program's result.
compiler::CompileResult expect_bit_exact(const ir::Graph& g, const config::ArrayConfig& cfg, uint32_t max_band_rows) {
  compiler::CompileResult sparse_res;
  for (bool dense_prog : {false, true}) {
    SCOPED_TRACE(dense_prog ? "dense program" : "sparse program");
    compiler::CompileOptions opt;
    opt.dense = dense_prog;
    opt.max_band_rows = max_band_rows;
    compiler::CompileResult res = compiler::compile(g, cfg, opt);
    EXPECT_NO_THROW(isa::verify_program(res.program, cfg));
    test::ProgramInterpreter interp(cfg, res.program);
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      const std::vector<int8_t> in = test::make_test_input(g, seed, -127, 127);
      const reference::Tensor want = reference::run(g, in);
      const std::vector<int8_t> got = interp.run(in);
      EXPECT_EQ(got.size(), want.size());
      if (got.size() != want.size()) continue;
      size_t diff = 0;
      for (size_t i = 0; i < got.size(); ++i) diff += got[i] != want[i];
      EXPECT_EQ(diff, 0u) << "input seed " << seed;
    }
    if (!dense_prog) sparse_res = std::move(res);
  }
  for (const ir::Node& n : g.nodes) {
    if (!n.sparse) continue;
    SCOPED_TRACE(n.name);
    const compiler::LayerReport* r = find_layer(sparse_res, n.name);
    if (r == nullptr) {
      ADD_FAILURE() << "no layer report";
      continue;
    }
    const uint32_t cin = test::node_cin(n);
    const ir::BlockMask hw = ir::hardware_mask(n, round8(cin), round8(n.out.c));
    const uint64_t k = uint64_t{n.kh} * n.kw;
    EXPECT_EQ(r->weight_bytes, uint64_t{hw.nnz()} * 64 * k);
    EXPECT_EQ(r->actual_macs, uint64_t{hw.nnz()} * 64 * k * n.out.h * n.out.w);
  }
  return sparse_res;
}

ir::Graph block_graph(uint32_t bo, uint32_t bi, double keep, double region_drop, const test::TestGraphOptions& o = {}) {
  ir::Graph g = test::make_test_graph(7, false, o);  // dense weights, then re-masked
  test::remask_graph(g, bo, bi, keep, region_drop, 13);
  g.validate();
  return g;
}

TEST(LowerBlockShapes, Mask4x16BitExact) {
  const ir::Graph g = block_graph(4, 16, 0.5, 0.0);
  expect_bit_exact(g, make_cfg(2, 2), 0);
  // conv3 (32 x 32): 4x16 blocks kept at random; some 8x8 hardware blocks end up empty.
  const ir::Node& c3 = g.nodes.at(4);
  ASSERT_EQ(c3.name, "conv3");
  const ir::BlockMask hw = ir::hardware_mask(c3, 32, 32);
  EXPECT_LT(hw.nnz(), 16u);
  // Each kept 4x16 block touches 2 hardware blocks and each hardware block holds 2 logical ones.
  EXPECT_GE(hw.nnz(), c3.mask.nnz());
  EXPECT_LE(hw.nnz(), 2 * c3.mask.nnz());
}

TEST(LowerBlockShapes, Mask16x4BitExactAcrossArraysAndBands) {
  test::TestGraphOptions o;
  o.h = o.w = 12;
  o.c = 3;
  const ir::Graph g = block_graph(16, 4, 0.4, 0.0, o);
  expect_bit_exact(g, make_cfg(2, 2), 0);
  expect_bit_exact(g, make_cfg(3, 4), 1);
}

TEST(LowerBlockShapes, UnstructuredMaskBitExactAndStoresNearlyEverything) {
  // 50% of single weights kept at random: every 8x8 block of conv3 keeps some weight, so the
  // sparse program stores as many conv3 weight bytes as the dense one (the honest result).
  const ir::Graph g = block_graph(1, 1, 0.5, 0.0);
  const compiler::CompileResult res = expect_bit_exact(g, make_cfg(2, 2), 0);
  const ir::Node& c3 = g.nodes.at(4);
  EXPECT_NEAR(c3.mask.sparsity(), 0.5, 0.1);
  EXPECT_EQ(ir::hardware_mask(c3, 32, 32).nnz(), 16u);
  compiler::CompileOptions dense;
  dense.dense = true;
  const compiler::CompileResult dres = compiler::compile(g, make_cfg(2, 2), dense);
  const compiler::LayerReport *s = find_layer(res, "conv3"), *d = find_layer(dres, "conv3");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(s->weight_bytes, d->weight_bytes);
  EXPECT_EQ(s->actual_macs, d->actual_macs);
}

TEST(LowerBlockShapes, UnstructuredMaskWithEmptyRegionsBitExact) {
  // Half of the 8x8 regions cleared on top of a 1x1 mask: those hardware blocks are skipped.
  const ir::Graph g = block_graph(1, 1, 0.5, 0.5);
  expect_bit_exact(g, make_cfg(2, 2), 0);
  const ir::Node& c3 = g.nodes.at(4);
  const uint32_t stored = ir::hardware_mask(c3, 32, 32).nnz();
  EXPECT_GT(stored, 0u);
  EXPECT_LT(stored, 16u);
}

}  // namespace
}  // namespace saie
