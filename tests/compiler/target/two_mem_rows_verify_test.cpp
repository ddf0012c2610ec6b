// two_mem_rows_verify_test.cpp — the lowering verifier numbers tiles by the target's memtile
// rows: with two (VE2802 layout) row 2 is a memtile and cores start at row 3.
#include <gtest/gtest.h>

#include <string>

#include "compiler/lower/verify_program.h"
#include "compiler/target/target_model.h"

namespace saie {
namespace {

using isa::DmaDir;
using isa::TileId;

constexpr uint32_t kN = 64;

isa::BufferDescriptor bd(uint16_t id, uint64_t addr, uint32_t n) {
  isa::BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.dims[0] = {n, 1};
  return b;
}

void transfer(isa::Phase& ph, TileId src, uint8_t sch, isa::BufferDescriptor sbd, TileId dst, uint8_t dch,
              isa::BufferDescriptor dbd) {
  ph.bds.push_back({src, {sbd}});
  ph.bds.push_back({dst, {dbd}});
  ph.routes.push_back({{src, sch}, {{dst, dch}}});
  ph.tasks.push_back({src, DmaDir::MM2S, sch, sbd.id, 1});
  ph.tasks.push_back({dst, DmaDir::S2MM, dch, dbd.id, 1});
}

config::ArrayConfig two_rows() {
  config::ArrayConfig c;  // 2 columns x 2 core rows
  c.mem_rows = 2;
  return c;
}

// DDR -> memtile (0,1) -> core tm.core(0,0) -> memtile (0,1) -> DDR.
isa::Program round_trip(const target::TargetModel& tm) {
  isa::Program p;
  p.columns = static_cast<uint8_t>(tm.columns());
  p.core_rows = static_cast<uint8_t>(tm.core_rows());
  p.mem_rows = static_cast<uint8_t>(tm.mem_rows());
  p.ddr_bytes_needed = 4096;
  const TileId shim = tm.shim(0), mem = tm.memtile(0), core = tm.core(0, 0);
  isa::Phase ph;
  ph.name = "round-trip";
  transfer(ph, shim, 0, bd(0, 0, kN), mem, 0, bd(0, 0, kN));
  transfer(ph, mem, 0, bd(1, 0, kN), core, 0, bd(0, 0, kN));
  transfer(ph, core, 0, bd(1, 256, kN), mem, 1, bd(2, 1024, kN));
  transfer(ph, mem, 1, bd(3, 1024, kN), shim, 0, bd(1, 2048, kN));
  isa::CoreOp acq;
  acq.kind = isa::CoreOpKind::Acquire;
  ph.cores.push_back({core, {acq}});
  p.phases.push_back(ph);
  return p;
}

std::string all(const std::vector<std::string>& errs) {
  std::string s;
  for (const auto& e : errs) s += e + "\n";
  return s;
}

TEST(TwoMemRowsVerify, AcceptsARoundTripThroughCoreRow3) {
  const config::ArrayConfig c = two_rows();
  const target::TargetModel tm(c);
  const isa::Program p = round_trip(tm);
  ASSERT_EQ(p.phases[0].cores[0].tile, (TileId{0, 3}));
  EXPECT_EQ(all(lower::verify_program(p, tm)), "");
}

TEST(TwoMemRowsVerify, Row2IsAMemtileAndRow5IsOutside) {
  const config::ArrayConfig c = two_rows();
  const target::TargetModel tm(c);
  isa::Program p = round_trip(tm);
  p.phases[0].cores[0].tile = TileId{0, 2};
  EXPECT_NE(all(lower::verify_program(p, tm)).find("core tile(0,2): not a core"), std::string::npos);

  p = round_trip(tm);
  // Memtile resources on row 2: BD ids and locks beyond a core's 16 are fine.
  p.phases[0].locks.push_back({TileId{1, 2}, 40, 1});
  EXPECT_EQ(all(lower::verify_program(p, tm)), "");
  p.phases[0].locks.push_back({TileId{1, 3}, 40, 1});
  EXPECT_NE(all(lower::verify_program(p, tm)).find("tile(1,3) lock 40: id out of range"), std::string::npos);

  p = round_trip(tm);
  p.phases[0].locks.push_back({TileId{0, 4}, 0, 0});
  EXPECT_EQ(all(lower::verify_program(p, tm)), "");
  p.phases[0].locks.push_back({TileId{0, 5}, 0, 0});
  EXPECT_NE(all(lower::verify_program(p, tm)).find("tile(0,5) lock 0: tile outside the array"), std::string::npos);
}

TEST(TwoMemRowsVerify, ProgramMustMatchTheTargetsMemRows) {
  const config::ArrayConfig two = two_rows();
  const config::ArrayConfig one;
  const isa::Program p = round_trip(target::TargetModel(two));
  const std::string e = all(lower::verify_program(p, target::TargetModel(one)));
  EXPECT_NE(e.find("program mem_rows 2 differs from the target's 1"), std::string::npos) << e;
}

}  // namespace
}  // namespace saie
