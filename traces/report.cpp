// report.cpp — `sparseaie report`: a self-contained HTML page from simulate outputs (report.h).
#include "traces/report.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/config/units.h"

#include "traces/sinks.h"
#include "util/file_io.h"

namespace saie::traces {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---- small helpers -------------------------------------------------------------------------

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmtd(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
std::string px(double v) { return fmtd("%.1f", v); }
std::string u64(uint64_t v) { return std::to_string(v); }

// 1234567 -> "1.23M" (axis labels).
std::string short_num(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return fmtd("%.3gG", v / 1e9);
  if (a >= 1e6) return fmtd("%.3gM", v / 1e6);
  if (a >= 1e3) return fmtd("%.3gk", v / 1e3);
  return fmtd("%.3g", v);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("report: cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json parse_json_file(const fs::path& p, const json::parser_callback_t& cb = nullptr) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("report: cannot read " + p.string());
  try {
    return json::parse(in, cb);
  } catch (const json::exception& e) {
    throw std::runtime_error("report: cannot parse " + p.string() + ": " + e.what());
  }
}

uint64_t get_u64(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return 0;
  const json& v = j.at(key);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) return static_cast<uint64_t>(std::max<int64_t>(0, v.get<int64_t>()));
  if (v.is_number_float()) return static_cast<uint64_t>(std::max(0.0, v.get<double>()));
  return 0;
}
double get_f(const json& j, const char* key, double dflt = 0) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number()) return dflt;
  return j.at(key).get<double>();
}
std::string get_s(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_string()) return "";
  return j.at(key).get<std::string>();
}

// Natural order ("mm2s_2" < "mm2s_10").
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
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

// "array.tile_3_2" (or "...tile_3_2.anything") -> column 3, row 2.
bool parse_tile(const std::string& label, uint32_t& col, uint32_t& row) {
  const size_t p = label.find("tile_");
  if (p == std::string::npos) return false;
  unsigned c = 0, r = 0;
  if (std::sscanf(label.c_str() + p, "tile_%u_%u", &c, &r) != 2) return false;
  col = c;
  row = r;
  return true;
}

// ---- inputs ----------------------------------------------------------------------------------

struct Phase {
  std::string name;
  uint64_t layer = 0, cycles = 0, busy = 0, lock = 0, data = 0, space = 0;
  uint64_t memtile_bytes = 0;  // memtile memory the phase addresses (summary.json, 0 if absent)
  double util = 0;
};

struct Summary {
  json j;
  std::vector<Phase> phases;
  uint64_t cores = 0;
};

Summary load_summary(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw std::runtime_error("report: no such folder " + dir.string());
  const fs::path p = dir / "summary.json";
  if (!fs::exists(p)) throw std::runtime_error("report: " + p.string() + " not found (not a simulate output folder?)");
  Summary s;
  s.j = parse_json_file(p);
  if (!s.j.is_object() || !s.j.contains("phases") || !s.j.at("phases").is_array() || !s.j.contains("total_cycles"))
    throw std::runtime_error("report: " + p.string() + " is not a summary.json (no total_cycles / phases)");
  s.cores = get_u64(s.j, "cores");
  for (const json& ph : s.j.at("phases")) {
    Phase x;
    x.name = get_s(ph, "name");
    x.layer = get_u64(ph, "layer");
    x.cycles = get_u64(ph, "cycles");
    x.busy = get_u64(ph, "core_busy_cycles");
    x.util = get_f(ph, "core_utilisation");
    const json st = ph.contains("stalls") ? ph.at("stalls") : json::object();
    x.lock = get_u64(st, "lock");
    x.data = get_u64(st, "data");
    x.space = get_u64(st, "output_space");
    x.memtile_bytes = get_u64(ph, "memtile_bytes");
    s.phases.push_back(x);
  }
  return s;
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
  std::vector<Row> rows;                                 // tile rows, by column, row, thread
  std::vector<TSlice> control;                           // non-tile "control" slices
  size_t slice_count = 0;
};

