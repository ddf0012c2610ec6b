// lower_test.cpp — compile() end to end on the CPU: program structure against the target's
// limits, and bit-exact agreement of the lowered program (run by a functional interpreter)
// with the reference executor, for several array shapes, band heights and layer kinds.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>
#include <string>

#include "compiler/compile.h"
#include "compiler/lower/lower_layer.h"
#include "hw/isa/program_io.h"
#include "hw/isa/tile_names.h"
#include "hw/isa/verify_program.h"
#include "model/reference/reference_executor.h"
#include "compiler/target/target_model.h"
#include "tests/compiler/lower/lower_graphs.h"
#include "tests/compiler/lower/program_interpreter.h"
#include "tests/model/grouped_graphs.h"
#include "tests/model/test_graphs.h"

namespace saie {
namespace {

config::ArrayConfig make_cfg(uint32_t cols, uint32_t rows) {
  config::ArrayConfig c;
  c.name = "test-" + std::to_string(cols) + "x" + std::to_string(rows);
  c.columns = cols;
  c.core_rows = rows;
  return c;
}

// Compiles g and checks the interpreted program against the reference on two inputs.
void expect_bit_exact(const ir::Graph& g, const config::ArrayConfig& cfg, const compiler::CompileOptions& opt,
                      const std::string& what) {
  SCOPED_TRACE(what);
  const compiler::CompileResult res = compiler::compile(g, cfg, opt);
  EXPECT_NO_THROW(isa::verify_program(res.program, cfg));
  test::ProgramInterpreter interp(cfg, res.program);
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    const std::vector<int8_t> in = test::make_test_input(g, seed, -127, 127);
    const reference::Tensor want = reference::run(g, in);
    const std::vector<int8_t> got = interp.run(in);
    ASSERT_EQ(got.size(), want.size());
    size_t diff = 0;
    for (size_t i = 0; i < got.size(); ++i) diff += got[i] != want[i];
    EXPECT_EQ(diff, 0u) << "input seed " << seed;
  }
}

// DMA tasks of a phase that read DDR (shim MM2S).
size_t shim_load_tasks(const isa::Phase& ph) {
  size_t n = 0;
  for (const isa::DmaTask& t : ph.tasks) n += t.tile.row == 0 && t.dir == isa::DmaDir::MM2S;
  return n;
}

TEST(Lower, TestGraphBitExactSparseAndDense) {
  for (bool sparse : {true, false}) {
    const ir::Graph g = test::make_test_graph(7, sparse);
    for (bool dense_prog : {false, true}) {
      compiler::CompileOptions opt;
      opt.dense = dense_prog;
      expect_bit_exact(g, make_cfg(2, 2), opt,
                       std::string(sparse ? "sparse" : "dense") + " graph, " + (dense_prog ? "dense" : "sparse") + " program");
    }
  }
}

TEST(Lower, BitExactAcrossArrayShapesAndBands) {
  test::TestGraphOptions o;
  o.h = o.w = 12;
  o.c = 3;
  const ir::Graph g = test::make_test_graph(11, true, o);
  for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{1, 1}, {2, 2}, {3, 4}, {4, 3}, {5, 1}})
    for (uint32_t max_bh : {0u, 1u, 2u}) {
      compiler::CompileOptions opt;
      opt.max_band_rows = max_bh;
      expect_bit_exact(g, make_cfg(cols, rows), opt,
                       std::to_string(cols) + "x" + std::to_string(rows) + " bands<=" + std::to_string(max_bh));
    }
}

TEST(Lower, MnistSizedGraphBitExact) {
  test::TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  const ir::Graph g = test::make_test_graph(5, true, o);
  expect_bit_exact(g, make_cfg(2, 2), {}, "28x28x1 on 2x2");
  compiler::CompileOptions opt;
  opt.max_band_rows = 2;
  expect_bit_exact(g, make_cfg(4, 4), opt, "28x28x1 on 4x4, bands of 2");
}

TEST(Lower, SingleConvKernelsAndStrides) {
  const test::ConvSpec specs[] = {
      {9, 7, 8, 24, 1, 1, 0, true, true},     // 1x1
      {10, 10, 16, 16, 3, 1, 1, true, false}, // 3x3 stride 1
      {11, 9, 8, 32, 3, 2, 1, true, true},    // 3x3 stride 2, odd sizes
      {8, 8, 3, 10, 3, 2, 0, false, false},   // cin 3 (padded to 8), cout 10 (partial block row)
      {9, 9, 16, 8, 5, 1, 2, true, true},     // 5x5 pad 2, one block row (one working core row)
      {6, 13, 8, 16, 1, 2, 0, true, false},   // 1x1 stride 2
  };
  int i = 0;
  for (const test::ConvSpec& s : specs) {
    const ir::Graph g = test::single_conv_graph(s, 100 + i);
    for (uint32_t max_bh : {0u, 1u}) {
      compiler::CompileOptions opt;
      opt.max_band_rows = max_bh;
      expect_bit_exact(g, make_cfg(2, 2), opt, "spec " + std::to_string(i) + " bands<=" + std::to_string(max_bh));
      expect_bit_exact(g, make_cfg(3, 3), opt, "spec " + std::to_string(i) + " 3x3 array");
    }
    ++i;
  }
}

TEST(Lower, BordersOfDifferentConsumersAndPaddedAvgPool) {
  const ir::Graph g = test::multi_pad_graph();
  expect_bit_exact(g, make_cfg(2, 2), {}, "multi-pad 2x2");
  compiler::CompileOptions opt;
  opt.max_band_rows = 1;
  expect_bit_exact(g, make_cfg(3, 1), opt, "multi-pad 3x1 bands of 1");
}

TEST(Lower, StructureWithinTargetLimits) {
  const config::ArrayConfig cfg = make_cfg(2, 2);
  const target::TargetModel tm(cfg);
  compiler::CompileOptions opt;
  opt.max_band_rows = 1;
  opt.fuse_add = false;  // the add as a phase of its own
  const compiler::CompileResult res = compiler::compile(test::make_test_graph(3, true), cfg, opt);
  const isa::Program& p = res.program;
  ASSERT_EQ(p.phases.size(), 8u);  // every node but the input
  EXPECT_EQ(p.columns, 2);
  EXPECT_EQ(p.core_rows, 2);
  for (const isa::Phase& ph : p.phases) {
    SCOPED_TRACE(ph.name);
    for (const isa::TileBds& tb : ph.bds)
      for (const isa::BufferDescriptor& bd : tb.bds) {
        EXPECT_LT(bd.id, tm.bds(isa::tile_kind(tb.tile)));
        EXPECT_LE(bd.ndims, tm.max_bd_dims(isa::tile_kind(tb.tile)));
        if (isa::tile_kind(tb.tile) == isa::TileKind::Core) {
          EXPECT_LE(bd.addr + bd.bytes_per_repetition(), 64u * 1024u);
        }
      }
    for (const isa::LockInit& l : ph.locks) {
      EXPECT_LE(l.value, 63);
      EXPECT_LT(l.lock, tm.locks(isa::tile_kind(l.tile)));
    }
    // Every task's channel appears in a route (as source for MM2S, destination for S2MM).
    for (const isa::DmaTask& t : ph.tasks) {
      bool routed = false;
      for (const isa::Route& r : ph.routes) {
        if (t.dir == isa::DmaDir::MM2S && r.src.tile == t.tile && r.src.channel == t.channel) routed = true;
        for (const isa::StreamEndpoint& d : r.dsts)
          if (t.dir == isa::DmaDir::S2MM && d.tile == t.tile && d.channel == t.channel) routed = true;
      }
      EXPECT_TRUE(routed) << isa::tile_label(t.tile) << " ch " << int(t.channel);
      EXPECT_LT(t.channel, tm.channels(isa::tile_kind(t.tile), t.dir));
    }
    for (const isa::CoreProgram& cp : ph.cores)
      for (const isa::CoreOp& op : cp.ops) {
        if (op.kind == isa::CoreOpKind::Conv) {
          EXPECT_LE(op.conv.in_addr + op.conv.in_h * op.conv.in_w * op.conv.in_c, 65536u);
          EXPECT_LE(op.conv.out_addr + op.conv.out_h * op.conv.out_w * op.conv.out_c, 65536u);
          EXPECT_LE(op.conv.qp_addr + 12 * op.conv.out_c, 65536u);
          EXPECT_EQ(op.conv.out_h, 1u);  // max_band_rows = 1
        }
      }
  }
  // The fc's output is 1x1: only column 0 computes (other memtiles may serve weights).
  const isa::Phase& fc = p.phases.back();
  EXPECT_EQ(fc.name, "fc");
  for (const isa::CoreProgram& cp : fc.cores) EXPECT_EQ(cp.tile.col, 0);
  for (const isa::DmaTask& t : fc.tasks) {
    if (t.tile.row >= 2 || t.channel == 0) {
      EXPECT_EQ(t.tile.col, 0);
    }
  }
  EXPECT_EQ(p.output.c, 10u);
  EXPECT_EQ(p.output.pitch_c, 16u);
  EXPECT_EQ(p.input.pitch_c, 8u);
}

