// program_interpreter.h — test oracle: a purely functional interpreter of isa::Program
// (docs/program-format.md semantics, no timing, unbounded stream FIFOs), so lowering can be
// checked bit for bit against the reference executor without the SystemC simulator.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "hw/config/array_config.h"
#include "hw/isa/program.h"
#include "hw/isa/quant_math.h"

namespace saie::test {

class ProgramInterpreter {
 public:
  ProgramInterpreter(const config::ArrayConfig& cfg, const isa::Program& p) : cfg_(cfg), p_(p) {
    ddr_.assign(p.ddr_bytes_needed, 0);
    for (const isa::DdrSegment& s : p.ddr_init) {
      if (s.addr + s.bytes.size() > ddr_.size()) throw std::runtime_error("ddr_init segment outside DDR");
      std::memcpy(ddr_.data() + s.addr, s.bytes.data(), s.bytes.size());
    }
  }

  // Runs one inference: writes input (HWC, logical channels) at the input port, runs every
  // phase, returns the output port's logical HWC tensor. Throws on deadlock or bad access.
  std::vector<int8_t> run(const std::vector<int8_t>& input) {
    const isa::TensorPort& in = p_.input;
    if (input.size() != size_t{in.h} * in.w * in.c) throw std::runtime_error("input size mismatch");
    for (uint32_t y = 0; y < in.h; ++y)
      for (uint32_t x = 0; x < in.w; ++x)
        for (uint32_t c = 0; c < in.c; ++c)
          ddr_.at(in.addr + uint64_t{y} * in.row_pitch + uint64_t{x} * in.pitch_c + c) =
              static_cast<uint8_t>(input[(size_t{y} * in.w + x) * in.c + c]);
    for (const isa::Phase& ph : p_.phases) run_phase(ph);
    const isa::TensorPort& out = p_.output;
    std::vector<int8_t> res(size_t{out.h} * out.w * out.c);
    for (uint32_t y = 0; y < out.h; ++y)
      for (uint32_t x = 0; x < out.w; ++x)
        for (uint32_t c = 0; c < out.c; ++c)
          res[(size_t{y} * out.w + x) * out.c + c] =
              static_cast<int8_t>(ddr_.at(out.addr + uint64_t{y} * out.row_pitch + uint64_t{x} * out.pitch_c + c));
    return res;
  }

  // Stored blocks computed by Conv ops so far (sum over ops of nnz * out_h * out_w).
  uint64_t block_pixel_ops() const { return block_pixel_ops_; }

 private:
  using Key = std::tuple<int, int, int>;  // col, row, channel (or lock id)
  static Key key(isa::TileId t, int v) { return Key{t.col, t.row, v}; }

  struct DmaState {
    const isa::DmaTask* task = nullptr;
    int bd = 0;
    uint32_t executions = 0, rep = 0;
    bool done = false;
  };

  std::vector<uint8_t>& memory(isa::TileId t) {
    if (t.row == 0) return ddr_;
    auto it = mem_.find(t);
    if (it == mem_.end())
      // Filled with a junk pattern on first use: a program that reads bytes nobody wrote gives
      // wrong results instead of passing by luck (memories persist across phases).
      it = mem_.emplace(t, std::vector<uint8_t>(isa::tile_kind(t, cfg_.mem_rows) == isa::TileKind::Mem
                                                    ? cfg_.memtile.memory_bytes
                                                    : cfg_.core.data_memory_bytes,
                                                uint8_t{0xa5}))
               .first;
    return it->second;
  }

  static const isa::BufferDescriptor& find_bd(const isa::Phase& ph, isa::TileId t, int id) {
    for (const isa::TileBds& tb : ph.bds)
      if (tb.tile == t)
        for (const isa::BufferDescriptor& bd : tb.bds)
          if (bd.id == id) return bd;
    throw std::runtime_error("missing BD " + std::to_string(id));
  }

