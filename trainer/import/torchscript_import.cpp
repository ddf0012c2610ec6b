// torchscript_import.cpp — TorchScript graph walk -> FloatGraph -> int8 bundle graph (see torchscript_import.h).
//
// The module is loaded, put in eval mode and frozen (torch::jit::freeze_module: submodule calls
// inlined, parameters become prim::Constant tensors whose debug names keep the module path,
// e.g. %self.layer1.0.conv1.weight). If freezing fails, the unfrozen forward graph is inlined
// (torch::jit::Inline) and weights are resolved by following prim::GetAttr chains from `self`.
// The top-level nodes are then walked in order; nodes that do not touch an activation
// (constants, lists, attribute reads, aten::t of a weight, size arithmetic) are evaluated on
// demand; every node that does touch one must be a recognised layer, else a one-line error.
#include "trainer/import/torchscript_import.h"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "model/data/idx.h"
#include "model/reference/reference_executor.h"
#include "trainer/export/fold_bn.h"
#include "trainer/quant/quantize.h"
#include "trainer/zoo/torch_float.h"

namespace saie::trainer {

namespace {

using torch::jit::Node;
using torch::jit::Value;

std::string kind_of(const Node* n) { return n->kind().toQualString(); }

std::string value_name(const Value* v) { return "%" + v->debugName(); }

class Walker {
 public:
  Walker(torch::jit::Module& module, std::shared_ptr<torch::jit::Graph> graph, const ir::Shape& input, std::string name)
      : module_(module), graph_(std::move(graph)) {
    g_.name = std::move(name);
    g_.input = input;
  }

  FloatGraph run(int& folded_bn) {
    const auto inputs = graph_->inputs();
    if (inputs.size() != 2) throw ImportError("unsupported: forward takes " + std::to_string(inputs.size() - 1) + " inputs (expected 1 tensor)");
    self_ = inputs[0];
    acts_[inputs[1]] = Act{-1, false};
    int index = 0;
    for (Node* n : graph_->nodes()) {
      node_index_ = index++;
      node_ = n;
      visit(n);
    }
    const Value* out = graph_->outputs().at(0);
    if (kind_of(out->node()) == "prim::TupleConstruct" && out->node()->inputs().size() == 1) out = out->node()->input(0);
    auto it = acts_.find(out);
    if (it == acts_.end()) throw ImportError("unsupported: the graph output " + value_name(out) + " is not a recognised layer output");
    if (it->second.layer < 0) throw ImportError("unsupported: the graph output is the network input (no layers)");
    if (it->second.layer != static_cast<int>(g_.layers.size()) - 1)
      throw ImportError("unsupported: the graph output '" + g_.layers[static_cast<size_t>(it->second.layer)].name +
                        "' is not the last layer (dead layers after it)");
    folded_bn = folded_bn_;
    return std::move(g_);
  }

 private:
  struct Act {
    int layer = -1;     // producing layer, -1 = network input
    bool flat = false;  // flattened (only a linear layer may consume it)
    // A channel shuffle in progress (ShuffleNet: view to [b, groups, c / groups, h, w], transpose
    // of dims 1 and 2, view back to [b, c, h, w]): the groups of the 5-D view, and whether the
    // transpose has happened. Only the view back may consume it.
    uint32_t shuffle = 0;
    bool transposed = false;
  };

  [[noreturn]] void unsupported_op(const Node* n) const {
    std::string where = "at node " + std::to_string(node_index_);
    if (!n->outputs().empty()) where += " (" + value_name(n->output(0)) + ")";
    throw ImportError("unsupported operation " + kind_of(n) + " " + where);
  }
  [[noreturn]] void unsupported(const std::string& what) const {
    std::string where = " at node " + std::to_string(node_index_);
    if (!node_->outputs().empty()) where += " (" + value_name(node_->output(0)) + ")";
    throw ImportError("unsupported: " + what + where);
  }

  bool is_act(const Value* v) const { return acts_.count(v) != 0; }
  Act act(const Value* v) const {
    auto it = acts_.find(v);
    if (it == acts_.end()) unsupported("operand " + value_name(v) + " of " + kind_of(node_) + " is not an activation");
    return it->second;
  }

  // Evaluates a non-activation value: constants, attribute chains from self, lists of those,
  // and aten::t / aten::contiguous of a weight.
  c10::optional<c10::IValue> eval(const Value* v) const {
    if (v == self_) return c10::IValue(module_._ivalue());
    const Node* p = v->node();
    const std::string k = kind_of(p);
    if (k == "prim::Constant") return torch::jit::toIValue(v);
    if (k == "prim::GetAttr") {
      auto parent = eval(p->input(0));
      if (!parent || !parent->isObject()) return c10::nullopt;
      const std::string attr = p->s(c10::attr::name);
      auto obj = parent->toObject();
      if (!obj->type()->hasAttribute(attr)) return c10::nullopt;
      return obj->getAttr(attr);
    }
    if (k == "prim::ListConstruct") {
      c10::impl::GenericList list(c10::AnyType::get());
      std::vector<int64_t> ints;
      bool all_int = true;
      for (const Value* e : p->inputs()) {
        auto x = eval(e);
        if (!x) return c10::nullopt;
        if (x->isInt()) ints.push_back(x->toInt());
        else all_int = false;
      }
      if (all_int) return c10::IValue(ints);
      return c10::nullopt;
    }
    if (k == "aten::t" || k == "aten::contiguous" || k == "aten::detach") {
      auto x = eval(p->input(0));
      if (!x || !x->isTensor()) return c10::nullopt;
      return c10::IValue(k == "aten::t" ? x->toTensor().t() : x->toTensor());
    }
    return c10::nullopt;
  }

