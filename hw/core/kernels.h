// kernels.h — the int8 compute of one AIE2 core on its local data memory, with its cycle cost (plain C++).
//
// These functions are the functional + timing model of the core's compute ops (isa::CoreOpKind
// Conv / MaxPool / AvgPool / Add). They work on the core's data memory as raw bytes, read their
// operands at the addresses in the op's args, write the result there, and return the cycles the
// op takes. The SystemC core model calls them and waits `cycles`; nothing here knows about time.
// Semantics: docs/program-format.md "Compute ops" and the comments in hw/isa/program.h.
//
// Timing model (cycles, all from config::CoreCosts; P = out_h*out_w output pixels):
//   Conv     cycles = op_prologue_cycles
//                   + sum over STORED blocks ( ceil(P / ppc) * kh * kw + block_overhead_cycles )
//                   + mac_pipeline_cycles (if any block is stored)
//                   + ceil(P * out_c / requant_lanes)   (the epilogue; with an input-channel split,
//                     isa::conv_cycles adds the int32 accumulators' loads and stores)
//            where ppc = max(1, macs_per_cycle / 64) pixels per cycle: one 4x8x8 MAC per cycle
//            (4 pixels x 8 cin x 8 cout = 256 MACs at the AIE-ML default) covers one kernel tap of
//            one 8x8 block for ppc pixels. Zero blocks cost nothing.
//            macs = stored_blocks * P * kh * kw * 64; blocks = stored_blocks.
//   MaxPool / AvgPool  cycles = op_prologue_cycles + ceil(out_h*out_w*c*kh*kw / pool_lanes)
//   Add      cycles = op_prologue_cycles + ceil(n / add_lanes)
//   (pools and add report macs = 0, blocks = 0). A lane count of 0 is treated as 1.
//
// Errors: an operand outside [0, mem_size) throws std::out_of_range; inconsistent args or a
// malformed compact-weight header throws std::invalid_argument. Messages are one line naming
// the op and the byte range / field. Nothing is written to memory when an op throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/op_args.h"
#include "hw/isa/op_costs.h"
#include "hw/isa/program.h"

