// bd_chain_test.cpp — BD chains and multi-dimensional address generation in a running array,
// checked byte for byte against hand-computed layouts, in both fidelity modes (lt and beat):
//   * a cyclic ping-pong chain A -> B -> A (bd_executions 5) whose BDs repeat (iter_count 3,
//     iter_stride) and read their slots transposed / reversed, DDR -> memtile -> core -> DDR;
//   * chains that end at next_bd = -1 before bd_executions, and chains cut by bd_executions;
//   * a 3-D memtile S2MM scatter and a 4-D memtile MM2S gather into a 3-D shim write.
// Each mode runs in its own forked child (one SystemC simulation per process).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/hw/sim/sim_run.h"
#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

// ---- one simulation in a child process, flattened across the fork ----------------------------


constexpr Fidelity kModes[] = {Fidelity::Lt, Fidelity::Beat};

std::vector<std::string> names(const std::vector<traces::Slice>& v) {
  std::vector<std::string> n;
  for (const auto& s : v) n.push_back(s.name);
  return n;
}

// ---- (a) cyclic ping-pong chain with repeated BDs ----------------------------------------------

// Slots of 32 B; every BD execution is 3 repetitions (one slot each) = one 96 B band; 5 bands.
constexpr uint32_t kSlot = 32, kReps = 3, kBands = 5, kBand = kSlot * kReps, kTotal = kBand * kBands;
constexpr uint64_t kIn = 0x1000, kOut = 0x4000;
constexpr uint32_t kPing = 0, kPong = 8192;       // memtile buffers
constexpr uint32_t kCoreBase = 0x100, kCorePitch = 128;  // core: band b at kCoreBase + (4 - b) * 128

isa::Program ping_pong_program(const config::ArrayConfig& cfg) {
  isa::Program p = empty_program(cfg, "bd-ping-pong");
  p.input = port(kIn, 1, 1, kTotal);
  p.output = port(kOut, 1, 1, kBands * kCorePitch);
  const TileId shim = tile(0, 0), mem = tile(0, 1), core = tile(0, 2);

  isa::Phase ph;
  ph.name = "pingpong";
  // DDR -> memtile: one BD, 5 repetitions of one band.
  add_bd(ph, shim, iter(bd(0, kIn, kBand), kBands, kBand));
  add_task(ph, shim, DmaDir::MM2S, 0, 0);
  add_route(ph, shim, 0, {{mem, 0}});
  // Memtile: a ring of 2 x 3 slots. Lock 0 counts free slots (6), lock 1 full slots; per
  // repetition (docs/program-format.md: locks are per repetition).
  add_lock(ph, mem, 0, 2 * kReps);
  add_lock(ph, mem, 1, 0);
  // Writer: A_w = ping, slots contiguous; B_w = pong, slots 64 B apart.
  add_bd(ph, mem, next(rel(acq(iter(bd(0, kPing, kSlot), kReps, kSlot), 0, 1), 1, 1), 1));
  add_bd(ph, mem, next(rel(acq(iter(bd(1, kPong, kSlot), kReps, 64), 0, 1), 1, 1), 0));
  add_task(ph, mem, DmaDir::S2MM, 0, 0, kBands);
  // Reader: A_r reads each slot as a transposed 4x8 tile ([4 @ 8] x [8 @ 1]); B_r reads each
  // slot backwards ([32 @ -1] from its last byte).
  add_bd(ph, mem, next(rel(acq(iter(bd_nd(2, kPing, {{4, 8}, {8, 1}}), kReps, kSlot), 1, 1), 0, 1), 3));
  add_bd(ph, mem, next(rel(acq(iter(bd_nd(3, kPong + kSlot - 1, {{kSlot, -1}}), kReps, 64), 1, 1), 0, 1), 2));
  add_task(ph, mem, DmaDir::MM2S, 0, 2, kBands);
  add_route(ph, mem, 0, {{core, 0}});
  // Core: 5 repetitions of one band, each 128 B BELOW the previous one (negative iter_stride).
  add_bd(ph, core, iter(bd(0, kCoreBase + (kBands - 1) * kCorePitch, kBand), kBands, -int64_t{kCorePitch}));
  add_task(ph, core, DmaDir::S2MM, 0, 0);
  p.phases.push_back(ph);

  isa::Phase back;
  back.name = "readback";
  add_transfer(back, core, 0, bd(1, kCoreBase, kBands * kCorePitch), shim, 0, bd(1, kOut, kBands * kCorePitch));
  p.phases.push_back(back);
  return p;
}

