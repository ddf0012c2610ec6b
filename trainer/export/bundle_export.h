// bundle_export.h — turns trained float layers plus calibrated scales into the compiler's
// int8 ir::Graph (torch-free) and writes it as a bundle via saie::bundle::write_bundle.
#pragma once

#include <string>
#include <vector>

#include "model/ir/graph.h"
#include "trainer/models/model_spec.h"

namespace saie::trainer {

// Float parameters of one layer (only Conv/Fc layers carry any).
struct LayerParams {
  // Conv: PyTorch OIHW [cout][cin][k][k]. Fc: PyTorch Linear [cout][C*H*W] on a CHW flatten,
  // i.e. [cout][in_c][in_h][in_w]; the export permutes it to the bundle's HWC order.
  std::vector<float> weight;
  std::vector<float> bias;  // [cout]
  bool has_mask = false;    // true: exported with sparse = true and this mask
  ir::BlockMask mask;
};

// Builds the int8 graph: nodes[0] = Input "input" (scale kInputScale), then one node per spec
// layer (graph index = layer index + 1), weights quantised per output channel, biases with
// scale in_scale * w_scale. params and out_scales are aligned with spec.layers.
// Throws std::runtime_error naming the layer on inconsistent sizes.
ir::Graph build_graph(const ModelSpec& spec, const std::vector<LayerParams>& params, const std::vector<float>& out_scales,
                      const ir::Provenance& provenance, uint32_t block_o = 8, uint32_t block_i = 8);

// Writes g with saie::bundle::write_bundle(g, dir) (atomic; throws bundle::BundleError).
void export_bundle(const ir::Graph& g, const std::string& dir);

}  // namespace saie::trainer
