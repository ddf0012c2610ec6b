// address_gen_test.cpp — n-D BD address enumeration, with and without zero padding (no SystemC kernel run).
#include "hw/dma/address_gen.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <tuple>
#include <vector>

namespace saie::hw {
namespace {

std::vector<int64_t> all_bytes(const isa::BufferDescriptor& bd, uint32_t rep, uint64_t max_len) {
  AddressGen g(bd, rep);
  std::vector<int64_t> out;
  int64_t a;
  uint64_t n;
  while (g.next(max_len, &a, &n))
    for (uint64_t i = 0; i < n; ++i) out.push_back(a + static_cast<int64_t>(i));
  EXPECT_EQ(g.produced(), g.total());
  return out;
}

TEST(AddressGen, ContiguousRunsSplitAtMaxLen) {
  isa::BufferDescriptor bd;
  bd.addr = 100;
  bd.dims[0] = {10, 1};
  AddressGen g(bd, 0);
  int64_t a;
  uint64_t n;
  ASSERT_TRUE(g.next(4, &a, &n));
  EXPECT_EQ(a, 100);
  EXPECT_EQ(n, 4u);
  ASSERT_TRUE(g.next(100, &a, &n));
  EXPECT_EQ(a, 104);
  EXPECT_EQ(n, 6u);
  EXPECT_FALSE(g.next(100, &a, &n));
}

TEST(AddressGen, FourDimsWithIterStride) {
  isa::BufferDescriptor bd;
  bd.addr = 1000;
  bd.ndims = 4;
  bd.dims[0] = {2, 1};
  bd.dims[1] = {3, 10};
  bd.dims[2] = {2, 100};
  bd.dims[3] = {2, -500};
  bd.iter_count = 3;
  bd.iter_stride = 7;
  std::vector<int64_t> expect;
  for (int i3 = 0; i3 < 2; ++i3)
    for (int i2 = 0; i2 < 2; ++i2)
      for (int i1 = 0; i1 < 3; ++i1)
        for (int i0 = 0; i0 < 2; ++i0) expect.push_back(1000 + 2 * 7 + i0 + i1 * 10 + i2 * 100 - i3 * 500);
  EXPECT_EQ(all_bytes(bd, 2, 64), expect);
  EXPECT_EQ(bd.bytes_per_repetition(), 24u);
}

TEST(AddressGen, StridedInnermostIsByteByByte) {
  isa::BufferDescriptor bd;
  bd.addr = 0;
  bd.ndims = 2;
  bd.dims[0] = {4, 8};  // a column of a 4x8 matrix
  bd.dims[1] = {8, 1};
  std::vector<int64_t> expect;
  for (int c = 0; c < 8; ++c)
    for (int r = 0; r < 4; ++r) expect.push_back(r * 8 + c);
  EXPECT_EQ(all_bytes(bd, 0, 3), expect);
}

// ---- zero padding ----

// A run as (zero, address or -1 for padding, length).
using PadRun = std::tuple<bool, int64_t, uint64_t>;
constexpr int64_t kZ = -1;

std::vector<PadRun> runs(const isa::BufferDescriptor& bd, uint32_t rep, uint64_t max_len) {
  AddressGen g(bd, rep);
  std::vector<PadRun> out;
  int64_t a = 12345;
  uint64_t n = 0;
  bool z = false;
  uint64_t sum = 0;
  while (g.next(max_len, &a, &n, &z)) {
    EXPECT_GT(n, 0u);
    EXPECT_LE(n, max_len);
    out.emplace_back(z, z ? kZ : a, n);
    sum += n;
  }
  EXPECT_EQ(sum, g.total());
  EXPECT_EQ(g.produced(), g.total());
  EXPECT_EQ(g.total(), bd.bytes_per_repetition());
  return out;
}

TEST(AddressGenPadding, OneDim) {
  isa::BufferDescriptor bd;
  bd.addr = 100;
  bd.dims[0] = {4, 1};
  bd.pad_before[0] = 2;
  bd.pad_after[0] = 3;
  EXPECT_EQ(bd.bytes_per_repetition(), 9u);
  EXPECT_EQ(bd.real_bytes_per_repetition(), 4u);
  EXPECT_EQ(runs(bd, 0, 64), (std::vector<PadRun>{{true, kZ, 2}, {false, 100, 4}, {true, kZ, 3}}));
  // max_len splits real and zero runs alike.
  EXPECT_EQ(runs(bd, 0, 3),
            (std::vector<PadRun>{{true, kZ, 2}, {false, 100, 3}, {false, 103, 1}, {true, kZ, 3}}));
  EXPECT_EQ(runs(bd, 0, 1).size(), 9u);
}

TEST(AddressGenPadding, TwoDims) {
  // 2 rows of 3 bytes, row pitch 10, at 200; dim 0 padded 1,1 (rows of 5); dim 1 padded 1,2.
  isa::BufferDescriptor bd;
  bd.addr = 200;
  bd.ndims = 2;
  bd.dims[0] = {3, 1};
  bd.dims[1] = {2, 10};
  bd.pad_before = {1, 1, 0, 0};
  bd.pad_after = {1, 2, 0, 0};
  EXPECT_EQ(bd.bytes_per_repetition(), 25u);  // 5 x 5
  // Rows: pad | 0 m[200..202] 0 | 0 m[210..212] 0 | pad | pad. Adjacent zeros form one run.
  EXPECT_EQ(runs(bd, 0, 64), (std::vector<PadRun>{{true, kZ, 6},
                                               {false, 200, 3},
                                               {true, kZ, 2},
                                               {false, 210, 3},
                                               {true, kZ, 11}}));
  // Zero runs are capped by max_len too.
  EXPECT_EQ(runs(bd, 0, 4), (std::vector<PadRun>{{true, kZ, 4},
                                              {true, kZ, 2},
                                              {false, 200, 3},
                                              {true, kZ, 2},
                                              {false, 210, 3},
                                              {true, kZ, 4},
                                              {true, kZ, 4},
                                              {true, kZ, 3}}));
}

TEST(AddressGenPadding, ThreeDimsWithIterStride) {
  // dims: [2 pad 0,1] x [2 @ 4] x [2 @ 100 pad 1,0]; repetition 1 of iter_stride 1000.
  isa::BufferDescriptor bd;
  bd.addr = 50;
  bd.ndims = 3;
  bd.dims[0] = {2, 1};
  bd.dims[1] = {2, 4};
  bd.dims[2] = {2, 100};
  bd.pad_after[0] = 1;
  bd.pad_before[2] = 1;
  bd.iter_count = 2;
  bd.iter_stride = 1000;
  EXPECT_EQ(bd.bytes_per_repetition(), 18u);  // 3 x 2 x 3
  const int64_t b = 1050;
  EXPECT_EQ(runs(bd, 1, 64), (std::vector<PadRun>{{true, kZ, 6},
                                               {false, b, 2},
                                               {true, kZ, 1},
                                               {false, b + 4, 2},
                                               {true, kZ, 1},
                                               {false, b + 100, 2},
                                               {true, kZ, 1},
                                               {false, b + 104, 2},
                                               {true, kZ, 1}}));
}

TEST(AddressGenPadding, StridedInnermostStaysByteByByte) {
  isa::BufferDescriptor bd;
  bd.addr = 0;
  bd.dims[0] = {2, 8};
  bd.pad_before[0] = 1;
  bd.pad_after[0] = 2;
  EXPECT_EQ(runs(bd, 0, 64), (std::vector<PadRun>{{true, kZ, 1}, {false, 0, 1}, {false, 8, 1}, {true, kZ, 2}}));
}

TEST(AddressGenPadding, UnpaddedRunsAreUnchanged) {
  // Same BD with and without the zero flag: identical runs, never zero.
  isa::BufferDescriptor bd;
  bd.addr = 7;
  bd.ndims = 3;
  bd.dims[0] = {5, 1};
  bd.dims[1] = {3, 16};
  bd.dims[2] = {2, 64};
  bd.pad_before[3] = 9;  // beyond ndims: does not exist, no padding
  AddressGen plain(bd, 0), flagged(bd, 0);
  EXPECT_FALSE(plain.padded());
  EXPECT_EQ(plain.total(), 30u);
  int64_t a1, a2;
  uint64_t n1, n2;
  bool z = true;
  int count = 0;
  while (plain.next(4, &a1, &n1)) {
    ASSERT_TRUE(flagged.next(4, &a2, &n2, &z));
    EXPECT_FALSE(z);
    EXPECT_EQ(a1, a2);
    EXPECT_EQ(n1, n2);
    ++count;
  }
  EXPECT_FALSE(flagged.next(4, &a2, &n2, &z));
  EXPECT_EQ(count, 12);  // 6 rows of 5 bytes, each split 4 + 1
}

TEST(AddressGenPadding, PaddedBdWithoutZeroFlagThrows) {
  isa::BufferDescriptor bd;
  bd.dims[0] = {4, 1};
  bd.pad_after[0] = 1;
  AddressGen g(bd, 0);
  EXPECT_TRUE(g.padded());
  int64_t a;
  uint64_t n;
  EXPECT_THROW(g.next(64, &a, &n), std::logic_error);
}

}  // namespace
}  // namespace saie::hw
