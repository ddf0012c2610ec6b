// program_io_test.cpp — program binary format: round trip of every field, listing, and rejection of corrupt files.
#include "hw/isa/program_io.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <unistd.h>
#include <zlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <functional>

namespace saie::isa {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A program that uses every record type and sets every field to a distinct non-default value.
Program sample_program() {
  Program p;
  p.columns = 2;
  p.core_rows = 3;
  p.mem_rows = 1;
  p.name = "fmnist-small";
  p.ddr_bytes_needed = 123456;
  p.input = TensorPort{0x1000, 28, 28, 1, 240, 8, 0.0078740157f};
  p.output = TensorPort{0x9000, 1, 1, 10, 16, 16, 0.125f};
  p.ddr_init.push_back({0x2000, {1, 2, 3, 4, 5, 250}});
  p.ddr_init.push_back({0x3000, std::vector<uint8_t>(4608, 7)});

  Phase a;
  a.name = "conv1";
  a.layer = 1;
  a.dense_macs = 225792;
  a.actual_macs = 112896;
  a.locks.push_back({TileId{0, 2}, 0, 2});
  a.locks.push_back({TileId{1, 1}, 63, 1});
  a.routes.push_back({{TileId{0, 1}, 0}, {{TileId{0, 2}, 0}, {TileId{0, 3}, 1}}});
  a.routes.push_back({{TileId{1, 0}, 1}, {{TileId{1, 1}, 5}}});
  BufferDescriptor bd0;
  bd0.id = 0;
  bd0.addr = 0x40;
  bd0.ndims = 2;
  bd0.dims[0] = {1920, 1};
  bd0.dims[1] = {3, 1920};
  bd0.dims[2] = {9, -5};  // beyond ndims: still round-trips in the binary
  bd0.iter_count = 14;
  bd0.iter_stride = 1792;
  bd0.acq_lock = 0;
  bd0.acq_value = 1;
  bd0.rel_lock = 1;
  bd0.rel_value = 1;
  bd0.next_bd = 1;
  BufferDescriptor bd1;
  bd1.id = 1;
  bd1.addr = 0x10000000000ull;
  bd1.ndims = 4;
  bd1.dims = {DmaDim{64, 2}, DmaDim{2, -64}, DmaDim{3, 4096}, DmaDim{5, 100000}};
  bd1.iter_count = 1;
  bd1.iter_stride = -256;
  bd1.next_bd = kNoNextBd;
  bd1.pad_before = {1, 2, 3, 0};  // format 1.1 (dim 3 padding is stored even though checks reject it)
  bd1.pad_after = {4, 0, 6, 7};
  a.bds.push_back({TileId{0, 1}, {bd0, bd1}});
  a.bds.push_back({TileId{1, 0}, {}});
  a.tasks.push_back({TileId{0, 1}, DmaDir::MM2S, 0, 0, 14});
  a.tasks.push_back({TileId{0, 2}, DmaDir::S2MM, 1, 7, 3});
  CoreProgram core;
  core.tile = TileId{0, 2};
  CoreOp acq;
  acq.kind = CoreOpKind::Acquire;
  acq.lock = 1;
  acq.value = 1;
  acq.label = "wait input";
  CoreOp conv;
  conv.kind = CoreOpKind::Conv;
  conv.conv = ConvArgs{0x0, 16, 30, 8, 0x4000, 1, 28, 16, 0x8000, 0x9000, 3, 3, 1, 1, 1};
  conv.label = "conv1 band 0";
  CoreOp rel;
  rel.kind = CoreOpKind::Release;
  rel.lock = 0;
  rel.value = 1;
  core.ops = {acq, conv, rel};
  a.cores.push_back(core);
  p.phases.push_back(a);

  Phase b;
  b.name = "pool+add";
  b.layer = 2;
  b.dense_macs = 10;
  b.actual_macs = 10;
  b.locks.push_back({TileId{1, 2}, 3, 0});
  b.routes.push_back({{TileId{1, 1}, 2}, {{TileId{1, 2}, 0}}});
  BufferDescriptor bd2;
  bd2.id = 15;
  bd2.addr = 0x100;
  bd2.ndims = 3;
  bd2.dims = {DmaDim{8, 1}, DmaDim{4, 32}, DmaDim{2, 512}, DmaDim{}};
  bd2.iter_count = 2;
  bd2.iter_stride = 64;
  bd2.acq_lock = 5;
  bd2.acq_value = 2;
  bd2.next_bd = 15;
  b.bds.push_back({TileId{1, 2}, {bd2}});
  b.tasks.push_back({TileId{1, 1}, DmaDir::MM2S, 2, 15, 2});
  CoreProgram core2;
  core2.tile = TileId{1, 2};
  CoreOp mp;
  mp.kind = CoreOpKind::MaxPool;
  mp.pool = PoolArgs{0x0, 4, 4, 16, 0x100, 2, 2, 2, 2, 2, 2, 1, 0};
  CoreOp ap;
  ap.kind = CoreOpKind::AvgPool;
  ap.pool = PoolArgs{0x200, 4, 6, 8, 0x300, 1, 3, 2, 2, 2, 1, 16384, 15};
  CoreOp add;
  add.kind = CoreOpKind::Add;
  add.add = AddArgs{0x400, 0x500, 0x600, 64, 3, -5, 8, 1};
  add.label = "res";
  core2.ops = {mp, ap, add};
  b.cores.push_back(core2);
  p.phases.push_back(b);
  return p;
}

std::string decode_error(const std::vector<uint8_t>& bytes) {
  try {
    decode_program(bytes);
  } catch (const FormatError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
  return "";
}

TEST(ProgramIo, EncodeDecodeEncodeIsIdentical) {
  const Program p = sample_program();
  const std::vector<uint8_t> bytes = encode_program(p);
  ASSERT_GE(bytes.size(), 48u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), 8), std::string("SAIEPRG\0", 8));
  const Program q = decode_program(bytes);
  EXPECT_EQ(encode_program(q), bytes);
  EXPECT_EQ(listing(q), listing(p));
  // Spot checks that fields really came back (not just "same bytes in, same bytes out").
  EXPECT_EQ(q.name, "fmnist-small");
  EXPECT_EQ(q.columns, 2);
  EXPECT_EQ(q.core_rows, 3);
  EXPECT_EQ(q.input.scale, 0.0078740157f);
  EXPECT_EQ(q.input.row_pitch, 240u);
  ASSERT_EQ(q.ddr_init.size(), 2u);
  EXPECT_EQ(q.ddr_init[0].bytes, (std::vector<uint8_t>{1, 2, 3, 4, 5, 250}));
  ASSERT_EQ(q.phases.size(), 2u);
  EXPECT_EQ(q.phases[0].bds.size(), 2u);
  EXPECT_TRUE(q.phases[0].bds[1].bds.empty());
  EXPECT_EQ(q.phases[0].bds[0].bds[0].dims[2].stride, -5);
  EXPECT_EQ(q.phases[0].bds[0].bds[1].addr, 0x10000000000ull);
  EXPECT_EQ(q.phases[0].bds[0].bds[1].iter_stride, -256);
  EXPECT_EQ(q.phases[0].bds[0].bds[1].pad_before, (std::array<uint8_t, 4>{1, 2, 3, 0}));
  EXPECT_EQ(q.phases[0].bds[0].bds[1].pad_after, (std::array<uint8_t, 4>{4, 0, 6, 7}));
  EXPECT_EQ(q.phases[0].bds[0].bds[0].pad_before, (std::array<uint8_t, 4>{}));
  EXPECT_EQ(q.major, 1);
  EXPECT_EQ(q.minor, kFormatMinor);
  EXPECT_EQ(q.phases[0].routes[0].dsts.size(), 2u);
  EXPECT_EQ(q.phases[0].routes[0].dsts[1].channel, 1);
  EXPECT_EQ(q.phases[0].tasks[1].dir, DmaDir::S2MM);
  EXPECT_EQ(q.phases[0].cores[0].ops[1].conv.qp_addr, 0x9000u);
  EXPECT_EQ(q.phases[0].cores[0].ops[0].label, "wait input");
  EXPECT_EQ(q.phases[1].cores[0].ops[1].pool.mult, 16384);
  EXPECT_EQ(q.phases[1].cores[0].ops[2].add.mult_b, -5);
  EXPECT_EQ(q.phases[1].locks[0].lock, 3);
  EXPECT_EQ(q.phases[1].dense_macs, 10u);
}

