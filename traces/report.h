// report.h — one self-contained HTML page from a `sparseaie simulate` output folder
// (summary.json, trace.json, bandwidth.csv, config.json), optionally next to a dense baseline run.
//
// The page has no external resources: inline CSS, inline SVG generated here from the data, no
// scripts, fonts or links to the network. Sections:
//   1. per-layer (phase) table and bars: cycles, core busy, utilisation, stalls by cause;
//   2. dense vs sparse per phase and speedup (only with a dense run);
//   2b. the roofline (roofline.json, when the folder has one): per layer the floor, what binds
//      it, the simulated cycles and their ratio, as a table and bars;
//   3. a timeline per tile (one row per core and DMA channel, colour per slice category) for the
//      first `timeline_phases` phase executions of the trace, each phase in its own SVG;
//   4. bandwidth over time per channel kind (shim / memtile / core DMA), from bandwidth.csv.
// Large traces stay readable: slices closer than one pixel on a row are merged into one bar
// (per category), the bandwidth series is re-binned to at most `bandwidth_points` points, and
// the page says what was limited. Deterministic: same inputs, same bytes.
#pragma once

#include <cstddef>
#include <string>

namespace saie::traces {

struct ReportOptions {
  std::string run_dir;             // simulate output folder (must hold summary.json)
  std::string dense_dir;           // "" = no dense comparison; else a dense run's output folder
  size_t timeline_phases = 8;      // phase executions drawn in the timeline (first N in time)
  size_t timeline_width_px = 1100; // drawing width of one timeline / chart
  size_t bandwidth_points = 400;   // at most this many points per channel kind
};

// Builds the page. summary.json is required (in both folders); trace.json, bandwidth.csv and
// config.json are optional (a missing one gives a note on the page instead of its section).
// Throws std::runtime_error with a one-line message on a missing folder / summary.json or a file
// that does not parse.
std::string build_report_html(const ReportOptions& opt);

// build_report_html, written atomically (out_path + ".tmp", then rename).
void write_report(const ReportOptions& opt, const std::string& out_path);

}  // namespace saie::traces
