// bundle_export.cpp — float layers + scales -> quantised ir::Graph -> bundle (see bundle_export.h).
#include "trainer/export/bundle_export.h"

#include <stdexcept>

#include "model/bundle/bundle_io.h"
#include "trainer/quant/quantize.h"

namespace saie::trainer {

ir::Graph build_graph(const ModelSpec& spec, const std::vector<LayerParams>& params, const std::vector<float>& out_scales,
                      const ir::Provenance& provenance, uint32_t block_o, uint32_t block_i) {
  const size_t n = spec.layers.size();
  if (params.size() != n || out_scales.size() != n)
    throw std::runtime_error("export of model " + spec.name + ": parameters/scales not aligned with its layers");
  const std::vector<TensorShape> shapes = spec.shapes();

  ir::Graph g;
  g.name = "fmnist-" + spec.name;
  g.block_o = block_o;
  g.block_i = block_i;
  g.provenance = provenance;

  ir::Node in;
  in.name = "input";
  in.op = ir::OpKind::Input;
  in.out = ir::Shape{spec.input.h, spec.input.w, spec.input.c};
  in.out_scale = kInputScale;
  g.nodes.push_back(in);

  auto shape_of = [&](int layer) { return layer < 0 ? spec.input : shapes[static_cast<size_t>(layer)]; };
  auto scale_of = [&](int layer) { return layer < 0 ? kInputScale : out_scales[static_cast<size_t>(layer)]; };

  for (size_t i = 0; i < n; ++i) {
    const LayerSpec& l = spec.layers[i];
    const LayerParams& p = params[i];
    ir::Node node;
    node.name = l.name;
    node.out = ir::Shape{shapes[i].h, shapes[i].w, shapes[i].c};
    node.out_scale = out_scales[i];
    node.relu = l.relu;
    std::vector<int> in_layers;
    for (const auto& nm : l.inputs) {
      const int j = spec.index_of(nm);
      in_layers.push_back(j);
      node.inputs.push_back(j + 1);  // graph index: the input node is 0
    }
    const TensorShape in_shape = shape_of(in_layers.at(0));
    const float in_scale = scale_of(in_layers.at(0));
    if (!(node.out_scale > 0.0f)) throw std::runtime_error("layer " + l.name + ": output scale must be positive");

    switch (l.kind) {
      case LayerKind::MaxPool:
      case LayerKind::AvgPool:
        node.op = l.kind == LayerKind::MaxPool ? ir::OpKind::MaxPool : ir::OpKind::AvgPool;
        node.kh = node.kw = l.kernel;
        node.stride_h = node.stride_w = l.stride;
        node.pad_h = node.pad_w = l.pad;
        node.relu = false;
        if (node.out_scale != in_scale)
          throw std::runtime_error("layer " + l.name + ": pool output scale must equal its input scale");
        break;
      case LayerKind::Add:
        node.op = ir::OpKind::Add;
        break;
      case LayerKind::Conv:
      case LayerKind::Fc: {
        const bool is_fc = l.kind == LayerKind::Fc;
        node.op = is_fc ? ir::OpKind::Fc : ir::OpKind::Conv;
        const uint32_t kh = is_fc ? in_shape.h : l.kernel, kw = is_fc ? in_shape.w : l.kernel;
        node.kh = kh;
        node.kw = kw;
        node.stride_h = node.stride_w = is_fc ? 1 : l.stride;
        node.pad_h = node.pad_w = is_fc ? 0 : l.pad;
        if (p.weight.size() != size_t{l.cout} * l.cin * kh * kw)
          throw std::runtime_error("layer " + l.name + ": weight has " + std::to_string(p.weight.size()) + " values, expected " +
                                   std::to_string(size_t{l.cout} * l.cin * kh * kw));
        if (p.bias.size() != l.cout) throw std::runtime_error("layer " + l.name + ": bias size differs from cout");
        const QuantizedWeights qw = quantize_weights_per_channel(p.weight, l.cout);
        node.weight = oihw_to_ohwi(qw.q, l.cout, l.cin, kh, kw);
        node.weight_scales = qw.scales;
        node.bias = quantize_bias(p.bias, in_scale, qw.scales);
        node.sparse = p.has_mask;
        if (p.has_mask) node.mask = p.mask;
        break;
      }
    }
    g.nodes.push_back(std::move(node));
  }
  g.output = static_cast<int>(g.nodes.size()) - 1;
  return g;
}

void export_bundle(const ir::Graph& g, const std::string& dir) { bundle::write_bundle(g, dir); }

}  // namespace saie::trainer
