// sinks_test.cpp — trace sinks: each file is written for a small recording, parsed back with the
// strict readers of traces/readers.h (VCD grammar, Chrome trace event structure) and checked.
#include "traces/sinks.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "traces/readers.h"

namespace saie::traces {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using saie::traces::VcdFile;

class SinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("saie_sinks_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Tracks as the models name them: tiles 0_1 (memtile), 0_2, 2_2 and 10_2 (cores: column 10
// sorts after column 2), 1_0 (shim), the controller's phases, a stream FIFO and a channel
// (s2mm_1) that only reports its BD id.
TraceRecorder sample_recording(bool reversed = false) {
  TraceRecorder rec;
  std::vector<Slice> slices = {
      {"array.control", "conv1", "control", 0, 100, 0, 0},
      {"array.control", "pool1", "control", 100, 250, 0, 1},
      {"array.tile_0_1.dma.mm2s_0", "bd 0 rep 0", "dma", 0, 100, 400, 0},
      {"array.tile_0_2.core", "wait lock 3", "lock", 5, 10, 0, 0},
      {"array.tile_0_2.core", "conv conv1 band 0", "compute", 10, 90, 0, 0},
      {"array.tile_1_0.dma.s2mm_0", "bd 2 rep 0", "dma", 95, 205, 1000, 0},
      {"array.tile_0_1.dma.mm2s_0", "bd 1 rep 0", "dma", 150, 250, 300, 1},
      {"array.tile_10_2.core", "pool pool1", "compute", 120, 180, 0, 1},
      {"array.tile_2_2.core", "pool pool1", "compute", 110, 170, 0, 1},
  };
  if (reversed) std::reverse(slices.begin(), slices.end());
  for (const Slice& s : slices) rec.add_slice(s);
  rec.add_counter("array.tile_0_2.lock.3", 0, 2);
  rec.add_counter("array.tile_0_2.lock.3", 10, 1);
  rec.add_counter("array.tile_0_2.lock.3", 90, 2);
  rec.add_counter("array.tile_0_1.dma.mm2s_0.busy", 0, 1);
  rec.add_counter("array.stream.tile_0_1.mm2s_0.fifo", 5, 64);
  rec.add_counter("array.stream.tile_0_1.mm2s_0.fifo", 5, 128);  // same cycle: the later value wins
  rec.add_counter("array.tile_0_2.lock.3", 95, -1);                // negative values survive
  rec.add_counter("array.tile_1_0.dma.s2mm_0.bd", 95, 2);
  rec.add_counter("array.tile_1_0.dma.s2mm_0.bd", 205, -1);
  rec.add_counter("array.tile_1_0.dma.s2mm_1.bd", 0, -1);
  rec.add_stat("array.tile_0_2.core.busy_cycles", 50, "cycles", "cycles spent in compute ops");
  rec.add_stat("array.tile_0_2.core.busy_cycles", 30, "cycles", "ignored on later adds");
  rec.set_stat("array.ddr.bytes_read", 1400, "bytes", "bytes read from DDR");
  return rec;
}

TEST(DisplayTrack, StreamFifosBelongToTheirDmaChannel) {
  EXPECT_EQ(display_track("array.stream.tile_1_2.s2mm_0.fifo"), "array.tile_1_2.dma.s2mm_0.fifo");
  EXPECT_EQ(display_track("array.stream.tile_0_1.mm2s_3.fifo"), "array.tile_0_1.dma.mm2s_3.fifo");
  EXPECT_EQ(display_track("array.tile_1_2.core"), "array.tile_1_2.core");
  EXPECT_EQ(display_track("array.stream.other.s2mm_0.fifo"), "array.stream.other.s2mm_0.fifo");
  EXPECT_EQ(display_track("array.stream.tile_1_2"), "array.stream.tile_1_2");
}

// ---- trace.json ----

TEST_F(SinksTest, PerfettoJsonParsesWithAProcessPerTileSortedByColumnThenRow) {
  const TraceRecorder rec = sample_recording();
  write_perfetto(rec, 1e9, path("trace.json"), 50);
  EXPECT_FALSE(fs::exists(path("trace.json.tmp")));
  const json j = json::parse(read_file(path("trace.json")));
  const PerfettoTrace info = parse_perfetto(j);  // structure: throws on any violation

  // Processes: non-tile tracks first, then tiles by column, then row (not string order: 10 > 2).
  std::vector<std::string> by_sort;
  {
    std::map<int64_t, std::string> m;
    for (const auto& [pid, idx] : info.process_sort) m[idx] = info.process_name.at(pid);
    for (const auto& kv : m) by_sort.push_back(kv.second);
  }
  EXPECT_EQ(by_sort, (std::vector<std::string>{"array.control", "tile(0,1)", "tile(0,2)", "tile(1,0)", "tile(2,2)", "tile(10,2)"}));
  EXPECT_EQ(info.process_sort.size(), info.process_name.size()) << "every process has a sort index";
  std::map<std::string, int> pid_of;  // hierarchical name (tiles: their label) -> pid
  for (const auto& [pid, name] : info.process_name) pid_of[name] = pid;
  for (const auto& [pid, label] : info.process_label) pid_of[label] = pid;
  EXPECT_EQ(info.process_label.size(), 5u) << "tiles have their hierarchical name as label";
  EXPECT_EQ(info.process_name.at(pid_of.at("array.tile_0_2")), "tile(0,2)");
  EXPECT_EQ(pid_of.count("array.stream"), 0u) << "FIFOs live in their tile's process";

  // Threads: one per core / DMA channel, tids unique over the file and never 0.
  std::set<int> tids;
  std::map<std::pair<int, std::string>, int> tid_of;
  for (const auto& [pt, name] : info.thread_name) {
    EXPECT_GT(pt.second, 0);
    EXPECT_TRUE(tids.insert(pt.second).second) << "tid " << pt.second << " reused";
    tid_of[{pt.first, name}] = pt.second;
  }
  EXPECT_EQ(info.thread_name.size(), 6u);
  EXPECT_TRUE(tid_of.count({pid_of.at("array.tile_0_1"), "dma.mm2s_0"}));
  EXPECT_TRUE(tid_of.count({pid_of.at("array.tile_0_2"), "core"}));
  EXPECT_TRUE(tid_of.count({pid_of.at("array.tile_1_0"), "dma.s2mm_0"}));
  EXPECT_TRUE(tid_of.count({pid_of.at("array.control"), "control"}));

  // Slices: every recorded one, in time order, with cycles and bytes in args.
  ASSERT_EQ(info.slices.size(), 9u);
  for (size_t i = 1; i < info.slices.size(); ++i)
    EXPECT_LE(info.slices[i - 1]["ts"].get<double>(), info.slices[i]["ts"].get<double>());
  const json* last_dma = nullptr;
  for (const json& x : info.slices) {
    if (x["name"] == "bd 1 rep 0") last_dma = &x;
    for (const char* k : {"category", "phase", "bytes", "begin_cycle", "end_cycle"}) EXPECT_TRUE(x["args"].contains(k)) << k;
    EXPECT_EQ(x["cat"], x["args"]["category"]);
  }
  ASSERT_NE(last_dma, nullptr);
  EXPECT_EQ((*last_dma)["cat"], "dma");
  EXPECT_EQ((*last_dma)["pid"], pid_of.at("array.tile_0_1"));
  EXPECT_EQ((*last_dma)["tid"], (tid_of[{pid_of.at("array.tile_0_1"), "dma.mm2s_0"}]));
  EXPECT_NEAR((*last_dma)["ts"].get<double>(), 0.150, 1e-12);  // microseconds at 1 GHz
  EXPECT_NEAR((*last_dma)["dur"].get<double>(), 0.100, 1e-12);
  EXPECT_EQ((*last_dma)["args"]["bytes"], 300);
  EXPECT_EQ((*last_dma)["args"]["phase"], 1);
  EXPECT_EQ((*last_dma)["args"]["begin_cycle"], 150);
  EXPECT_EQ((*last_dma)["args"]["end_cycle"], 250);

  // Counters: lock values, BD ids, FIFO occupancy (in its tile), bandwidth per DMA channel.
  std::map<std::pair<int, std::string>, std::vector<std::pair<double, double>>> series;  // (pid, name) -> (ts, value)
  for (const json& c : info.counters) {
    ASSERT_EQ(c["args"].size(), 1u);
    series[{c["pid"].get<int>(), c["name"].get<std::string>()}].emplace_back(c["ts"].get<double>(),
                                                                             c["args"].begin()->get<double>());
  }
  using S = std::vector<std::pair<double, double>>;
  auto near = [](const S& a, const S& b) {  // ts in microseconds: compare with a tolerance
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::abs(a[i].first - b[i].first) > 1e-12 || a[i].second != b[i].second) return false;
    }
    return true;
  };
  EXPECT_TRUE(near(series[{pid_of.at("array.tile_0_2"), "lock.3"}], S{{0, 2}, {0.010, 1}, {0.090, 2}, {0.095, -1}}));
  EXPECT_TRUE(near(series[{pid_of.at("array.tile_0_1"), "dma.mm2s_0.fifo"}], S{{0.005, 128}})) << "last sample of a cycle";
  EXPECT_TRUE(near(series[{pid_of.at("array.tile_1_0"), "dma.s2mm_0.bd"}], S{{0.095, 2}, {0.205, -1}}));
  // Bandwidth in bytes/cycle over 50-cycle bins, back to 0 after the last busy bin; the area
  // under each channel's curve is the bytes it moved.
  const S& bw = series[{pid_of.at("array.tile_0_1"), "dma.mm2s_0.bandwidth"}];
  ASSERT_FALSE(bw.empty());
  EXPECT_EQ(bw.back().second, 0.0);
  for (const auto& [track, bytes] : std::map<std::string, double>{{"array.tile_0_1", 700}, {"array.tile_1_0", 1000}}) {
    const std::string name = track == "array.tile_0_1" ? "dma.mm2s_0.bandwidth" : "dma.s2mm_0.bandwidth";
    const S& v = series[{pid_of.at(track), name}];
    double area = 0;
    for (size_t i = 0; i + 1 < v.size(); ++i) area += v[i].second * (v[i + 1].first - v[i].first) * 1000.0;  // us -> cycles
    EXPECT_NEAR(area, bytes, 1e-6) << track;
  }
  EXPECT_EQ(series.count({pid_of.at("array.tile_0_2"), "core.bandwidth"}), 0u) << "no bandwidth for tracks without bytes";

