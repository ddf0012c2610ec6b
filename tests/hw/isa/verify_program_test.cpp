// verify_program_test.cpp — a valid program passes the program verifier; each violation is named
// precisely.
#include "hw/isa/verify_program.h"
#include "hw/isa/tile_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace saie::isa {
namespace {

using ::testing::HasSubstr;
using isa::TileId;

constexpr TileId kShim{0, 0}, kMemTile{0, 1}, kCore{0, 2};

isa::BufferDescriptor bd(uint16_t id, uint64_t addr, uint32_t bytes) {
  isa::BufferDescriptor b;
  b.id = id;
  b.addr = addr;
  b.ndims = 1;
  b.dims[0] = {bytes, 1};
  return b;
}

// shim MM2S0 -> memtile S2MM0; memtile MM2S0 -> core(0,2) S2MM0 (ping-pong); core runs a conv.
isa::Program valid_program() {
  isa::Program p;
  p.columns = 2;
  p.core_rows = 2;
  p.mem_rows = 1;
  p.name = "tiny";
  p.ddr_bytes_needed = 1 << 20;
  p.input = {0, 8, 8, 8, 64, 8, 0.5f};
  p.output = {4096, 4, 4, 8, 32, 8, 0.25f};
  p.ddr_init.push_back({65536, std::vector<uint8_t>(1000, 1)});

  isa::Phase ph;
  ph.name = "conv1";
  ph.locks = {{kMemTile, 0, 0}, {kMemTile, 1, 1}, {kCore, 0, 2}, {kCore, 1, 0}};
  ph.routes.push_back({{kShim, 0}, {{kMemTile, 0}}});
  ph.routes.push_back({{kMemTile, 0}, {{kCore, 0}, {TileId{0, 3}, 0}}});

  isa::BufferDescriptor s = bd(0, 0, 512);
  s.ndims = 2;
  s.dims[0] = {64, 1};
  s.dims[1] = {8, 64};
  ph.bds.push_back({kShim, {s}});

  isa::BufferDescriptor m_in = bd(0, 0, 512);
  m_in.rel_lock = 0;
  m_in.rel_value = 1;
  isa::BufferDescriptor m_out = bd(1, 0, 256);
  m_out.ndims = 4;
  m_out.dims[1] = {2, 256};
  m_out.dims[2] = {1, 0};
  m_out.dims[3] = {1, 0};
  m_out.iter_count = 2;
  m_out.iter_stride = -256 + 512;  // net forward
  m_out.acq_lock = 0;
  m_out.acq_value = 1;
  ph.bds.push_back({kMemTile, {m_in, m_out}});

  isa::BufferDescriptor c0 = bd(0, 0, 256), c1 = bd(1, 256, 256);
  c0.acq_lock = c1.acq_lock = 0;
  c0.acq_value = c1.acq_value = 1;
  c0.rel_lock = c1.rel_lock = 1;
  c0.rel_value = c1.rel_value = 1;
  c0.next_bd = 1;
  c1.next_bd = 0;
  ph.bds.push_back({kCore, {c0, c1}});
  isa::BufferDescriptor c3 = bd(0, 0, 256);
  c3.iter_count = 4;  // takes the memtile's 2 x 2 x 256 bytes, as core (0,2) does in 4 BD executions
  ph.bds.push_back({TileId{0, 3}, {c3}});

  ph.tasks.push_back({kShim, isa::DmaDir::MM2S, 0, 0, 1});
  ph.tasks.push_back({kMemTile, isa::DmaDir::S2MM, 0, 0, 1});
  ph.tasks.push_back({kMemTile, isa::DmaDir::MM2S, 0, 1, 1});
  ph.tasks.push_back({kCore, isa::DmaDir::S2MM, 0, 0, 4});
  ph.tasks.push_back({TileId{0, 3}, isa::DmaDir::S2MM, 0, 0, 1});

  isa::CoreProgram cp;
  cp.tile = kCore;
  isa::CoreOp acq;
  acq.kind = isa::CoreOpKind::Acquire;
  acq.lock = 1;
  acq.value = 1;
  isa::CoreOp conv;
  conv.kind = isa::CoreOpKind::Conv;
  conv.label = "conv1 band 0";
  conv.conv.in_addr = 0;
  conv.conv.in_h = 4;
  conv.conv.in_w = 8;
  conv.conv.in_c = 8;
  conv.conv.kh = conv.conv.kw = 3;
  conv.conv.out_h = 2;
  conv.conv.out_w = 6;
  conv.conv.out_c = 16;
  conv.conv.out_addr = 1024;
  conv.conv.w_addr = 2048;
  conv.conv.qp_addr = 8192;
  isa::CoreOp pool;
  pool.kind = isa::CoreOpKind::AvgPool;
  pool.pool.in_addr = 1024;
  pool.pool.in_h = 2;
  pool.pool.in_w = 6;
  pool.pool.c = 16;
  pool.pool.out_h = 1;
  pool.pool.out_w = 3;
  pool.pool.kh = pool.pool.kw = pool.pool.stride_h = pool.pool.stride_w = 2;
  pool.pool.out_addr = 12000;
  pool.pool.shift = 2;
  isa::CoreOp add;
  add.kind = isa::CoreOpKind::Add;
  add.add = {0, 100, 200, 100, 1, 1, 0, 1};
  isa::CoreOp rel = acq;
  rel.kind = isa::CoreOpKind::Release;
  rel.lock = 0;
  cp.ops = {acq, conv, pool, add, rel};
  ph.cores.push_back(cp);
  p.phases.push_back(ph);
  return p;
}

config::ArrayConfig cfg2x2() {
  config::ArrayConfig c;
  c.name = "test-2x2";
  return c;  // defaults: 2 columns, 2 core rows, 1 mem row, 64 KiB cores, 512 KiB memtiles, 64 MiB DDR
}

// The error message, or "" when `base` (default: valid_program()) changed by `mutate` passes.
std::string error_of(const std::function<void(isa::Program&)>& mutate, config::ArrayConfig c = cfg2x2(),
                     isa::Program p = valid_program()) {
  mutate(p);
  try {
    verify_program(p, c);
  } catch (const ProgramError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
  return "";
}

isa::Phase& ph(isa::Program& p) { return p.phases[0]; }

TEST(ProgramCheck, TileNames) {
  EXPECT_EQ(tile_label(TileId{1, 2}), "tile(1,2)");
  EXPECT_EQ(tile_label(TileId{12, 0}), "tile(12,0)");
  EXPECT_EQ(tile_name(TileId{12, 0}), "tile_12_0");
  EXPECT_EQ(tile_coords(TileId{3, 4}), "3_4");
  ASSERT_TRUE(parse_tile_name("tile_12_0").has_value());
  EXPECT_EQ(parse_tile_name("tile_12_0")->col, 12u);
  EXPECT_EQ(parse_tile_coords("3_4")->row, 4u);
  for (const char* bad : {"", "tile_", "tile_1", "tile_1_", "tile__2", "tile_1_2_3", "tile_-1_2", "1_2x", "1234_2"})
    EXPECT_FALSE(parse_tile_name(bad).has_value() && std::string(bad).rfind("tile_", 0) == 0) << bad;
  EXPECT_FALSE(parse_tile_coords("1234_2").has_value());
  EXPECT_FALSE(parse_tile_coords("a_2").has_value());
}

TEST(ProgramCheck, ValidProgramPasses) {
  EXPECT_EQ(error_of([](isa::Program&) {}), "");
  EXPECT_NO_THROW(verify_program(valid_program(), cfg2x2()));
}

// The footprint: one past the highest byte a BD or compute operand addresses.
TEST(ProgramCheck, MemoryFootprint) {
  const MemoryFootprint fp = verify_program(valid_program(), cfg2x2());
  EXPECT_EQ(fp.memtile_bytes, 768u);  // m_out: 255 + 256 (dim 1) + 256 (second repetition) + 1
  EXPECT_EQ(fp.phase_memtile_bytes, std::vector<uint64_t>{768u});  // one phase
  EXPECT_GE(fp.core_bytes, 512u);     // c1 ends at 512; the core ops' operands may reach further
  isa::Program p = valid_program();
  p.phases[0].bds[2].bds[1].addr = 60000;  // c1: 256 bytes
  EXPECT_EQ(verify_program(p, cfg2x2()).core_bytes, 60256u);
}

TEST(ProgramCheck, GeometryMustMatchConfig) {
  EXPECT_THAT(error_of([](isa::Program& p) { p.columns = 4; }), HasSubstr("columns=4"));
  config::ArrayConfig c = cfg2x2();
  c.core_rows = 3;
  EXPECT_THAT(error_of([](isa::Program&) {}, c), HasSubstr("core_rows=3"));
  c = cfg2x2();
  c.mem_rows = 2;
  EXPECT_THAT(error_of([](isa::Program&) {}, c), HasSubstr("mem_rows=1 differs from config 'test-2x2'"));
}

// valid_program() moved to an array with two memtile rows: every core tile one row up.
isa::Program two_mem_rows_program() {
  isa::Program p = valid_program();
  p.mem_rows = 2;
  auto up = [](TileId& t) {
    if (t.row >= 2) ++t.row;
  };
  for (isa::Phase& ph : p.phases) {
    for (auto& l : ph.locks) up(l.tile);
    for (auto& r : ph.routes) {
      up(r.src.tile);
      for (auto& d : r.dsts) up(d.tile);
    }
    for (auto& tb : ph.bds) up(tb.tile);
    for (auto& t : ph.tasks) up(t.tile);
    for (auto& cp : ph.cores) up(cp.tile);
  }
  return p;
}

std::string two_rows_error(const std::function<void(isa::Program&)>& mutate, uint32_t cfg_mem_rows = 2) {
  config::ArrayConfig c = cfg2x2();
  c.mem_rows = cfg_mem_rows;
  return error_of(mutate, c, two_mem_rows_program());
}

TEST(ProgramCheck, TwoMemtileRowsAreAccepted) {
  EXPECT_EQ(two_rows_error([](isa::Program&) {}), "");
  // Row 2 is a memtile: memtile resources (4-D BDs, 512 KiB, 6 channels, 64 locks) and no core.
  EXPECT_EQ(two_rows_error([](isa::Program& p) {
              isa::BufferDescriptor b = bd(0, 400000, 1024);
              b.ndims = 4;
              ph(p).bds.push_back({TileId{1, 2}, {b}});
              ph(p).locks.push_back({TileId{1, 2}, 60, 1});
            }),
            "");
  EXPECT_THAT(two_rows_error([](isa::Program& p) { ph(p).cores[0].tile = TileId{0, 2}; }),
              HasSubstr("core program on tile(0,2), a memtile tile"));
  // Row 3 is a core: core data memory and 3-D BDs.
  EXPECT_THAT(two_rows_error([](isa::Program& p) { ph(p).bds.push_back({TileId{1, 3}, {bd(0, 65536, 1)}}); }),
              HasSubstr("tile(1,3) BD 0: touches bytes [65536, 65536] outside data memory"));
  // Rows 0..4 exist (shim, 2 memtile rows, 2 core rows), row 5 does not.
  EXPECT_EQ(two_rows_error([](isa::Program& p) { ph(p).locks.push_back({TileId{1, 4}, 0, 0}); }), "");
  EXPECT_THAT(two_rows_error([](isa::Program& p) { ph(p).locks.push_back({TileId{1, 5}, 0, 0}); }),
              HasSubstr("lock init on tile(1,5) outside the array (2 columns, rows 0..4)"));
  // The program must be built for the config's memtile rows.
  EXPECT_THAT(two_rows_error([](isa::Program& p) { p.mem_rows = 1; }),
              HasSubstr("mem_rows=1 differs from config 'test-2x2'"));
}

TEST(ProgramCheck, MoreThanTwoMemtileRowsAreRejected) {
  EXPECT_EQ(two_rows_error([](isa::Program& p) { p.mem_rows = 3; }, 3),
            "program check: program: config mem_rows 3 unsupported (1..2 memtile rows)");
  EXPECT_THAT(two_rows_error([](isa::Program& p) { p.mem_rows = 0; }, 0),
              HasSubstr("config mem_rows 0 unsupported"));
}

TEST(ProgramCheck, TilesMustExist) {
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).locks.push_back({TileId{2, 2}, 0, 0}); }),
              HasSubstr("tile(2,2) outside the array"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds.push_back({TileId{0, 4}, {bd(0, 0, 1)}}); }),
              HasSubstr("phase 0 'conv1': BDs on tile(0,4) outside the array"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].tile = TileId{0, 1}; }),
              HasSubstr("core program on tile(0,1), a memtile tile"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores.push_back(ph(p).cores[0]); }),
              HasSubstr("tile(0,2) has two core programs"));
}

