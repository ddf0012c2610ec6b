// array_config_test.cpp — strict config loader: presets, unit conversion, round trip, one-line errors naming the key.
#include "hw/config/array_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "hw/config/units.h"

namespace saie::config {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json preset_json(const std::string& name) {
  return json::parse(read_file(fs::path(SAIE_CONFIG_DIR) / (name + ".json")));
}

// Parses a mutated copy of paper-2x2 and returns the error message ("" if it loaded).
std::string error_for(const std::function<void(json&)>& mutate) {
  json j = preset_json("paper-2x2");
  mutate(j);
  try {
    parse_config_json(j.dump(2), "paper-2x2.json");
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "error must be one line: " << msg;
    EXPECT_EQ(msg.rfind("config paper-2x2.json: ", 0), 0u) << msg;
    return msg;
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<std::string> preset_files() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(SAIE_CONFIG_DIR)) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Collects leaf key paths of a JSON object ("core.dma.bds", ...), skipping "sources".
void collect_leaves(const json& j, const std::string& prefix, std::vector<std::string>* out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string p = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (prefix.empty() && it.key() == "sources") continue;
    if (it.value().is_object()) {
      collect_leaves(it.value(), p, out);
    } else {
      out->push_back(p);
    }
  }
}

TEST(ArrayConfig, EveryPresetLoadsNamesItselfAndCitesASourceForEveryValue) {
  const std::vector<std::string> names = preset_files();
  const std::set<std::string> have(names.begin(), names.end());
  for (const char* required : {"paper-2x2", "paper-3x3", "paper-4x4", "paper-5x5", "paper-6x6", "paper-7x7",
                               "paper-8x8", "phoenix", "strix", "ve2802"}) {
    EXPECT_TRUE(have.count(required)) << "missing preset " << required;
  }
  EXPECT_EQ(list_presets(), names);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    ArrayConfig cfg = load_config(name);
    EXPECT_EQ(cfg.name, name);
    EXPECT_FALSE(cfg.description.empty());
    std::vector<std::string> leaves;
    collect_leaves(preset_json(name), "", &leaves);
    for (const std::string& leaf : leaves) {
      if (leaf == "schema_version" || leaf == "name" || leaf == "description") continue;
      bool cited = false;
      for (std::string p = leaf;; p = p.substr(0, p.rfind('.'))) {
        if (cfg.sources.count(p)) cited = true;
        if (p.find('.') == std::string::npos) break;
      }
      EXPECT_TRUE(cited) << "no source for " << leaf;
    }
  }
}

TEST(ArrayConfig, PaperPresetsFollowThePaperModel) {
  for (int n = 2; n <= 8; ++n) {
    const std::string name = "paper-" + std::to_string(n) + "x" + std::to_string(n);
    SCOPED_TRACE(name);
    ArrayConfig cfg = load_config(name);
    EXPECT_EQ(cfg.columns, static_cast<uint32_t>(n));
    EXPECT_EQ(cfg.core_rows, static_cast<uint32_t>(n));
    EXPECT_EQ(cfg.mem_rows, 1u);
    EXPECT_EQ(cfg.clock_hz, 1e9);
    EXPECT_EQ(cfg.core.costs.macs_per_cycle, 256u);
    EXPECT_EQ(cfg.core.data_memory_bytes, 64u * 1024);
    EXPECT_EQ(cfg.memtile.memory_bytes, 512u * 1024);
    EXPECT_EQ(cfg.shim.dma.mm2s_channels, 2u);  // 2 DDR channels per memtile
    EXPECT_NEAR(cfg.stream.bytes_per_cycle, 4.294967296, 1e-12);
    EXPECT_NEAR(cfg.ddr.read_bytes_per_cycle, 4.294967296, 1e-12);
    EXPECT_NEAR(cfg.ddr.write_bytes_per_cycle, 8.589934592, 1e-12);
  }
}

TEST(ArrayConfig, DevicePresets) {
  ArrayConfig ve = load_config("ve2802");
  EXPECT_EQ(ve.columns, 38u);
  EXPECT_EQ(ve.core_rows, 8u);
  EXPECT_EQ(ve.mem_rows, 2u);
  EXPECT_EQ(ve.clock_hz, 1.25e9);
  EXPECT_EQ(ve.stream.bytes_per_cycle, 4.0);   // 5 GB/s at 1.25 GHz
  EXPECT_EQ(ve.ddr.latency_cycles, 125u);      // 100 ns at 1.25 GHz
  ArrayConfig ph = load_config("phoenix");
  EXPECT_EQ(ph.columns, 5u);
  EXPECT_EQ(ph.core_rows, 4u);
  EXPECT_EQ(ph.clock_hz, 1e9);
  EXPECT_TRUE(ph.sources.count("clock"));
  ArrayConfig sx = load_config("strix");
  EXPECT_EQ(sx.columns, 8u);
  EXPECT_EQ(sx.core_rows, 4u);
}

