// core_tile.cpp — wiring of a compute tile.
#include "hw/tile/core_tile.h"

namespace saie::hw {

CoreTile::CoreTile(sc_core::sc_module_name name, isa::TileId id, SimContext& ctx)
    : TileBase(name, id, ctx.cfg.core.dma, ctx),
      mem_("mem", ctx.cfg.core.data_memory_bytes, ctx.cfg.stream.bytes_per_cycle, ctx),
      core_("core", id, locks_, ctx) {
  core_.socket.bind(mem_.socket);
  if (ctx.bank_conflicts) {
    mem_.enable_banks(kCoreMemoryBanks);
    core_.set_bank_memory(&mem_);
  }
  create_channels(mem_.socket);
}

}  // namespace saie::hw
