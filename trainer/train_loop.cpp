// train_loop.cpp — LibTorch training, evaluation, masking and calibration steps (see train_loop.h).
#include "trainer/train_loop.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "trainer/export/fold_bn.h"
#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {
namespace {

using Clock = std::chrono::steady_clock;

std::string bar(double frac) {
  const int n = std::clamp(static_cast<int>(std::lround(frac * 10)), 0, 10);
  return "[" + std::string(static_cast<size_t>(n), '#') + std::string(static_cast<size_t>(10 - n), '-') + "]";
}

}  // namespace

TensorData to_tensors(const data::Dataset& ds) {
  TensorData t;
  if (ds.count == 0) throw std::runtime_error("empty dataset");
  auto px = torch::from_blob(const_cast<uint8_t*>(ds.pixels.data()),
                             {int64_t{ds.count}, 1, int64_t{ds.rows}, int64_t{ds.cols}}, torch::kUInt8);
  t.images = px.to(torch::kFloat32).div_(255.0f);  // to() copies, so ds may go away afterwards
  auto lb = torch::from_blob(const_cast<uint8_t*>(ds.labels.data()), {int64_t{ds.count}}, torch::kUInt8);
  t.labels = lb.to(torch::kInt64);
  return t;
}

const ir::BlockMask* MaskSet::find(size_t layer) const {
  for (size_t k = 0; k < layers.size(); ++k)
    if (layers[k] == layer) return &masks[k];
  return nullptr;
}

WeightDims weight_dims(SpecNet& net, size_t layer) {
  const LayerSpec& l = net->spec().layers.at(layer);
  const torch::Tensor w = net->weight(layer);
  if (!w.defined()) throw std::runtime_error("layer " + l.name + " has no weights");
  WeightDims d;
  d.cout = l.cout;
  d.cin = l.cin;
  d.khw = static_cast<uint32_t>(w.numel() / (int64_t{l.cout} * l.cin));
  return d;
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

double EtaClock::eta_seconds() const {
  if (timed_steps <= 0) return -1;
  return timed_seconds / static_cast<double>(timed_steps) * static_cast<double>(std::max<int64_t>(0, total_steps - done_steps));
}

std::string format_duration(double s) {
  char buf[32];
  if (s < 0) return "?";
  const auto t = static_cast<long long>(std::llround(s));
  if (t < 100)
    std::snprintf(buf, sizeof buf, "%lld s", t);
  else if (t < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
  return buf;
}

torch::Tensor augment_batch(const torch::Tensor& x, std::mt19937_64& rng) {
  constexpr int64_t kPad = 2;
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const torch::Tensor p = torch::constant_pad_nd(x, {kPad, kPad, kPad, kPad}, 0.0);
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    // One draw per image: shift x, shift y (each 0..4 in the padded image) and the flip bit.
    const uint64_t r = rng();
    const int64_t dx = static_cast<int64_t>(r % 5), dy = static_cast<int64_t>((r / 5) % 5);
    torch::Tensor xi = p[i].narrow(1, dy, h).narrow(2, dx, w);
    if ((r / 25) & 1) xi = xi.flip({2});
    out.push_back(xi);
  }
  return torch::stack(out);
}

EpochStats train_epoch(SpecNet& net, torch::optim::SGD& sgd, const TensorData& train, uint32_t batch_size,
                       std::mt19937_64& rng, const MaskSet* masks, const EpochOptions& eo) {
  if (batch_size == 0) throw std::runtime_error("batch_size must be positive");
  const int64_t n = train.size();
  // Fisher-Yates with our own index draw: the order depends only on the seed, not on the
  // standard library's distribution implementation.
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[static_cast<size_t>(i)], order[rng() % static_cast<uint64_t>(i + 1)]);
  const torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kInt64);

  net->train();
  const int64_t batches = (n + batch_size - 1) / batch_size;
  const int64_t every = eo.report_every > 0 ? eo.report_every : std::max<int64_t>(1, (batches + 9) / 10);
  double loss_sum = 0, window_loss = 0;
  int64_t correct = 0, window_correct = 0, window_n = 0, window = 0;
  for (int64_t b = 0; b < batches; ++b) {
    const auto t0 = Clock::now();
    const int64_t lo = b * batch_size, hi = std::min<int64_t>(n, lo + batch_size);
    const torch::Tensor idx = perm.slice(0, lo, hi);
    torch::Tensor x = train.images.index_select(0, idx);
    const torch::Tensor y = train.labels.index_select(0, idx);
    if (eo.augment) x = augment_batch(x, rng);
    if (eo.lr) {
      const double rate = eo.lr->next();
      for (auto& group : sgd.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(rate);
    }
    sgd.zero_grad();
    const torch::Tensor logits = net->forward(x);
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
    loss.backward();
    if (masks) {
      torch::NoGradGuard ng;
      // Masked-out weights get no gradient, so their momentum stays zero too.
      for (size_t k = 0; k < masks->layers.size(); ++k) {
        torch::Tensor g = net->weight(masks->layers[k]).mutable_grad();
        if (g.defined()) g.mul_(masks->factors[k]);
      }
    }
    sgd.step();
    if (masks) apply_masks(net, *masks);
    const double l = loss.item<double>();
    const int64_t c = logits.detach().argmax(1).eq(y).sum().item<int64_t>();
    loss_sum += l;
    correct += c;
    window_loss += l;
    window_correct += c;
    window_n += hi - lo;
    ++window;
    if (eo.eta) {
      ++eo.eta->done_steps;
      ++eo.eta->timed_steps;
      eo.eta->timed_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    if (eo.progress && (b + 1) % every == 0 && b + 1 < batches) {
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s %s %3d%% batch %lld/%lld, loss %.3f, acc %.3f%s%s", eo.label.c_str(),
                    bar(static_cast<double>(b + 1) / batches).c_str(), static_cast<int>(100 * (b + 1) / batches),
                    static_cast<long long>(b + 1), static_cast<long long>(batches), window_loss / window,
                    static_cast<double>(window_correct) / static_cast<double>(std::max<int64_t>(1, window_n)),
                    eo.eta ? ", ETA " : "", eo.eta ? format_duration(eo.eta->eta_seconds()).c_str() : "");
      eo.progress(buf);
      window_loss = 0;
      window_correct = window_n = window = 0;
    }
  }
  EpochStats st;
  st.loss = batches > 0 ? loss_sum / static_cast<double>(batches) : 0.0;
  st.train_accuracy = n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
  return st;
}