TEST(ArrayConfig, RoundTripThroughToJsonIsExact) {
  for (const std::string& name : preset_files()) {
    SCOPED_TRACE(name);
    ArrayConfig cfg = load_config(name);
    const std::string text = to_json(cfg);
    ArrayConfig back = parse_config_json(text);
    EXPECT_TRUE(back == cfg);
    EXPECT_EQ(to_json(back), text);  // deterministic output
  }
  // Values that do not come from a file, with awkward ratios to the clock.
  ArrayConfig cfg;
  cfg.name = "odd";
  cfg.clock_hz = 1.1e9;
  cfg.stream.bytes_per_cycle = 3.3;
  cfg.ddr.read_bytes_per_cycle = 1.0 / 3.0;
  cfg.ddr.write_bytes_per_cycle = 7.0;
  cfg.ddr.latency_cycles = 7;
  cfg.core.data_memory_bytes = 1000;
  cfg.stream.fifo_depth_bytes = 96;
  cfg.stream.chunk_bytes = 32;
  cfg.sources["ddr"] = "test";
  ArrayConfig back = parse_config_json(to_json(cfg));
  EXPECT_TRUE(back == cfg) << to_json(cfg);
  EXPECT_EQ(back.ddr.read_bytes_per_cycle, 1.0 / 3.0);
  EXPECT_EQ(back.ddr.latency_cycles, 7u);
  ArrayConfig changed = back;
  changed.control.bd_setup_cycles += 1;
  EXPECT_FALSE(changed == back);
}

TEST(ArrayConfig, UnitConversions) {
  uint64_t b = 0;
  ASSERT_TRUE(units::parse_size("64KiB", &b));
  EXPECT_EQ(b, 65536u);
  ASSERT_TRUE(units::parse_size("1KB", &b));
  EXPECT_EQ(b, 1000u);
  ASSERT_TRUE(units::parse_size("1.5KiB", &b));
  EXPECT_EQ(b, 1536u);
  ASSERT_TRUE(units::parse_size("64 MiB", &b));
  EXPECT_EQ(b, 64u << 20);
  EXPECT_FALSE(units::parse_size("0.5B", &b));   // not whole bytes
  EXPECT_FALSE(units::parse_size("64", &b));     // no unit
  EXPECT_FALSE(units::parse_size("KiB", &b));    // no number
  EXPECT_FALSE(units::parse_size("-4KiB", &b));  // sign
  EXPECT_FALSE(units::parse_size("4kib", &b));   // unit is case-sensitive
  EXPECT_FALSE(units::parse_size("4KiB ", &b));
  double bps = 0;
  ASSERT_TRUE(units::parse_bandwidth("4GiB/s", &bps));
  EXPECT_NEAR(units::bandwidth_to_bytes_per_cycle(bps, 1e9), 4.294967296, 1e-12);
  EXPECT_FALSE(units::parse_bandwidth("4GiB", &bps));
  EXPECT_FALSE(units::parse_bandwidth("4 GiBs", &bps));
  double hz = 0;
  ASSERT_TRUE(units::parse_frequency("1.25GHz", &hz));
  EXPECT_EQ(hz, 1.25e9);
  EXPECT_FALSE(units::parse_frequency("1.25G", &hz));
  double sec = 0;
  ASSERT_TRUE(units::parse_time("100ns", &sec));
  EXPECT_EQ(units::time_to_cycles(sec, 1.25e9), 125u);
  ASSERT_TRUE(units::parse_time("1.5us", &sec));
  EXPECT_EQ(units::time_to_cycles(sec, 1e9), 1500u);
  ASSERT_TRUE(units::parse_time("0.4ns", &sec));
  EXPECT_EQ(units::time_to_cycles(sec, 1e9), 0u);  // rounds to nearest
  EXPECT_EQ(units::format_size(512 * 1024), "512KiB");
  EXPECT_EQ(units::format_size(5000000000ull), "5GB");
  EXPECT_EQ(units::format_size(100), "100B");
  EXPECT_EQ(units::format_frequency(1.25e9), "1250MHz");
  EXPECT_EQ(units::format_bandwidth(4.294967296, 1e9), "4GiB/s");
  EXPECT_EQ(units::format_bandwidth(4.0, 1.25e9), "5GB/s");
}

TEST(ArrayConfig, BandwidthFromFileIsConvertedWithTheClock) {
  std::string no_error = error_for([](json& j) {
    j["clock"] = "500MHz";
    j["stream"]["bandwidth"] = "4GiB/s";
  });
  EXPECT_EQ(no_error, "");
  json j = preset_json("paper-2x2");
  j["clock"] = "500MHz";
  j["ddr"]["latency"] = "1us";
  ArrayConfig cfg = parse_config_json(j.dump());
  EXPECT_NEAR(cfg.stream.bytes_per_cycle, 8.589934592, 1e-12);
  EXPECT_EQ(cfg.ddr.latency_cycles, 500u);
}

