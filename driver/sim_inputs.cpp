// sim_inputs.cpp — see sim_inputs.h.
#include "driver/sim_inputs.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace saie::driver {

namespace {
std::string shape(uint32_t h, uint32_t w, uint32_t c) {
  return std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c);
}
}  // namespace

std::vector<int8_t> quantize_for_program(const isa::TensorPort& in, const data::Dataset& ds, uint32_t i) {
  if (in.h != ds.rows || in.w != ds.cols || in.c != 1)
    throw std::runtime_error("program input is " + shape(in.h, in.w, in.c) + ", the dataset has " + shape(ds.rows, ds.cols, 1) +
                             " images (use --random-inputs N)");
  std::vector<int8_t> t(size_t{in.h} * in.w);
  const uint8_t* px = ds.image(i);
  for (size_t k = 0; k < t.size(); ++k) {
    const double q = std::nearbyint((px[k] / 255.0) / in.scale);
    t[k] = static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
  }
  return t;
}

int random_input_max(const isa::TensorPort& in) {
  const double q = in.scale > 0 ? std::nearbyint(1.0 / in.scale) : 127.0;
  return static_cast<int>(std::clamp(q, 0.0, 127.0));
}

std::vector<std::vector<int8_t>> random_program_inputs(const isa::TensorPort& in, uint32_t n, uint64_t seed) {
  const uint64_t span = static_cast<uint64_t>(random_input_max(in)) + 1;
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int8_t>> inputs(n, std::vector<int8_t>(size_t{in.h} * in.w * in.c));
  for (auto& t : inputs)
    for (auto& v : t) v = static_cast<int8_t>(((rng() >> 32) * span) >> 32);
  return inputs;
}

void require_fashion_mnist_input(const char* what, uint32_t h, uint32_t w, uint32_t c) {
  if (h != 28 || w != 28 || c != 1)
    throw std::runtime_error(std::string(what) + " input is " + shape(h, w, c) +
                             ", not a 28x28x1 Fashion-MNIST image: use --random-inputs N");
}

}  // namespace saie::driver
