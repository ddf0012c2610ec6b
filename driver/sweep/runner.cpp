// runner.cpp — see runner.h.
#include "driver/sweep/runner.h"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "driver/child_process.h"
#include "util/progress.h"
#include "traces/readers.h"
#include "util/file_io.h"

namespace saie::driver::sweep {

using util::progress;
using util::seconds_since;

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

void say(const std::string& line) { progress(line, "sweep"); }

void build_bundle(const std::string& exe, BundleJob& b) {
  if (b.argv.empty() || fs::is_regular_file(fs::path(b.dir) / "model.json")) {
    b.ok = true;
    return;
  }
  if (!b.reason.empty()) return;  // failed earlier in this run (prefilter stage): not tried twice
  const std::string tmp = b.dir + ".tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  std::vector<std::string> args = b.argv;
  args.push_back("--out");
  args.push_back(tmp);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string log = b.dir + ".log";
  const int code = run_program(exe, args, log);
  if (code != 0) {
    b.reason = failure_reason(log, code);
    say(fmt::format("bundle {}: FAILED: {}", b.label, b.reason));
    return;
  }
  fs::remove_all(b.dir, ec);
  fs::rename(tmp, b.dir, ec);
  if (ec) {
    b.reason = "cannot rename " + tmp + ": " + ec.message();
    return;
  }
  b.ok = true;
  say(fmt::format("bundle {}: built in {:.1f} s", b.label, seconds_since(t0)));
}

ojson failed(const std::string& status, const std::string& reason) {
  ojson r;
  r["status"] = status;
  r["reason"] = reason;
  return r;
}

// Runs one point in its folder; the result object (status, reason, metrics, step times).
ojson run_point(const std::string& exe, const Point& p, const BundleJob& b, const SimSpec& sim) {
  std::error_code ec;
  // Leftovers of an interrupted run (or a prefilter skip) go; the point's estimate stays.
  if (fs::is_directory(p.dir))
    for (const auto& e : fs::directory_iterator(p.dir, ec)) {
      const std::string f = e.path().filename().string();
      if (f != "estimate.json" && f != "estimate.log") fs::remove_all(e.path(), ec);
    }
  fs::create_directories(p.dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create folder '{}': {}", p.dir, ec.message()));
  const std::string prog = p.dir + "/program", out = p.dir + "/sim";
  std::vector<std::string> cargs{"compile", b.dir, "--config", p.cfg->path, "--out", prog};
  if (p.dense) cargs.push_back("--dense");
  auto t0 = std::chrono::steady_clock::now();
  int code = run_program(exe, cargs, p.dir + "/compile.log");
  const double compile_s = seconds_since(t0);
  if (code != 0) {
    ojson r = failed("compile-failed", failure_reason(p.dir + "/compile.log", code));
    r["compile_s"] = compile_s;
    return r;
  }
  std::vector<std::string> sargs{"simulate", prog + "/program.bin", "--config", p.cfg->path, "--outdir", out, "--random-inputs",
                                 std::to_string(sim.random_inputs), "--seed", std::to_string(sim.seed), "--no-trace"};
  if (sim.timing_only) sargs.push_back("--timing-only");
  if (sim.max_cycles > 0) {
    sargs.push_back("--max-cycles");
    sargs.push_back(std::to_string(sim.max_cycles));
  }
  t0 = std::chrono::steady_clock::now();
  code = run_program(exe, sargs, p.dir + "/simulate.log");
  const double simulate_s = seconds_since(t0);
  if (code != 0) {
    ojson r = failed("sim-failed", failure_reason(p.dir + "/simulate.log", code));
    r["compile_s"] = compile_s;
    r["simulate_s"] = simulate_s;
    return r;
  }
  ojson r;
  try {
    const traces::SummaryFile f = traces::read_summary(out + "/summary.json");
    const traces::RunSummary& s = f.run;
    r["status"] = "ok";
    r["reason"] = "";
    r["total_cycles"] = s.total_cycles;
    r["cycles_per_inference"] = s.cycles_per_inference;
    r["time_us"] = f.seconds_per_inference() * 1e6;
    r["bytes_ddr_to_mem"] = s.bytes_ddr_to_mem;
    r["bytes_mem_to_ddr"] = s.bytes_mem_to_ddr;
    r["bytes_mem_to_core"] = s.bytes_mem_to_core;
    r["bytes_core_to_mem"] = s.bytes_core_to_mem;
    r["core_compute_cycles"] = s.core_compute_cycles;
    r["memtile_bytes_peak"] = s.memtile_bytes_peak;
    r["core_bytes_peak"] = s.core_bytes_peak;
    r["core_utilisation"] = s.core_utilisation;
    r["stall_lock_cycles"] = s.stall_lock_cycles;
    r["stall_data_cycles"] = s.stall_data_cycles;
    r["stall_output_space_cycles"] = s.stall_space_cycles;
    r["reconfig_cycles"] = s.reconfig_cycles;
    // The floors compile wrote (simulate copies them next to summary.json; docs/roofline.md).
    const traces::Roofline roof = traces::read_roofline(out + "/roofline.json");
    r["floor_cycles"] = roof.floor_cycles;
    r["floor_bound"] = traces::bound_name(roof.bound);
    r["floor_ratio"] = roof.floor_cycles > 0 ? double(s.cycles_per_inference) / roof.floor_cycles : 0.0;
  } catch (const std::exception& e) {
    r = failed("sim-failed", std::string("cannot read the run's results: ") + e.what());
  }
  r["compile_s"] = compile_s;
  r["simulate_s"] = simulate_s;
  return r;
}

namespace {

ojson table_row(const Point& p) {
  ojson row;
  row["index"] = p.index;
  row["id"] = p.id;
  row["network"] = p.net->name;
  row["config"] = p.cfg->name;
  row["preset"] = p.cfg->preset;
  row["overrides"] = p.cfg->overrides;
  row["block"] = p.block;
  row["sparsity"] = p.sparsity;
  row["dense"] = p.dense;
  row["status"] = p.result.value("status", "not-run");
  row["reason"] = p.result.value("reason", "");
  for (const auto& k : metric_columns()) {
    row[k] = p.result.contains(k) ? p.result.at(k) : ojson();
    if (k == "time_us") row["estimate_us"] = p.estimate_us >= 0 ? ojson(p.estimate_us) : ojson();
  }
  return row;
}

std::string csv_field(const ojson& v) {
  std::string s;
  if (v.is_null()) return "";
  if (v.is_string()) s = v.get<std::string>();
  else if (v.is_boolean()) s = v.get<bool>() ? "true" : "false";
  else if (v.is_number_float()) s = fmt::format("{:.6g}", v.get<double>());
  else s = v.dump();
  if (s.find_first_of(",\"\n") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

}  // namespace

void write_results(const SweepPlan& plan) {
  const fs::path dir(plan.dir);
  const std::vector<Point>& points = plan.points;
  ojson rows = ojson::array();
  size_t ok = 0, skipped = 0;
  for (const auto& p : points) {
    rows.push_back(table_row(p));
    ok += rows.back()["status"] == "ok";
    skipped += rows.back()["status"] == kSkipped;
  }
  ojson j;
  j["grid"] = plan.grid_path;
  j["points"] = points.size();
  j["ok"] = ok;
  j["failed"] = points.size() - ok - skipped;
  j["skipped"] = skipped;
  j["rows"] = rows;
  util::write_file_atomic((dir / "results.json").string(), j.dump(2) + "\n");
  std::string csv;
  bool first = true;
  for (const auto& row : rows) {
    if (first) {
      std::string h;
      for (auto it = row.begin(); it != row.end(); ++it) h += (h.empty() ? "" : ",") + it.key();
      csv += h + "\n";
      first = false;
    }
    std::string line;
    bool f = true;
    for (auto it = row.begin(); it != row.end(); ++it) {
      line += (f ? "" : ",") + csv_field(it.value());
      f = false;
    }
    csv += line + "\n";
  }
  util::write_file_atomic((dir / "results.csv").string(), csv);
}

SweepOutcome write_table(const SweepPlan& plan, const std::string& backend) {
  SweepOutcome out;
  out.backend = backend;
  out.points = plan.points.size();
  for (const Point& p : plan.points) {
    const std::string status = p.result.value("status", "");
    out.ok += status == "ok";
    out.skipped += status == kSkipped;
  }
  out.failed = out.points - out.ok - out.skipped;
  out.reused = plan.reused;
  write_results(plan);
  out.table = true;
  return out;
}

// The table's columns, in order; metrics of failed points are null (empty in the CSV).
const std::vector<std::string>& metric_columns() {
  static const std::vector<std::string> columns{
      "total_cycles",      "cycles_per_inference", "time_us",           "bytes_ddr_to_mem",          "bytes_mem_to_ddr",
      "bytes_mem_to_core", "bytes_core_to_mem",    "core_compute_cycles", "core_utilisation",        "stall_lock_cycles",
      "stall_data_cycles", "stall_output_space_cycles", "memtile_bytes_peak", "core_bytes_peak", "floor_cycles", "floor_bound", "floor_ratio",
      "compile_s", "simulate_s"};
  return columns;
}

namespace {

// The plot script: $SAIE_SWEEP_PLOTS if set, else scripts/sweep-plots of the source tree this binary
// was built from.
std::string plots_script() {
  if (const char* e = std::getenv("SAIE_SWEEP_PLOTS"); e && *e) return e;
  return std::string(SAIE_SCRIPTS_DIR) + "/sweep-plots";
}

}  // namespace

// SCRIPT DIR (writes DIR/plots/*.png), run directly when it is executable (scripts/sweep-plots
// names /usr/bin/python3, where Debian's matplotlib is), else through python3 on PATH.
std::string run_plots(const std::string& dir_text) {
  const fs::path dir(dir_text);
  const std::string script = plots_script();
  std::string why;
  try {
    const bool exec = !script.empty() && ::access(script.c_str(), X_OK) == 0;
    const std::string python = exec ? std::string() : find_on_path("python3");
    if (script.empty() || !fs::is_regular_file(script))
      why = fmt::format("no plot script '{}' (set SAIE_SWEEP_PLOTS to the path of scripts/sweep-plots)", script);
    else if (!exec && python.empty())
      why = "python3 not found on PATH";
    else {
      const std::string log = (dir / "plots.log").string();
      const int code = exec ? run_program(script, {dir.string()}, log) : run_program(python, {script, dir.string()}, log);
      if (code != 0) why = failure_reason(log, code) + " (" + log + ")";
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  return why;
}

}  // namespace saie::driver::sweep
