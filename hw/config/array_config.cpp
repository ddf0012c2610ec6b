// array_config.cpp — strict JSON loader and writer for ArrayConfig (schema in docs/config-format.md).
//
// The schema is one table (kFields): every leaf key with its JSON path, unit kind and range. The
// parser, the writer and the key checks all walk that table, so a key cannot be spelt one way in
// the reader and another in the writer.
#include "hw/config/array_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hw/config/units.h"

#ifndef SAIE_CONFIG_DIR
#define SAIE_CONFIG_DIR "configs"
#endif

namespace saie::config {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// How a leaf is written in the file and stored in the struct.
enum class Kind {
  Count,      // JSON integer -> uint32_t
  Cycles,     // JSON integer -> uint32_t (cycles; 0 allowed unless min says otherwise)
  Size64,     // "<n><size unit>" -> uint64_t bytes
  Size32,     // "<n><size unit>" -> uint32_t bytes
  Bandwidth,  // "<n><size unit>/s" -> double bytes per cycle (divided by the clock)
  Time,       // "<n><time unit>" -> uint32_t cycles (times the clock, rounded to nearest)
  Frequency,  // "<n><freq unit>" -> double Hz
};

struct Field {
  const char* path;
  Kind kind;
  double min;  // inclusive, in the struct's unit
  double max;  // inclusive, in the struct's unit
  void* (*ref)(ArrayConfig&);
};

#define SAIE_REF(member) [](ArrayConfig& c) -> void* { return &c.member; }

constexpr double kU32Max = 4294967295.0;
constexpr double kBig = 9007199254740992.0;  // 2^53

// Schema order = file order. The clock comes before everything that is converted with it.
const Field kFields[] = {
    {"array.columns", Kind::Count, 1, 64, SAIE_REF(columns)},
    {"array.core_rows", Kind::Count, 1, 16, SAIE_REF(core_rows)},
    {"array.mem_rows", Kind::Count, 1, 4, SAIE_REF(mem_rows)},
    {"clock", Kind::Frequency, 1e6, 1e11, SAIE_REF(clock_hz)},
    {"core.data_memory", Kind::Size64, 1, kU32Max, SAIE_REF(core.data_memory_bytes)},
    {"core.dma.mm2s_channels", Kind::Count, 1, 32, SAIE_REF(core.dma.mm2s_channels)},
    {"core.dma.s2mm_channels", Kind::Count, 1, 32, SAIE_REF(core.dma.s2mm_channels)},
    {"core.dma.bds", Kind::Count, 1, 1024, SAIE_REF(core.dma.bds)},
    {"core.dma.locks", Kind::Count, 1, 256, SAIE_REF(core.dma.locks)},
    {"core.costs.macs_per_cycle", Kind::Count, 1, 1e6, SAIE_REF(core.costs.macs_per_cycle)},
    {"core.costs.op_prologue_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(core.costs.op_prologue_cycles)},
    {"core.costs.block_overhead_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(core.costs.block_overhead_cycles)},
    {"core.costs.mac_pipeline_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(core.costs.mac_pipeline_cycles)},
    {"core.costs.requant_lanes", Kind::Count, 1, 1e6, SAIE_REF(core.costs.requant_lanes)},
    {"core.costs.pool_lanes", Kind::Count, 1, 1e6, SAIE_REF(core.costs.pool_lanes)},
    {"core.costs.add_lanes", Kind::Count, 1, 1e6, SAIE_REF(core.costs.add_lanes)},
    {"core.costs.mul_lanes", Kind::Count, 1, 1e6, SAIE_REF(core.costs.mul_lanes)},
    {"core.costs.lut_lanes", Kind::Count, 1, 1e6, SAIE_REF(core.costs.lut_lanes)},
    {"core.costs.dw_lanes", Kind::Count, 1, 1e6, SAIE_REF(core.costs.dw_lanes)},
    {"core.costs.lock_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(core.costs.lock_cycles)},
    {"memtile.memory", Kind::Size64, 1, kU32Max, SAIE_REF(memtile.memory_bytes)},
    {"memtile.dma.mm2s_channels", Kind::Count, 1, 32, SAIE_REF(memtile.dma.mm2s_channels)},
    {"memtile.dma.s2mm_channels", Kind::Count, 1, 32, SAIE_REF(memtile.dma.s2mm_channels)},
    {"memtile.dma.bds", Kind::Count, 1, 1024, SAIE_REF(memtile.dma.bds)},
    {"memtile.dma.locks", Kind::Count, 1, 256, SAIE_REF(memtile.dma.locks)},
    {"shim.dma.mm2s_channels", Kind::Count, 1, 32, SAIE_REF(shim.dma.mm2s_channels)},
    {"shim.dma.s2mm_channels", Kind::Count, 1, 32, SAIE_REF(shim.dma.s2mm_channels)},
    {"shim.dma.bds", Kind::Count, 1, 1024, SAIE_REF(shim.dma.bds)},
    {"shim.dma.locks", Kind::Count, 1, 256, SAIE_REF(shim.dma.locks)},
    {"stream.bandwidth", Kind::Bandwidth, 1e-6, 1e6, SAIE_REF(stream.bytes_per_cycle)},
    {"stream.fifo_depth", Kind::Size32, 1, 1 << 30, SAIE_REF(stream.fifo_depth_bytes)},
    {"stream.chunk", Kind::Size32, 1, 1 << 30, SAIE_REF(stream.chunk_bytes)},
    {"stream.hop_latency_cycles", Kind::Cycles, 0, 1e6, SAIE_REF(stream.hop_latency_cycles)},
    {"ddr.size", Kind::Size64, 1, kBig, SAIE_REF(ddr.size_bytes)},
    {"ddr.read_bandwidth", Kind::Bandwidth, 1e-6, 1e6, SAIE_REF(ddr.read_bytes_per_cycle)},
    {"ddr.write_bandwidth", Kind::Bandwidth, 1e-6, 1e6, SAIE_REF(ddr.write_bytes_per_cycle)},
    {"ddr.total_bandwidth", Kind::Bandwidth, 1e-6, 1e6, SAIE_REF(ddr.total_bytes_per_cycle)},
    {"ddr.latency", Kind::Time, 0, 1e9, SAIE_REF(ddr.latency_cycles)},
    {"control.phase_setup_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(control.phase_setup_cycles)},
    {"control.bd_setup_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(control.bd_setup_cycles)},
    {"control.write32_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(control.write32_cycles)},
    {"control.blockwrite_base_cycles", Kind::Cycles, 0, 1e9, SAIE_REF(control.blockwrite_base_cycles)},
    {"control.blockwrite_cycles_per_word", Kind::Cycles, 0, 1e9, SAIE_REF(control.blockwrite_cycles_per_word)},
    {"control.write_paths", Kind::Count, 0, 1024, SAIE_REF(control.write_paths)},
};
#undef SAIE_REF

// Top-level keys that are not in kFields (handled by hand).
const char* const kTopLevelExtras[] = {"schema_version", "name", "description", "sources"};

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char ch : path) {
    if (ch == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  parts.push_back(cur);
  return parts;
}

}  // namespace

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const Field& f : kFields) keys.push_back(f.path);
  return keys;
}

namespace {

const std::set<std::string>& leaf_paths() {
  static const std::set<std::string> s = [] {
    std::set<std::string> r;
    for (const Field& f : kFields) r.insert(f.path);
    return r;
  }();
  return s;
}

// Every proper prefix of a leaf path ("core", "core.dma", ...).
const std::set<std::string>& section_paths() {
  static const std::set<std::string> s = [] {
    std::set<std::string> r;
    for (const Field& f : kFields) {
      std::string p = f.path;
      for (size_t pos = p.find('.'); pos != std::string::npos; pos = p.find('.', pos + 1)) r.insert(p.substr(0, pos));
    }
    return r;
  }();
  return s;
}

std::string json_type_name(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number_integer()) return "an integer";
  if (j.is_number_float()) return "a number with a fraction";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return "an unknown value";
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

std::string fmt_num(double v) { return units::format_number(v); }

class Parser {
 public:
  explicit Parser(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
    if (key.empty()) throw ConfigError("config " + origin_ + ": " + one_line(msg));
    throw ConfigError("config " + origin_ + ": key '" + key + "': " + one_line(msg));
  }

  ArrayConfig parse(const std::string& text) {
    json root;
    try {
      root = json::parse(text);
    } catch (const json::parse_error& e) {
      fail("", std::string("invalid JSON: ") + e.what());
    }
    if (!root.is_object()) fail("", "top level must be an object, got " + json_type_name(root));
    check_unknown(root, "");

    ArrayConfig cfg;
    cfg.sources.clear();
    // schema_version first: a newer file should say so rather than fail on some renamed key.
    const json& ver = require(root, "schema_version");
    if (!ver.is_number_integer()) fail("schema_version", "expected an integer, got " + json_type_name(ver));
    if (ver.get<int64_t>() != kSchemaVersion) {
      fail("schema_version", "unsupported schema version " + std::to_string(ver.get<int64_t>()) +
                                 " (this build reads " + std::to_string(kSchemaVersion) + ")");
    }
    cfg.schema_version = kSchemaVersion;
    const json& name = require(root, "name");
    if (!name.is_string()) fail("name", "expected a string, got " + json_type_name(name));
    cfg.name = name.get<std::string>();
    if (cfg.name.empty()) fail("name", "must not be empty");
    if (root.contains("description")) {
      const json& d = root["description"];
      if (!d.is_string()) fail("description", "expected a string, got " + json_type_name(d));
      cfg.description = d.get<std::string>();
    }

    for (const Field& f : kFields) read_field(root, f, cfg);

    if (cfg.stream.chunk_bytes > cfg.stream.fifo_depth_bytes) {
      fail("stream.chunk", units::format_size(cfg.stream.chunk_bytes) + " is larger than stream.fifo_depth " +
                               units::format_size(cfg.stream.fifo_depth_bytes) + " (a chunk must fit in the FIFO)");
    }

    if (root.contains("sources")) {
      const json& s = root["sources"];
      if (!s.is_object()) fail("sources", "expected an object, got " + json_type_name(s));
      for (auto it = s.begin(); it != s.end(); ++it) {
        const std::string key = "sources." + it.key();
        if (!is_sourceable(it.key())) fail(key, "names no config key");
        if (!it.value().is_string()) fail(key, "expected a string, got " + json_type_name(it.value()));
        cfg.sources[it.key()] = it.value().get<std::string>();
      }
    }
    return cfg;
  }

 private:
  static bool is_sourceable(const std::string& k) {
    if (leaf_paths().count(k) || section_paths().count(k)) return true;
    return k == "name" || k == "description" || k == "schema_version";
  }

  // Rejects keys the schema does not know, depth first, in document (sorted) order.
  void check_unknown(const json& obj, const std::string& prefix) const {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string full = prefix.empty() ? it.key() : prefix + "." + it.key();
      if (prefix.empty() &&
          std::find(std::begin(kTopLevelExtras), std::end(kTopLevelExtras), it.key()) != std::end(kTopLevelExtras)) {
        continue;
      }
      if (leaf_paths().count(full)) continue;
      if (section_paths().count(full)) {
        if (!it.value().is_object()) fail(full, "expected an object, got " + json_type_name(it.value()));
        check_unknown(it.value(), full);
        continue;
      }
      fail(full, "unknown key");
    }
  }

  const json& require(const json& obj, const std::string& key) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(key, "missing");
    return *it;
  }

  // Walks the path; a missing section is reported at the section's own path.
  const json& find_leaf(const json& root, const std::string& path) const {
    const json* cur = &root;
    std::string sofar;
    for (const std::string& part : split_path(path)) {
      sofar = sofar.empty() ? part : sofar + "." + part;
      auto it = cur->find(part);
      if (it == cur->end()) fail(sofar, "missing");
      cur = &*it;
    }
    return *cur;
  }

  void check_range(const Field& f, double v, const std::string& shown) const {
    if (v < f.min || v > f.max) {
      std::string range;
      switch (f.kind) {
        case Kind::Count:
        case Kind::Cycles:
        case Kind::Time:
          range = fmt_num(f.min) + ".." + fmt_num(f.max);
          break;
        case Kind::Size32:
        case Kind::Size64:
          range = units::format_size(static_cast<uint64_t>(f.min)) + ".." + units::format_size(static_cast<uint64_t>(f.max));
          break;
        case Kind::Bandwidth:
          range = fmt_num(f.min) + ".." + fmt_num(f.max) + " bytes/cycle";
          break;
        case Kind::Frequency:
          range = units::format_frequency(f.min) + ".." + units::format_frequency(f.max);
          break;
      }
      fail(f.path, "value " + shown + " out of range " + range);
    }
  }

  void read_field(const json& root, const Field& f, ArrayConfig& cfg) const {
    const json& j = find_leaf(root, f.path);
    void* dst = f.ref(cfg);
    if (f.kind == Kind::Count || f.kind == Kind::Cycles) {
      if (!j.is_number_integer()) fail(f.path, "expected an integer, got " + json_type_name(j));
      const double v = j.is_number_unsigned() ? static_cast<double>(j.get<uint64_t>()) : static_cast<double>(j.get<int64_t>());
      const std::string shown = j.dump();
      check_range(f, v, shown);
      *static_cast<uint32_t*>(dst) = static_cast<uint32_t>(v);
      return;
    }
    if (!j.is_string()) fail(f.path, "expected a string with a unit, got " + json_type_name(j));
    const std::string s = j.get<std::string>();
    switch (f.kind) {
      case Kind::Frequency: {
        double hz = 0;
        if (!units::parse_frequency(s, &hz)) fail(f.path, "cannot parse \"" + s + "\" as a frequency (units Hz kHz MHz GHz)");
        check_range(f, hz, "\"" + s + "\"");
        *static_cast<double*>(dst) = hz;
        break;
      }
      case Kind::Size32:
      case Kind::Size64: {
        uint64_t b = 0;
        if (!units::parse_size(s, &b)) {
          fail(f.path, "cannot parse \"" + s + "\" as a size (whole bytes; units B KiB MiB GiB TiB KB MB GB TB)");
        }
        check_range(f, static_cast<double>(b), "\"" + s + "\"");
        if (f.kind == Kind::Size32) {
          *static_cast<uint32_t*>(dst) = static_cast<uint32_t>(b);
        } else {
          *static_cast<uint64_t*>(dst) = b;
        }
        break;
      }
      case Kind::Bandwidth: {
        double bps = 0;
        if (!units::parse_bandwidth(s, &bps)) fail(f.path, "cannot parse \"" + s + "\" as a bandwidth (<size>/s, e.g. 4GiB/s)");
        const double bpc = units::bandwidth_to_bytes_per_cycle(bps, cfg.clock_hz);
        check_range(f, bpc, "\"" + s + "\" (" + fmt_num(bpc) + " bytes/cycle)");
        *static_cast<double*>(dst) = bpc;
        break;
      }
      case Kind::Time: {
        double sec = 0;
        if (!units::parse_time(s, &sec)) fail(f.path, "cannot parse \"" + s + "\" as a time (units ps ns us ms s)");
        const double cycles = std::round(sec * cfg.clock_hz);
        check_range(f, cycles, "\"" + s + "\" (" + fmt_num(cycles) + " cycles)");
        *static_cast<uint32_t*>(dst) = static_cast<uint32_t>(units::time_to_cycles(sec, cfg.clock_hz));
        break;
      }
      default:
        break;
    }
  }

  std::string origin_;
};

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("config " + path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError("config " + path + ": read error");
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ArrayConfig parse_config_json(const std::string& text, const std::string& origin) { return Parser(origin).parse(text); }

ArrayConfig load_config_file(const std::string& path) {
  const std::string text = read_text_file(path);
  return parse_config_json(text, std::filesystem::path(path).filename().string());
}

std::vector<std::string> list_presets() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(SAIE_CONFIG_DIR, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

ArrayConfig load_config(const std::string& name_or_path) {
  if (ends_with(name_or_path, ".json") || name_or_path.find('/') != std::string::npos) {
    return load_config_file(name_or_path);
  }
  const std::string path = std::string(SAIE_CONFIG_DIR) + "/" + name_or_path + ".json";
  if (!std::filesystem::is_regular_file(path)) {
    std::string avail;
    for (const std::string& n : list_presets()) avail += (avail.empty() ? "" : ", ") + n;
    throw ConfigError("config '" + name_or_path + "': no such preset in " + SAIE_CONFIG_DIR +
                      " (available: " + (avail.empty() ? "none" : avail) + ")");
  }
  return load_config_file(path);
}

std::string to_json(const ArrayConfig& cfg_in) {
  ArrayConfig cfg = cfg_in;  // Field::ref needs a mutable object; we only read through it.
  ordered_json root;
  root["schema_version"] = cfg.schema_version;
  root["name"] = cfg.name;
  if (!cfg.description.empty()) root["description"] = cfg.description;
  for (const Field& f : kFields) {
    ordered_json* cur = &root;
    const std::vector<std::string> parts = split_path(f.path);
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      ordered_json& next = (*cur)[parts[i]];
      if (next.is_null()) next = ordered_json::object();
      cur = &next;
    }
    ordered_json& leaf = (*cur)[parts.back()];
    void* src = f.ref(cfg);
    switch (f.kind) {
      case Kind::Count:
      case Kind::Cycles:
        leaf = *static_cast<uint32_t*>(src);
        break;
      case Kind::Frequency:
        leaf = units::format_frequency(*static_cast<double*>(src));
        break;
      case Kind::Size32:
        leaf = units::format_size(*static_cast<uint32_t*>(src));
        break;
      case Kind::Size64:
        leaf = units::format_size(*static_cast<uint64_t*>(src));
        break;
      case Kind::Bandwidth:
        leaf = units::format_bandwidth(*static_cast<double*>(src), cfg.clock_hz);
        break;
      case Kind::Time:
        leaf = units::format_time_cycles(*static_cast<uint32_t*>(src), cfg.clock_hz);
        break;
    }
  }
  if (!cfg.sources.empty()) {
    ordered_json s = ordered_json::object();
    for (const auto& [k, v] : cfg.sources) s[k] = v;  // std::map: sorted, deterministic
    root["sources"] = s;
  }
  return root.dump(2) + "\n";
}

bool operator==(const DmaResources& a, const DmaResources& b) {
  return a.mm2s_channels == b.mm2s_channels && a.s2mm_channels == b.s2mm_channels && a.bds == b.bds &&
         a.locks == b.locks;
}
bool operator==(const CoreCosts& a, const CoreCosts& b) {
  return a.macs_per_cycle == b.macs_per_cycle && a.op_prologue_cycles == b.op_prologue_cycles &&
         a.block_overhead_cycles == b.block_overhead_cycles && a.mac_pipeline_cycles == b.mac_pipeline_cycles &&
         a.requant_lanes == b.requant_lanes &&
         a.pool_lanes == b.pool_lanes && a.add_lanes == b.add_lanes && a.mul_lanes == b.mul_lanes && a.lut_lanes == b.lut_lanes && a.dw_lanes == b.dw_lanes && a.lock_cycles == b.lock_cycles;
}
bool operator==(const CoreTileConfig& a, const CoreTileConfig& b) {
  return a.data_memory_bytes == b.data_memory_bytes && a.dma == b.dma && a.costs == b.costs;
}
bool operator==(const MemTileConfig& a, const MemTileConfig& b) {
  return a.memory_bytes == b.memory_bytes && a.dma == b.dma;
}
bool operator==(const ShimTileConfig& a, const ShimTileConfig& b) { return a.dma == b.dma; }
bool operator==(const StreamConfig& a, const StreamConfig& b) {
  return a.bytes_per_cycle == b.bytes_per_cycle && a.fifo_depth_bytes == b.fifo_depth_bytes &&
         a.chunk_bytes == b.chunk_bytes && a.hop_latency_cycles == b.hop_latency_cycles;
}
bool operator==(const DdrConfig& a, const DdrConfig& b) {
  return a.size_bytes == b.size_bytes && a.read_bytes_per_cycle == b.read_bytes_per_cycle &&
         a.write_bytes_per_cycle == b.write_bytes_per_cycle && a.total_bytes_per_cycle == b.total_bytes_per_cycle &&
         a.latency_cycles == b.latency_cycles;
}
bool operator==(const ControlConfig& a, const ControlConfig& b) {
  return a.phase_setup_cycles == b.phase_setup_cycles && a.bd_setup_cycles == b.bd_setup_cycles &&
         a.write32_cycles == b.write32_cycles && a.blockwrite_base_cycles == b.blockwrite_base_cycles &&
         a.blockwrite_cycles_per_word == b.blockwrite_cycles_per_word && a.write_paths == b.write_paths;
}
bool operator==(const ArrayConfig& a, const ArrayConfig& b) {
  return a.schema_version == b.schema_version && a.name == b.name && a.description == b.description &&
         a.columns == b.columns && a.core_rows == b.core_rows && a.mem_rows == b.mem_rows && a.clock_hz == b.clock_hz &&
         a.core == b.core && a.memtile == b.memtile && a.shim == b.shim && a.stream == b.stream && a.ddr == b.ddr &&
         a.control == b.control && a.sources == b.sources;
}

}  // namespace saie::config
