// program.h — the compiled program that the compiler emits and the simulator runs (plain C++, no SystemC).
//
// One definition of the format, shared by compiler/ and hw/. Semantics are documented in
// docs/program-format.md; read that before changing anything here.
//
// Tile coordinates follow mlir-aie: row 0 = shim (array interface), rows 1 .. mem_rows =
// memtiles, rows 1+mem_rows .. mem_rows+core_rows = compute tiles (one memtile row: memtiles
// in row 1, cores from row 2; two, as on VE2802: memtiles in rows 1-2, cores from row 3).
// Addresses are byte addresses in the tile's own memory (DDR addresses for shim BDs; memtile BDs
// may also address their east/west neighbour memtiles, see MemRegion). All
// multi-byte values in memories are little-endian.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace saie::isa {

inline constexpr uint16_t kFormatMajor = 1;
// 1.1: BD zero padding; 1.2: conv int32 partial sums; 1.3: conv lookup tables, the mul op;
// 1.4: average pools with a per-window divisor
inline constexpr uint16_t kFormatMinor = 4;

struct TileId {
  uint8_t col = 0;
  uint8_t row = 0;  // 0 shim, 1..mem_rows memtile, > mem_rows compute
  bool operator==(const TileId& o) const { return col == o.col && row == o.row; }
  bool operator!=(const TileId& o) const { return !(*this == o); }
  bool operator<(const TileId& o) const { return col != o.col ? col < o.col : row < o.row; }
};
enum class TileKind : uint8_t { Shim = 0, Mem = 1, Core = 2 };
// Kind of a tile in an array with `mem_rows` memtile rows (Program::mem_rows,
// ArrayConfig::mem_rows). Pass the array's value; the default 1 is the common AIE2 layout.
inline TileKind tile_kind(TileId t, uint32_t mem_rows = 1) {
  return t.row == 0 ? TileKind::Shim : t.row <= mem_rows ? TileKind::Mem : TileKind::Core;
}
// Row of memtile row m (0-based) and of compute row r (0-based), and the array's row count.
inline constexpr uint32_t memtile_row(uint32_t m = 0) { return 1 + m; }
inline constexpr uint32_t core_row(uint32_t r, uint32_t mem_rows) { return 1 + mem_rows + r; }
inline constexpr uint32_t array_rows(uint32_t core_rows, uint32_t mem_rows) { return 1 + mem_rows + core_rows; }
// Memtile rows this code base models (the simulator and compiler reject other values).
inline constexpr uint32_t kMaxMemRows = 2;

enum class DmaDir : uint8_t { MM2S = 0, S2MM = 1 };  // MM2S: memory -> stream; S2MM: stream -> memory

// One address-generation dimension. dims[0] is the innermost. size in elements of the
// dimension below (dims[0].size counts bytes), stride in bytes.
struct DmaDim {
  uint32_t size = 1;
  int32_t stride = 0;
};

inline constexpr int16_t kNoLock = -1;
// Locks are 6-bit semaphores: values, acquire and release amounts lie in 0..kMaxLockValue
// (AM020, AIE-ML lock module).
inline constexpr uint32_t kMaxLockValue = 63;
inline constexpr int16_t kNoNextBd = -1;

// Memtile DMA address map (our own, docs/program-format.md "Memtile neighbour access"; the
// hardware's map differs): with S = memtile memory bytes, BD addresses [0, S) are the tile's own
// memory, [S, 2S) the WEST neighbour memtile's (same row, column - 1), [2S, 3S) the EAST one's
// (column + 1). Only memtile channels 0..kMemtileNeighbourChannels-1 may use neighbour
// addresses. Locks stay tile-local.
enum class MemRegion : uint8_t { Own = 0, West = 1, East = 2 };
inline constexpr uint32_t kMemtileNeighbourChannels = 4;
inline const char* mem_region_name(MemRegion r) {
  return r == MemRegion::Own ? "own" : r == MemRegion::West ? "west" : "east";
}
// Padding: only memtile MM2S BDs, and only dims 0..kMaxPaddedDims-1 (AIE-ML).
inline constexpr uint32_t kMaxPaddedDims = 3;