TEST(Lower, SparseProgramStoresAndComputesFewerBlocks) {
  const ir::Graph g = test::make_test_graph(9, true);
  const config::ArrayConfig cfg = make_cfg(2, 2);
  compiler::CompileOptions dense_opt;
  dense_opt.dense = true;
  const compiler::CompileResult sp = compiler::compile(g, cfg, {});
  const compiler::CompileResult de = compiler::compile(g, cfg, dense_opt);
  auto init_bytes = [](const isa::Program& p) {
    uint64_t n = 0;
    for (const isa::DdrSegment& s : p.ddr_init) n += s.bytes.size();
    return n;
  };
  EXPECT_LT(init_bytes(sp.program), init_bytes(de.program));
  ASSERT_EQ(sp.layers.size(), de.layers.size());
  uint64_t sp_macs = 0, de_macs = 0;
  for (size_t i = 0; i < sp.layers.size(); ++i) {
    EXPECT_EQ(sp.layers[i].dense_macs, de.layers[i].dense_macs) << sp.layers[i].name;
    EXPECT_EQ(de.layers[i].actual_macs, de.layers[i].dense_macs) << de.layers[i].name;
    EXPECT_LE(sp.layers[i].actual_macs, sp.layers[i].dense_macs);
    sp_macs += sp.layers[i].actual_macs;
    de_macs += de.layers[i].actual_macs;
  }
  EXPECT_LT(sp_macs, de_macs);
  // conv2 is sparse (50 %): half its blocks, half its MACs.
  EXPECT_EQ(sp.layers[2].name, "conv2");
  EXPECT_EQ(sp.layers[2].actual_macs * 2, sp.layers[2].dense_macs);
  EXPECT_LT(sp.layers[2].weight_bytes, de.layers[2].weight_bytes);
  // The interpreter computes fewer block-pixels for the sparse program, same outputs.
  test::ProgramInterpreter a(cfg, sp.program), b(cfg, de.program);
  const std::vector<int8_t> in = test::make_test_input(g, 4);
  EXPECT_EQ(a.run(in), b.run(in));
  EXPECT_LT(a.block_pixel_ops(), b.block_pixel_ops());
}

TEST(Lower, TallestBandThatFitsAndCap) {
  // 32x32x64 -> 3x3 -> 64 on one column and one core row: double buffers force bands.
  const test::ConvSpec s{32, 32, 64, 64, 3, 1, 1, true, true};
  const ir::Graph g = test::single_conv_graph(s);
  const compiler::CompileResult r = compiler::compile(g, make_cfg(1, 1), {});
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_LE(r.layers[0].core_mem_peak, 65536u);
  const std::string split = r.layers[0].split;
  EXPECT_NE(split.find("W 1 col x COUT 1 row"), std::string::npos) << split;
  // Read the band height back from the core program: one conv op per band.
  uint32_t bands = 0, bh = 0;
  for (const isa::CoreOp& op : r.program.phases[0].cores.at(0).ops)
    if (op.kind == isa::CoreOpKind::Conv) {
      ++bands;
      bh = op.conv.out_h;
    }
  EXPECT_GT(bands, 1u);
  EXPECT_EQ(bands * bh, 32u);
  compiler::CompileOptions opt;
  opt.max_band_rows = 3;  // largest divisor of 32 <= 3 is 2
  const compiler::CompileResult capped = compiler::compile(g, make_cfg(1, 1), opt);
  EXPECT_NE(capped.layers[0].split.find("16 bands of 2 rows"), std::string::npos) << capped.layers[0].split;
  expect_bit_exact(g, make_cfg(1, 1), {}, "forced bands");
}

TEST(Lower, LayersTooLargeForOnePieceAreTiledBitExact) {
  // Core memory: 3x3 x 256 x 64 weights on one core row = 147 KiB > 64 KiB: output-channel groups
  // (phases) or input-channel chunks streamed through the core in one phase.
  const ir::Graph wide = test::single_conv_graph({4, 4, 256, 64, 3, 1, 1, false, true});
  const compiler::CompileResult wr = compiler::compile(wide, make_cfg(2, 1), {});
  EXPECT_TRUE(wr.program.phases.size() > 1 || wr.schedule_listing.find("chunks in one phase") != std::string::npos)
      << wr.schedule_listing;
  expect_bit_exact(wide, make_cfg(2, 1), {}, "cout groups or chunks");
  // Memtile: a 160x160x32 input is 800 KiB: width parts / height chunks.
  const ir::Graph big = test::single_conv_graph({160, 160, 32, 32, 1, 1, 0, false, false});
  const compiler::CompileResult br = compiler::compile(big, make_cfg(1, 1), {});
  EXPECT_GT(br.program.phases.size(), 1u);
  expect_bit_exact(big, make_cfg(1, 1), {}, "spatial pieces");
}

