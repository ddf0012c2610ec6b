// block_shape.h — the text form of a block shape, "BOxBI" (output x input channels per block,
// the whole kernel), as every command and grid file takes it (plain C++).
#pragma once

#include <cstdint>
#include <string>

namespace saie::ir {

struct BlockShape {
  uint32_t bo = 8, bi = 8;
};

// The largest bo or bi accepted on a command line or in a grid. The IR takes any non-zero shape;
// this bound keeps a typo (8x800) from building masks no layer can use.
inline constexpr uint32_t kMaxBlockChannels = 256;

// "8x8" -> {8, 8}. Throws std::invalid_argument with one line naming the text and the rule
// ("'8x0' is not BOxBI with 1..256 channels each (e.g. 8x8, 1x1, 4x16)") on anything else.
BlockShape parse_block_shape(const std::string& text);

}  // namespace saie::ir
