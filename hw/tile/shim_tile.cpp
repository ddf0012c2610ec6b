// shim_tile.cpp — wiring of a shim tile to DDR.
#include "hw/tile/shim_tile.h"

namespace saie::hw {

ShimTile::ShimTile(sc_core::sc_module_name name, isa::TileId id, DdrModel& ddr, SimContext& ctx)
    : TileBase(name, id, ctx.cfg.shim.dma, ctx) {
  create_channels(ddr.socket);
}

}  // namespace saie::hw
