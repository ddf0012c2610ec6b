// sinks.h — turn a TraceRecorder / RunSummary into the run's output files.
// Every writer writes atomically (util::write_file_atomic) and throws std::runtime_error on failure.
//
// Track names are shown as they read in the hardware ("array.tile_C_R.core",
// "array.tile_C_R.dma.s2mm_N", "array.tile_C_R.lock.L"); a stream FIFO recorded as
// "array.stream.tile_C_R.s2mm_N.fifo" belongs to the S2MM channel it feeds and is shown as
// "array.tile_C_R.dma.s2mm_N.fifo" (display_track).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "traces/summary.h"
#include "traces/trace.h"

namespace saie::traces {

// Default width of the bandwidth bins (trace.json counters, bandwidth.csv) in cycles.
inline constexpr uint64_t kDefaultBandwidthBinCycles = 1000;

// Chrome/Perfetto trace event JSON (ui.perfetto.dev, chrome://tracing), laid out like
// mlir-aie's trace converter: one process per tile ("tile(C,R)", sorted by column then row,
// non-tile tracks such as array.control first), one thread per core / DMA channel. Slices are
// complete events ("ph":"X", ts/dur in microseconds of simulated time, args: bytes, phase,
// category, begin/end cycle); counters ("ph":"C") for lock values, BD ids, FIFO occupancy and
// the bandwidth of every DMA channel (bytes/cycle per bin of bandwidth_bin_cycles).
void write_perfetto(const TraceRecorder& rec, double clock_hz, const std::string& path,
                    uint64_t bandwidth_bin_cycles = kDefaultBandwidthBinCycles);
// bandwidth.csv: columns bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle — DMA
// slice bytes spread over their duration into fixed bins.
void write_bandwidth_csv(const TraceRecorder& rec, uint64_t bin_cycles, const std::string& path);
// waves.vcd (GTKWave): a hierarchy of $scope modules from the track names, one time unit per
// array cycle. Per core / DMA channel track a 1-bit "busy" wire (compute or transfer slices)
// and, where it waited, a 1-bit "lock_wait" wire; every counter (lock value, BD id, FIFO
// occupancy) as a 32-bit integer, a counter marked as a wire (RTL pins) as a 1-bit wire;
// array.control.phase = the phase index.
// scopes: keep only signals whose track starts with one of these prefixes, matched on whole
// components ("array.tile_0_2" keeps array.tile_0_2.* but not array.tile_0_20.*); empty = all.
// Throws if scopes are given and none of them matches a recorded track.
void write_vcd(const TraceRecorder& rec, double clock_hz, const std::vector<std::string>& scopes, const std::string& path);
// waves.gtkw: a GTKWave save file for the waves.vcd that write_vcd writes from the same recorder
// and scopes (vcd_name: its file name, relative to the save file). It opens the useful view at
// once: the phase index on top, then one group per tile in array order (column, then row) with
// the core's busy / lock_wait and each DMA channel's busy / lock_wait / bd / fifo, the tile's
// lock values and any other signal (RTL pins) in closed sub-groups. Open with
// `gtkwave waves.vcd waves.gtkw`.
void write_gtkw(const TraceRecorder& rec, const std::vector<std::string>& scopes, const std::string& vcd_name,
                const std::string& path);
// summary.json: the RunSummary fields plus every statistic of the recorder (read back by
// traces/readers.h read_summary); summary_json is its text.
std::string summary_json(const RunSummary& s, const TraceRecorder& rec);
void write_summary(const RunSummary& s, const TraceRecorder& rec, const std::string& path);
// The name a track is shown under (see the top of this file).
std::string display_track(const std::string& track);

}  // namespace saie::traces