  std::string path_of(const Value* v) const {
    const Node* p = v->node();
    if (kind_of(p) == "prim::GetAttr") {
      const std::string parent = p->input(0) == self_ ? "" : path_of(p->input(0));
      return parent.empty() ? p->s(c10::attr::name) : parent + "." + p->s(c10::attr::name);
    }
    if (kind_of(p) == "aten::t" || kind_of(p) == "aten::contiguous") return path_of(p->input(0));
    if (v->hasDebugName()) {
      std::string s = v->debugName();
      if (s.rfind("self.", 0) == 0) s = s.substr(5);
      return s;
    }
    return "";
  }

  at::Tensor tensor(const Value* v, const std::string& what) const {
    auto x = eval(v);
    if (!x || !x->isTensor()) unsupported(what + " " + value_name(v) + " of " + kind_of(node_) + " is not a constant tensor");
    return x->toTensor().detach().to(torch::kFloat).contiguous();
  }
  bool is_none(const Value* v) const {
    auto x = eval(v);
    return x && x->isNone();
  }
  std::vector<int64_t> ints(const Value* v, const std::string& what, size_t n = 2) const {
    auto x = eval(v);
    std::vector<int64_t> r;
    if (x && x->isIntList()) r = x->toIntVector();
    else if (x && x->isInt()) r = {x->toInt()};
    else unsupported(what + " of " + kind_of(node_) + " is not a constant int list");
    if (r.size() == 1 && n == 2) r.push_back(r[0]);
    if (r.size() != n && !(r.empty() && what == "stride"))
      unsupported(what + " of " + kind_of(node_) + " has " + std::to_string(r.size()) + " values");
    return r;
  }
  int64_t int_of(const Value* v, const std::string& what) const {
    auto x = eval(v);
    if (!x || !x->isInt()) unsupported(what + " of " + kind_of(node_) + " is not a constant int");
    return x->toInt();
  }
  double num_of(const Value* v, const std::string& what) const {
    auto x = eval(v);
    if (x && x->isDouble()) return x->toDouble();
    if (x && x->isInt()) return static_cast<double>(x->toInt());
    unsupported(what + " of " + kind_of(node_) + " is not a constant number");
  }
  bool bool_of(const Value* v, const std::string& what) const {
    auto x = eval(v);
    if (!x || !x->isBool()) unsupported(what + " of " + kind_of(node_) + " is not a constant bool");
    return x->toBool();
  }

  std::string unique_name(std::string base, const char* fallback) {
    // "layer1.0.conv1.weight" -> "layer1.0.conv1"; "conv1_weight" -> "conv1".
    if (base.size() > 7 && (base.compare(base.size() - 7, 7, ".weight") == 0 || base.compare(base.size() - 7, 7, "_weight") == 0))
      base.resize(base.size() - 7);
    if (base.empty() || base == "input") base = std::string(fallback) + std::to_string(++counters_[fallback]);
    std::string n = base;
    for (int k = 2; used_.count(n); ++k) n = base + "_" + std::to_string(k);
    used_.insert(n);
    return n;
  }

  int push(FloatLayer l) {
    g_.layers.push_back(std::move(l));
    try {
      g_.infer_shapes();
    } catch (const std::exception& e) {
      throw ImportError(std::string(e.what()) + " (node " + std::to_string(node_index_) + ")");
    }
    consumers_.push_back(0);
    for (int in : g_.layers.back().inputs)
      if (in >= 0) ++consumers_[static_cast<size_t>(in)];
    return static_cast<int>(g_.layers.size()) - 1;
  }

  void set_out(const Node* n, Act a, bool inplace) {
    acts_[n->output(0)] = a;
    if (inplace) acts_[n->input(0)] = a;  // the mutated tensor is the new value for later uses
  }

  static bool is_plumbing(const std::string& k) {
    static const char* names[] = {"aten::size", "aten::dim", "prim::shape", "aten::numel", "prim::device", "prim::dtype"};
    return std::any_of(std::begin(names), std::end(names), [&](const char* s) { return k == s; });
  }

  void visit(const Node* n) {
    const std::string k = kind_of(n);
    const bool touches = std::any_of(n->inputs().begin(), n->inputs().end(),
                                     [&](const Value* v) {
                                       return is_act(v) || packed_.count(v) != 0 || lists_.count(v) != 0;
                                     });
    if (!n->blocks().empty()) unsupported_op(n);  // control flow (prim::If, prim::Loop)
    if (!touches || is_plumbing(k)) return;       // scalar/weight plumbing: evaluated on demand
    if (k == "prim::ListConstruct" || k == "prim::TupleConstruct") {
      // A list of activations (e.g. for aten::cat): its consumer is the op to recognise or report.
      packed_.insert(n->output(0));
      return;
    }

    if (k == "aten::_convolution" || k == "aten::conv2d") return conv(n, k == "aten::_convolution");
    if (k == "aten::batch_norm") return batch_norm(n);
    if (k == "aten::relu" || k == "aten::relu_") return relu(n, k == "aten::relu_");
    if (k == "aten::hardtanh" || k == "aten::hardtanh_" || k == "aten::relu6" || k == "aten::relu6_") {
      const bool relu6 = k.rfind("aten::relu6", 0) == 0;
      const double lo = relu6 ? 0.0 : num_of(n->input(1), "min_val"), hi = relu6 ? 6.0 : num_of(n->input(2), "max_val");
      if (lo != 0.0 || !(hi > 0.0)) unsupported("hardtanh(" + std::to_string(lo) + ", " + std::to_string(hi) + ") (only a ReLU cap: hardtanh(0, c > 0))");
      return relu(n, k.back() == '_', static_cast<float>(hi));
    }
    for (const std::string& f : ir::lut_functions()) {
      const std::string op = "aten::" + f;
      if (k == op || k == op + "_") return activation(n, f, k == op + "_");
    }
    if (k == "aten::mul" || k == "aten::mul_") return mul(n, k == "aten::mul_");
    if (k == "aten::max_pool2d") return max_pool(n);
    if (k == "aten::avg_pool2d") return avg_pool(n);
    if (k == "aten::adaptive_avg_pool2d") return adaptive_avg_pool(n);
    if (k == "aten::add" || k == "aten::add_") return add(n, k == "aten::add_");
    if (k == "aten::cat" || k == "aten::concat") return cat(n);
    if (k == "aten::flatten") return flatten(n);
    if (k == "aten::transpose") return transpose(n);
    if (k == "aten::chunk") return chunk(n);
    if (k == "aten::split" || k == "aten::split_with_sizes") return split(n);
    if (k == "prim::ListUnpack" && lists_.count(n->input(0))) {
      const std::vector<Act>& parts = lists_.at(n->input(0));
      if (parts.size() != n->outputs().size()) unsupported("a list unpack of " + std::to_string(n->outputs().size()) + " chunks");
      for (size_t i = 0; i < parts.size(); ++i) acts_[n->output(i)] = parts[i];
      return;
    }
    if (k == "aten::mean") return mean(n);
    if (k == "aten::view" || k == "aten::reshape") return view(n);
    if (k == "aten::dropout" || k == "aten::dropout_" || k == "aten::feature_dropout" || k == "aten::contiguous" ||
        k == "aten::detach")
      return set_out(n, act(n->input(0)), k == "aten::dropout_");  // inference: identity
    if (k == "aten::linear") return linear(n, n->input(0), tensor(n->input(1), "weight"), n->input(2), false);
    if (k == "aten::addmm") {
      if (num_of(n->input(3), "beta") != 1.0 || num_of(n->input(4), "alpha") != 1.0) unsupported("addmm with beta/alpha != 1");
      // addmm(bias, x, W^T): the weight is mat2 transposed.
      return linear(n, n->input(1), tensor(n->input(2), "mat2").t().contiguous(), n->input(0), true);
    }
    unsupported_op(n);
  }

