// concat_reference_test.cpp — the reference executor's concat copies its inputs' channels exactly.
#include <gtest/gtest.h>

#include "model/reference/reference_executor.h"
#include "tests/model/concat_graphs.h"
#include "tests/model/test_graphs.h"

namespace saie::reference {
namespace {

TEST(ConcatReferenceTest, CopiesChannelsInInputOrder) {
  const ir::Graph g = test::make_concat_graph();
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    const std::vector<int8_t> in = test::make_test_input(g, seed, -127, 127);
    const std::vector<Tensor> t = run_all(g, in);
    const Tensor &a = t[1], &b = t[2], &cat2 = t[3], &mp = t[4], &cat3 = t[5];
    ASSERT_EQ(cat2.size(), 6u * 5u * 12u);
    ASSERT_EQ(cat3.size(), 6u * 5u * 24u);
    bool any_nonzero = false;
    for (uint32_t y = 0; y < 6; ++y)
      for (uint32_t x = 0; x < 5; ++x) {
        const size_t p = size_t{y} * 5 + x;  // pixel index
        for (uint32_t c = 0; c < 4; ++c) EXPECT_EQ(cat2[p * 12 + c], a[p * 4 + c]);
        for (uint32_t c = 0; c < 8; ++c) EXPECT_EQ(cat2[p * 12 + 4 + c], b[p * 8 + c]);
        for (uint32_t c = 0; c < 8; ++c) EXPECT_EQ(cat3[p * 24 + c], b[p * 8 + c]);
        for (uint32_t c = 0; c < 12; ++c) EXPECT_EQ(cat3[p * 24 + 8 + c], cat2[p * 12 + c]);
        for (uint32_t c = 0; c < 4; ++c) EXPECT_EQ(cat3[p * 24 + 20 + c], mp[p * 4 + c]);
        for (uint32_t c = 0; c < 24; ++c) any_nonzero = any_nonzero || cat3[p * 24 + c] != 0;
      }
    EXPECT_TRUE(any_nonzero);  // the check above is not vacuous
  }
}

TEST(ConcatReferenceTest, HeadSeesTheConcatenatedTensor) {
  // Swapping cat3's first two inputs (same channel count sum, same scale) changes what the
  // head conv reads, so its output must change: the concat is wired to the consumer.
  const ir::Graph g = test::make_concat_graph();
  ir::Graph h = g;
  h.nodes[5].inputs = {4, 3, 2};  // mp, cat2, b: still 24 channels
  const std::vector<int8_t> in = test::make_test_input(g, 7, -127, 127);
  EXPECT_NE(run(g, in), run(h, in));
}

}  // namespace
}  // namespace saie::reference
