// report.cpp — `sparseaie report`: a self-contained HTML page from simulate outputs (report.h).
//
// Inputs come through the one reader of each file (traces/readers.h, the config loader); the page
// is written through HtmlWriter (traces/html.h), which escapes every text and attribute.
#include "traces/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/tile_names.h"
#include "traces/html.h"
#include "traces/readers.h"
#include "util/file_io.h"

namespace saie::traces {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---- small helpers -------------------------------------------------------------------------

std::string fmtd(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
std::string u64(uint64_t v) { return std::to_string(v); }
std::string pct(double fraction) { return fmtd("%.1f%%", 100.0 * fraction); }

// 1234567 -> "1.23M" (axis labels).
std::string short_num(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return fmtd("%.3gG", v / 1e9);
  if (a >= 1e6) return fmtd("%.3gM", v / 1e6);
  if (a >= 1e3) return fmtd("%.3gk", v / 1e3);
  return fmtd("%.3g", v);
}

// Natural order ("mm2s_2" < "mm2s_10").
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      const std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// The tile a track or process label names ("array.tile_3_2", "array.tile_3_2.dma.mm2s_0").
std::optional<isa::TileCoords> tile_of(const std::string& label) {
  const size_t p = label.find("tile_");
  if (p == std::string::npos) return std::nullopt;
  const size_t end = label.find('.', p);
  return isa::parse_tile_name(label.substr(p, end == std::string::npos ? std::string::npos : end - p));
}

// A reader's error as the report's one line.
template <class Fn>
auto read_or_fail(Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("report: cannot parse ") + e.what());
  }
}

// ---- inputs ----------------------------------------------------------------------------------

SummaryFile load_summary(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw std::runtime_error("report: no such folder " + dir.string());
  const fs::path p = dir / "summary.json";
  if (!fs::exists(p)) throw std::runtime_error("report: " + p.string() + " not found (not a simulate output folder?)");
  return read_or_fail([&] { return read_summary(p.string()); });
}

double phase_util(const PhaseSummary& p, uint32_t cores) {
  const double d = double(cores) * double(p.cycles);
  return d > 0 ? double(p.core_busy_cycles) / d : 0.0;
}

struct TSlice {
  uint64_t begin, end;
  std::string name, category;
  int64_t phase;
};

struct Row {
  uint32_t col = 0, row = 0;
  std::string tile;    // "tile(C,R)"
  std::string thread;  // "core", "dma.mm2s_0", ...
  std::vector<TSlice> slices;  // sorted by begin
};

struct Trace {
  bool present = false;
  std::vector<Row> rows;        // tile rows, by column, row, thread
  std::vector<TSlice> control;  // non-tile "control" slices
  size_t slice_count = 0;
};

