// target_model_test.cpp — TargetModel answers from the config it wraps (not from defaults).
#include <gtest/gtest.h>

#include "compiler/target/target_model.h"
#include "hw/isa/tile_names.h"

namespace saie {
namespace {

TEST(TargetModel, TileIdsFollowMlirAieRows) {
  config::ArrayConfig c;
  c.columns = 3;
  c.core_rows = 4;
  const target::TargetModel tm(c);
  EXPECT_EQ(tm.shim(2), (isa::TileId{2, 0}));
  EXPECT_EQ(tm.memtile(1), (isa::TileId{1, 1}));
  EXPECT_EQ(tm.core(2, 3), (isa::TileId{2, 5}));
  EXPECT_EQ(isa::tile_kind(tm.core(0, 0)), isa::TileKind::Core);
  EXPECT_EQ(isa::tile_label(tm.core(1, 0)), "tile(1,2)");
  EXPECT_EQ(tm.columns(), 3u);
  EXPECT_EQ(tm.core_rows(), 4u);
}

TEST(TargetModel, OneMemtileRowNumbering) {
  config::ArrayConfig c;
  c.columns = 2;
  c.core_rows = 3;
  const target::TargetModel tm(c);
  EXPECT_EQ(tm.mem_rows(), 1u);
  EXPECT_EQ(tm.rows(), 5u);
  EXPECT_EQ(tm.kind(isa::TileId{1, 0}), isa::TileKind::Shim);
  EXPECT_EQ(tm.kind(isa::TileId{1, 1}), isa::TileKind::Mem);
  EXPECT_EQ(tm.kind(isa::TileId{1, 2}), isa::TileKind::Core);
  EXPECT_TRUE(tm.in_array(isa::TileId{1, 4}));
  EXPECT_FALSE(tm.in_array(isa::TileId{1, 5}));
  EXPECT_FALSE(tm.in_array(isa::TileId{2, 0}));
}

// VE2802 layout: row 0 shim, rows 1-2 memtiles, rows 3..10 cores. Lowering uses memtile row 1.
TEST(TargetModel, TwoMemtileRowsShiftTheCores) {
  const config::ArrayConfig c = config::load_config("ve2802");
  ASSERT_EQ(c.mem_rows, 2u);
  const target::TargetModel tm(c);
  EXPECT_EQ(tm.mem_rows(), 2u);
  EXPECT_EQ(tm.rows(), 11u);
  EXPECT_EQ(tm.shim(37), (isa::TileId{37, 0}));
  EXPECT_EQ(tm.memtile(5), (isa::TileId{5, 1}));
  EXPECT_EQ(tm.core(0, 0), (isa::TileId{0, 3}));
  EXPECT_EQ(tm.core(37, 7), (isa::TileId{37, 10}));
  EXPECT_EQ(tm.kind(tm.memtile(5)), isa::TileKind::Mem);
  EXPECT_EQ(tm.kind(isa::TileId{5, 2}), isa::TileKind::Mem);
  EXPECT_EQ(tm.kind(tm.core(5, 0)), isa::TileKind::Core);
  EXPECT_EQ(tm.kind(tm.core(5, 7)), isa::TileKind::Core);
  EXPECT_EQ(tm.kind(tm.shim(5)), isa::TileKind::Shim);
  EXPECT_TRUE(tm.in_array(tm.core(37, 7)));
  EXPECT_FALSE(tm.in_array(isa::TileId{37, 11}));
  EXPECT_FALSE(tm.in_array(isa::TileId{38, 3}));
  EXPECT_EQ(isa::tile_label(tm.core(1, 0)), "tile(1,3)");
}

TEST(TargetModel, ResourcesComeFromTheConfig) {
  config::ArrayConfig c;
  c.memtile.dma = {5, 7, 33, 50};
  c.core.dma = {1, 3, 9, 11};
  c.shim.dma = {4, 2, 12, 8};
  c.core.data_memory_bytes = 32768;
  c.memtile.memory_bytes = 1 << 20;
  c.ddr.size_bytes = 1 << 24;
  c.stream.bytes_per_cycle = 8;
  const target::TargetModel tm(c);
  EXPECT_EQ(tm.channels(isa::TileKind::Mem, isa::DmaDir::MM2S), 5u);
  EXPECT_EQ(tm.channels(isa::TileKind::Mem, isa::DmaDir::S2MM), 7u);
  EXPECT_EQ(tm.channels(isa::TileKind::Core, isa::DmaDir::S2MM), 3u);
  EXPECT_EQ(tm.channels(isa::TileKind::Shim, isa::DmaDir::MM2S), 4u);
  EXPECT_EQ(tm.bds(isa::TileKind::Mem), 33u);
  EXPECT_EQ(tm.bds(isa::TileKind::Core), 9u);
  EXPECT_EQ(tm.locks(isa::TileKind::Shim), 8u);
  EXPECT_EQ(tm.locks(isa::TileKind::Core), 11u);
  EXPECT_EQ(tm.memory_bytes(isa::TileKind::Core), 32768u);
  EXPECT_EQ(tm.memory_bytes(isa::TileKind::Mem), 1u << 20);
  EXPECT_EQ(tm.memory_bytes(isa::TileKind::Shim), 1u << 24);
  EXPECT_EQ(tm.max_bd_dims(isa::TileKind::Mem), 4u);
  EXPECT_EQ(tm.max_bd_dims(isa::TileKind::Core), 3u);
  EXPECT_DOUBLE_EQ(tm.stream_bytes_per_cycle(), 8.0);
}

}  // namespace
}  // namespace saie