TEST(Lower, InputChannelSplitAccumulatesInt32SumsAcrossPiecesBitExact) {
  // 8 output channels x 3x3 x 1024 inputs = 72 KiB of weights per core > 64 KiB (sparse, half
  // the blocks: 2048 inputs): the layer runs in pieces over input-channel chunks, the cores
  // keeping int32 partial sums between them.
  for (bool sparse : {false, true}) {
    const ir::Graph g = test::single_conv_graph({4, 4, sparse ? 2048u : 1024u, 16, 3, 1, 1, sparse, true});
    for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{1, 1}, {2, 2}}) {
      const std::string what = std::string(sparse ? "sparse " : "dense ") + std::to_string(cols) + "x" + std::to_string(rows);
      const compiler::CompileResult res = compiler::compile(g, make_cfg(cols, rows), {});
      EXPECT_NE(res.schedule_listing.find("CIN chunk 1/"), std::string::npos) << what << res.schedule_listing;
      std::set<isa::ConvAcc> modes;
      for (const isa::Phase& ph : res.program.phases)
        for (const isa::CoreProgram& cp : ph.cores)
          for (const isa::CoreOp& op : cp.ops)
            if (op.kind == isa::CoreOpKind::Conv) modes.insert(op.conv.acc_mode);
      EXPECT_TRUE(modes.count(isa::ConvAcc::First) && modes.count(isa::ConvAcc::Last)) << what;
      EXPECT_FALSE(modes.count(isa::ConvAcc::None)) << what;
      // Only the last chunk of a piece writes the output: DDR sees every output byte once.
      uint64_t written = 0;
      for (const estimate::PhaseTraffic& t : res.traffic) written += t.write_bytes * t.columns;
      EXPECT_EQ(written, 4u * 4u * 16u) << what;
      expect_bit_exact(g, make_cfg(cols, rows), {}, what);
    }
  }
  // Chosen by cost where the layer fits whole (ResNet-50 layer4.0.conv2): column groups, every
  // chunk streaming its channels out of one memtile slice that holds them all, loaded once.
  for (bool sparse : {false, true}) {
    const ir::Graph g = test::single_conv_graph({14, 14, 512, 512, 3, 2, 1, sparse, true});
    const compiler::CompileResult res = compiler::compile(g, make_cfg(4, 4), {});
    EXPECT_NE(res.schedule_listing.find("CIN chunk 2/"), std::string::npos) << res.schedule_listing;
    EXPECT_NE(res.schedule_listing.find("col groups"), std::string::npos) << res.schedule_listing;
    size_t loads = 0;
    for (const estimate::PhaseTraffic& t : res.traffic) loads += t.load_bytes > 0;
    EXPECT_EQ(loads, 1u) << res.schedule_listing;  // the first piece loads every channel, the rest find it
    expect_bit_exact(g, make_cfg(4, 4), {}, std::string("chunked column groups, ") + (sparse ? "sparse" : "dense"));
  }
  // A fully connected layer over a 7x7x512 map (VGG-16's classifier.0 shape, fewer outputs).
  ir::Graph fc = test::input_graph("fc-split", 7, 7, 512);
  test::detail::Rng rng(5);
  test::append_conv(fc, rng, "fc", 0, 16, 1, 1, 0, true, true, ir::OpKind::Fc);
  fc.output = 1;
  fc.validate();
  const compiler::CompileResult fr = compiler::compile(fc, make_cfg(2, 2), {});
  EXPECT_NE(fr.schedule_listing.find("CIN chunk"), std::string::npos) << fr.schedule_listing;
  expect_bit_exact(fc, make_cfg(2, 2), {}, "fc 7x7x512 -> 16");
}

TEST(Lower, ChunkLoopRunsEveryInputChannelChunkInOnePhaseBitExact) {
  // ResNet-50 layer3.x.conv1's shape: 1024 input channels make 2-row bands of 4 pixels, whose
  // per-block overhead dominates; chunks of 256 channels streamed in one phase (their blobs
  // double-buffered in the cores) let taller bands fit.
  for (bool sparse : {false, true}) {
    const std::string what = sparse ? "sparse" : "dense";
    const ir::Graph g = test::single_conv_graph({14, 14, 1024, 256, 1, 1, 0, sparse, true});
    const compiler::CompileResult res = compiler::compile(g, make_cfg(4, 4), {});
    EXPECT_NE(res.schedule_listing.find("chunks in one phase"), std::string::npos) << what << res.schedule_listing;
    for (const isa::Phase& ph : res.program.phases) {  // every phase: First, Middle ..., Last
      std::vector<isa::ConvAcc> modes;
      for (const isa::CoreOp& op : ph.cores.at(0).ops)
        if (op.kind == isa::CoreOpKind::Conv) modes.push_back(op.conv.acc_mode);
      ASSERT_GE(modes.size(), 2u) << what;
      EXPECT_EQ(modes.front(), isa::ConvAcc::First) << what;
      EXPECT_EQ(modes.back(), isa::ConvAcc::Last) << what;
    }
    expect_bit_exact(g, make_cfg(4, 4), {}, what);
  }
  // ResNet-50 layer3.x.conv2's shape: column groups (every column its own output channels over
  // the whole width), each core taking its group's chunks one after another.
  for (bool sparse : {false, true}) {
    const std::string what = std::string("column groups, ") + (sparse ? "sparse" : "dense");
    const ir::Graph g = test::single_conv_graph({14, 14, 256, 256, 3, 1, 1, sparse, true}, 7);
    const compiler::CompileResult res = compiler::compile(g, make_cfg(4, 4), {});
    EXPECT_NE(res.schedule_listing.find("col groups"), std::string::npos) << what << res.schedule_listing;
    EXPECT_NE(res.schedule_listing.find("chunks in one phase"), std::string::npos) << what << res.schedule_listing;
    expect_bit_exact(g, make_cfg(4, 4), {}, what);
  }
}

TEST(Lower, OutputPartsHoldTheBandInTheCoresWhileTheBlobPassesBitExact) {
  // ResNet-50 layer4.x.conv3's shape: a 35 KB blob per core (sparse) leaves room for 1-row bands
  // only, each op paying the per-block overhead for 7 pixels. Output parts keep the whole 7-row
  // band in the cores and stream the blob past it in parts of its output channels, each op
  // covering all 49 pixels.
  for (bool sparse : {true, false}) {
    const std::string what = sparse ? "sparse" : "dense";
    const ir::Graph g = test::single_conv_graph({7, 7, 512, 2048, 1, 1, 0, sparse, true}, 5);
    const compiler::CompileResult res = compiler::compile(g, make_cfg(4, 4), {});
    EXPECT_NE(res.schedule_listing.find("parts in one phase"), std::string::npos) << what << res.schedule_listing;
    for (const isa::Phase& ph : res.program.phases) {
      // Every core: one band, several convs over it, each a part of the core's output channels
      // written to the two output buffers in turn.
      for (const isa::CoreProgram& core : ph.cores) {
        std::vector<const isa::ConvArgs*> convs;
        for (const isa::CoreOp& op : core.ops)
          if (op.kind == isa::CoreOpKind::Conv) convs.push_back(&op.conv);
        if (convs.empty()) continue;
        ASSERT_GE(convs.size(), 2u) << what;
        uint32_t out_c = 0;
        for (size_t j = 0; j < convs.size(); ++j) {
          EXPECT_EQ(convs[j]->in_addr, convs[0]->in_addr) << what;
          EXPECT_EQ(convs[j]->out_h, 7u) << what;
          EXPECT_EQ(convs[j]->out_addr, convs[j % 2]->out_addr) << what;
          out_c += convs[j]->out_c;
        }
        EXPECT_NE(convs[0]->out_addr, convs[1]->out_addr) << what;
        EXPECT_EQ(out_c % 8, 0u) << what;
      }
    }
    expect_bit_exact(g, make_cfg(4, 4), {}, what);
  }
}

TEST(Lower, WeightPartsLetTheFirstBandStartOnPartOfTheBlobBitExact) {
  // ResNet-50 layer4.x.conv2's shape, dense: its input-channel chunk pieces each load a blob of
  // some 37 KB into the cores before their first band could start. In parts, the first band's
  // conv runs part by part as the parts land; every band then has one conv per part, writing
  // its part of the output band (part-major) and, with the split, of the int32 sums.
  for (bool sparse : {false, true}) {
    const std::string what = sparse ? "sparse" : "dense";
    const ir::Graph g = test::single_conv_graph({7, 7, 512, 512, 3, 1, 1, sparse, true}, 11);
    const compiler::CompileResult res = compiler::compile(g, make_cfg(4, 4), {});
    size_t parted = 0;
    for (const isa::Phase& ph : res.program.phases)
      for (const isa::CoreProgram& core : ph.cores) {
        // The convs of the first band: same input, blobs one after another, outputs part-major.
        std::vector<const isa::CoreOp*> band0;
        for (const isa::CoreOp& op : core.ops)
          if (op.kind == isa::CoreOpKind::Conv && op.label.find(" band 0 part ") != std::string::npos) band0.push_back(&op);
        if (band0.size() < 2) continue;
        ++parted;
        for (size_t j = 1; j < band0.size(); ++j) {
          const isa::ConvArgs& a = band0[j - 1]->conv;
          const isa::ConvArgs& b = band0[j]->conv;
          EXPECT_EQ(b.in_addr, a.in_addr) << what << " " << band0[j]->label << " / " << band0[j - 1]->label;
          EXPECT_GT(b.w_addr, a.w_addr) << what;
          EXPECT_EQ(b.out_addr, a.out_addr + a.out_h * a.out_w * a.out_c) << what;
        }
      }
    EXPECT_GT(parted, 0u) << what << res.schedule_listing;
    expect_bit_exact(g, make_cfg(4, 4), {}, what);
  }
}

