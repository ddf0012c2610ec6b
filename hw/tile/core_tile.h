// core_tile.h — compute tile: core + 64 KiB data memory + locks + 2+2 DMA channels.
#pragma once

#include <memory>
#include <vector>

#include "hw/tile/tile_base.h"

namespace saie::hw {

class CoreTile : public TileBase {
 public:
  CoreTile(sc_core::sc_module_name name, isa::TileId id, SimContext& ctx);
  ~CoreTile() override;
  CoreModel* core() override { return &core_; }
  Memory* memory() override { return &mem_; }

 private:
  Memory mem_;
  CoreModel core_;
};

}  // namespace saie::hw
