// bd_slots.cpp — see bd_slots.h.
#include "hw/isa/bd_slots.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "hw/isa/reconfig.h"
#include "hw/isa/tile_names.h"
#include "hw/isa/verify_program.h"

namespace saie::isa {

void assign_bd_slots(Program& prog, const config::ArrayConfig& cfg) {
  // Per tile: the slots the phase before uses (the running phase, whose slots cannot be written
  // early) and what every slot holds (the registers persist across phases).
  std::map<TileId, std::map<uint16_t, BufferDescriptor>> running, held;
  for (Phase& ph : prog.phases) {
    std::map<TileId, std::map<uint16_t, BufferDescriptor>> now;
    for (TileBds& tb : ph.bds) {
      if (tb.bds.empty()) continue;
      const TileKind kind = tile_kind(tb.tile, cfg.mem_rows);
      const std::string where = "phase '" + ph.name + "' " + tile_label(tb.tile);
      std::map<uint16_t, size_t> index;  // BD id -> position in tb.bds
      for (size_t i = 0; i < tb.bds.size(); ++i) index[tb.bds[i].id] = i;
      // The range of each BD: that of the channels whose task chains reach it.
      std::vector<int> range_of(tb.bds.size(), -1);
      for (const DmaTask& t : ph.tasks) {
        if (t.tile != tb.tile) continue;
        const int r = kind == TileKind::Mem ? t.channel % 2 : 0;
        auto it = index.find(t.start_bd);
        for (size_t steps = 0; it != index.end() && steps < tb.bds.size(); ++steps) {
          int& mine = range_of[it->second];
          if (mine == r) break;  // chain closed (ping-pong) or already walked
          if (mine >= 0) throw std::runtime_error(where + ": BD " + std::to_string(it->first) + " is reached by channels of both BD ranges");
          mine = r;
          const int16_t next = tb.bds[it->second].next_bd;
          it = next == kNoNextBd ? index.end() : index.find(static_cast<uint16_t>(next));
        }
      }
      std::map<uint16_t, uint16_t> new_id;
      for (int r = 0; r < (kind == TileKind::Mem ? 2 : 1); ++r) {
        std::vector<size_t> members;
        for (size_t i = 0; i < tb.bds.size(); ++i)
          if (range_of[i] == r || (r == 0 && range_of[i] < 0)) members.push_back(i);
        if (members.empty()) continue;
        std::sort(members.begin(), members.end(), [&](size_t a, size_t b) { return tb.bds[a].id < tb.bds[b].id; });
        const auto [first, last] = bd_range(cfg, kind, static_cast<uint8_t>(r));
        const uint32_t n = static_cast<uint32_t>(members.size());
        if (n > last - first)
          throw std::runtime_error(where + ": " + std::to_string(n) + " BDs for " +
                                   (kind == TileKind::Mem ? (r == 0 ? "channels 0/2/4" : "channels 1/3/5") : "its DMA") +
                                   ", which reach " + std::to_string(last - first));
        // Bottom or top of the range: fewest slots the phase before used for another descriptor,
        // then fewest BDs to write, then the bottom.
        const auto& run = running[tb.tile];
        const auto& hold = held[tb.tile];
        auto score = [&](uint32_t base) {
          uint32_t clashes = 0, writes = 0;
          for (uint32_t k = 0; k < n; ++k) {
            const auto slot = static_cast<uint16_t>(base + k);
            auto h = hold.find(slot);
            const bool same = h != hold.end() && same_bd_registers(h->second, tb.bds[members[k]]);
            clashes += !same && run.count(slot) > 0;
            writes += !same;
          }
          return std::pair<uint32_t, uint32_t>{clashes, writes};
        };
        const uint32_t bottom = first, top = last - n;
        const uint32_t base = score(top) < score(bottom) ? top : bottom;
        for (uint32_t k = 0; k < n; ++k) new_id[tb.bds[members[k]].id] = static_cast<uint16_t>(base + k);
      }
      // Renumber (next_bd links refer to the old ids, so they are mapped first).
      for (BufferDescriptor& bd : tb.bds) {
        if (bd.next_bd != kNoNextBd) {
          auto it = new_id.find(static_cast<uint16_t>(bd.next_bd));
          if (it != new_id.end()) bd.next_bd = static_cast<int16_t>(it->second);
        }
      }
      for (BufferDescriptor& bd : tb.bds) bd.id = new_id.at(bd.id);
      for (DmaTask& t : ph.tasks)
        if (t.tile == tb.tile) {
          auto it = new_id.find(t.start_bd);
          if (it != new_id.end()) t.start_bd = it->second;
        }
      for (const BufferDescriptor& bd : tb.bds) now[tb.tile][bd.id] = bd;
    }
    for (const auto& [tile, slots] : now)
      for (const auto& [slot, bd] : slots) held[tile][slot] = bd;
    running = std::move(now);
  }
}

}  // namespace saie::isa
