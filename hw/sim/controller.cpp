// controller.cpp — phase sequencing, host DDR traffic (backdoor) and completion tracking.
#include "hw/sim/controller.h"

#include <algorithm>
#include <cstdlib>
#include <exception>

#include "hw/isa/reconfig.h"

namespace saie::hw {

Controller::Controller(sc_core::sc_module_name name, ArrayTop& array, const isa::Program& prog,
                       const std::vector<std::vector<int8_t>>& inputs, const SimOptions& opt, SimContext& ctx)
    : sc_core::sc_module(name),
      array_(array),
      prog_(prog),
      inputs_(inputs),
      opt_(opt),
      ctx_(ctx),
      phase_cycles_(prog.phases.size(), 0) {
  SC_THREAD(run);
}

TileBase& Controller::tile(isa::TileId id, const char* what) {
  TileBase* t = array_.tile(id);
  if (!t) ctx_.fail(std::string(what) + ": " + tile_label(id) + " is outside the array");
  return *t;
}

void Controller::write_input(const std::vector<int8_t>& in) {
  const auto& p = prog_.input;
  uint64_t pitch_c = p.pitch_c ? p.pitch_c : p.c;
  uint64_t row_pitch = p.row_pitch ? p.row_pitch : p.w * pitch_c;
  try {
    for (uint32_t y = 0; y < p.h; ++y)
      for (uint32_t x = 0; x < p.w; ++x)
        array_.ddr().write_backdoor(p.addr + y * row_pitch + x * pitch_c,
                                    reinterpret_cast<const uint8_t*>(in.data()) + (static_cast<uint64_t>(y) * p.w + x) * p.c,
                                    p.c);
  } catch (const std::exception& e) {
    ctx_.fail(std::string("input write: ") + e.what());
  }
}

std::vector<int8_t> Controller::read_output() {
  const auto& p = prog_.output;
  uint64_t pitch_c = p.pitch_c ? p.pitch_c : p.c;
  uint64_t row_pitch = p.row_pitch ? p.row_pitch : p.w * pitch_c;
  std::vector<int8_t> out(static_cast<size_t>(p.h) * p.w * p.c);
  try {
    for (uint32_t y = 0; y < p.h; ++y)
      for (uint32_t x = 0; x < p.w; ++x)
        array_.ddr().read_backdoor(p.addr + y * row_pitch + x * pitch_c,
                                   reinterpret_cast<uint8_t*>(out.data()) + (static_cast<uint64_t>(y) * p.w + x) * p.c,
                                   p.c);
  } catch (const std::exception& e) {
    ctx_.fail(std::string("output read: ") + e.what());
  }
  return out;
}

uint32_t Controller::setup_phase(const isa::Phase& ph) {
  for (const auto& t : array_.tiles()) t->clear_phase();
  for (const auto& l : ph.locks) tile(l.tile, "lock init").locks().init(l.lock, l.value);
  uint32_t nbds = 0;
  for (const auto& tb : ph.bds) {
    TileBase& t = tile(tb.tile, "bd");
    for (const auto& bd : tb.bds) {
      if (bd.id >= t.bds().size())
        ctx_.fail(tile_label(tb.tile) + ": bd " + std::to_string(bd.id) + " does not exist (" +
                  std::to_string(t.bds().size()) + " BDs)");
      t.bds()[bd.id] = bd;
      ++nbds;
    }
  }
  const auto& sc = ctx_.cfg.stream;
  for (const auto& r : ph.routes) {
    DmaChannel* src = tile(r.src.tile, "route").channel(isa::DmaDir::MM2S, r.src.channel);
    if (!src) ctx_.fail("route: " + tile_label(r.src.tile) + " has no mm2s_" + std::to_string(r.src.channel));
    for (const auto& d : r.dsts) {
      DmaChannel* dst = tile(d.tile, "route").channel(isa::DmaDir::S2MM, d.channel);
      if (!dst) ctx_.fail("route: " + tile_label(d.tile) + " has no s2mm_" + std::to_string(d.channel));
      StreamFifo& f = dst->fifo();
      if (f.connected)
        ctx_.fail("route: " + dst->label() + " is the destination of two routes (" + tile_label(f.src_tile) + ".dma.mm2s_" +
                  std::to_string(f.src_channel) + " and " + tile_label(r.src.tile) + ".dma.mm2s_" +
                  std::to_string(r.src.channel) + ")");
      f.connected = true;
      f.src_tile = r.src.tile;
      f.src_channel = r.src.channel;
      uint32_t hops = static_cast<uint32_t>(std::abs(int(d.tile.col) - int(r.src.tile.col)) +
                                            std::abs(int(d.tile.row) - int(r.src.tile.row)));
      double limit = isa::tile_kind(d.tile, ctx_.cfg.mem_rows) == isa::TileKind::Shim ? ctx_.cfg.ddr.write_bytes_per_cycle : 0.0;
      src->add_target(dst, sc.hop_latency_cycles * hops, limit);
    }
  }
  for (const auto& task : ph.tasks) {
    DmaChannel* ch = tile(task.tile, "task").channel(task.dir, task.channel);
    if (!ch)
      ctx_.fail("task: " + tile_label(task.tile) + " has no " +
                (task.dir == isa::DmaDir::MM2S ? "mm2s_" : "s2mm_") + std::to_string(task.channel));
    ch->set_task(task);
  }
  for (const auto& cp : ph.cores) {
    CoreModel* core = tile(cp.tile, "core program").core();
    if (!core) ctx_.fail("core program: " + tile_label(cp.tile) + " has no core");
    core->set_program(cp);
  }
  return nbds;
}

void Controller::run() {
  for (const auto& seg : prog_.ddr_init) {
    try {
      array_.ddr().write_backdoor(seg.addr, seg.bytes.data(), seg.bytes.size());
    } catch (const std::exception& e) {
      ctx_.fail(std::string("ddr_init: ") + e.what());
    }
  }
  const auto& ctl = ctx_.cfg.control;
  const uint32_t total = static_cast<uint32_t>(inputs_.size());
  // Reconfiguration: the flat per-phase cost plus the control writes of what changes, those to
  // resources the running phase does not use overlapping its execution (hw/isa/reconfig.h).
  isa::ReconfigState reconf(ctx_.cfg);
  const isa::Phase* running = nullptr;
  uint64_t running_cycles = 0;
  const auto lock_value = [this](isa::TileId t, int id) {
    TileBase* tb = array_.tile(t);
    return tb ? tb->locks().value(id) : 0;
  };
  for (inference_ = 0; inference_ < total; ++inference_) {
    write_input(inputs_[inference_]);
    for (size_t p = 0; p < prog_.phases.size(); ++p) {
      const isa::Phase& ph = prog_.phases[p];
      ctx_.phase = static_cast<uint32_t>(p);
      ctx_.phase_name = ph.name;
      uint64_t begin = ctx_.now();
      const isa::PhaseWrites w = reconf.plan(ph, running, lock_value);  // before setup resets the locks
      reconf.commit(ph);
      uint32_t nbds = setup_phase(ph);
      const uint64_t setup = ctl.phase_setup_cycles + static_cast<uint64_t>(ctl.bd_setup_cycles) * nbds +
                             isa::ReconfigState::wait_cycles(w, running_cycles, running != nullptr);
      ctx_.wait_cycles(setup);
      ctx_.phase_reconfig[p] += setup;
      ctx_.stat("array.control.setup_cycles", static_cast<double>(setup), "cycles",
                "cycles the array waited for its reconfiguration between phases");
      ctx_.stat("array.control.writes", static_cast<double>(w.writes()), "writes",
                "control writes (BD block writes and 32-bit register writes) reconfiguring the array");
      for (const auto& [kind, n] : {std::pair{"bd", w.bd_writes}, {"lock", w.lock_writes}, {"route", w.route_writes},
                                    {"task", w.task_writes}, {"core", w.core_writes}})
        ctx_.stat(std::string("array.control.") + kind + "_writes", static_cast<double>(n), "writes",
                  "control writes of this kind (bd: block writes of changed BDs; lock: locks not at their start value; "
                  "route: switch registers of new connections; task: DMA task starts; core: program pointers)");
      ctx_.stat("array.control.words", static_cast<double>(w.words), "words", "32-bit register words written");
      ctx_.stat("array.control.early_words", static_cast<double>(w.early_words), "words",
                "register words written while the phase before was running");
      if (setup > 0) ctx_.slice("array.reconfigure", ph.name, "reconfigure", begin, begin + setup);
      const uint64_t exec_begin = ctx_.now();
      ctx_.done_count = 0;
      uint32_t started = 0;
      for (const auto& t : array_.tiles()) started += t->start_all();
      while (ctx_.done_count < started) sc_core::wait(ctx_.done_event);
      uint64_t end = ctx_.now();
      phase_cycles_[p] += end - begin;
      ctx_.slice("array.control", ph.name, "control", begin, end);
      running = &ph;
      running_cycles = end - exec_begin;
    }
    outputs_.push_back(read_output());
    if (opt_.progress) opt_.progress(inference_ + 1, total);
  }
  end_cycle_ = ctx_.now();
  finished_ = true;
}

std::vector<std::string> Controller::blocked_agents() const {
  std::vector<std::string> out;
  for (const auto& t : array_.tiles()) t->append_blocked(out);
  return out;
}

}  // namespace saie::hw
