// address_gen.cpp — n-D BD address enumeration.
#include "hw/dma/address_gen.h"

#include <algorithm>

namespace saie::hw {

AddressGen::AddressGen(const isa::BufferDescriptor& bd, uint32_t rep)
    : base_(static_cast<int64_t>(bd.addr) + static_cast<int64_t>(rep) * bd.iter_stride),
      ndims_(std::clamp<int>(bd.ndims, 1, 4)),
      dims_(bd.dims) {
  total_ = 1;
  for (int d = 0; d < ndims_; ++d) total_ *= dims_[d].size;
}

bool AddressGen::next(uint64_t max_len, int64_t* addr, uint64_t* len) {
  if (produced_ >= total_ || max_len == 0) return false;
  int64_t a = base_;
  for (int d = 0; d < ndims_; ++d) a += static_cast<int64_t>(idx_[d]) * dims_[d].stride;
  uint64_t run = 1;
  if (dims_[0].stride == 1) run = std::min<uint64_t>(dims_[0].size - idx_[0], max_len);
  *addr = a;
  *len = run;
  produced_ += run;
  idx_[0] += run;
  for (int d = 0; d < ndims_ - 1 && idx_[d] >= dims_[d].size; ++d) {
    idx_[d] = 0;
    ++idx_[d + 1];
  }
  return true;
}

}  // namespace saie::hw
