// mem_tile.cpp — wiring of a memtile.
#include "hw/tile/mem_tile.h"

namespace saie::hw {

MemTile::MemTile(sc_core::sc_module_name name, isa::TileId id, SimContext& ctx)
    : TileBase(name, id, ctx.cfg.memtile.dma, ctx),
      mem_("mem", ctx.cfg.memtile.memory_bytes, ctx.cfg.stream.bytes_per_cycle, ctx) {
  create_channels(mem_.socket);
}

}  // namespace saie::hw
