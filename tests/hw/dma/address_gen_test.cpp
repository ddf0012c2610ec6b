// address_gen_test.cpp — n-D BD address enumeration (no SystemC kernel run).
#include "hw/dma/address_gen.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace saie::hw