TEST(ProgramCheck, ChannelsAndRoutes) {
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes[0].src.channel = 2; }),
              HasSubstr("tile(0,0) route 0 source MM2S channel 2 out of range (shim has 2)"));
  // The memtile has 6 S2MM channels: 5 is fine there (with its BD in 24..47), but not on a core.
  EXPECT_EQ(error_of([](isa::Program& p) {
              ph(p).routes[0].dsts[0].channel = 5;
              ph(p).tasks[1].channel = 5;
              ph(p).bds[1].bds[0].id = 24;
              ph(p).tasks[1].start_bd = 24;
            }),
            "");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes[1].dsts[1].channel = 2; }),
              HasSubstr("tile(0,3) route 1 destination S2MM channel 2 out of range (core has 2)"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes[1].dsts.push_back({kCore, 0}); }),
              HasSubstr("tile(0,2) S2MM channel 0 is the destination of two routes"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes.push_back({{kMemTile, 0}, {{TileId{1, 2}, 0}}}); }),
              HasSubstr("tile(0,1) MM2S channel 0 is the source of two routes"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes[0].dsts.clear(); }), HasSubstr("has no destination"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).tasks[3].channel = 2; }),
              HasSubstr("tile(0,2) task S2MM channel 2 out of range"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes.erase(ph(p).routes.begin()); }),
              HasSubstr("tile(0,0) MM2S channel 0 has a task but no route"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes[1].dsts.pop_back(); }),
              HasSubstr("tile(0,3) S2MM channel 0 has a task but no route"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).tasks.push_back(ph(p).tasks[0]); }),
              HasSubstr("tile(0,0) MM2S channel 0 has two tasks"));
}

