// array_pipeline_test.cpp — a 4-column x 2-core array running ping-pong pipelines (cyclic BD
// chains, lock-counted double buffers, broadcast, per-core output gather) like the compiler's
// layer schedule: every column streams its slice through both cores and back to DDR.
#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "tests/hw/sim/sim_test_util.h"

namespace saie::hw::test {
namespace {

constexpr uint32_t kCols = 4, kBand = 4096, kBands = 8, kSlice = kBand * kBands;  // bytes
constexpr uint64_t kOut = 0x100000;

// Ping-pong pair of BDs a -> b -> a on buffers addr0/addr1, acquiring `acq_l` and releasing `rel_l`.
void ping_pong(isa::Phase& ph, TileId t, int a, int b, uint32_t addr0, uint32_t addr1, uint32_t n, int acq_l,
               int rel_l) {
  add_bd(ph, t, next(rel(acq(bd(a, addr0, n), acq_l, 1), rel_l, 1), b));
  add_bd(ph, t, next(rel(acq(bd(b, addr1, n), acq_l, 1), rel_l, 1), a));
}

isa::Program pipeline(const config::ArrayConfig& cfg) {
  isa::Program p = empty_program(cfg, "pingpong-4x2");
  p.input = port(0, 1, 1, kCols * kSlice);
  p.output = port(kOut, 1, 1, kCols * 2 * kSlice);
  isa::Phase ph;
  ph.name = "stream";
  for (uint32_t c = 0; c < kCols; ++c) {
    const TileId shim = tile(c, 0), mem = tile(c, 1);
    // DDR -> memtile (double buffer at 0 / 4096: lock 0 free (2), lock 1 full).
    add_bd(ph, shim, iter(bd(0, c * kSlice, kBand), kBands, kBand));
    add_task(ph, shim, DmaDir::MM2S, 0, 0);
    add_route(ph, shim, 0, {{mem, 0}});
    add_lock(ph, mem, 0, 2);
    ping_pong(ph, mem, 0, 1, 0, kBand, kBand, 0, 1);
    add_task(ph, mem, DmaDir::S2MM, 0, 0, kBands);
    // memtile -> both cores (broadcast).
    ping_pong(ph, mem, 2, 3, 0, kBand, kBand, 1, 0);
    add_task(ph, mem, DmaDir::MM2S, 0, 2, kBands);
    add_route(ph, mem, 0, {{tile(c, 2), 0}, {tile(c, 3), 0}});
    for (int i = 0; i < 2; ++i) {
      const TileId core = tile(c, 2 + i);
      add_lock(ph, core, 0, 2);  // input buffers free
      add_lock(ph, core, 2, 2);  // output buffers free
      ping_pong(ph, core, 0, 1, 0, kBand, kBand, 0, 1);
      add_task(ph, core, DmaDir::S2MM, 0, 0, kBands);
      std::vector<isa::CoreOp> ops;
      for (uint32_t k = 0; k < kBands; ++k) {
        uint32_t buf = (k % 2) * kBand;
        ops.push_back(op_acquire(1, 1));
        ops.push_back(op_acquire(2, 1));
        ops.push_back(op_add(buf, buf, 16384 + buf, kBand, i == 0 ? 1 : -1, 0, 0, "band " + std::to_string(k)));
        ops.push_back(op_release(0, 1));
        ops.push_back(op_release(3, 1));
      }
      add_core(ph, core, ops);
      ping_pong(ph, core, 2, 3, 16384, 16384 + kBand, kBand, 3, 2);
      add_task(ph, core, DmaDir::MM2S, 0, 2, kBands);
      // core -> memtile s2mm_(1+i) (double buffer at 16384 + i*8192, locks 2+2i free / 3+2i full)
      add_route(ph, core, 0, {{mem, 1 + i}});
      uint32_t base = 16384 + i * 2 * kBand;
      add_lock(ph, mem, 2 + 2 * i, 2);
      ping_pong(ph, mem, 4 + 4 * i, 5 + 4 * i, base, base + kBand, kBand, 2 + 2 * i, 3 + 2 * i);
      add_task(ph, mem, DmaDir::S2MM, 1 + i, 4 + 4 * i, kBands);
      // memtile mm2s_(1+i) -> shim s2mm_i -> DDR
      ping_pong(ph, mem, 6 + 4 * i, 7 + 4 * i, base, base + kBand, kBand, 3 + 2 * i, 2 + 2 * i);
      add_task(ph, mem, DmaDir::MM2S, 1 + i, 6 + 4 * i, kBands);
      add_route(ph, mem, 1 + i, {{shim, i}});
      add_bd(ph, shim, iter(bd(2 + i, kOut + (c * 2 + i) * kSlice, kBand), kBands, kBand));
      add_task(ph, shim, DmaDir::S2MM, i, 2 + i);
    }
  }
  p.phases.push_back(ph);
  return p;
}

TEST(ArrayPipeline, FourColumnsPingPongIsExact) {
  auto cfg = small_config(kCols, 2);
  cfg.ddr.size_bytes = 4u << 20;
  isa::Program p = pipeline(cfg);
  p.ddr_bytes_needed = cfg.ddr.size_bytes;
  auto in = pattern(kCols * kSlice, 77);
  traces::TraceRecorder rec;
  auto t0 = std::chrono::steady_clock::now();
  SimResult r = simulate(cfg, slotted(p, cfg), {in}, SimOptions{}, rec);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok) << r.error;
  const auto& out = r.outputs[0];
  ASSERT_EQ(out.size(), size_t{kCols} * 2 * kSlice);
  for (uint32_t c = 0; c < kCols; ++c)
    for (int i = 0; i < 2; ++i)
      for (uint32_t j = 0; j < kSlice; ++j)
        ASSERT_EQ(out[(c * 2 + i) * kSlice + j], expect_add(in[c * kSlice + j], 0, i == 0 ? 1 : -1, 0, 0))
            << "col " << c << " core " << i << " byte " << j;
  const auto& s = r.summary;
  EXPECT_EQ(s.bytes_ddr_to_mem, uint64_t{kCols} * kSlice);
  EXPECT_EQ(s.bytes_mem_to_core, uint64_t{kCols} * 2 * kSlice);
  EXPECT_EQ(s.bytes_core_to_mem, uint64_t{kCols} * 2 * kSlice);
  EXPECT_EQ(s.bytes_mem_to_ddr, uint64_t{kCols} * 2 * kSlice);
  // Streaming-bound: each column's 32 KiB crosses each 4 B/cycle link once, overlapped by the
  // double buffers: about kSlice/4 cycles plus fill/drain of a few bands, far below the serial sum.
  EXPECT_GE(s.total_cycles, kSlice / 4);
  EXPECT_LE(s.total_cycles, kSlice / 4 + 4 * (kBand / 4) + 2000);
  EXPECT_GT(s.core_utilisation, 0.0);
  EXPECT_LT(s.core_utilisation, 1.0);
  EXPECT_EQ(stat(rec, "array.tile_3_3.core.compute_ops"), double(kBands));
  std::printf("[speed] %llu simulated cycles in %.3f s wall = %.2f M cycles/s (%zu slices, %zu counters)\n",
              static_cast<unsigned long long>(s.total_cycles), wall, s.total_cycles / wall / 1e6,
              rec.slices().size(), rec.counters().size());
}

// FNV-1a digest of everything a run produces: cycles, outputs, slices, counters, stats.
std::string run_digest() {
  auto cfg = small_config(kCols, 2);
  cfg.ddr.size_bytes = 4u << 20;
  isa::Program p = pipeline(cfg);
  p.ddr_bytes_needed = cfg.ddr.size_bytes;
  traces::TraceRecorder rec;
  SimResult r = simulate(cfg, slotted(p, cfg), {pattern(kCols * kSlice, 5)}, SimOptions{}, rec);
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& x) {
    for (unsigned char ch : x) h = (h ^ ch) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  for (const auto& o : r.outputs) mix(std::string(o.begin(), o.end()));
  for (const auto& sl : rec.slices())
    mix(sl.track + sl.name + std::to_string(sl.begin) + "," + std::to_string(sl.end) + "," + std::to_string(sl.bytes));
  for (const auto& c : rec.counters()) mix(c.track + std::to_string(c.cycle) + "," + std::to_string(c.value));
  for (const auto& [k, v] : rec.stats()) mix(k + std::to_string(v.value));
  return std::to_string(r.ok) + " " + std::to_string(r.summary.total_cycles) + " " + std::to_string(h);
}

// Two separate processes (one SystemC run each) give identical results.
std::string digest_in_child() { return run_in_child(run_digest); }

TEST(ArrayPipeline, DeterministicAcrossProcesses) {
  std::string a = digest_in_child(), b = digest_in_child();
  EXPECT_EQ(a.rfind("1 ", 0), 0u) << a;
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace saie::hw::test
