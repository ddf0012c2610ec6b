// readers.cpp — see readers.h.
#include "traces/readers.h"

#include <cctype>
#include <cmath>
#include <sstream>

#include "util/file_io.h"

namespace saie::traces {
namespace {

using json = nlohmann::json;

std::string read_whole(const std::string& path) {
  try {
    return util::read_file(path);
  } catch (const util::FileError& e) {
    throw ReadError(e.what());
  }
}

json parse_json_text(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    std::string m = e.what();
    const size_t colon = m.find("] ");  // nlohmann's "[json.exception.parse_error.101] " prefix
    if (colon != std::string::npos) m = m.substr(colon + 2);
    throw ReadError(what + ": not valid JSON: " + m);
  }
}

// Typed access to the members of one JSON object, failing with the key's path.
struct Fields {
  const json& j;
  std::string what;  // "summary.json: phases[3]"

  const json& at(const char* key) const {
    if (!j.is_object()) throw ReadError(what + " is not an object");
    auto it = j.find(key);
    if (it == j.end()) throw ReadError(what + " has no '" + key + "'");
    return *it;
  }
  [[noreturn]] void bad(const char* key, const char* type) const {
    throw ReadError(what + ": '" + key + "' is not " + type);
  }
  // The value of key as T, if it passes `ok` (else "'key' is not <type>").
  template <class T, class Ok>
  T typed(const char* key, Ok ok, const char* type) const {
    const json& v = at(key);
    if (!ok(v)) bad(key, type);
    return v.get<T>();
  }
  uint64_t u64(const char* key) const {
    return typed<uint64_t>(
        key, [](const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0); },
        "a non-negative integer");
  }
  int64_t i64(const char* key) const {
    return typed<int64_t>(key, [](const json& v) { return v.is_number_integer(); }, "an integer");
  }
  double num(const char* key) const {
    return typed<double>(key, [](const json& v) { return v.is_number() && std::isfinite(v.get<double>()); }, "a finite number");
  }
  std::string str(const char* key) const {
    return typed<std::string>(key, [](const json& v) { return v.is_string(); }, "a string");
  }
  bool boolean(const char* key) const {
    return typed<bool>(key, [](const json& v) { return v.is_boolean(); }, "true or false");
  }
  bool has(const char* key) const { return j.is_object() && j.contains(key); }
  Fields object(const char* key) const {
    const json& v = at(key);
    if (!v.is_object()) bad(key, "an object");
    return Fields{v, what + "." + key};
  }
};

// reconfig: the array's reconfiguration waits (summaries written before they were measured
// have none: 0).
void read_stalls(const Fields& f, uint64_t& lock, uint64_t& data, uint64_t& space, uint64_t& reconfig) {
  const Fields st = f.object("stalls");
  lock = st.u64("lock");
  data = st.u64("data");
  space = st.u64("output_space");
  reconfig = st.has("reconfiguration") ? st.u64("reconfiguration") : 0;
}

}  // namespace

// ---- summary.json -----------------------------------------------------------------------------

