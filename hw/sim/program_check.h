// program_check.h — static validation of a Program against an ArrayConfig before simulation (plain C++).
//
// check_program rejects a program that asks for more than the array has or points outside a
// memory, with a one-line ProgramError naming the phase, the tile and the resource, e.g.
//   "program check: phase 1 'conv2': tile(0,2) BD 3: next_bd 17 is not a BD of this tile"
// What is checked (per phase unless noted):
//   program   columns/core_rows/mem_rows equal the config's (mem_rows 1 or 2); ddr_bytes_needed,
//             every ddr_init segment and the input/output ports (incl. pitches) inside DDR
//             (ddr.size_bytes); port pitches consistent (pitch_c >= c, row_pitch >= w*pitch_c).
//   tiles     col < columns; row 0 shim, 1..mem_rows memtiles, mem_rows+1..mem_rows+core_rows cores.
//   locks     lock id < the tile's lock count; init value <= 63.
//   BDs       id < BD count; no duplicate id in a tile; next_bd -1 or a BD of the same tile;
//             acq/rel lock -1 or < lock count; ndims 1..4 (memtile) / 1..3 (core, shim); every
//             used dim size >= 1; iter_count >= 1; the lowest and highest byte touched over all
//             dims and repetitions (strides may be negative) inside the tile's memory
//             (core.data_memory_bytes / memtile.memory_bytes / ddr.size_bytes).
//   routes    source MM2S channel and destination S2MM channels exist; at least one destination;
//             an MM2S source feeds at most one route and an S2MM endpoint appears at most once.
//   tasks     channel exists for its direction; start_bd is a BD of the tile; one task per
//             channel; every task's channel has a route (MM2S as a source, S2MM as a destination).
//   cores     only on core tiles, one program per tile; acquire/release lock < lock count and
//             value <= 63; compute-op arguments consistent (kernels.h conv_args_error /
//             pool_args_error) and their operands inside data memory (conv: input, output,
//             weight header up to row_ptr, requant records; pools: input, output; add: a, b, out).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::hw {

struct ProgramError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How much of each memory the program addresses: one past the highest byte any BD or compute
// operand touches, over all phases and tiles (memtile: its own memory, not its neighbours').
struct MemoryFootprint {
  uint64_t memtile_bytes = 0;
  uint64_t core_bytes = 0;
  std::vector<uint64_t> phase_memtile_bytes;  // the memtile footprint of each phase alone
};

// Throws ProgramError on the first violation (phases in order, then records in program order);
// returns the program's memory footprint.
MemoryFootprint check_program(const isa::Program& prog, const config::ArrayConfig& cfg);

// "tile(col,row)", e.g. "tile(1,2)".
std::string describe(const isa::TileId& t);

}  // namespace saie::hw
