// sinks_test.cpp — trace sinks: each file is written for a small recording, parsed back and checked.
#include "traces/sinks.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include <nlohmann/json.hpp>

namespace saie::traces {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

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

TraceRecorder sample_recording(bool reversed = false) {
  TraceRecorder rec;
  std::vector<Slice> slices = {
      {"array.tile_0_1.dma.mm2s_0", "bd 0 rep 0", "dma", 0, 100, 400, 0},
      {"array.tile_0_2.core", "conv conv1 band 0", "compute", 10, 90, 0, 0},
      {"array.tile_1_0.dma.s2mm_0", "bd 2 rep 0", "dma", 95, 205, 1000, 0},
      {"array.tile_0_1.dma.mm2s_0", "bd 1 rep 0", "dma", 150, 250, 300, 1},
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
  rec.add_stat("array.tile_0_2.core.busy_cycles", 50, "cycles", "cycles spent in compute ops");
  rec.add_stat("array.tile_0_2.core.busy_cycles", 30, "cycles", "ignored on later adds");
  rec.set_stat("array.ddr.bytes_read", 1400, "bytes", "bytes read from DDR");
  return rec;
}

TEST_F(SinksTest, PerfettoJsonHasProcessesThreadsSlicesAndCounters) {
  const TraceRecorder rec = sample_recording();
  write_perfetto(rec, 1e9, path("trace.json"));
  EXPECT_FALSE(fs::exists(path("trace.json.tmp")));
  const json j = json::parse(read_file(path("trace.json")));
  ASSERT_TRUE(j["traceEvents"].is_array());
  std::map<std::string, int> process_pid;
  std::map<std::pair<int, std::string>, int> thread_tid;
  std::vector<json> xs, cs;
  for (const json& ev : j["traceEvents"]) {
    const std::string ph = ev["ph"];
    if (ph == "M" && ev["name"] == "process_name") process_pid[ev["args"]["name"]] = ev["pid"];
    if (ph == "M" && ev["name"] == "thread_name") thread_tid[{ev["pid"].get<int>(), ev["args"]["name"]}] = ev["tid"];
    if (ph == "X") xs.push_back(ev);
    if (ph == "C") cs.push_back(ev);
  }
  // Processes: first two track components, numbered in sorted order.
  ASSERT_EQ(process_pid.size(), 4u);
  EXPECT_EQ(process_pid["array.stream"], 1);
  EXPECT_EQ(process_pid["array.tile_0_1"], 2);
  EXPECT_EQ(process_pid["array.tile_0_2"], 3);
  EXPECT_EQ(process_pid["array.tile_1_0"], 4);
  EXPECT_TRUE(thread_tid.count({2, "dma.mm2s_0"}));
  EXPECT_TRUE(thread_tid.count({3, "core"}));
  EXPECT_TRUE(thread_tid.count({4, "dma.s2mm_0"}));
  ASSERT_EQ(xs.size(), 4u);
  // Sorted by time; the last slice is the 150..250 one: ts/dur in microseconds at 1 GHz.
  const json& last = xs.back();
  EXPECT_EQ(last["name"], "bd 1 rep 0");
  EXPECT_EQ(last["cat"], "dma");
  EXPECT_EQ(last["pid"], 2);
  EXPECT_EQ(last["tid"], (thread_tid[{2, "dma.mm2s_0"}]));
  EXPECT_NEAR(last["ts"].get<double>(), 0.150, 1e-12);
  EXPECT_NEAR(last["dur"].get<double>(), 0.100, 1e-12);
  EXPECT_EQ(last["args"]["bytes"], 300);
  EXPECT_EQ(last["args"]["phase"], 1);
  for (size_t i = 1; i < xs.size(); ++i) EXPECT_LE(xs[i - 1]["ts"].get<double>(), xs[i]["ts"].get<double>());
  ASSERT_EQ(cs.size(), 7u);
  bool saw_lock = false;
  for (const json& c : cs) {
    if (c["name"] == "lock.3" && c["args"]["value"] == -1) {
      saw_lock = true;
      EXPECT_EQ(c["pid"], 3);
      EXPECT_NEAR(c["ts"].get<double>(), 0.095, 1e-12);
    }
  }
  EXPECT_TRUE(saw_lock);
  // Deterministic, also when the models recorded slices in another order.
  write_perfetto(sample_recording(true), 1e9, path("trace2.json"));
  EXPECT_EQ(read_file(path("trace.json")), read_file(path("trace2.json")));
  // Another clock scales the time axis.
  write_perfetto(rec, 2e9, path("trace3.json"));
  const json j3 = json::parse(read_file(path("trace3.json")));
  double max_ts = 0;
  for (const json& ev : j3["traceEvents"]) {
    if (ev["ph"] == "X") max_ts = std::max(max_ts, ev["ts"].get<double>());
  }
  EXPECT_NEAR(max_ts, 0.075, 1e-12);
  EXPECT_THROW(write_perfetto(rec, 0, path("bad.json")), std::runtime_error);
}

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
  EXPECT_EQ(per_track.size(), 2u);  // the compute slice moves no bytes
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

// A parsed VCD: signal path -> id, and the value changes in file order.
struct Vcd {
  std::string header;
  std::map<std::string, std::string> id_of;  // "array.tile_0_2.core.busy" -> id
  std::map<std::string, std::string> kind_of;
  std::vector<std::tuple<uint64_t, std::string, std::string>> changes;  // time, id, value
  std::vector<uint64_t> times;
};

Vcd parse_vcd(const std::string& text) {
  Vcd v;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> scope;
  bool defs = true, dumpvars = false;
  uint64_t now = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> tok;
    for (std::string t; ls >> t;) tok.push_back(t);
    if (tok.empty()) continue;
    if (defs) {
      v.header += line + "\n";
      if (tok[0] == "$scope") scope.push_back(tok[2]);
      if (tok[0] == "$upscope") scope.pop_back();
      if (tok[0] == "$var") {
        std::string p;
        for (const auto& s : scope) p += s + ".";
        v.id_of[p + tok[4]] = tok[3];
        v.kind_of[p + tok[4]] = tok[1] + " " + tok[2];
      }
      if (tok[0] == "$enddefinitions") defs = false;
      continue;
    }
    if (tok[0] == "$dumpvars") dumpvars = true;
    else if (tok[0] == "$end") dumpvars = false;
    else if (tok[0][0] == '#') {
      now = std::stoull(tok[0].substr(1));
      v.times.push_back(now);
    } else if (tok[0][0] == 'b') {
      v.changes.emplace_back(now, tok[1], tok[0].substr(1));
    } else {
      v.changes.emplace_back(now, tok[0].substr(1), tok[0].substr(0, 1));
    }
    (void)dumpvars;
  }
  return v;
}

std::vector<std::pair<uint64_t, std::string>> history(const Vcd& v, const std::string& signal) {
  std::vector<std::pair<uint64_t, std::string>> h;
  auto it = v.id_of.find(signal);
  if (it == v.id_of.end()) return h;
  for (const auto& [t, id, val] : v.changes) {
    if (id == it->second) h.emplace_back(t, val);
  }
  return h;
}

TEST_F(SinksTest, VcdHasHeaderScopesAndOrderedChanges) {
  write_vcd(sample_recording(), 1e9, {}, path("waves.vcd"));
  const Vcd v = parse_vcd(read_file(path("waves.vcd")));
  EXPECT_NE(v.header.find("$timescale 1 ns $end"), std::string::npos);
  EXPECT_NE(v.header.find("$scope module array $end"), std::string::npos);
  EXPECT_NE(v.header.find("$scope module tile_0_2 $end"), std::string::npos);
  EXPECT_EQ(v.kind_of.at("array.tile_0_2.core.busy"), "wire 1");
  EXPECT_EQ(v.kind_of.at("array.tile_0_2.lock.3"), "reg 32");
  // The counter "<track>.busy" and the slice track's own wire do not collide.
  EXPECT_EQ(v.kind_of.at("array.tile_0_1.dma.mm2s_0.busy"), "reg 32");
  EXPECT_EQ(v.kind_of.at("array.tile_0_1.dma.mm2s_0.slice_busy"), "wire 1");
  std::set<std::string> ids;
  for (const auto& kv : v.id_of) ids.insert(kv.second);
  EXPECT_EQ(ids.size(), v.id_of.size()) << "identifiers are unique";
  for (size_t i = 1; i < v.times.size(); ++i) EXPECT_LT(v.times[i - 1], v.times[i]);
  using H = std::vector<std::pair<uint64_t, std::string>>;
  EXPECT_EQ(history(v, "array.tile_0_2.core.busy"), (H{{0, "0"}, {10, "1"}, {90, "0"}}));
  EXPECT_EQ(history(v, "array.tile_0_2.lock.3"), (H{{0, "10"}, {10, "1"}, {90, "10"}, {95, std::string(32, '1')}}));
  EXPECT_EQ(history(v, "array.stream.tile_0_1.mm2s_0.fifo"), (H{{0, "x"}, {5, "10000000"}}));
  // Two abutting/overlapping slices would merge; these two on mm2s_0 are separate.
  EXPECT_EQ(history(v, "array.tile_0_1.dma.mm2s_0.slice_busy"), (H{{0, "1"}, {100, "0"}, {150, "1"}, {250, "0"}}));
  // Deterministic.
  write_vcd(sample_recording(true), 1e9, {}, path("waves2.vcd"));
  EXPECT_EQ(read_file(path("waves.vcd")), read_file(path("waves2.vcd")));
}

TEST_F(SinksTest, VcdScopesFilterByTrackPrefix) {
  write_vcd(sample_recording(), 1e9, {"array.tile_0_2"}, path("waves.vcd"));
  const Vcd v = parse_vcd(read_file(path("waves.vcd")));
  EXPECT_EQ(v.id_of.size(), 2u);
  EXPECT_TRUE(v.id_of.count("array.tile_0_2.core.busy"));
  EXPECT_TRUE(v.id_of.count("array.tile_0_2.lock.3"));
  write_vcd(sample_recording(), 1e9, {"array.tile_0_1.dma", "array.stream"}, path("waves.vcd"));
  const Vcd w = parse_vcd(read_file(path("waves.vcd")));
  EXPECT_EQ(w.id_of.size(), 3u);
  EXPECT_FALSE(w.id_of.count("array.tile_0_2.core.busy"));
  EXPECT_TRUE(w.id_of.count("array.stream.tile_0_1.mm2s_0.fifo"));
  // Prefixes match whole components: "array.tile_0" is not a prefix of "array.tile_0_2".
  write_vcd(sample_recording(), 1e9, {"array.tile_0"}, path("waves.vcd"));
  EXPECT_TRUE(parse_vcd(read_file(path("waves.vcd"))).id_of.empty());
}

TEST_F(SinksTest, SummaryHasEveryFieldAndSortedStats) {
  RunSummary s;
  s.program = "fmnist-small";
  s.config = "paper-2x2";
  s.clock_hz = 1e9;
  s.inferences = 2;
  s.total_cycles = 5000;
  s.cycles_per_inference = 2500;
  s.core_compute_cycles = 4000;
  s.core_utilisation = 0.2;
  s.bytes_ddr_to_mem = 11;
  s.bytes_mem_to_ddr = 12;
  s.bytes_mem_to_core = 13;
  s.bytes_core_to_mem = 14;
  s.phases.push_back({"conv1", 1, 3000, 2400, 1000, 500});
  s.phases.push_back({"pool1", 2, 2000, 1600, 0, 0});
  s.bit_exact = 2;
  s.compared = 2;
  s.deadlock = false;
  s.deadlock_report = "";
  write_summary(s, sample_recording(), path("summary.json"));
  const json j = json::parse(read_file(path("summary.json")));
  for (const char* key : {"program", "config", "clock_hz", "inferences", "total_cycles", "cycles_per_inference",
                          "core_compute_cycles", "core_utilisation", "bytes_ddr_to_mem", "bytes_mem_to_ddr",
                          "bytes_mem_to_core", "bytes_core_to_mem", "phases", "bit_exact", "compared", "deadlock",
                          "deadlock_report", "stats"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["program"], "fmnist-small");
  EXPECT_EQ(j["total_cycles"], 5000);
  EXPECT_NEAR(j["simulated_seconds"].get<double>(), 5e-6, 1e-15);  // 5000 cycles at 1 GHz
  EXPECT_NEAR(j["seconds_per_inference"].get<double>(), 2.5e-6, 1e-15);
  EXPECT_DOUBLE_EQ(j["core_utilisation"].get<double>(), 0.2);
  EXPECT_EQ(j["bytes_core_to_mem"], 14);
  ASSERT_EQ(j["phases"].size(), 2u);
  EXPECT_EQ(j["phases"][0]["name"], "conv1");
  EXPECT_EQ(j["phases"][0]["core_busy_cycles"], 2400);
  EXPECT_EQ(j["phases"][0]["actual_macs"], 500);
  EXPECT_EQ(j["phases"][1]["layer"], 2);
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

TEST_F(SinksTest, AtomicWrite) {
  write_file_atomic(path("a.txt"), "one");
  write_file_atomic(path("a.txt"), "two");
  EXPECT_EQ(read_file(path("a.txt")), "two");
  EXPECT_FALSE(fs::exists(path("a.txt.tmp")));
  EXPECT_THROW(write_file_atomic(path("no/such/dir/a.txt"), "x"), std::runtime_error);
  EXPECT_EQ(read_file(path("a.txt")), "two");
}

}  // namespace
}  // namespace saie::traces
