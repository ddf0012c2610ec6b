// block_sparse_test.cpp — compact_weights: decodes the bytes and checks them against the weights;
// hardware_mask: logical masks of any block shape mapped onto the core's 8x8 blocks.
#include "model/ir/block_sparse.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/model/block_shape_graphs.h"
#include "tests/model/test_graphs.h"

namespace saie::ir {
namespace {

uint16_t u16(const std::vector<uint8_t>& b, size_t off) { return static_cast<uint16_t>(b.at(off) | (b.at(off + 1) << 8)); }

const Node& node(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes)
    if (n.name == name) return n;
  throw std::logic_error("no node " + name);
}

uint32_t in_channels(const Graph& g, const Node& n) { return g.nodes[static_cast<size_t>(n.inputs[0])].out.c; }

struct Decoded {
  uint32_t rows, cols, kh, kw;
  std::vector<uint32_t> row_ptr, col_idx;
  size_t blocks_at;
};

// Decodes the format of docs/program-format.md independently of the encoder.
Decoded decode(const CompactWeights& cw) {
  Decoded d;
  const auto& b = cw.bytes;
  d.rows = u16(b, 0);
  d.cols = u16(b, 2);
  d.kh = u16(b, 4);
  d.kw = u16(b, 6);
  size_t off = 8;
  for (uint32_t i = 0; i <= d.rows; ++i, off += 2) d.row_ptr.push_back(u16(b, off));
  for (uint32_t i = 0; i < d.row_ptr.back(); ++i, off += 2) d.col_idx.push_back(u16(b, off));
  while (off % 4) {
    EXPECT_EQ(b.at(off), 0) << "padding byte " << off;
    ++off;
  }
  d.blocks_at = off;
  return d;
}

// Checks every stored block against the node's weights (zero outside cout/cin) and that the
// stored set is exactly what `expect_stored(oc0, ic0)` says.
void check(const Node& n, uint32_t cin, uint32_t in_c, uint32_t oc_begin, uint32_t oc_end, bool dense,
           const std::function<bool(uint32_t, uint32_t)>& expect_stored) {
  CompactWeights cw = compact_weights(n, in_c, oc_begin, oc_end, dense);
  Decoded d = decode(cw);
  const uint32_t k = n.kh * n.kw;
  EXPECT_EQ(d.rows, (oc_end - oc_begin) / 8);
  EXPECT_EQ(d.cols, in_c / 8);
  EXPECT_EQ(d.kh, n.kh);
  EXPECT_EQ(d.kw, n.kw);
  EXPECT_EQ(cw.block_rows, d.rows);
  EXPECT_EQ(cw.block_cols, d.cols);
  EXPECT_EQ(cw.nnz, d.row_ptr.back());
  EXPECT_EQ(d.row_ptr[0], 0u);
  EXPECT_EQ(cw.metadata_bytes, d.blocks_at);
  EXPECT_EQ(cw.metadata_bytes % 4, 0u);
  EXPECT_LE(cw.metadata_bytes, 8 + 2 * (d.rows + 1) + 2 * cw.nnz + 3);
  EXPECT_EQ(cw.payload_bytes, cw.nnz * 64 * k);
  ASSERT_EQ(cw.bytes.size(), size_t{cw.metadata_bytes} + cw.payload_bytes);

  size_t blk = 0;
  for (uint32_t r = 0; r < d.rows; ++r) {
    std::vector<uint32_t> stored(d.col_idx.begin() + d.row_ptr[r], d.col_idx.begin() + d.row_ptr[r + 1]);
    for (uint32_t c = 0; c < d.cols; ++c) {
      const bool want = expect_stored(oc_begin + r * 8, c * 8);
      const bool have = std::find(stored.begin(), stored.end(), c) != stored.end();
      EXPECT_EQ(have, want) << "block row " << r << " col " << c;
    }
    for (size_t j = 1; j < stored.size(); ++j) EXPECT_LT(stored[j - 1], stored[j]) << "col_idx sorted";
    for (uint32_t c : stored) {
      const uint8_t* p = &cw.bytes[cw.metadata_bytes + blk * 64 * k];
      for (uint32_t o = 0; o < 8; ++o)
        for (uint32_t kk = 0; kk < k; ++kk)
          for (uint32_t i = 0; i < 8; ++i) {
            const uint32_t oc = oc_begin + r * 8 + o, ic = c * 8 + i;
            const int8_t want = (oc < n.out.c && ic < cin) ? n.weight[(size_t{oc} * k + kk) * cin + ic] : 0;
            ASSERT_EQ(static_cast<int8_t>(p[(o * k + kk) * 8 + i]), want) << "block (" << r << "," << c << ") o " << o
                                                                          << " kk " << kk << " i " << i;
          }
      ++blk;
    }
  }
}

TEST(BlockSparseTest, SparseConvStoresExactlyMaskOnes) {
  Graph g = test::make_test_graph(5, true);
  const Node& n = node(g, "conv3");  // 32 x 3 x 3 x 32, 50% row-balanced mask
  const uint32_t cin = in_channels(g, n);
  CompactWeights cw = compact_weights(n, cin, 0, n.out.c, false);
  EXPECT_EQ(cw.nnz, n.mask.nnz());
  EXPECT_EQ(cw.nnz, 8u);  // 4 rows x 2 kept
  EXPECT_LT(cw.metadata_bytes * 50, cw.payload_bytes) << "metadata must be small next to the payload";
  check(n, cin, cin, 0, n.out.c, false, [&](uint32_t oc, uint32_t ic) { return n.mask.at(oc / 8, ic / 8); });
}

TEST(BlockSparseTest, DenseFlagStoresAllBlocks) {
  Graph g = test::make_test_graph(5, true);
  const Node& n = node(g, "conv3");
  const uint32_t cin = in_channels(g, n);
  CompactWeights cw = compact_weights(n, cin, 0, n.out.c, true);
  EXPECT_EQ(cw.nnz, 16u);
  check(n, cin, cin, 0, n.out.c, true, [](uint32_t, uint32_t) { return true; });
}

TEST(BlockSparseTest, DenseNodeStoresAllBlocks) {
  Graph g = test::make_test_graph(5, true);
  const Node& n = node(g, "conv1");  // sparse == false
  ASSERT_FALSE(n.sparse);
  check(n, 8, 8, 8, 16, false, [](uint32_t, uint32_t) { return true; });
}

TEST(BlockSparseTest, OutputRangeUsesOriginalMaskRows) {
  Graph g = test::make_test_graph(9, true);
  const Node& n = node(g, "conv2");  // 32 out, 16 in
  check(n, 16, 16, 16, 32, false, [&](uint32_t oc, uint32_t ic) { return n.mask.at(oc / 8, ic / 8); });
}

TEST(BlockSparseTest, PaddingBlocksNotStoredWhenSparse) {
  test::TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  Graph g = test::make_test_graph(2, true, o);
  const Node& fc = node(g, "fc");  // 10 x 32: second block row is partial (oc 8, 9 real)
  // Pad the input to 48 channels (2 padded-only block columns) and the output to 24 (one
  // padded-only block row).
  auto in_mask = [&](uint32_t oc, uint32_t ic) { return oc < 10 && ic < 32 && fc.mask.at(oc / 8, ic / 8); };
  check(fc, 32, 48, 0, 24, false, in_mask);
  CompactWeights cw = compact_weights(fc, 48, 0, 24, false);
  EXPECT_EQ(cw.nnz, fc.mask.nnz());
  // Dense mode stores the padding blocks too, as zeros beyond cout/cin.
  check(fc, 32, 48, 0, 24, true, [](uint32_t, uint32_t) { return true; });
  EXPECT_EQ(compact_weights(fc, 48, 0, 24, true).nnz, 3u * 6u);
  // conv1 has a single input channel: in_c padded to 8.
  const Node& c1 = node(g, "conv1");
  check(c1, 1, 8, 0, 16, false, [](uint32_t, uint32_t) { return true; });
}

TEST(BlockSparseTest, RejectsBadArguments) {
  Graph g = test::make_test_graph(5, true);
  const Node& n = node(g, "conv3");
  EXPECT_THROW(compact_weights(n, 28, 0, 32, false), std::invalid_argument);   // in_c not multiple of 8
  EXPECT_THROW(compact_weights(n, 24, 0, 32, false), std::invalid_argument);   // in_c < cin
  EXPECT_THROW(compact_weights(n, 32, 4, 12, false), std::invalid_argument);   // unaligned oc range
  EXPECT_THROW(compact_weights(n, 32, 8, 8, false), std::invalid_argument);    // empty
  EXPECT_THROW(compact_weights(node(g, "pool1"), 16, 0, 16, false), std::invalid_argument);
  Node odd = n;
  odd.mask.bo = 4;  // 4x8 blocks are fine in general, but 4 mask rows of 4 do not cover 32 outputs
  EXPECT_THROW(compact_weights(odd, 32, 0, 32, false), std::invalid_argument);
}

TEST(BlockSparseTest, InputChannelChunksPartitionTheBlocks) {
  // conv3: 32 x 3x3 x 32, 50% mask. Chunks [0, 16) and [16, 32): each keeps its own block
  // columns, numbered from the chunk's start, with the same payload bytes as the whole.
  Graph g = test::make_test_graph(5, true);
  const Node& n = node(g, "conv3");
  const uint32_t cin = in_channels(g, n);
  for (bool dense : {false, true}) {
    const CompactWeights whole = compact_weights(n, cin, 0, n.out.c, dense);
    const Decoded dw = decode(whole);
    const uint64_t block = 64ull * n.kh * n.kw;
    uint32_t nnz = 0;
    for (auto [c0, c1] : {std::pair<uint32_t, uint32_t>{0, 16}, {16, 32}}) {
      const CompactWeights part = compact_weights(n, cin, 0, n.out.c, dense, c0, c1);
      const Decoded dp = decode(part);
      EXPECT_EQ(dp.cols, (c1 - c0) / 8);
      nnz += part.nnz;
      for (uint32_t r = 0; r < dp.rows; ++r)
        for (uint32_t j = dp.row_ptr[r]; j < dp.row_ptr[r + 1]; ++j) {
          const uint32_t col = dp.col_idx[j] + c0 / 8;  // the whole's block column
          const auto first = dw.col_idx.begin() + dw.row_ptr[r], last = dw.col_idx.begin() + dw.row_ptr[r + 1];
          const auto it = std::find(first, last, col);
          ASSERT_NE(it, last) << "chunk " << c0 << " row " << r << " col " << col;
          const size_t jw = static_cast<size_t>(it - dw.col_idx.begin());
          EXPECT_TRUE(std::equal(part.bytes.begin() + static_cast<long>(dp.blocks_at + j * block),
                                 part.bytes.begin() + static_cast<long>(dp.blocks_at + (j + 1) * block),
                                 whole.bytes.begin() + static_cast<long>(dw.blocks_at + jw * block)));
        }
    }
    EXPECT_EQ(nnz, whole.nnz) << (dense ? "dense" : "sparse");
  }
  EXPECT_THROW(compact_weights(n, cin, 0, 32, false, 4, 16), std::invalid_argument);   // unaligned
  EXPECT_THROW(compact_weights(n, cin, 0, 32, false, 16, 16), std::invalid_argument);  // empty
  EXPECT_THROW(compact_weights(n, cin, 0, 32, false, 16, 40), std::invalid_argument);  // past in_c
}

// ---------------------------------------------------------------------------------------------
// Non-8x8 logical masks.

// Runs f, expects std::invalid_argument whose message names `node_name`.
template <class F>
void expect_invalid_naming(F&& f, const std::string& node_name) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'" + node_name + "'"), std::string::npos) << e.what();
  }
}

