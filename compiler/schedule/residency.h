// residency.h — which activations stay in the memtiles between phases, and where every phase's
// memtile regions go (liveness-based allocation over the whole program).
//
// A tensor stays on chip ("resident") when its producer and every consumer are single width-split
// pieces with the same columns, and every consumer reads exactly the producer's output slice (all
// rows and channels, no halo: a 1x1 stride-1 conv or pool, an add operand, a fused add's
// residual), or when its producer is one column-group piece and every consumer one column-group
// add or pool taking the same channel group in every column (placed after the weights, where
// their prefetches leave room). It then has one region in every memtile from its producer's phase to its last
// reader's; the producer writes it to DDR only when the network output is it. A fused add whose
// output overwrites its residual (LayerPlan::in_place) keeps using the residual's region. The
// pieces of one layer that read the same input slice one after another (group-innermost order)
// keep it too. Every other memtile buffer of a phase (input / output slices that go through DDR,
// weights without slots) is placed first-fit around the regions alive in that phase; a tensor
// whose region would leave a phase without room stays in DDR.
#pragma once

#include <vector>

#include "compiler/schedule/ddr_plan.h"
#include "compiler/schedule/layer_plan.h"
#include "compiler/target/target_model.h"
#include "model/ir/graph.h"

namespace saie::schedule {

// Decides residency over `plans` (program order) and re-places every phase's memtile layout:
// sets in_resident, skip_write and mem.{x, w, r, y, end}. memtile_residency = false keeps every
// tensor in DDR (layouts still placed by the same allocator).
void assign_residency(std::vector<LayerPlan>& plans, const ir::Graph& g, const DdrPlan& ddr,
                      const target::TargetModel& tm, bool memtile_residency);

}  // namespace saie::schedule
