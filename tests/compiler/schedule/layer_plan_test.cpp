// layer_plan_test.cpp — W split over columns (with halos), COUT split over core rows, the
// band height rule (a divisor of out_h whose double buffers fit, one buffer each for a single
// band, chosen by the pipeline estimate) and fit errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>

#include "compiler/compile.h"
#include "compiler/schedule/layer_plan.h"
#include "tests/compiler/lower/lower_graphs.h"

namespace saie {
namespace {

struct Planned {
  ir::Graph g;
  config::ArrayConfig cfg;
  schedule::DdrPlan ddr;
  schedule::LayerPlan plan;            // the first piece
  std::vector<schedule::LayerPlan> pieces;
};

Planned plan_single(const test::ConvSpec& s, uint32_t cols, uint32_t rows, uint32_t max_bh = 0,
                    bool col_groups = true) {
  Planned p;
  p.g = test::single_conv_graph(s);
  p.cfg.columns = cols;
  p.cfg.core_rows = rows;
  const target::TargetModel tm(p.cfg);
  p.ddr = schedule::plan_ddr(p.g, tm, false, max_bh, col_groups);
  p.pieces = schedule::plan_layer(p.g, 1, p.ddr, tm, max_bh);
  p.plan = p.pieces.at(0);
  return p;
}

uint64_t a16(uint64_t v) { return (v + 15) / 16 * 16; }

TEST(LayerPlan, WidthSplitWithHalo) {
  // 11x9 input, 3x3 stride 2 pad 1 -> 6x5 output; 2 columns get output columns [0,3) and [3,5).
  const Planned p = plan_single({11, 9, 8, 32, 3, 2, 1, true, true}, 2, 2, 0, false);
  const schedule::LayerPlan& l = p.plan;
  ASSERT_EQ(l.cols.size(), 2u);
  EXPECT_EQ(l.cols[0].w0, 0u);
  EXPECT_EQ(l.cols[0].w1, 3u);
  EXPECT_EQ(l.cols[0].in_w0, 0u);
  EXPECT_EQ(l.cols[0].wi, 7u);  // (3-1)*2 + 3
  EXPECT_EQ(l.cols[1].in_w0, 6u);
  EXPECT_EQ(l.cols[1].wi, 5u);  // (5-1)*2+3 - 6
  EXPECT_EQ(l.in_rows, 13u);    // (6-1)*2 + 3 = all 11 + 2 padded rows
  EXPECT_EQ(l.in_off.at(0), (std::pair<uint32_t, uint32_t>{0, 0}));  // border equals this pad
  // 32 channels = 4 block rows over 2 core rows.
  ASSERT_EQ(l.rows(), 2u);
  EXPECT_EQ(l.row_oc[0], (std::pair<uint32_t, uint32_t>{0, 16}));
  EXPECT_EQ(l.row_oc[1], (std::pair<uint32_t, uint32_t>{16, 32}));
}

TEST(LayerPlan, IdleColumnsAndRows) {
  // Output 3 wide on 4 columns: one idle; 8 output channels on 4 rows: one working row.
  const Planned p = plan_single({3, 3, 8, 8, 1, 1, 0, false, false}, 4, 4);
  EXPECT_EQ(p.plan.cols.size(), 3u);
  EXPECT_EQ(p.plan.rows(), 1u);
}

TEST(LayerPlan, ChosenBandFitsAndTilesTheOutput) {
  const test::ConvSpec s{32, 32, 64, 64, 3, 1, 1, true, true};
  const Planned p = plan_single(s, 1, 1);
  const schedule::LayerPlan& l = p.plan;
  const uint64_t w = p.ddr.weights[1].rows.at(0).bytes();
  auto need = [&](uint64_t bh) {
    const uint64_t in = ((bh - 1) * 1 + 3) * 34 * 64, out = bh * 32 * 64;
    return a16(w) + 2 * a16(in) + 2 * a16(out);
  };
  ASSERT_EQ(32 % l.bh, 0u);
  EXPECT_LE(need(l.bh), 65536u);
  EXPECT_EQ(l.core.end, need(l.bh));
  EXPECT_EQ(l.nb * l.bh, 32u);
  EXPECT_EQ(l.band_in_rows, l.bh + 2);
  // Core buffers do not overlap and stay inside 64 KiB.
  EXPECT_LE(l.core.weights + w, l.core.in[0]);
  EXPECT_LE(l.core.in[0] + l.core.in_bytes, l.core.in[1]);
  EXPECT_LE(l.core.in[1] + l.core.in_bytes, l.core.out[0]);
  EXPECT_LE(l.core.out[0] + l.core.out_bytes, l.core.out[1]);
  EXPECT_LE(l.core.out[1] + l.core.out_bytes, 65536u);
  // Memtile: input slice, weights, output slice.
  EXPECT_EQ(l.mem.x_bytes, 34u * 34u * 64u);
  EXPECT_EQ(l.mem.w_bytes, p.ddr.weights[1].bytes);
  EXPECT_EQ(l.mem.y_bytes, 32u * 32u * 64u);
  EXPECT_LE(l.mem.end, 512u * 1024u);
  // A cap bounds the band height.
  EXPECT_LE(plan_single(s, 1, 1, 3).plan.bh, 3u);
  EXPECT_EQ(plan_single(s, 1, 1, 1).plan.nb, 32u);
}

TEST(LayerPlan, WholeLayerInOneBandWhenSmall) {
  // 1x1 conv on a 2x2x8 input: per-op overheads dominate, more bands would only add prologues.
  const Planned p = plan_single({2, 2, 8, 8, 1, 1, 0, false, false}, 1, 1);
  EXPECT_EQ(p.plan.bh, 2u);
  EXPECT_EQ(p.plan.nb, 1u);
  // One band has nothing to overlap: each ping/pong pair is a single buffer (both halves at one
  // address), so a whole-piece band can fit next to a large blob.
  const schedule::CoreLayout& c = p.plan.core;
  EXPECT_EQ(c.in[0], c.in[1]);
  EXPECT_EQ(c.out[0], c.out[1]);
  const uint64_t w = p.ddr.weights[1].rows.at(0).bytes();
  EXPECT_EQ(c.end, a16(w) + a16(2 * 2 * 8) + a16(2 * 2 * 8));
}

TEST(LayerPlan, ComputeHeavyLayerIsPipelinedInBands) {
  // 16x16x32 -> 32, 3x3, dense, one core: a single 16-row band fits core memory, but loading,
  // computing and writing back one band at a time leaves no overlap; the estimate prefers
  // several bands so LOADFM / COMP / WRITEFM overlap through the ping-pong buffers.
  const Planned whole = plan_single({16, 16, 32, 32, 3, 1, 1, false, true}, 1, 1, 0);
  const uint64_t w = whole.ddr.weights[1].rows.at(0).bytes();
  const uint64_t one_band = a16(w) + 2 * a16(18 * 18 * 32) + 2 * a16(16 * 16 * 32);
  ASSERT_LE(one_band, 65536u);
  EXPECT_GT(whole.plan.nb, 1u);
  EXPECT_EQ(whole.plan.nb * whole.plan.bh, 16u);
}

TEST(LayerPlan, LayersTooBigForOnePieceAreCut) {
  // 256 input channels x 3x3 x 64 outputs on one core: 147 KiB of weights, so output channels
  // are cut into groups that fit the core's 64 KiB with their bands.
  const Planned wide = plan_single({4, 4, 256, 64, 3, 1, 1, false, true}, 1, 1);
  EXPECT_GT(wide.pieces.size(), 1u);
  EXPECT_GT(wide.ddr.weights[1].groups.size(), 1u);
  // 160x160x32 input: the slices do not fit one 512 KiB memtile, so the width or height is cut.
  const Planned tall = plan_single({160, 160, 32, 32, 1, 1, 0, false, false}, 1, 1);
  EXPECT_GT(tall.pieces.size(), 1u);
  for (const Planned* p : {&wide, &tall})
    for (const schedule::LayerPlan& l : p->pieces) {
      EXPECT_LE(l.core.end, 65536u) << l.name;
      EXPECT_LE(l.mem.end, 512u * 1024u) << l.name;
    }
}

TEST(LayerPlan, SearchSizesMatchTheBlobsTheCompilerBuilds) {
  // The sub-volume search sizes weights without building them (stored_blocks_per_row,
  // blob_bytes); they must agree with the compacted blobs, sparse and dense, 1x1 to 5x5.
  for (uint32_t k : {1u, 3u, 5u})
    for (bool dense : {false, true}) {
      const ir::Graph g = test::single_conv_graph({6, 6, 40, 72, k, 1, k / 2, true, true});
      config::ArrayConfig cfg;
      cfg.columns = 2;
      cfg.core_rows = 3;
      const target::TargetModel tm(cfg);
      const schedule::DdrPlan ddr = schedule::plan_ddr(g, tm, dense);
      const ir::Node& n = g.nodes.at(1);
      const std::vector<uint32_t> per_row = schedule::stored_blocks_per_row(n, 40, dense);
      for (const schedule::WeightBlob& b : ddr.weights.at(1).rows) {
        uint32_t nnz = 0;
        for (uint32_t r = b.oc_begin / 8; r < b.oc_end / 8; ++r) nnz += per_row.at(r);
        EXPECT_EQ(nnz, b.nnz);
        EXPECT_EQ(schedule::blob_bytes(b.block_rows, b.nnz, k, k), b.bytes()) << "k " << k << " dense " << dense;
      }
    }
}

TEST(LayerPlan, DoesNotFitErrorsNameTheLayer) {
  // One 8x8 block of a 33x33 kernel is 68 KiB: no piece fits a core, not even over 8-channel
  // input chunks (3x3 x 1024 inputs, 72 KiB a block row, is cut into input-channel chunks).
  EXPECT_NO_THROW(plan_single({4, 4, 1024, 8, 3, 1, 1, false, false}, 1, 1));
  try {
    plan_single({40, 40, 16, 8, 33, 1, 0, false, false}, 1, 1);
    FAIL();
  } catch (const compiler::CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("layer conv does not fit"), std::string::npos) << e.what();
  }
}

// Property: over random layer shapes and array sizes, every piece fits core and memtile
// memory, and the pieces cover every output (row, column, channel) exactly once.
TEST(LayerPlan, PiecesFitAndCoverTheOutputExactlyOnce) {
  std::mt19937 rng(7);
  auto pick = [&](uint32_t lo, uint32_t hi) { return lo + static_cast<uint32_t>(rng() % (hi - lo + 1)); };
  for (int trial = 0; trial < 40; ++trial) {
    const uint32_t k = std::array<uint32_t, 4>{1, 3, 5, 7}[pick(0, 3)];
    const uint32_t stride = pick(1, 2), pad = pick(0, k / 2);
    const uint32_t hw = pick(k, 90), cin = 8 * pick(1, 48), cout = 8 * pick(1, 64);
    const uint32_t cols = pick(1, 8), rows = pick(1, 8);
    test::ConvSpec spec{hw, hw, cin, cout, k, stride, pad, pick(0, 1) == 1, true};
    SCOPED_TRACE(testing::Message() << "trial " << trial << ": " << hw << "x" << hw << "x" << cin << " -> " << cout
                                    << " k" << k << " s" << stride << " p" << pad << " on " << cols << "x" << rows);
    Planned p;
    try {
      p = plan_single(spec, cols, rows);
    } catch (const compiler::CompileError& e) {
      ADD_FAILURE() << e.what();  // an input-channel split fits any of these
      continue;
    }
    const ir::Node& n = p.g.nodes.at(1);
    std::vector<uint8_t> seen(size_t{n.out.h} * n.out.w * n.out.c, 0);
    for (const schedule::LayerPlan& l : p.pieces) {
      EXPECT_LE(l.core.end, 65536u) << l.name;
      if (!l.writes_output()) continue;  // an input-channel chunk before the last: sums kept in the cores
      EXPECT_LE(l.mem.end, 512u * 1024u) << l.name;
      EXPECT_LE(l.rows(), std::min(rows, 4u));
      EXPECT_EQ(l.nb * l.bh, l.out_h);
      for (const schedule::ColumnWork& cw : l.cols)
        for (uint32_t y = l.out_row0; y < l.out_row0 + l.out_h; ++y)
          for (uint32_t x = cw.w0; x < cw.w1; ++x)
            for (uint32_t c = l.out_c0_of(cw); c < std::min(n.out.c, l.out_c0_of(cw) + l.out_cp_of(cw)); ++c)
              ++seen[(size_t{y} * n.out.w + x) * n.out.c + c];
    }
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](uint8_t v) { return v == 1; }));
  }
}

}  // namespace
}  // namespace saie
