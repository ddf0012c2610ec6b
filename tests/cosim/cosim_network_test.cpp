// cosim_network_test.cpp — whole compiled networks simulated with Verilated RTL blocks under the
// SystemC array (hw/cosim): the RTL block-MAC and lock unit in chosen compute tiles must give the
// pure model's outputs bit for bit, a cycle report that matches the RTL's documented timing
// (latency 2, one step per cycle) and the cost table's MAC beats, lock statistics that count the
// same lock operations, waveforms aligned with the model's, and the broken variants must fail.
// Each simulation runs in a forked child (SystemC: one simulation per process).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "hw/sim/simulate.h"
#include "tests/model/test_graphs.h"
#include "tests/hw/sim/sim_run.h"

namespace saie {
namespace {

using hw::RtlOptions;
using hw::SimOptions;
using hw::test::run_with;
using hw::test::SimRun;

struct Case {
  const char* name;
  uint32_t seed;
  uint32_t h, c, columns, core_rows;
  std::vector<isa::TileId> tiles;  // empty = every compute tile
};

struct Compiled {
  config::ArrayConfig cfg;
  isa::Program prog;
  std::vector<std::vector<int8_t>> inputs;
};

Compiled compile_case(const Case& k) {
  test::TestGraphOptions o;
  o.h = o.w = k.h;
  o.c = k.c;
  const ir::Graph g = test::make_test_graph(k.seed, true, o);
  Compiled c;
  c.cfg.name = k.name;
  c.cfg.columns = k.columns;
  c.cfg.core_rows = k.core_rows;
  compiler::CompileOptions opt;
  opt.max_band_rows = 2;  // several conv ops per layer and tile
  c.prog = compiler::compile(g, c.cfg, opt).program;
  c.inputs = {test::make_test_input(g, k.seed), test::make_test_input(g, k.seed + 100)};
  return c;
}

SimOptions rtl_opts(bool mac, bool lock, std::vector<isa::TileId> tiles = {}) {
  SimOptions o;
  o.rtl.mac = mac;
  o.rtl.lock = lock;
  o.rtl.tiles = std::move(tiles);
  return o;
}

bool in_tiles(const isa::TileId& t, const std::vector<isa::TileId>& tiles) {
  if (tiles.empty()) return true;
  for (const auto& x : tiles)
    if (x == t) return true;
  return false;
}

std::string tile_prefix(const isa::TileId& t) {
  return "array.tile_" + std::to_string(t.col) + "_" + std::to_string(t.row);
}

const Case kCases[] = {
    {"cosim-2x2", 71, 8, 8, 2, 2, {{0, 2}, {1, 3}}},
    {"cosim-3x4", 72, 12, 3, 3, 4, {}},
    {"cosim-2x3", 73, 16, 1, 2, 3, {{1, 2}, {1, 4}}},
};

TEST(CosimNetwork, RtlMacsAndLocksMatchThePureModelBitForBit) {
  for (const Case& k : kCases) {
    SCOPED_TRACE(k.name);
    const Compiled c = compile_case(k);
    const SimRun pure = run_with(c.cfg, c.prog, c.inputs, SimOptions{}, false);
    const SimRun rtl = run_with(c.cfg, c.prog, c.inputs, rtl_opts(true, true, k.tiles), false);
    ASSERT_TRUE(pure.ok) << pure.error;
    ASSERT_TRUE(rtl.ok) << rtl.error;
    ASSERT_EQ(rtl.outs.size(), 2u);
    EXPECT_EQ(rtl.outs, pure.outs) << "co-simulated outputs differ from the pure model";

    // Every conv op of the RTL tiles is reported, only those, once per inference.
    ASSERT_FALSE(rtl.rtl.ops.empty());
    std::set<std::string> tiles_seen;
    for (const auto& o : rtl.rtl.ops) {
      SCOPED_TRACE(o.label);
      EXPECT_TRUE(in_tiles(o.tile, k.tiles));
      tiles_seen.insert(tile_prefix(o.tile));
      EXPECT_EQ(o.count, 2u);
      EXPECT_FALSE(o.varying);
      ASSERT_GT(o.steps, 0u);
      EXPECT_GT(o.results, 0u);
      // The RTL: one step per cycle, latency 2, no stalls with an always-ready sink.
      EXPECT_EQ(o.rtl_mac_cycles, o.steps + 2);
      // The cost table's MAC term = the same beats (4 pixels per cycle) + its block overhead
      // (+ its MAC pipeline term, 0 in these configs).
      EXPECT_EQ(o.model_mac_cycles, o.steps + o.stored_blocks * c.cfg.core.costs.block_overhead_cycles);
      EXPECT_EQ(o.rtl_op_cycles, o.model_cycles - o.model_mac_cycles + o.rtl_mac_cycles);
    }
    if (!k.tiles.empty()) {  // every listed tile the schedule gives conv ops to
      std::set<std::string> computing;
      for (const isa::Phase& ph : c.prog.phases)
        for (const isa::CoreProgram& cp : ph.cores)
          for (const isa::CoreOp& op : cp.ops)
            if (op.kind == isa::CoreOpKind::Conv && in_tiles(cp.tile, k.tiles)) computing.insert(tile_prefix(cp.tile));
      EXPECT_FALSE(computing.empty());
      EXPECT_EQ(tiles_seen, computing);
    }
    EXPECT_GT(rtl.stat(tile_prefix(rtl.rtl.ops[0].tile) + ".rtl_mac.edges"), 0.0);

    // The RTL lock units saw exactly the lock operations the model's locks did.
    const size_t want_locks = k.tiles.empty() ? size_t{k.columns} * k.core_rows : k.tiles.size();
    ASSERT_EQ(rtl.rtl.locks.size(), want_locks);
    for (const auto& l : rtl.rtl.locks) {
      const std::string p = tile_prefix(l.tile);
      SCOPED_TRACE(p);
      EXPECT_EQ(l.requests, l.acquires + l.releases);
      // (a tile the schedule leaves idle has no lock statistics in the model: none counted)
      auto count = [&](const std::string& name) { return std::max(0.0, pure.stat(name)); };
      EXPECT_EQ(static_cast<double>(l.acquires), count(p + ".lock.acquires"));
      EXPECT_EQ(static_cast<double>(l.releases), count(p + ".lock.releases"));
      EXPECT_GE(l.grant_latency, l.requests);  // at least one cycle each (the edge ending the cycle)
      EXPECT_GT(l.edges, 0u);
    }

    // Timing stays explainable: within 5% of the pure model (the RTL MAC saves the cost table's
    // block overhead, the RTL locks add a cycle per operation).
    const double ratio = static_cast<double>(rtl.summary.total_cycles) / static_cast<double>(pure.summary.total_cycles);
    EXPECT_NEAR(ratio, 1.0, 0.05) << rtl.summary.total_cycles << " vs " << pure.summary.total_cycles;
  }
}

TEST(CosimNetwork, CalibratedCostTableReproducesTheRtlCyclesExactly) {
  // Calibration from RTL: the RTL MAC takes MAC beats + 2 cycles per op and no per-block
  // overhead. The pure model with that cost table (block overhead 0, MAC pipeline 2) must then take
  // exactly the co-simulated cycles, phase by phase, on the same program.
  const Compiled c = compile_case(kCases[1]);
  const SimRun rtl = run_with(c.cfg, c.prog, c.inputs, rtl_opts(true, false), false);
  config::ArrayConfig calibrated = c.cfg;
  calibrated.core.costs.block_overhead_cycles = 0;
  calibrated.core.costs.mac_pipeline_cycles = 2;
  const SimRun pure = run_with(calibrated, c.prog, c.inputs, SimOptions{}, false);
  ASSERT_TRUE(rtl.ok && pure.ok) << rtl.error << pure.error;
  EXPECT_EQ(rtl.outs, pure.outs);
  EXPECT_EQ(rtl.summary.total_cycles, pure.summary.total_cycles);
  ASSERT_EQ(rtl.summary.phases.size(), pure.summary.phases.size());
  for (size_t p = 0; p < rtl.summary.phases.size(); ++p) EXPECT_EQ(rtl.summary.phases[p].cycles, pure.summary.phases[p].cycles) << p;
}

TEST(CosimNetwork, SlowAccumulatorDrainStallsTheMacButStaysBitExact) {
  const Compiled c = compile_case(kCases[0]);
  const SimRun pure = run_with(c.cfg, c.prog, c.inputs, SimOptions{}, false);
  SimOptions o = rtl_opts(true, false);
  o.rtl.acc_drain_cycles = 24;  // longer than the sequences of 9-18 steps
  const SimRun rtl = run_with(c.cfg, c.prog, c.inputs, o, false);
  ASSERT_TRUE(pure.ok && rtl.ok) << rtl.error;
  EXPECT_EQ(rtl.outs, pure.outs);
  bool stalled = false;
  for (const auto& op : rtl.rtl.ops) {
    EXPECT_GE(op.rtl_mac_cycles, op.steps + 2);
    stalled |= op.rtl_mac_cycles > op.steps + 2;
  }
  EXPECT_TRUE(stalled) << "short accumulation sequences must wait for the slow drain";
}

TEST(CosimNetwork, BrokenMacDroppingAValidIsCaught) {
  // 28x28 input on 2 columns: conv ops of several 4-pixel groups, so results queue up.
  const Compiled c = compile_case({"cosim-28", 74, 28, 1, 2, 2, {}});
  SimOptions o = rtl_opts(true, false);
  o.rtl.broken = true;
  o.rtl.acc_drain_cycles = 24;  // longer than a sequence: the broken MAC overwrites an untaken result
  const SimRun broken = run_with(c.cfg, c.prog, c.inputs, o, false);
  EXPECT_FALSE(broken.ok);
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.error.find("dropped valid"), std::string::npos) << broken.error;