TEST(ProgramCheck, BdResources) {
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[1].id = 16; }),
              HasSubstr("tile(0,2) BD 16 out of range (core has 16 BDs)"));
  EXPECT_EQ(error_of([](isa::Program& p) {  // memtile has 48 BDs, 0..23 for channels 0, 2, 4
              ph(p).bds[1].bds[1].id = 23;
              ph(p).tasks[2].start_bd = 23;
            }),
            "");
  EXPECT_THAT(error_of([](isa::Program& p) {  // 24..47 for channels 1, 3, 5
                ph(p).bds[1].bds[1].id = 47;
                ph(p).tasks[2].start_bd = 47;
              }),
              HasSubstr("tile(0,1) BD 47: MM2S channel 0 runs it, but that channel reaches BDs 0..23 only"));
  EXPECT_THAT(error_of([](isa::Program& p) {
                ph(p).routes[0].dsts[0].channel = 1;
                ph(p).tasks[1].channel = 1;
              }),
              HasSubstr("tile(0,1) BD 0: S2MM channel 1 runs it, but that channel reaches BDs 24..47 only"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[1].id = 0; }), HasSubstr("tile(0,2) BD 0 defined twice"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds.push_back({kCore, {bd(1, 0, 4)}}); }),
              HasSubstr("tile(0,2) BD 1 defined twice"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[1].next_bd = 5; }),
              HasSubstr("tile(0,2) BD 1: next_bd 5 is not a BD of this tile"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).tasks[2].start_bd = 3; }),
              HasSubstr("tile(0,1) MM2S channel 0 task start_bd 3 is not a BD of this tile"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].acq_lock = 16; }),
              HasSubstr("tile(0,2) BD 0 acquire lock 16 out of range (core has 16 locks)"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[1].bds[0].rel_lock = 64; }),
              HasSubstr("tile(0,1) BD 0 release lock 64 out of range (memtile has 64 locks)"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].ndims = 4; }),
              HasSubstr("tile(0,2) BD 0: ndims 4 outside 1..3 for a core tile"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[0].bds[0].ndims = 4; }),
              HasSubstr("tile(0,0) BD 0: ndims 4 outside 1..3 for a shim tile"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[1].bds[1].ndims = 5; }),
              HasSubstr("tile(0,1) BD 1: ndims 5 outside 1..4"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].ndims = 0; }), HasSubstr("tile(0,2) BD 0: ndims 0"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].iter_count = 0; }),
              HasSubstr("tile(0,2) BD 0: iter_count is 0"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].dims[0].size = 0; }),
              HasSubstr("tile(0,2) BD 0: dim 0 size is 0"));
}

