// prefilter.cpp — see prefilter.h.
#include "driver/sweep/prefilter.h"

#include <fmt/core.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "driver/child_process.h"
#include "driver/sweep/runner.h"
#include "util/file_io.h"

namespace saie::driver::sweep {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

Prefilter parse_prefilter(const std::string& s) {
  Prefilter pf;
  if (s.empty()) return pf;
  std::string f = "2";
  if (s.rfind("estimate:", 0) == 0)
    f = s.substr(9);
  else if (s != "estimate")
    throw std::runtime_error(fmt::format("--prefilter '{}': expected estimate or estimate:FACTOR (e.g. estimate:2)", s));
  char* end = nullptr;
  const double x = std::strtod(f.c_str(), &end);
  if (f.empty() || *end != 0 || !std::isfinite(x) || x <= 1 || x > 1e6)
    throw std::runtime_error(fmt::format("--prefilter '{}': FACTOR must be a number > 1 (e.g. estimate:2)", s));
  pf.on = true;
  pf.factor = x;
  pf.setting = fmt::format("estimate:{:g}", x);
  return pf;
}

long dominating_point(const std::vector<Point>& points, size_t k, double factor) {
  const Point& p = points[k];
  const Point* dom = nullptr;
  if (p.estimate_us > 0)
    for (const auto& q : points) {
      if (&q == &p || q.net != p.net || q.sparsity != p.sparsity || q.estimate_us <= 0) continue;
      if (q.reused && q.result.value("status", "") != "ok") continue;  // already failed: not a reference
      if (q.cfg->tiles > p.cfg->tiles || q.estimate_us > p.estimate_us / factor) continue;
      if (!dom || q.estimate_us < dom->estimate_us) dom = &q;
    }
  return dom ? static_cast<long>(dom->index) : -1;
}

void apply_prefilter(const Prefilter& pf, const std::string& exe, uint32_t jobs, SweepPlan& plan) {
  std::vector<Point>& points = plan.points;
  std::vector<size_t> need;
  std::set<size_t> est_bundles;
  for (const auto& p : points) {
    if (p.estimate_us >= 0) continue;
    if (p.reused && p.result.value("status", "") == "compile-failed") continue;  // cannot compile: no estimate
    need.push_back(p.index);
    est_bundles.insert(p.bundle);
  }
  std::vector<size_t> blist(est_bundles.begin(), est_bundles.end());
  parallel_for(blist.size(), jobs, [&](size_t i) { build_bundle(exe, plan.bundles[blist[i]]); });
  std::atomic<size_t> est_failed{0};
  parallel_for(need.size(), jobs, [&](size_t i) {
    Point& p = points[need[i]];
    const BundleJob& b = plan.bundles[p.bundle];
    if (!b.ok) return;
    std::error_code ec;
    fs::create_directories(p.dir, ec);
    std::vector<std::string> args{"estimate", b.dir, "--config", p.cfg->path, "--json", p.dir + "/estimate.json"};
    if (p.dense) args.push_back("--dense");
    const int code = run_program(exe, args, p.dir + "/estimate.log");
    p.estimate_us = code == 0 ? read_estimate(p) : -1;
    if (p.estimate_us < 0) ++est_failed;
  });

  std::vector<size_t> keep;
  size_t skipped = 0;
  for (size_t k : plan.todo) {
    Point& p = points[k];
    const long d = dominating_point(points, k, pf.factor);
    const fs::path rf = fs::path(p.dir) / "result.json";
    std::error_code ec;
    if (d < 0) {  // runs; a skip recorded by an earlier run (another factor, another grid) is void
      fs::remove(rf, ec);
      keep.push_back(k);
      continue;
    }
    const Point* dom = &points[static_cast<size_t>(d)];
    ojson r = point_identity(p);
    r["status"] = kSkipped;
    r["reason"] = fmt::format("estimate {:.2f} us >= {:g} x {:.2f} us, the estimate of point {} ({}, id {}) with {} <= {} compute tiles",
                              p.estimate_us, pf.factor, dom->estimate_us, dom->index,
                              dom->cfg->name + (dom->block == p.block ? "" : " block " + dom->block), dom->id, dom->cfg->tiles,
                              p.cfg->tiles);
    r["prefilter"] = pf.setting;
    r["estimate_us"] = p.estimate_us;
    r["dominated_by"] = dom->id;
    const std::string text = r.dump(2) + "\n";
    std::string old;
    try {
      old = util::read_file(rf.string());
    } catch (const util::FileError&) {
    }
    if (old != text) {
      util::write_file_atomic(rf.string(), text);
      say(fmt::format("skipped by the prefilter: {}: {}", point_label(p), r["reason"].get<std::string>()));
    }
    p.result = r;
    p.skipped = true;
    ++skipped;
  }
  plan.todo = keep;
  plan.needed_bundles.clear();
  for (size_t k : plan.todo) plan.needed_bundles.insert(points[k].bundle);
  plan.skipped = skipped;
  say(fmt::format("prefilter {}: {} estimates computed{}, {} points skipped, {} to run", pf.setting, need.size(),
                  est_failed ? fmt::format(" ({} failed: those points are not filtered)", est_failed.load()) : "", skipped,
                  plan.todo.size()));
}

}  // namespace saie::driver::sweep
