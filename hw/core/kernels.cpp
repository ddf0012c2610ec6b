// kernels.cpp — int8 conv / pool / add on a core's data memory and their cycle cost (see kernels.h).
#include "hw/core/kernels.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>
#include <cstdio>
#include <cstring>
#include <limits>
#include <climits>
#include <stdexcept>

#include "hw/isa/quant_math.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SAIE_HAVE_AVX2_KERNEL 1
#endif

namespace saie::hw {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

uint64_t add_sat(uint64_t a, uint64_t b) { return b > kU64Max - a ? kU64Max : a + b; }

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Throws std::out_of_range unless [addr, addr + bytes) lies inside [0, mem_size).
void check_range(const char* op, const char* what, uint64_t addr, uint64_t bytes, size_t mem_size) {
  if (addr > mem_size || bytes > mem_size - addr) {
    std::string end = bytes == kU64Max ? std::string("overflow") : hex(add_sat(addr, bytes));
    throw std::out_of_range(std::string(op) + ": " + what + " bytes [" + hex(addr) + ", " + end +
                            ") outside data memory of " + std::to_string(mem_size) + " bytes");
  }
}

[[noreturn]] void bad_arg(const char* op, const std::string& why) {
  throw std::invalid_argument(std::string(op) + ": " + why);
}

uint16_t rd_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
int32_t rd_i32(const uint8_t* p) {
  uint32_t v = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
               (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
  return static_cast<int32_t>(v);
}
int8_t as_i8(uint8_t b) { return static_cast<int8_t>(b); }

void check_shift(const char* op, const std::string& where, int32_t shift) {
  if (std::string e = isa::shift_error(shift); !e.empty()) bad_arg(op, where + " " + e);
}

// Adds one stored 8x8 block's contribution to every output pixel: acc points at the block row's
// first channel of pixel 0 (pixel stride out_c). Per pixel the block is an 8 (cout) x 8 (cin)
// matrix applied to each kernel position's 8 input channels; Sum is the per-block accumulator
// type (int32 while the window keeps |sum| <= kh*kw*8*128*128 < 2^31).
constexpr uint32_t kInt32WindowMax = 16383;
template <class Sum>
void accumulate_block(const isa::ConvArgs& a, const uint8_t* in, const uint8_t* blk, uint64_t cin0, int64_t* acc) {
  const uint64_t co_stride = uint64_t{a.kh} * a.kw * 8;
  for (uint32_t oh = 0; oh < a.out_h; ++oh) {
    for (uint32_t ow = 0; ow < a.out_w; ++ow) {
      Sum sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (uint32_t ky = 0; ky < a.kh; ++ky) {
        for (uint32_t kx = 0; kx < a.kw; ++kx) {
          const auto* x = reinterpret_cast<const int8_t*>(
              in + ((uint64_t{oh} * a.stride_h + ky) * a.in_w + uint64_t{ow} * a.stride_w + kx) * a.in_c + cin0);
          const auto* wk = reinterpret_cast<const int8_t*>(blk + (uint64_t{ky} * a.kw + kx) * 8);
          for (uint32_t co = 0; co < 8; ++co) {
            const int8_t* wv = wk + co * co_stride;
            Sum d = 0;
            for (uint32_t ci = 0; ci < 8; ++ci) d += Sum{x[ci]} * Sum{wv[ci]};
            sum[co] += d;
          }
        }
      }
      int64_t* out = acc + (uint64_t{oh} * a.out_w + ow) * a.out_c;
      for (uint32_t co = 0; co < 8; ++co) out[co] += sum[co];
    }
  }
}

#ifdef SAIE_HAVE_AVX2_KERNEL

// The block accumulation with AVX2 (runtime-dispatched; identical integer results). Per output
// pixel and kernel tap the 8 input channels are widened to int16 and broadcast in pairs; each
// block is pre-arranged as, per tap and channel pair, 8 (cout) x 2 int16 weights, so one
// _mm256_madd_epi16 adds two MACs into each of the 8 output-channel lanes (4 per tap = 64 MACs;
// each madd lane is at most 2*128*128).
__attribute__((target("avx2"))) inline __m256i load16(const int16_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// A whole block row at once: the stored blocks' weights are pre-arranged first, then per output
// pixel the accumulator stays in one register across every block and tap of the row and is added
// to acc once. The row's int32 lanes are exact while nnz_row * kh*kw <= kInt32WindowMax.
__attribute__((target("avx2"))) void accumulate_row_avx2(const isa::ConvArgs& a, const uint8_t* in,
                                                         const uint8_t* blocks, uint64_t block_bytes,
                                                         const uint32_t* col_idx, uint32_t first, uint32_t last,
                                                         int64_t* acc) {
  const uint32_t taps = uint32_t{a.kh} * a.kw, nnz = last - first;
  const uint64_t co_stride = uint64_t{taps} * 8;
  // wv[((b*taps + t)*4 + p)*16 ..] = { w[co][t][2p], w[co][t][2p+1] } for co = 0..7 of stored block b.
  std::vector<int16_t> wv(uint64_t{nnz} * taps * 64);
  for (uint32_t b = 0; b < nnz; ++b) {
    const uint8_t* blk = blocks + block_bytes * (first + b);
    for (uint32_t t = 0; t < taps; ++t)
      for (uint32_t p = 0; p < 4; ++p) {
        int16_t* lanes = &wv[((uint64_t{b} * taps + t) * 4 + p) * 16];
        for (uint32_t co = 0; co < 8; ++co) {
          const auto* wk = reinterpret_cast<const int8_t*>(blk + co * co_stride + uint64_t{t} * 8);
          lanes[2 * co] = wk[2 * p];
          lanes[2 * co + 1] = wk[2 * p + 1];
        }
      }
  }
  std::vector<uint64_t> cin0(nnz);
  for (uint32_t b = 0; b < nnz; ++b) cin0[b] = uint64_t{col_idx[first + b]} * 8;
  for (uint32_t oh = 0; oh < a.out_h; ++oh) {
    for (uint32_t ow = 0; ow < a.out_w; ++ow) {
      __m256i sum = _mm256_setzero_si256();
      const int16_t* w = wv.data();
      const uint8_t* pix = in + (uint64_t{oh} * a.stride_h * a.in_w + uint64_t{ow} * a.stride_w) * a.in_c;
      for (uint32_t b = 0; b < nnz; ++b) {
        for (uint32_t ky = 0; ky < a.kh; ++ky) {
          const uint8_t* row = pix + uint64_t{ky} * a.in_w * a.in_c + cin0[b];
          for (uint32_t kx = 0; kx < a.kw; ++kx, w += 64) {
            int64_t x8;
            std::memcpy(&x8, row + uint64_t{kx} * a.in_c, 8);
            const __m256i x16 = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_cvtsi64_si128(x8)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_shuffle_epi32(x16, 0x00), load16(w + 0)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_shuffle_epi32(x16, 0x55), load16(w + 16)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_shuffle_epi32(x16, 0xAA), load16(w + 32)));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_shuffle_epi32(x16, 0xFF), load16(w + 48)));
          }
        }
      }
      alignas(32) int32_t s8[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(s8), sum);
      int64_t* out = acc + (uint64_t{oh} * a.out_w + ow) * a.out_c;
      for (uint32_t co = 0; co < 8; ++co) out[co] += s8[co];
    }
  }
}

