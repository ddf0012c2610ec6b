// dma_channel.cpp — BD-chain execution, stream push/pop and memory access of one DMA channel.
#include "hw/dma/dma_channel.h"

#include <algorithm>
#include <cmath>

#include "hw/dma/address_gen.h"

namespace saie::hw {

namespace {
const char* dir_name(isa::DmaDir d) { return d == isa::DmaDir::MM2S ? "mm2s" : "s2mm"; }
}  // namespace

DmaChannel::DmaChannel(sc_core::sc_module_name name, isa::TileId tile, isa::DmaDir dir, uint8_t index,
                       LockUnit& locks, const BdTable& bds, SimContext& ctx)
    : sc_core::sc_module(name),
      socket("socket"),
      tile_(tile),
      dir_(dir),
      index_(index),
      locks_(locks),
      bds_(bds),
      ctx_(ctx),
      is_shim_(isa::tile_kind(tile, ctx.cfg.mem_rows) == isa::TileKind::Shim),
      label_(tile_label(tile) + ".dma." + dir_name(dir) + "_" + std::to_string(index)),
      prefix_(track_prefix(tile) + ".dma." + dir_name(dir) + "_" + std::to_string(index)),
      st_lock_wait_(ctx, prefix_ + ".lock_wait_cycles", "cycles", "cycles this channel waited for lock acquires"),
      st_bytes_(ctx, prefix_ + ".bytes", "B", "bytes moved by this DMA channel"),
      st_busy_(ctx, prefix_ + ".busy_cycles", "cycles", "cycles spent moving data (lock waits excluded)"),
      st_reps_(ctx, prefix_ + ".repetitions", "count", "BD repetitions executed"),
      st_bulk_(ctx, prefix_ + ".bulk_transfers", "count", "transactions straight into armed destinations (fidelity lt)"),
      st_chunks_(ctx, prefix_ + ".fifo_chunks", "count", "chunks sent through stream FIFOs"),
      st_stall_(ctx, prefix_ + ".stall_cycles", "cycles",
                dir == isa::DmaDir::MM2S ? "cycles the sender waited for space in a destination FIFO (backpressure)"
                                         : "cycles the receiver waited for stream data") {
  std::string ch = std::string(dir_name(dir)) + "_" + std::to_string(index);
  fifo_track_ = "array.stream." + tile_name(tile) + "." + ch + ".fifo";
  if (dir == isa::DmaDir::S2MM) fifo_ = std::make_unique<StreamFifo>(ctx.cfg.stream.fifo_depth_bytes);
  SC_THREAD(run);
}

void DmaChannel::clear() {
  task_.reset();
  targets_.clear();
  if (fifo_) fifo_->reset();
  ws_ = WaitState{};
  armed_ = false;
  want_ = 0;
  armed_bd_ = nullptr;
  armed_gen_ = nullptr;
}

void DmaChannel::add_target(DmaChannel* dst, uint32_t latency_cycles, double rate_limit) {
  targets_.push_back(Target{dst, &dst->fifo(), latency_cycles, rate_limit});
}

void DmaChannel::start() {
  if (!task_) return;
  pending_ = true;
  running_ = true;
  start_event_.notify(sc_core::SC_ZERO_TIME);
}

void DmaChannel::run() {
  for (;;) {
    while (!pending_) sc_core::wait(start_event_);
    pending_ = false;
    run_task(*task_);
    ws_ = WaitState{};
    running_ = false;
    if (ctx_.tracing()) ctx_.counter(prefix_ + ".bd", -1);
    ctx_.agent_done();
  }
}

void DmaChannel::run_task(const isa::DmaTask& task) {
  int bd_id = task.start_bd;
  for (uint32_t exec = 0; exec < task.bd_executions; ++exec) {
    if (bd_id < 0 || bd_id >= static_cast<int>(bds_.size()) || !bds_[bd_id])
      ctx_.fail(label_ + ": bd " + std::to_string(bd_id) + " is not configured");
    const isa::BufferDescriptor& bd = *bds_[bd_id];
    if (ctx_.tracing()) ctx_.counter(prefix_ + ".bd", bd.id);
    for (uint32_t rep = 0; rep < bd.iter_count; ++rep) {
      ws_ = WaitState{};
      ws_.bd = bd.id;
      ws_.rep = rep;
      ws_.total_bytes = bd.bytes_per_repetition();
      if (bd.acq_lock >= 0) {
        ws_.kind = WaitState::Kind::Lock;
        ws_.lock = bd.acq_lock;
        ws_.value = bd.acq_value;
        uint64_t t0 = ctx_.now();
        uint64_t waited = locks_.acquire(bd.acq_lock, bd.acq_value, label_);
        ws_.kind = WaitState::Kind::None;
        st_lock_wait_.add(static_cast<double>(waited));
        ctx_.add_stall(SimContext::Stall::Lock, waited);
        if (waited > 0 && ctx_.tracing())
          ctx_.slice(prefix_, "wait lock " + std::to_string(bd.acq_lock), "lock", t0, ctx_.now());
      }
      uint64_t begin = ctx_.now();
      if (dir_ == isa::DmaDir::MM2S)
        send(bd, rep);
      else
        receive(bd, rep);
      uint64_t end = ctx_.now();
      uint64_t bytes = bd.bytes_per_repetition();
      if (ctx_.tracing())
        ctx_.slice(prefix_, "bd " + std::to_string(bd.id) + " rep " + std::to_string(rep), "dma", begin, end, bytes);
      st_bytes_.add(static_cast<double>(bytes));
      st_busy_.add(static_cast<double>(end - begin));
      st_reps_.add(1);
      if (bd.rel_lock >= 0) locks_.release(bd.rel_lock, bd.rel_value, label_);
    }
    if (bd.next_bd == isa::kNoNextBd) break;
    bd_id = bd.next_bd;
  }
}

uint64_t DmaChannel::delay_cycles(const sc_core::sc_time& delay) const {
  double c = delay / ctx_.cycle;
  return c <= 0 ? 0 : static_cast<uint64_t>(std::ceil(c - 1e-6));
}

void DmaChannel::access(bool write, const isa::BufferDescriptor& bd, int64_t addr, uint8_t* data, uint64_t len,
                        sc_core::sc_time& delay) {
  if (addr < 0)
    ctx_.fail(label_ + " bd " + std::to_string(bd.id) + ": address " + std::to_string(addr) + " is negative");
  tx_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tx_.set_address(static_cast<uint64_t>(addr));
  tx_.set_data_ptr(data);
  tx_.set_data_length(static_cast<unsigned>(len));
  tx_.set_streaming_width(static_cast<unsigned>(len));
  tx_.set_byte_enable_ptr(nullptr);
  tx_.set_dmi_allowed(false);
  tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  socket->b_transport(tx_, delay);
  if (tx_.is_response_error())
    ctx_.fail(label_ + " bd " + std::to_string(bd.id) + ": " + (write ? "write" : "read") + " of [" +
              std::to_string(addr) + ", " + std::to_string(addr + static_cast<int64_t>(len)) +
              ") failed: " + tx_.get_response_string());
}

uint64_t DmaChannel::read_chunk(const isa::BufferDescriptor& bd, AddressGen& gen, uint32_t n) {
  buf_.resize(n);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  uint64_t off = 0, len = 0;
  int64_t addr = 0;
  bool zero = false;
  while (off < n && gen.next(n - off, &addr, &len, &zero)) {
    if (zero)  // memtile MM2S zero padding: no memory read
      std::fill(buf_.begin() + static_cast<long>(off), buf_.begin() + static_cast<long>(off + len), uint8_t{0});
    else
      access(false, bd, addr, buf_.data() + off, len, delay);
    off += len;
  }
  return delay_cycles(delay);
}

uint64_t DmaChannel::deliver(const uint8_t* data, uint64_t n, uint64_t arrive, uint64_t flow) {
  const uint64_t now = ctx_.now();
  sc_core::sc_time delay = ctx_.cycles(arrive);
  uint64_t off = 0, len = 0;
  int64_t addr = 0;
  while (off < n && armed_gen_->next(n - off, &addr, &len)) {
    access(true, *armed_bd_, addr, const_cast<uint8_t*>(data) + off, len, delay);
    off += len;
  }
  const uint64_t done = now + std::max(arrive + flow, delay_cycles(delay));
  want_ -= n;
  armed_done_ = std::max(armed_done_, done);
  ws_.done_bytes += n;
  if (want_ == 0) {
    armed_ = false;
    filled_event_.notify(ctx_.cycles(armed_done_ - now));
  }
  return done;
}

void DmaChannel::send(const isa::BufferDescriptor& bd, uint32_t rep) {
  const auto& sc = ctx_.cfg.stream;
  const bool lt = ctx_.fidelity == Fidelity::Lt;
  AddressGen gen(bd, rep);
  const uint64_t total = gen.total();
  if (is_shim_ && ctx_.cfg.ddr.latency_cycles > 0) ctx_.wait_cycles(ctx_.cfg.ddr.latency_cycles);
  if (total == 0) return;
  if (targets_.empty()) {
    ws_.kind = WaitState::Kind::NoRoute;
    for (;;) sc_core::wait(never_);  // nothing can ever take the data: reported as deadlock
  }
  // Chunk size and sender rate: the slowest of the stream, DDR reads (shim) and every destination.
  // Beat mode: one stream beat (the stream width in bytes) per chunk.
  double rate = sc.bytes_per_cycle > 0 ? sc.bytes_per_cycle : 1.0;
  uint32_t chunk = lt ? std::max<uint32_t>(sc.chunk_bytes, 1) : std::max<uint32_t>(1, static_cast<uint32_t>(rate));
  if (is_shim_ && ctx_.cfg.ddr.read_bytes_per_cycle > 0) rate = std::min(rate, ctx_.cfg.ddr.read_bytes_per_cycle);
  for (const auto& t : targets_) {
    chunk = std::min(chunk, t.fifo->capacity());
    if (t.rate_limit > 0) rate = std::min(rate, t.rate_limit);
  }
  auto flow_cycles = [rate](uint64_t bytes) { return static_cast<uint64_t>(std::ceil(bytes / rate - 1e-9)); };
  std::vector<char> direct(targets_.size());
  uint64_t sent = 0, stall = 0, bulk = 0, chunks = 0;
  while (sent < total) {
    const uint64_t left = total - sent;
    // Fast path (Lt): every destination is armed — one transaction of as many bytes as all allow.
    if (lt) {
      uint64_t k = left;
      bool all = true;
      for (const auto& t : targets_) {
        if (!t.dst->armed()) { all = false; break; }
        k = std::min(k, t.dst->want());
      }
      if (all) {
        const uint64_t rd = read_chunk(bd, gen, static_cast<uint32_t>(k));
        const uint64_t dur = std::max(flow_cycles(k), rd);
        for (auto& t : targets_) t.dst->deliver(buf_.data(), k, t.latency_cycles, dur);
        ctx_.wait_cycles(dur);
        ++bulk;
        sent += k;
        ws_.done_bytes = sent;
        continue;
      }
    }
    // Chunk path: through the FIFO of every destination that is not armed (directly into armed ones).
    uint64_t n = std::min<uint64_t>(chunk, left);
    for (size_t i = 0; i < targets_.size(); ++i) {
      direct[i] = lt && targets_[i].dst->armed();
      if (direct[i]) n = std::min(n, targets_[i].dst->want());
    }
    bool waited = false;
    for (size_t i = 0; i < targets_.size() && !waited; ++i) {
      Target& t = targets_[i];
      if (direct[i] || t.fifo->free_space() >= n) continue;
      const uint64_t t0 = ctx_.now();
      ws_.kind = WaitState::Kind::StreamSpace;
      ws_.peer = t.dst->label();
      sc_core::wait(t.fifo->space_event);  // bytes popped, or the destination armed itself
      ws_.kind = WaitState::Kind::None;
      stall += ctx_.now() - t0;
      waited = true;
    }
    if (waited) continue;  // the destinations' state may have changed: decide again
    for (size_t i = 0; i < targets_.size(); ++i)
      if (!direct[i]) targets_[i].fifo->reserve(static_cast<uint32_t>(n));
    const uint64_t rd = read_chunk(bd, gen, static_cast<uint32_t>(n));
    ctx_.wait_cycles(std::max(flow_cycles(n), rd));
    ++chunks;
    for (size_t i = 0; i < targets_.size(); ++i) {
      Target& t = targets_[i];
      if (direct[i]) {
        t.dst->deliver(buf_.data(), n, t.latency_cycles, 0);
      } else {
        // Armed while this chunk was on its way: the part its repetition still wants goes
        // straight in, the rest (the start of its next repetition) through the FIFO.
        uint64_t head = 0;
        if (lt && t.dst->armed()) {
          head = std::min(n, t.dst->want());
          t.fifo->unreserve(static_cast<uint32_t>(head));
          t.dst->deliver(buf_.data(), head, t.latency_cycles, 0);
          if (head == n) continue;
        }
        t.fifo->commit(buf_.data() + head, static_cast<uint32_t>(n - head),
                       sc_core::sc_time_stamp() + ctx_.cycles(t.latency_cycles));
        if (ctx_.tracing()) ctx_.counter(t.dst->fifo_track(), t.fifo->stored());
      }
    }
    sent += n;
    ws_.done_bytes = sent;
  }
  if (bulk > 0) st_bulk_.add(static_cast<double>(bulk));
  if (chunks > 0) st_chunks_.add(static_cast<double>(chunks));
  if (stall > 0) {
    st_stall_.add(static_cast<double>(stall));
    ctx_.add_stall(SimContext::Stall::Space, stall);
  }
  if (is_shim_) ctx_.bytes_ddr_to_mem += total;
}

void DmaChannel::receive(const isa::BufferDescriptor& bd, uint32_t rep) {
  const bool lt = ctx_.fidelity == Fidelity::Lt;
  AddressGen gen(bd, rep);
  const uint64_t total = gen.total();
  uint64_t got = 0, stall = 0;
  StreamFifo& f = *fifo_;
  if (lt) {
    // Bytes that reached the FIFO before this repetition started go to memory first (each chunk
    // no earlier than its arrival time); then arm for the rest.
    const uint64_t t0 = ctx_.now();
    uint64_t done = t0;
    while (got < total && f.stored() > 0) {
      const sc_core::sc_time ready = f.next_ready();
      buf_.resize(static_cast<uint32_t>(std::min<uint64_t>(f.stored(), total - got)));
      const uint32_t n = f.pop(buf_.data(), static_cast<uint32_t>(buf_.size()), ready);
      sc_core::sc_time delay = ready > sc_core::sc_time_stamp() ? ready - sc_core::sc_time_stamp() : sc_core::SC_ZERO_TIME;
      uint64_t off = 0, len = 0;
      int64_t addr = 0;
      while (off < n && gen.next(n - off, &addr, &len)) {
        access(true, bd, addr, buf_.data() + off, len, delay);
        off += len;
      }
      done = std::max(done, t0 + delay_cycles(delay));
      got += n;
    }
    if (ctx_.tracing()) ctx_.counter(fifo_track_, f.stored());
    ws_.kind = WaitState::Kind::StreamData;
    ws_.done_bytes = got;
    const uint64_t need = total - got;
    if (need > 0) {
      armed_ = true;
      want_ = need;
      armed_bd_ = &bd;
      armed_gen_ = &gen;
      armed_done_ = done;
      f.space_event.notify(sc_core::SC_ZERO_TIME);  // a sender waiting for FIFO space decides again
      while (armed_) sc_core::wait(filled_event_);
      done = armed_done_;
    }
    if (ctx_.now() < done) ctx_.wait_cycles(done - ctx_.now());
    ws_.kind = WaitState::Kind::None;
    const double r = ctx_.cfg.stream.bytes_per_cycle > 0 ? ctx_.cfg.stream.bytes_per_cycle : 1.0;
    const uint64_t ideal = static_cast<uint64_t>(std::ceil(total / r - 1e-9));
    const uint64_t elapsed = ctx_.now() - t0;
    stall += elapsed > ideal ? elapsed - ideal : 0;
    got = total;
  }
  while (got < total) {
    const uint64_t t0 = ctx_.now();
    uint32_t avail = f.ready_bytes(sc_core::sc_time_stamp());
    if (avail == 0) {
      ws_.kind = WaitState::Kind::StreamData;
      f.wait_for_data();
      ws_.kind = WaitState::Kind::None;
      stall += ctx_.now() - t0;
      continue;
    }
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(avail, total - got));
    buf_.resize(n);
    f.pop(buf_.data(), n, sc_core::sc_time_stamp());
    if (ctx_.tracing()) ctx_.counter(fifo_track_, f.stored());
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    uint64_t off = 0, len = 0;
    int64_t addr = 0;
    while (off < n && gen.next(n - off, &addr, &len)) {
      access(true, bd, addr, buf_.data() + off, len, delay);
      off += len;
    }
    ctx_.wait_cycles(delay_cycles(delay));
    got += n;
    ws_.done_bytes = got;
  }
  if (is_shim_ && ctx_.cfg.ddr.latency_cycles > 0) ctx_.wait_cycles(ctx_.cfg.ddr.latency_cycles);
  if (stall > 0) {
    st_stall_.add(static_cast<double>(stall));
    ctx_.add_stall(SimContext::Stall::Data, stall);
  }
  auto src_kind = isa::tile_kind(f.src_tile, ctx_.cfg.mem_rows);
  auto my_kind = isa::tile_kind(tile_, ctx_.cfg.mem_rows);
  if (my_kind == isa::TileKind::Shim) ctx_.bytes_mem_to_ddr += total;
  if (my_kind == isa::TileKind::Core && src_kind == isa::TileKind::Mem) ctx_.bytes_mem_to_core += total;
  if (my_kind == isa::TileKind::Mem && src_kind == isa::TileKind::Core) ctx_.bytes_core_to_mem += total;
}

