// bundle_io_test.cpp — bundle round trip (write -> read -> write identical) and strict rejection.
#include "model/bundle/bundle_io.h"

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/bundle/safetensors.h"
#include "tests/model/block_shape_graphs.h"
#include "tests/model/test_graphs.h"

namespace saie::bundle {
namespace {

using nlohmann::ordered_json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void put(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

void expect_graphs_equal(const ir::Graph& a, const ir::Graph& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.output, b.output);
  EXPECT_EQ(a.block_o, b.block_o);
  EXPECT_EQ(a.block_i, b.block_i);
  EXPECT_EQ(a.provenance.dataset, b.provenance.dataset);
  EXPECT_EQ(a.provenance.model, b.provenance.model);
  EXPECT_EQ(a.provenance.notes, b.provenance.notes);
  EXPECT_EQ(a.provenance.float_accuracy, b.provenance.float_accuracy);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const ir::Node &x = a.nodes[i], &y = b.nodes[i];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op, y.op);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.out, y.out);
    EXPECT_EQ(x.out_scale, y.out_scale);  // exact: floats must survive model.json unchanged
    EXPECT_EQ(x.kh, y.kh);
    EXPECT_EQ(x.kw, y.kw);
    EXPECT_EQ(x.stride_h, y.stride_h);
    EXPECT_EQ(x.stride_w, y.stride_w);
    EXPECT_EQ(x.pad_h, y.pad_h);
    EXPECT_EQ(x.pad_w, y.pad_w);
    EXPECT_EQ(x.relu, y.relu);
    EXPECT_EQ(x.weight, y.weight);
    EXPECT_EQ(x.weight_scales, y.weight_scales);
    EXPECT_EQ(x.bias, y.bias);
    EXPECT_EQ(x.sparse, y.sparse);
    if (x.sparse) {
      EXPECT_EQ(x.mask.rows, y.mask.rows);
      EXPECT_EQ(x.mask.cols, y.mask.cols);
      EXPECT_EQ(x.mask.bits, y.mask.bits);
    }
  }
}

ir::Graph sample_graph() {
  test::TestGraphOptions o;
  o.standalone_relu = true;
  ir::Graph g = test::make_test_graph(11, true, o);
  g.provenance.float_accuracy = 0.905;
  return g;
}

