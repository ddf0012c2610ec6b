// op_args.h — the static rules of a compute op's arguments and the byte sizes of its operands
// (plain C++). One definition, used by the program verifier (hw/isa/verify_program.h) before a
// run and by the core's kernels (hw/core/kernels.h) when an op executes.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "hw/isa/program.h"

namespace saie::isa {

// Saturating multiply: operand sizes are products of u32 fields and must not wrap past a bounds
// check (a saturated size is always out of range).
inline uint64_t mul_sat(uint64_t a, uint64_t b) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  return a != 0 && b > kMax / a ? kMax : a * b;
}

// "" when consistent, else a one-line reason (e.g. "in_c 12 is not a positive multiple of 8").
// Conv: in_c/out_c positive multiples of 8 (block indices fit u16), kh/kw/strides >= 1,
// out_h/out_w >= 1 and the last window inside the input ((out_h-1)*stride_h + kh <= in_h, same
// for w). Pools: c >= 1, same window rule.
std::string conv_args_error(const ConvArgs& a);
std::string pool_args_error(const PoolArgs& a);
// Mul: c >= 1, pixels >= 1, in_pitch >= c.
std::string mul_args_error(const MulArgs& a);
// DwConv: in_c >= c0 + out_c, out_c >= 1, acc_mode None, the window rule.
std::string dwconv_args_error(const ConvArgs& a);
// Requantisation shifts (avg pool, add, conv requant records) lie in [0, kMaxRequantShift].
inline constexpr int32_t kMaxRequantShift = 62;
std::string shift_error(int32_t shift);  // "" or "shift 63 outside [0, 62]"

// Byte sizes of the operands, for extent checks: [addr, addr + bytes).
inline constexpr uint32_t kRequantRecordBytes = 12;  // {int32 bias, int32 mult, int32 shift} per output channel
inline uint64_t conv_input_bytes(const ConvArgs& a) { return mul_sat(mul_sat(a.in_h, a.in_w), a.in_c); }
inline uint64_t conv_output_bytes(const ConvArgs& a) { return mul_sat(mul_sat(a.out_h, a.out_w), a.out_c); }
// The int32 accumulators of a conv with an input-channel split (acc_mode != None).
inline uint64_t conv_acc_bytes(const ConvArgs& a) { return mul_sat(conv_output_bytes(a), 4); }
inline bool conv_writes_output(const ConvArgs& a) { return a.acc_mode == ConvAcc::None || a.acc_mode == ConvAcc::Last; }
// The compact-weight header up to and including row_ptr: 8 + 2 * (out_c/8 + 1).
inline uint64_t conv_weight_header_bytes(const ConvArgs& a) { return 8 + 2 * (uint64_t{a.out_c / 8} + 1); }
inline uint64_t conv_qp_bytes(const ConvArgs& a) { return uint64_t{kRequantRecordBytes} * a.out_c; }
inline constexpr uint32_t kLutBytes = 256;  // a conv's lookup table (ConvArgs::lut)
// DwConv: the input spans the whole in_h x in_w x in_c tile; weights kh x kw x out_c.
inline uint64_t dwconv_weight_bytes(const ConvArgs& a) { return mul_sat(uint64_t{a.kh} * a.kw, a.out_c); }
// Mul: the input spans (pixels - 1) * in_pitch + c bytes from in_addr.
inline uint64_t mul_input_bytes(const MulArgs& a) {
  return a.pixels == 0 ? 0 : mul_sat(a.pixels - 1, a.in_pitch) + a.c;
}
inline uint64_t mul_output_bytes(const MulArgs& a) { return mul_sat(a.pixels, a.c); }
inline uint64_t pool_input_bytes(const PoolArgs& a) { return mul_sat(mul_sat(a.in_h, a.in_w), a.c); }
inline uint64_t pool_output_bytes(const PoolArgs& a) { return mul_sat(mul_sat(a.out_h, a.out_w), a.c); }

}  // namespace saie::isa
