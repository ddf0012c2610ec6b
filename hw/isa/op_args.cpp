// op_args.cpp — see op_args.h.
#include "hw/isa/op_args.h"

#include "hw/isa/quant_math.h"

namespace saie::isa {
namespace {

// Shared by conv and pool: window geometry.
std::string window_error(uint32_t in_h, uint32_t in_w, uint32_t out_h, uint32_t out_w, uint8_t kh, uint8_t kw, uint8_t sh,
                         uint8_t sw) {
  if (kh == 0 || kw == 0) return "kernel " + std::to_string(kh) + "x" + std::to_string(kw) + " has a zero side";
  if (sh == 0 || sw == 0) return "stride " + std::to_string(sh) + "x" + std::to_string(sw) + " has a zero side";
  if (out_h == 0 || out_w == 0) return "output " + std::to_string(out_h) + "x" + std::to_string(out_w) + " is empty";
  const uint64_t need_h = uint64_t{out_h - 1} * sh + kh, need_w = uint64_t{out_w - 1} * sw + kw;
  if (need_h > in_h || need_w > in_w)
    return "output " + std::to_string(out_h) + "x" + std::to_string(out_w) + " needs input " + std::to_string(need_h) + "x" +
           std::to_string(need_w) + " but input is " + std::to_string(in_h) + "x" + std::to_string(in_w);
  return "";
}

}  // namespace

std::string conv_args_error(const ConvArgs& a) {
  if (a.in_c == 0 || a.in_c % 8 != 0) return "in_c " + std::to_string(a.in_c) + " is not a positive multiple of 8";
  if (a.out_c == 0 || a.out_c % 8 != 0) return "out_c " + std::to_string(a.out_c) + " is not a positive multiple of 8";
  if (a.out_c / 8 > 0xFFFF || a.in_c / 8 > 0xFFFF) return "channel count exceeds the u16 block index";
  if (static_cast<uint8_t>(a.acc_mode) > static_cast<uint8_t>(ConvAcc::Last))
    return "acc_mode " + std::to_string(static_cast<int>(a.acc_mode)) + " is not 0..3";
  if (a.lut > 1) return "lut " + std::to_string(a.lut) + " is not 0 or 1";
  return window_error(a.in_h, a.in_w, a.out_h, a.out_w, a.kh, a.kw, a.stride_h, a.stride_w);
}

std::string pool_args_error(const PoolArgs& a) {
  if (a.c == 0) return "c is 0";
  if (a.divide > 1) return "divide " + std::to_string(a.divide) + " is not 0 or 1";
  if (std::string e = window_error(a.in_h, a.in_w, a.out_h, a.out_w, a.kh, a.kw, a.stride_h, a.stride_w); !e.empty())
    return e;
  if (a.divide) {
    // The region is an interval in each dimension, so when the first and the last window reach
    // into it every window between them does too.
    const auto empty = [](uint32_t out, uint8_t k, uint8_t s, int32_t lo, int32_t hi) {
      return window_taps(0, k, lo, hi) == 0 || window_taps(int64_t{out - 1} * s, k, lo, hi) == 0;
    };
    if (empty(a.out_h, a.kh, a.stride_h, a.count_y0, a.count_y1) || empty(a.out_w, a.kw, a.stride_w, a.count_x0, a.count_x1))
      return "a window holds no tap of the counted region rows [" + std::to_string(a.count_y0) + ", " +
             std::to_string(a.count_y1) + ") x columns [" + std::to_string(a.count_x0) + ", " + std::to_string(a.count_x1) + ")";
  }
  return "";
}

std::string dwconv_args_error(const ConvArgs& a) {
  if (a.out_c == 0) return "out_c is 0";
  if (uint64_t{a.c0} + a.out_c > a.in_c)
    return "channels c0 " + std::to_string(a.c0) + " + out_c " + std::to_string(a.out_c) + " exceed in_c " +
           std::to_string(a.in_c);
  if (a.acc_mode != ConvAcc::None) return "acc_mode must be None";
  if (a.lut > 1) return "lut " + std::to_string(a.lut) + " is not 0 or 1";
  return window_error(a.in_h, a.in_w, a.out_h, a.out_w, a.kh, a.kw, a.stride_h, a.stride_w);
}

std::string mul_args_error(const MulArgs& a) {
  if (a.c == 0) return "c is 0";
  if (a.pixels == 0) return "pixels is 0";
  if (a.in_pitch < a.c) return "in_pitch " + std::to_string(a.in_pitch) + " is below c " + std::to_string(a.c);
  return shift_error(a.shift);
}

std::string shift_error(int32_t shift) {
  if (shift >= 0 && shift <= kMaxRequantShift) return "";
  return "shift " + std::to_string(shift) + " outside [0, " + std::to_string(kMaxRequantShift) + "]";
}

}  // namespace saie::isa