  // Deterministic, also when the models recorded slices in another order.
  write_perfetto(sample_recording(true), 1e9, path("trace2.json"), 50);
  EXPECT_EQ(read_file(path("trace.json")), read_file(path("trace2.json")));
  // Another clock scales the time axis.
  write_perfetto(rec, 2e9, path("trace3.json"));
  const PerfettoTrace i3 = parse_perfetto(json::parse(read_file(path("trace3.json"))));
  double max_ts = 0;
  for (const json& x : i3.slices) max_ts = std::max(max_ts, x["ts"].get<double>());
  EXPECT_NEAR(max_ts, 0.075, 1e-12);
  EXPECT_THROW(write_perfetto(rec, 0, path("bad.json")), std::runtime_error);
  EXPECT_THROW(write_perfetto(rec, 1e9, path("bad.json"), 0), std::runtime_error);
}

TEST_F(SinksTest, TraceJsonCheckerRejectsBrokenFiles) {
  const json ok = json::parse(R"J({"traceEvents":[
    {"ph":"M","name":"process_name","pid":1,"tid":1,"args":{"name":"tile(0,2)"}},
    {"ph":"M","name":"thread_name","pid":1,"tid":2,"args":{"name":"core"}},
    {"ph":"X","name":"a","pid":1,"tid":2,"ts":0,"dur":2},
    {"ph":"X","name":"b","pid":1,"tid":2,"ts":0.5,"dur":1},
    {"ph":"C","name":"lock.0","pid":1,"ts":1,"args":{"value":1}}]})J");
  EXPECT_NO_THROW(parse_perfetto(ok));
  auto broken = [&](const std::function<void(json&)>& edit) {
    json j = ok;
    edit(j);
    return j;
  };
  EXPECT_THROW(parse_perfetto(broken([](json& j) { j["traceEvents"].erase(0); })), std::runtime_error);  // no process_name
  EXPECT_THROW(parse_perfetto(broken([](json& j) { j["traceEvents"].erase(1); })), std::runtime_error);  // no thread_name
  EXPECT_THROW(parse_perfetto(broken([](json& j) { j["traceEvents"][2]["dur"] = -1; })), std::runtime_error);
  EXPECT_THROW(parse_perfetto(broken([](json& j) { j["traceEvents"][2].erase("ts"); })), std::runtime_error);
  EXPECT_THROW(parse_perfetto(broken([](json& j) { j["traceEvents"][3]["dur"] = 5; })), std::runtime_error);  // overlap
  EXPECT_THROW(parse_perfetto(broken([](json& j) { j["traceEvents"][3]["ts"] = 0.0; j["traceEvents"][2]["ts"] = 0.1; })),
               std::runtime_error);  // ts goes back
  EXPECT_THROW(parse_perfetto(broken([](json& j) { j["traceEvents"][4]["args"]["value"] = "1"; })), std::runtime_error);
}

