// rtl_cosim.cpp — parsing and checking the co-simulation's tile list.
#include "hw/cosim/rtl_cosim.h"

#include <stdexcept>

namespace saie::hw {

isa::TileId parse_rtl_tile(const std::string& s) {
  const size_t us = s.find('_');
  auto number = [&](const std::string& part) -> uint32_t {
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(part) > 255)
      throw std::invalid_argument("--rtl-tiles: '" + s + "' is not a tile COL_ROW such as 1_2");
    return static_cast<uint32_t>(std::stoul(part));
  };
  if (us == std::string::npos) number("");
  isa::TileId t;
  t.col = static_cast<decltype(t.col)>(number(s.substr(0, us)));
  t.row = static_cast<decltype(t.row)>(number(s.substr(us + 1)));
  return t;
}

std::string rtl_tiles_error(const RtlOptions& opt, const config::ArrayConfig& cfg) {
  const uint32_t first = cfg.mem_rows + 1, last = cfg.mem_rows + cfg.core_rows;
  for (const isa::TileId& t : opt.tiles)
    if (t.col >= cfg.columns || t.row < first || t.row > last)
      return "--rtl-tiles: " + std::to_string(t.col) + "_" + std::to_string(t.row) + " is not a compute tile of " +
             cfg.name + " (columns 0-" + std::to_string(cfg.columns - 1) + ", rows " + std::to_string(first) + "-" +
             std::to_string(last) + ")";
  return "";
}

}  // namespace saie::hw