TEST(ProgramCheck, BdExtentsIncludeAllDimsRepetitionsAndNegativeStrides) {
  // Core BD 1 covers [256, 511]; moving it to 65280 still fits (64 KiB = 65536).
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).bds[2].bds[1].addr = 65280; }), "");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[1].addr = 65281; }),
              HasSubstr("tile(0,2) BD 1: touches bytes [65281, 65536] outside data memory of 65536 bytes"));
  // Repetitions: 5 x 256 bytes with iter_stride 256 from 64512 -> last byte 64512 + 255 + 4*256.
  EXPECT_THAT(error_of([](isa::Program& p) {
                auto& b = ph(p).bds[2].bds[0];
                b.addr = 64512;
                b.iter_count = 5;
                b.iter_stride = 256;
              }),
              HasSubstr("[64512, 65791]"));
  // Negative stride from address 100 walking down 2 x 64 bytes reaches below 0.
  EXPECT_THAT(error_of([](isa::Program& p) {
                auto& b = ph(p).bds[2].bds[0];
                b.addr = 100;
                b.ndims = 2;
                b.dims[0] = {64, 1};
                b.dims[1] = {3, -64};
              }),
              HasSubstr("tile(0,2) BD 0: touches bytes [-28, 163]"));
  // Memtile: 512 KiB.
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[1].bds[0].addr = 512 * 1024 - 511; }),
              HasSubstr("tile(0,1) BD 0: touches bytes [523777, 524288] outside memtile memory of 524288 bytes"));
  // Shim BDs address the program's DDR (ddr_bytes_needed: 1 MiB here), itself inside the
  // config's (64 MiB).
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).bds[0].bds[0].addr = (1u << 20) - 512; }), "");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[0].bds[0].addr = (1u << 20) - 511; }),
              HasSubstr("tile(0,0) BD 0: touches bytes [1048065, 1048576] outside the program's DDR (ddr_bytes_needed) of "
                        "1048576 bytes"));
  EXPECT_EQ(error_of([](isa::Program& p) {
              p.ddr_bytes_needed = 64ull << 20;
              ph(p).bds[0].bds[0].addr = (64ull << 20) - 512;
            }),
            "");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[0].bds[0].dims[1].stride = 1 << 30; }),
              HasSubstr("tile(0,0) BD 0: touches bytes [0, 7516192831] outside the program's DDR"));
}