  void conv(const Node* n, bool underscore) {
    const Act a = act(n->input(0));
    if (a.flat) unsupported("convolution of a flattened tensor");
    at::Tensor w = tensor(n->input(1), "weight");
    const std::string name = unique_name(path_of(n->input(1)), "conv");
    if (w.dim() != 4) unsupported("conv '" + name + "' is not 2-d (weight has " + std::to_string(w.dim()) + " dims)");
    const auto stride = ints(n->input(3), "stride");
    const auto pad = ints(n->input(4), "padding");
    const auto dil = ints(n->input(5), "dilation");
    int64_t groups = 1;
    if (underscore) {
      if (bool_of(n->input(6), "transposed")) unsupported("transposed conv '" + name + "'");
      groups = int_of(n->input(8), "groups");
    } else {
      groups = int_of(n->input(6), "groups");
    }
    if (dil[0] < 1 || dil[1] < 1) throw ImportError("unsupported: dilation of conv '" + name + "' below 1");
    if (dil[0] > 1 || dil[1] > 1) {
      // A dilated conv is the conv whose kernel holds zeros between its taps ((k - 1) d + 1 wide):
      // the same outputs (PyTorch's output size is that kernel's), at the zero taps' cost.
      at::Tensor wd = torch::zeros({w.size(0), w.size(1), (w.size(2) - 1) * dil[0] + 1, (w.size(3) - 1) * dil[1] + 1});
      wd.slice(2, 0, wd.size(2), dil[0]).slice(3, 0, wd.size(3), dil[1]).copy_(w);
      w = wd.contiguous();
    }
    const ir::Shape in = g_.shape_of(a.layer);
    if (groups < 1 || w.size(0) % groups != 0 || w.size(1) * groups != in.c)
      throw ImportError("conv '" + name + "' expects " + std::to_string(w.size(1) * groups) + " input channels" +
                        (groups != 1 ? " (" + std::to_string(w.size(1)) + " in each of " + std::to_string(groups) + " groups)" : "") +
                        ", its input has " + std::to_string(in.c) + (a.layer < 0 ? " (set --input-shape H,W,C)" : ""));
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Conv;
    l.inputs = {a.layer};
    l.cout = static_cast<uint32_t>(w.size(0));
    l.kh = static_cast<uint32_t>(w.size(2));
    l.kw = static_cast<uint32_t>(w.size(3));
    l.stride_h = static_cast<uint32_t>(stride.at(0));
    l.stride_w = static_cast<uint32_t>(stride.at(1));
    l.pad_h = static_cast<uint32_t>(pad.at(0));
    l.pad_w = static_cast<uint32_t>(pad.at(1));
    l.groups = static_cast<uint32_t>(groups);
    if (groups == 1) {
      l.weight.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    } else {  // [cout][cin / groups][kh][kw] -> [cout][cin][kh][kw], zero outside the group
      const int64_t cout_g = w.size(0) / groups, cin_g = w.size(1);
      const at::Tensor full = torch::zeros({w.size(0), in.c, w.size(2), w.size(3)});
      for (int64_t gi = 0; gi < groups; ++gi)
        full.narrow(0, gi * cout_g, cout_g).narrow(1, gi * cin_g, cin_g).copy_(w.narrow(0, gi * cout_g, cout_g));
      l.weight.assign(full.data_ptr<float>(), full.data_ptr<float>() + full.numel());
    }
    if (!is_none(n->input(2))) {
      const at::Tensor b = tensor(n->input(2), "bias");
      l.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    }
    set_out(n, Act{push(std::move(l)), false}, false);
  }