Trace load_trace(const fs::path& dir) {
  Trace t;
  const fs::path p = dir / "trace.json";
  if (!fs::exists(p)) return t;
  t.present = true;
  // Drop counter events while parsing (they are most of a big trace and not drawn here).
  json::parser_callback_t cb = [](int depth, json::parse_event_t ev, json& parsed) {
    if (depth == 2 && ev == json::parse_event_t::object_end && parsed.is_object()) {
      auto it = parsed.find("ph");
      if (it != parsed.end() && it->is_string() && it->get<std::string>() == "C") return false;
    }
    return true;
  };
  const json j = parse_json_file(p, cb);
  const json* events = nullptr;
  if (j.is_object() && j.contains("traceEvents") && j.at("traceEvents").is_array()) events = &j.at("traceEvents");
  if (j.is_array()) events = &j;
  if (!events) throw std::runtime_error("report: " + p.string() + " has no traceEvents array");
  std::map<int64_t, std::string> label;                      // pid -> "array.tile_0_2"
  std::map<std::pair<int64_t, int64_t>, std::string> thread; // (pid, tid) -> "core"
  for (const json& e : *events) {
    if (!e.is_object() || get_s(e, "ph") != "M") continue;
    const std::string n = get_s(e, "name");
    const int64_t pid = e.value("pid", int64_t{-1}), tid = e.value("tid", int64_t{-1});
    const json args = e.contains("args") ? e.at("args") : json::object();
    if (n == "process_labels") label[pid] = get_s(args, "labels");
    if (n == "process_name" && !label.count(pid)) label[pid] = get_s(args, "name");
    if (n == "thread_name") thread[{pid, tid}] = get_s(args, "name");
  }
  std::map<std::tuple<uint32_t, uint32_t, std::string>, std::vector<TSlice>> by_row;
  std::map<std::tuple<uint32_t, uint32_t, std::string>, std::string> tile_name;
  for (const json& e : *events) {
    if (!e.is_object() || get_s(e, "ph") != "X") continue;
    const json args = e.contains("args") ? e.at("args") : json::object();
    TSlice s;
    s.name = get_s(e, "name");
    s.category = get_s(args, "category");
    if (s.category.empty()) s.category = get_s(e, "cat");
    s.begin = get_u64(args, "begin_cycle");
    s.end = std::max(s.begin, get_u64(args, "end_cycle"));
    s.phase = args.is_object() && args.contains("phase") && args.at("phase").is_number_integer() ? args.at("phase").get<int64_t>() : -1;
    ++t.slice_count;
    const int64_t pid = e.value("pid", int64_t{-1}), tid = e.value("tid", int64_t{-1});
    uint32_t c = 0, r = 0;
    const std::string lab = label.count(pid) ? label[pid] : "";
    if (!parse_tile(lab, c, r)) {
      if (s.category == "control") t.control.push_back(s);
      continue;
    }
    const std::string th = thread.count({pid, tid}) ? thread[{pid, tid}] : "tid " + std::to_string(tid);
    by_row[{c, r, th}].push_back(std::move(s));
  }
  for (auto& [key, v] : by_row) {
    Row row;
    row.col = std::get<0>(key);
    row.row = std::get<1>(key);
    row.thread = std::get<2>(key);
    row.tile = "tile(" + std::to_string(row.col) + "," + std::to_string(row.row) + ")";
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

struct BwRow {
  uint64_t start, end;
  std::string track;
  uint64_t bytes;
};

bool load_bandwidth(const fs::path& dir, std::vector<BwRow>& rows) {
  const fs::path p = dir / "bandwidth.csv";
  if (!fs::exists(p)) return false;
  std::istringstream in(read_text(p));
  std::string line;
  size_t n = 1;
  if (!std::getline(in, line) || line.rfind("bin_start_cycle,bin_end_cycle,track,bytes", 0) != 0)
    throw std::runtime_error("report: cannot parse " + p.string() + ": bad header");
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char ch = line[i];
      if (quoted) {
        if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else if (ch == '"') {
          quoted = false;
        } else {
          cur += ch;
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    f.push_back(cur);
    try {
      if (f.size() < 4) throw std::invalid_argument("fields");
      size_t used = 0;
      BwRow r;
      r.start = std::stoull(f[0], &used);
      if (used != f[0].size()) throw std::invalid_argument("start");
      r.end = std::stoull(f[1], &used);
      if (used != f[1].size() || r.end <= r.start) throw std::invalid_argument("end");
      r.track = f[2];
      r.bytes = std::stoull(f[3], &used);
      if (used != f[3].size()) throw std::invalid_argument("bytes");
      rows.push_back(std::move(r));
    } catch (const std::exception&) {
      throw std::runtime_error("report: cannot parse " + p.string() + " line " + std::to_string(n) + ": '" + line.substr(0, 80) + "'");
    }
  }
  return true;
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

std::string legend(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string o = "<div class=\"legend\">";
  for (const auto& [colour, name] : items)
    o += "<span><i style=\"background:" + colour + "\"></i>" + esc(name) + "</span>";
  return o + "</div>\n";
}

std::string kind_of_tile(uint32_t row, uint32_t mem_rows) {
  if (row == 0) return "shim";
  if (row <= mem_rows) return "memtile";
  return "core";
}

// Per-phase table + bars (cycles with the busy share, stalls by cause).
std::string phases_section(const Summary& s) {
  std::string o = "<section id=\"phases\"><h2>Per-layer time breakdown</h2>\n";
  const uint64_t inf = std::max<uint64_t>(1, get_u64(s.j, "inferences"));
  const uint64_t total = get_u64(s.j, "total_cycles");
  o += "<p>Cycles are summed over the run's " + u64(inf) +
       " inference(s). Core busy = compute-op cycles summed over the " + u64(s.cores) +
       " cores; utilisation = core busy / (cores &times; cycles). Stalls are agent-cycles summed over cores and DMA "
       "channels: waiting for a lock, for stream data, for output space.</p>\n";
  o += "<table class=\"num\"><thead><tr><th>#</th><th>phase</th><th>layer</th><th>cycles</th><th>cycles / inference</th>"
       "<th>share</th><th>core busy</th><th>utilisation</th><th>stall lock</th><th>stall data</th><th>stall output space</th></tr>"
       "</thead><tbody>\n";
  for (size_t i = 0; i < s.phases.size(); ++i) {
    const Phase& p = s.phases[i];
    o += "<tr><td>" + u64(i) + "</td><td class=\"l\">" + esc(p.name) + "</td><td>" + u64(p.layer) + "</td><td>" + u64(p.cycles) +
         "</td><td>" + u64(p.cycles / inf) + "</td><td>" + fmtd("%.1f%%", total ? 100.0 * double(p.cycles) / double(total) : 0.0) +
         "</td><td>" + u64(p.busy) + "</td><td>" + fmtd("%.1f%%", 100.0 * p.util) + "</td><td>" + u64(p.lock) + "</td><td>" +
         u64(p.data) + "</td><td>" + u64(p.space) + "</td></tr>\n";
  }
  o += "</tbody></table>\n";

  // Bars: left, cycles (width by cycles, blue part = utilisation); right, stalls stacked by cause.
  uint64_t max_c = 1, max_st = 1;
  for (const Phase& p : s.phases) {
    max_c = std::max(max_c, p.cycles);
    max_st = std::max(max_st, p.lock + p.data + p.space);
  }
  const double label_w = 220, bar_w = 440, gap = 40, rh = 16;
  const double w = label_w + 2 * bar_w + gap + 10, h = 24 + rh * double(s.phases.size()) + 4;
  o += legend({{"#4878d0", "core busy share of the phase"},
               {"#d9d9d9", "rest of the phase"},
               {"#d65f5f", "stall: lock"},
               {"#ee854a", "stall: stream data"},
               {"#9c6ade", "stall: output space"}});
  o += "<svg class=\"bars\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" viewBox=\"0 0 " + px(w) + " " + px(h) + "\">\n";
  o += "<text x=\"" + px(label_w) + "\" y=\"14\">cycles (max " + short_num(double(max_c)) + ") &amp; utilisation</text>";
  o += "<text x=\"" + px(label_w + bar_w + gap) + "\" y=\"14\">stall agent-cycles (max " + short_num(double(max_st)) + ")</text>\n";
  for (size_t i = 0; i < s.phases.size(); ++i) {
    const Phase& p = s.phases[i];
    const double y = 22 + rh * double(i);
    const double cw = bar_w * double(p.cycles) / double(max_c);
    const double bw = cw * std::clamp(p.util, 0.0, 1.0);
    o += "<g><title>" + esc(p.name) + ": " + u64(p.cycles) + " cycles, utilisation " + fmtd("%.1f%%", 100 * p.util) + ", stalls lock " +
         u64(p.lock) + " / data " + u64(p.data) + " / output space " + u64(p.space) + "</title>";
    o += "<text x=\"" + px(label_w - 4) + "\" y=\"" + px(y + 11) + "\" text-anchor=\"end\">" + esc(p.name) + "</text>";
    o += "<rect x=\"" + px(label_w) + "\" y=\"" + px(y + 2) + "\" width=\"" + px(cw) + "\" height=\"" + px(rh - 4) +
         "\" fill=\"#d9d9d9\"/>";
    o += "<rect x=\"" + px(label_w) + "\" y=\"" + px(y + 2) + "\" width=\"" + px(bw) + "\" height=\"" + px(rh - 4) +
         "\" fill=\"#4878d0\"/>";
    double x = label_w + bar_w + gap;
    const std::pair<uint64_t, const char*> parts[] = {{p.lock, "#d65f5f"}, {p.data, "#ee854a"}, {p.space, "#9c6ade"}};
    for (const auto& [v, col] : parts) {
      const double sw = bar_w * double(v) / double(max_st);
      if (sw <= 0) continue;
      o += "<rect x=\"" + px(x) + "\" y=\"" + px(y + 2) + "\" width=\"" + px(sw) + "\" height=\"" + px(rh - 4) + "\" fill=\"" + col +
           "\"/>";
      x += sw;
    }
    o += "</g>\n";
  }
  o += "</svg>\n</section>\n";
  return o;
}

std::string dense_section(const Summary& sp, const Summary& de) {
  std::string o = "<section id=\"dense\"><h2>Dense vs sparse</h2>\n";
  const double inf_s = double(std::max<uint64_t>(1, get_u64(sp.j, "inferences")));
  const double inf_d = double(std::max<uint64_t>(1, get_u64(de.j, "inferences")));
  // Match phases by index when the two runs have the same phase names in order, else by name
  // (first unused phase of that name).
  std::vector<long> match(sp.phases.size(), -1);
  bool same = sp.phases.size() == de.phases.size();
  for (size_t i = 0; same && i < sp.phases.size(); ++i) same = sp.phases[i].name == de.phases[i].name;
  if (same) {
    for (size_t i = 0; i < sp.phases.size(); ++i) match[i] = long(i);
  } else {
    std::vector<bool> used(de.phases.size(), false);
    for (size_t i = 0; i < sp.phases.size(); ++i) {
      for (size_t k = 0; k < de.phases.size(); ++k) {
        if (!used[k] && de.phases[k].name == sp.phases[i].name) {
          used[k] = true;
          match[i] = long(k);
          break;
        }
      }
    }
    o += "<p class=\"note\">The two runs' phases differ; phases are matched by name.</p>\n";
  }
  const double s_tot = double(get_u64(sp.j, "total_cycles")) / inf_s, d_tot = double(get_u64(de.j, "total_cycles")) / inf_d;
  o += "<p>Per inference: sparse " + fmtd("%.0f", s_tot) + " cycles, dense " + fmtd("%.0f", d_tot) + " cycles, speedup <b>" +
       (s_tot > 0 ? fmtd("%.2fx", d_tot / s_tot) : std::string("n/a")) + "</b>; core compute cycles sparse " +
       u64(get_u64(sp.j, "core_compute_cycles")) + ", dense " + u64(get_u64(de.j, "core_compute_cycles")) + ".</p>\n";
  o += "<table class=\"num\"><thead><tr><th>#</th><th>phase</th><th>dense cycles / inf.</th><th>sparse cycles / inf.</th>"
       "<th>speedup</th><th>dense util.</th><th>sparse util.</th></tr></thead><tbody>\n";
  double max_c = 1;
  for (size_t i = 0; i < sp.phases.size(); ++i) {
    max_c = std::max(max_c, double(sp.phases[i].cycles) / inf_s);
    if (match[i] >= 0) max_c = std::max(max_c, double(de.phases[size_t(match[i])].cycles) / inf_d);
  }
  std::string bars;
  const double label_w = 220, bar_w = 700, rh = 22;
  for (size_t i = 0; i < sp.phases.size(); ++i) {
    const Phase& s = sp.phases[i];
    const double sc = double(s.cycles) / inf_s;
    std::string dc = "&ndash;", sp_x = "&ndash;", du = "&ndash;";
    double dcv = -1;
    if (match[i] >= 0) {
      const Phase& d = de.phases[size_t(match[i])];
      dcv = double(d.cycles) / inf_d;
      dc = fmtd("%.0f", dcv);
      sp_x = sc > 0 ? fmtd("%.2fx", dcv / sc) : "n/a";
      du = fmtd("%.1f%%", 100 * d.util);
    }
    o += "<tr><td>" + u64(i) + "</td><td class=\"l\">" + esc(s.name) + "</td><td>" + dc + "</td><td>" + fmtd("%.0f", sc) + "</td><td>" +
         sp_x + "</td><td>" + du + "</td><td>" + fmtd("%.1f%%", 100 * s.util) + "</td></tr>\n";
    const double y = 22 + rh * double(i);
    bars += "<g><title>" + esc(s.name) + ": dense " + dc + ", sparse " + fmtd("%.0f", sc) + " cycles/inference, speedup " + sp_x +
            "</title><text x=\"" + px(label_w - 4) + "\" y=\"" + px(y + 14) + "\" text-anchor=\"end\">" + esc(s.name) + " (" + sp_x +
            ")</text>";
    if (dcv >= 0)
      bars += "<rect x=\"" + px(label_w) + "\" y=\"" + px(y + 2) + "\" width=\"" + px(bar_w * dcv / max_c) +
              "\" height=\"8\" fill=\"#8c8c8c\"/>";
    bars += "<rect x=\"" + px(label_w) + "\" y=\"" + px(y + 11) + "\" width=\"" + px(bar_w * sc / max_c) +
            "\" height=\"8\" fill=\"#4878d0\"/></g>\n";
  }
  o += "</tbody></table>\n";
  o += legend({{"#8c8c8c", "dense cycles / inference"}, {"#4878d0", "sparse cycles / inference"}});
  const double w = label_w + bar_w + 10, h = 22 + rh * double(sp.phases.size()) + 4;
  o += "<svg class=\"bars\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" viewBox=\"0 0 " + px(w) + " " + px(h) + "\">\n";
  o += "<text x=\"" + px(label_w) + "\" y=\"14\">cycles per inference (max " + short_num(max_c) + ")</text>\n" + bars + "</svg>\n";
  return o + "</section>\n";
}

struct Window {
  uint64_t begin, end;
  std::string label;
};

std::string timeline_section(const Trace& t, const ReportOptions& opt) {
  std::string o = "<section id=\"timeline\"><h2>Timeline per tile</h2>\n";
  if (!t.present) return o + "<p class=\"note\">No trace.json in this folder (simulated with --no-trace?): no timeline.</p></section>\n";
  // Phase executions in time order: the control track's slices, or per phase index the span of
  // its slices.
  std::vector<Window> all;
  for (const TSlice& c : t.control) {
    if (c.end > c.begin) all.push_back({c.begin, c.end, c.name.empty() ? "phase " + std::to_string(c.phase) : c.name});
  }
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
  o += "<p>" + u64(t.slice_count) + " slices on " + u64(t.rows.size()) + " core / DMA rows. Shown: the first " + u64(shown) + " of " +
       u64(all.size()) +
       " phase executions (in time order; <code>--timeline-phases N</code> shows more), each on its own time axis; only rows "
       "active in the phase are drawn. Slices closer than one pixel on a row are merged into one bar (hover for counts).</p>\n";
  o += legend({{category_colour("compute"), "compute"}, {category_colour("dma"), "dma (BD transfer)"},
               {category_colour("lock"), "lock wait"}, {category_colour("other"), "other"}});
  const double label_w = 200, plot_w = double(std::max<size_t>(200, opt.timeline_width_px)), rh = 12, tile_gap = 6;
  for (size_t wi = 0; wi < shown; ++wi) {
    const Window& win = all[wi];
    const double scale = plot_w / double(win.end - win.begin);
    struct Rect {
      double x0, x1;
      std::string cat;
      size_t n;
      uint64_t b, e;
      std::string name;
    };
    std::vector<std::pair<const Row*, std::vector<Rect>>> active;
    size_t drawn = 0, merged = 0;
    for (const Row& r : t.rows) {
      std::vector<Rect> rects;
      std::map<std::string, size_t> last_of;  // category -> index of its last bar
      for (const TSlice& s : r.slices) {
        if (s.begin >= win.end) break;
        if (s.end <= win.begin && !(s.end == s.begin && s.begin == win.begin)) continue;
        const uint64_t b = std::max(s.begin, win.begin), e = std::min(s.end, win.end);
        const double x0 = label_w + double(b - win.begin) * scale, x1 = label_w + double(e - win.begin) * scale;
        // Merge with the last bar of the same category on this row when within one pixel (lock
        // waits and compute alternate on a core: each category merges on its own).
        auto last = last_of.find(s.category);
        if (last != last_of.end() && x0 <= rects[last->second].x1 + 1.0) {
          Rect& p = rects[last->second];
          p.x1 = std::max(p.x1, x1);
          p.e = std::max(p.e, e);
          ++p.n;
          ++merged;
        } else {
          last_of[s.category] = rects.size();
          rects.push_back({x0, x1, s.category, 1, b, e, s.name});
        }
      }
      // Drawn in category order (lock, dma, then compute on top), each in time order.
      std::stable_sort(rects.begin(), rects.end(), [](const Rect& a, const Rect& b) { return draw_rank(a.cat) < draw_rank(b.cat); });
      if (!rects.empty()) active.emplace_back(&r, std::move(rects));
    }
    size_t tiles = 0;
    for (size_t i = 0; i < active.size(); ++i)
      if (i == 0 || active[i].first->tile != active[i - 1].first->tile) ++tiles;
    const double h = 30 + rh * double(active.size()) + tile_gap * double(tiles) + 4, w = label_w + plot_w + 40;
    std::string svg = "<svg class=\"timeline\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" viewBox=\"0 0 " + px(w) + " " + px(h) +
                      "\">\n";
    // Time axis (cycles).
    for (int k = 0; k <= 5; ++k) {
      const double x = label_w + plot_w * k / 5.0;
      const double cyc = double(win.begin) + double(win.end - win.begin) * k / 5.0;
      svg += "<line x1=\"" + px(x) + "\" y1=\"18\" x2=\"" + px(x) + "\" y2=\"" + px(h - 2) + "\" class=\"grid\"/><text x=\"" + px(x) +
             "\" y=\"13\" text-anchor=\"" + (k == 0 ? "start" : k == 5 ? "end" : "middle") + "\">" + short_num(cyc) + "</text>";
    }
    svg += "\n";
    double y = 24;
    for (size_t i = 0; i < active.size(); ++i) {
      const Row& r = *active[i].first;
      if (i == 0 || r.tile != active[i - 1].first->tile) {
        y += tile_gap;
        svg += "<line x1=\"0\" y1=\"" + px(y - tile_gap / 2) + "\" x2=\"" + px(w) + "\" y2=\"" + px(y - tile_gap / 2) +
               "\" class=\"sep\"/>";
      }
      svg += "<text x=\"" + px(label_w - 4) + "\" y=\"" + px(y + rh - 3) + "\" text-anchor=\"end\">" + esc(r.tile + " " + r.thread) +
             "</text>";
      for (const Rect& q : active[i].second) {
        const double wdt = std::max(0.5, q.x1 - q.x0);
        const std::string tip = q.n == 1 ? q.name + " [" + q.cat + "] cycles " + u64(q.b) + "-" + u64(q.e)
                                         : u64(q.n) + " " + q.cat + " slices, cycles " + u64(q.b) + "-" + u64(q.e);
        svg += "<rect x=\"" + px(q.x0) + "\" y=\"" + px(y + 1) + "\" width=\"" + px(wdt) + "\" height=\"" + px(rh - 2) + "\" fill=\"" +
               category_colour(q.cat) + "\"><title>" + esc(tip) + "</title></rect>";
        ++drawn;
      }
      svg += "\n";
      y += rh;
    }
    svg += "</svg>\n";
    o += std::string("<details") + (wi < 2 ? " open" : "") + "><summary>" + esc(win.label) + " &mdash; cycles " + u64(win.begin) + "&ndash;" +
         u64(win.end) + " (" + u64(win.end - win.begin) + " cycles, " + u64(active.size()) + " rows, " + u64(drawn) + " bars" +
         (merged ? ", " + u64(merged) + " slices merged" : std::string()) + ")</summary>\n" + svg + "</details>\n";
  }
  if (shown < all.size())
    o += "<p class=\"note\">" + u64(all.size() - shown) + " later phase executions are not drawn (limit " + u64(opt.timeline_phases) +
         ").</p>\n";
  return o + "</section>\n";
}

// Memtile occupancy per phase: the memtile memory each phase's BDs address (the compiler's
// static allocation, highest byte + 1 over the memtiles), against the memtile's size.
std::string memtile_section(const Summary& s, uint64_t memtile_size) {
  std::string o = "<section id=\"memtile\"><h2>Memtile occupancy per phase</h2>\n";
  uint64_t peak = 0;
  for (const Phase& p : s.phases) peak = std::max(peak, p.memtile_bytes);
  if (peak == 0) return o + "<p class=\"note\">summary.json has no per-phase memtile footprint (an older run?).</p></section>\n";
  const double cap = double(memtile_size ? memtile_size : peak);
  o += "<p>Bytes of memtile memory each phase's buffer descriptors address (the compiler's allocation: highest byte + 1, "
       "the largest over the memtiles), against the memtile's " + u64(memtile_size) + " bytes. Peak " + u64(peak) + " bytes (" +
       fmtd("%.1f%%", 100.0 * double(peak) / cap) + ").</p>\n";
  const double label_w = 220, bar_w = 440, rh = 14;
  const double w = label_w + bar_w + 90, h = 8 + rh * double(s.phases.size());
  o += "<svg class=\"bars\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" viewBox=\"0 0 " + px(w) + " " + px(h) + "\">\n";
  for (size_t i = 0; i < s.phases.size(); ++i) {
    const Phase& p = s.phases[i];
    const double y = 4 + rh * double(i), frac = std::clamp(double(p.memtile_bytes) / cap, 0.0, 1.0);
    o += "<g><title>" + esc(p.name) + ": " + u64(p.memtile_bytes) + " bytes</title>";
    o += "<text x=\"" + px(label_w - 4) + "\" y=\"" + px(y + 10) + "\" text-anchor=\"end\">" + esc(p.name) + "</text>";
    o += "<rect x=\"" + px(label_w) + "\" y=\"" + px(y + 2) + "\" width=\"" + px(bar_w) + "\" height=\"" + px(rh - 4) +
         "\" fill=\"#eeeeee\"/>";
    o += "<rect x=\"" + px(label_w) + "\" y=\"" + px(y + 2) + "\" width=\"" + px(bar_w * frac) + "\" height=\"" + px(rh - 4) +
         "\" fill=\"#6acc64\"/>";
    o += "<text x=\"" + px(label_w + bar_w + 6) + "\" y=\"" + px(y + 10) + "\">" + fmtd("%.0f%%", 100 * frac) + "</text></g>\n";
  }
  return o + "</svg>\n</section>\n";
}

std::string bandwidth_section(const fs::path& dir, const std::vector<BwRow>& rows, bool present, uint32_t mem_rows,
                              const ReportOptions& opt) {
  std::string o = "<section id=\"bandwidth\"><h2>Bandwidth over time per channel kind</h2>\n";
  if (!present) return o + "<p class=\"note\">No bandwidth.csv in this folder: no bandwidth chart.</p></section>\n";
  (void)dir;
  if (rows.empty()) return o + "<p class=\"note\">bandwidth.csv has no traffic.</p></section>\n";
  uint64_t bin = rows[0].end - rows[0].start, max_end = 0;
  for (const BwRow& r : rows) max_end = std::max(max_end, r.end);
  const uint64_t nbins = (max_end + bin - 1) / bin;
  const uint64_t group = std::max<uint64_t>(1, (nbins + opt.bandwidth_points - 1) / std::max<size_t>(1, opt.bandwidth_points));
  const uint64_t npts = (nbins + group - 1) / group;
  const std::vector<std::string> kinds = {"shim", "memtile", "core"};
  std::map<std::string, std::vector<double>> series;  // kind -> bytes per point
  std::map<std::string, uint64_t> total_bytes;
  std::map<std::string, std::set<std::string>> channels;
  for (const std::string& k : kinds) series[k].assign(npts, 0.0);
  for (const BwRow& r : rows) {
    uint32_t c = 0, rr = 0;
    std::string k = parse_tile(r.track, c, rr) ? kind_of_tile(rr, mem_rows) : "core";
    if (!series.count(k)) k = "core";
    series[k][std::min<uint64_t>(npts - 1, (r.start / bin) / group)] += double(r.bytes);
    total_bytes[k] += r.bytes;
    channels[k].insert(r.track);
  }
  double ymax = 1e-9;
  for (auto& [k, v] : series)
    for (double& x : v) {
      x /= double(group * bin);  // bytes per cycle, summed over the kind's channels
      ymax = std::max(ymax, x);
    }
  o += "<p>Bytes per cycle summed over all DMA channels of each kind (shim: row 0, memtile: rows 1&ndash;" + u64(mem_rows) +
       ", core: compute tiles), from bandwidth.csv bins of " + u64(bin) + " cycles" +
       (group > 1 ? ", re-binned by " + u64(group) + " into " + u64(npts) + " points of " + u64(group * bin) + " cycles" : std::string()) +
       ".</p>\n";
  o += "<table class=\"num\"><thead><tr><th>kind</th><th>channels</th><th>bytes</th></tr></thead><tbody>";
  for (const std::string& k : kinds)
    o += "<tr><td class=\"l\">" + k + "</td><td>" + u64(channels[k].size()) + "</td><td>" + u64(total_bytes[k]) + "</td></tr>";
  o += "</tbody></table>\n";
  const std::map<std::string, const char*> colour = {{"shim", "#6acc64"}, {"memtile", "#956cb4"}, {"core", "#ee854a"}};
  o += legend({{colour.at("shim"), "shim DMA"}, {colour.at("memtile"), "memtile DMA"}, {colour.at("core"), "core DMA"}});
  const double lw = 60, pw = double(std::max<size_t>(200, opt.timeline_width_px)), ph = 160, gap = 30;
  const double w = lw + pw + 40, h = 10 + (ph + gap) * 3;
  o += "<svg class=\"bw\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" viewBox=\"0 0 " + px(w) + " " + px(h) + "\">\n";
  const double t_end = double(npts * group * bin);
  for (size_t ki = 0; ki < kinds.size(); ++ki) {
    const std::string& k = kinds[ki];
    const double top = 10 + (ph + gap) * double(ki), base = top + ph;
    o += "<text x=\"" + px(lw) + "\" y=\"" + px(top + 2) + "\">" + k + " DMA (bytes/cycle, max " + fmtd("%.3g", ymax) + ")</text>";
    o += "<line x1=\"" + px(lw) + "\" y1=\"" + px(base) + "\" x2=\"" + px(lw + pw) + "\" y2=\"" + px(base) + "\" class=\"axis\"/>";
    o += "<line x1=\"" + px(lw) + "\" y1=\"" + px(top + 6) + "\" x2=\"" + px(lw) + "\" y2=\"" + px(base) + "\" class=\"axis\"/>";
    o += "<text x=\"" + px(lw - 4) + "\" y=\"" + px(top + 14) + "\" text-anchor=\"end\">" + fmtd("%.3g", ymax) + "</text>";
    o += "<text x=\"" + px(lw - 4) + "\" y=\"" + px(base) + "\" text-anchor=\"end\">0</text>";
    for (int q = 0; q <= 5; ++q)
      o += "<text x=\"" + px(lw + pw * q / 5.0) + "\" y=\"" + px(base + 13) + "\" text-anchor=\"" +
           (q == 0 ? "start" : q == 5 ? "end" : "middle") + "\">" + short_num(t_end * q / 5.0) + "</text>";
    std::string pts = px(lw) + "," + px(base);
    const std::vector<double>& v = series[k];
    for (size_t i = 0; i < v.size(); ++i) {
      const double x0 = lw + pw * double(i) / double(v.size()), x1 = lw + pw * double(i + 1) / double(v.size());
      const double y = base - (ph - 8) * v[i] / ymax;
      pts += " " + px(x0) + "," + px(y) + " " + px(x1) + "," + px(y);
    }
    pts += " " + px(lw + pw) + "," + px(base);
    o += "<polygon points=\"" + pts + "\" fill=\"" + colour.at(k) + "\" fill-opacity=\"0.45\" stroke=\"" + colour.at(k) +
         "\" stroke-width=\"1\"><title>" + k + " DMA bytes/cycle</title></polygon>\n";
  }
  o += "<text x=\"" + px(lw + pw / 2) + "\" y=\"" + px(h - 2) + "\" text-anchor=\"middle\">cycles</text>\n</svg>\n";
  return o + "</section>\n";
}

const char* kCss = R"(body{font:13px/1.4 sans-serif;margin:16px 24px;color:#222;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:2px 6px}
th{background:#f2f2f2}table.num td{text-align:right}table.num td.l{text-align:left}
svg text{font:11px sans-serif;fill:#333}.grid{stroke:#e4e4e4}.sep{stroke:#bbb}.axis{stroke:#666}
.legend span{margin-right:14px;white-space:nowrap}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
.note{color:#8a5a00}details{margin:6px 0}summary{cursor:pointer;font-weight:bold}dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dl.kv dt{color:#555}dl.kv dd{margin:0})";

std::string header(const Summary& s, const fs::path& dir, const std::string& dense_dir) {
  const json& j = s.j;
  const double clock = get_f(j, "clock_hz", 1e9);
  std::string o = "<h1>SparseAIE run report: " + esc(get_s(j, "program")) + " on " + esc(get_s(j, "config")) + "</h1>\n<dl class=\"kv\">";
  auto kv = [&](const std::string& k, const std::string& v) { o += "<dt>" + esc(k) + "</dt><dd>" + v + "</dd>"; };
  kv("run folder", esc(dir.string()));
  if (!dense_dir.empty()) kv("dense baseline", esc(dense_dir));
  kv("fidelity", esc(get_s(j, "fidelity")) + (j.value("timing_only", false) ? " (timing only)" : ""));
  kv("inferences", u64(get_u64(j, "inferences")));
  kv("total cycles", u64(get_u64(j, "total_cycles")));
  kv("cycles / inference", u64(get_u64(j, "cycles_per_inference")) + " (" +
                               fmtd("%.3f", clock > 0 ? 1e6 * double(get_u64(j, "cycles_per_inference")) / clock : 0.0) +
                               " &micro;s at " + fmtd("%.4g", clock / 1e9) + " GHz)");
  kv("cores", u64(s.cores));
  kv("core compute cycles", u64(get_u64(j, "core_compute_cycles")));
  kv("core utilisation", fmtd("%.1f%%", 100 * get_f(j, "core_utilisation")));
  const json st = j.contains("stalls") ? j.at("stalls") : json::object();
  kv("stalls (lock / data / output space)", u64(get_u64(st, "lock")) + " / " + u64(get_u64(st, "data")) + " / " + u64(get_u64(st, "output_space")));
  kv("bytes DDR→mem / mem→DDR / mem→core / core→mem",
     u64(get_u64(j, "bytes_ddr_to_mem")) + " / " + u64(get_u64(j, "bytes_mem_to_ddr")) + " / " + u64(get_u64(j, "bytes_mem_to_core")) +
         " / " + u64(get_u64(j, "bytes_core_to_mem")));
  const int64_t be = j.value("bit_exact", int64_t{-1});
  kv("bit-exact vs reference", be < 0 ? std::string("not checked") : std::to_string(be) + " / " + std::to_string(j.value("compared", 0)));
  o += "</dl>\n";
  o += "<p>Sections: <a href=\"#phases\">per-layer breakdown</a>" + std::string(dense_dir.empty() ? "" : " &middot; <a href=\"#dense\">dense vs sparse</a>") +
       " &middot; <a href=\"#timeline\">timeline</a> &middot; <a href=\"#bandwidth\">bandwidth</a> &middot; <a "
       "href=\"#memtile\">memtile occupancy</a></p>\n";
  return o;
}

}  // namespace

std::string build_report_html(const ReportOptions& opt) {
  const fs::path dir(opt.run_dir);
  const Summary s = load_summary(dir);
  Summary dense;
  if (!opt.dense_dir.empty()) dense = load_summary(opt.dense_dir);
  uint32_t mem_rows = 1;
  uint64_t memtile_size = 0;
  if (fs::exists(dir / "config.json")) {
    const json cfg = parse_json_file(dir / "config.json");
    if (cfg.is_object() && cfg.contains("array") && cfg.at("array").is_object() && cfg.at("array").contains("mem_rows"))
      mem_rows = static_cast<uint32_t>(get_u64(cfg.at("array"), "mem_rows"));
    if (cfg.is_object() && cfg.contains("memtile") && cfg.at("memtile").is_object())
      config::units::parse_size(get_s(cfg.at("memtile"), "memory"), &memtile_size);  // "512KiB"; stays 0 if unreadable
  }
  const Trace t = load_trace(dir);
  std::vector<BwRow> bw;
  const bool bw_present = load_bandwidth(dir, bw);

  std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>SparseAIE report: " +
                  esc(get_s(s.j, "program")) + "</title>\n<style>\n" + kCss + "\n</style>\n</head>\n<body>\n";
  o += header(s, dir, opt.dense_dir);
  o += phases_section(s);
  if (!opt.dense_dir.empty()) o += dense_section(s, dense);
  o += timeline_section(t, opt);
  o += bandwidth_section(dir, bw, bw_present, mem_rows, opt);
  o += memtile_section(s, memtile_size);
  o += "<p class=\"foot\">Written by <code>sparseaie report</code>; self-contained (inline CSS and SVG, no scripts, no network).</p>\n";
  o += "</body>\n</html>\n";
  return o;
}

void write_report(const ReportOptions& opt, const std::string& out_path) { util::write_file_atomic(out_path, build_report_html(opt)); }

}  // namespace saie::traces
