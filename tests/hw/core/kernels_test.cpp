// kernels_test.cpp — core int8 kernels vs plain dense loops, and their cycle formulas.
#include "hw/core/kernels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "hw/isa/quant_math.h"

namespace saie::hw {
namespace {

using ::testing::HasSubstr;

constexpr size_t kMem = 64 * 1024;

void put_u16(std::vector<uint8_t>& m, size_t at, uint16_t v) {
  m[at] = static_cast<uint8_t>(v & 0xFF);
  m[at + 1] = static_cast<uint8_t>(v >> 8);
}
void put_i32(std::vector<uint8_t>& m, size_t at, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  for (int i = 0; i < 4; ++i) m[at + i] = static_cast<uint8_t>(u >> (8 * i));
}

// A conv test case: dense weights with whole 8x8 blocks zeroed per `mask`, and the expected
// output computed by straightforward dense loops over every channel (zero blocks included).
struct ConvCase {
  isa::ConvArgs args;
  std::vector<int8_t> input;                 // [in_h][in_w][in_c]
  std::vector<int8_t> weights;               // dense [out_c][kh][kw][in_c]
  std::vector<std::vector<bool>> mask;       // [block_rows][block_cols]
  std::vector<int32_t> bias, mult, shift;    // per out channel
  uint32_t nnz = 0;
};

ConvCase make_case(uint32_t in_h, uint32_t in_w, uint32_t in_c, uint32_t out_c, uint8_t k, uint8_t sh, uint8_t sw,
                   bool relu, const std::vector<std::vector<bool>>& mask, uint32_t seed) {
  ConvCase cc;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(-128, 127);
  isa::ConvArgs& a = cc.args;
  a.in_h = in_h;
  a.in_w = in_w;
  a.in_c = in_c;
  a.out_c = out_c;
  a.kh = a.kw = k;
  a.stride_h = sh;
  a.stride_w = sw;
  a.out_h = (in_h - k) / sh + 1;
  a.out_w = (in_w - k) / sw + 1;
  a.relu = relu ? 1 : 0;
  a.in_addr = 0;
  a.w_addr = 4096;
  a.qp_addr = 24576;
  a.out_addr = 32768;
  cc.mask = mask;
  cc.input.resize(size_t{in_h} * in_w * in_c);
  for (auto& v : cc.input) v = static_cast<int8_t>(byte(rng));
  cc.weights.assign(size_t{out_c} * k * k * in_c, 0);
  for (uint32_t oc = 0; oc < out_c; ++oc)
    for (uint32_t t = 0; t < uint32_t{k} * k; ++t)
      for (uint32_t ci = 0; ci < in_c; ++ci)
        if (mask[oc / 8][ci / 8]) cc.weights[(size_t{oc} * k * k + t) * in_c + ci] = static_cast<int8_t>(byte(rng));
  std::uniform_int_distribution<int> bias(-3000, 3000), mult(8000, 30000), shift(22, 24);
  for (uint32_t oc = 0; oc < out_c; ++oc) {
    cc.bias.push_back(bias(rng));
    cc.mult.push_back(mult(rng));
    cc.shift.push_back(shift(rng));
  }
  return cc;
}

// Lays out input, compact weights (built by hand from the dense tensor + mask) and requant records.
std::vector<uint8_t> build_memory(ConvCase& cc) {
  std::vector<uint8_t> m(kMem, 0xA5);  // non-zero filler: the output must not depend on it
  const isa::ConvArgs& a = cc.args;
  for (size_t i = 0; i < cc.input.size(); ++i) m[a.in_addr + i] = static_cast<uint8_t>(cc.input[i]);
  const uint32_t br = a.out_c / 8, bc = a.in_c / 8, k = a.kh;
  size_t p = a.w_addr;
  put_u16(m, p, static_cast<uint16_t>(br));
  put_u16(m, p + 2, static_cast<uint16_t>(bc));
  put_u16(m, p + 4, a.kh);
  put_u16(m, p + 6, a.kw);
  p += 8;
  std::vector<std::pair<uint32_t, uint32_t>> stored;
  put_u16(m, p, 0);
  for (uint32_t r = 0; r < br; ++r) {
    for (uint32_t c = 0; c < bc; ++c)
      if (cc.mask[r][c]) stored.push_back({r, c});
    put_u16(m, p + 2 * (r + 1), static_cast<uint16_t>(stored.size()));
  }
  p += 2 * (br + 1);
  for (auto& s : stored) {
    put_u16(m, p, static_cast<uint16_t>(s.second));
    p += 2;
  }
  while ((p - a.w_addr) % 4 != 0) m[p++] = 0;
  for (auto& s : stored)
    for (uint32_t co = 0; co < 8; ++co)
      for (uint32_t t = 0; t < k * k; ++t)
        for (uint32_t ci = 0; ci < 8; ++ci)
          m[p++] = static_cast<uint8_t>(cc.weights[(size_t{s.first * 8 + co} * k * k + t) * a.in_c + s.second * 8 + ci]);
  EXPECT_LT(p, a.qp_addr);
  cc.nnz = static_cast<uint32_t>(stored.size());
  for (uint32_t oc = 0; oc < a.out_c; ++oc) {
    put_i32(m, a.qp_addr + 12 * oc, cc.bias[oc]);
    put_i32(m, a.qp_addr + 12 * oc + 4, cc.mult[oc]);
    put_i32(m, a.qp_addr + 12 * oc + 8, cc.shift[oc]);
  }
  return m;
}

std::vector<int8_t> dense_reference(const ConvCase& cc) {
  const isa::ConvArgs& a = cc.args;
  std::vector<int8_t> out(size_t{a.out_h} * a.out_w * a.out_c);
  for (uint32_t oh = 0; oh < a.out_h; ++oh)
    for (uint32_t ow = 0; ow < a.out_w; ++ow)
      for (uint32_t oc = 0; oc < a.out_c; ++oc) {
        int64_t acc = cc.bias[oc];
        for (uint32_t ky = 0; ky < a.kh; ++ky)
          for (uint32_t kx = 0; kx < a.kw; ++kx)
            for (uint32_t ci = 0; ci < a.in_c; ++ci) {
              int64_t x = cc.input[((oh * a.stride_h + ky) * a.in_w + ow * a.stride_w + kx) * a.in_c + ci];
              int64_t w = cc.weights[((oc * a.kh + ky) * a.kw + kx) * a.in_c + ci];
              acc += x * w;
            }
        int64_t y = isa::round_shift(acc * cc.mult[oc], cc.shift[oc]);
        if (a.relu) y = std::max<int64_t>(y, 0);
        out[(oh * a.out_w + ow) * a.out_c + oc] = static_cast<int8_t>(std::clamp<int64_t>(y, -128, 127));
      }
  return out;
}

std::vector<int8_t> read_out(const std::vector<uint8_t>& m, const isa::ConvArgs& a) {
  std::vector<int8_t> out(size_t{a.out_h} * a.out_w * a.out_c);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int8_t>(m[a.out_addr + i]);
  return out;
}

uint64_t expected_conv_cycles(const isa::ConvArgs& a, uint64_t nnz) {
  // Default CoreCosts: prologue 32, 4 pixels per cycle, 4 cycles per block, 32 requant lanes.
  const uint64_t px = uint64_t{a.out_h} * a.out_w;
  return 32 + nnz * (((px + 3) / 4) * a.kh * a.kw + 4) + (px * a.out_c + 31) / 32;
}

const std::vector<std::vector<bool>> kMixedMask = {{true, false}, {false, false}, {true, true}};

TEST(Kernels, ConvMatchesDenseReferenceBitForBit) {
  ConvCase cc = make_case(6, 7, 16, 24, 3, 1, 1, false, kMixedMask, 1);
  auto m = build_memory(cc);
  KernelResult r = run_conv(m, cc.args, config::CoreCosts{});
  const auto expected = dense_reference(cc);
  EXPECT_EQ(read_out(m, cc.args), expected);
  // The case must exercise saturation on both sides and non-trivial values.
  int lo = 0, hi = 0, mid = 0;
  for (int8_t v : expected) (v == -128 ? lo : v == 127 ? hi : mid)++;
  EXPECT_GT(mid, lo + hi);
  EXPECT_EQ(r.blocks, 3u);
  EXPECT_EQ(r.macs, 3u * 4 * 5 * 9 * 64);
  // Block row 1 stores nothing: its outputs are requantised biases.
  for (uint32_t p = 0; p < 20; ++p)
    for (uint32_t co = 8; co < 16; ++co)
      EXPECT_EQ(read_out(m, cc.args)[p * 24 + co], isa::requantize(cc.bias[co], cc.mult[co], cc.shift[co], false));
}

// Input-channel split: the conv over 24 input channels as three ops over 8 channels each
// (First, Middle, Last) gives the one op's output bit for bit, and charges the accumulators'
// stores and loads on top of the MAC terms.
TEST(Kernels, ConvInputChannelSplitMatchesTheWholeConv) {
  const std::vector<std::vector<bool>> mask = {{true, true, false}, {false, true, true}};
  ConvCase whole = make_case(5, 6, 24, 16, 3, 1, 1, true, mask, 7);
  const std::vector<int8_t> expected = dense_reference(whole);
  constexpr uint32_t kAcc = 40000;
  std::vector<uint8_t> acc_bytes;
  std::vector<int8_t> got;
  uint64_t cycles = 0;
  const isa::ConvAcc modes[] = {isa::ConvAcc::First, isa::ConvAcc::Middle, isa::ConvAcc::Last};
  for (uint32_t k = 0; k < 3; ++k) {
    ConvCase part = whole;  // channels [8k, 8k + 8) of input and weights, block column k of the mask
    isa::ConvArgs& a = part.args;
    a.in_c = 8;
    part.input.clear();
    for (size_t px = 0; px < size_t{a.in_h} * a.in_w; ++px)
      for (uint32_t c = 0; c < 8; ++c) part.input.push_back(whole.input[px * 24 + 8 * k + c]);
    part.weights.clear();
    for (size_t row = 0; row < size_t{a.out_c} * a.kh * a.kw; ++row)
      for (uint32_t c = 0; c < 8; ++c) part.weights.push_back(whole.weights[row * 24 + 8 * k + c]);
    part.mask = {{mask[0][k]}, {mask[1][k]}};
    a.acc_addr = kAcc;
    a.acc_mode = modes[k];
    std::vector<uint8_t> m = build_memory(part);
    std::copy(acc_bytes.begin(), acc_bytes.end(), m.begin() + kAcc);
    const KernelResult r = run_conv(m, a, config::CoreCosts{});
    cycles += r.cycles;
    const uint64_t n = uint64_t{a.out_h} * a.out_w * a.out_c;
    acc_bytes.assign(m.begin() + kAcc, m.begin() + kAcc + 4 * n);
    if (k < 2) {
      EXPECT_EQ(m[a.out_addr], 0xA5) << "nothing written to out_addr before Last";
    }
    if (k == 2) got = read_out(m, a);
    const uint64_t spill = (4 * n + 31) / 32;  // 4 bytes per accumulator at 32 bytes per cycle
    const uint64_t epilogue = k == 0 ? spill : k == 1 ? 2 * spill : spill + (n + 31) / 32;
    EXPECT_EQ(r.cycles, expected_conv_cycles(a, part.nnz) - (n + 31) / 32 + epilogue) << "op " << k;
  }
  EXPECT_EQ(got, expected);
  EXPECT_GT(cycles, run_conv(*std::make_unique<std::vector<uint8_t>>(build_memory(whole)), whole.args,
                             config::CoreCosts{}).cycles);
}

TEST(Kernels, ConvStride2AndRelu) {
  const std::vector<std::vector<bool>> mask = {{true, true}, {false, true}};
  ConvCase plain = make_case(9, 10, 16, 16, 3, 2, 2, false, mask, 7);
  auto m = build_memory(plain);
  run_conv(m, plain.args, config::CoreCosts{});
  EXPECT_EQ(plain.args.out_h, 4u);
  EXPECT_EQ(plain.args.out_w, 4u);
  auto y_plain = read_out(m, plain.args);
  EXPECT_EQ(y_plain, dense_reference(plain));
  EXPECT_TRUE(std::any_of(y_plain.begin(), y_plain.end(), [](int8_t v) { return v < 0; }));

  ConvCase relu = make_case(9, 10, 16, 16, 3, 2, 2, true, mask, 7);  // same data, relu on
  auto m2 = build_memory(relu);
  run_conv(m2, relu.args, config::CoreCosts{});
  auto y_relu = read_out(m2, relu.args);
  EXPECT_EQ(y_relu, dense_reference(relu));
  for (size_t i = 0; i < y_relu.size(); ++i) EXPECT_EQ(y_relu[i], std::max<int8_t>(y_plain[i], 0));

  ConvCase mixed = make_case(9, 8, 8, 8, 1, 2, 1, false, {{true}}, 3);  // 1x1, stride (2,1)
  auto m3 = build_memory(mixed);
  run_conv(m3, mixed.args, config::CoreCosts{});
  EXPECT_EQ(mixed.args.out_h, 5u);
  EXPECT_EQ(mixed.args.out_w, 8u);
  EXPECT_EQ(read_out(m3, mixed.args), dense_reference(mixed));
}

TEST(Kernels, ConvSkipsZeroBlocksInCyclesAndMacs) {
  const std::vector<std::vector<bool>> full = {{true, true}, {true, true}, {true, true}, {true, true}};
  const std::vector<std::vector<bool>> half = {{true, false}, {false, true}, {true, false}, {false, true}};
  ConvCase cf = make_case(7, 9, 16, 32, 3, 1, 1, true, full, 11);
  ConvCase ch = make_case(7, 9, 16, 32, 3, 1, 1, true, half, 11);
  auto mf = build_memory(cf);
  auto mh = build_memory(ch);
  KernelResult rf = run_conv(mf, cf.args, config::CoreCosts{});
  KernelResult rh = run_conv(mh, ch.args, config::CoreCosts{});
  EXPECT_EQ(read_out(mf, cf.args), dense_reference(cf));
  EXPECT_EQ(read_out(mh, ch.args), dense_reference(ch));
  EXPECT_EQ(rf.blocks, 8u);
  EXPECT_EQ(rh.blocks, 4u);
  EXPECT_LT(rh.cycles, rf.cycles);
  // out 5x7 = 35 px -> 9 MAC cycles per tap; 9 taps.
  EXPECT_EQ(rf.cycles, expected_conv_cycles(cf.args, 8));
  EXPECT_EQ(rh.cycles, expected_conv_cycles(ch.args, 4));
  EXPECT_EQ(rf.cycles, 32u + 8 * (9 * 9 + 4) + (35 * 32 + 31) / 32);
  EXPECT_EQ(rf.macs, 8u * 35 * 9 * 64);
  EXPECT_EQ(rh.macs, rf.macs / 2);
  EXPECT_EQ(conv_cycles(ch.args, 4, config::CoreCosts{}), rh.cycles);

  // The cost table drives the numbers: 512 MACs/cycle = 8 pixels per cycle.
  config::CoreCosts fast;
  fast.macs_per_cycle = 512;
  fast.op_prologue_cycles = 0;
  fast.block_overhead_cycles = 0;
  fast.requant_lanes = 64;
  auto mh2 = build_memory(ch);
  EXPECT_EQ(run_conv(mh2, ch.args, fast).cycles, 4u * (5 * 9) + (35 * 32 + 63) / 64);

  // The MAC pipeline fill is charged once per op that has a stored block, never for an empty one.
  fast.mac_pipeline_cycles = 3;
  auto mh3 = build_memory(ch);
  EXPECT_EQ(run_conv(mh3, ch.args, fast).cycles, 4u * (5 * 9) + 3 + (35 * 32 + 63) / 64);
  EXPECT_EQ(isa::conv_mac_cycles(5, 7, 3, 3, 4, fast), 4u * (5 * 9) + 3);
  EXPECT_EQ(isa::conv_mac_cycles(5, 7, 3, 3, 0, fast), 0u);
  EXPECT_EQ(conv_cycles(ch.args, 0, fast), (35u * 32 + 63) / 64);
}

TEST(Kernels, ConvRejectsOutOfRangeAndLeavesMemoryUntouched) {
  ConvCase cc = make_case(6, 7, 16, 24, 3, 1, 1, false, kMixedMask, 1);
  auto m = build_memory(cc);
  const auto before = m;
  isa::ConvArgs a = cc.args;
  a.in_addr = kMem - 100;  // input is 6*7*16 = 672 bytes
  try {
    run_conv(m, a, config::CoreCosts{});
    FAIL() << "no throw";
  } catch (const std::out_of_range& e) {
    EXPECT_THAT(e.what(), HasSubstr("conv: input"));
    EXPECT_THAT(e.what(), HasSubstr("0xff9c"));
  }
  a = cc.args;
  a.out_addr = kMem - 8;
  EXPECT_THROW(run_conv(m, a, config::CoreCosts{}), std::out_of_range);
  a = cc.args;
  a.qp_addr = kMem - 12 * 24 + 4;
  EXPECT_THROW(run_conv(m, a, config::CoreCosts{}), std::out_of_range);
  // Weights whose block payload runs past the end of memory (header placed near the end).
  a = cc.args;
  a.w_addr = kMem - 40;
  for (size_t i = 0; i < 40; ++i) m[a.w_addr + i] = m[cc.args.w_addr + i];
  try {
    run_conv(m, a, config::CoreCosts{});
    FAIL() << "no throw";
  } catch (const std::out_of_range& e) {
    EXPECT_THAT(e.what(), HasSubstr("weights blocks"));
  }
  for (size_t i = 0; i < 40; ++i) m[kMem - 40 + i] = before[kMem - 40 + i];
  EXPECT_EQ(m, before);
  // Smaller memory than the args need.
  EXPECT_THROW(run_conv(m.data(), 1000, cc.args, config::CoreCosts{}), std::out_of_range);
}

TEST(Kernels, ConvRejectsHeaderMismatch) {
  ConvCase cc = make_case(6, 7, 16, 24, 3, 1, 1, false, kMixedMask, 1);
  auto m = build_memory(cc);
  isa::ConvArgs a = cc.args;
  a.kh = a.kw = 1;
  a.in_h = 4;  // keep the window valid
  a.in_w = 5;
  a.out_h = 4;
  a.out_w = 5;
  try {
    run_conv(m, a, config::CoreCosts{});
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("kernel 3x3 != args kernel 1x1"));
  }
  a = cc.args;
  a.out_c = 16;
  EXPECT_THROW(run_conv(m, a, config::CoreCosts{}), std::invalid_argument);
  a = cc.args;
  a.in_c = 8;
  EXPECT_THROW(run_conv(m, a, config::CoreCosts{}), std::invalid_argument);
  a = cc.args;
  a.out_h = 5;  // window would leave the input
  EXPECT_THROW(run_conv(m, a, config::CoreCosts{}), std::invalid_argument);
  auto bad = m;
  put_u16(bad, cc.args.w_addr + 8 + 2 * 4, 2);  // col_idx[0] = 2 >= block_cols 2
  EXPECT_THROW(run_conv(bad, cc.args, config::CoreCosts{}), std::invalid_argument);
  bad = m;
  put_i32(bad, cc.args.qp_addr + 8, 70);  // shift 70
  EXPECT_THROW(run_conv(bad, cc.args, config::CoreCosts{}), std::invalid_argument);
}

std::vector<uint8_t> random_memory(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> m(kMem);
  for (auto& b : m) b = static_cast<uint8_t>(rng());
  return m;
}

TEST(Kernels, MaxPoolAndAvgPoolMatchPlainLoops) {
  for (int variant = 0; variant < 2; ++variant) {
    isa::PoolArgs a;
    a.in_addr = 100;
    a.c = 5;  // not a multiple of 8 on purpose
    a.kh = a.kw = variant == 0 ? 2 : 3;
    a.stride_h = a.stride_w = variant == 0 ? 2 : 1;
    a.in_h = 8;
    a.in_w = 9;
    a.out_h = (a.in_h - a.kh) / a.stride_h + 1;
    a.out_w = (a.in_w - a.kw) / a.stride_w + 1;
    a.out_addr = 4000;
    a.mult = variant == 0 ? 1 : 7282;  // avg over 9 ~ *7282 >> 16
    a.shift = variant == 0 ? 2 : 16;
    auto m = random_memory(20 + variant);
    auto m_avg = m;
    const auto src = m;
    KernelResult rmax = run_maxpool(m, a, config::CoreCosts{});
    KernelResult ravg = run_avgpool(m_avg, a, config::CoreCosts{});
    for (uint32_t oh = 0; oh < a.out_h; ++oh)
      for (uint32_t ow = 0; ow < a.out_w; ++ow)
        for (uint32_t c = 0; c < a.c; ++c) {
          int mx = -1000;
          int64_t sum = 0;
          for (uint32_t ky = 0; ky < a.kh; ++ky)
            for (uint32_t kx = 0; kx < a.kw; ++kx) {
              int v = static_cast<int8_t>(
                  src[a.in_addr + ((oh * a.stride_h + ky) * a.in_w + ow * a.stride_w + kx) * a.c + c]);
              mx = std::max(mx, v);
              sum += v;
            }
          const size_t o = a.out_addr + (oh * a.out_w + ow) * a.c + c;
          EXPECT_EQ(static_cast<int8_t>(m[o]), mx);
          int64_t avg = (sum * a.mult + (int64_t{1} << (a.shift - 1))) >> a.shift;
          EXPECT_EQ(static_cast<int8_t>(m_avg[o]), std::clamp<int64_t>(avg, -128, 127));
        }
    const uint64_t work = uint64_t{a.out_h} * a.out_w * a.c * a.kh * a.kw;
    EXPECT_EQ(rmax.cycles, 32 + (work + 31) / 32);
    EXPECT_EQ(ravg.cycles, rmax.cycles);
    EXPECT_EQ(rmax.macs, 0u);
    // Nothing outside the output was written.
    for (size_t i = 0; i < kMem; ++i)
      if (i < a.out_addr || i >= a.out_addr + a.out_h * a.out_w * a.c) {
        ASSERT_EQ(m[i], src[i]) << i;
      }
  }
  isa::PoolArgs bad;
  bad.in_h = bad.in_w = 4;
  bad.out_h = bad.out_w = 2;
  bad.kh = bad.kw = bad.stride_h = bad.stride_w = 2;
  bad.c = 8;
  bad.in_addr = kMem - 64;  // 4*4*8 = 128 bytes
  std::vector<uint8_t> m(kMem);
  EXPECT_THROW(run_maxpool(m, bad, config::CoreCosts{}), std::out_of_range);
  EXPECT_THROW(run_avgpool(m, bad, config::CoreCosts{}), std::out_of_range);
}

TEST(Kernels, AvgPoolDividesEachWindowByItsCountedTaps) {
  // A band whose first row and column are padding (counted region starts at 1) and whose last
  // window overhangs the region's end: counts 4, 6, 9 and 2..3 as the reference's rule gives.
  isa::PoolArgs a;
  a.in_addr = 64;
  a.c = 3;
  a.kh = a.kw = 3;
  a.stride_h = a.stride_w = 2;
  a.in_h = 7;
  a.in_w = 9;
  a.out_h = 3;
  a.out_w = 4;
  a.out_addr = 3000;
  a.mult = 1 << 20;
  a.shift = 20;
  a.divide = 1;
  a.count_y0 = 1;
  a.count_y1 = 6;
  a.count_x0 = 1;
  a.count_x1 = 8;
  auto m = random_memory(33);
  const auto src = m;
  const KernelResult r = run_avgpool(m, a, config::CoreCosts{});
  for (uint32_t oh = 0; oh < a.out_h; ++oh)
    for (uint32_t ow = 0; ow < a.out_w; ++ow)
      for (uint32_t c = 0; c < a.c; ++c) {
        int64_t sum = 0, count = 0;
        for (uint32_t ky = 0; ky < a.kh; ++ky)
          for (uint32_t kx = 0; kx < a.kw; ++kx) {
            const int y = static_cast<int>(oh * a.stride_h + ky), x = static_cast<int>(ow * a.stride_w + kx);
            sum += static_cast<int8_t>(src[a.in_addr + ((y * a.in_w) + x) * a.c + c]);  // every tap is summed
            if (y >= a.count_y0 && y < a.count_y1 && x >= a.count_x0 && x < a.count_x1) ++count;
          }
        // mult 2^20, shift 20: the rounded quotient itself.
        const double q = static_cast<double>(sum) / static_cast<double>(count);
        EXPECT_EQ(static_cast<int8_t>(m[a.out_addr + (oh * a.out_w + ow) * a.c + c]),
                  std::clamp<int64_t>(static_cast<int64_t>(std::floor(q + 0.5)), -128, 127))
            << oh << "," << ow;
      }
  EXPECT_EQ(r.cycles, isa::pool_cycles(a, config::CoreCosts{}));  // the divisor costs nothing extra (documented)
  // A window outside the counted region is an error, before anything is written.
  isa::PoolArgs bad = a;
  bad.count_x1 = 1;
  auto m2 = src;
  EXPECT_THROW(run_avgpool(m2, bad, config::CoreCosts{}), std::invalid_argument);
  EXPECT_EQ(m2, src);
  bad = a;
  bad.divide = 2;
  EXPECT_NE(isa::pool_args_error(bad).find("divide 2"), std::string::npos);
}

TEST(Kernels, AddMatchesPlainLoopsWithAndWithoutRelu) {
  for (uint8_t relu = 0; relu < 2; ++relu) {
    isa::AddArgs a;
    a.a_addr = 0;
    a.b_addr = 1000;
    a.out_addr = 3000;
    a.n = 777;
    a.mult_a = 3000;
    a.mult_b = -1500;
    a.shift = 10;
    a.relu = relu;
    auto m = random_memory(5);
    const auto src = m;
    KernelResult r = run_add(m, a, config::CoreCosts{});
    int saturated = 0, negative = 0;
    for (uint32_t i = 0; i < a.n; ++i) {
      int64_t v = int64_t{static_cast<int8_t>(src[a.a_addr + i])} * a.mult_a +
                  int64_t{static_cast<int8_t>(src[a.b_addr + i])} * a.mult_b;
      int64_t y = (v + 512) >> 10;
      if (relu) y = std::max<int64_t>(y, 0);
      y = std::clamp<int64_t>(y, -128, 127);
      saturated += (y == 127 || y == -128);
      negative += y < 0;
      ASSERT_EQ(static_cast<int8_t>(m[a.out_addr + i]), y) << i;
    }
    EXPECT_GT(saturated, 0);
    EXPECT_EQ(negative > 0, relu == 0);
    EXPECT_EQ(r.cycles, 32u + (777 + 31) / 32);
    EXPECT_EQ(m[a.out_addr + a.n], src[a.out_addr + a.n]);
  }
  isa::AddArgs a;
  a.n = 100;
  a.b_addr = kMem - 50;
  std::vector<uint8_t> m(kMem);
  try {
    run_add(m, a, config::CoreCosts{});
    FAIL() << "no throw";
  } catch (const std::out_of_range& e) {
    EXPECT_THAT(e.what(), HasSubstr("add: input b"));
  }
}

TEST(Kernels, ComputeOpDispatchesAndRejectsLockOps) {
  isa::CoreOp op;
  op.kind = isa::CoreOpKind::Add;
  op.add.n = 64;
  op.add.a_addr = 0;
  op.add.b_addr = 64;
  op.add.out_addr = 128;
  std::vector<uint8_t> m(kMem, 0);
  m[0] = 5;
  m[64] = 6;
  EXPECT_EQ(run_compute_op(m, op, config::CoreCosts{}).cycles, 34u);
  EXPECT_EQ(m[128], 11);
  op.kind = isa::CoreOpKind::Acquire;
  op.label = "wait weights";
  try {
    run_compute_op(m, op, config::CoreCosts{});
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("wait weights"));
  }
}

}  // namespace
}  // namespace saie::hw