uint64_t arg_u64(const json& args, const char* key) {
  auto it = args.find(key);
  return it != args.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

Trace load_trace(const fs::path& dir) {
  Trace t;
  const fs::path p = dir / "trace.json";
  if (!fs::exists(p)) return t;
  t.present = true;
  const PerfettoTrace pt = read_or_fail([&] { return read_perfetto(p.string(), /*with_counters=*/false); });
  std::map<std::tuple<uint32_t, uint32_t, std::string>, std::vector<TSlice>> by_row;
  for (const json& e : pt.slices) {
    static const json kNoArgs = json::object();
    const json& args = e.contains("args") && e.at("args").is_object() ? e.at("args") : kNoArgs;
    TSlice s;
    s.name = e.at("name").get<std::string>();
    s.category = args.contains("category") && args.at("category").is_string() ? args.at("category").get<std::string>()
                 : e.contains("cat") && e.at("cat").is_string()                ? e.at("cat").get<std::string>()
                                                                                : std::string();
    s.begin = arg_u64(args, "begin_cycle");
    s.end = std::max(s.begin, arg_u64(args, "end_cycle"));
    s.phase = args.contains("phase") && args.at("phase").is_number_integer() ? args.at("phase").get<int64_t>() : -1;
    ++t.slice_count;
    const int pid = e.at("pid").get<int>(), tid = e.at("tid").get<int>();
    auto label = pt.process_label.find(pid);
    const std::string lab = label != pt.process_label.end() ? label->second : pt.process_name.at(pid);
    const auto tile = tile_of(lab);
    if (!tile) {
      if (s.category == "control") t.control.push_back(s);
      continue;
    }
    by_row[{tile->col, tile->row, pt.thread_name.at({pid, tid})}].push_back(std::move(s));
  }
  for (auto& [key, v] : by_row) {
    Row row;
    row.col = std::get<0>(key);
    row.row = std::get<1>(key);
    row.thread = std::get<2>(key);
    row.tile = isa::tile_label(row.col, row.row);
    std::stable_sort(v.begin(), v.end(), [](const TSlice& a, const TSlice& b) { return a.begin < b.begin; });
    row.slices = std::move(v);
    t.rows.push_back(std::move(row));
  }
  // Within a tile: core first, then the rest in natural order.
  std::stable_sort(t.rows.begin(), t.rows.end(), [](const Row& a, const Row& b) {
    if (a.col != b.col) return a.col < b.col;
    if (a.row != b.row) return a.row < b.row;
    const bool ac = a.thread == "core", bc = b.thread == "core";
    if (ac != bc) return ac;
    return natural_less(a.thread, b.thread);
  });
  std::stable_sort(t.control.begin(), t.control.end(), [](const TSlice& a, const TSlice& b) { return a.begin < b.begin; });
  return t;
}

// ---- drawing -------------------------------------------------------------------------------

const char* category_colour(const std::string& c) {
  if (c == "compute") return "#4878d0";
  if (c == "dma") return "#ee854a";
  if (c == "lock") return "#d65f5f";
  if (c == "control") return "#8c8c8c";
  return "#b0b0b0";
}

int draw_rank(const std::string& c) {
  if (c == "lock") return 0;
  if (c == "dma") return 1;
  if (c == "compute") return 3;
  return 2;
}

void legend(HtmlWriter& h, const std::vector<std::pair<std::string, std::string>>& items) {
  h.open("div", {{"class", "legend"}});
  for (const auto& [colour, name] : items) {
    h.open("span").element("i", "", {{"style", "background:" + colour}});
    h.text(name).close();
  }
  h.close().newline();
}

void note(HtmlWriter& h, const std::string& text) { h.element("p", text, {{"class", "note"}}).newline(); }

void svg_open(HtmlWriter& h, const char* cls, double w, double height) {
  h.open("svg", {{"class", cls}, {"width", w}, {"height", height}, {"viewBox", "0 0 " + fmtd("%.1f", w) + " " + fmtd("%.1f", height)}})
      .newline();
}

void svg_text(HtmlWriter& h, double x, double y, const std::string& text, const char* anchor = nullptr) {
  if (anchor)
    h.element("text", text, {{"x", x}, {"y", y}, {"text-anchor", anchor}});
  else
    h.element("text", text, {{"x", x}, {"y", y}});
}

void rect(HtmlWriter& h, double x, double y, double w, double height, const std::string& fill) {
  h.empty("rect", {{"x", x}, {"y", y}, {"width", w}, {"height", height}, {"fill", fill}});
}

void table_head(HtmlWriter& h, const std::vector<std::string>& columns) {
  h.open("table", {{"class", "num"}}).open("thead").open("tr");
  for (const std::string& c : columns) h.element("th", c);
  h.close().close().open("tbody").newline();
}

// One table row: the first `left` cells are left-aligned (class "l"), the rest numbers.
void table_row(HtmlWriter& h, const std::vector<std::string>& cells, const std::set<size_t>& left = {}) {
  h.open("tr");
  for (size_t i = 0; i < cells.size(); ++i) {
    if (left.count(i))
      h.element("td", cells[i], {{"class", "l"}});
    else
      h.element("td", cells[i]);
  }
  h.close().newline();
}

// Per-phase table + bars (cycles with the busy share, stalls by cause).
void phases_section(HtmlWriter& h, const SummaryFile& s) {
  const RunSummary& r = s.run;
  h.open("section", {{"id", "phases"}}).element("h2", "Per-layer time breakdown").newline();
  const uint64_t inf = std::max<uint64_t>(1, r.inferences);
  h.element("p", "Cycles are summed over the run's " + u64(inf) + " inference(s). Core busy = compute-op cycles summed over the " +
                     u64(r.cores) +
                     " cores; utilisation = core busy / (cores × cycles). Stalls are agent-cycles summed over cores and DMA "
                     "channels: waiting for a lock, for stream data, for output space.")
      .newline();
  table_head(h, {"#", "phase", "layer", "cycles", "cycles / inference", "share", "core busy", "utilisation", "stall lock",
                 "stall data", "stall output space", "reconfiguration"});
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const PhaseSummary& p = r.phases[i];
    table_row(h,
              {u64(i), p.name, u64(p.layer), u64(p.cycles), u64(p.cycles / inf),
               pct(r.total_cycles ? double(p.cycles) / double(r.total_cycles) : 0.0), u64(p.core_busy_cycles),
               pct(phase_util(p, r.cores)), u64(p.stall_lock_cycles), u64(p.stall_data_cycles), u64(p.stall_space_cycles),
               u64(p.reconfig_cycles)},
              {1});
  }
  h.close().close().newline();

  // Bars: left, cycles (width by cycles, blue part = utilisation); right, stalls stacked by cause.
  uint64_t max_c = 1, max_st = 1;
  for (const PhaseSummary& p : r.phases) {
    max_c = std::max(max_c, p.cycles);
    max_st = std::max(max_st, p.stall_lock_cycles + p.stall_data_cycles + p.stall_space_cycles);
  }
  const double label_w = 220, bar_w = 440, gap = 40, rh = 16;
  const double w = label_w + 2 * bar_w + gap + 10, height = 24 + rh * double(r.phases.size()) + 4;
  legend(h, {{"#4878d0", "core busy share of the phase"},
             {"#d9d9d9", "rest of the phase"},
             {"#d65f5f", "stall: lock"},
             {"#ee854a", "stall: stream data"},
             {"#9c6ade", "stall: output space"}});
  svg_open(h, "bars", w, height);
  svg_text(h, label_w, 14, "cycles (max " + short_num(double(max_c)) + ") & utilisation");
  svg_text(h, label_w + bar_w + gap, 14, "stall agent-cycles (max " + short_num(double(max_st)) + ")");
  h.newline();
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const PhaseSummary& p = r.phases[i];
    const double util = phase_util(p, r.cores);
    const double y = 22 + rh * double(i);
    const double cw = bar_w * double(p.cycles) / double(max_c);
    const double bw = cw * std::clamp(util, 0.0, 1.0);
    h.open("g").element("title", p.name + ": " + u64(p.cycles) + " cycles, utilisation " + pct(util) + ", stalls lock " +
                                     u64(p.stall_lock_cycles) + " / data " + u64(p.stall_data_cycles) + " / output space " +
                                     u64(p.stall_space_cycles));
    svg_text(h, label_w - 4, y + 11, p.name, "end");
    rect(h, label_w, y + 2, cw, rh - 4, "#d9d9d9");
    rect(h, label_w, y + 2, bw, rh - 4, "#4878d0");
    double x = label_w + bar_w + gap;
    const std::pair<uint64_t, const char*> parts[] = {
        {p.stall_lock_cycles, "#d65f5f"}, {p.stall_data_cycles, "#ee854a"}, {p.stall_space_cycles, "#9c6ade"}};
    for (const auto& [v, col] : parts) {
      const double sw = bar_w * double(v) / double(max_st);
      if (sw <= 0) continue;
      rect(h, x, y + 2, sw, rh - 4, col);
      x += sw;
    }
    h.close().newline();
  }
  h.close().newline().close().newline();
}

