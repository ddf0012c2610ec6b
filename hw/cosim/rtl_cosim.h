// rtl_cosim.h — what an RTL co-simulation run is asked to do and what it reports (plain C++).
//
// `sparseaie simulate --rtl mac[,lock] --rtl-tiles C_R,...` swaps model blocks of chosen compute
// tiles for their Verilated RTL (hw/rtl): the core's conv ops run their int8 MACs through
// block_mac.v (hw/cosim/mac_transactor.h) and the tile's locks live in lock_unit.sv
// (hw/cosim/lock_transactor.h). docs/rtl.md explains both transactors and the report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::hw {

struct RtlOptions {
  bool mac = false;                 // conv ops of the chosen tiles through the RTL block-MAC
  bool lock = false;                // the chosen tiles' locks are the RTL lock unit
  bool stream = false;              // the chosen tiles' S2MM stream inputs are the RTL stream port (fidelity beat)
  std::vector<isa::TileId> tiles;   // compute tiles; empty = every compute tile
  bool broken = false;              // use the deliberately broken variants (to see the checks catch them)
  uint32_t acc_drain_cycles = 0;    // MAC sink: out_ready low this many cycles after each accumulator taken
  bool waves = false;               // record the RTL pins as trace signals (waves.vcd)
  bool enabled() const { return mac || lock || stream; }
  bool covers(isa::TileId t) const {
    if (tiles.empty()) return true;
    for (const auto& x : tiles)
      if (x.col == t.col && x.row == t.row) return true;
    return false;
  }
};

// One conv op of one RTL tile (the first inference; later inferences must take the same cycles,
// `count` says how many executions were folded in and `varying` whether any differed).
struct RtlOpRecord {
  uint32_t phase = 0;
  isa::TileId tile;
  uint32_t op = 0;               // index in the tile's core program
  std::string label;
  uint64_t stored_blocks = 0;
  uint64_t steps = 0;            // RTL beats: stored blocks x taps x ceil(pixels / 4)
  uint64_t results = 0;          // 4x8 accumulators taken from the RTL
  uint64_t model_cycles = 0;     // the cost table's cycles for the whole op
  uint64_t model_mac_cycles = 0; // of which the MAC term: stored blocks x (ceil(P/ppc) x taps + block overhead)
  uint64_t rtl_mac_cycles = 0;   // clock edges from the first step offered to the last result taken
  uint64_t rtl_op_cycles = 0;    // what the core took: model_cycles - model_mac_cycles + rtl_mac_cycles
  uint32_t count = 0;
  bool varying = false;
};

// The lock unit of one RTL tile.
struct RtlLockRecord {
  isa::TileId tile;
  uint64_t requests = 0, acquires = 0, releases = 0;
  uint64_t edges = 0;              // RTL clock edges driven (idle cycles are not clocked: no state changes)
  uint64_t grant_latency = 0;      // sum over requests of cycles from request to grant
  uint64_t waited_requests = 0;    // acquires not granted in their first cycle
  uint64_t port_conflicts = 0;     // cycles a request waited only because another held its port
};

// The stream input port of one S2MM channel of an RTL tile.
struct RtlStreamRecord {
  std::string channel;             // "tile(0,2).dma.s2mm_0"
  uint64_t beats = 0;              // beats through the port
  uint64_t edges = 0;              // RTL clock edges driven
  uint64_t backpressure_cycles = 0;  // cycles an arrived beat waited because the port was full
  uint64_t max_occupancy = 0;      // beats
};

struct RtlReport {
  std::vector<RtlOpRecord> ops;
  std::vector<RtlLockRecord> locks;
  std::vector<RtlStreamRecord> streams;
  uint64_t mac_edges = 0;  // RTL MAC clock edges over the run
  double rtl_wall_s = 0;   // host seconds spent inside the Verilated models
};

// "1_2" -> {1, 2}; throws std::invalid_argument with a one-line reason.
isa::TileId parse_rtl_tile(const std::string& s);
// "" when every tile in opt.tiles is a compute tile of cfg, else a one-line reason.
std::string rtl_tiles_error(const RtlOptions& opt, const config::ArrayConfig& cfg);

}  // namespace saie::hw