namespace saie::hw {
namespace {

// Block sums are kept in int32 while a kernel window has at most 16383 positions and in int64
// beyond: with every input and weight at -128 a 127x127 window reaches 2114060288 (just under
// 2^31) and a 128x128 window exactly 2^31, which would wrap in int32. mult 1, shift 30 maps
// both to 2 (a wrap would give -2).
TEST(Kernels, ConvBlockSumsDoNotOverflowAtTheLargestWindows) {
  for (uint8_t k : {uint8_t{127}, uint8_t{128}}) {
    isa::ConvArgs a;
    a.in_h = a.in_w = k;
    a.in_c = a.out_c = 8;
    a.kh = a.kw = k;
    a.out_h = a.out_w = 1;
    const uint64_t in_bytes = uint64_t{k} * k * 8, w_bytes = 64ull * k * k;
    a.in_addr = 0;
    a.w_addr = static_cast<uint32_t>(in_bytes);
    const uint32_t meta = 8 + 2 * 2 + 2 + 2;  // header, row_ptr[2], col_idx[1], pad to 4
    a.qp_addr = static_cast<uint32_t>(a.w_addr + meta + w_bytes);
    a.out_addr = a.qp_addr + 12 * 8;
    std::vector<uint8_t> m(a.out_addr + 64, 0);
    std::fill(m.begin(), m.begin() + static_cast<long>(in_bytes), uint8_t{0x80});  // -128
    put_u16(m, a.w_addr, 1);
    put_u16(m, a.w_addr + 2, 1);
    put_u16(m, a.w_addr + 4, k);
    put_u16(m, a.w_addr + 6, k);
    put_u16(m, a.w_addr + 8, 0);
    put_u16(m, a.w_addr + 10, 1);
    put_u16(m, a.w_addr + 12, 0);
    std::fill(m.begin() + a.w_addr + meta, m.begin() + static_cast<long>(a.w_addr + meta + w_bytes), uint8_t{0x80});
    for (uint32_t oc = 0; oc < 8; ++oc) {
      put_i32(m, a.qp_addr + 12 * oc, 0);
      put_i32(m, a.qp_addr + 12 * oc + 4, 1);
      put_i32(m, a.qp_addr + 12 * oc + 8, 30);
    }
    run_conv(m.data(), m.size(), a, config::CoreCosts{});
    for (uint32_t oc = 0; oc < 8; ++oc) EXPECT_EQ(static_cast<int8_t>(m[a.out_addr + oc]), 2) << "k " << int(k);
  }
}

}  // namespace
}  // namespace saie::hw