  // Byte addresses of one repetition, innermost first; kPad for a zero-padding byte (the
  // padded index space: dim d runs over pad_before + size + pad_after positions).
  static constexpr int64_t kPad = -1;
  static std::vector<int64_t> addresses(const isa::BufferDescriptor& bd, uint32_t rep) {
    std::vector<int64_t> out;
    const int64_t base = static_cast<int64_t>(bd.addr) + int64_t{rep} * bd.iter_stride;
    int64_t size[4] = {1, 1, 1, 1}, before[4] = {0, 0, 0, 0}, ext[4] = {1, 1, 1, 1};
    int64_t stride[4] = {0, 0, 0, 0};
    for (int d = 0; d < bd.ndims; ++d) {
      size[d] = bd.dims[d].size;
      stride[d] = bd.dims[d].stride;
      before[d] = bd.pad_before[d];
      ext[d] = before[d] + size[d] + bd.pad_after[d];
    }
    int64_t i[4];
    for (i[3] = 0; i[3] < ext[3]; ++i[3])
      for (i[2] = 0; i[2] < ext[2]; ++i[2])
        for (i[1] = 0; i[1] < ext[1]; ++i[1])
          for (i[0] = 0; i[0] < ext[0]; ++i[0]) {
            int64_t a = base;
            for (int d = 0; d < 4; ++d) {
              const int64_t real = i[d] - before[d];
              if (real < 0 || real >= size[d]) {
                a = kPad;
                break;
              }
              a += real * stride[d];
            }
            if (a != kPad && a < 0) throw std::runtime_error("BD address below 0");
            out.push_back(a);
          }
    return out;
  }

  // Byte `a` as tile t's DMA sees it: memtile addresses [S, 2S) / [2S, 3S) are the west / east
  // neighbour memtile's memory (docs/program-format.md "Memtile neighbour access").
  uint8_t& dma_byte(isa::TileId t, int64_t a) {
    if (isa::tile_kind(t, cfg_.mem_rows) == isa::TileKind::Mem) {
      const uint64_t s = cfg_.memtile.memory_bytes, region = static_cast<uint64_t>(a) / s;
      if (region == 1 || region == 2) {
        const int col = t.col + (region == 1 ? -1 : 1);
        if (col < 0 || col >= static_cast<int>(cfg_.columns)) throw std::runtime_error("memtile neighbour outside array");
        return memory(isa::TileId{static_cast<uint8_t>(col), t.row}).at(static_cast<uint64_t>(a) - region * s);
      }
    }
    return memory(t).at(static_cast<uint64_t>(a));
  }

  int& lock(isa::TileId t, int l) { return locks_[key(t, l)]; }
  void release(isa::TileId t, int l, int v) {
    int& x = lock(t, l);
    x += v;
    if (x > 63) throw std::runtime_error("lock overflow on tile " + std::to_string(t.col) + "," + std::to_string(t.row));
  }

  // One repetition of a DMA task; false if blocked.
  bool step_dma(const isa::Phase& ph, DmaState& s) {
    const isa::DmaTask& t = *s.task;
    const isa::BufferDescriptor& bd = find_bd(ph, t.tile, s.bd);
    const uint64_t n = bd.bytes_per_repetition();
    std::deque<uint8_t>* q = nullptr;
    if (t.dir == isa::DmaDir::S2MM) {
      q = &queues_[key(t.tile, t.channel)];
      if (q->size() < n) return false;
    }
    if (bd.acq_lock >= 0) {
      int& l = lock(t.tile, bd.acq_lock);
      if (l < bd.acq_value) return false;
      l -= bd.acq_value;
    }
    const std::vector<int64_t> addrs = addresses(bd, s.rep);
    if (t.dir == isa::DmaDir::MM2S) {
      auto r = routes_.find(key(t.tile, t.channel));
      if (r == routes_.end()) throw std::runtime_error("MM2S without route");
      for (int64_t a : addrs) {
        const uint8_t v = a == kPad ? uint8_t{0} : dma_byte(t.tile, a);
        for (const Key& d : r->second) queues_[d].push_back(v);
      }
    } else {
      for (int64_t a : addrs) {
        if (a == kPad) throw std::runtime_error("zero padding on an S2MM BD");
        dma_byte(t.tile, a) = q->front();
        q->pop_front();
      }
    }
    if (bd.rel_lock >= 0) release(t.tile, bd.rel_lock, bd.rel_value);
    if (++s.rep == bd.iter_count) {
      s.rep = 0;
      ++s.executions;
      if (s.executions >= t.bd_executions || bd.next_bd < 0) s.done = true;
      else s.bd = bd.next_bd;
    }
    return true;
  }

