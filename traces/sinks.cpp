// sinks.cpp — writers that turn a finished TraceRecorder / RunSummary into trace.json, bandwidth.csv, waves.vcd, summary.json.
//
// All outputs are deterministic: tracks are numbered in sorted order, events are stably sorted
// by time, and nothing depends on hash order or the wall clock. Files are written atomically.
#include "traces/sinks.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <nlohmann/json.hpp>

namespace saie::traces {
namespace {

using ordered_json = nlohmann::ordered_json;

std::vector<std::string> split_track(const std::string& track) {
  std::vector<std::string> parts;
  std::string cur;
  for (char ch : track) {
    if (ch == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  parts.push_back(cur);
  return parts;
}

// Perfetto grouping: the first two components name the process (the tile), the rest the thread.
std::pair<std::string, std::string> process_and_thread(const std::string& track) {
  const std::vector<std::string> parts = split_track(track);
  if (parts.size() <= 2) return {track, "main"};
  std::string rest;
  for (size_t i = 2; i < parts.size(); ++i) rest += (i > 2 ? "." : "") + parts[i];
  return {parts[0] + "." + parts[1], rest};
}

void check_clock(double clock_hz, const std::string& path) {
  if (!(clock_hz > 0)) throw std::runtime_error("trace sink " + path + ": clock_hz must be > 0");
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

// VCD identifier codes: base-94 over the printable characters '!'..'~', deterministic by index.
std::string vcd_id(size_t index) {
  std::string id;
  do {
    id += static_cast<char>('!' + index % 94);
    index /= 94;
  } while (index > 0);
  return id;
}

std::string vcd_binary(int64_t v) {
  const uint32_t u = static_cast<uint32_t>(v);  // 32-bit two's complement
  if (u == 0) return "0";
  std::string s;
  for (int bit = 31; bit >= 0; --bit) {
    if (!s.empty() || ((u >> bit) & 1u)) s += ((u >> bit) & 1u) ? '1' : '0';
  }
  return s;
}

bool in_scopes(const std::string& track, const std::vector<std::string>& scopes) {
  if (scopes.empty()) return true;
  for (const std::string& p : scopes) {
    if (p.empty() || track == p) return true;
    if (p.back() == '.' && track.compare(0, p.size(), p) == 0) return true;
    if (track.size() > p.size() && track.compare(0, p.size(), p) == 0 && track[p.size()] == '.') return true;
  }
  return false;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot open " + tmp + " for writing: " + std::strerror(errno));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw std::runtime_error("write to " + tmp + " failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + err);
  }
}

// ---- trace.json (Chrome / Perfetto trace event format) -------------------------------------

void write_perfetto(const TraceRecorder& rec, double clock_hz, const std::string& path) {
  check_clock(clock_hz, path);
  const double us_per_cycle = 1e6 / clock_hz;

  // Number processes and threads in sorted name order.
  std::map<std::string, std::set<std::string>> threads;  // process -> slice threads
  for (const Slice& s : rec.slices()) {
    auto [proc, thread] = process_and_thread(s.track);
    threads[proc].insert(thread);
  }
  for (const CounterSample& c : rec.counters()) threads[process_and_thread(c.track).first];
  std::map<std::string, int> pid;
  std::map<std::pair<std::string, std::string>, int> tid_of;
  int next_pid = 1;
  for (const auto& [proc, names] : threads) {
    pid[proc] = next_pid++;
    int next_tid = 1;
    for (const std::string& t : names) tid_of[{proc, t}] = next_tid++;
  }

  std::string out = "{\"traceEvents\":[\n";
  bool first = true;
  auto emit = [&](const ordered_json& ev) {
    if (!first) out += ",\n";
    first = false;
    out += ev.dump();
  };
  for (const auto& [proc, names] : threads) {
    const int p = pid[proc];
    emit({{"ph", "M"}, {"name", "process_name"}, {"pid", p}, {"tid", 0}, {"args", {{"name", proc}}}});
    emit({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", p}, {"tid", 0}, {"args", {{"sort_index", p}}}});
    for (const std::string& t : names) {
      const int th = tid_of[{proc, t}];
      emit({{"ph", "M"}, {"name", "thread_name"}, {"pid", p}, {"tid", th}, {"args", {{"name", t}}}});
      emit({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", p}, {"tid", th}, {"args", {{"sort_index", th}}}});
    }
  }

  struct Keyed {
    uint64_t time;
    int pid;
    int tid;
    size_t index;
  };
  std::vector<Keyed> order;
  order.reserve(rec.slices().size());
  for (size_t i = 0; i < rec.slices().size(); ++i) {
    const Slice& s = rec.slices()[i];
    auto pt = process_and_thread(s.track);
    order.push_back({s.begin, pid[pt.first], tid_of[pt], i});
  }
  std::stable_sort(order.begin(), order.end(), [](const Keyed& a, const Keyed& b) {
    return std::tie(a.time, a.pid, a.tid) < std::tie(b.time, b.pid, b.tid);
  });
  for (const Keyed& k : order) {
    const Slice& s = rec.slices()[k.index];
    const uint64_t end = std::max(s.end, s.begin);
    emit({{"ph", "X"},
          {"name", s.name},
          {"cat", s.category},
          {"pid", k.pid},
          {"tid", k.tid},
          {"ts", static_cast<double>(s.begin) * us_per_cycle},
          {"dur", static_cast<double>(end - s.begin) * us_per_cycle},
          {"args", {{"bytes", s.bytes}, {"phase", s.phase}}}});
  }

  std::vector<Keyed> corder;
  for (size_t i = 0; i < rec.counters().size(); ++i) {
    const CounterSample& c = rec.counters()[i];
    corder.push_back({c.cycle, pid[process_and_thread(c.track).first], 0, i});
  }
  std::stable_sort(corder.begin(), corder.end(), [&](const Keyed& a, const Keyed& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.pid != b.pid) return a.pid < b.pid;
    return rec.counters()[a.index].track < rec.counters()[b.index].track;
  });
  for (const Keyed& k : corder) {
    const CounterSample& c = rec.counters()[k.index];
    emit({{"ph", "C"},
          {"name", process_and_thread(c.track).second},
          {"pid", k.pid},
          {"tid", 0},
          {"ts", static_cast<double>(c.cycle) * us_per_cycle},
          {"args", {{"value", c.value}}}});
  }
  out += "\n],\n";
  ordered_json other = {{"clock_hz", clock_hz}, {"time_unit", "microseconds of simulated time"}};
  out += "\"displayTimeUnit\":\"ns\",\n\"otherData\":" + other.dump() + "\n}\n";
  write_file_atomic(path, out);
}

// ---- bandwidth.csv ----------------------------------------------------------------------------

void write_bandwidth_csv(const TraceRecorder& rec, uint64_t bin_cycles, const std::string& path) {
  if (bin_cycles == 0) throw std::runtime_error("trace sink " + path + ": bin_cycles must be > 0");
  // (bin index, track) -> bytes. Shares are exact integers: the bytes up to a bin edge are
  // floor(bytes * elapsed / duration), so the shares of one slice sum to its bytes.
  std::map<std::pair<uint64_t, std::string>, uint64_t> bins;
  for (const Slice& s : rec.slices()) {
    if (s.bytes == 0) continue;
    if (s.end <= s.begin) {
      bins[{s.begin / bin_cycles, s.track}] += s.bytes;
      continue;
    }
    const uint64_t dur = s.end - s.begin;
    auto upto = [&](uint64_t t) {  // bytes moved in [begin, t)
      return static_cast<uint64_t>(static_cast<unsigned __int128>(s.bytes) * (t - s.begin) / dur);
    };
    for (uint64_t b = s.begin / bin_cycles; b <= (s.end - 1) / bin_cycles; ++b) {
      const uint64_t lo = std::max(s.begin, b * bin_cycles);
      const uint64_t hi = std::min(s.end, (b + 1) * bin_cycles);
      const uint64_t share = upto(hi) - upto(lo);
      if (share > 0) bins[{b, s.track}] += share;
    }
  }
  std::string out = "bin_start_cycle,bin_end_cycle,track,bytes,bytes_per_cycle\n";
  char buf[128];
  for (const auto& [key, bytes] : bins) {
    const uint64_t start = key.first * bin_cycles;
    std::snprintf(buf, sizeof buf, "%" PRIu64 ",%" PRIu64 ",", start, start + bin_cycles);
    out += buf;
    out += csv_field(key.second);
    std::snprintf(buf, sizeof buf, ",%" PRIu64 ",%.6f\n", bytes, static_cast<double>(bytes) / static_cast<double>(bin_cycles));
    out += buf;
  }
  write_file_atomic(path, out);
}

// ---- waves.vcd ----------------------------------------------------------------------------------

void write_vcd(const TraceRecorder& rec, double clock_hz, const std::vector<std::string>& scopes, const std::string& path) {
  check_clock(clock_hz, path);
  // Signals: one reg[32] per counter track, one 1-bit "busy" wire per slice track. A slice track
  // whose "<track>.busy" is also a counter gets its wire named "slice_busy" to keep names unique.
  struct Signal {
    std::vector<std::string> scope;  // track components except the variable name
    std::string name;
    bool is_counter;
  };
  std::set<std::string> counter_tracks, slice_tracks;
  for (const CounterSample& c : rec.counters()) {
    if (in_scopes(c.track, scopes)) counter_tracks.insert(c.track);
  }
  for (const Slice& s : rec.slices()) {
    if (in_scopes(s.track, scopes)) slice_tracks.insert(s.track);
  }
  // Full signal path -> signal; the map's order is the declaration and identifier order.
  std::map<std::string, Signal> signals;
  for (const std::string& t : counter_tracks) {
    std::vector<std::string> parts = split_track(t);
    std::string name = parts.back();
    parts.pop_back();
    signals[t] = Signal{parts, name, true};
  }
  std::map<std::string, std::string> busy_path;  // slice track -> signal path
  for (const std::string& t : slice_tracks) {
    const std::string wire = counter_tracks.count(t + ".busy") ? "slice_busy" : "busy";
    busy_path[t] = t + "." + wire;
    signals[t + "." + wire] = Signal{split_track(t), wire, false};
  }
  std::map<std::string, size_t> index;
  {
    size_t i = 0;
    for (const auto& kv : signals) index[kv.first] = i++;
  }

  // Value changes: (time, signal index, sequence) -> value; later samples at the same time win.
  struct Change {
    uint64_t time;
    size_t signal;
    size_t seq;
    int64_t value;
  };
  std::vector<Change> changes;
  size_t seq = 0;
  for (const CounterSample& c : rec.counters()) {
    if (!counter_tracks.count(c.track)) continue;
    changes.push_back({c.cycle, index[c.track], seq++, c.value});
  }
  // Busy: union of each track's slices (zero-length slices are not visible).
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> spans;
  for (const Slice& s : rec.slices()) {
    if (slice_tracks.count(s.track) && s.end > s.begin) spans[s.track].push_back({s.begin, s.end});
  }
  for (auto& [track, v] : spans) {
    std::sort(v.begin(), v.end());
    const size_t sig = index[busy_path[track]];
    uint64_t cur_b = v[0].first, cur_e = v[0].second;
    auto flush = [&] {
      changes.push_back({cur_b, sig, seq++, 1});
      changes.push_back({cur_e, sig, seq++, 0});
    };
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i].first <= cur_e) {
        cur_e = std::max(cur_e, v[i].second);
      } else {
        flush();
        cur_b = v[i].first;
        cur_e = v[i].second;
      }
    }
    flush();
  }
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return std::tie(a.time, a.signal, a.seq) < std::tie(b.time, b.signal, b.seq);
  });

