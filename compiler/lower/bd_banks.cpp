// bd_banks.cpp — see bd_banks.h.
#include "compiler/lower/bd_banks.h"

#include <algorithm>
#include <map>

#include "hw/isa/reconfig.h"

namespace saie::lower {
namespace {

uint32_t bd_count(const config::ArrayConfig& cfg, isa::TileId t) {
  switch (isa::tile_kind(t, cfg.mem_rows)) {
    case isa::TileKind::Shim: return cfg.shim.dma.bds;
    case isa::TileKind::Mem: return cfg.memtile.dma.bds;
    case isa::TileKind::Core: break;
  }
  return cfg.core.dma.bds;
}

// Slots [lo, hi] a tile's BDs use in a phase.
struct Span {
  uint16_t lo = 0, hi = 0;
};

}  // namespace

void alternate_bd_banks(isa::Program& prog, const config::ArrayConfig& cfg) {
  std::map<isa::TileId, Span> prev_span;                        // the phase before's slots per tile
  std::map<isa::TileId, const isa::TileBds*> prev_bds;           // and its BDs
  for (isa::Phase& ph : prog.phases) {
    std::map<isa::TileId, Span> span;
    std::map<isa::TileId, const isa::TileBds*> bds_of;
    for (isa::TileBds& tb : ph.bds) {
      if (tb.bds.empty()) continue;
      uint16_t lo = tb.bds.front().id, hi = lo;
      for (const isa::BufferDescriptor& bd : tb.bds) {
        lo = std::min(lo, bd.id);
        hi = std::max(hi, bd.id);
      }
      auto it = prev_span.find(tb.tile);
      const uint32_t n = hi + 1u;  // the lowering numbers from 0
      const uint32_t count = bd_count(cfg, tb.tile);
      const bool overlap = it != prev_span.end() && lo <= it->second.hi && it->second.lo <= hi;
      bool same = false;
      if (overlap) {
        const isa::TileBds* before = prev_bds.at(tb.tile);
        same = before->bds.size() == tb.bds.size();
        for (size_t i = 0; same && i < tb.bds.size(); ++i) {
          const isa::BufferDescriptor& a = tb.bds[i];
          const isa::BufferDescriptor& b = before->bds[i];
          same = a.id == b.id && isa::same_bd_registers(a, b);
        }
      }
      if (lo == 0 && overlap && !same && n <= count && count - n > it->second.hi) {
        const auto shift = static_cast<uint16_t>(count - n);
        for (isa::BufferDescriptor& bd : tb.bds) {
          bd.id = static_cast<uint16_t>(bd.id + shift);
          if (bd.next_bd != isa::kNoNextBd) bd.next_bd = static_cast<int16_t>(bd.next_bd + shift);
        }
        for (isa::DmaTask& t : ph.tasks)
          if (t.tile == tb.tile) t.start_bd = static_cast<uint16_t>(t.start_bd + shift);
        lo = static_cast<uint16_t>(lo + shift);
        hi = static_cast<uint16_t>(hi + shift);
      }
      span[tb.tile] = Span{lo, hi};
      bds_of[tb.tile] = &tb;
    }
    prev_span = std::move(span);
    prev_bds = std::move(bds_of);
  }
}

}  // namespace saie::lower