TEST(ProgramIo, EveryFieldChangesTheEncoding) {
  // Mutating fields one at a time must change the bytes (a field silently not serialised would not).
  const Program base = sample_program();
  const std::vector<uint8_t> ref = encode_program(base);
  std::vector<std::function<void(Program&)>> edits = {
      [](Program& p) { p.mem_rows = 2; },
      [](Program& p) { p.output.pitch_c = 17; },
      [](Program& p) { p.ddr_init[1].addr += 1; },
      [](Program& p) { p.phases[0].layer = 9; },
      [](Program& p) { p.phases[0].actual_macs = 1; },
      [](Program& p) { p.phases[0].locks[1].value = 2; },
      [](Program& p) { p.phases[0].routes[1].src.channel = 0; },
      [](Program& p) { p.phases[0].bds[0].bds[0].dims[3].size = 2; },
      [](Program& p) { p.phases[0].bds[0].bds[0].rel_value = 3; },
      [](Program& p) { p.phases[0].bds[0].bds[1].next_bd = 0; },
      [](Program& p) { p.phases[0].bds[0].bds[1].pad_before[1] = 9; },
      [](Program& p) { p.phases[0].bds[0].bds[0].pad_after[2] = 1; },
      [](Program& p) { p.phases[0].tasks[0].bd_executions = 15; },
      [](Program& p) { p.phases[0].cores[0].ops[1].conv.stride_w = 2; },
      [](Program& p) { p.phases[0].cores[0].ops[0].pool.kw = 9; },  // unused by an Acquire, still stored
      [](Program& p) { p.phases[1].cores[0].ops[2].add.relu = 0; },
      [](Program& p) { p.phases[1].cores[0].ops[2].label = "x"; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    Program p = base;
    edits[i](p);
    const std::vector<uint8_t> bytes = encode_program(p);
    EXPECT_NE(bytes, ref) << "edit " << i;
    EXPECT_EQ(encode_program(decode_program(bytes)), bytes) << "edit " << i;
  }
}

TEST(ProgramIo, ListingShowsTheProgram) {
  const std::string text = listing(sample_program());
  EXPECT_TRUE(contains(text, "program fmnist-small  format 1.4  array 2x3 mem_rows 1  ddr 123456 B\n")) << text;
  EXPECT_TRUE(contains(text, "input  ddr 0x1000 28x28x1 pitch 8 row 240 scale 0.00787401572\n")) << text;
  EXPECT_TRUE(contains(text, "ddr_init 0x3000 4608 B crc32 0x")) << text;
  EXPECT_TRUE(contains(text, "phase 0 conv1 layer 1 macs 112896/225792\n")) << text;
  EXPECT_TRUE(contains(text, "  lock tile(0,2) l0 = 2\n")) << text;
  EXPECT_TRUE(contains(text, "  route tile(0,1).mm2s0 -> tile(0,2).s2mm0 tile(0,3).s2mm1\n")) << text;
  EXPECT_TRUE(contains(text, "  bd tile(0,1) #0 addr 0x40 dims [1920] x [3 @ 1920] iter 14 @ 1792 acq l0>=1 rel l1+1 next 1\n"))
      << text;
  EXPECT_TRUE(contains(text, "  bd tile(0,1) #1 addr 0x10000000000 dims [64 @ 2 pad 1,4] x [2 @ -64 pad 2,0] x [3 @ 4096 pad 3,6] x [5 @ 100000 pad 0,7] iter 1 @ -256 acq - rel - next -\n"))
      << text;
  EXPECT_TRUE(contains(text, "  task tile(0,1).mm2s0 bd 0 x14\n")) << text;
  EXPECT_TRUE(contains(text, "  task tile(0,2).s2mm1 bd 7 x3\n")) << text;
  EXPECT_TRUE(contains(text, "  core tile(0,2): acq l1 1 \"wait input\" | conv in 0x0 16x30x8 out 0x4000 1x28x16 k3x3 s1 w 0x8000 qp 0x9000 relu \"conv1 band 0\" | rel l0 1\n"))
      << text;
  EXPECT_TRUE(contains(text, "  core tile(1,2): maxpool in 0x0 4x4x16 out 0x100 2x2x16 k2x2 s2 | avgpool in 0x200 4x6x8 out 0x300 1x3x8 k2x2 s2x1 mult 16384 shift 15 | add a 0x400 b 0x500 out 0x600 n 64 mult 3,-5 shift 8 relu \"res\"\n"))
      << text;
  // Deterministic and sensitive to content.
  EXPECT_EQ(text, listing(sample_program()));
  Program changed = sample_program();
  changed.ddr_init[1].bytes[100] = 8;
  EXPECT_NE(listing(changed), text);
}

TEST(ProgramIo, TruncatedFilesAreRejected) {
  const std::vector<uint8_t> bytes = encode_program(sample_program());
  for (size_t len : {size_t{0}, size_t{7}, size_t{47}, size_t{48}, size_t{49}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
    const std::string msg = decode_error(cut);
    EXPECT_TRUE(contains(msg, "truncated")) << "length " << len << ": " << msg;
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_TRUE(contains(decode_error(longer), "unexpected bytes after the body"));
}

TEST(ProgramIo, CorruptionIsDetected) {
  const std::vector<uint8_t> bytes = encode_program(sample_program());
  for (size_t at : {size_t{48}, size_t{60}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<uint8_t> bad = bytes;
    bad[at] ^= 0x10;
    EXPECT_TRUE(contains(decode_error(bad), "CRC mismatch")) << "flipped byte " << at;
  }
  std::vector<uint8_t> magic = bytes;
  magic[3] = 'X';
  EXPECT_TRUE(contains(decode_error(magic), "bad magic"));
  std::vector<uint8_t> major = bytes;
  major[8] = 2;
  EXPECT_TRUE(contains(decode_error(major), "unsupported format major version 2"));
  std::vector<uint8_t> count = bytes;
  count[20] += 1;
  EXPECT_TRUE(contains(decode_error(count), "records, body holds"));
}

// --- Hand-built bodies: check the record-level rules behind a valid CRC. ---

void put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(x & 0xff);
  v.push_back(x >> 8);
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  put16(v, x & 0xffff);
  put16(v, x >> 16);
}
void put_at32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  for (int i = 0; i < 4; ++i) v[at + i] = static_cast<uint8_t>(x >> (8 * i));
}

// Recomputes the body CRC after a deliberate edit, so a test reaches the check behind it.
void fix_crc(std::vector<uint8_t>& bytes) {
  const uint32_t crc = static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), bytes.data() + 48, static_cast<uInt>(bytes.size() - 48)));
  put_at32(bytes, 32, crc);
}

