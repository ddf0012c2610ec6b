// phase_builder.cpp — see phase_builder.h.
#include "compiler/lower/phase_builder.h"

namespace saie::lower {

isa::BufferDescriptor make_bd(uint64_t addr, std::initializer_list<isa::DmaDim> dims) {
  isa::BufferDescriptor bd;
  bd.addr = addr;
  std::vector<isa::DmaDim> out;
  for (const isa::DmaDim& d : dims) {
    if (!out.empty()) {
      isa::DmaDim& last = out.back();
      // Dimension d continues `last` contiguously (or is a single step): merge.
      if (d.size == 1) continue;
      if (int64_t{d.stride} == int64_t{last.stride} * last.size) {
        last.size *= d.size;
        continue;
      }
    }
    out.push_back(d);
  }
  if (out.empty()) out.push_back(isa::DmaDim{1, 1});
  bd.ndims = static_cast<uint8_t>(out.size());
  for (size_t i = 0; i < out.size() && i < bd.dims.size(); ++i) bd.dims[i] = out[i];
  return bd;
}

isa::TileBds& PhaseBuilder::tile_bds(isa::TileId t) {
  for (isa::TileBds& tb : phase_.bds)
    if (tb.tile == t) return tb;
  phase_.bds.push_back(isa::TileBds{t, {}});
  return phase_.bds.back();
}

uint16_t PhaseBuilder::next_bd_id(isa::TileId t) const {
  for (const isa::TileBds& tb : phase_.bds)
    if (tb.tile == t) return static_cast<uint16_t>(tb.bds.size());
  return 0;
}

uint16_t PhaseBuilder::add_bd(isa::TileId t, isa::BufferDescriptor bd) {
  isa::TileBds& tb = tile_bds(t);
  bd.id = static_cast<uint16_t>(tb.bds.size());
  tb.bds.push_back(bd);
  return bd.id;
}

void PhaseBuilder::add_task(isa::TileId t, isa::DmaDir dir, uint8_t channel, uint16_t start_bd,
                            uint32_t bd_executions) {
  isa::DmaTask task;
  task.tile = t;
  task.dir = dir;
  task.channel = channel;
  task.start_bd = start_bd;
  task.bd_executions = bd_executions;
  phase_.tasks.push_back(task);
}

void PhaseBuilder::add_route(isa::StreamEndpoint src, std::vector<isa::StreamEndpoint> dsts) {
  phase_.routes.push_back(isa::Route{src, std::move(dsts)});
}

void PhaseBuilder::add_lock(isa::TileId t, uint8_t lock, uint8_t value) {
  phase_.locks.push_back(isa::LockInit{t, lock, value});
}

isa::CoreProgram& PhaseBuilder::core_program(isa::TileId t) {
  for (isa::CoreProgram& cp : phase_.cores)
    if (cp.tile == t) return cp;
  phase_.cores.push_back(isa::CoreProgram{t, {}});
  return phase_.cores.back();
}

}  // namespace saie::lower
