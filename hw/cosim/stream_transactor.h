// stream_transactor.h — an S2MM channel's stream input as the Verilated AXI4-Stream port
// (hw/rtl/stream_port.v, a 4-beat FIFO), under `--rtl stream` (fidelity beat only).
//
// The StreamFifo of the channel keeps the model's flow-control accounting (the sender reserves
// space, commits bytes that become visible after the hop latency; capacity = fifo_depth bytes),
// but the bytes travel through the RTL:
//   wire    committed bytes become 32-bit beats (tkeep marks a partial last beat of a commit) and
//           wait in the transactor until their arrival time (the hop latency);
//   s_axis  an arrived beat is offered in a cycle (tvalid held until tready) and taken at the
//           rising edge that ends it; a full port (4 beats) backpressures the wire;
//   m_axis  after an edge, the beat on m_* is what the receiving DMA channel may pop (one beat per
//           cycle: when it has consumed the beat, m_tready is high at the next edge).
// A clocked SC_THREAD drives an edge per cycle while a beat can move and sleeps otherwise (the
// port holds its state). tlast is driven 0: the model's streams carry no packet boundaries.
//
// Scoreboard: every beat that appears on m_* must be the next beat the sender committed (same
// bytes, same tkeep): a lost, duplicated or altered beat fails the run with one line naming the
// channel — which is how the no-backpressure variant is caught.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <systemc>

#include "hw/cosim/rtl_cosim.h"
#include "hw/sim/backends.h"
#include "hw/sim/sim_context.h"

namespace saie::hw {

class StreamPortTransactor : public sc_core::sc_module, public StreamPortBackend {
 public:
  SC_HAS_PROCESS(StreamPortTransactor);
  StreamPortTransactor(sc_core::sc_module_name name, const std::string& channel_label, const std::string& track,
                       SimContext& ctx, const RtlOptions& opt, RtlStreamRecord& record);
  ~StreamPortTransactor() override;

  // StreamFifo's side (hw/sim/backends.h).
  void push(const uint8_t* src, uint32_t n, const sc_core::sc_time& ready) override;  // committed bytes
  uint32_t visible_bytes(const sc_core::sc_time& now) const override;                // poppable now
  sc_core::sc_time next_visible() const override { return sc_core::SC_ZERO_TIME; }     // the port decides: wait for data_event
  uint32_t pop(uint8_t* dst, uint32_t max, const sc_core::sc_time& now) override;
  void reset() override;  // phase start: rst_n for one edge, wire emptied
  void notify_on_data(sc_core::sc_event* e) override { data_event = e; }

  sc_core::sc_event* data_event = nullptr;  // the FIFO's: notified when a beat becomes visible (the
                                            // receiver waits on it while its bytes are inside)

  struct Dut;  // the pins of the Verilated model (defined in the .cpp)

 private:
  struct Beat {
    uint32_t data = 0;
    uint8_t keep = 0;
    uint64_t arrive = 0;  // cycle the beat reaches the port
  };
  void clock_thread();
  void edge();
  void settle_visible();
  static uint32_t keep_bytes(uint8_t keep);

  std::string label_, track_;
  SimContext& ctx_;
  const RtlOptions& opt_;
  RtlStreamRecord& record_;
  std::unique_ptr<Dut> dut_;
  std::deque<Beat> wire_;      // committed, not yet taken by the port
  std::deque<Beat> expected_;  // taken by the port, not yet delivered (the scoreboard)
  bool visible_ = false;       // a beat is on m_* and not fully consumed
  uint32_t vis_data_ = 0;      // that beat, as it appeared (AXI: it must stay until taken)
  uint8_t vis_keep_ = 0;
  uint32_t consumed_ = 0;      // bytes of the visible beat already popped
  bool take_ = false;          // the visible beat was consumed: m_tready at the next edge
  sc_core::sc_event wake_;
};

}  // namespace saie::hw
