// safetensors.cpp — strict safetensors reader and deterministic writer (see safetensors.h).
#include "model/bundle/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include <nlohmann/json.hpp>

#include "util/file_io.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.cpp assumes a little-endian host (raw tensor bytes are copied as-is)"
#endif

namespace saie::bundle {

namespace {

struct DTypeInfo {
  DType d;
  const char* name;
  size_t bytes;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::Bool, "BOOL", 1}, {DType::U8, "U8", 1},   {DType::I8, "I8", 1},     {DType::U16, "U16", 2},
    {DType::I16, "I16", 2},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2}, {DType::U32, "U32", 4},
    {DType::I32, "I32", 4},   {DType::F32, "F32", 4}, {DType::U64, "U64", 8},   {DType::I64, "I64", 8},
    {DType::F64, "F64", 8},
};

const DTypeInfo& info(DType d) {
  for (const DTypeInfo& i : kDTypes)
    if (i.d == d) return i;
  throw SafetensorsError("safetensors: invalid dtype enum");
}

// Element count with overflow detection; returns false on overflow.
bool checked_elements(const std::vector<uint64_t>& shape, uint64_t& out) {
  uint64_t n = 1;
  for (uint64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<uint64_t>::max() / d) return false;
    n *= d;
  }
  out = n;
  return true;
}

template <class T>
RawTensor make(DType d, const std::vector<T>& v, std::vector<uint64_t> shape) {
  RawTensor t;
  t.dtype = d;
  t.shape = std::move(shape);
  if (t.elements() != v.size()) throw SafetensorsError("safetensors: element count does not match shape");
  t.data.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

template <class T>
std::vector<T> view(const RawTensor& t, DType want) {
  if (t.dtype != want)
    throw SafetensorsError(std::string("safetensors: dtype is ") + dtype_name(t.dtype) + ", expected " + dtype_name(want));
  std::vector<T> v(t.data.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.data.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace

const char* dtype_name(DType d) { return info(d).name; }
size_t dtype_bytes(DType d) { return info(d).bytes; }

DType dtype_from_name(const std::string& s) {
  for (const DTypeInfo& i : kDTypes)
    if (s == i.name) return i.d;
  throw SafetensorsError("safetensors: unknown dtype '" + s + "'");
}

uint64_t RawTensor::elements() const {
  uint64_t n = 0;
  if (!checked_elements(shape, n)) throw SafetensorsError("safetensors: shape overflows");
  return n;
}

SafetensorsFile parse_safetensors(const uint8_t* bytes, size_t size, const std::string& what) {
  auto fail = [&](const std::string& msg) -> SafetensorsError { return SafetensorsError(what + ": " + msg); };
  if (size < 8) throw fail("file is " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
  if (n > size - 8)
    throw fail("header length " + std::to_string(n) + " goes beyond the file (" + std::to_string(size) + " bytes)");
  const size_t data_begin = 8 + static_cast<size_t>(n);
  const uint64_t data_size = size - data_begin;

  nlohmann::json h;
  try {
    h = nlohmann::json::parse(bytes + 8, bytes + data_begin);
  } catch (const nlohmann::json::exception& e) {
    std::string m = e.what();
    std::replace(m.begin(), m.end(), '\n', ' ');
    throw fail("header is not valid JSON: " + m);
  }
  if (!h.is_object()) throw fail("header is not a JSON object");

  SafetensorsFile f;
  struct Span {
    uint64_t begin, end;
    std::string name;
  };
  std::vector<Span> spans;
  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw fail("__metadata__ '" + m.key() + "' is not a string");
        f.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto tfail = [&](const std::string& msg) { return fail("tensor '" + name + "': " + msg); };
    if (!v.is_object()) throw tfail("entry is not an object");
    for (auto k = v.begin(); k != v.end(); ++k)
      if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets") throw tfail("unknown key '" + k.key() + "'");
    if (!v.contains("dtype") || !v["dtype"].is_string()) throw tfail("missing or non-string 'dtype'");
    if (!v.contains("shape") || !v["shape"].is_array()) throw tfail("missing or non-array 'shape'");
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      throw tfail("missing 'data_offsets' [begin, end]");
    RawTensor t;
    try {
      t.dtype = dtype_from_name(v["dtype"].get<std::string>());
    } catch (const SafetensorsError&) {
      throw tfail("unknown dtype '" + v["dtype"].get<std::string>() + "'");
    }
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) throw tfail("shape entries must be non-negative integers");
      t.shape.push_back(d.get<uint64_t>());
    }
    for (const auto& o : v["data_offsets"])
      if (!o.is_number_unsigned()) throw tfail("data_offsets must be non-negative integers");
    const uint64_t b = v["data_offsets"][0].get<uint64_t>(), e = v["data_offsets"][1].get<uint64_t>();
    if (b > e || e > data_size)
      throw tfail("data_offsets [" + std::to_string(b) + ", " + std::to_string(e) + "] out of range (data is " +
                  std::to_string(data_size) + " bytes)");
    uint64_t elems = 0;
    if (!checked_elements(t.shape, elems) || elems > std::numeric_limits<uint64_t>::max() / dtype_bytes(t.dtype))
      throw tfail("shape overflows");
    if (e - b != elems * dtype_bytes(t.dtype))
      throw tfail("data_offsets span " + std::to_string(e - b) + " bytes, dtype x shape needs " +
                  std::to_string(elems * dtype_bytes(t.dtype)));
    t.data.assign(bytes + data_begin + b, bytes + data_begin + e);
    spans.push_back({b, e, name});
    f.tensors.emplace(name, std::move(t));
  }
  // Tensors must tile the data area exactly: no overlap, no holes, no trailing bytes.
  std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) {
    return x.begin != y.begin ? x.begin < y.begin : x.end < y.end;
  });
  uint64_t pos = 0;
  for (const Span& s : spans) {
    if (s.begin < pos) throw fail("tensor '" + s.name + "': data_offsets overlap the previous tensor");
    if (s.begin > pos) throw fail("tensor '" + s.name + "': hole of " + std::to_string(s.begin - pos) + " bytes before it");
    pos = s.end;
  }
  if (pos != data_size) throw fail(std::to_string(data_size - pos) + " trailing bytes after the last tensor");
  return f;
}