SummaryFile parse_summary(const std::string& text, const std::string& what) {
  const json j = parse_json_text(text, what);
  if (!j.is_object()) throw ReadError(what + ": not a JSON object (not a summary.json)");
  const Fields f{j, what};
  SummaryFile out;
  RunSummary& r = out.run;
  r.program = f.str("program");
  r.config = f.str("config");
  r.fidelity = f.str("fidelity");
  if (r.fidelity != "lt" && r.fidelity != "beat") throw ReadError(what + ": fidelity '" + r.fidelity + "' is not lt or beat");
  r.timing_only = f.boolean("timing_only");
  r.clock_hz = f.num("clock_hz");
  if (!(r.clock_hz > 0)) throw ReadError(what + ": 'clock_hz' is not positive");
  r.inferences = static_cast<uint32_t>(f.u64("inferences"));
  r.total_cycles = f.u64("total_cycles");
  r.cycles_per_inference = f.u64("cycles_per_inference");
  r.cores = static_cast<uint32_t>(f.u64("cores"));
  r.core_compute_cycles = f.u64("core_compute_cycles");
  r.core_utilisation = f.num("core_utilisation");
  r.memtile_bytes_peak = f.u64("memtile_bytes_peak");
  r.core_bytes_peak = f.u64("core_bytes_peak");
  r.bytes_ddr_to_mem = f.u64("bytes_ddr_to_mem");
  r.bytes_mem_to_ddr = f.u64("bytes_mem_to_ddr");
  r.bytes_mem_to_core = f.u64("bytes_mem_to_core");
  r.bytes_core_to_mem = f.u64("bytes_core_to_mem");
  read_stalls(f, r.stall_lock_cycles, r.stall_data_cycles, r.stall_space_cycles, r.reconfig_cycles);
  const json& phases = f.at("phases");
  if (!phases.is_array()) f.bad("phases", "an array");
  for (size_t i = 0; i < phases.size(); ++i) {
    const Fields p{phases[i], what + ": phases[" + std::to_string(i) + "]"};
    PhaseSummary ph;
    ph.name = p.str("name");
    ph.layer = static_cast<uint32_t>(p.u64("layer"));
    ph.cycles = p.u64("cycles");
    ph.memtile_bytes = p.u64("memtile_bytes");
    ph.core_busy_cycles = p.u64("core_busy_cycles");
    p.num("core_utilisation");  // derived from the fields above; checked, not kept
    ph.dense_macs = p.u64("dense_macs");
    ph.actual_macs = p.u64("actual_macs");
    read_stalls(p, ph.stall_lock_cycles, ph.stall_data_cycles, ph.stall_space_cycles, ph.reconfig_cycles);
    r.phases.push_back(std::move(ph));
  }
  r.bit_exact = static_cast<int>(f.i64("bit_exact"));
  r.compared = static_cast<int>(f.i64("compared"));
  r.deadlock = f.boolean("deadlock");
  r.deadlock_report = f.str("deadlock_report");
  const Fields stats = f.object("stats");
  for (auto it = stats.j.begin(); it != stats.j.end(); ++it) {
    const Fields s{it.value(), what + ": stats." + it.key()};
    out.stats[it.key()] = Stat{s.num("value"), s.str("unit"), s.str("description")};
  }
  return out;
}

SummaryFile read_summary(const std::string& path) { return parse_summary(read_whole(path), path); }

// ---- roofline.json ----------------------------------------------------------------------------

