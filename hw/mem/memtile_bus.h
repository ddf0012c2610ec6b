// memtile_bus.h — the memtile DMA's view of memory: its own memory plus, for channels 0..3, the
// memories of its west and east neighbour memtiles (AIE-ML: memtile DMA channels 0-3 reach the
// east/west neighbours).
//
// Address map (ours, docs/program-format.md "Memtile neighbour access"; the hardware's differs):
// with S = region_bytes, [0, S) own memory, [S, 2S) the west neighbour's, [2S, 3S) the east
// neighbour's. Each transaction is forwarded with its address rebased into the chosen memory
// and must lie inside one region; a neighbour that is not connected (array edge) answers
// TLM_ADDRESS_ERROR_RESPONSE.
//
// Ports: every channel bound to `target` (index i, in binding order) gets its own port i on
// each of `own`, `west` and `east` (bind_region binds `ports` of them), so each channel keeps a
// busy-until of its own in every memory it reaches: a neighbour access occupies a port of the
// neighbour memory that none of the neighbour's own channels uses. No added latency: the bus
// only routes.
#pragma once

#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include "hw/isa/program.h"
#include "hw/mem/memory.h"

namespace saie::hw {

class MemtileBus : public sc_core::sc_module {
 public:
  using InitiatorSocket = tlm_utils::multi_passthrough_initiator_socket<MemtileBus, 32, tlm::tlm_base_protocol_types, 0,
                                                                         sc_core::SC_ZERO_OR_MORE_BOUND>;
  tlm_utils::multi_passthrough_target_socket<MemtileBus> target;  // the DMA channels
  InitiatorSocket own, west, east;

  MemtileBus(sc_core::sc_module_name name, uint64_t region_bytes);

  // Binds `ports` initiator ports of region r to `mem` (port i serves target binding i). Call
  // once per region, with ports = the number of channels bound to `target`.
  void bind_region(isa::MemRegion r, Memory& mem, uint32_t ports);
  uint64_t region_bytes() const { return region_; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  InitiatorSocket& socket_of(isa::MemRegion r);
  // The region of [addr, addr + n), or false (tx answered) when it is not one connected region.
  bool route(int id, tlm::tlm_generic_payload& tx, isa::MemRegion* r, uint64_t* offset);

  uint64_t region_;
};

}  // namespace saie::hw