  static uint16_t rd16(const std::vector<uint8_t>& m, uint64_t a) { return uint16_t(m.at(a) | (m.at(a + 1) << 8)); }
  static int32_t rd32(const std::vector<uint8_t>& m, uint64_t a) {
    return static_cast<int32_t>(uint32_t(m.at(a)) | (uint32_t(m.at(a + 1)) << 8) | (uint32_t(m.at(a + 2)) << 16) |
                                (uint32_t(m.at(a + 3)) << 24));
  }
  static int8_t s8(const std::vector<uint8_t>& m, uint64_t a) { return static_cast<int8_t>(m.at(a)); }

  void conv(std::vector<uint8_t>& m, const isa::ConvArgs& a) {
    const uint32_t br = rd16(m, a.w_addr), bc = rd16(m, a.w_addr + 2), kh = rd16(m, a.w_addr + 4),
                   kw = rd16(m, a.w_addr + 6);
    if (br * 8 != a.out_c || bc * 8 != a.in_c || kh != a.kh || kw != a.kw)
      throw std::runtime_error("conv weights header does not match the op");
    std::vector<uint32_t> row_ptr(br + 1);
    for (uint32_t i = 0; i <= br; ++i) row_ptr[i] = rd16(m, a.w_addr + 8 + 2 * i);
    const uint32_t nnz = row_ptr[br];
    std::vector<uint32_t> col(nnz);
    for (uint32_t j = 0; j < nnz; ++j) col[j] = rd16(m, a.w_addr + 8 + 2 * (br + 1) + 2 * j);
    const uint64_t blocks = a.w_addr + ((8 + 2 * (br + 1) + 2 * nnz + 3) / 4 * 4);
    const uint64_t block_bytes = 64ull * kh * kw;
    block_pixel_ops_ += uint64_t{nnz} * a.out_h * a.out_w;
    for (uint32_t oy = 0; oy < a.out_h; ++oy)
      for (uint32_t ox = 0; ox < a.out_w; ++ox)
        for (uint32_t oc = 0; oc < a.out_c; ++oc) {
          const uint64_t qp = a.qp_addr + 12ull * oc;
          // Input-channel split: int32 partial sums at acc_addr (HWC) between the chunk ops.
          const uint64_t pa = a.acc_addr + 4 * ((uint64_t{oy} * a.out_w + ox) * a.out_c + oc);
          const bool carry = a.acc_mode == isa::ConvAcc::Middle || a.acc_mode == isa::ConvAcc::Last;
          int64_t acc = carry ? rd32(m, pa) : rd32(m, qp);
          const uint32_t r = oc / 8, o = oc % 8;
          for (uint32_t j = row_ptr[r]; j < row_ptr[r + 1]; ++j) {
            const uint64_t blk = blocks + j * block_bytes;
            for (uint32_t ky = 0; ky < kh; ++ky)
              for (uint32_t kx = 0; kx < kw; ++kx)
                for (uint32_t i = 0; i < 8; ++i) {
                  const uint64_t ia = a.in_addr + ((uint64_t{oy} * a.stride_h + ky) * a.in_w + ox * a.stride_w + kx) * a.in_c +
                                      col[j] * 8 + i;
                  acc += int64_t{s8(m, ia)} * s8(m, blk + ((uint64_t{o} * kh + ky) * kw + kx) * 8 + i);
                }
          }
          if (a.acc_mode == isa::ConvAcc::First || a.acc_mode == isa::ConvAcc::Middle) {
            if (acc < INT32_MIN || acc > INT32_MAX) throw std::runtime_error("conv partial sum outside int32");
            const auto u = static_cast<uint32_t>(static_cast<int32_t>(acc));
            for (int k = 0; k < 4; ++k) m.at(pa + k) = static_cast<uint8_t>(u >> (8 * k));
            continue;
          }
          int8_t y = isa::requantize(acc, rd32(m, qp + 4), rd32(m, qp + 8), a.relu != 0);
          if (a.lut) y = static_cast<int8_t>(m.at(a.lut_addr + static_cast<uint32_t>(y + 128)));
          m.at(a.out_addr + (uint64_t{oy} * a.out_w + ox) * a.out_c + oc) = static_cast<uint8_t>(y);
        }
  }