Roofline parse_roofline(const std::string& text, const std::string& what) {
  const json j = parse_json_text(text, what);
  if (!j.is_object()) throw ReadError(what + ": not a JSON object (not a roofline.json)");
  const Fields f{j, what};
  if (f.str("format") != kRooflineFormat) throw ReadError(what + ": 'format' is not " + std::string(kRooflineFormat));
  if (f.i64("version") != kRooflineVersion)
    throw ReadError(what + ": version " + std::to_string(f.i64("version")) + " (this build reads " +
                    std::to_string(kRooflineVersion) + ")");
  auto bound = [](const Fields& o) {
    try {
      return bound_from_name(o.str("bound"));
    } catch (const std::invalid_argument& e) {
      throw ReadError(o.what + ": " + e.what());
    }
  };
  auto cycles = [](const Fields& o, const char* key) {
    const double v = o.num(key);
    if (v < 0) throw ReadError(o.what + ": '" + key + "' is negative");
    return v;
  };
  Roofline r;
  r.network = f.str("network");
  r.config = f.str("config");
  const std::string variant = f.str("variant");
  if (variant != "dense" && variant != "sparse") throw ReadError(what + ": variant '" + variant + "' is not dense or sparse");
  r.dense = variant == "dense";
  r.clock_hz = f.num("clock_hz");
  if (!(r.clock_hz > 0)) throw ReadError(what + ": 'clock_hz' is not positive");
  const Fields rt = f.object("rates");
  r.rates.compute_tiles = static_cast<uint32_t>(rt.u64("compute_tiles"));
  r.rates.macs_per_cycle = rt.num("macs_per_cycle");
  r.rates.ddr_read_per_cycle = rt.num("ddr_read_bytes_per_cycle");
  r.rates.ddr_write_per_cycle = rt.num("ddr_write_bytes_per_cycle");
  r.rates.ddr_total_per_cycle = rt.num("ddr_total_bytes_per_cycle");
  r.rates.ingress_per_cycle = rt.num("ingress_bytes_per_cycle");
  const json& layers = f.at("layers");
  if (!layers.is_array()) f.bad("layers", "an array");
  for (size_t i = 0; i < layers.size(); ++i) {
    const Fields o{layers[i], what + ": layers[" + std::to_string(i) + "]"};
    RooflineLayer l;
    l.layer = static_cast<uint32_t>(o.u64("layer"));
    l.name = o.str("name");
    l.op = o.str("op");
    l.stored_macs = o.u64("stored_macs");
    l.weight_bytes = o.u64("weight_bytes");
    l.input_bytes = o.u64("input_bytes");
    l.ddr_read_bytes = o.u64("ddr_read_bytes");
    l.ddr_write_bytes = o.u64("ddr_write_bytes");
    l.ingress_bytes = o.u64("ingress_bytes");
    l.split_c = static_cast<uint32_t>(o.u64("split_c"));
    l.split_p = static_cast<uint32_t>(o.u64("split_p"));
    l.compute_cycles = cycles(o, "compute_cycles");
    l.ddr_cycles = cycles(o, "ddr_cycles");
    l.ingress_cycles = cycles(o, "ingress_cycles");
    l.floor_cycles = cycles(o, "floor_cycles");
    l.bound = bound(o);
    if (o.j.contains("simulated_cycles")) l.simulated_cycles = static_cast<int64_t>(o.u64("simulated_cycles"));
    r.layers.push_back(std::move(l));
  }
  const Fields net = f.object("network_floor");
  r.compute_cycles = cycles(net, "compute_cycles");
  r.ddr_cycles = cycles(net, "ddr_cycles");
  r.ingress_cycles = cycles(net, "ingress_cycles");
  r.floor_cycles = cycles(net, "floor_cycles");
  r.bound = bound(net);
  if (net.j.contains("simulated_cycles")) r.simulated_cycles = static_cast<int64_t>(net.u64("simulated_cycles"));
  // The stored maxima and bounds must be the ones the terms give (a hand-edited file would
  // otherwise show a floor its own terms contradict).
  Roofline check = r;
  check.finish();
  for (size_t i = 0; i < r.layers.size(); ++i)
    if (check.layers[i].floor_cycles != r.layers[i].floor_cycles || check.layers[i].bound != r.layers[i].bound)
      throw ReadError(what + ": layers[" + std::to_string(i) + "]: floor_cycles/bound are not the largest term");
  if (std::abs(check.floor_cycles - r.floor_cycles) > 1e-6 * std::max(1.0, r.floor_cycles) || check.bound != r.bound)
    throw ReadError(what + ": network_floor is not the largest of the summed terms");
  return r;
}

Roofline read_roofline(const std::string& path) { return parse_roofline(read_whole(path), path); }

// ---- trace.json -------------------------------------------------------------------------------