// ---- bandwidth.csv ----

TEST_F(SinksTest, BandwidthCsvSpreadsBytesOverBins) {
  write_bandwidth_csv(sample_recording(), 50, path("bandwidth.csv"));
  std::istringstream in(read_file(path("bandwidth.csv")));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle");
  std::map<std::string, uint64_t> per_track;
  std::map<std::pair<uint64_t, std::string>, uint64_t> cells;
  std::pair<uint64_t, std::string> prev{0, ""};
  int rows = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string f[5];
    for (auto& x : f) std::getline(ls, x, ',');
    const uint64_t start = std::stoull(f[0]), end = std::stoull(f[1]), bytes = std::stoull(f[3]);
    EXPECT_EQ(end - start, 50u);
    EXPECT_EQ(start % 50, 0u);
    EXPECT_GT(bytes, 0u) << "zero rows are omitted";
    EXPECT_NEAR(std::stod(f[4]), bytes / 50.0, 1e-6);
    std::pair<uint64_t, std::string> key{start, f[2]};
    if (rows > 0) {
      EXPECT_LT(prev, key) << "rows sorted by bin then track";
    }
    prev = key;
    per_track[f[2]] += bytes;
    cells[key] = bytes;
    ++rows;
  }
  EXPECT_EQ(per_track.size(), 2u);  // compute and control slices move no bytes
  EXPECT_EQ(per_track["array.tile_0_1.dma.mm2s_0"], 700u);
  EXPECT_EQ(per_track["array.tile_1_0.dma.s2mm_0"], 1000u);
  // 1000 bytes over [95,205): 5/110 in [50,100), 50/110 in each of the next two bins, 5/110 after.
  EXPECT_EQ((cells[{50, "array.tile_1_0.dma.s2mm_0"}]), 45u);
  EXPECT_EQ((cells[{100, "array.tile_1_0.dma.s2mm_0"}]), 455u);
  EXPECT_EQ((cells[{150, "array.tile_1_0.dma.s2mm_0"}]), 454u);
  EXPECT_EQ((cells[{200, "array.tile_1_0.dma.s2mm_0"}]), 46u);
  EXPECT_EQ((cells[{0, "array.tile_0_1.dma.mm2s_0"}]), 200u);
  EXPECT_EQ((cells.count({100, "array.tile_0_1.dma.mm2s_0"})), 0u);  // idle bin between the two slices
  EXPECT_THROW(write_bandwidth_csv(sample_recording(), 0, path("x.csv")), std::runtime_error);
}

