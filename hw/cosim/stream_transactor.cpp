// stream_transactor.cpp — S2MM stream input through the Verilated AXI4-Stream port (see .h).
// Verilated headers before <systemc> (see mac_transactor.cpp).
#include "Vstream_port.h"
#include "Vstream_port_broken.h"
#include "hw/cosim/verilated_dut.h"

#include "hw/cosim/stream_transactor.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace saie::hw {

struct StreamPortTransactor::Dut {
  virtual ~Dut() = default;
  virtual void drive(bool s_valid, uint32_t data, uint8_t keep, bool m_ready) = 0;
  virtual void reset_n(bool v) = 0;
  virtual void eval() = 0;  // clk low: settle
  virtual void edge() = 0;  // rising edge
  virtual bool s_ready() const = 0;
  virtual bool m_valid() const = 0;
  virtual uint32_t m_data() const = 0;
  virtual uint8_t m_keep() const = 0;
  virtual uint32_t count() const = 0;
};

namespace {
template <class M>
struct PortDut final : StreamPortTransactor::Dut {
  VerilatedDut<M> d;
  explicit PortDut(const std::string& name) : d(name) {
    drive(false, 0, 0, false);
    d.reset();
  }
  void drive(bool s_valid, uint32_t data, uint8_t keep, bool m_ready) override {
    d.m->s_tvalid = s_valid;
    d.m->s_tdata = data;
    d.m->s_tkeep = keep;
    d.m->s_tlast = 0;
    d.m->m_tready = m_ready;
  }
  void reset_n(bool v) override { d.m->rst_n = v; }
  void eval() override { d.settle(); }
  void edge() override { d.rise(); }
  bool s_ready() const override { return d.m->s_tready; }
  bool m_valid() const override { return d.m->m_tvalid; }
  uint32_t m_data() const override { return d.m->m_tdata; }
  uint8_t m_keep() const override { return d.m->m_tkeep; }
  uint32_t count() const override { return d.m->count; }
};

const char* const kWires[] = {"s_tvalid", "s_tready", "m_tvalid", "m_tready"};

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
}  // namespace

StreamPortTransactor::StreamPortTransactor(sc_core::sc_module_name name, const std::string& channel_label,
                                           const std::string& track, SimContext& ctx, const RtlOptions& opt,
                                           RtlStreamRecord& record)
    : sc_core::sc_module(name), label_(channel_label), track_(track), ctx_(ctx), opt_(opt), record_(record) {
  const std::string dut_name = std::string(basename()) + "_stream_port";
  if (opt.broken)
    dut_ = std::make_unique<PortDut<Vstream_port_broken>>(dut_name);
  else
    dut_ = std::make_unique<PortDut<Vstream_port>>(dut_name);
  record_.channel = channel_label;
  if (opt_.waves && ctx_.tracing())
    for (const char* w : kWires) ctx_.rec.mark_wire(track_ + "." + w);
  SC_THREAD(clock_thread);
}

StreamPortTransactor::~StreamPortTransactor() = default;

uint32_t StreamPortTransactor::keep_bytes(uint8_t keep) {
  uint32_t n = 0;
  for (int b = 0; b < 4; ++b) n += (keep >> b) & 1;
  return n;
}

void StreamPortTransactor::push(const uint8_t* src, uint32_t n, const sc_core::sc_time& ready) {
  const uint64_t arrive = static_cast<uint64_t>(std::llround(ready / ctx_.cycle));
  for (uint32_t off = 0; off < n; off += 4) {
    Beat b;
    const uint32_t k = std::min<uint32_t>(4, n - off);
    std::memcpy(&b.data, src + off, k);  // little-endian: byte j of the beat = bits 8j..8j+7
    b.keep = static_cast<uint8_t>((1u << k) - 1);
    b.arrive = arrive;
    wire_.push_back(b);
  }
  wake_.notify(sc_core::SC_ZERO_TIME);
}

uint32_t StreamPortTransactor::visible_bytes(const sc_core::sc_time&) const { return visible_ ? keep_bytes(vis_keep_) - consumed_ : 0; }

uint32_t StreamPortTransactor::pop(uint8_t* dst, uint32_t max, const sc_core::sc_time&) {
  if (!visible_ || max == 0) return 0;
  const uint32_t bytes = keep_bytes(vis_keep_);
  const uint32_t take = std::min(max, bytes - consumed_);
  std::memcpy(dst, reinterpret_cast<const uint8_t*>(&vis_data_) + consumed_, take);
  consumed_ += take;
  if (consumed_ == bytes) {
    visible_ = false;
    consumed_ = 0;
    take_ = true;  // m_tready at the edge ending this cycle
    wake_.notify(sc_core::SC_ZERO_TIME);
  }
  return take;
}