PerfettoTrace parse_perfetto(const nlohmann::json& j, const std::string& what) {
  PerfettoTrace info;
  auto fail = [&what](size_t k, const std::string& why) {
    throw ReadError(what + ": event " + std::to_string(k) + ": " + why);
  };
  if (!j.is_object() || !j.contains("traceEvents") || !j["traceEvents"].is_array())
    throw ReadError(what + ": no traceEvents array");
  if (j.contains("displayTimeUnit") && j["displayTimeUnit"] != "ms" && j["displayTimeUnit"] != "ns")
    throw ReadError(what + ": displayTimeUnit must be ms or ns");
  const auto& evs = j["traceEvents"];
  std::set<int> pids_used;
  std::set<std::pair<int, int>> threads_used;
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> per_thread;  // (ts, end), file order
  for (size_t k = 0; k < evs.size(); ++k) {
    const auto& e = evs[k];
    if (!e.is_object()) fail(k, "not an object");
    if (!e.contains("ph") || !e["ph"].is_string()) fail(k, "no ph");
    if (!e.contains("pid") || !e["pid"].is_number_integer()) fail(k, "no integer pid");
    const std::string ph = e["ph"];
    const int pid = e["pid"];
    if (ph == "M") {
      if (!e.contains("name") || !e["name"].is_string() || !e.contains("args") || !e["args"].is_object()) fail(k, "bad metadata");
      const std::string name = e["name"];
      const auto& a = e["args"];
      if (name == "process_name") {
        if (!a.contains("name") || !a["name"].is_string()) fail(k, "process_name without a name");
        if (info.process_name.count(pid)) fail(k, "second process_name for a pid");
        info.process_name[pid] = a["name"];
      } else if (name == "process_labels") {
        if (!a.contains("labels") || !a["labels"].is_string()) fail(k, "process_labels without labels");
        info.process_label[pid] = a["labels"];
      } else if (name == "process_sort_index" || name == "thread_sort_index") {
        if (!a.contains("sort_index") || !a["sort_index"].is_number_integer()) fail(k, "sort index not an integer");
        if (name == "process_sort_index") info.process_sort[pid] = a["sort_index"];
      } else if (name == "thread_name") {
        if (!e.contains("tid") || !e["tid"].is_number_integer()) fail(k, "thread_name without tid");
        if (!a.contains("name") || !a["name"].is_string()) fail(k, "thread_name without a name");
        info.thread_name[{pid, e["tid"].get<int>()}] = a["name"];
      } else {
        fail(k, "unknown metadata " + name);
      }
    } else if (ph == "X") {
      if (!e.contains("name") || !e["name"].is_string()) fail(k, "slice without name");
      if (!e.contains("tid") || !e["tid"].is_number_integer()) fail(k, "slice without integer tid");
      if (!e.contains("ts") || !e["ts"].is_number() || !e.contains("dur") || !e["dur"].is_number()) fail(k, "slice without ts/dur");
      const double ts = e["ts"], dur = e["dur"];
      if (ts < 0 || dur < 0) fail(k, "negative ts or dur");
      const std::pair<int, int> th{pid, e["tid"].get<int>()};
      auto& v = per_thread[th];
      if (!v.empty() && ts < v.back().first) fail(k, "ts goes back on its thread");
      v.emplace_back(ts, ts + dur);
      pids_used.insert(pid);
      threads_used.insert(th);
      info.slices.push_back(e);
    } else if (ph == "C") {
      if (!e.contains("name") || !e["name"].is_string()) fail(k, "counter without name");
      if (!e.contains("ts") || !e["ts"].is_number() || e["ts"].get<double>() < 0) fail(k, "counter without ts >= 0");
      if (!e.contains("args") || !e["args"].is_object() || e["args"].empty()) fail(k, "counter without args");
      for (const auto& kv : e["args"].items()) {
        if (!kv.value().is_number()) fail(k, "counter arg " + kv.key() + " is not a number");
      }
      pids_used.insert(pid);
      info.counters.push_back(e);
    } else {
      fail(k, "unexpected ph " + ph);
    }
  }
  for (int p : pids_used) {
    if (!info.process_name.count(p)) throw ReadError(what + ": pid " + std::to_string(p) + " has no process_name");
  }
  for (const auto& th : threads_used) {
    if (!info.thread_name.count(th))
      throw ReadError(what + ": pid " + std::to_string(th.first) + " tid " + std::to_string(th.second) + " has no thread_name");
  }
  // Disjoint or nested per thread (1e-6 us tolerance for the floating-point microseconds).
  for (const auto& [th, v] : per_thread) {
    std::vector<double> open_ends;
    for (const auto& [b, e] : v) {
      while (!open_ends.empty() && open_ends.back() <= b + 1e-6) open_ends.pop_back();
      if (!open_ends.empty() && e > open_ends.back() + 1e-6)
        throw ReadError(what + ": pid " + std::to_string(th.first) + " tid " + std::to_string(th.second) +
                                 ": a slice at ts " + std::to_string(b) + " overlaps the previous one without nesting");
      open_ends.push_back(e);
    }
  }
  return info;
}


