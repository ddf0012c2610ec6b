// idx.cpp — reads gzip-compressed Fashion-MNIST IDX files with zlib (no LibTorch).
#include "model/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>

#ifndef SAIE_DATASET_DIR
#define SAIE_DATASET_DIR "/usr/share/datasets/fashion-mnist"
#endif

namespace saie::data {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// One open .gz file; every error names the file.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) throw std::runtime_error("cannot open dataset file " + path_);
  }

  // Reads exactly n bytes or throws ("truncated" / zlib's message for corrupt data).
  void read_exact(uint8_t* dst, size_t n, const char* what) {
    size_t done = 0;
    while (done < n) {
      // gzread takes an unsigned count; read in 64 MiB slices.
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, size_t{1} << 26));
      const int got = gzread(f_.get(), dst + done, chunk);
      if (got < 0) {
        int errnum = 0;
        const char* msg = gzerror(f_.get(), &errnum);
        throw std::runtime_error("corrupt dataset file " + path_ + " reading " + what + ": " + (msg ? msg : "zlib error"));
      }
      if (got == 0) throw std::runtime_error("truncated dataset file " + path_ + " reading " + what);
      done += static_cast<size_t>(got);
    }
  }

  uint32_t read_be32(const char* what) {
    std::array<uint8_t, 4> b{};
    read_exact(b.data(), b.size(), what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  GzHandle f_;
};

std::string hex32(uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  for (int i = 7; i >= 0; --i) s += digits[(v >> (4 * i)) & 0xF];
  return s;
}

}  // namespace

Dataset load_fashion_mnist(const std::string& dir, const std::string& split, uint32_t limit) {
  std::string prefix;
  if (split == "train") {
    prefix = "train";
  } else if (split == "test") {
    prefix = "t10k";
  } else {
    throw std::runtime_error("unknown dataset split '" + split + "' (expected train or test)");
  }
  const std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  GzReader images(base + prefix + "-images-idx3-ubyte.gz");
  GzReader labels(base + prefix + "-labels-idx1-ubyte.gz");

  const uint32_t im_magic = images.read_be32("magic");
  if (im_magic != kImagesMagic)
    throw std::runtime_error("bad magic " + hex32(im_magic) + " in " + images.path() + " (expected 0x00000803)");
  const uint32_t lb_magic = labels.read_be32("magic");
  if (lb_magic != kLabelsMagic)
    throw std::runtime_error("bad magic " + hex32(lb_magic) + " in " + labels.path() + " (expected 0x00000801)");

  Dataset ds;
  const uint32_t im_count = images.read_be32("image count");
  ds.rows = images.read_be32("row count");
  ds.cols = images.read_be32("column count");
  const uint32_t lb_count = labels.read_be32("label count");
  if (im_count != lb_count)
    throw std::runtime_error("image count " + std::to_string(im_count) + " in " + images.path() +
                             " differs from label count " + std::to_string(lb_count) + " in " + labels.path());
  if (ds.rows == 0 || ds.cols == 0 || ds.rows > 4096 || ds.cols > 4096)
    throw std::runtime_error("implausible image size " + std::to_string(ds.rows) + "x" + std::to_string(ds.cols) + " in " +
                             images.path());

  ds.count = (limit > 0 && limit < im_count) ? limit : im_count;
  ds.pixels.resize(size_t{ds.count} * ds.rows * ds.cols);
  ds.labels.resize(ds.count);
  images.read_exact(ds.pixels.data(), ds.pixels.size(), "pixels");
  labels.read_exact(ds.labels.data(), ds.labels.size(), "labels");
  for (uint32_t i = 0; i < ds.count; ++i) {
    if (ds.labels[i] > 9)
      throw std::runtime_error("label " + std::to_string(ds.labels[i]) + " out of range 0..9 at index " + std::to_string(i) +
                               " in " + labels.path());
  }
  return ds;
}

std::string default_dataset_dir() { return SAIE_DATASET_DIR; }

}  // namespace saie::data
