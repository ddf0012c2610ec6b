// model_spec.cpp — layer lists of the trainer's models and their shape inference.
#include "trainer/models/model_spec.h"

#include <stdexcept>

namespace saie::trainer {
namespace {

LayerSpec conv(const std::string& name, const std::string& in, uint32_t cin, uint32_t cout, uint32_t stride, bool relu,
               bool prunable, bool bn = false) {
  LayerSpec l;
  l.name = name;
  l.kind = LayerKind::Conv;
  l.inputs = {in};
  l.cin = cin;
  l.cout = cout;
  l.kernel = 3;
  l.stride = stride;
  l.pad = 1;
  l.relu = relu;
  l.prunable = prunable;
  l.bn = bn;
  return l;
}

LayerSpec pool(const std::string& name, LayerKind kind, const std::string& in, uint32_t k) {
  LayerSpec l;
  l.name = name;
  l.kind = kind;
  l.inputs = {in};
  l.kernel = k;
  l.stride = k;
  return l;
}

LayerSpec add_relu(const std::string& name, const std::string& a, const std::string& b) {
  LayerSpec l;
  l.name = name;
  l.kind = LayerKind::Add;
  l.inputs = {a, b};
  l.relu = true;
  return l;
}

LayerSpec fc(const std::string& name, const std::string& in, uint32_t cin, uint32_t cout) {
  LayerSpec l;
  l.name = name;
  l.kind = LayerKind::Fc;
  l.inputs = {in};
  l.cin = cin;
  l.cout = cout;
  l.prunable = true;
  return l;
}

}  // namespace

int ModelSpec::index_of(const std::string& n) const {
  if (n == "input") return -1;
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == n) return static_cast<int>(i);
  throw std::runtime_error("model " + name + ": unknown layer '" + n + "'");
}

std::vector<TensorShape> ModelSpec::shapes() const {
  std::vector<TensorShape> out;
  out.reserve(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerSpec& l = layers[i];
    std::vector<TensorShape> ins;
    for (const auto& n : l.inputs) {
      const int j = index_of(n);
      if (j >= static_cast<int>(i)) throw std::runtime_error("model " + name + ": layer " + l.name + " uses a later layer");
      ins.push_back(j < 0 ? input : out[static_cast<size_t>(j)]);
    }
    if (ins.empty()) throw std::runtime_error("model " + name + ": layer " + l.name + " has no input");
    const TensorShape in = ins[0];
    TensorShape s;
    switch (l.kind) {
      case LayerKind::Conv:
      case LayerKind::MaxPool:
      case LayerKind::AvgPool: {
        if (in.h + 2 * l.pad < l.kernel || in.w + 2 * l.pad < l.kernel)
          throw std::runtime_error("model " + name + ": layer " + l.name + " kernel larger than its input");
        s.h = (in.h + 2 * l.pad - l.kernel) / l.stride + 1;
        s.w = (in.w + 2 * l.pad - l.kernel) / l.stride + 1;
        s.c = l.kind == LayerKind::Conv ? l.cout : in.c;
        if (l.kind == LayerKind::Conv && l.cin != in.c)
          throw std::runtime_error("model " + name + ": layer " + l.name + " expects " + std::to_string(l.cin) + " channels");
        break;
      }
      case LayerKind::Add:
        if (ins.size() != 2 || ins[0].h != ins[1].h || ins[0].w != ins[1].w || ins[0].c != ins[1].c)
          throw std::runtime_error("model " + name + ": layer " + l.name + " adds tensors of different shapes");
        s = in;
        break;
      case LayerKind::Fc:
        if (l.cin != in.c)
          throw std::runtime_error("model " + name + ": layer " + l.name + " expects " + std::to_string(l.cin) + " channels");
        s = TensorShape{1, 1, l.cout};
        break;
    }
    out.push_back(s);
  }
  return out;
}

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> n{"small-resnet", "resnet-s", "vgg-s", "tiny"};
  return n;
}

