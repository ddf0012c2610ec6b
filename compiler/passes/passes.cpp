// passes.cpp — the default pass pipeline and its verifier-after-each-pass driver.
#include "compiler/passes/passes.h"

#include <stdexcept>

namespace saie::passes {

const std::vector<Pass>& default_passes() {
  static const std::vector<Pass> list = {
      {"fuse-relu", &fuse_relu},
  };
  return list;
}

void run_default_passes(ir::Graph& g) {
  try {
    g.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("before passes: ") + e.what());
  }
  for (const Pass& p : default_passes()) {
    p.run(g);
    try {
      g.validate();
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("after pass '") + p.name + "': " + e.what());
    }
  }
}

}  // namespace saie::passes
