// ddr_model.cpp — DDR occupancy: per-channel read/write rate plus a shared total bandwidth.
#include "hw/ddr/ddr_model.h"

#include <algorithm>

namespace saie::hw {

DdrModel::DdrModel(sc_core::sc_module_name name, SimContext& ctx)
    : Memory(name, ctx.cfg.ddr.size_bytes, ctx.cfg.ddr.read_bytes_per_cycle, ctx) {}

double DdrModel::occupy(int port, bool write, uint64_t bytes, double start) {
  const auto& d = ctx_.cfg.ddr;
  double port_rate = write ? d.write_bytes_per_cycle : d.read_bytes_per_cycle;
  double total_rate = d.total_bytes_per_cycle;
  if (port_rate <= 0) port_rate = 1;
  if (total_rate <= 0) total_rate = 1;
  double& busy = port_busy(port);
  double s = std::max({start, busy, total_busy_});
  // The shared bus is held for bytes/total; the channel for bytes/port_rate (both from s).
  total_busy_ = s + static_cast<double>(bytes) / total_rate;
  busy = std::max(s + static_cast<double>(bytes) / port_rate, total_busy_);
  ctx_.stat(write ? "array.ddr.write_bytes" : "array.ddr.read_bytes", static_cast<double>(bytes), "B",
            write ? "bytes written to DDR by shim DMAs" : "bytes read from DDR by shim DMAs");
  return busy;
}

}  // namespace saie::hw
