// tile_names.cpp — see tile_names.h.
#include "hw/isa/tile_names.h"

namespace saie::isa {

std::optional<TileCoords> parse_tile_coords(const std::string& text) {
  const size_t u = text.find('_');
  if (u == std::string::npos) return std::nullopt;
  auto number = [](const std::string& t) -> std::optional<uint32_t> {
    if (t.empty() || t.size() > 3 || t.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return static_cast<uint32_t>(std::stoul(t));
  };
  const auto col = number(text.substr(0, u)), row = number(text.substr(u + 1));
  if (!col || !row) return std::nullopt;
  return TileCoords{*col, *row};
}

std::optional<TileCoords> parse_tile_name(const std::string& text) {
  if (text.rfind("tile_", 0) != 0) return std::nullopt;
  return parse_tile_coords(text.substr(5));
}

}  // namespace saie::isa
