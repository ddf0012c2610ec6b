// core_model.cpp — core op sequencing, locks and kernel calls with their cycle costs.
#include "hw/core/core_model.h"

#include <exception>

#include "hw/core/kernels.h"
#include "hw/mem/memory.h"

namespace saie::hw {

namespace {
// Banks the operands of a compute op occupy (bank conflict model).
uint64_t op_banks(const Memory& m, const isa::CoreOp& op, const KernelResult& r) {
  switch (op.kind) {
    case isa::CoreOpKind::Conv: {
      const isa::ConvArgs& a = op.conv;
      const uint64_t meta = (8 + 2 * (uint64_t{a.out_c / 8} + 1) + 2 * r.blocks + 3) / 4 * 4;
      uint64_t banks = m.bank_mask(a.in_addr, conv_input_bytes(a)) |
                       m.bank_mask(a.w_addr, meta + r.blocks * 64 * a.kh * a.kw) | m.bank_mask(a.qp_addr, conv_qp_bytes(a));
      if (isa::conv_writes_output(a)) banks |= m.bank_mask(a.out_addr, conv_output_bytes(a));
      if (a.acc_mode != isa::ConvAcc::None) banks |= m.bank_mask(a.acc_addr, isa::conv_acc_bytes(a));
      if (a.lut) banks |= m.bank_mask(a.lut_addr, isa::kLutBytes);
      return banks;
    }
    case isa::CoreOpKind::MaxPool:
    case isa::CoreOpKind::AvgPool: {
      const isa::PoolArgs& a = op.pool;
      return m.bank_mask(a.in_addr, uint64_t{a.in_h} * a.in_w * a.c) | m.bank_mask(a.out_addr, uint64_t{a.out_h} * a.out_w * a.c);
    }
    case isa::CoreOpKind::Add:
      return m.bank_mask(op.add.a_addr, op.add.n) | m.bank_mask(op.add.b_addr, op.add.n) | m.bank_mask(op.add.out_addr, op.add.n);
    case isa::CoreOpKind::DwConv: {
      const isa::ConvArgs& a = op.conv;
      uint64_t banks = m.bank_mask(a.in_addr, conv_input_bytes(a)) | m.bank_mask(a.w_addr, isa::dwconv_weight_bytes(a)) |
                       m.bank_mask(a.qp_addr, conv_qp_bytes(a)) | m.bank_mask(a.out_addr, conv_output_bytes(a));
      if (a.lut) banks |= m.bank_mask(a.lut_addr, isa::kLutBytes);
      return banks;
    }
    case isa::CoreOpKind::Mul:
      return m.bank_mask(op.mul.in_addr, isa::mul_input_bytes(op.mul)) | m.bank_mask(op.mul.g_addr, op.mul.c) |
             m.bank_mask(op.mul.out_addr, isa::mul_output_bytes(op.mul));
    default:
      return 0;
  }
}

// The model's own compute: the kernels, with the arithmetic skipped in a timing-only run.
class KernelCompute : public ComputeBackend {
 public:
  explicit KernelCompute(const SimContext& ctx) : ctx_(ctx) {}
  KernelResult run(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, uint32_t, uint64_t) override {
    return run_compute_op(mem, mem_size, op, ctx_.cfg.core.costs, !ctx_.timing_only);
  }