// ---- waves.vcd ----

TEST_F(SinksTest, VcdParsesWithHardwareHierarchyAndOrderedChanges) {
  write_vcd(sample_recording(), 1e9, {}, path("waves.vcd"));
  const std::string text = read_file(path("waves.vcd"));
  const VcdFile v = parse_vcd(text);  // grammar, ids, widths, time order: throws on violation
  EXPECT_EQ(v.timescale, "1 ns");
  EXPECT_EQ(text.find("$date"), std::string::npos) << "no wall-clock date: byte-identical across runs";
  EXPECT_EQ(v.sections.back(), "$enddefinitions");
  for (const char* s : {"array", "array.tile_0_2", "array.tile_0_2.core", "array.tile_1_0.dma.s2mm_0", "array.control"})
    EXPECT_NE(std::find(v.scopes.begin(), v.scopes.end(), s), v.scopes.end()) << s;
  // Each scope opened once (shared prefixes are declared together).
  EXPECT_EQ(std::set<std::string>(v.scopes.begin(), v.scopes.end()).size(), v.scopes.size());

  auto kind = [&](const std::string& p) {
    auto it = v.vars.find(p);
    return it == v.vars.end() ? std::string("missing") : it->second.type + " " + std::to_string(it->second.width);
  };
  EXPECT_EQ(kind("array.tile_0_2.core.busy"), "wire 1");
  EXPECT_EQ(kind("array.tile_0_2.core.lock_wait"), "wire 1");
  EXPECT_EQ(kind("array.tile_2_2.core.busy"), "wire 1");
  EXPECT_EQ(kind("array.tile_10_2.core.busy"), "wire 1");
  EXPECT_EQ(kind("array.tile_1_0.dma.s2mm_0.busy"), "wire 1");
  EXPECT_EQ(kind("array.tile_1_0.dma.s2mm_1.busy"), "wire 1") << "a channel with only a BD counter still has busy";
  EXPECT_EQ(kind("array.tile_1_0.dma.s2mm_0.bd"), "integer 32");
  EXPECT_EQ(kind("array.tile_0_2.lock.3"), "integer 32");
  EXPECT_EQ(kind("array.tile_0_1.dma.mm2s_0.fifo"), "integer 32") << "stream FIFO shown under its channel";
  EXPECT_EQ(kind("array.control.busy"), "wire 1");
  EXPECT_EQ(kind("array.control.phase"), "integer 32");
  // The counter "<track>.busy" and the slice track's own wire do not collide.
  EXPECT_EQ(kind("array.tile_0_1.dma.mm2s_0.busy"), "integer 32");
  EXPECT_EQ(kind("array.tile_0_1.dma.mm2s_0.slice_busy"), "wire 1");
  EXPECT_EQ(v.vars.size(), 14u);

  using H = std::vector<std::pair<uint64_t, std::string>>;
  EXPECT_EQ(v.history("array.tile_0_2.core.busy"), (H{{0, "0"}, {10, "1"}, {90, "0"}})) << "lock waits are not busy";
  EXPECT_EQ(v.history("array.tile_0_2.core.lock_wait"), (H{{0, "0"}, {5, "1"}, {10, "0"}}));
  EXPECT_EQ(v.history("array.tile_0_2.lock.3"), (H{{0, "10"}, {10, "1"}, {90, "10"}, {95, std::string(32, '1')}}));
  EXPECT_EQ(saie::traces::vcd_int(v.history("array.tile_0_2.lock.3").back().second), -1);
  EXPECT_EQ(v.history("array.tile_0_1.dma.mm2s_0.fifo"), (H{{0, "x"}, {5, "10000000"}}));
  EXPECT_EQ(v.history("array.tile_1_0.dma.s2mm_0.bd"), (H{{0, "x"}, {95, "10"}, {205, std::string(32, '1')}}));
  EXPECT_EQ(v.history("array.tile_1_0.dma.s2mm_1.busy"), (H{{0, "0"}}));
  // Two abutting/overlapping slices would merge; these two on mm2s_0 are separate.
  EXPECT_EQ(v.history("array.tile_0_1.dma.mm2s_0.slice_busy"), (H{{0, "1"}, {100, "0"}, {150, "1"}, {250, "0"}}));
  // Abutting control slices: busy throughout, the phase index changes.
  EXPECT_EQ(v.history("array.control.busy"), (H{{0, "1"}, {250, "0"}}));
  EXPECT_EQ(v.history("array.control.phase"), (H{{0, "0"}, {100, "1"}}));
  // Deterministic.
  write_vcd(sample_recording(true), 1e9, {}, path("waves2.vcd"));
  EXPECT_EQ(text, read_file(path("waves2.vcd")));
  EXPECT_THROW(write_vcd(sample_recording(), 0, {}, path("bad.vcd")), std::runtime_error);
}

