// phase_builder.h — small helper that appends BDs (with per-tile BD ids), tasks, routes and
// lock initial values to an isa::Phase, so lowering code reads like the data flow it builds.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <vector>

#include "hw/isa/program.h"

namespace saie::lower {

// A BD over `dims` (innermost first, {size, stride}; dims[0] counts bytes with stride 1).
// Adjacent dimensions that are contiguous are merged, so contiguous transfers become 1-D.
isa::BufferDescriptor make_bd(uint64_t addr, std::initializer_list<isa::DmaDim> dims);

class PhaseBuilder {
 public:
  explicit PhaseBuilder(isa::Phase& phase) : phase_(phase) {}

  // Next free BD id on tile t (ids are handed out in order, from 0).
  uint16_t next_bd_id(isa::TileId t) const;
  // Appends bd to tile t with the next free id and returns that id.
  uint16_t add_bd(isa::TileId t, isa::BufferDescriptor bd);
  void add_task(isa::TileId t, isa::DmaDir dir, uint8_t channel, uint16_t start_bd, uint32_t bd_executions);
  void add_route(isa::StreamEndpoint src, std::vector<isa::StreamEndpoint> dsts);
  void add_lock(isa::TileId t, uint8_t lock, uint8_t value);
  isa::CoreProgram& core_program(isa::TileId t);

 private:
  isa::TileBds& tile_bds(isa::TileId t);
  isa::Phase& phase_;
};

}  // namespace saie::lower
