// bd_slots.cpp — see bd_slots.h.
#include "hw/isa/bd_slots.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "hw/isa/reconfig.h"
#include "hw/isa/tile_names.h"
#include "hw/isa/verify_program.h"

namespace saie::isa {
namespace {

// A memtile whose even channels' chains need more BDs than their range holds (or the odd ones'):
// renumber its channels, direction by direction, so that both ranges fit. Which channels become
// even is searched exhaustively (6 channels a direction: 20 choices each); a channel keeps its
// number when its parity stays, and one whose BDs address a neighbour memtile keeps a number below
// kMemtileNeighbourChannels. The choice renaming the fewest channels wins (then the first found).
// Tasks and routes follow. Channels are interchangeable otherwise (same DMA engine, same stream
// ports). Leaves the phase alone when the BDs fit, or when no renumbering makes them fit.
void balance_memtile_channels(Phase& ph, TileId mem, const TileBds& tb, const config::ArrayConfig& cfg) {
  const uint32_t half = cfg.memtile.dma.bds / 2;
  std::map<uint16_t, const BufferDescriptor*> by_id;
  for (const BufferDescriptor& b : tb.bds) by_id[b.id] = &b;
  struct Chan {
    uint32_t bds = 0;
    bool neighbour = false;
  };
  std::map<std::pair<int, int>, Chan> chans;  // (dir, channel)
  for (const DmaTask& t : ph.tasks) {
    if (t.tile != mem) continue;
    Chan& c = chans[{static_cast<int>(t.dir), t.channel}];
    std::set<uint16_t> seen;
    for (int id = t.start_bd; id >= 0 && by_id.count(static_cast<uint16_t>(id)) && seen.insert(static_cast<uint16_t>(id)).second;) {
      const BufferDescriptor& b = *by_id[static_cast<uint16_t>(id)];
      c.neighbour = c.neighbour || b.addr >= cfg.memtile.memory_bytes;
      id = b.next_bd;
    }
    c.bds = static_cast<uint32_t>(seen.size());
  }
  uint32_t even = 0, odd = 0;
  for (const auto& [k, c] : chans) (k.second % 2 ? odd : even) += c.bds;
  if (even <= half && odd <= half) return;
  const uint32_t n[2] = {cfg.memtile.dma.mm2s_channels, cfg.memtile.dma.s2mm_channels};
  if (n[0] > 12 || n[1] > 12) return;  // (the search is 2^channels a direction; AIE-ML has 6)
  // For one direction and a set of channels to be even (bit mask), the renumbering (old -> new)
  // keeping what it can, and how many it renames; -1 when the neighbour rule cannot be kept.
  auto plan = [&](int dir, uint32_t even_mask, std::map<int, int>& rename) {
    rename.clear();
    std::set<int> free_num[2];
    for (uint32_t c = 0; c < n[dir]; ++c) free_num[c % 2].insert(static_cast<int>(c));
    std::vector<int> movers;
    for (uint32_t c = 0; c < n[dir]; ++c) {
      const int want = (even_mask >> c) & 1 ? 0 : 1;
      if (static_cast<int>(c % 2) == want) {
        rename[static_cast<int>(c)] = static_cast<int>(c);
        free_num[want].erase(static_cast<int>(c));
      } else {
        movers.push_back(static_cast<int>(c));
      }
    }
    // Neighbour channels first, to the lowest free numbers of their parity.
    std::stable_sort(movers.begin(), movers.end(), [&](int a, int b) {
      auto na = chans.find({dir, a}), nb = chans.find({dir, b});
      return (na != chans.end() && na->second.neighbour) > (nb != chans.end() && nb->second.neighbour);
    });
    int renamed = 0;
    for (int c : movers) {
      const int want = (even_mask >> c) & 1 ? 0 : 1;
      if (free_num[want].empty()) return -1;
      const int to = *free_num[want].begin();
      auto it = chans.find({dir, c});
      if (it != chans.end() && it->second.neighbour && to >= static_cast<int>(kMemtileNeighbourChannels)) return -1;
      free_num[want].erase(free_num[want].begin());
      rename[c] = to;
      renamed += it != chans.end();
    }
    return renamed;
  };
  auto parity_load = [&](int dir, uint32_t even_mask, uint32_t& e, uint32_t& o) {
    for (const auto& [k, c] : chans)
      if (k.first == dir) (((even_mask >> k.second) & 1) ? e : o) += c.bds;
  };
  int best = -1;
  std::map<int, int> best_rename[2], r0, r1;
  for (uint32_t m0 = 0; m0 < (1u << n[0]); ++m0) {
    if (static_cast<uint32_t>(__builtin_popcount(m0)) != (n[0] + 1) / 2) continue;
    const int c0 = plan(0, m0, r0);
    if (c0 < 0) continue;
    for (uint32_t m1 = 0; m1 < (1u << n[1]); ++m1) {
      if (static_cast<uint32_t>(__builtin_popcount(m1)) != (n[1] + 1) / 2) continue;
      uint32_t e = 0, o = 0;
      parity_load(0, m0, e, o);
      parity_load(1, m1, e, o);
      if (e > half || o > half) continue;
      const int c1 = plan(1, m1, r1);
      if (c1 < 0) continue;
      if (best < 0 || c0 + c1 < best) {
        best = c0 + c1;
        best_rename[0] = r0;
        best_rename[1] = r1;
      }
    }
  }
  if (best < 0) return;
  for (DmaTask& t : ph.tasks)
    if (t.tile == mem) t.channel = static_cast<uint8_t>(best_rename[static_cast<int>(t.dir)].at(t.channel));
  for (Route& r : ph.routes) {
    if (r.src.tile == mem) r.src.channel = static_cast<uint8_t>(best_rename[0].at(r.src.channel));
    for (StreamEndpoint& d : r.dsts)
      if (d.tile == mem) d.channel = static_cast<uint8_t>(best_rename[1].at(d.channel));
  }
}

}  // namespace

void assign_bd_slots(Program& prog, const config::ArrayConfig& cfg) {
  // Per tile: the slots the phase before uses (the running phase, whose slots cannot be written
  // early) and what every slot holds (the registers persist across phases).
  std::map<TileId, std::map<uint16_t, BufferDescriptor>> running, held;
  for (Phase& ph : prog.phases) {
    std::map<TileId, std::map<uint16_t, BufferDescriptor>> now;
    for (TileBds& tb : ph.bds) {
      if (tb.bds.empty()) continue;
      const TileKind kind = tile_kind(tb.tile, cfg.mem_rows);
      if (kind == TileKind::Mem) balance_memtile_channels(ph, tb.tile, tb, cfg);
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