// Hand-computed: band b is input bytes [96b, 96b + 96); slot r of it is [96b + 32r, +32).
// Even bands (A_r) stream slot byte (s % 4) * 8 + s / 4 at stream position s; odd bands (B_r)
// stream slot byte 31 - s. The core stores band b at (4 - b) * 128; the 32 B gaps stay zero.
std::vector<int8_t> ping_pong_expected(const std::vector<int8_t>& in) {
  std::vector<int8_t> out(kBands * kCorePitch, 0);
  for (uint32_t b = 0; b < kBands; ++b)
    for (uint32_t r = 0; r < kReps; ++r)
      for (uint32_t s = 0; s < kSlot; ++s) {
        const uint32_t src = b % 2 == 0 ? (s % 4) * 8 + s / 4 : kSlot - 1 - s;
        out[(kBands - 1 - b) * kCorePitch + r * kSlot + s] = in[b * kBand + r * kSlot + src];
      }
  return out;
}

TEST(BdChain, CyclicPingPongWithRepetitionsIsExactInBothModes) {
  auto cfg = small_config(1, 1);
  const isa::Program p = ping_pong_program(cfg);
  const auto in = pattern(kTotal, 21);
  const auto expected = ping_pong_expected(in);
  // A few positions by hand: band 0 (A_r, at core offset 4*128 = 512) starts with slot bytes
  // 0, 8, 16, 24, 1, ...; band 1 (B_r, at offset 384) starts with byte 31 of its first slot.
  ASSERT_EQ(expected[512 + 0], in[0]);
  ASSERT_EQ(expected[512 + 1], in[8]);
  ASSERT_EQ(expected[512 + 4], in[1]);
  ASSERT_EQ(expected[384 + 0], in[96 + 31]);
  ASSERT_EQ(expected[384 + 32], in[96 + 32 + 31]);
  ASSERT_EQ(expected[0], in[4 * 96 + 0]);  // band 4 (A_r again) at offset 0

  std::vector<int8_t> outs[2];
  for (int m = 0; m < 2; ++m) {
    const Fidelity f = kModes[m];
    SCOPED_TRACE(fidelity_name(f));
    const SimRun r = run_mode(cfg, p, in, f);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.out.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(r.out[i], expected[i]) << "byte " << i;
    outs[m] = r.out;

    // Per-channel statistics: repetitions and bytes.
    EXPECT_EQ(r.stat("array.tile_0_0.dma.mm2s_0.repetitions"), double(kBands));
    EXPECT_EQ(r.stat("array.tile_0_0.dma.mm2s_0.bytes"), double(kTotal));
    EXPECT_EQ(r.stat("array.tile_0_1.dma.s2mm_0.repetitions"), double(kBands * kReps));
    EXPECT_EQ(r.stat("array.tile_0_1.dma.s2mm_0.bytes"), double(kTotal));
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_0.repetitions"), double(kBands * kReps));
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_0.bytes"), double(kTotal));
    EXPECT_EQ(r.stat("array.tile_0_2.dma.s2mm_0.repetitions"), double(kBands));
    EXPECT_EQ(r.stat("array.tile_0_2.dma.s2mm_0.bytes"), double(kTotal));
    EXPECT_EQ(r.stat("array.tile_0_2.dma.mm2s_0.repetitions"), 1.0);
    EXPECT_EQ(r.stat("array.tile_0_2.dma.mm2s_0.bytes"), double(kBands * kCorePitch));
    // 15 acquires and releases of each memtile lock (one per repetition per side).
    EXPECT_EQ(r.stat("array.tile_0_1.lock.acquires"), 2.0 * kBands * kReps);
    EXPECT_EQ(r.stat("array.tile_0_1.lock.releases"), 2.0 * kBands * kReps);

    // Chain order A, B, A, B, A, three repetitions each, on both memtile channels.
    std::vector<std::string> want_r, want_w;
    for (uint32_t b = 0; b < kBands; ++b)
      for (uint32_t k = 0; k < kReps; ++k) {
        want_r.push_back("bd " + std::to_string(b % 2 == 0 ? 2 : 3) + " rep " + std::to_string(k));
        want_w.push_back("bd " + std::to_string(b % 2 == 0 ? 0 : 1) + " rep " + std::to_string(k));
      }
    EXPECT_EQ(names(r.on("array.tile_0_1.dma.mm2s_0", "dma")), want_r);
    EXPECT_EQ(names(r.on("array.tile_0_1.dma.s2mm_0", "dma")), want_w);
    EXPECT_EQ(r.samples("array.tile_0_1.dma.mm2s_0.bd"), (std::vector<int64_t>{2, 3, 2, 3, 2, -1}));
    // The ring ends where it started: 6 free slots, none full; never more than 6 full.
    auto full = r.samples("array.tile_0_1.lock.1");
    ASSERT_FALSE(full.empty());
    EXPECT_EQ(full.back(), 0);
    for (int64_t v : full) EXPECT_LE(v, int64_t{2 * kReps});
    // Free slots: back to 6 at the end of the phase, then 0 when the next phase resets the locks.
    auto free_slots = r.samples("array.tile_0_1.lock.0");
    ASSERT_GE(free_slots.size(), 2u);
    EXPECT_EQ(free_slots[free_slots.size() - 2], int64_t{2 * kReps});
    EXPECT_EQ(free_slots.back(), 0);
    for (int64_t v : free_slots) EXPECT_LE(v, int64_t{2 * kReps});
  }
  EXPECT_EQ(outs[0], outs[1]) << "lt and beat moved different bytes";
}

