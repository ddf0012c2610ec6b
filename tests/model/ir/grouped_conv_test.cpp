// grouped_conv_test.cpp — grouped and depthwise convolutions (ir::Node::groups): which 8x8
// blocks the hardware stores, the graph checks, the bundle's per-group weight slices, and the
// integer reference (a grouped conv equals the same weights run as one ungrouped conv).
#include <functional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "model/ir/block_sparse.h"
#include "model/reference/reference_executor.h"
#include "tests/model/grouped_graphs.h"

namespace saie::ir {
namespace {

const Node& node(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes)
    if (n.name == name) return n;
  throw std::logic_error("no node " + name);
}
uint32_t cin_of(const Graph& g, const Node& n) { return g.nodes[static_cast<size_t>(n.inputs[0])].out.c; }

// Brute force: some output channel of the 8x8 block reads some input channel of it.
bool meets_groups(const Node& n, uint32_t cin, uint32_t oc0, uint32_t ic0) {
  for (uint32_t oc = oc0; oc < oc0 + 8 && oc < n.out.c; ++oc) {
    const ChannelRange r = group_inputs(n, cin, oc);
    for (uint32_t ic = ic0; ic < ic0 + 8 && ic < cin; ++ic)
      if (ic >= r.first && ic < r.last) return true;
  }
  return false;
}

TEST(CeilModePool, WindowExtentFollowsPyTorch) {
  EXPECT_EQ(window_extent(112, 3, 2, 0), 55u);
  EXPECT_EQ(window_extent(112, 3, 2, 0, true), 56u);  // GoogLeNet's first pool
  EXPECT_EQ(window_overhang(112, 56, 3, 2, 0), 1u);
  EXPECT_EQ(window_extent(55, 3, 2, 0, true), 27u);  // no change when the windows fit
  EXPECT_EQ(window_overhang(55, 27, 3, 2, 0), 0u);
  // The last window must start inside the input or its left padding: 5, k 2, s 2, p 1 -> 3.
  EXPECT_EQ(window_extent(5, 2, 2, 1, true), 3u);
  EXPECT_EQ(window_extent(14, 3, 2, 1, true), 8u);  // (values checked against torch.nn.functional.max_pool2d)
  EXPECT_EQ(window_extent(2, 3, 1, 0, true), 0u);  // does not fit
  const Graph g = test::make_ceil_pool_graph(1, false);
  EXPECT_NO_THROW(g.validate());
  Graph bad = g;
  bad.nodes[2].ceil_mode = false;  // 8x8 claimed where floor mode gives 7x7
  EXPECT_THROW(bad.validate(), std::runtime_error);
  bad = g;
  bad.nodes[1].ceil_mode = true;  // conv1
  try {
    bad.validate();
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("only a pool can have ceil_mode"), std::string::npos) << e.what();
  }
  bad = g;
  bad.nodes[2].count_include_pad = false;  // a maxpool
  try {
    bad.validate();
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("only an avgpool can have count_include_pad false"), std::string::npos) << e.what();
  }
  // Average pools with ceil_mode: the same output sizes as max pools.
  const Graph cp = test::make_count_pool_graph(1, false);
  EXPECT_NO_THROW(cp.validate());
  bad = cp;
  bad.nodes[2].ceil_mode = false;  // apool1: 9x9 claimed where floor mode gives 8x8
  EXPECT_THROW(bad.validate(), std::runtime_error);
}

TEST(GroupedConv, GroupInputsFollowPyTorchGroups) {
  const Graph g = test::make_grouped_graph(1, false);
  const Node& pw = node(g, "pw");  // 32 -> 64, 2 groups
  EXPECT_EQ(group_inputs(pw, 32, 0).first, 0u);
  EXPECT_EQ(group_inputs(pw, 32, 31).last, 16u);
  EXPECT_EQ(group_inputs(pw, 32, 32).first, 16u);
  EXPECT_EQ(group_inputs(pw, 32, 63).last, 32u);
  const Node& dw = node(g, "dw");  // depthwise: channel c reads channel c
  EXPECT_EQ(group_inputs(dw, 32, 17).first, 17u);
  EXPECT_EQ(group_inputs(dw, 32, 17).last, 18u);
  EXPECT_EQ(group_inputs(node(g, "conv1"), 8, 5).last, 8u);
}

