// trace_outputs_test.cpp — the trace files of `sparseaie simulate --vcd` as a user gets them:
// a small sparse network (tests/model/test_graphs.h, written as a bundle; no LibTorch needed)
// is compiled and simulated twice on the same seeded inputs. The two runs' trace.json,
// waves.vcd, bandwidth.csv and summary.json are byte-identical; the VCD parses (strict reader,
// traces/readers.h) with a hardware-like hierarchy (core busy, DMA channel busy,
// lock values, BD ids, FIFO occupancy); trace.json parses with one process per tile;
// bandwidth.csv and summary.json agree with the other files; --vcd-scope keeps one tile.
// No cycle counts are hard-coded: everything is checked against the other outputs.
#include <gtest/gtest.h>

#include "tests/e2e/cli_test_util.h"
#include "traces/readers.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/bundle/bundle_io.h"
#include "tests/model/test_graphs.h"

namespace fs = std::filesystem;

namespace {

using saie::test::driver;
using saie::test::fresh_dir;
using saie::test::sh;
using saie::test::slurp;

// Total cycles a 1-bit VCD signal is 1 up to `end`.
uint64_t high_cycles(const saie::traces::VcdFile& v, const std::string& path, uint64_t end) {
  uint64_t total = 0, since = 0;
  bool high = false;
  for (const auto& [t, val] : v.history(path)) {
    if (high && val != "1") total += t - since;
    if (!high && val == "1") since = t;
    high = val == "1";
  }
  if (high && end > since) total += end - since;
  return total;
}

// Parses every file of one simulate --vcd output folder and checks them against each other.
void check_outputs(const fs::path& dir, const std::string& fidelity) {
  SCOPED_TRACE(dir.string());
  const auto summary = saie::test::read_json(dir / "summary.json");
  const uint64_t total_cycles = summary.at("total_cycles").get<uint64_t>();
  ASSERT_GT(total_cycles, 0u);

  // (2) The VCD: strict parse, hardware-like hierarchy.
  const saie::traces::VcdFile vcd = saie::traces::parse_vcd(slurp(dir / "waves.vcd"));
  EXPECT_EQ(vcd.timescale, "1 ns");
  const std::regex core_busy(R"(array\.tile_(\d+)_2\.core\.busy)"), dma_busy(R"(array\.tile_\d+_\d+\.dma\.(s2mm|mm2s)_\d+\.busy)"),
      lock(R"(array\.tile_\d+_\d+\.lock\.\d+)"), fifo(R"(array\.tile_\d+_\d+\.dma\.s2mm_\d+\.fifo)"),
      bd(R"(array\.tile_\d+_\d+\.dma\.(s2mm|mm2s)_\d+\.bd)");
  std::set<std::string> core_busy_paths;
  int dma_busy_n = 0, lock_n = 0, fifo_n = 0, bd_n = 0;
  bool s2mm0_busy = false;
  for (const auto& [p, var] : vcd.vars) {
    if (std::regex_match(p, core_busy)) {
      EXPECT_EQ(var.type + " " + std::to_string(var.width), "wire 1") << p;
      core_busy_paths.insert(p);
    }
    if (std::regex_match(p, dma_busy)) {
      EXPECT_EQ(var.width, 1) << p;
      ++dma_busy_n;
      if (p.find(".dma.s2mm_0.busy") != std::string::npos) s2mm0_busy = true;
    }
    if (std::regex_match(p, lock) || std::regex_match(p, fifo) || std::regex_match(p, bd)) {
      EXPECT_EQ(var.type + " " + std::to_string(var.width), "integer 32") << p;
    }
    lock_n += std::regex_match(p, lock);
    fifo_n += std::regex_match(p, fifo);
    bd_n += std::regex_match(p, bd);
  }
  EXPECT_FALSE(core_busy_paths.empty()) << "no array.tile_*_2.core.busy";
  EXPECT_TRUE(s2mm0_busy) << "no dma.s2mm_0.busy";
  EXPECT_GT(dma_busy_n, 0);
  EXPECT_GT(lock_n, 0) << "no lock values";
  EXPECT_GT(fifo_n, 0) << "no FIFO occupancy";
  EXPECT_GT(bd_n, 0) << "no BD ids";
  EXPECT_TRUE(vcd.vars.count("array.control.phase"));
  for (const uint64_t t : vcd.times) EXPECT_LE(t, total_cycles);
  // The cores' busy time in the VCD is the compute time in summary.json.
  uint64_t busy = 0;
  for (const auto& [p, var] : vcd.vars) {
    if (p.size() > 10 && p.compare(p.size() - 10, 10, ".core.busy") == 0) busy += high_cycles(vcd, p, total_cycles);
  }
  EXPECT_EQ(busy, summary.at("core_compute_cycles").get<uint64_t>());
  // Lock values are 6-bit semaphores: 0..63 once known.
  for (const auto& [p, var] : vcd.vars) {
    if (!std::regex_match(p, lock)) continue;
    for (const auto& [t, val] : vcd.history(p)) {
      if (val == "x") continue;
      const int64_t n = saie::traces::vcd_int(val);
      EXPECT_TRUE(n >= 0 && n <= 63) << p << " = " << n << " at " << t;
    }
  }

  // (3) trace.json: structure, one process per tile sorted by column then row.
  const auto trace = saie::traces::parse_perfetto(saie::test::read_json(dir / "trace.json"));
  std::map<std::pair<uint32_t, uint32_t>, int> tile_pid;
  const std::regex tile_label(R"(array\.tile_(\d+)_(\d+))");
  for (const auto& [pid, label] : trace.process_label) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(label, m, tile_label)) << label;
    const std::pair<uint32_t, uint32_t> cr{std::stoul(m[1]), std::stoul(m[2])};
    EXPECT_TRUE(tile_pid.emplace(cr, pid).second) << "two processes for " << label;
    EXPECT_EQ(trace.process_name.at(pid), "tile(" + std::to_string(cr.first) + "," + std::to_string(cr.second) + ")");
  }
  int64_t prev_sort = -1;
  for (const auto& [cr, pid] : tile_pid) {  // std::map: column, then row
    EXPECT_GT(trace.process_sort.at(pid), prev_sort) << "tile(" << cr.first << "," << cr.second << ") out of order";
    prev_sort = trace.process_sort.at(pid);
  }
  // Every tile with a signal in the VCD has its process, with a "core" thread where it has a core.
  for (const auto& p : core_busy_paths) {
    std::smatch m;
    const std::string tile = p.substr(0, p.size() - std::string(".core.busy").size());
    ASSERT_TRUE(std::regex_match(tile, m, tile_label));
    const std::pair<uint32_t, uint32_t> cr{std::stoul(m[1]), std::stoul(m[2])};
    ASSERT_TRUE(tile_pid.count(cr)) << tile;
    bool has_core = false;
    for (const auto& [pt, name] : trace.thread_name) has_core |= pt.first == tile_pid[cr] && name == "core";
    EXPECT_TRUE(has_core) << tile;
  }
  EXPECT_FALSE(trace.slices.empty());
  bool bandwidth_counter = false, lock_counter = false;
  for (const auto& c : trace.counters) {
    const std::string n = c["name"];
    bandwidth_counter |= n.size() > 10 && n.compare(n.size() - 10, 10, ".bandwidth") == 0;
    lock_counter |= n.rfind("lock.", 0) == 0;
  }
  EXPECT_TRUE(bandwidth_counter);
  EXPECT_TRUE(lock_counter);

  // bandwidth.csv: per track, the bytes of the DMA slices in trace.json.
  std::map<std::string, uint64_t> csv_bytes, slice_bytes;
  {
    std::istringstream in(slurp(dir / "bandwidth.csv"));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle");
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string f[5];
      for (auto& x : f) std::getline(ls, x, ',');
      EXPECT_EQ(std::stoull(f[1]) - std::stoull(f[0]), 200u) << "--bin-cycles 200";
      csv_bytes[f[2]] += std::stoull(f[3]);
    }
  }
  std::map<int, std::string> label_of(trace.process_label.begin(), trace.process_label.end());
  for (const auto& x : trace.slices) {
    const uint64_t b = x["args"]["bytes"];
    if (b == 0) continue;
    const std::string track = label_of[x["pid"].get<int>()] + "." + trace.thread_name.at({x["pid"].get<int>(), x["tid"].get<int>()});
    slice_bytes[track] += b;
  }
  EXPECT_FALSE(csv_bytes.empty());
  EXPECT_EQ(csv_bytes, slice_bytes);

  // summary.json: stalls per cause, fidelity, per-phase utilisation.
  for (const char* k : {"fidelity", "timing_only", "cores", "stalls", "phases", "core_utilisation"}) EXPECT_TRUE(summary.contains(k)) << k;
  EXPECT_EQ(summary.at("fidelity"), fidelity);
  EXPECT_EQ(summary.at("timing_only"), false);
  EXPECT_EQ(summary.at("cores").get<int>(), 4) << "paper-2x2 has 2 x 2 compute tiles";
  for (const char* k : {"lock", "data", "output_space", "total"}) EXPECT_TRUE(summary.at("stalls").contains(k)) << k;
  uint64_t phase_cycles = 0;
  for (const auto& p : summary.at("phases")) {
    for (const char* k : {"lock", "data", "output_space", "total"}) EXPECT_TRUE(p.at("stalls").contains(k)) << k;
    const double u = p.at("core_utilisation").get<double>();
    EXPECT_GE(u, 0.0);
    EXPECT_LE(u, 1.0);
    phase_cycles += p.at("cycles").get<uint64_t>();
  }
  EXPECT_EQ(phase_cycles, total_cycles) << "the phases cover the run";
}