// A buffer descriptor. One "execution" of a BD = `iter_count` repetitions; repetition i
//   1. if acq_lock >= 0: waits until lock[acq_lock] >= acq_value, then lock -= acq_value
//   2. moves the bytes addressed by addr + i*iter_stride + sum_d(idx_d * dims[d].stride)
//      (innermost dims[0]; total bytes per repetition = product of dims[d].size, d < ndims)
//   3. if rel_lock >= 0: lock[rel_lock] += rel_value
// Then the channel continues with next_bd (or the task ends, see DmaTask).
// Zero padding (memtile MM2S only, dims 0..2): dim d streams pad_before[d] + dims[d].size +
// pad_after[d] elements of the dimension below (dim 0: bytes); a position with any padded index
// streams a zero byte and reads no memory; the real elements keep their addresses (index
// idx_d - pad_before[d]). bytes_per_repetition() is the streamed (padded) size.
struct BufferDescriptor {
  uint16_t id = 0;  // BD index in the tile (must be < tile's BD count)
  uint64_t addr = 0;
  uint8_t ndims = 1;  // 1..4 (core tiles and shim: up to 3; memtile: up to 4)
  std::array<DmaDim, 4> dims{};
  uint32_t iter_count = 1;  // >= 1
  int64_t iter_stride = 0;  // bytes added to addr per repetition
  int16_t acq_lock = kNoLock;
  uint8_t acq_value = 0;
  int16_t rel_lock = kNoLock;
  uint8_t rel_value = 0;
  int16_t next_bd = kNoNextBd;
  std::array<uint8_t, 4> pad_before{};  // zero elements streamed before dims[d] (format 1.1)
  std::array<uint8_t, 4> pad_after{};   // zero elements streamed after dims[d] (format 1.1)
  // Elements dim d streams (padding included); dims at or beyond ndims do not exist.
  uint64_t padded_size(int d) const {
    return uint64_t{pad_before[d]} + dims[d].size + pad_after[d];
  }
  bool has_padding() const {
    for (int d = 0; d < ndims && d < 4; ++d)
      if (pad_before[d] != 0 || pad_after[d] != 0) return true;
    return false;
  }
  // Bytes one repetition streams (padding included); the bytes read from or written to memory
  // are real_bytes_per_repetition().
  uint64_t bytes_per_repetition() const {
    uint64_t n = 1;
    for (int d = 0; d < ndims; ++d) n *= padded_size(d);
    return n;
  }
  uint64_t real_bytes_per_repetition() const {
    uint64_t n = 1;
    for (int d = 0; d < ndims; ++d) n *= dims[d].size;
    return n;
  }
};

// Started by the controller at the start of a phase: the channel runs BDs starting at
// start_bd following next_bd, and stops after `bd_executions` BD executions (chains may be
// cyclic, e.g. A->B->A for ping-pong) or when next_bd == -1, whichever comes first.
struct DmaTask {
  TileId tile;
  DmaDir dir = DmaDir::MM2S;
  uint8_t channel = 0;
  uint16_t start_bd = 0;
  uint32_t bd_executions = 1;
};

// A circuit-switched stream connection from one MM2S channel to one or more S2MM channels
// (more than one = broadcast: every destination receives every byte; the slowest one sets the pace).
struct StreamEndpoint {
  TileId tile;
  uint8_t channel = 0;
};
struct Route {
  StreamEndpoint src;               // an MM2S channel
  std::vector<StreamEndpoint> dsts;  // S2MM channels
};

struct LockInit {
  TileId tile;
  uint8_t lock = 0;
  uint8_t value = 0;  // 0..63 (6-bit semaphore)
};

// ---- Core compute ops -------------------------------------------------------------
// All addresses are byte offsets in the core's 64 KiB data memory. Tensors are HWC int8
// (channels innermost). Channel counts are multiples of 8 unless noted.
enum class CoreOpKind : uint8_t {
  Acquire = 0,   // wait lock >= value, then lock -= value
  Release = 1,   // lock += value
  Conv = 2,      // block-sparse int8 convolution (valid: the input tile already holds padding)
  MaxPool = 3,
  AvgPool = 4,
  Add = 5,       // element-wise add of two int8 tensors with rescale
  Mul = 6,       // channel-wise multiply by a gate vector with rescale (format 1.3)
  DwConv = 7,    // depthwise int8 convolution (format 1.3; ConvArgs)
};