// The same row with AVX-512 VNNI on 256-bit vectors (vpdpbusd: unsigned x signed bytes, four
// products per int32 lane). Inputs are offset to unsigned (x + 128 = x ^ 0x80) and the offset
// is taken back exactly: 128 * (sum of the row's weights per output channel). Lanes stay exact
// while nnz_row * kh*kw <= kVnniWindowMax (|lane| <= 8 * 255 * 128 per block tap).
constexpr uint32_t kVnniWindowMax = 8191;

// A block row's weights arranged for vpdpbusd: wv[((b*taps + t)*2 + h)*32 + co*4 + k] =
// w[co][t][4h + k] of stored block b, and corr[co] = 128 * (sum of output channel co's weights).
struct VnniRow {
  std::vector<uint8_t> raw;  // the bytes it was made from (the cache key's content)
  std::vector<int8_t> wv;
  int32_t corr[8] = {0, 0, 0, 0, 0, 0, 0, 0};
};

// Band after band of a layer runs with the same weights at the same address, so the arranged
// rows are cached by (address, length) and reused while the bytes there are unchanged (checked
// with memcmp on every use; a different content rebuilds the entry). Bounded in size.
const VnniRow& vnni_row(const uint8_t* blk, uint64_t bytes, uint32_t taps) {
  thread_local std::map<std::pair<const uint8_t*, uint64_t>, VnniRow> cache;
  thread_local uint64_t cached_bytes = 0;
  auto it = cache.find({blk, bytes});
  if (it != cache.end() && std::memcmp(it->second.raw.data(), blk, bytes) == 0) return it->second;
  if (it == cache.end()) {
    if (cached_bytes > (uint64_t{64} << 20)) {
      cache.clear();
      cached_bytes = 0;
    }
    it = cache.emplace(std::make_pair(blk, bytes), VnniRow{}).first;
    cached_bytes += 3 * bytes;
  }
  VnniRow& r = it->second;
  r.raw.assign(blk, blk + bytes);
  r.wv.assign(bytes, 0);
  std::fill(r.corr, r.corr + 8, 0);
  const uint64_t co_stride = uint64_t{taps} * 8, block_bytes = 8 * co_stride, nnz = bytes / block_bytes;
  for (uint64_t b = 0; b < nnz; ++b) {
    for (uint32_t co = 0; co < 8; ++co) {  // output channel co's weights are contiguous: taps x 8
      const auto* wc = reinterpret_cast<const int8_t*>(blk + b * block_bytes + co * co_stride);
      int32_t sum = 0;
      for (uint64_t i = 0; i < co_stride; ++i) sum += wc[i];
      r.corr[co] += 128 * sum;
      for (uint32_t t = 0; t < taps; ++t) {
        int8_t* dst = &r.wv[(b * taps + t) * 64 + co * 4];
        std::memcpy(dst, wc + uint64_t{t} * 8, 4);           // channels 0-3
        std::memcpy(dst + 32, wc + uint64_t{t} * 8 + 4, 4);  // channels 4-7
      }
    }
  }
  return r;
}