TEST(Lower, FirstBandGoesOnToTheCoresInPiecesAsItLandsBitExact) {
  // A conv whose input comes from DDR: the memtile forwards its first band's rows in pieces, each
  // waiting for its own release of the input lock, instead of storing the whole band first.
  for (bool sparse : {true, false}) {
    const std::string what = sparse ? "sparse" : "dense";
    const ir::Graph g = test::single_conv_graph({28, 28, 128, 64, 3, 1, 1, sparse, true}, 9);
    const compiler::CompileResult res = compiler::compile(g, make_cfg(2, 2), {});
    ASSERT_EQ(res.program.phases.size(), 1u) << what << res.schedule_listing;
    const isa::Phase& ph = res.program.phases[0];
    for (const isa::DmaTask& t : ph.tasks) {
      if (t.tile.row != 1 || t.dir != isa::DmaDir::MM2S || t.channel != 0) continue;
      // The band reads: the first pieces acquire the input lock once each.
      const isa::TileBds* tb = nullptr;
      for (const isa::TileBds& c : ph.bds)
        if (c.tile == t.tile) tb = &c;
      ASSERT_NE(tb, nullptr);
      auto bd_of = [&](int id) -> const isa::BufferDescriptor* {
        for (const isa::BufferDescriptor& bd : tb->bds)
          if (bd.id == id) return &bd;
        return nullptr;
      };
      uint32_t acquiring = 0;
      const isa::BufferDescriptor* bd = bd_of(t.start_bd);
      for (uint32_t k = 0; k < t.bd_executions && bd != nullptr; ++k) {
        acquiring += bd->acq_lock != isa::kNoLock && bd->iter_count == 1 ? 1 : 0;
        bd = bd->next_bd >= 0 ? bd_of(bd->next_bd) : nullptr;
      }
      EXPECT_GE(acquiring, 2u) << what << " memtile column " << t.tile.col;
    }
    expect_bit_exact(g, make_cfg(2, 2), {}, what);
  }
}

TEST(Lower, StemPoolReadsItsProducersSliceWithAHaloColumnBitExact) {
  // The pool's columns each need one column left of the conv's own: the conv leaves a margin
  // column in its slice (no WRITE), the pool's phase fills it from the west memtile and
  // generates the padding (column 0's left, the top row) in its band BDs (no LOAD).
  for (bool sparse : {false, true}) {
    const std::string what = sparse ? "sparse" : "dense";
    const ir::Graph g = test::stem_pool_graph(sparse);
    const compiler::CompileResult res = compiler::compile(g, make_cfg(4, 4), {});
    ASSERT_EQ(res.program.phases.size(), 2u) << what << res.schedule_listing;
    EXPECT_NE(res.schedule_listing.find("WRITE - (kept in memtile"), std::string::npos) << what << res.schedule_listing;
    const size_t pool = res.schedule_listing.find("\npool ");
    ASSERT_NE(pool, std::string::npos) << res.schedule_listing;
    EXPECT_NE(res.schedule_listing.find("LOAD - (resident in memtile)", pool), std::string::npos) << res.schedule_listing;
    // The margin: one memtile-to-memtile route per column but the first, into the east neighbour.
    size_t halo_routes = 0;
    for (const isa::Route& r : res.program.phases[1].routes)
      halo_routes += r.src.tile.row == 1 && r.dsts.size() == 1 && r.dsts[0].tile.row == 1 &&
                     r.dsts[0].tile.col == r.src.tile.col + 1;
    EXPECT_EQ(halo_routes, 3u) << what;
    expect_bit_exact(g, make_cfg(4, 4), {}, what);
  }
  // The same for 3x3 convs reading a 1x1 conv's output: stride 2 (the margin left), stride 1
  // (both margins, filled by neighbour access; the last band's bottom padding row generated).
  for (auto [sparse, stride] : {std::pair<bool, uint32_t>{false, 2}, {true, 2}, {false, 1}, {true, 1}}) {
    const std::string what = std::string("stride-") + std::to_string(stride) + " conv, " + (sparse ? "sparse" : "dense");
    const ir::Graph g = test::halo_conv_graph(stride, sparse);
    const compiler::CompileResult res = compiler::compile(g, make_cfg(4, 4), {});
    const size_t c2 = res.schedule_listing.find("\nc2 ");
    ASSERT_NE(c2, std::string::npos) << res.schedule_listing;
    EXPECT_NE(res.schedule_listing.find("LOAD - (resident in memtile)", c2), std::string::npos) << res.schedule_listing;
    expect_bit_exact(g, make_cfg(4, 4), {}, what);
  }
}

TEST(Lower, SmallMemoriesForceEveryKindOfPieceBitExact) {
  // Shrinking core and memtile memory makes every layer of the test graph (convs with halos
  // and strides, padded maxpool, residual add, avgpool, fc) run as several pieces: output
  // channel groups, width parts, height chunks, pool/add channel groups.
  test::TestGraphOptions o;
  o.h = o.w = 20;
  o.c = 3;
  const ir::Graph g = test::make_test_graph(13, true, o);
  for (auto [cols, rows, core_kib, mem_kib] : {std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>{1, 1, 3, 6},
                                               {2, 2, 2, 4}, {3, 4, 2, 6}, {4, 2, 2, 4}}) {
    config::ArrayConfig cfg = make_cfg(cols, rows);
    cfg.core.data_memory_bytes = core_kib * 1024;
    cfg.memtile.memory_bytes = mem_kib * 1024;
    const compiler::CompileResult res = compiler::compile(g, cfg, {});
    // nodes - 2 layers (the input has no phase, the add is fused into skip), some of them cut.
    EXPECT_GT(res.program.phases.size(), g.nodes.size() - 2);
    expect_bit_exact(g, cfg, {}, std::to_string(cols) + "x" + std::to_string(rows) + " core " +
                                    std::to_string(core_kib) + " KiB memtile " + std::to_string(mem_kib) + " KiB");
  }
}

TEST(Lower, ColumnGroupPiecesOnNarrowLayersBitExact) {
  // A 7x7 map on 4 columns: splitting 7 output columns 2/2/2/1 wastes the 4-pixel MAC shape
  // and every core row needs its weights broadcast to every column; giving each column its
  // own output-channel group over the whole width is what the search picks for the 3x3 conv,
  // the fc-like 1x1 and the global average pool.
  ir::Graph g = test::input_graph("narrow", 7, 7, 64);
  test::detail::Rng rng(21);
  test::append_conv(g, rng, "c0", 0, 64, 1, 1, 0, true, true);
  test::append_conv(g, rng, "c3", 1, 256, 3, 1, 1, true, true);
  test::append_conv(g, rng, "c1", 2, 128, 1, 1, 0, true, true);
  ir::Node gap;
  gap.name = "gap";
  gap.op = ir::OpKind::AvgPool;
  gap.inputs = {3};
  gap.kh = gap.kw = 7;
  gap.out = {1, 1, 128};
  gap.out_scale = g.nodes[3].out_scale;
  g.nodes.push_back(gap);
  g.output = 4;
  g.validate();
  const config::ArrayConfig cfg = make_cfg(4, 4);
  const compiler::CompileResult res = compiler::compile(g, cfg, {});
  const std::string& l = res.schedule_listing;
  EXPECT_NE(l.find("col groups (full width)"), std::string::npos) << l;
  // c3's column groups arrive in the memtile slots during c0 (prefetch), not in c3 itself.
  const size_t c3 = l.find("\nc3 ");
  ASSERT_NE(c3, std::string::npos) << l;
  const std::string c3_line = l.substr(c3 + 1, l.find('\n', c3 + 1) - c3 - 1);
  EXPECT_NE(c3_line.find("col groups"), std::string::npos) << c3_line;
  EXPECT_NE(c3_line.find("LOADW - (in memtile)"), std::string::npos) << c3_line;
  expect_bit_exact(g, cfg, {}, "column groups");
  compiler::CompileOptions width_only;
  width_only.column_groups = false;
  const compiler::CompileResult w = compiler::compile(g, cfg, width_only);
  EXPECT_EQ(w.schedule_listing.find("col groups"), std::string::npos) << w.schedule_listing;
  expect_bit_exact(g, cfg, width_only, "width split only");
}

