// safetensors_test.cpp — round trip and rejection of truncated/corrupt safetensors files.
#include "model/bundle/safetensors.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "tests/model/test_graphs.h"
#include "util/file_io.h"

namespace saie::bundle {
namespace {

SafetensorsFile sample() {
  SafetensorsFile f;
  f.metadata["format"] = "sparseaie-bundle";
  f.metadata["version"] = "1.0";
  f.tensors["b.bias"] = make_i32({1, -2, 300000, -2147483647 - 1}, {4});
  f.tensors["a.weight"] = make_i8({1, -1, 127, -128, 0, 5}, {2, 1, 1, 3});
  f.tensors["c.scales"] = make_f32({0.5f, 1e-7f, 3.25f}, {3});
  return f;
}

// Header-only file image built by hand: 8-byte length + header + data.
std::vector<uint8_t> image(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b(8 + header.size() + data.size());  // sized once: g++ 12 warns on growing inserts here
  for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>((uint64_t{header.size()} >> (8 * i)) & 0xff);
  std::copy(header.begin(), header.end(), b.begin() + 8);
  std::copy(data.begin(), data.end(), b.begin() + 8 + static_cast<std::ptrdiff_t>(header.size()));
  return b;
}

void expect_reject(const std::vector<uint8_t>& bytes, const std::string& want) {
  try {
    parse_safetensors(bytes, "w.safetensors");
    FAIL() << "accepted; expected error with '" << want << "'";
  } catch (const SafetensorsError& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(SafetensorsTest, RoundTripIsByteIdentical) {
  test::TempDir dir("saie-st");
  const std::string p1 = dir.str() + "/a.safetensors", p2 = dir.str() + "/b.safetensors";
  write_safetensors(sample(), p1);
  EXPECT_FALSE(std::filesystem::exists(p1 + ".tmp"));
  SafetensorsFile r = read_safetensors(p1);
  write_safetensors(r, p2);
  EXPECT_EQ(util::read_file(p1), util::read_file(p2));

  EXPECT_EQ(r.metadata.at("format"), "sparseaie-bundle");
  EXPECT_EQ(as_i8(r.tensors.at("a.weight")), (std::vector<int8_t>{1, -1, 127, -128, 0, 5}));
  EXPECT_EQ(r.tensors.at("a.weight").shape, (std::vector<uint64_t>{2, 1, 1, 3}));
  EXPECT_EQ(as_i32(r.tensors.at("b.bias")), (std::vector<int32_t>{1, -2, 300000, -2147483647 - 1}));
  EXPECT_EQ(as_f32(r.tensors.at("c.scales")), (std::vector<float>{0.5f, 1e-7f, 3.25f}));
  EXPECT_THROW(as_i32(r.tensors.at("a.weight")), SafetensorsError);
}

TEST(SafetensorsTest, LayoutIsStandard) {
  std::vector<uint8_t> b = serialize_safetensors(sample());
  uint64_t n = 0;
  std::memcpy(&n, b.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const std::string header(b.begin() + 8, b.begin() + 8 + static_cast<long>(n));
  // Tensors sorted by name: a.weight (6 bytes) at 0, b.bias (16) at 6, c.scales (12) at 22.
  EXPECT_NE(header.find("\"a.weight\":{\"data_offsets\":[0,6],\"dtype\":\"I8\",\"shape\":[2,1,1,3]}"), std::string::npos)
      << header;
  EXPECT_NE(header.find("\"data_offsets\":[6,22]"), std::string::npos) << header;
  EXPECT_NE(header.find("\"__metadata__\":{\"format\":\"sparseaie-bundle\",\"version\":\"1.0\"}"), std::string::npos);
  EXPECT_EQ(b.size(), 8 + n + 34);
  EXPECT_EQ(static_cast<int8_t>(b[8 + n + 3]), -128);
}

TEST(SafetensorsTest, RejectsShortFile) {
  expect_reject({1, 0, 0}, "shorter than the 8-byte header length");
  expect_reject({}, "shorter");
}

TEST(SafetensorsTest, RejectsTruncatedFile) {
  std::vector<uint8_t> b = serialize_safetensors(sample());
  b.pop_back();
  expect_reject(b, "c.scales");  // its end offset now lies beyond the data
  std::vector<uint8_t> head(b.begin(), b.begin() + 20);
  expect_reject(head, "header length");
}

TEST(SafetensorsTest, RejectsHeaderLengthBeyondFile) {
  std::vector<uint8_t> b = image("{}", {});
  b[0] = 200;
  expect_reject(b, "header length 200 goes beyond the file");
  b = image("{}", {});
  b[7] = 0x80;  // huge length must not overflow
  expect_reject(b, "goes beyond the file");
}

TEST(SafetensorsTest, RejectsBadJson) {
  expect_reject(image("{\"a\": {\"dtype\": ", {}), "not valid JSON");
  expect_reject(image("[1, 2]", {}), "not a JSON object");
}

TEST(SafetensorsTest, RejectsOverlappingOffsets) {
  expect_reject(image(R"({"x":{"dtype":"I8","shape":[4],"data_offsets":[0,4]},)"
                      R"("y":{"dtype":"I8","shape":[4],"data_offsets":[2,6]}})",
                      std::vector<uint8_t>(6)),
                "overlap");
}

TEST(SafetensorsTest, RejectsOffsetsOutOfRangeOrNotMatchingShape) {
  expect_reject(image(R"({"x":{"dtype":"I8","shape":[4],"data_offsets":[0,8]}})", std::vector<uint8_t>(4)),
                "tensor 'x': data_offsets [0, 8] out of range");
  expect_reject(image(R"({"x":{"dtype":"I32","shape":[4],"data_offsets":[0,4]}})", std::vector<uint8_t>(4)),
                "tensor 'x': data_offsets span 4 bytes, dtype x shape needs 16");
  expect_reject(image(R"({"x":{"dtype":"I8","shape":[2],"data_offsets":[2,4]}})", std::vector<uint8_t>(4)), "hole");
  expect_reject(image(R"({"x":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}})", std::vector<uint8_t>(4)), "trailing");
}

TEST(SafetensorsTest, RejectsUnknownDtypeAndBadFields) {
  expect_reject(image(R"({"x":{"dtype":"Q4","shape":[4],"data_offsets":[0,4]}})", std::vector<uint8_t>(4)),
                "tensor 'x': unknown dtype 'Q4'");
  expect_reject(image(R"({"x":{"dtype":"I8","shape":[-4],"data_offsets":[0,4]}})", std::vector<uint8_t>(4)), "tensor 'x'");
  expect_reject(image(R"({"x":{"dtype":"I8","shape":[4]}})", std::vector<uint8_t>(4)), "data_offsets");
  expect_reject(image(R"({"__metadata__":{"a":1}})", {}), "__metadata__");
}

TEST(SafetensorsTest, ReadsHandWrittenFileWithPaddedHeader) {
  // As Python's safetensors writes it: header padded with spaces, tensors not sorted by name.
  std::vector<uint8_t> data = {0, 0, 128, 63, 7};  // float 1.0 then int8 7
  SafetensorsFile f = parse_safetensors(image(R"({"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                              R"("a":{"dtype":"I8","shape":[],"data_offsets":[4,5]}}   )",
                                              data));
  EXPECT_EQ(as_f32(f.tensors.at("z")), std::vector<float>{1.0f});
  EXPECT_EQ(as_i8(f.tensors.at("a")), std::vector<int8_t>{7});
  EXPECT_TRUE(f.metadata.empty());
}

}  // namespace
}  // namespace saie::bundle