TEST_F(SinksTest, VcdScopesFilterByTileAndTrackPrefix) {
  auto signals = [&](const std::vector<std::string>& scopes) {
    write_vcd(sample_recording(), 1e9, scopes, path("waves.vcd"));
    std::set<std::string> s;
    for (const auto& kv : parse_vcd(read_file(path("waves.vcd"))).vars) s.insert(kv.first);
    return s;
  };
  using Set = std::set<std::string>;
  EXPECT_EQ(signals({"array.tile_0_2"}), (Set{"array.tile_0_2.core.busy", "array.tile_0_2.core.lock_wait", "array.tile_0_2.lock.3"}));
  // A tile keeps its stream FIFOs (recorded as array.stream.<tile>...).
  EXPECT_EQ(signals({"array.tile_0_1"}), (Set{"array.tile_0_1.dma.mm2s_0.busy", "array.tile_0_1.dma.mm2s_0.slice_busy",
                                              "array.tile_0_1.dma.mm2s_0.fifo"}));
  // Recorded names match too; several prefixes add up.
  EXPECT_EQ(signals({"array.stream", "array.tile_1_0.dma.s2mm_1"}),
            (Set{"array.tile_0_1.dma.mm2s_0.fifo", "array.tile_1_0.dma.s2mm_1.bd", "array.tile_1_0.dma.s2mm_1.busy"}));
  // Prefixes match whole components: "array.tile_1" is not a prefix of "array.tile_1_0" or
  // "array.tile_10_2"; one that matches nothing next to one that does is fine.
  EXPECT_EQ(signals({"array.tile_1", "array.tile_10_2"}), (Set{"array.tile_10_2.core.busy"}));
  // Scopes that match nothing at all: an error, not an empty file.
  EXPECT_THROW(write_vcd(sample_recording(), 1e9, {"array.tile_1"}, path("none.vcd")), std::runtime_error);
  EXPECT_FALSE(fs::exists(path("none.vcd")));
}

