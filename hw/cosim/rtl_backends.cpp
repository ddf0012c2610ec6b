// rtl_backends.cpp — see rtl_backends.h.
#include "hw/cosim/rtl_backends.h"

#include "hw/cosim/lock_transactor.h"
#include "hw/cosim/mac_transactor.h"
#include "hw/cosim/stream_transactor.h"

namespace saie::hw {

RtlBackends::RtlBackends(const RtlOptions& opt, SimContext& ctx) : opt_(opt), ctx_(ctx) {
  const auto& cfg = ctx.cfg;
  report_.locks.reserve(size_t{cfg.columns} * cfg.core_rows);
  report_.streams.reserve(size_t{cfg.columns} * cfg.core_rows * cfg.core.dma.s2mm_channels);
}

std::unique_ptr<ComputeBackend> RtlBackends::compute(isa::TileId tile) {
  if (!opt_.mac || !opt_.covers(tile)) return nullptr;
  return std::make_unique<MacTransactor>(tile, ctx_, opt_, report_);
}

std::unique_ptr<LockBackend> RtlBackends::locks(isa::TileId tile, uint32_t count) {
  if (!opt_.lock || !opt_.covers(tile)) return nullptr;
  report_.locks.emplace_back();  // reserved: the reference stays valid
  return std::make_unique<LockTransactor>("rtl_lock", tile, count, ctx_, opt_, report_.locks.back());
}

std::unique_ptr<StreamPortBackend> RtlBackends::stream_port(isa::TileId tile, uint32_t s2mm_channel,
                                                            const std::string& channel_label) {
  if (!opt_.stream || !opt_.covers(tile)) return nullptr;
  report_.streams.emplace_back();  // reserved: the reference stays valid
  const std::string name = "rtl_port_s2mm_" + std::to_string(s2mm_channel);
  return std::make_unique<StreamPortTransactor>(name.c_str(), channel_label, track_prefix(tile) + "." + name, ctx_, opt_,
                                                report_.streams.back());
}

}  // namespace saie::hw
