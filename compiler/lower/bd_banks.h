// bd_banks.h — BD slots chosen so that the next phase's BDs can be written while this one runs.
#pragma once

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::lower {

// The lowering numbers every tile's BDs of a phase from 0. Reconfiguring the array writes only
// BDs that change, and a BD slot the running phase does not use can be written while it runs
// (hw/isa/reconfig.h). This pass renumbers, tile by tile, the BDs of each phase whose slots
// [0, n) would overlap the slots the phase before uses on that tile: they move to the top of the
// tile's BDs, [count - n, count), when that range is free of the phase before's (else they stay).
// A tile whose BDs equal the phase before's, slot for slot, stays too (nothing to write). Chains
// (next_bd) and task starts move with their BDs. Deterministic; no other field changes.
void alternate_bd_banks(isa::Program& prog, const config::ArrayConfig& cfg);

}  // namespace saie::lower
