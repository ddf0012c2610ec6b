// lock_semantics_test.cpp — lock semantics in a running array (docs/program-format.md: 6-bit
// semaphores, acquire waits for lock >= v then subtracts v, release adds v, > 63 is an error):
//   * a core acquire(l, 2) proceeds only after two DMA repetitions each released +1 (lt and beat);
//   * a DMA BD release past 63 is a run-time error naming tile, channel and lock;
//   * lock ids beyond the tile's lock count (core 16, memtile 64, shim 16) are rejected, naming
//     the tile; the same id is fine where the tile has more locks;
//   * initial values 0..63 are accepted and acquire/release exactly; 64 is rejected.
// Every simulation runs in a forked child (one SystemC simulation per process).
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


constexpr uint64_t kIn = 0x1000, kOut = 0x4000;

// ---- acquire-greater-equal with a value > 1 ----------------------------------------------------

TEST(LockSemantics, CoreAcquireTwoWaitsForBothDmaReleasesInBothModes) {
  auto cfg = small_config(1, 1);
  isa::Program p = empty_program(cfg, "acquire-two");
  p.input = port(kIn, 1, 1, 128);
  p.output = port(kOut, 1, 1, 128);
  const TileId shim = tile(0, 0), core = tile(0, 2);
  isa::Phase ph;
  ph.name = "acq2";
  // Two repetitions of 64 B, each releasing lock 0 by +1 (the shim pays the DDR latency per
  // repetition, so the two releases are far apart).
  add_transfer(ph, shim, 0, iter(bd(0, kIn, 64), 2, 64), core, 0, rel(iter(bd(0, 0, 64), 2, 64), 0, 1));
  add_core(ph, core, {op_acquire(0, 2), op_add(0, 0, 0x200, 128, 1, 0, 0, "consume"), op_release(1, 1)});
  add_transfer(ph, core, 0, acq(bd(1, 0x200, 128), 1, 1), shim, 0, bd(1, kOut, 128));
  p.phases.push_back(ph);

  const auto in = pattern(128, 9);
  const uint64_t lock_cycles = cfg.core.costs.lock_cycles;
  std::vector<int8_t> outs[2];
  for (int m = 0; m < 2; ++m) {
    const Fidelity f = kModes[m];
    SCOPED_TRACE(fidelity_name(f));
    const SimRun r = run_mode(cfg, p, in, f);
    ASSERT_TRUE(r.ok) << r.error;
    ASSERT_EQ(r.out, in);  // add with mult_a 1, mult_b 0: a copy
    outs[m] = r.out;
    const auto reps = r.on("array.tile_0_2.dma.s2mm_0", "dma");
    ASSERT_EQ(reps.size(), 2u);
    ASSERT_GT(reps[1].end, reps[0].end + 64 / 4);  // the second release comes much later
    const auto compute = r.on("array.tile_0_2.core", "compute");
    ASSERT_EQ(compute.size(), 1u);
    // The acquire returns when the second repetition has released (its end), then costs
    // lock_cycles; one release (value 1) was not enough.
    EXPECT_GE(compute[0].begin, reps[1].end + lock_cycles);
    EXPECT_LE(compute[0].begin, reps[1].end + lock_cycles + 1);
    EXPECT_GT(compute[0].begin, reps[0].end + lock_cycles + 1);
    // The core was already waiting when the first release came.
    const auto waits = r.on("array.tile_0_2.core", "lock");
    ASSERT_EQ(waits.size(), 1u);
    EXPECT_EQ(waits[0].name, "wait lock 0");
    EXPECT_LT(waits[0].begin, reps[0].end);
    EXPECT_GE(waits[0].end, reps[1].end);
    EXPECT_GT(r.stat("array.tile_0_2.core.lock_wait_cycles"), double(reps[1].end - reps[0].end));
    // Lock 0 went 1 (first release), 2 (second), 0 (acquire subtracts 2).
    EXPECT_EQ(r.samples("array.tile_0_2.lock.0"), (std::vector<int64_t>{1, 2, 0}));
    EXPECT_GT(r.summary.stall_lock_cycles, 0u);
  }
  EXPECT_EQ(outs[0], outs[1]);
}

// ---- release overflow ---------------------------------------------------------------------------

