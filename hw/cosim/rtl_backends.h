// rtl_backends.h — the BackendProvider of an RTL co-simulation (`simulate --rtl mac,lock,stream`):
// for the compute tiles RtlOptions covers it hands out the transactors that put the Verilated
// blocks of hw/rtl under the models — MacTransactor (compute: conv MACs in block_mac.v),
// LockTransactor (locks: lock_unit.sv) and StreamPortTransactor (S2MM stream inputs:
// stream_port.v) — and collects what they report.
#pragma once

#include <memory>
#include <string>

#include "hw/cosim/rtl_cosim.h"
#include "hw/sim/backends.h"
#include "hw/sim/sim_context.h"

namespace saie::hw {

class RtlBackends : public BackendProvider {
 public:
  RtlBackends(const RtlOptions& opt, SimContext& ctx);
  std::unique_ptr<ComputeBackend> compute(isa::TileId tile) override;
  std::unique_ptr<LockBackend> locks(isa::TileId tile, uint32_t count) override;
  std::unique_ptr<StreamPortBackend> stream_port(isa::TileId tile, uint32_t s2mm_channel, const std::string& channel_label) override;
  const RtlReport& report() const { return report_; }

 private:
  RtlOptions opt_;
  SimContext& ctx_;
  RtlReport report_;  // the transactors keep references into its vectors (reserved up front)
};

}  // namespace saie::hw
