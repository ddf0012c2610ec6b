// array_top.h — the whole AIE2 array: DDR plus, per column, a shim tile (row 0), mem_rows
// memtiles (rows 1..mem_rows) and core_rows compute tiles (rows mem_rows+1..). Module names read
// like the hardware: "array.tile_0_2", "array.ddr".
#pragma once

#include <memory>
#include <vector>

#include <systemc>

#include "hw/ddr/ddr_model.h"
#include "hw/tile/core_tile.h"
#include "hw/tile/mem_tile.h"
#include "hw/tile/shim_tile.h"

namespace saie::hw {

class ArrayTop : public sc_core::sc_module {
 public:
  ArrayTop(sc_core::sc_module_name name, SimContext& ctx);

  DdrModel& ddr() { return ddr_; }
  uint32_t columns() const { return columns_; }
  uint32_t mem_rows() const { return mem_rows_; }
  uint32_t rows() const { return rows_; }  // 1 + mem_rows + core_rows
  // nullptr when (col, row) is outside the array.
  TileBase* tile(isa::TileId id);
  // Every tile, column by column, bottom (shim) to top: the order of reports.
  const std::vector<std::unique_ptr<TileBase>>& tiles() const { return tiles_; }

 private:
  DdrModel ddr_;
  uint32_t columns_, mem_rows_, rows_;
  std::vector<std::unique_ptr<TileBase>> tiles_;  // index col * rows_ + row
};

}  // namespace saie::hw
