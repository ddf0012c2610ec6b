// mem_tile.cpp — wiring of a memtile (channels 0..3 through the neighbour bus).
#include "hw/tile/mem_tile.h"

namespace saie::hw {

MemTile::MemTile(sc_core::sc_module_name name, isa::TileId id, SimContext& ctx)
    : TileBase(name, id, ctx.cfg.memtile.dma, ctx),
      mem_("mem", ctx.cfg.memtile.memory_bytes, ctx.cfg.stream.bytes_per_cycle, ctx),
      bus_("bus", ctx.cfg.memtile.memory_bytes) {
  create_channels([this](DmaChannel& c, isa::DmaDir, uint32_t index) {
    if (index < isa::kMemtileNeighbourChannels) {
      c.socket.bind(bus_.target);
      ++bus_channels_;
    } else {
      c.socket.bind(mem_.socket);
    }
  });
  bus_.bind_region(isa::MemRegion::Own, mem_, bus_channels_);
}

void MemTile::connect_neighbour(isa::MemRegion side, MemTile& neighbour) {
  bus_.bind_region(side, neighbour.mem_, bus_channels_);
}

}  // namespace saie::hw
