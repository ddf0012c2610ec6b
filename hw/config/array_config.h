// array_config.h — the device description shared by compiler and simulator (plain C++, no SystemC).
//
// One versioned JSON file (configs/*.json) maps onto these structs through a strict loader:
// unknown keys, missing keys, bad units and out-of-range values are errors naming the key.
// Units live in the file ("1GHz", "512KiB", "4GiB/s", "100ns"); the structs hold plain numbers
// in the units given by each field's name. See docs/config-format.md.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace saie::config {

inline constexpr int kSchemaVersion = 1;

struct DmaResources {
  uint32_t mm2s_channels = 2;
  uint32_t s2mm_channels = 2;
  uint32_t bds = 16;
  uint32_t locks = 16;
};

// Core compute cost table (cycles). Source of the 256 MAC/cycle: AM020 "AIE-ML Processor"
// (int8 x int8), shape 4x8x8 (mlir-aie). Overheads are our own assumptions, documented in
// docs/timing-model.md.
struct CoreCosts {
  uint32_t macs_per_cycle = 256;        // int8 MACs per cycle (4 pixels x 8 cin x 8 cout)
  uint32_t op_prologue_cycles = 32;     // per compute op (setup, pointer init)
  uint32_t block_overhead_cycles = 4;   // per stored 8x8 block (index decode, loop)
  uint32_t mac_pipeline_cycles = 0;     // per conv op with stored blocks: MAC pipeline fill (RTL: 2)
  uint32_t requant_lanes = 32;          // int8 outputs requantised per cycle
  uint32_t pool_lanes = 32;             // int8 elements per cycle through max/avg pool
  uint32_t add_lanes = 32;              // int8 elements per cycle through the element-wise add
  uint32_t mul_lanes = 32;              // int8 products per cycle through the channel-wise mul
  uint32_t lut_lanes = 16;              // int8 table lookups per cycle (activation tables)
  uint32_t dw_lanes = 32;               // int8 MACs per cycle of the depthwise conv kernel
  uint32_t lock_cycles = 1;             // per core acquire/release
};

struct CoreTileConfig {
  uint64_t data_memory_bytes = 64 * 1024;  // AM020: 64 KB per tile
  DmaResources dma{2, 2, 16, 16};          // AM020: 2 S2MM + 2 MM2S, 16 BDs, 16 locks
  CoreCosts costs;
};

struct MemTileConfig {
  uint64_t memory_bytes = 512 * 1024;  // AM020: 512 KB
  DmaResources dma{6, 6, 48, 64};      // AM020: 6 + 6 channels, 48 BDs, 64 locks
};

struct ShimTileConfig {
  DmaResources dma{2, 2, 16, 16};  // AM020 array interface: 2 + 2 channels, 16 BDs, 16 locks
};

struct StreamConfig {
  double bytes_per_cycle = 4.0;      // 32-bit stream = 4 B/cycle (paper preset: 4 GiB/s at 1 GHz)
  uint32_t fifo_depth_bytes = 128;   // bounded buffering per connection (backpressure)
  uint32_t chunk_bytes = 64;         // modelling granularity of stream transfers
  uint32_t hop_latency_cycles = 2;   // AM020: 2-cycle latency per stream switch hop
};

struct DdrConfig {
  uint64_t size_bytes = 64ull * 1024 * 1024;
  double read_bytes_per_cycle = 4.0;   // per shim MM2S channel (paper: 4 GiB/s)
  double write_bytes_per_cycle = 8.0;  // per shim S2MM channel (paper: writes 8 GiB/s)
  double total_bytes_per_cycle = 64.0; // shared by all shim DMAs
  uint32_t latency_cycles = 100;       // first-byte latency per BD repetition
};

// Reconfiguring the array between phases: a flat part (phase_setup_cycles + bd_setup_cycles per
// BD of the phase, the paper presets' assumption) plus control writes counted from what changes
// (isa::ReconfigState, hw/isa/reconfig.h; 0 cycles a write: not modelled).
struct ControlConfig {
  uint32_t phase_setup_cycles = 200;  // reconfiguring the array between phases (our assumption)
  uint32_t bd_setup_cycles = 4;       // per BD written
  uint32_t write32_cycles = 0;             // one 32-bit control write
  uint32_t blockwrite_base_cycles = 0;     // a block write of n words: base + n * per word
  uint32_t blockwrite_cycles_per_word = 0;
  uint32_t write_paths = 1;  // control writes issued in parallel (column c on path c % paths); 0: one per column
  uint64_t blockwrite_cycles(uint32_t words) const {
    return blockwrite_base_cycles + uint64_t{blockwrite_cycles_per_word} * words;
  }
};

struct ArrayConfig {
  int schema_version = kSchemaVersion;
  std::string name;
  std::string description;  // free text (optional in the file)
  uint32_t columns = 2;
  uint32_t core_rows = 2;
  uint32_t mem_rows = 1;
  double clock_hz = 1e9;
  CoreTileConfig core;
  MemTileConfig memtile;
  ShimTileConfig shim;
  StreamConfig stream;
  DdrConfig ddr;
  ControlConfig control;
  std::map<std::string, std::string> sources;  // key path -> where the value comes from
};

// Strict loading. Throws ConfigError with a one-line message naming the key.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
ArrayConfig load_config_file(const std::string& path);
ArrayConfig parse_config_json(const std::string& text, const std::string& origin = "<string>");
// A preset by name ("paper-2x2", ...), read from the configs/ directory installed with the
// build (SAIE_CONFIG_DIR) or, if `name` is a path to a .json file, that file.
ArrayConfig load_config(const std::string& name_or_path);
// Resolved config as JSON text (with units), loadable again by parse_config_json.
std::string to_json(const ArrayConfig& cfg);
// Every key path a config file sets ("array.columns", "core.costs.macs_per_cycle", ...), in the
// schema's order.
std::vector<std::string> config_keys();
// Names of the presets in SAIE_CONFIG_DIR (file stems, sorted).
std::vector<std::string> list_presets();

// Field-by-field equality (doubles compared exactly: to_json/parse round trips are exact).
bool operator==(const DmaResources& a, const DmaResources& b);
bool operator==(const CoreCosts& a, const CoreCosts& b);
bool operator==(const CoreTileConfig& a, const CoreTileConfig& b);
bool operator==(const MemTileConfig& a, const MemTileConfig& b);
bool operator==(const ShimTileConfig& a, const ShimTileConfig& b);
bool operator==(const StreamConfig& a, const StreamConfig& b);
bool operator==(const DdrConfig& a, const DdrConfig& b);
bool operator==(const ControlConfig& a, const ControlConfig& b);
bool operator==(const ArrayConfig& a, const ArrayConfig& b);
inline bool operator!=(const ArrayConfig& a, const ArrayConfig& b) { return !(a == b); }

}  // namespace saie::config