void dense_section(HtmlWriter& h, const SummaryFile& sparse, const SummaryFile& dense) {
  const RunSummary &sp = sparse.run, &de = dense.run;
  h.open("section", {{"id", "dense"}}).element("h2", "Dense vs sparse").newline();
  const double inf_s = double(std::max<uint32_t>(1, sp.inferences));
  const double inf_d = double(std::max<uint32_t>(1, de.inferences));
  // Match phases by index when the two runs have the same phase names in order, else by name
  // (first unused phase of that name).
  std::vector<long> match(sp.phases.size(), -1);
  bool same = sp.phases.size() == de.phases.size();
  for (size_t i = 0; same && i < sp.phases.size(); ++i) same = sp.phases[i].name == de.phases[i].name;
  if (same) {
    for (size_t i = 0; i < sp.phases.size(); ++i) match[i] = long(i);
  } else {
    std::vector<bool> used(de.phases.size(), false);
    for (size_t i = 0; i < sp.phases.size(); ++i)
      for (size_t k = 0; k < de.phases.size(); ++k)
        if (!used[k] && de.phases[k].name == sp.phases[i].name) {
          used[k] = true;
          match[i] = long(k);
          break;
        }
    note(h, "The two runs' phases differ; phases are matched by name.");
  }
  const double s_tot = double(sp.total_cycles) / inf_s, d_tot = double(de.total_cycles) / inf_d;
  h.open("p").text("Per inference: sparse " + fmtd("%.0f", s_tot) + " cycles, dense " + fmtd("%.0f", d_tot) + " cycles, speedup ");
  h.element("b", s_tot > 0 ? fmtd("%.2fx", d_tot / s_tot) : std::string("n/a"));
  h.text("; core compute cycles sparse " + u64(sp.core_compute_cycles) + ", dense " + u64(de.core_compute_cycles) + ".").close().newline();
  table_head(h, {"#", "phase", "dense cycles / inf.", "sparse cycles / inf.", "speedup", "dense util.", "sparse util."});
  double max_c = 1;
  for (size_t i = 0; i < sp.phases.size(); ++i) {
    max_c = std::max(max_c, double(sp.phases[i].cycles) / inf_s);
    if (match[i] >= 0) max_c = std::max(max_c, double(de.phases[size_t(match[i])].cycles) / inf_d);
  }
  struct Bar {
    std::string name, dc, sc, speedup;
    double dense = -1, sparse = 0;
  };
  std::vector<Bar> bars;
  for (size_t i = 0; i < sp.phases.size(); ++i) {
    const PhaseSummary& s = sp.phases[i];
    Bar b{s.name, "–", "", "–"};
    b.sparse = double(s.cycles) / inf_s;
    b.sc = fmtd("%.0f", b.sparse);
    std::string du = "–";
    if (match[i] >= 0) {
      const PhaseSummary& d = de.phases[size_t(match[i])];
      b.dense = double(d.cycles) / inf_d;
      b.dc = fmtd("%.0f", b.dense);
      b.speedup = b.sparse > 0 ? fmtd("%.2fx", b.dense / b.sparse) : "n/a";
      du = pct(phase_util(d, de.cores));
    }
    table_row(h, {u64(i), s.name, b.dc, b.sc, b.speedup, du, pct(phase_util(s, sp.cores))}, {1});
    bars.push_back(std::move(b));
  }
  h.close().close().newline();
  legend(h, {{"#8c8c8c", "dense cycles / inference"}, {"#4878d0", "sparse cycles / inference"}});
  const double label_w = 220, bar_w = 700, rh = 22;
  const double w = label_w + bar_w + 10, height = 22 + rh * double(sp.phases.size()) + 4;
  svg_open(h, "bars", w, height);
  svg_text(h, label_w, 14, "cycles per inference (max " + short_num(max_c) + ")");
  h.newline();
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = 22 + rh * double(i);
    h.open("g").element("title", b.name + ": dense " + b.dc + ", sparse " + b.sc + " cycles/inference, speedup " + b.speedup);
    svg_text(h, label_w - 4, y + 14, b.name + " (" + b.speedup + ")", "end");
    if (b.dense >= 0) rect(h, label_w, y + 2, bar_w * b.dense / max_c, 8, "#8c8c8c");
    rect(h, label_w, y + 11, bar_w * b.sparse / max_c, 8, "#4878d0");
    h.close().newline();
  }
  h.close().newline().close().newline();
}