namespace saie::hw {
namespace {

// Timing-only runs: every op returns the same KernelResult without computing or writing, and
// the argument / compact-header checks still reject bad ops.
TEST(Kernels, WithoutArithmeticSameCostNothingWritten) {
  const std::vector<std::vector<bool>> half = {{true, false}, {false, true}, {true, false}, {false, true}};
  ConvCase cc = make_case(7, 9, 16, 32, 3, 1, 1, true, half, 11);
  auto full = build_memory(cc);
  auto skip = full;
  const std::vector<uint8_t> before = skip;
  isa::CoreOp op;
  op.kind = isa::CoreOpKind::Conv;
  op.conv = cc.args;
  const KernelResult a = run_compute_op(full, op, config::CoreCosts{});
  const KernelResult b = run_compute_op(skip.data(), skip.size(), op, config::CoreCosts{}, false);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.macs, b.macs);
  EXPECT_EQ(a.blocks, b.blocks);
  EXPECT_EQ(skip, before);
  EXPECT_NE(full, before);

  op.kind = isa::CoreOpKind::MaxPool;
  op.pool = isa::PoolArgs{0, 8, 8, 16, 4096, 4, 4, 2, 2, 2, 2, 1, 0};
  std::vector<uint8_t> m(kMem, 7);
  const std::vector<uint8_t> m0 = m;
  EXPECT_EQ(run_compute_op(m.data(), m.size(), op, config::CoreCosts{}, false).cycles,
            pool_cycles(op.pool, config::CoreCosts{}));
  EXPECT_EQ(m, m0);
  op.kind = isa::CoreOpKind::Add;
  op.add = isa::AddArgs{0, 64, 128, 64, 1, 1, 0, 0};
  EXPECT_EQ(run_compute_op(m.data(), m.size(), op, config::CoreCosts{}, false).cycles, 34u);
  EXPECT_EQ(m, m0);

