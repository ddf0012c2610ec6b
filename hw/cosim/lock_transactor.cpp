// lock_transactor.cpp — tile locks through the Verilated lock unit (see lock_transactor.h).
// Verilated headers before <systemc> (see mac_transactor.cpp).
#include "Vlock_unit.h"
#include "Vlock_unit_broken.h"
#include "hw/cosim/verilated_dut.h"

#include "hw/cosim/lock_transactor.h"

#include <algorithm>

namespace saie::hw {

namespace {
constexpr uint32_t kRtlLocks = 16;  // NLOCKS the RTL is verilated with (hw/rtl/CMakeLists.txt)

// Wave signals per port (value-change recorded when waves are on).
const char* const kPortSigs[] = {"valid", "ready", "release", "id", "value"};
}  // namespace

struct LockTransactor::Dut {
  virtual ~Dut() = default;
  virtual void request(int port, bool valid, bool release, int id, int value) = 0;
  virtual void init(bool valid, int id, int value) = 0;
  virtual void reset_n(bool v) = 0;
  virtual void eval() = 0;
  virtual void edge() = 0;
  virtual bool ready(int port) const = 0;
  virtual int value(int id) const = 0;
  virtual bool overflow() const = 0;
};

namespace {
template <class M>
struct LockDut final : LockTransactor::Dut {
  VerilatedDut<M> d;
  explicit LockDut(const std::string& name) : d(name) {
    init(false, 0, 0);
    request(0, false, false, 0, 0);
    request(1, false, false, 0, 0);
    d.reset();
  }
  void request(int port, bool valid, bool release, int id, int value) override {
    M& m = *d.m;
    if (port == 0) {
      m.req0_valid = valid;
      m.req0_release = release;
      m.req0_id = static_cast<uint8_t>(id);
      m.req0_value = static_cast<uint8_t>(value);
    } else {
      m.req1_valid = valid;
      m.req1_release = release;
      m.req1_id = static_cast<uint8_t>(id);
      m.req1_value = static_cast<uint8_t>(value);
    }
  }
  void init(bool valid, int id, int value) override {
    d.m->init_valid = valid;
    d.m->init_id = static_cast<uint8_t>(id);
    d.m->init_value = static_cast<uint8_t>(value);
  }
  void reset_n(bool v) override { d.m->rst_n = v; }
  void eval() override { d.settle(); }
  void edge() override { d.rise(); }
  bool ready(int port) const override { return port == 0 ? d.m->req0_ready : d.m->req1_ready; }
  int value(int id) const override {
    const uint32_t bit = static_cast<uint32_t>(id) * 6, word = bit / 32, off = bit % 32;
    uint64_t v = d.m->values[word];
    if (word + 1 < 3) v |= uint64_t{d.m->values[word + 1]} << 32;
    return static_cast<int>((v >> off) & isa::kMaxLockValue);  // a 6-bit field of the packed vector
  }
  bool overflow() const override { return d.m->overflow; }
};
}  // namespace

LockTransactor::LockTransactor(sc_core::sc_module_name name, isa::TileId tile, uint32_t nlocks, SimContext& ctx,
                               const RtlOptions& opt, RtlLockRecord& record)
    : sc_core::sc_module(name),
      tile_(tile),
      ctx_(ctx),
      opt_(opt),
      record_(record),
      prefix_(track_prefix(tile)),
      track_(prefix_ + ".rtl_lock"),
      nlocks_(nlocks),
      mirror_(nlocks, 0) {
  if (nlocks != kRtlLocks)
    throw std::runtime_error("the RTL lock unit is verilated with " + std::to_string(kRtlLocks) + " locks, but " +
                             tile_label(tile) + " has " + std::to_string(nlocks));
  const std::string dut_name = tile_name(tile) + "_lock_unit";
  if (opt.broken)
    dut_ = std::make_unique<LockDut<Vlock_unit_broken>>(dut_name);
  else
    dut_ = std::make_unique<LockDut<Vlock_unit>>(dut_name);
  record_.tile = tile;
  if (opt_.waves && ctx_.tracing())
    for (int p = 0; p < 2; ++p)
      for (int s = 0; s < 3; ++s) ctx_.rec.mark_wire(track_ + ".port" + std::to_string(p) + "." + kPortSigs[s]);
  SC_THREAD(clock_thread);
}

LockTransactor::~LockTransactor() = default;

int LockTransactor::value(int id) const { return dut_->value(id); }

void LockTransactor::sample_all() {
  if (!ctx_.tracing()) return;
  for (uint32_t i = 0; i < nlocks_; ++i) ctx_.counter(prefix_ + ".lock." + std::to_string(i), dut_->value(static_cast<int>(i)));
}

void LockTransactor::check_values(const std::vector<int>& expect, const std::string& context) {
  for (uint32_t i = 0; i < nlocks_; ++i) {
    const int got = dut_->value(static_cast<int>(i));
    if (got != expect[i])
      ctx_.fail("RTL lock unit of " + tile_label(tile_) + " disagrees with the model after " + context + ": lock " +
                std::to_string(i) + " is " + std::to_string(got) + ", the model's semantics give " + std::to_string(expect[i]));
  }
}

void LockTransactor::reset() {
  if (!queue_[0].empty() || !queue_[1].empty()) ctx_.fail(tile_label(tile_) + ": RTL lock reset while requests are pending");
  const std::vector<int> before = mirror_;
  dut_->reset_n(false);
  dut_->eval();
  dut_->edge();
  dut_->reset_n(true);
  dut_->eval();
  ++record_.edges;
  std::fill(mirror_.begin(), mirror_.end(), 0);
  check_values(mirror_, "reset");
  if (ctx_.tracing())
    for (uint32_t i = 0; i < nlocks_; ++i)
      if (before[i] != 0) ctx_.counter(prefix_ + ".lock." + std::to_string(i), 0);
}

void LockTransactor::init(int id, int value) {
  if (!queue_[0].empty() || !queue_[1].empty()) ctx_.fail(tile_label(tile_) + ": RTL lock init while requests are pending");
  dut_->init(true, id, value);
  dut_->eval();
  dut_->edge();
  dut_->init(false, 0, 0);
  dut_->eval();
  ++record_.edges;
  const bool changed = mirror_[id] != value;
  mirror_[id] = value;
  check_values(mirror_, "init of lock " + std::to_string(id));
  if (changed && ctx_.tracing()) ctx_.counter(prefix_ + ".lock." + std::to_string(id), value);
}

uint64_t LockTransactor::request(bool release, int port, int id, int value, const std::string& who) {
  Req r;
  r.release = release;
  r.port = port;
  r.id = id;
  r.value = value;
  r.who = who;
  r.t_req = ctx_.now();
  ++record_.requests;
  (r.release ? record_.releases : record_.acquires) += 1;
  queue_[r.port].push_back(&r);
  new_request_.notify(sc_core::SC_ZERO_TIME);
  while (!r.granted) sc_core::wait(r.done);
  return ctx_.now() - r.t_req;
}

uint64_t LockTransactor::acquire(int port, int id, int value, const std::string& who) {
  return request(false, port, id, value, who);
}

void LockTransactor::release(int port, int id, int value, const std::string& who) { request(true, port, id, value, who); }

bool LockTransactor::edge() {
  const uint64_t t = ctx_.now();
  // The candidate of each port: its first request made before this cycle's edge.
  Req* cand[2] = {nullptr, nullptr};
  for (int p = 0; p < 2; ++p) {
    uint64_t eligible = 0;
    for (Req* r : queue_[p])
      if (r->t_req < t) {
        if (!cand[p]) cand[p] = r;
        ++eligible;
      }
    if (eligible > 1) record_.port_conflicts += eligible - 1;
  }
  // What the model's semantics grant (port 0 first, port 1 sees its effect).
  std::vector<int> expect = mirror_;
  bool want[2] = {false, false};
  for (int p = 0; p < 2; ++p) {
    Req* r = cand[p];
    if (!r) continue;
    if (r->release) {
      if (expect[r->id] + r->value > static_cast<int>(isa::kMaxLockValue))
        ctx_.fail(r->who + ": " + tile_label(tile_) + " lock " + std::to_string(r->id) + " overflow: " +
                  std::to_string(expect[r->id]) + " + " + std::to_string(r->value) + " > " + std::to_string(isa::kMaxLockValue));
      want[p] = true;
      expect[r->id] += r->value;
    } else if (expect[r->id] >= r->value) {
      want[p] = true;
      expect[r->id] -= r->value;
    }
  }
  for (int p = 0; p < 2; ++p) {
    Req* r = cand[p];
    dut_->request(p, r != nullptr, r && r->release, r ? r->id : 0, r ? r->value : 0);
  }
  dut_->eval();
  bool got[2];
  for (int p = 0; p < 2; ++p) got[p] = cand[p] && dut_->ready(p);
  if (opt_.waves && ctx_.tracing())
    for (int p = 0; p < 2; ++p) {
      const std::string base = track_ + ".port" + std::to_string(p) + ".";
      const Req* r = cand[p];
      ctx_.rec.add_counter(base + "valid", t - 1, r != nullptr);
      ctx_.rec.add_counter(base + "ready", t - 1, r && dut_->ready(p));
      ctx_.rec.add_counter(base + "release", t - 1, r && r->release);
      ctx_.rec.add_counter(base + "id", t - 1, r ? r->id : 0);
      ctx_.rec.add_counter(base + "value", t - 1, r ? r->value : 0);
      ctx_.rec.add_counter(base + "valid", t, 0);
      ctx_.rec.add_counter(base + "ready", t, 0);
    }
  for (int p = 0; p < 2; ++p)
    if (got[p] != want[p]) {
      const Req* r = cand[p];
      ctx_.fail("RTL lock unit of " + tile_label(tile_) + " " + (got[p] ? "grants" : "withholds") + " port " +
                std::to_string(p) + " " + (r->release ? "release" : "acquire") + " of lock " + std::to_string(r->id) +
                " by " + std::to_string(r->value) + " (value " + std::to_string(mirror_[r->id]) + ", from " + r->who +
                "): the model's semantics " + (want[p] ? "grant" : "refuse") + " it");
    }
  dut_->edge();
  ++record_.edges;
  for (int p = 0; p < 2; ++p) dut_->request(p, false, false, 0, 0);  // the beats moved: valid drops
  dut_->eval();
  if (dut_->overflow()) ctx_.fail("RTL lock unit of " + tile_label(tile_) + " raised overflow the model did not");
  mirror_ = expect;
  check_values(mirror_, "cycle " + std::to_string(t - 1));

  bool any = false;
  for (int p = 0; p < 2; ++p) {
    Req* r = cand[p];
    if (!r) continue;
    auto& q = queue_[p];
    q.erase(std::find(q.begin(), q.end(), r));
    if (got[p]) {
      any = true;
      record_.grant_latency += t - r->t_req;
      if (!r->release && t - r->t_req > 1) ++record_.waited_requests;
      if (ctx_.tracing() && (r->release || r->value != 0))
        ctx_.counter(prefix_ + ".lock." + std::to_string(r->id), mirror_[r->id]);
      r->granted = true;
      r->done.notify(sc_core::SC_ZERO_TIME);
    } else {
      q.push_back(r);  // round robin: the refused request goes to the back
    }
  }
  return any;
}

void LockTransactor::clock_thread() {
  for (;;) {
    while (queue_[0].empty() && queue_[1].empty()) sc_core::wait(new_request_);
    ctx_.wait_cycles(1);  // the edge that ends the cycle the request was made in
    if (edge()) {
      refused_in_row_ = 0;
      continue;
    }
    // Nothing granted: once every pending request was refused since the last grant and nothing
    // new arrived, the state cannot change until a new request comes (init/reset need no clock).
    ++refused_in_row_;
    const uint64_t pending = queue_[0].size() + queue_[1].size();
    if (refused_in_row_ >= pending) {
      refused_in_row_ = 0;
      sc_core::wait(new_request_);
    }
  }
}

}  // namespace saie::hw
