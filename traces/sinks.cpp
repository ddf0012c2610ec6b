// sinks.cpp — writers that turn a finished TraceRecorder / RunSummary into trace.json, bandwidth.csv, waves.vcd, summary.json.
//
// All outputs are deterministic: tracks are numbered in a fixed order (tiles by column then row,
// names in natural order), events are stably sorted by time, and nothing depends on hash order
// or the wall clock (the VCD has no $date). Files are written atomically.
#include "traces/sinks.h"
#include "hw/isa/tile_names.h"
#include "util/file_io.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
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

std::string join(const std::vector<std::string>& parts, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to && i < parts.size(); ++i) s += (i > from ? "." : "") + parts[i];
  return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// "tile_3_2" -> (3, 2) (isa::parse_tile_name, as a comparable pair).
std::optional<std::pair<uint32_t, uint32_t>> parse_tile(const std::string& comp) {
  const auto t = isa::parse_tile_name(comp);
  if (!t) return std::nullopt;
  return std::make_pair(t->col, t->row);
}

// Natural order: digit runs compare as numbers ("mm2s_2" < "mm2s_10"), then plain string order.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = a[i] >= '0' && a[i] <= '9', db = b[j] >= '0' && b[j] <= '9';
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && a[ie] >= '0' && a[ie] <= '9') ++ie;
      while (je < b.size() && b[je] >= '0' && b[je] <= '9') ++je;
      // Compare by value: without leading zeros, by length, then digits.
      size_t ia = i, jb = j;
      while (ia + 1 < ie && a[ia] == '0') ++ia;
      while (jb + 1 < je && b[jb] == '0') ++jb;
      if (ie - ia != je - jb) return ie - ia < je - jb;
      const int c = a.compare(ia, ie - ia, b, jb, je - jb);
      if (c != 0) return c < 0;
      if (ie - i != je - j) return ie - i < je - j;  // "2" before "02": equal runs only when identical
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
  return false;  // every run identical: a == b
}

struct NaturalLess {
  bool operator()(const std::string& a, const std::string& b) const { return natural_less(a, b); }
};

// Order of Perfetto processes: non-tile tracks (array.control, ...) first by name, then tiles
// by column, then row.
struct ProcessLess {
  bool operator()(const std::string& a, const std::string& b) const {
    const auto ta = parse_tile(split_track(a).back()), tb = parse_tile(split_track(b).back());
    if (ta.has_value() != tb.has_value()) return !ta.has_value();
    if (ta && *ta != *tb) return *ta < *tb;
    return natural_less(a, b);
  }
};

// Perfetto grouping of a displayed track: the first two components name the process (the
// tile), the rest the thread / counter ("array.control" -> process array.control, "control").
std::pair<std::string, std::string> process_and_thread(const std::string& shown) {
  const std::vector<std::string> parts = split_track(shown);
  if (parts.size() <= 2) return {shown, parts.back()};
  return {parts[0] + "." + parts[1], join(parts, 2, parts.size())};
}

