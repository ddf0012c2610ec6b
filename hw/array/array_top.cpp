// array_top.cpp — instantiates the tiles of the array from the config and connects neighbour memtiles.
#include "hw/array/array_top.h"

namespace saie::hw {

ArrayTop::ArrayTop(sc_core::sc_module_name name, SimContext& ctx)
    : sc_core::sc_module(name), ddr_("ddr", ctx), columns_(ctx.cfg.columns),
      mem_rows_(ctx.cfg.mem_rows),
      rows_(isa::array_rows(ctx.cfg.core_rows, ctx.cfg.mem_rows)) {
  for (uint32_t c = 0; c < columns_; ++c) {
    for (uint32_t r = 0; r < rows_; ++r) {
      isa::TileId id{static_cast<uint8_t>(c), static_cast<uint8_t>(r)};
      std::string n = tile_name(id);
      switch (isa::tile_kind(id, mem_rows_)) {
        case isa::TileKind::Shim: tiles_.push_back(std::make_unique<ShimTile>(n.c_str(), id, ddr_, ctx)); break;
        case isa::TileKind::Mem: tiles_.push_back(std::make_unique<MemTile>(n.c_str(), id, ctx)); break;
        case isa::TileKind::Core: tiles_.push_back(std::make_unique<CoreTile>(n.c_str(), id, ctx)); break;
      }
    }
  }
  // Memtile neighbours (same row, adjacent columns): DMA channels 0..3 reach their memories.
  for (uint32_t c = 0; c < columns_; ++c) {
    for (uint32_t r = 0; r < rows_; ++r) {
      isa::TileId id{static_cast<uint8_t>(c), static_cast<uint8_t>(r)};
      if (isa::tile_kind(id, mem_rows_) != isa::TileKind::Mem) continue;
      auto& self = static_cast<MemTile&>(*tile(id));
      if (c > 0) self.connect_neighbour(isa::MemRegion::West, static_cast<MemTile&>(*tile({uint8_t(c - 1), uint8_t(r)})));
      if (c + 1 < columns_)
        self.connect_neighbour(isa::MemRegion::East, static_cast<MemTile&>(*tile({uint8_t(c + 1), uint8_t(r)})));
    }
  }
}

TileBase* ArrayTop::tile(isa::TileId id) {
  if (id.col >= columns_ || id.row >= rows_) return nullptr;
  return tiles_[static_cast<size_t>(id.col) * rows_ + id.row].get();
}

}  // namespace saie::hw