// Appends a record to an encoded program (header's count and body length updated, CRC fixed).
std::vector<uint8_t> with_extra_record(std::vector<uint8_t> bytes, uint16_t type, const std::vector<uint8_t>& payload,
                                       uint16_t minor) {
  put16(bytes, type);
  put16(bytes, 0);
  put32(bytes, static_cast<uint32_t>(payload.size()));
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  bytes[10] = static_cast<uint8_t>(minor);
  put_at32(bytes, 20, bytes[20] + (bytes[21] << 8) + 1);
  const uint64_t body = bytes.size() - 48;
  put_at32(bytes, 24, static_cast<uint32_t>(body));
  fix_crc(bytes);
  return bytes;
}

TEST(ProgramIo, RecordRules) {
  const std::vector<uint8_t> base = encode_program(sample_program());
  // Unknown record type: an error in the current format (1.4), skipped in a newer minor version.
  const std::vector<uint8_t> unknown14 = with_extra_record(base, 99, {1, 2, 3}, kFormatMinor);
  EXPECT_TRUE(contains(decode_error(unknown14), "unknown record type 99 in format 1.4"));
  const std::vector<uint8_t> unknown15 = with_extra_record(base, 99, {1, 2, 3}, kFormatMinor + 1);
  const Program q = decode_program(unknown15);
  EXPECT_EQ(q.minor, 5);
  EXPECT_EQ(listing(q).substr(listing(q).find('\n')), listing(sample_program()).substr(listing(sample_program()).find('\n')));
  // Payload longer than its fields: not consumed exactly.
  std::vector<uint8_t> lock_payload = {0, 2, 1, 1, 0xEE};
  EXPECT_TRUE(contains(decode_error(with_extra_record(base, 4, lock_payload, kFormatMinor)), "payload not consumed exactly"));
  // Payload shorter than its fields.
  EXPECT_TRUE(contains(decode_error(with_extra_record(base, 4, {0, 2}, kFormatMinor)), "truncated"));
  // Invalid enum values.
  std::vector<uint8_t> task = {0, 1, 7, 0, 0, 0, 1, 0, 0, 0};
  EXPECT_TRUE(contains(decode_error(with_extra_record(base, 7, task, kFormatMinor)), "invalid DMA direction 7"));
  // A record whose length runs past the end of the body.
  std::vector<uint8_t> runs_past = with_extra_record(base, 4, {0, 2, 1, 1}, kFormatMinor);
  put_at32(runs_past, runs_past.size() - 8, 1000);
  fix_crc(runs_past);
  EXPECT_TRUE(contains(decode_error(runs_past), "truncated: payload of 1000 bytes"));

  // Records that need a phase, before any PHASE: build a program without phases and append.
  Program nophase = sample_program();
  nophase.phases.clear();
  const std::vector<uint8_t> np = encode_program(nophase);
  EXPECT_EQ(decode_program(np).phases.size(), 0u);
  for (uint16_t type : {4, 5, 6, 7, 8}) {
    const std::string msg = decode_error(with_extra_record(np, type, {0, 2, 1, 1}, kFormatMinor));
    EXPECT_TRUE(contains(msg, "before the first PHASE")) << type << ": " << msg;
  }
  // A second META.
  std::vector<uint8_t> meta = {0, 0, 0, 0};
  meta.resize(4 + 8 + 32 + 32, 0);
  EXPECT_TRUE(contains(decode_error(with_extra_record(base, 1, meta, kFormatMinor)), "second META"));
}

