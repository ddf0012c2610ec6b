// ddr_model.cpp — DDR occupancy: per-channel read/write rate plus a shared total bandwidth.
#include "hw/ddr/ddr_model.h"

#include <algorithm>

namespace saie::hw {

DdrModel::DdrModel(sc_core::sc_module_name name, SimContext& ctx)
    : Memory(name, ctx.ddr_bytes ? ctx.ddr_bytes : ctx.cfg.ddr.size_bytes, ctx.cfg.ddr.read_bytes_per_cycle, ctx) {}

double DdrModel::occupy(int port, bool write, uint64_t bytes, double start) {
  const auto& d = ctx_.cfg.ddr;
  double port_rate = write ? d.write_bytes_per_cycle : d.read_bytes_per_cycle;
  double total_rate = d.total_bytes_per_cycle;
  if (port_rate <= 0) port_rate = 1;
  if (total_rate <= 0) total_rate = 1;
  double& busy = port_busy(port);
  const double s = std::max(start, busy);
  double end = s + static_cast<double>(bytes) / port_rate;
  // Shared total: take the bytes from the windows starting at s's (see ddr_model.h).
  const double budget = total_rate * kWindowCycles;
  auto w = static_cast<uint64_t>(s / kWindowCycles);
  double left = static_cast<double>(bytes);
  for (;;) {
    double& used = window_bytes_[w];
    const double take = std::min(left, budget - used);
    if (take > 0) {
      used += take;
      left -= take;
    }
    if (left <= 0) break;
    ++w;
  }
  const double last_window_end = static_cast<double>(w) * kWindowCycles + window_bytes_[w] / total_rate;
  if (w > static_cast<uint64_t>(s / kWindowCycles)) end = std::max(end, last_window_end);
  busy = end;
  // Forget windows far behind the simulation time.
  const auto old = static_cast<uint64_t>(std::max(0.0, ctx_.now_exact() / kWindowCycles - 1024));
  window_bytes_.erase(window_bytes_.begin(), window_bytes_.lower_bound(old));
  ctx_.stat(write ? "array.ddr.write_bytes" : "array.ddr.read_bytes", static_cast<double>(bytes), "B",
            write ? "bytes written to DDR by shim DMAs" : "bytes read from DDR by shim DMAs");
  return busy;
}

}  // namespace saie::hw
