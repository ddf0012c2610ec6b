// block_sparse.cpp — compacts Conv/Fc weights into the core's block-sparse format
// (docs/program-format.md "Compact weights"): header, CSR row_ptr/col_idx, then 8x8 blocks;
// logical masks of any bo x bi block shape are mapped onto the core's 8x8 blocks.
#include "model/ir/block_sparse.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace saie::ir {

namespace {

constexpr uint32_t kBlock = 8;  // the core's block edge (output and input channels)

// fn: the public function reporting the error ("compact_weights", "hardware_mask").
[[noreturn]] void fail(const char* fn, const Node& n, const std::string& msg) {
  throw std::invalid_argument(std::string(fn) + ": node '" + n.name + "': " + msg);
}

void put_u16(std::vector<uint8_t>& out, uint64_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xff));
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xff));
}

// Real channel counts and kernel size (kh * kw) of a Conv/Fc node, from its weight tensor.
struct WeightDims {
  uint32_t cout = 0, cin = 0;
  uint64_t k = 0;
};

WeightDims weight_dims(const char* fn, const Node& node) {
  if (node.op != OpKind::Conv && node.op != OpKind::Fc)
    fail(fn, node, std::string("is '") + op_name(node.op) + "', not conv/fc");
  WeightDims d;
  d.cout = node.out.c;
  d.k = uint64_t{node.kh} * node.kw;
  if (d.cout == 0 || d.k == 0 || node.weight.size() % (uint64_t{d.cout} * d.k) != 0)
    fail(fn, node, "weight size does not match cout x kh x kw");
  d.cin = static_cast<uint32_t>(node.weight.size() / (uint64_t{d.cout} * d.k));
  return d;
}

// The logical mask of a sparse node must have a non-zero block shape and cover the weights.
void check_mask(const char* fn, const Node& node, const WeightDims& d) {
  const BlockMask& m = node.mask;
  if (m.bo == 0 || m.bi == 0)
    fail(fn, node, "mask block " + std::to_string(m.bo) + "x" + std::to_string(m.bi) + " must be non-zero");
  if (m.bits.size() != size_t{m.rows} * m.cols || uint64_t{m.rows} * m.bo < d.cout || uint64_t{m.cols} * m.bi < d.cin)
    fail(fn, node,
         "mask " + std::to_string(m.rows) + "x" + std::to_string(m.cols) + " of " + std::to_string(m.bo) + "x" +
             std::to_string(m.bi) + " blocks does not cover the weights");
}

// Whether the hardware block starting at output channel oc0 and input channel ic0 (both
// multiples of 8) must be stored: iff some logical mask block overlapping its real channels is
// 1. Only blocks whose bit is 0 are known to be all zero, so this is the finest 8x8 mask that
// drops no non-zero weight. Blocks entirely in padding (oc0 >= cout or ic0 >= cin) are not stored.
bool hw_block_kept(const BlockMask& m, const WeightDims& d, uint32_t oc0, uint32_t ic0) {
  if (oc0 >= d.cout || ic0 >= d.cin) return false;
  const uint64_t oc_last = std::min<uint64_t>(uint64_t{oc0} + kBlock, d.cout) - 1;
  const uint64_t ic_last = std::min<uint64_t>(uint64_t{ic0} + kBlock, d.cin) - 1;
  for (uint64_t r = oc0 / m.bo; r <= oc_last / m.bo; ++r)
    for (uint64_t c = ic0 / m.bi; c <= ic_last / m.bi; ++c)
      if (m.at(static_cast<uint32_t>(r), static_cast<uint32_t>(c))) return true;
  return false;
}

// Whether the hardware block at (oc0, ic0) can hold a weight of the node's groups: always for
// an ungrouped node; for a grouped conv, iff some output channel of the block reads some input
// channel of it (the block meets a group's diagonal), and never a block entirely in padding.
bool group_block(const Node& n, const WeightDims& d, uint32_t oc0, uint32_t ic0) {
  if (n.groups <= 1) return true;
  if (oc0 >= d.cout || ic0 >= d.cin) return false;
  const uint32_t cout_g = d.cout / n.groups, cin_g = d.cin / n.groups;
  const uint32_t oc_last = std::min(oc0 + kBlock, d.cout) - 1, ic_last = std::min(ic0 + kBlock, d.cin) - 1;
  const uint32_t g0 = oc0 / cout_g, g1 = oc_last / cout_g;  // the groups of the block's outputs
  return ic0 < (g1 + 1) * cin_g && ic_last >= g0 * cin_g;
}

void check_groups(const char* fn, const Node& n, const WeightDims& d) {
  if (n.groups == 0 || (n.groups > 1 && (n.op != OpKind::Conv || d.cout % n.groups != 0 || d.cin % n.groups != 0)))
    fail(fn, n, "groups " + std::to_string(n.groups) + " do not divide a conv's " + std::to_string(d.cout) + " x " +
                    std::to_string(d.cin) + " channels");
}

}  // namespace

