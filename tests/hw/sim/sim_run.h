// sim_run.h — one simulation in a forked child (SystemC allows one per process), its result
// flattened into text across the fork and read back: outputs, summary (with stalls), every
// statistic, slice and counter. Used by model tests that compare runs (e.g. both fidelity modes).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "hw/sim/simulate.h"
#include "tests/hw/sim/sim_test_util.h"
#include "traces/trace.h"

namespace saie::hw::test {

struct SimRun {
  bool ok = false;
  int exit_code = -1;
  std::string error;
  std::vector<int8_t> out;                // outputs[0]
  std::vector<std::vector<int8_t>> outs;  // every inference's outputs
  traces::RunSummary summary;
  std::map<std::string, double> stats;
  std::vector<traces::Slice> slices;
  std::vector<traces::CounterSample> counters;
  RtlReport rtl;  // co-simulation runs

  double stat(const std::string& name) const {
    auto it = stats.find(name);
    return it == stats.end() ? -1.0 : it->second;
  }
  std::vector<traces::Slice> on(const std::string& track, const std::string& category = "") const {
    std::vector<traces::Slice> v;
    for (const auto& s : slices)
      if (s.track == track && (category.empty() || s.category == category)) v.push_back(s);
    return v;
  }
  std::vector<int64_t> samples(const std::string& track) const {
    std::vector<int64_t> v;
    for (const auto& c : counters)
      if (c.track == track) v.push_back(c.value);
    return v;
  }
};

inline std::string clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n') c = ' ';
  return s;
}

inline std::string encode(const SimResult& r, const traces::TraceRecorder& rec) {
  std::ostringstream o;
  o << "ok\t" << r.ok << "\t" << r.exit_code << "\t" << clean(r.error) << "\n";
  static const char* hex = "0123456789abcdef";
  if (r.outputs.empty()) o << "out\t\n";
  for (const auto& output : r.outputs) {
    o << "out\t";
    for (int8_t b : output) {
      auto u = static_cast<uint8_t>(b);
      o << hex[u >> 4] << hex[u & 15];
    }
    o << "\n";
  }
  const auto& s = r.summary;
  o << "sum\t" << s.total_cycles << "\t" << s.stall_lock_cycles << "\t" << s.stall_data_cycles << "\t"
    << s.stall_space_cycles << "\t" << s.bytes_ddr_to_mem << "\t" << s.bytes_mem_to_ddr << "\t"
    << s.bytes_mem_to_core << "\t" << s.bytes_core_to_mem << "\n";
  for (const auto& p : s.phases)
    o << "phase\t" << p.cycles << "\t" << p.stall_lock_cycles << "\t" << p.stall_data_cycles << "\t"
      << p.stall_space_cycles << "\n";
  char num[64];
  for (const auto& [k, v] : rec.stats()) {
    std::snprintf(num, sizeof num, "%.17g", v.value);
    o << "stat\t" << k << "\t" << num << "\n";
  }
  for (const auto& sl : rec.slices())
    o << "slice\t" << sl.track << "\t" << clean(sl.name) << "\t" << sl.category << "\t" << sl.begin << "\t" << sl.end
      << "\t" << sl.bytes << "\t" << sl.phase << "\n";
  for (const auto& c : rec.counters()) o << "ctr\t" << c.track << "\t" << c.cycle << "\t" << c.value << "\n";
  for (const auto& x : r.rtl.ops)
    o << "rtlop\t" << x.phase << "\t" << int(x.tile.col) << "\t" << int(x.tile.row) << "\t" << x.op << "\t" << clean(x.label)
      << "\t" << x.stored_blocks << "\t" << x.steps << "\t" << x.results << "\t" << x.model_cycles << "\t"
      << x.model_mac_cycles << "\t" << x.rtl_mac_cycles << "\t" << x.rtl_op_cycles << "\t" << x.count << "\t" << x.varying
      << "\n";
  for (const auto& l : r.rtl.locks)
    o << "rtllock\t" << int(l.tile.col) << "\t" << int(l.tile.row) << "\t" << l.requests << "\t" << l.acquires << "\t"
      << l.releases << "\t" << l.edges << "\t" << l.grant_latency << "\t" << l.waited_requests << "\t" << l.port_conflicts
      << "\n";
  for (const auto& p : r.rtl.streams)
    o << "rtlstream\t" << clean(p.channel) << "\t" << p.beats << "\t" << p.edges << "\t" << p.backpressure_cycles << "\t"
      << p.max_occupancy << "\n";
  return o.str();
}

inline std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> f;
  size_t a = 0;
  for (;;) {
    size_t b = line.find('\t', a);
    f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
    if (b == std::string::npos) return f;
    a = b + 1;
  }
}

