// prefilter.h — `sweep --prefilter estimate[:FACTOR]`: before simulating, every point gets the
// paper's analytical estimate (`sparseaie estimate`, cached in DIR/points/<id>/estimate.json), and
// a point to run is skipped when another point of the same network and sparsity level dominates
// it: no more compute tiles and an estimate at most 1/FACTOR of its own (docs/sweep.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "driver/sweep/plan.h"

namespace saie::driver::sweep {

struct Prefilter {
  bool on = false;
  double factor = 2;
  std::string setting;  // canonical, e.g. "estimate:2"; stored in a skipped point's result.json
};

// "" (off), "estimate" (factor 2) or "estimate:FACTOR" (FACTOR > 1); throws one line otherwise.
Prefilter parse_prefilter(const std::string& text);

// The point that dominates points[k] (index into points), or -1: among the points of the same
// network and sparsity with an estimate, no more compute tiles and an estimate at most
// points[k].estimate_us / factor, the one with the smallest estimate (a reused point counts only
// if it finished ok). Pure: no files, no processes.
long dominating_point(const std::vector<Point>& points, size_t k, double factor);

// Estimates every point that has none (building the bundles they need), then skips each point to
// run that dominating_point finds: its result.json records the skip and the setting, so array tasks
// given the same --prefilter treat it as finished, while any other run decides again (a skip is
// never reused as such). Updates plan.todo, needed_bundles and skipped.
void apply_prefilter(const Prefilter& pf, const std::string& exe, uint32_t jobs, SweepPlan& plan);

}  // namespace saie::driver::sweep