double CosineLr::next() {
  const double t = static_cast<double>(std::min(step, steps)) / static_cast<double>(std::max<int64_t>(steps, 1));
  ++step;
  return base * 0.5 * (1.0 + std::cos(M_PI * t));
}

double evaluate(SpecNet& net, const TensorData& test, int64_t batch_size) {
  torch::NoGradGuard ng;
  net->eval();
  const int64_t n = test.size();
  int64_t correct = 0;
  for (int64_t lo = 0; lo < n; lo += batch_size) {
    const int64_t hi = std::min(n, lo + batch_size);
    const torch::Tensor pred = net->forward(test.images.slice(0, lo, hi)).argmax(1);
    correct += pred.eq(test.labels.slice(0, lo, hi)).sum().item<int64_t>();
  }
  return n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

MaskSet masks_from(SpecNet& net, const std::vector<size_t>& layers, const std::vector<ir::BlockMask>& masks) {
  if (layers.size() != masks.size()) throw std::runtime_error("mask list and layer list differ in length");
  MaskSet ms;
  for (size_t k = 0; k < layers.size(); ++k) {
    const size_t i = layers[k];
    if (i >= net->spec().layers.size() || !net->spec().layers[i].prunable)
      throw std::runtime_error("mask for layer " + std::to_string(i) + ", which is not prunable");
    const torch::Tensor w = net->weight(i);
    const std::vector<float> f = expand_block_mask(masks[k], weight_dims(net, i));  // throws on a misfit
    ms.layers.push_back(i);
    ms.masks.push_back(masks[k]);
    ms.factors.push_back(torch::tensor(f, torch::kFloat32).reshape(w.sizes()));
  }
  return ms;
}

MaskSet compute_masks(SpecNet& net, const MaskRule& rule, double sparsity, const MaskSet* prev) {
  std::vector<size_t> layers;
  std::vector<ir::BlockMask> masks;
  const auto& spec_layers = net->spec().layers;
  for (size_t i = 0; i < spec_layers.size(); ++i) {
    if (!spec_layers[i].prunable) continue;
    const ir::BlockMask* p = prev ? prev->find(i) : nullptr;
    masks.push_back(select_block_mask(to_vector(net->weight(i)), weight_dims(net, i), rule.bo, rule.bi, sparsity, rule.score,
                                      rule.selection, p));
    layers.push_back(i);
  }
  return masks_from(net, layers, masks);
}

MaskSet compute_masks(SpecNet& net, uint32_t bo, uint32_t bi, double sparsity, const std::string& score) {
  MaskRule r;
  r.bo = bo;
  r.bi = bi;
  r.score = score;
  return compute_masks(net, r, sparsity);
}

void apply_masks(SpecNet& net, const MaskSet& masks) {
  torch::NoGradGuard ng;
  for (size_t k = 0; k < masks.layers.size(); ++k) net->weight(masks.layers[k]).mul_(masks.factors[k]);
}

void apply_masks_to_optimizer(SpecNet& net, const MaskSet& masks, torch::optim::SGD& sgd) {
  torch::NoGradGuard ng;
  auto& state = sgd.state();
  for (size_t k = 0; k < masks.layers.size(); ++k) {
    const torch::Tensor w = net->weight(masks.layers[k]);
    const auto it = state.find(c10::guts::to_string(w.unsafeGetTensorImpl()));
    if (it == state.end()) continue;  // no step taken yet: no momentum
    auto& st = static_cast<torch::optim::SGDParamState&>(*it->second);
    if (st.momentum_buffer().defined()) st.momentum_buffer().mul_(masks.factors[k]);
  }
}

bool masks_hold(SpecNet& net, const MaskSet& masks) {
  for (size_t k = 0; k < masks.layers.size(); ++k) {
    const size_t i = masks.layers[k];
    if (count_masked_nonzeros(to_vector(net->weight(i)), masks.masks[k], weight_dims(net, i)) != 0) return false;
  }
  return true;
}

double masked_fraction(SpecNet& net, const MaskSet& masks) {
  (void)net;
  double zero = 0, total = 0;
  for (size_t k = 0; k < masks.layers.size(); ++k) {
    zero += (masks.factors[k] == 0).sum().item<double>();
    total += static_cast<double>(masks.factors[k].numel());
  }
  return total > 0 ? zero / total : 0.0;
}

bool recalibrate_batchnorm(SpecNet& net, const torch::Tensor& images) {
  std::vector<torch::nn::BatchNorm2d> bns;
  for (size_t i = 0; i < net->spec().layers.size(); ++i)
    if (auto bn = net->batchnorm(i)) bns.push_back(bn);
  if (bns.empty()) return false;
  std::vector<c10::optional<double>> momentum;
  for (auto& bn : bns) {
    momentum.push_back(bn->options.momentum());
    bn->options.momentum(c10::nullopt);  // cumulative average over the recalibration batches
    bn->reset_running_stats();
  }
  {
    torch::NoGradGuard ng;
    net->train();
    const int64_t n = images.size(0);
    for (int64_t lo = 0; lo < n; lo += 250) net->forward(images.slice(0, lo, std::min(n, lo + 250)));
  }
  for (size_t k = 0; k < bns.size(); ++k) bns[k]->options.momentum(momentum[k]);
  return true;
}

std::vector<float> calibrate_max_abs(SpecNet& net, const torch::Tensor& images) {
  torch::NoGradGuard ng;
  net->eval();
  std::vector<float> mx(net->spec().layers.size(), 0.0f);
  const int64_t n = images.size(0);
  for (int64_t lo = 0; lo < n; lo += 256) {
    const std::vector<torch::Tensor> outs = net->forward_all(images.slice(0, lo, std::min(n, lo + 256)));
    for (size_t i = 0; i < outs.size(); ++i) mx[i] = std::max(mx[i], outs[i].abs().max().item<float>());
  }
  return mx;
}

std::vector<float> calibrate_percentile(SpecNet& net, const torch::Tensor& images, double percentile) {
  if (!(percentile > 0.0 && percentile <= 100.0))
    throw std::runtime_error("calibration percentile " + std::to_string(percentile) + " outside (0, 100]");
  torch::NoGradGuard ng;
  net->eval();
  const size_t nl = net->spec().layers.size();
  std::vector<std::vector<torch::Tensor>> parts(nl);
  const int64_t n = images.size(0);
  for (int64_t lo = 0; lo < n; lo += 256) {
    const std::vector<torch::Tensor> outs = net->forward_all(images.slice(0, lo, std::min(n, lo + 256)));
    for (size_t i = 0; i < nl; ++i) parts[i].push_back(outs[i].abs().flatten());
  }
  std::vector<float> r(nl, 0.0f);
  for (size_t i = 0; i < nl; ++i) {
    if (parts[i].empty()) continue;
    const torch::Tensor all = torch::cat(parts[i]);
    const int64_t cnt = all.numel();
    const auto k = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(percentile / 100.0 * static_cast<double>(cnt))), 1, cnt);
    r[i] = std::get<0>(all.kthvalue(k)).item<float>();
    parts[i].clear();
  }
  return r;
}

std::vector<LayerParams> extract_params(SpecNet& net, const MaskSet& masks) {
  const auto& layers = net->spec().layers;
  std::vector<LayerParams> ps(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const torch::Tensor w = net->weight(i);
    if (!w.defined()) continue;
    ps[i].weight = to_vector(w);
    ps[i].bias = to_vector(net->bias(i));
    if (const auto bn = net->batchnorm(i)) {
      // Inference-mode BN scales whole output channels: masked-out blocks stay exactly zero.
      fold_batchnorm(ps[i].weight, ps[i].bias, layers[i].cout, to_vector(bn->weight), to_vector(bn->bias),
                     to_vector(bn->running_mean), to_vector(bn->running_var), bn->options.eps());
    }
    if (const ir::BlockMask* m = masks.find(i)) {
      ps[i].has_mask = true;
      ps[i].mask = *m;
    }
  }
  return ps;
}

}  // namespace saie::trainer
