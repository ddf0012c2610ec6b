// block_mask.cpp — block scores and row-balanced mask selection (see block_mask.h).
#include "trainer/sparsity/block_mask.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace saie::trainer {
namespace {

void check_dims(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi) {
  if (bo == 0 || bi == 0) throw std::runtime_error("block size must be positive");
  if (d.cout == 0 || d.cin == 0 || d.khw == 0) throw std::runtime_error("weight dims must be positive");
  if (w.size() != d.size())
    throw std::runtime_error("weight tensor has " + std::to_string(w.size()) + " values, expected " + std::to_string(d.size()));
}

uint32_t ceil_div(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

}  // namespace

uint32_t blocks_to_zero(double sparsity, uint32_t cols) {
  if (!(sparsity >= 0.0 && sparsity < 1.0)) throw std::runtime_error("sparsity " + std::to_string(sparsity) + " outside [0, 1)");
  if (cols == 0) return 0;
  const auto k = static_cast<uint32_t>(std::lround(sparsity * cols));
  return std::min(k, cols - 1);
}

std::vector<double> block_scores(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                 const std::string& score) {
  check_dims(w, d, bo, bi);
  if (score != "l2") throw std::runtime_error("unknown block score '" + score + "' (supported: l2)");
  const uint32_t rows = ceil_div(d.cout, bo), cols = ceil_div(d.cin, bi);
  std::vector<double> sq(size_t{rows} * cols, 0.0);
  for (uint32_t o = 0; o < d.cout; ++o)
    for (uint32_t i = 0; i < d.cin; ++i) {
      const float* p = w.data() + (size_t{o} * d.cin + i) * d.khw;
      double s = 0;
      for (uint32_t k = 0; k < d.khw; ++k) s += double{p[k]} * p[k];
      sq[size_t{o / bo} * cols + i / bi] += s;
    }
  for (double& v : sq) v = std::sqrt(v);
  return sq;
}

ir::BlockMask select_block_mask(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                double sparsity, const std::string& score) {
  const std::vector<double> s = block_scores(w, d, bo, bi, score);
  ir::BlockMask m;
  m.bo = bo;
  m.bi = bi;
  m.rows = ceil_div(d.cout, bo);
  m.cols = ceil_div(d.cin, bi);
  m.bits.assign(size_t{m.rows} * m.cols, 1);
  const uint32_t k = blocks_to_zero(sparsity, m.cols);
  std::vector<uint32_t> order(m.cols);
  for (uint32_t r = 0; r < m.rows; ++r) {
    const double* row = s.data() + size_t{r} * m.cols;
    std::iota(order.begin(), order.end(), 0u);
    // Ascending score; equal scores: lower column first (stable sort keeps index order).
    std::stable_sort(order.begin(), order.end(), [row](uint32_t a, uint32_t b) { return row[a] < row[b]; });
    for (uint32_t j = 0; j < k; ++j) m.bits[size_t{r} * m.cols + order[j]] = 0;
  }
  return m;
}

std::vector<float> expand_block_mask(const ir::BlockMask& m, const WeightDims& d) {
  if (m.rows != ceil_div(d.cout, m.bo) || m.cols != ceil_div(d.cin, m.bi) || m.bits.size() != size_t{m.rows} * m.cols)
    throw std::runtime_error("block mask " + std::to_string(m.rows) + "x" + std::to_string(m.cols) +
                             " does not fit weights " + std::to_string(d.cout) + "x" + std::to_string(d.cin));
  std::vector<float> f(d.size());
  for (uint32_t o = 0; o < d.cout; ++o)
    for (uint32_t i = 0; i < d.cin; ++i) {
      const float v = m.at(o / m.bo, i / m.bi) ? 1.0f : 0.0f;
      std::fill_n(f.begin() + static_cast<std::ptrdiff_t>((size_t{o} * d.cin + i) * d.khw), d.khw, v);
    }
  return f;
}

size_t count_masked_nonzeros(const std::vector<float>& w, const ir::BlockMask& m, const WeightDims& d) {
  const std::vector<float> f = expand_block_mask(m, d);
  if (w.size() != f.size()) throw std::runtime_error("weight tensor does not fit its block mask");
  size_t n = 0;
  for (size_t j = 0; j < w.size(); ++j) n += (f[j] == 0.0f && w[j] != 0.0f);
  return n;
}

}  // namespace saie::trainer
