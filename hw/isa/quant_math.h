// quant_math.h — the integer arithmetic every int8 op shares (compiler reference and core model).
#pragma once

#include <algorithm>
#include <cstdint>

namespace saie::isa {

// Arithmetic right shift with round-half-up: floor((v + 2^(shift-1)) / 2^shift). shift in [0, 62].
inline int64_t round_shift(int64_t v, int32_t shift) {
  if (shift <= 0) return v;
  return (v + (int64_t{1} << (shift - 1))) >> shift;
}

inline int8_t saturate_int8(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)); }

// int32 accumulator -> int8: clamp(round_shift(acc * mult, shift)); relu clamps at 0.
inline int8_t requantize(int64_t acc, int32_t mult, int32_t shift, bool relu) {
  int64_t y = round_shift(acc * static_cast<int64_t>(mult), shift);
  if (relu) y = std::max<int64_t>(y, 0);
  return saturate_int8(y);
}

}  // namespace saie::isa