void check_clock(double clock_hz, const std::string& path) {
  if (!(clock_hz > 0) || !std::isfinite(clock_hz)) throw std::runtime_error("trace sink " + path + ": clock_hz must be > 0");
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

// DMA slice bytes per (bin index, track): exact integer shares — the bytes up to a bin edge are
// floor(bytes * elapsed / duration), so the shares of one slice sum to its bytes.
std::map<std::pair<uint64_t, std::string>, uint64_t> bandwidth_bins(const TraceRecorder& rec, uint64_t bin_cycles) {
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
  return bins;
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

constexpr int kVcdIntWidth = 32;

std::string vcd_binary(int64_t v) {
  const uint32_t u = static_cast<uint32_t>(v);  // 32-bit two's complement
  if (u == 0) return "0";
  std::string s;
  for (int bit = kVcdIntWidth - 1; bit >= 0; --bit) {
    if (!s.empty() || ((u >> bit) & 1u)) s += ((u >> bit) & 1u) ? '1' : '0';
  }
  return s;
}

bool prefix_matches(const std::string& track, const std::string& p) {
  if (p.empty() || track == p) return true;
  if (p.back() == '.' && track.compare(0, p.size(), p) == 0) return true;
  return track.size() > p.size() && track.compare(0, p.size(), p) == 0 && track[p.size()] == '.';
}

// A track is kept if a scope matches its recorded or its displayed name.
bool in_scopes(const std::string& track, const std::vector<std::string>& scopes) {
  if (scopes.empty()) return true;
  const std::string shown = display_track(track);
  for (const std::string& p : scopes) {
    if (prefix_matches(track, p) || prefix_matches(shown, p)) return true;
  }
  return false;
}

bool is_dma_channel(const std::vector<std::string>& parts) {
  return parts.size() == 4 && parts[2] == "dma" && (starts_with(parts[3], "mm2s_") || starts_with(parts[3], "s2mm_"));
}

}  // namespace

std::string display_track(const std::string& track) {
  const std::vector<std::string> parts = split_track(track);
  if (parts.size() >= 5 && parts[0] == "array" && parts[1] == "stream" && parse_tile(parts[2]) &&
      (starts_with(parts[3], "s2mm_") || starts_with(parts[3], "mm2s_")))
    return "array." + parts[2] + ".dma." + join(parts, 3, parts.size());
  return track;
}

// ---- trace.json (Chrome / Perfetto trace event format) -------------------------------------

void write_perfetto(const TraceRecorder& rec, double clock_hz, const std::string& path, uint64_t bandwidth_bin_cycles) {
  check_clock(clock_hz, path);
  if (bandwidth_bin_cycles == 0) throw std::runtime_error("trace sink " + path + ": bandwidth_bin_cycles must be > 0");
  // Microseconds as cycles / (cycles per microsecond): at 1 GHz a division by exactly 1000, so
  // the numbers print as short decimals (0.213, not 0.21299999999999997).
  const double cycles_per_us = clock_hz / 1e6;
  auto us = [&](uint64_t cycles) { return static_cast<double>(cycles) / cycles_per_us; };

  // Processes (tiles) and their threads (slice tracks: core, DMA channels).
  std::map<std::string, std::set<std::string, NaturalLess>, ProcessLess> threads;
  for (const Slice& s : rec.slices()) {
    auto [proc, thread] = process_and_thread(display_track(s.track));
    threads[proc].insert(thread);
  }
  for (const CounterSample& c : rec.counters()) threads[process_and_thread(display_track(c.track)).first];
  // pids 1..P in process order; tids unique over the whole file, after the pids (tid == pid is
  // the process itself: metadata and counters).
  std::map<std::string, int> pid;
  std::map<std::pair<std::string, std::string>, int> tid_of;
  int next_pid = 1;
  for (const auto& kv : threads) pid[kv.first] = next_pid++;
  int next_tid = next_pid;
  for (const auto& [proc, names] : threads) {
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
    const auto tile = parse_tile(split_track(proc).back());
    const std::string shown =
        tile ? isa::tile_label(tile->first, tile->second) : proc;
    emit({{"ph", "M"}, {"name", "process_name"}, {"pid", p}, {"tid", p}, {"args", {{"name", shown}}}});
    if (tile) emit({{"ph", "M"}, {"name", "process_labels"}, {"pid", p}, {"tid", p}, {"args", {{"labels", proc}}}});
    emit({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", p}, {"tid", p}, {"args", {{"sort_index", p}}}});
    int order = 0;
    for (const std::string& t : names) {
      const int th = tid_of[{proc, t}];
      emit({{"ph", "M"}, {"name", "thread_name"}, {"pid", p}, {"tid", th}, {"args", {{"name", t}}}});
      emit({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", p}, {"tid", th}, {"args", {{"sort_index", ++order}}}});
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
    auto pt = process_and_thread(display_track(s.track));
    order.push_back({s.begin, pid[pt.first], tid_of[pt], i});
  }
  // Ties (same begin on one thread: a zero-length slice and the next one) keep recording order.
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
          {"ts", us(s.begin)},
          {"dur", us(end - s.begin)},
          {"args",
           {{"category", s.category},
            {"phase", s.phase},
            {"bytes", s.bytes},
            {"begin_cycle", s.begin},
            {"end_cycle", end}}}});
  }

  // Counters: lock values, BD ids, FIFO occupancy (recorded), and per DMA channel its bandwidth
  // in bytes/cycle per bin (from the slices, as in bandwidth.csv): a sample at the start of every
  // bin with traffic and a 0 at the first idle bin after one.
  struct Sample {
    uint64_t cycle;
    int pid;
    std::string name;
    size_t seq;
    std::string key;
    double value;
  };
  std::vector<Sample> samples;
  size_t seq = 0;
  for (const CounterSample& c : rec.counters()) {
    auto [proc, name] = process_and_thread(display_track(c.track));
    samples.push_back({c.cycle, pid[proc], name, seq++, "value", static_cast<double>(c.value)});
  }
  {
    const auto bins = bandwidth_bins(rec, bandwidth_bin_cycles);
    std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> per_track;  // track -> (bin, bytes), bins ascending
    for (const auto& [key, bytes] : bins) per_track[key.second].push_back({key.first, bytes});
    for (const auto& [track, v] : per_track) {
      auto [proc, thread] = process_and_thread(display_track(track));
      const std::string name = thread + ".bandwidth";
      const int p = pid.count(proc) ? pid[proc] : 0;
      for (size_t i = 0; i < v.size(); ++i) {
        const uint64_t b = v[i].first;
        samples.push_back({b * bandwidth_bin_cycles, p, name, seq++, "bytes_per_cycle",
                           static_cast<double>(v[i].second) / static_cast<double>(bandwidth_bin_cycles)});
        if (i + 1 == v.size() || v[i + 1].first != b + 1)
          samples.push_back({(b + 1) * bandwidth_bin_cycles, p, name, seq++, "bytes_per_cycle", 0.0});
      }
    }
  }
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return std::tie(a.cycle, a.pid, a.name, a.seq) < std::tie(b.cycle, b.pid, b.name, b.seq);
  });
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    // Several samples of one counter at one cycle: only the last is shown.
    if (i + 1 < samples.size() && samples[i + 1].cycle == s.cycle && samples[i + 1].pid == s.pid && samples[i + 1].name == s.name)
      continue;
    ordered_json args = ordered_json::object();
    if (s.key == "value")
      args[s.key] = static_cast<int64_t>(s.value);
    else
      args[s.key] = s.value;
    emit({{"ph", "C"}, {"name", s.name}, {"pid", s.pid}, {"tid", s.pid}, {"ts", us(s.cycle)}, {"args", args}});
  }
  out += "\n],\n";
  ordered_json other = {{"clock_hz", clock_hz},
                        {"time_unit", "microseconds of simulated time"},
                        {"bandwidth_bin_cycles", bandwidth_bin_cycles},
                        {"layout", "one process per tile (tile(col,row), sorted by column then row), one thread per core / DMA channel"}};
  out += "\"displayTimeUnit\":\"ns\",\n\"otherData\":" + other.dump() + "\n}\n";
  util::write_file_atomic(path, out);
}

