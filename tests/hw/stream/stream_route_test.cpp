// stream_route_test.cpp — stream connections: broadcast to two cores, and backpressure from a
// slow consumer stalling its producer with the FIFO never above its depth.
#include <algorithm>

#include <gtest/gtest.h>

#include "hw/core/kernels.h"
#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

TEST(StreamRoute, BroadcastReachesBothCores) {
  auto cfg = small_config(1, 2);
  isa::Program p = empty_program(cfg, "broadcast");
  p.input = port(0x1000, 1, 1, 64);
  p.output = port(0x2000, 1, 2, 64);
  isa::Phase ph;
  ph.name = "bcast";
  const TileId shim = tile(0, 0), mem = tile(0, 1), c2 = tile(0, 2), c3 = tile(0, 3);
  add_transfer(ph, shim, 0, bd(0, 0x1000, 64), mem, 0, rel(bd(0, 0, 64), 0, 1));
  add_bd(ph, mem, acq(bd(1, 0, 64), 0, 1));
  add_task(ph, mem, DmaDir::MM2S, 0, 1);
  add_route(ph, mem, 0, {{c2, 0}, {c3, 0}});
  for (TileId c : {c2, c3}) {
    add_bd(ph, c, rel(bd(0, 0, 64), 0, 1));
    add_task(ph, c, DmaDir::S2MM, 0, 0);
    int mult = c == c2 ? 1 : 2;
    add_core(ph, c, {op_acquire(0, 1), op_add(0, 0, 256, 64, mult, 0, 0, "scale"), op_release(1, 1)});
  }
  // Core (0,2) -> memtile s2mm_1 at 1024, core (0,3) -> s2mm_2 at 1088; the memtile waits for both.
  add_transfer(ph, c2, 0, acq(bd(1, 256, 64), 1, 1), mem, 1, rel(bd(2, 1024, 64), 1, 1));
  add_transfer(ph, c3, 0, acq(bd(1, 256, 64), 1, 1), mem, 2, rel(bd(3, 1088, 64), 1, 1));
  add_transfer(ph, mem, 1, acq(bd(4, 1024, 128), 1, 2), shim, 0, bd(1, 0x2000, 128));
  p.phases.push_back(ph);

  auto in = pattern(64, 11);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {in}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.outputs[0].size(), 128u);
  for (size_t i = 0; i < 64; ++i) {
    ASSERT_EQ(r.outputs[0][i], in[i]) << i;
    ASSERT_EQ(r.outputs[0][64 + i], expect_add(in[i], in[i], 2, 0, 0)) << i;
  }
  // Broadcast bytes count once per destination core.
  EXPECT_EQ(r.summary.bytes_mem_to_core, 128u);
  EXPECT_EQ(r.summary.bytes_core_to_mem, 128u);
  EXPECT_EQ(stat(rec, "array.tile_0_1.dma.mm2s_0.bytes"), 64.0);
  EXPECT_EQ(stat(rec, "array.tile_0_2.dma.s2mm_0.bytes"), 64.0);
  EXPECT_EQ(stat(rec, "array.tile_0_3.dma.s2mm_0.bytes"), 64.0);
  // Hop latency: core (0,3) is one hop further than (0,2), so its receive ends later.
  auto s2 = slices_on(rec, "array.tile_0_2.dma.s2mm_0");
  auto s3 = slices_on(rec, "array.tile_0_3.dma.s2mm_0");
  ASSERT_FALSE(s2.empty());
  ASSERT_FALSE(s3.empty());
  EXPECT_EQ(s3.back().end, s2.back().end + cfg.stream.hop_latency_cycles);
}

TEST(StreamRoute, SlowConsumerStallsProducer) {
  auto cfg = small_config(1, 1);
  isa::Program p = empty_program(cfg, "backpressure");
  p.input = port(0x1000, 1, 1, 1024);
  const TileId shim = tile(0, 0), mem = tile(0, 1), core = tile(0, 2);
  isa::Phase load;
  load.name = "load";
  add_transfer(load, shim, 0, bd(0, 0x1000, 1024), mem, 0, bd(0, 0, 1024));
  p.phases.push_back(load);

  isa::Phase ph;
  ph.name = "drain";
  // 1024 B in one repetition towards a core that takes 128 B per slow add.
  add_bd(ph, mem, bd(0, 0, 1024));
  add_task(ph, mem, DmaDir::MM2S, 0, 0);
  add_route(ph, mem, 0, {{core, 0}});
  add_lock(ph, core, 0, 1);  // free buffers
  add_bd(ph, core, rel(acq(iter(bd(0, 0, 128), 8, 0), 0, 1), 1, 1));
  add_task(ph, core, DmaDir::S2MM, 0, 0);
  std::vector<isa::CoreOp> ops;
  for (int k = 0; k < 8; ++k) {
    ops.push_back(op_acquire(1, 1));
    ops.push_back(op_add(0, 0, 8192, 4096, 1, 1, 0, "slow " + std::to_string(k)));
    ops.push_back(op_release(0, 1));
  }
  add_core(ph, core, ops);
  p.phases.push_back(ph);

  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {pattern(1024, 5)}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  uint64_t add_cyc = add_cycles(ph.cores[0].ops[1].add, cfg.core.costs);
  EXPECT_GE(r.summary.phases[1].cycles, 8 * add_cyc);
  // The producer could send 1024 B in 256 cycles; it had to wait for the consumer.
  double stall = stat(rec, "array.tile_0_1.dma.mm2s_0.stall_cycles");
  EXPECT_GT(stall, 5.0 * add_cyc);  // about 6 adds minus the send time
  // The unhindered load phase had no stall.
  EXPECT_LT(stat(rec, "array.tile_0_0.dma.mm2s_0.stall_cycles"), 0.0);  // never recorded
  int64_t max_fill = 0;
  size_t samples = 0;
  for (const auto& c : rec.counters())
    if (c.track == "array.stream.tile_0_2.s2mm_0.fifo") {
      max_fill = std::max(max_fill, c.value);
      ++samples;
    }
  EXPECT_GT(samples, 0u);
  EXPECT_EQ(max_fill, static_cast<int64_t>(cfg.stream.fifo_depth_bytes));
  // The producer's single repetition spans nearly the whole drain.
  auto send = slices_on(rec, "array.tile_0_1.dma.mm2s_0");
  ASSERT_EQ(send.size(), 1u);
  EXPECT_GT(send[0].end - send[0].begin, 6 * add_cyc);
}

}  // namespace
}  // namespace saie::hw::test
