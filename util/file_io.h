// file_io.h — whole-file reads and atomic file writes: the one place in the project that writes
// an output file (plain C++, no dependencies).
//
// Atomic = a reader never sees a half-written file and a failed write leaves the old file as it
// was: the bytes go to "<path>.tmp" in the same folder, are flushed, and the temporary is renamed
// over path (rename(2) replaces the name in one step on a POSIX file system).
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace saie::util {

// A file that cannot be read or written; what() is one line naming the file and the reason.
struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The whole file. Throws FileError("cannot read '<path>': <reason>").
std::string read_file(const std::string& path);
std::vector<uint8_t> read_file_bytes(const std::string& path);

// A file's bytes, read-only, mapped into memory (mmap) rather than copied: large inputs (a 30 MB
// program.bin, a bundle's weights) cost no copy and no zero-filled buffer. A file that cannot be
// mapped (a pipe, an empty file) is read into memory instead. Throws FileError like read_file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;           // mmap'ed region, or nullptr
  std::vector<uint8_t> copy_;     // the fallback
};

// Writes bytes to path atomically (see the top of this file). Throws FileError naming the file.
void write_file_atomic(const std::string& path, std::string_view bytes);
inline void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// For writers that need a file name of their own (a library that saves to a path), or several
// files that must all be complete before any of them replaces an old one: write to temp_path(),
// then commit() renames it over path. A StagedFile destroyed without commit() removes its
// temporary, so a failed write leaves nothing behind.
class StagedFile {
 public:
  explicit StagedFile(std::string path);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  void write(std::string_view bytes);  // the whole content, to temp_path()
  // The whole content as pieces: fill(sink) calls sink(data, n) for each piece in order.
  void write_pieces(const std::function<void(const std::function<void(const char*, size_t)>&)>& fill);
  void write(const std::vector<uint8_t>& bytes) {
    write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  void commit();                       // throws FileError if the rename fails

 private:
  std::string path_, temp_;
  bool committed_ = false;
};

}  // namespace saie::util
