// sim_inputs.h — the int8 inputs a simulation runs: Fashion-MNIST test images quantised as the
// program's input port says, or seeded random tensors of any input shape.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/isa/program.h"
#include "model/data/idx.h"

namespace saie::driver {

// Image i of ds quantised for the program's input port: q = round(pixel / 255 / scale), clamped
// to int8 (the formula of reference::quantize_image, which needs the graph; the program carries
// the scale). Throws std::runtime_error if the port is not the dataset's h x w x 1.
std::vector<int8_t> quantize_for_program(const isa::TensorPort& in, const data::Dataset& ds, uint32_t i);

// The largest value a random input takes: round(1 / scale) clamped to 0..127 (a quantised 0..1
// pixel), 127 when the scale is not positive.
int random_input_max(const isa::TensorPort& in);

// n seeded random inputs in simulate()'s layout (HWC, logical channels: h*w*c values), each
// uniform in 0..random_input_max. Platform independent: mt19937_64 is fully specified and the
// mapping to 0..max is our own (the high 32 bits times max+1, shifted: no library distribution).
std::vector<std::vector<int8_t>> random_program_inputs(const isa::TensorPort& in, uint32_t n, uint64_t seed);

// Throws "<what> input is HxWxC, not a 28x28x1 Fashion-MNIST image: use --random-inputs N" unless
// the shape is 28x28x1.
void require_fashion_mnist_input(const char* what, uint32_t h, uint32_t w, uint32_t c);

}  // namespace saie::driver
