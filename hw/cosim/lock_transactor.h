// lock_transactor.h — a compute tile's locks as the Verilated lock unit (hw/rtl/lock_unit.sv).
//
// LockUnit forwards acquire / release / init / reset here when its tile is an RTL lock tile.
// Requests become the RTL's request/grant handshakes, clocked at the array clock:
//   port 0  the core (one request at a time: it is sequential);
//   port 1  the tile's DMA channels, round robin: a request that is not granted goes to the back
//           of the queue, so an acquire that must wait does not block a release behind it.
// A request made during cycle t is presented in that cycle and taken at the rising edge that
// ends it: the requester resumes at t + 1 (the pure model grants in zero time, so each lock
// operation costs one more cycle here; the report counts them). At most one request per port
// is taken per edge. A clocked SC_THREAD drives the edges while requests are pending; when a
// whole round of pending requests was refused and nothing new arrived it stops clocking until
// the next request — the lock unit holds state only, so idle edges could not change anything.
// init / reset (phase start, no agent running) are applied at once with their own edge.
//
// Scoreboard: every edge is checked against the model's semantics (acquire granted iff value
// >= n, port 0 first, release adds, above 63 is an overflow). A grant the RTL withholds or gives
// against them, a value that differs, or an overflow fails the run with one line naming the
// tile, port, lock and values — which is how the broken variant is caught.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "hw/cosim/rtl_cosim.h"
#include "hw/sim/backends.h"
#include "hw/sim/sim_context.h"

namespace saie::hw {

class LockTransactor : public sc_core::sc_module, public LockBackend {
 public:
  SC_HAS_PROCESS(LockTransactor);
  LockTransactor(sc_core::sc_module_name name, isa::TileId tile, uint32_t nlocks, SimContext& ctx, const RtlOptions& opt,
                 RtlLockRecord& record);
  ~LockTransactor() override;

  // Block the calling thread until the RTL grants; acquire returns the cycles from request to grant.
  uint64_t acquire(int port, int id, int value, const std::string& who) override;
  void release(int port, int id, int value, const std::string& who) override;
  void reset() override;                  // rst_n for one edge: every lock 0
  void init(int id, int value) override;  // init port for one edge
  int value(int id) const override;       // from the RTL's `values` bus

  struct Dut;  // the pins of the Verilated model (defined in the .cpp)

 private:
  struct Req {
    bool release = false;
    int id = 0, value = 0, port = 0;
    std::string who;
    uint64_t t_req = 0;   // cycle the request was made
    bool granted = false;
    sc_core::sc_event done;
  };
  void clock_thread();
  uint64_t request(bool release, int port, int id, int value, const std::string& who);  // blocks until granted
  bool edge();           // one clocked cycle over the pending requests; true when something was granted
  void sample_all();     // lock value counters from the RTL
  void check_values(const std::vector<int>& expect, const std::string& context);

  isa::TileId tile_;
  SimContext& ctx_;
  const RtlOptions& opt_;
  RtlLockRecord& record_;
  std::unique_ptr<Dut> dut_;
  std::string prefix_, track_;
  uint32_t nlocks_;
  std::vector<int> mirror_;   // the model's semantics, for the scoreboard
  std::deque<Req*> queue_[2];
  uint64_t refused_in_row_ = 0;  // edges since the last grant
  sc_core::sc_event new_request_;
};

}  // namespace saie::hw