TEST(BlockSparseTest, Mask16x4MapsToOverlappingHardwareBlocks) {
  Node n = test::make_conv_node("c16x4", 32, 16, 3, 3);
  // 2 logical rows (oc 0-15, 16-31) x 4 logical cols (ic 0-3, 4-7, 8-11, 12-15).
  std::vector<uint8_t> bits(2 * 4, 0);
  bits[0 * 4 + 0] = 1;  // oc 0..15, ic 0..3  -> hardware (0, 0), (1, 0)
  bits[0 * 4 + 1] = 1;  // oc 0..15, ic 4..7  -> the same two hardware blocks
  bits[1 * 4 + 2] = 1;  // oc 16..31, ic 8..11 -> hardware (2, 1), (3, 1)
  test::set_mask(n, 16, 4, bits);
  const BlockMask hw = hardware_mask(n, 16, 32);
  EXPECT_EQ(hw.bo, 8u);
  EXPECT_EQ(hw.bi, 8u);
  EXPECT_EQ(hw.rows, 4u);
  EXPECT_EQ(hw.cols, 2u);
  EXPECT_EQ(hw.bits, (std::vector<uint8_t>{1, 0, 1, 0, 0, 1, 0, 1}));
  EXPECT_EQ(compact_weights(n, 16, 0, 32, false).nnz, 4u);
  check(n, 16, 16, 0, 32, false, [&](uint32_t oc, uint32_t ic) { return hw.at(oc / 8, ic / 8); });
  // An output range starting mid-way still indexes the logical mask by the original channels.
  check(n, 16, 16, 16, 32, false, [](uint32_t, uint32_t ic) { return ic == 8; });
  // Stored hardware block (2, 1) holds zeros for ic 12..15 (logical block (1, 3) is 0).
  EXPECT_EQ(n.weight[(size_t{20} * 9 + 4) * 16 + 13], 0);
  EXPECT_NE(n.weight[(size_t{20} * 9 + 4) * 16 + 9], 0);
}