PerfettoTrace read_perfetto(const std::string& path, bool with_counters) {
  const std::string text = read_whole(path);
  json::parser_callback_t drop_counters = [](int depth, json::parse_event_t ev, json& parsed) {
    if (depth == 2 && ev == json::parse_event_t::object_end && parsed.is_object()) {
      auto it = parsed.find("ph");
      if (it != parsed.end() && it->is_string() && it->get<std::string>() == "C") return false;
    }
    return true;
  };
  json j;
  try {
    j = with_counters ? json::parse(text) : json::parse(text, drop_counters);
  } catch (const json::exception& e) {
    std::string m = e.what();
    const size_t colon = m.find("] ");
    if (colon != std::string::npos) m = m.substr(colon + 2);
    throw ReadError(path + ": not valid JSON: " + m);
  }
  return parse_perfetto(j, path);
}

// ---- bandwidth.csv ----------------------------------------------------------------------------

std::vector<BandwidthRow> parse_bandwidth_csv(const std::string& text, const std::string& what) {
  std::vector<BandwidthRow> rows;
  std::istringstream in(text);
  std::string line;
  size_t n = 1;
  if (!std::getline(in, line) || line != "bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle")
    throw ReadError(what + ": line 1 is not the header bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle");
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;  // RFC 4180 fields: "..." with "" for a quote
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
    auto bad = [&](const std::string& why) {
      throw ReadError(what + " line " + std::to_string(n) + ": " + why + " ('" + line.substr(0, 80) + "')");
    };
    auto number = [&](const std::string& s, const char* field) -> uint64_t {
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19) bad(std::string(field) + " is not a count");
      return std::stoull(s);
    };
    if (quoted) bad("unterminated quote");
    if (f.size() != 5) bad("expected 5 fields, found " + std::to_string(f.size()));
    BandwidthRow r;
    r.bin_start = number(f[0], "bin_start_cycle");
    r.bin_end = number(f[1], "bin_end_cycle");
    if (r.bin_end <= r.bin_start) bad("bin_end_cycle is not after bin_start_cycle");
    r.track = f[2];
    if (r.track.empty()) bad("empty track");
    r.bytes = number(f[3], "bytes");
    char* end = nullptr;
    r.bytes_per_cycle = std::strtod(f[4].c_str(), &end);
    if (f[4].empty() || *end != 0 || !std::isfinite(r.bytes_per_cycle) || r.bytes_per_cycle < 0) bad("bytes_per_cycle is not a number >= 0");
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<BandwidthRow> read_bandwidth_csv(const std::string& path) { return parse_bandwidth_csv(read_whole(path), path); }

// ---- waves.vcd --------------------------------------------------------------------------------

std::vector<std::pair<uint64_t, std::string>> VcdFile::history(const std::string& path) const {
  std::vector<std::pair<uint64_t, std::string>> h;
  auto it = vars.find(path);
  if (it == vars.end()) return h;
  for (const VcdChange& c : changes)
    if (c.id == it->second.id) h.emplace_back(c.time, c.value);
  return h;
}

std::vector<std::string> VcdFile::paths_with_prefix(const std::string& prefix) const {
  std::vector<std::string> v;
  for (const auto& kv : vars)
    if (kv.first.compare(0, prefix.size(), prefix) == 0) v.push_back(kv.first);
  return v;
}

