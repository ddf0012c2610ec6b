// bundle_export_test.cpp — float layers + scales -> int8 ir::Graph: ops, wiring, layouts, masks.
#include "trainer/export/bundle_export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "model/bundle/bundle_io.h"
#include "trainer/quant/quantize.h"
#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {
namespace {

// Synthetic float parameters for every Conv/Fc layer of spec; masks on prunable layers.
std::vector<LayerParams> synthetic_params(const ModelSpec& spec, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  const auto shapes = spec.shapes();
  std::vector<LayerParams> ps(spec.layers.size());
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    if (l.kind != LayerKind::Conv && l.kind != LayerKind::Fc) continue;
    uint32_t khw = l.kernel * l.kernel;
    if (l.kind == LayerKind::Fc) {
      const int j = spec.index_of(l.inputs[0]);
      const TensorShape in = j < 0 ? spec.input : shapes[j];
      khw = in.h * in.w;
    }
    const WeightDims d{l.cout, l.cin, khw};
    ps[i].weight.resize(d.size());
    for (auto& v : ps[i].weight) v = nd(rng);
    ps[i].bias.resize(l.cout);
    for (auto& v : ps[i].bias) v = nd(rng);
    if (l.prunable) {
      ps[i].has_mask = true;
      ps[i].mask = select_block_mask(ps[i].weight, d, 8, 8, 0.5);
      const auto f = expand_block_mask(ps[i].mask, d);
      for (size_t k = 0; k < f.size(); ++k) ps[i].weight[k] *= f[k];
    }
  }
  return ps;
}

TEST(BundleExport, SmallResnetGraphStructure) {
  const ModelSpec spec = make_model_spec("small-resnet");
  const auto ps = synthetic_params(spec, 1);
  std::vector<float> mx(spec.layers.size());
  for (size_t i = 0; i < mx.size(); ++i) mx[i] = 1.0f + 0.5f * static_cast<float>(i);
  const auto scales = calibrated_scales(spec, mx);
  ir::Provenance prov{"fashion-mnist", "small-resnet", 0.9, "notes"};
  const ir::Graph g = build_graph(spec, ps, scales, prov);

  EXPECT_EQ(g.name, "fmnist-small-resnet");
  ASSERT_EQ(g.nodes.size(), 10u);
  EXPECT_EQ(g.output, 9);
  EXPECT_EQ(g.provenance.model, "small-resnet");
  const ir::Node& in = g.nodes[0];
  EXPECT_EQ(in.op, ir::OpKind::Input);
  EXPECT_EQ(in.name, "input");
  EXPECT_EQ(in.out, (ir::Shape{28, 28, 1}));
  EXPECT_FLOAT_EQ(in.out_scale, 1.0f / 127.0f);

  const std::vector<ir::OpKind> ops = {ir::OpKind::Conv, ir::OpKind::MaxPool, ir::OpKind::Conv, ir::OpKind::Conv,
                                       ir::OpKind::Conv, ir::OpKind::Conv,    ir::OpKind::Add,  ir::OpKind::AvgPool,
                                       ir::OpKind::Fc};
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(g.nodes[i + 1].op, ops[i]) << g.nodes[i + 1].name;

  const ir::Node& conv1 = g.nodes[1];
  EXPECT_FALSE(conv1.sparse);
  EXPECT_TRUE(conv1.relu);
  EXPECT_EQ(conv1.inputs, (std::vector<int>{0}));
  EXPECT_EQ(conv1.kh, 3u);
  EXPECT_EQ(conv1.pad_h, 1u);
  EXPECT_EQ(conv1.weight.size(), 16u * 9);
  const ir::Node& pool1 = g.nodes[2];
  EXPECT_EQ(pool1.kh, 2u);
  EXPECT_EQ(pool1.stride_w, 2u);
  EXPECT_EQ(pool1.out_scale, conv1.out_scale);
  const ir::Node& conv3 = g.nodes[4];
  EXPECT_EQ(conv3.stride_h, 2u);
  EXPECT_EQ(conv3.out, (ir::Shape{7, 7, 32}));
  EXPECT_FALSE(g.nodes[6].relu);  // conv5
  const ir::Node& add1 = g.nodes[7];
  EXPECT_EQ(add1.inputs, (std::vector<int>{4, 6}));
  EXPECT_TRUE(add1.relu);
  const ir::Node& gap = g.nodes[8];
  EXPECT_EQ(gap.kh, 7u);
  EXPECT_EQ(gap.stride_h, 7u);
  EXPECT_EQ(gap.out_scale, add1.out_scale);
  const ir::Node& fc = g.nodes[9];
  EXPECT_EQ(fc.kh, 1u);
  EXPECT_EQ(fc.kw, 1u);
  EXPECT_EQ(fc.weight.size(), 10u * 32);
  EXPECT_TRUE(fc.sparse);
  EXPECT_EQ(fc.mask.rows, 2u);
  EXPECT_EQ(fc.mask.cols, 4u);

  for (size_t i = 2; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (n.op != ir::OpKind::Conv && n.op != ir::OpKind::Fc) continue;
    EXPECT_TRUE(n.sparse) << n.name;
    // Bias scale is in_scale * w_scale: check one channel against the float bias.
    const float in_scale = g.nodes[n.inputs[0]].out_scale;
    const float b = ps[i - 1].bias[0];
    EXPECT_NEAR(n.bias[0] * in_scale * n.weight_scales[0], b, in_scale * n.weight_scales[0]) << n.name;
    // Masked-out blocks are exactly zero in the OHWI int8 weights.
    const uint32_t cin = g.nodes[n.inputs[0]].out.c, taps = n.kh * n.kw;
    for (uint32_t o = 0; o < n.out.c; ++o)
      for (uint32_t t = 0; t < taps; ++t)
        for (uint32_t c = 0; c < cin; ++c)
          if (!n.mask.at(o / 8, c / 8)) {
            ASSERT_EQ(n.weight[(size_t{o} * taps + t) * cin + c], 0) << n.name;
          }
  }
}

