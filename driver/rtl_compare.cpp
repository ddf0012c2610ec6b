// rtl_compare.cpp — see rtl_compare.h.
#include "driver/rtl_compare.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "driver/exit_codes.h"
#include "driver/simulate_run.h"
#include "hw/isa/tile_names.h"
#include "util/file_io.h"

namespace saie::driver {

hw::RtlOptions rtl_options_from(const SimulateRequest& a) {
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
  std::string run, bin;
  try {
    run = util::read_file(dir + "/run.json");
    bin = util::read_file(dir + "/outputs.bin");
  } catch (const util::FileError&) {
    throw std::runtime_error("the pure-model run left no " + dir + "/run.json and outputs.bin");
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(run);
    r.total_cycles = j.at("total_cycles").get<uint64_t>();
    r.inferences = j.at("inferences").get<uint32_t>();
    r.wall_s = j.at("wall_s").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(dir + "/run.json: " + e.what());
  }
  r.outputs.assign(bin.begin(), bin.end());
  return r;
}

PureModelRun run_pure_model_child(const config::ArrayConfig& cfg, const isa::Program& prog, const SimulateRequest& a, int* code) {
  SimulateRequest d = a;
  d.rtl_blocks.clear();
  d.rtl_tiles.clear();
  d.rtl_broken = false;
  d.rtl_acc_drain = 0;
  d.out_dir = a.out_dir + "/pure_model";
  d.trace = false;
  d.vcd = false;
  d.eval_images = 0;
  d.write_outputs = true;
  d.error_label = "pure model (the --rtl comparison run): ";
  *code = simulate_in_child(cfg, prog, d, std::nullopt, "pure model");
  if (*code != kOk) return {};  // the child printed its error line
  return read_pure_model_run(d.out_dir);
}

namespace {

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

RtlComparison finish_rtl_run(const SimulateRequest& a, const config::ArrayConfig& cfg, const isa::Program& prog,
                             const traces::RunSummary& s, double wall_s, const std::vector<std::vector<int8_t>>& outputs,
                             const hw::RtlReport& rep, const std::optional<PureModelRun>& pure) {
  const hw::RtlOptions opt = rtl_options_from(a);
  RtlComparison c;

  // rtl_ops.csv: one row per conv op of an RTL tile.
  std::ostringstream csv;
  csv << "phase,phase_name,tile,op,label,stored_blocks,steps,results,model_cycles,model_mac_cycles,rtl_mac_cycles,"
         "rtl_op_cycles,diff_cycles,diff_pct,executions,varying\n";
  uint64_t model_ops = 0, rtl_ops = 0;
  for (const auto& o : rep.ops) {
    const int64_t diff = static_cast<int64_t>(o.rtl_op_cycles) - static_cast<int64_t>(o.model_cycles);
    const std::string phase = o.phase < prog.phases.size() ? prog.phases[o.phase].name : "";
    csv << o.phase << "," << phase << "," << isa::tile_coords(o.tile) << "," << o.op << "," << o.label << "," << o.stored_blocks
        << "," << o.steps << "," << o.results << "," << o.model_cycles << "," << o.model_mac_cycles << ","
        << o.rtl_mac_cycles << "," << o.rtl_op_cycles << "," << diff << ","
        << fmt::format("{:.2f}", o.model_cycles ? 100.0 * diff / o.model_cycles : 0.0) << "," << o.count << ","
        << (o.varying ? 1 : 0) << "\n";
    c.model_mac_cycles += o.model_mac_cycles;
    c.rtl_mac_cycles += o.rtl_mac_cycles;
    model_ops += o.model_cycles;
    rtl_ops += o.rtl_op_cycles;
    c.steps += o.steps;
  }
  util::write_file_atomic(a.out_dir + "/rtl_ops.csv", csv.str());

  nlohmann::json j;
  if (opt.mac) c.blocks.push_back("mac");
  if (opt.lock) c.blocks.push_back("lock");
  if (opt.stream) c.blocks.push_back("stream");
  j["blocks"] = c.blocks;
  for (const auto& t : opt.tiles) c.tiles.push_back(isa::tile_coords(t));
  j["tiles"] = opt.tiles.empty() ? nlohmann::json("all compute tiles") : nlohmann::json(c.tiles);
  c.broken = opt.broken;
  j["broken_variants"] = opt.broken;
  j["acc_drain_cycles"] = opt.acc_drain_cycles;
  c.cost_block_overhead = cfg.core.costs.block_overhead_cycles;
  c.cost_mac_pipeline = cfg.core.costs.mac_pipeline_cycles;
  std::tie(c.fit_per_op, c.fit_per_block) = fit_overheads(rep.ops, cfg.core.costs);
  c.conv_ops = rep.ops.size();
  c.calibrated_block_overhead = std::max(0LL, std::llround(c.fit_per_block));
  c.calibrated_mac_pipeline = std::max(0LL, std::llround(c.fit_per_op));
  // Calibration: what the RTL adds to the pure MAC beats, fitted as per_op + per_block x blocks,
  // next to the cost table's mac_pipeline_cycles and block_overhead_cycles, and the two values
  // that make the cost table charge what the RTL takes (config keys as in
  // docs/config-format.md: usable in a config file or as sweep overrides).
  nlohmann::json mac = {{"conv_ops", rep.ops.size()},
                        {"steps", c.steps},
                        {"model_mac_cycles", c.model_mac_cycles},
                        {"rtl_mac_cycles", c.rtl_mac_cycles},
                        {"model_op_cycles", model_ops},
                        {"rtl_op_cycles", rtl_ops},
                        {"edges", rep.mac_edges},
                        {"fit_per_op_cycles", c.fit_per_op},
                        {"fit_per_block_cycles", c.fit_per_block},
                        {"cost_table_block_overhead_cycles", c.cost_block_overhead},
                        {"cost_table_mac_pipeline_cycles", c.cost_mac_pipeline}};
  if (!rep.ops.empty())
    mac["calibrated_costs"] = {{"core.costs.block_overhead_cycles", c.calibrated_block_overhead},
                               {"core.costs.mac_pipeline_cycles", c.calibrated_mac_pipeline}};
  j["mac"] = mac;
  nlohmann::json locks = nlohmann::json::array();
  for (const auto& l : rep.locks) {
    locks.push_back({{"tile", isa::tile_coords(l.tile)},
                     {"requests", l.requests},
                     {"acquires", l.acquires},
                     {"releases", l.releases},
                     {"edges", l.edges},
                     {"grant_latency_cycles", l.grant_latency},
                     {"waited_acquires", l.waited_requests},
                     {"port_conflict_cycles", l.port_conflicts}});
    c.lock_requests += l.requests;
    c.lock_edges += l.edges;
    c.lock_latency += l.grant_latency;
  }
  j["locks"] = locks;
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& p : rep.streams) {
    streams.push_back({{"channel", p.channel},
                       {"beats", p.beats},
                       {"edges", p.edges},
                       {"backpressure_cycles", p.backpressure_cycles},
                       {"max_occupancy_beats", p.max_occupancy}});
    c.stream_beats += p.beats;
    c.stream_edges += p.edges;
    c.stream_backpressure += p.backpressure_cycles;
  }
  c.stream_ports = rep.streams.size();
  j["streams"] = streams;
  j["total_cycles"] = s.total_cycles;
  j["wall_s"] = wall_s;
  j["rtl_wall_s"] = rep.rtl_wall_s;
  c.cycles = s.total_cycles;
  c.wall_s = wall_s;
  if (pure) {
    c.compared = true;
    c.inferences = static_cast<uint32_t>(outputs.size());
    c.pure_cycles = pure->total_cycles;
    c.pure_wall_s = pure->wall_s;
    const size_t per = outputs.empty() ? 0 : outputs[0].size();
    for (size_t i = 0; i < outputs.size(); ++i)
      c.identical += pure->outputs.size() >= (i + 1) * per &&
                     std::equal(outputs[i].begin(), outputs[i].end(), pure->outputs.begin() + static_cast<std::ptrdiff_t>(i * per));
    nlohmann::json v;
    v["outputs_identical"] = c.identical;
    v["inferences"] = outputs.size();
    v["pure_total_cycles"] = pure->total_cycles;
    v["cosim_total_cycles"] = s.total_cycles;
    v["cycle_diff_pct"] = pure->total_cycles ? 100.0 * (double(s.total_cycles) - double(pure->total_cycles)) / pure->total_cycles : 0.0;
    v["pure_wall_s"] = pure->wall_s;
    v["pure_cycles_per_s"] = pure->wall_s > 0 ? pure->total_cycles / pure->wall_s : 0.0;
    v["cosim_cycles_per_s"] = wall_s > 0 ? s.total_cycles / wall_s : 0.0;
    j["vs_pure_model"] = v;
  }
  util::write_file_atomic(a.out_dir + "/rtl.json", j.dump(2) + "\n");
  return c;
}

std::string format_rtl_comparison(const RtlComparison& c, const std::string& out_dir) {
  std::string o;
  const bool mac = std::find(c.blocks.begin(), c.blocks.end(), "mac") != c.blocks.end();
  const bool lock = std::find(c.blocks.begin(), c.blocks.end(), "lock") != c.blocks.end();
  const bool stream = std::find(c.blocks.begin(), c.blocks.end(), "stream") != c.blocks.end();
  o += fmt::format("rtl co-simulation       : {} in {}{}\n", fmt::join(c.blocks, ","),
                   c.tiles.empty() ? std::string("every compute tile") : fmt::format("tiles {}", fmt::join(c.tiles, ",")),
                   c.broken ? " (BROKEN variants)" : "");
  if (mac)
    o += fmt::format("rtl conv ops            : {} ops, {} steps; MAC cycles cost table {} / RTL {} ({:+.1f}%)\n", c.conv_ops, c.steps,
                     c.model_mac_cycles, c.rtl_mac_cycles,
                     c.model_mac_cycles ? 100.0 * (double(c.rtl_mac_cycles) - double(c.model_mac_cycles)) / c.model_mac_cycles : 0.0);
  if (mac && c.conv_ops > 0)
    o += fmt::format("rtl calibration         : RTL = MAC beats + {:.2f} cycles per op + {:.2f} per stored block "
                     "(cost table: {} per op, {} per block); calibrated: core.costs.mac_pipeline_cycles={} "
                     "core.costs.block_overhead_cycles={}\n",
                     c.fit_per_op, c.fit_per_block, c.cost_mac_pipeline, c.cost_block_overhead, c.calibrated_mac_pipeline,
                     c.calibrated_block_overhead);
  if (lock)
    o += fmt::format("rtl locks               : {} requests, {} clock edges, mean grant latency {:.2f} cycles\n", c.lock_requests,
                     c.lock_edges, c.lock_requests ? double(c.lock_latency) / c.lock_requests : 0.0);
  if (stream)
    o += fmt::format("rtl stream ports        : {} ports, {} beats, {} clock edges, {} cycles of port backpressure\n",
                     c.stream_ports, c.stream_beats, c.stream_edges, c.stream_backpressure);
  if (c.compared) {
    o += fmt::format("vs pure model           : outputs identical {}/{} {}; cycles {} vs {} ({:+.2f}%)\n", c.identical,
                     c.inferences, c.outputs_match() ? "(bit-exact)" : "(MISMATCH)", c.cycles, c.pure_cycles,
                     c.pure_cycles ? 100.0 * (double(c.cycles) - double(c.pure_cycles)) / c.pure_cycles : 0.0);
    o += fmt::format("co-simulation speed     : {:.3f} M cycles/s vs pure model {:.3f} M cycles/s (slowdown {:.1f}x)\n",
                     c.wall_s > 0 ? c.cycles / c.wall_s / 1e6 : 0.0, c.pure_wall_s > 0 ? c.pure_cycles / c.pure_wall_s / 1e6 : 0.0,
                     c.pure_wall_s > 0 && c.wall_s > 0 ? (c.wall_s / c.cycles) / (c.pure_wall_s / c.pure_cycles) : 0.0);
  }
  o += fmt::format("rtl report              : {}/rtl_ops.csv, {}/rtl.json\n", out_dir, out_dir);
  return o;
}

}  // namespace saie::driver