const char* bound_colour(Bound b) {
  switch (b) {
    case Bound::Compute: return "#4878d0";
    case Bound::Ddr: return "#d65f5f";
    case Bound::Ingress: return "#6acc64";
  }
  return "#999";
}

// Per layer: the floors compile computed (roofline.json), the simulated cycles and their ratio;
// bars of simulated cycles with the floor drawn inside, coloured by the bound that sets it.
void roofline_section(HtmlWriter& h, const std::optional<Roofline>& roof) {
  h.open("section", {{"id", "roofline"}}).element("h2", "Roofline: simulated cycles against the floor").newline();
  if (!roof) {
    note(h, "No roofline.json in this folder (sparseaie compile writes it next to program.bin and simulate copies it "
            "into its output folder).");
    h.close().newline();
    return;
  }
  const Roofline& r = *roof;
  auto ratio = [](int64_t sim, double floor) { return floor > 0 && sim >= 0 ? fmtd("%.2f", double(sim) / floor) : "–"; };
  h.open("p").text("Floors per inference on " + r.config + " (" + (r.dense ? "dense" : "sparse") + "): compute = stored-block MACs / " +
                   fmtd("%.0f", r.rates.macs_per_cycle) + " MAC/cycle; DDR = weights, network input and output / " +
                   fmtd("%.2f", r.rates.ddr_read_per_cycle) + " B/cycle of reads (writes " +
                   fmtd("%.2f", r.rates.ddr_write_per_cycle) + ", total " + fmtd("%.2f", r.rates.ddr_total_per_cycle) +
                   "); core ingress = weights and input activations per core that needs them / " +
                   fmtd("%.2f", r.rates.ingress_per_cycle) + " B/cycle (docs/roofline.md). Network floor ");
  h.element("b", fmtd("%.0f", r.floor_cycles) + " cycles (" + bound_name(r.bound) + "-bound)");
  h.text(", simulated " + (r.simulated_cycles >= 0 ? std::to_string(r.simulated_cycles) : std::string("–")) + ": ");
  h.element("b", ratio(r.simulated_cycles, r.floor_cycles) + "x the floor");
  h.text(".").close().newline();
  table_head(h, {"layer", "op", "compute", "DDR", "ingress", "floor", "bound", "simulated", "ratio"});
  for (const RooflineLayer& l : r.layers)
    table_row(h,
              {l.name, l.op, fmtd("%.0f", l.compute_cycles), fmtd("%.0f", l.ddr_cycles), fmtd("%.0f", l.ingress_cycles),
               fmtd("%.0f", l.floor_cycles), bound_name(l.bound),
               l.simulated_cycles >= 0 ? std::to_string(l.simulated_cycles) : std::string("–"),
               ratio(l.simulated_cycles, l.floor_cycles)},
              {0, 1, 6});
  table_row(h,
            {"network (sums)", "", fmtd("%.0f", r.compute_cycles), fmtd("%.0f", r.ddr_cycles), fmtd("%.0f", r.ingress_cycles),
             fmtd("%.0f", r.floor_cycles), bound_name(r.bound),
             r.simulated_cycles >= 0 ? std::to_string(r.simulated_cycles) : std::string("–"),
             ratio(r.simulated_cycles, r.floor_cycles)},
            {0, 1, 6});
  h.close().close().newline();
  double max_c = 1;
  for (const RooflineLayer& l : r.layers) max_c = std::max({max_c, l.floor_cycles, double(std::max<int64_t>(0, l.simulated_cycles))});
  legend(h, {{"#d9d9d9", "simulated cycles / inference"},
             {bound_colour(Bound::Compute), "floor: compute-bound"},
             {bound_colour(Bound::Ddr), "floor: DDR-bound"},
             {bound_colour(Bound::Ingress), "floor: core-ingress-bound"}});
  const double label_w = 220, bar_w = 700, rh = 16;
  svg_open(h, "bars", label_w + bar_w + 60, 24 + rh * double(r.layers.size()) + 4);
  svg_text(h, label_w, 14, "cycles per inference (max " + short_num(max_c) + "), ratio simulated / floor at the right");
  h.newline();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const RooflineLayer& l = r.layers[i];
    const double y = 22 + rh * double(i);
    const double sim = double(std::max<int64_t>(0, l.simulated_cycles));
    h.open("g").element("title", l.name + ": floor " + fmtd("%.0f", l.floor_cycles) + " cycles (" + bound_name(l.bound) +
                                     "), simulated " + fmtd("%.0f", sim) + ", ratio " + ratio(l.simulated_cycles, l.floor_cycles));
    svg_text(h, label_w - 4, y + 11, l.name, "end");
    if (sim > 0) rect(h, label_w, y + 2, bar_w * sim / max_c, rh - 4, "#d9d9d9");
    if (l.floor_cycles > 0) rect(h, label_w, y + 4, bar_w * l.floor_cycles / max_c, rh - 8, bound_colour(l.bound));
    svg_text(h, label_w + bar_w * std::max(sim, l.floor_cycles) / max_c + 4, y + 11, ratio(l.simulated_cycles, l.floor_cycles));
    h.close().newline();
  }
  h.close().newline().close().newline();
}

