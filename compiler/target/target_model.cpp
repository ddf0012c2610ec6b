// target_model.cpp — per-kind resource lookups over the ArrayConfig.
#include "compiler/target/target_model.h"

#include "hw/isa/verify_program.h"

namespace saie::target {

const config::DmaResources& TargetModel::dma(isa::TileKind k) const { return isa::dma_resources(cfg_, k); }

uint32_t TargetModel::channels(isa::TileKind k, isa::DmaDir d) const {
  const auto& r = dma(k);
  return d == isa::DmaDir::MM2S ? r.mm2s_channels : r.s2mm_channels;
}

uint64_t TargetModel::memory_bytes(isa::TileKind k) const {
  switch (k) {
    case isa::TileKind::Shim: return cfg_.ddr.size_bytes;
    case isa::TileKind::Mem: return cfg_.memtile.memory_bytes;
    case isa::TileKind::Core: break;
  }
  return cfg_.core.data_memory_bytes;
}

}  // namespace saie::target