// Conv: out[oh][ow][oc] = requant(bias[oc] + sum over stored blocks, kernel window, 8 cin of
//   in[oh*sh+ky][ow*sw+kx][ci] * w[oc][ky][kx][ci])
// Weights at w_addr in the compact block format (docs/program-format.md "Compact weights"):
//   u16 block_rows, u16 block_cols, u16 kh, u16 kw, u16 row_ptr[block_rows+1],
//   u16 col_idx[nnz], zero pad to a multiple of 4 bytes, then nnz blocks of
//   8 (cout) x kh x kw x 8 (cin) int8, in row_ptr order.
// Requant params at qp_addr: per output channel {int32 bias, int32 mult, int32 shift}
//   (12 bytes each, out_c entries): y = clamp(round_shift((acc) * mult, shift)), relu -> max(y,0).
// Input-channel split (format 1.2): a conv whose input channels are cut into pieces computes
// each piece's sum with one op and keeps the int32 accumulators in data memory at acc_addr
// (out_h*out_w*out_c int32, HWC, little-endian) between them:
//   acc_mode None:   y = requant(bias + sum) at out_addr (the ordinary conv);
//   acc_mode First:  acc = bias + sum (nothing at out_addr);
//   acc_mode Middle: acc += sum;
//   acc_mode Last:   acc += sum, then y = requant(acc) at out_addr.
// A sum leaving the int32 range is an error (the reference accumulates exactly).
// Lookup table (format 1.3): lut = 1 maps every requantised output y (after the ReLU) through the
// 256 int8 entries at lut_addr: y' = table[y + 128] (a non-linear activation, ir::OpKind::Lut).
enum class ConvAcc : uint8_t { None = 0, First = 1, Middle = 2, Last = 3 };
struct ConvArgs {
  uint32_t in_addr = 0, in_h = 0, in_w = 0, in_c = 0;
  uint32_t out_addr = 0, out_h = 0, out_w = 0, out_c = 0;
  uint32_t w_addr = 0, qp_addr = 0;
  uint8_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;
  uint8_t relu = 0;
  uint32_t acc_addr = 0;                 // format 1.2
  ConvAcc acc_mode = ConvAcc::None;      // format 1.2
  uint8_t lut = 0;                       // format 1.3
  uint32_t lut_addr = 0;                 // format 1.3
  uint32_t c0 = 0;                       // format 1.3, DwConv: input channel of output channel 0
};
// DwConv (format 1.3): a depthwise convolution with its own kernel (vector lanes over channels,
// not the 4x8x8 block shape): for output channel k < out_c, reading input channel c0 + k of
// pixels that hold in_c channels each (in_c >= c0 + out_c, any count),
//   out[oh][ow][k] = requant_k(bias[k] + sum over ky, kx of in[oh*sh+ky][ow*sw+kx][c0+k] * w[ky][kx][k])
// Weights at w_addr: int8 [kh][kw][out_c]; requant records at qp_addr (out_c, as Conv's); relu,
// lut and lut_addr as Conv's; acc_mode must be None.
// MaxPool / AvgPool over a valid window (no padding), channels c (any count).
// AvgPool: y = clamp(round_shift(sum * mult, shift)) (the divisor kh*kw is inside mult).
// AvgPool with divide = 1 (format 1.4; PyTorch's count_include_pad=False with padding, or a
// ceil_mode window that overhangs): each window's sum is divided by its own count of taps that lie
// inside the counted region, rows [count_y0, count_y1) x columns [count_x0, count_x1) of this
// input (signed: the region may reach past the input's edges, e.g. the padded image's corner
// before the band's first row):
//   count = window_taps(oh*sh, kh, count_y0, count_y1) * window_taps(ow*sw, kw, count_x0, count_x1)
//   y = clamp(round_shift(div_round_half_up(sum * mult, count), shift))   (isa::avg_requantize)
// Every window must hold at least one counted tap.
struct PoolArgs {
  uint32_t in_addr = 0, in_h = 0, in_w = 0, c = 0;
  uint32_t out_addr = 0, out_h = 0, out_w = 0;
  uint8_t kh = 1, kw = 1, stride_h = 1, stride_w = 1;
  int32_t mult = 1, shift = 0;
  uint8_t divide = 0;                                              // format 1.4
  int32_t count_y0 = 0, count_y1 = 0, count_x0 = 0, count_x1 = 0;  // format 1.4
};
// Add: y[i] = clamp(round_shift(a[i]*mult_a + b[i]*mult_b, shift)), relu -> max(y,0).
struct AddArgs {
  uint32_t a_addr = 0, b_addr = 0, out_addr = 0, n = 0;
  int32_t mult_a = 1, mult_b = 1, shift = 0;
  uint8_t relu = 0;
};

