// grid.cpp — see grid.h.
#include "driver/sweep/grid.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "hw/config/array_config.h"
#include "model/ir/block_shape.h"
#include "model/zoo_names.h"
#include "util/file_io.h"

namespace saie::driver::sweep {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

// Strict reader: every error is one line naming the grid file and the key path.
struct GridReader {
  std::string file;

  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw std::runtime_error(fmt::format("grid {}: key '{}': {}", file, path, msg));
  }
  void keys(const ojson& o, const std::string& path, std::initializer_list<const char*> allowed) const {
    if (!o.is_object()) fail(path, "must be an object");
    for (auto it = o.begin(); it != o.end(); ++it) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || it.key() == a;
      if (!ok) fail(path.empty() ? it.key() : path + "." + it.key(), "unknown key");
    }
  }
  std::string str(const ojson& v, const std::string& path) const {
    if (!v.is_string() || v.get<std::string>().empty()) fail(path, "must be a non-empty string");
    return v.get<std::string>();
  }
  uint64_t uint(const ojson& v, const std::string& path, uint64_t lo, uint64_t hi) const {
    if (!v.is_number_integer()) fail(path, "must be an integer");
    if (v.is_number_unsigned() ? false : v.get<int64_t>() < 0) fail(path, fmt::format("value {} out of range {}..{}", v.dump(), lo, hi));
    const uint64_t x = v.get<uint64_t>();
    if (x < lo || x > hi) fail(path, fmt::format("value {} out of range {}..{}", x, lo, hi));
    return x;
  }
  double num(const ojson& v, const std::string& path, double lo, double hi) const {
    if (!v.is_number()) fail(path, "must be a number");
    const double x = v.get<double>();
    if (!(x >= lo && x <= hi)) fail(path, fmt::format("value {} out of range {:g}..{:g}", v.dump(), lo, hi));
    return x;
  }
  bool boolean(const ojson& v, const std::string& path) const {
    if (!v.is_boolean()) fail(path, "must be true or false");
    return v.get<bool>();
  }
  const ojson& array(const ojson& v, const std::string& path) const {
    if (!v.is_array() || v.empty()) fail(path, "must be a non-empty array");
    return v;
  }
};

std::string value_text(const ojson& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

CfgSpec read_config(const GridReader& r, const ojson& item, const std::string& path) {
  CfgSpec c;
  ojson overrides = ojson::object();
  std::string given_name;
  if (item.is_string()) {
    c.preset = r.str(item, path);
  } else {
    r.keys(item, path, {"name", "preset", "overrides"});
    if (!item.contains("preset")) r.fail(path + ".preset", "missing");
    c.preset = r.str(item.at("preset"), path + ".preset");
    if (item.contains("name")) given_name = r.str(item.at("name"), path + ".name");
    if (item.contains("overrides")) {
      overrides = item.at("overrides");
      if (!overrides.is_object()) r.fail(path + ".overrides", "must be an object of config key paths, e.g. {\"array.columns\": 3}");
    }
  }
  config::ArrayConfig base;
  try {
    base = config::load_config(c.preset);
  } catch (const std::exception& e) {
    r.fail(path + ".preset", e.what());
  }
  ojson j = ojson::parse(config::to_json(base));
  std::string label;
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string& key = it.key();
    const std::string kpath = path + ".overrides." + key;
    if (key == "name" || key == "schema_version" || key == "description" || key == "sources" || key.rfind("sources.", 0) == 0)
      r.fail(kpath, "cannot be overridden");
    ojson* node = &j;
    size_t start = 0;
    while (true) {
      const size_t dot = key.find('.', start);
      const std::string seg = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (seg.empty() || !node->is_object() || !node->contains(seg)) r.fail(kpath, "not a config key (docs/config-format.md)");
      node = &(*node)[seg];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (node->is_object()) r.fail(kpath, "names a section, not a value");
    *node = it.value();
    if (!label.empty()) label += ";";
    label += key + "=" + value_text(it.value());
  }
  c.overrides = label;
  c.name = !given_name.empty() ? given_name : (label.empty() ? base.name : base.name + "+" + label);
  j["name"] = c.name;
  if (!label.empty()) {
    j["description"] = "sweep: " + base.name + " with " + label;
    if (j.contains("sources") && j["sources"].is_object())
      for (auto it = overrides.begin(); it != overrides.end(); ++it) j["sources"][it.key()] = "sweep override of preset " + base.name;
  }
  try {
    const config::ArrayConfig resolved = config::parse_config_json(j.dump(2), "grid " + path);
    c.text = config::to_json(resolved);
    c.tiles = resolved.columns * resolved.core_rows;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("grid {}: {}", r.file, e.what()));
  }
  return c;
}