  void batch_norm(const Node* n) {
    const Act a = act(n->input(0));
    const bool foldable = a.layer >= 0 && !a.flat && consumers_[static_cast<size_t>(a.layer)] == 0 &&
                          n->input(0)->uses().size() == 1;
    FloatLayer* l = foldable ? &g_.layers[static_cast<size_t>(a.layer)] : nullptr;
    const bool into_conv = l && l->op == FloatOp::Conv && !l->relu;
    if (!into_conv) {
      // Anywhere else (DenseNet's pre-activation BN after a pool or concat) the BN is its own
      // per-channel scale and shift: a depthwise 1x1 conv (identity weights, the BN folded in).
      if (a.flat) unsupported("batch_norm of a flattened tensor");
      const uint32_t c = g_.shape_of(a.layer).c;
      FloatLayer d;
      d.name = unique_name(path_of(n->input(1)), "batchnorm");
      d.op = FloatOp::Conv;
      d.inputs = {a.layer};
      d.cout = c;
      d.groups = c;
      d.weight.assign(size_t{c} * c, 0.0f);
      for (uint32_t i = 0; i < c; ++i) d.weight[size_t{i} * c + i] = 1.0f;
      d.bias.assign(c, 0.0f);
      l = &g_.layers[static_cast<size_t>(push(std::move(d)))];
    }
    auto vec = [&](const Value* v, const char* what, float fill) {
      if (is_none(v)) return std::vector<float>(l->cout, fill);
      const at::Tensor t = tensor(v, what);
      return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    };
    if (is_none(n->input(3)) || is_none(n->input(4))) unsupported("batch_norm without running statistics");
    // The training flag (input 5) is ignored: inference always uses the running statistics.
    const std::vector<float> gamma = vec(n->input(1), "weight", 1.0f), beta = vec(n->input(2), "bias", 0.0f);
    const std::vector<float> mean = vec(n->input(3), "running_mean", 0.0f), var = vec(n->input(4), "running_var", 1.0f);
    const double eps = num_of(n->input(7), "eps");
    try {
      fold_batchnorm(l->weight, l->bias, l->cout, gamma, beta, mean, var, eps);
    } catch (const std::exception& e) {
      throw ImportError("batch_norm after conv '" + l->name + "': " + e.what());
    }
    ++folded_bn_;
    set_out(n, into_conv ? a : Act{static_cast<int>(g_.layers.size()) - 1, false}, false);
  }

  // ReLU, or with clamp > 0 a ReLU capped at clamp (ReLU6), fused into its producer when it is the
  // producer's only use; a capped one must fuse (there is no standalone int8 cap).
  void relu(const Node* n, bool inplace, float clamp = 0.0f) {
    const Act a = act(n->input(0));
    if (a.layer >= 0) {
      FloatLayer& p = g_.layers[static_cast<size_t>(a.layer)];
      const bool fusable = (p.op == FloatOp::Conv || p.op == FloatOp::Fc || p.op == FloatOp::Add) && !p.relu &&
                           consumers_[static_cast<size_t>(a.layer)] == 0 && (inplace || n->input(0)->uses().size() == 1);
      if (fusable) {
        p.relu = true;
        p.clamp = clamp;
        return set_out(n, a, inplace);
      }
    }
    if (clamp > 0.0f) unsupported("a ReLU cap (hardtanh / relu6) that does not directly follow a conv, fc or add");
    FloatLayer l;
    l.name = unique_name("", "relu");
    l.op = FloatOp::Relu;
    l.inputs = {a.layer};
    set_out(n, Act{push(std::move(l)), a.flat}, inplace);
  }

  // A non-linear element-wise function: its own layer (an int8 lookup table once quantised; the
  // compiler folds it into the conv or fc that produces its input).
  void activation(const Node* n, const std::string& fn, bool inplace) {
    const Act a = act(n->input(0));
    FloatLayer l;
    l.name = unique_name("", fn.c_str());
    l.op = FloatOp::Act;
    l.act = fn;
    l.inputs = {a.layer};
    set_out(n, Act{push(std::move(l)), a.flat}, inplace);
  }

  // x * gate with gate [N, C, 1, 1] broadcast over x [N, C, H, W] (squeeze-excitation), either
  // operand order.
  void mul(const Node* n, bool inplace) {
    if (n->inputs().size() != 2 || !is_act(n->input(0)) || !is_act(n->input(1)))
      unsupported("mul of a non-activation operand (only a feature map times a per-channel gate)");
    Act a = act(n->input(0)), b = act(n->input(1));
    if (a.flat || b.flat) unsupported("mul of flattened tensors");
    const auto gate_like = [&](const Act& x, const Act& y) {
      const ir::Shape sx = g_.shape_of(x.layer), sy = g_.shape_of(y.layer);
      return sx.h == 1 && sx.w == 1 && sx.c == sy.c;
    };
    if (!gate_like(b, a)) {
      if (!gate_like(a, b) || inplace) unsupported("mul other than a feature map times a 1x1 per-channel gate");
      std::swap(a, b);
    }
    FloatLayer l;
    l.name = unique_name("", "mul");
    l.op = FloatOp::Mul;
    l.inputs = {a.layer, b.layer};
    set_out(n, Act{push(std::move(l)), false}, inplace);
  }

  // (`from`: the layer to pool instead of the node's input)
  void pool(const Node* n, FloatOp op, const char* base, int64_t k0, int64_t k1, std::vector<int64_t> stride,
            std::vector<int64_t> pad, bool ceil_mode = false, const Act* from = nullptr, bool count_include_pad = true) {
    const Act a = from ? *from : act(n->input(0));
    if (a.flat) unsupported("pooling of a flattened tensor");
    if (stride.empty()) stride = {k0, k1};  // PyTorch: stride defaults to the kernel
    FloatLayer l;
    l.name = unique_name("", base);
    l.op = op;
    l.inputs = {a.layer};
    l.kh = static_cast<uint32_t>(k0);
    l.kw = static_cast<uint32_t>(k1);
    l.stride_h = static_cast<uint32_t>(stride.at(0));
    l.stride_w = static_cast<uint32_t>(stride.at(1));
    l.pad_h = static_cast<uint32_t>(pad.at(0));
    l.pad_w = static_cast<uint32_t>(pad.at(1));
    l.ceil_mode = ceil_mode;
    l.count_include_pad = count_include_pad;
    set_out(n, Act{push(std::move(l)), false}, false);
  }

