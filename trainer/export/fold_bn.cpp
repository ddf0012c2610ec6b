// fold_bn.cpp — inference-mode BatchNorm folded into the preceding convolution (see fold_bn.h).
#include "trainer/export/fold_bn.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace saie::trainer {

void fold_batchnorm(std::vector<float>& w, std::vector<float>& b, uint32_t cout, const std::vector<float>& gamma,
                    const std::vector<float>& beta, const std::vector<float>& mean, const std::vector<float>& var,
                    double eps) {
  if (cout == 0) throw std::invalid_argument("fold_batchnorm: cout must be positive");
  if (w.empty() || w.size() % cout != 0)
    throw std::invalid_argument("fold_batchnorm: weight has " + std::to_string(w.size()) +
                                " values, not a positive multiple of cout " + std::to_string(cout));
  auto check = [cout](const std::vector<float>& v, const char* what) {
    if (v.size() != cout)
      throw std::invalid_argument(std::string("fold_batchnorm: ") + what + " has " + std::to_string(v.size()) +
                                  " values, expected cout " + std::to_string(cout));
  };
  check(gamma, "gamma");
  check(beta, "beta");
  check(mean, "running_mean");
  check(var, "running_var");
  if (!b.empty()) check(b, "bias");
  for (uint32_t oc = 0; oc < cout; ++oc)
    if (!(double{var[oc]} + eps > 0.0))
      throw std::invalid_argument("fold_batchnorm: running_var[" + std::to_string(oc) + "] + eps is not positive");

  b.resize(cout, 0.0f);  // a conv without bias behaves as bias 0
  const size_t row = w.size() / cout;
  // Computed in double so the folded layer matches conv+BN to float rounding only.
  for (uint32_t oc = 0; oc < cout; ++oc) {
    const double s = double{gamma[oc]} / std::sqrt(double{var[oc]} + eps);
    float* r = w.data() + size_t{oc} * row;
    for (size_t k = 0; k < row; ++k) r[k] = static_cast<float>(double{r[k]} * s);
    b[oc] = static_cast<float>((double{b[oc]} - double{mean[oc]}) * s + double{beta[oc]});
  }
}

}  // namespace saie::trainer