// P neighbouring output pixels of one row at once, so each weight vector loaded serves P
// pixels. Per block two fresh accumulators per pixel (channels 0-3 / 4-7) keep the vpdpbusd
// latency chains short and in registers; the block's sum is then added to the pixel's total.
template <int P>
__attribute__((target("avx2,avx512vl,avx512vnni"))) inline void vnni_pixels(
    const isa::ConvArgs& a, const uint8_t* in, const int8_t* wv, const uint64_t* cin0, uint32_t nnz,
    const int32_t* corr, uint32_t oh, uint32_t ow, int64_t* acc) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const uint64_t step = uint64_t{a.stride_w} * a.in_c;  // bytes between neighbouring pixels' windows
  __m256i total[P];
  for (int p = 0; p < P; ++p) total[p] = _mm256_setzero_si256();
  const int8_t* w = wv;
  const uint8_t* pix = in + (uint64_t{oh} * a.stride_h * a.in_w + uint64_t{ow} * a.stride_w) * a.in_c;
  for (uint32_t b = 0; b < nnz; ++b) {
    __m256i s_lo[P], s_hi[P];
    for (int p = 0; p < P; ++p) s_lo[p] = s_hi[p] = _mm256_setzero_si256();
    for (uint32_t ky = 0; ky < a.kh; ++ky) {
      const uint8_t* row = pix + uint64_t{ky} * a.in_w * a.in_c + cin0[b];
      for (uint32_t kx = 0; kx < a.kw; ++kx, w += 64) {
        const __m256i w_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
        const __m256i w_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
        const uint8_t* x = row + uint64_t{kx} * a.in_c;
        for (int p = 0; p < P; ++p, x += step) {
          int32_t lo, hi;
          std::memcpy(&lo, x, 4);
          std::memcpy(&hi, x + 4, 4);
          s_lo[p] = _mm256_dpbusd_epi32(s_lo[p], _mm256_xor_si256(_mm256_set1_epi32(lo), flip), w_lo);
          s_hi[p] = _mm256_dpbusd_epi32(s_hi[p], _mm256_xor_si256(_mm256_set1_epi32(hi), flip), w_hi);
        }
      }
    }
    for (int p = 0; p < P; ++p) total[p] = _mm256_add_epi32(total[p], _mm256_add_epi32(s_lo[p], s_hi[p]));
  }
  for (int p = 0; p < P; ++p) {
    alignas(32) int32_t s8[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(s8), total[p]);
    int64_t* out = acc + (uint64_t{oh} * a.out_w + ow + p) * a.out_c;
    for (uint32_t co = 0; co < 8; ++co) out[co] += int64_t{s8[co]} - corr[co];
  }
}

__attribute__((target("avx2,avx512vl,avx512vnni"))) void accumulate_row_vnni(
    const isa::ConvArgs& a, const uint8_t* in, const uint8_t* blocks, uint64_t block_bytes, const uint32_t* col_idx,
    uint32_t first, uint32_t last, int64_t* acc) {
  const uint32_t taps = uint32_t{a.kh} * a.kw, nnz = last - first;
  const VnniRow& prep = vnni_row(blocks + block_bytes * first, block_bytes * nnz, taps);
  const std::vector<int8_t>& wv = prep.wv;
  const int32_t* corr = prep.corr;
  std::vector<uint64_t> cin0(nnz);
  for (uint32_t b = 0; b < nnz; ++b) cin0[b] = uint64_t{col_idx[first + b]} * 8;
  for (uint32_t oh = 0; oh < a.out_h; ++oh) {
    uint32_t ow = 0;
    for (; ow + 4 <= a.out_w; ow += 4) vnni_pixels<4>(a, in, wv.data(), cin0.data(), nnz, corr, oh, ow, acc);
    for (; ow < a.out_w; ++ow) vnni_pixels<1>(a, in, wv.data(), cin0.data(), nnz, corr, oh, ow, acc);
  }
}