// The same file in format 1.0: BD entries without the 8 pad bytes (63 instead of 71 bytes),
// minor 0, body length and CRC recomputed. Rebuilt record by record from a 1.1 encoding.
// The same program as an older minor version: 1.3 drops the ops' pool divisor fields (17 bytes
// before the label), 1.2 also the lookup-table, depthwise and mul fields (41 bytes), 1.1 also the conv ops' input-channel split fields (u32 acc_addr,
// u8 acc_mode after the conv's u8s), 1.0 also the BDs' padding (8 bytes a BD).
std::vector<uint8_t> as_older_format(const std::vector<uint8_t>& v13, uint8_t minor) {
  auto rd32 = [&](size_t at) {
    return uint32_t(v13[at]) | uint32_t(v13[at + 1]) << 8 | uint32_t(v13[at + 2]) << 16 | uint32_t(v13[at + 3]) << 24;
  };
  std::vector<uint8_t> out(v13.begin(), v13.begin() + 48);
  size_t pos = 48;
  while (pos < v13.size()) {
    const uint16_t type = static_cast<uint16_t>(v13[pos] | (v13[pos + 1] << 8));
    const uint32_t len = rd32(pos + 4);
    const size_t start = pos + 8;
    std::vector<uint8_t> payload(v13.begin() + start, v13.begin() + start + len);
    if (type == 6 && minor == 0) {  // BD: tile (2), u32 count, count x 71 bytes -> count x 63
      const uint32_t count = rd32(start + 2);
      EXPECT_EQ(len, 6 + 71 * count);
      std::vector<uint8_t> p10(payload.begin(), payload.begin() + 6);
      for (uint32_t i = 0; i < count; ++i)
        p10.insert(p10.end(), payload.begin() + 6 + 71 * i, payload.begin() + 6 + 71 * i + 63);
      payload = p10;
    }
    if (type == 8) {  // CORE_PROGRAM: tile (2), u32 count, ops: 48 bytes, 5 acc bytes (1.2), 69 bytes,
                      // 41 lookup-table, depthwise and mul bytes (1.3), 17 pool divisor bytes (1.4), str label
      const uint32_t count = rd32(start + 2);
      std::vector<uint8_t> pold(payload.begin(), payload.begin() + 6);
      size_t at = 6;
      for (uint32_t i = 0; i < count; ++i) {
        const size_t label = at + 48 + 5 + 69 + 41 + 17;
        const uint32_t n = rd32(start + label);
        pold.insert(pold.end(), payload.begin() + at, payload.begin() + at + 48);
        if (minor >= 2) pold.insert(pold.end(), payload.begin() + at + 48, payload.begin() + at + 53);
        pold.insert(pold.end(), payload.begin() + at + 53, payload.begin() + at + 53 + 69);
        if (minor >= 3) pold.insert(pold.end(), payload.begin() + at + 122, payload.begin() + at + 122 + 41);
        pold.insert(pold.end(), payload.begin() + label, payload.begin() + label + 4 + n);
        at = label + 4 + n;
      }
      EXPECT_EQ(at, len);
      payload = pold;
    }
    put16(out, type);
    put16(out, 0);
    put32(out, static_cast<uint32_t>(payload.size()));
    out.insert(out.end(), payload.begin(), payload.end());
    pos = start + len;
  }
  out[10] = minor;
  out[11] = 0;
  put_at32(out, 24, static_cast<uint32_t>(out.size() - 48));
  put_at32(out, 28, 0);
  fix_crc(out);
  return out;
}

