// concat_bundle_test.cpp — bundles with channel-concat nodes: exact JSON form, round trip, rejection.
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/bundle/bundle_io.h"
#include "tests/model/bundle/bundle_edit.h"
#include "tests/model/concat_graphs.h"
#include "tests/model/test_graphs.h"

namespace saie::bundle {
namespace {

using nlohmann::ordered_json;

using test::slurp_file;

TEST(ConcatBundleTest, RoundTripKeepsConcatNodesAndBytes) {
  test::TempDir dir("saie-concat-bundle");
  const std::string a = dir.str() + "/a", b = dir.str() + "/b";
  const ir::Graph g = test::make_concat_graph();
  write_bundle(g, a);
  const ir::Graph r = read_bundle(a);
  ASSERT_EQ(r.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    SCOPED_TRACE(g.nodes[i].name);
    EXPECT_EQ(r.nodes[i].name, g.nodes[i].name);
    EXPECT_EQ(r.nodes[i].op, g.nodes[i].op);
    EXPECT_EQ(r.nodes[i].inputs, g.nodes[i].inputs);
    EXPECT_EQ(r.nodes[i].out, g.nodes[i].out);
    EXPECT_EQ(r.nodes[i].out_scale, g.nodes[i].out_scale);
    EXPECT_EQ(r.nodes[i].weight, g.nodes[i].weight);
    EXPECT_EQ(r.nodes[i].bias, g.nodes[i].bias);
  }
  EXPECT_EQ(r.nodes[5].op, ir::OpKind::Concat);
  EXPECT_EQ(r.nodes[5].inputs, (std::vector<int>{2, 3, 4}));
  write_bundle(r, b);
  EXPECT_EQ(slurp_file(a + "/model.json"), slurp_file(b + "/model.json"));
  EXPECT_EQ(slurp_file(a + "/weights.safetensors"), slurp_file(b + "/weights.safetensors"));

  // Documented form: exactly name, op, inputs, shape, scale — in that order.
  const ordered_json j = ordered_json::parse(slurp_file(a + "/model.json"));
  const ordered_json& cat3 = j["nodes"][4];
  std::vector<std::string> keys;
  for (auto it = cat3.begin(); it != cat3.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "op", "inputs", "shape", "scale"}));
  EXPECT_EQ(cat3["op"], "concat");
  EXPECT_EQ(cat3["inputs"], ordered_json::array({"b", "cat2", "mp"}));
  EXPECT_EQ(cat3["shape"], ordered_json::array({6, 5, 24}));
  EXPECT_DOUBLE_EQ(cat3["scale"].get<double>(), 0.05);
}

void expect_rejected(const std::function<void(ordered_json&)>& edit, const std::string& want) {
  test::expect_edit_rejected(test::make_concat_graph(), edit, want);
}

TEST(ConcatBundleTest, RejectsBrokenConcatNodes) {
  expect_rejected([](ordered_json& j) { j["nodes"][4]["kernel"] = ordered_json::array({1, 1}); },
                  "node 'cat3': unknown key 'kernel'");
  expect_rejected([](ordered_json& j) { j["nodes"][4]["relu"] = false; }, "node 'cat3': unknown key 'relu'");
  expect_rejected([](ordered_json& j) { j["nodes"][2]["inputs"] = ordered_json::array({"a"}); },
                  "node 'cat2': 'concat' takes at least 2 inputs, has 1");
  // cat2 claims 11 channels: validate() (run by the reader) names it before its consumers.
  expect_rejected([](ordered_json& j) { j["nodes"][2]["shape"] = ordered_json::array({6, 5, 11}); },
                  "node 'cat2': concat output has 11 channels, inputs sum to 12");
  expect_rejected([](ordered_json& j) { j["nodes"][4]["scale"] = 0.07; }, "'cat3'");
  expect_rejected([](ordered_json& j) { j["nodes"][4]["inputs"][2] = "head"; }, "input 'head' is not an earlier node");
}

}  // namespace
}  // namespace saie::bundle