TEST(GroupedConv, HardwareStoresOnlyBlocksThatMeetTheGroupsDenseOrSparse) {
  for (bool sparse : {false, true}) {
    const Graph g = test::make_grouped_graph(3, sparse);
    for (const char* name : {"gconv", "dw", "pw", "g4"}) {
      SCOPED_TRACE(std::string(name) + (sparse ? " sparse" : " dense"));
      const Node& n = node(g, name);
      const uint32_t cin = cin_of(g, n);
      for (bool dense_program : {false, true}) {
        const BlockMask hw = hardware_mask(n, cin, n.out.c, dense_program);
        const CompactWeights cw = compact_weights(n, cin, 0, n.out.c, dense_program);
        uint32_t want_nnz = 0;
        for (uint32_t r = 0; r < hw.rows; ++r)
          for (uint32_t c = 0; c < hw.cols; ++c) {
            const bool kept = !n.sparse || dense_program || n.mask.at(r, c);
            const bool want = meets_groups(n, cin, 8 * r, 8 * c) && kept;
            EXPECT_EQ(hw.at(r, c), want) << "block " << r << "," << c;
            want_nnz += want ? 1 : 0;
          }
        EXPECT_EQ(cw.nnz, want_nnz);
      }
    }
  }
  // The structure alone: gconv (8-channel groups) and g4 (4-channel groups) keep the block
  // diagonal, depthwise too; pw's 2 groups keep 2 of the 4 input blocks per row.
  const Graph g = test::make_grouped_graph(3, false);
  EXPECT_EQ(compact_weights(node(g, "gconv"), 32, 0, 32, true).nnz, 4u);
  EXPECT_EQ(compact_weights(node(g, "dw"), 32, 0, 32, true).nnz, 4u);
  EXPECT_EQ(compact_weights(node(g, "pw"), 32, 0, 64, true).nnz, 16u);
  EXPECT_EQ(compact_weights(node(g, "g4"), 64, 0, 64, true).nnz, 8u);
}

TEST(GroupedConv, ValidateRejectsGroupsThatDoNotFitAndWeightsOutsideTheirGroup) {
  auto rejects = [](const std::function<void(Graph&)>& edit, const std::string& want) {
    Graph g = test::make_grouped_graph(5, true);
    edit(g);
    try {
      g.validate();
      ADD_FAILURE() << "accepted; wanted '" << want << "'";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  rejects([](Graph& g) { g.nodes[3].groups = 3; }, "groups 3 must divide the input channels 32 and the output channels 32");
  rejects([](Graph& g) { g.nodes[3].groups = 0; }, "groups must be at least 1");
  rejects([](Graph& g) { g.nodes[6].groups = 2; }, "only a conv can have groups (2)");  // the avgpool
  rejects([](Graph& g) { g.nodes[7].groups = 2; }, "only a conv can have groups (2)");  // the fc
  rejects(
      [](Graph& g) {
        Node& dw = g.nodes[3];
        dw.weight[1] = 5;  // output channel 0, tap 0, input channel 1: another group's
      },
      "lies outside its group (input channels 0..0)");
  EXPECT_NO_THROW(test::make_grouped_graph(5, true).validate());
}

TEST(GroupedConv, GroupSlicesRoundTripAndHoldOnlyEachGroupsChannels) {
  const Graph g = test::make_grouped_graph(7, true);
  for (const char* name : {"conv1", "gconv", "dw", "pw", "g4"}) {
    SCOPED_TRACE(name);
    const Node& n = node(g, name);
    const uint32_t cin = cin_of(g, n);
    const uint64_t k = uint64_t{n.kh} * n.kw;
    const std::vector<int8_t> slices = group_slice_weights(n.weight, n.out.c, k, cin, n.groups);
    ASSERT_EQ(slices.size(), uint64_t{n.out.c} * k * (cin / n.groups));
    EXPECT_EQ(expand_group_weights(slices, n.out.c, k, cin, n.groups), n.weight);
    // Element (oc, tap, j) of the slice is input channel group_inputs(oc).first + j.
    const uint32_t cin_g = cin / n.groups, oc = n.out.c - 1;
    const ChannelRange r = group_inputs(n, cin, oc);
    for (uint32_t j = 0; j < cin_g; ++j)
      EXPECT_EQ(slices[(oc * k + k - 1) * cin_g + j], n.weight[(oc * k + k - 1) * cin + r.first + j]);
  }
}

TEST(GroupedConv, ReferenceEqualsTheSameWeightsAsOneUngroupedConv) {
  for (bool sparse : {false, true}) {
    const Graph g = test::make_grouped_graph(11, sparse);
    Graph flat = g;  // the weights are zero outside the groups: an ungrouped conv computes the same
    for (Node& n : flat.nodes) n.groups = 1;
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      const std::vector<int8_t> x = test::make_test_input(g, seed);
      const auto a = reference::run_all(g, x), b = reference::run_all(flat, x);
      for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << g.nodes[i].name;
      // and the network is not trivial: the grouped layers' outputs vary
      const auto& dw = a[3];
      EXPECT_NE(*std::min_element(dw.begin(), dw.end()), *std::max_element(dw.begin(), dw.end()));
    }
  }
}

}  // namespace
}  // namespace saie::ir
