// memtile_bus.cpp — routes memtile DMA transactions to the own / west / east memory.
#include "hw/mem/memtile_bus.h"

namespace saie::hw {

MemtileBus::MemtileBus(sc_core::sc_module_name name, uint64_t region_bytes)
    : sc_core::sc_module(name), target("target"), own("own"), west("west"), east("east"), region_(region_bytes) {
  target.register_b_transport(this, &MemtileBus::b_transport);
  target.register_get_direct_mem_ptr(this, &MemtileBus::get_direct_mem_ptr);
}

MemtileBus::InitiatorSocket& MemtileBus::socket_of(isa::MemRegion r) {
  return r == isa::MemRegion::Own ? own : r == isa::MemRegion::West ? west : east;
}

void MemtileBus::bind_region(isa::MemRegion r, Memory& mem, uint32_t ports) {
  InitiatorSocket& s = socket_of(r);
  for (uint32_t i = 0; i < ports; ++i) s.bind(mem.socket);
}

bool MemtileBus::route(int id, tlm::tlm_generic_payload& tx, isa::MemRegion* r, uint64_t* offset) {
  const uint64_t addr = tx.get_address(), n = tx.get_data_length();
  const uint64_t k = region_ > 0 ? addr / region_ : 3;
  // One region, connected for this channel; the memory itself checks the end of the access.
  if (k > 2 || (n > 0 && (addr + n - 1) / region_ != k) || id < 0 ||
      static_cast<unsigned>(id) >= socket_of(static_cast<isa::MemRegion>(k)).size()) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return false;
  }
  *r = static_cast<isa::MemRegion>(k);
  *offset = k * region_;
  return true;
}

void MemtileBus::b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  isa::MemRegion r = isa::MemRegion::Own;
  uint64_t offset = 0;
  if (!route(id, tx, &r, &offset)) return;
  const uint64_t addr = tx.get_address();
  tx.set_address(addr - offset);
  socket_of(r)[id]->b_transport(tx, delay);
  tx.set_address(addr);
  // A DMI grant would describe the target memory's own addresses, not this map.
  if (r != isa::MemRegion::Own) tx.set_dmi_allowed(false);
}

bool MemtileBus::get_direct_mem_ptr(int, tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.allow_none();  // channels use b_transport (timed); no direct pointers through the bus
  return false;
}

}  // namespace saie::hw