SafetensorsFile read_safetensors(const std::string& path) {
  try {
    const util::MappedFile file(path);
    return parse_safetensors(file.data(), file.size(), path);
  } catch (const util::FileError& e) {
    throw SafetensorsError(e.what());
  }
}

std::vector<uint8_t> serialize_safetensors(const SafetensorsFile& f) {
  nlohmann::json h = nlohmann::json::object();
  if (!f.metadata.empty()) {
    nlohmann::json m = nlohmann::json::object();
    for (const auto& [k, v] : f.metadata) m[k] = v;
    h["__metadata__"] = m;
  }
  uint64_t pos = 0;
  for (const auto& [name, t] : f.tensors) {
    if (name == "__metadata__") throw SafetensorsError("safetensors: tensor name '__metadata__' is reserved");
    if (t.data.size() != t.elements() * dtype_bytes(t.dtype))
      throw SafetensorsError("safetensors: tensor '" + name + "': data size does not match dtype x shape");
    nlohmann::json e = nlohmann::json::object();
    e["dtype"] = dtype_name(t.dtype);
    e["shape"] = t.shape;
    e["data_offsets"] = {pos, pos + t.data.size()};
    h[name] = e;
    pos += t.data.size();
  }
  std::string header = h.dump();
  while (header.size() % 8 != 0) header.push_back(' ');  // keeps tensor data 8-byte aligned
  std::vector<uint8_t> out;
  out.reserve(8 + header.size() + pos);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>((uint64_t{header.size()} >> (8 * i)) & 0xff));
  out.insert(out.end(), header.begin(), header.end());
  for (const auto& kv : f.tensors) out.insert(out.end(), kv.second.data.begin(), kv.second.data.end());
  return out;
}

void write_safetensors(const SafetensorsFile& f, const std::string& path) {
  util::write_file_atomic(path, serialize_safetensors(f));
}

RawTensor make_i8(const std::vector<int8_t>& v, std::vector<uint64_t> shape) { return make(DType::I8, v, std::move(shape)); }
RawTensor make_i32(const std::vector<int32_t>& v, std::vector<uint64_t> shape) {
  return make(DType::I32, v, std::move(shape));
}
RawTensor make_f32(const std::vector<float>& v, std::vector<uint64_t> shape) { return make(DType::F32, v, std::move(shape)); }
std::vector<int8_t> as_i8(const RawTensor& t) { return view<int8_t>(t, DType::I8); }
std::vector<int32_t> as_i32(const RawTensor& t) { return view<int32_t>(t, DType::I32); }
std::vector<float> as_f32(const RawTensor& t) { return view<float>(t, DType::F32); }

}  // namespace saie::bundle