 private:
  const SimContext& ctx_;
};

}  // namespace

CoreModel::CoreModel(sc_core::sc_module_name name, isa::TileId tile, LockUnit& locks, SimContext& ctx)
    : sc_core::sc_module(name),
      socket("socket"),
      tile_(tile),
      locks_(locks),
      ctx_(ctx),
      label_(tile_label(tile) + ".core"),
      track_(track_prefix(tile) + ".core"),
      st_lock_wait_(ctx, track_ + ".lock_wait_cycles", "cycles", "cycles the core waited for lock acquires"),
      st_busy_(ctx, track_ + ".busy_cycles", "cycles", "cycles spent in compute ops"),
      st_macs_(ctx, track_ + ".macs", "MAC", "int8 MACs performed"),
      st_blocks_(ctx, track_ + ".blocks", "count", "stored 8x8 weight blocks computed"),
      st_ops_(ctx, track_ + ".compute_ops", "count", "compute ops executed") {
  compute_ = std::make_unique<KernelCompute>(ctx);
  SC_THREAD(run);
}

CoreModel::~CoreModel() = default;



void CoreModel::start_of_simulation() {
  tlm::tlm_generic_payload tx;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(0);
  tlm::tlm_dmi dmi;
  if (socket->get_direct_mem_ptr(tx, dmi) && dmi.get_start_address() == 0) {
    mem_ = dmi.get_dmi_ptr();
    mem_size_ = dmi.get_end_address() + 1;
  }
}

void CoreModel::start() {
  if (!program_) return;
  pending_ = true;
  running_ = true;
  start_event_.notify(sc_core::SC_ZERO_TIME);
}

void CoreModel::run() {
  for (;;) {
    while (!pending_) sc_core::wait(start_event_);
    pending_ = false;
    run_program(*program_);
    ws_ = WaitState{};
    running_ = false;
    ctx_.agent_done();
  }
}

void CoreModel::run_program(const isa::CoreProgram& p) {
  const auto& costs = ctx_.cfg.core.costs;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const isa::CoreOp& op = p.ops[i];
    ws_ = WaitState{};
    ws_.op = static_cast<int>(i);
    switch (op.kind) {
      case isa::CoreOpKind::Acquire: {
        ws_.kind = WaitState::Kind::Lock;
        ws_.lock = op.lock;
        ws_.value = op.value;
        uint64_t t0 = ctx_.now();
        uint64_t waited = locks_.acquire(op.lock, op.value, label_, static_cast<int>(i));
        ws_.kind = WaitState::Kind::None;
        st_lock_wait_.add(static_cast<double>(waited));
        ctx_.add_stall(SimContext::Stall::Lock, waited);
        if (waited > 0 && ctx_.tracing()) ctx_.slice(track_, "wait lock " + std::to_string(op.lock), "lock", t0, ctx_.now());
        ctx_.wait_cycles(costs.lock_cycles);
        break;
      }
      case isa::CoreOpKind::Release:
        ctx_.wait_cycles(costs.lock_cycles);
        locks_.release(op.lock, op.value, label_, static_cast<int>(i));
        break;
      default: {
        if (!mem_) ctx_.fail(label_ + ": no direct access to the tile memory");
        KernelResult r;
        try {
          r = compute_->run(mem_, mem_size_, op, static_cast<uint32_t>(i), ctx_.now() + costs.op_prologue_cycles);
        } catch (const std::exception& e) {
          ctx_.fail(label_ + " op " + std::to_string(i) + " (" + isa::core_op_name(op.kind) +
                    (op.label.empty() ? "" : " '" + op.label + "'") + "): " + e.what());
        }
        uint64_t begin = ctx_.now();
        if (bank_mem_) bank_mem_->set_core_use(op_banks(*bank_mem_, op, r), double(begin), double(begin + r.cycles));
        ctx_.wait_cycles(r.cycles);
        if (bank_mem_) bank_mem_->set_core_use(0, 0, 0);
        if (ctx_.tracing())
          ctx_.slice(track_, op.label.empty() ? std::string(isa::core_op_name(op.kind)) : op.label, "compute", begin, ctx_.now());
        st_busy_.add(static_cast<double>(r.cycles));
        st_macs_.add(static_cast<double>(r.macs));
        st_blocks_.add(static_cast<double>(r.blocks));
        st_ops_.add(1);
        ctx_.core_compute_cycles += r.cycles;
        if (ctx_.phase < ctx_.phase_core_busy.size()) ctx_.phase_core_busy[ctx_.phase] += r.cycles;
        break;
      }
    }
  }
}

std::string CoreModel::blocked_description() const {
  if (ws_.kind == WaitState::Kind::Lock)
    return label_ + " op " + std::to_string(ws_.op) + " waits lock " + std::to_string(ws_.lock) + " >= " +
           std::to_string(ws_.value) + " (value " + std::to_string(locks_.value(ws_.lock)) + ")";
  return label_ + " op " + std::to_string(ws_.op) + " is running";
}

}  // namespace saie::hw