struct Window {
  uint64_t begin, end;
  std::string label;
};

void timeline_section(HtmlWriter& h, const Trace& t, const ReportOptions& opt) {
  h.open("section", {{"id", "timeline"}}).element("h2", "Timeline per tile").newline();
  if (!t.present) {
    note(h, "No trace.json in this folder (simulated with --no-trace?): no timeline.");
    h.close().newline();
    return;
  }
  // Phase executions in time order: the control track's slices, or per phase index the span of
  // its slices.
  std::vector<Window> all;
  for (const TSlice& c : t.control)
    if (c.end > c.begin) all.push_back({c.begin, c.end, c.name.empty() ? "phase " + std::to_string(c.phase) : c.name});
  if (all.empty()) {
    std::map<int64_t, std::pair<uint64_t, uint64_t>> span;
    for (const Row& r : t.rows)
      for (const TSlice& s : r.slices) {
        auto it = span.find(s.phase);
        if (it == span.end()) {
          span[s.phase] = {s.begin, s.end};
        } else {
          it->second.first = std::min(it->second.first, s.begin);
          it->second.second = std::max(it->second.second, s.end);
        }
      }
    for (const auto& [ph, be] : span)
      if (be.second > be.first) all.push_back({be.first, be.second, "phase " + std::to_string(ph)});
    std::stable_sort(all.begin(), all.end(), [](const Window& a, const Window& b) { return a.begin < b.begin; });
  }
  const size_t shown = std::min(all.size(), opt.timeline_phases);
  h.open("p").text(u64(t.slice_count) + " slices on " + u64(t.rows.size()) + " core / DMA rows. Shown: the first " + u64(shown) + " of " +
                   u64(all.size()) + " phase executions (in time order; ");
  h.element("code", "--timeline-phases N");
  h.text(" shows more), each on its own time axis; only rows active in the phase are drawn. Slices closer than one pixel on a row "
         "are merged into one bar (hover for counts).")
      .close()
      .newline();
  legend(h, {{category_colour("compute"), "compute"}, {category_colour("dma"), "dma (BD transfer)"},
             {category_colour("lock"), "lock wait"}, {category_colour("other"), "other"}});
  const double label_w = 200, plot_w = double(std::max<size_t>(200, opt.timeline_width_px)), rh = 12, tile_gap = 6;
  for (size_t wi = 0; wi < shown; ++wi) {
    const Window& win = all[wi];
    const double scale = plot_w / double(win.end - win.begin);
    struct Bar {
      double x0, x1;
      std::string cat;
      size_t n;
      uint64_t b, e;
      std::string name;
    };
    std::vector<std::pair<const Row*, std::vector<Bar>>> active;
    size_t drawn = 0, merged = 0;
    for (const Row& r : t.rows) {
      std::vector<Bar> bars;
      std::map<std::string, size_t> last_of;  // category -> index of its last bar
      for (const TSlice& s : r.slices) {
        if (s.begin >= win.end) break;
        if (s.end <= win.begin && !(s.end == s.begin && s.begin == win.begin)) continue;
        const uint64_t b = std::max(s.begin, win.begin), e = std::min(s.end, win.end);
        const double x0 = label_w + double(b - win.begin) * scale, x1 = label_w + double(e - win.begin) * scale;
        // Merge with the last bar of the same category on this row when within one pixel (lock
        // waits and compute alternate on a core: each category merges on its own).
        auto last = last_of.find(s.category);
        if (last != last_of.end() && x0 <= bars[last->second].x1 + 1.0) {
          Bar& p = bars[last->second];
          p.x1 = std::max(p.x1, x1);
          p.e = std::max(p.e, e);
          ++p.n;
          ++merged;
        } else {
          last_of[s.category] = bars.size();
          bars.push_back({x0, x1, s.category, 1, b, e, s.name});
        }
      }
      // Drawn in category order (lock, dma, then compute on top), each in time order.
      std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return draw_rank(a.cat) < draw_rank(b.cat); });
      if (!bars.empty()) active.emplace_back(&r, std::move(bars));
    }
    size_t tiles = 0;
    for (size_t i = 0; i < active.size(); ++i) {
      if (i == 0 || active[i].first->tile != active[i - 1].first->tile) ++tiles;
      drawn += active[i].second.size();
    }
    const double height = 30 + rh * double(active.size()) + tile_gap * double(tiles) + 4, w = label_w + plot_w + 40;
    if (wi < 2)
      h.open("details", {{"open", "open"}});
    else
      h.open("details");
    h.element("summary", win.label + " — cycles " + u64(win.begin) + "–" + u64(win.end) + " (" + u64(win.end - win.begin) + " cycles, " +
                             u64(active.size()) + " rows, " + u64(drawn) + " bars" +
                             (merged ? ", " + u64(merged) + " slices merged" : std::string()) + ")")
        .newline();
    svg_open(h, "timeline", w, height);
    // Time axis (cycles).
    for (int k = 0; k <= 5; ++k) {
      const double x = label_w + plot_w * k / 5.0;
      const double cyc = double(win.begin) + double(win.end - win.begin) * k / 5.0;
      h.empty("line", {{"x1", x}, {"y1", "18"}, {"x2", x}, {"y2", height - 2}, {"class", "grid"}});
      svg_text(h, x, 13, short_num(cyc), k == 0 ? "start" : k == 5 ? "end" : "middle");
    }
    h.newline();
    double y = 24;
    for (size_t i = 0; i < active.size(); ++i) {
      const Row& r = *active[i].first;
      if (i == 0 || r.tile != active[i - 1].first->tile) {
        y += tile_gap;
        h.empty("line", {{"x1", "0"}, {"y1", y - tile_gap / 2}, {"x2", w}, {"y2", y - tile_gap / 2}, {"class", "sep"}});
      }
      svg_text(h, label_w - 4, y + rh - 3, r.tile + " " + r.thread, "end");
      for (const Bar& q : active[i].second) {
        const std::string tip = q.n == 1 ? q.name + " [" + q.cat + "] cycles " + u64(q.b) + "-" + u64(q.e)
                                         : u64(q.n) + " " + q.cat + " slices, cycles " + u64(q.b) + "-" + u64(q.e);
        h.open("rect", {{"x", q.x0}, {"y", y + 1}, {"width", std::max(0.5, q.x1 - q.x0)}, {"height", rh - 2},
                        {"fill", category_colour(q.cat)}})
            .element("title", tip)
            .close();
      }
      h.newline();
      y += rh;
    }
    h.close().newline().close().newline();
  }
  if (shown < all.size())
    note(h, u64(all.size() - shown) + " later phase executions are not drawn (limit " + u64(opt.timeline_phases) + ").");
  h.close().newline();
}

