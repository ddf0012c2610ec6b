// simulate.cpp — runs a Program on the SystemC array model: check, elaborate, sc_start, summarise.
#include "hw/sim/simulate.h"

#include <exception>

#include <systemc>

#include "hw/array/array_top.h"
#include "hw/sim/controller.h"
#include "hw/cosim/rtl_backends.h"
#include "hw/isa/verify_program.h"

namespace saie::hw {

namespace {

void fill_static_summary(traces::RunSummary& s, const config::ArrayConfig& cfg, const isa::Program& prog,
                         size_t inferences, const SimOptions& opt) {
  s.program = prog.name;
  s.fidelity = fidelity_name(opt.fidelity);
  s.timing_only = opt.timing_only;
  s.config = cfg.name;
  s.cores = cfg.columns * cfg.core_rows;
  s.clock_hz = cfg.clock_hz;
  s.inferences = static_cast<uint32_t>(inferences);
  s.phases.clear();
  for (const auto& ph : prog.phases) {
    traces::PhaseSummary p;
    p.name = ph.name;
    p.layer = ph.layer;
    p.dense_macs = ph.dense_macs;
    p.actual_macs = ph.actual_macs;
    s.phases.push_back(p);
  }
}

SimResult reject(SimResult res, int code, const std::string& msg) {
  res.ok = false;
  res.exit_code = code;
  res.error = msg;
  return res;
}

}  // namespace

SimResult simulate(const config::ArrayConfig& cfg, const isa::Program& prog,
                   const std::vector<std::vector<int8_t>>& inputs, const SimOptions& opt,
                   traces::TraceRecorder& rec) {
  SimResult res;
  fill_static_summary(res.summary, cfg, prog, inputs.size(), opt);
  try {
    const isa::MemoryFootprint fp = isa::verify_program(prog, cfg);
    res.summary.memtile_bytes_peak = fp.memtile_bytes;
    res.summary.core_bytes_peak = fp.core_bytes;
    for (size_t i = 0; i < res.summary.phases.size() && i < fp.phase_memtile_bytes.size(); ++i)
      res.summary.phases[i].memtile_bytes = fp.phase_memtile_bytes[i];
  } catch (const isa::ProgramError& e) {
    return reject(std::move(res), 2, e.what());
  }
  if (opt.rtl.enabled()) {
    if (opt.backends) return reject(std::move(res), 1, "RTL co-simulation and other backends cannot be combined");
    if (std::string e = rtl_tiles_error(opt.rtl, cfg); !e.empty()) return reject(std::move(res), 2, e);
    if (opt.timing_only && opt.rtl.mac)
      return reject(std::move(res), 2, "--rtl mac computes the MACs in the RTL: it cannot be combined with --timing-only");
    if (opt.rtl.stream && opt.fidelity != Fidelity::Beat)
      return reject(std::move(res), 2,
                    "--rtl stream needs --fidelity beat (in lt mode bulk transfers bypass the stream FIFOs)");
  }
  const uint64_t in_bytes = static_cast<uint64_t>(prog.input.h) * prog.input.w * prog.input.c;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].size() != in_bytes)
      return reject(std::move(res), 2,
                    "input " + std::to_string(i) + " has " + std::to_string(inputs[i].size()) + " bytes, expected " +
                        std::to_string(in_bytes) + " (" + std::to_string(prog.input.h) + "x" +
                        std::to_string(prog.input.w) + "x" + std::to_string(prog.input.c) + ")");
  // SystemC allows one elaboration and one run per process.
  static bool used = false;
  if (used || sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    return reject(std::move(res), 1, "simulate() can run only once per process (one SystemC elaboration)");
  used = true;

  // The modules live until the process ends (SystemC does not support tearing down a design).
  // sc_stop() (used on run-time faults) prints an info line; our error message says it better.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  auto* ctx = new SimContext(cfg, rec, opt.fidelity, opt.timing_only);
  ctx->bank_conflicts = opt.bank_conflicts;
  ctx->ddr_bytes = std::max<uint64_t>(prog.ddr_bytes_needed, 1);
  RtlBackends* rtl = nullptr;  // co-simulation: the RTL blocks behind the models' backends
  if (opt.rtl.enabled()) ctx->backends = rtl = new RtlBackends(opt.rtl, *ctx);
  if (opt.backends) ctx->backends = opt.backends;
  ctx->phase_core_busy.assign(prog.phases.size(), 0);
  ctx->phase_stall_lock.assign(prog.phases.size(), 0);
  ctx->phase_stall_data.assign(prog.phases.size(), 0);
  ctx->phase_stall_space.assign(prog.phases.size(), 0);
  ctx->phase_reconfig.assign(prog.phases.size(), 0);
  Controller* ctrl = nullptr;
  try {
    auto* top = new ArrayTop("array", *ctx);
    ctrl = new Controller("control", *top, prog, inputs, opt, *ctx);
    if (opt.max_cycles > 0)
      sc_core::sc_start(ctx->cycles(opt.max_cycles), sc_core::SC_EXIT_ON_STARVATION);
    else
      sc_core::sc_start();
  } catch (const std::exception& e) {
    return reject(std::move(res), 1, std::string("simulation error: ") + e.what());
  }

  auto& s = res.summary;
  const uint64_t now = ctx->now();
  if (ctx->failed) {
    res.exit_code = 2;
    res.error = ctx->error;
  } else if (ctrl->finished()) {
    res.ok = true;
    res.exit_code = 0;
  } else if (opt.max_cycles > 0 && sc_core::sc_pending_activity()) {
    res.exit_code = 4;
    res.error = "exceeded --max-cycles " + std::to_string(opt.max_cycles) + " (phase '" + ctx->phase_name +
                "', inference " + std::to_string(ctrl->inference()) + ")";
  } else {
    res.exit_code = 3;
    s.deadlock = true;
    std::vector<std::string> agents = ctrl->blocked_agents();
    std::string head = "deadlock in phase '" + ctx->phase_name + "' at cycle " + std::to_string(now) + ": ";
    std::string joined;
    for (size_t i = 0; i < agents.size(); ++i) joined += (i ? "; " : "") + agents[i];
    if (agents.empty()) joined = "no agent is running but the phase did not complete";
    res.error = head + joined;
    s.deadlock_report = res.error;
    for (const auto& a : agents) s.deadlock_report += "\n  " + a;
  }
  res.outputs = ctrl->outputs();
  if (rtl) res.rtl = rtl->report();

  s.total_cycles = res.ok ? ctrl->end_cycle() : now;
  uint32_t done = static_cast<uint32_t>(res.outputs.size());
  s.cycles_per_inference = done > 0 ? s.total_cycles / done : 0;
  s.core_compute_cycles = ctx->core_compute_cycles;
  double core_cycles = static_cast<double>(cfg.columns) * cfg.core_rows * static_cast<double>(s.total_cycles);
  s.core_utilisation = core_cycles > 0 ? static_cast<double>(s.core_compute_cycles) / core_cycles : 0.0;
  s.bytes_ddr_to_mem = ctx->bytes_ddr_to_mem;
  s.bytes_mem_to_ddr = ctx->bytes_mem_to_ddr;
  s.bytes_mem_to_core = ctx->bytes_mem_to_core;
  s.bytes_core_to_mem = ctx->bytes_core_to_mem;
  for (size_t p = 0; p < s.phases.size(); ++p) {
    s.phases[p].cycles = ctrl->phase_cycles()[p];
    s.phases[p].core_busy_cycles = ctx->phase_core_busy[p];
    s.phases[p].stall_lock_cycles = ctx->phase_stall_lock[p];
    s.phases[p].stall_data_cycles = ctx->phase_stall_data[p];
    s.phases[p].stall_space_cycles = ctx->phase_stall_space[p];
    s.stall_lock_cycles += ctx->phase_stall_lock[p];
    s.stall_data_cycles += ctx->phase_stall_data[p];
    s.stall_space_cycles += ctx->phase_stall_space[p];
    s.phases[p].reconfig_cycles = ctx->phase_reconfig[p];
    s.reconfig_cycles += ctx->phase_reconfig[p];
  }
  rec.set_stat("array.total_cycles", static_cast<double>(s.total_cycles), "cycles", "simulated cycles of the run");
  return res;
}

}  // namespace saie::hw