ModelSpec make_model_spec(const std::string& model) {
  ModelSpec m;
  m.name = model;
  if (model == "small-resnet") {
    m.layers = {
        conv("conv1", "input", 1, 16, 1, true, false),            // 28x28x16
        pool("pool1", LayerKind::MaxPool, "conv1", 2),            // 14x14x16
        conv("conv2", "pool1", 16, 32, 1, true, true),            // 14x14x32
        conv("conv3", "conv2", 32, 32, 2, true, true),            // 7x7x32
        conv("conv4", "conv3", 32, 32, 1, true, true),            // 7x7x32
        conv("conv5", "conv4", 32, 32, 1, false, true),           // 7x7x32, no ReLU before the add
        add_relu("add1", "conv3", "conv5"),                       // residual: ReLU(conv3 + conv5)
        pool("gap", LayerKind::AvgPool, "add1", 7),               // 1x1x32
        fc("fc", "gap", 32, 10),                                  // 10 logits
    };
  } else if (model == "resnet-s") {
    // Two residual stages (32 ch at 14x14, 64 ch at 7x7), BatchNorm after every conv.
    m.layers = {
        conv("conv1", "input", 1, 32, 1, true, false, true),       // 28x28x32
        pool("pool1", LayerKind::MaxPool, "conv1", 2),             // 14x14x32
        conv("conv2", "pool1", 32, 32, 1, true, true, true),       // 14x14x32
        conv("conv3", "conv2", 32, 32, 1, false, true, true),      // 14x14x32
        add_relu("add1", "pool1", "conv3"),                        // ReLU(pool1 + conv3)
        conv("conv4", "add1", 32, 64, 2, true, true, true),        // 7x7x64
        conv("conv5", "conv4", 64, 64, 1, true, true, true),       // 7x7x64
        conv("conv6", "conv5", 64, 64, 1, false, true, true),      // 7x7x64
        add_relu("add2", "conv4", "conv6"),                        // ReLU(conv4 + conv6)
        pool("gap", LayerKind::AvgPool, "add2", 7),                // 1x1x64
        fc("fc", "gap", 64, 10),                                   // 10 logits
    };
  } else if (model == "vgg-s") {
    // VGG-style: stacks of 3x3 conv + BatchNorm + ReLU and 2x2 max pools, no skip connections;
    // a global-average-pool head instead of VGG's large fc layers (keeps it small for 28x28).
    m.layers = {
        conv("conv1", "input", 1, 32, 1, true, false, true),  // 28x28x32
        conv("conv2", "conv1", 32, 32, 1, true, true, true),  // 28x28x32
        pool("pool1", LayerKind::MaxPool, "conv2", 2),        // 14x14x32
        conv("conv3", "pool1", 32, 64, 1, true, true, true),  // 14x14x64
        conv("conv4", "conv3", 64, 64, 1, true, true, true),  // 14x14x64
        pool("pool2", LayerKind::MaxPool, "conv4", 2),        // 7x7x64
        conv("conv5", "pool2", 64, 64, 1, true, true, true),  // 7x7x64
        pool("gap", LayerKind::AvgPool, "conv5", 7),          // 1x1x64
        fc("fc", "gap", 64, 10),                              // 10 logits
    };
  } else if (model == "tiny") {
    m.layers = {
        conv("conv1", "input", 1, 8, 1, true, false),             // 28x28x8
        pool("pool1", LayerKind::MaxPool, "conv1", 2),            // 14x14x8
        conv("conv2", "pool1", 8, 16, 2, true, true),             // 7x7x16
        conv("conv3", "conv2", 16, 16, 1, false, true),           // 7x7x16
        add_relu("add1", "conv2", "conv3"),                       // ReLU(conv2 + conv3)
        pool("gap", LayerKind::AvgPool, "add1", 7),               // 1x1x16
        fc("fc", "gap", 16, 10),                                  // 10 logits
    };
  } else {
    throw std::runtime_error("unknown model '" + model + "' (expected small-resnet, resnet-s, vgg-s or tiny)");
  }
  m.shapes();  // fail early if the list is inconsistent
  return m;
}

}  // namespace saie::trainer
