// grouped_bundle_test.cpp — bundles with grouped and depthwise convs: the "groups" key, weight
// tensors holding each output channel's own group only, round trip, and rejection.
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/bundle/bundle_io.h"
#include "tests/model/bundle/bundle_edit.h"
#include "model/bundle/safetensors.h"
#include "tests/model/grouped_graphs.h"

namespace saie::bundle {
namespace {

using nlohmann::ordered_json;

using test::slurp_file;

TEST(GroupedBundleTest, RoundTripKeepsGroupsAndStoresEachGroupsSlice) {
  test::TempDir dir("saie-grouped-bundle");
  const std::string a = dir.str() + "/a", b = dir.str() + "/b";
  const ir::Graph g = test::make_grouped_graph(2, true);
  write_bundle(g, a);
  const ir::Graph r = read_bundle(a);
  ASSERT_EQ(r.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    SCOPED_TRACE(g.nodes[i].name);
    EXPECT_EQ(r.nodes[i].groups, g.nodes[i].groups);
    EXPECT_EQ(r.nodes[i].weight, g.nodes[i].weight);
    EXPECT_EQ(r.nodes[i].bias, g.nodes[i].bias);
    EXPECT_EQ(r.nodes[i].sparse, g.nodes[i].sparse);
  }
  write_bundle(r, b);
  EXPECT_EQ(slurp_file(a + "/model.json"), slurp_file(b + "/model.json"));
  EXPECT_EQ(slurp_file(a + "/weights.safetensors"), slurp_file(b + "/weights.safetensors"));

  // "groups" follows "pad" and is written only when it is not 1.
  const ordered_json j = ordered_json::parse(slurp_file(a + "/model.json"));
  EXPECT_FALSE(j["nodes"][0].contains("groups"));  // conv1
  const ordered_json& pw = j["nodes"][3];
  ASSERT_EQ(pw["name"], "pw");
  EXPECT_EQ(pw["groups"], 2);
  std::vector<std::string> keys;
  for (auto it = pw.begin(); it != pw.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys[8], "groups");
  EXPECT_EQ(keys[7], "pad");
  // Weight tensors: [cout, kh, kw, cin / groups] (PyTorch's own per-group layout, in OHWI).
  const SafetensorsFile st = read_safetensors(a + "/weights.safetensors");
  EXPECT_EQ(st.tensors.at("pw.weight").shape, (std::vector<uint64_t>{64, 1, 1, 16}));
  EXPECT_EQ(st.tensors.at("dw.weight").shape, (std::vector<uint64_t>{32, 3, 3, 1}));
  EXPECT_EQ(st.tensors.at("g4.weight").shape, (std::vector<uint64_t>{64, 3, 3, 4}));
  EXPECT_EQ(st.tensors.at("conv1.weight").shape, (std::vector<uint64_t>{32, 3, 3, 8}));
}

void expect_rejected(const std::function<void(ordered_json&)>& edit, const std::string& want) {
  test::expect_edit_rejected(test::make_grouped_graph(2, true), edit, want);
}

TEST(GroupedBundleTest, RejectsBadGroups) {
  expect_rejected([](ordered_json& j) { j["nodes"][3]["groups"] = 0; },
                  "node 'pw': key 'groups' (0) must divide the input channels 32 and the output channels 64");
  expect_rejected([](ordered_json& j) { j["nodes"][3]["groups"] = 3; }, "key 'groups' (3) must divide");
  expect_rejected([](ordered_json& j) { j["nodes"][3]["groups"] = -2; }, "node 'pw'");
  expect_rejected([](ordered_json& j) { j["nodes"][3]["groups"] = "two"; }, "node 'pw'");
  // Another group count than the tensor was written for: the tensor's shape no longer matches.
  expect_rejected([](ordered_json& j) { j["nodes"][3]["groups"] = 4; }, "pw.weight");
  expect_rejected([](ordered_json& j) { j["nodes"][3].erase("groups"); }, "pw.weight");
  // Pools and fcs have no groups.
  expect_rejected([](ordered_json& j) { j["nodes"][5]["groups"] = 1; }, "node 'gap': unknown key 'groups'");
  expect_rejected([](ordered_json& j) { j["nodes"][6]["groups"] = 1; }, "node 'fc': unknown key 'groups'");
}

TEST(GroupedBundleTest, CeilModePoolsRoundTripAndOnlyMaxPoolsHaveIt) {
  test::TempDir dir("saie-grouped-bundle");
  const ir::Graph g = test::make_ceil_pool_graph(2, true);
  write_bundle(g, dir.str());
  const ir::Graph r = read_bundle(dir.str());
  for (size_t i = 0; i < g.nodes.size(); ++i) EXPECT_EQ(r.nodes[i].ceil_mode, g.nodes[i].ceil_mode) << g.nodes[i].name;
  const ordered_json j = ordered_json::parse(slurp_file(dir.str() + "/model.json"));
  EXPECT_EQ(j["nodes"][1]["ceil_mode"], true);    // pool1
  EXPECT_FALSE(j["nodes"][0].contains("ceil_mode"));  // conv1
  test::expect_edit_rejected(g, [](ordered_json& e) { e["nodes"][0]["ceil_mode"] = true; },  // conv1
                             "node 'conv1': unknown key 'ceil_mode'");
  test::expect_edit_rejected(g, [](ordered_json& e) { e["nodes"][1]["count_include_pad"] = false; },  // a maxpool
                             "node 'pool1': unknown key 'count_include_pad'");
  // Without it pool1's 8x8 no longer chains from 16x16 (floor mode gives 7x7).
  test::expect_edit_rejected(g, [](ordered_json& e) { e["nodes"][1].erase("ceil_mode"); }, "node 'pool1'");
}

TEST(GroupedBundleTest, AveragePoolsKeepCeilModeAndCountIncludePad) {
  test::TempDir dir("saie-grouped-bundle");
  const ir::Graph g = test::make_count_pool_graph(2, true);
  write_bundle(g, dir.str());
  const ir::Graph r = read_bundle(dir.str());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(r.nodes[i].ceil_mode, g.nodes[i].ceil_mode) << g.nodes[i].name;
    EXPECT_EQ(r.nodes[i].count_include_pad, g.nodes[i].count_include_pad) << g.nodes[i].name;
  }
  const ordered_json j = ordered_json::parse(slurp_file(dir.str() + "/model.json"));
  EXPECT_EQ(j["nodes"][1]["count_include_pad"], false);  // apool1
  EXPECT_EQ(j["nodes"][1]["ceil_mode"], true);
  EXPECT_FALSE(j["nodes"][4].contains("count_include_pad"));  // apool3 counts its padding (PyTorch's default)
  test::expect_edit_rejected(g, [](ordered_json& e) { e["nodes"][1]["count_include_pad"] = 0; }, "node 'apool1'");
  // Without ceil_mode apool1's 9x9 no longer chains from 16x16.
  test::expect_edit_rejected(g, [](ordered_json& e) { e["nodes"][1].erase("ceil_mode"); }, "node 'apool1'");
}

}  // namespace
}  // namespace saie::bundle