VcdFile parse_vcd(const std::string& text, const std::string& what) {
  VcdFile v;
  std::vector<std::string> tok;
  {
    std::istringstream in(text);
    for (std::string t; in >> t;) tok.push_back(t);
  }
  auto fail = [&](size_t at, const std::string& what) {
    throw ReadError(what + ": VCD token " + std::to_string(at) + (at < tok.size() ? " ('" + tok[at] + "')" : "") + ": " + what);
  };
  // Tokens up to the next $end (exclusive); i ends after the $end.
  auto until_end = [&](size_t& i) {
    std::vector<std::string> body;
    while (i < tok.size() && tok[i] != "$end") body.push_back(tok[i++]);
    if (i >= tok.size()) fail(i, "missing $end");
    ++i;
    return body;
  };

  // Header.
  size_t i = 0;
  std::vector<std::string> scope;
  std::set<std::string> ids;
  bool defs_done = false;
  while (i < tok.size() && !defs_done) {
    const std::string kw = tok[i];
    const size_t at = i++;
    v.sections.push_back(kw);
    if (kw == "$comment" || kw == "$version" || kw == "$date") {
      until_end(i);
    } else if (kw == "$timescale") {
      std::vector<std::string> b = until_end(i);
      std::string ts;
      for (const auto& t : b) ts += t;  // "1 ns" or "1ns"
      size_t n = 0;
      while (n < ts.size() && ts[n] >= '0' && ts[n] <= '9') ++n;
      const std::string num = ts.substr(0, n), unit = ts.substr(n);
      if ((num != "1" && num != "10" && num != "100") ||
          (unit != "s" && unit != "ms" && unit != "us" && unit != "ns" && unit != "ps" && unit != "fs"))
        fail(at, "bad $timescale '" + ts + "'");
      v.timescale = num + " " + unit;
    } else if (kw == "$scope") {
      std::vector<std::string> b = until_end(i);
      static const std::set<std::string> kinds = {"module", "task", "function", "begin", "fork"};
      if (b.size() != 2 || !kinds.count(b[0])) fail(at, "$scope needs a type and a name");
      if (b[1].find('.') != std::string::npos) fail(at, "scope name contains '.'");
      scope.push_back(b[1]);
      std::string p;
      for (const auto& s : scope) p += (p.empty() ? "" : ".") + s;
      v.scopes.push_back(p);
    } else if (kw == "$upscope") {
      if (!until_end(i).empty()) fail(at, "$upscope takes no arguments");
      if (scope.empty()) fail(at, "$upscope without $scope");
      scope.pop_back();
    } else if (kw == "$var") {
      std::vector<std::string> b = until_end(i);
      static const std::set<std::string> types = {"event", "integer", "parameter", "real", "realtime", "reg", "supply0",
                                                  "supply1", "time", "tri", "triand", "trior", "trireg", "tri0", "tri1",
                                                  "wand", "wire", "wor"};
      if (b.size() != 4 && b.size() != 5) fail(at, "$var needs type, width, id, reference [range]");
      if (!types.count(b[0])) fail(at, "unknown $var type " + b[0]);
      if (b[1].empty() || b[1].find_first_not_of("0123456789") != std::string::npos || std::stoi(b[1]) <= 0)
        fail(at, "bad $var width " + b[1]);
      for (char ch : b[2]) {
        if (ch < '!' || ch > '~') fail(at, "identifier code outside '!'..'~'");
      }
      if (!ids.insert(b[2]).second) fail(at, "identifier code " + b[2] + " declared twice");
      if (scope.empty()) fail(at, "$var outside any $scope");
      VcdVar var{b[0], std::stoi(b[1]), b[2], ""};
      for (const auto& s : scope) var.path += s + ".";
      var.path += b[3];
      if (v.vars.count(var.path)) fail(at, "signal " + var.path + " declared twice");
      v.path_of[var.id] = var.path;
      v.vars[var.path] = var;
    } else if (kw == "$enddefinitions") {
      if (!until_end(i).empty()) fail(at, "$enddefinitions takes no arguments");
      if (!scope.empty()) fail(at, "$enddefinitions inside an open $scope");
      defs_done = true;
    } else {
      fail(at, "unexpected header keyword");
    }
  }
  if (!defs_done) fail(i, "no $enddefinitions");

  // Value changes.
  bool have_time = false, in_dump = false, seen_dump = false;
  uint64_t now = 0;
  auto check_id = [&](size_t at, const std::string& id) -> const VcdVar& {
    auto it = v.path_of.find(id);
    if (it == v.path_of.end()) fail(at, "value change for undeclared identifier " + id);
    return v.vars.at(it->second);
  };
  while (i < tok.size()) {
    const std::string& t = tok[i];
    const size_t at = i++;
    if (t[0] == '#') {
      const std::string num = t.substr(1);
      if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) fail(at, "bad time");
      const uint64_t tt = std::stoull(num);
      if (have_time && tt <= now) fail(at, "time does not increase");
      if (in_dump) fail(at, "time inside $dumpvars");
      now = tt;
      have_time = true;
      v.times.push_back(tt);
    } else if (t == "$dumpvars" || t == "$dumpall" || t == "$dumpon" || t == "$dumpoff") {
      if (in_dump) fail(at, "nested dump block");
      if (!have_time) fail(at, "dump block before the first time");
      in_dump = true;
      if (t == "$dumpvars") seen_dump = true;
    } else if (t == "$end") {
      if (!in_dump) fail(at, "$end without a dump block");
      in_dump = false;
    } else if (t == "$comment") {
      until_end(i);
    } else if (t[0] == 'b' || t[0] == 'B') {
      if (!have_time) fail(at, "value change before the first time");
      const std::string bits = t.substr(1);
      if (bits.empty() || bits.find_first_not_of("01xzXZ") != std::string::npos) fail(at, "bad vector value");
      if (i >= tok.size()) fail(at, "vector value without identifier");
      const std::string id = tok[i++];
      const VcdVar& var = check_id(at, id);
      if (static_cast<int>(bits.size()) > var.width)
        fail(at, "value " + bits + " wider than " + var.path + " (" + std::to_string(var.width) + " bits)");
      v.changes.push_back({now, id, bits, in_dump});
    } else if (t[0] == '0' || t[0] == '1' || t[0] == 'x' || t[0] == 'X' || t[0] == 'z' || t[0] == 'Z') {
      if (!have_time) fail(at, "value change before the first time");
      const std::string id = t.substr(1);
      if (id.empty()) fail(at, "scalar value without identifier");
      const VcdVar& var = check_id(at, id);
      if (var.width != 1) fail(at, "scalar value for the " + std::to_string(var.width) + "-bit " + var.path);
      v.changes.push_back({now, id, std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(t[0])))), in_dump});
    } else {
      fail(at, "unexpected token in the value section");
    }
  }
  if (in_dump) fail(i, "unterminated dump block");
  if (!v.vars.empty()) {
    if (!seen_dump) fail(i, "no $dumpvars block");
    if (v.times.empty() || v.times.front() != 0) fail(i, "the first time is not #0");
    std::set<std::string> initial;
    for (const VcdChange& c : v.changes) {
      if (c.initial) initial.insert(c.id);
    }
    for (const auto& kv : v.vars) {
      if (!initial.count(kv.second.id)) fail(i, kv.first + " has no initial value in $dumpvars");
    }
  }
  return v;
}


VcdFile read_vcd(const std::string& path) { return parse_vcd(read_whole(path), path); }

int64_t vcd_int(const std::string& bits, int width) {
  if (bits.find_first_of("xzXZ") != std::string::npos) throw ReadError("VCD value " + bits + " is not a number");
  uint64_t u = 0;
  for (char ch : bits) u = (u << 1) | (ch == '1' ? 1u : 0u);
  if (width < 64 && bits.size() == static_cast<size_t>(width) && bits[0] == '1') return static_cast<int64_t>(u) - (int64_t{1} << width);
  return static_cast<int64_t>(u);
}

}  // namespace saie::traces
