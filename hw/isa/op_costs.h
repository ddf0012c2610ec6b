// op_costs.h — cycles of each core compute op from the config's cost table (plain C++).
// One definition, used by the core model (hw/core/kernels.cpp) and by the compiler's band
// choice, so what the compiler optimises is exactly what the simulator charges.
// Model and assumptions: docs/timing-model.md.
#pragma once

#include <algorithm>
#include <cstdint>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"

namespace saie::isa {

inline uint64_t ceil_div_u64(uint64_t a, uint64_t b) { return b == 0 ? a : (a + b - 1) / b; }

// Conv: the 4x8x8 int8 MAC shape multiplies ppc = macs_per_cycle/64 output pixels x 8 input
// channels by one 8x8 weight block per cycle; only stored blocks are visited. An op with stored
// blocks also fills the MAC pipeline once (mac_pipeline_cycles). conv_mac_cycles is the MAC term
// alone (what the RTL co-simulation replaces, docs/rtl.md).
inline uint64_t conv_mac_cycles(uint32_t out_h, uint32_t out_w, uint32_t kh, uint32_t kw, uint64_t stored_blocks,
                                const config::CoreCosts& costs) {
  if (stored_blocks == 0) return 0;
  const uint64_t pixels = uint64_t{out_h} * out_w;
  const uint64_t ppc = std::max<uint64_t>(1, costs.macs_per_cycle / 64);
  const uint64_t per_block = ceil_div_u64(pixels, ppc) * kh * kw + costs.block_overhead_cycles;
  return stored_blocks * per_block + costs.mac_pipeline_cycles;
}
// With an input-channel split (ConvArgs::acc_mode) only the last op requantises; the int32
// accumulators are stored after every op but the last and loaded before every op but the first,
// each pass moving 4 bytes per output through the port requantisation stores through
// (requant_lanes bytes per cycle) — our assumption, no measurement.
// A lookup table (ConvArgs::lut) adds one pass over the outputs at lut_lanes lookups per cycle.
inline uint64_t conv_cycles(uint32_t out_h, uint32_t out_w, uint32_t out_c, uint32_t kh, uint32_t kw,
                            uint64_t stored_blocks, const config::CoreCosts& costs, ConvAcc acc = ConvAcc::None,
                            bool lut = false) {
  const uint64_t outputs = uint64_t{out_h} * out_w * out_c;
  const uint64_t requant = ceil_div_u64(outputs, costs.requant_lanes);
  const uint64_t spill = ceil_div_u64(4 * outputs, costs.requant_lanes);
  uint64_t epilogue = 0;
  switch (acc) {
    case ConvAcc::None: epilogue = requant; break;
    case ConvAcc::First: epilogue = spill; break;
    case ConvAcc::Middle: epilogue = 2 * spill; break;
    case ConvAcc::Last: epilogue = spill + requant; break;
  }
  if (lut && (acc == ConvAcc::None || acc == ConvAcc::Last)) epilogue += ceil_div_u64(outputs, costs.lut_lanes);
  return costs.op_prologue_cycles + conv_mac_cycles(out_h, out_w, kh, kw, stored_blocks, costs) + epilogue;
}
inline uint64_t conv_cycles(const ConvArgs& a, uint64_t stored_blocks, const config::CoreCosts& costs) {
  return conv_cycles(a.out_h, a.out_w, a.out_c, a.kh, a.kw, stored_blocks, costs, a.acc_mode, a.lut != 0);
}

inline uint64_t pool_cycles(uint32_t out_h, uint32_t out_w, uint32_t c, uint32_t kh, uint32_t kw,
                            const config::CoreCosts& costs) {
  const uint64_t work = uint64_t{out_h} * out_w * c * kh * kw;
  return costs.op_prologue_cycles + ceil_div_u64(work, costs.pool_lanes);
}
inline uint64_t pool_cycles(const PoolArgs& a, const config::CoreCosts& costs) {
  return pool_cycles(a.out_h, a.out_w, a.c, a.kh, a.kw, costs);
}

inline uint64_t add_cycles(uint64_t n, const config::CoreCosts& costs) {
  return costs.op_prologue_cycles + ceil_div_u64(n, costs.add_lanes);
}
inline uint64_t add_cycles(const AddArgs& a, const config::CoreCosts& costs) { return add_cycles(a.n, costs); }

// DwConv: out_h*out_w*out_c*kh*kw MACs at dw_lanes per cycle, then the requantisation (and a
// table) as Conv's.
inline uint64_t dwconv_cycles(const ConvArgs& a, const config::CoreCosts& costs) {
  const uint64_t outputs = uint64_t{a.out_h} * a.out_w * a.out_c;
  uint64_t c = costs.op_prologue_cycles + ceil_div_u64(outputs * a.kh * a.kw, costs.dw_lanes) +
               ceil_div_u64(outputs, costs.requant_lanes);
  if (a.lut) c += ceil_div_u64(outputs, costs.lut_lanes);
  return c;
}

// Mul: pixels x c products, each requantised, mul_lanes per cycle.
inline uint64_t mul_cycles(uint64_t n, const config::CoreCosts& costs) {
  return costs.op_prologue_cycles + ceil_div_u64(n, costs.mul_lanes);
}
inline uint64_t mul_cycles(const MulArgs& a, const config::CoreCosts& costs) {
  return mul_cycles(uint64_t{a.pixels} * a.c, costs);
}

}  // namespace saie::isa
