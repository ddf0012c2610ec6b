// estimate.h — the paper's analytical time model (arXiv 2407.09453 §4.6) evaluated over OUR
// schedule, so estimate and simulation can be compared.
//
// The compiler describes every phase it emits (one layer, or one piece of a layer) as a
// PhaseTraffic: the bytes each paper instruction moves and the ops each core computes. The
// estimator turns those into times with the paper's rules:
//   - DDR -> memtile: LOAD (activations) and LOADW (weights) each on one DDR channel at the
//     config's ddr.read bandwidth, in parallel with each other and across columns;
//   - memtile -> DDR: WRITE at ddr.write bandwidth;
//   - memtile <-> core: LOADFM / LOADWM / WRITEFM at stream bandwidth, per channel;
//   - COMP: ops / (macs_per_cycle x clock) per core (pools and adds at the same peak rate);
//   - LOADWM is blocking; with 1 iteration load/compute/store are sequential, with i > 1
//     iterations the body costs (i-1) x max(LOADFM, COMP, WRITEFM) after a sequential head;
//   - DDR traffic of a phase is not overlapped with its compute; phases run one after another.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/config/array_config.h"

namespace saie::estimate {

// What one phase moves and computes. "Per column" values are for the busiest column; "per
// core" values for the busiest core (the compiler makes work symmetric, so busiest ~ typical).
struct PhaseTraffic {
  std::string name;                // phase name, e.g. "layer1.0.conv2" or "conv5 [oc 0-255, rows 0-13]"
  std::string op;                  // "conv", "fc", "maxpool", "avgpool", "add", "concat", "copy"
  uint32_t columns = 0;            // working columns
  uint32_t cores_per_column = 0;   // working cores per column (0: no core work, e.g. a DDR copy)
  uint64_t load_bytes = 0;         // LOAD: DDR -> memtile activation bytes, busiest column (0 if resident)
  uint64_t loadw_bytes = 0;        // LOADW: DDR -> memtile weight bytes (add: operand B), busiest column
  uint64_t loadwm_bytes = 0;       // LOADWM: memtile -> core weight bytes, busiest core
  uint32_t iterations = 1;         // bands streamed through the cores (the paper's iteration count)
  uint64_t loadfm_bytes = 0;       // LOADFM: memtile -> core activation bytes per iteration, busiest column
  uint64_t loadfm_b_bytes = 0;     // add: operand B memtile -> core bytes per iteration (own channel)
  uint64_t comp_ops = 0;           // COMP: MACs (conv/fc, stored blocks only) or element ops
                                   // (pool: outputs x window, add: outputs) per iteration, busiest core
  uint64_t writefm_bytes = 0;      // WRITEFM: core -> memtile bytes per iteration, busiest core
  uint64_t write_bytes = 0;        // WRITE: memtile -> DDR bytes, busiest column (0 if kept on chip)
};

// Times in seconds, per phase.
struct PhaseEstimate {
  std::string name, op;
  uint32_t iterations = 1;  // the phase's iteration count as evaluated (a PhaseTraffic value of 0 counts as 1)
  double load = 0, loadw = 0, loadwm = 0, loadfm = 0, comp = 0, writefm = 0, write = 0;  // per occurrence
  double comp_total = 0;  // comp x iterations (compute term, for "compute-bound" comparisons)
  double total = 0;       // the phase time under the rules above
};

struct Estimate {
  std::vector<PhaseEstimate> phases;
  double total = 0;        // sum of phase totals
  double comp_total = 0;   // sum of compute terms
  double ddr_total = 0;    // sum of LOAD/LOADW/WRITE terms
};

// Evaluates the model. Bandwidths and the MAC rate come from cfg (ddr.read/write, stream,
// core.costs.macs_per_cycle, clock). mute_compute = true sets every COMP term to 0 (the
// paper's "communication only" mode).
// Throws std::invalid_argument (one line) if the clock, a bandwidth or the MAC rate is not > 0.
Estimate estimate(const std::vector<PhaseTraffic>& phases, const config::ArrayConfig& cfg, bool mute_compute = false);

// Human-readable table: one line per phase (name, op, iterations, LOAD, LOADW, LOADWM, LOADFM,
// COMP, WRITEFM, WRITE in microseconds per occurrence — LOADFM/COMP/WRITEFM per iteration — and
// the phase total), then the totals in milliseconds. Deterministic.
std::string format_table(const Estimate& e);

// The same data as JSON text (times in microseconds, keys "*_us"): {"config", "dense",
// "mute_compute", "units", "phases": [...], "totals": {...}}. See docs/estimate.md.
std::string to_json(const Estimate& e, const std::string& config_name, bool dense, bool mute_compute);

}  // namespace saie::estimate
