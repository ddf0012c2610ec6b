// listing.cpp — the text form of a Program (program.txt): one item per line, deterministic, for review and tests.
//
// Format (docs/program-format.md "Listing"): a program line, the input/output ports, one line
// per DDR segment (with a CRC-32 of its bytes), then per phase its locks, routes, BDs, tasks and
// core programs (all ops of one core on one line, separated by " | "), in program order.
#include <zlib.h>

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <sstream>
#include <string>

#include "hw/isa/program_io.h"
#include "hw/isa/tile_names.h"

namespace saie::isa {
namespace {

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

std::string hex(uint64_t v) { return fmt("0x%" PRIx64, v); }
std::string tile(TileId t) { return tile_label(t); }
std::string endpoint(const StreamEndpoint& e, const char* dir) { return tile(e.tile) + "." + dir + std::to_string(e.channel); }
std::string shape(uint32_t h, uint32_t w, uint32_t c) { return fmt("%ux%ux%u", h, w, c); }
std::string kernel(uint8_t kh, uint8_t kw, uint8_t sh, uint8_t sw) {
  std::string s = fmt("k%ux%u s%u", kh, kw, sh);
  if (sw != sh) s += fmt("x%u", sw);
  return s;
}

std::string port(const char* label, const TensorPort& p) {
  return fmt("%s ddr %s %s pitch %u row %u scale %.9g", label, hex(p.addr).c_str(), shape(p.h, p.w, p.c).c_str(), p.pitch_c,
             p.row_pitch, static_cast<double>(p.scale));
}

std::string lock_ref(int16_t lock, uint8_t value, const char* op) {
  if (lock < 0) return "-";
  return fmt("l%d%s%u", lock, op, value);
}

std::string bd_line(TileId t, const BufferDescriptor& bd) {
  std::string s = "bd " + tile(t) + fmt(" #%u addr ", bd.id) + hex(bd.addr) + " dims ";
  for (int d = 0; d < bd.ndims && d < 4; ++d) {
    if (d > 0) s += " x ";
    // The innermost dimension with stride 1 (contiguous bytes) is shown as just its size.
    if (d == 0 && bd.dims[d].stride == 1) {
      s += fmt("[%u", bd.dims[d].size);
    } else {
      s += fmt("[%u @ %d", bd.dims[d].size, bd.dims[d].stride);
    }
    // Zero padding (format 1.1), shown only when present: "pad before,after".
    if (bd.pad_before[d] != 0 || bd.pad_after[d] != 0) s += fmt(" pad %u,%u", bd.pad_before[d], bd.pad_after[d]);
    s += "]";
  }
  s += fmt(" iter %u @ %" PRId64, bd.iter_count, bd.iter_stride);
  s += " acq " + lock_ref(bd.acq_lock, bd.acq_value, ">=");
  s += " rel " + lock_ref(bd.rel_lock, bd.rel_value, "+");
  s += bd.next_bd < 0 ? std::string(" next -") : fmt(" next %d", bd.next_bd);
  return s;
}

std::string op_text(const CoreOp& op) {
  std::string s;
  switch (op.kind) {
    case CoreOpKind::Acquire:
      s = fmt("acq l%u %u", op.lock, op.value);
      break;
    case CoreOpKind::Release:
      s = fmt("rel l%u %u", op.lock, op.value);
      break;
    case CoreOpKind::Conv: {
      const ConvArgs& c = op.conv;
      s = "conv in " + hex(c.in_addr) + " " + shape(c.in_h, c.in_w, c.in_c) + " out " + hex(c.out_addr) + " " +
          shape(c.out_h, c.out_w, c.out_c) + " " + kernel(c.kh, c.kw, c.stride_h, c.stride_w) + " w " + hex(c.w_addr) +
          " qp " + hex(c.qp_addr);
      if (c.relu) s += " relu";
      if (c.acc_mode != ConvAcc::None) {
        static const char* const kModes[] = {"", "first", "middle", "last"};
        s += std::string(" acc ") + kModes[static_cast<int>(c.acc_mode)] + " " + hex(c.acc_addr);
      }
      if (c.lut) s += " lut " + hex(c.lut_addr);
      break;
    }
    case CoreOpKind::MaxPool:
    case CoreOpKind::AvgPool: {
      const PoolArgs& p = op.pool;
      s = std::string(core_op_name(op.kind)) + " in " + hex(p.in_addr) + " " +
          shape(p.in_h, p.in_w, p.c) + " out " + hex(p.out_addr) + " " + shape(p.out_h, p.out_w, p.c) + " " +
          kernel(p.kh, p.kw, p.stride_h, p.stride_w);
      if (op.kind == CoreOpKind::AvgPool) s += fmt(" mult %d shift %d", p.mult, p.shift);
      if (p.divide)
        s += fmt(" divide rows [%d,%d) cols [%d,%d)", p.count_y0, p.count_y1, p.count_x0, p.count_x1);
      break;
    }
    case CoreOpKind::Add: {
      const AddArgs& a = op.add;
      s = "add a " + hex(a.a_addr) + " b " + hex(a.b_addr) + " out " + hex(a.out_addr) +
          fmt(" n %u mult %d,%d shift %d", a.n, a.mult_a, a.mult_b, a.shift);
      if (a.relu) s += " relu";
      break;
    }
    case CoreOpKind::DwConv: {
      const ConvArgs& c = op.conv;
      s = "dwconv in " + hex(c.in_addr) + " " + shape(c.in_h, c.in_w, c.in_c) + fmt(" c0 %u", c.c0) + " out " +
          hex(c.out_addr) + " " + shape(c.out_h, c.out_w, c.out_c) + " " + kernel(c.kh, c.kw, c.stride_h, c.stride_w) +
          " w " + hex(c.w_addr) + " qp " + hex(c.qp_addr);
      if (c.relu) s += " relu";
      if (c.lut) s += " lut " + hex(c.lut_addr);
      break;
    }
    case CoreOpKind::Mul: {
      const MulArgs& m = op.mul;
      s = "mul in " + hex(m.in_addr) + fmt(" pitch %u", m.in_pitch) + " gate " + hex(m.g_addr) + " out " +
          hex(m.out_addr) + fmt(" pixels %u c %u mult %d shift %d", m.pixels, m.c, m.mult, m.shift);
      break;
    }
    default:
      s = fmt("op%u", static_cast<unsigned>(op.kind));
      break;
  }
  if (!op.label.empty()) s += " \"" + op.label + "\"";
  return s;
}

}  // namespace

std::string listing(const Program& p) {
  std::ostringstream out;
  out << "program " << (p.name.empty() ? "-" : p.name) << "  format " << p.major << "." << p.minor << "  array "
      << unsigned(p.columns) << "x" << unsigned(p.core_rows) << " mem_rows " << unsigned(p.mem_rows) << "  ddr "
      << p.ddr_bytes_needed << " B\n";
  out << port("input ", p.input) << "\n";
  out << port("output", p.output) << "\n";
  for (const DdrSegment& s : p.ddr_init) {
    const uint32_t crc = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), s.bytes.data(), static_cast<uInt>(s.bytes.size())));
    out << "ddr_init " << hex(s.addr) << " " << s.bytes.size() << " B crc32 " << fmt("0x%08x", crc) << "\n";
  }
  for (size_t i = 0; i < p.phases.size(); ++i) {
    const Phase& ph = p.phases[i];
    out << "phase " << i << " " << (ph.name.empty() ? "-" : ph.name) << " layer " << ph.layer << " macs " << ph.actual_macs
        << "/" << ph.dense_macs << "\n";
    for (const LockInit& l : ph.locks) out << "  lock " << tile(l.tile) << " l" << unsigned(l.lock) << " = " << unsigned(l.value) << "\n";
    for (const Route& r : ph.routes) {
      out << "  route " << endpoint(r.src, "mm2s") << " ->";
      for (const StreamEndpoint& d : r.dsts) out << " " << endpoint(d, "s2mm");
      out << "\n";
    }
    for (const TileBds& tb : ph.bds) {
      for (const BufferDescriptor& bd : tb.bds) out << "  " << bd_line(tb.tile, bd) << "\n";
    }
    for (const DmaTask& t : ph.tasks) {
      out << "  task " << tile(t.tile) << "." << (t.dir == DmaDir::MM2S ? "mm2s" : "s2mm") << unsigned(t.channel) << " bd "
          << t.start_bd << " x" << t.bd_executions << "\n";
    }
    for (const CoreProgram& cp : ph.cores) {
      out << "  core " << tile(cp.tile) << ":";
      for (size_t k = 0; k < cp.ops.size(); ++k) out << (k == 0 ? " " : " | ") << op_text(cp.ops[k]);
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace saie::isa
