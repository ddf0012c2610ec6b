// memtile_padding_test.cpp — zero padding on a memtile MM2S BD (AIE-ML): the stream carries the
// padded block, zeros included, and the receiving core memory holds the zero border.
#include <gtest/gtest.h>

#include "hw/isa/verify_program.h"
#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

constexpr uint32_t kH = 3, kW = 4, kC = 8;                  // memtile holds an H x W x C HWC block
constexpr uint32_t kPh = kH + 2, kPw = kW + 2;              // with a one-pixel zero border
constexpr uint32_t kIn = kH * kW * kC, kOut = kPh * kPw * kC;
constexpr uint32_t kCoreBuf = 0x400;

// Phase 0: the input block DDR -> memtile (0,1) at 0x200; junk (0x5a) DDR -> core (0,2) at
//   kCoreBuf, so a border byte that the stream did not write would not read as zero.
// Phase 1: memtile MM2S0 streams the block with dims [C] x [W @ C pad 1,1] x [H @ W*C pad 1,1]
//   to core S2MM0 (kCoreBuf, contiguous); the core's MM2S0 sends the buffer to DDR output.
isa::Program padding_program(const config::ArrayConfig& cfg) {
  isa::Program p = empty_program(cfg, "memtile-padding");
  p.input = port(0x1000, kH, kW, kC);
  p.output = port(0x2000, kPh, kPw, kC);
  p.ddr_init.push_back({0x3000, std::vector<uint8_t>(kOut, 0x5a)});
  const TileId shim = tile(0, 0), mem = tile(0, 1), core = tile(0, 2);

  isa::Phase load;
  load.name = "load";
  add_transfer(load, shim, 0, bd(0, 0x1000, kIn), mem, 0, bd(0, 0x200, kIn));
  add_transfer(load, shim, 1, bd(1, 0x3000, kOut), core, 1, bd(0, kCoreBuf, kOut));
  p.phases.push_back(load);

  isa::Phase pad;
  pad.name = "pad";
  isa::BufferDescriptor padded = bd_nd(0, 0x200, {{kC, 1}, {kW, int32_t{kC}}, {kH, int32_t{kW * kC}}});
  padded.pad_before = {0, 1, 1, 0};  // in elements of each dim: pixels (dim 1), rows (dim 2)
  padded.pad_after = {0, 1, 1, 0};
  EXPECT_EQ(padded.bytes_per_repetition(), kOut);
  add_transfer(pad, mem, 0, padded, core, 0, rel(bd(0, kCoreBuf, kOut), 0, 1));
  add_transfer(pad, core, 0, acq(bd(1, kCoreBuf, kOut), 0, 1), shim, 0, bd(0, 0x2000, kOut));
  p.phases.push_back(pad);
  return p;
}

TEST(MemtilePadding, PaddedMm2sWritesTheZeroBorderIntoTheCore) {
  const config::ArrayConfig cfg = small_config(1, 1);
  const auto in = pattern(kIn, 23);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, padding_program(cfg), {in}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.outputs[0].size(), kOut);
  for (uint32_t y = 0; y < kPh; ++y)
    for (uint32_t x = 0; x < kPw; ++x)
      for (uint32_t c = 0; c < kC; ++c) {
        const bool border = y == 0 || x == 0 || y == kPh - 1 || x == kPw - 1;
        const int8_t want = border ? int8_t{0} : in[((y - 1) * kW + (x - 1)) * kC + c];
        ASSERT_EQ(r.outputs[0][(y * kPw + x) * kC + c], want) << y << " " << x << " " << c;
      }
  // The stream carried the padded size; the core received all of it.
  EXPECT_EQ(stat(rec, "array.tile_0_1.dma.mm2s_0.bytes"), double(kOut));
  EXPECT_EQ(stat(rec, "array.tile_0_2.dma.s2mm_0.bytes"), double(kOut));
}

// Runs without the DmaChannel change: the padded program passes the check; the same padding on
// the core's S2MM BD does not.
TEST(MemtilePadding, CheckAcceptsMemtilePaddingOnly) {
  const config::ArrayConfig cfg = small_config(1, 1);
  isa::Program p = padding_program(cfg);
  EXPECT_NO_THROW(isa::verify_program(p, cfg));
  EXPECT_EQ(p.phases[1].bds[0].bds[0].real_bytes_per_repetition(), kIn);
  p.phases[1].bds[1].bds[0].pad_before[0] = 1;
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, p, {pattern(kIn, 1)}, SimOptions{}, rec);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("tile(0,2) BD 0: zero padding on dim 0 (before 1, after 0) on a core tile"), std::string::npos)
      << r.error;
}

}  // namespace
}  // namespace saie::hw::test
