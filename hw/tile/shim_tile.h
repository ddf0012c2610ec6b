// shim_tile.h — array-interface tile: locks + 2+2 DMA channels addressing the shared DDR.
#pragma once

#include "hw/ddr/ddr_model.h"
#include "hw/tile/tile_base.h"

namespace saie::hw {

class ShimTile : public TileBase {
 public:
  ShimTile(sc_core::sc_module_name name, isa::TileId id, DdrModel& ddr, SimContext& ctx);
};

}  // namespace saie::hw
