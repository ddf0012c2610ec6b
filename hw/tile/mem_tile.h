// mem_tile.h — memtile: 512 KiB memory + locks + 6+6 DMA channels, no core.
#pragma once

#include "hw/tile/tile_base.h"

namespace saie::hw {

class MemTile : public TileBase {
 public:
  MemTile(sc_core::sc_module_name name, isa::TileId id, SimContext& ctx);
  Memory* memory() override { return &mem_; }

 private:
  Memory mem_;
};

}  // namespace saie::hw