  static void pool(std::vector<uint8_t>& m, const isa::PoolArgs& a, bool avg) {
    for (uint32_t oy = 0; oy < a.out_h; ++oy)
      for (uint32_t ox = 0; ox < a.out_w; ++ox)
        for (uint32_t c = 0; c < a.c; ++c) {
          int64_t sum = 0, mx = -128;
          for (uint32_t ky = 0; ky < a.kh; ++ky)
            for (uint32_t kx = 0; kx < a.kw; ++kx) {
              const int64_t v = s8(m, a.in_addr + ((uint64_t{oy} * a.stride_h + ky) * a.in_w + ox * a.stride_w + kx) * a.c + c);
              sum += v;
              mx = std::max(mx, v);
            }
          int8_t y = static_cast<int8_t>(mx);
          if (avg && !a.divide) y = isa::saturate_int8(isa::round_shift(sum * a.mult, a.shift));
          if (avg && a.divide) {
            const int64_t count = isa::window_taps(int64_t{oy} * a.stride_h, a.kh, a.count_y0, a.count_y1) *
                                  isa::window_taps(int64_t{ox} * a.stride_w, a.kw, a.count_x0, a.count_x1);
            y = isa::avg_requantize(sum, count, a.mult, a.shift);
          }
          m.at(a.out_addr + (uint64_t{oy} * a.out_w + ox) * a.c + c) = static_cast<uint8_t>(y);
        }
  }

  static void add(std::vector<uint8_t>& m, const isa::AddArgs& a) {
    for (uint32_t i = 0; i < a.n; ++i) {
      int8_t y = isa::saturate_int8(
          isa::round_shift(int64_t{s8(m, a.a_addr + i)} * a.mult_a + int64_t{s8(m, a.b_addr + i)} * a.mult_b, a.shift));
      if (a.relu && y < 0) y = 0;
      m.at(a.out_addr + i) = static_cast<uint8_t>(y);
    }
  }

  static void dwconv(std::vector<uint8_t>& m, const isa::ConvArgs& a) {
    std::vector<uint8_t> out(uint64_t{a.out_h} * a.out_w * a.out_c);
    for (uint32_t oy = 0; oy < a.out_h; ++oy)
      for (uint32_t ox = 0; ox < a.out_w; ++ox)
        for (uint32_t k = 0; k < a.out_c; ++k) {
          const uint64_t qp = a.qp_addr + 12ull * k;
          int64_t acc = static_cast<int32_t>(rd32(m, qp));
          for (uint32_t ky = 0; ky < a.kh; ++ky)
            for (uint32_t kx = 0; kx < a.kw; ++kx)
              acc += int64_t{s8(m, a.in_addr + ((uint64_t{oy} * a.stride_h + ky) * a.in_w + ox * a.stride_w + kx) * a.in_c +
                                   a.c0 + k)} *
                     s8(m, a.w_addr + (uint64_t{ky} * a.kw + kx) * a.out_c + k);
          int8_t y = isa::requantize(acc, rd32(m, qp + 4), rd32(m, qp + 8), a.relu != 0);
          if (a.lut) y = static_cast<int8_t>(m.at(a.lut_addr + static_cast<uint32_t>(y + 128)));
          out[(uint64_t{oy} * a.out_w + ox) * a.out_c + k] = static_cast<uint8_t>(y);
        }
    std::copy(out.begin(), out.end(), m.begin() + a.out_addr);
  }