TEST(VcdParser, RejectsMalformedFiles) {
  const std::string head = "$timescale 1 ns $end\n$scope module a $end\n$var wire 1 ! w $end\n$var integer 32 \" n $end\n"
                           "$upscope $end\n$enddefinitions $end\n";
  EXPECT_NO_THROW(parse_vcd(head + "#0\n$dumpvars\n0!\nbx \"\n$end\n#5\n1!\nb101 \"\n"));
  EXPECT_THROW(parse_vcd(head + "#0\n$dumpvars\n0!\nbx \"\n$end\n#5\n1!\n#5\n0!\n"), std::runtime_error);  // time repeats
  EXPECT_THROW(parse_vcd(head + "#0\n$dumpvars\n0!\nbx \"\n$end\n#5\n1#\n"), std::runtime_error);         // undeclared id
  EXPECT_THROW(parse_vcd(head + "#0\n$dumpvars\n0!\nbx \"\n$end\n#5\nb10 !\n"), std::runtime_error);      // too wide
  EXPECT_THROW(parse_vcd(head + "#0\n$dumpvars\n0!\nbx \"\n$end\n#5\n1\"\n"), std::runtime_error);        // scalar to vector
  EXPECT_THROW(parse_vcd(head + "#0\n$dumpvars\n0!\n$end\n"), std::runtime_error);                        // no initial value
  EXPECT_THROW(parse_vcd(head + "#3\n$dumpvars\n0!\nbx \"\n$end\n"), std::runtime_error);                 // not from #0
  EXPECT_THROW(parse_vcd("$timescale 1 ns $end\n$scope module a $end\n$var wire 1 ! w $end\n$var wire 1 ! v $end\n"
                         "$upscope $end\n$enddefinitions $end\n"),
               std::runtime_error);  // id declared twice
  EXPECT_THROW(parse_vcd("$timescale 1 ns $end\n$scope module a $end\n$var wire 1 ! w $end\n$enddefinitions $end\n"),
               std::runtime_error);  // scope left open
  EXPECT_THROW(parse_vcd("$timescale 3 ns $end\n$enddefinitions $end\n"), std::runtime_error);
}

// ---- summary.json ----

RunSummary sample_summary() {
  RunSummary s;
  s.program = "fmnist-small";
  s.config = "paper-2x2";
  s.clock_hz = 1e9;
  s.inferences = 2;
  s.total_cycles = 5000;
  s.cycles_per_inference = 2500;
  s.cores = 4;
  s.core_compute_cycles = 4000;
  s.core_utilisation = 0.2;
  s.bytes_ddr_to_mem = 11;
  s.bytes_mem_to_ddr = 12;
  s.bytes_mem_to_core = 13;
  s.bytes_core_to_mem = 14;
  s.stall_lock_cycles = 30;
  s.stall_data_cycles = 70;
  s.stall_space_cycles = 110;
  s.fidelity = "beat";
  s.timing_only = true;
  s.phases.push_back({"conv1", 1, 3000, 2400, 1000, 500, 10, 30, 50, 400});
  s.phases.push_back({"pool1", 2, 2000, 1600, 0, 0, 20, 40, 60, 300});
  s.bit_exact = 2;
  s.compared = 2;
  s.deadlock = false;
  s.deadlock_report = "";
  return s;
}