TEST(Lower, MemtileResidencySkipsDdrRoundTripsBitExact) {
  // c2 (1x1) feeds only the add right after it, and the add feeds only c3 (1x1) right after
  // it: both stay in the memtiles (no WRITE, no LOAD).
  ir::Graph g = test::input_graph("resident", 16, 16, 16);
  test::detail::Rng rng(5);
  test::append_conv(g, rng, "c1", 0, 32, 3, 1, 1, true, true);  // 1
  test::append_conv(g, rng, "d", 0, 64, 1, 1, 0, true, false);  // 2
  test::append_conv(g, rng, "c2", 1, 64, 1, 1, 0, true, false); // 3
  ir::Node add;
  add.name = "add";
  add.op = ir::OpKind::Add;
  add.inputs = {3, 2};
  add.out = {16, 16, 64};
  add.out_scale = std::max(g.nodes[2].out_scale, g.nodes[3].out_scale) * 1.5f;
  add.relu = true;
  g.nodes.push_back(add);                                        // 4
  test::append_conv(g, rng, "c3", 4, 32, 1, 1, 0, true, true);  // 5
  g.output = 5;
  g.validate();
  const config::ArrayConfig cfg = make_cfg(2, 2);
  const compiler::CompileResult res = compiler::compile(g, cfg, {});
  EXPECT_NE(res.schedule_listing.find("LOAD - (resident in memtile)"), std::string::npos) << res.schedule_listing;
  EXPECT_NE(res.schedule_listing.find("WRITE - (kept in memtile for the next phase)"), std::string::npos);
  uint64_t write_bytes = 0;
  for (const estimate::PhaseTraffic& t : res.traffic) write_bytes += t.write_bytes;
  compiler::CompileOptions off;
  off.memtile_residency = false;
  const compiler::CompileResult ref = compiler::compile(g, cfg, off);
  uint64_t ref_write = 0;
  for (const estimate::PhaseTraffic& t : ref.traffic) ref_write += t.write_bytes;
  EXPECT_LT(write_bytes, ref_write);
  EXPECT_EQ(ref.schedule_listing.find("(resident in memtile)"), std::string::npos);
  expect_bit_exact(g, cfg, {}, "resident");
  expect_bit_exact(g, cfg, off, "round trips");
}

// ResNet bottleneck blocks: every add is fused into conv3 (its output overwrites the residual),
// the block input stays in the memtiles from its producer to conv1 and on to the fused add three
// phases later, and the program is bit-exact with and without fusion and residency.
TEST(Lower, FusedAddsAndResidentActivationsBitExact) {
  bool pixel_rows_seen = false;  // some block conv with a wide input runs as pixel rows (planner's choice)
  for (bool sparse : {true, false}) {
    const ir::Graph g = test::make_residual_chain_graph(3, sparse);
    for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{2, 2}, {4, 4}, {3, 2}, {1, 4}}) {
      const config::ArrayConfig cfg = make_cfg(cols, rows);
      const std::string what = std::string(sparse ? "sparse " : "dense ") + std::to_string(cols) + "x" + std::to_string(rows);
      const compiler::CompileResult res = compiler::compile(g, cfg, {});
      size_t fused = 0;
      for (const isa::Phase& ph : res.program.phases) fused += ph.name.find("+") != std::string::npos;
      EXPECT_EQ(fused, 3u) << what << "\n" << res.schedule_listing;  // block0, block1, down
      EXPECT_NE(res.schedule_listing.find("LOAD - (resident in memtile)"), std::string::npos) << what << res.schedule_listing;
      EXPECT_NE(res.schedule_listing.find("kept in memtile"), std::string::npos) << what;
      pixel_rows_seen = pixel_rows_seen || res.schedule_listing.find("PIX ") != std::string::npos;
      expect_bit_exact(g, cfg, {}, what);
      compiler::CompileOptions plain;
      plain.fuse_add = false;
      plain.memtile_residency = false;
      const compiler::CompileResult ref = compiler::compile(g, cfg, plain);
      EXPECT_EQ(ref.program.phases.size(), res.program.phases.size() + (fused ? 3 : 0)) << what;
      uint64_t ddr = 0, ddr_ref = 0;
      for (const estimate::PhaseTraffic& t : res.traffic) ddr += t.load_bytes + t.write_bytes;
      for (const estimate::PhaseTraffic& t : ref.traffic) ddr_ref += t.load_bytes + t.write_bytes;
      EXPECT_LT(ddr, ddr_ref) << what;
      expect_bit_exact(g, cfg, plain, what + " unfused, through DDR");
    }
  }
  EXPECT_TRUE(pixel_rows_seen);
}

// Readers of a slice that is already in the memtile run every core row at its own pace: a
// fused add's residual passes down the rows' channels (a lock per row, the bucket brigade) only
// where it lands from DDR during the phase, and a pool whose slice lands whole lets every row
// wait for the landing itself (its last LOAD BD releases once per row) instead of for the row
// before it.
TEST(Lower, ReadersOfALandedSliceRunEveryCoreRowAtItsOwnPace) {
  for (bool sparse : {true, false}) {
    const ir::Graph g = test::make_residual_chain_graph(3, sparse);
    const config::ArrayConfig cfg = make_cfg(4, 4);
    const compiler::CompileResult res = compiler::compile(g, cfg, {});
    size_t fused = 0, landing = 0;
    for (const isa::Phase& ph : res.program.phases) {
      if (ph.name.find('+') == std::string::npos) continue;
      ++fused;
      bool lands = false, passes = false;
      for (const isa::TileBds& tb : ph.bds)
        for (const isa::BufferDescriptor& bd : tb.bds) {
          if (tb.tile.row != 1) continue;
          lands = lands || (bd.acq_lock == isa::kNoLock && bd.rel_lock == lower::kMemLockRes0);
          passes = passes || (bd.rel_lock > lower::kMemLockRes0 && bd.rel_lock < lower::kMemLockRes0 + 4);
        }
      landing += lands;
      EXPECT_TRUE(lands || !passes) << ph.name << ": a resident residual passed down the rows";
    }
    EXPECT_EQ(fused, 3u);
    EXPECT_LT(landing, fused) << "no fused add read a resident residual\n" << res.schedule_listing;
  }

  // Global average pool over 7x7x512 (one band): 25 KiB per column over both shim channels, and
  // no row waits for another.
  const ir::Graph g = test::pool_graph("global-pool", 7, 7, 512, ir::OpKind::AvgPool, 7, 7);
  for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{1, 4}, {2, 2}}) {
    const config::ArrayConfig cfg = make_cfg(cols, rows);
    const std::string what = "global pool on " + std::to_string(cols) + "x" + std::to_string(rows);
    const compiler::CompileResult res = compiler::compile(g, cfg, {});
    const isa::Phase& ph = res.program.phases.at(0);
    const size_t shim_loads = shim_load_tasks(ph);
    size_t passed = 0, row_waits = 0;
    for (const isa::TileBds& tb : ph.bds)
      for (const isa::BufferDescriptor& bd : tb.bds) {
        if (tb.tile.row != 1) continue;
        passed += bd.acq_lock > lower::kMemLockPass0 && bd.acq_lock < lower::kMemLockPass0 + 4;
        row_waits += bd.acq_lock == lower::kMemLockIn2 && bd.acq_value == 1;
      }
    EXPECT_EQ(shim_loads, 2u * cols) << what;
    EXPECT_EQ(passed, 0u) << what << "\n" << res.schedule_listing;
    EXPECT_EQ(row_waits, uint64_t{cols} * std::min(rows, 4u)) << what << "\n" << res.schedule_listing;
    expect_bit_exact(g, cfg, {}, what);
  }
}

