// tile_base.h — what every tile has: locks, a BD table and MM2S/S2MM DMA channels.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "hw/core/core_model.h"
#include "hw/dma/dma_channel.h"
#include "hw/lock/lock_unit.h"
#include "hw/mem/memory.h"
#include "hw/sim/sim_context.h"

namespace saie::hw {

class TileBase : public sc_core::sc_module {
 public:
  TileBase(sc_core::sc_module_name name, isa::TileId id, const config::DmaResources& res, SimContext& ctx);

  isa::TileId id() const { return id_; }
  LockUnit& locks() { return locks_; }
  BdTable& bds() { return bds_; }
  // nullptr when the channel does not exist.
  DmaChannel* channel(isa::DmaDir dir, int index);
  uint32_t channel_count(isa::DmaDir dir) const {
    return static_cast<uint32_t>(dir == isa::DmaDir::MM2S ? mm2s_.size() : s2mm_.size());
  }
  virtual CoreModel* core() { return nullptr; }
  virtual Memory* memory() { return nullptr; }  // shim: none (its channels address DDR)

  // Phase start: locks to 0, BD table emptied, channels and core idle with no work.
  void clear_phase();
  // Starts every channel (and the core) that was given work; returns how many were started.
  uint32_t start_all();
  // One line per agent that is started but not finished (deadlock report).
  void append_blocked(std::vector<std::string>& out) const;

 protected:
  // Called by the derived constructor once the memory the channels address exists.
  void create_channels(tlm_utils::multi_passthrough_target_socket<Memory>& target);
  // Same, with the socket chosen per channel: bind(channel, dir, index) binds channel.socket.
  using ChannelBinder = std::function<void(DmaChannel&, isa::DmaDir, uint32_t)>;
  void create_channels(const ChannelBinder& bind);

  isa::TileId id_;
  config::DmaResources res_;
  SimContext& ctx_;
  LockUnit locks_;
  BdTable bds_;
  std::vector<std::unique_ptr<DmaChannel>> mm2s_, s2mm_;
};

}  // namespace saie::hw
