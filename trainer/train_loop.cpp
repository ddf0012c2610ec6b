// train_loop.cpp — LibTorch training, evaluation, masking and calibration steps (see train_loop.h).
#include "trainer/train_loop.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "trainer/sparsity/block_mask.h"

namespace saie::trainer {

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

double train_epoch(SpecNet& net, torch::optim::SGD& sgd, const TensorData& train, uint32_t batch_size, std::mt19937_64& rng,
                   const MaskSet* masks, const std::function<void(const std::string&)>& progress, const std::string& label,
                   uint32_t report_every, CosineLr* lr) {
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
  double loss_sum = 0, window_sum = 0;
  int64_t window = 0;
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t lo = b * batch_size, hi = std::min<int64_t>(n, lo + batch_size);
    const torch::Tensor idx = perm.slice(0, lo, hi);
    const torch::Tensor x = train.images.index_select(0, idx), y = train.labels.index_select(0, idx);
    if (lr) {
      const double rate = lr->next();
      for (auto& group : sgd.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(rate);
    }
    sgd.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), y);
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
    loss_sum += l;
    window_sum += l;
    ++window;
    if (progress && report_every > 0 && (b + 1) % report_every == 0 && b + 1 < batches) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s: batch %lld/%lld, loss %.3f", label.c_str(), static_cast<long long>(b + 1),
                    static_cast<long long>(batches), window_sum / window);
      progress(buf);
      window_sum = 0;
      window = 0;
    }
  }
  return batches > 0 ? loss_sum / static_cast<double>(batches) : 0.0;
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

MaskSet compute_masks(SpecNet& net, uint32_t bo, uint32_t bi, double sparsity, const std::string& score) {
  MaskSet ms;
  const auto& layers = net->spec().layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].prunable) continue;
    const torch::Tensor w = net->weight(i);
    const WeightDims d = weight_dims(net, i);
    ir::BlockMask m = select_block_mask(to_vector(w), d, bo, bi, sparsity, score);
    const std::vector<float> f = expand_block_mask(m, d);
    ms.layers.push_back(i);
    ms.masks.push_back(std::move(m));
    ms.factors.push_back(torch::tensor(f, torch::kFloat32).reshape(w.sizes()));
  }
  return ms;
}

void apply_masks(SpecNet& net, const MaskSet& masks) {
  torch::NoGradGuard ng;
  for (size_t k = 0; k < masks.layers.size(); ++k) net->weight(masks.layers[k]).mul_(masks.factors[k]);
}

bool masks_hold(SpecNet& net, const MaskSet& masks) {
  for (size_t k = 0; k < masks.layers.size(); ++k) {
    const size_t i = masks.layers[k];
    if (count_masked_nonzeros(to_vector(net->weight(i)), masks.masks[k], weight_dims(net, i)) != 0) return false;
  }
  return true;
}

double masked_fraction(SpecNet& net, const MaskSet& masks) {
  double zero = 0, total = 0;
  for (size_t k = 0; k < masks.layers.size(); ++k) {
    zero += (masks.factors[k] == 0).sum().item<double>();
    total += static_cast<double>(masks.factors[k].numel());
  }
  return total > 0 ? zero / total : 0.0;
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

std::vector<LayerParams> extract_params(SpecNet& net, const MaskSet& masks) {
  const auto& layers = net->spec().layers;
  std::vector<LayerParams> ps(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const torch::Tensor w = net->weight(i);
    if (!w.defined()) continue;
    ps[i].weight = to_vector(w);
    ps[i].bias = to_vector(net->bias(i));
    if (const ir::BlockMask* m = masks.find(i)) {
      ps[i].has_mask = true;
      ps[i].mask = *m;
    }
  }
  return ps;
}

}  // namespace saie::trainer
