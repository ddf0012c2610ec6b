// memtile_neighbour_test.cpp — memtile DMA channels 0..3 reach the west / east neighbour
// memtile's memory through the address map [0, S) own, [S, 2S) west, [2S, 3S) east
// (docs/program-format.md "Memtile neighbour access"): data moves bit-exactly, and a neighbour
// access has a memory port of its own (it runs at full rate beside the neighbour's own channel).
#include <gtest/gtest.h>

#include "hw/array/array_top.h"
#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

constexpr uint32_t kRow = 16, kRows = 4, kN = kRow * kRows;  // a 4 x 16-byte block

// Phase 0: DDR -> memtile (0,1) at 0x100.
// Phase 1: memtile (1,1) MM2S0 reads it from its WEST neighbour, rows reversed, and broadcasts to
//   memtile (0,1) S2MM1, which writes it into its EAST neighbour (1,1) at 0x3000, and to
//   (1,1) S2MM0, which writes its own memory at 0x5000.
// Phase 2: out to DDR: (1,1) MM2S4 reads own 0x3000; (0,1) MM2S2 reads east 0x5000; (1,1) MM2S1
//   reads own 0x5000.
isa::Program neighbour_program(const config::ArrayConfig& cfg) {
  const uint64_t s = cfg.memtile.memory_bytes;
  isa::Program p = empty_program(cfg, "memtile-neighbours");
  p.input = port(0x1000, 1, 1, kN);
  p.output = port(0x8000, 1, 3, kN);
  const TileId shim0 = tile(0, 0), shim1 = tile(1, 0), m0 = tile(0, 1), m1 = tile(1, 1);

  isa::Phase load;
  load.name = "load";
  add_transfer(load, shim0, 0, bd(0, 0x1000, kN), m0, 0, bd(0, 0x100, kN));
  p.phases.push_back(load);

  isa::Phase nb;
  nb.name = "neighbour";
  const auto reversed_rows = bd_nd(0, s + 0x100 + (kRows - 1) * kRow, {{kRow, 1}, {kRows, -int32_t{kRow}}});
  add_bd(nb, m1, reversed_rows);
  add_route(nb, m1, 0, {{m0, 1}, {m1, 0}});
  add_task(nb, m1, DmaDir::MM2S, 0, 0);
  add_bd(nb, m0, bd(1, 2 * s + 0x3000, kN));
  add_task(nb, m0, DmaDir::S2MM, 1, 1);
  add_bd(nb, m1, bd(1, 0x5000, kN));
  add_task(nb, m1, DmaDir::S2MM, 0, 1);
  p.phases.push_back(nb);

  isa::Phase out;
  out.name = "out";
  add_transfer(out, m1, 4, bd(0, 0x3000, kN), shim1, 0, bd(0, 0x8000, kN));
  add_transfer(out, m0, 2, bd(0, 2 * s + 0x5000, kN), shim0, 0, bd(0, 0x8000 + kN, kN));
  add_transfer(out, m1, 1, bd(1, 0x5000, kN), shim1, 1, bd(1, 0x8000 + 2 * kN, kN));
  p.phases.push_back(out);
  return p;
}

TEST(MemtileNeighbour, WestReadEastWriteAreBitExact) {
  const config::ArrayConfig cfg = small_config(2, 1);
  const auto in = pattern(kN, 17);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(neighbour_program(cfg), cfg), {in}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.outputs.size(), 1u);
  ASSERT_EQ(r.outputs[0].size(), 3 * kN);
  for (uint32_t k = 0; k < 3; ++k)
    for (uint32_t row = 0; row < kRows; ++row)
      for (uint32_t b = 0; b < kRow; ++b)
        ASSERT_EQ(r.outputs[0][k * kN + row * kRow + b], in[(kRows - 1 - row) * kRow + b]) << k << " " << row << " " << b;
  EXPECT_EQ(stat(rec, "array.tile_1_1.dma.mm2s_0.bytes"), double(kN));
  EXPECT_EQ(stat(rec, "array.tile_0_1.dma.s2mm_1.bytes"), double(kN));
}

// The same addresses from a channel that cannot reach neighbours are rejected before running.
TEST(MemtileNeighbour, ChannelFourCannotReachANeighbour) {
  const config::ArrayConfig cfg = small_config(2, 1);
  isa::Program p = neighbour_program(cfg);
  isa::Phase& nb = p.phases[1];
  nb.routes[0].src.channel = 4;
  nb.tasks[0].channel = 4;
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {pattern(kN, 1)}, SimOptions{}, rec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("tile(1,1) BD 0: addresses the west neighbour memtile, but MM2S channel 4 runs it"),
            std::string::npos)
      << r.error;
}

// Memtile (1,1) MM2S0 reads n bytes from (0,1)'s memory while (0,1) MM2S0 reads n bytes of its
// own memory, each to a core. With a port of its own in (0,1)'s memory, the neighbour read is as
// fast as the local one (n / stream bytes per cycle); sharing a port would double both.
TEST(MemtileNeighbour, NeighbourAccessHasItsOwnMemoryPort) {
  config::ArrayConfig cfg = small_config(2, 1);
  const uint32_t n = 16384;
  isa::Program p = empty_program(cfg, "neighbour-port");
  isa::Phase ph;
  ph.name = "parallel";
  add_transfer(ph, tile(0, 1), 0, bd(0, 0x10000, n), tile(0, 2), 0, bd(0, 0, n));
  add_transfer(ph, tile(1, 1), 0, bd(0, cfg.memtile.memory_bytes + 0x20000, n), tile(1, 2), 0, bd(0, 0, n));
  p.phases.push_back(ph);
  traces::TraceRecorder rec;
  rec.record_events = true;
  SimResult r = simulate(cfg, slotted(p, cfg), {{}}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  const auto local = slices_on(rec, "array.tile_0_1.dma.mm2s_0");
  const auto remote = slices_on(rec, "array.tile_1_1.dma.mm2s_0");
  ASSERT_EQ(local.size(), 1u);
  ASSERT_EQ(remote.size(), 1u);
  const double ideal = n / cfg.stream.bytes_per_cycle;
  const double t_local = double(local[0].end - local[0].begin), t_remote = double(remote[0].end - remote[0].begin);
  EXPECT_GE(t_remote, ideal);
  EXPECT_LE(t_remote, ideal * 1.05 + 20) << "local " << t_local;
  EXPECT_NEAR(t_remote, t_local, 2.0);
  // Both began together (same phase start): they overlapped.
  EXPECT_EQ(remote[0].begin, local[0].begin);
}

// A one-column array has no neighbours: the memtile's bus elaborates with them unbound.
TEST(MemtileNeighbour, ArrayWithoutNeighboursElaborates) {
  const config::ArrayConfig cfg = small_config(1, 1);
  isa::Program p = empty_program(cfg, "alone");
  p.input = port(0x1000, 1, 1, kN);
  p.output = port(0x2000, 1, 1, kN);
  isa::Phase ph;
  ph.name = "copy";
  add_transfer(ph, tile(0, 0), 0, bd(0, 0x1000, kN), tile(0, 1), 3, rel(bd(0, 0x40, kN), 0, 1));
  add_transfer(ph, tile(0, 1), 3, acq(bd(1, 0x40, kN), 0, 1), tile(0, 0), 0, bd(1, 0x2000, kN));
  p.phases.push_back(ph);
  const auto in = pattern(kN, 3);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {in}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  for (uint32_t i = 0; i < kN; ++i) ASSERT_EQ(r.outputs[0][i], in[i]) << i;
}

}  // namespace
}  // namespace saie::hw::test