// GCC 12's AVX-512 intrinsic headers trip -Wmaybe-uninitialized on their own internal
// "undefined" source operands (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// isa::requantize on 8 output channels at once (AVX-512 F+DQ int64 lanes): the same products,
// rounding (+2^(shift-1), arithmetic shift), relu and saturation, so the bytes are identical.
__attribute__((target("avx512f,avx512dq"))) void requantize_avx512(const int64_t* acc, uint64_t pixels, uint32_t out_c,
                                                                   const int32_t* mult, const int32_t* shift, bool relu,
                                                                   uint8_t* out) {
  const __m512i lo = _mm512_set1_epi64(relu ? 0 : -128), hi = _mm512_set1_epi64(127);
  for (uint32_t oc = 0; oc < out_c; oc += 8) {
    alignas(64) int64_t m[8], sh[8], rnd[8];
    for (int k = 0; k < 8; ++k) {
      m[k] = mult[oc + k];
      sh[k] = shift[oc + k] > 0 ? shift[oc + k] : 0;
      rnd[k] = shift[oc + k] > 0 ? int64_t{1} << (shift[oc + k] - 1) : 0;
    }
    const __m512i vm = _mm512_load_si512(m), vs = _mm512_load_si512(sh), vr = _mm512_load_si512(rnd);
    for (uint64_t p = 0; p < pixels; ++p) {
      const uint64_t i = p * out_c + oc;
      __m512i y = _mm512_mullo_epi64(_mm512_loadu_si512(acc + i), vm);
      y = _mm512_srav_epi64(_mm512_add_epi64(y, vr), vs);
      y = _mm512_min_epi64(_mm512_max_epi64(y, lo), hi);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm512_cvtepi64_epi8(y));
    }
  }
}
#pragma GCC diagnostic pop
#endif

std::atomic<bool> g_conv_simd{true};
std::atomic<bool> g_conv_vnni{true};

bool use_avx2() {
#ifdef SAIE_HAVE_AVX2_KERNEL
  static const bool has = __builtin_cpu_supports("avx2");
  return has && g_conv_simd.load(std::memory_order_relaxed);
#else
  return false;
#endif
}
bool use_avx512_requant() {
#ifdef SAIE_HAVE_AVX2_KERNEL
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return has && g_conv_simd.load(std::memory_order_relaxed);
#else
  return false;
#endif
}
bool use_vnni() {
#ifdef SAIE_HAVE_AVX2_KERNEL
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512vnni");
  return has && g_conv_simd.load(std::memory_order_relaxed) && g_conv_vnni.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

}  // namespace

bool conv_simd_available() {
#ifdef SAIE_HAVE_AVX2_KERNEL
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}
void set_conv_simd(bool enabled) { g_conv_simd.store(enabled, std::memory_order_relaxed); }
bool conv_vnni_available() {
#ifdef SAIE_HAVE_AVX2_KERNEL
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}
void set_conv_vnni(bool enabled) { g_conv_vnni.store(enabled, std::memory_order_relaxed); }

// ---- conv --------------------------------------------------------------------------------

