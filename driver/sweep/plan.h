// plan.h — a sweep as a plan: the resolved configs (one file each under DIR/configs), the bundles
// (one per zoo network x block x sparsity built, or the grid's own bundle folders), and the points
// in grid order (network, config, block, sparsity), each with its id (a hash of what determines its
// result) and folder DIR/points/<id>, the points an earlier run finished (their result.json), and
// the points to run. Planning reads the folder and writes only the config files; running is the
// backends' (backend.h).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driver/sweep/grid.h"

namespace saie::driver::sweep {

struct BundleJob {
  std::string label;              // for progress lines
  std::vector<std::string> argv;  // `sparseaie zoo` arguments; empty for bundle networks
  std::string dir;                // the bundle folder
  bool ok = false;
  std::string reason;
};

struct Point {
  size_t index = 0;
  const NetSpec* net = nullptr;
  const CfgSpec* cfg = nullptr;
  std::string block;              // "bundle" for bundle networks
  double sparsity = 0;
  bool dense = false;
  size_t bundle = 0;              // index into SweepPlan::bundles
  std::string id, dir;
  nlohmann::ordered_json result;  // status + metrics (result.json), null until done
  bool reused = false;            // finished by an earlier run
  double estimate_us = -1;        // analytical estimate (DIR/points/<id>/estimate.json), < 0 = none
  bool skipped = false;           // skipped by the prefilter
};

struct SweepPlan {
  std::string grid_path, dir;     // dir: absolute sweep folder
  Grid grid;
  std::vector<CfgSpec> cfgs;      // grid.cfgs with their file paths
  std::vector<BundleJob> bundles;
  std::vector<Point> points;      // point.net / .cfg point into grid.nets / cfgs: a plan is not copied
  std::vector<size_t> todo;       // points to run, in order
  std::set<size_t> needed_bundles;
  size_t reused = 0, skipped = 0;
  uint32_t shard_i = 0, shard_n = 0;  // shard_n > 0: an array task running points with index % N == I
  SweepPlan() = default;
  SweepPlan(const SweepPlan&) = delete;
  SweepPlan& operator=(const SweepPlan&) = delete;
};

inline constexpr const char* kSkipped = "skipped-by-prefilter";

// FNV-1a 64 of s as 16 hex digits: stable across runs and machines (point and config ids).
std::string hash_hex(const std::string& s);

// Plans the sweep of `grid` (read from grid_path) in out_dir. shard "I/N" restricts the points to
// run to index % N == I; prefilter_setting is the canonical --prefilter of this run ("" = none):
// a point an earlier run skipped with that same setting counts as finished for an array task
// (shard), any other run decides again. Throws std::runtime_error with one line.
void plan_sweep(SweepPlan& plan, const std::string& grid_path, const std::string& out_dir, const std::string& shard,
                const std::string& prefilter_setting);

// The fields that name a point in its result.json (before status, reason and metrics).
nlohmann::ordered_json point_identity(const Point& p);
// The point's analytical estimate in us (totals.total_us of DIR/points/<id>/estimate.json), -1 if none.
double read_estimate(const Point& p);
// "resnet50 | paper-4x4 | 8x8 | sparsity 0.5 (dense)" for progress lines.
std::string point_label(const Point& p);

}  // namespace saie::driver::sweep