  void max_pool(const Node* n) {
    const auto k = ints(n->input(1), "kernel_size");
    const auto s = ints(n->input(2), "stride");
    const auto p = ints(n->input(3), "padding");
    const auto d = ints(n->input(4), "dilation");
    if (d[0] != 1 || d[1] != 1) unsupported("dilated max_pool2d");
    pool(n, FloatOp::MaxPool, "maxpool", k[0], k[1], s, p, bool_of(n->input(5), "ceil_mode"));
  }

  void avg_pool(const Node* n) {
    const auto k = ints(n->input(1), "kernel_size");
    const auto s = ints(n->input(2), "stride");
    const auto p = ints(n->input(3), "padding");
    if (!is_none(n->input(6))) unsupported("avg_pool2d with divisor_override");
    pool(n, FloatOp::AvgPool, "avgpool", k[0], k[1], s, p, bool_of(n->input(4), "ceil_mode"), nullptr,
         bool_of(n->input(5), "count_include_pad"));
  }

  static constexpr uint64_t kMaxGlobalPoolWindow = 64 * 64;
  void adaptive_avg_pool(const Node* n) {
    const Act a = act(n->input(0));
    const auto o = ints(n->input(1), "output_size");
    const ir::Shape in = g_.shape_of(a.layer);
    if (o[0] == in.h && o[1] == in.w) return set_out(n, a, false);  // identity (e.g. VGG's 7x7 on 7x7)
    if (o[0] != 1 || o[1] != 1)
      unsupported("adaptive_avg_pool2d to " + std::to_string(o[0]) + "x" + std::to_string(o[1]) + " (only 1x1 or identity)");
    global_avg_pool(n, a);
  }

  // The average over the whole map of `a` as n's output. A window of more than
  // kMaxGlobalPoolWindow positions (EfficientNet's first squeeze-excitation pools 112x112) becomes
  // two average pools, d x d tiles (d a common divisor of h and w, the one nearest the square
  // root) and then the rest: the same average in float, one more int8 rounding, and windows whose
  // bands fit a core.
  void global_avg_pool(const Node* n, const Act& a) {
    const ir::Shape in = g_.shape_of(a.layer);
    uint32_t d = 1;
    if (uint64_t{in.h} * in.w > kMaxGlobalPoolWindow)
      for (uint32_t c = 2; c <= std::min(in.h, in.w); ++c)
        if (in.h % c == 0 && in.w % c == 0 &&
            (d == 1 || std::max(c, in.h / c) < std::max(d, in.h / d)))
          d = c;
    if (d > 1) {
      pool(n, FloatOp::AvgPool, "avgpool", d, d, {d, d}, {0, 0}, false, &a);
      const Act tiles = act(n->output(0));
      return pool(n, FloatOp::AvgPool, "avgpool", in.h / d, in.w / d, {in.h / d, in.w / d}, {0, 0}, false, &tiles);
    }
    pool(n, FloatOp::AvgPool, "avgpool", in.h, in.w, {in.h, in.w}, {0, 0}, false, &a);
  }

  void add(const Node* n, bool inplace) {
    if (n->inputs().size() != 3 || !is_act(n->input(1))) unsupported("add of a non-activation operand");
    if (num_of(n->input(2), "alpha") != 1.0) unsupported("add with alpha != 1");
    const Act a = act(n->input(0)), b = act(n->input(1));
    if (a.flat || b.flat) unsupported("add of flattened tensors");
    FloatLayer l;
    l.name = unique_name("", "add");
    l.op = FloatOp::Add;
    l.inputs = {a.layer, b.layer};
    set_out(n, Act{push(std::move(l)), false}, inplace);
  }

  // Channel concat: torch.cat(list of activations, dim 1) of NCHW tensors.
  void cat(const Node* n) {
    const Value* list = n->input(0);
    if (!packed_.count(list) || kind_of(list->node()) != "prim::ListConstruct")
      unsupported("cat of something other than a list of activations");
    const int64_t dim = int_of(n->input(1), "dim");
    if (dim != 1 && dim != -3) unsupported("cat along dim " + std::to_string(dim) + " (only channels, dim 1)");
    FloatLayer l;
    l.name = unique_name("", "concat");
    l.op = FloatOp::Concat;
    for (const Value* v : list->node()->inputs()) {
      const Act a = act(v);
      if (a.flat) unsupported("cat of flattened tensors");
      l.inputs.push_back(a.layer);
    }
    if (l.inputs.size() == 1) return set_out(n, Act{l.inputs[0], false}, false);  // cat of one: itself
    set_out(n, Act{push(std::move(l)), false}, false);
  }

  void flatten(const Node* n) {
    const Act a = act(n->input(0));
    const int64_t start = int_of(n->input(1), "start_dim"), end = int_of(n->input(2), "end_dim");
    if (start != 1 || (end != -1 && end != 3)) unsupported("flatten(" + std::to_string(start) + ", " + std::to_string(end) + ")");
    set_out(n, Act{a.layer, true}, false);
  }

  void view(const Node* n) {
    const Act a = act(n->input(0));
    const Node* p = n->input(1)->node();
    size_t dims = 0;
    if (kind_of(p) == "prim::ListConstruct") {
      dims = p->inputs().size();
    } else if (auto x = eval(n->input(1)); x && x->isIntList()) {
      dims = x->toIntVector().size();
    }
    const ir::Shape s = g_.shape_of(a.layer);
    if (dims == 5 && !a.flat && !a.shuffle && kind_of(p) == "prim::ListConstruct") {  // a channel shuffle begins
      const int64_t groups = int_of(p->input(1), "channel shuffle groups");
      if (groups < 1 || s.c % groups != 0) unsupported("a 5-D view of " + std::to_string(s.c) + " channels in " + std::to_string(groups) + " groups");
      Act sh = a;
      sh.shuffle = static_cast<uint32_t>(groups);
      return set_out(n, sh, false);
    }
    if (dims == 4 && a.shuffle && a.transposed) return set_out(n, shuffle(a), false);
    if (dims != 2 || a.shuffle) unsupported(kind_of(n) + " other than a flatten to [batch, features] or a channel shuffle");
    set_out(n, Act{a.layer, true}, false);
  }

