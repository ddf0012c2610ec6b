// byte_codec.h — little-endian byte writer/reader used by the program binary format (private to hw/isa).
//
// The reader never reads past its window: every get checks the remaining length and throws
// FormatError naming the context (record index, type, offset) that the caller set.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hw/isa/program_io.h"

namespace saie::isa::detail {

// Writes the bytes of a file as a list of pieces: small values are copied into an owned buffer,
// large payloads (a program's DDR image) can be referenced in place (bytes_ref: the caller keeps
// them alive until the writer is done), so a file can be written without assembling it in memory
// first. Positions are logical offsets from the start; patch_* rewrites owned bytes only.
class ByteWriter {
 public:
  void u8(uint8_t v) { put(v, 1); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void i16(int16_t v) { put(static_cast<uint16_t>(v), 2); }
  void i32(int32_t v) { put(static_cast<uint32_t>(v), 4); }
  void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
  void f32(float v) {
    uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void bytes(const uint8_t* p, size_t n) {
    if (pieces_.empty() || pieces_.back().ref != nullptr) pieces_.push_back({size_, nullptr, buf_.size(), 0});
    buf_.insert(buf_.end(), p, p + n);
    pieces_.back().n += n;
    size_ += n;
  }
  // n bytes at p, not copied: they must stay valid and unchanged while this writer is used.
  void bytes_ref(const uint8_t* p, size_t n) {
    if (n == 0) return;
    pieces_.push_back({size_, p, 0, n});
    size_ += n;
  }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  // Overwrite bytes at logical position `pos` (used to patch lengths once known).
  void patch_u32(size_t pos, uint32_t v) { patch(pos, v, 4); }
  void patch_u64(size_t pos, uint64_t v) { patch(pos, v, 8); }
  size_t size() const { return size_; }
  // Calls fn(data, n) for each piece in order: the bytes from logical position `from` on.
  template <class Fn>
  void for_each(size_t from, Fn fn) const {
    for (const Piece& q : pieces_) {
      if (q.at + q.n <= from) continue;
      const size_t skip = from > q.at ? from - q.at : 0;
      fn((q.ref ? q.ref : buf_.data() + q.owned) + skip, q.n - skip);
    }
  }
  // All bytes in one vector.
  std::vector<uint8_t> take() const {
    std::vector<uint8_t> v;
    v.reserve(size_);
    for_each(0, [&](const uint8_t* p, size_t n) { v.insert(v.end(), p, p + n); });
    return v;
  }

 private:
  struct Piece {
    size_t at;           // logical position of its first byte
    const uint8_t* ref;  // referenced bytes, or nullptr: owned bytes buf_[owned, owned + n)
    size_t owned;
    size_t n;
  };
  void put(uint64_t v, int n) {
    uint8_t b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    bytes(b, static_cast<size_t>(n));
  }
  void patch(size_t pos, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      const size_t at = pos + static_cast<size_t>(i);
      for (auto q = pieces_.rbegin(); q != pieces_.rend(); ++q)  // patches are near the end: search backwards
        if (!q->ref && at >= q->at && at < q->at + q->n) {
          buf_[q->owned + (at - q->at)] = static_cast<uint8_t>(v >> (8 * i));
          break;
        }
    }
  }
  std::vector<uint8_t> buf_;
  std::vector<Piece> pieces_;
  size_t size_ = 0;
};

class ByteReader {
 public:
  // Reads bytes[begin, end). `context` prefixes error messages.
  ByteReader(const uint8_t* data, size_t begin, size_t end, std::string context)
      : data_(data), pos_(begin), end_(end), context_(std::move(context)) {}

  uint8_t u8() { return static_cast<uint8_t>(get(1, "u8")); }
  uint16_t u16() { return static_cast<uint16_t>(get(2, "u16")); }
  uint32_t u32() { return static_cast<uint32_t>(get(4, "u32")); }
  uint64_t u64() { return get(8, "u64"); }
  int16_t i16() { return static_cast<int16_t>(get(2, "i16")); }
  int32_t i32() { return static_cast<int32_t>(get(4, "i32")); }
  int64_t i64() { return static_cast<int64_t>(get(8, "i64")); }
  float f32() {
    uint32_t bits = u32();
    float v = 0;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  std::vector<uint8_t> bytes(uint64_t n, const char* what) {
    need(n, what);
    std::vector<uint8_t> v(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return v;
  }
  std::string str(const char* what) {
    const uint32_t n = u32();
    need(n, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }
  [[noreturn]] void fail(const std::string& msg) const { throw FormatError(context_ + ": " + msg); }

 private:
  void need(uint64_t n, const char* what) const {
    if (n > end_ - pos_) {
      fail("truncated: " + std::string(what) + " needs " + std::to_string(n) + " bytes at offset " +
           std::to_string(pos_) + ", " + std::to_string(end_ - pos_) + " left");
    }
  }
  uint64_t get(int n, const char* what) {
    need(static_cast<uint64_t>(n), what);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  const uint8_t* data_;
  size_t pos_;
  size_t end_;
  std::string context_;
};

}  // namespace saie::isa::detail
