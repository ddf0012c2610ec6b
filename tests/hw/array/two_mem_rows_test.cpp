// two_mem_rows_test.cpp — arrays with two memtile rows (VE2802 layout): row 0 shim, rows 1-2
// memtiles, cores from row 3. The array instantiates both memtile rows; hand-built programs move
// bytes DDR -> memtile -> core -> memtile -> DDR through either memtile row, exactly.
#include <gtest/gtest.h>

#include "hw/array/array_top.h"
#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

constexpr uint32_t kN = 64;  // bytes per transfer

TEST(TwoMemRows, ArrayInstantiatesBothMemtileRows) {
  const config::ArrayConfig cfg = small_config(2, 2, 2);
  traces::TraceRecorder rec;
  SimContext ctx(cfg, rec);
  ArrayTop top("array", ctx);
  EXPECT_EQ(top.mem_rows(), 2u);
  ASSERT_EQ(top.rows(), 5u);  // shim, 2 memtile rows, 2 core rows
  EXPECT_EQ(top.tiles().size(), 10u);
  for (int c = 0; c < 2; ++c) {
    TileBase* shim = top.tile(tile(c, 0));
    ASSERT_NE(shim, nullptr);
    EXPECT_EQ(shim->memory(), nullptr);
    EXPECT_EQ(shim->channel_count(DmaDir::MM2S), cfg.shim.dma.mm2s_channels);
    for (int r : {1, 2}) {
      TileBase* m = top.tile(tile(c, r));
      ASSERT_NE(m, nullptr) << c << "," << r;
      EXPECT_EQ(m->core(), nullptr) << c << "," << r;
      ASSERT_NE(m->memory(), nullptr);
      EXPECT_EQ(m->memory()->size(), cfg.memtile.memory_bytes) << c << "," << r;
      EXPECT_EQ(m->channel_count(DmaDir::MM2S), cfg.memtile.dma.mm2s_channels);
      EXPECT_EQ(m->channel_count(DmaDir::S2MM), cfg.memtile.dma.s2mm_channels);
      EXPECT_EQ(m->bds().size(), cfg.memtile.dma.bds);
    }
    for (int r : {3, 4}) {
      TileBase* k = top.tile(tile(c, r));
      ASSERT_NE(k, nullptr) << c << "," << r;
      EXPECT_NE(k->core(), nullptr) << c << "," << r;
      ASSERT_NE(k->memory(), nullptr);
      EXPECT_EQ(k->memory()->size(), cfg.core.data_memory_bytes);
      EXPECT_EQ(k->channel_count(DmaDir::S2MM), cfg.core.dma.s2mm_channels);
    }
    EXPECT_EQ(top.tile(tile(c, 5)), nullptr);
  }
  EXPECT_EQ(top.tile(tile(2, 0)), nullptr);
}

TEST(TwoMemRows, OneMemRowArrayIsUnchanged) {
  const config::ArrayConfig cfg = small_config(1, 2, 1);
  traces::TraceRecorder rec;
  SimContext ctx(cfg, rec);
  ArrayTop top("array", ctx);
  ASSERT_EQ(top.rows(), 4u);
  EXPECT_EQ(top.tile(tile(0, 1))->core(), nullptr);
  EXPECT_EQ(top.tile(tile(0, 1))->memory()->size(), cfg.memtile.memory_bytes);
  EXPECT_NE(top.tile(tile(0, 2))->core(), nullptr);
  EXPECT_NE(top.tile(tile(0, 3))->core(), nullptr);
  EXPECT_EQ(top.tile(tile(0, 4)), nullptr);
}

// Per column c: DDR (input pixel c) -> memtile (c,1) -> core (c, core_row) -> add (a*mult) ->
// memtile (c,1) -> DDR (output pixel c). Column 0 uses core row 3, column 1 core row 4.
isa::Program round_trip(const config::ArrayConfig& cfg) {
  isa::Program p = empty_program(cfg, "two-mem-rows");
  p.input = port(0x1000, 1, 2, kN);
  p.output = port(0x2000, 1, 2, kN);
  isa::Phase ph;
  ph.name = "round-trip";
  for (int c = 0; c < 2; ++c) {
    const TileId shim = tile(c, 0), mem = tile(c, 1), core = tile(c, 3 + c);
    add_transfer(ph, shim, 0, bd(0, 0x1000 + c * kN, kN), mem, 0, rel(bd(0, 0, kN), 0, 1));
    add_transfer(ph, mem, 0, acq(bd(1, 0, kN), 0, 1), core, 0, rel(bd(0, 0, kN), 0, 1));
    add_core(ph, core, {op_acquire(0, 1), op_add(0, 0, 256, kN, c == 0 ? 1 : 2, 0, 0, "scale"), op_release(1, 1)});
    add_transfer(ph, core, 0, acq(bd(1, 256, kN), 1, 1), mem, 1, rel(bd(2, 1024, kN), 1, 1));
    add_transfer(ph, mem, 1, acq(bd(3, 1024, kN), 1, 1), shim, 0, bd(1, 0x2000 + c * kN, kN));
  }
  p.phases.push_back(ph);
  return p;
}

