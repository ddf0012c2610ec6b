// memory.cpp — byte memory TLM target with per-port occupancy timing.
#include "hw/mem/memory.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace saie::hw {

Memory::Memory(sc_core::sc_module_name name, uint64_t size_bytes, double port_bytes_per_cycle, SimContext& ctx)
    : sc_core::sc_module(name),
      socket("socket"),
      ctx_(ctx),
      port_bytes_per_cycle_(port_bytes_per_cycle > 0 ? port_bytes_per_cycle : 1.0),
      data_(size_bytes) {
  socket.register_b_transport(this, &Memory::b_transport);
  socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
}

void Memory::check_range(uint64_t addr, uint64_t n) const {
  if (addr > data_.size() || n > data_.size() - addr)
    throw std::out_of_range(std::string(name()) + ": access [" + std::to_string(addr) + ", " +
                            std::to_string(addr + n) + ") outside " + std::to_string(data_.size()) + " bytes");
}

void Memory::write_backdoor(uint64_t addr, const uint8_t* src, uint64_t n) {
  check_range(addr, n);
  if (n) std::memcpy(data_.data() + addr, src, n);
}

void Memory::read_backdoor(uint64_t addr, uint8_t* dst, uint64_t n) const {
  check_range(addr, n);
  if (n) std::memcpy(dst, data_.data() + addr, n);
}

void Memory::enable_banks(uint32_t banks) {
  banks_ = std::min<uint32_t>(banks, 64);
  bank_bytes_ = banks_ ? (data_.size() + banks_ - 1) / banks_ : 0;
  st_conflict_ = std::make_unique<StatCounter>(ctx_, std::string(name()) + ".bank_conflict_cycles", "cycles",
                                               "extra DMA cycles from bank conflicts with the core");
}

uint64_t Memory::bank_mask(uint64_t addr, uint64_t n) const {
  if (!banks_ || n == 0) return 0;
  const uint64_t first = addr / bank_bytes_, last = std::min<uint64_t>((addr + n - 1) / bank_bytes_, banks_ - 1);
  uint64_t m = 0;
  for (uint64_t b = first; b <= last && b < banks_; ++b) m |= uint64_t{1} << b;
  return m;
}

double& Memory::port_busy(int port) {
  if (port >= static_cast<int>(busy_until_.size())) busy_until_.resize(port + 1, 0.0);
  return busy_until_[port];
}

double Memory::occupy(int port, bool /*write*/, uint64_t bytes, double start) {
  double& busy = port_busy(port);
  double s = std::max(start, busy);
  busy = s + static_cast<double>(bytes) / port_bytes_per_cycle_;
  return busy;
}

void Memory::b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  uint64_t addr = tx.get_address();
  uint64_t n = tx.get_data_length();
  if (tx.get_byte_enable_ptr() != nullptr) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (addr > data_.size() || n > data_.size() - addr) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  bool write = tx.is_write();
  if (write)
    std::memcpy(data_.data() + addr, tx.get_data_ptr(), n);
  else if (tx.is_read())
    std::memcpy(tx.get_data_ptr(), data_.data() + addr, n);
  double now = ctx_.now_exact();
  double start = now + delay / ctx_.cycle;
  double end = occupy(id, write, n, start);
  if (banks_ && core_mask_ && n > 0 && end > core_begin_ && start < core_end_) {
    // Bytes of this access in banks the core is using, scaled by the time overlap.
    uint64_t clash = 0;
    for (uint64_t b = addr / bank_bytes_; b < banks_ && b * bank_bytes_ < addr + n; ++b)
      if (core_mask_ >> b & 1)
        clash += std::min(addr + n, (b + 1) * bank_bytes_) - std::max(addr, b * bank_bytes_);
    const double span = std::max(end - start, 1e-9);
    const double overlap = std::min(end, core_end_) - std::max(start, core_begin_);
    const double extra = static_cast<double>(clash) / port_bytes_per_cycle_ * std::clamp(overlap / span, 0.0, 1.0);
    if (extra > 0) {
      end += extra;
      port_busy(id) = end;
      st_conflict_->add(extra);
    }
  }
  delay = ctx_.cycle * (end - now);
  tx.set_dmi_allowed(true);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool Memory::get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_dmi_ptr(data_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(data_.empty() ? 0 : data_.size() - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(sc_core::SC_ZERO_TIME);
  dmi.set_write_latency(sc_core::SC_ZERO_TIME);
  return true;
}

}  // namespace saie::hw
