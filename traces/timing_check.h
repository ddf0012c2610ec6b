// timing_check.h — regression timing checks: a run's per-layer cycles and bytes moved against a
// committed baseline ("golden"), with per-metric relative tolerances (docs/timing-check.md).
//
// A golden is JSON made from a run's summary.json by make_golden(): the workload's name, the
// program / config / fidelity it ran with, the tolerances, the total cycles, the bytes moved per
// channel kind and every phase's cycles. compare() checks a summary.json against it.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "traces/summary.h"

namespace saie::traces {

struct TimingCheckError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Relative tolerances per metric kind: |now - baseline| <= tolerance * baseline passes.
struct Tolerances {
  double cycles = 0.01;  // total and per-phase cycles
  double bytes = 0.0;    // bytes moved per channel kind (the schedule's data movement is exact)
};

// Parses "cycles=0.02" or "bytes=0" into t; throws TimingCheckError naming the text.
void apply_tolerance(Tolerances& t, const std::string& assignment);

// A golden from a run's summary (traces/readers.h read_summary); `workload` names it (free text,
// shown in reports).
std::string make_golden(const RunSummary& summary, const std::string& workload, const Tolerances& tol);

struct MetricResult {
  std::string metric;      // "total cycles", "phase 12 'conv2' cycles", "bytes ddr->mem"
  double baseline = 0, now = 0;
  double tolerance = 0;    // relative
  enum class Status { Same, Within, Regression, Improvement } status = Status::Same;
  double change() const { return baseline != 0 ? (now - baseline) / baseline : (now != 0 ? 1.0 : 0.0); }
};

struct TimingReport {
  std::string workload, config, golden_program, run_program;
  std::vector<MetricResult> metrics;
  std::vector<std::string> problems;  // structural mismatches (different phases, program, config)
  int regressions() const;
  int improvements() const;
  bool passed() const { return problems.empty() && regressions() == 0; }
};

// Compares. `override_tol`: tolerances given on the command line replace the golden's (nullptr:
// use the golden's). Throws TimingCheckError (one line) when the golden is not what it should be.
TimingReport compare(const std::string& golden_json, const RunSummary& summary, const Tolerances* override_tol);

// The table a user reads: every metric that moved (all with `all`), then a one-line verdict.
std::string format_report(const TimingReport& r, bool all);

}  // namespace saie::traces