TEST(BlockSparseTest, Mask4x16MapsToOverlappingHardwareBlocks) {
  Node n = test::make_conv_node("c4x16", 16, 32);
  // 4 logical rows (oc 0-3, 4-7, 8-11, 12-15) x 2 logical cols (ic 0-15, 16-31).
  std::vector<uint8_t> bits(4 * 2, 0);
  bits[1 * 2 + 1] = 1;  // oc 4..7, ic 16..31  -> hardware (0, 2), (0, 3)
  bits[3 * 2 + 0] = 1;  // oc 12..15, ic 0..15 -> hardware (1, 0), (1, 1)
  test::set_mask(n, 4, 16, bits);
  const BlockMask hw = hardware_mask(n, 32, 16);
  EXPECT_EQ(hw.rows, 2u);
  EXPECT_EQ(hw.cols, 4u);
  EXPECT_EQ(hw.bits, (std::vector<uint8_t>{0, 0, 1, 1, 1, 1, 0, 0}));
  check(n, 32, 32, 0, 16, false, [&](uint32_t oc, uint32_t ic) { return hw.at(oc / 8, ic / 8); });
  EXPECT_EQ(compact_weights(n, 32, 0, 16, false).nnz, 4u);
  // Dense mode ignores the mask as before.
  EXPECT_EQ(compact_weights(n, 32, 0, 16, true).nnz, 8u);
}

