// safetensors.h — a small reader/writer for the safetensors container (8-byte LE header length,
// JSON header with dtype/shape/data_offsets and "__metadata__", then the raw tensor bytes).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace saie::bundle {

struct SafetensorsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class DType { Bool, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64 };
const char* dtype_name(DType d);             // "I8", "I32", "F32", ...
DType dtype_from_name(const std::string& s);  // throws SafetensorsError on unknown names
size_t dtype_bytes(DType d);

struct RawTensor {
  DType dtype = DType::U8;
  std::vector<uint64_t> shape;  // empty = scalar
  std::vector<uint8_t> data;    // raw little-endian bytes, size = elements * dtype_bytes
  uint64_t elements() const;
};

struct SafetensorsFile {
  std::map<std::string, std::string> metadata;  // "__metadata__" (string values only)
  std::map<std::string, RawTensor> tensors;        // by name; written in this (sorted) order
};

// Parses a whole file image; `what` names the source in error messages. Rejects: fewer than 8
// bytes, header length beyond the file, invalid JSON, unknown dtype, missing/ill-typed fields,
// offsets out of range, overlapping, leaving holes or not matching dtype x shape.
SafetensorsFile parse_safetensors(const uint8_t* bytes, size_t size, const std::string& what = "safetensors");
inline SafetensorsFile parse_safetensors(const std::vector<uint8_t>& bytes, const std::string& what = "safetensors") {
  return parse_safetensors(bytes.data(), bytes.size(), what);
}
SafetensorsFile read_safetensors(const std::string& path);
// Serialises deterministically: tensors by name, compact JSON header padded with spaces to 8 bytes.
std::vector<uint8_t> serialize_safetensors(const SafetensorsFile& f);
// Writes atomically (util::write_file_atomic).
void write_safetensors(const SafetensorsFile& f, const std::string& path);

// Typed views and builders (host must be little-endian, checked at compile time).
RawTensor make_i8(const std::vector<int8_t>& v, std::vector<uint64_t> shape);
RawTensor make_i32(const std::vector<int32_t>& v, std::vector<uint64_t> shape);
RawTensor make_f32(const std::vector<float>& v, std::vector<uint64_t> shape);
std::vector<int8_t> as_i8(const RawTensor& t);    // throws SafetensorsError when dtype differs
std::vector<int32_t> as_i32(const RawTensor& t);
std::vector<float> as_f32(const RawTensor& t);

}  // namespace saie::bundle
