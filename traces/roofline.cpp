// roofline.cpp — see roofline.h.
#include "traces/roofline.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace saie::traces {

const char* bound_name(Bound b) {
  switch (b) {
    case Bound::Compute: return "compute";
    case Bound::Ddr: return "ddr";
    case Bound::Ingress: return "ingress";
  }
  return "?";
}

Bound bound_from_name(const std::string& s) {
  if (s == "compute") return Bound::Compute;
  if (s == "ddr") return Bound::Ddr;
  if (s == "ingress") return Bound::Ingress;
  throw std::invalid_argument("unknown bound '" + s + "' (compute, ddr, ingress)");
}

namespace {

// The largest term and which it is (ties: compute, then ddr).
std::pair<double, Bound> largest(double compute, double ddr, double ingress) {
  std::pair<double, Bound> m{compute, Bound::Compute};
  if (ddr > m.first) m = {ddr, Bound::Ddr};
  if (ingress > m.first) m = {ingress, Bound::Ingress};
  return m;
}

}  // namespace

void Roofline::finish() {
  compute_cycles = ddr_cycles = ingress_cycles = 0;
  for (RooflineLayer& l : layers) {
    std::tie(l.floor_cycles, l.bound) = largest(l.compute_cycles, l.ddr_cycles, l.ingress_cycles);
    compute_cycles += l.compute_cycles;
    ddr_cycles += l.ddr_cycles;
    ingress_cycles += l.ingress_cycles;
  }
  std::tie(floor_cycles, bound) = largest(compute_cycles, ddr_cycles, ingress_cycles);
}

void attach_simulated(Roofline& r, const RunSummary& s) {
  if (s.program != r.network)
    throw std::runtime_error("the run is of program '" + s.program + "', the roofline of '" + r.network + "'");
  const uint64_t inf = std::max<uint32_t>(1, s.inferences);
  std::map<uint32_t, uint64_t> by_layer;
  for (const PhaseSummary& p : s.phases) by_layer[p.layer] += p.cycles;
  for (RooflineLayer& l : r.layers) {
    const auto it = by_layer.find(l.layer);
    l.simulated_cycles = it == by_layer.end() ? 0 : static_cast<int64_t>(it->second / inf);
  }
  r.simulated_cycles = static_cast<int64_t>(s.cycles_per_inference);
}

std::string roofline_json(const Roofline& r) {
  using json = nlohmann::ordered_json;
  json j;
  j["format"] = kRooflineFormat;
  j["version"] = kRooflineVersion;
  j["network"] = r.network;
  j["config"] = r.config;
  j["variant"] = r.dense ? "dense" : "sparse";
  j["clock_hz"] = r.clock_hz;
  j["rates"] = {{"compute_tiles", r.rates.compute_tiles},
                {"macs_per_cycle", r.rates.macs_per_cycle},
                {"ddr_read_bytes_per_cycle", r.rates.ddr_read_per_cycle},
                {"ddr_write_bytes_per_cycle", r.rates.ddr_write_per_cycle},
                {"ddr_total_bytes_per_cycle", r.rates.ddr_total_per_cycle},
                {"ingress_bytes_per_cycle", r.rates.ingress_per_cycle}};
  json layers = json::array();
  for (const RooflineLayer& l : r.layers) {
    json o = {{"layer", l.layer},
              {"name", l.name},
              {"op", l.op},
              {"stored_macs", l.stored_macs},
              {"weight_bytes", l.weight_bytes},
              {"input_bytes", l.input_bytes},
              {"ddr_read_bytes", l.ddr_read_bytes},
              {"ddr_write_bytes", l.ddr_write_bytes},
              {"ingress_bytes", l.ingress_bytes},
              {"split_c", l.split_c},
              {"split_p", l.split_p},
              {"compute_cycles", l.compute_cycles},
              {"ddr_cycles", l.ddr_cycles},
              {"ingress_cycles", l.ingress_cycles},
              {"floor_cycles", l.floor_cycles},
              {"bound", bound_name(l.bound)}};
    if (l.simulated_cycles >= 0) o["simulated_cycles"] = l.simulated_cycles;
    layers.push_back(std::move(o));
  }
  j["layers"] = std::move(layers);
  json net = {{"compute_cycles", r.compute_cycles},
              {"ddr_cycles", r.ddr_cycles},
              {"ingress_cycles", r.ingress_cycles},
              {"floor_cycles", r.floor_cycles},
              {"bound", bound_name(r.bound)}};
  if (r.simulated_cycles >= 0) net["simulated_cycles"] = r.simulated_cycles;
  j["network_floor"] = std::move(net);
  return j.dump(1) + "\n";
}

std::string format_roofline(const Roofline& r) {
  const bool sim = r.simulated_cycles >= 0;
  std::string s = fmt::format("roofline of {} on {} ({}): {} compute tiles, {:.0f} MAC/cycle, DDR {:.2f} B/cycle read "
                              "(total cap {:.2f}), core ingress {:.2f} B/cycle\n",
                              r.network, r.config, r.dense ? "dense" : "sparse", r.rates.compute_tiles,
                              r.rates.macs_per_cycle, r.rates.ddr_read_per_cycle, r.rates.ddr_total_per_cycle,
                              r.rates.ingress_per_cycle);
  s += fmt::format("{:<28} {:<8} {:>11} {:>11} {:>11} {:>11} {:<8}", "layer", "op", "compute", "ddr", "ingress", "floor",
                   "bound");
  if (sim) s += fmt::format(" {:>11} {:>6}", "simulated", "ratio");
  s += "\n";
  auto ratio = [](int64_t simulated, double floor) {
    return floor > 0 ? fmt::format("{:.2f}", double(simulated) / floor) : std::string("-");
  };
  for (const RooflineLayer& l : r.layers) {
    s += fmt::format("{:<28} {:<8} {:>11.0f} {:>11.0f} {:>11.0f} {:>11.0f} {:<8}", l.name, l.op, l.compute_cycles,
                     l.ddr_cycles, l.ingress_cycles, l.floor_cycles, bound_name(l.bound));
    if (sim) s += fmt::format(" {:>11} {:>6}", l.simulated_cycles, ratio(l.simulated_cycles, l.floor_cycles));
    s += "\n";
  }
  s += fmt::format("{:<28} {:<8} {:>11.0f} {:>11.0f} {:>11.0f} {:>11.0f} {:<8}", "network (sums)", "", r.compute_cycles,
                   r.ddr_cycles, r.ingress_cycles, r.floor_cycles, bound_name(r.bound));
  if (sim) s += fmt::format(" {:>11} {:>6}", r.simulated_cycles, ratio(r.simulated_cycles, r.floor_cycles));
  s += "\n";
  s += fmt::format("network floor           : {:.0f} cycles = {:.3f} ms ({}-bound)", r.floor_cycles,
                   r.floor_cycles / r.clock_hz * 1e3, bound_name(r.bound));
  if (sim)
    s += fmt::format("; simulated {} cycles = {:.3f} ms, {} x the floor", r.simulated_cycles,
                     double(r.simulated_cycles) / r.clock_hz * 1e3, ratio(r.simulated_cycles, r.floor_cycles));
  s += "\n";
  return s;
}

}  // namespace saie::traces
