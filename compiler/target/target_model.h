// target_model.h — queries over an ArrayConfig that lowering needs (tile ids, memory sizes,
// channel/BD/lock counts, bandwidths), in the spirit of mlir-aie's AIETargetModel.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::target {

class TargetModel {
 public:
  explicit TargetModel(const config::ArrayConfig& cfg) : cfg_(cfg) {}

  const config::ArrayConfig& config() const { return cfg_; }
  uint32_t columns() const { return cfg_.columns; }
  uint32_t core_rows() const { return cfg_.core_rows; }
  uint32_t mem_rows() const { return cfg_.mem_rows; }
  // Rows of the array: shim + memtile rows + core rows.
  uint32_t rows() const { return isa::array_rows(cfg_.core_rows, cfg_.mem_rows); }
  bool in_array(isa::TileId t) const { return t.col < cfg_.columns && t.row < rows(); }
  // Core rows the lowering can feed per column: each working row needs its own memtile MM2S
  // (weights) and S2MM (output) channel next to the 2 shared ones, so a 6+6-channel memtile
  // feeds at most 4 rows; rows beyond that stay idle (their tiles exist but get no work).
  uint32_t usable_core_rows() const {
    const uint32_t ch = std::min(cfg_.memtile.dma.mm2s_channels, cfg_.memtile.dma.s2mm_channels);
    return ch < 3 ? 0 : std::min(cfg_.core_rows, ch - 2);
  }

  // Tile ids (mlir-aie numbering: row 0 shim, rows 1..mem_rows memtiles, then the cores).
  // memtile(col) is the memtile row next to the shim (row 1), the one lowering uses; with two
  // memtile rows the second (row 2) exists but the lowering leaves it idle.
  isa::TileId shim(uint32_t col) const { return tile(col, 0); }
  isa::TileId memtile(uint32_t col) const { return tile(col, isa::memtile_row(0)); }
  isa::TileId core(uint32_t col, uint32_t core_row) const {
    return tile(col, isa::core_row(core_row, cfg_.mem_rows));
  }
  // Kind of a tile of this array.
  isa::TileKind kind(isa::TileId t) const { return isa::tile_kind(t, cfg_.mem_rows); }

  // Per-kind resources.
  const config::DmaResources& dma(isa::TileKind k) const;
  uint32_t channels(isa::TileKind k, isa::DmaDir d) const;
  uint32_t bds(isa::TileKind k) const { return dma(k).bds; }
  uint32_t locks(isa::TileKind k) const { return dma(k).locks; }
  // Address-generation dimensions a BD of this tile kind may use (memtile 4, others 3).
  uint32_t max_bd_dims(isa::TileKind k) const { return k == isa::TileKind::Mem ? 4 : 3; }
  // Bytes of local memory (cores: data memory; memtile: its SRAM; shim: DDR size).
  uint64_t memory_bytes(isa::TileKind k) const;
  uint64_t core_memory_bytes() const { return cfg_.core.data_memory_bytes; }
  uint64_t memtile_memory_bytes() const { return cfg_.memtile.memory_bytes; }

  // Bandwidths in bytes per cycle.
  double stream_bytes_per_cycle() const { return cfg_.stream.bytes_per_cycle; }
  double ddr_read_bytes_per_cycle() const { return cfg_.ddr.read_bytes_per_cycle; }
  double ddr_write_bytes_per_cycle() const { return cfg_.ddr.write_bytes_per_cycle; }
  uint32_t macs_per_cycle() const { return cfg_.core.costs.macs_per_cycle; }

 private:
  static isa::TileId tile(uint32_t col, uint32_t row) {
    return isa::TileId{static_cast<uint8_t>(col), static_cast<uint8_t>(row)};
  }
  const config::ArrayConfig& cfg_;
};

}  // namespace saie::target
