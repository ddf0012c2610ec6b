// summary.h — the result of one simulation run, as written to summary.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "traces/trace.h"

namespace saie::traces {

struct PhaseSummary {
  std::string name;
  uint32_t layer = 0;
  uint64_t cycles = 0;          // summed over all inferences of the run
  uint64_t core_busy_cycles = 0;  // summed over cores and inferences (compute ops only)
  uint64_t dense_macs = 0, actual_macs = 0;  // per inference
  // Stall cycles by cause, summed over agents (cores, DMA channels) and inferences:
  // waiting for a lock, for stream data (S2MM), for output space (MM2S backpressure).
  uint64_t stall_lock_cycles = 0, stall_data_cycles = 0, stall_space_cycles = 0;
  // Cycles the array waited for its reconfiguration before this phase (control writes that did
  // not overlap the phase before, plus the flat per-phase setup), summed over inferences.
  uint64_t reconfig_cycles = 0;
  uint64_t memtile_bytes = 0;  // memtile memory this phase's BDs address (highest byte + 1)
};

struct RunSummary {
  std::string program;          // program name
  std::string config;           // config name
  double clock_hz = 1e9;
  uint32_t inferences = 0;
  uint64_t total_cycles = 0;
  uint64_t cycles_per_inference = 0;      // total_cycles / inferences
  uint64_t core_compute_cycles = 0;       // summed over cores, all inferences
  uint32_t cores = 0;                     // compute tiles of the array (0: unknown, summary.json derives it)
  double core_utilisation = 0;            // core_compute_cycles / (cores * total_cycles)
  uint64_t bytes_ddr_to_mem = 0, bytes_mem_to_ddr = 0;    // all inferences
  uint64_t bytes_mem_to_core = 0, bytes_core_to_mem = 0;
  uint64_t stall_lock_cycles = 0, stall_data_cycles = 0, stall_space_cycles = 0;  // sums over phases
  uint64_t reconfig_cycles = 0;  // sum over phases (PhaseSummary::reconfig_cycles)
  // Memory footprint of the program: one past the highest byte any BD or compute operand
  // addresses in a memtile (own memory) / a core's data memory, over all phases and tiles.
  uint64_t memtile_bytes_peak = 0, core_bytes_peak = 0;
  std::string fidelity = "lt";            // "lt" or "beat" (SimOptions::fidelity)
  bool timing_only = false;               // arithmetic skipped (outputs not computed)
  std::vector<PhaseSummary> phases;
  // Optional: filled by the driver when it compares against the reference executor.
  int bit_exact = -1;                     // -1 unknown, else number of bit-exact outputs
  int compared = 0;
  bool deadlock = false;
  std::string deadlock_report;
};

}  // namespace saie::traces