TEST(BundleExport, FcWeightsArePermutedFromChwToHwc) {
  // input 2x2x1 -> conv1 (1x1, 3 channels) -> fc over a 2x2x3 tensor.
  ModelSpec spec;
  spec.name = "fc-probe";
  spec.input = TensorShape{2, 2, 1};
  LayerSpec c;
  c.name = "conv1";
  c.kind = LayerKind::Conv;
  c.inputs = {"input"};
  c.cin = 1;
  c.cout = 3;
  LayerSpec f;
  f.name = "fc";
  f.kind = LayerKind::Fc;
  f.inputs = {"conv1"};
  f.cin = 3;
  f.cout = 2;
  spec.layers = {c, f};
  std::vector<LayerParams> ps(2);
  ps[0].weight = {1.0f, 1.0f, 1.0f};
  ps[0].bias = {0, 0, 0};
  // PyTorch Linear weight [2][C*H*W] in CHW order; value encodes (o, c, h, w); max 127 per row.
  ps[1].bias = {0, 0};
  for (int o = 0; o < 2; ++o)
    for (int ch = 0; ch < 3; ++ch)
      for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 2; ++w) ps[1].weight.push_back(static_cast<float>(o * 20 + ch * 4 + h * 2 + w + 1));
  // Make both rows' maximum 127 so the int8 values equal the floats.
  ps[1].weight[11] = 127.0f;
  ps[1].weight[23] = 127.0f;
  const ir::Graph g = build_graph(spec, ps, {0.1f, 0.2f}, ir::Provenance{});
  const ir::Node& fc = g.nodes[2];
  EXPECT_EQ(fc.kh, 2u);
  EXPECT_EQ(fc.kw, 2u);
  for (int o = 0; o < 2; ++o)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 2; ++w)
        for (int ch = 0; ch < 3; ++ch) {
          const float src = ps[1].weight[((o * 3 + ch) * 2 + h) * 2 + w];
          EXPECT_EQ(fc.weight[((o * 2 + h) * 2 + w) * 3 + ch], static_cast<int8_t>(src)) << o << h << w << ch;
        }
}

TEST(BundleExport, RejectsMisalignedParams) {
  const ModelSpec spec = make_model_spec("tiny");
  auto ps = synthetic_params(spec, 2);
  const std::vector<float> scales(spec.layers.size(), 0.1f);
  EXPECT_THROW(build_graph(spec, ps, std::vector<float>(3, 0.1f), ir::Provenance{}), std::runtime_error);
  ps[2].weight.pop_back();
  try {
    build_graph(spec, ps, scales, ir::Provenance{});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("conv2"), std::string::npos) << e.what();
  }
}

TEST(BundleExport, WritesABundleTheCompilerReads) {
  const ModelSpec spec = make_model_spec("tiny");
  const auto ps = synthetic_params(spec, 3);
  std::vector<float> mx(spec.layers.size(), 2.0f);
  const ir::Graph g = build_graph(spec, ps, calibrated_scales(spec, mx), ir::Provenance{"fashion-mnist", "tiny", 0.5, "n"});
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("saie_export_test_" + std::to_string(rd()));
  export_bundle(g, dir.string());
  const ir::Graph r = bundle::read_bundle(dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_EQ(r.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(r.nodes[i].name, g.nodes[i].name);
    EXPECT_EQ(r.nodes[i].op, g.nodes[i].op);
    EXPECT_EQ(r.nodes[i].weight, g.nodes[i].weight) << g.nodes[i].name;
    EXPECT_EQ(r.nodes[i].bias, g.nodes[i].bias) << g.nodes[i].name;
    EXPECT_EQ(r.nodes[i].mask.bits, g.nodes[i].mask.bits) << g.nodes[i].name;
    EXPECT_FLOAT_EQ(r.nodes[i].out_scale, g.nodes[i].out_scale) << g.nodes[i].name;
  }
  EXPECT_EQ(r.output, g.output);
}

}  // namespace
}  // namespace saie::trainer
