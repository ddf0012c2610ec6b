// zoo_test_util.h — checks shared by the model-zoo tests.
#pragma once

#include <gtest/gtest.h>

#include "model/ir/graph.h"

namespace saie::trainer {

// Every prunable layer (all but the first conv) keeps exactly half of the blocks of every row.
inline void expect_half_pruned(const ir::Graph& g) {
  bool first = true;
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::Conv && n.op != ir::OpKind::Fc) continue;
    if (n.op == ir::OpKind::Conv && first) {
      EXPECT_FALSE(n.sparse) << n.name;
      first = false;
      continue;
    }
    ASSERT_TRUE(n.sparse) << n.name;
    ASSERT_EQ(n.mask.cols % 2, 0u) << n.name;
    for (uint32_t r = 0; r < n.mask.rows; ++r) {
      uint32_t kept = 0;
      for (uint32_t c = 0; c < n.mask.cols; ++c) kept += n.mask.at(r, c) ? 1 : 0;
      ASSERT_EQ(kept, n.mask.cols / 2) << n.name << " row " << r;
    }
  }
}

}  // namespace saie::trainer
