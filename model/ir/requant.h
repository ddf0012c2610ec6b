// requant.h — real-valued rescale factors to the integer (mult, shift) pairs the hardware uses.
// Used by the reference executor and by lowering, so both apply the very same integers.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace saie::ir {

struct Requant {
  int32_t mult = 1;   // in [2^14, 2^15) unless the factor is tiny or huge
  int32_t shift = 0;  // y = round_shift(x * mult, shift)
};

// Approximates factor by mult / 2^shift with 15 significant bits. factor must be > 0 and finite.
inline Requant make_requant(double factor) {
  if (!(factor > 0) || !std::isfinite(factor)) throw std::invalid_argument("requant factor must be positive and finite");
  int32_t shift = 0;
  double m = factor;
  while (m < 16384.0 && shift < 62) { m *= 2.0; ++shift; }
  while (m >= 32768.0 && shift > 0) { m /= 2.0; --shift; }
  double r = std::round(m);
  if (r >= 2147483647.0) r = 2147483647.0;
  return Requant{static_cast<int32_t>(r), shift};
}

// Two factors sharing one shift (element-wise add): y = round_shift(a*ma + b*mb, shift).
struct RequantPair {
  int32_t mult_a = 1, mult_b = 1, shift = 0;
};
inline RequantPair make_requant_pair(double fa, double fb) {
  Requant big = make_requant(fa > fb ? fa : fb);
  RequantPair p;
  p.shift = big.shift;
  p.mult_a = static_cast<int32_t>(std::round(std::ldexp(fa, big.shift)));
  p.mult_b = static_cast<int32_t>(std::round(std::ldexp(fb, big.shift)));
  return p;
}

}  // namespace saie::ir