TEST_F(SinksTest, SummaryHasEveryFieldStallsAndSortedStats) {
  write_summary(sample_summary(), sample_recording(), path("summary.json"));
  const json j = json::parse(read_file(path("summary.json")));
  for (const char* key : {"program", "config", "fidelity", "timing_only", "clock_hz", "inferences", "total_cycles",
                          "cycles_per_inference", "simulated_seconds", "seconds_per_inference", "cores",
                          "core_compute_cycles", "core_utilisation", "bytes_ddr_to_mem", "bytes_mem_to_ddr",
                          "bytes_mem_to_core", "bytes_core_to_mem", "stalls", "phases", "bit_exact", "compared",
                          "deadlock", "deadlock_report", "stats"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["program"], "fmnist-small");
  EXPECT_EQ(j["fidelity"], "beat");
  EXPECT_EQ(j["timing_only"], true);
  EXPECT_EQ(j["total_cycles"], 5000);
  EXPECT_NEAR(j["simulated_seconds"].get<double>(), 5e-6, 1e-15);  // 5000 cycles at 1 GHz
  EXPECT_NEAR(j["seconds_per_inference"].get<double>(), 2.5e-6, 1e-15);
  EXPECT_EQ(j["cores"], 4);
  EXPECT_DOUBLE_EQ(j["core_utilisation"].get<double>(), 0.2);
  EXPECT_EQ(j["bytes_core_to_mem"], 14);
  // The reconfiguration waits: the run's (none given: the phases' sum), not in the agents' total.
  EXPECT_EQ(j["stalls"], (json{{"lock", 30}, {"data", 70}, {"output_space", 110}, {"total", 210}, {"reconfiguration", 700}}));
  ASSERT_EQ(j["phases"].size(), 2u);
  const json& p0 = j["phases"][0];
  for (const char* key : {"name", "layer", "cycles", "core_busy_cycles", "core_utilisation", "dense_macs", "actual_macs", "stalls"})
    EXPECT_TRUE(p0.contains(key)) << key;
  EXPECT_EQ(p0["name"], "conv1");
  EXPECT_EQ(p0["core_busy_cycles"], 2400);
  EXPECT_DOUBLE_EQ(p0["core_utilisation"].get<double>(), 2400.0 / (4 * 3000));
  EXPECT_EQ(p0["actual_macs"], 500);
  EXPECT_EQ(p0["stalls"], (json{{"lock", 10}, {"data", 30}, {"output_space", 50}, {"total", 90}, {"reconfiguration", 400}}));
  EXPECT_EQ(j["phases"][1]["layer"], 2);
  EXPECT_EQ(j["phases"][1]["stalls"]["output_space"], 60);
  EXPECT_EQ(j["bit_exact"], 2);
  EXPECT_EQ(j["deadlock"], false);
  const json& stats = j["stats"];
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_DOUBLE_EQ(stats["array.tile_0_2.core.busy_cycles"]["value"].get<double>(), 80.0);
  EXPECT_EQ(stats["array.tile_0_2.core.busy_cycles"]["unit"], "cycles");
  EXPECT_EQ(stats["array.tile_0_2.core.busy_cycles"]["description"], "cycles spent in compute ops");
  EXPECT_EQ(stats["array.ddr.bytes_read"]["unit"], "bytes");
  // Stats appear sorted by name in the file.
  const std::string text = read_file(path("summary.json"));
  EXPECT_LT(text.find("array.ddr.bytes_read"), text.find("array.tile_0_2.core.busy_cycles"));
}

TEST_F(SinksTest, SummaryDerivesMissingCoresAndRunStalls) {
  RunSummary s = sample_summary();
  s.cores = 0;  // a driver that does not fill it: recovered from the run's utilisation
  s.stall_lock_cycles = s.stall_data_cycles = s.stall_space_cycles = 0;  // sums over phases
  write_summary(s, TraceRecorder{}, path("summary.json"));
  const json j = json::parse(read_file(path("summary.json")));
  EXPECT_EQ(j["cores"], 4);  // 4000 / (0.2 * 5000)
  EXPECT_DOUBLE_EQ(j["phases"][1]["core_utilisation"].get<double>(), 1600.0 / (4 * 2000));
  EXPECT_EQ(j["stalls"], (json{{"lock", 30}, {"data", 70}, {"output_space", 110}, {"total", 210}, {"reconfiguration", 700}}));
  EXPECT_TRUE(j["stats"].empty());
  // Nothing to derive from: zeros, not NaN.
  RunSummary z;
  z.phases.push_back({"p", 0, 0, 0, 0, 0, 0, 0, 0});
  write_summary(z, TraceRecorder{}, path("zero.json"));
  const json jz = json::parse(read_file(path("zero.json")));
  EXPECT_EQ(jz["cores"], 0);
  EXPECT_EQ(jz["phases"][0]["core_utilisation"].get<double>(), 0.0);
  EXPECT_EQ(jz["fidelity"], "lt");
  EXPECT_EQ(jz["timing_only"], false);
}

// ---- waves.gtkw ----

// The GTKWave save file names every signal of the VCD written from the same recording (with a
// short alias), groups them per tile in array order, balances its groups, and zooms to the run.
TEST_F(SinksTest, GtkwSaveFileListsTheVcdSignalsPerTileInArrayOrder) {
  const TraceRecorder rec = sample_recording();
  write_vcd(rec, 1e9, {}, path("waves.vcd"));
  write_gtkw(rec, {}, "waves.vcd", path("waves.gtkw"));
  const VcdFile v = read_vcd(path("waves.vcd"));
  const std::string g = read_file(path("waves.gtkw"));
  EXPECT_NE(g.find("[dumpfile] \"waves.vcd\""), std::string::npos);
  // The run ends at cycle 250: pow(2, -zoom) / 200 units per pixel over ~900 pixels.
  EXPECT_NE(g.find("\n*-5.795859 -1 -1"), std::string::npos) << g;
  std::vector<std::string> lines;
  {
    std::istringstream in(g);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  // Every trace line is a VCD signal; every VCD signal is listed once.
  std::multiset<std::string> traced;
  int depth = 0;
  std::vector<std::string> groups;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty() || l[0] == '[' || l[0] == '-' || l[0] == '*') continue;
    if (l == "@800200" || l == "@c00200") {
      ++depth;
      groups.push_back(lines.at(i + 1).substr(1));
      continue;
    }
    if (l == "@1000200") {
      --depth;
      EXPECT_GE(depth, 0);
      continue;
    }
    if (l[0] == '@') {
      EXPECT_TRUE(l == "@424" || l == "@28") << l;
      continue;
    }
    ASSERT_EQ(l.rfind("+{", 0), 0u) << l;
    const std::string name = l.substr(l.find("} ") + 2);
    ASSERT_TRUE(v.vars.count(name)) << l;
    EXPECT_EQ(lines[i - 1] == "@424", v.vars.at(name).width == 32) << l;  // integers signed decimal, wires binary
    traced.insert(name);
  }
  EXPECT_EQ(depth, 0);
  EXPECT_EQ(traced.size(), v.vars.size());
  for (const auto& kv : v.vars) EXPECT_EQ(traced.count(kv.first), 1u) << kv.first;
  // Tiles by column, then row (10 after 2); lock values in a closed group of their tile.
  const std::vector<std::string> tiles = {"tile(0,1)", "tile(0,2)", "tile(0,2) locks", "tile(1,0)", "tile(2,2)", "tile(10,2)"};
  EXPECT_EQ(groups, tiles);
  EXPECT_NE(g.find("@c00200\n-tile(0,2) locks\n@424\n+{lock 3} array.tile_0_2.lock.3\n"), std::string::npos) << g;
  EXPECT_NE(g.find("@28\n+{dma s2mm_0 busy} array.tile_1_0.dma.s2mm_0.busy\n"), std::string::npos) << g;
  // The phase index first, outside any group; in a tile the core before its DMA channels and a
  // channel's busy before its bd.
  EXPECT_LT(g.find("array.control.phase"), g.find("-tile(0,1)"));
  EXPECT_LT(g.find("array.tile_1_0.dma.s2mm_0.busy"), g.find("array.tile_1_0.dma.s2mm_0.bd"));
  EXPECT_LT(g.find("array.tile_1_0.dma.s2mm_0.bd"), g.find("array.tile_1_0.dma.s2mm_1"));
  // Same recording, same bytes; a scope limits it like the VCD.
  write_gtkw(rec, {}, "waves.vcd", path("again.gtkw"));
  EXPECT_EQ(read_file(path("again.gtkw")), g);
  write_gtkw(rec, {"array.tile_0_2"}, "waves.vcd", path("scoped.gtkw"));
  const std::string scoped = read_file(path("scoped.gtkw"));
  EXPECT_NE(scoped.find("array.tile_0_2.core.busy"), std::string::npos);
  EXPECT_EQ(scoped.find("tile_0_1"), std::string::npos);
  EXPECT_EQ(scoped.find("array.control"), std::string::npos);
}

}  // namespace
}  // namespace saie::traces
