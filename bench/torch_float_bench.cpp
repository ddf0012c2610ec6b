// torch_float_bench.cpp — saie_bench_torch: LibTorch's own FLOAT inference of a model-zoo network
// (the network `sparseaie zoo MODEL` writes, before quantisation: same seed, input size, block
// pruning), batch 1, on this machine. The reference point of issue 5: the simulator's wall time
// for the int8 program divided by this time (scripts/bench-speed).
//
// Prints one "key value" line per figure (machine-readable); the timing lines are
// torch_float_ms_per_inference (mean), torch_float_ms_min and torch_float_ms_median.
#include <CLI/CLI.hpp>

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <torch/types.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "trainer/import/float_graph.h"
#include "trainer/zoo/model_zoo.h"
#include "trainer/zoo/torch_float.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// The BLAS libraries mapped into this process (which one LibTorch's linear/gemm calls reach).
std::string blas_libraries() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> libs;
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string base = path.substr(path.rfind('/') + 1);
    if (base.find("blas") != std::string::npos) libs.insert(path);
  }
  std::string out;
  for (const std::string& l : libs) out += (out.empty() ? "" : ",") + l;
  return out.empty() ? "none" : out;
}

// OpenBLAS keeps its own thread pool (OPENBLAS_NUM_THREADS, read at load time); set it to the
// same count so that the figure is really "T threads". Returns false where OpenBLAS is not loaded.
bool set_openblas_threads(int n) {
  using Fn = void (*)(int);
  auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (fn == nullptr) return false;
  fn(n);
  return true;
}

int run(int argc, char** argv) {
  CLI::App app{"saie_bench_torch — LibTorch float inference time of a model-zoo network (batch 1) on this machine"};
  std::string model;
  uint32_t images = 10, input_hw = 224, width_div = 1;
  int threads = 1;
  uint64_t seed = 1;
  double sparsity = 0.5;
  app.add_option("model", model, "inception_v3, resnet50, vgg16 or vgg16_features (as `sparseaie zoo`)")
      ->required()
      ->check(CLI::IsMember(saie::trainer::zoo_names()));
  app.add_option("--images,-n", images, "timed single-image inferences (after one untimed warm-up)")->check(CLI::Range(1u, 100000u));
  app.add_option("--threads,-t", threads, "LibTorch intra-op threads (and OpenBLAS threads)")->check(CLI::Range(1, 256));
  app.add_option("--seed", seed, "weight seed (as `sparseaie zoo --seed`); inputs are seeded from it too");
  app.add_option("--input-size", input_hw, "square input side (as `sparseaie zoo --input-size`; 299 for inception_v3)")
      ->check(CLI::Range(32u, 1024u));
  app.add_option("--width-div", width_div, "divide every channel count (as `sparseaie zoo --width-div`)")->check(CLI::Range(1u, 64u));
  app.add_option("--sparsity", sparsity, "fraction of 8x8 blocks zeroed per block row (as `sparseaie zoo --sparsity`; "
                                         "float inference is dense either way)")
      ->check(CLI::Range(0.0, 0.95));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    at::set_num_threads(threads);
    const bool blas_set = set_openblas_threads(threads);

    const auto t_build = Clock::now();
    saie::trainer::ZooOptions o;  // the defaults of `sparseaie zoo` (seed 1, 50% 8x8, 224, width 1)
    o.seed = seed;
    o.sparsity = sparsity;
    o.input_hw = input_hw;
    o.width_div = width_div;
    saie::trainer::FloatGraph g = saie::trainer::make_zoo_float_graph(model, o);
    saie::trainer::prune_float_graph(g, o.sparsity, o.block_o, o.block_i);
    const saie::trainer::TorchFloatNet net(g);
    // A few distinct inputs, cycled (uniform [0, 1) like the bundle's pixel/255 convention).
    std::vector<torch::Tensor> inputs;
    for (const saie::trainer::FloatTensor& x : saie::trainer::zoo_calibration_inputs(g.input, std::min(images, 4u), seed + 1000))
      inputs.push_back(saie::trainer::hwc_to_nchw(x, g.input));
    const double build_ms = ms_since(t_build);

    auto t0 = Clock::now();
    torch::Tensor y = net.forward(inputs[0]);
    const double warmup_ms = ms_since(t0);

    std::vector<double> ms(images);
    double checksum = 0;
    for (uint32_t i = 0; i < images; ++i) {
      t0 = Clock::now();
      y = net.forward(inputs[i % inputs.size()]);
      ms[i] = ms_since(t0);
      checksum += y.sum().item<double>();  // outside the timed region; keeps every result used
    }
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / images;
    const double median = images % 2 ? sorted[images / 2] : 0.5 * (sorted[images / 2 - 1] + sorted[images / 2]);

    std::printf("model %s\n", model.c_str());
    std::printf("input %ux%ux3\n", input_hw, input_hw);
    std::printf("width_div %u\n", width_div);
    std::printf("layers %zu\n", g.layers.size());
    std::printf("parameters %llu\n", static_cast<unsigned long long>(g.parameter_count()));
    std::printf("torch_version %s\n", TORCH_VERSION);
    std::printf("threads %d\n", at::get_num_threads());
    std::printf("blas_threads %s\n", blas_set ? std::to_string(threads).c_str() : "n/a");
    std::printf("mkldnn %d\n", at::hasMKLDNN() ? 1 : 0);
    std::printf("blas %s\n", blas_libraries().c_str());
    std::printf("images %u\n", images);
    std::printf("build_s %.3f\n", build_ms / 1000.0);
    std::printf("warmup_ms %.3f\n", warmup_ms);
    std::printf("torch_float_ms_per_inference %.3f\n", mean);
    std::printf("torch_float_ms_min %.3f\n", sorted.front());
    std::printf("torch_float_ms_median %.3f\n", median);
    std::printf("output_checksum %.6g\n", checksum / images);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
