// sweep_command.cpp — `sparseaie sweep` (see sweep_command.h, docs/sweep.md).
//
// Every step of a point (zoo, compile, simulate) runs as a child process of this same binary
// (/proc/self/exe): SystemC allows one simulation per process, and a crash or an error in one
// point then stays in that point. Children get SIGKILL when the sweep dies (PR_SET_PDEATHSIG), so a
// killed sweep leaves no orphans writing into its folder; a rerun redoes every point without a
// result.json.
#include "util/file_io.h"
#include "cli/sweep_command.h"

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "hw/config/array_config.h"
#include "model/ir/block_shape.h"
#include "traces/sinks.h"

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace saie::cli {
namespace {

// ---- small helpers ---------------------------------------------------------------------------

std::string hash_hex(const std::string& s) {  // FNV-1a 64: stable across runs and machines
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read '{}'", p.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::mutex g_print_mutex;
void say(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_print_mutex);
  std::fflush(stdout);
  std::fprintf(stderr, "[sweep] %s\n", line.c_str());
  std::fflush(stderr);
}

std::string fmt_level(double s) { return fmt::format("{:g}", s); }

// ---- the grid ----------------------------------------------------------------------------------

struct NetSpec {
  std::string name;
  bool zoo = true;
  std::string model;             // zoo model
  uint32_t width_div = 1, input_size = 224;
  uint64_t seed = 1;
  std::string bundle;            // bundle network: absolute folder
  double bundle_sparsity = 0;    // the level the bundle was built at
};

struct CfgSpec {
  std::string name, preset, overrides;  // overrides: "key=value;key=value" ("" = none)
  std::string text;                     // resolved config (config::to_json)
  std::string path;                     // DIR/configs/<hash>.json
  uint32_t tiles = 0;                   // compute tiles: columns x core_rows
};

struct SimSpec {
  uint32_t random_inputs = 1;
  uint64_t seed = 1;
  bool timing_only = true;
  uint64_t max_cycles = 0;
};

struct Grid {
  std::vector<NetSpec> nets;
  std::vector<CfgSpec> cfgs;
  std::vector<double> levels;
  std::vector<std::string> blocks;
  SimSpec sim;
};

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
    static const std::set<std::string> models{"inception_v3", "resnet50", "vgg16", "vgg16_features"};
    if (!models.count(n.model)) r.fail(path + ".zoo", "'" + n.model + "' is not one of inception_v3, resnet50, vgg16, vgg16_features");
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

Grid read_grid(const std::string& file) {
  GridReader r{file};
  ojson g;
  try {
    g = ojson::parse(read_text(file));
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

// ---- points and bundles ---------------------------------------------------------------------------

struct BundleJob {
  std::string label;             // for progress lines
  std::vector<std::string> argv; // zoo arguments (after the binary); empty for bundle networks
  std::string dir;               // the bundle folder
  bool ok = false;
  std::string reason;
};

struct Point {
  size_t index = 0;
  const NetSpec* net = nullptr;
  const CfgSpec* cfg = nullptr;
  std::string block;             // "bundle" for bundle networks
  double sparsity = 0;
  bool dense = false;
  size_t bundle = 0;             // index into the bundle jobs
  std::string id, dir;
  ojson result;                  // status + metrics (result.json), null until done
  bool reused = false;
  double estimate_us = -1;       // analytical estimate (DIR/points/<id>/estimate.json), < 0 = none
  bool skipped = false;          // skipped by --prefilter in this run
};

// Exit status of a child running this binary with args, stdout+stderr to log_path: its exit code,
// 128 + signal if it was killed, 127 if it could not be started.
int run_child(const std::string& exe, const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> all;
  all.push_back(exe);
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open log '{}': {}", log_path, std::strerror(errno)));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {  // child: async-signal-safe calls only
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  if (null_fd >= 0) ::close(null_fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

// The one-line reason of a failed child: its last "error: ..." line, else its last line.
std::string failure_reason(const std::string& log_path, int code) {
  std::string last, err;
  try {
    std::istringstream in(read_text(log_path));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      last = line;
      if (line.rfind("error: ", 0) == 0) err = line.substr(7);
    }
  } catch (const std::exception&) {
  }
  std::string r = !err.empty() ? err : last;
  if (code >= 128) r = fmt::format("killed by signal {}", code - 128);
  if (r.empty()) r = fmt::format("exit status {}", code);
  std::replace(r.begin(), r.end(), '\n', ' ');
  if (r.size() > 400) r = r.substr(0, 400) + "...";
  return r;
}

void run_bundle(const std::string& exe, BundleJob& b) {
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
  const int code = run_child(exe, args, log);
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

const char* const kSkipped = "skipped-by-prefilter";

// The fields that name a point in its result.json (before status, reason and metrics).
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
  int code = run_child(exe, cargs, p.dir + "/compile.log");
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
  code = run_child(exe, sargs, p.dir + "/simulate.log");
  const double simulate_s = seconds_since(t0);
  if (code != 0) {
    ojson r = failed("sim-failed", failure_reason(p.dir + "/simulate.log", code));
    r["compile_s"] = compile_s;
    r["simulate_s"] = simulate_s;
    return r;
  }
  ojson r;
  try {
    const nlohmann::json s = nlohmann::json::parse(read_text(out + "/summary.json"));
    r["status"] = "ok";
    r["reason"] = "";
    r["total_cycles"] = s.at("total_cycles").get<uint64_t>();
    r["cycles_per_inference"] = s.at("cycles_per_inference").get<uint64_t>();
    r["time_us"] = s.at("seconds_per_inference").get<double>() * 1e6;
    for (const char* k : {"bytes_ddr_to_mem", "bytes_mem_to_ddr", "bytes_mem_to_core", "bytes_core_to_mem", "core_compute_cycles",
                          "memtile_bytes_peak", "core_bytes_peak"})
      r[k] = s.at(k).get<uint64_t>();
    r["core_utilisation"] = s.at("core_utilisation").get<double>();
    const auto& st = s.at("stalls");
    r["stall_lock_cycles"] = st.at("lock").get<uint64_t>();
    r["stall_data_cycles"] = st.at("data").get<uint64_t>();
    r["stall_output_space_cycles"] = st.at("output_space").get<uint64_t>();
  } catch (const std::exception& e) {
    r = failed("sim-failed", std::string("cannot read summary.json: ") + e.what());
  }
  r["compile_s"] = compile_s;
  r["simulate_s"] = simulate_s;
  return r;
}

// The table's columns, in order; metrics of failed points are null (empty in the CSV).
const std::vector<std::string> kMetrics{"total_cycles",      "cycles_per_inference", "time_us",
                                        "bytes_ddr_to_mem",  "bytes_mem_to_ddr",     "bytes_mem_to_core",
                                        "bytes_core_to_mem", "core_compute_cycles",  "core_utilisation",
                                        "stall_lock_cycles", "stall_data_cycles",    "stall_output_space_cycles",
                                        "memtile_bytes_peak", "core_bytes_peak",     "compile_s",
                                        "simulate_s"};

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
  for (const auto& k : kMetrics) {
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

void write_results(const fs::path& dir, const std::string& grid_path, const std::vector<Point>& points) {
  ojson rows = ojson::array();
  size_t ok = 0, skipped = 0;
  for (const auto& p : points) {
    rows.push_back(table_row(p));
    ok += rows.back()["status"] == "ok";
    skipped += rows.back()["status"] == kSkipped;
  }
  ojson j;
  j["grid"] = grid_path;
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

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this binary (/proc/self/exe): " + ec.message());
  return p.string();
}

// Runs fn(i) for i in 0..n-1 on `jobs` threads.
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

// The full path of a program found on PATH ("" if none).
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream in(path ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(in, d, ':');) {
    const fs::path f = fs::path(d.empty() ? "." : d) / name;
    if (::access(f.c_str(), X_OK) == 0) return f.string();
  }
  return "";
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// ---- --plots ------------------------------------------------------------------------------------

// The plot script: $SAIE_SWEEP_PLOTS if set, else scripts/sweep-plots of the source tree this binary
// was built from (SAIE_SCRIPTS_DIR if the build defines it, else next to SAIE_CONFIG_DIR).
std::string plots_script() {
  if (const char* e = std::getenv("SAIE_SWEEP_PLOTS"); e && *e) return e;
#if defined(SAIE_SCRIPTS_DIR)
  return std::string(SAIE_SCRIPTS_DIR) + "/sweep-plots";
#elif defined(SAIE_CONFIG_DIR)
  return (fs::path(SAIE_CONFIG_DIR).parent_path() / "scripts" / "sweep-plots").string();
#else
  return "";
#endif
}

// SCRIPT DIR (writes DIR/plots/*.png), run directly when it is executable (scripts/sweep-plots
// names /usr/bin/python3, where Debian's matplotlib is), else through python3 on PATH. A failure is
// a warning line, never a sweep failure.
void run_plots(const fs::path& dir) {
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
      const int code = exec ? run_child(script, {dir.string()}, log) : run_child(python, {script, dir.string()}, log);
      if (code != 0) why = failure_reason(log, code) + " (" + log + ")";
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (!why.empty()) {
    say("warning: plots not made: " + why);
    return;
  }
  fmt::print("plots                   : {}/plots/\n", dir.string());
}

// ---- --prefilter estimate[:FACTOR] ------------------------------------------------------------

struct Prefilter {
  bool on = false;
  double factor = 2;
  std::string setting;  // canonical, e.g. "estimate:2"; stored in a skipped point's result.json
};

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

// The point's analytical estimate in us (totals.total_us of DIR/points/<id>/estimate.json), -1 if none.
double read_estimate(const Point& p) {
  try {
    const nlohmann::json j = nlohmann::json::parse(read_text(fs::path(p.dir) / "estimate.json"));
    const double t = j.at("totals").at("total_us").get<double>();
    return std::isfinite(t) && t > 0 ? t : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

std::string point_label(const Point& p) {
  return fmt::format("{} | {} | {} | sparsity {}{}", p.net->name, p.cfg->name, p.block, fmt_level(p.sparsity), p.dense ? " (dense)" : "");
}

// Estimates every point that has none (`sparseaie estimate ... --json DIR/points/<id>/estimate.json`,
// cached), then skips each point to run that another point of the same network and sparsity level
// dominates: no more compute tiles and an estimate at most 1/FACTOR of its own. A skipped point's
// result.json records the setting, so array tasks given the same --prefilter treat it as finished,
// while any other run decides again (a skip is never reused as such). Returns the points skipped.
size_t apply_prefilter(const Prefilter& pf, const std::string& exe, uint32_t jobs, std::vector<Point>& points,
                       std::vector<BundleJob>& bundles, std::vector<size_t>& todo, std::set<size_t>& needed_bundles) {
  std::vector<size_t> need;
  std::set<size_t> est_bundles;
  for (const auto& p : points) {
    if (p.estimate_us >= 0) continue;
    if (p.reused && p.result.value("status", "") == "compile-failed") continue;  // cannot compile: no estimate
    need.push_back(p.index);
    est_bundles.insert(p.bundle);
  }
  std::vector<size_t> blist(est_bundles.begin(), est_bundles.end());
  parallel_for(blist.size(), jobs, [&](size_t i) { run_bundle(exe, bundles[blist[i]]); });
  std::atomic<size_t> est_failed{0};
  parallel_for(need.size(), jobs, [&](size_t i) {
    Point& p = points[need[i]];
    const BundleJob& b = bundles[p.bundle];
    if (!b.ok) return;
    std::error_code ec;
    fs::create_directories(p.dir, ec);
    std::vector<std::string> args{"estimate", b.dir, "--config", p.cfg->path, "--json", p.dir + "/estimate.json"};
    if (p.dense) args.push_back("--dense");
    const int code = run_child(exe, args, p.dir + "/estimate.log");
    p.estimate_us = code == 0 ? read_estimate(p) : -1;
    if (p.estimate_us < 0) ++est_failed;
  });

  std::vector<size_t> keep;
  size_t skipped = 0;
  for (size_t k : todo) {
    Point& p = points[k];
    const Point* dom = nullptr;
    if (p.estimate_us > 0)
      for (const auto& q : points) {
        if (&q == &p || q.net != p.net || q.sparsity != p.sparsity || q.estimate_us <= 0) continue;
        if (q.reused && q.result.value("status", "") != "ok") continue;  // already failed: not a reference
        if (q.cfg->tiles > p.cfg->tiles || q.estimate_us > p.estimate_us / pf.factor) continue;
        if (!dom || q.estimate_us < dom->estimate_us) dom = &q;
      }
    const fs::path rf = fs::path(p.dir) / "result.json";
    std::error_code ec;
    if (!dom) {  // runs; a skip recorded by an earlier run (another factor, another grid) is void
      fs::remove(rf, ec);
      keep.push_back(k);
      continue;
    }
    ojson r = point_identity(p);
    r["status"] = kSkipped;
    r["reason"] = fmt::format("estimate {:.2f} us >= {:g} x {:.2f} us, the estimate of point {} ({}, id {}) with {} <= {} compute tiles",
                              p.estimate_us, pf.factor, dom->estimate_us, dom->index, dom->cfg->name + (dom->block == p.block ? "" : " block " + dom->block),
                              dom->id, dom->cfg->tiles, p.cfg->tiles);
    r["prefilter"] = pf.setting;
    r["estimate_us"] = p.estimate_us;
    r["dominated_by"] = dom->id;
    const std::string text = r.dump(2) + "\n";
    std::string old;
    try {
      old = read_text(rf);
    } catch (const std::exception&) {
    }
    if (old != text) {
      util::write_file_atomic(rf.string(), text);
      say(fmt::format("skipped by the prefilter: {}: {}", point_label(p), r["reason"].get<std::string>()));
    }
    p.result = r;
    p.skipped = true;
    ++skipped;
  }
  todo = keep;
  needed_bundles.clear();
  for (size_t k : todo) needed_bundles.insert(points[k].bundle);
  say(fmt::format("prefilter {}: {} estimates computed{}, {} points skipped, {} to run", pf.setting, need.size(),
                  est_failed ? fmt::format(" ({} failed: those points are not filtered)", est_failed.load()) : "", skipped, todo.size()));
  return skipped;
}

// --backend slurm: bundles are built here (once), then a job array runs the points, task I the
// points whose index % N == I (`sweep ... --shard I/N`, each point recorded in its result.json as
// locally); after the array (sbatch --wait) the table is merged from those files.
int run_on_slurm(const SweepArgs& a, const fs::path& dir, const std::string& exe, std::vector<Point>& points,
                 std::vector<BundleJob>& bundles, const std::set<size_t>& needed_bundles, const std::vector<size_t>& todo,
                 size_t reused, size_t skipped, uint32_t jobs, std::chrono::steady_clock::time_point t_start) {
  const std::string sbatch = find_on_path("sbatch");
  if (sbatch.empty()) throw std::runtime_error("--backend slurm: sbatch not found on PATH (install slurm-wlm, or use --backend local)");
  say(fmt::format("{} points; {} reused from an earlier run, {}{} to run on Slurm; folder {}", points.size(), reused,
                  a.prefilter.empty() ? "" : fmt::format("{} skipped by the prefilter, ", skipped), todo.size(), dir.string()));
  if (!todo.empty()) {
    std::vector<size_t> blist(needed_bundles.begin(), needed_bundles.end());
    parallel_for(blist.size(), jobs, [&](size_t i) { run_bundle(exe, bundles[blist[i]]); });
    const uint32_t tasks = static_cast<uint32_t>(
        std::min<size_t>(a.slurm_tasks ? a.slurm_tasks : std::min<size_t>(todo.size(), 1000), points.size()));
    const fs::path sdir = dir / "slurm";
    std::error_code ec;
    fs::create_directories(sdir, ec);
    std::string script = "#!/bin/bash\n# written by sparseaie sweep --backend slurm (docs/sweep.md)\n";
    script += "#SBATCH --job-name=saie-sweep\n";
    script += fmt::format("#SBATCH --array=0-{}\n", tasks - 1);
    script += "#SBATCH --cpus-per-task=1\n";
    script += "#SBATCH --output=" + (sdir / "task-%a.log").string() + "\n";
    for (const auto& o : a.slurm_options) script += "#SBATCH " + o + "\n";
    script += "export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 OPENBLAS_NUM_THREADS=1\n";
    // Tasks get the same --prefilter: they then take the skipped points' result.json as finished.
    script += fmt::format("exec {} sweep {} --out {} --jobs 1{} --shard \"$SLURM_ARRAY_TASK_ID/{}\"\n", shell_quote(exe),
                          shell_quote(fs::absolute(a.grid_path).string()), shell_quote(dir.string()),
                          a.prefilter.empty() ? "" : " --prefilter " + shell_quote(a.prefilter), tasks);
    const std::string script_path = (sdir / "sweep.sbatch").string();
    util::write_file_atomic(script_path, script);
    std::vector<std::string> args;
    if (!a.slurm_no_wait) args.push_back("--wait");
    args.push_back("--parsable");
    args.push_back(script_path);
    say(fmt::format("submitting {} array tasks: {} {}", tasks, sbatch, script_path));
    const std::string log = (sdir / "sbatch.log").string();
    const int code = run_child(sbatch, args, log);
    if (a.slurm_no_wait) {
      if (code != 0) throw std::runtime_error("sbatch failed: " + failure_reason(log, code));
      fmt::print("sweep                   : submitted {} array tasks (job {}); run the same sweep command again to merge "
                 "the table\n",
                 tasks, failure_reason(log, 0));
      return kOk;
    }
    if (code != 0) say(fmt::format("sbatch ended with status {}: {}", code, failure_reason(log, code)));
  }
  // Merge: every point's result.json (the tasks' and the earlier runs').
  size_t ok = 0, missing = 0, n_skipped = 0;
  for (auto& p : points) {
    const fs::path rf = fs::path(p.dir) / "result.json";
    ojson r;
    try {
      r = ojson::parse(read_text(rf));
    } catch (const std::exception&) {
    }
    if (r.is_object() && r.value("id", "") == p.id && r.contains("status")) {
      p.result = r;
    } else {
      ++missing;
      p.result = point_identity(p);
      p.result["status"] = "not-run";
      p.result["reason"] = "no result from its Slurm task (see " + (dir / "slurm").string() + "/task-*.log)";
    }
    ok += p.result["status"] == "ok";
    n_skipped += p.result["status"] == kSkipped;
  }
  write_results(dir, a.grid_path, points);
  fmt::print("sweep                   : {} points, {} ok, {} failed, {} skipped, {} reused, {} without a result (slurm, {:.1f} s)\n",
             points.size(), ok, points.size() - ok - n_skipped, n_skipped, reused, missing, seconds_since(t_start));
  fmt::print("results                 : {}/results.csv, {}/results.json\n", dir.string(), dir.string());
  if (a.plots) run_plots(dir);
  return kOk;
}

}  // namespace

void add_sweep_command(CLI::App& app, SweepArgs& a) {
  auto* c = app.add_subcommand("sweep", "compile + simulate over a grid of networks x array configs x sparsity levels x block shapes "
                                        "(local cores, resumable; docs/sweep.md)");
  c->add_option("grid", a.grid_path, "grid file (JSON, docs/sweep.md)")->required()->check(CLI::ExistingFile);
  c->add_option("--out,-o", a.out_dir, "sweep folder (results.csv, results.json, points/, bundles/, configs/)")->required();
  c->add_option("--jobs,-j", a.jobs, "points run at once (0 = number of cores)")->check(CLI::Range(0u, 1024u));
  c->add_option("--backend", a.backend, "local: run the points on this machine; slurm: submit them as a Slurm job array "
                                        "(sbatch; each task runs a shard, the table merges the same way)")
      ->check(CLI::IsMember({"local", "slurm"}));
  c->add_option("--slurm-tasks", a.slurm_tasks, "array tasks (0 = one per point to run, at most 1000)")->check(CLI::Range(0u, 100000u));
  c->add_option("--slurm-option", a.slurm_options, "extra #SBATCH option for the batch script, e.g. --partition=debug (repeatable)");
  c->add_flag("--no-wait", a.slurm_no_wait, "slurm: submit and return; run the same sweep command again later to merge the table");
  c->add_option("--prefilter", a.prefilter,
                "estimate[:FACTOR]: before simulating, estimate every point analytically (sparseaie estimate) and skip a point "
                "when a point of the same network and sparsity with no more compute tiles has an estimate FACTOR (default 2) "
                "times smaller");
  c->add_flag("--plots", a.plots, "after the table, run scripts/sweep-plots on the folder (PNG plots in DIR/plots/; "
                                  "a failure is a warning)");
  c->add_option("--shard", a.shard, "I/N: run only the points whose index % N == I and write no table (what each array task runs)");
}

int cmd_sweep(const SweepArgs& a) {
  const auto t_start = std::chrono::steady_clock::now();
  const Prefilter pf = parse_prefilter(a.prefilter);
  const Grid grid = read_grid(a.grid_path);
  const fs::path dir = fs::absolute(fs::path(a.out_dir)).lexically_normal();
  for (const char* sub : {"configs", "bundles", "points"}) {
    std::error_code ec;
    fs::create_directories(dir / sub, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot create folder '{}': {}", (dir / sub).string(), ec.message()));
  }
  const std::string exe = self_exe();
  uint32_t jobs = a.jobs ? a.jobs : std::max(1u, std::thread::hardware_concurrency());

  // Resolved configs, one file each (named by the hash of the text).
  std::vector<CfgSpec> cfgs = grid.cfgs;
  for (auto& c : cfgs) {
    c.path = (dir / "configs" / (hash_hex(c.text) + ".json")).string();
    if (!fs::exists(c.path) || read_text(c.path) != c.text) util::write_file_atomic(c.path, c.text);
  }

  // Bundles: one per zoo network x block x sparsity level built (level 0 compiles --dense the
  // bundle of the smallest non-zero level, or a zoo bundle at sparsity 0 if there is none).
  double dense_source = 0;
  for (double s : grid.levels)
    if (s > 0 && (dense_source == 0 || s < dense_source)) dense_source = s;
  std::vector<BundleJob> bundles;
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
  std::vector<Point> points;
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
  if (points.empty()) throw std::runtime_error(fmt::format("grid {}: no points (bundle networks run only at sparsity 0 and at their own level)", a.grid_path));

  // Reuse finished points. A point skipped by the prefilter is finished only for an array task given
  // the same --prefilter (its submitter decided); any other run decides again (or runs it).
  size_t reused = 0, skipped = 0;
  std::vector<size_t> todo;
  std::set<size_t> needed_bundles;
  for (auto& p : points) {
    p.estimate_us = read_estimate(p);
    const fs::path rf = fs::path(p.dir) / "result.json";
    if (fs::is_regular_file(rf)) {
      try {
        ojson r = ojson::parse(read_text(rf));
        const bool skip_record = r.value("status", "") == kSkipped;
        if (skip_record && r.value("id", "") == p.id && !a.shard.empty() && pf.on && r.value("prefilter", "") == pf.setting) {
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
  uint32_t shard_i = 0, shard_n = 0;
  if (!a.shard.empty()) {
    unsigned long i = 0, n = 0;
    char tail = 0;
    if (std::sscanf(a.shard.c_str(), "%lu/%lu%c", &i, &n, &tail) != 2 || n == 0 || i >= n)
      throw std::runtime_error(fmt::format("--shard '{}' is not I/N with 0 <= I < N", a.shard));
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
  if (pf.on && shard_n == 0) skipped = apply_prefilter(pf, exe, jobs, points, bundles, todo, needed_bundles);
  if (a.backend == "slurm" && shard_n == 0)
    return run_on_slurm(a, dir, exe, points, bundles, needed_bundles, todo, reused, skipped, jobs, t_start);
  say(fmt::format("{} points ({} networks x {} configs x {} block shapes x {} sparsity levels); {} reused from an earlier run, {}{} to "
                  "run on {} jobs; folder {}",
                  points.size(), grid.nets.size(), cfgs.size(), grid.blocks.size(), grid.levels.size(), reused,
                  pf.on ? fmt::format("{} skipped by the prefilter, ", skipped) : "", todo.size(), jobs, dir.string()));

  // Bundles first (each may serve many points), then the points.
  std::vector<size_t> blist(needed_bundles.begin(), needed_bundles.end());
  parallel_for(blist.size(), jobs, [&](size_t i) { run_bundle(exe, bundles[blist[i]]); });

  std::atomic<size_t> done{reused + skipped}, ok{0};
  for (const auto& p : points)
    if (p.reused && p.result.value("status", "") == "ok") ++ok;
  parallel_for(todo.size(), jobs, [&](size_t i) {
    Point& p = points[todo[i]];
    const BundleJob& b = bundles[p.bundle];
    ojson r;
    bool record = true;
    if (!b.ok) {
      r = failed("bundle-failed", b.reason);
      record = false;  // not a property of the point: a rerun tries again
    } else {
      try {
        r = run_point(exe, p, b, grid.sim);
      } catch (const std::exception& e) {
        r = failed("sweep-error", e.what());
        record = false;
      }
    }
    ojson stored = point_identity(p);
    for (auto it = r.begin(); it != r.end(); ++it) stored[it.key()] = it.value();
    p.result = stored;
    if (record) util::write_file_atomic(p.dir + "/result.json", stored.dump(2) + "\n");
    const bool is_ok = stored["status"] == "ok";
    if (is_ok) ++ok;
    const size_t d = ++done;
    say(fmt::format("{}/{} done: {}: {}", d, points.size(), point_label(p),
                    is_ok ? fmt::format("ok, {} cycles, {:.2f} us (compile {:.1f} s, simulate {:.1f} s)",
                                        stored["cycles_per_inference"].get<uint64_t>(), stored["time_us"].get<double>(),
                                        stored.value("compile_s", 0.0), stored.value("simulate_s", 0.0))
                          : stored["status"].get<std::string>() + ": " + stored["reason"].get<std::string>()));
  });

  if (shard_n > 0) {  // an array task: its points are recorded; the submitter writes the table
    fmt::print("sweep shard {}/{}       : {} points run ({:.1f} s)\n", shard_i, shard_n, todo.size(), seconds_since(t_start));
    return kOk;
  }
  write_results(dir, a.grid_path, points);
  const size_t n_ok = ok;
  fmt::print("sweep                   : {} points, {} ok, {} failed, {} skipped, {} reused ({:.1f} s)\n", points.size(), n_ok,
             points.size() - n_ok - skipped, skipped, reused, seconds_since(t_start));
  fmt::print("results                 : {}/results.csv, {}/results.json\n", dir.string(), dir.string());
  if (a.plots) run_plots(dir);
  return kOk;
}

}  // namespace saie::cli
