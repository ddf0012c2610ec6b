// torchscript_import.h — `sparseaie import`: a TorchScript CNN (e.g. a traced torchvision model)
// becomes a bundle: layers recognised, BatchNorm folded, pruned, quantised, calibrated.
// Torch-free header; LibTorch lives only in torchscript_import.cpp.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <functional>
#include <string>
#include <vector>

#include "model/ir/graph.h"
#include "trainer/import/float_graph.h"

namespace saie::trainer {

// One-line errors: unsupported operations ("unsupported operation aten::sigmoid at node 12 (%x.3)"),
// unsupported parameters ("unsupported: grouped conv 'layer1.conv'"), bad files.
struct ImportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ImportOptions {
  std::string model_path;           // TorchScript file (torch.jit.trace / torch.jit.script, .save)
  ir::Shape input{28, 28, 1};       // HWC of the network input (batch 1)
  double sparsity = 0.5;            // fraction of blocks zeroed per block row (first conv dense)
  uint32_t block_o = 8, block_i = 8;
  uint32_t calib_images = 32;       // calibration inputs
  bool random_calibration = false;  // true: random inputs even for 28x28x1 models
  uint64_t seed = 1;                // random calibration inputs
  std::string dataset_dir;          // Fashion-MNIST folder; empty = the Debian package's
  // > 0: the int8 graph's output (integer reference) against the float graph's on this many
  // seeded uniform [0, 1) inputs, as an SQNR in dB in the provenance notes.
  uint32_t sqnr_inputs = 0;
  int threads = 2;                  // LibTorch threads (at::set_num_threads), 0 = leave as is
  // One line per finished step (load, prune, calibration, quantisation) with its seconds; may be empty.
  std::function<void(const std::string&)> progress;
};

// Recognised TorchScript graph as a float layer list (BN folded, shapes inferred, not pruned).
// `notes` receives how the graph was obtained (frozen or inlined) and how many BNs were folded.
FloatGraph load_torchscript(const std::string& path, const ir::Shape& input, std::string* notes = nullptr);

// The calibration inputs import_torchscript uses (HWC, values in [0, 1]): Fashion-MNIST
// training images (pixel/255) when the input is 28x28x1 and the dataset is readable and
// random_calibration is false, otherwise uniform random inputs from `seed`. `source` says which.
std::vector<FloatTensor> calibration_inputs(const ImportOptions& o, std::string* source = nullptr);

// The largest |difference| between the float graph's output (run by LibTorch: TorchFloatNet) and
// the TorchScript module's own forward over two seeded uniform [0, 1) inputs, relative to the
// largest |output| of the module: how faithfully load_torchscript read the graph.
double float_graph_error(const std::string& path, const FloatGraph& g, uint64_t seed = 1);
constexpr double kMaxFloatGraphError = 1e-4;  // import_torchscript's bound (float32 rounding only)

// Signal-to-quantisation-noise ratio of the int8 graph's output (integer reference executor,
// dequantised) against the float graph's (LibTorch), over `inputs` seeded uniform [0, 1) inputs
// quantised to the int8 input scale: 10 log10(sum f^2 / sum (f - q)^2) in dB.
double int8_sqnr_db(const ir::Graph& q, const FloatGraph& g, uint32_t inputs, uint64_t seed = 1);

// load_torchscript -> check against the module (float_graph_error <= kMaxFloatGraphError) ->
// prune -> calibrate (float, max) -> quantise; the result is validated.
ir::Graph import_torchscript(const ImportOptions& o);

}  // namespace saie::trainer
