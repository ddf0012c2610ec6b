// bundle_io.h — read and write a model bundle (model.json + weights.safetensors).
// Format: docs/bundle-format.md. Writes go to temporary names, then rename (nothing lost on failure).
#pragma once

#include <stdexcept>
#include <string>

#include "model/ir/graph.h"

namespace saie::bundle {

struct BundleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads <dir>/model.json and <dir>/weights.safetensors; validates (Graph::validate). Throws BundleError.
ir::Graph read_bundle(const std::string& dir);
// Writes both files into dir (created if missing). Throws BundleError.
void write_bundle(const ir::Graph& g, const std::string& dir);

}  // namespace saie::bundle