inline SimRun decode(const std::string& text) {
  SimRun r;
  std::istringstream in(text);
  std::string line;
  bool seen_ok = false;
  auto u64 = [](const std::string& x) { return std::strtoull(x.c_str(), nullptr, 10); };
  while (std::getline(in, line)) {
    auto f = split_tabs(line);
    if (f[0] == "ok" && f.size() >= 4) {
      seen_ok = true;
      r.ok = f[1] == "1";
      r.exit_code = std::atoi(f[2].c_str());
      r.error = f[3];
    } else if (f[0] == "out" && f.size() >= 2) {
      std::vector<int8_t> v;
      for (size_t i = 0; i + 1 < f[1].size(); i += 2)
        v.push_back(static_cast<int8_t>(std::strtoul(f[1].substr(i, 2).c_str(), nullptr, 16)));
      if (r.outs.empty()) r.out = v;
      if (!v.empty()) r.outs.push_back(std::move(v));
    } else if (f[0] == "sum" && f.size() >= 9) {
      auto& s = r.summary;
      s.total_cycles = u64(f[1]);
      s.stall_lock_cycles = u64(f[2]);
      s.stall_data_cycles = u64(f[3]);
      s.stall_space_cycles = u64(f[4]);
      s.bytes_ddr_to_mem = u64(f[5]);
      s.bytes_mem_to_ddr = u64(f[6]);
      s.bytes_mem_to_core = u64(f[7]);
      s.bytes_core_to_mem = u64(f[8]);
    } else if (f[0] == "phase" && f.size() >= 5) {
      traces::PhaseSummary p;
      p.cycles = u64(f[1]);
      p.stall_lock_cycles = u64(f[2]);
      p.stall_data_cycles = u64(f[3]);
      p.stall_space_cycles = u64(f[4]);
      r.summary.phases.push_back(p);
    } else if (f[0] == "stat" && f.size() >= 3) {
      r.stats[f[1]] = std::strtod(f[2].c_str(), nullptr);
    } else if (f[0] == "slice" && f.size() >= 8) {
      r.slices.push_back(traces::Slice{f[1], f[2], f[3], u64(f[4]), u64(f[5]), u64(f[6]),
                                       static_cast<uint32_t>(u64(f[7]))});
    } else if (f[0] == "ctr" && f.size() >= 4) {
      r.counters.push_back(traces::CounterSample{f[1], u64(f[2]), std::strtoll(f[3].c_str(), nullptr, 10)});
    } else if (f[0] == "rtlop" && f.size() >= 15) {
      RtlOpRecord x;
      x.phase = static_cast<uint32_t>(u64(f[1]));
      x.tile.col = static_cast<uint8_t>(u64(f[2]));
      x.tile.row = static_cast<uint8_t>(u64(f[3]));
      x.op = static_cast<uint32_t>(u64(f[4]));
      x.label = f[5];
      x.stored_blocks = u64(f[6]);
      x.steps = u64(f[7]);
      x.results = u64(f[8]);
      x.model_cycles = u64(f[9]);
      x.model_mac_cycles = u64(f[10]);
      x.rtl_mac_cycles = u64(f[11]);
      x.rtl_op_cycles = u64(f[12]);
      x.count = static_cast<uint32_t>(u64(f[13]));
      x.varying = f[14] == "1";
      r.rtl.ops.push_back(x);
    } else if (f[0] == "rtllock" && f.size() >= 10) {
      RtlLockRecord l;
      l.tile.col = static_cast<uint8_t>(u64(f[1]));
      l.tile.row = static_cast<uint8_t>(u64(f[2]));
      l.requests = u64(f[3]);
      l.acquires = u64(f[4]);
      l.releases = u64(f[5]);
      l.edges = u64(f[6]);
      l.grant_latency = u64(f[7]);
      l.waited_requests = u64(f[8]);
      l.port_conflicts = u64(f[9]);
      r.rtl.locks.push_back(l);
    } else if (f[0] == "rtlstream" && f.size() >= 6) {
      RtlStreamRecord p;
      p.channel = f[1];
      p.beats = u64(f[2]);
      p.edges = u64(f[3]);
      p.backpressure_cycles = u64(f[4]);
      p.max_occupancy = u64(f[5]);
      r.rtl.streams.push_back(p);
    }
  }
  if (!seen_ok) r.error = "no result from the child: " + text.substr(0, 200);
  return r;
}

// Simulates `p` with these options in a forked child.
inline SimRun run_with(const config::ArrayConfig& cfg, const isa::Program& p, const std::vector<std::vector<int8_t>>& in,
                       const SimOptions& opt, bool record_events = true) {
  return decode(run_in_child([&] {
    traces::TraceRecorder rec;
    rec.record_events = record_events;
    SimResult r = simulate(cfg, slotted(p, cfg), in, opt, rec);
    return encode(r, rec);
  }));
}

// Simulates `p` with fidelity `f` in a forked child.
inline SimRun run_mode(const config::ArrayConfig& cfg, const isa::Program& p, const std::vector<int8_t>& in, Fidelity f) {
  SimOptions opt;
  opt.fidelity = f;
  return run_with(cfg, p, {in}, opt);
}

}  // namespace saie::hw::test
