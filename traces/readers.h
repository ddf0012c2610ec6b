// readers.h — the one reader of each file the sinks write (summary.json, trace.json,
// bandwidth.csv, waves.vcd) and of the roofline.json `compile` writes. The report,
// check-timing, the sweep, the driver and the tests read run outputs only through these. Each reader is strict — it checks the file's structure, not
// only the fields it hands back — and throws ReadError with one line naming the file and the
// first problem. config.json is read by the config loader (hw/config/array_config.h).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "traces/roofline.h"
#include "traces/summary.h"
#include "traces/trace.h"

namespace saie::traces {

struct ReadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- summary.json (write_summary) -------------------------------------------------------------

struct SummaryFile {
  RunSummary run;                      // every RunSummary field, cores included
  std::map<std::string, Stat> stats;   // the "stats" object
  double seconds_per_inference() const { return run.clock_hz > 0 ? double(run.cycles_per_inference) / run.clock_hz : 0; }
};
// `what` names the source in messages (a path, or "summary.json").
SummaryFile parse_summary(const std::string& text, const std::string& what = "summary.json");
SummaryFile read_summary(const std::string& path);

// ---- roofline.json (roofline_json, written by `compile`) -------------------------------------------

// Checks format and version, every field, and that each floor and bound is the largest of its
// terms.
Roofline parse_roofline(const std::string& text, const std::string& what = "roofline.json");
Roofline read_roofline(const std::string& path);

// ---- trace.json (write_perfetto): Chrome / Perfetto trace event JSON ------------------------------

struct PerfettoTrace {
  std::map<int, std::string> process_name;                 // pid -> process_name
  std::map<int, std::string> process_label;                // pid -> process_labels (if any)
  std::map<int, int64_t> process_sort;                     // pid -> process_sort_index
  std::map<std::pair<int, int>, std::string> thread_name;  // (pid, tid) -> thread_name
  // Events as they stand in the file (an event's args are free-form in this format): "X" slices
  // and "C" counters, in file order.
  std::vector<nlohmann::json> slices;
  std::vector<nlohmann::json> counters;
};
// Checks the structure: a "traceEvents" array; every event has ph and pid; "X" events have name,
// tid, ts >= 0 and dur >= 0, are in non-decreasing ts order per thread, and on one thread are
// disjoint or nested (what Perfetto needs to draw them); "C" events have a name, ts and only
// numeric args; metadata events are process_name / process_labels / process_sort_index /
// thread_name / thread_sort_index; every pid used has a process_name and every (pid, tid) with
// slices a thread_name.
PerfettoTrace parse_perfetto(const nlohmann::json& j, const std::string& what = "trace.json");
// with_counters = false drops counter events while parsing (most of a big trace; the report draws
// none of them).
PerfettoTrace read_perfetto(const std::string& path, bool with_counters = true);

// ---- bandwidth.csv (write_bandwidth_csv) ----------------------------------------------------------

struct BandwidthRow {
  uint64_t bin_start = 0, bin_end = 0;  // cycles, bin_end > bin_start
  std::string track;                    // displayed DMA channel track, e.g. "array.tile_0_1.dma.mm2s_0"
  uint64_t bytes = 0;
  double bytes_per_cycle = 0;
};
std::vector<BandwidthRow> parse_bandwidth_csv(const std::string& text, const std::string& what = "bandwidth.csv");
std::vector<BandwidthRow> read_bandwidth_csv(const std::string& path);

// ---- waves.vcd (write_vcd): IEEE 1364 four-state VCD as GTKWave reads it -----------------------------

struct VcdVar {
  std::string type;  // wire, reg, integer, ...
  int width = 0;
  std::string id;
  std::string path;  // scopes and reference joined with '.', e.g. "array.tile_0_2.core.busy"
};

struct VcdChange {
  uint64_t time = 0;
  std::string id;
  std::string value;     // "0"/"1"/"x"/"z" for scalars, the bits of a vector ("101", "x")
  bool initial = false;  // inside the $dumpvars block
};

struct VcdFile {
  std::vector<std::string> sections;           // header keywords in order: "$comment", "$timescale", ...
  std::string timescale;                       // e.g. "1 ns"
  std::map<std::string, VcdVar> vars;          // path -> var
  std::map<std::string, std::string> path_of;  // id -> path
  std::vector<std::string> scopes;             // every scope path, in declaration order
  std::vector<uint64_t> times;                 // every "#t", in file order
  std::vector<VcdChange> changes;              // in file order

  // The value changes of one signal as (time, value); empty if the signal does not exist.
  std::vector<std::pair<uint64_t, std::string>> history(const std::string& path) const;
  // Paths of the vars whose path starts with prefix.
  std::vector<std::string> paths_with_prefix(const std::string& prefix) const;
};
// Checks the grammar (sections, $scope/$upscope nesting, $var types, widths and unique ids),
// increasing times from #0, a $dumpvars block giving every signal its initial value, and every
// value change against its signal's width.
VcdFile parse_vcd(const std::string& text, const std::string& what = "waves.vcd");
VcdFile read_vcd(const std::string& path);
// Two's complement value of a VCD vector of the given width ("x" and "z" are not numbers).
int64_t vcd_int(const std::string& bits, int width = 32);

}  // namespace saie::traces