// ---- zero padding (memtile MM2S only, dims 0..2) ----

// After a mutation changes what memtile MM2S 0 streams (route 1), both of its destinations take
// exactly that: one BD that writes the stream's bytes over one byte (stride 0), so the extent
// checks stay out of the way.
void destinations_take_all(isa::Program& p) {
  const uint64_t n = task_bytes(ph(p), ph(p).tasks[2]);
  for (const TileId t : {kCore, TileId{0, 3}}) {
    isa::BufferDescriptor b = bd(0, 0, 1);
    b.ndims = 2;
    b.dims[1] = {static_cast<uint32_t>(n), 0};
    for (isa::TileBds& tb : ph(p).bds)
      if (tb.tile == t) tb.bds = {b};
  }
  ph(p).tasks[3].bd_executions = 1;
}

TEST(ProgramCheck, PaddingOnMemtileMm2sIsAccepted) {
  // Memtile BD 1 (4-D, run by MM2S 0): padding on dims 0..2. Padding streams zeros, so the
  // destinations must take the padded size.
  EXPECT_THAT(error_of([](isa::Program& p) {
                auto& b = ph(p).bds[1].bds[1];
                b.pad_before = {1, 2, 3, 0};
                b.pad_after = {4, 0, 1, 0};
              }),
              HasSubstr("route 1: tile(0,1) MM2S channel 0 sends 10440 bytes, tile(0,2) S2MM channel 0 receives 1024"));
  EXPECT_EQ(error_of([](isa::Program& p) {
              auto& b = ph(p).bds[1].bds[1];
              b.pad_before = {1, 2, 3, 0};
              b.pad_after = {4, 0, 1, 0};
              destinations_take_all(p);
            }),
            "");
  // Extents use the real addresses only: BD 1 spans [addr, addr + 767]; padding adds nothing.
  const uint64_t mem = 512 * 1024;
  EXPECT_EQ(error_of([&](isa::Program& p) {
              auto& b = ph(p).bds[1].bds[1];
              b.addr = mem - 768;
              b.pad_before = {255, 255, 255, 0};
              b.pad_after = {255, 255, 255, 0};
              destinations_take_all(p);
            }),
            "");
}

