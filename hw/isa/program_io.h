// program_io.h — binary (de)serialisation of isa::Program. Layout: docs/program-format.md.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "hw/isa/program.h"

namespace saie::isa {

struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<uint8_t> encode_program(const Program& p);
Program decode_program(const uint8_t* bytes, size_t size);  // throws FormatError (one line)
inline Program decode_program(const std::vector<uint8_t>& bytes) { return decode_program(bytes.data(), bytes.size()); }
void write_program_file(const Program& p, const std::string& path);  // tmp + rename
Program read_program_file(const std::string& path);                   // throws FormatError
// Text listing, one item per line, deterministic (see docs/program-format.md "Listing").
std::string listing(const Program& p);

}  // namespace saie::isa