TEST(LockSemantics, DmaReleasePast63IsRuntimeErrorNamingTileAndLock) {
  auto cfg = small_config(1, 1);
  const TileId shim = tile(0, 0), mem = tile(0, 1), core = tile(0, 2);
  // (1) memtile lock 5 starts at 60; each of 4 repetitions releases +1: the 4th overflows.
  {
    isa::Program p = empty_program(cfg, "overflow-reps");
    p.input = port(kIn, 1, 1, 64);
    isa::Phase ph;
    ph.name = "overflow";
    add_lock(ph, mem, 5, 60);
    add_transfer(ph, shim, 0, bd(0, kIn, 64), mem, 0, rel(iter(bd(0, 0, 16), 4, 16), 5, 1));
    p.phases.push_back(ph);
    const SimRun r = run_mode(cfg, p, pattern(64, 1), Fidelity::Lt);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.error.find("tile(0,1).dma.s2mm_0"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("tile(0,1) lock 5 overflow: 63 + 1 > 63"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("phase 'overflow'"), std::string::npos) << r.error;
    EXPECT_EQ(r.samples("array.tile_0_1.lock.5"), (std::vector<int64_t>{60, 61, 62, 63}));
  }
  // (2) a core-tile BD releasing +40 onto 30 in one step.
  {
    isa::Program p = empty_program(cfg, "overflow-once");
    p.input = port(kIn, 1, 1, 16);
    isa::Phase ph;
    ph.name = "big-release";
    add_lock(ph, core, 3, 30);
    add_transfer(ph, shim, 0, bd(0, kIn, 16), core, 1, rel(bd(0, 0, 16), 3, 40));
    p.phases.push_back(ph);
    const SimRun r = run_mode(cfg, p, pattern(16, 2), Fidelity::Beat);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.error.find("tile(0,2).dma.s2mm_1"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("tile(0,2) lock 3 overflow: 30 + 40 > 63"), std::string::npos) << r.error;
  }
}

// ---- lock ids beyond the tile's count -----------------------------------------------------------

// Round trip DDR -> tile -> DDR of 32 B whose two BDs use lock `l` of `t` (release, then acquire).
isa::Program lock_id_program(const config::ArrayConfig& cfg, TileId t, int l) {
  isa::Program p = empty_program(cfg, "lock-id");
  p.input = port(kIn, 1, 1, 32);
  p.output = port(kOut, 1, 1, 32);
  isa::Phase ph;
  ph.name = "ids";
  const TileId shim = tile(0, 0);
  add_transfer(ph, shim, 0, bd(0, kIn, 32), t, 0, rel(bd(0, 0, 32), l, 1));
  add_transfer(ph, t, 0, acq(bd(1, 0, 32), l, 1), shim, 0, bd(1, kOut, 32));
  p.phases.push_back(ph);
  return p;
}

TEST(LockSemantics, LockIdBeyondTheTilesCountIsRejected) {
  auto cfg = small_config(1, 1);
  const TileId shim = tile(0, 0), mem = tile(0, 1), core = tile(0, 2);
  ASSERT_EQ(cfg.core.dma.locks, 16u);
  ASSERT_EQ(cfg.memtile.dma.locks, 64u);
  ASSERT_EQ(cfg.shim.dma.locks, 16u);
  const auto in = pattern(32, 4);
  auto expect_rejected = [&](const isa::Program& p, const std::string& tile_text, const std::string& lock_text) {
    const SimRun r = run_mode(cfg, p, in, Fidelity::Lt);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.exit_code, 2) << r.error;
    EXPECT_NE(r.error.find(tile_text), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(lock_text), std::string::npos) << r.error;
  };
  // BDs: lock 16 on a core tile (16 locks), lock 64 on a memtile (64 locks).
  {
    SCOPED_TRACE("core BD lock 16");
    expect_rejected(lock_id_program(cfg, core, 16), "tile(0,2)", "lock 16");
  }
  {
    SCOPED_TRACE("memtile BD lock 64");
    expect_rejected(lock_id_program(cfg, mem, 64), "tile(0,1)", "lock 64");
  }
  // A core op on lock 16.
  {
    SCOPED_TRACE("core op lock 16");
    isa::Program p = empty_program(cfg, "core-op-lock");
    isa::Phase ph;
    ph.name = "op";
    add_core(ph, core, {op_release(16, 1), op_acquire(16, 1)});
    p.phases.push_back(ph);
    const SimRun r = run_mode(cfg, p, {}, Fidelity::Lt);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.exit_code, 2) << r.error;
    EXPECT_NE(r.error.find("tile(0,2)"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("lock 16"), std::string::npos) << r.error;
  }
  // A lock initial value for lock 16 of the shim tile.
  {
    SCOPED_TRACE("shim lock init 16");
    isa::Program p = lock_id_program(cfg, mem, 1);
    add_lock(p.phases[0], shim, 16, 0);
    expect_rejected(p, "tile(0,0)", "lock 16");
  }
  // Lock 40 exists on the memtile: the same round trip runs and moves the bytes.
  {
    SCOPED_TRACE("memtile BD lock 40");
    const SimRun r = run_mode(cfg, lock_id_program(cfg, mem, 40), in, Fidelity::Lt);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.out, in);
    EXPECT_EQ(r.samples("array.tile_0_1.lock.40"), (std::vector<int64_t>{1, 0}));
  }
}

