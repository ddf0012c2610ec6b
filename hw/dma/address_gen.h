// address_gen.h — the n-D address pattern of one BD repetition, as contiguous byte runs (plain C++).
//
// Byte k of repetition `rep` lives at addr + rep*iter_stride + sum_d idx_d * dims[d].stride,
// idx enumerated with dims[0] innermost (docs/program-format.md). Runs are maximal stretches
// with dims[0].stride == 1 so a memory model sees few, long transactions.
#pragma once

#include <array>
#include <cstdint>

#include "hw/isa/program.h"

namespace saie::hw {

class AddressGen {
 public:
  AddressGen(const isa::BufferDescriptor& bd, uint32_t rep);

  uint64_t total() const { return total_; }
  uint64_t produced() const { return produced_; }
  // Next run of at most max_len bytes: false when the repetition is exhausted. The address is
  // signed (a bad pattern may point below 0; the memory rejects it).
  bool next(uint64_t max_len, int64_t* addr, uint64_t* len);

 private:
  int64_t base_;
  int ndims_;
  std::array<isa::DmaDim, 4> dims_;
  std::array<uint64_t, 4> idx_{};
  uint64_t total_ = 0, produced_ = 0;
};

}  // namespace saie::hw