  std::ostringstream out;
  char clock_buf[64];
  std::snprintf(clock_buf, sizeof clock_buf, "%.17g", clock_hz);
  out << "$comment SparseAIE simulation trace; one time unit = one array clock cycle (clock " << clock_buf
      << " Hz), shown as 1 ns (real time only at 1 GHz) $end\n";
  out << "$version SparseAIE traces $end\n";
  out << "$timescale 1 ns $end\n";
  // Scope tree: signals are sorted by full path, so shared prefixes are adjacent.
  std::vector<std::string> open;
  for (const auto& [full, sig] : signals) {
    size_t common = 0;
    while (common < open.size() && common < sig.scope.size() && open[common] == sig.scope[common]) ++common;
    while (open.size() > common) {
      out << "$upscope $end\n";
      open.pop_back();
    }
    for (size_t i = common; i < sig.scope.size(); ++i) {
      out << "$scope module " << sig.scope[i] << " $end\n";
      open.push_back(sig.scope[i]);
    }
    out << "$var " << (sig.is_counter ? "reg 32 " : "wire 1 ") << vcd_id(index[full]) << " " << sig.name << " $end\n";
  }
  while (!open.empty()) {
    out << "$upscope $end\n";
    open.pop_back();
  }
  out << "$enddefinitions $end\n";