  void transpose(const Node* n) {
    const Act a = act(n->input(0));
    const int64_t d0 = int_of(n->input(1), "dim0"), d1 = int_of(n->input(2), "dim1");
    if (!a.shuffle || a.transposed || std::min(d0, d1) != 1 || std::max(d0, d1) != 2)
      unsupported("transpose other than a channel shuffle's (dims 1 and 2 of [b, groups, c / groups, h, w])");
    Act t = a;
    t.transposed = true;
    set_out(n, t, false);
  }

  // A 1x1 copy conv (FloatLayer::copy): output channel o is input channel src[o].
  Act channel_copy(const Act& a, const std::vector<uint32_t>& src, const char* base) {
    const ir::Shape s = g_.shape_of(a.layer);
    FloatLayer l;
    l.name = unique_name("", base);
    l.op = FloatOp::Conv;
    l.copy = true;
    l.inputs = {a.layer};
    l.cout = static_cast<uint32_t>(src.size());
    l.weight.assign(size_t{l.cout} * s.c, 0.0f);
    for (uint32_t o = 0; o < l.cout; ++o) l.weight[size_t{o} * s.c + src[o]] = 1.0f;
    return Act{push(std::move(l)), false};
  }

  // The view back after the transpose: output channel i * groups + k is input channel k * (c / groups) + i.
  Act shuffle(const Act& a) {
    const uint32_t c = g_.shape_of(a.layer).c, gr = a.shuffle, per = c / gr;
    std::vector<uint32_t> src(c);
    for (uint32_t i = 0; i < per; ++i)
      for (uint32_t k = 0; k < gr; ++k) src[i * gr + k] = k * per + i;
    return channel_copy(Act{a.layer, false}, src, "shuffle");
  }

  // torch.chunk(x, n, dim 1): n copy convs of consecutive channel ranges (PyTorch's sizes:
  // ceil(c / n) each, the last what is left); the list goes to a prim::ListUnpack.
  void chunk(const Node* n) {
    const Act a = act(n->input(0));
    const int64_t parts = int_of(n->input(1), "chunks"), dim = int_of(n->input(2), "dim");
    if (a.flat || a.shuffle || (dim != 1 && dim != -3)) unsupported("chunk other than along the channels of a feature map");
    const uint32_t c = g_.shape_of(a.layer).c;
    if (parts < 1) unsupported("chunk into " + std::to_string(parts) + " parts");
    const uint32_t each = (c + static_cast<uint32_t>(parts) - 1) / static_cast<uint32_t>(parts);
    std::vector<Act> out;
    for (uint32_t c0 = 0; c0 < c; c0 += each) {
      std::vector<uint32_t> src;
      for (uint32_t o = c0; o < std::min(c, c0 + each); ++o) src.push_back(o);
      out.push_back(channel_copy(a, src, "chunk"));
    }
    lists_[n->output(0)] = std::move(out);
  }

  // torch.split(x, size or [sizes], dim 1): copy convs of consecutive channel ranges, like chunk.
  void split(const Node* n) {
    const Act a = act(n->input(0));
    const int64_t dim = int_of(n->input(2), "dim");
    if (a.flat || a.shuffle || (dim != 1 && dim != -3)) unsupported("split other than along the channels of a feature map");
    const uint32_t c = g_.shape_of(a.layer).c;
    std::vector<int64_t> sizes;
    if (auto x = eval(n->input(1)); x && x->isIntList()) {
      sizes = x->toIntVector();
    } else {
      const int64_t each = int_of(n->input(1), "split_size");
      if (each < 1) unsupported("split into parts of " + std::to_string(each) + " channels");
      for (int64_t c0 = 0; c0 < c; c0 += each) sizes.push_back(std::min<int64_t>(each, c - c0));
    }
    std::vector<Act> out;
    uint32_t c0 = 0;
    for (int64_t sz : sizes) {
      if (sz < 1 || c0 + sz > c) unsupported("split sizes that do not add up to the " + std::to_string(c) + " channels");
      std::vector<uint32_t> src;
      for (uint32_t o = c0; o < c0 + sz; ++o) src.push_back(o);
      out.push_back(channel_copy(a, src, "split"));
      c0 += static_cast<uint32_t>(sz);
    }
    if (c0 != c) unsupported("split sizes that do not add up to the " + std::to_string(c) + " channels");
    lists_[n->output(0)] = std::move(out);
  }

  // torch.mean over the spatial dims: a global average pool (flattened unless keepdim).
  void mean(const Node* n) {
    const Act a = act(n->input(0));
    const auto dims = ints(n->input(1), "dim", 2);
    const bool spatial = (dims[0] == 2 && dims[1] == 3) || (dims[0] == -2 && dims[1] == -1) || (dims[0] == 3 && dims[1] == 2);
    if (a.flat || a.shuffle || !spatial || !is_none(n->input(3)))
      unsupported("mean other than over the spatial dims (2, 3) of a feature map");
    const bool keepdim = bool_of(n->input(2), "keepdim");
    global_avg_pool(n, a);
    if (!keepdim) set_out(n, Act{act(n->output(0)).layer, true}, false);
  }