Program without_padding(Program p) {
  for (Phase& ph : p.phases)
    for (TileBds& tb : ph.bds)
      for (BufferDescriptor& bd : tb.bds) bd.pad_before = bd.pad_after = {};
  return p;
}

TEST(ProgramIo, Format10FilesDecodeWithoutPadding) {
  const Program p = without_padding(sample_program());
  const std::vector<uint8_t> v12 = encode_program(p);
  const std::vector<uint8_t> v11 = as_older_format(v12, 1);
  const std::vector<uint8_t> v10 = as_older_format(v12, 0);
  EXPECT_EQ(v11.size() - v10.size(), 8u * 3u);  // three BDs, 8 pad bytes each
  const Program q = decode_program(v10);
  EXPECT_EQ(q.major, 1);
  EXPECT_EQ(q.minor, 0);
  ASSERT_EQ(q.phases.size(), 2u);
  EXPECT_EQ(q.phases[0].bds[0].bds[1].dims[3].stride, 100000);
  EXPECT_EQ(q.phases[0].bds[0].bds[1].next_bd, kNoNextBd);
  EXPECT_EQ(q.phases[1].bds[0].bds[0].next_bd, 15);
  // Everything else equal: a 1.0 file re-encodes as the 1.2 file of the same program.
  EXPECT_EQ(encode_program(q), v12);
  EXPECT_TRUE(contains(listing(q), "format 1.0")) << listing(q);
  // The 1.1 bytes labelled 1.0 do not parse (BD entries too long), and vice versa.
  std::vector<uint8_t> mislabelled = v11;
  mislabelled[10] = 0;
  EXPECT_TRUE(contains(decode_error(mislabelled), "(BD)")) << decode_error(mislabelled);
  std::vector<uint8_t> short_bds = v10;
  short_bds[10] = 1;
  EXPECT_TRUE(contains(decode_error(short_bds), "(BD)")) << decode_error(short_bds);
}