TEST(BlockSparseTest, UnstructuredMaskKeepsBlockOfSingleWeight) {
  Node n = test::make_conv_node("c1x1", 16, 24, 3, 3);
  std::vector<uint8_t> bits(16 * 24, 0);
  bits[10 * 24 + 17] = 1;  // only weight (oc 10, ic 17) survives ...
  test::set_mask(n, 1, 1, bits);
  for (uint32_t kk = 0; kk < 9; ++kk) n.weight[(size_t{10} * 9 + kk) * 24 + 17] = kk == 7 ? -5 : 0;  // ... at kk 7
  const BlockMask hw = hardware_mask(n, 24, 16);
  ASSERT_EQ(hw.rows, 2u);
  ASSERT_EQ(hw.cols, 3u);
  EXPECT_EQ(hw.bits, (std::vector<uint8_t>{0, 0, 0, 0, 0, 1}));  // hardware block (1, 2)
  check(n, 24, 24, 0, 16, false, [](uint32_t oc, uint32_t ic) { return oc == 8 && ic == 16; });
  const CompactWeights cw = compact_weights(n, 24, 0, 16, false);
  ASSERT_EQ(cw.nnz, 1u);
  // In the stored block: o = 10 - 8, kk = 7, i = 17 - 16.
  EXPECT_EQ(static_cast<int8_t>(cw.bytes.at(cw.metadata_bytes + (2 * 9 + 7) * 8 + 1)), -5);
  // With channel padding the padded row / column stay empty.
  const BlockMask padded = hardware_mask(n, 32, 24);
  EXPECT_EQ(padded.rows, 3u);
  EXPECT_EQ(padded.cols, 4u);
  EXPECT_EQ(padded.nnz(), 1u);
  EXPECT_TRUE(padded.at(1, 2));
  // A 1x1 mask with one kept weight per 8x8 region keeps every hardware block: 1/64 of the
  // weights, but no hardware saving.
  Node spread = test::make_conv_node("spread", 16, 24);
  std::vector<uint8_t> diag(16 * 24, 0);
  for (uint32_t r8 = 0; r8 < 2; ++r8)
    for (uint32_t c8 = 0; c8 < 3; ++c8) diag[(r8 * 8 + c8) * 24 + c8 * 8 + r8] = 1;
  test::set_mask(spread, 1, 1, diag);
  EXPECT_NEAR(spread.mask.sparsity(), 1.0 - 6.0 / 384.0, 1e-12);
  EXPECT_EQ(hardware_mask(spread, 24, 16).nnz(), 6u);
  EXPECT_EQ(compact_weights(spread, 24, 0, 16, false).nnz, 6u);
}

