// trace.h — what the hardware models report: slices, counters and statistics (plain C++).
//
// Models never open files (docs/conventions): they append to a TraceRecorder; the sinks in
// traces/sinks.h turn a finished recording into trace.json, bandwidth.csv, waves.vcd and
// summary.json. Times are in array clock cycles.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace saie::traces {

// A span of activity on one track. Track names read like the hardware, '.'-separated:
//   "array.tile_0_2.core", "array.tile_0_1.dma.mm2s_0", "array.tile_1_0.dma.s2mm_1"
// The first two components name the tile (one Perfetto process per tile), the rest the
// track (one Perfetto thread per core / DMA channel).
struct Slice {
  std::string track;
  std::string name;       // e.g. "conv conv2 band 3", "bd 1 rep 4"
  std::string category;   // "compute", "dma", "lock", "control"
  uint64_t begin = 0;     // cycles
  uint64_t end = 0;       // cycles, >= begin
  uint64_t bytes = 0;     // bytes moved (DMA slices), 0 otherwise
  uint32_t phase = 0;     // index of the program phase
};

// A value that changes over time (lock value, FIFO occupancy in bytes, BD id, busy flag).
// Track names as for slices plus the signal, e.g. "array.tile_0_2.lock.3",
// "array.tile_0_1.dma.mm2s_0.busy", "array.stream.tile_0_1.mm2s_0.fifo".
struct CounterSample {
  std::string track;
  uint64_t cycle = 0;
  int64_t value = 0;
};

// A named statistic: "<hierarchical path>.<stat>" with a unit and a description.
struct Stat {
  double value = 0;
  std::string unit;
  std::string description;
};

class TraceRecorder {
 public:
  void add_slice(Slice s) { slices_.push_back(std::move(s)); }
  void add_counter(std::string track, uint64_t cycle, int64_t value) {
    counters_.push_back({std::move(track), cycle, value});
  }
  // Adds to the statistic (creating it with unit/description on first use).
  void add_stat(const std::string& name, double delta, const std::string& unit, const std::string& description) {
    auto& s = stats_[name];
    if (s.unit.empty()) { s.unit = unit; s.description = description; }
    s.value += delta;
  }
  // The value slot of a statistic (created with unit/description on first use); stays valid for
  // the recorder's lifetime, so hot paths can add to it without a lookup.
  double& stat_slot(const std::string& name, const std::string& unit, const std::string& description) {
    auto& s = stats_[name];
    if (s.unit.empty()) { s.unit = unit; s.description = description; }
    return s.value;
  }
  void set_stat(const std::string& name, double value, const std::string& unit, const std::string& description) {
    stats_[name] = Stat{value, unit, description};
  }
  // A counter track holding a 1-bit signal (an RTL pin): waves.vcd declares it a wire, not an
  // integer. Other counters are 32-bit integers.
  void mark_wire(const std::string& track) { wires_.insert(track); }
  bool is_wire(const std::string& track) const { return wires_.count(track) != 0; }
  const std::vector<Slice>& slices() const { return slices_; }
  const std::vector<CounterSample>& counters() const { return counters_; }
  const std::map<std::string, Stat>& stats() const { return stats_; }
  // Slices and counters are only kept when enabled (stats always are).
  bool record_events = true;

 private:
  std::vector<Slice> slices_;
  std::vector<CounterSample> counters_;
  std::map<std::string, Stat> stats_;
  std::set<std::string> wires_;
};

}  // namespace saie::traces
