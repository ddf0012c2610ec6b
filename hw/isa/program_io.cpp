// program_io.cpp — binary encoding of isa::Program (layout in docs/program-format.md "Binary layout").
//
// Every field of every struct in program.h is written, so decode(encode(p)) reproduces p exactly
// and encode(decode(bytes)) reproduces the bytes of a file in the current version (1.4). Older
// minor versions are read too (1.0: BDs without padding; 1.0 and 1.1: conv ops without the
// input-channel split fields; 1.0 to 1.2: no conv lookup tables, no mul op; 1.0 to 1.3: no
// per-window pool divisor) and re-encode as 1.4. Records are
// self-delimiting (type + length), the body is covered by a CRC-32, and the decoder rejects
// anything it cannot account for.
#include "hw/isa/program_io.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "hw/isa/byte_codec.h"
#include "hw/isa/tile_names.h"
#include "util/file_io.h"

namespace saie::isa {
namespace {

using detail::ByteReader;
using detail::ByteWriter;

constexpr char kMagic[8] = {'S', 'A', 'I', 'E', 'P', 'R', 'G', '\0'};
constexpr uint32_t kHeaderBytes = 48;
constexpr uint32_t kRecordHeaderBytes = 8;

enum RecordType : uint16_t {
  kMeta = 1,
  kDdrInit = 2,
  kPhase = 3,
  kLockInit = 4,
  kRoute = 5,
  kBd = 6,
  kTask = 7,
  kCoreProgram = 8,
};

const char* record_name(uint16_t type) {
  switch (type) {
    case kMeta: return "META";
    case kDdrInit: return "DDR_INIT";
    case kPhase: return "PHASE";
    case kLockInit: return "LOCK_INIT";
    case kRoute: return "ROUTE";
    case kBd: return "BD";
    case kTask: return "TASK";
    case kCoreProgram: return "CORE_PROGRAM";
    default: return "UNKNOWN";
  }
}

// CRC-32 (zlib) of more bytes after `crc`; zlib takes uInt lengths, so large runs go in pieces.
uLong crc32_update(uLong crc, const uint8_t* p, size_t n) {
  while (n > 0) {
    const uInt chunk = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return crc;
}
uint32_t crc32_of(const uint8_t* p, size_t n) { return static_cast<uint32_t>(crc32_update(crc32(0L, Z_NULL, 0), p, n)); }

// ---- encoding -----------------------------------------------------------------------

void put_tile(ByteWriter& w, TileId t) {
  w.u8(t.col);
  w.u8(t.row);
}
void put_endpoint(ByteWriter& w, const StreamEndpoint& e) {
  put_tile(w, e.tile);
  w.u8(e.channel);
}
void put_port(ByteWriter& w, const TensorPort& p) {
  w.u64(p.addr);
  w.u32(p.h);
  w.u32(p.w);
  w.u32(p.c);
  w.u32(p.row_pitch);
  w.u32(p.pitch_c);
  w.f32(p.scale);
}
void put_bd(ByteWriter& w, const BufferDescriptor& bd) {
  w.u16(bd.id);
  w.u64(bd.addr);
  w.u8(bd.ndims);
  for (const DmaDim& d : bd.dims) {
    w.u32(d.size);
    w.i32(d.stride);
  }
  w.u32(bd.iter_count);
  w.i64(bd.iter_stride);
  w.i16(bd.acq_lock);
  w.u8(bd.acq_value);
  w.i16(bd.rel_lock);
  w.u8(bd.rel_value);
  w.i16(bd.next_bd);
  for (uint8_t v : bd.pad_before) w.u8(v);  // format 1.1
  for (uint8_t v : bd.pad_after) w.u8(v);
}
void put_op(ByteWriter& w, const CoreOp& op) {
  w.u8(static_cast<uint8_t>(op.kind));
  w.u8(op.lock);
  w.u8(op.value);
  const ConvArgs& c = op.conv;
  for (uint32_t v : {c.in_addr, c.in_h, c.in_w, c.in_c, c.out_addr, c.out_h, c.out_w, c.out_c, c.w_addr, c.qp_addr}) w.u32(v);
  for (uint8_t v : {c.kh, c.kw, c.stride_h, c.stride_w, c.relu}) w.u8(v);
  w.u32(c.acc_addr);  // format 1.2
  w.u8(static_cast<uint8_t>(c.acc_mode));
  const PoolArgs& p = op.pool;
  for (uint32_t v : {p.in_addr, p.in_h, p.in_w, p.c, p.out_addr, p.out_h, p.out_w}) w.u32(v);
  for (uint8_t v : {p.kh, p.kw, p.stride_h, p.stride_w}) w.u8(v);
  w.i32(p.mult);
  w.i32(p.shift);
  const AddArgs& a = op.add;
  for (uint32_t v : {a.a_addr, a.b_addr, a.out_addr, a.n}) w.u32(v);
  w.i32(a.mult_a);
  w.i32(a.mult_b);
  w.i32(a.shift);
  w.u8(a.relu);
  w.u8(c.lut);  // format 1.3
  w.u32(c.lut_addr);
  w.u32(c.c0);
  const MulArgs& m = op.mul;
  for (uint32_t v : {m.in_addr, m.in_pitch, m.out_addr, m.g_addr, m.pixels, m.c}) w.u32(v);
  w.i32(m.mult);
  w.i32(m.shift);
  w.u8(p.divide);  // format 1.4
  for (int32_t v : {p.count_y0, p.count_y1, p.count_x0, p.count_x1}) w.i32(v);
  w.str(op.label);
}

// Writes one record: header, then the payload produced by `body`, then patches the length.
template <class F>
void put_record(ByteWriter& w, uint16_t type, uint32_t* count, F body) {
  w.u16(type);
  w.u16(0);
  const size_t len_pos = w.size();
  w.u32(0);
  const size_t start = w.size();
  body();
  const size_t len = w.size() - start;
  if (len > 0xFFFFFFFFull) throw FormatError(std::string("program: record ") + record_name(type) + " payload exceeds 4 GiB");
  w.patch_u32(len_pos, static_cast<uint32_t>(len));
  ++*count;
}


// The encoder refuses what the decoder would refuse, so a written file always reads back.
void check_encodable(const Program& p) {
  for (size_t pi = 0; pi < p.phases.size(); ++pi) {
    const Phase& ph = p.phases[pi];
    for (const TileBds& tb : ph.bds) {
      for (const BufferDescriptor& bd : tb.bds) {
        if (bd.ndims < 1 || bd.ndims > 4) {
          throw FormatError("program: phase " + std::to_string(pi) + " " + tile_label(tb.tile) + " bd " +
                            std::to_string(bd.id) + ": ndims " + std::to_string(bd.ndims) + " out of range 1..4");
        }
      }
    }
    for (const DmaTask& t : ph.tasks) {
      if (static_cast<uint8_t>(t.dir) > 1) {
        throw FormatError("program: phase " + std::to_string(pi) + " task on " + tile_label(t.tile) + ": invalid direction");
      }
    }
    for (const CoreProgram& cp : ph.cores) {
      for (size_t oi = 0; oi < cp.ops.size(); ++oi) {
        if (static_cast<uint8_t>(cp.ops[oi].kind) > static_cast<uint8_t>(CoreOpKind::DwConv)) {
          throw FormatError("program: phase " + std::to_string(pi) + " core " + tile_label(cp.tile) + " op " +
                            std::to_string(oi) + ": invalid op kind " +
                            std::to_string(static_cast<int>(cp.ops[oi].kind)));
        }
      }
    }
  }
}

// ---- decoding -----------------------------------------------------------------------

TileId get_tile(ByteReader& r) {
  TileId t;
  t.col = r.u8();
  t.row = r.u8();
  return t;
}
StreamEndpoint get_endpoint(ByteReader& r) {
  StreamEndpoint e;
  e.tile = get_tile(r);
  e.channel = r.u8();
  return e;
}
TensorPort get_port(ByteReader& r) {
  TensorPort p;
  p.addr = r.u64();
  p.h = r.u32();
  p.w = r.u32();
  p.c = r.u32();
  p.row_pitch = r.u32();
  p.pitch_c = r.u32();
  p.scale = r.f32();
  return p;
}
// Bytes of one BD entry: 63 in format 1.0; 1.1 appends u8 pad_before[4], u8 pad_after[4].
constexpr size_t kBdBytesV10 = 63;
constexpr size_t kBdBytesV11 = kBdBytesV10 + 8;
size_t bd_bytes(uint16_t minor) { return minor >= 1 ? kBdBytesV11 : kBdBytesV10; }

BufferDescriptor get_bd(ByteReader& r, uint16_t minor) {
  BufferDescriptor bd;
  bd.id = r.u16();
  bd.addr = r.u64();
  bd.ndims = r.u8();
  if (bd.ndims < 1 || bd.ndims > 4) r.fail("bd " + std::to_string(bd.id) + ": ndims " + std::to_string(bd.ndims) + " out of range 1..4");
  for (DmaDim& d : bd.dims) {
    d.size = r.u32();
    d.stride = r.i32();
  }
  bd.iter_count = r.u32();
  bd.iter_stride = r.i64();
  bd.acq_lock = r.i16();
  bd.acq_value = r.u8();
  bd.rel_lock = r.i16();
  bd.rel_value = r.u8();
  bd.next_bd = r.i16();
  if (minor >= 1) {  // format 1.0 has no padding: pads stay 0
    for (uint8_t& v : bd.pad_before) v = r.u8();
    for (uint8_t& v : bd.pad_after) v = r.u8();
  }
  return bd;
}
CoreOp get_op(ByteReader& r, uint16_t minor) {
  CoreOp op;
  const uint8_t kind = r.u8();
  if (kind > static_cast<uint8_t>(minor >= 3 ? CoreOpKind::DwConv : CoreOpKind::Add))
    r.fail("invalid core op kind " + std::to_string(kind));
  op.kind = static_cast<CoreOpKind>(kind);
  op.lock = r.u8();
  op.value = r.u8();
  ConvArgs& c = op.conv;
  for (uint32_t* v : {&c.in_addr, &c.in_h, &c.in_w, &c.in_c, &c.out_addr, &c.out_h, &c.out_w, &c.out_c, &c.w_addr, &c.qp_addr}) *v = r.u32();
  for (uint8_t* v : {&c.kh, &c.kw, &c.stride_h, &c.stride_w, &c.relu}) *v = r.u8();
  if (minor >= 2) {  // format 1.1 and older: no input-channel split
    c.acc_addr = r.u32();
    const uint8_t mode = r.u8();
    if (mode > static_cast<uint8_t>(ConvAcc::Last)) r.fail("invalid conv acc_mode " + std::to_string(mode));
    c.acc_mode = static_cast<ConvAcc>(mode);
  }
  PoolArgs& p = op.pool;
  for (uint32_t* v : {&p.in_addr, &p.in_h, &p.in_w, &p.c, &p.out_addr, &p.out_h, &p.out_w}) *v = r.u32();
  for (uint8_t* v : {&p.kh, &p.kw, &p.stride_h, &p.stride_w}) *v = r.u8();
  p.mult = r.i32();
  p.shift = r.i32();
  AddArgs& a = op.add;
  for (uint32_t* v : {&a.a_addr, &a.b_addr, &a.out_addr, &a.n}) *v = r.u32();
  a.mult_a = r.i32();
  a.mult_b = r.i32();
  a.shift = r.i32();
  a.relu = r.u8();
  if (minor >= 3) {  // format 1.2 and older: no lookup tables, no mul
    c.lut = r.u8();
    c.lut_addr = r.u32();
    c.c0 = r.u32();
    MulArgs& m = op.mul;
    for (uint32_t* v : {&m.in_addr, &m.in_pitch, &m.out_addr, &m.g_addr, &m.pixels, &m.c}) *v = r.u32();
    m.mult = r.i32();
    m.shift = r.i32();
  }
  if (minor >= 4) {  // format 1.3 and older: every avg pool divides by kh*kw
    p.divide = r.u8();
    for (int32_t* v : {&p.count_y0, &p.count_y1, &p.count_x0, &p.count_x1}) *v = r.i32();
  }
  op.label = r.str("op label");
  return op;
}

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return static_cast<uint32_t>(rd16(p)) | (static_cast<uint32_t>(rd16(p + 2)) << 16); }
uint64_t rd64(const uint8_t* p) { return static_cast<uint64_t>(rd32(p)) | (static_cast<uint64_t>(rd32(p + 4)) << 32); }

}  // namespace

namespace {

// The whole file as a ByteWriter whose DDR segments reference p's bytes (p must outlive it).
ByteWriter encode_pieces(const Program& p) {
  check_encodable(p);
  // Header first with the body's size, record count and CRC patched in at the end: the body (the
  // DDR image dominates it) is written once, into its final place.
  ByteWriter body;
  body.bytes(reinterpret_cast<const uint8_t*>(kMagic), 8);
  body.u16(kFormatMajor);
  body.u16(kFormatMinor);
  body.u32(kHeaderBytes);
  body.u8(p.columns);
  body.u8(p.core_rows);
  body.u8(p.mem_rows);
  body.u8(0);
  const size_t records_at = body.size();
  body.u32(0);  // record count
  body.u64(0);  // body bytes
  body.u32(0);  // body CRC
  body.u32(0);
  body.u64(0);
  if (body.size() != kHeaderBytes) throw std::logic_error("program: header layout");
  uint32_t records = 0;
  put_record(body, kMeta, &records, [&] {
    body.str(p.name);
    body.u64(p.ddr_bytes_needed);
    put_port(body, p.input);
    put_port(body, p.output);
  });
  for (const DdrSegment& s : p.ddr_init) {
    put_record(body, kDdrInit, &records, [&] {
      body.u64(s.addr);
      body.u64(s.bytes.size());
      body.bytes_ref(s.bytes.data(), s.bytes.size());
    });
  }
  for (const Phase& ph : p.phases) {
    put_record(body, kPhase, &records, [&] {
      body.str(ph.name);
      body.u32(ph.layer);
      body.u64(ph.dense_macs);
      body.u64(ph.actual_macs);
    });
    for (const LockInit& l : ph.locks) {
      put_record(body, kLockInit, &records, [&] {
        put_tile(body, l.tile);
        body.u8(l.lock);
        body.u8(l.value);
      });
    }
    for (const Route& rt : ph.routes) {
      put_record(body, kRoute, &records, [&] {
        put_endpoint(body, rt.src);
        body.u32(static_cast<uint32_t>(rt.dsts.size()));
        for (const StreamEndpoint& d : rt.dsts) put_endpoint(body, d);
      });
    }
    for (const TileBds& tb : ph.bds) {
      put_record(body, kBd, &records, [&] {
        put_tile(body, tb.tile);
        body.u32(static_cast<uint32_t>(tb.bds.size()));
        for (const BufferDescriptor& bd : tb.bds) put_bd(body, bd);
      });
    }
    for (const DmaTask& t : ph.tasks) {
      put_record(body, kTask, &records, [&] {
        put_tile(body, t.tile);
        body.u8(static_cast<uint8_t>(t.dir));
        body.u8(t.channel);
        body.u16(t.start_bd);
        body.u32(t.bd_executions);
      });
    }
    for (const CoreProgram& cp : ph.cores) {
      put_record(body, kCoreProgram, &records, [&] {
        put_tile(body, cp.tile);
        body.u32(static_cast<uint32_t>(cp.ops.size()));
        for (const CoreOp& op : cp.ops) put_op(body, op);
      });
    }
  }

  const size_t body_bytes = body.size() - kHeaderBytes;
  body.patch_u32(records_at, records);
  body.patch_u64(records_at + 4, body_bytes);
  uLong crc = crc32(0L, Z_NULL, 0);
  body.for_each(kHeaderBytes, [&](const uint8_t* d, size_t n) { crc = crc32_update(crc, d, n); });
  body.patch_u32(records_at + 12, static_cast<uint32_t>(crc));
  return body;
}

}  // namespace

std::vector<uint8_t> encode_program(const Program& p) { return encode_pieces(p).take(); }

Program decode_program(const uint8_t* d, size_t n) {
  if (n < kHeaderBytes) {
    throw FormatError("program: truncated header: " + std::to_string(n) + " bytes, need " + std::to_string(kHeaderBytes));
  }
  if (std::memcmp(d, kMagic, 8) != 0) throw FormatError("program: bad magic (not a SparseAIE program file)");
  Program p;
  p.major = rd16(d + 8);
  p.minor = rd16(d + 10);
  if (p.major != kFormatMajor) {
    throw FormatError("program: unsupported format major version " + std::to_string(p.major) + " (this build reads " +
                      std::to_string(kFormatMajor) + ".x)");
  }
  const uint32_t header_bytes = rd32(d + 12);
  if (header_bytes < kHeaderBytes || header_bytes > n) {
    throw FormatError("program: header_bytes " + std::to_string(header_bytes) + " invalid for a file of " +
                      std::to_string(n) + " bytes");
  }
  p.columns = d[16];
  p.core_rows = d[17];
  p.mem_rows = d[18];
  const uint32_t record_count = rd32(d + 20);
  const uint64_t body_bytes = rd64(d + 24);
  const uint32_t body_crc = rd32(d + 32);
  const uint64_t avail = n - header_bytes;
  if (body_bytes > avail) {
    throw FormatError("program: truncated body: header says " + std::to_string(body_bytes) + " bytes, file has " +
                      std::to_string(avail));
  }
  if (body_bytes < avail) {
    throw FormatError("program: " + std::to_string(avail - body_bytes) + " unexpected bytes after the body");
  }
  const uint32_t crc = crc32_of(d + header_bytes, body_bytes);
  if (crc != body_crc) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "program: body CRC mismatch (header 0x%08x, computed 0x%08x)", body_crc, crc);
    throw FormatError(buf);
  }

  size_t pos = header_bytes;
  uint32_t index = 0;
  bool have_meta = false;
  Phase* phase = nullptr;
  while (pos < n) {
    const std::string where = "program: record " + std::to_string(index);
    if (n - pos < kRecordHeaderBytes) {
      throw FormatError(where + " at offset " + std::to_string(pos) + ": truncated record header (" +
                        std::to_string(n - pos) + " bytes left)");
    }
    const uint16_t type = rd16(d + pos);
    const uint32_t len = rd32(d + pos + 4);
    const size_t start = pos + kRecordHeaderBytes;
    const std::string ctx = where + " (" + record_name(type) + ") at offset " + std::to_string(pos);
    if (len > n - start) {
      throw FormatError(ctx + ": truncated: payload of " + std::to_string(len) + " bytes, " + std::to_string(n - start) +
                        " left");
    }
    ByteReader r(d, start, start + len, ctx);
    const bool needs_phase = type == kLockInit || type == kRoute || type == kBd || type == kTask || type == kCoreProgram;
    if (needs_phase && !phase) r.fail("appears before the first PHASE record");
    switch (type) {
      case kMeta:
        if (have_meta) r.fail("second META record");
        have_meta = true;
        p.name = r.str("program name");
        p.ddr_bytes_needed = r.u64();
        p.input = get_port(r);
        p.output = get_port(r);
        break;
      case kDdrInit: {
        DdrSegment s;
        s.addr = r.u64();
        const uint64_t count = r.u64();
        s.bytes = r.bytes(count, "segment bytes");
        p.ddr_init.push_back(std::move(s));
        break;
      }
      case kPhase: {
        Phase ph;
        ph.name = r.str("phase name");
        ph.layer = r.u32();
        ph.dense_macs = r.u64();
        ph.actual_macs = r.u64();
        p.phases.push_back(std::move(ph));
        phase = &p.phases.back();
        break;
      }
      case kLockInit: {
        LockInit l;
        l.tile = get_tile(r);
        l.lock = r.u8();
        l.value = r.u8();
        phase->locks.push_back(l);
        break;
      }
      case kRoute: {
        Route rt;
        rt.src = get_endpoint(r);
        const uint32_t count = r.u32();
        if (count > r.remaining() / 3) r.fail("truncated: " + std::to_string(count) + " destinations do not fit");
        for (uint32_t i = 0; i < count; ++i) rt.dsts.push_back(get_endpoint(r));
        phase->routes.push_back(std::move(rt));
        break;
      }
      case kBd: {
        TileBds tb;
        tb.tile = get_tile(r);
        const uint32_t count = r.u32();
        if (count > r.remaining() / bd_bytes(p.minor))
          r.fail("truncated: " + std::to_string(count) + " descriptors do not fit");
        for (uint32_t i = 0; i < count; ++i) tb.bds.push_back(get_bd(r, p.minor));
        phase->bds.push_back(std::move(tb));
        break;
      }
      case kTask: {
        DmaTask t;
        t.tile = get_tile(r);
        const uint8_t dir = r.u8();
        if (dir > 1) r.fail("invalid DMA direction " + std::to_string(dir));
        t.dir = static_cast<DmaDir>(dir);
        t.channel = r.u8();
        t.start_bd = r.u16();
        t.bd_executions = r.u32();
        phase->tasks.push_back(t);
        break;
      }
      case kCoreProgram: {
        CoreProgram cp;
        cp.tile = get_tile(r);
        const uint32_t count = r.u32();
        if (count > r.remaining() / 100) r.fail("truncated: " + std::to_string(count) + " ops do not fit");
        cp.ops.reserve(count);  // bounded by the check above
        for (uint32_t i = 0; i < count; ++i) cp.ops.push_back(get_op(r, p.minor));
        phase->cores.push_back(std::move(cp));
        break;
      }
      default:
        // A newer minor version may add record types; this build skips them. Same minor or older: corrupt.
        if (p.minor <= kFormatMinor) {
          throw FormatError(where + " at offset " + std::to_string(pos) + ": unknown record type " + std::to_string(type) +
                            " in format " + std::to_string(p.major) + "." + std::to_string(p.minor));
        }
        r.bytes(len, "skipped record");
        break;
    }
    if (r.remaining() != 0) r.fail("payload not consumed exactly: " + std::to_string(r.remaining()) + " bytes left over");
    pos = start + len;
    ++index;
  }
  if (index != record_count) {
    throw FormatError("program: header says " + std::to_string(record_count) + " records, body holds " +
                      std::to_string(index));
  }
  if (!have_meta) throw FormatError("program: no META record");
  return p;
}

void write_program_file(const Program& p, const std::string& path) {
  const ByteWriter w = encode_pieces(p);  // the DDR image is written from p, not copied
  util::StagedFile f(path);
  f.write_pieces([&](const std::function<void(const char*, size_t)>& sink) {
    w.for_each(0, [&](const uint8_t* d, size_t n) { sink(reinterpret_cast<const char*>(d), n); });
  });
  f.commit();
}

Program read_program_file(const std::string& path) {
  std::unique_ptr<util::MappedFile> file;
  try {
    file = std::make_unique<util::MappedFile>(path);
  } catch (const util::FileError& e) {
    throw FormatError(std::string("program: ") + e.what());
  }
  try {
    return decode_program(file->data(), file->size());
  } catch (const FormatError& e) {
    std::string msg = e.what();
    // "program: ..." -> "program <path>: ..."
    if (msg.rfind("program: ", 0) == 0) msg = "program " + path + ": " + msg.substr(9);
    throw FormatError(msg);
  }
}

}  // namespace saie::isa
