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
      is_shim_(isa::tile_kind(tile, ctx.cfg.mem_rows) == isa::TileKind::Shim) {
  std::string ch = std::string(dir_name(dir)) + "_" + std::to_string(index);
  label_ = tile_label(tile) + ".dma." + ch;
  prefix_ = track_prefix(tile) + ".dma." + ch;
  fifo_track_ = "array.stream." + tile_name(tile) + "." + ch + ".fifo";
  if (dir == isa::DmaDir::S2MM) fifo_ = std::make_unique<StreamFifo>(ctx.cfg.stream.fifo_depth_bytes);
  SC_THREAD(run);
}

void DmaChannel::clear() {
  task_.reset();
  targets_.clear();
  if (fifo_) fifo_->reset();
  ws_ = WaitState{};
}

void DmaChannel::add_target(StreamFifo* fifo, uint32_t latency_cycles, const std::string& dst_label,
                            const std::string& fifo_track, double rate_limit) {
  targets_.push_back(Target{fifo, latency_cycles, dst_label, fifo_track, rate_limit});
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
    ctx_.counter(prefix_ + ".bd", -1);
    ctx_.agent_done();
  }
}

void DmaChannel::run_task(const isa::DmaTask& task) {
  int bd_id = task.start_bd;
  for (uint32_t exec = 0; exec < task.bd_executions; ++exec) {
    if (bd_id < 0 || bd_id >= static_cast<int>(bds_.size()) || !bds_[bd_id])
      ctx_.fail(label_ + ": bd " + std::to_string(bd_id) + " is not configured");
    const isa::BufferDescriptor& bd = *bds_[bd_id];
    ctx_.counter(prefix_ + ".bd", bd.id);
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
        ctx_.stat(prefix_ + ".lock_wait_cycles", static_cast<double>(waited), "cycles",
                  "cycles this channel waited for lock acquires");
        if (waited > 0)
          ctx_.slice(prefix_, "wait lock " + std::to_string(bd.acq_lock), "lock", t0, ctx_.now());
      }
      uint64_t begin = ctx_.now();
      if (dir_ == isa::DmaDir::MM2S)
        send(bd, rep);
      else
        receive(bd, rep);
      uint64_t end = ctx_.now();
      uint64_t bytes = bd.bytes_per_repetition();
      ctx_.slice(prefix_, "bd " + std::to_string(bd.id) + " rep " + std::to_string(rep), "dma", begin, end, bytes);
      ctx_.stat(prefix_ + ".bytes", static_cast<double>(bytes), "B", "bytes moved by this DMA channel");
      ctx_.stat(prefix_ + ".busy_cycles", static_cast<double>(end - begin), "cycles",
                "cycles spent moving data (lock waits excluded)");
      ctx_.stat(prefix_ + ".repetitions", 1, "count", "BD repetitions executed");
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

void DmaChannel::send(const isa::BufferDescriptor& bd, uint32_t rep) {
  const auto& sc = ctx_.cfg.stream;
  AddressGen gen(bd, rep);
  const uint64_t total = gen.total();
  if (is_shim_ && ctx_.cfg.ddr.latency_cycles > 0) ctx_.wait_cycles(ctx_.cfg.ddr.latency_cycles);
  if (total == 0) return;
  if (targets_.empty()) {
    ws_.kind = WaitState::Kind::NoRoute;
    for (;;) sc_core::wait(never_);  // nothing can ever take the data: reported as deadlock
  }
  // Chunk size and sender rate: the slowest of the stream, DDR reads (shim) and every destination.
  uint32_t chunk = std::max<uint32_t>(sc.chunk_bytes, 1);
  double rate = sc.bytes_per_cycle > 0 ? sc.bytes_per_cycle : 1.0;
  if (is_shim_ && ctx_.cfg.ddr.read_bytes_per_cycle > 0) rate = std::min(rate, ctx_.cfg.ddr.read_bytes_per_cycle);
  for (const auto& t : targets_) {
    chunk = std::min(chunk, t.fifo->capacity());
    if (t.rate_limit > 0) rate = std::min(rate, t.rate_limit);
  }
  uint64_t sent = 0, stall = 0;
  while (sent < total) {
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(chunk, total - sent));
    uint64_t t0 = ctx_.now();
    for (auto& t : targets_) {
      while (t.fifo->free_space() < n) {
        ws_.kind = WaitState::Kind::StreamSpace;
        ws_.peer = t.label;
        sc_core::wait(t.fifo->space_event);
      }
    }
    ws_.kind = WaitState::Kind::None;
    stall += ctx_.now() - t0;
    for (auto& t : targets_) t.fifo->reserve(n);
    buf_.resize(n);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    uint64_t off = 0, len = 0;
    int64_t addr = 0;
    while (off < n && gen.next(n - off, &addr, &len)) {
      access(false, bd, addr, buf_.data() + off, len, delay);
      off += len;
    }
    uint64_t t_stream = static_cast<uint64_t>(std::ceil(n / rate - 1e-9));
    ctx_.wait_cycles(std::max(t_stream, delay_cycles(delay)));
    for (auto& t : targets_) {
      t.fifo->commit(buf_.data(), n, sc_core::sc_time_stamp() + ctx_.cycles(t.latency_cycles));
      ctx_.counter(t.track, t.fifo->stored());
    }
    sent += n;
    ws_.done_bytes = sent;
  }
  if (stall > 0)
    ctx_.stat(prefix_ + ".stall_cycles", static_cast<double>(stall), "cycles",
              "cycles the sender waited for space in a destination FIFO (backpressure)");
  if (is_shim_) ctx_.bytes_ddr_to_mem += total;
}

void DmaChannel::receive(const isa::BufferDescriptor& bd, uint32_t rep) {
  AddressGen gen(bd, rep);
  const uint64_t total = gen.total();
  uint64_t got = 0, stall = 0;
  StreamFifo& f = *fifo_;
  while (got < total) {
    uint64_t t0 = ctx_.now();
    uint32_t avail;
    while ((avail = f.ready_bytes(sc_core::sc_time_stamp())) == 0) {
      ws_.kind = WaitState::Kind::StreamData;
      if (f.stored() > 0)
        sc_core::wait(f.next_ready() - sc_core::sc_time_stamp());  // bytes in flight (hop latency)
      else
        sc_core::wait(f.data_event);
    }
    ws_.kind = WaitState::Kind::None;
    stall += ctx_.now() - t0;
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(avail, total - got));
    buf_.resize(n);
    f.pop(buf_.data(), n, sc_core::sc_time_stamp());
    ctx_.counter(fifo_track_, f.stored());
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
  if (stall > 0)
    ctx_.stat(prefix_ + ".stall_cycles", static_cast<double>(stall), "cycles",
              "cycles the receiver waited for stream data");
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
