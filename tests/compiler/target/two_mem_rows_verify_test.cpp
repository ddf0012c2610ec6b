// two_mem_rows_verify_test.cpp — the program verifier numbers tiles by the target's memtile
// rows: with two (VE2802 layout) row 2 is a memtile and cores start at row 3.
#include <gtest/gtest.h>

#include <string>

#include "compiler/target/target_model.h"
#include "hw/isa/verify_program.h"

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
  transfer(ph, core, 0, bd(1, 256, kN), mem, 1, bd(24, 1024, kN));  // odd memtile channels: BDs 24..47
  transfer(ph, mem, 1, bd(25, 1024, kN), shim, 0, bd(1, 2048, kN));
  isa::CoreOp acq;
  acq.kind = isa::CoreOpKind::Acquire;
  ph.cores.push_back({core, {acq}});
  p.phases.push_back(ph);
  return p;
}

// The verifier's message, or "" when p passes.
std::string error_of(const isa::Program& p, const config::ArrayConfig& c) {
  try {
    isa::verify_program(p, c);
  } catch (const isa::ProgramError& e) {
    return e.what();
  }
  return "";
}

TEST(TwoMemRowsVerify, AcceptsARoundTripThroughCoreRow3) {
  const config::ArrayConfig c = two_rows();
  const target::TargetModel tm(c);
  const isa::Program p = round_trip(tm);
  ASSERT_EQ(p.phases[0].cores[0].tile, (TileId{0, 3}));
  EXPECT_EQ(error_of(p, c), "");
}

TEST(TwoMemRowsVerify, Row2IsAMemtileAndRow5IsOutside) {
  const config::ArrayConfig c = two_rows();
  const target::TargetModel tm(c);
  isa::Program p = round_trip(tm);
  p.phases[0].cores[0].tile = TileId{0, 2};
  EXPECT_NE(error_of(p, c).find("core program on tile(0,2), a memtile tile"), std::string::npos) << error_of(p, c);

  p = round_trip(tm);
  // Memtile resources on row 2: BD ids and locks beyond a core's 16 are fine.
  p.phases[0].locks.push_back({TileId{1, 2}, 40, 1});
  EXPECT_EQ(error_of(p, c), "");
  p.phases[0].locks.push_back({TileId{1, 3}, 40, 1});
  EXPECT_NE(error_of(p, c).find("tile(1,3) init lock 40 out of range (core has 16 locks)"), std::string::npos) << error_of(p, c);

  p = round_trip(tm);
  p.phases[0].locks.push_back({TileId{0, 4}, 0, 0});
  EXPECT_EQ(error_of(p, c), "");
  p.phases[0].locks.push_back({TileId{0, 5}, 0, 0});
  EXPECT_NE(error_of(p, c).find("lock init on tile(0,5) outside the array"), std::string::npos) << error_of(p, c);
}

TEST(TwoMemRowsVerify, ProgramMustMatchTheTargetsMemRows) {
  const config::ArrayConfig two = two_rows();
  const config::ArrayConfig one;
  const isa::Program p = round_trip(target::TargetModel(two));
  const std::string e = error_of(p, one);
  EXPECT_NE(e.find("mem_rows=2 differs from config"), std::string::npos) << e;
  EXPECT_NE(e.find("mem_rows=1"), std::string::npos) << e;
}

}  // namespace
}  // namespace saie
