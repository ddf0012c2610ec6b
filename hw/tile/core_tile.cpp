// core_tile.cpp — wiring of a compute tile.
#include "hw/tile/core_tile.h"

#include "hw/sim/backends.h"

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
  // Blocks the simulation swaps for other implementations (co-simulation with RTL: hw/cosim).
  if (ctx.backends) {
    if (auto c = ctx.backends->compute(id)) core_.set_compute(std::move(c));
    if (auto l = ctx.backends->locks(id, ctx.cfg.core.dma.locks)) locks_.set_backend(std::move(l));
    for (uint32_t k = 0; k < channel_count(isa::DmaDir::S2MM); ++k) {
      DmaChannel* ch = channel(isa::DmaDir::S2MM, static_cast<int>(k));
      if (auto p = ctx.backends->stream_port(id, k, ch->label())) ch->fifo().set_backend(std::move(p));
    }
  }
}

CoreTile::~CoreTile() = default;

}  // namespace saie::hw