// Mul (format 1.3): for every pixel p < pixels and channel k < c,
//   out[p*c + k] = clamp(round_shift(in[p*in_pitch + k] * g[k] * mult, shift))
// (the input may hold more channels per pixel than the op uses: in_pitch >= c, in_addr points at
// its first used channel); g: c int8 gate values at g_addr.
struct MulArgs {
  uint32_t in_addr = 0, in_pitch = 0, out_addr = 0, g_addr = 0, pixels = 0, c = 0;
  int32_t mult = 1, shift = 0;
};

// Mnemonic of a core op kind ("acquire", "release", "conv", "maxpool", "avgpool", "add", "mul").
inline const char* core_op_name(CoreOpKind k) {
  switch (k) {
    case CoreOpKind::Acquire: return "acquire";
    case CoreOpKind::Release: return "release";
    case CoreOpKind::Conv: return "conv";
    case CoreOpKind::MaxPool: return "maxpool";
    case CoreOpKind::AvgPool: return "avgpool";
    case CoreOpKind::Add: return "add";
    case CoreOpKind::Mul: return "mul";
    case CoreOpKind::DwConv: return "dwconv";
  }
  return "unknown";
}

struct CoreOp {
  CoreOpKind kind = CoreOpKind::Acquire;
  uint8_t lock = 0;   // Acquire / Release
  uint8_t value = 0;  // Acquire / Release
  ConvArgs conv;      // Conv, DwConv
  PoolArgs pool;      // MaxPool / AvgPool
  AddArgs add;        // Add
  MulArgs mul;        // Mul
  std::string label;  // free text shown in traces, e.g. "conv2 band 3"
};

struct CoreProgram {
  TileId tile;
  std::vector<CoreOp> ops;  // run once, in order, when the phase starts
};

// ---- Phases ------------------------------------------------------------------------
// A phase is one layer (or part of one). The controller, per phase: writes lock initial
// values, routes and BDs (cost: control.phase_setup_cycles + control.bd_setup_cycles per BD),
// starts every DmaTask and CoreProgram at the same time, and waits until all of them have
// finished. Phases run strictly in order. Locks, routes and BDs do not carry over.
struct TileBds {
  TileId tile;
  std::vector<BufferDescriptor> bds;
};
struct Phase {
  std::string name;   // e.g. "conv2"
  uint32_t layer = 0; // index of the graph layer this phase implements
  std::vector<LockInit> locks;
  std::vector<Route> routes;
  std::vector<TileBds> bds;
  std::vector<DmaTask> tasks;
  std::vector<CoreProgram> cores;
  uint64_t dense_macs = 0;   // MACs if every block were computed (statistics only)
  uint64_t actual_macs = 0;  // MACs of the stored (non-zero) blocks (statistics only)
};

// A DDR region the host fills before running (weights, biases, compact metadata).
struct DdrSegment {
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
};

// Where the host puts one input image and finds the output (quantised int8, HWC).
struct TensorPort {
  uint64_t addr = 0;        // DDR address of element [0][0][0] (the interior, past any padding)
  uint32_t h = 0, w = 0, c = 0;  // logical shape written/read
  uint32_t row_pitch = 0;   // bytes between rows (>= w*pitch_c)
  uint32_t pitch_c = 0;     // bytes per pixel (channels incl. padding, >= c)
  float scale = 1.0f;       // real = scale * int8 value (symmetric, zero point 0)
};

struct Program {
  uint16_t major = kFormatMajor, minor = kFormatMinor;
  uint8_t columns = 0, core_rows = 0, mem_rows = 1;  // mem_rows: 1 or 2 (tile_kind)
  std::string name;              // network name
  uint64_t ddr_bytes_needed = 0; // highest DDR address used + 1
  TensorPort input, output;
  // DDR starts zeroed (so padding borders of activation buffers read as zero, and are never
  // written); the host then copies ddr_init once, and per inference writes the input.
  std::vector<DdrSegment> ddr_init;
  std::vector<Phase> phases;
};

}  // namespace saie::isa