// ---- initial values ------------------------------------------------------------------------------

TEST(LockSemantics, InitValuesZeroTo63AcquireExactly) {
  auto cfg = small_config(1, 1);
  const TileId core = tile(0, 2);
  isa::Program p = empty_program(cfg, "lock-init");
  isa::Phase ph;
  ph.name = "init";
  add_lock(ph, core, 0, 0);
  add_lock(ph, core, 1, 1);
  add_lock(ph, core, 2, 31);
  add_lock(ph, core, 3, 62);
  add_lock(ph, core, 4, 63);
  add_lock(ph, core, 5, 5);
  // Every acquire finds its value already there (no wait); lock 5 keeps 2 after taking 3.
  add_core(ph, core,
           {op_acquire(1, 1), op_acquire(2, 31), op_acquire(3, 62), op_acquire(4, 63), op_acquire(5, 3),
            op_acquire(5, 2), op_release(0, 63), op_acquire(0, 63), op_release(4, 63)});
  p.phases.push_back(ph);
  const SimRun r = run_mode(cfg, p, {}, Fidelity::Lt);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.summary.phases.size(), 1u);
  // Nine lock ops of lock_cycles each after the phase setup (no BDs), no waiting.
  const uint64_t want = cfg.control.phase_setup_cycles + 9ull * cfg.core.costs.lock_cycles;
  EXPECT_GE(r.summary.phases[0].cycles, want);
  EXPECT_LE(r.summary.phases[0].cycles, want + 1);
  EXPECT_EQ(r.stat("array.tile_0_2.core.lock_wait_cycles"), 0.0);
  EXPECT_EQ(r.summary.stall_lock_cycles, 0u);
  EXPECT_EQ(r.samples("array.tile_0_2.lock.0"), (std::vector<int64_t>{63, 0}));
  EXPECT_EQ(r.samples("array.tile_0_2.lock.1"), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(r.samples("array.tile_0_2.lock.2"), (std::vector<int64_t>{31, 0}));
  EXPECT_EQ(r.samples("array.tile_0_2.lock.3"), (std::vector<int64_t>{62, 0}));
  EXPECT_EQ(r.samples("array.tile_0_2.lock.4"), (std::vector<int64_t>{63, 0, 63}));
  EXPECT_EQ(r.samples("array.tile_0_2.lock.5"), (std::vector<int64_t>{5, 2, 0}));

  // 64 does not fit in 6 bits: rejected, naming tile and lock.
  isa::Program bad = p;
  bad.phases[0].locks[3].value = 64;
  const SimRun rb = run_mode(cfg, bad, {}, Fidelity::Lt);
  EXPECT_FALSE(rb.ok);
  EXPECT_EQ(rb.exit_code, 2);
  EXPECT_NE(rb.error.find("tile(0,2) lock 3 init value 64 > 63"), std::string::npos) << rb.error;
}


// A BD value above 63 can never be acquired and always overflows a release. Either the program
// check rejects it or the run stops (deadlock / overflow); the message names tile and lock.
// (Today the check rejects core-op values > 63 but not BD values: the acquire deadlocks and the
// release overflows at run time.)
TEST(LockSemantics, BdLockValueAbove63NeverRunsSilently) {
  auto cfg = small_config(1, 1);
  const TileId shim = tile(0, 0), core = tile(0, 2);
  for (bool release : {false, true}) {
    SCOPED_TRACE(release ? "release 64" : "acquire 64");
    isa::Program p = empty_program(cfg, "bd-value-64");
    p.input = port(kIn, 1, 1, 16);
    isa::Phase ph;
    ph.name = "value64";
    const auto b = release ? rel(bd(0, 0, 16), 3, 64) : acq(bd(0, 0, 16), 3, 64);
    add_transfer(ph, shim, 0, bd(0, kIn, 16), core, 0, b);
    p.phases.push_back(ph);
    const SimRun r = run_mode(cfg, p, pattern(16, 2), Fidelity::Lt);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.error.find("tile(0,2)"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("lock 3"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("64"), std::string::npos) << r.error;
  }
}

}  // namespace
}  // namespace saie::hw::test
