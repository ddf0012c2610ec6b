// passes.h — graph-to-graph rewrites run before lowering; one pass per file, named after it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/ir/graph.h"

namespace saie::passes {

// How many inputs of g's nodes name node `node` (a node reading it twice counts twice).
size_t use_count(const ir::Graph& g, int node);
// Folds the first node of kind `kind` into the node producing its one input, when `can(producer)`
// and the producer is not the graph output and feeds nothing else: `fold(producer, node)`, then
// the node is removed (its readers read the producer). Returns whether one was folded.
bool fold_into_producer(ir::Graph& g, ir::OpKind kind, const std::function<bool(const ir::Node&)>& can,
                        const std::function<void(ir::Node&, const ir::Node&)>& fold);
// A depthwise 1x1 conv reading node `src` of `shape` with every weight 1 (scale weight_scale) and
// bias 0: with weight_scale 1 and the source's scale it is an exact copy.
ir::Node identity_depthwise(const std::string& name, int src, const ir::Shape& shape, float out_scale,
                            float weight_scale);

// "fuse-relu": a standalone Relu whose producer is a Conv, Fc or Add, and which is that
// producer's only consumer (the producer not being the graph output), is folded into the
// producer's `relu` flag and removed. Consumers of the Relu are re-pointed to the producer,
// g.output is fixed, node order stays topological. Repeats until nothing changes.
void fuse_relu(ir::Graph& g);

// "fuse-lut": a Lut whose producer is a Conv or Fc (without a fused add) and which is that
// producer's only consumer (the producer not being the graph output) moves into the producer
// (ir::Node::lut, lut_in_scale: the conv requantises to its old scale, then looks up the table;
// out_scale becomes the table's) and is removed, like fuse-relu. A Lut anywhere else stays and the
// compiler rejects it.
void fuse_lut(ir::Graph& g);

// "fuse-add": an Add one of whose operands is a Conv used only by that Add (not the graph output)
// and whose other operand (the residual) comes earlier in the graph becomes part of that Conv
// (ir::Node::pre_add_scale): the Conv takes the residual as inputs[1], carries the Add's scale,
// ReLU and name ("conv+add"), and the Add is removed (its consumers read the Conv). Of two such
// Convs, the later one. Runs after fuse-relu, so the Add's ReLU is already folded into it.
// `worth(g, conv, add)`, when given, decides for each candidate whether to fuse it (the compiler
// weighs what fusing costs on its target); none = fuse every candidate.
using FuseAddWorth = std::function<bool(const ir::Graph&, int conv, int add)>;
void fuse_add(ir::Graph& g, const FuseAddWorth& worth = {});

// "mul-conv": every Mul (a feature map times a 1x1xC gate) becomes a gate conv (ir::Node::gate):
// a depthwise 1x1 conv whose diagonal weights are the gate's values at run time, so the planner,
// memory allocation and data movement of a depthwise conv carry it (the gate is the conv's
// weight blob, read from the gate's own buffer; the cores run the mul op on it).
void mul_conv(ir::Graph& g);

// "concat-copy": every concat input that cannot be written into the concat's buffer in place
// (it has other consumers, is the network input or the graph output) is replaced by a copy of
// it made just before the concat: a depthwise 1x1 conv with weight 1 and the source's scale, which
// reproduces its input exactly (requantisation factor 1). A concat with an input at a channel
// offset that is not a multiple of 8 first becomes the sum of its inputs, each placed into the
// whole width by an exact 1x1 copy conv (zeros elsewhere), through adds (x + 0 = x). A copy costs
// a conv phase; a DMA copy would be cheaper.
void concat_copy(ir::Graph& g);

// Removes node `victim`, re-pointing every reference to it at `replacement` (< victim) and
// shifting later indices down by one. Order stays topological because replacement < victim.
void remove_node(ir::Graph& g, int victim, int replacement);

// What the passes may need from their caller (the compiler's view of its target).
struct PassOptions {
  std::vector<std::string> skip;  // passes not to run
  FuseAddWorth fuse_add_worth;    // see fuse_add
  // Called after every pass that ran (and validated) with its name and the graph.
  std::function<void(const std::string& pass, const ir::Graph& g)> after_pass;
};

struct Pass {
  const char* name;  // registered name, e.g. "fuse-relu" (file fuse_relu.cpp)
  void (*run)(ir::Graph&, const PassOptions&);
};

// The default pipeline, in order.
const std::vector<Pass>& default_passes();

// Validates g, then runs every default pass not in opt.skip, validating after each. Throws
// std::runtime_error ("after pass 'fuse-relu': node 'x': ...") on the first problem.
void run_default_passes(ir::Graph& g, const PassOptions& opt = {});

}  // namespace saie::passes