// ---- bandwidth.csv ----------------------------------------------------------------------------

void write_bandwidth_csv(const TraceRecorder& rec, uint64_t bin_cycles, const std::string& path) {
  if (bin_cycles == 0) throw std::runtime_error("trace sink " + path + ": bin_cycles must be > 0");
  const auto bins = bandwidth_bins(rec, bin_cycles);
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
  util::write_file_atomic(path, out);
}

// ---- waves.vcd ----------------------------------------------------------------------------------

namespace {

// The signals of waves.vcd (and the trace lines of waves.gtkw), named by their displayed path:
//   <counter track>              integer 32   lock values, BD ids, FIFO occupancy, RTL buses
//   <counter track marked wire>  wire 1       RTL pins (TraceRecorder::mark_wire, hw/cosim)
//   <slice track>.busy           wire 1       compute / transfer / control slices
//   <slice track>.lock_wait      wire 1       "lock" slices (waiting to acquire a lock)
//   <control track>.phase        integer 32   phase index of the "control" slices
//   <DMA channel>.busy           wire 1       also for a channel that only has counters
// A wire whose name is already a counter gets a "slice_" prefix to keep names unique.
struct VcdSignal {
  std::vector<std::string> scope;  // components except the variable name
  std::string name;
  bool is_integer;
};
struct VcdSignals {
  std::map<std::string, VcdSignal, NaturalLess> signals;           // full path -> signal; declaration order
  std::map<std::string, std::string> busy_path, wait_path, phase_path;  // slice track -> signal path
};

VcdSignals vcd_signals(const TraceRecorder& rec, const std::vector<std::string>& scopes) {
  VcdSignals out;
  auto& signals = out.signals;
  auto& busy_path = out.busy_path;
  auto& wait_path = out.wait_path;
  auto& phase_path = out.phase_path;
  std::set<std::string> counter_tracks, slice_tracks, wire_tracks;
  for (const CounterSample& c : rec.counters()) {
    if (!in_scopes(c.track, scopes)) continue;
    counter_tracks.insert(display_track(c.track));
    if (rec.is_wire(c.track)) wire_tracks.insert(display_track(c.track));
  }
  for (const Slice& s : rec.slices()) {
    if (in_scopes(s.track, scopes)) slice_tracks.insert(display_track(s.track));
  }
  if (!scopes.empty() && counter_tracks.empty() && slice_tracks.empty()) {
    std::string list;
    for (const std::string& p : scopes) list += (list.empty() ? "'" : ", '") + p + "'";
    throw std::runtime_error("--vcd-scope " + list + " matches no traced signal (tracks look like array.tile_0_2.core)");
  }
  // Every DMA channel in scope with a counter (e.g. its BD id) gets a busy wire too.
  std::set<std::string> busy_tracks = slice_tracks;
  for (const std::string& t : counter_tracks) {
    const std::vector<std::string> parts = split_track(t);
    if (parts.size() == 5 && is_dma_channel({parts.begin(), parts.end() - 1}) && in_scopes(join(parts, 0, 4), scopes))
      busy_tracks.insert(join(parts, 0, 4));
  }

  for (const std::string& t : counter_tracks) {
    std::vector<std::string> parts = split_track(t);
    std::string name = parts.back();
    parts.pop_back();
    signals[t] = VcdSignal{parts, name, wire_tracks.count(t) == 0};
  }
  auto wire_path = [&](const std::string& track, const std::string& wire) {
    const std::string plain = track + "." + wire;
    return counter_tracks.count(plain) ? track + ".slice_" + wire : plain;
  };
  for (const std::string& t : busy_tracks) busy_path[t] = wire_path(t, "busy");
  for (const Slice& s : rec.slices()) {
    if (!in_scopes(s.track, scopes)) continue;
    const std::string t = display_track(s.track);
    if (s.category == "lock" && !wait_path.count(t)) wait_path[t] = wire_path(t, "lock_wait");
    if (s.category == "control" && !phase_path.count(t)) phase_path[t] = wire_path(t, "phase");
  }
  for (const auto& [t, p] : busy_path) signals[p] = VcdSignal{split_track(t), split_track(p).back(), false};
  for (const auto& [t, p] : wait_path) signals[p] = VcdSignal{split_track(t), split_track(p).back(), false};
  for (const auto& [t, p] : phase_path) signals[p] = VcdSignal{split_track(t), split_track(p).back(), true};
  return out;
}

}  // namespace