std::string DmaChannel::blocked_description() const {
  std::string bd = std::to_string(ws_.bd), rep = std::to_string(ws_.rep);
  switch (ws_.kind) {
    case WaitState::Kind::Lock:
      return label_ + " bd " + bd + " rep " + rep + " waits lock " + std::to_string(ws_.lock) +
             " >= " + std::to_string(ws_.value) + " (value " + std::to_string(locks_.value(ws_.lock)) + ")";
    case WaitState::Kind::StreamData:
      return label_ + " waits for stream data (bd " + bd + " rep " + rep + ", " + std::to_string(ws_.done_bytes) +
             " of " + std::to_string(ws_.total_bytes) + " B)";
    case WaitState::Kind::StreamSpace:
      return label_ + " bd " + bd + " rep " + rep + " waits for stream space at " + ws_.peer + " (" +
             std::to_string(ws_.done_bytes) + " of " + std::to_string(ws_.total_bytes) + " B sent)";
    case WaitState::Kind::NoRoute:
      return label_ + " bd " + bd + " rep " + rep + " has no stream route (" + std::to_string(ws_.total_bytes) +
             " B to send)";
    case WaitState::Kind::None:
      break;
  }
  return label_ + " bd " + bd + " rep " + rep + " is running";
}

}  // namespace saie::hw
