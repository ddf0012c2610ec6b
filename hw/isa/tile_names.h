// tile_names.h — how a tile is written, in one place (plain C++):
//   tile_label  "tile(1,2)"  for people: error messages, reports, Perfetto process names
//   tile_name   "tile_1_2"   for hierarchical names: SystemC modules, VCD scopes, trace tracks
//                            ("array.tile_1_2.core"), Verilated instances
//   tile_coords "1_2"        on command lines and in CSV columns (simulate --rtl-tiles 1_2)
// and read back by parse_tile_name / parse_tile_coords.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "hw/isa/program.h"

namespace saie::isa {

inline std::string tile_coords(uint32_t col, uint32_t row) { return std::to_string(col) + "_" + std::to_string(row); }
inline std::string tile_coords(TileId t) { return tile_coords(t.col, t.row); }
inline std::string tile_name(uint32_t col, uint32_t row) { return "tile_" + tile_coords(col, row); }
inline std::string tile_name(TileId t) { return tile_name(t.col, t.row); }
inline std::string tile_label(uint32_t col, uint32_t row) {
  return "tile(" + std::to_string(col) + "," + std::to_string(row) + ")";
}
inline std::string tile_label(TileId t) { return tile_label(t.col, t.row); }

// Coordinates as written by tile_coords / tile_name (the whole text; no sign, no spaces, each
// part at most 3 digits); nullopt otherwise. Values above 255 do not fit a TileId: callers check.
struct TileCoords {
  uint32_t col = 0, row = 0;
};
std::optional<TileCoords> parse_tile_coords(const std::string& text);  // "1_2"
std::optional<TileCoords> parse_tile_name(const std::string& text);    // "tile_1_2"

}  // namespace saie::isa