ConvOperands parse_conv_operands(const uint8_t* mem, size_t mem_size, const isa::ConvArgs& a) {
  static const char* op = "conv";
  if (std::string e = conv_args_error(a); !e.empty()) bad_arg(op, e);
  check_range(op, "input", a.in_addr, conv_input_bytes(a), mem_size);
  if (isa::conv_writes_output(a)) check_range(op, "output", a.out_addr, conv_output_bytes(a), mem_size);
  if (a.acc_mode != isa::ConvAcc::None) check_range(op, "accumulators", a.acc_addr, isa::conv_acc_bytes(a), mem_size);
  check_range(op, "qp", a.qp_addr, conv_qp_bytes(a), mem_size);
  if (a.lut) check_range(op, "lookup table", a.lut_addr, isa::kLutBytes, mem_size);

  // Compact weight header: u16 block_rows, block_cols, kh, kw.
  check_range(op, "weights header", a.w_addr, 8, mem_size);
  const uint8_t* w = mem + a.w_addr;
  const uint32_t block_rows = rd_u16(w), block_cols = rd_u16(w + 2), wkh = rd_u16(w + 4), wkw = rd_u16(w + 6);
  if (block_rows * 8 != a.out_c)
    bad_arg(op, "weights block_rows " + std::to_string(block_rows) + " != out_c/8 " + std::to_string(a.out_c / 8));
  if (block_cols * 8 != a.in_c)
    bad_arg(op, "weights block_cols " + std::to_string(block_cols) + " != in_c/8 " + std::to_string(a.in_c / 8));
  if (wkh != a.kh || wkw != a.kw)
    bad_arg(op, "weights kernel " + std::to_string(wkh) + "x" + std::to_string(wkw) + " != args kernel " +
                    std::to_string(a.kh) + "x" + std::to_string(a.kw));

  check_range(op, "weights row_ptr", uint64_t{a.w_addr} + 8, 2 * (uint64_t{block_rows} + 1), mem_size);
  ConvOperands o;
  o.block_rows = block_rows;
  o.block_cols = block_cols;
  std::vector<uint32_t>& row_ptr = o.row_ptr;
  row_ptr.resize(block_rows + 1);
  for (uint32_t r = 0; r <= block_rows; ++r) row_ptr[r] = rd_u16(w + 8 + 2 * r);
  if (row_ptr[0] != 0) bad_arg(op, "weights row_ptr[0] is " + std::to_string(row_ptr[0]) + ", not 0");
  for (uint32_t r = 0; r < block_rows; ++r)
    if (row_ptr[r + 1] < row_ptr[r]) bad_arg(op, "weights row_ptr decreases at block row " + std::to_string(r));
  const uint32_t nnz = row_ptr[block_rows];

  const uint64_t col_off = 8 + 2 * (uint64_t{block_rows} + 1);
  check_range(op, "weights col_idx", a.w_addr + col_off, 2 * uint64_t{nnz}, mem_size);
  std::vector<uint32_t>& col_idx = o.col_idx;
  col_idx.resize(nnz);
  for (uint32_t s = 0; s < nnz; ++s) col_idx[s] = rd_u16(w + col_off + 2 * s);

  const uint64_t meta = (col_off + 2 * uint64_t{nnz} + 3) / 4 * 4;  // zero padding to 4 bytes
  const uint64_t block_bytes = 64 * uint64_t{a.kh} * a.kw;          // [8 cout][kh][kw][8 cin]
  check_range(op, "weights blocks", a.w_addr + meta, block_bytes * nnz, mem_size);
  o.block_bytes = block_bytes;
  o.blocks = w + meta;

  // Every stored block must name an existing input-channel block, once per block row.
  std::vector<uint32_t> seen(block_cols, ~0u);
  for (uint32_t br = 0; br < block_rows; ++br)
    for (uint32_t s = row_ptr[br]; s < row_ptr[br + 1]; ++s) {
      if (col_idx[s] >= block_cols)
        bad_arg(op, "weights col_idx[" + std::to_string(s) + "] = " + std::to_string(col_idx[s]) +
                        " >= block_cols " + std::to_string(block_cols));
      if (seen[col_idx[s]] == br)
        bad_arg(op, "weights block row " + std::to_string(br) + " stores block column " +
                        std::to_string(col_idx[s]) + " twice");
      seen[col_idx[s]] = br;
    }

  // Requant records {bias, mult, shift} per output channel.
  o.bias.resize(a.out_c);
  o.mult.resize(a.out_c);
  o.shift.resize(a.out_c);
  for (uint32_t oc = 0; oc < a.out_c; ++oc) {
    const uint8_t* q = mem + a.qp_addr + uint64_t{kRequantRecordBytes} * oc;
    o.bias[oc] = rd_i32(q);
    o.mult[oc] = rd_i32(q + 4);
    o.shift[oc] = rd_i32(q + 8);
    check_shift(op, "qp record " + std::to_string(oc), o.shift[oc]);
  }
  return o;
}