BlockMask hardware_mask(const Node& node, uint32_t in_c, uint32_t out_c, bool dense) {
  const WeightDims d = weight_dims("hardware_mask", node);
  if (in_c < d.cin || out_c < d.cout)
    fail("hardware_mask", node,
         "extent " + std::to_string(out_c) + " x " + std::to_string(in_c) + " (out_c x in_c) is smaller than the weights' " +
             std::to_string(d.cout) + " x " + std::to_string(d.cin));
  check_groups("hardware_mask", node, d);
  BlockMask hw;
  hw.bo = hw.bi = kBlock;
  hw.rows = static_cast<uint32_t>((uint64_t{out_c} + kBlock - 1) / kBlock);
  hw.cols = static_cast<uint32_t>((uint64_t{in_c} + kBlock - 1) / kBlock);
  const bool all = dense || !node.sparse;
  if (all && node.groups <= 1) {
    hw.bits.assign(size_t{hw.rows} * hw.cols, 1);
    return hw;
  }
  if (!all) check_mask("hardware_mask", node, d);
  hw.bits.reserve(size_t{hw.rows} * hw.cols);
  for (uint32_t r = 0; r < hw.rows; ++r)
    for (uint32_t c = 0; c < hw.cols; ++c)
      hw.bits.push_back(group_block(node, d, r * kBlock, c * kBlock) &&
                                (all || hw_block_kept(node.mask, d, r * kBlock, c * kBlock))
                            ? 1
                            : 0);
  return hw;
}

CompactWeights compact_weights(const Node& node, uint32_t in_c, uint32_t oc_begin, uint32_t oc_end, bool dense,
                               uint32_t ic_begin, uint32_t ic_end) {
  const WeightDims d = weight_dims("compact_weights", node);
  const uint32_t cout = d.cout, cin = d.cin;
  const uint64_t k = d.k;
  if (in_c % kBlock != 0 || in_c < cin)
    fail("compact_weights", node,
         "padded in_c " + std::to_string(in_c) + " must be a multiple of 8 and >= cin " + std::to_string(cin));
  if (oc_end <= oc_begin || oc_begin % kBlock != 0 || (oc_end - oc_begin) % kBlock != 0)
    fail("compact_weights", node,
         "output channel range [" + std::to_string(oc_begin) + ", " + std::to_string(oc_end) +
             ") must be non-empty, start at and span a multiple of 8");
  if (ic_end == 0) ic_end = in_c;
  if (ic_begin % kBlock != 0 || ic_end % kBlock != 0 || ic_begin >= ic_end || ic_end > in_c)
    fail("compact_weights", node,
         "input channel range [" + std::to_string(ic_begin) + ", " + std::to_string(ic_end) +
             ") must be non-empty, multiples of 8, inside [0, " + std::to_string(in_c) + ")");
  const bool store_all = dense || !node.sparse;
  if (!store_all) check_mask("compact_weights", node, d);
  check_groups("compact_weights", node, d);

  CompactWeights cw;
  cw.block_rows = (oc_end - oc_begin) / kBlock;
  cw.block_cols = (ic_end - ic_begin) / kBlock;
  // Which blocks to store, row-major. Block (r, c) covers output channels oc_begin + 8r .. +8 and
  // input channels 8c .. 8c+8; the logical mask is indexed by the ORIGINAL channels (see
  // hw_block_kept: any bo x bi shape maps conservatively onto the 8x8 grid). In sparse mode
  // blocks that lie entirely in padding (oc >= cout or ic >= cin) are not stored.
  std::vector<uint32_t> row_ptr{0};
  std::vector<uint32_t> col_idx;
  for (uint32_t r = 0; r < cw.block_rows; ++r) {
    const uint32_t oc0 = oc_begin + r * kBlock;
    for (uint32_t c = 0; c < cw.block_cols; ++c) {
      const uint32_t ic0 = ic_begin + c * kBlock;
      const bool keep = group_block(node, d, oc0, ic0) && (store_all || hw_block_kept(node.mask, d, oc0, ic0));
      if (keep) col_idx.push_back(c);
    }
    row_ptr.push_back(static_cast<uint32_t>(col_idx.size()));
  }
  cw.nnz = static_cast<uint32_t>(col_idx.size());
  if (cw.block_rows > 0xffff || cw.block_cols > 0xffff || node.kh > 0xffff || node.kw > 0xffff || cw.nnz > 0xffff)
    fail("compact_weights", node, "block counts or kernel exceed the format's u16 fields");

  // Metadata: u16 block_rows, block_cols, kh, kw, row_ptr[rows+1], col_idx[nnz], zero pad to 4 bytes.
  std::vector<uint8_t>& out = cw.bytes;
  put_u16(out, cw.block_rows);
  put_u16(out, cw.block_cols);
  put_u16(out, node.kh);
  put_u16(out, node.kw);
  for (uint32_t v : row_ptr) put_u16(out, v);
  for (uint32_t v : col_idx) put_u16(out, v);
  while (out.size() % 4 != 0) out.push_back(0);
  cw.metadata_bytes = static_cast<uint32_t>(out.size());

  // Payload: per stored block int8 [8 cout][kh][kw][8 cin]; channels past cout/cin are zero.
  const uint64_t block_bytes = uint64_t{kBlock} * k * kBlock;
  out.reserve(out.size() + cw.nnz * block_bytes);
  for (uint32_t r = 0; r < cw.block_rows; ++r)
    for (uint32_t j = row_ptr[r]; j < row_ptr[r + 1]; ++j) {
      const uint32_t ic0 = ic_begin + col_idx[j] * kBlock;
      for (uint32_t o = 0; o < kBlock; ++o) {
        const uint32_t oc = oc_begin + r * kBlock + o;
        for (uint64_t kk = 0; kk < k; ++kk)
          for (uint32_t i = 0; i < kBlock; ++i) {
            const uint32_t ic = ic0 + i;
            const int8_t w = (oc < cout && ic < cin) ? node.weight[(uint64_t{oc} * k + kk) * cin + ic] : 0;
            out.push_back(static_cast<uint8_t>(w));
          }
      }
    }
  cw.payload_bytes = static_cast<uint32_t>(cw.nnz * block_bytes);
  return cw;
}

}  // namespace saie::ir
