// core_tile.cpp — wiring of a compute tile.
#include "hw/tile/core_tile.h"

#include "hw/cosim/lock_transactor.h"
#include "hw/cosim/mac_transactor.h"
#include "hw/cosim/stream_transactor.h"

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
  // Co-simulation: this tile's block-MAC and/or lock unit as Verilated RTL.
  if (ctx.rtl && ctx.rtl_report && ctx.rtl->covers(id)) {
    if (ctx.rtl->mac) core_.attach_mac(std::make_unique<MacTransactor>(id, ctx, *ctx.rtl, *ctx.rtl_report));
    if (ctx.rtl->lock) {
      // simulate() reserved one record per compute tile, so this reference stays valid.
      ctx.rtl_report->locks.emplace_back();
      rtl_lock_ = std::make_unique<LockTransactor>("rtl_lock", id, ctx.cfg.core.dma.locks, ctx, *ctx.rtl,
                                                   ctx.rtl_report->locks.back());
      locks_.attach_rtl(rtl_lock_.get());
    }
    if (ctx.rtl->stream) {
      for (uint32_t k = 0; k < channel_count(isa::DmaDir::S2MM); ++k) {
        DmaChannel* ch = channel(isa::DmaDir::S2MM, static_cast<int>(k));
        ctx.rtl_report->streams.emplace_back();  // reserved by simulate(): references stay valid
        const std::string name = "rtl_port_s2mm_" + std::to_string(k);
        rtl_ports_.push_back(std::make_unique<StreamPortTransactor>(
            name.c_str(), ch->label(), track_prefix(id) + "." + name, ctx, *ctx.rtl, ctx.rtl_report->streams.back()));
        ch->fifo().attach_rtl(rtl_ports_.back().get());
      }
    }
  }
}

CoreTile::~CoreTile() = default;

}  // namespace saie::hw
