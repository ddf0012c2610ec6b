// block_mac_test.cpp — the Verilated int8 block-MAC (hw/rtl/block_mac.v) against a C++
// reference of the same integer math (accumulate_block in hw/core/kernels.cpp, 4 pixels x
// 8 output x 8 input channels per step, int32 accumulate). The model is driven cycle by cycle:
// a seeded random source (valid gaps, random first/last sequences) and a random-ready sink
// (backpressure). A deliberately broken variant (BROKEN_DROP_VALID) must be caught.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "Vblock_mac.h"
#include "Vblock_mac_broken.h"
#include "verilated.h"

namespace {

constexpr int kPix = 4, kCout = 8, kCin = 8;
constexpr uint64_t kLatency = 2;  // documented in block_mac.v and docs/rtl.md

struct Step {
  int8_t x[kPix][kCin];
  int8_t w[kCout][kCin];
  bool first = false, last = false;
};

struct Acc {
  uint32_t v[kPix][kCout];  // int32 bit patterns (wrap modulo 2^32)
  bool operator==(const Acc& o) const {
    for (int p = 0; p < kPix; ++p)
      for (int c = 0; c < kCout; ++c)
        if (v[p][c] != o.v[p][c]) return false;
    return true;
  }
};

// The C++ reference: the same integer math as the RTL and as accumulate_block().
struct RefMac {
  Acc acc{};
  bool apply(const Step& s) {  // true when s.last: acc is a result
    for (int p = 0; p < kPix; ++p)
      for (int co = 0; co < kCout; ++co) {
        int32_t d = 0;
        for (int ci = 0; ci < kCin; ++ci) d += int32_t{s.x[p][ci]} * int32_t{s.w[co][ci]};
        acc.v[p][co] = (s.first ? 0u : acc.v[p][co]) + static_cast<uint32_t>(d);
      }
    return s.last;
  }
};

template <size_t N>
void pack_bytes(VlWide<N>& bus, const int8_t* b, size_t n) {
  for (size_t w = 0; w < N; ++w) bus[w] = 0;
  for (size_t k = 0; k < n; ++k) bus[k / 4] |= uint32_t{static_cast<uint8_t>(b[k])} << (8 * (k % 4));
}

template <class M>
struct Harness {
  VerilatedContext ctx;
  std::unique_ptr<M> m;
  uint64_t cycle = 0;  // rising edges since reset was released

