// reconfig_test.cpp — what reconfiguring the array between phases writes and what it costs.
#include "hw/isa/reconfig.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace saie::isa {
namespace {

config::ArrayConfig costed(uint32_t paths) {
  config::ArrayConfig c;
  c.columns = 2;
  c.core_rows = 1;
  c.control.write32_cycles = 100;
  c.control.blockwrite_base_cycles = 80;
  c.control.blockwrite_cycles_per_word = 10;
  c.control.write_paths = paths;
  return c;
}

const TileId kShim0{0, 0}, kMem0{0, 1}, kCore0{0, 2}, kMem1{1, 1};

BufferDescriptor bd(uint16_t id, uint64_t addr) {
  BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.dims[0] = DmaDim{64, 1};
  return b;
}

// One phase: shim MM2S 0 -> memtile S2MM 0 (one BD each), memtile lock 3 starting at 1, one task
// on each side, a core program on the core.
Phase phase(uint64_t addr, uint16_t mem_bd = 0) {
  Phase p;
  p.name = "p";
  p.bds.push_back(TileBds{kShim0, {bd(0, addr)}});
  p.bds.push_back(TileBds{kMem0, {bd(mem_bd, 0x100)}});
  p.routes.push_back(Route{{kShim0, 0}, {{kMem0, 0}}});
  p.locks.push_back(LockInit{kMem0, 3, 1});
  p.tasks.push_back(DmaTask{kShim0, DmaDir::MM2S, 0, 0, 1});
  p.tasks.push_back(DmaTask{kMem0, DmaDir::S2MM, 0, mem_bd, 1});
  p.cores.push_back(CoreProgram{kCore0, {}});
  return p;
}

// Lock values as a map (absent: 0).
struct Locks {
  std::map<std::pair<TileId, int>, int> v;
  std::function<int(TileId, int)> fn() const {
    return [this](TileId t, int id) {
      auto it = v.find({t, id});
      return it == v.end() ? 0 : it->second;
    };
  }
};

TEST(Reconfig, FromResetEverythingIsWrittenAndCostsWhatTheConfigSays) {
  const config::ArrayConfig cfg = costed(1);
  ReconfigState st(cfg);
  Locks locks;
  const PhaseWrites w = st.plan(phase(0x1000), nullptr, locks.fn());
  EXPECT_EQ(w.bd_writes, 2u);
  EXPECT_EQ(w.lock_writes, 1u);      // lock 3 to 1; every other lock is at its start value 0
  EXPECT_EQ(w.route_writes, 4u);     // shim -> memtile: 2 switches, 2 registers each
  EXPECT_EQ(w.task_writes, 2u);
  EXPECT_EQ(w.core_writes, 1u);
  EXPECT_EQ(w.words, 8u + 8u + 1u + 4u + 2u + 1u);  // shim and memtile BDs are 8 words each
  // Nothing runs: nothing is early by definition of the wait, but the classification says which
  // writes could overlap; from reset the wait is all of them.
  const uint64_t bds = 2 * (80 + 10 * 8), singles = (1 + 4 + 2 + 1) * 100;
  EXPECT_EQ(ReconfigState::wait_cycles(w, 0, false), bds + singles);
  EXPECT_EQ(bd_register_words(TileKind::Core), 6u);
  EXPECT_EQ(bd_register_words(TileKind::Mem), 8u);
  EXPECT_EQ(bd_register_words(TileKind::Shim), 8u);
}

TEST(Reconfig, OnlyWhatChangesIsWrittenAndUnusedSlotsOverlapTheRunningPhase) {
  const config::ArrayConfig cfg = costed(1);
  ReconfigState st(cfg);
  Locks locks;
  const Phase a = phase(0x1000);
  st.commit(a);
  locks.v[{kMem0, 3}] = 1;  // a ended with lock 3 back at 1
  // The same phase again: only the task starts and the core's program pointer.
  PhaseWrites w = st.plan(a, &a, locks.fn());
  EXPECT_EQ(w.bd_writes, 0u);
  EXPECT_EQ(w.lock_writes, 0u);
  EXPECT_EQ(w.route_writes, 0u);
  EXPECT_EQ(w.task_writes + w.core_writes, 3u);
  EXPECT_EQ(ReconfigState::wait_cycles(w, 1000, true), 300u);  // all late (a uses the core)
  // A new shim address: that BD is rewritten, late (a uses slot 0); the memtile BD moves to slot
  // 5, which a does not use: early, hidden behind a's 1000 cycles.
  const Phase b = phase(0x2000, 5);
  w = st.plan(b, &a, locks.fn());
  EXPECT_EQ(w.bd_writes, 2u);
  EXPECT_EQ(w.early_words, 8u);
  EXPECT_EQ(w.early_cycles.at(0), 160u);
  EXPECT_EQ(w.late_cycles.at(0), 160u + 300u);
  EXPECT_EQ(ReconfigState::wait_cycles(w, 1000, true), 460u);
  EXPECT_EQ(ReconfigState::wait_cycles(w, 100, true), 60u + 460u);  // a ran 100 cycles: 60 left
  // A lock b uses, left at another value than b wants, is written; one b does not use is not
  // (nothing reads it).
  locks.v[{kMem0, 3}] = 0;
  locks.v[{kMem1, 7}] = 2;
  w = st.plan(b, &a, locks.fn());
  EXPECT_EQ(w.lock_writes, 1u);
}

TEST(Reconfig, ColumnsOnTheirOwnPathsWriteAtTheSameTime) {
  Locks locks;
  Phase two = phase(0x1000);
  two.bds.push_back(TileBds{kMem1, {bd(0, 0x200)}});
  two.tasks.push_back(DmaTask{kMem1, DmaDir::S2MM, 0, 0, 1});
  const PhaseWrites one_path = ReconfigState(costed(1)).plan(two, nullptr, locks.fn());
  const PhaseWrites per_column = ReconfigState(costed(0)).plan(two, nullptr, locks.fn());
  ASSERT_EQ(per_column.late_cycles.size(), 2u);
  // Column 1: its BD (early: nothing runs that uses the slot) and its task start (late).
  EXPECT_EQ(per_column.early_cycles[1], 160u);
  EXPECT_EQ(per_column.late_cycles[1], 100u);
  EXPECT_EQ(ReconfigState::wait_cycles(per_column, 0, false),
            ReconfigState::wait_cycles(one_path, 0, false) - (160u + 100u));
}

TEST(Reconfig, ABroadcastWritesEachSwitchOnItsPathsOnce) {
  config::ArrayConfig cfg = costed(0);  // one write path per column
  cfg.columns = 3;
  cfg.core_rows = 2;
  Locks locks;
  isa::Phase p;
  // memtile (0,1) to the cores (1,2) and (2,2): along row 1 to columns 1 and 2, then up to row 2.
  p.routes.push_back(Route{{kMem0, 1}, {{TileId{1, 2}, 0}, {TileId{2, 2}, 0}}});
  const PhaseWrites w = ReconfigState(cfg).plan(p, nullptr, locks.fn());
  EXPECT_EQ(w.route_writes, 10u);  // switches (0,1) (1,1) (1,2) (2,1) (2,2), two registers each
  ASSERT_EQ(w.early_cycles.size(), 3u);
  EXPECT_EQ(w.early_cycles[0], 200u);  // column 0: one switch
  EXPECT_EQ(w.early_cycles[1], 400u);  // column 1: two
  EXPECT_EQ(w.early_cycles[2], 400u);
  std::set<TileId> path;
  add_path(path, TileId{2, 3}, TileId{0, 1});  // west along row 3, then down column 0
  EXPECT_EQ(path, (std::set<TileId>{{2, 3}, {1, 3}, {0, 3}, {0, 2}, {0, 1}}));
}

TEST(Reconfig, ZeroCostsChargeNothing) {
  config::ArrayConfig cfg;  // the paper presets' control model: no counted writes
  Locks locks;
  const PhaseWrites w = ReconfigState(cfg).plan(phase(0x1000), nullptr, locks.fn());
  EXPECT_GT(w.writes(), 0u);
  EXPECT_EQ(ReconfigState::wait_cycles(w, 0, false), 0u);
}

}  // namespace
}  // namespace saie::isa
