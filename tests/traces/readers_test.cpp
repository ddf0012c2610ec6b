// readers_test.cpp — the readers of the sinks' files and of roofline.json: what the writer
// writes reads back to the same values (round trip), and a damaged file is one ReadError naming
// the file and the problem.
#include "traces/readers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "traces/sinks.h"

namespace saie::traces {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

RunSummary sample_summary() {
  RunSummary r;
  r.program = "resnet<8>";
  r.config = "paper-2x2";
  r.clock_hz = 1.25e9;
  r.inferences = 2;
  r.total_cycles = 20000;
  r.cycles_per_inference = 10000;
  r.core_compute_cycles = 12345;
  r.cores = 4;
  r.core_utilisation = 12345.0 / (4 * 20000.0);
  r.bytes_ddr_to_mem = 1;
  r.bytes_mem_to_ddr = 2;
  r.bytes_mem_to_core = 3;
  r.bytes_core_to_mem = 4;
  r.memtile_bytes_peak = 65536;
  r.core_bytes_peak = 4096;
  r.fidelity = "beat";
  r.timing_only = true;
  PhaseSummary p;
  p.name = "conv \"1\"";
  p.layer = 7;
  p.cycles = 20000;
  p.core_busy_cycles = 12345;
  p.dense_macs = 100;
  p.actual_macs = 50;
  p.stall_lock_cycles = 5;
  p.stall_data_cycles = 6;
  p.stall_space_cycles = 7;
  p.reconfig_cycles = 8;
  p.memtile_bytes = 65536;
  r.phases = {p};
  r.stall_lock_cycles = 5;
  r.stall_data_cycles = 6;
  r.stall_space_cycles = 7;
  r.bit_exact = 2;
  r.compared = 2;
  return r;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ReadError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
  return "";
}

TEST(SummaryReader, RoundTripsEveryField) {
  TraceRecorder rec;
  rec.add_stat("array.tile_0_2.core.busy_cycles", 50, "cycles", "cycles spent in compute ops");
  const std::string text = summary_json(sample_summary(), rec);
  const SummaryFile f = parse_summary(text);
  EXPECT_EQ(summary_json(f.run, rec), text);  // write -> read -> write: the same bytes
  EXPECT_EQ(f.run.phases.at(0).name, "conv \"1\"");
  EXPECT_EQ(f.run.cores, 4u);
  EXPECT_DOUBLE_EQ(f.seconds_per_inference(), 10000 / 1.25e9);
  EXPECT_EQ(f.stats.at("array.tile_0_2.core.busy_cycles").unit, "cycles");
  EXPECT_EQ(f.run.phases.at(0).reconfig_cycles, 8u);
  // A summary from before the reconfiguration waits were measured reads them as 0.
  json old = json::parse(text);
  old["stalls"].erase("reconfiguration");
  old["phases"][0]["stalls"].erase("reconfiguration");
  const SummaryFile o = parse_summary(old.dump());
  EXPECT_EQ(o.run.reconfig_cycles, 0u);
  EXPECT_EQ(o.run.phases.at(0).reconfig_cycles, 0u);
}

TEST(SummaryReader, CorruptInputNamesTheFileAndTheKey) {
  const json good = json::parse(summary_json(sample_summary(), TraceRecorder{}));
  auto with = [&](const std::function<void(json&)>& f) {
    json j = good;
    f(j);
    return error_of([&] { parse_summary(j.dump(), "run/summary.json"); });
  };
  EXPECT_THAT(error_of([] { parse_summary("{ not json", "run/summary.json"); }), HasSubstr("run/summary.json: not valid JSON"));
  EXPECT_THAT(error_of([] { parse_summary("[1]", "s.json"); }), HasSubstr("s.json: not a JSON object"));
  EXPECT_THAT(with([](json& j) { j.erase("total_cycles"); }), HasSubstr("run/summary.json has no 'total_cycles'"));
  EXPECT_THAT(with([](json& j) { j["inferences"] = -1; }), HasSubstr("'inferences' is not a non-negative integer"));
  EXPECT_THAT(with([](json& j) { j["phases"][0].erase("cycles"); }), HasSubstr("phases[0] has no 'cycles'"));
  EXPECT_THAT(with([](json& j) { j["phases"][0]["stalls"]["lock"] = "many"; }), HasSubstr("phases[0].stalls: 'lock'"));
  EXPECT_THAT(with([](json& j) { j["stalls"]["reconfiguration"] = -3; }),
              HasSubstr("stalls: 'reconfiguration' is not a non-negative integer"));
  EXPECT_THAT(with([](json& j) { j["fidelity"] = "exact"; }), HasSubstr("fidelity 'exact' is not lt or beat"));
  EXPECT_THAT(with([](json& j) { j["clock_hz"] = 0; }), HasSubstr("'clock_hz' is not positive"));
  EXPECT_THAT(with([](json& j) { j["stats"]["x"] = 1; }), HasSubstr("stats.x is not an object"));
  EXPECT_THAT(error_of([] { read_summary("/nonexistent/summary.json"); }), HasSubstr("cannot read '/nonexistent/summary.json'"));
}

Roofline sample_roofline() {
  Roofline r;
  r.network = "resnet<8>";
  r.config = "paper-2x2";
  r.clock_hz = 1e9;
  r.rates = RooflineRates{4, 1024, 4, 8, 64, 32};
  RooflineLayer a;
  a.layer = 1;
  a.name = "conv \"1\"";
  a.op = "conv";
  a.stored_macs = 73728;
  a.weight_bytes = 1152;
  a.input_bytes = 512;
  a.ddr_read_bytes = 1664;
  a.ingress_bytes = 2688;
  a.split_c = 3;
  a.compute_cycles = 72;
  a.ddr_cycles = 416;
  a.ingress_cycles = 84;
  RooflineLayer b = a;
  b.layer = 7;
  b.name = "add";
  b.op = "add";
  b.compute_cycles = 0;
  b.ddr_cycles = 0;
  b.ingress_cycles = 1.0 / 3;
  r.layers = {a, b};
  r.finish();
  return r;
}

TEST(RooflineReader, RoundTripsEveryFieldAndTheSimulatedCycles) {
  Roofline r = sample_roofline();
  EXPECT_EQ(r.bound, Bound::Ddr);
  EXPECT_DOUBLE_EQ(r.floor_cycles, 416);
  const std::string text = roofline_json(r);
  EXPECT_EQ(roofline_json(parse_roofline(text)), text);  // write -> read -> write: the same bytes
  RunSummary s = sample_summary();
  s.program = r.network;
  s.phases.at(0).layer = 1;
  s.phases.push_back(s.phases.at(0));  // two phases of layer 1: summed, per inference (2 inferences)
  attach_simulated(r, s);
  EXPECT_EQ(r.layers[0].simulated_cycles, 20000);
  EXPECT_EQ(r.layers[1].simulated_cycles, 0);  // no phase of layer 7
  EXPECT_EQ(r.simulated_cycles, 10000);
  const Roofline back = parse_roofline(roofline_json(r));
  EXPECT_EQ(back.layers[0].simulated_cycles, 20000);
  EXPECT_EQ(back.simulated_cycles, 10000);
  EXPECT_NE(format_roofline(back).find("24.04 x the floor"), std::string::npos) << format_roofline(back);
  s.program = "other";
  EXPECT_THROW(attach_simulated(r, s), std::runtime_error);
}

TEST(RooflineReader, CorruptInputNamesTheFileAndTheKey) {
  const json good = json::parse(roofline_json(sample_roofline()));
  auto with = [&](const std::function<void(json&)>& f) {
    json j = good;
    f(j);
    return error_of([&] { parse_roofline(j.dump(), "p/roofline.json"); });
  };
  EXPECT_THAT(error_of([] { parse_roofline("{", "p/roofline.json"); }), HasSubstr("p/roofline.json: not valid JSON"));
  EXPECT_THAT(with([](json& j) { j["format"] = "x"; }), HasSubstr("'format' is not sparseaie-roofline"));
  EXPECT_THAT(with([](json& j) { j["version"] = 2; }), HasSubstr("version 2 (this build reads 1)"));
  EXPECT_THAT(with([](json& j) { j["variant"] = "half"; }), HasSubstr("variant 'half' is not dense or sparse"));
  EXPECT_THAT(with([](json& j) { j["layers"][0].erase("ddr_cycles"); }), HasSubstr("layers[0] has no 'ddr_cycles'"));
  EXPECT_THAT(with([](json& j) { j["layers"][1]["bound"] = "memory"; }), HasSubstr("layers[1]: unknown bound 'memory'"));
  EXPECT_THAT(with([](json& j) { j["layers"][0]["compute_cycles"] = -1; }), HasSubstr("'compute_cycles' is negative"));
  EXPECT_THAT(with([](json& j) { j["layers"][0]["floor_cycles"] = 1; }), HasSubstr("layers[0]: floor_cycles/bound are not the largest"));
  EXPECT_THAT(with([](json& j) { j["network_floor"]["bound"] = "compute"; }), HasSubstr("network_floor is not the largest"));
  EXPECT_THAT(with([](json& j) { j["rates"].erase("macs_per_cycle"); }), HasSubstr("rates has no 'macs_per_cycle'"));
  EXPECT_THAT(error_of([] { read_roofline("/nonexistent/roofline.json"); }), HasSubstr("cannot read '/nonexistent/roofline.json'"));
}

TEST(BandwidthReader, RoundTripAndCorruptLines) {
  TraceRecorder rec;
  rec.add_slice({"array.tile_0_1.dma.mm2s_0", "bd 0", "dma", 0, 150, 300, 0});
  rec.add_slice({"array.stream.tile_0_2.s2mm_0.fifo", "x", "dma", 0, 1, 0, 0});
  const std::string dir = ::testing::TempDir();
  write_bandwidth_csv(rec, 100, dir + "/bw.csv");
  const std::vector<BandwidthRow> rows = read_bandwidth_csv(dir + "/bw.csv");
  ASSERT_EQ(rows.size(), 2u);  // 300 bytes over 150 cycles: 200 in [0,100), 100 in [100,200)
  EXPECT_EQ(rows[0].track, "array.tile_0_1.dma.mm2s_0");
  EXPECT_EQ(rows[0].bytes + rows[1].bytes, 300u);
  EXPECT_EQ(rows[1].bin_start, 100u);
  EXPECT_DOUBLE_EQ(rows[0].bytes_per_cycle, rows[0].bytes / 100.0);
  const std::string head = "bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle\n";
  EXPECT_EQ(parse_bandwidth_csv(head + "0,10,\"a,\"\"b\"\"\",5,0.5\n").at(0).track, "a,\"b\"");  // RFC 4180 quoting
  EXPECT_THAT(error_of([] { parse_bandwidth_csv("x\n", "b.csv"); }), HasSubstr("b.csv: line 1 is not the header"));
  EXPECT_THAT(error_of([&] { parse_bandwidth_csv(head + "0,100,t,x12,0.1\n", "b.csv"); }), HasSubstr("b.csv line 2: bytes is not a count"));
  EXPECT_THAT(error_of([&] { parse_bandwidth_csv(head + "100,100,t,1,0.1\n"); }), HasSubstr("bin_end_cycle is not after"));
  EXPECT_THAT(error_of([&] { parse_bandwidth_csv(head + "0,100,t,1\n"); }), HasSubstr("expected 5 fields, found 4"));
  EXPECT_THAT(error_of([&] { parse_bandwidth_csv(head + "0,100,\"t,1,0.1\n"); }), HasSubstr("unterminated quote"));
}

TEST(PerfettoReader, RoundTripAndCorruptFiles) {
  TraceRecorder rec;
  rec.add_slice({"array.tile_0_2.core", "conv", "compute", 0, 10, 0, 0});
  rec.add_counter("array.tile_0_2.lock.0", 0, 1);
  const std::string dir = ::testing::TempDir();
  write_perfetto(rec, 1e9, dir + "/t.json", 10);
  const PerfettoTrace all = read_perfetto(dir + "/t.json");
  EXPECT_EQ(all.slices.size(), 1u);
  EXPECT_FALSE(all.counters.empty());
  EXPECT_TRUE(read_perfetto(dir + "/t.json", /*with_counters=*/false).counters.empty());
  EXPECT_THAT(error_of([] { parse_perfetto(json::array(), "t.json"); }), HasSubstr("t.json: no traceEvents array"));
  EXPECT_THAT(error_of([] { parse_perfetto(json{{"traceEvents", {{{"ph", "X"}, {"pid", 1}}}}}, "t.json"); }),
              HasSubstr("t.json: event 0: slice without name"));
}

}  // namespace
}  // namespace saie::traces