TEST(ProgramIo, InputChannelSplitFieldsRoundTripAndFormat11HasNone) {
  Program p = sample_program();
  ConvArgs& c = p.phases[0].cores[0].ops[1].conv;
  c.acc_addr = 0x4000;
  c.acc_mode = ConvAcc::Middle;
  const std::vector<uint8_t> bytes = encode_program(p);
  const Program q = decode_program(bytes);
  EXPECT_EQ(q.phases[0].cores[0].ops[1].conv.acc_addr, 0x4000u);
  EXPECT_EQ(q.phases[0].cores[0].ops[1].conv.acc_mode, ConvAcc::Middle);
  EXPECT_EQ(encode_program(q), bytes);
  EXPECT_TRUE(contains(listing(q), " acc middle 0x4000")) << listing(q);
  // A 1.1 file has no such fields: every conv reads as acc_mode None.
  const Program old = decode_program(as_older_format(encode_program(sample_program()), 1));
  EXPECT_EQ(old.minor, 1);
  EXPECT_EQ(old.phases[0].cores[0].ops[1].conv.acc_mode, ConvAcc::None);
  EXPECT_EQ(encode_program(old), encode_program(sample_program()));
  // An acc_mode past Last is rejected by name.
  std::vector<uint8_t> bad = bytes;
  const std::vector<uint8_t> needle = {0x00, 0x40, 0x00, 0x00, 0x02};  // acc_addr 0x4000, mode 2
  auto it = std::search(bad.begin(), bad.end(), needle.begin(), needle.end());
  ASSERT_NE(it, bad.end());
  it[4] = 7;
  fix_crc(bad);
  EXPECT_TRUE(contains(decode_error(bad), "invalid conv acc_mode 7")) << decode_error(bad);
}