NetSpec read_network(const GridReader& r, const ojson& item, const std::string& path, const fs::path& grid_dir) {
  NetSpec n;
  if (!item.is_object()) r.fail(path, "must be an object with 'zoo' or 'bundle'");
  if (item.contains("zoo")) {
    r.keys(item, path, {"name", "zoo", "width_div", "input_size", "seed"});
    n.zoo = true;
    n.model = r.str(item.at("zoo"), path + ".zoo");
    const auto& models = model::zoo_model_names();
    if (std::find(models.begin(), models.end(), n.model) == models.end())
      r.fail(path + ".zoo", "'" + n.model + "' is not one of " + model::zoo_model_list());
    if (item.contains("width_div")) n.width_div = static_cast<uint32_t>(r.uint(item.at("width_div"), path + ".width_div", 1, 64));
    if (item.contains("input_size")) n.input_size = static_cast<uint32_t>(r.uint(item.at("input_size"), path + ".input_size", 32, 1024));
    if (item.contains("seed")) n.seed = r.uint(item.at("seed"), path + ".seed", 0, UINT64_MAX);
    n.name = n.model;
    if (n.width_div != 1) n.name += fmt::format("/w{}", n.width_div);
    if (n.input_size != 224) n.name += fmt::format("/i{}", n.input_size);
    if (n.seed != 1) n.name += fmt::format("/s{}", n.seed);
  } else if (item.contains("bundle")) {
    r.keys(item, path, {"name", "bundle", "sparsity"});
    n.zoo = false;
    fs::path b = r.str(item.at("bundle"), path + ".bundle");
    if (b.is_relative()) b = grid_dir / b;
    b = b.lexically_normal();
    if (!fs::is_regular_file(b / "model.json")) r.fail(path + ".bundle", "'" + b.string() + "' is not a bundle folder (no model.json)");
    n.bundle = b.string();
    if (!item.contains("sparsity")) r.fail(path + ".sparsity", "missing (the sparsity level the bundle was built at)");
    n.bundle_sparsity = r.num(item.at("sparsity"), path + ".sparsity", 0.0, 0.95);
    n.name = b.filename().string();
  } else {
    r.fail(path, "needs 'zoo' (a zoo network) or 'bundle' (a bundle folder)");
  }
  if (item.contains("name")) n.name = r.str(item.at("name"), path + ".name");
  return n;
}

}  // namespace

Grid read_grid(const std::string& file) {
  GridReader r{file};
  ojson g;
  try {
    g = ojson::parse(util::read_file(file));
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(fmt::format("grid {}: not valid JSON: {}", file, e.what()));
  }
  r.keys(g, "", {"description", "networks", "configs", "sparsity", "block", "simulate"});
  Grid grid;
  const fs::path grid_dir = fs::absolute(fs::path(file)).parent_path();
  if (!g.contains("networks")) r.fail("networks", "missing");
  if (!g.contains("configs")) r.fail("configs", "missing");
  std::set<std::string> names;
  const ojson& nets = r.array(g.at("networks"), "networks");
  for (size_t i = 0; i < nets.size(); ++i) {
    grid.nets.push_back(read_network(r, nets[i], fmt::format("networks[{}]", i), grid_dir));
    if (!names.insert(grid.nets.back().name).second) r.fail(fmt::format("networks[{}].name", i), "duplicate network name '" + grid.nets.back().name + "'");
  }
  names.clear();
  const ojson& cfgs = r.array(g.at("configs"), "configs");
  for (size_t i = 0; i < cfgs.size(); ++i) {
    grid.cfgs.push_back(read_config(r, cfgs[i], fmt::format("configs[{}]", i)));
    if (!names.insert(grid.cfgs.back().name).second) r.fail(fmt::format("configs[{}]", i), "duplicate config name '" + grid.cfgs.back().name + "'");
  }
  if (g.contains("sparsity")) {
    const ojson& s = r.array(g.at("sparsity"), "sparsity");
    for (size_t i = 0; i < s.size(); ++i) {
      const double x = r.num(s[i], fmt::format("sparsity[{}]", i), 0.0, 0.95);
      if (std::find(grid.levels.begin(), grid.levels.end(), x) != grid.levels.end()) r.fail(fmt::format("sparsity[{}]", i), "duplicate level");
      grid.levels.push_back(x);
    }
  } else {
    grid.levels = {0.5};
  }
  if (g.contains("block")) {
    const ojson& b = r.array(g.at("block"), "block");
    for (size_t i = 0; i < b.size(); ++i) {
      const std::string s = r.str(b[i], fmt::format("block[{}]", i));
      try {
        ir::parse_block_shape(s);
      } catch (const std::invalid_argument& e) {
        r.fail(fmt::format("block[{}]", i), e.what());
      }
      if (std::find(grid.blocks.begin(), grid.blocks.end(), s) != grid.blocks.end()) r.fail(fmt::format("block[{}]", i), "duplicate block");
      grid.blocks.push_back(s);
    }
  } else {
    grid.blocks = {"8x8"};
  }
  if (g.contains("simulate")) {
    const ojson& s = g.at("simulate");
    r.keys(s, "simulate", {"random_inputs", "seed", "timing_only", "max_cycles"});
    if (s.contains("random_inputs")) grid.sim.random_inputs = static_cast<uint32_t>(r.uint(s.at("random_inputs"), "simulate.random_inputs", 1, 10000));
    if (s.contains("seed")) grid.sim.seed = r.uint(s.at("seed"), "simulate.seed", 0, UINT64_MAX);
    if (s.contains("timing_only")) grid.sim.timing_only = r.boolean(s.at("timing_only"), "simulate.timing_only");
    if (s.contains("max_cycles")) grid.sim.max_cycles = r.uint(s.at("max_cycles"), "simulate.max_cycles", 0, UINT64_MAX);
  }
  return grid;
}

}  // namespace saie::driver::sweep
