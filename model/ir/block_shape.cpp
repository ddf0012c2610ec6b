// block_shape.cpp — see block_shape.h.
#include "model/ir/block_shape.h"

#include <stdexcept>

namespace saie::ir {

BlockShape parse_block_shape(const std::string& text) {
  auto number = [](const std::string& t) -> uint32_t {  // 0 = not a number in range
    if (t.empty() || t.size() > 3 || t.find_first_not_of("0123456789") != std::string::npos) return 0;
    const unsigned long v = std::stoul(t);
    return v <= kMaxBlockChannels ? static_cast<uint32_t>(v) : 0;
  };
  const size_t x = text.find('x');
  const uint32_t bo = x == std::string::npos ? 0 : number(text.substr(0, x));
  const uint32_t bi = x == std::string::npos ? 0 : number(text.substr(x + 1));
  if (bo == 0 || bi == 0)
    throw std::invalid_argument("'" + text + "' is not BOxBI with 1.." + std::to_string(kMaxBlockChannels) +
                                " channels each (e.g. 8x8, 1x1, 4x16)");
  return {bo, bi};
}

}  // namespace saie::ir