// Column groups: a narrow conv whose columns each compute their own channel group over the whole
// width leaves its output in the memtiles for a reader that works on the same channel groups (a
// global average pool, as after ResNet's last stage): no WRITE, no LOAD.
TEST(Lower, ColumnGroupOutputStaysForAReaderOfTheSameGroups) {
  for (bool sparse : {true, false}) {
    test::detail::Rng rng(5);
    ir::Graph g = test::input_graph("group-residency", 4, 4, 256);
    test::append_conv(g, rng, "c", 0, 512, 1, 1, 0, sparse, true);
    test::append_pool(g, "gap", ir::OpKind::AvgPool, 1, 4, 4, 0);
    g.output = 2;
    g.validate();
    const config::ArrayConfig cfg = make_cfg(4, 4);
    const std::string what = sparse ? "sparse" : "dense";
    const compiler::CompileResult res = compiler::compile(g, cfg, {});
    ASSERT_EQ(res.program.phases.size(), 2u) << what << "\n" << res.schedule_listing;
    EXPECT_NE(res.schedule_listing.find("c conv 1x1/1: CH 4 col groups"), std::string::npos) << what << "\n"
                                                                                           << res.schedule_listing;
    EXPECT_EQ(res.traffic.at(0).write_bytes, 0u) << what << "\n" << res.schedule_listing;
    EXPECT_EQ(res.traffic.at(1).load_bytes, 0u) << what << "\n" << res.schedule_listing;
    expect_bit_exact(g, cfg, {}, what);
    compiler::CompileOptions plain;
    plain.memtile_residency = false;
    const compiler::CompileResult ref = compiler::compile(g, cfg, plain);
    EXPECT_GT(ref.traffic.at(0).write_bytes, 0u) << what;
    expect_bit_exact(g, cfg, plain, what + " through DDR");
  }
}

TEST(Lower, StridedOneByOneConvLoadsOnlyTheRowsAndColumnsItReads) {
  // 1x1 stride 2 (ResNet's downsample): the LOAD's shim BD steps over every other row and
  // column, so DDR and the cores carry a quarter of the input.
  for (bool dense : {false, true}) {
    const ir::Graph g = test::single_conv_graph({16, 16, 64, 32, 1, 2, 0, !dense, false});
    for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{1, 1}, {2, 2}, {4, 4}}) {
      const compiler::CompileResult res = compiler::compile(g, make_cfg(cols, rows), {});
      uint64_t loaded = 0;
      for (const estimate::PhaseTraffic& t : res.traffic) loaded += t.load_bytes * t.columns;
      EXPECT_LE(loaded, 8u * 8u * 64u) << cols << "x" << rows;
      expect_bit_exact(g, make_cfg(cols, rows), {}, "1x1/2 on " + std::to_string(cols) + "x" + std::to_string(rows));
    }
  }
}

TEST(Lower, StridedOneByOneConvReadsAResidentSliceInPlace) {
  // c1 (1x1) -> ds (1x1 stride 2): ds can take every other row and column of c1's output slice
  // straight from the memtile, so c1 writes nothing to DDR and ds loads nothing.
  for (bool sparse : {false, true}) {
    const ir::Graph g = test::strided_reader_graph(sparse);
    for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{2, 2}, {4, 4}}) {
      const std::string what = std::string(sparse ? "sparse " : "dense ") + std::to_string(cols) + "x" + std::to_string(rows);
      const compiler::CompileResult res = compiler::compile(g, make_cfg(cols, rows), {});
      EXPECT_NE(res.schedule_listing.find("ds conv 1x1/2 (reads rows and columns 2 apart)"), std::string::npos) << what;
      EXPECT_NE(res.schedule_listing.find("LOAD - (resident in memtile)"), std::string::npos) << what << res.schedule_listing;
      EXPECT_EQ(res.traffic.at(0).write_bytes, 0u) << what;
      expect_bit_exact(g, make_cfg(cols, rows), {}, what);
    }
  }
}

TEST(Lower, PoolLoadsItsSliceOverBothShimChannelsByColumns) {
  // A 32x32x64 max pool (64 KiB per column slice, many bands): the left half of every row comes
  // on shim MM2S0, the right half on MM2S1; a memtile S2MM1 BD waits for the left half of its
  // band (kMemLockIn) before it lands the right half.
  const ir::Graph g = test::pool_graph("wide-pool", 32, 32, 64, ir::OpKind::MaxPool, 2, 2);
  for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{1, 1}, {2, 2}}) {
    const config::ArrayConfig cfg = make_cfg(cols, rows);
    const compiler::CompileResult res = compiler::compile(g, cfg, {});
    const isa::Phase& ph = res.program.phases.at(0);
    const size_t shim_loads = shim_load_tasks(ph);
    size_t waiting_landings = 0;
    for (const isa::TileBds& tb : ph.bds)
      for (const isa::BufferDescriptor& bd : tb.bds)
        waiting_landings += tb.tile.row == 1 && bd.acq_lock == lower::kMemLockIn && bd.rel_lock == lower::kMemLockIn2;
    EXPECT_EQ(shim_loads, 2u * cols);
    EXPECT_EQ(waiting_landings, 2u * cols);  // first band and the rest, per column
    expect_bit_exact(g, cfg, {}, "wide pool on " + std::to_string(cols) + "x" + std::to_string(rows));
  }
}

TEST(Lower, EveryStageDumpsItsResultInOrder) {
  const ir::Graph g = test::make_residual_chain_graph(3, true);
  compiler::CompileOptions opt;
  std::vector<std::pair<std::string, std::string>> dumps;
  opt.dump = [&](const std::string& stage, const std::string& text) { dumps.emplace_back(stage, text); };
  const compiler::CompileResult res = compiler::compile(g, make_cfg(2, 2), opt);
  std::vector<std::string> order;
  for (const auto& [stage, text] : dumps) {
    order.push_back(stage);
    EXPECT_FALSE(text.empty()) << stage;
  }
  EXPECT_EQ(order, compiler::compile_stages());
  auto text_of = [&](const std::string& stage) {
    for (const auto& [s, t] : dumps)
      if (s == stage) return t;
    return std::string();
  };
  // fuse-add folds the residual add into a conv; the graph after it says so, the one before not.
  EXPECT_EQ(text_of("fuse-relu").find("+ add of"), std::string::npos) << text_of("fuse-relu");
  EXPECT_NE(text_of("fuse-add").find("+ add of"), std::string::npos) << text_of("fuse-add");
  EXPECT_NE(text_of("plan-ddr").find("tiling:"), std::string::npos);
  EXPECT_NE(text_of("residency").find("LOADFM"), std::string::npos);
  EXPECT_EQ(text_of("lower"), isa::listing(res.program));
}

