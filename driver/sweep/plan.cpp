// plan.cpp — see plan.h.
#include "driver/sweep/plan.h"

#include <fmt/core.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "util/file_io.h"

namespace saie::driver::sweep {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {
std::string fmt_level(double s) { return fmt::format("{:g}", s); }
}  // namespace

std::string hash_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

ojson point_identity(const Point& p) {
  ojson r;
  r["id"] = p.id;
  r["network"] = p.net->name;
  r["config"] = p.cfg->name;
  r["block"] = p.block;
  r["sparsity"] = p.sparsity;
  r["dense"] = p.dense;
  return r;
}

std::string point_label(const Point& p) {
  return fmt::format("{} | {} | {} | sparsity {}{}", p.net->name, p.cfg->name, p.block, fmt_level(p.sparsity), p.dense ? " (dense)" : "");
}

double read_estimate(const Point& p) {
  try {
    const nlohmann::json j = nlohmann::json::parse(util::read_file((fs::path(p.dir) / "estimate.json").string()));
    const double t = j.at("totals").at("total_us").get<double>();
    return std::isfinite(t) && t > 0 ? t : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

void plan_sweep(SweepPlan& plan, const std::string& grid_path, const std::string& out_dir, const std::string& shard,
                const std::string& prefilter_setting) {
  plan.grid_path = grid_path;
  plan.grid = read_grid(grid_path);
  const Grid& grid = plan.grid;
  const fs::path dir = fs::absolute(fs::path(out_dir)).lexically_normal();
  plan.dir = dir.string();
  for (const char* sub : {"configs", "bundles", "points"}) {
    std::error_code ec;
    fs::create_directories(dir / sub, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create folder '{}': {}", (dir / sub).string(), ec.message()));
  }
  // Resolved configs, one file each (named by the hash of the text).
  plan.cfgs = grid.cfgs;
  std::vector<CfgSpec>& cfgs = plan.cfgs;
  for (auto& c : cfgs) {
    c.path = (dir / "configs" / (hash_hex(c.text) + ".json")).string();
    std::string old;
    try {
      old = util::read_file(c.path);
    } catch (const util::FileError&) {
    }
    if (old != c.text) util::write_file_atomic(c.path, c.text);
  }
  std::vector<BundleJob>& bundles = plan.bundles;
  std::vector<Point>& points = plan.points;
  std::vector<size_t>& todo = plan.todo;
  std::set<size_t>& needed_bundles = plan.needed_bundles;
  size_t& reused = plan.reused;
  size_t& skipped = plan.skipped;
  uint32_t& shard_i = plan.shard_i;
  uint32_t& shard_n = plan.shard_n;

  // Bundles: one per zoo network x block x sparsity level built (level 0 compiles --dense the
  // bundle of the smallest non-zero level, or a zoo bundle at sparsity 0 if there is none).
  double dense_source = 0;
  for (double s : grid.levels)
    if (s > 0 && (dense_source == 0 || s < dense_source)) dense_source = s;
  std::map<std::string, size_t> bundle_index;
  auto bundle_for = [&](const NetSpec& n, const std::string& block, double level) -> size_t {
    std::string key;
    BundleJob b;
    if (n.zoo) {
      const double s = level > 0 ? level : dense_source;
      ojson k{{"zoo", n.model}, {"width_div", n.width_div}, {"input_size", n.input_size}, {"seed", n.seed},
              {"sparsity", fmt::format("{:.6g}", s)}, {"block", block}};
      key = k.dump();
      b.dir = (dir / "bundles" / (n.model + "-" + hash_hex(key).substr(0, 12))).string();
      b.label = fmt::format("{} sparsity {} block {}", n.name, fmt_level(s), block);
      b.argv = {"zoo", n.model, "--sparsity", fmt::format("{:.6g}", s), "--block", block, "--width-div", std::to_string(n.width_div),
                "--input-size", std::to_string(n.input_size), "--seed", std::to_string(n.seed)};
    } else {
      key = "bundle:" + n.bundle;
      b.dir = n.bundle;
      b.label = n.name;
    }
    auto it = bundle_index.find(key);
    if (it != bundle_index.end()) return it->second;
    bundles.push_back(b);
    return bundle_index[key] = bundles.size() - 1;
  };

  // Points in grid order: network, config, block, sparsity.
  ojson sim_canon{{"random_inputs", grid.sim.random_inputs}, {"seed", grid.sim.seed}, {"timing_only", grid.sim.timing_only},
                  {"max_cycles", grid.sim.max_cycles}};
  for (const auto& n : grid.nets)
    for (const auto& c : cfgs)
      for (const auto& blk : n.zoo ? grid.blocks : std::vector<std::string>{"bundle"})
        for (double s : grid.levels) {
          if (!n.zoo && s != 0 && s != n.bundle_sparsity) continue;  // a bundle has one sparsity level
          Point p;
          p.index = points.size();
          p.net = &n;
          p.cfg = &c;
          p.block = blk;
          p.sparsity = s;
          p.dense = s == 0;
          p.bundle = bundle_for(n, blk, s);
          const ojson recipe = bundles[p.bundle].argv.empty() ? ojson(bundles[p.bundle].dir) : ojson(bundles[p.bundle].argv);
          ojson canon{{"bundle", recipe},
                      {"config", hash_hex(c.text)}, {"dense", p.dense}, {"simulate", sim_canon}};
          p.id = hash_hex(canon.dump());
          p.dir = (dir / "points" / p.id).string();
          points.push_back(std::move(p));
        }
  if (points.empty()) throw std::runtime_error(fmt::format("grid {}: no points (bundle networks run only at sparsity 0 and at their own level)", grid_path));

  // Reuse finished points. A point skipped by the prefilter is finished only for an array task given
  // the same --prefilter (its submitter decided); any other run decides again (or runs it).
  for (auto& p : points) {
    p.estimate_us = read_estimate(p);
    const fs::path rf = fs::path(p.dir) / "result.json";
    if (fs::is_regular_file(rf)) {
      try {
        ojson r = ojson::parse(util::read_file(rf.string()));
        const bool skip_record = r.value("status", "") == kSkipped;
        if (skip_record && r.value("id", "") == p.id && !shard.empty() && !prefilter_setting.empty() && r.value("prefilter", "") == prefilter_setting) {
          p.result = r;
          p.skipped = true;
          ++skipped;
          continue;
        }
        if (r.value("id", "") == p.id && r.contains("status") && !skip_record) {
          p.result = r;
          p.reused = true;
          ++reused;
          continue;
        }
      } catch (const std::exception&) {
      }
    }
    todo.push_back(p.index);
    needed_bundles.insert(p.bundle);
  }
  // An array task runs its shard only: the points whose index % N == I (a stable split that does
  // not depend on which points other tasks finished already); bundles come from the submitter.
  if (!shard.empty()) {
    unsigned long i = 0, n = 0;
    char tail = 0;
    if (std::sscanf(shard.c_str(), "%lu/%lu%c", &i, &n, &tail) != 2 || n == 0 || i >= n)
      throw std::runtime_error(fmt::format("--shard '{}' is not I/N with 0 <= I < N", shard));
    shard_i = static_cast<uint32_t>(i);
    shard_n = static_cast<uint32_t>(n);
    std::vector<size_t> mine;
    needed_bundles.clear();
    for (size_t k : todo)
      if (k % shard_n == shard_i) {
        mine.push_back(k);
        needed_bundles.insert(points[k].bundle);
      }
    todo = mine;
  }
}

}  // namespace saie::driver::sweep
