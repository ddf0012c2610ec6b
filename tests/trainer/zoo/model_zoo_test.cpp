// model_zoo_test.cpp — ResNet-50 / VGG-16 zoo graphs (Inception-v3: inception_zoo_test.cpp): torchvision layer counts, shapes and
// parameter counts, pruning rules, analytic scales vs a float calibration, bundle round trip.
#include "trainer/zoo/model_zoo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "model/bundle/bundle_io.h"
#include "tests/model/test_graphs.h"
#include "tests/trainer/zoo/zoo_test_util.h"

namespace saie::trainer {
namespace {

namespace fs = std::filesystem;

ZooOptions shapes_only() {
  ZooOptions o;
  o.materialise = false;
  return o;
}

int count(const FloatGraph& g, FloatOp op) {
  return static_cast<int>(std::count_if(g.layers.begin(), g.layers.end(), [op](const FloatLayer& l) { return l.op == op; }));
}

const FloatLayer& layer(const FloatGraph& g, const std::string& name) {
  for (const FloatLayer& l : g.layers)
    if (l.name == name) return l;
  throw std::runtime_error("no layer " + name);
}

bool shape_is(const ir::Shape& s, uint32_t h, uint32_t w, uint32_t c) { return s.h == h && s.w == w && s.c == c; }

TEST(ModelZoo, ResNet50MatchesTorchvisionStructure) {
  const FloatGraph g = make_zoo_float_graph("resnet50", shapes_only());
  EXPECT_EQ(count(g, FloatOp::Conv), 53);  // 1 + 16 blocks x 3 + 4 downsample
  EXPECT_EQ(count(g, FloatOp::Fc), 1);
  EXPECT_EQ(count(g, FloatOp::Add), 16);
  EXPECT_EQ(count(g, FloatOp::MaxPool), 1);
  EXPECT_EQ(count(g, FloatOp::AvgPool), 1);
  EXPECT_TRUE(shape_is(layer(g, "conv1").out, 112, 112, 64));
  EXPECT_EQ(layer(g, "conv1").kh, 7u);
  EXPECT_EQ(layer(g, "conv1").cin, 3u);
  EXPECT_TRUE(shape_is(layer(g, "maxpool").out, 56, 56, 64));
  EXPECT_TRUE(shape_is(layer(g, "layer1.2.add").out, 56, 56, 256));
  EXPECT_TRUE(shape_is(layer(g, "layer2.0.conv2").out, 28, 28, 128));  // v1.5: stride 2 on the 3x3
  EXPECT_EQ(layer(g, "layer2.0.conv1").stride_h, 1u);
  EXPECT_TRUE(shape_is(layer(g, "layer2.0.downsample.0").out, 28, 28, 512));
  EXPECT_TRUE(shape_is(layer(g, "layer3.5.add").out, 14, 14, 1024));
  EXPECT_TRUE(shape_is(layer(g, "layer4.2.add").out, 7, 7, 2048));
  EXPECT_TRUE(shape_is(layer(g, "avgpool").out, 1, 1, 2048));
  const FloatLayer& fc = g.layers.back();
  EXPECT_EQ(fc.name, "fc");
  EXPECT_EQ(fc.cin, 2048u);
  EXPECT_EQ(fc.cout, 1000u);
  // torchvision: 25,557,032 parameters = 23,454,912 conv weights + 53,120 BN (gamma, beta)
  // + 2,049,000 fc. BN folded: conv weights + one bias per conv output channel (26,560) + fc.
  EXPECT_EQ(g.parameter_count(), 23454912ull + 26560ull + 2049000ull);
}

TEST(ModelZoo, AlexNetMatchesTorchvisionStructure) {
  const FloatGraph g = make_zoo_float_graph("alexnet", shapes_only());
  EXPECT_EQ(count(g, FloatOp::Conv), 5);
  EXPECT_EQ(count(g, FloatOp::Fc), 3);
  EXPECT_EQ(count(g, FloatOp::MaxPool), 3);
  EXPECT_TRUE(shape_is(layer(g, "features.0").out, 55, 55, 64));  // 11x11 stride 4 pad 2
  EXPECT_TRUE(shape_is(layer(g, "features.2").out, 27, 27, 64));
  EXPECT_TRUE(shape_is(layer(g, "features.5").out, 13, 13, 192));
  EXPECT_TRUE(shape_is(layer(g, "features.12").out, 6, 6, 256));  // 9216 features
  EXPECT_EQ(layer(g, "classifier.1").cout, 4096u);
  EXPECT_EQ(layer(g, "classifier.6").cout, 1000u);
  EXPECT_FALSE(layer(g, "classifier.6").relu);
  EXPECT_EQ(g.parameter_count(), 61100840ull);  // torchvision alexnet
}

TEST(ModelZoo, WideResNet50DoublesTheBottleneckWidths) {
  const FloatGraph g = make_zoo_float_graph("wide_resnet50_2", shapes_only());
  EXPECT_EQ(count(g, FloatOp::Conv), 53);
  EXPECT_EQ(count(g, FloatOp::Add), 16);
  EXPECT_TRUE(shape_is(layer(g, "layer1.0.conv1").out, 56, 56, 128));
  EXPECT_TRUE(shape_is(layer(g, "layer4.0.conv2").out, 7, 7, 1024));
  EXPECT_TRUE(shape_is(layer(g, "layer4.2.add").out, 7, 7, 2048));
  // torchvision wide_resnet50_2: 68,883,240 parameters = 66,766,016 conv weights + 68,224 BN
  // (34,112 channels) + 2,049,000 fc; BN folded: one bias per conv output channel.
  EXPECT_EQ(g.parameter_count(), 66766016ull + 34112ull + 2049000ull);
}

TEST(ModelZoo, Vgg16MatchesTorchvisionStructure) {
  const FloatGraph g = make_zoo_float_graph("vgg16", shapes_only());
  EXPECT_EQ(count(g, FloatOp::Conv), 13);
  EXPECT_EQ(count(g, FloatOp::Fc), 3);
  EXPECT_EQ(count(g, FloatOp::MaxPool), 5);
  EXPECT_TRUE(shape_is(layer(g, "features.0").out, 224, 224, 64));
  EXPECT_TRUE(shape_is(layer(g, "features.28").out, 14, 14, 512));
  EXPECT_TRUE(shape_is(layer(g, "features.30").out, 7, 7, 512));
  EXPECT_EQ(layer(g, "classifier.0").cout, 4096u);
  EXPECT_TRUE(shape_is(g.shape_of(layer(g, "classifier.0").inputs[0]), 7, 7, 512));  // 25088 features
  EXPECT_EQ(layer(g, "classifier.3").cout, 4096u);
  EXPECT_EQ(layer(g, "classifier.6").cout, 1000u);
  EXPECT_FALSE(layer(g, "classifier.6").relu);
  EXPECT_TRUE(layer(g, "classifier.3").relu);
  EXPECT_EQ(g.parameter_count(), 138357544ull);  // torchvision vgg16
}

TEST(ModelZoo, UnknownNameListsTheKnownModels) {
  try {
    make_zoo_float_graph("lenet5", shapes_only());
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'lenet5'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("wide_resnet50_2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("inception_v3"), std::string::npos) << e.what();
  }
}

TEST(ModelZoo, ResNet50GraphPrunedQuantisedAndRoundTrips) {
  const ir::Graph g = make_zoo_graph("resnet50", 1, 0.5);
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.nodes.size(), 1u + 53 + 1 + 16 + 2);
  EXPECT_TRUE(g.nodes[0].out == (ir::Shape{224, 224, 3}));
  EXPECT_EQ(g.nodes[static_cast<size_t>(g.output)].name, "fc");
  expect_half_pruned(g);
  for (const ir::Node& n : g.nodes) {
    ASSERT_GT(n.out_scale, 0.0f) << n.name;
    if (n.op == ir::OpKind::Conv || n.op == ir::OpKind::Fc) {
      // Quantisation uses the int8 range: some weight of the layer reaches +-127.
      const int8_t mx = *std::max_element(n.weight.begin(), n.weight.end(),
                                          [](int8_t a, int8_t b) { return std::abs(a) < std::abs(b); });
      EXPECT_EQ(std::abs(mx), 127) << n.name;
    }
  }

  test::TempDir dir("saie_zoo_test");
  bundle::write_bundle(g, dir.path.string());
  const ir::Graph r = bundle::read_bundle(dir.path.string());
  ASSERT_EQ(r.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node &a = g.nodes[i], &b = r.nodes[i];
    ASSERT_EQ(a.name, b.name);
    EXPECT_EQ(a.op, b.op) << a.name;
    EXPECT_TRUE(a.out == b.out) << a.name;
    EXPECT_FLOAT_EQ(a.out_scale, b.out_scale) << a.name;
    EXPECT_EQ(a.inputs, b.inputs) << a.name;
    EXPECT_EQ(a.weight, b.weight) << a.name;
    EXPECT_EQ(a.bias, b.bias) << a.name;
    EXPECT_EQ(a.mask.bits, b.mask.bits) << a.name;
  }
}

TEST(ModelZoo, DeterministicPerSeed) {
  ZooOptions o;
  o.width_div = 8;
  o.input_hw = 64;
  const ir::Graph a = make_zoo_graph("resnet50", o), b = make_zoo_graph("resnet50", o);
  o.seed = 2;
  const ir::Graph c = make_zoo_graph("resnet50", o);
  ASSERT_EQ(a.nodes.size(), c.nodes.size());
  bool differs = false;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    EXPECT_EQ(a.nodes[i].weight, b.nodes[i].weight) << a.nodes[i].name;
    EXPECT_EQ(a.nodes[i].out_scale, b.nodes[i].out_scale) << a.nodes[i].name;
    differs = differs || a.nodes[i].weight != c.nodes[i].weight;
  }
  EXPECT_TRUE(differs);
}

TEST(ModelZoo, Vgg16ReducedGraphValidates) {
  ZooOptions o;
  o.width_div = 4;  // narrowest layer 16 channels = 2 block columns, so 50% still applies
  const ir::Graph g = make_zoo_graph("vgg16", o);
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.nodes.size(), 1u + 13 + 5 + 3);
  expect_half_pruned(g);
  const ir::Node& fc0 = g.nodes[g.nodes.size() - 3];
  EXPECT_EQ(fc0.name, "classifier.0");
  EXPECT_EQ(fc0.kh, 7u);
  EXPECT_EQ(fc0.weight.size(), size_t{1024} * 7 * 7 * 128);
}