KernelResult run_conv(uint8_t* mem, size_t mem_size, const isa::ConvArgs& a, const config::CoreCosts& costs,
                      bool arithmetic) {
  const ConvOperands o = parse_conv_operands(mem, mem_size, a);
  const uint32_t block_rows = o.block_rows, nnz = o.stored_blocks();
  const std::vector<uint32_t>& row_ptr = o.row_ptr;
  const std::vector<uint32_t>& col_idx = o.col_idx;
  const uint64_t block_bytes = o.block_bytes;
  const uint8_t* blocks = o.blocks;
  KernelResult r;
  r.blocks = nnz;
  r.macs = uint64_t{nnz} * a.out_h * a.out_w * a.kh * a.kw * 64;
  r.cycles = isa::conv_cycles(a, nnz, costs);
  if (!arithmetic) return r;

  // Accumulate block by block (zero blocks are never visited), then requantise.
  const uint32_t pixels = a.out_h * a.out_w;
  thread_local std::vector<int64_t> acc;  // reused across ops: no page faults per op
  acc.resize(uint64_t{pixels} * a.out_c);
  conv_acc_begin(mem, a, o, acc.data());
  const uint8_t* in = mem + a.in_addr;
  const bool avx2 = use_avx2(), vnni = use_vnni();
  for (uint32_t br = 0; br < block_rows; ++br) {
#ifdef SAIE_HAVE_AVX2_KERNEL
    if (vnni && uint64_t{row_ptr[br + 1] - row_ptr[br]} * a.kh * a.kw <= kVnniWindowMax) {
      accumulate_row_vnni(a, in, blocks, block_bytes, col_idx.data(), row_ptr[br], row_ptr[br + 1], &acc[uint64_t{br} * 8]);
      continue;
    }
    if (avx2 && uint64_t{row_ptr[br + 1] - row_ptr[br]} * a.kh * a.kw <= kInt32WindowMax) {
      accumulate_row_avx2(a, in, blocks, block_bytes, col_idx.data(), row_ptr[br], row_ptr[br + 1], &acc[uint64_t{br} * 8]);
      continue;
    }
#endif
    for (uint32_t s = row_ptr[br]; s < row_ptr[br + 1]; ++s) {
      const uint8_t* blk = blocks + block_bytes * s;
      const uint64_t cin0 = uint64_t{col_idx[s]} * 8;
      if (uint32_t{a.kh} * a.kw <= kInt32WindowMax)
        accumulate_block<int32_t>(a, in, blk, cin0, &acc[uint64_t{br} * 8]);
      else
        accumulate_block<int64_t>(a, in, blk, cin0, &acc[uint64_t{br} * 8]);
    }
  }
  conv_acc_end(mem, a, o, acc.data());
  return r;
}

void conv_acc_begin(const uint8_t* mem, const isa::ConvArgs& a, const ConvOperands& o, int64_t* acc) {
  const uint64_t pixels = uint64_t{a.out_h} * a.out_w;
  if (a.acc_mode == isa::ConvAcc::None || a.acc_mode == isa::ConvAcc::First) {
    for (uint64_t p = 0; p < pixels; ++p) std::copy(o.bias.begin(), o.bias.end(), acc + p * a.out_c);
    return;
  }
  const uint8_t* src = mem + a.acc_addr;
  for (uint64_t i = 0; i < pixels * a.out_c; ++i) acc[i] = rd_i32(src + 4 * i);
}

void conv_acc_end(uint8_t* mem, const isa::ConvArgs& a, const ConvOperands& o, const int64_t* acc) {
  const uint64_t pixels = uint64_t{a.out_h} * a.out_w, n = pixels * a.out_c;
  if (!isa::conv_writes_output(a)) {
    uint8_t* dst = mem + a.acc_addr;
    for (uint64_t i = 0; i < n; ++i) {
      if (acc[i] < INT32_MIN || acc[i] > INT32_MAX)
        throw std::overflow_error("conv: partial sum " + std::to_string(acc[i]) + " of output " + std::to_string(i) +
                                  " leaves the int32 accumulator");
      const auto v = static_cast<uint32_t>(static_cast<int32_t>(acc[i]));
      for (int k = 0; k < 4; ++k) dst[4 * i + k] = static_cast<uint8_t>(v >> (8 * k));
    }
    return;
  }
  uint8_t* out = mem + a.out_addr;
  bool done = false;
#ifdef SAIE_HAVE_AVX2_KERNEL
  if (use_avx512_requant()) {
    requantize_avx512(acc, pixels, a.out_c, o.mult.data(), o.shift.data(), a.relu != 0, out);
    done = true;
  }
#endif
  if (!done)
    for (uint64_t p = 0, i = 0; p < pixels; ++p)
      for (uint32_t oc = 0; oc < a.out_c; ++oc, ++i)
        out[i] = static_cast<uint8_t>(isa::requantize(acc[i], o.mult[oc], o.shift[oc], a.relu != 0));
  if (a.lut) {  // the activation's table, after the requantisation (and ReLU)
    const auto* table = reinterpret_cast<const int8_t*>(mem + a.lut_addr);
    for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(isa::lut_lookup(table, as_i8(out[i])));
  }
}

// ---- pools -------------------------------------------------------------------------------