  Harness() : m(std::make_unique<M>(&ctx, "block_mac")) {
    m->clk = 0;
    m->rst_n = 0;
    m->in_valid = 0;
    m->out_ready = 0;
    m->eval();
    edge();
    edge();
    m->rst_n = 1;
    m->eval();
    cycle = 0;
  }
  ~Harness() { m->final(); }
  void edge() {
    m->clk = 1;
    m->eval();
    m->clk = 0;
    m->eval();
    ++cycle;
  }
  void drive(const Step& s) {
    pack_bytes(m->in_x, &s.x[0][0], sizeof s.x);
    pack_bytes(m->in_w, &s.w[0][0], sizeof s.w);
    m->in_first = s.first;
    m->in_last = s.last;
  }
  Acc read() const {
    Acc a{};
    for (int p = 0; p < kPix; ++p)
      for (int c = 0; c < kCout; ++c) a.v[p][c] = m->out_acc[p * kCout + c];
    return a;
  }
};

// Random steps in sequences of 1..max_len (first on the first, last on the last).
struct StepGen {
  std::mt19937 rng;
  int max_len;
  int left = 0;
  explicit StepGen(uint32_t seed, int max_len_) : rng(seed), max_len(max_len_) {}
  Step next() {
    Step s;
    std::uniform_int_distribution<int> byte(-128, 127);
    std::uniform_int_distribution<int> mode(0, 15);
    const int m = mode(rng);  // mostly full-range random, sometimes the extremes
    for (auto& r : s.x)
      for (auto& v : r) v = static_cast<int8_t>(m == 0 ? -128 : m == 1 ? 127 : byte(rng));
    for (auto& r : s.w)
      for (auto& v : r) v = static_cast<int8_t>(m == 0 ? -128 : m == 1 ? -128 : byte(rng));
    if (left == 0) {
      left = std::uniform_int_distribution<int>(1, max_len)(rng);
      s.first = true;
    }
    s.last = --left == 0;
    return s;
  }
};

struct RunStats {
  uint64_t steps = 0, expected = 0, got = 0, mismatches = 0, unexpected = 0, cycles = 0;
  uint64_t stall_cycles = 0;  // cycles with in_valid && !in_ready
  uint64_t first_in_edge = 0, last_out_edge = 0;  // edge numbers (1-based) of those beats
  double seconds = 0;
};

// Drives `nsteps` steps through the model; valid with probability p_valid per cycle while a
// step is pending, out_ready with probability p_ready. Every result is compared with the
// reference in order.
template <class M>
RunStats run_random(uint32_t seed, uint64_t nsteps, double p_valid, double p_ready, int max_len) {
  Harness<M> h;
  StepGen gen(seed, max_len);
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  std::bernoulli_distribution vbit(p_valid), rbit(p_ready);
  RefMac ref;
  std::deque<Acc> expect;
  RunStats st;
  bool holding = false;
  Step cur;
  uint64_t idle = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (st.steps < nsteps || holding || (!expect.empty() && idle < 1000)) {
    if (!holding && st.steps < nsteps && vbit(rng)) {
      cur = gen.next();
      if (st.steps + 1 == nsteps) cur.last = true;  // close the final sequence
      holding = true;
      h.drive(cur);
    }
    h.m->in_valid = holding;
    h.m->out_ready = rbit(rng);
    h.m->eval();
    const bool in_fire = h.m->in_valid && h.m->in_ready;
    const bool out_fire = h.m->out_valid && h.m->out_ready;
    if (h.m->in_valid && !h.m->in_ready) ++st.stall_cycles;
    if (in_fire && st.steps == 0) st.first_in_edge = h.cycle + 1;
    if (out_fire) {
      st.last_out_edge = h.cycle + 1;
      ++st.got;
      if (expect.empty()) {
        ++st.unexpected;
      } else {
        if (!(h.read() == expect.front())) ++st.mismatches;
        expect.pop_front();
      }
    }
    h.edge();
    if (in_fire) {
      holding = false;
      ++st.steps;
      if (ref.apply(cur)) {
        expect.push_back(ref.acc);
        ++st.expected;
      }
    }
    idle = (st.steps >= nsteps && !holding) ? idle + 1 : 0;
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  st.cycles = h.cycle;
  return st;
}

std::string describe(const RunStats& s) {
  std::ostringstream o;
  o << s.steps << " steps, " << s.expected << " results expected, " << s.got << " taken, " << s.mismatches
    << " mismatches, " << s.unexpected << " unexpected, " << s.cycles << " cycles, " << s.stall_cycles
    << " input stall cycles";
  return o.str();
}

TEST(BlockMacRtl, RandomSequencesWithBackpressureMatchReference) {
  // Several seeds, valid/ready densities and sequence lengths; thousands of steps each.
  struct Case { uint32_t seed; double pv, pr; int max_len; };
  const Case cases[] = {{1, 1.0, 0.5, 1}, {2, 0.7, 0.3, 4}, {3, 1.0, 0.9, 16}, {4, 0.5, 1.0, 3},
                        {5, 1.0, 0.1, 2}, {6, 0.9, 0.6, 64}};
  for (const Case& c : cases) {
    const RunStats s = run_random<Vblock_mac>(c.seed, 5000, c.pv, c.pr, c.max_len);
    SCOPED_TRACE(describe(s));
    EXPECT_EQ(s.steps, 5000u);
    EXPECT_GT(s.expected, 5000u / static_cast<unsigned>(c.max_len) / 2);
    EXPECT_EQ(s.got, s.expected);
    EXPECT_EQ(s.mismatches, 0u);
    EXPECT_EQ(s.unexpected, 0u);
    if (c.pr < 1.0 && c.max_len <= 2) {
      EXPECT_GT(s.stall_cycles, 0u);  // the backpressure really reached the input
    }
  }
}

TEST(BlockMacRtl, ThroughputOneStepPerCycleAndLatency) {
  // Latency: a single first+last step, sink always ready.
  Harness<Vblock_mac> h;
  StepGen gen(11, 1);
  Step s = gen.next();
  h.drive(s);
  h.m->in_valid = 1;
  h.m->out_ready = 1;
  h.m->eval();
  ASSERT_TRUE(h.m->in_ready);
  h.edge();  // accepted at edge 1
  const uint64_t accept = h.cycle;
  h.m->in_valid = 0;
  h.m->eval();
  uint64_t latency = 0;
  for (int i = 0; i < 10 && !latency; ++i) {
    if (h.m->out_valid) latency = h.cycle + 1 - accept;  // taken at the next edge
    else h.edge();
  }
  RefMac ref;
  ref.apply(s);
  EXPECT_TRUE(h.read() == ref.acc);
  std::cout << "[ block_mac ] latency " << latency << " cycles (accept edge to result-taken edge)\n";
  RecordProperty("latency_cycles", std::to_string(latency));
  EXPECT_EQ(latency, kLatency);

  // Throughput: N steps, source always valid, sink always ready.
  const uint64_t n = 4000;
  const RunStats st = run_random<Vblock_mac>(12, n, 1.0, 1.0, 5);
  SCOPED_TRACE(describe(st));
  EXPECT_EQ(st.mismatches, 0u);
  EXPECT_EQ(st.got, st.expected);
  EXPECT_EQ(st.stall_cycles, 0u);
  // From the edge that accepts the first step to the edge that takes the last result.
  const uint64_t span = st.last_out_edge - st.first_in_edge + 1;
  EXPECT_EQ(span, n + kLatency);
  std::cout << "[ block_mac ] " << n << " steps in " << span << " cycles (N + latency)\n";
}

TEST(BlockMacRtl, AccumulatorWrapsModulo2To32) {
  // One long sequence of extreme steps (each adds 8*128*128 = 2^17 per lane) crosses 2^31.
  Harness<Vblock_mac> h;
  Step s;
  for (auto& r : s.x) for (auto& v : r) v = -128;
  for (auto& r : s.w) for (auto& v : r) v = -128;
  const int n = (1 << 14) + 3;  // 2^31 + 3 * 2^17
  RefMac ref;
  h.m->out_ready = 1;
  h.m->in_valid = 1;
  for (int i = 0; i < n; ++i) {
    s.first = i == 0;
    s.last = i == n - 1;
    h.drive(s);
    h.m->eval();
    ASSERT_TRUE(h.m->in_ready);
    h.edge();
    ref.apply(s);
  }
  h.m->in_valid = 0;
  for (int i = 0; i < 5 && !h.m->out_valid; ++i) h.edge();
  ASSERT_TRUE(h.m->out_valid);
  EXPECT_TRUE(h.read() == ref.acc);
  EXPECT_EQ(static_cast<int32_t>(h.read().v[0][0]), static_cast<int32_t>(uint32_t{1} << 31) + 3 * (1 << 17));
}

TEST(BlockMacRtl, BrokenVariantDroppingValidIsCaught) {
  // Without backpressure the broken variant is indistinguishable...
  const RunStats ok = run_random<Vblock_mac_broken>(21, 3000, 1.0, 1.0, 2);
  EXPECT_EQ(ok.mismatches + ok.unexpected, 0u);
  EXPECT_EQ(ok.got, ok.expected);
  // ...under backpressure the same checks that pass for block_mac must fail.
  const RunStats bad = run_random<Vblock_mac_broken>(22, 3000, 1.0, 0.5, 2);
  SCOPED_TRACE(describe(bad));
  std::cout << "[ block_mac_broken ] " << describe(bad) << "\n";
  EXPECT_TRUE(bad.got != bad.expected || bad.mismatches > 0) << "broken RTL variant not detected";
  EXPECT_LT(bad.got, bad.expected);  // results were dropped
}

TEST(BlockMacRtl, SimulationSpeed) {
  const RunStats s = run_random<Vblock_mac>(31, 200000, 0.9, 0.8, 8);
  EXPECT_EQ(s.mismatches, 0u);
  EXPECT_EQ(s.got, s.expected);
  const double cps = s.cycles / s.seconds;  // includes driver + reference cost
  std::cout << "[ block_mac ] " << s.cycles << " cycles in " << s.seconds << " s: " << cps / 1e6
            << " M cycles/s (Verilated model + C++ driver + reference)\n";
  RecordProperty("cycles_per_second", std::to_string(static_cast<uint64_t>(cps)));
  EXPECT_GT(cps, 1e4);  // only a sanity floor; the number is reported, not asserted

  // The model alone: fixed operands, always valid / always ready, 1 M cycles.
  Harness<Vblock_mac> h;
  StepGen gen(32, 4);
  h.drive(gen.next());
  h.m->in_first = 1;
  h.m->in_last = 1;
  h.m->in_valid = 1;
  h.m->out_ready = 1;
  const uint64_t n = 1000000;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < n; ++i) h.edge();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(h.m->out_valid);
  std::cout << "[ block_mac ] model only: " << n / sec / 1e6 << " M cycles/s\n";
  RecordProperty("model_cycles_per_second", std::to_string(static_cast<uint64_t>(n / sec)));
}

}  // namespace
