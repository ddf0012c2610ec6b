// se_bundle_test.cpp — bundles with lookup-table activations and squeeze-excitation products
// (ops "lut" and "mul"): exact JSON form, round trip, rejection of corrupt nodes.
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/bundle/bundle_io.h"
#include "tests/model/bundle/bundle_edit.h"
#include "tests/model/grouped_graphs.h"

namespace saie::bundle {
namespace {

using nlohmann::ordered_json;
using test::slurp_file;

ordered_json& node(ordered_json& j, const std::string& name) {
  for (ordered_json& n : j["nodes"])
    if (n["name"] == name) return n;
  throw std::runtime_error("no node " + name);
}

TEST(SeBundleTest, RoundTripKeepsTablesAndGates) {
  test::TempDir dir("saie-se-bundle");
  const std::string a = dir.str() + "/a", b = dir.str() + "/b";
  const ir::Graph g = test::make_se_graph(3, true, "silu", "sigmoid");
  write_bundle(g, a);
  const ir::Graph r = read_bundle(a);
  ASSERT_EQ(r.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    SCOPED_TRACE(g.nodes[i].name);
    EXPECT_EQ(r.nodes[i].op, g.nodes[i].op);
    EXPECT_EQ(r.nodes[i].inputs, g.nodes[i].inputs);
    EXPECT_EQ(r.nodes[i].lut, g.nodes[i].lut);
    EXPECT_EQ(r.nodes[i].act, g.nodes[i].act);
    EXPECT_EQ(r.nodes[i].out_scale, g.nodes[i].out_scale);
  }
  write_bundle(r, b);
  EXPECT_EQ(slurp_file(a + "/model.json"), slurp_file(b + "/model.json"));
  EXPECT_EQ(slurp_file(a + "/weights.safetensors"), slurp_file(b + "/weights.safetensors"));

  // Documented forms.
  ordered_json j = ordered_json::parse(slurp_file(a + "/model.json"));
  const ordered_json& t = node(j, "se_gate");
  std::vector<std::string> keys;
  for (auto it = t.begin(); it != t.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "op", "inputs", "shape", "scale", "function", "table"}));
  EXPECT_EQ(t["op"], "lut");
  EXPECT_EQ(t["function"], "sigmoid");
  ASSERT_EQ(t["table"].size(), 256u);
  const ordered_json& m = node(j, "se_mul");
  keys.clear();
  for (auto it = m.begin(); it != m.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "op", "inputs", "shape", "scale"}));
  EXPECT_EQ(m["inputs"], ordered_json::array({"dw", "se_gate"}));
}

void expect_rejected(const std::function<void(ordered_json&)>& edit, const std::string& want) {
  test::expect_edit_rejected(test::make_se_graph(1, false), edit, want);
}

TEST(SeBundleTest, RejectsCorruptTables) {
  const std::string want = "node 'act1': key 'table' must be an array of 256 integers in [-128, 127]";
  expect_rejected([](ordered_json& j) { node(j, "act1")["table"].erase(0); }, want);
  expect_rejected([](ordered_json& j) { node(j, "act1")["table"].push_back(0); }, want);
  expect_rejected([](ordered_json& j) { node(j, "act1")["table"][7] = 128; }, want);
  expect_rejected([](ordered_json& j) { node(j, "act1")["table"][7] = -129; }, want);
  expect_rejected([](ordered_json& j) { node(j, "act1")["table"][7] = 1.5; }, want);
  expect_rejected([](ordered_json& j) { node(j, "act1")["table"] = "hardswish"; }, want);
  expect_rejected([](ordered_json& j) { node(j, "act1").erase("table"); }, "node 'act1': missing key 'table'");
  expect_rejected([](ordered_json& j) { node(j, "act1").erase("function"); }, "node 'act1': missing key 'function'");
  expect_rejected([](ordered_json& j) { node(j, "act1")["relu"] = false; }, "node 'act1': unknown key 'relu'");
  expect_rejected([](ordered_json& j) { node(j, "conv1")["table"] = ordered_json::array(); },
                  "node 'conv1': unknown key 'table'");
  expect_rejected([](ordered_json& j) { node(j, "act1")["inputs"] = {"conv1", "input"}; },
                  "node 'act1': 'lut' takes 1 input(s), has 2");
}

TEST(SeBundleTest, RejectsBadProducts) {
  expect_rejected([](ordered_json& j) { node(j, "se_mul")["inputs"] = {"dw"}; }, "node 'se_mul': 'mul' takes 2 input(s), has 1");
  expect_rejected([](ordered_json& j) { node(j, "se_mul")["inputs"] = {"dw", "dw"}; },
                  "node 'se_mul': mul gate (input 1) must be 1x1x16, is");
  expect_rejected([](ordered_json& j) { node(j, "se_mul")["inputs"] = {"se_gate", "dw"}; }, "node 'se_mul'");
  expect_rejected([](ordered_json& j) { node(j, "se_mul")["relu"] = true; }, "node 'se_mul': unknown key 'relu'");
}

}  // namespace
}  // namespace saie::bundle