void write_vcd(const TraceRecorder& rec, double clock_hz, const std::vector<std::string>& scopes, const std::string& path) {
  check_clock(clock_hz, path);
  const VcdSignals vs = vcd_signals(rec, scopes);
  const auto& signals = vs.signals;
  const auto& busy_path = vs.busy_path;
  const auto& wait_path = vs.wait_path;
  const auto& phase_path = vs.phase_path;
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
    if (!in_scopes(c.track, scopes)) continue;
    changes.push_back({c.cycle, index[display_track(c.track)], seq++, c.value});
  }
  // Wires: the union of each track's slices of that kind (zero-length slices are not visible).
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> spans;  // signal path -> spans
  std::vector<const Slice*> control;
  for (const Slice& s : rec.slices()) {
    if (!in_scopes(s.track, scopes)) continue;
    const std::string t = display_track(s.track);
    if (s.category == "control") control.push_back(&s);
    if (s.end <= s.begin) continue;
    spans[s.category == "lock" ? wait_path.at(t) : busy_path.at(t)].push_back({s.begin, s.end});
  }
  for (auto& [sig_path, v] : spans) {
    std::sort(v.begin(), v.end());
    const size_t sig = index[sig_path];
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
  // Phase index: set when a control slice begins (sorted by begin; recording order on ties).
  std::stable_sort(control.begin(), control.end(), [](const Slice* a, const Slice* b) { return a->begin < b->begin; });
  for (const Slice* s : control) changes.push_back({s->begin, index[phase_path.at(display_track(s->track))], seq++, s->phase});
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
    out << "$var " << (sig.is_integer ? "integer " + std::to_string(kVcdIntWidth) + " " : std::string("wire 1 "))
        << vcd_id(index[full]) << " " << sig.name << " $end\n";
  }
  while (!open.empty()) {
    out << "$upscope $end\n";
    open.pop_back();
  }
  out << "$enddefinitions $end\n";

  std::vector<const VcdSignal*> by_index(signals.size());
  for (const auto& [full, sig] : signals) by_index[index[full]] = &sig;
  auto value_text = [&](size_t signal, int64_t value) {
    if (by_index[signal]->is_integer) return "b" + vcd_binary(value) + " " + vcd_id(signal) + "\n";
    return std::string(value ? "1" : "0") + vcd_id(signal) + "\n";
  };

  // Initial values (the $dumpvars block at #0): wires 0, integers unknown until their first
  // sample; changes at cycle 0 are folded in so that every "#t" appears once, in increasing order.
  std::vector<int64_t> current(signals.size(), 0);
  std::vector<bool> known(signals.size(), false);
  for (size_t i = 0; i < signals.size(); ++i) known[i] = !by_index[i]->is_integer;
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
  util::write_file_atomic(path, out.str());
}