namespace {

template <typename Reduce>
KernelResult run_pool(const char* op, uint8_t* mem, size_t mem_size, const isa::PoolArgs& a,
                      const config::CoreCosts& costs, bool arithmetic, Reduce reduce) {
  if (std::string e = pool_args_error(a); !e.empty()) bad_arg(op, e);
  check_range(op, "input", a.in_addr, isa::pool_input_bytes(a), mem_size);
  check_range(op, "output", a.out_addr, isa::pool_output_bytes(a), mem_size);
  KernelResult r;
  r.cycles = isa::pool_cycles(a, costs);
  if (!arithmetic) return r;
  const uint8_t* in = mem + a.in_addr;
  std::vector<uint8_t> out(uint64_t{a.out_h} * a.out_w * a.c);  // written at the end (in/out may overlap)
  for (uint32_t oh = 0; oh < a.out_h; ++oh)
    for (uint32_t ow = 0; ow < a.out_w; ++ow)
      for (uint32_t c = 0; c < a.c; ++c) {
        const uint8_t* base = in + (uint64_t{oh} * a.stride_h * a.in_w + uint64_t{ow} * a.stride_w) * a.c + c;
        out[(uint64_t{oh} * a.out_w + ow) * a.c + c] = static_cast<uint8_t>(reduce(base, oh, ow));
      }
  std::copy(out.begin(), out.end(), mem + a.out_addr);
  return r;
}

}  // namespace

KernelResult run_maxpool(uint8_t* mem, size_t mem_size, const isa::PoolArgs& a, const config::CoreCosts& costs,
                         bool arithmetic) {
  return run_pool("maxpool", mem, mem_size, a, costs, arithmetic, [&a](const uint8_t* base, uint32_t, uint32_t) {
    int8_t m = -128;
    for (uint32_t ky = 0; ky < a.kh; ++ky)
      for (uint32_t kx = 0; kx < a.kw; ++kx)
        m = std::max(m, as_i8(base[(uint64_t{ky} * a.in_w + kx) * a.c]));
    return m;
  });
}

KernelResult run_avgpool(uint8_t* mem, size_t mem_size, const isa::PoolArgs& a, const config::CoreCosts& costs,
                         bool arithmetic) {
  check_shift("avgpool", "args", a.shift);
  return run_pool("avgpool", mem, mem_size, a, costs, arithmetic, [&a](const uint8_t* base, uint32_t oh, uint32_t ow) {
    int64_t sum = 0;
    for (uint32_t ky = 0; ky < a.kh; ++ky)
      for (uint32_t kx = 0; kx < a.kw; ++kx) sum += as_i8(base[(uint64_t{ky} * a.in_w + kx) * a.c]);
    if (!a.divide) return isa::saturate_int8(isa::round_shift(sum * a.mult, a.shift));
    const int64_t count = isa::window_taps(int64_t{oh} * a.stride_h, a.kh, a.count_y0, a.count_y1) *
                          isa::window_taps(int64_t{ow} * a.stride_w, a.kw, a.count_x0, a.count_x1);
    return isa::avg_requantize(sum, count, a.mult, a.shift);
  });
}

// ---- add ---------------------------------------------------------------------------------

KernelResult run_add(uint8_t* mem, size_t mem_size, const isa::AddArgs& a, const config::CoreCosts& costs,
                     bool arithmetic) {
  static const char* op = "add";
  check_shift(op, "args", a.shift);
  check_range(op, "input a", a.a_addr, a.n, mem_size);
  check_range(op, "input b", a.b_addr, a.n, mem_size);
  check_range(op, "output", a.out_addr, a.n, mem_size);
  KernelResult r;
  r.cycles = isa::add_cycles(a, costs);
  if (!arithmetic) return r;
  std::vector<uint8_t> out(a.n);
  for (uint32_t i = 0; i < a.n; ++i) {
    int64_t y = isa::round_shift(int64_t{as_i8(mem[a.a_addr + uint64_t{i}])} * a.mult_a +
                                     int64_t{as_i8(mem[a.b_addr + uint64_t{i}])} * a.mult_b,
                                 a.shift);
    if (a.relu) y = std::max<int64_t>(y, 0);
    out[i] = static_cast<uint8_t>(isa::saturate_int8(y));
  }
  std::copy(out.begin(), out.end(), mem + a.out_addr);
  return r;
}

// ---- depthwise conv ----------------------------------------------------------------------