  static void mul(std::vector<uint8_t>& m, const isa::MulArgs& a) {
    std::vector<uint8_t> out(uint64_t{a.pixels} * a.c);
    for (uint64_t p = 0; p < a.pixels; ++p)
      for (uint32_t k = 0; k < a.c; ++k)
        out[p * a.c + k] = static_cast<uint8_t>(isa::mul_requantize(s8(m, a.in_addr + p * a.in_pitch + k),
                                                                    s8(m, a.g_addr + k), a.mult, a.shift));
    std::copy(out.begin(), out.end(), m.begin() + a.out_addr);
  }

  // One op of a core program; false if blocked.
  bool step_core(const isa::CoreProgram& cp, size_t& pc) {
    const isa::CoreOp& op = cp.ops[pc];
    std::vector<uint8_t>& m = memory(cp.tile);
    switch (op.kind) {
      case isa::CoreOpKind::Acquire: {
        int& l = lock(cp.tile, op.lock);
        if (l < op.value) return false;
        l -= op.value;
        break;
      }
      case isa::CoreOpKind::Release: release(cp.tile, op.lock, op.value); break;
      case isa::CoreOpKind::Conv: conv(m, op.conv); break;
      case isa::CoreOpKind::MaxPool: pool(m, op.pool, false); break;
      case isa::CoreOpKind::AvgPool: pool(m, op.pool, true); break;
      case isa::CoreOpKind::Add: add(m, op.add); break;
      case isa::CoreOpKind::Mul: mul(m, op.mul); break;
      case isa::CoreOpKind::DwConv: dwconv(m, op.conv); break;
    }
    ++pc;
    return true;
  }

  void run_phase(const isa::Phase& ph) {
    // Tile memories persist across phases (as in the simulator): weights prefetched into a
    // memtile slot or still held by the cores are used by later phases.
    locks_.clear();
    queues_.clear();
    routes_.clear();
    for (const isa::LockInit& l : ph.locks) lock(l.tile, l.lock) = l.value;
    for (const isa::Route& r : ph.routes)
      for (const isa::StreamEndpoint& d : r.dsts) routes_[key(r.src.tile, r.src.channel)].push_back(key(d.tile, d.channel));
    std::vector<DmaState> dmas;
    for (const isa::DmaTask& t : ph.tasks) dmas.push_back(DmaState{&t, t.start_bd, 0, 0, t.bd_executions == 0});
    std::vector<size_t> pcs(ph.cores.size(), 0);
    for (;;) {
      bool progress = false, all_done = true;
      for (DmaState& s : dmas) {
        while (!s.done && step_dma(ph, s)) progress = true;
        all_done = all_done && s.done;
      }
      for (size_t i = 0; i < ph.cores.size(); ++i) {
        while (pcs[i] < ph.cores[i].ops.size() && step_core(ph.cores[i], pcs[i])) progress = true;
        all_done = all_done && pcs[i] == ph.cores[i].ops.size();
      }
      if (all_done) break;
      if (!progress) throw std::runtime_error("deadlock in phase " + ph.name);
    }
    for (const auto& [k, q] : queues_)
      if (!q.empty()) throw std::runtime_error("phase " + ph.name + ": bytes left in a stream FIFO");
  }

  const config::ArrayConfig& cfg_;
  const isa::Program& p_;
  std::vector<uint8_t> ddr_;
  std::map<isa::TileId, std::vector<uint8_t>> mem_;
  std::map<Key, int> locks_;
  std::map<Key, std::deque<uint8_t>> queues_;
  std::map<Key, std::vector<Key>> routes_;
  uint64_t block_pixel_ops_ = 0;
};

}  // namespace saie::test