// ---- (b) chains ended by next_bd = -1 or by bd_executions --------------------------------------

isa::Program early_end_program(const config::ArrayConfig& cfg) {
  isa::Program p = empty_program(cfg, "bd-early-end");
  p.input = port(kIn, 1, 1, 256);
  p.output = port(kOut, 1, 1, 96);
  const TileId shim = tile(0, 0), mem = tile(0, 1), core = tile(0, 2);

  isa::Phase load;
  load.name = "load";
  add_transfer(load, shim, 0, bd(0, kIn, 256), mem, 0, bd(0, 0, 256));
  p.phases.push_back(load);

  isa::Phase ph;
  ph.name = "chains";
  // mm2s_0: 5 -> 6 -> 7 -> end (next_bd -1) although the task allows 10 executions.
  add_bd(ph, mem, next(iter(bd(5, 0, 16), 2, 32), 6));        // m[0..15], m[32..47]
  add_bd(ph, mem, next(bd_nd(6, 128, {{8, 2}}), 7));           // m[128], m[130], .., m[142]
  add_bd(ph, mem, bd(7, 200, 24));                             // m[200..223], next -1
  add_task(ph, mem, DmaDir::MM2S, 0, 5, 10);
  add_route(ph, mem, 0, {{core, 0}});
  // mm2s_1: 8 -> 9 -> 10 -> end, but the task stops after 2 executions (BD 10 never runs).
  add_bd(ph, mem, next(bd(8, 64, 16), 9));   // m[64..79]
  add_bd(ph, mem, next(bd(9, 96, 16), 10));  // m[96..111]
  add_bd(ph, mem, bd(10, 240, 16));          // m[240..255]: must not be sent
  add_task(ph, mem, DmaDir::MM2S, 1, 8, 2);
  add_route(ph, mem, 1, {{core, 1}});
  // The core takes exactly what the chains should send: 64 B and 32 B.
  add_bd(ph, core, bd(0, 0, 64));
  add_task(ph, core, DmaDir::S2MM, 0, 0);
  add_bd(ph, core, bd(1, 64, 32));
  add_task(ph, core, DmaDir::S2MM, 1, 1);
  p.phases.push_back(ph);

  isa::Phase back;
  back.name = "readback";
  add_transfer(back, core, 0, bd(2, 0, 96), shim, 0, bd(1, kOut, 96));
  p.phases.push_back(back);
  return p;
}

