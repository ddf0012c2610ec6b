// bank_conflict_test.cpp — the optional data-memory bank conflict model: a DMA writing into a
// bank that the running compute op uses is slowed down; a DMA into another bank is not; with
// the model off nothing changes.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

struct BankRun {
  bool ok = false;
  uint64_t cycles = 0;
  double conflict = 0;  // bank_conflict_cycles of the core tile memory (-1: never created)
  double dma_busy = 0;  // busy cycles of the core's s2mm_0
};

// One phase: the core adds two 16 KiB vectors (banks 0-1 and 2-3 into 4-5, 32 + 512 cycles)
// while the memtile streams 2 KiB into the core memory at `dst`.
BankRun run(uint32_t dst, bool banks) {
  const std::string out = run_in_child([&] {
    auto cfg = small_config(1, 1);
    isa::Program p = empty_program(cfg, "banks");
    isa::Phase ph;
    ph.name = "overlap";
    const TileId mem = tile(0, 1), core = tile(0, 2);
    add_transfer(ph, mem, 0, bd(0, 0, 2048), core, 0, bd(0, dst, 2048));
    add_core(ph, core, {op_add(0, 16384, 32768, 16384, 1, 1, 0, "add")});
    p.phases.push_back(ph);
    traces::TraceRecorder rec;
    SimOptions opt;
    opt.bank_conflicts = banks;
    const SimResult r = simulate(cfg, p, {{}}, opt, rec);
    return std::to_string(r.ok) + " " + std::to_string(r.summary.total_cycles) + " " +
           std::to_string(stat(rec, "array.tile_0_2.mem.bank_conflict_cycles")) + " " +
           std::to_string(stat(rec, "array.tile_0_2.dma.s2mm_0.busy_cycles"));
  });
  BankRun r;
  int ok = 0;
  unsigned long long c = 0;
  if (std::sscanf(out.c_str(), "%d %llu %lf %lf", &ok, &c, &r.conflict, &r.dma_busy) == 4) {
    r.ok = ok != 0;
    r.cycles = c;
  }
  return r;
}

TEST(BankConflicts, DmaIntoABankTheCoreUsesIsSlowed) {
  const BankRun off = run(0, false);       // bank 0, model off
  const BankRun clash = run(0, true);      // bank 0: the add reads it
  const BankRun apart = run(57344, true);  // bank 7: untouched by the add
  ASSERT_TRUE(off.ok && clash.ok && apart.ok);
  EXPECT_EQ(off.conflict, -1.0);  // no bank model: no statistic
  // 2 KiB at 4 B/cycle = 512 cycles, all inside the add's 544 cycles: paid twice.
  EXPECT_NEAR(clash.conflict, 512.0, 40.0);
  EXPECT_NEAR(clash.dma_busy - off.dma_busy, clash.conflict, 2.0);
  EXPECT_LE(apart.conflict, 0.0);  // never charged (the statistic appears on the first conflict)
  EXPECT_EQ(apart.dma_busy, off.dma_busy);
  EXPECT_EQ(apart.cycles, off.cycles);
  EXPECT_GT(clash.cycles, off.cycles + 400);
}

}  // namespace
}  // namespace saie::hw::test