TEST(Lower, RejectsUnsupportedConfigsAndOps) {
  const ir::Graph g = test::make_test_graph(1, true);
  auto msg = [&](const ir::Graph& gg, const config::ArrayConfig& c) {
    try {
      compiler::compile(gg, c, {});
    } catch (const compiler::CompileError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  config::ArrayConfig few_channels = make_cfg(2, 2);
  few_channels.memtile.dma.mm2s_channels = 2;
  EXPECT_NE(msg(g, few_channels).find("needs at least 3 MM2S"), std::string::npos);
  config::ArrayConfig three_mem = make_cfg(2, 2);
  three_mem.mem_rows = 3;
  EXPECT_NE(msg(g, three_mem).find("mem_rows 3 unsupported"), std::string::npos) << msg(g, three_mem);
  // Two memtile rows (ve2802): cores start at row 3, and the program stays bit-exact.
  config::ArrayConfig two_mem = make_cfg(2, 2);
  two_mem.mem_rows = 2;
  expect_bit_exact(g, two_mem, {}, "two memtile rows");

  // A padded maxpool over values that can be negative is rejected (zero padding would win
  // over an all-negative window); after a ReLU it compiles and stays bit-exact (ResNet's stem).
  for (bool relu_before : {false, true}) {
    ir::Graph padded = test::input_graph("padded-maxpool", 8, 8, 8);
    test::detail::Rng rng(3);
    test::append_conv(padded, rng, "c", 0, 8, 3, 1, 1, false, relu_before);
    test::append_pool(padded, "mp", ir::OpKind::MaxPool, 1, 3, 2, 1);
    padded.output = 2;
    padded.validate();
    if (relu_before) {
      expect_bit_exact(padded, make_cfg(2, 2), {}, "padded maxpool after relu");
    } else {
      EXPECT_NE(msg(padded, make_cfg(2, 2)).find("layer mp: maxpool with padding (or ceil_mode) needs a non-negative input"),
                std::string::npos)
          << msg(padded, make_cfg(2, 2));
    }
  }

  // A relu after a maxpool cannot be fused.
  ir::Graph relu = test::input_graph("relu-after-pool", 8, 8, 8);
  ir::Node pool;
  pool.name = "pool";
  pool.op = ir::OpKind::MaxPool;
  pool.inputs = {0};
  pool.kh = pool.kw = pool.stride_h = pool.stride_w = 2;
  pool.out = {4, 4, 8};
  pool.out_scale = relu.nodes[0].out_scale;
  relu.nodes.push_back(pool);
  ir::Node r;
  r.name = "r";
  r.op = ir::OpKind::Relu;
  r.inputs = {1};
  r.out = {4, 4, 8};
  r.out_scale = pool.out_scale;
  relu.nodes.push_back(r);
  relu.output = 2;
  relu.validate();
  EXPECT_NE(msg(relu, make_cfg(2, 2)).find("layer r: standalone relu not supported"), std::string::npos);
}

TEST(Lower, FusesStandaloneReluAfterAdd) {
  test::TestGraphOptions o;
  o.standalone_relu = true;
  const ir::Graph g = test::make_test_graph(2, true, o);
  compiler::CompileOptions opt;
  opt.fuse_add = false;  // the relu fuses into the add's own phase
  const compiler::CompileResult r = compiler::compile(g, make_cfg(2, 2), opt);
  EXPECT_EQ(r.program.phases.size(), g.nodes.size() - 2);  // no input phase, relu fused
  expect_bit_exact(g, make_cfg(2, 2), opt, "fused relu");
}

TEST(Lower, ScheduleListingUsesThePaperVocabulary) {
  compiler::CompileOptions opt;
  opt.max_band_rows = 2;
  opt.fuse_add = false;  // the add as a phase of its own (ELEW)
  const compiler::CompileResult r = compiler::compile(test::make_test_graph(4, true), make_cfg(2, 2), opt);
  const std::string& s = r.schedule_listing;
  for (const char* word : {"LOAD ", "LOADW ", "LOADFM iter 4", "LOADWM", "COMP iter", "POOL iter", "ELEW iter",
                           "WRITEFM iter", "WRITE "})
    EXPECT_NE(s.find(word), std::string::npos) << word << "\n" << s;
  EXPECT_NE(s.find("conv1 conv 3x3/1: W 2 cols x COUT 2 rows, 4 bands of 2 rows"), std::string::npos) << s;
  EXPECT_NE(s.find("pool1 maxpool 2x2/2: "), std::string::npos) << s;
  EXPECT_NE(s.find("fc fc 1x1/1: W 1 col x COUT 2 rows"), std::string::npos) << s;
  // One header line + one line per layer.
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 9);
  EXPECT_EQ(r.layers[0].split, "W 2 cols x COUT 2 rows, 4 bands of 2 rows");
}

TEST(Lower, FusesAnAddWhoseExtraWeightBytesAreAFewTimesTheSavedActivations) {
  // The test graph's skip conv: on 2 columns its weights' extra copy is more bytes than the two
  // passes of its small output that fusing saves, but within kFuseAddBytesRatio times them, so
  // the add is fused by default (the add's own phase costs more than those bytes); bit-exact.
  const ir::Graph g = test::make_test_graph(4, true);
  const compiler::CompileResult r = compiler::compile(g, make_cfg(2, 2), {});
  EXPECT_NE(r.schedule_listing.find("skip+add1 conv"), std::string::npos) << r.schedule_listing;
  EXPECT_EQ(r.schedule_listing.find("ELEW"), std::string::npos) << r.schedule_listing;
  expect_bit_exact(g, make_cfg(2, 2), {}, "fused add");
}

TEST(Lower, Deterministic) {
  const ir::Graph g = test::make_test_graph(6, true);
  const compiler::CompileResult a = compiler::compile(g, make_cfg(2, 2), {});
  const compiler::CompileResult b = compiler::compile(g, make_cfg(2, 2), {});
  EXPECT_EQ(a.schedule_listing, b.schedule_listing);
  ASSERT_EQ(a.program.ddr_init.size(), b.program.ddr_init.size());
  for (size_t i = 0; i < a.program.ddr_init.size(); ++i) {
    EXPECT_EQ(a.program.ddr_init[i].addr, b.program.ddr_init[i].addr);
    EXPECT_EQ(a.program.ddr_init[i].bytes, b.program.ddr_init[i].bytes);
  }
  ASSERT_EQ(a.program.phases.size(), b.program.phases.size());
  for (size_t i = 0; i < a.program.phases.size(); ++i) {
    const isa::Phase &x = a.program.phases[i], &y = b.program.phases[i];
    ASSERT_EQ(x.bds.size(), y.bds.size());
    for (size_t t = 0; t < x.bds.size(); ++t) {
      ASSERT_EQ(x.bds[t].bds.size(), y.bds[t].bds.size());
      for (size_t k = 0; k < x.bds[t].bds.size(); ++k) {
        EXPECT_EQ(x.bds[t].bds[k].addr, y.bds[t].bds[k].addr);
        EXPECT_EQ(x.bds[t].bds[k].bytes_per_repetition(), y.bds[t].bds[k].bytes_per_repetition());
      }
    }
  }
}

}  // namespace
}  // namespace saie

