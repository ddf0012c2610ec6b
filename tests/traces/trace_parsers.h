// trace_parsers.h — strict readers for the trace sinks' outputs, used by the unit tests
// (tests/traces) and the end-to-end test (tests/e2e/trace_outputs_test.cpp). They check the file
// formats themselves, independently of the writers: a VCD reader (IEEE 1364 §18 four-state
// VCD as GTKWave reads it) and a Chrome/Perfetto trace event JSON checker. Both throw
// std::runtime_error naming the first violation.
#pragma once

#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace saie::test {

// ---- VCD -------------------------------------------------------------------------------------

struct VcdVar {
  std::string type;  // wire, reg, integer, ...
  int width = 0;
  std::string id;
  std::string path;  // scopes and reference joined with '.', e.g. "array.tile_0_2.core.busy"
};

struct VcdChange {
  uint64_t time = 0;
  std::string id;
  std::string value;  // "0"/"1"/"x"/"z" for scalars, the bits of a vector ("101", "x")
  bool initial = false;  // inside the $dumpvars block
};

struct VcdFile {
  std::vector<std::string> sections;  // header keywords in order: "$comment", "$timescale", ...
  std::string timescale;              // e.g. "1 ns"
  std::map<std::string, VcdVar> vars;           // path -> var
  std::map<std::string, std::string> path_of;   // id -> path
  std::vector<std::string> scopes;              // every scope path, in declaration order
  std::vector<uint64_t> times;                  // every "#t", in file order
  std::vector<VcdChange> changes;               // in file order

  // The value changes of one signal as (time, value); empty if the signal does not exist.
  std::vector<std::pair<uint64_t, std::string>> history(const std::string& path) const {
    std::vector<std::pair<uint64_t, std::string>> h;
    auto it = vars.find(path);
    if (it == vars.end()) return h;
    for (const VcdChange& c : changes) {
      if (c.id == it->second.id) h.emplace_back(c.time, c.value);
    }
    return h;
  }
  // Paths of the vars whose path starts with prefix.
  std::vector<std::string> paths_with_prefix(const std::string& prefix) const {
    std::vector<std::string> v;
    for (const auto& kv : vars) {
      if (kv.first.compare(0, prefix.size(), prefix) == 0) v.push_back(kv.first);
    }
    return v;
  }
};

inline VcdFile parse_vcd(const std::string& text) {
  VcdFile v;
  std::vector<std::string> tok;
  {
    std::istringstream in(text);
    for (std::string t; in >> t;) tok.push_back(t);
  }
  auto fail = [&](size_t at, const std::string& what) {
    throw std::runtime_error("VCD token " + std::to_string(at) + (at < tok.size() ? " ('" + tok[at] + "')" : "") + ": " + what);
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

// Two's complement value of a VCD vector of the given width ("x" and "z" are not numbers).
inline int64_t vcd_int(const std::string& bits, int width = 32) {
  if (bits.find_first_of("xzXZ") != std::string::npos) throw std::runtime_error("VCD value " + bits + " is not a number");
  uint64_t u = 0;
  for (char ch : bits) u = (u << 1) | (ch == '1' ? 1u : 0u);
  if (width < 64 && bits.size() == static_cast<size_t>(width) && bits[0] == '1') return static_cast<int64_t>(u) - (int64_t{1} << width);
  return static_cast<int64_t>(u);
}

// ---- Chrome / Perfetto trace event JSON ---------------------------------------------------

struct TraceJsonInfo {
  std::map<int, std::string> process_name;                 // pid -> process_name
  std::map<int, std::string> process_label;                // pid -> process_labels (if any)
  std::map<int, int64_t> process_sort;                     // pid -> process_sort_index
  std::map<std::pair<int, int>, std::string> thread_name;  // (pid, tid) -> thread_name
  std::vector<nlohmann::json> slices;                      // "X" events, file order
  std::vector<nlohmann::json> counters;                    // "C" events, file order
};

// Checks the structure: a "traceEvents" array; every event has ph and pid; "X" events have
// name, tid, ts >= 0 and dur >= 0, are in non-decreasing ts order per thread, and on one thread
// are disjoint or nested (what Perfetto needs to draw them); "C" events have a name, ts and
// only numeric args; every pid used has a process_name and every (pid, tid) with slices a
// thread_name. Throws on the first violation.
inline TraceJsonInfo check_trace_json(const nlohmann::json& j) {
  TraceJsonInfo info;
  auto fail = [](size_t k, const std::string& what) {
    throw std::runtime_error("trace.json event " + std::to_string(k) + ": " + what);
  };
  if (!j.is_object() || !j.contains("traceEvents") || !j["traceEvents"].is_array())
    throw std::runtime_error("trace.json: no traceEvents array");
  if (j.contains("displayTimeUnit") && j["displayTimeUnit"] != "ms" && j["displayTimeUnit"] != "ns")
    throw std::runtime_error("trace.json: displayTimeUnit must be ms or ns");
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
    if (!info.process_name.count(p)) throw std::runtime_error("trace.json: pid " + std::to_string(p) + " has no process_name");
  }
  for (const auto& th : threads_used) {
    if (!info.thread_name.count(th))
      throw std::runtime_error("trace.json: pid " + std::to_string(th.first) + " tid " + std::to_string(th.second) + " has no thread_name");
  }
  // Disjoint or nested per thread (1e-6 us tolerance for the floating-point microseconds).
  for (const auto& [th, v] : per_thread) {
    std::vector<double> open_ends;
    for (const auto& [b, e] : v) {
      while (!open_ends.empty() && open_ends.back() <= b + 1e-6) open_ends.pop_back();
      if (!open_ends.empty() && e > open_ends.back() + 1e-6)
        throw std::runtime_error("trace.json: pid " + std::to_string(th.first) + " tid " + std::to_string(th.second) +
                                 ": a slice at ts " + std::to_string(b) + " overlaps the previous one without nesting");
      open_ends.push_back(e);
    }
  }
  return info;
}

}  // namespace saie::test
