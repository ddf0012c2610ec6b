// passes.h — graph-to-graph rewrites run before lowering; one pass per file, named after it.
#pragma once

#include <string>
#include <vector>

#include "model/ir/graph.h"

namespace saie::passes {

// "fuse-relu": a standalone Relu whose producer is a Conv, Fc or Add, and which is that
// producer's only consumer (the producer not being the graph output), is folded into the
// producer's `relu` flag and removed. Consumers of the Relu are re-pointed to the producer,
// g.output is fixed, node order stays topological. Repeats until nothing changes.
void fuse_relu(ir::Graph& g);

struct Pass {
  const char* name;  // registered name, e.g. "fuse-relu" (file fuse_relu.cpp)
  void (*run)(ir::Graph&);
};

// The default pipeline, in order.
const std::vector<Pass>& default_passes();

// Validates g, then runs every default pass, validating after each. Throws std::runtime_error
// ("after pass 'fuse-relu': node 'x': ...") on the first problem.
void run_default_passes(ir::Graph& g);

}  // namespace saie::passes