  // A broken header is still an error.
  op.kind = isa::CoreOpKind::Conv;
  op.conv = cc.args;
  put_u16(skip, cc.args.w_addr, 5);  // block_rows != out_c / 8
  EXPECT_THROW(run_compute_op(skip.data(), skip.size(), op, config::CoreCosts{}, false), std::invalid_argument);
}

}  // namespace
}  // namespace saie::hw

namespace saie::hw {
namespace {

// The vector paths (AVX-512 VNNI rows, AVX2 rows, AVX-512 requantisation) and the portable one
// give the same bytes on many shapes, with and without relu, and equal the dense reference. On a
// CPU without AVX2 every run takes the portable path: the reference check still applies.
TEST(Kernels, VectorAndPortableConvAgree) {
  std::printf("conv paths on this CPU: AVX2 %s, AVX-512 VNNI %s\n", conv_simd_available() ? "yes" : "no",
              conv_vnni_available() ? "yes" : "no");
  std::mt19937 rng(77);
  struct Shape { uint32_t h, w, cin, cout; uint8_t k, s; };
  const Shape shapes[] = {{9, 11, 16, 32, 3, 1}, {8, 8, 8, 8, 1, 1}, {13, 13, 24, 16, 3, 2},
                          {15, 15, 8, 16, 7, 2}, {6, 10, 32, 8, 5, 1}};
  for (const Shape& sh : shapes) {
    std::vector<std::vector<bool>> mask(sh.cout / 8, std::vector<bool>(sh.cin / 8));
    for (auto& row : mask)
      for (size_t c = 0; c < row.size(); ++c) row[c] = rng() % 2 == 0 || c == 0;
    const bool relu = (&sh - shapes) % 2 == 1;
    ConvCase cc = make_case(sh.h, sh.w, sh.cin, sh.cout, sh.k, sh.s, sh.s, relu, mask, rng());
    auto mv = build_memory(cc);
    auto mp = mv, ma = mv;
    set_conv_simd(true);
    const KernelResult rv = run_conv(mv, cc.args, config::CoreCosts{});  // VNNI where the CPU has it
    set_conv_vnni(false);
    run_conv(ma, cc.args, config::CoreCosts{});  // AVX2
    set_conv_vnni(true);
    set_conv_simd(false);
    const KernelResult rp = run_conv(mp, cc.args, config::CoreCosts{});
    set_conv_simd(true);
    EXPECT_EQ(mv, mp) << sh.h << "x" << sh.w << "x" << sh.cin << " -> " << sh.cout << " k" << int(sh.k);
    EXPECT_EQ(ma, mp) << sh.h << "x" << sh.w << "x" << sh.cin << " -> " << sh.cout << " k" << int(sh.k);
    EXPECT_EQ(read_out(mp, cc.args), dense_reference(cc));
    EXPECT_EQ(rv.cycles, rp.cycles);
  }
}

}  // namespace
}  // namespace saie::hw

