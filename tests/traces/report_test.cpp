// report_test.cpp — `sparseaie report`'s page builder (traces/report.h) on synthetic simulate
// outputs written with the real sinks (write_summary, write_perfetto, write_bandwidth_csv): the
// sections are there, the timeline / bars / bandwidth are inline SVG with rects from the data, no
// external resource is referenced, the page is deterministic, large traces stay bounded, and bad
// inputs give one-line errors.
#include "traces/report.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <sstream>
#include <string>

#include "hw/config/array_config.h"
#include "traces/roofline.h"
#include "traces/sinks.h"
#include "traces/summary.h"
#include "traces/trace.h"

namespace saie::traces {
namespace {

namespace fs = std::filesystem;

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text of <section id="ID">...</section>, or "" if absent.
std::string section(const std::string& html, const std::string& id) {
  const size_t b = html.find("<section id=\"" + id + "\">");
  if (b == std::string::npos) return "";
  const size_t e = html.find("</section>", b);
  return e == std::string::npos ? "" : html.substr(b, e - b);
}

// Checks the page is self-contained and its tags balance.
void check_self_contained(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  for (const char* tag : {"svg", "section", "table", "details", "g", "style", "html", "body", "i", "span", "div", "p"})
    EXPECT_EQ(count(html, std::string("<") + tag + ">") + count(html, std::string("<") + tag + " "), count(html, std::string("</") + tag + ">"))
        << tag;
  // Every rect has finite, non-negative geometry (x, y, width, height in that order).
  size_t n = 0;
  for (size_t p = html.find("<rect "); p != std::string::npos; p = html.find("<rect ", p + 6), ++n) {
    double v[4] = {-1, -1, -1, -1};
    const char* keys[4] = {" x=\"", " y=\"", " width=\"", " height=\""};
    size_t q = p;
    for (int k = 0; k < 4; ++k) {
      q = html.find(keys[k], q);
      ASSERT_NE(q, std::string::npos);
      q += std::string(keys[k]).size();
      v[k] = std::strtod(html.c_str() + q, nullptr);
    }
    EXPECT_GE(v[0], 0.0);
    EXPECT_GE(v[1], 0.0);
    EXPECT_GT(v[2], 0.0);
    EXPECT_GT(v[3], 0.0);
  }
  EXPECT_GT(n, 0u);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  EXPECT_EQ(html.find("inf\""), std::string::npos);
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("saie_report_test_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // A run on a 2x2 array (row 0 shim, row 1 memtile, rows 2-3 cores): `phases` phases of
  // `per_phase` cycles; per phase every core computes in `ops` slices with lock waits between,
  // the memtile and shim DMAs move bytes. compute_scale stretches the compute (a "dense" run).
  fs::path make_run(const std::string& name, uint32_t phases, uint64_t per_phase, uint32_t ops, double compute_scale = 1.0,
                    const std::string& first_phase_name = "conv1") {
    const fs::path d = dir_ / name;
    fs::create_directories(d);
    TraceRecorder rec;
    RunSummary s;
    s.program = "test<net>";
    s.config = "paper-2x2";
    s.inferences = 1;
    s.cores = 4;
    const uint64_t len = static_cast<uint64_t>(double(per_phase) * compute_scale);
    uint64_t t = 0;
    for (uint32_t p = 0; p < phases; ++p) {
      PhaseSummary ps;
      ps.name = p == 0 ? first_phase_name : "layer" + std::to_string(p);
      ps.layer = p;
      ps.cycles = len;
      rec.add_slice({"array.control", ps.name, "control", t, t + len, 0, p});
      for (uint32_t c = 0; c < 2; ++c) {
        rec.add_slice({"array.tile_" + std::to_string(c) + "_0.dma.mm2s_0", "bd 0", "dma", t, t + len / 4, 4096, p});
        rec.add_slice({"array.tile_" + std::to_string(c) + "_1.dma.mm2s_0", "bd 1", "dma", t + len / 8, t + len / 2, 2048, p});
        rec.add_slice({"array.tile_" + std::to_string(c) + "_1.dma.s2mm_0", "bd 2", "dma", t + len / 2, t + len, 1024, p});
        for (uint32_t r = 2; r < 4; ++r) {
          const std::string core = "array.tile_" + std::to_string(c) + "_" + std::to_string(r);
          rec.add_slice({core + ".dma.s2mm_0", "bd 0", "dma", t, t + len / 3, 512, p});
          const uint64_t step = std::max<uint64_t>(2, len / (2 * ops));
          for (uint32_t k = 0; k < ops; ++k) {
            const uint64_t b = t + len / 3 + k * step;
            if (b + step >= t + len) break;
            rec.add_slice({core + ".core", "lock acq", "lock", b, b + step / 4, 0, p});
            rec.add_slice({core + ".core", "conv op " + std::to_string(k), "compute", b + step / 4, b + step, 0, p});
            ps.core_busy_cycles += step - step / 4;
            ps.stall_lock_cycles += step / 4;
          }
        }
      }
      ps.stall_data_cycles = len / 5;
      ps.stall_space_cycles = len / 7;
      ps.reconfig_cycles = 1000 + p;
      ps.memtile_bytes = 65536u * (p + 1);  // 64 KiB, 128 KiB, ... of the 512 KiB memtile
      s.phases.push_back(ps);
      t += len;
    }
    rec.add_counter("array.tile_0_2.lock.0", 0, 1);
    s.total_cycles = t;
    s.cycles_per_inference = t;
    for (const auto& p : s.phases) s.core_compute_cycles += p.core_busy_cycles;
    s.core_utilisation = double(s.core_compute_cycles) / (4.0 * double(t));
    write_summary(s, rec, (d / "summary.json").string());
    write_perfetto(rec, 1e9, (d / "trace.json").string(), 100);
    write_bandwidth_csv(rec, 100, (d / "bandwidth.csv").string());
    config::ArrayConfig cfg;  // 2 x 2 cores, one memtile row, 512 KiB memtiles
    cfg.name = "paper-2x2";
    std::ofstream(d / "config.json") << config::to_json(cfg);
    return d;
  }
  fs::path dir_;
};

TEST_F(ReportTest, RooflineSectionSetsEachLayerAgainstItsFloor) {
  const fs::path run = make_run("sparse", 3, 4000, 6);
  ReportOptions opt;
  opt.run_dir = run.string();
  EXPECT_NE(section(build_report_html(opt), "roofline").find("No roofline.json"), std::string::npos);
  Roofline r;
  r.network = "test<net>";
  r.config = "paper-2x2";
  r.rates = RooflineRates{4, 1024, 8, 16, 64, 32};
  for (uint32_t p = 0; p < 3; ++p) {
    RooflineLayer l;
    l.layer = p;
    l.name = p == 0 ? "conv1" : "layer" + std::to_string(p);
    l.op = p == 2 ? "add" : "conv";
    l.compute_cycles = p == 2 ? 0 : 1000;
    l.ddr_cycles = p == 1 ? 2000 : 10;
    l.ingress_cycles = 500;
    r.layers.push_back(l);
  }
  r.finish();
  std::ofstream(run / "roofline.json") << roofline_json(r);
  const std::string html = build_report_html(opt);
  check_self_contained(html);
  const std::string roof = section(html, "roofline");
  ASSERT_FALSE(roof.empty());
  // Each phase's 4000 cycles against its floor: 1000 (compute), 2000 (DDR), 500 (ingress).
  EXPECT_NE(roof.find("<td class=\"l\">conv1</td><td class=\"l\">conv</td><td>1000</td><td>10</td><td>500</td><td>1000</td>"
                      "<td class=\"l\">compute</td><td>4000</td><td>4.00</td>"),
            std::string::npos)
      << roof.substr(0, 3000);
  EXPECT_NE(roof.find("<td>2000</td><td class=\"l\">ddr</td><td>4000</td><td>2.00</td>"), std::string::npos);
  EXPECT_NE(roof.find("<td class=\"l\">ingress</td><td>4000</td><td>8.00</td>"), std::string::npos);
  // The network: sums 2000 / 2020 / 1500 -> 2020 (DDR); simulated 12000.
  EXPECT_NE(roof.find("<b>5.94x the floor</b>"), std::string::npos);
  EXPECT_EQ(count(roof, "<svg"), 1u);
  EXPECT_EQ(count(roof, "fill=\"#4878d0\""), 1u);  // the compute-bound floor bar (legend swatches are styles)
  EXPECT_EQ(count(roof, "fill=\"#d65f5f\""), 1u);
  EXPECT_EQ(count(roof, "fill=\"#6acc64\""), 1u);
  EXPECT_NE(roof.find("<i style=\"background:#4878d0\"></i>"), std::string::npos) << "legend swatches are closed elements";
  // A roofline of another network is an error, not a wrong page.
  r.network = "other";
  std::ofstream(run / "roofline.json") << roofline_json(r);
  try {
    build_report_html(opt);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("does not belong to this run"), std::string::npos) << e.what();
  }
}

TEST_F(ReportTest, PageHasEverySectionAsInlineSvg) {
  const fs::path run = make_run("sparse", 3, 4000, 6, 1.0, "<conv&1>");
  ReportOptions opt;
  opt.run_dir = run.string();
  const std::string html = build_report_html(opt);
  check_self_contained(html);

  // (1) Per-layer table and bars: one row per phase, names escaped.
  const std::string phases = section(html, "phases");
  ASSERT_FALSE(phases.empty());
  EXPECT_NE(phases.find("&lt;conv&amp;1&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<conv&1>"), std::string::npos);
  for (const char* p : {"layer1", "layer2"}) EXPECT_NE(phases.find(std::string(">") + p + "<"), std::string::npos) << p;
  EXPECT_EQ(count(phases, "<svg"), 1u);
  EXPECT_GE(count(phases, "<rect "), 3u * 2);  // busy + rest per phase, plus stall segments
  EXPECT_NE(phases.find("stall"), std::string::npos);
  EXPECT_NE(phases.find("<th>reconfiguration</th>"), std::string::npos);
  EXPECT_NE(phases.find(">1001<"), std::string::npos);  // phase 1's reconfiguration wait
  EXPECT_TRUE(section(html, "dense").empty()) << "no dense section without --dense";

  // (2) Timeline: one SVG per phase execution, rows per core and DMA channel grouped by tile.
  const std::string tl = section(html, "timeline");
  ASSERT_FALSE(tl.empty());
  EXPECT_EQ(count(tl, "<svg"), 3u);
  EXPECT_EQ(count(tl, "<details"), 3u);
  for (const char* row : {"tile(0,0) dma.mm2s_0", "tile(0,1) dma.s2mm_0", "tile(0,2) core", "tile(1,3) core", "tile(1,3) dma.s2mm_0"})
    EXPECT_NE(tl.find(row), std::string::npos) << row;
  EXPECT_LT(tl.find("tile(0,2) core"), tl.find("tile(0,2) dma.s2mm_0")) << "core row first in its tile";
  EXPECT_LT(tl.find("tile(0,3) core"), tl.find("tile(1,0) dma.mm2s_0")) << "tiles by column, then row";
  EXPECT_NE(tl.find("fill=\"#4878d0\""), std::string::npos) << "compute colour";
  EXPECT_NE(tl.find("fill=\"#ee854a\""), std::string::npos) << "dma colour";
  EXPECT_NE(tl.find("fill=\"#d65f5f\""), std::string::npos) << "lock colour";
  EXPECT_GT(count(tl, "<rect "), 3u * 8);
  EXPECT_NE(tl.find("conv op 0"), std::string::npos) << "slice names as tooltips";

  // (3) Bandwidth: one area per channel kind, with the bytes of each kind.
  const std::string bw = section(html, "bandwidth");
  ASSERT_FALSE(bw.empty());
  EXPECT_EQ(count(bw, "<polygon "), 3u);
  // shim: 2 columns x 4096 bytes x 3 phases; memtile: 2 x (2048 + 1024) x 3; core: 4 x 512 x 3.
  EXPECT_NE(bw.find("<td class=\"l\">shim</td><td>2</td><td>24576</td>"), std::string::npos) << bw.substr(0, 2000);
  EXPECT_NE(bw.find("<td class=\"l\">memtile</td><td>4</td><td>18432</td>"), std::string::npos);
  EXPECT_NE(bw.find("<td class=\"l\">core</td><td>4</td><td>6144</td>"), std::string::npos);

  // Deterministic, and write_report leaves only the page.
  EXPECT_EQ(html, build_report_html(opt));
  const fs::path out = dir_ / "report.html";
  write_report(opt, out.string());
  EXPECT_EQ(slurp(out), html);
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
}

TEST_F(ReportTest, MemtileOccupancyPerPhase) {
  const fs::path run = make_run("mem", 3, 1000, 2);
  const std::string html = build_report_html(ReportOptions{run.string(), "", 8});
  const std::string mem = section(html, "memtile");
  ASSERT_FALSE(mem.empty());
  EXPECT_NE(mem.find("against the memtile's 524288 bytes. Peak 196608 bytes (37.5%)"), std::string::npos) << mem;
  EXPECT_NE(mem.find("layer1: 131072 bytes"), std::string::npos);
  EXPECT_NE(mem.find(">25%</text>"), std::string::npos);  // layer1: 128 KiB of 512 KiB
  EXPECT_NE(mem.find(">38%</text>"), std::string::npos);  // layer2: 192 KiB (37.5%)
}

TEST_F(ReportTest, DenseSideBySideWithSpeedupPerLayer) {
  const fs::path sp = make_run("sparse", 3, 4000, 6, 1.0);
  const fs::path de = make_run("dense", 3, 4000, 6, 2.0);
  ReportOptions opt;
  opt.run_dir = sp.string();
  opt.dense_dir = de.string();
  const std::string html = build_report_html(opt);
  check_self_contained(html);
  const std::string d = section(html, "dense");
  ASSERT_FALSE(d.empty());
  // Every phase is twice as long dense: 2.00x per layer and in total.
  EXPECT_EQ(count(d, "<td>2.00x</td>"), 3u) << d.substr(0, 3000);
  EXPECT_NE(d.find("speedup <b>2.00x</b>"), std::string::npos);
  EXPECT_NE(d.find("<td>8000</td><td>4000</td>"), std::string::npos);
  EXPECT_EQ(count(d, "<svg"), 1u);
  EXPECT_EQ(count(d, "fill=\"#8c8c8c\""), 3u);  // one dense bar per phase
}

TEST_F(ReportTest, LargeTraceIsLimitedAndSaysSo) {
  // 40 phases x 4 cores x 200 ops x 2 (lock + compute): about 65k slices; the page stays small.
  const fs::path run = make_run("big", 40, 20000, 200);
  ReportOptions opt;
  opt.run_dir = run.string();
  opt.timeline_phases = 5;
  const std::string html = build_report_html(opt);
  check_self_contained(html);
  const std::string tl = section(html, "timeline");
  EXPECT_EQ(count(tl, "<svg"), 5u);
  EXPECT_NE(tl.find("the first 5 of 40 phase executions"), std::string::npos);
  EXPECT_NE(tl.find("35 later phase executions are not drawn"), std::string::npos);
  EXPECT_NE(tl.find("slices merged"), std::string::npos);
  // Bars per timeline are bounded by pixels, not by slices.
  EXPECT_LT(count(tl, "<rect "), 5u * 20u * 1300u);
  EXPECT_LT(html.size(), 8u << 20) << "page too large";
}

TEST_F(ReportTest, MissingTraceAndBandwidthGiveNotes) {
  const fs::path run = make_run("notrace", 2, 1000, 3);
  fs::remove(run / "trace.json");
  fs::remove(run / "bandwidth.csv");
  ReportOptions opt;
  opt.run_dir = run.string();
  const std::string html = build_report_html(opt);
  check_self_contained(html);
  EXPECT_NE(section(html, "timeline").find("No trace.json"), std::string::npos);
  EXPECT_NE(section(html, "bandwidth").find("No bandwidth.csv"), std::string::npos);
  EXPECT_FALSE(section(html, "phases").empty());
}

// A layer name is data: a name with markup and quotes reaches the page only as text, in the
// tables, the bar labels and the tooltips alike.
TEST_F(ReportTest, LayerNamesWithMarkupAndQuotesStayText) {
  const std::string evil = "<script>alert(\"pwned\")</script>\" onmouseover=\"x";
  const fs::path run = make_run("evil", 3, 4000, 6, 1.0, evil);
  ReportOptions opt;
  opt.run_dir = run.string();
  const std::string html = build_report_html(opt);
  check_self_contained(html);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("\" onmouseover"), std::string::npos);
  const std::string shown = "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&quot; onmouseover=&quot;x";
  EXPECT_GE(count(section(html, "phases"), shown), 3u);  // table cell, bar label, tooltip
  EXPECT_GE(count(section(html, "memtile"), shown), 2u);
}

TEST_F(ReportTest, BadInputsAreOneLineErrors) {
  auto error_of = [](const ReportOptions& o) -> std::string {
    try {
      build_report_html(o);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  ReportOptions opt;
  opt.run_dir = (dir_ / "nope").string();
  std::string e = error_of(opt);
  EXPECT_NE(e.find("no such folder"), std::string::npos) << e;

  fs::create_directories(dir_ / "empty");
  opt.run_dir = (dir_ / "empty").string();
  e = error_of(opt);
  EXPECT_NE(e.find("summary.json not found"), std::string::npos) << e;

  const fs::path run = make_run("run", 2, 1000, 3);
  opt.run_dir = run.string();
  opt.dense_dir = (dir_ / "missing_dense").string();
  e = error_of(opt);
  EXPECT_NE(e.find("no such folder"), std::string::npos) << e;
  opt.dense_dir.clear();

  const std::string good_trace = slurp(run / "trace.json");
  std::ofstream(run / "trace.json") << "{\"traceEvents\": [ {\"ph\": ";
  e = error_of(opt);
  EXPECT_NE(e.find("cannot parse"), std::string::npos) << e;
  EXPECT_NE(e.find("trace.json"), std::string::npos) << e;
  std::ofstream(run / "trace.json") << good_trace;

  std::ofstream(run / "bandwidth.csv") << "bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle\n0,100,array.tile_0_0.dma.mm2s_0,x12,0.1\n";
  e = error_of(opt);
  EXPECT_NE(e.find("bandwidth.csv line 2"), std::string::npos) << e;

  std::ofstream(run / "summary.json") << "{ not json";
  e = error_of(opt);
  EXPECT_NE(e.find("cannot parse"), std::string::npos) << e;
  for (const std::string& msg : {e}) EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;

  // A failed build writes nothing.
  EXPECT_THROW(write_report(opt, (dir_ / "r.html").string()), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir_ / "r.html"));
}

}  // namespace
}  // namespace saie::traces