TEST(ProgramCheck, PaddingElsewhereIsRejected) {
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).bds[2].bds[1].pad_before[0] = 1; }),
            "program check: phase 0 'conv1': tile(0,2) BD 1: zero padding on dim 0 (before 1, after 0) on a core "
            "tile (only memtile MM2S BDs pad)");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[0].bds[0].pad_after[1] = 2; }),
              HasSubstr("tile(0,0) BD 0: zero padding on dim 1 (before 0, after 2) on a shim tile"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[1].bds[1].pad_after[3] = 1; }),
              HasSubstr("tile(0,1) BD 1: zero padding on dim 3 (before 0, after 1): only dims 0..2 pad"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[1].bds[0].pad_before[1] = 1; }),
              HasSubstr("tile(0,1) BD 0: zero padding on dim 1 (before 1, after 0) beyond ndims 1"));
  // Memtile BD 0 is run by S2MM 0.
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).bds[1].bds[0].pad_after[0] = 3; }),
            "program check: phase 0 'conv1': tile(0,1) BD 0: zero padding on dim 0, but S2MM channel 0 runs it "
            "(only MM2S BDs pad)");
  // Reached through next_bd: the S2MM task starts at BD 0, which chains to padded BD 2.
  EXPECT_THAT(error_of([](isa::Program& p) {
                isa::BufferDescriptor b = bd(2, 4096, 64);
                b.pad_before[0] = 1;
                ph(p).bds[1].bds.push_back(b);
                ph(p).bds[1].bds[0].next_bd = 2;
                ph(p).tasks[1].bd_executions = 2;
              }),
              HasSubstr("tile(0,1) BD 2: zero padding on dim 0, but S2MM channel 0 runs it"));
  // Not reached (the task ends after one BD execution): accepted.
  EXPECT_EQ(error_of([](isa::Program& p) {
              isa::BufferDescriptor b = bd(2, 4096, 64);
              b.pad_before[0] = 1;
              ph(p).bds[1].bds.push_back(b);
              ph(p).bds[1].bds[0].next_bd = 2;
            }),
            "");
}

// ---- memtile neighbour addresses: [S, 2S) west, [2S, 3S) east ----

constexpr uint64_t kS = 512 * 1024;

// Memtile `t` MM2S `ch` runs a 64-byte BD 2 at `addr`, routed to core (1,2) S2MM 1, which takes
// the 64 bytes with its BD 0.
// (The BD is 2 for an even channel, 26 for an odd one: a memtile's odd channels run BDs 24..47.)
void add_memtile_read(isa::Program& p, TileId t, uint8_t ch, uint64_t addr) {
  const uint16_t id = ch % 2 ? 26 : 2;
  ph(p).bds.push_back({t, {bd(id, addr, 64)}});
  ph(p).routes.push_back({{t, ch}, {{TileId{1, 2}, 1}}});
  ph(p).tasks.push_back({t, isa::DmaDir::MM2S, ch, id, 1});
  ph(p).bds.push_back({TileId{1, 2}, {bd(0, 0, 64)}});
  ph(p).tasks.push_back({TileId{1, 2}, isa::DmaDir::S2MM, 1, 0, 1});
}

TEST(ProgramCheck, NeighbourMemtileAddresses) {
  // (0,1) reads its east neighbour (1,1); (1,1) its west neighbour (0,1); channels 0..3.
  EXPECT_EQ(error_of([](isa::Program& p) { add_memtile_read(p, kMemTile, 3, 2 * kS); }), "");
  EXPECT_EQ(error_of([](isa::Program& p) { add_memtile_read(p, TileId{1, 1}, 1, kS + kS - 64); }), "");
  // Neighbours that do not exist.
  EXPECT_EQ(error_of([](isa::Program& p) { add_memtile_read(p, kMemTile, 1, kS + 100); }),
            "program check: phase 0 'conv1': tile(0,1) BD 26: touches bytes [524388, 524451] of the west "
            "neighbour memtile, but column 0 has none");
  EXPECT_THAT(error_of([](isa::Program& p) { add_memtile_read(p, TileId{1, 1}, 1, 2 * kS); }),
              HasSubstr("tile(1,1) BD 26: touches bytes [1048576, 1048639] of the east neighbour memtile, but "
                        "column 1 is the last"));
  // Channels 4 and 5 reach only their own memory.
  EXPECT_EQ(error_of([](isa::Program& p) { add_memtile_read(p, kMemTile, 4, 2 * kS); }),
            "program check: phase 0 'conv1': tile(0,1) BD 2: addresses the east neighbour memtile, but MM2S "
            "channel 4 runs it (only channels 0..3 reach neighbours)");
  EXPECT_THAT(error_of([](isa::Program& p) {
                ph(p).bds[1].bds[0].addr = 2 * kS;  // run by S2MM 5
                ph(p).bds[1].bds[0].id = 24;
                ph(p).routes[0].dsts[0].channel = 5;
                ph(p).tasks[1].channel = 5;
                ph(p).tasks[1].start_bd = 24;
              }),
              HasSubstr("tile(0,1) BD 24: addresses the east neighbour memtile, but S2MM channel 5 runs it"));
  EXPECT_EQ(error_of([](isa::Program& p) { add_memtile_read(p, kMemTile, 5, 1000); }), "");
  // One BD stays in one memory; nothing beyond 3S.
  EXPECT_THAT(error_of([](isa::Program& p) { add_memtile_read(p, TileId{1, 1}, 0, kS - 32); }),
              HasSubstr("tile(1,1) BD 2: touches bytes [524256, 524319] outside memtile memory of 524288 bytes "
                        "(crosses from own into west memory; a BD addresses one memory)"));
  EXPECT_THAT(error_of([](isa::Program& p) { add_memtile_read(p, kMemTile, 0, 3 * kS - 63); }),
              HasSubstr("tile(0,1) BD 2: touches bytes [1572801, 1572864] outside memtile memory of 524288 bytes "
                        "(neighbours: [524288, 1572864))"));
  // Core tiles have no neighbour map.
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[1].addr = kS; }),
              HasSubstr("tile(0,2) BD 1: touches bytes [524288, 524543] outside data memory"));
}