  std::vector<const Signal*> by_index(signals.size());
  for (const auto& [full, sig] : signals) by_index[index[full]] = &sig;
  auto value_text = [&](size_t signal, int64_t value) {
    if (by_index[signal]->is_counter) return "b" + vcd_binary(value) + " " + vcd_id(signal) + "\n";
    return std::string(value ? "1" : "0") + vcd_id(signal) + "\n";
  };

  // Initial values (the $dumpvars block at #0): busy wires 0, counters unknown until their first
  // sample; changes at cycle 0 are folded in so that every "#t" appears once, in increasing order.
  std::vector<int64_t> current(signals.size(), 0);
  std::vector<bool> known(signals.size(), false);
  for (size_t i = 0; i < signals.size(); ++i) known[i] = !by_index[i]->is_counter;
  size_t k = 0;
  for (; k < changes.size() && changes[k].time == 0; ++k) {
    current[changes[k].signal] = changes[k].value;  // sorted by seq: the last one wins
    known[changes[k].signal] = true;
  }
  out << "#0\n$dumpvars\n";
  for (size_t i = 0; i < signals.size(); ++i) {
    if (known[i]) {
      out << value_text(i, current[i]);
    } else {
      out << "bx " << vcd_id(i) << "\n";
    }
  }
  out << "$end\n";