// Memtile occupancy per phase: the memtile memory each phase's BDs address (the compiler's
// static allocation, highest byte + 1 over the memtiles), against the memtile's size.
void memtile_section(HtmlWriter& h, const SummaryFile& s, uint64_t memtile_size) {
  const RunSummary& r = s.run;
  h.open("section", {{"id", "memtile"}}).element("h2", "Memtile occupancy per phase").newline();
  uint64_t peak = 0;
  for (const PhaseSummary& p : r.phases) peak = std::max(peak, p.memtile_bytes);
  if (peak == 0) {
    note(h, "No phase addresses memtile memory.");
    h.close().newline();
    return;
  }
  const double cap = double(memtile_size ? memtile_size : peak);
  h.element("p", "Bytes of memtile memory each phase's buffer descriptors address (the compiler's allocation: highest byte + 1, "
                 "the largest over the memtiles), against the memtile's " +
                     u64(memtile_size) + " bytes. Peak " + u64(peak) + " bytes (" + pct(double(peak) / cap) + ").")
      .newline();
  const double label_w = 220, bar_w = 440, rh = 14;
  const double w = label_w + bar_w + 90, height = 8 + rh * double(r.phases.size());
  svg_open(h, "bars", w, height);
  for (size_t i = 0; i < r.phases.size(); ++i) {
    const PhaseSummary& p = r.phases[i];
    const double y = 4 + rh * double(i), frac = std::clamp(double(p.memtile_bytes) / cap, 0.0, 1.0);
    h.open("g").element("title", p.name + ": " + u64(p.memtile_bytes) + " bytes");
    svg_text(h, label_w - 4, y + 10, p.name, "end");
    rect(h, label_w, y + 2, bar_w, rh - 4, "#eeeeee");
    rect(h, label_w, y + 2, bar_w * frac, rh - 4, "#6acc64");
    svg_text(h, label_w + bar_w + 6, y + 10, fmtd("%.0f%%", 100 * frac));
    h.close().newline();
  }
  h.close().newline().close().newline();
}

const char* tile_kind_name(uint32_t row, uint32_t mem_rows) {
  const isa::TileKind k = isa::tile_kind(isa::TileId{0, static_cast<uint8_t>(std::min<uint32_t>(row, 255))}, mem_rows);
  return k == isa::TileKind::Shim ? "shim" : k == isa::TileKind::Mem ? "memtile" : "core";
}

