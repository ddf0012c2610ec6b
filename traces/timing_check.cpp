// timing_check.cpp — see timing_check.h.
#include "traces/timing_check.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace saie::traces {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr const char* kFormat = "sparseaie-timing-golden";
constexpr int kVersion = 1;

// The bytes-moved fields of summary.json, with the names the report shows.
const std::pair<const char*, const char*> kBytes[] = {{"bytes_ddr_to_mem", "bytes ddr->mem"},
                                                      {"bytes_mem_to_ddr", "bytes mem->ddr"},
                                                      {"bytes_mem_to_core", "bytes mem->core"},
                                                      {"bytes_core_to_mem", "bytes core->mem"}};

json parse(const std::string& text, const char* what) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) throw TimingCheckError(std::string(what) + " is not a JSON object");
    return j;
  } catch (const json::parse_error& e) {
    throw TimingCheckError(std::string(what) + " is not valid JSON: " + e.what());
  }
}

const json& need(const json& j, const char* key, const char* what) {
  if (!j.contains(key)) throw TimingCheckError(std::string(what) + " has no '" + key + "'");
  return j.at(key);
}

uint64_t need_u64(const json& j, const char* key, const char* what) {
  const json& v = need(j, key, what);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    throw TimingCheckError(std::string(what) + ": '" + key + "' is not a non-negative integer");
  return v.get<uint64_t>();
}

std::string need_str(const json& j, const char* key, const char* what) {
  const json& v = need(j, key, what);
  if (!v.is_string()) throw TimingCheckError(std::string(what) + ": '" + key + "' is not a string");
  return v.get<std::string>();
}

double need_tol(const json& j, const char* key, const char* what) {
  const json& v = need(j, key, what);
  if (!v.is_number() || v.get<double>() < 0 || !std::isfinite(v.get<double>()))
    throw TimingCheckError(std::string(what) + ": tolerance '" + key + "' is not a number >= 0");
  return v.get<double>();
}

struct Phase {
  std::string name;
  uint64_t cycles = 0;
};

std::vector<Phase> phases_of(const json& j, const char* what) {
  const json& ps = need(j, "phases", what);
  if (!ps.is_array()) throw TimingCheckError(std::string(what) + ": 'phases' is not an array");
  std::vector<Phase> out;
  for (const json& p : ps) {
    if (!p.is_object()) throw TimingCheckError(std::string(what) + ": a phase is not an object");
    out.push_back({need_str(p, "name", what), need_u64(p, "cycles", what)});
  }
  return out;
}

uint64_t bytes_of(const RunSummary& s, const std::string& key) {
  if (key == "bytes_ddr_to_mem") return s.bytes_ddr_to_mem;
  if (key == "bytes_mem_to_ddr") return s.bytes_mem_to_ddr;
  if (key == "bytes_mem_to_core") return s.bytes_mem_to_core;
  return s.bytes_core_to_mem;
}

