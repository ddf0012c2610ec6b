// reconfig.h — what reconfiguring the array between two phases writes, and what it costs.
//
// A phase's configuration is written into the tiles' registers by control writes (control
// packets): each buffer descriptor one block write of its register words, each lock whose value
// must change, each stream-switch connection that is not already in place, each DMA task start and
// each core's program pointer one 32-bit write. Only what changes is written: a BD slot already
// holding the same descriptor, a connection already made, a lock already at its start value, a lock
// the phase does not use cost nothing (the state persists in the hardware; the simulator's functional model still starts every
// phase from clean state, which gives the same results).
//
// Writes to resources the running phase does not use (BD slots, locks, stream ports, idle cores)
// are "early": the controller issues them while that phase runs. The rest are "late": they wait
// for the running phase to finish. Task starts are always late (they start the phase). Writes go
// down control.write_paths paths in parallel (column c on path c % paths; 0: one per column).
//
// Costs (control.*): a 32-bit write write32_cycles, a block write of n words
// blockwrite_base_cycles + n * blockwrite_cycles_per_word. Register words per BD: 6 in a compute
// tile, 8 in a memtile and a shim tile (AMD aie-rt, xaie_dma_aieml.c: XAIEML_TILEDMA_NUM_BD_WORDS,
// XAIEML_MEMTILEDMA_NUM_BD_WORDS, XAIEML_SHIMDMA_NUM_BD_WORDS). A circuit connection writes one
// slave-port and one master-port register in every switch on its path, each switch once per route
// however many of its destinations pass it (simplifications: paths go along the source's row to
// the destination's column, then along that column, add_path; a connection whose destination port
// still listens to the same source is taken as intact, whatever other routes crossed the switches
// between).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::isa {

// Two BDs program the same registers (every field but the slot id).
bool same_bd_registers(const BufferDescriptor& a, const BufferDescriptor& b);

// Adds the switches a connection from a to b crosses (a's row to b's column, then b's column).
void add_path(std::set<TileId>& switches, TileId a, TileId b);

// Register words of one BD in a tile of kind k.
uint32_t bd_register_words(TileKind k);

// The writes configuring one phase, per write path.
struct PhaseWrites {
  std::vector<uint64_t> early_cycles, late_cycles;  // per path
  uint64_t bd_writes = 0, lock_writes = 0, route_writes = 0, task_writes = 0, core_writes = 0;
  uint64_t words = 0;        // 32-bit register words written
  uint64_t early_words = 0;  // of which while the running phase runs
  uint64_t writes() const { return bd_writes + lock_writes + route_writes + task_writes + core_writes; }
};

// The array's configuration as the registers hold it (BD slots and stream connections); starts
// from reset (nothing configured).
class ReconfigState {
 public:
  explicit ReconfigState(const config::ArrayConfig& cfg);
  // Number of write paths (control.write_paths, 0 meaning one per column).
  uint32_t paths() const { return paths_; }
  // The writes that configure `next` while `running` (nullptr: nothing runs) executes.
  // lock_value(tile, id): the lock's value now (the running phase's end value).
  PhaseWrites plan(const Phase& next, const Phase* running, const std::function<int(TileId, int)>& lock_value) const;
  // Records `next` as configured (call after plan).
  void commit(const Phase& next);
  // The time the controller waits between `running`'s end and `next`'s start: per path, the early
  // writes began when `running` started executing (running_cycles ago; from now when nothing ran),
  // then the late writes; the slowest path decides.
  static uint64_t wait_cycles(const PhaseWrites& w, uint64_t running_cycles, bool something_ran);

 private:
  const config::ArrayConfig& cfg_;
  uint32_t paths_ = 1;
  std::map<std::pair<TileId, uint16_t>, BufferDescriptor> bds_;
  std::map<std::tuple<TileId, uint8_t>, std::tuple<TileId, uint8_t>> routes_;  // dst S2MM -> src MM2S
};

}  // namespace saie::isa