void StreamPortTransactor::reset() {
  wire_.clear();
  expected_.clear();
  visible_ = false;
  consumed_ = 0;
  take_ = false;
  dut_->reset_n(false);
  dut_->drive(false, 0, 0, false);
  dut_->eval();
  dut_->edge();
  dut_->reset_n(true);
  dut_->eval();
  ++record_.edges;
}

// After an edge (clk low again): the beat on m_* is what the receiver may pop; check it.
void StreamPortTransactor::settle_visible() {
  dut_->drive(false, 0, 0, false);
  dut_->eval();
  if (!dut_->m_valid() || visible_) return;
  if (expected_.empty())
    ctx_.fail("RTL stream port of " + label_ + " delivers a beat " + hex32(dut_->m_data()) + " the sender never sent");
  const Beat& e = expected_.front();
  const uint32_t mask = e.keep == 0xf ? 0xffffffffu : (1u << (8 * keep_bytes(e.keep))) - 1;
  if (dut_->m_keep() != e.keep || (dut_->m_data() & mask) != (e.data & mask))
    ctx_.fail("RTL stream port of " + label_ + " delivers " + hex32(dut_->m_data()) + " (tkeep " +
              std::to_string(dut_->m_keep()) + ") where the model's stream has " + hex32(e.data) + " (tkeep " +
              std::to_string(e.keep) + "): a lost or altered beat");
  expected_.pop_front();
  visible_ = true;
  vis_data_ = dut_->m_data();
  vis_keep_ = dut_->m_keep();
  consumed_ = 0;
  if (data_event) data_event->notify(sc_core::SC_ZERO_TIME);
}

void StreamPortTransactor::edge() {
  const uint64_t t = ctx_.now();  // this edge ends cycle t - 1
  const bool offer = !wire_.empty() && wire_.front().arrive < t;
  const Beat b = offer ? wire_.front() : Beat{};
  dut_->drive(offer, b.data, b.keep, take_);
  dut_->eval();
  const bool push = offer && dut_->s_ready();
  if (offer && !push) ++record_.backpressure_cycles;
  if (take_ && (!dut_->m_valid() || dut_->m_data() != vis_data_ || dut_->m_keep() != vis_keep_))
    ctx_.fail("RTL stream port of " + label_ + " changed or dropped the beat on m_* (" + hex32(vis_data_) +
              ") before the DMA took it: a lost beat");
  if (opt_.waves && ctx_.tracing()) {
    const int64_t v[] = {offer, dut_->s_ready(), dut_->m_valid(), take_};
    for (int k = 0; k < 4; ++k) ctx_.rec.add_counter(track_ + "." + kWires[k], t - 1, v[k]);
    ctx_.rec.add_counter(track_ + ".count", t - 1, dut_->count());
  }
  dut_->edge();
  ++record_.edges;
  take_ = false;
  if (push) {
    expected_.push_back(b);
    wire_.pop_front();
    ++record_.beats;
  }
  record_.max_occupancy = std::max<uint64_t>(record_.max_occupancy, dut_->count());
  settle_visible();
  if (opt_.waves && ctx_.tracing()) {
    for (int k = 0; k < 4; ++k) ctx_.rec.add_counter(track_ + "." + kWires[k], t, 0);
    ctx_.rec.add_counter(track_ + ".count", t, dut_->count());
  }
}

void StreamPortTransactor::clock_thread() {
  for (;;) {
    const uint64_t now = ctx_.now();
    dut_->drive(false, 0, 0, false);
    dut_->eval();
    const bool arrived = !wire_.empty() && wire_.front().arrive <= now;
    const bool s_can = arrived && dut_->s_ready();
    if (!s_can && !take_) {
      // Nothing can move in this cycle: sleep until a commit, a pop, or the head's arrival.
      if (!wire_.empty() && !arrived && dut_->s_ready())
        sc_core::wait(ctx_.cycles(wire_.front().arrive - now), wake_);
      else
        sc_core::wait(wake_);
      continue;
    }
    ctx_.wait_cycles(1);  // the edge ending this cycle
    edge();
  }
}

}  // namespace saie::hw