  while (k < changes.size()) {
    const uint64_t t = changes[k].time;
    std::string block;
    while (k < changes.size() && changes[k].time == t) {
      // Last change of this signal at this time wins.
      size_t last = k;
      while (last + 1 < changes.size() && changes[last + 1].time == t && changes[last + 1].signal == changes[k].signal) ++last;
      const Change& c = changes[last];
      if (!known[c.signal] || current[c.signal] != c.value) {
        known[c.signal] = true;
        current[c.signal] = c.value;
        block += value_text(c.signal, c.value);
      }
      k = last + 1;
    }
    if (!block.empty()) out << "#" << t << "\n" << block;
  }
  write_file_atomic(path, out.str());
}

// ---- summary.json ---------------------------------------------------------------------------------

void write_summary(const RunSummary& s, const TraceRecorder& rec, const std::string& path) {
  ordered_json j;
  j["program"] = s.program;
  j["config"] = s.config;
  j["clock_hz"] = s.clock_hz;
  j["inferences"] = s.inferences;
  j["total_cycles"] = s.total_cycles;
  j["cycles_per_inference"] = s.cycles_per_inference;
  // Simulated (not host) time at the array clock.
  j["simulated_seconds"] = s.clock_hz > 0 ? double(s.total_cycles) / s.clock_hz : 0.0;
  j["seconds_per_inference"] = s.clock_hz > 0 ? double(s.cycles_per_inference) / s.clock_hz : 0.0;
  j["core_compute_cycles"] = s.core_compute_cycles;
  j["core_utilisation"] = s.core_utilisation;
  j["bytes_ddr_to_mem"] = s.bytes_ddr_to_mem;
  j["bytes_mem_to_ddr"] = s.bytes_mem_to_ddr;
  j["bytes_mem_to_core"] = s.bytes_mem_to_core;
  j["bytes_core_to_mem"] = s.bytes_core_to_mem;
  ordered_json phases = ordered_json::array();
  for (const PhaseSummary& p : s.phases) {
    ordered_json o;
    o["name"] = p.name;
    o["layer"] = p.layer;
    o["cycles"] = p.cycles;
    o["core_busy_cycles"] = p.core_busy_cycles;
    o["dense_macs"] = p.dense_macs;
    o["actual_macs"] = p.actual_macs;
    phases.push_back(o);
  }
  j["phases"] = phases;
  j["bit_exact"] = s.bit_exact;
  j["compared"] = s.compared;
  j["deadlock"] = s.deadlock;
  j["deadlock_report"] = s.deadlock_report;
  ordered_json stats = ordered_json::object();
  for (const auto& [name, st] : rec.stats()) {  // std::map: sorted by name
    stats[name] = {{"value", st.value}, {"unit", st.unit}, {"description", st.description}};
  }
  j["stats"] = stats;
  write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace saie::traces