// ---- waves.gtkw ----------------------------------------------------------------------------------

void write_gtkw(const TraceRecorder& rec, const std::vector<std::string>& scopes, const std::string& vcd_name,
                const std::string& path) {
  const VcdSignals vs = vcd_signals(rec, scopes);
  // GTKWave trace flags (gtkwave's TR_* bits): 0x28 right-justified binary (1-bit wires), 0x424
  // right-justified signed decimal (integers: a BD id of -1 reads -1), 0x200 a comment line,
  // 0x800000 / 0x1000000 begin / end of a group, 0x400000 a closed group. "+{alias} path" shows
  // the signal under a short name: its path below the tile ("dma mm2s_0 busy"; the group names the
  // tile) or below "array" ("control phase").
  auto line = [](const std::string& full, const VcdSignal& sig) {
    const std::vector<std::string> parts = split_track(full);
    const size_t from = parts.size() >= 3 && isa::parse_tile_name(parts[1]) ? 2 : 1;
    std::string shown;
    for (char c : join(parts, std::min(from, parts.size() - 1), parts.size())) shown += c == '.' ? ' ' : c;
    return std::string(sig.is_integer ? "@424\n" : "@28\n") + "+{" + shown + "} " + full;
  };
  struct Group {
    std::vector<std::string> main, locks, other;  // trace lines
  };
  std::map<std::pair<uint32_t, uint32_t>, Group> tiles;  // (col, row) -> its signals
  std::vector<std::string> top;
  // Within a tile: the core, then each DMA channel (natural order); per owner busy, lock_wait,
  // then its other signals (bd, fifo) by name.
  auto rank = [](const std::string& name) { return name == "busy" ? 0 : name == "lock_wait" ? 1 : 2; };
  std::vector<std::tuple<std::string, int, std::string>> order;  // (owner, rank, full path)
  for (const auto& [full, sig] : vs.signals) {
    const std::vector<std::string> parts = split_track(full);
    order.emplace_back(join(parts, 0, parts.size() - 1), rank(sig.name), full);
  }
  auto is_core = [](const std::string& owner) { return owner.size() > 5 && owner.compare(owner.size() - 5, 5, ".core") == 0; };
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const std::string &oa = std::get<0>(a), &ob = std::get<0>(b);
    if (oa != ob) return is_core(oa) != is_core(ob) ? is_core(oa) : natural_less(oa, ob);
    if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) < std::get<1>(b);
    return natural_less(std::get<2>(a), std::get<2>(b));
  });
  for (const auto& [owner, r, full] : order) {
    const VcdSignal& sig = vs.signals.at(full);
    const std::vector<std::string> parts = split_track(full);
    const auto tile = parts.size() >= 3 ? isa::parse_tile_name(parts[1]) : std::nullopt;
    if (!tile) {
      top.push_back(line(full, sig));
      continue;
    }
    Group& g = tiles[{tile->col, tile->row}];
    const std::string& unit = parts[2];
    (unit == "core" || unit == "dma" ? g.main : unit == "lock" ? g.locks : g.other).push_back(line(full, sig));
  }
  // Zoomed to show the whole run: GTKWave draws pow(2, -zoom) / 200 time units per pixel; the
  // waves pane of a 1600-pixel window with these widths is about 900 pixels.
  uint64_t end = 1;
  for (const Slice& sl : rec.slices()) end = std::max(end, sl.end);
  for (const CounterSample& c : rec.counters()) end = std::max(end, c.cycle);
  const double zoom = -std::log2(double(end) * 200.0 / 900.0);
  char zoom_line[64];
  std::snprintf(zoom_line, sizeof zoom_line, "*%.6f -1", zoom);
  std::string out = "[*] SparseAIE waves.gtkw, the view of " + vcd_name + ": gtkwave " + vcd_name + " waves.gtkw\n";
  out += "[*] per tile in array order: core busy / lock_wait, each DMA channel's busy / lock_wait / bd / fifo,\n";
  out += "[*] lock values and other signals in closed groups; the phase index on top\n";
  out += "[dumpfile] \"" + vcd_name + "\"\n[timestart] 0\n[size] 1600 900\n[pos] -1 -1\n";
  out += std::string(zoom_line);
  for (int m = 0; m < 26; ++m) out += " -1";  // no named markers A..Z
  out += "\n[sst_width] 260\n[signals_width] 380\n[sst_expanded] 1\n[sst_vpaned_height] 300\n";
  for (const std::string& l : top) out += l + "\n";
  auto group = [&out](const std::string& title, const std::vector<std::string>& lines, bool closed) {
    if (lines.empty()) return;
    out += std::string(closed ? "@c00200\n-" : "@800200\n-") + title + "\n";
    for (const std::string& l : lines) out += l + "\n";
    out += "@1000200\n-" + title + "\n";
  };
  for (const auto& [tile, g] : tiles) {
    const std::string label = isa::tile_label(tile.first, tile.second);
    out += "@800200\n-" + label + "\n";
    for (const std::string& l : g.main) out += l + "\n";
    group(label + " locks", g.locks, true);
    group(label + " other", g.other, true);
    out += "@1000200\n-" + label + "\n";
  }
  util::write_file_atomic(path, out);
}