TEST(ProgramIo, LookupTableAndMulRoundTripAndFormat12HasNone) {
  Program p = sample_program();
  ConvArgs& c = p.phases[0].cores[0].ops[1].conv;
  c.lut = 1;
  c.lut_addr = 0x5100;
  CoreOp m;
  m.kind = CoreOpKind::Mul;
  m.mul = MulArgs{0x100, 24, 0x800, 0x700, 12, 8, 20000, 21};
  m.label = "se band 0";
  p.phases[0].cores[0].ops.push_back(m);
  const std::vector<uint8_t> bytes = encode_program(p);
  const Program q = decode_program(bytes);
  EXPECT_EQ(q.phases[0].cores[0].ops[1].conv.lut, 1);
  EXPECT_EQ(q.phases[0].cores[0].ops[1].conv.lut_addr, 0x5100u);
  const CoreOp& r = q.phases[0].cores[0].ops.back();
  EXPECT_EQ(r.kind, CoreOpKind::Mul);
  EXPECT_EQ(r.mul.in_addr, 0x100u);
  EXPECT_EQ(r.mul.in_pitch, 24u);
  EXPECT_EQ(r.mul.out_addr, 0x800u);
  EXPECT_EQ(r.mul.g_addr, 0x700u);
  EXPECT_EQ(r.mul.pixels, 12u);
  EXPECT_EQ(r.mul.c, 8u);
  EXPECT_EQ(r.mul.mult, 20000);
  EXPECT_EQ(r.mul.shift, 21);
  EXPECT_EQ(encode_program(q), bytes);
  EXPECT_TRUE(contains(listing(q), " lut 0x5100")) << listing(q);
  // The depthwise op: a conv's fields, its kind and channel offset.
  Program d = sample_program();
  d.phases[0].cores[0].ops[1].kind = CoreOpKind::DwConv;
  d.phases[0].cores[0].ops[1].conv.c0 = 24;
  const Program dq = decode_program(encode_program(d));
  EXPECT_EQ(dq.phases[0].cores[0].ops[1].kind, CoreOpKind::DwConv);
  EXPECT_EQ(dq.phases[0].cores[0].ops[1].conv.c0, 24u);
  EXPECT_TRUE(contains(listing(dq), "dwconv in ")) << listing(dq);
  EXPECT_TRUE(contains(listing(dq), " c0 24 out ")) << listing(dq);
  EXPECT_TRUE(contains(listing(q), "mul in 0x100 pitch 24 gate 0x700 out 0x800 pixels 12 c 8 mult 20000 shift 21 \"se band 0\""))
      << listing(q);
  // A 1.2 file has no such fields (no table on any conv) and no mul op kind.
  const Program old = decode_program(as_older_format(encode_program(sample_program()), 2));
  EXPECT_EQ(old.minor, 2);
  EXPECT_EQ(old.phases[0].cores[0].ops[1].conv.lut, 0);
  EXPECT_EQ(encode_program(old), encode_program(sample_program()));
  std::vector<uint8_t> v12_mul = as_older_format(bytes, 2);
  EXPECT_TRUE(contains(decode_error(v12_mul), "invalid core op kind 6")) << decode_error(v12_mul);
  std::vector<uint8_t> v13_kind8 = bytes;  // no kind 8 in 1.4 either
  const std::string label = "se band 0";  // the mul op's kind byte: 180 field bytes and the u32 length before it
  auto it = std::search(v13_kind8.begin(), v13_kind8.end(), label.begin(), label.end());
  ASSERT_NE(it, v13_kind8.end());
  ASSERT_EQ(*(it - 4 - 180), 6);
  *(it - 4 - 180) = 8;
  fix_crc(v13_kind8);
  EXPECT_TRUE(contains(decode_error(v13_kind8), "invalid core op kind 8")) << decode_error(v13_kind8);
}