// The analytic scales should be close to a real float calibration (random inputs) at 224x224:
// neither saturating badly nor wasting bits. (Full-width ResNet-50, half-width VGG-16 for time;
// much narrower variants have fan-ins too small for the Gaussian model: ratios down to ~0.6.)
TEST(ModelZoo, AnalyticScalesTrackFloatCalibration) {
  for (const char* name : {"resnet50", "vgg16"}) {
    ZooOptions o;
    o.width_div = std::string(name) == "vgg16" ? 2 : 1;
    FloatGraph g = make_zoo_float_graph(name, o);
    prune_float_graph(g, 0.5);
    const std::vector<float> analytic = analytic_max_abs(g);
    const std::vector<float> measured = calibrate_max_abs(g, zoo_calibration_inputs(g.input, 1, 7));
    for (size_t i = 0; i < g.layers.size(); ++i) {
      const FloatLayer& l = g.layers[i];
      if (l.op != FloatOp::Conv && l.op != FloatOp::Fc && l.op != FloatOp::Add) continue;
      ASSERT_GT(measured[i], 0.0f) << name << " " << l.name;
      const double ratio = analytic[i] / measured[i];
      EXPECT_GT(ratio, 0.75) << name << " " << l.name;
      EXPECT_LT(ratio, 1.6) << name << " " << l.name;
    }
  }
}

TEST(ModelZoo, CalibratedScalesOptionIsUsedAndRecorded) {
  ZooOptions o;
  o.width_div = 8;
  o.input_hw = 64;
  const ir::Graph a = make_zoo_graph("resnet50", o);
  o.calib_inputs = 2;
  const ir::Graph c = make_zoo_graph("resnet50", o);
  EXPECT_NE(a.provenance.notes.find("analytic"), std::string::npos) << a.provenance.notes;
  EXPECT_NE(c.provenance.notes.find("float max calibration on 2"), std::string::npos) << c.provenance.notes;
  // Calibrated scales equal max|activation| / 127 of the same pruned float graph.
  FloatGraph g = make_zoo_float_graph("resnet50", o);
  prune_float_graph(g, o.sparsity);
  const std::vector<float> s = scales_from_max(g, calibrate_max_abs(g, zoo_calibration_inputs(g.input, 2, o.seed)));
  for (size_t i = 0; i < s.size(); ++i) EXPECT_FLOAT_EQ(c.nodes[i + 1].out_scale, s[i]) << g.layers[i].name;
  EXPECT_NE(a.nodes[5].out_scale, c.nodes[5].out_scale);
}

}  // namespace
}  // namespace saie::trainer
