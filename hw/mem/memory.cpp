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
      data_(size_bytes, 0) {
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
