// sinks.h — turn a TraceRecorder / RunSummary into the run's output files.
// Every writer writes to "<path>.tmp" and renames, and throws std::runtime_error on failure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "traces/summary.h"
#include "traces/trace.h"

namespace saie::traces {

// Chrome/Perfetto trace event JSON: one process per tile, one thread per track; slices as
// complete events ("ph":"X", ts in microseconds of simulated time), counters as "ph":"C".
void write_perfetto(const TraceRecorder& rec, double clock_hz, const std::string& path);
// bandwidth.csv: columns bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle — DMA
// slice bytes spread over their duration into fixed bins.
void write_bandwidth_csv(const TraceRecorder& rec, uint64_t bin_cycles, const std::string& path);
// waves.vcd: counters and slice-busy flags as VCD signals, hierarchy from track names;
// scopes: only tracks starting with one of these prefixes (empty = all). Timescale 1 cycle = 1 ns * (1e9/clock).
void write_vcd(const TraceRecorder& rec, double clock_hz, const std::vector<std::string>& scopes, const std::string& path);
// summary.json: the RunSummary fields plus every statistic of the recorder.
void write_summary(const RunSummary& s, const TraceRecorder& rec, const std::string& path);
// Writes text to path atomically (tmp + rename).
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace saie::traces
