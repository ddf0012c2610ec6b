// block_mask.cpp — block scores, row-balanced / global selection, incremental steps (see block_mask.h).
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

void check_sparsity(double sparsity) {
  if (!(sparsity >= 0.0 && sparsity < 1.0)) throw std::runtime_error("sparsity " + std::to_string(sparsity) + " outside [0, 1)");
}

uint32_t ceil_div(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Zeroes the `k` lowest-scored candidates (ascending score, ties: lower index first).
void zero_lowest(std::vector<uint32_t> cand, const std::vector<double>& s, uint32_t k, std::vector<uint8_t>& bits) {
  std::stable_sort(cand.begin(), cand.end(), [&s](uint32_t a, uint32_t b) { return s[a] < s[b]; });
  for (uint32_t j = 0; j < k && j < cand.size(); ++j) bits[cand[j]] = 0;
}

}  // namespace

void check_block_score(const std::string& score) {
  const auto& n = block_score_names();
  if (std::find(n.begin(), n.end(), score) == n.end())
    throw std::runtime_error("unknown block score '" + score + "' (supported: " + joined(n) + ")");
}

void check_selection(const std::string& selection) {
  const auto& n = selection_names();
  if (std::find(n.begin(), n.end(), selection) == n.end())
    throw std::runtime_error("unknown selection '" + selection + "' (supported: " + joined(n) + ")");
}

uint32_t blocks_to_zero(double sparsity, uint32_t cols) {
  check_sparsity(sparsity);
  if (cols == 0) return 0;
  const auto k = static_cast<uint32_t>(std::lround(sparsity * cols));
  return std::min(k, cols - 1);
}

uint32_t global_blocks_to_zero(double sparsity, uint32_t blocks) { return blocks_to_zero(sparsity, blocks); }

std::vector<double> block_scores(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                 const std::string& score) {
  check_dims(w, d, bo, bi);
  check_block_score(score);
  const uint32_t rows = ceil_div(d.cout, bo), cols = ceil_div(d.cin, bi);
  const size_t nb = size_t{rows} * cols;
  std::vector<double> acc(nb, 0.0), count(nb, 0.0), mean(nb, 0.0);
  auto block_of = [&](uint32_t o, uint32_t i) { return size_t{o / bo} * cols + i / bi; };
  auto row_of = [&](uint32_t o, uint32_t i) { return w.data() + (size_t{o} * d.cin + i) * d.khw; };
  if (score == "variance") {
    // Two passes (mean, then squared deviations) keep the variance exact for large means.
    for (uint32_t o = 0; o < d.cout; ++o)
      for (uint32_t i = 0; i < d.cin; ++i) {
        const float* p = row_of(o, i);
        double s = 0;
        for (uint32_t k = 0; k < d.khw; ++k) s += p[k];
        mean[block_of(o, i)] += s;
        count[block_of(o, i)] += d.khw;
      }
    for (size_t b = 0; b < nb; ++b) mean[b] /= count[b];
  }
  for (uint32_t o = 0; o < d.cout; ++o)
    for (uint32_t i = 0; i < d.cin; ++i) {
      const float* p = row_of(o, i);
      const size_t b = block_of(o, i);
      double s = 0;
      if (score == "l2") {
        for (uint32_t k = 0; k < d.khw; ++k) s += double{p[k]} * p[k];
      } else if (score == "l1") {
        for (uint32_t k = 0; k < d.khw; ++k) s += std::fabs(double{p[k]});
      } else {
        for (uint32_t k = 0; k < d.khw; ++k) s += (p[k] - mean[b]) * (p[k] - mean[b]);
      }
      acc[b] += s;
    }
  if (score == "l2")
    for (double& v : acc) v = std::sqrt(v);
  if (score == "variance")
    for (size_t b = 0; b < nb; ++b) acc[b] /= count[b];
  return acc;
}

