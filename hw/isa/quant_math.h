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

// Channel-wise multiply (squeeze-excitation): x * g rescaled, clamp(round_shift(x * g * mult, shift)).
inline int8_t mul_requantize(int8_t x, int8_t g, int32_t mult, int32_t shift) {
  return saturate_int8(round_shift(int64_t{x} * int64_t{g} * int64_t{mult}, shift));
}

// Average pool with a per-window divisor (PyTorch's ceil_mode and count_include_pad=False): the
// window's sum times mult, divided by its tap count rounding half up, then shifted:
// clamp(round_shift(floor((2 sum mult + count) / (2 count)), shift)). count > 0.
inline int64_t div_round_half_up(int64_t n, int64_t d) {
  const int64_t a = 2 * n + d, b = 2 * d;
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;  // floor for a negative numerator (b > 0)
  return q;
}
inline int8_t avg_requantize(int64_t sum, int64_t count, int32_t mult, int32_t shift) {
  return saturate_int8(round_shift(div_round_half_up(sum * int64_t{mult}, count), shift));
}
// Taps of the window [start, start + k) that lie inside [lo, hi) (0 when none).
inline int64_t window_taps(int64_t start, int64_t k, int64_t lo, int64_t hi) {
  return std::max<int64_t>(0, std::min(start + k, hi) - std::max(start, lo));
}

// A 256-entry int8 lookup table indexed by the int8 value + 128.
inline int8_t lut_lookup(const int8_t* table, int8_t y) { return table[static_cast<int>(y) + 128]; }

}  // namespace saie::isa
