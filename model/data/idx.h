// idx.h — Fashion-MNIST IDX files (gzip-compressed, as the Debian package ships them). Plain C++.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace saie::data {

struct Dataset {
  uint32_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major per image
  std::vector<uint8_t> labels;  // count
  const uint8_t* image(uint32_t i) const { return pixels.data() + size_t{i} * rows * cols; }
};

// split: "train" or "test". dir holds {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
// limit > 0 reads only the first `limit` images. Throws std::runtime_error with the file name.
Dataset load_fashion_mnist(const std::string& dir, const std::string& split, uint32_t limit = 0);
// The default dataset dir (the Debian package's).
std::string default_dataset_dir();

}  // namespace saie::data