TEST(BdChain, ChainEndsAtNoNextBdOrAtExecutionCount) {
  auto cfg = small_config(1, 1);
  const isa::Program p = early_end_program(cfg);
  const auto in = pattern(256, 33);
  std::vector<int8_t> expected;
  for (int i = 0; i < 16; ++i) expected.push_back(in[i]);
  for (int i = 32; i < 48; ++i) expected.push_back(in[i]);
  for (int i = 0; i < 8; ++i) expected.push_back(in[128 + 2 * i]);
  for (int i = 200; i < 224; ++i) expected.push_back(in[i]);
  for (int i = 64; i < 80; ++i) expected.push_back(in[i]);
  for (int i = 96; i < 112; ++i) expected.push_back(in[i]);
  ASSERT_EQ(expected.size(), 96u);

  std::vector<int8_t> outs[2];
  for (int m = 0; m < 2; ++m) {
    const Fidelity f = kModes[m];
    SCOPED_TRACE(fidelity_name(f));
    const SimRun r = run_mode(cfg, p, in, f);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.out, expected);
    outs[m] = r.out;
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_0.repetitions"), 4.0);  // 2 + 1 + 1
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_0.bytes"), 64.0);
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_1.repetitions"), 2.0);
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_1.bytes"), 32.0);
    EXPECT_EQ(names(r.on("array.tile_0_1.dma.mm2s_0", "dma")),
              (std::vector<std::string>{"bd 5 rep 0", "bd 5 rep 1", "bd 6 rep 0", "bd 7 rep 0"}));
    // (BDs 8 and 9 as written; an odd memtile channel runs them as 32 and 33: test::slotted)
    EXPECT_EQ(names(r.on("array.tile_0_1.dma.mm2s_1", "dma")),
              (std::vector<std::string>{"bd 32 rep 0", "bd 33 rep 0"}));
    EXPECT_EQ(r.samples("array.tile_0_1.dma.mm2s_1.bd"), (std::vector<int64_t>{32, 33, -1}));
  }
  EXPECT_EQ(outs[0], outs[1]);
}

// ---- (c) 3-D and 4-D memtile patterns ------------------------------------------------------------

constexpr uint32_t kMt = 0x2000;  // memtile region the patterns use

isa::Program nd_program(const config::ArrayConfig& cfg) {
  isa::Program p = empty_program(cfg, "bd-nd");
  p.input = port(kIn, 1, 1, 256);
  p.output = port(kOut, 1, 1, 512);
  const TileId shim = tile(0, 0), mem = tile(0, 1);

  isa::Phase scatter;
  scatter.name = "scatter";
  // 3-D memtile S2MM: rows of 8 B, 4 rows 32 B apart, 4 planes 256 B apart; repetition 1 lands
  // 8 B to the right of repetition 0 (interleaved).
  add_transfer(scatter, shim, 0, bd(0, kIn, 256), mem, 0,
               iter(bd_nd(0, kMt, {{8, 1}, {4, 32}, {4, 256}}), 2, 8));
  p.phases.push_back(scatter);

  isa::Phase gather;
  gather.name = "gather";
  // 4-D memtile MM2S: every 2nd byte from offset 1 (4 of them), 4 rows 32 B apart, then plane
  // pairs: dim 2 steps 512 B (planes 0 -> 2), dim 3 steps 256 B (planes 0 -> 1); rep 1 at +8.
  // The shim writes it 3-D: rows of 8 B with 16 B pitch, 2 blocks 128 B apart, rep 1 at +256.
  add_transfer(gather, mem, 0, iter(bd_nd(1, kMt + 1, {{4, 2}, {4, 32}, {2, 512}, {2, 256}}), 2, 8), shim, 0,
               iter(bd_nd(1, kOut, {{8, 1}, {4, 16}, {2, 128}}), 2, 256));
  p.phases.push_back(gather);
  return p;
}

