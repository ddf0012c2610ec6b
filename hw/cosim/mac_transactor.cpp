// mac_transactor.cpp — conv ops through the Verilated block-MAC (see mac_transactor.h).
// The Verilated headers come before <systemc>: with SYSTEMC_VERSION defined they expect an
// unqualified sc_time_stamp(), which the plain-C++ models built here do not use.
#include "Vblock_mac.h"
#include "Vblock_mac_broken.h"
#include "hw/cosim/verilated_dut.h"

#include "hw/cosim/mac_transactor.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "hw/isa/op_costs.h"
#include "hw/isa/quant_math.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the RTL buses are packed from little-endian memory");

namespace saie::hw {

// The pins of either variant (Vblock_mac, Vblock_mac_broken: same ports, different classes).
struct MacTransactor::Dut {
  virtual ~Dut() = default;
  virtual void set(bool valid, bool first, bool last, bool out_ready) = 0;
  virtual uint32_t* x() = 0;  // 8 words: X[p][ci] byte (p*8+ci)
  virtual uint32_t* w() = 0;  // 16 words: W[co][ci] byte (co*8+ci)
  virtual void eval() = 0;    // clk low: settle the combinational outputs for the inputs set
  virtual void edge() = 0;    // the rising edge (clk 1); the next eval() brings clk low again
  virtual bool in_ready() const = 0;
  virtual bool out_valid() const = 0;
  virtual const uint32_t* acc() const = 0;  // 32 words: ACC[p][co] word (p*8+co)
};

namespace {

template <class M>
struct DutOf final : MacTransactor::Dut {
  VerilatedDut<M> d;
  explicit DutOf(const std::string& name) : d(name) {
    set(false, false, false, false);
    d.reset();
  }
  void set(bool valid, bool first, bool last, bool out_ready) override {
    d.m->in_valid = valid;
    d.m->in_first = first;
    d.m->in_last = last;
    d.m->out_ready = out_ready;
  }
  uint32_t* x() override { return d.m->in_x.data(); }
  uint32_t* w() override { return d.m->in_w.data(); }
  void eval() override { d.settle(); }
  void edge() override { d.rise(); }
  bool in_ready() const override { return d.m->in_ready; }
  bool out_valid() const override { return d.m->out_valid; }
  const uint32_t* acc() const override { return d.m->out_acc.data(); }
};

constexpr uint32_t kPix = 4;  // output pixels per step (the RTL's fixed 4x8x8 shape)

// Wave signals of the transactor (value-change recorded when waves are on).
enum Sig { kInValid, kInReady, kInFirst, kInLast, kOutValid, kOutReady, kBlockRow, kAcc00, kSigs };
const char* const kSigNames[kSigs] = {"in_valid", "in_ready", "in_first", "in_last",
                                      "out_valid", "out_ready", "block_row", "out_acc_0_0"};

}  // namespace

MacTransactor::MacTransactor(isa::TileId tile, SimContext& ctx, const RtlOptions& opt, RtlReport& report)
    : tile_(tile),
      ctx_(ctx),
      opt_(opt),
      report_(report),
      track_(track_prefix(tile) + ".rtl_mac"),
      st_edges_(ctx, track_ + ".edges", "cycles", "RTL block-MAC clock edges driven"),
      st_steps_(ctx, track_ + ".steps", "count", "steps (one 8x8 block x 4x8 tile) the RTL block-MAC accepted"),
      st_stall_(ctx, track_ + ".input_stall_cycles", "cycles", "cycles a step was offered but in_ready was low") {
  const std::string name = tile_name(tile) + "_block_mac";
  if (opt.broken)
    dut_ = std::make_unique<DutOf<Vblock_mac_broken>>(name);
  else
    dut_ = std::make_unique<DutOf<Vblock_mac>>(name);
  if (opt_.waves && ctx_.tracing())
    for (int s = 0; s < kSigs; ++s)
      if (s != kBlockRow && s != kAcc00) ctx_.rec.mark_wire(track_ + "." + kSigNames[s]);
}

MacTransactor::~MacTransactor() = default;

KernelResult MacTransactor::run(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, uint32_t op_index, uint64_t start_cycle) {
  if (op.kind == isa::CoreOpKind::Conv) return run_conv(mem, mem_size, op, op_index, start_cycle);
  return run_compute_op(mem, mem_size, op, ctx_.cfg.core.costs, !ctx_.timing_only);
}

KernelResult MacTransactor::run_conv(uint8_t* mem, size_t mem_size, const isa::CoreOp& op, uint32_t op_index,
                                     uint64_t start_cycle) {
  const isa::ConvArgs& a = op.conv;
  const config::CoreCosts& costs = ctx_.cfg.core.costs;
  const ConvOperands o = parse_conv_operands(mem, mem_size, a);  // same checks as the model
  const uint32_t taps = uint32_t{a.kh} * a.kw, pixels = a.out_h * a.out_w;
  const uint32_t groups = (pixels + kPix - 1) / kPix;

  // Sequences in issue order: (block row, pixel group) for every block row with stored blocks.
  struct Seq {
    uint32_t br, group;
  };
  std::vector<Seq> seqs;
  for (uint32_t br = 0; br < o.block_rows; ++br)
    if (o.row_ptr[br + 1] > o.row_ptr[br])
      for (uint32_t g = 0; g < groups; ++g) seqs.push_back({br, g});
  uint64_t total_steps = 0;
  for (const Seq& s : seqs) total_steps += uint64_t{o.row_ptr[s.br + 1] - o.row_ptr[s.br]} * taps;

  // Step cursor: sequence, stored block within its row, tap.
  size_t seq = 0;
  uint32_t blk = 0, tap = 0;
  const uint8_t* in = mem + a.in_addr;
  auto pack = [&] {  // puts the current step's X and W on the input bus
    const Seq& s = seqs[seq];
    const uint32_t stored = o.row_ptr[s.br] + blk;
    const uint8_t* block = o.blocks + o.block_bytes * stored;
    const uint64_t cin0 = uint64_t{o.col_idx[stored]} * 8;
    const uint32_t ky = tap / a.kw, kx = tap % a.kw;
    uint8_t xb[32], wb[64];
    for (uint32_t p = 0; p < kPix; ++p) {
      const uint32_t pix = s.group * kPix + p;
      if (pix >= pixels) {
        std::memset(xb + p * 8, 0, 8);
        continue;
      }
      const uint32_t oh = pix / a.out_w, ow = pix % a.out_w;
      std::memcpy(xb + p * 8, in + ((uint64_t{oh} * a.stride_h + ky) * a.in_w + uint64_t{ow} * a.stride_w + kx) * a.in_c + cin0, 8);
    }
    for (uint32_t co = 0; co < 8; ++co) std::memcpy(wb + co * 8, block + (uint64_t{co} * taps + tap) * 8, 8);
    std::memcpy(dut_->x(), xb, sizeof xb);
    std::memcpy(dut_->w(), wb, sizeof wb);
  };
  auto steps_in_seq = [&](size_t k) { return (o.row_ptr[seqs[k].br + 1] - o.row_ptr[seqs[k].br]) * taps; };
  auto first_of = [&] { return blk == 0 && tap == 0; };
  auto last_of = [&] { return uint64_t{blk} * taps + tap + 1 == steps_in_seq(seq); };
  auto advance = [&] {
    if (++tap == taps) {
      tap = 0;
      if (++blk == o.row_ptr[seqs[seq].br + 1] - o.row_ptr[seqs[seq].br]) {
        blk = 0;
        ++seq;
      }
    }
  };

  // Accumulators: bias (or the stored partial sums), then + the RTL's int32 sums (as the model:
  // int64 = start + block sums).
  thread_local std::vector<int64_t> acc;
  acc.resize(uint64_t{pixels} * a.out_c);
  conv_acc_begin(mem, a, o, acc.data());

  const bool waves = opt_.waves && ctx_.tracing();
  std::array<int64_t, kSigs> last_sig;
  last_sig.fill(-1);
  auto sample = [&](uint64_t t, Sig s, int64_t v) {
    if (last_sig[s] == v) return;
    last_sig[s] = v;
    ctx_.rec.add_counter(track_ + "." + kSigNames[s], t, v);
  };

  const auto wall0 = std::chrono::steady_clock::now();
  uint64_t cyc = 0, issued = 0, taken = 0, stalled = 0, quiet = 0;
  uint32_t drain = 0;
  const uint64_t quiet_limit = 16 + uint64_t{opt_.acc_drain_cycles};
  if (!seqs.empty()) pack();
  while (taken < seqs.size()) {
    const bool have = seq < seqs.size();
    const bool first = have && first_of(), last = have && last_of();
    const bool out_ready = drain == 0;
    dut_->set(have, first, last, out_ready);
    dut_->eval();
    const bool fire_in = have && dut_->in_ready();
    const bool fire_out = dut_->out_valid() && out_ready;
    if (have && !fire_in) ++stalled;
    if (fire_out) {
      const Seq& s = seqs[taken];
      const uint32_t* r = dut_->acc();
      for (uint32_t p = 0; p < kPix; ++p) {
        const uint32_t pix = s.group * kPix + p;
        if (pix >= pixels) continue;
        int64_t* dst = &acc[uint64_t{pix} * a.out_c + uint64_t{s.br} * 8];
        for (uint32_t co = 0; co < 8; ++co) dst[co] += static_cast<int32_t>(r[p * 8 + co]);
      }
      ++taken;
    }
    if (waves) {
      const uint64_t t = start_cycle + cyc;
      sample(t, kInValid, have);
      sample(t, kInReady, dut_->in_ready());
      sample(t, kInFirst, first);
      sample(t, kInLast, last);
      sample(t, kOutValid, dut_->out_valid());
      sample(t, kOutReady, out_ready);
      sample(t, kBlockRow, have ? int64_t{seqs[seq].br} : -1);
      if (dut_->out_valid()) sample(t, kAcc00, static_cast<int32_t>(dut_->acc()[0]));
    }
    dut_->edge();
    ++cyc;
    if (fire_in) {
      ++issued;
      advance();
      if (seq < seqs.size()) pack();
    }
    drain = fire_out ? opt_.acc_drain_cycles : (drain > 0 ? drain - 1 : 0);
    quiet = (fire_in || fire_out) ? 0 : quiet + 1;
    if (quiet > quiet_limit)
      throw std::runtime_error("RTL block_mac made no progress for " + std::to_string(quiet) + " cycles: " +
                               std::to_string(taken) + " of " + std::to_string(seqs.size()) + " accumulators returned after " +
                               std::to_string(issued) + " of " + std::to_string(total_steps) + " steps (a dropped valid?)");
  }
  // Settle the output: no result may follow once every sequence has been returned.
  dut_->set(false, false, false, true);
  dut_->eval();
  if (dut_->out_valid())
    throw std::runtime_error("RTL block_mac offers an accumulator after all " + std::to_string(seqs.size()) +
                             " sequences were returned");
  if (waves) {
    const uint64_t t = start_cycle + cyc;
    sample(t, kInValid, 0);
    sample(t, kInReady, dut_->in_ready());
    sample(t, kInFirst, 0);
    sample(t, kInLast, 0);
    sample(t, kOutValid, 0);
    sample(t, kOutReady, 1);
    sample(t, kBlockRow, -1);
  }
  report_.rtl_wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  report_.mac_edges += cyc;
  st_edges_.add(static_cast<double>(cyc));
  st_steps_.add(static_cast<double>(issued));
  st_stall_.add(static_cast<double>(stalled));

  conv_acc_end(mem, a, o, acc.data());

  // Cycles: the cost table's op with its MAC term replaced by the RTL's edges.
  const uint64_t nnz = o.stored_blocks();
  const uint64_t model = isa::conv_cycles(a, nnz, costs);
  const uint64_t model_mac = isa::conv_mac_cycles(a.out_h, a.out_w, a.kh, a.kw, nnz, costs);
  RtlOpRecord rec;
  rec.phase = ctx_.phase;
  rec.tile = tile_;
  rec.op = op_index;
  rec.label = op.label;
  rec.stored_blocks = nnz;
  rec.steps = issued;
  rec.results = taken;
  rec.model_cycles = model;
  rec.model_mac_cycles = model_mac;
  rec.rtl_mac_cycles = cyc;
  rec.rtl_op_cycles = model - model_mac + cyc;
  record(op_index, rec);

  KernelResult r;
  r.blocks = nnz;
  r.macs = nnz * pixels * taps * 64;
  r.cycles = rec.rtl_op_cycles;
  return r;
}

void MacTransactor::record(uint32_t op_index, const RtlOpRecord& r) {
  auto [it, fresh] = index_.emplace(std::make_pair(r.phase, op_index), report_.ops.size());
  if (fresh) {
    report_.ops.push_back(r);
    report_.ops.back().count = 1;
    return;
  }
  RtlOpRecord& e = report_.ops[it->second];
  ++e.count;
  if (e.rtl_mac_cycles != r.rtl_mac_cycles || e.steps != r.steps) e.varying = true;
}

}  // namespace saie::hw