namespace saie {
namespace {

TEST(Lower, UnevenWidthSplitsOnMnistSizedGraph) {
  // 28 / 3 columns = 10, 9, 9 output columns; 14 -> 5, 5, 4; 7 -> 3, 2, 2: every column has its
  // own slice width, halo and band strides.
  test::TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  const ir::Graph g = test::make_test_graph(5, true, o);
  for (uint32_t cols : {3u, 5u})
    for (bool dense : {false, true}) {
      compiler::CompileOptions opt;
      opt.dense = dense;
      expect_bit_exact(g, make_cfg(cols, 3), opt, std::to_string(cols) + " columns" + (dense ? " dense" : ""));
    }
}

TEST(Lower, GroupedAndDepthwiseConvsBitExactAndStoreOnlyTheirGroupsBlocks) {
  for (bool sparse : {false, true}) {
    const ir::Graph g = test::make_grouped_graph(4, sparse);
    for (bool dense : {false, true})
      for (auto [cols, rows] : {std::pair{2u, 2u}, std::pair{4u, 4u}, std::pair{3u, 1u}}) {
        compiler::CompileOptions opt;
        opt.dense = dense;
        expect_bit_exact(g, make_cfg(cols, rows), opt,
                         std::string(sparse ? "sparse graph" : "dense graph") + (dense ? ", dense program " : ", ") +
                             std::to_string(cols) + "x" + std::to_string(rows));
      }
  }
  // The dense program computes the blocks that meet each conv's groups, no more; a depthwise conv
  // runs the depthwise kernel, its real MACs (3x3 over 32 channels on 8x8 pixels), not 4 diagonal
  // 8x8 blocks; the sparse program computes fewer.
  const ir::Graph g = test::make_grouped_graph(4, true);
  compiler::CompileOptions dense_opt;
  dense_opt.dense = true;
  const compiler::CompileResult de = compiler::compile(g, make_cfg(2, 2), dense_opt);
  const compiler::CompileResult sp = compiler::compile(g, make_cfg(2, 2), {});
  bool saw_dw = false;
  uint64_t sp_macs = 0, de_macs = 0;
  ASSERT_EQ(sp.layers.size(), de.layers.size());
  for (size_t i = 0; i < de.layers.size(); ++i) {
    SCOPED_TRACE(de.layers[i].name);
    EXPECT_EQ(de.layers[i].actual_macs, de.layers[i].dense_macs);
    EXPECT_EQ(sp.layers[i].dense_macs, de.layers[i].dense_macs);
    if (de.layers[i].name == "dw") {
      saw_dw = true;
      EXPECT_EQ(de.layers[i].dense_macs, 32ull * 9 * 8 * 8);
    }
    EXPECT_LE(sp.layers[i].actual_macs, de.layers[i].actual_macs);
    sp_macs += sp.layers[i].actual_macs;
    de_macs += de.layers[i].actual_macs;
  }
  EXPECT_TRUE(saw_dw);
  EXPECT_LT(sp_macs, de_macs);
  size_t dwconvs = 0;
  for (const isa::Phase& ph : sp.program.phases)
    for (const isa::CoreProgram& cp : ph.cores)
      for (const isa::CoreOp& op : cp.ops) dwconvs += op.kind == isa::CoreOpKind::DwConv;
  EXPECT_GT(dwconvs, 0u);
}

TEST(Lower, SqueezeExcitationAndTablesBitExact) {
  // Tables fold into the convs before them (fuse-lut), the Mul becomes a gate conv (mul-conv)
  // whose blob is the gate the phase before wrote, run by the cores' mul op.
  for (bool sparse : {false, true})
    for (const auto& [act, gate] : {std::pair<std::string, std::string>{"hardswish", "hardsigmoid"},
                                    std::pair<std::string, std::string>{"silu", "sigmoid"}}) {
      const ir::Graph g = test::make_se_graph(5, sparse, act, gate);
      for (bool dense : {false, true})
        for (auto [cols, rows] : {std::pair{2u, 2u}, std::pair{4u, 4u}, std::pair{3u, 1u}, std::pair{2u, 4u}}) {
          compiler::CompileOptions opt;
          opt.dense = dense;
          expect_bit_exact(g, make_cfg(cols, rows), opt,
                           act + (sparse ? " sparse graph" : " dense graph") + (dense ? ", dense program " : ", ") +
                               std::to_string(cols) + "x" + std::to_string(rows));
        }
    }
  const ir::Graph g = test::make_se_graph(5, true);
  const compiler::CompileResult r = compiler::compile(g, make_cfg(4, 4), {});
  size_t muls = 0, luts = 0;
  for (const isa::Phase& ph : r.program.phases)
    for (const isa::CoreProgram& cp : ph.cores)
      for (const isa::CoreOp& op : cp.ops) {
        muls += op.kind == isa::CoreOpKind::Mul;
        luts += op.kind == isa::CoreOpKind::Conv && op.conv.lut;
      }
  EXPECT_GT(muls, 0u);
  EXPECT_GT(luts, 0u);
  for (const isa::Phase& ph : r.program.phases) EXPECT_NE(ph.name, "act1");  // (fused: no phase of its own)
  // A table that cannot fold (its producer also feeds another layer) is refused with one line.
  ir::Graph h = test::make_se_graph(5, false);
  h.nodes[3].inputs = {1};  // dw reads conv1 itself, beside act1
  try {
    compiler::compile(h, make_cfg(2, 2), {});
    ADD_FAILURE() << "accepted";
  } catch (const compiler::CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("layer act1: standalone hardswish not supported"), std::string::npos) << e.what();
  }
}

TEST(Lower, CeilModeMaxPoolsReadTheirOverhangAsZeroBorderBitExact) {
  // pool1's last window reaches one row and column past its 16x16 input (8x8 out, not 7x7): the
  // buffer it reads gets that border, which holds zeros (its input is non-negative).
  for (bool sparse : {false, true}) {
    const ir::Graph g = test::make_ceil_pool_graph(3, sparse);
    for (auto [cols, rows] : {std::pair{2u, 2u}, std::pair{4u, 4u}, std::pair{3u, 1u}})
      expect_bit_exact(g, make_cfg(cols, rows), {},
                       std::string(sparse ? "sparse " : "dense ") + std::to_string(cols) + "x" + std::to_string(rows));
  }
  // Over possibly negative values a zero border would not stand in for "ignore": rejected.
  ir::Graph g = test::make_ceil_pool_graph(3, false);
  g.nodes[1].relu = false;
  try {
    compiler::compile(g, make_cfg(2, 2), {});
    ADD_FAILURE() << "accepted";
  } catch (const compiler::CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("layer pool1: maxpool with padding (or ceil_mode) needs a non-negative input"),
              std::string::npos)
        << e.what();
  }
}

TEST(Lower, AvgPoolsDividingByTheirCountsAreBitExact) {
  // count_include_pad=False with padding, a ceil_mode overhang, both, and over negative inputs
  // (conv1 without ReLU): every band carries its counted region; the simulator equals the reference.
  for (bool sparse : {false, true})
    for (bool relu : {false, true}) {
      const ir::Graph g = test::make_count_pool_graph(4, sparse, relu);
      for (auto [cols, rows] : {std::pair{2u, 2u}, std::pair{4u, 4u}, std::pair{3u, 1u}})
        expect_bit_exact(g, make_cfg(cols, rows), {},
                         std::string(sparse ? "sparse " : "dense ") + (relu ? "relu " : "") + std::to_string(cols) + "x" +
                             std::to_string(rows));
    }
  // The ops say so in the listing.
  const compiler::CompileResult r = compiler::compile(test::make_count_pool_graph(4, false), make_cfg(2, 2), {});
  EXPECT_NE(isa::listing(r.program).find(" divide rows ["), std::string::npos);
}

TEST(Lower, PresetConfigs) {
  test::TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  const ir::Graph g = test::make_test_graph(12, true, o);
  for (const char* name : {"paper-2x2", "paper-4x4", "phoenix", "strix"}) {
    const config::ArrayConfig cfg = config::load_config_file(std::string(SAIE_CONFIG_DIR) + "/" + name + ".json");
    expect_bit_exact(g, cfg, {}, name);
  }
  // More core rows than the memtile's channels can feed (8 > 6 - 2): the program keeps the
  // array's geometry, 4 rows per column work and the others stay idle, and outputs stay exact.
  const config::ArrayConfig big = config::load_config_file(std::string(SAIE_CONFIG_DIR) + "/paper-8x8.json");
  expect_bit_exact(g, big, {}, "paper-8x8");
  const compiler::CompileResult r = compiler::compile(g, big, {});
  EXPECT_EQ(r.program.core_rows, 8);
  EXPECT_NE(r.schedule_listing.find("using 4 core rows per column"), std::string::npos) << r.schedule_listing;
  for (const isa::Phase& ph : r.program.phases)
    for (const isa::CoreProgram& cp : ph.cores) EXPECT_LT(cp.tile.row, 2 + 4) << ph.name;
}

}  // namespace
}  // namespace saie
