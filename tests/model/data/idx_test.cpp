// idx_test.cpp — Fashion-MNIST gzip IDX reader: real data, truncated and corrupt files.
#include "model/data/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace saie::data {
namespace {

namespace fs = std::filesystem;

// A fresh temp folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("saie_idx_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

void put_be32(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(uint8_t(x >> 24));
  v.push_back(uint8_t(x >> 16));
  v.push_back(uint8_t(x >> 8));
  v.push_back(uint8_t(x));
}

void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

// Writes a consistent test split of `count` 28x28 images; `payload_images` of them are present.
void write_split(const std::string& dir, uint32_t count, uint32_t payload_images, uint32_t image_magic = 0x803) {
  std::vector<uint8_t> im;
  put_be32(im, image_magic);
  put_be32(im, count);
  put_be32(im, 28);
  put_be32(im, 28);
  for (uint32_t i = 0; i < payload_images * 28 * 28; ++i) im.push_back(uint8_t(i * 7));
  std::vector<uint8_t> lb;
  put_be32(lb, 0x801);
  put_be32(lb, count);
  for (uint32_t i = 0; i < count; ++i) lb.push_back(uint8_t(i % 10));
  write_gz(dir + "/t10k-images-idx3-ubyte.gz", im);
  write_gz(dir + "/t10k-labels-idx1-ubyte.gz", lb);
}

TEST(Idx, LoadsRealTestSplitWithLimit) {
  const Dataset ds = load_fashion_mnist(default_dataset_dir(), "test", 100);
  ASSERT_EQ(ds.count, 100u);
  EXPECT_EQ(ds.rows, 28u);
  EXPECT_EQ(ds.cols, 28u);
  ASSERT_EQ(ds.pixels.size(), 100u * 28 * 28);
  ASSERT_EQ(ds.labels.size(), 100u);
  std::vector<int> seen(10, 0);
  for (uint8_t l : ds.labels) {
    ASSERT_LE(l, 9);
    ++seen[l];
  }
  // 100 real images cover more than a handful of the ten classes.
  int classes = 0;
  for (int s : seen) classes += s > 0;
  EXPECT_GE(classes, 8);
  // Real images are neither all black nor all white.
  uint64_t sum = 0;
  for (uint8_t p : ds.pixels) sum += p;
  EXPECT_GT(sum, 0u);
  EXPECT_LT(sum, uint64_t{255} * ds.pixels.size());
  EXPECT_EQ(ds.image(1), ds.pixels.data() + 28 * 28);
}

TEST(Idx, ReadsSyntheticFileExactly) {
  TempDir tmp;
  write_split(tmp.str(), 3, 3);
  const Dataset ds = load_fashion_mnist(tmp.str(), "test");
  ASSERT_EQ(ds.count, 3u);
  EXPECT_EQ(ds.labels, (std::vector<uint8_t>{0, 1, 2}));
  EXPECT_EQ(ds.pixels[5], uint8_t(5 * 7));
  EXPECT_EQ(ds.image(2)[0], uint8_t(2 * 28 * 28 * 7));
}

TEST(Idx, TruncatedFileIsAnErrorNamingTheFile) {
  TempDir tmp;
  write_split(tmp.str(), 100, 10);  // header promises 100 images, only 10 present
  try {
    load_fashion_mnist(tmp.str(), "test");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
    EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << msg;
  }
  // The first 10 images are there, so a limit within them still loads.
  EXPECT_EQ(load_fashion_mnist(tmp.str(), "test", 10).count, 10u);
}

TEST(Idx, BadMagicIsAnErrorNamingTheFile) {
  TempDir tmp;
  write_split(tmp.str(), 2, 2, 0x00000801);
  try {
    load_fashion_mnist(tmp.str(), "test");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;
    EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << msg;
  }
}

TEST(Idx, MissingFileAndUnknownSplitAreErrors) {
  TempDir tmp;
  try {
    load_fashion_mnist(tmp.str(), "train");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte.gz"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_fashion_mnist(tmp.str(), "validation"), std::runtime_error);
}

TEST(Idx, CorruptGzipStreamIsAnError) {
  TempDir tmp;
  write_split(tmp.str(), 50, 50);
  // Cut the compressed images file in half: the gzip stream ends early.
  const std::string path = tmp.str() + "/t10k-images-idx3-ubyte.gz";
  const auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  EXPECT_THROW(load_fashion_mnist(tmp.str(), "test"), std::runtime_error);
}

}  // namespace
}  // namespace saie::data