TEST(TwoMemRows, DdrMemtileCoreRoundTripIsExact) {
  const config::ArrayConfig cfg = small_config(2, 2, 2);
  const auto in = pattern(2 * kN, 5);
  traces::TraceRecorder rec;
  rec.record_events = true;
  SimResult r = simulate(cfg, slotted(round_trip(cfg), cfg), {in}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.outputs.size(), 1u);
  ASSERT_EQ(r.outputs[0].size(), 2 * kN);
  for (uint32_t i = 0; i < kN; ++i) {
    ASSERT_EQ(r.outputs[0][i], in[i]) << i;
    ASSERT_EQ(r.outputs[0][kN + i], expect_add(in[kN + i], 0, 2, 0, 0)) << i;
  }
  // Byte accounting classifies row 1 as memtile and rows 3-4 as cores.
  EXPECT_EQ(r.summary.bytes_ddr_to_mem, 2 * kN);
  EXPECT_EQ(r.summary.bytes_mem_to_core, 2 * kN);
  EXPECT_EQ(r.summary.bytes_core_to_mem, 2 * kN);
  EXPECT_EQ(r.summary.bytes_mem_to_ddr, 2 * kN);
  EXPECT_EQ(stat(rec, "array.tile_0_3.dma.s2mm_0.bytes"), double(kN));
  EXPECT_EQ(stat(rec, "array.tile_1_4.dma.s2mm_0.bytes"), double(kN));
  EXPECT_GT(r.summary.core_compute_cycles, 0u);
  // Core row 4 is one stream hop further from memtile row 1 than core row 3: from the start of
  // the memtile's send to the end of the core's receive takes exactly one hop latency longer.
  auto m01 = slices_on(rec, "array.tile_0_1.dma.mm2s_0");
  auto m11 = slices_on(rec, "array.tile_1_1.dma.mm2s_0");
  auto s03 = slices_on(rec, "array.tile_0_3.dma.s2mm_0");
  auto s14 = slices_on(rec, "array.tile_1_4.dma.s2mm_0");
  ASSERT_FALSE(m01.empty() || m11.empty() || s03.empty() || s14.empty());
  EXPECT_EQ(s14.back().end - m11.back().begin, s03.back().end - m01.back().begin + cfg.stream.hop_latency_cycles);
}

// DDR -> memtile (0,1) -> memtile (0,2) -> core (0,3) -> memtile (0,2) at an address only a
// memtile has -> DDR: the second memtile row is a full memtile reachable by streams.
TEST(TwoMemRows, SecondMemtileRowCarriesData) {
  const config::ArrayConfig cfg = small_config(1, 2, 2);
  ASSERT_GT(cfg.memtile.memory_bytes, 300000u);
  ASSERT_LT(cfg.core.data_memory_bytes, 300000u);
  isa::Program p = empty_program(cfg, "second-mem-row");
  p.input = port(0x1000, 1, 1, kN);
  p.output = port(0x2000, 1, 1, kN);
  isa::Phase ph;
  ph.name = "via-row-2";
  const TileId shim = tile(0, 0), m1 = tile(0, 1), m2 = tile(0, 2), core = tile(0, 3);
  add_transfer(ph, shim, 0, bd(0, 0x1000, kN), m1, 0, rel(bd(0, 0, kN), 0, 1));
  add_transfer(ph, m1, 0, acq(bd(1, 0, kN), 0, 1), m2, 0, rel(bd(0, 4096, kN), 0, 1));
  add_transfer(ph, m2, 0, acq(bd(1, 4096, kN), 0, 1), core, 0, rel(bd(0, 0, kN), 0, 1));
  add_core(ph, core, {op_acquire(0, 1), op_add(0, 0, 256, kN, -1, 0, 0, "negate"), op_release(1, 1)});
  add_transfer(ph, core, 0, acq(bd(1, 256, kN), 1, 1), m2, 1, rel(bd(2, 300000, kN), 1, 1));
  add_transfer(ph, m2, 1, acq(bd(3, 300000, kN), 1, 1), shim, 0, bd(1, 0x2000, kN));
  p.phases.push_back(ph);

  const auto in = pattern(kN, 9);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {in}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.outputs[0].size(), kN);
  for (uint32_t i = 0; i < kN; ++i) ASSERT_EQ(r.outputs[0][i], expect_add(in[i], 0, -1, 0, 0)) << i;
  EXPECT_EQ(stat(rec, "array.tile_0_2.dma.s2mm_0.bytes"), double(kN));
  EXPECT_EQ(stat(rec, "array.tile_0_2.dma.s2mm_1.bytes"), double(kN));
  // memtile -> memtile is neither core traffic nor DDR traffic.
  EXPECT_EQ(r.summary.bytes_ddr_to_mem, kN);
  EXPECT_EQ(r.summary.bytes_mem_to_core, kN);
  EXPECT_EQ(r.summary.bytes_core_to_mem, kN);
  EXPECT_EQ(r.summary.bytes_mem_to_ddr, kN);
}

TEST(TwoMemRows, CoreProgramOnSecondMemtileRowIsRejected) {
  const config::ArrayConfig cfg = small_config(1, 2, 2);
  isa::Program p = empty_program(cfg, "bad");
  isa::Phase ph;
  ph.name = "bad";
  add_core(ph, tile(0, 2), {op_acquire(0, 0)});
  p.phases.push_back(ph);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {}, SimOptions{}, rec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("core program on tile(0,2), a memtile tile"), std::string::npos) << r.error;
}

TEST(TwoMemRows, ThreeMemRowsAreRejected) {
  const config::ArrayConfig cfg = small_config(1, 2, 3);
  isa::Program p = empty_program(cfg, "three");
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {}, SimOptions{}, rec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("config mem_rows 3 unsupported"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find('\n'), std::string::npos) << r.error;
}

}  // namespace
}  // namespace saie::hw::test