TEST(ProgramCheck, Locks) {
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).locks.push_back({kCore, 16, 0}); }),
              HasSubstr("tile(0,2) init lock 16 out of range (core has 16 locks)"));
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).locks.push_back({kMemTile, 63, 63}); }), "");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).locks.push_back({kMemTile, 2, 64}); }),
              HasSubstr("tile(0,1) lock 2 init value 64 > 63"));
  // BD lock values are 6-bit like the core's: 64 could never be acquired and always overflows.
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].acq_value = 64; }),
              HasSubstr("acquire value 64 > 63"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].rel_value = 64; }),
              HasSubstr("release value 64 > 63"));
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).bds[2].bds[0].acq_value = 63; }), "");
}

TEST(ProgramCheck, CoreOps) {
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[0].lock = 16; }),
              HasSubstr("tile(0,2) op 0 acquire lock 16 out of range"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[4].value = 64; }),
              HasSubstr("tile(0,2) op 4 (release): lock value 64 > 63"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[1].conv.in_addr = 65536 - 255; }),
              HasSubstr("tile(0,2) op 1 (conv 'conv1 band 0'): input bytes [65281, +256) outside data memory"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[1].conv.out_addr = 65536 - 100; }),
              HasSubstr("op 1 (conv 'conv1 band 0'): output bytes"));
  // Header up to row_ptr is 8 + 2*3 = 14 bytes.
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).cores[0].ops[1].conv.w_addr = 65536 - 14; }), "");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[1].conv.w_addr = 65536 - 13; }),
              HasSubstr("weights header bytes [65523, +14)"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[1].conv.qp_addr = 65536 - 190; }),
              HasSubstr("requant records bytes [65346, +192)"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[1].conv.in_c = 12; }),
              HasSubstr("op 1 (conv 'conv1 band 0'): in_c 12 is not a positive multiple of 8"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[1].conv.out_w = 7; }),
              HasSubstr("output 2x7 needs input 4x9 but input is 4x8"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[2].pool.out_addr = 65536 - 47; }),
              HasSubstr("tile(0,2) op 2 (avgpool): output bytes [65489, +48)"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[2].pool.shift = 63; }),
              HasSubstr("op 2 (avgpool): shift 63"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[3].add.b_addr = 65500; }),
              HasSubstr("tile(0,2) op 3 (add): input b bytes [65500, +100)"));
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).cores[0].ops[3].add.out_addr = 65437; }),
              HasSubstr("op 3 (add): output"));
}

