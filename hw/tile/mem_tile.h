// mem_tile.h — memtile: 512 KiB memory + locks + 6+6 DMA channels, no core.
//
// Channels 0..3 (MM2S and S2MM) reach memory through a MemtileBus (own memory, and the west /
// east neighbour memtiles once ArrayTop connects them); channels 4..5 bind to the own memory
// directly (they cannot reach neighbours).
#pragma once

#include "hw/mem/memtile_bus.h"
#include "hw/tile/tile_base.h"

namespace saie::hw {

class MemTile : public TileBase {
 public:
  MemTile(sc_core::sc_module_name name, isa::TileId id, SimContext& ctx);
  Memory* memory() override { return &mem_; }
  // Gives this memtile's neighbour-capable channels access to `neighbour`'s memory as region
  // West or East (called by ArrayTop once all tiles exist).
  void connect_neighbour(isa::MemRegion side, MemTile& neighbour);

 private:
  Memory mem_;
  MemtileBus bus_;
  uint32_t bus_channels_ = 0;  // channels bound to bus_.target
};

}  // namespace saie::hw
