// quantize.h — symmetric int8 quantisation of weights (per output channel), int32 biases and
// max-calibrated activation scales (torch-free; the bundle contract is docs/bundle-format.md).
#pragma once

#include <cstdint>
#include <vector>

#include "trainer/models/model_spec.h"

namespace saie::trainer {

// The network input is pixel/255 in [0, 1], quantised with exactly 1/127 (q = round(127*x)).
constexpr float kInputScale = 1.0f / 127.0f;

struct QuantizedWeights {
  std::vector<int8_t> q;       // same layout as the float weights
  std::vector<float> scales;   // per output channel: w_real = scales[oc] * q
};

// w holds cout equal-sized output-channel slices (output channel outermost, e.g. OIHW).
// s_w[oc] = max|W[oc]| / 127; q = clamp(round(W / s_w), -127, 127). An all-zero channel gets
// s_w = 1/127 (as if its largest weight were 1.0): its q stays 0 and its bias keeps a usable scale.
// Zero weights always quantise to exactly 0, so masked-out blocks stay zero.
QuantizedWeights quantize_weights_per_channel(const std::vector<float>& w, uint32_t cout);

// The largest |int32 bias|: half the int32 range stays for the sum of products the accumulator
// adds to it (|sum| <= cin * kh * kw * 128 * 128, below 2^30 for every layer we meet; an
// input-channel split keeps its partial sums in int32 memory, where a saturated bias plus a sum
// would overflow). A bias this large only arises when the activations before it nearly vanish.
inline constexpr int32_t kBiasLimit = 1 << 30;
// bias_q[oc] = round(b[oc] / (in_scale * w_scales[oc])), saturated to [-kBiasLimit, kBiasLimit].
std::vector<int32_t> quantize_bias(const std::vector<float>& b, float in_scale, const std::vector<float>& w_scales);

// max|activation| / 127; a tensor that was never non-zero in calibration gets 1/127.
float activation_scale(float max_abs);

// Output scale of every layer of `spec` from the calibrated max|activation| of every layer's
// output (after its fused ReLU). MaxPool/AvgPool take their input's scale (bundle contract),
// ignoring their own max. max_abs.size() must equal spec.layers.size().
std::vector<float> calibrated_scales(const ModelSpec& spec, const std::vector<float>& max_abs);

// [cout][cin][kh][kw] -> [cout][kh][kw][cin] (PyTorch OIHW to the bundle's OHWI).
std::vector<int8_t> oihw_to_ohwi(const std::vector<int8_t>& w, uint32_t cout, uint32_t cin, uint32_t kh, uint32_t kw);

}  // namespace saie::trainer