void bandwidth_section(HtmlWriter& h, const std::vector<BandwidthRow>& rows, bool present, uint32_t mem_rows,
                       const ReportOptions& opt) {
  h.open("section", {{"id", "bandwidth"}}).element("h2", "Bandwidth over time per channel kind").newline();
  if (!present || rows.empty()) {
    note(h, present ? "bandwidth.csv has no traffic." : "No bandwidth.csv in this folder: no bandwidth chart.");
    h.close().newline();
    return;
  }
  const uint64_t bin = rows[0].bin_end - rows[0].bin_start;
  uint64_t max_end = 0;
  for (const BandwidthRow& r : rows) max_end = std::max(max_end, r.bin_end);
  const uint64_t nbins = (max_end + bin - 1) / bin;
  const uint64_t group = std::max<uint64_t>(1, (nbins + opt.bandwidth_points - 1) / std::max<size_t>(1, opt.bandwidth_points));
  const uint64_t npts = (nbins + group - 1) / group;
  const std::vector<std::string> kinds = {"shim", "memtile", "core"};
  std::map<std::string, std::vector<double>> series;  // kind -> bytes per point
  std::map<std::string, uint64_t> total_bytes;
  std::map<std::string, std::set<std::string>> channels;
  for (const std::string& k : kinds) series[k].assign(npts, 0.0);
  for (const BandwidthRow& r : rows) {
    const auto tile = tile_of(r.track);
    const std::string k = tile ? tile_kind_name(tile->row, mem_rows) : "core";
    series[k][std::min<uint64_t>(npts - 1, (r.bin_start / bin) / group)] += double(r.bytes);
    total_bytes[k] += r.bytes;
    channels[k].insert(r.track);
  }
  double ymax = 1e-9;
  for (auto& [k, v] : series)
    for (double& x : v) {
      x /= double(group * bin);  // bytes per cycle, summed over the kind's channels
      ymax = std::max(ymax, x);
    }
  h.element("p", "Bytes per cycle summed over all DMA channels of each kind (shim: row 0, memtile: rows 1–" + u64(mem_rows) +
                     ", core: compute tiles), from bandwidth.csv bins of " + u64(bin) + " cycles" +
                     (group > 1 ? ", re-binned by " + u64(group) + " into " + u64(npts) + " points of " + u64(group * bin) + " cycles"
                                : std::string()) +
                     ".")
      .newline();
  table_head(h, {"kind", "channels", "bytes"});
  for (const std::string& k : kinds) table_row(h, {k, u64(channels[k].size()), u64(total_bytes[k])}, {0});
  h.close().close().newline();
  const std::map<std::string, const char*> colour = {{"shim", "#6acc64"}, {"memtile", "#956cb4"}, {"core", "#ee854a"}};
  legend(h, {{colour.at("shim"), "shim DMA"}, {colour.at("memtile"), "memtile DMA"}, {colour.at("core"), "core DMA"}});
  const double lw = 60, pw = double(std::max<size_t>(200, opt.timeline_width_px)), ph = 160, gap = 30;
  const double w = lw + pw + 40, height = 10 + (ph + gap) * 3;
  svg_open(h, "bw", w, height);
  const double t_end = double(npts * group * bin);
  for (size_t ki = 0; ki < kinds.size(); ++ki) {
    const std::string& k = kinds[ki];
    const double top = 10 + (ph + gap) * double(ki), base = top + ph;
    svg_text(h, lw, top + 2, k + " DMA (bytes/cycle, max " + fmtd("%.3g", ymax) + ")");
    h.empty("line", {{"x1", lw}, {"y1", base}, {"x2", lw + pw}, {"y2", base}, {"class", "axis"}});
    h.empty("line", {{"x1", lw}, {"y1", top + 6}, {"x2", lw}, {"y2", base}, {"class", "axis"}});
    svg_text(h, lw - 4, top + 14, fmtd("%.3g", ymax), "end");
    svg_text(h, lw - 4, base, "0", "end");
    for (int q = 0; q <= 5; ++q) svg_text(h, lw + pw * q / 5.0, base + 13, short_num(t_end * q / 5.0), q == 0 ? "start" : q == 5 ? "end" : "middle");
    std::string pts = fmtd("%.1f", lw) + "," + fmtd("%.1f", base);
    const std::vector<double>& v = series[k];
    for (size_t i = 0; i < v.size(); ++i) {
      const double x0 = lw + pw * double(i) / double(v.size()), x1 = lw + pw * double(i + 1) / double(v.size());
      const double y = base - (ph - 8) * v[i] / ymax;
      pts += " " + fmtd("%.1f", x0) + "," + fmtd("%.1f", y) + " " + fmtd("%.1f", x1) + "," + fmtd("%.1f", y);
    }
    pts += " " + fmtd("%.1f", lw + pw) + "," + fmtd("%.1f", base);
    h.open("polygon", {{"points", pts}, {"fill", colour.at(k)}, {"fill-opacity", "0.45"}, {"stroke", colour.at(k)}, {"stroke-width", "1"}})
        .element("title", k + " DMA bytes/cycle")
        .close()
        .newline();
  }
  svg_text(h, lw + pw / 2, height - 2, "cycles", "middle");
  h.newline().close().newline().close().newline();
}