  void linear(const Node* n, const Value* x, const at::Tensor& w, const Value* bias, bool addmm) {
    const Act a = act(x);
    const ir::Shape in = g_.shape_of(a.layer);
    const Value* wv = addmm ? n->input(2) : n->input(1);
    const std::string name = unique_name(path_of(wv), "fc");
    if (!a.flat)  // PyTorch's linear acts on the last dim: only a flattened [batch, C*H*W] maps to fc
      unsupported("linear '" + name + "' on a tensor that was not flattened");
    if (w.dim() != 2 || static_cast<uint64_t>(w.size(1)) != in.elements())
      throw ImportError("linear '" + name + "' expects " + std::to_string(w.dim() == 2 ? w.size(1) : -1) +
                        " input features, its input " + std::to_string(in.c) + "x" + std::to_string(in.h) + "x" +
                        std::to_string(in.w) + " has " + std::to_string(in.elements()));
    FloatLayer l;
    l.name = name;
    l.op = FloatOp::Fc;
    l.inputs = {a.layer};
    l.cout = static_cast<uint32_t>(w.size(0));
    // PyTorch flattens CHW, so [cout][C*H*W] is already the float graph's [cout][C][H][W].
    l.weight.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    if (!is_none(bias)) {
      const at::Tensor b = tensor(bias, "bias");
      l.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    }
    set_out(n, Act{push(std::move(l)), true}, false);  // [batch, features]: another linear may follow
  }

