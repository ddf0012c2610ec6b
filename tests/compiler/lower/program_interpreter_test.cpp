// program_interpreter_test.cpp — the functional test oracle follows the format-1.1 BD semantics
// the compiler does not emit yet: memtile MM2S zero padding and memtile neighbour addresses
// (docs/program-format.md), on hand-built programs with hand-computed results.
#include "tests/compiler/lower/program_interpreter.h"

#include <gtest/gtest.h>

namespace saie::test {
namespace {

using isa::DmaDir;
using isa::TileId;

isa::BufferDescriptor bd(uint16_t id, uint64_t addr, std::initializer_list<isa::DmaDim> dims) {
  isa::BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.ndims = static_cast<uint8_t>(dims.size());
  int d = 0;
  for (const auto& x : dims) b.dims[d++] = x;
  return b;
}

// src MM2S ch -> dst S2MM ch with one BD each.
void transfer(isa::Phase& ph, TileId src, uint8_t sch, const isa::BufferDescriptor& sbd, TileId dst, uint8_t dch,
              const isa::BufferDescriptor& dbd) {
  ph.bds.push_back({src, {sbd}});
  ph.bds.push_back({dst, {dbd}});
  ph.routes.push_back({{src, sch}, {{dst, dch}}});
  ph.tasks.push_back({src, DmaDir::MM2S, sch, sbd.id, 1});
  ph.tasks.push_back({dst, DmaDir::S2MM, dch, dbd.id, 1});
}

config::ArrayConfig config2() {
  config::ArrayConfig c;
  c.columns = 2;
  c.core_rows = 1;
  c.mem_rows = 1;
  return c;
}

isa::Program program(const config::ArrayConfig& c, uint32_t in_bytes, uint32_t out_bytes) {
  isa::Program p;
  p.columns = static_cast<uint8_t>(c.columns);
  p.core_rows = static_cast<uint8_t>(c.core_rows);
  p.mem_rows = 1;
  p.ddr_bytes_needed = 0x10000;
  p.input = {0x1000, 1, 1, in_bytes, in_bytes, in_bytes, 1.0f};
  p.output = {0x8000, 1, 1, out_bytes, out_bytes, out_bytes, 1.0f};
  return p;
}

std::vector<int8_t> ramp(uint32_t n) {
  std::vector<int8_t> v(n);
  for (uint32_t i = 0; i < n; ++i) v[i] = static_cast<int8_t>(i + 1);  // no zeros
  return v;
}

// DDR -> memtile (0,1); memtile MM2S streams [3 pad 1,2] x [2 @ 3 pad 1,0] (6 x 3 = 18 B) to
// DDR through the shim.
TEST(ProgramInterpreter, MemtilePaddingStreamsZeros) {
  const config::ArrayConfig c = config2();
  isa::Program p = program(c, 6, 18);
  isa::Phase load, out;
  load.name = "load";
  transfer(load, {0, 0}, 0, bd(0, 0x1000, {{6, 1}}), {0, 1}, 0, bd(0, 0x40, {{6, 1}}));
  out.name = "out";
  isa::BufferDescriptor padded = bd(0, 0x40, {{3, 1}, {2, 3}});
  padded.pad_before = {1, 1, 0, 0};
  padded.pad_after = {2, 0, 0, 0};
  transfer(out, {0, 1}, 0, padded, {0, 0}, 0, bd(0, 0x8000, {{18, 1}}));
  p.phases = {load, out};
  ProgramInterpreter interp(c, p);
  const std::vector<int8_t> y = interp.run(ramp(6));
  EXPECT_EQ(y, (std::vector<int8_t>{0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0}));
}

// Memtile (1,1) reads its west neighbour (0,1) at S + a; memtile (0,1) writes its east
// neighbour (1,1) at 2S + b; (1,1) then sends its own b to DDR.
TEST(ProgramInterpreter, MemtileNeighbourAddresses) {
  const config::ArrayConfig c = config2();
  const uint64_t s = c.memtile.memory_bytes;
  isa::Program p = program(c, 8, 8);
  isa::Phase load, nb, out;
  load.name = "load";
  transfer(load, {0, 0}, 0, bd(0, 0x1000, {{8, 1}}), {0, 1}, 0, bd(0, 0x100, {{8, 1}}));
  nb.name = "neighbour";
  transfer(nb, {1, 1}, 0, bd(0, s + 0x100 + 4, {{4, 1}, {2, -4}}), {0, 1}, 1, bd(0, 2 * s + 0x200, {{8, 1}}));
  out.name = "out";
  transfer(out, {1, 1}, 1, bd(0, 0x200, {{8, 1}}), {1, 0}, 0, bd(0, 0x8000, {{8, 1}}));
  p.phases = {load, nb, out};
  ProgramInterpreter interp(c, p);
  EXPECT_EQ(interp.run(ramp(8)), (std::vector<int8_t>{5, 6, 7, 8, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace saie::test
