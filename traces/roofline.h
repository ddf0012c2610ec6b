// roofline.h — the per-layer roofline of a compiled network (docs/roofline.md): for every layer
// the floor in cycles that compute, DDR and core ingress put under any schedule of it on the
// array, and the whole network's floor. `sparseaie compile` writes it as roofline.json next to
// program.bin (compiler/estimate/roofline.h computes it), `simulate` copies it into its output
// folder, and `estimate --roofline`, `report`, `sweep` and scripts/paper-table2 read it
// (traces/readers.h read_roofline) and set simulated cycles beside the floors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "traces/summary.h"

namespace saie::traces {

inline constexpr const char* kRooflineFormat = "sparseaie-roofline";
inline constexpr int kRooflineVersion = 1;

// What binds a floor: the largest of the three terms.
enum class Bound { Compute, Ddr, Ingress };
const char* bound_name(Bound b);             // "compute", "ddr", "ingress"
Bound bound_from_name(const std::string& s);  // throws std::invalid_argument

// The array's rates the floors divide by (bytes or MACs per cycle, summed over the array).
struct RooflineRates {
  uint32_t compute_tiles = 0;       // columns x core rows
  double macs_per_cycle = 0;        // core.costs.macs_per_cycle x compute_tiles
  double ddr_read_per_cycle = 0;    // columns x shim MM2S channels x ddr.read_bandwidth
  double ddr_write_per_cycle = 0;   // columns x shim S2MM channels x ddr.write_bandwidth
  double ddr_total_per_cycle = 0;   // ddr.total_bandwidth (caps reads + writes)
  double ingress_per_cycle = 0;     // compute_tiles x core S2MM channels x stream bandwidth
};

struct RooflineLayer {
  uint32_t layer = 0;        // node index in the compiled graph (summary.json phases[].layer)
  std::string name, op;
  uint64_t stored_macs = 0;  // out pixels x stored 8x8 blocks x 64 x kh x kw (0: pools, adds)
  uint64_t weight_bytes = 0; // stored blocks x 64 x kh x kw (the int8 payload)
  uint64_t input_bytes = 0;  // input activation bytes the layer's windows touch (all inputs)
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;  // weights (+ network input) / network output
  uint64_t ingress_bytes = 0;    // min over splits of split_c x input + split_p x weights
  uint32_t split_c = 1, split_p = 1;  // the split that gives it: channel groups x pixel groups
  double compute_cycles = 0, ddr_cycles = 0, ingress_cycles = 0;
  double floor_cycles = 0;   // max of the three
  Bound bound = Bound::Compute;
  int64_t simulated_cycles = -1;  // per inference, summed over the layer's phases (-1: not known)
};

struct Roofline {
  std::string network, config;
  bool dense = false;
  double clock_hz = 1e9;
  RooflineRates rates;
  std::vector<RooflineLayer> layers;  // in program order
  // The network: each term summed over layers; the floor is the largest sum (everything can
  // overlap in the limit).
  double compute_cycles = 0, ddr_cycles = 0, ingress_cycles = 0, floor_cycles = 0;
  Bound bound = Bound::Compute;
  int64_t simulated_cycles = -1;  // per inference (-1: not known)

  // Sets every term's max and bound (layers and network) from the cycle terms.
  void finish();
};

// Sets simulated cycles per layer (phases summed by layer index, per inference) and for the whole
// network from a run's summary. Throws std::runtime_error when the run is of another network.
void attach_simulated(Roofline& r, const RunSummary& s);

// The roofline.json text (readers.h parse_roofline reads it back exactly).
std::string roofline_json(const Roofline& r);

// Human-readable table: one line per layer (floors, bound, simulated, ratio), then the network.
std::string format_roofline(const Roofline& r);

}  // namespace saie::traces