  torch::jit::Module& module_;
  std::shared_ptr<torch::jit::Graph> graph_;
  const Value* self_ = nullptr;
  FloatGraph g_;
  std::map<const Value*, Act> acts_;  // lookups only, never iterated (outputs stay deterministic)
  std::map<const Value*, std::vector<Act>> lists_;  // aten::chunk outputs, for prim::ListUnpack
  std::set<const Value*> packed_;     // lists/tuples holding activations
  std::vector<int> consumers_;        // per layer: how many layers read it so far
  std::map<std::string, int> counters_;
  std::set<std::string> used_;
  int node_index_ = 0;
  const Node* node_ = nullptr;
  int folded_bn_ = 0;
};

}  // namespace

namespace {

torch::jit::Module load_module(const std::string& path) {
  torch::jit::Module m;
  try {
    m = torch::jit::load(path);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    msg = msg.substr(0, msg.find('\n'));
    throw ImportError("cannot load TorchScript file '" + path + "': " + msg);
  }
  m.eval();
  return m;
}

FloatGraph read_module(const torch::jit::Module& m, const std::string& path, const ir::Shape& input, std::string* notes);
double float_graph_error(torch::jit::Module& m, const std::string& path, const FloatGraph& g, uint64_t seed);

}  // namespace

FloatGraph load_torchscript(const std::string& path, const ir::Shape& input, std::string* notes) {
  return read_module(load_module(path), path, input, notes);
}

double float_graph_error(const std::string& path, const FloatGraph& g, uint64_t seed) {
  torch::jit::Module m = load_module(path);
  return float_graph_error(m, path, g, seed);
}

namespace {

FloatGraph read_module(const torch::jit::Module& m, const std::string& path, const ir::Shape& input, std::string* notes) {
  std::string how;
  std::shared_ptr<torch::jit::Graph> graph;
  torch::jit::Module used = m;
  try {
    used = torch::jit::freeze_module(m);
    graph = used.get_method("forward").graph();
    how = "frozen (torch::jit::freeze_module)";
  } catch (const std::exception& e) {
    used = m;
    graph = m.get_method("forward").graph()->copy();
    std::string why = e.what();
    how = "inlined without freezing (freeze_module failed: " + why.substr(0, why.find('\n')) + ")";
  }
  torch::jit::Inline(*graph);
  std::string stem = std::filesystem::path(path).stem().string();
  if (stem.empty()) stem = "imported";
  Walker w(used, graph, input, stem);
  int folded = 0;
  FloatGraph g = w.run(folded);
  if (notes) *notes = "TorchScript graph " + how + ", " + std::to_string(folded) + " BatchNorm folded";
  return g;
}

}  // namespace

std::vector<FloatTensor> calibration_inputs(const ImportOptions& o, std::string* source) {
  std::vector<FloatTensor> xs;
  const uint32_t n = std::max<uint32_t>(1, o.calib_images);
  if (!o.random_calibration && o.input.h == 28 && o.input.w == 28 && o.input.c == 1) {
    const std::string dir = o.dataset_dir.empty() ? data::default_dataset_dir() : o.dataset_dir;
    try {
      const data::Dataset d = data::load_fashion_mnist(dir, "train", n);
      for (uint32_t i = 0; i < d.count; ++i) {
        FloatTensor x(28 * 28);
        for (size_t k = 0; k < x.size(); ++k) x[k] = d.image(i)[k] / 255.0f;
        xs.push_back(std::move(x));
      }
      if (source) *source = std::to_string(d.count) + " Fashion-MNIST training images (max calibration)";
      return xs;
    } catch (const std::exception& e) {
      if (source) *source = "Fashion-MNIST unreadable (" + std::string(e.what()) + "); ";
    }
  }
  std::mt19937_64 rng(o.seed);
  for (uint32_t i = 0; i < n; ++i) {
    FloatTensor x(o.input.elements());
    for (float& v : x) v = static_cast<float>((rng() >> 11) * 0x1.0p-53);  // uniform [0, 1)
    xs.push_back(std::move(x));
  }
  if (source) *source += std::to_string(n) + " random uniform [0,1) inputs, seed " + std::to_string(o.seed) + " (max calibration)";
  return xs;
}

namespace {

double float_graph_error(torch::jit::Module& m, const std::string& path, const FloatGraph& g, uint64_t seed) {
  const TorchFloatNet net(g);
  c10::InferenceMode guard;
  std::mt19937_64 rng(seed ^ 0x5eedf10a7ull);
  double worst = 0;
  for (int i = 0; i < 2; ++i) {
    FloatTensor x(g.input.elements());
    for (float& v : x) v = static_cast<float>((rng() >> 11) * 0x1.0p-53);  // uniform [0, 1)
    const torch::Tensor xt = hwc_to_nchw(x, g.input);
    const torch::Tensor want = m.forward({xt}).toTensor().to(torch::kFloat).contiguous().view(-1);
    const torch::Tensor got = net.forward(xt).contiguous().view(-1);
    if (want.numel() != got.numel())
      throw ImportError("the float graph read from " + path + " has " + std::to_string(got.numel()) +
                        " outputs, its TorchScript forward " + std::to_string(want.numel()));
    const double scale = std::max(1e-12, want.abs().max().item<double>());
    worst = std::max(worst, (got - want).abs().max().item<double>() / scale);
  }
  return worst;
}

}  // namespace

double int8_sqnr_db(const ir::Graph& q, const FloatGraph& g, uint32_t inputs, uint64_t seed) {
  const TorchFloatNet net(g);
  const float in_scale = q.input().out_scale, out_scale = q.nodes.at(static_cast<size_t>(q.output)).out_scale;
  std::mt19937_64 rng(seed ^ 0x5c0a1e5ull);
  double signal = 0, noise = 0;
  for (uint32_t i = 0; i < inputs; ++i) {
    FloatTensor x(g.input.elements());
    reference::Tensor xq(x.size());
    for (size_t k = 0; k < x.size(); ++k) {
      xq[k] = static_cast<int8_t>(std::clamp<long>(std::lround(((rng() >> 11) * 0x1.0p-53) / in_scale), -128, 127));
      x[k] = xq[k] * in_scale;  // both see the same (quantised) input
    }
    const FloatTensor f = nchw_to_hwc(net.forward(hwc_to_nchw(x, g.input)));
    const reference::Tensor y = reference::run(q, xq);
    if (y.size() != f.size()) throw ImportError("int8 and float outputs differ in size");
    for (size_t k = 0; k < f.size(); ++k) {
      const double d = double{f[k]} - static_cast<double>(y[k]) * out_scale;
      signal += double{f[k]} * f[k];
      noise += d * d;
    }
  }
  return noise > 0 ? 10.0 * std::log10(signal / noise) : std::numeric_limits<double>::infinity();
}

ir::Graph import_torchscript(const ImportOptions& o) {
  auto t = std::chrono::steady_clock::now();
  auto step = [&](const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    if (o.progress) {
      char secs[32];
      std::snprintf(secs, sizeof secs, " (%.1f s)", std::chrono::duration<double>(now - t).count());
      o.progress(what + secs);
    }
    t = now;
  };
  std::string how;
  if (o.threads > 0) at::set_num_threads(o.threads);
  torch::jit::Module module = load_module(o.model_path);
  FloatGraph g = read_module(module, o.model_path, o.input, &how);
  step("import: read " + std::to_string(g.layers.size()) + " layers, " + std::to_string(g.parameter_count()) + " parameters");
  const double float_error = float_graph_error(module, o.model_path, g, o.seed);
  if (!(float_error <= kMaxFloatGraphError))
    throw ImportError("the float graph read from " + o.model_path + " differs from its TorchScript forward by " +
                      std::to_string(float_error) + " (relative; at most " + std::to_string(kMaxFloatGraphError) +
                      " expected): an operator is read wrongly");
  {
    char e[64];
    std::snprintf(e, sizeof e, "%.1e", float_error);
    how += "; float graph vs TorchScript forward: relative error " + std::string(e);
  }
  step("import: float graph checked against the TorchScript forward");
  try {
    prune_float_graph(g, o.sparsity, o.block_o, o.block_i);
  } catch (const std::exception& e) {
    throw ImportError(std::string("pruning: ") + e.what());
  }
  step("import: pruned");
  std::string source;
  const std::vector<FloatTensor> xs = calibration_inputs(o, &source);
  const std::vector<float> scales = scales_from_max(g, calibrate_max_abs_torch(g, xs));
  step("import: calibrated on " + std::to_string(xs.size()) + " inputs (LibTorch float forward)");
  ir::Provenance prov;
  prov.dataset = source.find("Fashion-MNIST training images") != std::string::npos ? "fashion-mnist" : "random";
  prov.model = std::filesystem::path(o.model_path).filename().string();
  std::ostringstream notes;
  notes << "imported from " << prov.model << ": " << how << "; " << o.block_o << "x" << o.block_i
        << " L2 row-balanced block pruning at " << o.sparsity << " (first conv dense), no fine-tuning; int8 per-channel weights; "
        << "activation scales from " << source;
  prov.notes = notes.str();
  ir::Graph out = quantize_float_graph(g, scales, prov, o.block_o, o.block_i);
  try {
    out.validate();
  } catch (const std::exception& e) {
    throw ImportError(std::string("imported graph is invalid: ") + e.what());
  }
  step("import: quantised to int8");
  // A bias the int32 accumulator cannot hold (the activations before its layer nearly vanish, as in
  // some untrained networks) is clamped: say so, the int8 layer no longer computes the float one.
  size_t saturated = 0;
  std::string first;
  for (const ir::Node& n : out.nodes)
    for (int32_t b : n.bias)
      if (b >= kBiasLimit || b <= -kBiasLimit) {
        if (saturated++ == 0) {
          char sc[32];
          std::snprintf(sc, sizeof sc, "%.1e", out.nodes.at(static_cast<size_t>(n.inputs.at(0))).out_scale);
          first = n.name + ", input scale " + sc;
        }
      }
  if (saturated > 0) {
    const std::string w = "warning: " + std::to_string(saturated) + " int32 biases saturate (first in layer " + first +
                          "): the activations before them nearly vanish; such a layer computes a bias clamped to "
                          "+-2^30";
    out.provenance.notes += "; " + w;
    if (o.progress) o.progress("import: " + w);
  }
  if (o.sqnr_inputs > 0) {
    char db[96];
    std::snprintf(db, sizeof db, "; int8 reference vs float output: SQNR %.1f dB over %u random inputs",
                  int8_sqnr_db(out, g, o.sqnr_inputs, o.seed), o.sqnr_inputs);
    out.provenance.notes += db;
    step("import: int8 reference run for the SQNR");
  }
  return out;
}

}  // namespace saie::trainer
