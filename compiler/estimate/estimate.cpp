// estimate.cpp — the paper's analytical time model (see estimate.h and docs/estimate.md).
#include "compiler/estimate/estimate.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace saie::estimate {
namespace {

void require_positive(double v, const char* what) {
  if (!(v > 0)) throw std::invalid_argument(std::string("estimate: ") + what + " must be > 0");
}

std::string fmt_double(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

Estimate estimate(const std::vector<PhaseTraffic>& phases, const config::ArrayConfig& cfg, bool mute_compute) {
  const double clock = cfg.clock_hz;
  require_positive(clock, "clock_hz");
  require_positive(cfg.ddr.read_bytes_per_cycle, "ddr.read_bytes_per_cycle");
  require_positive(cfg.ddr.write_bytes_per_cycle, "ddr.write_bytes_per_cycle");
  require_positive(cfg.stream.bytes_per_cycle, "stream.bytes_per_cycle");
  require_positive(cfg.core.costs.macs_per_cycle, "core.costs.macs_per_cycle");

  const double ddr_read = cfg.ddr.read_bytes_per_cycle * clock;    // B/s, one DDR -> memtile channel
  const double ddr_write = cfg.ddr.write_bytes_per_cycle * clock;  // B/s, memtile -> DDR
  const double stream = cfg.stream.bytes_per_cycle * clock;        // B/s, one memtile <-> core channel
  const double macs = double(cfg.core.costs.macs_per_cycle) * clock;  // ops/s, one core

  Estimate e;
  e.phases.reserve(phases.size());
  for (const PhaseTraffic& t : phases) {
    PhaseEstimate p;
    p.name = t.name;
    p.op = t.op;
    p.iterations = std::max<uint32_t>(t.iterations, 1);
    p.load = double(t.load_bytes) / ddr_read;
    p.loadw = double(t.loadw_bytes) / ddr_read;
    p.write = double(t.write_bytes) / ddr_write;
    const double ddr_in = std::max(p.load, p.loadw);  // LOAD and LOADW on parallel channels
    if (t.cores_per_column == 0) {                     // copy phase: DDR <-> memtile only
      p.total = ddr_in + p.write;
    } else {
      p.loadwm = double(t.loadwm_bytes) / stream;
      p.loadfm = double(std::max(t.loadfm_bytes, t.loadfm_b_bytes)) / stream;  // operand B on its own channel
      p.writefm = double(t.writefm_bytes) / stream;
      p.comp = mute_compute ? 0.0 : double(t.comp_ops) / macs;
      p.comp_total = p.comp * p.iterations;
      const double head = p.loadfm + p.comp + p.writefm;                          // iteration 1: sequential
      const double body = double(p.iterations - 1) * std::max({p.loadfm, p.comp, p.writefm});  // overlapped
      p.total = ddr_in + p.loadwm + head + body + p.write;                        // LOADWM blocking
    }
    e.total += p.total;
    e.comp_total += p.comp_total;
    e.ddr_total += ddr_in + p.write;
    e.phases.push_back(std::move(p));
  }
  return e;
}

std::string format_table(const Estimate& e) {
  size_t nw = 5, ow = 2;
  for (const PhaseEstimate& p : e.phases) {
    nw = std::max(nw, p.name.size());
    ow = std::max(ow, p.op.size());
  }
  auto us = [](double s) { return fmt_double("%10.3f", s * 1e6); };
  auto line = [&](const std::string& name, const std::string& op, const std::string& it, const std::string* cols) {
    std::string l = name + std::string(nw - std::min(nw, name.size()) + 1, ' ');
    l += op + std::string(ow - std::min(ow, op.size()) + 1, ' ');
    l += std::string(5 - std::min<size_t>(5, it.size()), ' ') + it;
    for (int i = 0; i < 8; ++i) l += " " + std::string(10 - std::min<size_t>(10, cols[i].size()), ' ') + cols[i];
    return l + "\n";
  };
  std::string out = "times in us; LOADFM / COMP / WRITEFM per iteration\n";
  const std::string head[8] = {"LOAD", "LOADW", "LOADWM", "LOADFM", "COMP", "WRITEFM", "WRITE", "total"};
  out += line("phase", "op", "iter", head);
  for (const PhaseEstimate& p : e.phases) {
    const std::string c[8] = {us(p.load),  us(p.loadw),   us(p.loadwm), us(p.loadfm),
                              us(p.comp),  us(p.writefm), us(p.write),  us(p.total)};
    out += line(p.name, p.op, std::to_string(p.iterations), c);
  }
  out += "estimated time          : " + fmt_double("%.4f", e.total * 1e3) + " ms (" + std::to_string(e.phases.size()) +
         " phases)\n";
  out += "compute term (COMP x i) : " + fmt_double("%.4f", e.comp_total * 1e3) + " ms\n";
  out += "DDR term (LOAD|W, WRITE): " + fmt_double("%.4f", e.ddr_total * 1e3) + " ms\n";
  return out;
}

std::string to_json(const Estimate& e, const std::string& config_name, bool dense, bool mute_compute) {
  using ojson = nlohmann::ordered_json;
  ojson j;
  j["config"] = config_name;
  j["dense"] = dense;
  j["mute_compute"] = mute_compute;
  j["units"] = "us";
  ojson ph = ojson::array();
  for (const PhaseEstimate& p : e.phases) {
    ojson o;
    o["name"] = p.name;
    o["op"] = p.op;
    o["iterations"] = p.iterations;
    o["load_us"] = p.load * 1e6;
    o["loadw_us"] = p.loadw * 1e6;
    o["loadwm_us"] = p.loadwm * 1e6;
    o["loadfm_us"] = p.loadfm * 1e6;
    o["comp_us"] = p.comp * 1e6;
    o["writefm_us"] = p.writefm * 1e6;
    o["write_us"] = p.write * 1e6;
    o["comp_total_us"] = p.comp_total * 1e6;
    o["total_us"] = p.total * 1e6;
    ph.push_back(std::move(o));
  }
  j["phases"] = std::move(ph);
  j["totals"] = ojson{{"total_us", e.total * 1e6}, {"comp_total_us", e.comp_total * 1e6}, {"ddr_total_us", e.ddr_total * 1e6}};
  return j.dump(2) + "\n";
}

}  // namespace saie::estimate
