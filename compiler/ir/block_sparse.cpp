// block_sparse.cpp — compacts Conv/Fc weights into the core's block-sparse format
// (docs/program-format.md "Compact weights"): header, CSR row_ptr/col_idx, then 8x8 blocks.
#include "compiler/ir/block_sparse.h"

#include <stdexcept>
#include <string>

namespace saie::ir {

namespace {

constexpr uint32_t kBlock = 8;  // the core's block edge (output and input channels)

[[noreturn]] void fail(const Node& n, const std::string& msg) {
  throw std::invalid_argument("compact_weights: node '" + n.name + "': " + msg);
}

void put_u16(std::vector<uint8_t>& out, uint64_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xff));
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xff));
}

}  // namespace

CompactWeights compact_weights(const Node& node, uint32_t in_c, uint32_t oc_begin, uint32_t oc_end, bool dense) {
  if (node.op != OpKind::Conv && node.op != OpKind::Fc) fail(node, std::string("is '") + op_name(node.op) + "', not conv/fc");
  const uint32_t cout = node.out.c;
  const uint64_t k = uint64_t{node.kh} * node.kw;
  if (k == 0 || node.weight.size() % (uint64_t{cout} * k) != 0) fail(node, "weight size does not match cout x kh x kw");
  const uint32_t cin = static_cast<uint32_t>(node.weight.size() / (uint64_t{cout} * k));
  if (in_c % kBlock != 0 || in_c < cin)
    fail(node, "padded in_c " + std::to_string(in_c) + " must be a multiple of 8 and >= cin " + std::to_string(cin));
  if (oc_end <= oc_begin || oc_begin % kBlock != 0 || (oc_end - oc_begin) % kBlock != 0)
    fail(node, "output channel range [" + std::to_string(oc_begin) + ", " + std::to_string(oc_end) +
                   ") must be non-empty, start at and span a multiple of 8");
  const bool store_all = dense || !node.sparse;
  if (!store_all) {
    const BlockMask& m = node.mask;
    if (m.bo != kBlock || m.bi != kBlock)
      fail(node, "mask block " + std::to_string(m.bo) + "x" + std::to_string(m.bi) + " unsupported (only 8x8)");
    if (m.bits.size() != size_t{m.rows} * m.cols || m.rows * kBlock < cout || m.cols * kBlock < cin)
      fail(node, "mask size does not cover the weights");
  }

  CompactWeights cw;
  cw.block_rows = (oc_end - oc_begin) / kBlock;
  cw.block_cols = in_c / kBlock;
  // Which blocks to store, row-major. Block (r, c) covers output channels oc_begin + 8r .. +8 and
  // input channels 8c .. 8c+8; the mask is indexed by the ORIGINAL channel block (oc / 8, ic / 8).
  // In sparse mode blocks that lie entirely in padding (oc >= cout or ic >= cin) are not stored.
  std::vector<uint32_t> row_ptr{0};
  std::vector<uint32_t> col_idx;
  for (uint32_t r = 0; r < cw.block_rows; ++r) {
    const uint32_t oc0 = oc_begin + r * kBlock;
    for (uint32_t c = 0; c < cw.block_cols; ++c) {
      const uint32_t ic0 = c * kBlock;
      bool keep = store_all || (oc0 < cout && ic0 < cin && node.mask.at(oc0 / kBlock, ic0 / kBlock));
      if (keep) col_idx.push_back(c);
    }
    row_ptr.push_back(static_cast<uint32_t>(col_idx.size()));
  }
  cw.nnz = static_cast<uint32_t>(col_idx.size());
  if (cw.block_rows > 0xffff || cw.block_cols > 0xffff || node.kh > 0xffff || node.kw > 0xffff || cw.nnz > 0xffff)
    fail(node, "block counts or kernel exceed the format's u16 fields");

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
      const uint32_t ic0 = col_idx[j] * kBlock;
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
