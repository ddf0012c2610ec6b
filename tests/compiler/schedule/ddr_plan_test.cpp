// ddr_plan_test.cpp — DDR buffers (borders from consumers, channel padding, alignment, no
// overlap) and weight blobs (compact weights + requant records) per core row.
#include <gtest/gtest.h>

#include "model/ir/requant.h"
#include "compiler/schedule/ddr_plan.h"
#include "tests/compiler/lower/lower_graphs.h"

namespace saie {
namespace {

int32_t rd32(const std::vector<uint8_t>& v, size_t a) {
  return static_cast<int32_t>(uint32_t(v[a]) | uint32_t(v[a + 1]) << 8 | uint32_t(v[a + 2]) << 16 |
                              uint32_t(v[a + 3]) << 24);
}

TEST(SplitEven, BalancedContiguousCover) {
  for (uint32_t n : {0u, 1u, 7u, 10u, 14u})
    for (uint32_t parts : {1u, 2u, 3u, 4u}) {
      uint32_t next = 0, lo = ~0u, hi = 0;
      for (uint32_t i = 0; i < parts; ++i) {
        const auto [b, e] = schedule::split_even(n, parts, i);
        EXPECT_EQ(b, next);
        next = e;
        lo = std::min(lo, e - b);
        hi = std::max(hi, e - b);
      }
      EXPECT_EQ(next, n);
      EXPECT_LE(hi - lo, 1u);
    }
  EXPECT_EQ(schedule::split_even(7, 2, 0), (std::pair<uint32_t, uint32_t>{0, 4}));
  EXPECT_EQ(schedule::split_even(1, 3, 2), (std::pair<uint32_t, uint32_t>{1, 1}));
}

TEST(DdrPlan, BordersChannelsAlignmentAndWeights) {
  const ir::Graph g = test::multi_pad_graph();
  config::ArrayConfig cfg;  // 2 x 2
  const schedule::DdrPlan p = schedule::plan_ddr(g, target::TargetModel(cfg), false);
  ASSERT_EQ(p.tensors.size(), g.nodes.size());
  // input: consumer c1 pad 1; c1: consumers c2 (pad 2) and add (0); add: avg pad 1; fc: none.
  const uint32_t want_border[] = {1, 2, 0, 1, 0, 0};
  const uint32_t want_cp[] = {8, 16, 16, 16, 16, 16};
  uint64_t prev_end = 0;
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    const schedule::TensorBuffer& t = p.tensors[i];
    SCOPED_TRACE(g.nodes[i].name);
    EXPECT_EQ(t.ph, want_border[i]);
    EXPECT_EQ(t.pw, want_border[i]);
    EXPECT_EQ(t.cp, want_cp[i]);
    EXPECT_EQ(t.addr % 64, 0u);
    EXPECT_GE(t.addr, prev_end);
    EXPECT_EQ(t.bytes(), uint64_t{t.h + 2 * t.ph} * (t.w + 2 * t.pw) * t.cp);
    EXPECT_EQ(t.interior(), t.addr + uint64_t{t.ph} * t.row_pitch() + uint64_t{t.pw} * t.cp);
    prev_end = t.addr + t.bytes();
  }
  // Weights: c1 (16 out = 2 block rows -> 2 core rows), fc (10 -> 16 out, 2 rows).
  const schedule::LayerWeights& fc = p.weights[5];
  ASSERT_EQ(fc.rows.size(), 2u);
  EXPECT_GE(fc.ddr_addr, prev_end);
  EXPECT_EQ(fc.ddr_addr % 64, 0u);
  EXPECT_EQ(fc.rows[0].ddr_addr, fc.ddr_addr);
  EXPECT_EQ(fc.rows[1].ddr_addr, fc.ddr_addr + fc.rows[0].bytes());  // contiguous: one shim BD
  EXPECT_EQ(fc.bytes, fc.rows[0].bytes() + fc.rows[1].bytes());
  EXPECT_EQ(fc.rows[1].oc_begin, 8u);
  EXPECT_EQ(fc.rows[1].oc_end, 16u);
  EXPECT_EQ(p.end, schedule::align_up(fc.ddr_addr + fc.bytes, 64));
  // Requant records of fc row 1: channels 8, 9 real; 10..15 padding (all zero).
  const ir::Node& n = g.nodes[5];
  const schedule::WeightBlob& b = fc.rows[1];
  EXPECT_EQ(b.compact_bytes % 4, 0u);
  EXPECT_EQ(b.qp_bytes, 8u * 12u);
  EXPECT_EQ(b.data.size(), b.bytes());
  for (uint32_t oc = 8; oc < 16; ++oc) {
    const size_t a = b.compact_bytes + 12 * (oc - 8);
    if (oc < 10) {
      const ir::Requant rq = ir::make_requant(double{g.nodes[4].out_scale} * double{n.weight_scales[oc]} /
                                              double{n.out_scale});
      EXPECT_EQ(rd32(b.data, a), n.bias[oc]);
      EXPECT_EQ(rd32(b.data, a + 4), rq.mult);
      EXPECT_EQ(rd32(b.data, a + 8), rq.shift);
    } else {
      EXPECT_EQ(rd32(b.data, a), 0);
      EXPECT_EQ(rd32(b.data, a + 4), 0);
    }
  }
  // Non-weighted nodes have no blobs.
  EXPECT_TRUE(p.weights[3].rows.empty());
}

TEST(DdrPlan, DenseStoresEveryBlockSparseOnlyMasked) {
  const ir::Graph g = test::multi_pad_graph();
  config::ArrayConfig cfg;
  const schedule::DdrPlan sp = schedule::plan_ddr(g, target::TargetModel(cfg), false);
  const schedule::DdrPlan de = schedule::plan_ddr(g, target::TargetModel(cfg), true);
  const ir::Node& c2 = g.nodes[2];  // sparse
  uint32_t nnz = 0, dense_blocks = 0;
  for (const auto& b : sp.weights[2].rows) nnz += b.nnz;
  for (const auto& b : de.weights[2].rows) dense_blocks += b.nnz;
  EXPECT_EQ(nnz, c2.mask.nnz());
  EXPECT_EQ(dense_blocks, c2.mask.rows * c2.mask.cols);
  EXPECT_LT(sp.weights[2].bytes, de.weights[2].bytes);
  // c1 is dense: identical in both.
  EXPECT_EQ(sp.weights[1].bytes, de.weights[1].bytes);
}

TEST(DdrPlan, OneCoreRowPerBlockRowAtMost) {
  test::ConvSpec s{4, 4, 8, 8, 1, 1, 0, false, false};
  config::ArrayConfig cfg;
  cfg.core_rows = 4;
  const schedule::DdrPlan p = schedule::plan_ddr(test::single_conv_graph(s), target::TargetModel(cfg), false);
  EXPECT_EQ(p.weights[1].rows.size(), 1u);
  EXPECT_EQ(schedule::working_rows(3, 4), 3u);
  EXPECT_EQ(schedule::working_rows(9, 4), 4u);
}

}  // namespace
}  // namespace saie
