// quantize.cpp — int8 weight / int32 bias quantisation and activation scales (see quantize.h).
#include "trainer/quant/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace saie::trainer {

QuantizedWeights quantize_weights_per_channel(const std::vector<float>& w, uint32_t cout) {
  if (cout == 0 || w.empty() || w.size() % cout != 0)
    throw std::runtime_error("cannot split " + std::to_string(w.size()) + " weights into " + std::to_string(cout) +
                             " output channels");
  const size_t per = w.size() / cout;
  QuantizedWeights r;
  r.q.resize(w.size());
  r.scales.resize(cout);
  for (uint32_t oc = 0; oc < cout; ++oc) {
    const float* p = w.data() + size_t{oc} * per;
    float mx = 0.0f;
    for (size_t j = 0; j < per; ++j) {
      if (!std::isfinite(p[j])) throw std::runtime_error("non-finite weight in output channel " + std::to_string(oc));
      mx = std::max(mx, std::fabs(p[j]));
    }
    const float s = mx > 0.0f ? mx / 127.0f : 1.0f / 127.0f;
    r.scales[oc] = s;
    for (size_t j = 0; j < per; ++j) {
      const double v = std::round(double{p[j]} / s);
      r.q[size_t{oc} * per + j] = static_cast<int8_t>(std::clamp(v, -127.0, 127.0));
    }
  }
  return r;
}

std::vector<int32_t> quantize_bias(const std::vector<float>& b, float in_scale, const std::vector<float>& w_scales) {
  if (b.size() != w_scales.size())
    throw std::runtime_error("bias has " + std::to_string(b.size()) + " values for " + std::to_string(w_scales.size()) +
                             " weight scales");
  if (!(in_scale > 0.0f)) throw std::runtime_error("input scale must be positive");
  std::vector<int32_t> q(b.size());
  constexpr double lo = -double{kBiasLimit}, hi = kBiasLimit;
  for (size_t i = 0; i < b.size(); ++i) {
    const double v = std::round(double{b[i]} / (double{in_scale} * w_scales[i]));
    q[i] = static_cast<int32_t>(std::clamp(v, lo, hi));
  }
  return q;
}

float activation_scale(float max_abs) {
  return (max_abs > 0.0f && std::isfinite(max_abs)) ? max_abs / 127.0f : 1.0f / 127.0f;
}

std::vector<float> calibrated_scales(const ModelSpec& spec, const std::vector<float>& max_abs) {
  if (max_abs.size() != spec.layers.size())
    throw std::runtime_error("calibration has " + std::to_string(max_abs.size()) + " maxima for " +
                             std::to_string(spec.layers.size()) + " layers");
  std::vector<float> s(spec.layers.size());
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    if (l.kind == LayerKind::MaxPool || l.kind == LayerKind::AvgPool) {
      const int j = spec.index_of(l.inputs.at(0));
      s[i] = j < 0 ? kInputScale : s[static_cast<size_t>(j)];
    } else {
      s[i] = activation_scale(max_abs[i]);
    }
  }
  return s;
}

std::vector<int8_t> oihw_to_ohwi(const std::vector<int8_t>& w, uint32_t cout, uint32_t cin, uint32_t kh, uint32_t kw) {
  if (w.size() != size_t{cout} * cin * kh * kw) throw std::runtime_error("weight size does not match OIHW dims");
  std::vector<int8_t> r(w.size());
  for (uint32_t o = 0; o < cout; ++o)
    for (uint32_t i = 0; i < cin; ++i)
      for (uint32_t y = 0; y < kh; ++y)
        for (uint32_t x = 0; x < kw; ++x)
          r[((size_t{o} * kh + y) * kw + x) * cin + i] = w[((size_t{o} * cin + i) * kh + y) * kw + x];
  return r;
}

}  // namespace saie::trainer
