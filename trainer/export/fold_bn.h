// fold_bn.h — folding an inference-mode BatchNorm into the convolution before it (torch-free).
#pragma once

#include <cstdint>
#include <vector>

namespace saie::trainer {

// y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta  becomes a plain conv:
//   w'[oc][...] = w[oc][...] * s[oc],  b'[oc] = (b[oc] - mean[oc]) * s[oc] + beta[oc],
//   s[oc] = gamma[oc] / sqrt(var[oc] + eps).
// w holds cout consecutive rows of equal length (any layout with the output channel
// outermost: OIHW or OHWI); b may be empty (no conv bias) and is resized to cout.
// Throws std::invalid_argument on size mismatches or var + eps <= 0.
void fold_batchnorm(std::vector<float>& w, std::vector<float>& b, uint32_t cout, const std::vector<float>& gamma,
                    const std::vector<float>& beta, const std::vector<float>& mean, const std::vector<float>& var,
                    double eps);

}  // namespace saie::trainer
