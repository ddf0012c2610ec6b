// rtl_cosim.cpp — parsing and checking the co-simulation's tile list.
#include "hw/cosim/rtl_cosim.h"

#include <stdexcept>

#include "hw/isa/tile_names.h"

namespace saie::hw {

isa::TileId parse_rtl_tile(const std::string& s) {
  const auto c = isa::parse_tile_coords(s);
  if (!c || c->col > 255 || c->row > 255) throw std::invalid_argument("--rtl-tiles: '" + s + "' is not a tile COL_ROW such as 1_2");
  return isa::TileId{static_cast<uint8_t>(c->col), static_cast<uint8_t>(c->row)};
}

std::string rtl_tiles_error(const RtlOptions& opt, const config::ArrayConfig& cfg) {
  const uint32_t first = cfg.mem_rows + 1, last = cfg.mem_rows + cfg.core_rows;
  for (const isa::TileId& t : opt.tiles)
    if (t.col >= cfg.columns || t.row < first || t.row > last)
      return "--rtl-tiles: " + isa::tile_coords(t) + " is not a compute tile of " +
             cfg.name + " (columns 0-" + std::to_string(cfg.columns - 1) + ", rows " + std::to_string(first) + "-" +
             std::to_string(last) + ")";
  return "";
}

}  // namespace saie::hw
