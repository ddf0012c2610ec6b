// deadlock_test.cpp — a phase that can never finish ends promptly with a report naming every
// blocked agent (tile, channel/core, BD, lock and its value).
#include <chrono>

#include <gtest/gtest.h>

#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

TEST(Deadlock, ReportsEveryBlockedAgent) {
  auto cfg = small_config();
  isa::Program p = empty_program(cfg, "stuck");
  isa::Phase fill;  // a phase that completes first, so the deadlock is in the second
  fill.name = "fill";
  add_transfer(fill, tile(0, 0), 0, bd(0, 0, 64), tile(0, 1), 0, bd(0, 0, 64));
  p.phases.push_back(fill);

  isa::Phase ph;
  ph.name = "conv2";
  const TileId mem = tile(0, 1), core = tile(0, 2);
  // The memtile sends 64 B (bd 1), then bd 2 waits on lock 5 which nobody releases.
  add_bd(ph, mem, next(bd(1, 0, 64), 2));
  add_bd(ph, mem, acq(bd(2, 64, 192), 5, 1));
  add_task(ph, mem, DmaDir::MM2S, 0, 1, 2);
  add_route(ph, mem, 0, {{core, 0}});
  // The core expects 256 B, then releases lock 3 for the core program.
  add_bd(ph, core, rel(bd(0, 0, 256), 3, 1));
  add_task(ph, core, DmaDir::S2MM, 0, 0);
  add_core(ph, core, {op_acquire(2, 0), op_acquire(3, 1), op_release(4, 1)});
  p.phases.push_back(ph);

  traces::TraceRecorder rec;
  auto t0 = std::chrono::steady_clock::now();
  SimResult r = simulate(cfg, p, {{}}, SimOptions{}, rec);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(wall, 5.0);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(r.summary.deadlock);
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
  EXPECT_EQ(r.error.rfind("deadlock in phase 'conv2' at cycle ", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("tile(0,2).core op 1 waits lock 3 >= 1 (value 0)"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("tile(0,1).dma.mm2s_0 bd 2 rep 0 waits lock 5 >= 1 (value 0)"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("tile(0,2).dma.s2mm_0 waits for stream data (bd 0 rep 0, 64 of 256 B)"),
            std::string::npos)
      << r.error;
  // Exactly those three agents, in tile order (memtile before core tile).
  EXPECT_LT(r.error.find("tile(0,1)"), r.error.find("tile(0,2)"));
  size_t lines = 0;
  for (char c : r.summary.deadlock_report) lines += c == '\n';
  EXPECT_EQ(lines, 3u) << r.summary.deadlock_report;
  EXPECT_EQ(r.summary.deadlock_report.rfind(r.error, 0), 0u);
  EXPECT_TRUE(r.outputs.empty());
  // The cycle in the report is when the last agent blocked: after the first phase and the
  // second phase's setup, plus the 64 B that did move (the sender blocks once it has sent them).
  uint64_t setup2 = cfg.control.phase_setup_cycles + 3 * cfg.control.bd_setup_cycles;
  EXPECT_GE(r.summary.total_cycles, r.summary.phases[0].cycles + setup2 + 64 / 4);
  EXPECT_NE(r.error.find("at cycle " + std::to_string(r.summary.total_cycles) + ":"), std::string::npos);
}

}  // namespace
}  // namespace saie::hw::test

namespace saie::hw::test {
namespace {

// With --max-cycles far away, a deadlock is still a deadlock (not "exceeded").
TEST(Deadlock, DetectedUnderMaxCycles) {
  auto cfg = small_config();
  isa::Program p = empty_program(cfg, "stuck2");
  isa::Phase ph;
  ph.name = "wait";
  add_transfer(ph, tile(0, 1), 0, acq(bd(0, 0, 64), 1, 1), tile(0, 2), 0, bd(0, 0, 64));
  p.phases.push_back(ph);
  traces::TraceRecorder rec;
  SimOptions opt;
  opt.max_cycles = 1000000000ull;
  SimResult r = simulate(cfg, p, {{}}, opt, rec);
  EXPECT_EQ(r.exit_code, 3) << r.error;
  EXPECT_TRUE(r.summary.deadlock);
  uint64_t setup = cfg.control.phase_setup_cycles + 2 * cfg.control.bd_setup_cycles;
  EXPECT_EQ(r.error, "deadlock in phase 'wait' at cycle " + std::to_string(setup) +
                         ": tile(0,1).dma.mm2s_0 bd 0 rep 0 waits lock 1 >= 1 (value 0); "
                         "tile(0,2).dma.s2mm_0 waits for stream data (bd 0 rep 0, 0 of 64 B)");
}

}  // namespace
}  // namespace saie::hw::test