namespace saie::hw {
namespace {

// The vector path caches arranged weights by address: new weights written to the same address
// (the next layer's, or another group's) must be used, not the cached ones.
TEST(Kernels, NewWeightsAtTheSameAddressAreUsed) {
  const std::vector<std::vector<bool>> mask = {{true, true}, {true, false}};
  ConvCase first = make_case(6, 6, 16, 16, 3, 1, 1, false, mask, 5);
  ConvCase second = make_case(6, 6, 16, 16, 3, 1, 1, false, mask, 6);  // same shape, other weights
  auto m1 = build_memory(first);
  auto m2 = build_memory(second);
  std::vector<uint8_t> mem = m1;
  run_conv(mem, first.args, config::CoreCosts{});
  EXPECT_EQ(read_out(mem, first.args), dense_reference(first));
  // Same buffer, the second case's input and weights written over the first's.
  std::copy(m2.begin(), m2.end(), mem.begin());
  run_conv(mem, second.args, config::CoreCosts{});
  EXPECT_EQ(read_out(mem, second.args), dense_reference(second));
}

}  // namespace
}  // namespace saie::hw

namespace saie::hw {
namespace {

// A fused lookup table (ConvArgs::lut): every output, after requantisation and ReLU, goes
// through the 256 entries; the same on every vector path and the portable one, and the epilogue
// costs one pass at lut_lanes per cycle more.
TEST(Kernels, ConvLookupTableAfterRequantOnEveryPath) {
  ConvCase cc = make_case(6, 7, 16, 16, 3, 1, 1, /*relu=*/true, {{true, false}, {true, true}}, 41);
  std::vector<uint8_t> base = build_memory(cc);
  isa::ConvArgs a = cc.args;
  a.lut = 1;
  a.lut_addr = 40000;
  std::vector<int8_t> table(256);
  for (int i = 0; i < 256; ++i) table[static_cast<size_t>(i)] = static_cast<int8_t>(127 - i);  // y -> -1 - y
  for (int i = 0; i < 256; ++i) base[a.lut_addr + static_cast<uint32_t>(i)] = static_cast<uint8_t>(table[static_cast<size_t>(i)]);
  std::vector<int8_t> want = dense_reference(cc);
  for (int8_t& v : want) v = isa::lut_lookup(table.data(), v);
  std::vector<std::vector<uint8_t>> mems;
  for (int path = 0; path < 3; ++path) {  // vector (VNNI where present), AVX2, portable
    std::vector<uint8_t> m = base;
    set_conv_simd(path < 2);
    set_conv_vnni(path == 0);
    const KernelResult r = run_conv(m, a, config::CoreCosts{});
    EXPECT_EQ(r.cycles, expected_conv_cycles(cc.args, cc.nnz) + (uint64_t{a.out_h} * a.out_w * a.out_c + 15) / 16);
    EXPECT_EQ(read_out(m, a), want) << "path " << path;
    mems.push_back(std::move(m));
  }
  set_conv_simd(true);
  set_conv_vnni(true);
  EXPECT_EQ(mems[0], mems[2]);
  EXPECT_EQ(mems[1], mems[2]);
  // A table reaching past data memory is refused before anything is written.
  a.lut_addr = kMem - 100;
  std::vector<uint8_t> m = base;
  EXPECT_THAT([&] { run_conv(m, a, config::CoreCosts{}); }, ::testing::ThrowsMessage<std::exception>(HasSubstr("lookup table")));
  EXPECT_EQ(m, base);
}

TEST(Kernels, MulScalesEachPixelByTheGateAndSkipsUnusedChannels) {
  std::vector<uint8_t> m(kMem, 0xA5);
  std::mt19937 rng(5);
  isa::MulArgs a;
  a.in_addr = 100 + 8;  // the op's channels start 8 into each 24-channel pixel
  a.in_pitch = 24;
  a.pixels = 10;
  a.c = 8;
  a.g_addr = 2000;
  a.out_addr = 3000;
  a.mult = 19000;
  a.shift = 20;
  for (uint32_t i = 0; i < a.pixels * a.in_pitch; ++i) m[100 + i] = static_cast<uint8_t>(rng());
  for (uint32_t k = 0; k < a.c; ++k) m[a.g_addr + k] = static_cast<uint8_t>(rng());
  const std::vector<uint8_t> before = m;
  const KernelResult r = run_mul(m.data(), m.size(), a, config::CoreCosts{});
  EXPECT_EQ(r.cycles, 32u + (10u * 8 + 31) / 32);
  for (uint32_t p = 0; p < a.pixels; ++p)
    for (uint32_t k = 0; k < a.c; ++k) {
      const int64_t x = static_cast<int8_t>(before[a.in_addr + p * a.in_pitch + k]);
      const int64_t g = static_cast<int8_t>(before[a.g_addr + k]);
      const int64_t y = std::clamp<int64_t>(isa::round_shift(x * g * a.mult, a.shift), -128, 127);
      EXPECT_EQ(static_cast<int8_t>(m[a.out_addr + p * a.c + k]), y) << p << "," << k;
    }
  // Everything else untouched.
  for (size_t i = 0; i < m.size(); ++i)
    if (i < a.out_addr || i >= a.out_addr + 80u) {
      ASSERT_EQ(m[i], before[i]) << i;
    }
  // Dispatch through run_compute_op, and the argument rules.
  isa::CoreOp op;
  op.kind = isa::CoreOpKind::Mul;
  op.mul = a;
  EXPECT_EQ(run_compute_op(m, op, config::CoreCosts{}).cycles, r.cycles);
  isa::MulArgs bad = a;
  bad.in_pitch = 4;
  EXPECT_THAT([&] { run_mul(m.data(), m.size(), bad, config::CoreCosts{}); },
              ::testing::ThrowsMessage<std::exception>(HasSubstr("in_pitch")));
  bad = a;
  bad.g_addr = kMem - 4;
  EXPECT_THAT([&] { run_mul(m.data(), m.size(), bad, config::CoreCosts{}); },
              ::testing::ThrowsMessage<std::exception>(HasSubstr("gate")));
  bad = a;
  bad.shift = 70;
  EXPECT_THROW(run_mul(m.data(), m.size(), bad, config::CoreCosts{}), std::exception);
}

}  // namespace
}  // namespace saie::hw

