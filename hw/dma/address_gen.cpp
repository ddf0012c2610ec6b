// address_gen.cpp — n-D BD address enumeration with optional zero padding.
#include "hw/dma/address_gen.h"

#include <algorithm>
#include <stdexcept>

namespace saie::hw {

AddressGen::AddressGen(const isa::BufferDescriptor& bd, uint32_t rep)
    : base_(static_cast<int64_t>(bd.addr) + static_cast<int64_t>(rep) * bd.iter_stride),
      ndims_(std::clamp<int>(bd.ndims, 1, 4)),
      dims_(bd.dims) {
  total_ = 1;
  for (int d = 0; d < 4; ++d) {
    // Dims at or beyond ndims do not exist: one position, no padding.
    const bool real = d < ndims_;
    before_[d] = real ? bd.pad_before[d] : 0;
    extent_[d] = real ? before_[d] + dims_[d].size + bd.pad_after[d] : 1;
    if (real) total_ *= extent_[d];
    if (real && extent_[d] != dims_[d].size) padded_ = true;
  }
}

void AddressGen::segment(bool* zero, int64_t* addr, uint64_t* len) const {
  const uint64_t rest = extent_[0] - idx_[0];  // positions left in this dims[0] row
  for (int d = 1; d < ndims_; ++d) {
    if (idx_[d] < before_[d] || idx_[d] >= before_[d] + dims_[d].size) {
      *zero = true;  // the whole row lies in an outer dim's padding
      *len = rest;
      return;
    }
  }
  const uint64_t end0 = before_[0] + dims_[0].size;  // first position of pad_after[0]
  if (idx_[0] < before_[0]) {
    *zero = true;
    *len = before_[0] - idx_[0];
    return;
  }
  if (idx_[0] >= end0) {
    *zero = true;
    *len = rest;
    return;
  }
  int64_t a = base_;
  for (int d = 0; d < ndims_; ++d) a += static_cast<int64_t>(idx_[d] - before_[d]) * dims_[d].stride;
  *zero = false;
  *addr = a;
  *len = dims_[0].stride == 1 ? end0 - idx_[0] : 1;
}

void AddressGen::advance(uint64_t n) {
  produced_ += n;
  idx_[0] += n;
  for (int d = 0; d < ndims_ - 1 && idx_[d] >= extent_[d]; ++d) {
    idx_[d] = 0;
    ++idx_[d + 1];
  }
}

bool AddressGen::next(uint64_t max_len, int64_t* addr, uint64_t* len, bool* zero) {
  if (padded_ && zero == nullptr)
    throw std::logic_error("AddressGen: a padded BD needs the zero flag (next(..., &zero))");
  if (produced_ >= total_ || max_len == 0) return false;
  bool z = false;
  int64_t a = 0;
  uint64_t run = 0;
  segment(&z, &a, &run);
  run = std::min(run, max_len);
  advance(run);
  // Zero runs continue through adjacent padding (row ends, whole padded rows).
  while (z && run < max_len && produced_ < total_) {
    bool z2 = false;
    int64_t a2 = 0;
    uint64_t more = 0;
    segment(&z2, &a2, &more);
    if (!z2) break;
    more = std::min(more, max_len - run);
    advance(more);
    run += more;
  }
  *addr = z ? 0 : a;
  *len = run;
  if (zero) *zero = z;
  return true;
}

}  // namespace saie::hw
