// runner.h — the steps of a sweep, each a child process of the sparseaie binary (SystemC allows
// one simulation per process, and a crash or an error stays in its point): building a bundle
// (`zoo`), running a point (`compile`, then `simulate`), plus the thread pool the local steps run
// on, the results table and the plots.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "driver/sweep/backend.h"
#include "driver/sweep/plan.h"

namespace saie::driver::sweep {

// "[sweep] line" on stderr.
void say(const std::string& line);

// Builds a zoo bundle into b.dir (through b.dir.tmp, renamed when complete); a bundle folder or an
// existing bundle is kept. Failure: b.ok false, b.reason the child's error line.
void build_bundle(const std::string& exe, BundleJob& b);

// {status, reason}
nlohmann::ordered_json failed(const std::string& status, const std::string& reason);

// Runs one point in its folder (compile, then a simulate with the grid's settings, --no-trace);
// the result object: status ("ok", "compile-failed", "sim-failed"), reason, the metrics of
// summary.json (through traces::read_summary) and the step times.
nlohmann::ordered_json run_point(const std::string& exe, const Point& p, const BundleJob& b, const SimSpec& sim);

// The metric columns of the table, in order (metrics of failed points are null / empty).
const std::vector<std::string>& metric_columns();
// DIR/results.json and DIR/results.csv (atomically), one row per point in grid order.
void write_results(const SweepPlan& plan);
// write_results, and the outcome it reports: every point counted by its status (ok, skipped by
// the prefilter, anything else failed).
SweepOutcome write_table(const SweepPlan& plan, const std::string& backend);

// Runs scripts/sweep-plots on the folder (DIR/plots/*.png): "" when done, else why not (a
// warning, never a sweep failure). The script: $SAIE_SWEEP_PLOTS, else this source tree's.
std::string run_plots(const std::string& dir);

// Runs fn(i) for i in 0..n-1 on `jobs` threads; the first exception is rethrown after all finish.
template <class Fn>
void parallel_for(size_t n, uint32_t jobs, Fn fn) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  std::mutex err_mutex;
  std::string first_error;
  const uint32_t t = static_cast<uint32_t>(std::max<size_t>(1, std::min<size_t>(jobs, n)));
  for (uint32_t k = 0; k < t; ++k)
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < n;) {
        try {
          fn(i);
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(err_mutex);
          if (first_error.empty()) first_error = e.what();
        }
      }
    });
  for (auto& th : threads) th.join();
  if (!first_error.empty()) throw std::runtime_error(first_error);
}

}  // namespace saie::driver::sweep
