// torch_float.h — a FloatGraph (model zoo or TorchScript import) as a LibTorch float network:
// the reference point for the simulator's speed (issue 5: simulator wall time vs LibTorch's own
// float inference of the same network on the same machine).
//
// Tensors are NCHW (batch >= 1). Semantics equal run_float's: Conv = conv2d (OIHW weights, zero
// padding) + optional fused ReLU; Fc = linear on the CHW flatten of its input (the FloatLayer's
// [cout][c][h][w] weights; a grouped conv runs as one, on each group's slice, and ReLU6's cap
// applies); MaxPool ignores padding (-inf); AvgPool divides by kh*kw (padding
// counts as 0, count_include_pad); Add (+ fused ReLU), Relu, Concat along channels. Forward runs
// under c10::InferenceMode (no autograd bookkeeping). Weights are copied: the FloatGraph need not
// outlive the net. Only built with LibTorch (saie_trainer).
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "trainer/import/float_graph.h"

namespace saie::trainer {

class TorchFloatNet {
 public:
  // Throws std::runtime_error naming the layer when weights are not materialised or do not match
  // the shapes (call FloatGraph::infer_shapes first; make_zoo_float_graph does).
  explicit TorchFloatNet(const FloatGraph& g);

  // x: [N, C, H, W] float with the graph's input shape. Returns the last layer's output, NCHW
  // ([N, cout] for an Fc output). Intermediates are freed as soon as their last consumer ran.
  torch::Tensor forward(const torch::Tensor& x) const;
  // Every layer's output (index = layer index), for per-layer comparisons.
  std::vector<torch::Tensor> forward_all(const torch::Tensor& x) const;
  // Raises max_abs[i] (one per layer) to the largest |output| of layer i over the batch x,
  // freeing intermediates as forward does (calibration).
  void accumulate_max_abs(const torch::Tensor& x, std::vector<float>& max_abs) const;

  const std::string& name() const { return name_; }
  size_t layer_count() const { return layers_.size(); }

 private:
  struct Layer {
    std::string name;
    FloatOp op = FloatOp::Conv;
    std::vector<int> inputs;
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
    bool relu = false;
    bool ceil_mode = false;  // MaxPool / AvgPool
    bool count_include_pad = true;  // AvgPool
    float clamp = 0.0f;  // > 0: the ReLU caps there (FloatLayer::clamp)
    int64_t groups = 1;
    std::string act;  // Act: FloatLayer::act
    // Conv: [cout, cin / groups, kh, kw]; Fc: [cout, c*h*w]; bias undefined = none
    torch::Tensor weight, bias;
  };
  std::vector<torch::Tensor> run(const torch::Tensor& x, bool keep_all, std::vector<float>* max_abs = nullptr) const;

  std::string name_;
  ir::Shape input_;
  std::vector<Layer> layers_;
  std::vector<int> last_use_;  // per layer: index of the last layer reading it (own index if none)
};

// calibrate_max_abs (float_graph.h) computed by LibTorch: the inputs run through a TorchFloatNet
// of g in batches of `batch`. The same maxima up to float rounding (LibTorch sums in another
// order), and many times faster on ImageNet-sized networks. Batch 1 is the default: measured on
// ResNet-50 at 224x224 (32 inputs, 2 cores), batches of 8 took 7.7 s, one at a time 4.1 s (the
// larger buffers are allocated and page-faulted afresh for every batch).
std::vector<float> calibrate_max_abs_torch(const FloatGraph& g, const std::vector<FloatTensor>& inputs,
                                           size_t batch = 1);

// One HWC tensor of shape s as a [1, C, H, W] float tensor (a copy).
torch::Tensor hwc_to_nchw(const FloatTensor& x, const ir::Shape& s);
// A [1, C, H, W] (or [1, C]) tensor back to HWC, batch element 0 only.
FloatTensor nchw_to_hwc(const torch::Tensor& x);

}  // namespace saie::trainer