ir::BlockMask select_block_mask(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                double sparsity, const std::string& score, const std::string& selection,
                                const ir::BlockMask* prev) {
  check_sparsity(sparsity);
  check_selection(selection);
  const std::vector<double> s = block_scores(w, d, bo, bi, score);
  ir::BlockMask m;
  m.bo = bo;
  m.bi = bi;
  m.rows = ceil_div(d.cout, bo);
  m.cols = ceil_div(d.cin, bi);
  m.bits.assign(size_t{m.rows} * m.cols, 1);
  if (prev) {
    if (prev->bo != bo || prev->bi != bi || prev->rows != m.rows || prev->cols != m.cols || prev->bits.size() != m.bits.size())
      throw std::runtime_error("previous block mask " + std::to_string(prev->rows) + "x" + std::to_string(prev->cols) +
                               " does not fit the layer's " + std::to_string(m.rows) + "x" + std::to_string(m.cols) + " grid");
    m.bits = prev->bits;
  }
  if (selection == "row-balanced") {
    const uint32_t k = blocks_to_zero(sparsity, m.cols);
    for (uint32_t r = 0; r < m.rows; ++r) {
      std::vector<uint32_t> cand;  // still-kept blocks of this row, as flat indices
      for (uint32_t c = 0; c < m.cols; ++c)
        if (m.at(r, c)) cand.push_back(r * m.cols + c);
      const uint32_t zeros = m.cols - static_cast<uint32_t>(cand.size());
      if (k > zeros) zero_lowest(std::move(cand), s, k - zeros, m.bits);
    }
  } else {
    const uint32_t n = m.rows * m.cols;
    const uint32_t k = global_blocks_to_zero(sparsity, n);
    std::vector<uint32_t> cand;
    for (uint32_t b = 0; b < n; ++b)
      if (m.bits[b]) cand.push_back(b);
    const uint32_t zeros = n - static_cast<uint32_t>(cand.size());
    if (k > zeros) zero_lowest(std::move(cand), s, k - zeros, m.bits);
  }
  return m;
}

ir::BlockMask select_block_mask_within(const std::vector<float>& w, const WeightDims& d, uint32_t bo, uint32_t bi,
                                       double sparsity, const ir::BlockMask& eligible, const std::string& score) {
  check_sparsity(sparsity);
  const std::vector<double> s = block_scores(w, d, bo, bi, score);
  if (eligible.bits.size() != s.size() || eligible.rows * eligible.cols != s.size() || eligible.bo != bo ||
      eligible.bi != bi)
    throw std::runtime_error("eligible-block mask does not match the weights' block grid");
  ir::BlockMask m = eligible;
  for (uint32_t r = 0; r < m.rows; ++r) {
    std::vector<uint32_t> cand;
    for (uint32_t c = 0; c < m.cols; ++c)
      if (m.at(r, c)) cand.push_back(r * m.cols + c);
    const uint32_t k = blocks_to_zero(sparsity, static_cast<uint32_t>(cand.size()));
    zero_lowest(std::move(cand), s, k, m.bits);
  }
  return m;
}

uint32_t incremental_steps(uint32_t finetune_epochs) { return std::max<uint32_t>(1, finetune_epochs > 0 ? finetune_epochs - 1 : 1); }

double incremental_sparsity(double target, uint32_t step, uint32_t steps) {
  if (steps == 0 || step == 0 || step > steps)
    throw std::runtime_error("incremental step " + std::to_string(step) + " outside 1.." + std::to_string(steps));
  return step == steps ? target : target * static_cast<double>(step) / static_cast<double>(steps);
}

std::vector<float> expand_block_mask(const ir::BlockMask& m, const WeightDims& d) {
  if (m.bo == 0 || m.bi == 0 || m.rows != ceil_div(d.cout, m.bo) || m.cols != ceil_div(d.cin, m.bi) ||
      m.bits.size() != size_t{m.rows} * m.cols)
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