const char* kCss = R"(body{font:13px/1.4 sans-serif;margin:16px 24px;color:#222;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:2px 6px}
th{background:#f2f2f2}table.num td{text-align:right}table.num td.l{text-align:left}
svg text{font:11px sans-serif;fill:#333}.grid{stroke:#e4e4e4}.sep{stroke:#bbb}.axis{stroke:#666}
.legend span{margin-right:14px;white-space:nowrap}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
.note{color:#8a5a00}details{margin:6px 0}summary{cursor:pointer;font-weight:bold}dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dl.kv dt{color:#555}dl.kv dd{margin:0})";

void header(HtmlWriter& h, const SummaryFile& s, const fs::path& dir, const std::string& dense_dir) {
  const RunSummary& r = s.run;
  h.element("h1", "SparseAIE run report: " + r.program + " on " + r.config).newline();
  h.open("dl", {{"class", "kv"}});
  auto kv = [&h](const std::string& k, const std::string& v) { h.element("dt", k).element("dd", v); };
  kv("run folder", dir.string());
  if (!dense_dir.empty()) kv("dense baseline", dense_dir);
  kv("fidelity", r.fidelity + (r.timing_only ? " (timing only)" : ""));
  kv("inferences", u64(r.inferences));
  kv("total cycles", u64(r.total_cycles));
  kv("cycles / inference", u64(r.cycles_per_inference) + " (" + fmtd("%.3f", 1e6 * s.seconds_per_inference()) + " µs at " +
                               fmtd("%.4g", r.clock_hz / 1e9) + " GHz)");
  kv("cores", u64(r.cores));
  kv("core compute cycles", u64(r.core_compute_cycles));
  kv("core utilisation", pct(r.core_utilisation));
  kv("stalls (lock / data / output space)",
     u64(r.stall_lock_cycles) + " / " + u64(r.stall_data_cycles) + " / " + u64(r.stall_space_cycles));
  kv("reconfiguration wait", u64(r.reconfig_cycles) + " cycles (" +
                                 pct(r.total_cycles ? double(r.reconfig_cycles) / double(r.total_cycles) : 0.0) + ")");
  kv("bytes DDR→mem / mem→DDR / mem→core / core→mem", u64(r.bytes_ddr_to_mem) + " / " + u64(r.bytes_mem_to_ddr) + " / " +
                                                          u64(r.bytes_mem_to_core) + " / " + u64(r.bytes_core_to_mem));
  kv("bit-exact vs reference",
     r.bit_exact < 0 ? std::string("not checked") : std::to_string(r.bit_exact) + " / " + std::to_string(r.compared));
  h.close().newline();
  h.open("p").text("Sections: ").element("a", "per-layer breakdown", {{"href", "#phases"}});
  if (!dense_dir.empty()) h.text(" · ").element("a", "dense vs sparse", {{"href", "#dense"}});
  h.text(" · ").element("a", "roofline", {{"href", "#roofline"}});
  h.text(" · ").element("a", "timeline", {{"href", "#timeline"}});
  h.text(" · ").element("a", "bandwidth", {{"href", "#bandwidth"}});
  h.text(" · ").element("a", "memtile occupancy", {{"href", "#memtile"}});
  h.close().newline();
}

}  // namespace

std::string build_report_html(const ReportOptions& opt) {
  const fs::path dir(opt.run_dir);
  const SummaryFile s = load_summary(dir);
  std::optional<SummaryFile> dense;
  if (!opt.dense_dir.empty()) dense = load_summary(opt.dense_dir);
  uint32_t mem_rows = 1;
  uint64_t memtile_size = 0;
  if (fs::exists(dir / "config.json")) {
    const config::ArrayConfig cfg = read_or_fail([&] { return config::load_config((dir / "config.json").string()); });
    mem_rows = cfg.mem_rows;
    memtile_size = cfg.memtile.memory_bytes;
  }
  std::optional<Roofline> roof;
  if (fs::exists(dir / "roofline.json")) {
    roof = read_or_fail([&] { return read_roofline((dir / "roofline.json").string()); });
    try {
      attach_simulated(*roof, s.run);
    } catch (const std::exception& e) {
      throw std::runtime_error("report: " + (dir / "roofline.json").string() + " does not belong to this run: " + e.what());
    }
  }
  const Trace t = load_trace(dir);
  const bool bw_present = fs::exists(dir / "bandwidth.csv");
  const std::vector<BandwidthRow> bw =
      bw_present ? read_or_fail([&] { return read_bandwidth_csv((dir / "bandwidth.csv").string()); }) : std::vector<BandwidthRow>{};

  HtmlWriter h;
  h.doctype().open("html", {{"lang", "en"}}).newline().open("head").newline();
  h.empty("meta", {{"charset", "utf-8"}}).newline();
  h.element("title", "SparseAIE report: " + s.run.program).newline();
  h.style_sheet(kCss).newline().close().newline().open("body").newline();
  header(h, s, dir, opt.dense_dir);
  phases_section(h, s);
  if (dense) dense_section(h, s, *dense);
  roofline_section(h, roof);
  timeline_section(h, t, opt);
  bandwidth_section(h, bw, bw_present, mem_rows, opt);
  memtile_section(h, s, memtile_size);
  h.open("p", {{"class", "foot"}}).text("Written by ").element("code", "sparseaie report");
  h.text("; self-contained (inline CSS and SVG, no scripts, no network).").close().newline();
  h.close().newline().close().newline();
  return h.finish();
}

void write_report(const ReportOptions& opt, const std::string& out_path) { util::write_file_atomic(out_path, build_report_html(opt)); }

}  // namespace saie::traces
