// lower_layer.h — turns one planned layer into one isa::Phase: shim/memtile/core BDs, DMA
// tasks, stream routes, lock initial values and core programs (docs/program-format.md,
// "How the compiler uses it").
#pragma once

#include "model/ir/graph.h"
#include "compiler/schedule/ddr_plan.h"
#include "compiler/schedule/layer_plan.h"
#include "compiler/target/target_model.h"
#include "hw/isa/program.h"

namespace saie::lower {

// Lock numbers. Memtile: one lock per incoming stream that gates an outgoing one.
inline constexpr uint8_t kMemLockIn = 0;   // input slice landed (released once)
inline constexpr uint8_t kMemLockW = 1;    // weights landed (released once per core row) / add: operand B landed
inline constexpr uint8_t kMemLockOut = 2;  // a core row's output channels landed (one release per core row and band)
inline constexpr uint8_t kMemLockSpace = 3;  // band parts the gathers may land before WRITE takes them (when needed)
inline constexpr uint8_t kMemLockOut2 = 4, kMemLockSpace2 = 5;  // the same for the second WRITE part (bottom bands)
inline constexpr uint8_t kMemLockIn2 = 15;  // pools: the bottom part of an input slice loaded on two channels
inline constexpr uint8_t kMemLockRes0 = 6;   // fused add: residual landed / passed to core row r (6 + r)
// Pools: input band passed from core row r - 1's channel to row r's (kMemLockPass0 + r, r >= 1;
// row 0 takes kMemLockIn). The same locks as the residual's brigade (a pool has no residual).
inline constexpr uint8_t kMemLockPass0 = kMemLockRes0;
// Pixel-row convs: output band landed by core row r - 1, passed to row r's gather (16 + r, r >= 1).
inline constexpr uint8_t kMemLockGather0 = 16;
// Locks the lowering numbers up to (check_config requires at least these many).
inline constexpr uint8_t kMemLocksUsed = 24;
inline constexpr uint8_t kCoreLocksUsed = 8;
// Core tile (ping-pong pairs: *_prod counts free buffers, init 2; *_cons counts full ones, init 0).
inline constexpr uint8_t kCoreInProd = 0, kCoreInCons = 1;
inline constexpr uint8_t kCoreOutProd = 2, kCoreOutCons = 3;
inline constexpr uint8_t kCoreWCons = 4;                     // conv: weights arrived
inline constexpr uint8_t kCoreWProd = 5;  // conv, chunk loop: free weight buffers (init 2; no fused add)
inline constexpr uint8_t kCoreBProd = 4, kCoreBCons = 5;     // add: operand B ping-pong
inline constexpr uint8_t kCoreResProd = 6, kCoreResCons = 7;  // conv with a fused add: residual ping-pong

isa::Phase lower_layer(const ir::Graph& g, const schedule::LayerPlan& plan, const schedule::DdrPlan& ddr,
                       const target::TargetModel& tm);

}  // namespace saie::lower