TEST(ProgramCheck, DdrSegmentsAndPorts) {
  // Segments and ports lie inside the program's DDR (ddr_bytes_needed), which lies inside the
  // config's (64 MiB). The program here claims the whole 64 MiB.
  const uint64_t ddr = 64ull * 1024 * 1024;
  auto whole = [&](const std::function<void(isa::Program&)>& f) {
    return [&, f](isa::Program& p) {
      p.ddr_bytes_needed = ddr;
      f(p);
    };
  };
  EXPECT_THAT(error_of(whole([&](isa::Program& p) { p.ddr_init[0].addr = ddr - 999; })),
              HasSubstr("program: ddr_init segment 0 bytes [67107865, 67108864] outside the program's DDR of 67108864 "
                        "bytes (ddr_bytes_needed)"));
  EXPECT_EQ(error_of(whole([&](isa::Program& p) { p.ddr_init[0].addr = ddr - 1000; })), "");
  EXPECT_THAT(error_of([&](isa::Program& p) { p.ddr_bytes_needed = ddr + 1; }), HasSubstr("ddr_bytes_needed"));
  // A segment past ddr_bytes_needed is outside the program's DDR even when the config's is larger.
  EXPECT_THAT(error_of([&](isa::Program& p) { p.ddr_init[0].addr = (1u << 20) - 999; }),
              HasSubstr("ddr_init segment 0 bytes [1047577, 1048576] outside the program's DDR"));
  // Output port: last byte = addr + 3*32 + 3*8 + 7 = addr + 127.
  EXPECT_EQ(error_of(whole([&](isa::Program& p) { p.output.addr = ddr - 128; })), "");
  EXPECT_THAT(error_of(whole([&](isa::Program& p) { p.output.addr = ddr - 127; })), HasSubstr("output port bytes"));
  EXPECT_THAT(error_of([&](isa::Program& p) { p.input.pitch_c = 4; }), HasSubstr("input port pitch_c 4 < c 8"));
  EXPECT_THAT(error_of([&](isa::Program& p) { p.input.row_pitch = 63; }),
              HasSubstr("input port row_pitch 63 < w*pitch_c 64"));
}

TEST(ProgramCheck, MessagesNameThePhase) {
  std::string e = error_of([](isa::Program& p) {
    p.phases.push_back(p.phases[0]);
    p.phases[1].name = "pool2";
    p.phases[1].bds[2].bds[0].id = 20;
  });
  EXPECT_THAT(e, HasSubstr("program check: phase 1 'pool2': tile(0,2) BD 20"));
}

// ---- rules the compiler's verifier had before there was one verifier ----

TEST(ProgramCheck, LockInitialisedTwice) {
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).locks.push_back({kCore, 0, 1}); }),
              HasSubstr("tile(0,2) lock 0 initialised twice in one phase"));
}

TEST(ProgramCheck, EveryRouteCarriesWhatItsDestinationsTake) {
  // The memtile streams 2 x 512 bytes; core (0,2) takes 4 x 256 and core (0,3) 4 x 256.
  EXPECT_EQ(error_of([](isa::Program& p) { ph(p).tasks[3].bd_executions = 3; }),
            "program check: phase 0 'conv1': route 1: tile(0,1) MM2S channel 0 sends 1024 bytes, tile(0,2) S2MM channel 0 "
            "receives 768");
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).bds[3].bds[0].iter_count = 5; }),
              HasSubstr("sends 1024 bytes, tile(0,3) S2MM channel 0 receives 1280"));
  // A destination without a task: nothing would ever take the stream.
  EXPECT_THAT(error_of([](isa::Program& p) {
                ph(p).routes[1].dsts.push_back({TileId{1, 2}, 0});
              }),
              HasSubstr("route 1 destination tile(1,2) S2MM channel 0 has no task"));
  // A source without a task: its destinations would wait for ever.
  EXPECT_THAT(error_of([](isa::Program& p) { ph(p).routes.push_back({{TileId{1, 1}, 0}, {{TileId{1, 2}, 0}}}); }),
              HasSubstr("route 2 source tile(1,1) MM2S channel 0 has no task"));
}

TEST(ProgramCheck, TaskBytesFollowsCyclicChainsWithoutWalkingThem) {
  isa::Phase phase;
  const TileId t{0, 2};
  isa::BufferDescriptor a = bd(0, 0, 100), b = bd(1, 0, 100);
  a.next_bd = 1;
  b.iter_count = 2;
  b.next_bd = 0;
  phase.bds.push_back({t, {a, b}});
  isa::DmaTask task;
  task.tile = t;
  task.bd_executions = 5;  // A B A B A = 100 + 200 + 100 + 200 + 100
  EXPECT_EQ(task_bytes(phase, task), 700u);
  task.bd_executions = 4000000000u;  // 2e9 rounds of A B: summed, not walked
  EXPECT_EQ(task_bytes(phase, task), 600000000000u);
  task.bd_executions = 1;
  EXPECT_EQ(task_bytes(phase, task), 100u);
  phase.bds[0].bds[1].next_bd = -1;  // A B, then the chain ends
  task.bd_executions = 5;
  EXPECT_EQ(task_bytes(phase, task), 300u);
  task.start_bd = 7;  // no such BD
  EXPECT_EQ(task_bytes(phase, task), 0u);
}

}  // namespace
}  // namespace saie::isa
