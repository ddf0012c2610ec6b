// bd_slots_test.cpp — consecutive phases put a tile's BDs in slots the phase before does not use.
#include "hw/isa/bd_slots.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "hw/isa/reconfig.h"
#include "hw/isa/verify_program.h"

namespace saie {
namespace {

isa::BufferDescriptor bd(uint16_t id, uint64_t addr, int16_t next = isa::kNoNextBd) {
  isa::BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.dims[0] = isa::DmaDim{64, 1};
  b.next_bd = next;
  return b;
}

// A ping-pong pair of BDs on tile t, run by `channel` (4 executions), plus a one-BD task on the
// other channel.
isa::Phase phase(uint64_t addr, isa::TileId t = {0, 2}, uint8_t channel = 0) {
  isa::Phase p;
  p.bds.push_back(isa::TileBds{t, {bd(0, addr, 1), bd(1, addr + 64, 0), bd(2, addr + 128)}});
  p.tasks.push_back(isa::DmaTask{t, isa::DmaDir::MM2S, channel, 0, 4});
  p.tasks.push_back(isa::DmaTask{t, isa::DmaDir::S2MM, static_cast<uint8_t>(1 - channel), 2, 1});
  return p;
}

TEST(BdSlots, AlternatePhasesUseTheTopOfTheTilesBds) {
  config::ArrayConfig cfg;  // compute tile: 16 BDs
  isa::Program prog;
  prog.phases = {phase(0), phase(0x1000), phase(0x2000), phase(0x2000)};
  isa::assign_bd_slots(prog, cfg);
  const auto ids = [&](size_t p) {
    std::set<uint16_t> s;
    for (const auto& b : prog.phases[p].bds[0].bds) s.insert(b.id);
    return s;
  };
  EXPECT_EQ(ids(0), (std::set<uint16_t>{0, 1, 2}));
  EXPECT_EQ(ids(1), (std::set<uint16_t>{13, 14, 15}));  // moved: phase 0 uses 0..2
  EXPECT_EQ(ids(2), (std::set<uint16_t>{0, 1, 2}));     // free again
  EXPECT_EQ(ids(3), (std::set<uint16_t>{0, 1, 2}));     // the same BDs as phase 2: nothing to write, stays
  // Chains and task starts moved with their BDs.
  const isa::Phase& p1 = prog.phases[1];
  EXPECT_EQ(p1.bds[0].bds[0].next_bd, 14);
  EXPECT_EQ(p1.bds[0].bds[1].next_bd, 13);
  EXPECT_EQ(p1.tasks[0].start_bd, 13);
  EXPECT_EQ(p1.tasks[1].start_bd, 15);
  EXPECT_EQ(p1.bds[0].bds[0].addr, 0x1000u);  // nothing else changed
}

TEST(BdSlots, MemtileOddChannelsGetTheUpperHalfAndOverfullRangesAreErrors) {
  config::ArrayConfig cfg;  // memtile: 48 BDs
  EXPECT_EQ(isa::bd_range(cfg, isa::TileKind::Mem, 0), (std::pair<uint32_t, uint32_t>{0, 24}));
  EXPECT_EQ(isa::bd_range(cfg, isa::TileKind::Mem, 5), (std::pair<uint32_t, uint32_t>{24, 48}));
  EXPECT_EQ(isa::bd_range(cfg, isa::TileKind::Core, 1), (std::pair<uint32_t, uint32_t>{0, 16}));
  // On a memtile, channel 0's ping-pong pair stays low; channel 1's BD moves up; and the other way
  // round with the pair on channel 1.
  isa::Program mem;
  mem.phases = {phase(0, {0, 1}, 0), phase(0x1000, {0, 1}, 1)};
  isa::assign_bd_slots(mem, cfg);
  const auto& m0 = mem.phases[0].bds[0].bds;
  EXPECT_EQ(m0[0].id, 0);
  EXPECT_EQ(m0[1].id, 1);
  EXPECT_EQ(m0[2].id, 24);
  EXPECT_EQ(mem.phases[0].tasks[1].start_bd, 24);
  const auto& m1 = mem.phases[1].bds[0].bds;  // the pair in 24..47 (top: 24 is taken), the single in 0..23 (top)
  EXPECT_EQ(m1[0].id, 46);
  EXPECT_EQ(m1[1].id, 47);
  EXPECT_EQ(m1[0].next_bd, 47);
  EXPECT_EQ(m1[2].id, 23);
  // A BD both parities run cannot be placed.
  isa::Program both;
  both.phases = {phase(0, {0, 1}, 0)};
  both.phases[0].tasks[1].start_bd = 1;  // channel 1 starts inside channel 0's ping-pong pair
  EXPECT_THROW(isa::assign_bd_slots(both, cfg), std::runtime_error);
  // More BDs than a half holds.
  isa::Program many;
  many.phases.resize(1);
  isa::TileBds tb{{0, 1}, {}};
  for (uint16_t i = 0; i < 25; ++i) tb.bds.push_back(bd(i, 64u * i, i + 1 < 25 ? static_cast<int16_t>(i + 1) : isa::kNoNextBd));
  many.phases[0].bds.push_back(tb);
  many.phases[0].tasks.push_back(isa::DmaTask{{0, 1}, isa::DmaDir::S2MM, 2, 0, 25});
  try {
    isa::assign_bd_slots(many, cfg);
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("25 BDs for channels 0/2/4, which reach 24"), std::string::npos) << e.what();
  }
}

TEST(BdSlots, AMemtileWhoseEvenChannelsNeedTooManyBdsGetsItsChannelsRenumbered) {
  // MM2S channels 0, 2 and 4 run chains of 10 BDs each (30 > 24), channel 1 one BD; routes go to
  // core tiles. The pass makes one of the long chains odd; tasks and routes follow.
  config::ArrayConfig cfg;
  cfg.columns = 1;
  cfg.core_rows = 4;
  const isa::TileId mem{0, 1};
  isa::Program prog;
  prog.phases.resize(1);
  isa::Phase& ph = prog.phases[0];
  isa::TileBds tb{mem, {}};
  uint16_t id = 0;
  for (uint8_t ch : {0, 2, 4, 1}) {
    const uint16_t n = ch == 1 ? 1 : 10;
    for (uint16_t k = 0; k < n; ++k, ++id)
      tb.bds.push_back(bd(id, 64u * id, k + 1 < n ? static_cast<int16_t>(id + 1) : isa::kNoNextBd));
    ph.tasks.push_back(isa::DmaTask{mem, isa::DmaDir::MM2S, ch, static_cast<uint16_t>(id - n), n});
    const uint8_t core_row = ch == 1 ? 5 : static_cast<uint8_t>(2 + ch / 2);  // one core each
    ph.routes.push_back(isa::Route{{mem, ch}, {{isa::TileId{0, core_row}, 0}}});
  }
  ph.bds.push_back(tb);
  isa::assign_bd_slots(prog, cfg);
  // Every chain now lies in its channel's range.
  std::map<uint16_t, const isa::BufferDescriptor*> by_id;
  for (const auto& b : ph.bds[0].bds) by_id[b.id] = &b;
  std::set<uint8_t> channels;
  for (const isa::DmaTask& t : ph.tasks) {
    channels.insert(t.channel);
    const auto [lo, hi] = isa::bd_range(cfg, isa::TileKind::Mem, t.channel);
    for (int b = t.start_bd; b >= 0;) {
      ASSERT_TRUE(by_id.count(static_cast<uint16_t>(b))) << b;
      EXPECT_GE(b, static_cast<int>(lo));
      EXPECT_LT(b, static_cast<int>(hi));
      b = by_id[static_cast<uint16_t>(b)]->next_bd;
    }
  }
  EXPECT_EQ(channels.size(), 4u);  // still four distinct channels
  // Routes follow their tasks: each route's source channel is a task's channel, to the same core.
  for (size_t i = 0; i < ph.routes.size(); ++i) EXPECT_EQ(ph.routes[i].src.channel, ph.tasks[i].channel) << i;
  EXPECT_EQ(ph.tasks[0].channel, 0);  // renaming as few as possible: channel 0 kept
}

}  // namespace
}  // namespace saie