TEST(ProgramIo, PoolDivisorRoundTripsAndFormat13HasNone) {
  Program p = sample_program();
  CoreOp a;
  a.kind = CoreOpKind::AvgPool;
  a.pool.in_addr = 0x100;
  a.pool.in_h = 7;
  a.pool.in_w = 9;
  a.pool.c = 8;
  a.pool.out_addr = 0x900;
  a.pool.out_h = 3;
  a.pool.out_w = 4;
  a.pool.kh = a.pool.kw = 3;
  a.pool.stride_h = a.pool.stride_w = 2;
  a.pool.mult = 1 << 30;
  a.pool.shift = 30;
  a.pool.divide = 1;
  a.pool.count_y0 = 1;
  a.pool.count_y1 = -6;  // any int32 is stored (the program check judges it)
  a.pool.count_x0 = -2;
  a.pool.count_x1 = 8;
  a.label = "apool band 0";
  p.phases[0].cores[0].ops.push_back(a);
  const std::vector<uint8_t> bytes = encode_program(p);
  const Program q = decode_program(bytes);
  const PoolArgs& r = q.phases[0].cores[0].ops.back().pool;
  EXPECT_EQ(r.divide, 1);
  EXPECT_EQ(r.count_y0, 1);
  EXPECT_EQ(r.count_y1, -6);
  EXPECT_EQ(r.count_x0, -2);
  EXPECT_EQ(r.count_x1, 8);
  EXPECT_EQ(encode_program(q), bytes);
  EXPECT_TRUE(contains(listing(q), " divide rows [1,-6) cols [-2,8) \"apool band 0\"")) << listing(q);
  // A 1.3 file has no such fields: every average pool divides by kh*kw.
  const Program old = decode_program(as_older_format(bytes, 3));
  EXPECT_EQ(old.minor, 3);
  EXPECT_EQ(old.phases[0].cores[0].ops.back().pool.divide, 0);
  EXPECT_EQ(old.phases[0].cores[0].ops.back().label, "apool band 0");
}

TEST(ProgramIo, PaddingRoundTripsAndShowsInTheListing) {
  Program p = without_padding(sample_program());
  BufferDescriptor& b = p.phases[1].bds[0].bds[0];  // 3-D: [8] x [4 @ 32] x [2 @ 512]
  b.pad_before = {2, 1, 0, 0};
  b.pad_after = {2, 0, 255, 0};
  const Program q = decode_program(encode_program(p));
  EXPECT_EQ(q.phases[1].bds[0].bds[0].pad_before, b.pad_before);
  EXPECT_EQ(q.phases[1].bds[0].bds[0].pad_after, b.pad_after);
  EXPECT_EQ(q.phases[1].bds[0].bds[0].bytes_per_repetition(), 12u * 5u * 257u);
  EXPECT_TRUE(contains(listing(q), "  bd tile(1,2) #15 addr 0x100 dims [8 pad 2,2] x [4 @ 32 pad 1,0] x [2 @ 512 pad 0,255] iter 2 @ 64"))
      << listing(q);
  // Unpadded BDs list exactly as in format 1.0.
  EXPECT_TRUE(contains(listing(q), "  bd tile(0,1) #0 addr 0x40 dims [1920] x [3 @ 1920] iter 14 @ 1792")) << listing(q);
}

TEST(ProgramIo, EncoderRejectsWhatTheDecoderWould) {
  Program p = sample_program();
  p.phases[0].bds[0].bds[0].ndims = 5;
  try {
    encode_program(p);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_TRUE(contains(e.what(), "ndims 5 out of range")) << e.what();
  }
}

TEST(ProgramIo, FilesRoundTripAndErrorsNameThePath) {
  const fs::path dir = fs::temp_directory_path() / ("saie_program_io_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "program.bin").string();
  write_program_file(sample_program(), path);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  // The file is written from the program's DDR segments in place: the same bytes as the encoding.
  {
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(file, encode_program(sample_program()));
  }
  const Program q = read_program_file(path);
  EXPECT_EQ(encode_program(q), encode_program(sample_program()));
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "SAIEPRG";
  }
  try {
    read_program_file(path);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_TRUE(contains(e.what(), path)) << e.what();
    EXPECT_TRUE(contains(e.what(), "truncated header")) << e.what();
  }
  EXPECT_THROW(read_program_file((dir / "missing.bin").string()), FormatError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace saie::isa

namespace saie::isa {
namespace {

// Random single-byte corruptions behind a recomputed (valid) CRC: the decoder must either read
// the file or throw FormatError, never crash, hang or throw anything else.
TEST(ProgramIo, CorruptBodiesWithValidCrcFailCleanly) {
  const std::vector<uint8_t> base = encode_program(sample_program());
  uint64_t state = 0x9E3779B97F4A7C15ull;  // fixed seed: deterministic
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> bad = base;
    const size_t at = 48 + next() % (bad.size() - 48);
    bad[at] = static_cast<uint8_t>(next());
    fix_crc(bad);
    try {
      const Program q = decode_program(bad);
      EXPECT_EQ(encode_program(q).size(), bad.size());
    } catch (const FormatError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace saie::isa
