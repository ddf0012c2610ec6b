// block_sparse_test.cpp — compact_weights: decodes the bytes and checks them against the weights.
#include "compiler/ir/block_sparse.h"

#include <algorithm>
#include <functional>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/compiler/test_graphs.h"

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
  odd.mask.bo = 4;
  EXPECT_THROW(compact_weights(odd, 32, 0, 32, false), std::invalid_argument);
}

}  // namespace
}  // namespace saie::ir