namespace saie::hw {

struct KernelResult {
  uint64_t cycles = 0;  // core cycles the op takes (timing model above)
  uint64_t macs = 0;    // int8 multiply-accumulates actually performed (conv only)
  uint64_t blocks = 0;  // stored 8x8 blocks computed (conv only)
};

// A conv's operands as found in data memory: the compact weights (header, row_ptr, col_idx, the
// stored blocks, each [8 cout][kh][kw][8 cin]) and the requant records. parse_conv_operands
// makes every check run_conv makes (same exceptions) and copies nothing but the indices;
// `blocks` points into mem. Shared with the RTL co-simulation (hw/cosim), which feeds the same
// operands to the Verilated block-MAC.
struct ConvOperands {
  uint32_t block_rows = 0, block_cols = 0;
  std::vector<uint32_t> row_ptr, col_idx;  // row_ptr: block_rows + 1 entries
  const uint8_t* blocks = nullptr;
  uint64_t block_bytes = 0;                // 64 * kh * kw
  std::vector<int32_t> bias, mult, shift;  // per output channel
  uint32_t stored_blocks() const { return row_ptr.empty() ? 0 : row_ptr.back(); }
};
ConvOperands parse_conv_operands(const uint8_t* mem, size_t mem_size, const isa::ConvArgs& a);

// The start and the end of a conv's accumulation (isa::ConvArgs::acc_mode), shared with the
// RTL co-simulation: conv_acc_begin fills acc (out_h*out_w*out_c, HWC) with the bias (None,
// First) or the int32 accumulators stored at acc_addr (Middle, Last); conv_acc_end requantises
// acc to out_addr (None, Last) or stores it at acc_addr (First, Middle; a value outside int32
// throws std::overflow_error naming the op).
void conv_acc_begin(const uint8_t* mem, const isa::ConvArgs& a, const ConvOperands& o, int64_t* acc);
void conv_acc_end(uint8_t* mem, const isa::ConvArgs& a, const ConvOperands& o, const int64_t* acc);

// Block-sparse int8 convolution (valid, input already padded). Visits block row -> stored
// blocks -> output pixels -> kernel window -> 8 cin, as the hardware does.
KernelResult run_conv(uint8_t* mem, size_t mem_size, const isa::ConvArgs& a, const config::CoreCosts& costs,
                      bool arithmetic = true);
// Max pool over a valid window; any channel count.
KernelResult run_maxpool(uint8_t* mem, size_t mem_size, const isa::PoolArgs& a, const config::CoreCosts& costs,
                         bool arithmetic = true);
// Average pool: y = saturate_int8(round_shift(window_sum * mult, shift)).
KernelResult run_avgpool(uint8_t* mem, size_t mem_size, const isa::PoolArgs& a, const config::CoreCosts& costs,
                         bool arithmetic = true);
// Element-wise add: y = saturate_int8(round_shift(a*mult_a + b*mult_b, shift)), relu -> max(y, 0).
KernelResult run_add(uint8_t* mem, size_t mem_size, const isa::AddArgs& a, const config::CoreCosts& costs,
                     bool arithmetic = true);
// Depthwise convolution with its own kernel (isa::CoreOpKind::DwConv).
KernelResult run_dwconv(uint8_t* mem, size_t mem_size, const isa::ConvArgs& a, const config::CoreCosts& costs,
                        bool arithmetic = true);
// Channel-wise multiply by a gate vector (isa::MulArgs; squeeze-excitation).
KernelResult run_mul(uint8_t* mem, size_t mem_size, const isa::MulArgs& a, const config::CoreCosts& costs,
                     bool arithmetic = true);

// Dispatch on op.kind (Conv / MaxPool / AvgPool / Add); Acquire/Release throw std::invalid_argument.
// arithmetic = false (timing-only runs): the same argument, range and compact-header checks and
// the same KernelResult, but nothing is computed or written.
KernelResult run_compute_op(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, const config::CoreCosts& costs,
                            bool arithmetic = true);

// The conv's block accumulation has a portable path and, on x86-64 CPUs, vector paths chosen at
// run time: AVX-512 VNNI (256-bit vpdpbusd) where the CPU has it, else AVX2 (identical integer
// results). set_conv_simd(false) forces the portable path, set_conv_vnni(false) the AVX2 one
// (tests compare all three).
bool conv_simd_available();
void set_conv_simd(bool enabled);
bool conv_vnni_available();
void set_conv_vnni(bool enabled);

// Convenience overloads on a whole data memory.
inline KernelResult run_conv(std::vector<uint8_t>& mem, const isa::ConvArgs& a, const config::CoreCosts& c) {
  return run_conv(mem.data(), mem.size(), a, c);
}
inline KernelResult run_maxpool(std::vector<uint8_t>& mem, const isa::PoolArgs& a, const config::CoreCosts& c) {
  return run_maxpool(mem.data(), mem.size(), a, c);
}
inline KernelResult run_avgpool(std::vector<uint8_t>& mem, const isa::PoolArgs& a, const config::CoreCosts& c) {
  return run_avgpool(mem.data(), mem.size(), a, c);
}
inline KernelResult run_add(std::vector<uint8_t>& mem, const isa::AddArgs& a, const config::CoreCosts& c) {
  return run_add(mem.data(), mem.size(), a, c);
}
inline KernelResult run_compute_op(std::vector<uint8_t>& mem, const isa::CoreOp& op, const config::CoreCosts& c) {
  return run_compute_op(mem.data(), mem.size(), op, c);
}

// Cycle formulas alone (the same ones the kernels use), e.g. for estimates and tests.
// Cycle formulas: isa::conv_cycles / pool_cycles / add_cycles in hw/isa/op_costs.h (shared
// with the compiler's band choice).
using isa::add_cycles;
using isa::conv_cycles;
using isa::pool_cycles;

// Argument rules and operand sizes: hw/isa/op_args.h (shared with the program verifier).
using isa::conv_args_error;
using isa::conv_input_bytes;
using isa::conv_output_bytes;
using isa::conv_qp_bytes;
using isa::conv_weight_header_bytes;
using isa::kRequantRecordBytes;
using isa::pool_args_error;

}  // namespace saie::hw