TEST(BlockSparseTest, CoarseMaskOverPartialEdgeBlocks) {
  // cout 10, cin 12 with 16x16 blocks: one logical block covers every real channel.
  Node n = test::make_conv_node("edge", 10, 12);
  test::set_mask(n, 16, 16, {1});
  const BlockMask hw = hardware_mask(n, 24, 24);
  EXPECT_EQ(hw.bits, (std::vector<uint8_t>{1, 1, 0, 1, 1, 0, 0, 0, 0}));  // padding-only row/col empty
  check(n, 12, 24, 0, 24, false, [](uint32_t oc, uint32_t ic) { return oc < 10 && ic < 12; });
  test::set_mask(n, 16, 16, {0});
  EXPECT_EQ(hardware_mask(n, 24, 24).nnz(), 0u);
  EXPECT_EQ(compact_weights(n, 16, 0, 16, false).nnz, 0u);
}

TEST(BlockSparseTest, HardwareMaskMatchesBruteForceForManyShapes) {
  test::detail::Rng rng(99);
  const uint32_t sizes[] = {1, 2, 4, 8, 16, 32};
  int cases = 0;
  for (uint32_t bo : sizes)
    for (uint32_t bi : sizes)
      for (auto [cout, cin] : {std::pair<uint32_t, uint32_t>{10, 12}, {24, 32}, {40, 8}}) {
        SCOPED_TRACE(std::to_string(bo) + "x" + std::to_string(bi) + " cout " + std::to_string(cout) + " cin " +
                     std::to_string(cin));
        Node n = test::make_conv_node("rand", cout, cin, 1, 2);
        const uint32_t rows = (cout + bo - 1) / bo, cols = (cin + bi - 1) / bi;
        std::vector<uint8_t> bits(size_t{rows} * cols);
        // Sparse enough (for fine blocks) that some 8x8 regions end up empty.
        const double keep = bo * bi <= 4 ? 0.03 : 0.4;
        for (uint8_t& b : bits) b = rng.uniform(0.0, 1.0) < keep ? 1 : 0;
        test::set_mask(n, bo, bi, bits);
        const uint32_t in_c = (cin + 7) / 8 * 8, out_c = (cout + 7) / 8 * 8;
        // Independent definition: a hardware block is needed iff it contains a kept weight position.
        std::vector<uint8_t> want(size_t{out_c / 8} * (in_c / 8), 0);
        for (uint32_t oc = 0; oc < cout; ++oc)
          for (uint32_t ic = 0; ic < cin; ++ic)
            if (n.mask.at(oc / bo, ic / bi)) want[size_t{oc / 8} * (in_c / 8) + ic / 8] = 1;
        const BlockMask hw = hardware_mask(n, in_c, out_c);
        EXPECT_EQ(hw.bits, want);
        if (bo == 8 && bi == 8) {
          EXPECT_EQ(hw.bits, n.mask.bits);
        }
        check(n, cin, in_c, 0, out_c, false, [&](uint32_t oc, uint32_t ic) { return hw.at(oc / 8, ic / 8); });
        ++cases;
      }
  EXPECT_EQ(cases, 6 * 6 * 3);
}