// Hand-computed from the documented formula, nested loops written out (dims[0] innermost).
std::vector<int8_t> nd_expected(const std::vector<int8_t>& in) {
  std::vector<int16_t> mt(0x400, -999);  // memtile bytes [kMt, kMt + 0x400); -999 = never written
  for (uint32_t w = 0; w < 2; ++w)
    for (uint32_t k = 0; k < 4; ++k)
      for (uint32_t j = 0; j < 4; ++j)
        for (uint32_t b = 0; b < 8; ++b) mt[w * 8 + k * 256 + j * 32 + b] = in[w * 128 + k * 32 + j * 8 + b];
  std::vector<int16_t> stream;
  for (uint32_t v = 0; v < 2; ++v)
    for (uint32_t i3 = 0; i3 < 2; ++i3)
      for (uint32_t i2 = 0; i2 < 2; ++i2)
        for (uint32_t i1 = 0; i1 < 4; ++i1)
          for (uint32_t i0 = 0; i0 < 4; ++i0) stream.push_back(mt[1 + v * 8 + i0 * 2 + i1 * 32 + i2 * 512 + i3 * 256]);
  std::vector<int8_t> out(512, 0);  // DDR starts zeroed: the shim's gaps stay 0
  size_t q = 0;
  for (uint32_t u = 0; u < 2; ++u)
    for (uint32_t c2 = 0; c2 < 2; ++c2)
      for (uint32_t c1 = 0; c1 < 4; ++c1)
        for (uint32_t c0 = 0; c0 < 8; ++c0) {
          EXPECT_NE(stream[q], -999) << "the gather reads a byte the scatter never wrote";
          out[u * 256 + c2 * 128 + c1 * 16 + c0] = static_cast<int8_t>(stream[q++]);
        }
  return out;
}

TEST(BdChain, MemtileThreeAndFourDimPatternsAreExactInBothModes) {
  auto cfg = small_config(1, 1);
  const isa::Program p = nd_program(cfg);
  const auto in = pattern(256, 45);
  const auto expected = nd_expected(in);
  // By hand: stream byte 0 = memtile +1 = input 1; byte 1 = +3 = input 3; byte 4 = row 1 +1 =
  // input 9 (scatter row 1 = input 8..15); stream byte 8 (row 2) goes to DDR +16 (pitch 16);
  // the gather's repetition 1 (+8 = scatter repetition 1 = input 128..) goes to DDR +256.
  ASSERT_EQ(expected[0], in[1]);
  ASSERT_EQ(expected[1], in[3]);
  ASSERT_EQ(expected[4], in[9]);
  ASSERT_EQ(expected[8], 0);
  ASSERT_EQ(expected[16], in[17]);
  ASSERT_EQ(expected[256], in[129]);
  ASSERT_EQ(expected[32], in[64 + 1]);   // dim 3 (i3=0), dim 2 = 1: plane 2 = input 64..
  ASSERT_EQ(expected[128], in[32 + 1]);  // i3 = 1: plane 1 = input 32..

  std::vector<int8_t> outs[2];
  for (int m = 0; m < 2; ++m) {
    const Fidelity f = kModes[m];
    SCOPED_TRACE(fidelity_name(f));
    const SimRun r = run_mode(cfg, p, in, f);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.out.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(r.out[i], expected[i]) << "DDR byte " << i;
    outs[m] = r.out;
    EXPECT_EQ(r.stat("array.tile_0_1.dma.s2mm_0.repetitions"), 2.0);
    EXPECT_EQ(r.stat("array.tile_0_1.dma.s2mm_0.bytes"), 256.0);
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_0.repetitions"), 2.0);
    EXPECT_EQ(r.stat("array.tile_0_1.dma.mm2s_0.bytes"), 128.0);
    EXPECT_EQ(r.stat("array.tile_0_0.dma.s2mm_0.bytes"), 128.0);
  }
  EXPECT_EQ(outs[0], outs[1]);
}

}  // namespace
}  // namespace saie::hw::test
