// verify_program.h — the one program verifier (plain C++): every rule a Program must keep to run
// on an array described by an ArrayConfig. The compiler runs it on what it lowered; the simulator
// runs it before it builds the array. It throws at the first violation with one line naming the
// phase, the tile and the resource, e.g.
//   "program check: phase 1 'conv2': tile(0,2) BD 3: next_bd 17 is not a BD of this tile"
//
// What is checked (phases in order, then records in program order):
//   program   columns/core_rows/mem_rows equal the config's (mem_rows 1..kMaxMemRows);
//             ddr_bytes_needed inside DDR (ddr.size_bytes); every ddr_init segment and the
//             input/output ports (incl. pitches) inside the program's DDR (ddr_bytes_needed);
//             port pitches consistent (pitch_c >= c, row_pitch >= w*pitch_c).
//   tiles     col < columns; row 0 shim, 1..mem_rows memtiles, mem_rows+1.. cores.
//   locks     lock id < the tile's lock count; init value <= kMaxLockValue; one init per lock.
//   BDs       id < BD count; no duplicate id in a tile; next_bd -1 or a BD of the same tile;
//             acq/rel lock -1 or < lock count, values <= kMaxLockValue; ndims 1..4 (memtile) /
//             1..3 (core, shim); every used dim size >= 1; iter_count >= 1; zero padding only on
//             memtile BDs, dims 0..kMaxPaddedDims-1 below ndims; the lowest and highest byte touched
//             over all dims and repetitions (strides may be negative; 128-bit arithmetic) inside the
//             tile's memory (core data memory / memtile memory, or a neighbour's through the memtile
//             address map / the program's DDR for shim BDs).
//   routes    source MM2S channel and destination S2MM channels exist; at least one destination;
//             an MM2S source feeds at most one route and an S2MM endpoint appears at most once.
//   tasks     channel exists for its direction; start_bd is a BD of the tile; one task per
//             channel; every task's channel has a route (MM2S as a source, S2MM as a destination);
//             every BD of a task's chain in its channel's range (bd_range: a memtile's even
//             channels BDs 0..23, odd ones 24..47); S2MM channels run no padded BD; only memtile channels 0..kMemtileNeighbourChannels-1
//             address neighbour memtiles; every route's source task streams exactly as many bytes
//             as each destination task receives (else the phase could never finish).
//   cores     only on core tiles, one program per tile; acquire/release lock < lock count and
//             value <= kMaxLockValue; compute-op arguments consistent (op_args.h) and their operands
//             inside data memory (conv: input, output, weight header up to row_ptr, requant
//             records; pools: input, output; add: a, b, out); requant shifts in range.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::isa {

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

// The DMA resources (channels, BDs, locks) of a tile of kind k.
const config::DmaResources& dma_resources(const config::ArrayConfig& cfg, TileKind k);

// The BDs [first, last) DMA channel `channel` of a tile of kind k may run: a memtile's channels
// 0, 2, 4 (either direction) reach BDs [0, bds/2), channels 1, 3, 5 [bds/2, bds) (AM020 and the
// Vitis tutorial "Buffer Descriptors overview": of 48 BDs, channels 0/2/4 use 0-23, 1/3/5 use
// 24-47); compute and shim tiles' channels reach all their BDs.
std::pair<uint32_t, uint32_t> bd_range(const config::ArrayConfig& cfg, TileKind k, uint8_t channel);

// Throws ProgramError on the first violation; returns the program's memory footprint.
MemoryFootprint verify_program(const Program& prog, const config::ArrayConfig& cfg);

// Bytes a task streams: its BD chain followed for bd_executions BD executions or until
// next_bd = -1, whichever comes first (cyclic chains are summed per cycle, not walked). 0 when the
// chain names a BD the tile does not have in this phase.
uint64_t task_bytes(const Phase& ph, const DmaTask& t);

}  // namespace saie::isa
