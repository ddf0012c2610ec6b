// bd_slots_compile_test.cpp — compiled programs keep the BD ranges and alternate their slots.
#include <gtest/gtest.h>

#include "compiler/compile.h"
#include "hw/isa/bd_slots.h"
#include "hw/isa/reconfig.h"
#include "hw/isa/verify_program.h"
#include "tests/model/test_graphs.h"

namespace saie {
namespace {

TEST(BdSlotsCompile, CompiledProgramsStayValidAndHideBdWritesBehindThePhaseBefore) {
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
        // (compute tiles only: a memtile's odd channels use the upper BDs anyway)
        moved = moved || (isa::tile_kind(tb.tile) == isa::TileKind::Core && b.id >= cfg.core.dma.bds / 2);
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
