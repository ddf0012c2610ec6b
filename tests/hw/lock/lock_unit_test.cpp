// lock_unit_test.cpp — lock semantics in a running array: a BD waits for the core's releases
// (acquire >= 2 needs both), values are sampled, overflow past 63 is a run-time error.
#include "hw/lock/lock_unit.h"

#include <gtest/gtest.h>

#include "hw/core/kernels.h"
#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

TEST(Locks, BdWaitsForCoreReleases) {
  auto cfg = small_config();
  isa::Program p = empty_program(cfg, "locks");
  p.input = port(0x1000, 1, 1, 64);
  p.output = port(0x2000, 1, 1, 64);
  isa::Phase ph;
  ph.name = "double";
  const TileId shim = tile(0, 0), core = tile(0, 2);
  add_transfer(ph, shim, 0, bd(0, 0x1000, 64), core, 0, rel(bd(0, 0, 64), 0, 1));
  // Two halves, each released with +1; the sender needs lock 1 >= 2.
  add_core(ph, core,
           {op_acquire(0, 1), op_add(0, 0, 512, 32, 2, 0, 0, "lo"), op_release(1, 1),
            op_add(32, 32, 544, 32, 2, 0, 0, "hi"), op_release(1, 1)});
  add_transfer(ph, core, 0, acq(bd(1, 512, 64), 1, 2), shim, 0, bd(1, 0x2000, 64));
  p.phases.push_back(ph);

  auto in = pattern(64, 3);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, p, {in}, SimOptions{}, rec);
  ASSERT_TRUE(r.ok) << r.error;
  for (size_t i = 0; i < 64; ++i) ASSERT_EQ(r.outputs[0][i], expect_add(in[i], in[i], 2, 0, 0)) << i;

  auto compute = slices_on(rec, "array.tile_0_2.core");
  uint64_t hi_end = 0;
  int n_compute = 0;
  for (const auto& s : compute) {
    if (s.category == "compute") ++n_compute;
    if (s.name == "hi") hi_end = s.end;
  }
  EXPECT_EQ(n_compute, 2);
  ASSERT_GT(hi_end, 0u);
  auto send = slices_on(rec, "array.tile_0_2.dma.mm2s_0");
  uint64_t send_begin = 0;
  bool found = false;
  for (const auto& s : send)
    if (s.category == "dma") {
      send_begin = s.begin;
      found = true;
    }
  ASSERT_TRUE(found);
  // The release after "hi" costs lock_cycles, then the BD may start.
  EXPECT_GE(send_begin, hi_end + cfg.core.costs.lock_cycles);
  EXPECT_GT(stat(rec, "array.tile_0_2.dma.mm2s_0.lock_wait_cycles"), 0.0);
  EXPECT_GT(stat(rec, "array.tile_0_2.lock.wait_cycles"), 0.0);
  // Lock 1 went 1, 2, 0 (counter samples in time order).
  std::vector<int64_t> values;
  for (const auto& c : rec.counters())
    if (c.track == "array.tile_0_2.lock.1") values.push_back(c.value);
  EXPECT_EQ(values, (std::vector<int64_t>{1, 2, 0}));
}

TEST(Locks, ReleaseOverflowIsRuntimeError) {
  auto cfg = small_config();
  isa::Program p = empty_program(cfg, "overflow");
  isa::Phase ph;
  ph.name = "bad";
  add_lock(ph, tile(0, 2), 4, 60);
  add_core(ph, tile(0, 2), {op_release(4, 3), op_release(4, 1)});
  p.phases.push_back(ph);
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, p, {{}}, SimOptions{}, rec);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("tile(0,2) lock 4 overflow: 63 + 1 > 63"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("tile(0,2).core op 1"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("phase 'bad'"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace saie::hw::test
