// passes.cpp — the default pass pipeline and its verifier-after-each-pass driver.
#include "compiler/passes/passes.h"

#include <algorithm>
#include <stdexcept>

namespace saie::passes {

void remove_node(ir::Graph& g, int victim, int replacement) {
  auto remap = [&](int i) { return i == victim ? replacement : (i > victim ? i - 1 : i); };
  g.nodes.erase(g.nodes.begin() + victim);
  for (ir::Node& n : g.nodes)
    for (int& in : n.inputs) in = remap(in);
  g.output = remap(g.output);
}

const std::vector<Pass>& default_passes() {
  static const std::vector<Pass> list = {
      {"fuse-relu", [](ir::Graph& g, const PassOptions&) { fuse_relu(g); }},
      {"fuse-add", [](ir::Graph& g, const PassOptions& o) { fuse_add(g, o.fuse_add_worth); }},
      {"concat-copy", [](ir::Graph& g, const PassOptions&) { concat_copy(g); }},
  };
  return list;
}

void run_default_passes(ir::Graph& g, const PassOptions& opt) {
  try {
    g.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("before passes: ") + e.what());
  }
  for (const Pass& p : default_passes()) {
    if (std::find(opt.skip.begin(), opt.skip.end(), p.name) != opt.skip.end()) continue;
    p.run(g, opt);
    try {
      g.validate();
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("after pass '") + p.name + "': " + e.what());
    }
    if (opt.after_pass) opt.after_pass(p.name, g);
  }
}

}  // namespace saie::passes
