// model_spec_test.cpp — the trainer's layer lists and their shape inference.
#include "trainer/models/model_spec.h"

#include <gtest/gtest.h>

namespace saie::trainer {
namespace {

TEST(ModelSpec, SmallResnetShapes) {
  const ModelSpec s = make_model_spec("small-resnet");
  const auto sh = s.shapes();
  ASSERT_EQ(s.layers.size(), 9u);
  auto expect = [&](const char* name, uint32_t h, uint32_t w, uint32_t c) {
    const int i = s.index_of(name);
    ASSERT_GE(i, 0);
    EXPECT_EQ(sh[i].h, h) << name;
    EXPECT_EQ(sh[i].w, w) << name;
    EXPECT_EQ(sh[i].c, c) << name;
  };
  expect("conv1", 28, 28, 16);
  expect("pool1", 14, 14, 16);
  expect("conv2", 14, 14, 32);
  expect("conv3", 7, 7, 32);
  expect("conv5", 7, 7, 32);
  expect("add1", 7, 7, 32);
  expect("gap", 1, 1, 32);
  expect("fc", 1, 1, 10);
  EXPECT_FALSE(s.layers[s.index_of("conv5")].relu);
  EXPECT_TRUE(s.layers[s.index_of("add1")].relu);
  EXPECT_EQ(s.layers[s.index_of("add1")].inputs, (std::vector<std::string>{"conv3", "conv5"}));
}

TEST(ModelSpec, TinyShapes) {
  const ModelSpec s = make_model_spec("tiny");
  const auto sh = s.shapes();
  ASSERT_EQ(s.layers.size(), 7u);
  EXPECT_EQ(sh[s.index_of("conv2")].h, 7u);
  EXPECT_EQ(sh[s.index_of("conv2")].c, 16u);
  EXPECT_EQ(sh[s.index_of("gap")].c, 16u);
  EXPECT_EQ(s.index_of("input"), -1);
}

TEST(ModelSpec, ResnetSShapesAndBatchNorm) {
  const ModelSpec s = make_model_spec("resnet-s");
  const auto sh = s.shapes();
  ASSERT_EQ(s.layers.size(), 11u);
  EXPECT_EQ(sh[s.index_of("conv1")].c, 32u);
  EXPECT_EQ(sh[s.index_of("add1")].h, 14u);
  EXPECT_EQ(sh[s.index_of("add1")].c, 32u);
  EXPECT_EQ(sh[s.index_of("conv4")].h, 7u);
  EXPECT_EQ(sh[s.index_of("add2")].c, 64u);
  EXPECT_EQ(sh[s.index_of("gap")].h, 1u);
  EXPECT_EQ(sh[s.index_of("fc")].c, 10u);
  EXPECT_EQ(s.layers[s.index_of("add1")].inputs, (std::vector<std::string>{"pool1", "conv3"}));
  for (const auto& l : s.layers) {
    EXPECT_EQ(l.bn, l.kind == LayerKind::Conv) << l.name;  // every conv has BN, nothing else
    if (l.kind == LayerKind::Conv) {
      EXPECT_EQ(l.cout % 8, 0u) << l.name;
    }
  }
  EXPECT_FALSE(s.layers[s.index_of("conv3")].relu);  // before the residual add
  EXPECT_FALSE(s.layers[s.index_of("conv6")].relu);
  EXPECT_EQ(model_names(), (std::vector<std::string>{"small-resnet", "resnet-s", "vgg-s", "tiny"}));
  for (const auto& n : model_names()) EXPECT_NO_THROW(make_model_spec(n)) << n;
}

TEST(ModelSpec, UnknownNamesAreErrors) {
  EXPECT_THROW(make_model_spec("resnet50"), std::runtime_error);
  EXPECT_THROW(make_model_spec("tiny").index_of("conv9"), std::runtime_error);
  ModelSpec bad = make_model_spec("tiny");
  bad.layers[2].cin = 9;  // conv2 no longer matches pool1's 8 channels
  EXPECT_THROW(bad.shapes(), std::runtime_error);
}

}  // namespace
TEST(ModelSpec, VggSIsPlainConvStacksWithPools) {
  const ModelSpec s = make_model_spec("vgg-s");
  const auto sh = s.shapes();
  ASSERT_EQ(s.layers.size(), 9u);
  EXPECT_EQ(sh[s.index_of("conv2")].h, 28u);
  EXPECT_EQ(sh[s.index_of("pool1")].h, 14u);
  EXPECT_EQ(sh[s.index_of("conv4")].c, 64u);
  EXPECT_EQ(sh[s.index_of("pool2")].h, 7u);
  EXPECT_EQ(sh[s.index_of("fc")].c, 10u);
  for (const auto& l : s.layers) {
    EXPECT_NE(l.kind, LayerKind::Add) << l.name;  // no skip connections
    EXPECT_EQ(l.bn, l.kind == LayerKind::Conv) << l.name;
  }
  EXPECT_FALSE(s.layers[s.index_of("conv1")].prunable);  // first conv stays dense
  EXPECT_TRUE(s.layers[s.index_of("conv5")].prunable);
}

}  // namespace saie::trainer