  // Without backpressure the bug cannot show (the output register is always free): the same
  // broken RTL then computes correctly, as the unit test of block_mac documents.
  o.rtl.acc_drain_cycles = 0;
  const SimRun calm = run_with(c.cfg, c.prog, c.inputs, o, false);
  const SimRun pure = run_with(c.cfg, c.prog, c.inputs, SimOptions{}, false);
  ASSERT_TRUE(calm.ok) << calm.error;
  EXPECT_EQ(calm.outs, pure.outs);
}

TEST(CosimNetwork, BrokenLockUnitIsCaughtByTheScoreboard) {
  const Compiled c = compile_case(kCases[0]);
  SimOptions o = rtl_opts(false, true, {{0, 2}});
  o.rtl.broken = true;
  const SimRun r = run_with(c.cfg, c.prog, c.inputs, o, false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("RTL lock unit of tile(0,2) withholds"), std::string::npos) << r.error;
}

TEST(CosimNetwork, RtlPinsAreRecordedAlignedWithTheCoreSlices) {
  const Compiled c = compile_case(kCases[0]);
  SimOptions o = rtl_opts(true, true, {{0, 2}});
  o.rtl.waves = true;
  const SimRun r = run_with(c.cfg, c.prog, {c.inputs[0]}, o, true);
  ASSERT_TRUE(r.ok) << r.error;
  const auto compute = r.on("array.tile_0_2.core", "compute");
  ASSERT_FALSE(compute.empty());
  int rises = 0;
  for (const auto& s : r.counters) {
    if (s.track != "array.tile_0_2.rtl_mac.in_valid" || s.value != 1) continue;
    ++rises;
    bool inside = false;
    for (const auto& sl : compute) inside |= sl.begin <= s.cycle && s.cycle < sl.end;
    EXPECT_TRUE(inside) << "in_valid rises at cycle " << s.cycle << " outside every compute slice of the core";
  }
  EXPECT_GT(rises, 0);
  EXPECT_FALSE(r.samples("array.tile_0_2.rtl_mac.out_acc_0_0").empty());
  const auto lock_valid = r.samples("array.tile_0_2.rtl_lock.port1.valid");
  EXPECT_NE(std::find(lock_valid.begin(), lock_valid.end(), 1), lock_valid.end());
  EXPECT_TRUE(r.samples("array.tile_1_2.rtl_mac.in_valid").empty()) << "only the chosen tile has RTL";
}

TEST(CosimNetwork, DeterministicCyclesAndReport) {
  const Compiled c = compile_case(kCases[2]);
  const SimOptions o = rtl_opts(true, true, kCases[2].tiles);
  const SimRun a = run_with(c.cfg, c.prog, c.inputs, o, false);
  const SimRun b = run_with(c.cfg, c.prog, c.inputs, o, false);
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(a.summary.total_cycles, b.summary.total_cycles);
  ASSERT_EQ(a.rtl.ops.size(), b.rtl.ops.size());
  for (size_t i = 0; i < a.rtl.ops.size(); ++i) EXPECT_EQ(a.rtl.ops[i].rtl_mac_cycles, b.rtl.ops[i].rtl_mac_cycles);
  ASSERT_EQ(a.rtl.locks.size(), b.rtl.locks.size());
  for (size_t i = 0; i < a.rtl.locks.size(); ++i) EXPECT_EQ(a.rtl.locks[i].edges, b.rtl.locks[i].edges);
}

TEST(CosimNetwork, RtlStreamPortsCarryEveryBeatBitExact) {
  // --rtl stream (fidelity beat): every byte into the chosen tiles' S2MM channels goes through
  // the Verilated AXI4-Stream port; alone and together with the RTL MAC and locks.
  for (const Case& k : {kCases[0], kCases[2]}) {
    SCOPED_TRACE(k.name);
    const Compiled c = compile_case(k);
    SimOptions pure_opt;
    pure_opt.fidelity = hw::Fidelity::Beat;
    const SimRun pure = run_with(c.cfg, c.prog, c.inputs, pure_opt, false);
    ASSERT_TRUE(pure.ok) << pure.error;
    for (const bool all : {false, true}) {
      SimOptions o = rtl_opts(all, all, k.tiles);
      o.rtl.stream = true;
      o.fidelity = hw::Fidelity::Beat;
      const SimRun rtl = run_with(c.cfg, c.prog, c.inputs, o, false);
      ASSERT_TRUE(rtl.ok) << rtl.error;
      EXPECT_EQ(rtl.outs, pure.outs);
      const size_t tiles = k.tiles.empty() ? size_t{k.columns} * k.core_rows : k.tiles.size();
      ASSERT_EQ(rtl.rtl.streams.size(), tiles * c.cfg.core.dma.s2mm_channels);
      uint64_t beats = 0;
      for (const auto& p : rtl.rtl.streams) {
        beats += p.beats;
        EXPECT_LE(p.max_occupancy, 4u);
        EXPECT_GE(p.edges, p.beats);
      }
      EXPECT_GT(beats, 0u);
      if (k.tiles.empty()) {
        // Every byte into every compute tile: at least bytes/4 beats (partial beats round up).
        EXPECT_GE(beats * 4, rtl.summary.bytes_mem_to_core);
        EXPECT_LE(beats, rtl.summary.bytes_mem_to_core);
      }
      const double ratio = static_cast<double>(rtl.summary.total_cycles) / static_cast<double>(pure.summary.total_cycles);
      EXPECT_NEAR(ratio, 1.0, 0.05);
    }
  }
}

TEST(CosimNetwork, RtlStreamPortPinsAreRecorded) {
  const Compiled c = compile_case(kCases[0]);
  SimOptions o = rtl_opts(false, false, {{1, 3}});
  o.rtl.stream = true;
  o.rtl.waves = true;
  o.fidelity = hw::Fidelity::Beat;
  const SimRun r = run_with(c.cfg, c.prog, {c.inputs[0]}, o, true);
  ASSERT_TRUE(r.ok) << r.error;
  const auto valid = r.samples("array.tile_1_3.rtl_port_s2mm_0.s_tvalid");
  const auto ready = r.samples("array.tile_1_3.rtl_port_s2mm_0.m_tready");
  EXPECT_NE(std::find(valid.begin(), valid.end(), 1), valid.end());
  EXPECT_NE(std::find(ready.begin(), ready.end(), 1), ready.end());
  const auto count = r.samples("array.tile_1_3.rtl_port_s2mm_0.count");
  ASSERT_FALSE(count.empty());
  EXPECT_LE(*std::max_element(count.begin(), count.end()), 4);
  EXPECT_TRUE(r.samples("array.tile_0_2.rtl_port_s2mm_0.s_tvalid").empty()) << "only the chosen tile has RTL";
}

TEST(CosimNetwork, BrokenStreamPortLosingBeatsIsCaught) {
  const Compiled c = compile_case(kCases[0]);
  SimOptions o = rtl_opts(false, false);
  o.rtl.stream = true;
  o.rtl.broken = true;
  o.fidelity = hw::Fidelity::Beat;
  const SimRun r = run_with(c.cfg, c.prog, c.inputs, o, false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("RTL stream port of tile("), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("lost"), std::string::npos) << r.error;

  o.rtl.broken = false;
  o.fidelity = hw::Fidelity::Lt;
  const SimRun lt = run_with(c.cfg, c.prog, c.inputs, o, false);
  EXPECT_FALSE(lt.ok);
  EXPECT_NE(lt.error.find("--fidelity beat"), std::string::npos) << lt.error;
}

TEST(CosimNetwork, RtlTileOutsideTheComputeRowsIsRejected) {
  const Compiled c = compile_case(kCases[0]);
  const SimRun r = run_with(c.cfg, c.prog, c.inputs, rtl_opts(true, false, {{0, 1}}), false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("0_1 is not a compute tile"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace saie
