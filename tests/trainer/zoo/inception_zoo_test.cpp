// inception_zoo_test.cpp — the Inception-v3 zoo graph (torchvision structure, concat layers):
// shapes, conv and parameter counts, pruning, shared concat scales, int8 vs float, bundle trip.
// Torch-free code only (FloatGraph, ir::Graph, reference, bundle I/O).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "compiler/compile.h"
#include "model/bundle/bundle_io.h"
#include "model/reference/reference_executor.h"
#include "tests/model/test_graphs.h"
#include "tests/trainer/zoo/zoo_test_util.h"
#include "trainer/quant/quantize.h"
#include "trainer/zoo/model_zoo.h"

namespace saie::trainer {
namespace {

namespace fs = std::filesystem;

const FloatLayer& find_layer(const FloatGraph& g, const std::string& name) {
  for (const FloatLayer& l : g.layers)
    if (l.name == name) return l;
  throw std::runtime_error("no layer " + name);
}

int count_ops(const FloatGraph& g, FloatOp op) {
  return static_cast<int>(std::count_if(g.layers.begin(), g.layers.end(), [op](const FloatLayer& l) { return l.op == op; }));
}

bool has_shape(const ir::Shape& s, uint32_t h, uint32_t w, uint32_t c) { return s.h == h && s.w == w && s.c == c; }

ZooOptions inception_options(bool materialise) {
  ZooOptions o;
  o.input_hw = 299;
  o.materialise = materialise;
  return o;
}

TEST(InceptionZoo, MatchesTorchvisionStructureAt299) {
  const FloatGraph g = make_zoo_float_graph("inception_v3", inception_options(false));
  EXPECT_TRUE(has_shape(g.input, 299, 299, 3));
  // torchvision Inception3 without the aux head has 94 BasicConv2d modules.
  EXPECT_EQ(count_ops(g, FloatOp::Conv), 94);
  EXPECT_EQ(count_ops(g, FloatOp::Fc), 1);
  EXPECT_EQ(count_ops(g, FloatOp::Concat), 11);  // Mixed_5b..5d, 6a..6e, 7a..7c
  EXPECT_EQ(count_ops(g, FloatOp::MaxPool), 4);  // 2 stem + Mixed_6a / 7a branch_pool
  EXPECT_EQ(count_ops(g, FloatOp::AvgPool), 3 + 4 + 2 + 1);
  EXPECT_TRUE(has_shape(find_layer(g, "Conv2d_1a_3x3.conv").out, 149, 149, 32));
  EXPECT_TRUE(has_shape(find_layer(g, "Conv2d_2b_3x3.conv").out, 147, 147, 64));
  EXPECT_TRUE(has_shape(find_layer(g, "maxpool1").out, 73, 73, 64));
  EXPECT_TRUE(has_shape(find_layer(g, "Conv2d_4a_3x3.conv").out, 71, 71, 192));
  EXPECT_TRUE(has_shape(find_layer(g, "maxpool2").out, 35, 35, 192));
  EXPECT_TRUE(has_shape(find_layer(g, "Mixed_5b").out, 35, 35, 256));
  EXPECT_TRUE(has_shape(find_layer(g, "Mixed_5c").out, 35, 35, 288));
  EXPECT_TRUE(has_shape(find_layer(g, "Mixed_5d").out, 35, 35, 288));
  EXPECT_TRUE(has_shape(find_layer(g, "Mixed_6a").out, 17, 17, 768));
  EXPECT_TRUE(has_shape(find_layer(g, "Mixed_6e").out, 17, 17, 768));
  EXPECT_TRUE(has_shape(find_layer(g, "Mixed_7a").out, 8, 8, 1280));
  EXPECT_TRUE(has_shape(find_layer(g, "Mixed_7b").out, 8, 8, 2048));
  const FloatLayer& avg = find_layer(g, "avgpool");
  EXPECT_TRUE(has_shape(g.shape_of(avg.inputs[0]), 8, 8, 2048));  // before the pool
  EXPECT_TRUE(has_shape(avg.out, 1, 1, 2048));
  EXPECT_TRUE(has_shape(g.layers.back().out, 1, 1, 1000));
  EXPECT_EQ(g.layers.back().name, "fc");
  // Non-square kernels keep their orientation and "same" padding.
  const FloatLayer& c17 = find_layer(g, "Mixed_6b.branch7x7_2.conv");
  EXPECT_EQ(c17.kh, 1u);
  EXPECT_EQ(c17.kw, 7u);
  EXPECT_EQ(c17.pad_h, 0u);
  EXPECT_EQ(c17.pad_w, 3u);
  EXPECT_TRUE(has_shape(c17.out, 17, 17, 128));
  const FloatLayer& c71 = find_layer(g, "Mixed_6b.branch7x7_3.conv");
  EXPECT_EQ(c71.kh, 7u);
  EXPECT_EQ(c71.kw, 1u);
  EXPECT_TRUE(has_shape(c71.out, 17, 17, 192));
  // avg_pool2d(3, 1, 1) in the A/C/E branches (count_include_pad = the IR's AvgPool rule).
  const FloatLayer& bp = find_layer(g, "Mixed_7c.branch_pool.avgpool");
  EXPECT_EQ(bp.kh, 3u);
  EXPECT_EQ(bp.stride_h, 1u);
  EXPECT_EQ(bp.pad_h, 1u);
  // Concat input order is torchvision's torch.cat order.
  const FloatLayer& m6a = find_layer(g, "Mixed_6a");
  ASSERT_EQ(m6a.inputs.size(), 3u);
  EXPECT_EQ(g.layers[static_cast<size_t>(m6a.inputs[0])].name, "Mixed_6a.branch3x3.conv");
  EXPECT_EQ(g.layers[static_cast<size_t>(m6a.inputs[2])].name, "Mixed_6a.branch_pool");
  EXPECT_EQ(find_layer(g, "Mixed_7c").inputs.size(), 6u);  // nested cats flattened

  // torchvision inception_v3(aux_logits=False): 23,834,568 parameters = conv weights + fc
  // (2,049,000) + BatchNorm gamma and beta (2 per conv output channel). Folded, each conv keeps
  // one bias per output channel instead, so ours = 23,834,568 - sum(cout) over the 94 convs:
  //   stem 32+32+64+80+192 = 400; InceptionA 432 + pool_features (32, 64, 64) -> 1,456;
  //   InceptionB 640; InceptionC 768 + 6*c7 (c7 = 128, 160, 160, 192) -> 6,912; InceptionD 1,280;
  //   InceptionE 3,264 x 2 = 6,528; total 17,216 -> 23,817,352.
  EXPECT_EQ(g.parameter_count(), 23817352ull);
  EXPECT_NEAR(static_cast<double>(g.parameter_count()), 23834568.0, 0.01 * 23834568.0);
}

TEST(InceptionZoo, QuantisedGraphValidatesWithSharedConcatScales) {
  const ir::Graph g = make_zoo_graph("inception_v3", inception_options(true));
  EXPECT_NO_THROW(g.validate());
  ASSERT_EQ(g.nodes.size(), 1u + 94 + 1 + 11 + 4 + 10);
  EXPECT_EQ(g.nodes.back().name, "fc");
  EXPECT_EQ(g.nodes.back().out, (ir::Shape{1, 1, 1000}));
  expect_half_pruned(g);
  int concats = 0;
  for (const ir::Node& n : g.nodes) {
    if (n.op != ir::OpKind::Concat) continue;
    ++concats;
    for (int in : n.inputs) EXPECT_EQ(g.nodes[static_cast<size_t>(in)].out_scale, n.out_scale) << n.name;
  }
  EXPECT_EQ(concats, 11);
  // Mixed_6a's max-pool branch keeps Mixed_5d's scale, which ties Mixed_5d's and Mixed_6a's
  // producers into one group (likewise Mixed_6e and Mixed_7a).
  auto scale = [&](const std::string& name) {
    for (const ir::Node& n : g.nodes)
      if (n.name == name) return n.out_scale;
    throw std::runtime_error("no node " + name);
  };
  EXPECT_EQ(scale("Mixed_5d"), scale("Mixed_6a"));
  EXPECT_EQ(scale("Mixed_6e"), scale("Mixed_7a"));
  // compile() lowers every concat in place: branch outputs write into the concat's buffer,
  // so no phase belongs to a concat.
  config::ArrayConfig cfg;
  const compiler::CompileResult res = compiler::compile(g, cfg, compiler::CompileOptions{});
  size_t in_place = 0;
  for (size_t at = 0; (at = res.schedule_listing.find(" concat: in place", at)) != std::string::npos; ++at) ++in_place;
  EXPECT_EQ(in_place, 11u);
  for (const isa::Phase& ph : res.program.phases)
    EXPECT_TRUE(ph.name != "Mixed_5b" && ph.name.rfind("Mixed_5b [", 0) != 0) << ph.name;  // the concat itself
}

TEST(InceptionZoo, ConcatGroupsShareTheMaxCalibratedScale) {
  // a, b -> cat1; maxpool(cat1) and c -> cat2: a, b, cat1, pool, c and cat2 form one group.
  FloatGraph g;
  g.name = "groups";
  g.input = ir::Shape{4, 4, 2};
  auto conv = [&](const std::string& name, int in) {
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Conv;
    l.inputs = {in};
    l.cout = 2;
    g.layers.push_back(l);
    return static_cast<int>(g.layers.size()) - 1;
  };
  const int a = conv("a", -1), b = conv("b", -1);
  FloatLayer cat1;
  cat1.name = "cat1";
  cat1.op = FloatOp::Concat;
  cat1.inputs = {a, b};
  g.layers.push_back(cat1);
  FloatLayer mp;
  mp.name = "mp";
  mp.op = FloatOp::MaxPool;
  mp.inputs = {2};
  mp.kh = mp.kw = 2;
  mp.stride_h = mp.stride_w = 2;
  g.layers.push_back(mp);
  const int c = conv("c", 3);
  const int d = conv("d", 3);
  FloatLayer cat2;
  cat2.name = "cat2";
  cat2.op = FloatOp::Concat;
  cat2.inputs = {3, c};
  g.layers.push_back(cat2);
  const int e = conv("e", 6);  // requantises: its own scale
  g.infer_shapes();
  EXPECT_EQ(g.layers[6].out, (ir::Shape{2, 2, 6}));
  const std::vector<float> max_abs = {1.0f, 2.0f, 2.0f, 2.0f, 5.0f, 3.0f, 5.0f, 0.5f};
  const std::vector<float> s = scales_from_max(g, max_abs);
  const float shared = activation_scale(5.0f);
  for (int i : {a, b, 2, 3, c, 6}) EXPECT_EQ(s[static_cast<size_t>(i)], shared) << g.layers[static_cast<size_t>(i)].name;
  EXPECT_EQ(s[static_cast<size_t>(d)], activation_scale(3.0f));  // d feeds no concat
  EXPECT_EQ(s[static_cast<size_t>(e)], activation_scale(0.5f));
}

TEST(InceptionZoo, ReducedInt8ReferenceTracksFloatAndRoundTrips) {
  // width/8 at 299x299 (every channel count stays a multiple of 4): the int8 reference's
  // dequantised logits follow the float network's.
  ZooOptions o = inception_options(true);
  o.width_div = 8;
  o.num_classes = 40;
  o.calib_inputs = 1;
  const ir::Graph g = make_zoo_graph("inception_v3", o);
  FloatGraph f = make_zoo_float_graph("inception_v3", o);
  prune_float_graph(f, o.sparsity, o.block_o, o.block_i);
  const FloatTensor x = zoo_calibration_inputs(f.input, 1, 99).front();
  const std::vector<float> want = run_float(f, x).back();
  std::vector<int8_t> q(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    q[i] = static_cast<int8_t>(std::lround(std::min(127.0, x[i] / static_cast<double>(kInputScale))));
  const reference::Tensor got = reference::run(g, q);
  ASSERT_EQ(got.size(), want.size());
  double dot = 0, nw = 0, ng = 0;
  const double so = g.nodes.back().out_scale;
  for (size_t i = 0; i < want.size(); ++i) {
    dot += want[i] * got[i] * so;
    nw += double{want[i]} * want[i];
    ng += got[i] * so * got[i] * so;
  }
  EXPECT_GT(dot / std::sqrt(nw * ng), 0.9);  // cosine similarity of the logits

  const test::TempDir dir("saie_inception");
  bundle::write_bundle(g, dir.str());
  const ir::Graph r = bundle::read_bundle(dir.str());
  EXPECT_EQ(reference::run(r, q), got);
}

}  // namespace
}  // namespace saie::trainer