namespace saie::hw {
namespace {

// The depthwise kernel equals the block-sparse conv over the block-diagonal weights it replaces
// (each output channel reading only its own input channel), table and ReLU included, on a channel
// window of a wider input; it costs kh*kw MACs an output at dw_lanes per cycle.
TEST(Kernels, DepthwiseEqualsTheBlockDiagonalConv) {
  std::mt19937 rng(11);
  for (const bool relu : {false, true}) {
    // Block-diagonal reference: 16 channels in, 16 out, 3x3 stride 2.
    ConvCase cc = make_case(9, 7, 16, 16, 3, 2, 2, relu, {{true, false}, {false, true}}, 71 + relu);
    for (uint32_t oc = 0; oc < 16; ++oc)
      for (uint32_t t = 0; t < 9; ++t)
        for (uint32_t ic = 0; ic < 16; ++ic)
          if (ic != oc) cc.weights[(size_t{oc} * 9 + t) * 16 + ic] = 0;
    std::vector<uint8_t> mc = build_memory(cc);
    run_conv(mc, cc.args, config::CoreCosts{});
    const std::vector<int8_t> want = read_out(mc, cc.args);
    // The depthwise op on channels [8, 24) of a 32-channel input holding the same values there.
    std::vector<uint8_t> m(kMem, 0x5A);
    isa::ConvArgs a = cc.args;
    a.in_c = 32;
    a.c0 = 8;
    a.w_addr = 20000;
    a.qp_addr = 21000;
    a.out_addr = 30000;
    for (uint32_t px = 0; px < 9u * 7; ++px)
      for (uint32_t c = 0; c < 32; ++c)
        m[a.in_addr + px * 32 + c] = c >= 8 && c < 24 ? static_cast<uint8_t>(cc.input[px * 16 + c - 8]) : static_cast<uint8_t>(rng());
    for (uint32_t t = 0; t < 9; ++t)
      for (uint32_t k = 0; k < 16; ++k) m[a.w_addr + t * 16 + k] = static_cast<uint8_t>(cc.weights[(size_t{k} * 9 + t) * 16 + k]);
    for (uint32_t k = 0; k < 16; ++k) {
      put_i32(m, a.qp_addr + 12 * k, cc.bias[k]);
      put_i32(m, a.qp_addr + 12 * k + 4, cc.mult[k]);
      put_i32(m, a.qp_addr + 12 * k + 8, cc.shift[k]);
    }
    isa::CoreOp op;
    op.kind = isa::CoreOpKind::DwConv;
    op.conv = a;
    const KernelResult r = run_compute_op(m, op, config::CoreCosts{});
    EXPECT_EQ(read_out(m, a), want);
    const uint64_t outs = uint64_t{a.out_h} * a.out_w * a.out_c;
    EXPECT_EQ(r.macs, outs * 9);
    EXPECT_EQ(r.cycles, 32 + (outs * 9 + 31) / 32 + (outs + 31) / 32);
    // With a table after the requantisation.
    a.lut = 1;
    a.lut_addr = 40000;
    for (int i = 0; i < 256; ++i) m[a.lut_addr + static_cast<uint32_t>(i)] = static_cast<uint8_t>(i ^ 0x55);
    run_dwconv(m.data(), m.size(), a, config::CoreCosts{});
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_EQ(m[a.out_addr + i], static_cast<uint8_t>((static_cast<int>(want[i]) + 128) ^ 0x55)) << i;
  }
  // Channels past the input, or a partial-sum mode, are refused.
  isa::ConvArgs bad;
  bad.in_h = bad.in_w = bad.out_h = bad.out_w = 1;
  bad.in_c = 16;
  bad.out_c = 16;
  bad.c0 = 8;
  std::vector<uint8_t> m(kMem, 0);
  EXPECT_THAT([&] { run_dwconv(m.data(), m.size(), bad, config::CoreCosts{}); },
              ::testing::ThrowsMessage<std::exception>(HasSubstr("exceed in_c 16")));
  bad.c0 = 0;
  bad.acc_mode = isa::ConvAcc::First;
  EXPECT_THAT([&] { run_dwconv(m.data(), m.size(), bad, config::CoreCosts{}); },
              ::testing::ThrowsMessage<std::exception>(HasSubstr("acc_mode must be None")));
}

}  // namespace
}  // namespace saie::hw
