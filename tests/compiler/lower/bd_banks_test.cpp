// bd_banks_test.cpp — consecutive phases put a tile's BDs in slots the phase before does not use.
#include "compiler/lower/bd_banks.h"

#include <gtest/gtest.h>

#include <set>

#include "compiler/compile.h"
#include "hw/isa/reconfig.h"
#include "hw/isa/verify_program.h"
#include "tests/model/test_graphs.h"

namespace saie {
namespace {

isa::BufferDescriptor bd(uint16_t id, uint64_t addr, int16_t next = isa::kNoNextBd) {
  isa::BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.dims[0] = isa::DmaDim{64, 1};
  b.next_bd = next;
  return b;
}

isa::Phase phase(uint64_t addr) {
  isa::Phase p;
  p.bds.push_back(isa::TileBds{{0, 1}, {bd(0, addr, 1), bd(1, addr + 64, 0)}});
  p.tasks.push_back(isa::DmaTask{{0, 1}, isa::DmaDir::MM2S, 0, 0, 4});
  p.tasks.push_back(isa::DmaTask{{0, 1}, isa::DmaDir::MM2S, 1, 1, 4});
  return p;
}

TEST(BdBanks, AlternatePhasesUseTheTopOfTheTilesBds) {
  config::ArrayConfig cfg;  // memtile: 48 BDs
  isa::Program prog;
  prog.phases = {phase(0), phase(0x1000), phase(0x2000), phase(0x2000)};
  lower::alternate_bd_banks(prog, cfg);
  const auto ids = [&](size_t p) {
    std::set<uint16_t> s;
    for (const auto& b : prog.phases[p].bds[0].bds) s.insert(b.id);
    return s;
  };
  EXPECT_EQ(ids(0), (std::set<uint16_t>{0, 1}));
  EXPECT_EQ(ids(1), (std::set<uint16_t>{46, 47}));  // moved: phase 0 uses 0 and 1
  EXPECT_EQ(ids(2), (std::set<uint16_t>{0, 1}));    // free again
  EXPECT_EQ(ids(3), (std::set<uint16_t>{0, 1}));    // the same BDs as phase 2: nothing to write, stays
  // Chains and task starts moved with their BDs.
  const isa::Phase& p1 = prog.phases[1];
  EXPECT_EQ(p1.bds[0].bds[0].next_bd, 47);
  EXPECT_EQ(p1.bds[0].bds[1].next_bd, 46);
  EXPECT_EQ(p1.tasks[0].start_bd, 46);
  EXPECT_EQ(p1.tasks[1].start_bd, 47);
  EXPECT_EQ(p1.bds[0].bds[0].addr, 0x1000u);  // nothing else changed
}

TEST(BdBanks, CompiledProgramsStayValidAndHideBdWritesBehindThePhaseBefore) {
  config::ArrayConfig cfg;
  cfg.columns = 2;
  cfg.core_rows = 2;
  const ir::Graph g = test::make_test_graph(31, true);
  const compiler::CompileResult r = compiler::compile(g, cfg, {});
  EXPECT_NO_THROW(isa::verify_program(r.program, cfg));
  // Some tile's BDs sit at the top of its range, and no tile's BDs of one phase share a slot with
  // the phase before unless they are the same BDs.
  bool moved = false;
  for (size_t p = 1; p < r.program.phases.size(); ++p)
    for (const isa::TileBds& tb : r.program.phases[p].bds)
      for (const isa::BufferDescriptor& b : tb.bds) {
        moved = moved || b.id >= cfg.core.dma.bds / 2;
        for (const isa::TileBds& before : r.program.phases[p - 1].bds)
          if (before.tile == tb.tile)
            for (const isa::BufferDescriptor& o : before.bds)
              if (o.id == b.id) EXPECT_TRUE(isa::same_bd_registers(o, b) || tb.bds.size() + before.bds.size() >
                                            (isa::tile_kind(tb.tile) == isa::TileKind::Mem ? cfg.memtile.dma.bds : cfg.core.dma.bds))
                                    << "phase " << p;
      }
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace saie