KernelResult run_dwconv(uint8_t* mem, size_t mem_size, const isa::ConvArgs& a, const config::CoreCosts& costs,
                        bool arithmetic) {
  static const char* op = "dwconv";
  if (std::string e = isa::dwconv_args_error(a); !e.empty()) bad_arg(op, e);
  check_range(op, "input", a.in_addr, conv_input_bytes(a), mem_size);
  check_range(op, "output", a.out_addr, conv_output_bytes(a), mem_size);
  check_range(op, "weights", a.w_addr, isa::dwconv_weight_bytes(a), mem_size);
  check_range(op, "qp", a.qp_addr, conv_qp_bytes(a), mem_size);
  if (a.lut) check_range(op, "lookup table", a.lut_addr, isa::kLutBytes, mem_size);
  std::vector<int32_t> bias(a.out_c), mult(a.out_c), shift(a.out_c);
  for (uint32_t k = 0; k < a.out_c; ++k) {
    const uint8_t* q = mem + a.qp_addr + uint64_t{kRequantRecordBytes} * k;
    bias[k] = rd_i32(q);
    mult[k] = rd_i32(q + 4);
    shift[k] = rd_i32(q + 8);
    check_shift(op, "qp record " + std::to_string(k), shift[k]);
  }
  KernelResult r;
  r.macs = uint64_t{a.out_h} * a.out_w * a.out_c * a.kh * a.kw;
  r.cycles = isa::dwconv_cycles(a, costs);
  if (!arithmetic) return r;
  const auto* table = reinterpret_cast<const int8_t*>(mem + a.lut_addr);
  std::vector<uint8_t> out(conv_output_bytes(a));  // (the output may overlap the input)
  std::vector<int64_t> acc(a.out_c);
  for (uint32_t oh = 0; oh < a.out_h; ++oh)
    for (uint32_t ow = 0; ow < a.out_w; ++ow) {
      std::copy(bias.begin(), bias.end(), acc.begin());
      for (uint32_t ky = 0; ky < a.kh; ++ky)
        for (uint32_t kx = 0; kx < a.kw; ++kx) {
          const uint8_t* x = mem + a.in_addr + ((uint64_t{oh} * a.stride_h + ky) * a.in_w + uint64_t{ow} * a.stride_w + kx) * a.in_c + a.c0;
          const uint8_t* w = mem + a.w_addr + (uint64_t{ky} * a.kw + kx) * a.out_c;
          for (uint32_t k = 0; k < a.out_c; ++k) acc[k] += int64_t{as_i8(x[k])} * as_i8(w[k]);
        }
      uint8_t* y = out.data() + (uint64_t{oh} * a.out_w + ow) * a.out_c;
      for (uint32_t k = 0; k < a.out_c; ++k) {
        const int8_t v = isa::requantize(acc[k], mult[k], shift[k], a.relu != 0);
        y[k] = static_cast<uint8_t>(a.lut ? isa::lut_lookup(table, v) : v);
      }
    }
  std::copy(out.begin(), out.end(), mem + a.out_addr);
  return r;
}

// ---- mul (squeeze-excitation gate) --------------------------------------------------------

KernelResult run_mul(uint8_t* mem, size_t mem_size, const isa::MulArgs& a, const config::CoreCosts& costs,
                     bool arithmetic) {
  static const char* op = "mul";
  if (std::string e = isa::mul_args_error(a); !e.empty()) bad_arg(op, e);
  check_range(op, "input", a.in_addr, isa::mul_input_bytes(a), mem_size);
  check_range(op, "gate", a.g_addr, a.c, mem_size);
  check_range(op, "output", a.out_addr, isa::mul_output_bytes(a), mem_size);
  KernelResult r;
  r.cycles = isa::mul_cycles(a, costs);
  if (!arithmetic) return r;
  std::vector<uint8_t> out(isa::mul_output_bytes(a));  // (the output may overlap the input)
  const uint8_t* g = mem + a.g_addr;
  for (uint64_t p = 0, i = 0; p < a.pixels; ++p) {
    const uint8_t* x = mem + a.in_addr + p * a.in_pitch;
    for (uint32_t k = 0; k < a.c; ++k, ++i)
      out[i] = static_cast<uint8_t>(isa::mul_requantize(as_i8(x[k]), as_i8(g[k]), a.mult, a.shift));
  }
  std::copy(out.begin(), out.end(), mem + a.out_addr);
  return r;
}

KernelResult run_compute_op(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, const config::CoreCosts& costs,
                            bool arithmetic) {
  switch (op.kind) {
    case isa::CoreOpKind::Conv: return run_conv(mem, mem_size, op.conv, costs, arithmetic);
    case isa::CoreOpKind::MaxPool: return run_maxpool(mem, mem_size, op.pool, costs, arithmetic);
    case isa::CoreOpKind::AvgPool: return run_avgpool(mem, mem_size, op.pool, costs, arithmetic);
    case isa::CoreOpKind::Add: return run_add(mem, mem_size, op.add, costs, arithmetic);
    case isa::CoreOpKind::Mul: return run_mul(mem, mem_size, op.mul, costs, arithmetic);
    case isa::CoreOpKind::DwConv: return run_dwconv(mem, mem_size, op.conv, costs, arithmetic);
    default: break;
  }
  throw std::invalid_argument("run_compute_op: op '" + op.label + "' of kind " +
                              std::to_string(static_cast<int>(op.kind)) + " is not a compute op");
}

}  // namespace saie::hw