TEST(BlockSparseTest, HardwareMaskOfEightByEightAndDenseNodes) {
  Graph g = test::make_test_graph(5, true);
  const Node& c3 = node(g, "conv3");
  EXPECT_EQ(hardware_mask(c3, 32, 32).bits, c3.mask.bits);
  const Node& fc = node(g, "fc");  // 10 x 32
  EXPECT_EQ(hardware_mask(fc, 32, 16).bits, fc.mask.bits);
  const Node& c1 = node(g, "conv1");  // dense, 16 x 8
  const BlockMask hw = hardware_mask(c1, 8, 16);
  EXPECT_EQ(hw.rows, 2u);
  EXPECT_EQ(hw.cols, 1u);
  EXPECT_EQ(hw.nnz(), 2u);
}

TEST(BlockSparseTest, RejectsBadMasksNamingTheNode) {
  Node n = test::make_conv_node("badmask", 16, 16);
  test::set_mask(n, 4, 16, std::vector<uint8_t>(4, 1));
  ASSERT_EQ(hardware_mask(n, 16, 16).nnz(), 4u);
  Node zero = n;
  zero.mask.bo = 0;
  expect_invalid_naming([&] { compact_weights(zero, 16, 0, 16, false); }, "badmask");
  expect_invalid_naming([&] { hardware_mask(zero, 16, 16); }, "badmask");
  Node short_bits = n;
  short_bits.mask.bits.pop_back();
  expect_invalid_naming([&] { compact_weights(short_bits, 16, 0, 16, false); }, "badmask");
  Node small = n;
  small.mask.bi = 8;  // 1 column of 8 does not cover 16 inputs
  expect_invalid_naming([&] { hardware_mask(small, 16, 16); }, "badmask");
  expect_invalid_naming([&] { hardware_mask(n, 8, 16); }, "badmask");   // in_c < cin
  expect_invalid_naming([&] { hardware_mask(n, 16, 15); }, "badmask");  // out_c < cout
  Graph g = test::make_test_graph(5, true);
  expect_invalid_naming([&] { hardware_mask(node(g, "pool1"), 16, 16); }, "pool1");
}

}  // namespace
}  // namespace saie::ir