// ---- summary.json ---------------------------------------------------------------------------------

namespace {
// The agents' stalls by cause and, separately, the array's reconfiguration waits (one agent: the
// controller; not in "total", which sums the agents').
ordered_json stalls_json(uint64_t lock, uint64_t data, uint64_t space, uint64_t reconfig) {
  return ordered_json{{"lock", lock},   {"data", data}, {"output_space", space}, {"total", lock + data + space},
                      {"reconfiguration", reconfig}};
}
}  // namespace

std::string summary_json(const RunSummary& s, const TraceRecorder& rec) {
  // Compute tiles: RunSummary::cores, or (older drivers) recovered from the run's utilisation,
  // which is core_compute_cycles / (cores * total_cycles).
  uint64_t cores = s.cores;
  if (cores == 0 && s.core_utilisation > 0 && s.total_cycles > 0)
    cores = static_cast<uint64_t>(
        std::llround(static_cast<double>(s.core_compute_cycles) / (s.core_utilisation * static_cast<double>(s.total_cycles))));
  // Run-level stalls: the RunSummary's, or the sums over phases if it has none.
  uint64_t lock = s.stall_lock_cycles, data = s.stall_data_cycles, space = s.stall_space_cycles;
  if (lock == 0 && data == 0 && space == 0) {
    for (const PhaseSummary& p : s.phases) {
      lock += p.stall_lock_cycles;
      data += p.stall_data_cycles;
      space += p.stall_space_cycles;
    }
  }
  uint64_t reconfig = s.reconfig_cycles;
  if (reconfig == 0)
    for (const PhaseSummary& p : s.phases) reconfig += p.reconfig_cycles;

  ordered_json j;
  j["program"] = s.program;
  j["config"] = s.config;
  j["fidelity"] = s.fidelity;
  j["timing_only"] = s.timing_only;
  j["clock_hz"] = s.clock_hz;
  j["inferences"] = s.inferences;
  j["total_cycles"] = s.total_cycles;
  j["cycles_per_inference"] = s.cycles_per_inference;
  // Simulated (not host) time at the array clock.
  j["simulated_seconds"] = s.clock_hz > 0 ? double(s.total_cycles) / s.clock_hz : 0.0;
  j["seconds_per_inference"] = s.clock_hz > 0 ? double(s.cycles_per_inference) / s.clock_hz : 0.0;
  j["cores"] = cores;
  j["core_compute_cycles"] = s.core_compute_cycles;
  j["core_utilisation"] = s.core_utilisation;
  j["memtile_bytes_peak"] = s.memtile_bytes_peak;
  j["core_bytes_peak"] = s.core_bytes_peak;
  j["bytes_ddr_to_mem"] = s.bytes_ddr_to_mem;
  j["bytes_mem_to_ddr"] = s.bytes_mem_to_ddr;
  j["bytes_mem_to_core"] = s.bytes_mem_to_core;
  j["bytes_core_to_mem"] = s.bytes_core_to_mem;
  // Stall cycles by cause, summed over agents (cores, DMA channels) and inferences.
  j["stalls"] = stalls_json(lock, data, space, reconfig);
  ordered_json phases = ordered_json::array();
  for (const PhaseSummary& p : s.phases) {
    ordered_json o;
    o["name"] = p.name;
    o["layer"] = p.layer;
    o["cycles"] = p.cycles;
    o["memtile_bytes"] = p.memtile_bytes;
    o["core_busy_cycles"] = p.core_busy_cycles;
    const double denom = static_cast<double>(cores) * static_cast<double>(p.cycles);
    o["core_utilisation"] = denom > 0 ? static_cast<double>(p.core_busy_cycles) / denom : 0.0;
    o["dense_macs"] = p.dense_macs;
    o["actual_macs"] = p.actual_macs;
    o["stalls"] = stalls_json(p.stall_lock_cycles, p.stall_data_cycles, p.stall_space_cycles, p.reconfig_cycles);
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
  return j.dump(2) + "\n";
}

void write_summary(const RunSummary& s, const TraceRecorder& rec, const std::string& path) {
  util::write_file_atomic(path, summary_json(s, rec));
}

}  // namespace saie::traces
