// tile_kind_test.cpp — tile numbering with one and two memtile rows (program.h helpers).
#include <gtest/gtest.h>

#include "hw/isa/program.h"

namespace saie::isa {
namespace {

TileId t(int col, int row) { return TileId{static_cast<uint8_t>(col), static_cast<uint8_t>(row)}; }

TEST(TileKind, OneMemtileRow) {
  for (int c : {0, 7}) {
    EXPECT_EQ(tile_kind(t(c, 0)), TileKind::Shim);
    EXPECT_EQ(tile_kind(t(c, 1)), TileKind::Mem);
    EXPECT_EQ(tile_kind(t(c, 2)), TileKind::Core);
    EXPECT_EQ(tile_kind(t(c, 9)), TileKind::Core);
    // The default is one memtile row.
    for (int r = 0; r < 10; ++r) EXPECT_EQ(tile_kind(t(c, r)), tile_kind(t(c, r), 1)) << r;
  }
  EXPECT_EQ(memtile_row(), 1u);
  EXPECT_EQ(core_row(0, 1), 2u);
  EXPECT_EQ(core_row(3, 1), 5u);
  EXPECT_EQ(array_rows(4, 1), 6u);
}

TEST(TileKind, TwoMemtileRows) {
  EXPECT_EQ(tile_kind(t(3, 0), 2), TileKind::Shim);
  EXPECT_EQ(tile_kind(t(3, 1), 2), TileKind::Mem);
  EXPECT_EQ(tile_kind(t(3, 2), 2), TileKind::Mem);
  EXPECT_EQ(tile_kind(t(3, 3), 2), TileKind::Core);
  EXPECT_EQ(tile_kind(t(37, 10), 2), TileKind::Core);  // top core row of VE2802 (8 core rows)
  EXPECT_EQ(memtile_row(0), 1u);
  EXPECT_EQ(memtile_row(1), 2u);
  EXPECT_EQ(core_row(0, 2), 3u);
  EXPECT_EQ(core_row(7, 2), 10u);
  EXPECT_EQ(array_rows(8, 2), 11u);
  for (uint32_t r = 0; r < 8; ++r) EXPECT_EQ(tile_kind(t(0, static_cast<int>(core_row(r, 2))), 2), TileKind::Core);
  EXPECT_EQ(tile_kind(t(0, static_cast<int>(core_row(0, 2) - 1)), 2), TileKind::Mem);
}

}  // namespace
}  // namespace saie::isa