class TraceOutputs : public ::testing::Test {
 protected:
  // Each test writes its own bundle and compiles it (a fraction of a second; tests run in separate processes).
  void SetUp() override {
    ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
    d_ = fresh_dir("trace_outputs_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    bundle_ = (d_ / "bundle").string();
    prog_ = (d_ / "prog").string();
    saie::bundle::write_bundle(saie::test::make_test_graph(31, true), bundle_);
    ASSERT_EQ(sh(driver() + " compile " + bundle_ + " -c paper-2x2 -o " + prog_ + " > " + (d_ / "compile.log").string() + " 2>&1"), 0)
        << slurp(d_ / "compile.log");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(d_);
  }
  // `sparseaie simulate` on two seeded random inputs into d_/name; its exit status.
  // with_bundle: compare with the reference executor (the bundle).
  int simulate(const std::string& name, const std::string& extra, bool with_bundle = true) {
    const std::string out = (d_ / name).string();
    return sh(driver() + " simulate " + prog_ + "/program.bin -c paper-2x2" + (with_bundle ? " --bundle " + bundle_ : std::string()) +
              " --random-inputs 2 --seed 5 --bin-cycles 200 -o " + out + " " + extra + " > " + out + ".log 2> " + out + ".err");
  }
  fs::path d_;
  std::string bundle_, prog_;
};

TEST_F(TraceOutputs, TwoRunsAreByteIdenticalAndEveryFileParses) {
  ASSERT_EQ(simulate("run1", "--vcd"), 0) << slurp(d_ / "run1.err");
  ASSERT_EQ(simulate("run2", "--vcd"), 0) << slurp(d_ / "run2.err");
  EXPECT_NE(slurp(d_ / "run1.log").find("bit-exact vs reference  : 2/2"), std::string::npos) << slurp(d_ / "run1.log");

  // (1) Same inputs, same results: every output byte-identical.
  for (const char* f : {"trace.json", "waves.vcd", "bandwidth.csv", "summary.json", "config.json"}) {
    ASSERT_TRUE(fs::exists(d_ / "run1" / f)) << f;
    const std::string a = slurp(d_ / "run1" / f), b = slurp(d_ / "run2" / f);
    EXPECT_FALSE(a.empty()) << f;
    EXPECT_TRUE(a == b) << f << " differs between two identical runs";
    EXPECT_FALSE(fs::exists(d_ / "run1" / (std::string(f) + ".tmp"))) << f;
  }

  check_outputs(d_ / "run1", "lt");
}

TEST_F(TraceOutputs, VcdScopeKeepsOnlyThatTile) {
  ASSERT_EQ(simulate("all", "--vcd"), 0) << slurp(d_ / "all.err");
  ASSERT_EQ(simulate("one", "--vcd --vcd-scope array.tile_0_2"), 0) << slurp(d_ / "one.err");
  const auto all = saie::traces::parse_vcd(slurp(d_ / "all" / "waves.vcd"));
  const auto one = saie::traces::parse_vcd(slurp(d_ / "one" / "waves.vcd"));
  ASSERT_FALSE(one.vars.empty());
  for (const auto& [p, var] : one.vars) EXPECT_EQ(p.rfind("array.tile_0_2.", 0), 0u) << p;
  EXPECT_TRUE(one.vars.count("array.tile_0_2.core.busy"));
  // Exactly the tile's signals of the full VCD, with the same value changes.
  EXPECT_EQ(one.paths_with_prefix("array.tile_0_2."), all.paths_with_prefix("array.tile_0_2."));
  for (const auto& p : one.paths_with_prefix("array.tile_0_2.")) EXPECT_EQ(one.history(p), all.history(p)) << p;
  // The other outputs do not depend on the scope.
  EXPECT_TRUE(slurp(d_ / "all" / "trace.json") == slurp(d_ / "one" / "trace.json"));

  // A scope that matches nothing is one error line and a non-zero exit, not an empty VCD.
  EXPECT_NE(simulate("none", "--vcd --vcd-scope array.tile_9_9"), 0);
  std::vector<std::string> errors;  // stderr also has the driver's "[sparseaie] ..." progress lines
  {
    std::istringstream in(slurp(d_ / "none.err"));
    for (std::string line; std::getline(in, line);)
      if (line.rfind("[sparseaie]", 0) != 0) errors.push_back(line);
  }
  ASSERT_EQ(errors.size(), 1u) << slurp(d_ / "none.err");
  EXPECT_EQ(errors[0].rfind("error:", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("--vcd-scope"), std::string::npos) << errors[0];
  EXPECT_FALSE(fs::exists(d_ / "none" / "waves.vcd"));
}

TEST_F(TraceOutputs, BeatFidelityAndTimingOnlyRunsGiveValidTraces) {
  // The per-beat stream model records its own slices and counters: same file checks, same
  // determinism.
  ASSERT_EQ(simulate("beat1", "--vcd --fidelity beat"), 0) << slurp(d_ / "beat1.err");
  ASSERT_EQ(simulate("beat2", "--vcd --fidelity beat"), 0) << slurp(d_ / "beat2.err");
  for (const char* f : {"trace.json", "waves.vcd", "bandwidth.csv", "summary.json"})
    EXPECT_TRUE(slurp(d_ / "beat1" / f) == slurp(d_ / "beat2" / f)) << f << " differs between two identical beat runs";
  check_outputs(d_ / "beat1", "beat");
  // Timing only: the same traces as a full run (arithmetic does not change time), flagged.
  ASSERT_EQ(simulate("full", "--vcd", false), 0) << slurp(d_ / "full.err");
  ASSERT_EQ(simulate("timing", "--vcd --timing-only", false), 0) << slurp(d_ / "timing.err");
  const saie::traces::RunSummary full = saie::traces::read_summary((d_ / "full" / "summary.json").string()).run;
  const saie::traces::RunSummary timing = saie::traces::read_summary((d_ / "timing" / "summary.json").string()).run;
  EXPECT_TRUE(timing.timing_only);
  EXPECT_FALSE(full.timing_only);
  EXPECT_EQ(timing.total_cycles, full.total_cycles);
  for (const char* f : {"trace.json", "waves.vcd", "bandwidth.csv"})
    EXPECT_TRUE(slurp(d_ / "full" / f) == slurp(d_ / "timing" / f)) << f << " differs with --timing-only";
}

}  // namespace
