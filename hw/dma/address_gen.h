// address_gen.h — the n-D address pattern of one BD repetition, as contiguous byte runs (plain C++).
//
// Byte k of repetition `rep` lives at addr + rep*iter_stride + sum_d idx_d * dims[d].stride,
// idx enumerated with dims[0] innermost (docs/program-format.md). Runs are maximal stretches
// with dims[0].stride == 1 inside one dims[0] row, so a memory model sees few, long transactions.
//
// Zero padding (BufferDescriptor::pad_before/pad_after): dim d is enumerated over
// pad_before[d] + size + pad_after[d] positions; a byte whose position is in the padding of any
// dim is a zero byte with no address. Such bytes come as zero runs (`*zero` true, address
// meaningless), as long as possible (they may span several dims[0] rows, up to max_len); real
// bytes come as runs exactly as without padding.
#pragma once

#include <array>
#include <cstdint>

#include "hw/isa/program.h"

namespace saie::hw {

class AddressGen {
 public:
  AddressGen(const isa::BufferDescriptor& bd, uint32_t rep);

  // Bytes the repetition streams (padding included) and bytes handed out so far.
  uint64_t total() const { return total_; }
  uint64_t produced() const { return produced_; }
  bool padded() const { return padded_; }  // the BD has padding in one of its ndims dims
  // Next run of at most max_len bytes: false when the repetition is exhausted. The address is
  // signed (a bad pattern may point below 0; the memory rejects it). *zero (when given) tells
  // whether the run is padding (zero bytes, *addr meaningless). A padded BD needs `zero`:
  // without it next() throws std::logic_error.
  bool next(uint64_t max_len, int64_t* addr, uint64_t* len, bool* zero = nullptr);

 private:
  // The run starting at the current position (not capped by max_len).
  void segment(bool* zero, int64_t* addr, uint64_t* len) const;
  void advance(uint64_t n);  // n <= rest of the current dims[0] row

  int64_t base_;
  int ndims_;
  std::array<isa::DmaDim, 4> dims_;
  std::array<uint64_t, 4> before_{}, extent_{};  // pad_before, padded size per dim
  std::array<uint64_t, 4> idx_{};                 // position in the padded index space
  uint64_t total_ = 0, produced_ = 0;
  bool padded_ = false;
};

}  // namespace saie::hw