TEST(BundleIoTest, RoundTripIsByteIdentical) {
  test::TempDir dir("saie-bundle");
  const std::string a = dir.str() + "/a/nested", b = dir.str() + "/b";
  const ir::Graph g = sample_graph();
  write_bundle(g, a);  // creates the directories
  ir::Graph r = read_bundle(a);
  expect_graphs_equal(g, r);
  write_bundle(r, b);
  EXPECT_EQ(slurp(a + "/model.json"), slurp(b + "/model.json"));
  EXPECT_EQ(slurp(a + "/weights.safetensors"), slurp(b + "/weights.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(a + "/model.json.tmp"));
  EXPECT_FALSE(std::filesystem::exists(a + "/weights.safetensors.tmp"));

  // The document follows docs/bundle-format.md: key order, 2-space indent, mask bit strings.
  const std::string text = slurp(a + "/model.json");
  EXPECT_EQ(text.rfind("{\n  \"format\": \"sparseaie-bundle\",\n  \"version\": \"1.0\",\n  \"name\": ", 0), 0u) << text;
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(static_cast<float>(j["input"]["scale"].get<double>()), 1.0f / 127.0f);
  EXPECT_EQ(j["output"], "fc");
  const auto& conv3 = j["nodes"][3];
  EXPECT_EQ(conv3["name"], "conv3");
  EXPECT_EQ(conv3["mask"]["bits"].size(), 4u);
  EXPECT_EQ(conv3["mask"]["bits"][0].get<std::string>().size(), 4u);
  EXPECT_EQ(conv3["weight"], "conv3.weight");
  EXPECT_DOUBLE_EQ(conv3["sparsity"].get<double>(), 0.5);
  EXPECT_FALSE(j["nodes"][0].contains("mask"));  // conv1 is dense
  SafetensorsFile st = read_safetensors(a + "/weights.safetensors");
  EXPECT_EQ(st.tensors.at("conv3.weight").shape, (std::vector<uint64_t>{32, 3, 3, 32}));
  EXPECT_EQ(st.tensors.at("fc.weight").shape, (std::vector<uint64_t>{10, 1, 1, 32}));
  EXPECT_EQ(st.metadata.at("format"), "sparseaie-bundle");
}

TEST(BundleIoTest, ScalesAreWrittenAsShortDecimals) {
  test::TempDir dir("saie-bundle");
  ir::Graph g = sample_graph();
  g.nodes[0].out_scale = 0.007874f;
  write_bundle(g, dir.str());
  EXPECT_NE(slurp(dir.str() + "/model.json").find("\"scale\": 0.007874\n"), std::string::npos);
  EXPECT_EQ(read_bundle(dir.str()).nodes[0].out_scale, 0.007874f);
}

// Writes a valid bundle, edits model.json with `edit`, and expects read_bundle to throw a
// one-line BundleError containing `want`.
void expect_rejected(const std::function<void(ordered_json&)>& edit, const std::string& want) {
  test::TempDir dir("saie-bundle");
  write_bundle(sample_graph(), dir.str());
  ordered_json j = ordered_json::parse(slurp(dir.str() + "/model.json"));
  edit(j);
  put(dir.str() + "/model.json", j.dump(2));
  try {
    read_bundle(dir.str());
    FAIL() << "accepted; expected an error containing '" << want << "'";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

ordered_json& node(ordered_json& j, const std::string& name) {
  for (auto& n : j["nodes"])
    if (n["name"] == name) return n;
  throw std::logic_error("no node " + name);
}

TEST(BundleIoTest, RejectsMissingKey) {
  expect_rejected([](ordered_json& j) { node(j, "conv2").erase("kernel"); }, "node 'conv2': missing key 'kernel'");
  expect_rejected([](ordered_json& j) { node(j, "add1").erase("relu"); }, "node 'add1': missing key 'relu'");
  expect_rejected([](ordered_json& j) { j.erase("output"); }, "missing key 'output'");
}

TEST(BundleIoTest, RejectsUnknownKey) {
  expect_rejected([](ordered_json& j) { node(j, "pool1")["dilation"] = {1, 1}; }, "node 'pool1': unknown key 'dilation'");
  expect_rejected([](ordered_json& j) { node(j, "relu1")["relu"] = true; }, "node 'relu1': unknown key 'relu'");
  expect_rejected([](ordered_json& j) { j["extra"] = 1; }, "unknown key 'extra'");
}

TEST(BundleIoTest, RejectsWrongFormatOrVersion) {
  expect_rejected([](ordered_json& j) { j["version"] = "2.0"; }, "unsupported version '2.0'");
  expect_rejected([](ordered_json& j) { j["version"] = "one"; }, "unsupported version");
  expect_rejected([](ordered_json& j) { j["format"] = "onnx"; }, "unknown format 'onnx'");
}

TEST(BundleIoTest, AcceptsNewerMinorVersion) {
  test::TempDir dir("saie-bundle");
  write_bundle(sample_graph(), dir.str());
  ordered_json j = ordered_json::parse(slurp(dir.str() + "/model.json"));
  j["version"] = "1.7";
  put(dir.str() + "/model.json", j.dump(2));
  EXPECT_NO_THROW(read_bundle(dir.str()));
}

TEST(BundleIoTest, RejectsUnknownOpAndBadReferences) {
  expect_rejected([](ordered_json& j) { node(j, "pool1")["op"] = "minpool"; }, "node 'pool1': unknown op 'minpool'");
  expect_rejected([](ordered_json& j) { node(j, "conv2")["inputs"] = {"fc"}; }, "node 'conv2': input 'fc' is not an earlier node");
  expect_rejected([](ordered_json& j) { node(j, "add1")["inputs"] = {"conv3"}; }, "node 'add1'");
}

TEST(BundleIoTest, RejectsWrongMaskSize) {
  expect_rejected([](ordered_json& j) { node(j, "conv3")["mask"]["rows"] = 3; }, "node 'conv3': mask is 3x4, expected 4x4");
  expect_rejected([](ordered_json& j) { node(j, "conv3")["mask"]["bits"][1] = "101"; }, "node 'conv3': mask: bits[1]");
  expect_rejected([](ordered_json& j) { node(j, "conv3")["mask"]["bits"][1] = "1x01"; }, "node 'conv3': mask: bits[1]");
  expect_rejected([](ordered_json& j) { node(j, "conv3")["mask"]["bits"].erase(0); }, "node 'conv3': mask");
}

TEST(BundleIoTest, RejectsNonZeroWeightInZeroBlock) {
  // Flip a 0 mask bit of fc to 1 and another 1 to 0: the now-zero block holds weights.
  expect_rejected([](ordered_json& j) {
    std::string row = node(j, "fc")["mask"]["bits"][0];
    for (char& c : row) c = c == '1' ? '0' : '1';
    node(j, "fc")["mask"]["bits"][0] = row;
  }, "node 'fc'");
}

TEST(BundleIoTest, RejectsShapesThatDoNotChain) {
  expect_rejected([](ordered_json& j) { node(j, "conv2")["stride"] = {1, 1}; }, "node 'conv2'");
  expect_rejected([](ordered_json& j) { node(j, "pool1")["shape"] = {3, 3, 16}; }, "node 'pool1'");
}

TEST(BundleIoTest, RejectsWeightTensorProblems) {
  // conv2's weight entry points at conv3's tensor: wrong shape, and a tensor used twice.
  expect_rejected([](ordered_json& j) { node(j, "conv2")["weight"] = "conv3.bias"; }, "node 'conv2': tensor 'conv3.bias' has dtype I32, expected I8");
  expect_rejected([](ordered_json& j) { node(j, "conv2")["bias"] = "nope"; }, "tensor 'nope' is not in weights.safetensors");
  expect_rejected([](ordered_json& j) { node(j, "conv2")["shape"] = {2, 2, 24}; }, "node 'conv2': tensor 'conv2.weight' has shape [32, 3, 3, 16], expected [24, 3, 3, 16]");
}

TEST(BundleIoTest, RejectsCorruptWeightsFile) {
  test::TempDir dir("saie-bundle");
  write_bundle(sample_graph(), dir.str());
  const std::string wp = dir.str() + "/weights.safetensors";
  std::string w = slurp(wp);
  put(wp, w.substr(0, w.size() - 10));
  try {
    read_bundle(dir.str());
    FAIL() << "truncated weights accepted";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find("weights.safetensors"), std::string::npos) << e.what();
  }
  std::filesystem::remove(wp);
  EXPECT_THROW(read_bundle(dir.str()), BundleError);
  EXPECT_THROW(read_bundle(dir.str() + "/missing"), BundleError);
}

TEST(BundleIoTest, RejectsInvalidJson) {
  test::TempDir dir("saie-bundle");
  write_bundle(sample_graph(), dir.str());
  put(dir.str() + "/model.json", "{\"format\": ");
  EXPECT_THROW(read_bundle(dir.str()), BundleError);
}

TEST(BundleIoTest, ReadsHandWrittenBundleInDocStyle) {
  // As docs/bundle-format.md shows it: fc without kernel/stride/pad, input scale 0.007874,
  // keys in another order, tensors named freely.
  test::TempDir dir("saie-bundle");
  put(dir.str() + "/model.json", R"({
    "version": "1.0", "format": "sparseaie-bundle", "name": "tiny", "block": [8, 8],
    "provenance": {"dataset": "fashion-mnist", "model": "tiny", "float_accuracy": 0.5, "notes": ""},
    "input": {"name": "image", "shape": [4, 4, 1], "scale": 0.007874},
    "nodes": [
      {"name": "conv1", "op": "conv", "inputs": ["image"], "shape": [2, 2, 8], "scale": 0.03,
       "kernel": [3, 3], "stride": [2, 2], "pad": [1, 1], "relu": true, "weight": "w1",
       "bias": "b1", "weight_scales": "s1", "sparse": false},
      {"name": "fc", "op": "fc", "inputs": ["conv1"], "shape": [1, 1, 10], "scale": 0.1, "relu": false,
       "weight": "fc.weight", "bias": "fc.bias", "weight_scales": "fc.weight_scales",
       "sparse": true, "sparsity": 0.5, "mask": {"rows": 2, "cols": 1, "bits": ["1", "0"]}}
    ],
    "output": "fc"
  })");
  SafetensorsFile st;
  st.metadata = {{"format", "sparseaie-bundle"}, {"version", "1.0"}};
  st.tensors["w1"] = make_i8(std::vector<int8_t>(8 * 9, 3), {8, 3, 3, 1});
  st.tensors["b1"] = make_i32(std::vector<int32_t>(8, -7), {8});
  st.tensors["s1"] = make_f32(std::vector<float>(8, 0.01f), {8});
  std::vector<int8_t> fw(10 * 2 * 2 * 8, 0);
  for (size_t i = 0; i < 8 * 32; ++i) fw[i] = 1;  // block row 0 (oc 0..7) kept, oc 8..9 zero
  st.tensors["fc.weight"] = make_i8(fw, {10, 2, 2, 8});
  st.tensors["fc.bias"] = make_i32(std::vector<int32_t>(10, 0), {10});
  st.tensors["fc.weight_scales"] = make_f32(std::vector<float>(10, 0.02f), {10});
  write_safetensors(st, dir.str() + "/weights.safetensors");
  ir::Graph g = read_bundle(dir.str());
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].name, "image");
  EXPECT_EQ(g.nodes[0].out_scale, 0.007874f);
  EXPECT_EQ(g.nodes[2].op, ir::OpKind::Fc);
  EXPECT_EQ(g.nodes[2].kh, 2u);
  EXPECT_EQ(g.nodes[2].kw, 2u);
  EXPECT_EQ(g.nodes[2].mask.bits, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(g.nodes[1].bias[3], -7);
  EXPECT_EQ(g.output, 2);
  // An extra tensor nobody uses is rejected.
  st.tensors["stray"] = make_i8({1}, {1});
  write_safetensors(st, dir.str() + "/weights.safetensors");
  try {
    read_bundle(dir.str());
    FAIL() << "stray tensor accepted";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'stray'"), std::string::npos) << e.what();
  }
}

TEST(BundleIoTest, WriteRejectsInvalidGraph) {
  test::TempDir dir("saie-bundle");
  ir::Graph g = sample_graph();
  g.nodes[2].bias.pop_back();
  EXPECT_THROW(write_bundle(g, dir.str() + "/x"), BundleError);
  EXPECT_FALSE(std::filesystem::exists(dir.str() + "/x/model.json"));
}

// ---------------------------------------------------------------------------------------------
// Block shapes other than 8x8 (trainer: 1x1, 4x16, 16x4).

ir::Graph block_graph(uint32_t bo, uint32_t bi) {
  ir::Graph g = test::make_test_graph(11, false);  // dense weights, then re-masked
  test::remask_graph(g, bo, bi, 0.5, 0.25, 5);
  g.validate();
  return g;
}

TEST(BundleIoTest, RoundTripsNonSquareAndUnstructuredBlocks) {
  for (auto [bo, bi] : {std::pair<uint32_t, uint32_t>{4, 16}, {1, 1}, {16, 4}}) {
    SCOPED_TRACE(std::to_string(bo) + "x" + std::to_string(bi));
    test::TempDir dir("saie-bundle");
    const std::string a = dir.str() + "/a", b = dir.str() + "/b";
    const ir::Graph g = block_graph(bo, bi);
    write_bundle(g, a);
    const ir::Graph r = read_bundle(a);
    expect_graphs_equal(g, r);
    int sparse_nodes = 0;
    for (const ir::Node& n : r.nodes)
      if (n.sparse) {
        EXPECT_EQ(n.mask.bo, bo) << n.name;
        EXPECT_EQ(n.mask.bi, bi) << n.name;
        ++sparse_nodes;
      }
    EXPECT_EQ(sparse_nodes, 4);  // conv2, conv3, skip, fc
    write_bundle(r, b);
    EXPECT_EQ(slurp(a + "/model.json"), slurp(b + "/model.json"));
    EXPECT_EQ(slurp(a + "/weights.safetensors"), slurp(b + "/weights.safetensors"));

    nlohmann::json j = nlohmann::json::parse(slurp(a + "/model.json"));
    EXPECT_EQ(j["block"], nlohmann::json::array({bo, bi}));
    const auto& conv3 = j["nodes"][3];  // 32 x 3 x 3 x 32
    ASSERT_EQ(conv3["name"], "conv3");
    EXPECT_EQ(conv3["mask"]["rows"], 32 / bo);
    EXPECT_EQ(conv3["mask"]["cols"], 32 / bi);
    EXPECT_EQ(conv3["mask"]["bits"].size(), 32u / bo);
    EXPECT_EQ(conv3["mask"]["bits"][0].get<std::string>().size(), 32u / bi);
    const auto& fc = j["nodes"][7];  // 10 x 32: partial last block row unless bo divides 10
    ASSERT_EQ(fc["name"], "fc");
    EXPECT_EQ(fc["mask"]["rows"], (10 + bo - 1) / bo);
    EXPECT_DOUBLE_EQ(conv3["sparsity"].get<double>(), r.nodes[4].mask.sparsity());
  }
}

// Writes block_graph(4, 16), edits model.json, expects read_bundle to fail with `want`.
void expect_block_rejected(const std::function<void(ordered_json&)>& edit, const std::string& want) {
  test::TempDir dir("saie-bundle");
  write_bundle(block_graph(4, 16), dir.str());
  ordered_json j = ordered_json::parse(slurp(dir.str() + "/model.json"));
  edit(j);
  put(dir.str() + "/model.json", j.dump(2));
  try {
    read_bundle(dir.str());
    FAIL() << "accepted; expected an error containing '" << want << "'";
  } catch (const BundleError& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(BundleIoTest, RejectsBadBlockShapesAndMasksOfAnotherBlock) {
  // Masks are sized for 4x16; a bundle claiming 8x8 or 16x4 has masks of the wrong size.
  expect_block_rejected([](ordered_json& j) { j["block"] = {8, 8}; }, "node 'conv2': mask is 8x1, expected 4x2");
  expect_block_rejected([](ordered_json& j) { j["block"] = {16, 4}; }, "node 'conv2': mask is 8x1, expected 2x4");
  expect_block_rejected([](ordered_json& j) { j["block"] = {0, 16}; }, "key 'block' must be non-zero");
  expect_block_rejected([](ordered_json& j) { j["block"] = {4}; }, "key 'block'");
  // A kept 4x16 block of conv3 marked 0: its (dense random) weights now lie in a zero block.
  expect_block_rejected([](ordered_json& j) {
    auto& bits = node(j, "conv3")["mask"]["bits"];
    for (auto& row_json : bits) {
      std::string row = row_json;
      const size_t one = row.find('1');
      if (one == std::string::npos) continue;
      row[one] = '0';
      row_json = row;
      return;
    }
    FAIL() << "conv3 keeps no block";
  }, "node 'conv3': weight");
  // A huge block does not wrap the expected mask size: ceil(32 / 2^32-1) = 1 row.
  expect_block_rejected([](ordered_json& j) { j["block"] = {4294967295u, 16}; }, "node 'conv2': mask is 8x1, expected 1x1");
}

}  // namespace
}  // namespace saie::bundle
