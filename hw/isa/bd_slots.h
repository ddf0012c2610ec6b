// bd_slots.h — BD slots: the hardware's per-channel ranges, and slots chosen so that the next
// phase's BDs can be written while this one runs.
#pragma once

#include <cstdint>
#include <utility>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::isa {

// A program transformation shared by the compiler (after lowering, which numbers every tile's BDs
// of a phase from 0) and hand-built test programs. It gives the BDs their slots:
//   - a memtile's channels 0, 2, 4 (either direction) reach only BDs [0, bds/2), channels 1, 3, 5
//     only [bds/2, bds) (AM020 / the Vitis "Buffer Descriptors overview": 48 BDs, channels 0/2/4
//     use 0-23, 1/3/5 use 24-47), so a memtile's BDs go to the range of the channel whose task
//     chain reaches them; compute and shim tiles have one range (all their BDs);
//   - within its range a tile's BDs of one phase sit either at the bottom or at the top, whichever
//     clashes least with the slots the phase before used for other descriptors on that tile:
//     reconfiguring writes only BDs that change, and a slot the running phase does not use can be
//     written while it runs (hw/isa/reconfig.h). Ties go to the one that rewrites fewer BDs, then
//     to the bottom.
// A memtile whose chains need more BDs of one range than it holds gets its channels renumbered
// first (which channels are even; tasks and routes follow; channels reaching neighbour memtiles
// stay below 4). Chains (next_bd) and task starts move with their BDs. Deterministic.
// Throws std::runtime_error when a range cannot hold the BDs given to it.
void assign_bd_slots(Program& prog, const config::ArrayConfig& cfg);

}  // namespace saie::isa
