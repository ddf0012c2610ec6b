// sim_context.h — state shared by every module of one simulation run: clock, recorder, phase, errors, totals.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"
#include "hw/isa/tile_names.h"
#include "traces/trace.h"

namespace saie::hw {

// Tile names ("tile_0_2" for modules and tracks, "tile(0,2)" for people): hw/isa/tile_names.h.
using isa::tile_label;
using isa::tile_name;
inline std::string track_prefix(isa::TileId t) { return "array." + tile_name(t); }

// What an agent (core or DMA channel) is waiting for; read by the deadlock report.
struct WaitState {
  enum class Kind { None, Lock, StreamData, StreamSpace, NoRoute };
  Kind kind = Kind::None;
  int op = -1;       // core op index
  int bd = -1;       // DMA BD id
  uint32_t rep = 0;  // DMA repetition
  int lock = -1;
  int value = 0;     // lock value needed
  uint64_t done_bytes = 0, total_bytes = 0;  // progress of the current repetition
  std::string peer;  // StreamSpace: the full destination
};

// How finely streams are timed (docs/timing-model.md "Fidelity modes").
//   Lt:   loosely timed, the default. While a receiving S2MM channel is inside a repetition with
//         an empty FIFO it is "armed": the sender moves bytes straight into its memory, as many
//         as both repetitions allow, in one transaction whose duration is computed (bytes / rate
//         + hop latency); only repetition boundaries, lock waits and backpressure synchronise.
//   Beat: every 32-bit stream beat goes through the bounded FIFO as its own timed transfer
//         (chunk = stream width), so arbitration and backpressure act per beat. Slow; the
//         reference the Lt mode is checked against.
enum class Fidelity { Lt, Beat };
inline const char* fidelity_name(Fidelity f) { return f == Fidelity::Lt ? "lt" : "beat"; }

class SimContext {
 public:
  SimContext(const config::ArrayConfig& config, traces::TraceRecorder& recorder, Fidelity fid = Fidelity::Lt,
             bool timing_only_mode = false)
      : cfg(config), rec(recorder), cycle(1.0 / config.clock_hz, sc_core::SC_SEC), fidelity(fid),
        timing_only(timing_only_mode) {}

  const config::ArrayConfig& cfg;
  traces::TraceRecorder& rec;
  sc_core::sc_time cycle;  // one array clock cycle
  Fidelity fidelity;
  bool timing_only;        // compute ops cost their cycles but skip the arithmetic
  bool bank_conflicts = false;  // model core data-memory bank conflicts (memory.h)
  // Swapped implementations of tile blocks (hw/sim/backends.h), asked for while the array is
  // built; null: every block is the model's own.
  class BackendProvider* backends = nullptr;
  // Bytes of DDR the memory model holds (0: the config's ddr.size). simulate() sets the
  // program's ddr_bytes_needed: the verifier guarantees nothing beyond it is addressed, so a
  // large DDR window costs no host memory.
  uint64_t ddr_bytes = 0;

  // Current simulated time in cycles (exact: all waits are whole cycles).
  uint64_t now() const { return static_cast<uint64_t>(std::llround(sc_core::sc_time_stamp() / cycle)); }
  double now_exact() const { return sc_core::sc_time_stamp() / cycle; }
  sc_core::sc_time cycles(uint64_t n) const { return sc_core::sc_time::from_value(cycle.value() * n); }
  void wait_cycles(uint64_t n) const {
    if (n > 0) sc_core::wait(cycles(n));
  }

  // Observation. Slices/counters only when the recorder keeps events (callers building names
  // check tracing() first); stats always.
  bool tracing() const { return rec.record_events; }
  void slice(const std::string& track, const std::string& name, const char* category, uint64_t begin,
             uint64_t end, uint64_t bytes = 0) {
    if (!rec.record_events) return;
    rec.add_slice(traces::Slice{track, name, category, begin, end, bytes, phase});
  }
  void counter(const std::string& track, int64_t value) {
    if (rec.record_events) rec.add_counter(track, now(), value);
  }
  void stat(const std::string& name, double delta, const char* unit, const char* description) {
    rec.add_stat(name, delta, unit, description);
  }

  // Current phase (set by the controller).
  uint32_t phase = 0;
  std::string phase_name;

  // Agents report completion here; the controller waits on done_event.
  uint32_t done_count = 0;
  sc_core::sc_event done_event;
  void agent_done() {
    ++done_count;
    done_event.notify(sc_core::SC_ZERO_TIME);
  }

  // A run-time fault (lock overflow, kernel error, bad address): records the first message,
  // stops the kernel and parks the calling thread for good.
  bool failed = false;
  std::string error;
  [[noreturn]] void fail(const std::string& msg) {
    if (!failed) {
      failed = true;
      error = msg + " (phase '" + phase_name + "', cycle " + std::to_string(now()) + ")";
      sc_core::sc_stop();
    }
    for (;;) sc_core::wait(never_);
  }

  // Totals for the RunSummary (all inferences).
  uint64_t bytes_ddr_to_mem = 0, bytes_mem_to_ddr = 0, bytes_mem_to_core = 0, bytes_core_to_mem = 0;
  uint64_t core_compute_cycles = 0;
  std::vector<uint64_t> phase_core_busy;  // per program phase, summed over cores and inferences
  // Stall cycles per program phase by cause, summed over agents and inferences.
  enum class Stall { Lock, Data, Space };
  std::vector<uint64_t> phase_stall_lock, phase_stall_data, phase_stall_space;
  std::vector<uint64_t> phase_reconfig;  // the controller's reconfiguration wait before each phase
  void add_stall(Stall s, uint64_t cycles) {
    auto& v = s == Stall::Lock ? phase_stall_lock : s == Stall::Data ? phase_stall_data : phase_stall_space;
    if (cycles > 0 && phase < v.size()) v[phase] += cycles;
  }

 private:
  sc_core::sc_event never_;
};

// A statistic of one agent, looked up once (on first use) and then added to directly.
class StatCounter {
 public:
  StatCounter(SimContext& ctx, std::string name, const char* unit, const char* description)
      : ctx_(ctx), name_(std::move(name)), unit_(unit), description_(description) {}
  void add(double delta) {
    if (!slot_) slot_ = &ctx_.rec.stat_slot(name_, unit_, description_);
    *slot_ += delta;
  }

 private:
  SimContext& ctx_;
  std::string name_;
  const char* unit_;
  const char* description_;
  double* slot_ = nullptr;
};

}  // namespace saie::hw
