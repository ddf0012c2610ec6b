// file_io_test.cpp — whole-file reads and atomic writes: a reader sees the old file or the new
// one, never a part, and a failed write leaves nothing behind.
#include "util/file_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace saie::util {
namespace {

namespace fs = std::filesystem;

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("saie_file_io_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(FileIoTest, WriteReplacesAndLeavesNoTemporary) {
  write_file_atomic(path("a.txt"), "one");
  write_file_atomic(path("a.txt"), std::string("two\0three", 9));
  EXPECT_EQ(read_file(path("a.txt")), std::string("two\0three", 9));
  EXPECT_EQ(read_file_bytes(path("a.txt")).size(), 9u);
  EXPECT_FALSE(fs::exists(path("a.txt.tmp")));
}

TEST_F(FileIoTest, FailedWriteKeepsTheOldFileAndNamesThePath) {
  write_file_atomic(path("a.txt"), "old");
  try {
    write_file_atomic(path("no/such/dir/a.txt"), "x");
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir/a.txt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(path("a.txt")), "old");
}

TEST_F(FileIoTest, StagedFilesCommitTogetherOrNotAtAll) {
  write_file_atomic(path("model.json"), "old model");
  {
    StagedFile a(path("weights.bin")), b(path("model.json"));
    a.write(std::vector<uint8_t>{1, 2, 3});
    b.write("new model");
    EXPECT_TRUE(fs::exists(a.temp_path()));
    EXPECT_EQ(read_file(path("model.json")), "old model");  // nothing replaced before commit
    // Dropped without commit (an exception between the writes and the renames): no trace left.
  }
  EXPECT_FALSE(fs::exists(path("weights.bin")));
  EXPECT_FALSE(fs::exists(path("weights.bin.tmp")));
  EXPECT_FALSE(fs::exists(path("model.json.tmp")));
  EXPECT_EQ(read_file(path("model.json")), "old model");
  {
    StagedFile a(path("weights.bin")), b(path("model.json"));
    a.write(std::vector<uint8_t>{1, 2, 3});
    b.write("new model");
    a.commit();
    b.commit();
  }
  EXPECT_EQ(read_file_bytes(path("weights.bin")), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(read_file(path("model.json")), "new model");
}

TEST_F(FileIoTest, PiecesAndMappedReadsSeeTheSameBytes) {
  StagedFile f(path("pieces.bin"));
  f.write_pieces([](const std::function<void(const char*, size_t)>& sink) {
    sink("head", 4);
    sink(std::string(100000, 'x').data(), 100000);
    sink("", 0);
    sink("tail", 4);
  });
  f.commit();
  const MappedFile m(path("pieces.bin"));
  ASSERT_EQ(m.size(), 100008u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.data()), 4), "head");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.data()) + 100004, 4), "tail");
  EXPECT_EQ(read_file(path("pieces.bin")), std::string(reinterpret_cast<const char*>(m.data()), m.size()));
  write_file_atomic(path("empty.bin"), "");
  EXPECT_EQ(MappedFile(path("empty.bin")).size(), 0u);  // nothing to map: read instead
  EXPECT_THROW(MappedFile(path("missing.bin")), FileError);
}

TEST_F(FileIoTest, ReadingAMissingFileNamesIt) {
  try {
    read_file(path("missing.json"));
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("missing.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace saie::util
