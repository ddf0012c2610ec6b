// rtl_output.cpp — co-simulation options, the pure-model hand-over files and the RTL report.
#include "util/file_io.h"
#include "cli/rtl_output.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "traces/sinks.h"

namespace saie::cli {

hw::RtlOptions rtl_options_from(const SimulateArgs& a) {
  hw::RtlOptions o;
  for (const std::string& b : a.rtl_blocks) {
    if (b == "mac")
      o.mac = true;
    else if (b == "lock")
      o.lock = true;
    else if (b == "stream")
      o.stream = true;
    else
      throw std::runtime_error("--rtl: unknown block '" + b + "' (mac, lock, stream)");
  }
  if (!o.enabled()) {
    if (!a.rtl_tiles.empty() || a.rtl_broken || a.rtl_acc_drain > 0)
      throw std::runtime_error("--rtl-tiles, --rtl-broken and --rtl-acc-drain need --rtl mac[,lock]");
    return o;
  }
  try {
    for (const std::string& t : a.rtl_tiles) o.tiles.push_back(hw::parse_rtl_tile(t));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  o.broken = a.rtl_broken;
  o.acc_drain_cycles = a.rtl_acc_drain;
  o.waves = a.vcd && a.trace;
  return o;
}

void write_outputs_file(const std::vector<std::vector<int8_t>>& outputs, const traces::RunSummary& s, double wall_s,
                        const std::string& dir) {
  std::string bytes;
  for (const auto& o : outputs) bytes.append(reinterpret_cast<const char*>(o.data()), o.size());
  util::write_file_atomic(dir + "/outputs.bin", bytes);
  nlohmann::json j;
  j["total_cycles"] = s.total_cycles;
  j["inferences"] = s.inferences;
  j["wall_s"] = wall_s;
  util::write_file_atomic(dir + "/run.json", j.dump(2) + "\n");
}

PureModelRun read_pure_model_run(const std::string& dir) {
  PureModelRun r;
  std::ifstream js(dir + "/run.json");
  std::ifstream bin(dir + "/outputs.bin", std::ios::binary);
  if (!js || !bin) throw std::runtime_error("the pure-model run left no " + dir + "/run.json and outputs.bin");
  try {
    const nlohmann::json j = nlohmann::json::parse(js);
    r.total_cycles = j.at("total_cycles").get<uint64_t>();
    r.inferences = j.at("inferences").get<uint32_t>();
    r.wall_s = j.at("wall_s").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(dir + "/run.json: " + e.what());
  }
  const std::string s((std::istreambuf_iterator<char>(bin)), std::istreambuf_iterator<char>());
  r.outputs.assign(s.begin(), s.end());
  return r;
}

namespace {

std::string tile_text(const isa::TileId& t) { return std::to_string(t.col) + "_" + std::to_string(t.row); }

// Least squares residual = c0 + c1 * stored_blocks over the ops with stored blocks, where
// residual is the RTL's MAC cycles minus the pure MAC beats (stored blocks x ceil(P/ppc) x taps):
// c0 is what the RTL adds per op (the cost table's mac_pipeline_cycles), c1 what it adds per
// stored block (the cost table's block_overhead_cycles).
std::pair<double, double> fit_overheads(const std::vector<hw::RtlOpRecord>& ops, const config::CoreCosts& costs) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& o : ops) {
    if (o.stored_blocks == 0) continue;
    const double x = static_cast<double>(o.stored_blocks);
    const double beats = static_cast<double>(o.model_mac_cycles) - x * costs.block_overhead_cycles - costs.mac_pipeline_cycles;
    const double y = static_cast<double>(o.rtl_mac_cycles) - beats;
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  if (n == 0) return {0, 0};
  const double den = n * sxx - sx * sx;
  if (std::fabs(den) < 1e-9) return {sy / n, 0};
  const double c1 = (n * sxy - sx * sy) / den;
  return {(sy - c1 * sx) / n, c1};
}

}  // namespace

int finish_rtl_run(const SimulateArgs& a, const config::ArrayConfig& cfg, const isa::Program& prog,
                   const traces::RunSummary& s, double wall_s,
                   const std::vector<std::vector<int8_t>>& outputs, const hw::RtlReport& rep,
                   const std::optional<PureModelRun>& pure) {
  const hw::RtlOptions opt = rtl_options_from(a);

  // rtl_ops.csv: one row per conv op of an RTL tile.
  std::ostringstream csv;
  csv << "phase,phase_name,tile,op,label,stored_blocks,steps,results,model_cycles,model_mac_cycles,rtl_mac_cycles,"
         "rtl_op_cycles,diff_cycles,diff_pct,executions,varying\n";
  uint64_t model_mac = 0, rtl_mac = 0, model_ops = 0, rtl_ops = 0, steps = 0;
  for (const auto& o : rep.ops) {
    const int64_t diff = static_cast<int64_t>(o.rtl_op_cycles) - static_cast<int64_t>(o.model_cycles);
    const std::string phase = o.phase < prog.phases.size() ? prog.phases[o.phase].name : "";
    csv << o.phase << "," << phase << "," << tile_text(o.tile) << "," << o.op << "," << o.label << "," << o.stored_blocks
        << "," << o.steps << "," << o.results << "," << o.model_cycles << "," << o.model_mac_cycles << ","
        << o.rtl_mac_cycles << "," << o.rtl_op_cycles << "," << diff << ","
        << fmt::format("{:.2f}", o.model_cycles ? 100.0 * diff / o.model_cycles : 0.0) << "," << o.count << ","
        << (o.varying ? 1 : 0) << "\n";
    model_mac += o.model_mac_cycles;
    rtl_mac += o.rtl_mac_cycles;
    model_ops += o.model_cycles;
    rtl_ops += o.rtl_op_cycles;
    steps += o.steps;
  }
  util::write_file_atomic(a.out_dir + "/rtl_ops.csv", csv.str());

  nlohmann::json j;
  std::vector<std::string> blocks;
  if (opt.mac) blocks.push_back("mac");
  if (opt.lock) blocks.push_back("lock");
  if (opt.stream) blocks.push_back("stream");
  j["blocks"] = blocks;
  nlohmann::json tiles = nlohmann::json::array();
  std::vector<std::string> tile_names;
  for (const auto& t : opt.tiles) {
    tiles.push_back(tile_text(t));
    tile_names.push_back(tile_text(t));
  }
  j["tiles"] = opt.tiles.empty() ? nlohmann::json("all compute tiles") : tiles;
  j["broken_variants"] = opt.broken;
  j["acc_drain_cycles"] = opt.acc_drain_cycles;
  const uint32_t block_overhead = cfg.core.costs.block_overhead_cycles;
  const auto [per_op, per_block] = fit_overheads(rep.ops, cfg.core.costs);
  nlohmann::json mac;
  mac["conv_ops"] = rep.ops.size();
  mac["steps"] = steps;
  mac["model_mac_cycles"] = model_mac;
  mac["rtl_mac_cycles"] = rtl_mac;
  mac["model_op_cycles"] = model_ops;
  mac["rtl_op_cycles"] = rtl_ops;
  mac["edges"] = rep.mac_edges;
  // Calibration: what the RTL adds to the pure MAC beats, fitted as per_op + per_block x blocks,
  // next to the cost table's mac_pipeline_cycles and block_overhead_cycles, and the two values
  // that make the cost table charge what the RTL takes (config keys as in
  // docs/config-format.md: usable in a config file or as sweep overrides).
  mac["fit_per_op_cycles"] = per_op;
  mac["fit_per_block_cycles"] = per_block;
  mac["cost_table_block_overhead_cycles"] = block_overhead;
  mac["cost_table_mac_pipeline_cycles"] = cfg.core.costs.mac_pipeline_cycles;
  const long long cal_block = std::max(0LL, std::llround(per_block));
  const long long cal_pipeline = std::max(0LL, std::llround(per_op));
  if (!rep.ops.empty())
    mac["calibrated_costs"] = {{"core.costs.block_overhead_cycles", cal_block}, {"core.costs.mac_pipeline_cycles", cal_pipeline}};
  j["mac"] = mac;
  nlohmann::json locks = nlohmann::json::array();
  uint64_t requests = 0, lock_edges = 0, latency = 0;
  for (const auto& l : rep.locks) {
    locks.push_back({{"tile", tile_text(l.tile)},
                     {"requests", l.requests},
                     {"acquires", l.acquires},
                     {"releases", l.releases},
                     {"edges", l.edges},
                     {"grant_latency_cycles", l.grant_latency},
                     {"waited_acquires", l.waited_requests},
                     {"port_conflict_cycles", l.port_conflicts}});
    requests += l.requests;
    lock_edges += l.edges;
    latency += l.grant_latency;
  }
  j["locks"] = locks;
  nlohmann::json streams = nlohmann::json::array();
  uint64_t beats = 0, port_edges = 0, backpressure = 0;
  for (const auto& p : rep.streams) {
    streams.push_back({{"channel", p.channel},
                       {"beats", p.beats},
                       {"edges", p.edges},
                       {"backpressure_cycles", p.backpressure_cycles},
                       {"max_occupancy_beats", p.max_occupancy}});
    beats += p.beats;
    port_edges += p.edges;
    backpressure += p.backpressure_cycles;
  }
  j["streams"] = streams;
  j["total_cycles"] = s.total_cycles;
  j["wall_s"] = wall_s;
  j["rtl_wall_s"] = rep.rtl_wall_s;
  int code = kOk;
  uint32_t same = 0;
  if (pure) {
    const size_t per = outputs.empty() ? 0 : outputs[0].size();
    for (size_t i = 0; i < outputs.size(); ++i)
      same += pure->outputs.size() >= (i + 1) * per &&
              std::equal(outputs[i].begin(), outputs[i].end(), pure->outputs.begin() + static_cast<std::ptrdiff_t>(i * per));
    nlohmann::json c;
    c["outputs_identical"] = same;
    c["inferences"] = outputs.size();
    c["pure_total_cycles"] = pure->total_cycles;
    c["cosim_total_cycles"] = s.total_cycles;
    c["cycle_diff_pct"] = pure->total_cycles ? 100.0 * (double(s.total_cycles) - double(pure->total_cycles)) / pure->total_cycles : 0.0;
    c["pure_wall_s"] = pure->wall_s;
    c["pure_cycles_per_s"] = pure->wall_s > 0 ? pure->total_cycles / pure->wall_s : 0.0;
    c["cosim_cycles_per_s"] = wall_s > 0 ? s.total_cycles / wall_s : 0.0;
    j["vs_pure_model"] = c;
    if (same != outputs.size()) code = kMismatch;
  }
  util::write_file_atomic(a.out_dir + "/rtl.json", j.dump(2) + "\n");

  fmt::print("rtl co-simulation       : {} in {}{}\n", fmt::join(blocks, ","),
             opt.tiles.empty() ? std::string("every compute tile") : fmt::format("tiles {}", fmt::join(tile_names, ",")),
             opt.broken ? " (BROKEN variants)" : "");
  if (opt.mac)
    fmt::print("rtl conv ops            : {} ops, {} steps; MAC cycles cost table {} / RTL {} ({:+.1f}%)\n", rep.ops.size(),
               steps, model_mac, rtl_mac, model_mac ? 100.0 * (double(rtl_mac) - double(model_mac)) / model_mac : 0.0);
  if (opt.mac && !rep.ops.empty())
    fmt::print("rtl calibration         : RTL = MAC beats + {:.2f} cycles per op + {:.2f} per stored block "
               "(cost table: {} per op, {} per block); calibrated: core.costs.mac_pipeline_cycles={} "
               "core.costs.block_overhead_cycles={}\n",
               per_op, per_block, cfg.core.costs.mac_pipeline_cycles, block_overhead, cal_pipeline, cal_block);
  if (opt.lock)
    fmt::print("rtl locks               : {} requests, {} clock edges, mean grant latency {:.2f} cycles\n", requests, lock_edges,
               requests ? double(latency) / requests : 0.0);
  if (opt.stream)
    fmt::print("rtl stream ports        : {} ports, {} beats, {} clock edges, {} cycles of port backpressure\n",
               rep.streams.size(), beats, port_edges, backpressure);
  if (pure) {
    fmt::print("vs pure model           : outputs identical {}/{} {}; cycles {} vs {} ({:+.2f}%)\n", same, outputs.size(),
               same == outputs.size() ? "(bit-exact)" : "(MISMATCH)", s.total_cycles, pure->total_cycles,
               pure->total_cycles ? 100.0 * (double(s.total_cycles) - double(pure->total_cycles)) / pure->total_cycles : 0.0);
    fmt::print("co-simulation speed     : {:.3f} M cycles/s vs pure model {:.3f} M cycles/s (slowdown {:.1f}x)\n",
               wall_s > 0 ? s.total_cycles / wall_s / 1e6 : 0.0, pure->wall_s > 0 ? pure->total_cycles / pure->wall_s / 1e6 : 0.0,
               pure->wall_s > 0 && wall_s > 0 ? (wall_s / s.total_cycles) / (pure->wall_s / pure->total_cycles) : 0.0);
  }
  fmt::print("rtl report              : {}/rtl_ops.csv, {}/rtl.json\n", a.out_dir, a.out_dir);
  return code;
}

}  // namespace saie::cli