TEST(ArrayConfig, ErrorsNameTheKey) {
  EXPECT_EQ(error_for([](json& j) { j["stream"]["bandwidth"] = "4 GiBs"; }),
            "config paper-2x2.json: key 'stream.bandwidth': cannot parse \"4 GiBs\" as a bandwidth (<size>/s, e.g. 4GiB/s)");
  // unknown keys, at every level
  EXPECT_TRUE(contains(error_for([](json& j) { j["core"]["dma"]["extra"] = 1; }), "key 'core.dma.extra': unknown key"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["colour"] = "red"; }), "key 'colour': unknown key"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["ddr"]["latency_ns"] = 100; }), "key 'ddr.latency_ns': unknown key"));
  // missing keys and sections
  EXPECT_TRUE(contains(error_for([](json& j) { j["ddr"].erase("latency"); }), "key 'ddr.latency': missing"));
  EXPECT_TRUE(contains(error_for([](json& j) { j.erase("control"); }), "key 'control': missing"));
  EXPECT_TRUE(contains(error_for([](json& j) { j.erase("name"); }), "key 'name': missing"));
  EXPECT_TRUE(contains(error_for([](json& j) { j.erase("schema_version"); }), "key 'schema_version': missing"));
  // description and sources are optional
  EXPECT_EQ(error_for([](json& j) {
              j.erase("description");
              j.erase("sources");
            }),
            "");
  // bad units
  EXPECT_TRUE(contains(error_for([](json& j) { j["clock"] = "1GHZ"; }), "key 'clock': cannot parse \"1GHZ\" as a frequency"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["core"]["data_memory"] = "64Kb"; }), "key 'core.data_memory': cannot parse"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["ddr"]["latency"] = "100"; }), "key 'ddr.latency': cannot parse \"100\" as a time"));
  // wrong types
  EXPECT_TRUE(contains(error_for([](json& j) { j["array"]["columns"] = "2"; }), "key 'array.columns': expected an integer"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["array"]["columns"] = 2.0; }), "key 'array.columns': expected an integer"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["stream"]["bandwidth"] = 4; }), "key 'stream.bandwidth': expected a string"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["core"]["dma"] = 3; }), "key 'core.dma': expected an object"));
  // out of range
  EXPECT_TRUE(contains(error_for([](json& j) { j["array"]["columns"] = 65; }), "key 'array.columns': value 65 out of range 1..64"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["array"]["core_rows"] = 0; }), "key 'array.core_rows': value 0 out of range 1..16"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["array"]["mem_rows"] = 5; }), "key 'array.mem_rows': value 5 out of range 1..4"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["memtile"]["dma"]["bds"] = -1; }), "key 'memtile.dma.bds': value -1 out of range"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["core"]["data_memory"] = "0B"; }), "key 'core.data_memory': value \"0B\" out of range"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["ddr"]["read_bandwidth"] = "0GiB/s"; }), "key 'ddr.read_bandwidth': value \"0GiB/s\""));
  EXPECT_TRUE(contains(error_for([](json& j) { j["stream"]["chunk"] = "256B"; }), "key 'stream.chunk': 256B is larger than stream.fifo_depth"));
  // schema version, name, sources
  EXPECT_TRUE(contains(error_for([](json& j) { j["schema_version"] = 2; }), "key 'schema_version': unsupported schema version 2"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["name"] = ""; }), "key 'name': must not be empty"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["sources"]["core.dma.bd"] = "x"; }), "key 'sources.core.dma.bd': names no config key"));
  EXPECT_TRUE(contains(error_for([](json& j) { j["sources"]["clock"] = 1; }), "key 'sources.clock': expected a string"));
}

TEST(ArrayConfig, InvalidJsonAndFileErrors) {
  try {
    parse_config_json("{ \"schema_version\": 1,\n", "broken.json");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("config broken.json: invalid JSON", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
  try {
    load_config("no-such-preset");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "no-such-preset")) << msg;
    EXPECT_TRUE(contains(msg, "paper-2x2")) << msg;  // lists what is available
    EXPECT_TRUE(contains(msg, "ve2802")) << msg;
  }
  EXPECT_THROW(load_config("/nonexistent/dir/x.json"), ConfigError);
}

TEST(ArrayConfig, LoadsAPathToAFile) {
  const fs::path dir = fs::temp_directory_path() / ("saie_config_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  json j = preset_json("paper-3x3");
  j["name"] = "custom";
  j["array"]["columns"] = 7;
  const fs::path file = dir / "custom.json";
  {
    std::ofstream out(file);
    out << j.dump(2);
  }
  ArrayConfig cfg = load_config(file.string());
  EXPECT_EQ(cfg.name, "custom");
  EXPECT_EQ(cfg.columns, 7u);
  // The origin in errors is the file name.
  j["array"]["columns"] = 0;
  {
    std::ofstream out(file);
    out << j.dump(2);
  }
  try {
    load_config_file(file.string());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("config custom.json: key 'array.columns'", 0), 0u) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace saie::config