std::string fidelity_of(const json& j) {
  return j.contains("fidelity") && j["fidelity"].is_string() ? j["fidelity"].get<std::string>() : "lt";
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

void apply_tolerance(Tolerances& t, const std::string& a) {
  const size_t eq = a.find('=');
  const std::string key = a.substr(0, eq), val = eq == std::string::npos ? "" : a.substr(eq + 1);
  char* end = nullptr;
  const double v = val.empty() ? -1 : std::strtod(val.c_str(), &end);
  if (eq == std::string::npos || val.empty() || *end != '\0' || !(v >= 0) || !std::isfinite(v))
    throw TimingCheckError("tolerance '" + a + "' is not METRIC=FRACTION (e.g. cycles=0.02)");
  if (key == "cycles")
    t.cycles = v;
  else if (key == "bytes")
    t.bytes = v;
  else
    throw TimingCheckError("tolerance '" + a + "': unknown metric '" + key + "' (cycles or bytes)");
}

std::string make_golden(const RunSummary& s, const std::string& workload, const Tolerances& tol) {
  if (s.deadlock) throw TimingCheckError("summary.json is from a run that deadlocked: not a baseline");
  ordered_json g;
  g["format"] = kFormat;
  g["version"] = kVersion;
  g["workload"] = workload;
  g["program"] = s.program;
  g["config"] = s.config;
  g["fidelity"] = s.fidelity;
  g["inferences"] = s.inferences;
  g["tolerance"] = {{"cycles", tol.cycles}, {"bytes", tol.bytes}};
  g["total_cycles"] = s.total_cycles;
  for (const auto& [key, name] : kBytes) g[key] = bytes_of(s, key);
  ordered_json ps = ordered_json::array();
  for (const PhaseSummary& p : s.phases) ps.push_back({{"name", p.name}, {"cycles", p.cycles}});
  g["phases"] = ps;
  return g.dump(2) + "\n";
}

int TimingReport::regressions() const {
  int n = 0;
  for (const auto& m : metrics) n += m.status == MetricResult::Status::Regression;
  return n;
}
int TimingReport::improvements() const {
  int n = 0;
  for (const auto& m : metrics) n += m.status == MetricResult::Status::Improvement;
  return n;
}

TimingReport compare(const std::string& golden_json, const RunSummary& s, const Tolerances* override_tol) {
  const json g = parse(golden_json, "golden");
  if (!g.contains("format") || g["format"] != kFormat)
    throw TimingCheckError("golden is not a sparseaie timing golden (no \"format\": \"" + std::string(kFormat) + "\")");
  if (!g.contains("version") || g["version"] != kVersion)
    throw TimingCheckError("golden has version " + (g.contains("version") ? g["version"].dump() : std::string("none")) +
                           ", this build reads " + std::to_string(kVersion));

  TimingReport r;
  r.workload = need_str(g, "workload", "golden");
  r.config = need_str(g, "config", "golden");
  r.golden_program = need_str(g, "program", "golden");
  r.run_program = s.program;
  Tolerances tol;
  const json& gt = need(g, "tolerance", "golden");
  tol.cycles = need_tol(gt, "cycles", "golden");
  tol.bytes = need_tol(gt, "bytes", "golden");
  if (override_tol) tol = *override_tol;

  if (s.deadlock) r.problems.push_back("the run deadlocked");
  if (r.run_program != r.golden_program)
    r.problems.push_back("program '" + r.run_program + "' is not the golden's '" + r.golden_program + "'");
  const std::string& run_config = s.config;
  if (run_config != r.config) r.problems.push_back("config '" + run_config + "' is not the golden's '" + r.config + "'");
  if (s.fidelity != fidelity_of(g))
    r.problems.push_back("fidelity '" + s.fidelity + "' is not the golden's '" + fidelity_of(g) + "'");
  const uint64_t gi = need_u64(g, "inferences", "golden"), si = s.inferences;
  if (gi != si) r.problems.push_back(std::to_string(si) + " inferences, the golden has " + std::to_string(gi));

  auto add = [&r](std::string metric, double base, double now, double t) {
    MetricResult m;
    m.metric = std::move(metric);
    m.baseline = base;
    m.now = now;
    m.tolerance = t;
    const double d = now - base;
    if (d == 0)
      m.status = MetricResult::Status::Same;
    else if (std::fabs(d) <= t * std::fabs(base))
      m.status = MetricResult::Status::Within;
    else
      m.status = d > 0 ? MetricResult::Status::Regression : MetricResult::Status::Improvement;
    r.metrics.push_back(m);
  };
  add("total cycles", double(need_u64(g, "total_cycles", "golden")), double(s.total_cycles), tol.cycles);
  for (const auto& [key, name] : kBytes) add(name, double(need_u64(g, key, "golden")), double(bytes_of(s, key)), tol.bytes);

  const std::vector<Phase> gp = phases_of(g, "golden");
  std::vector<Phase> sp;
  for (const PhaseSummary& p : s.phases) sp.push_back({p.name, p.cycles});
  if (gp.size() != sp.size())
    r.problems.push_back(std::to_string(sp.size()) + " phases, the golden has " + std::to_string(gp.size()));
  for (size_t i = 0; i < gp.size() && i < sp.size(); ++i) {
    if (gp[i].name != sp[i].name) {
      r.problems.push_back("phase " + std::to_string(i) + " is '" + sp[i].name + "', the golden's is '" + gp[i].name + "'");
      break;
    }
    add("phase " + std::to_string(i) + " '" + gp[i].name + "' cycles", double(gp[i].cycles), double(sp[i].cycles),
        tol.cycles);
  }
  return r;
}

std::string format_report(const TimingReport& r, bool all) {
  std::string out = "timing check: " + r.workload + " (" + r.config + ")\n";
  for (const auto& p : r.problems) out += "  problem: " + p + "\n";
  size_t width = 6;
  int moved = 0;
  for (const auto& m : r.metrics) {
    if (m.status != MetricResult::Status::Same) ++moved;
    if (all || m.status != MetricResult::Status::Same) width = std::max(width, m.metric.size());
  }
  auto pad = [](std::string s, size_t w, bool right) {
    if (s.size() < w) s = right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
    return s;
  };
  if (moved > 0 || all) {
    out += "  " + pad("metric", width, false) + "  " + pad("baseline", 12, true) + "  " + pad("now", 12, true) + "  " +
           pad("change", 9, true) + "  " + pad("tolerance", 9, true) + "  status\n";
    for (const auto& m : r.metrics) {
      if (!all && m.status == MetricResult::Status::Same) continue;
      const char* st = m.status == MetricResult::Status::Same          ? "same"
                       : m.status == MetricResult::Status::Within      ? "within tolerance"
                       : m.status == MetricResult::Status::Regression  ? "REGRESSION"
                                                                       : "improved (beyond tolerance)";
      const double c = 100.0 * m.change();
      out += "  " + pad(m.metric, width, false) + "  " + pad(fixed(m.baseline, 0), 12, true) + "  " +
             pad(fixed(m.now, 0), 12, true) + "  " + pad((c >= 0 ? "+" : "") + fixed(c, 2) + "%", 9, true) + "  " +
             pad(fixed(100.0 * m.tolerance, 2) + "%", 9, true) + "  " + st + "\n";
    }
  }
  const int reg = r.regressions(), imp = r.improvements();
  if (r.passed()) {
    out += "PASS: " + std::to_string(r.metrics.size()) + " metrics, " + std::to_string(moved) +
           " moved, no regression beyond tolerance";
    if (imp > 0)
      out += "; " + std::to_string(imp) +
             " improved beyond tolerance (regenerate the goldens on purpose: scripts/timing-goldens --update)";
    out += "\n";
  } else {
    out += "FAIL: ";
    if (!r.problems.empty()) out += std::to_string(r.problems.size()) + " problem(s)" + (reg ? ", " : "");
    if (reg) out += std::to_string(reg) + " regression(s) beyond tolerance";
    out += "\n";
  }
  return out;
}

}  // namespace saie::traces
