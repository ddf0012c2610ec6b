// file_io.cpp — see file_io.h.
#include "util/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace saie::util {

namespace {

template <class Bytes>
Bytes read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  Bytes bytes;
  if (size > 0) {  // a regular file: one read of its size
    bytes.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(bytes.data()), size);
    if (in.gcount() != size) throw FileError("cannot read '" + path + "': read error");
  } else {  // a pipe or an empty file: read to the end
    in.clear();
    in.seekg(0);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw FileError("cannot read '" + path + "': read error");
  }
  return bytes;
}

}  // namespace

std::string read_file(const std::string& path) { return read_whole<std::string>(path); }
std::vector<uint8_t> read_file_bytes(const std::string& path) { return read_whole<std::vector<uint8_t>>(path); }

MappedFile::MappedFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      map_ = m;
      data_ = static_cast<const uint8_t*>(m);
      size_ = static_cast<size_t>(st.st_size);
    }
  }
  ::close(fd);
  if (!map_) {
    copy_ = read_file_bytes(path);
    data_ = copy_.data();
    size_ = copy_.size();
  }
}

MappedFile::~MappedFile() {
  if (map_) ::munmap(map_, size_);
}

StagedFile::StagedFile(std::string path) : path_(std::move(path)), temp_(path_ + ".tmp") {}

StagedFile::~StagedFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void StagedFile::write(std::string_view bytes) {
  write_pieces([&](const std::function<void(const char*, size_t)>& sink) { sink(bytes.data(), bytes.size()); });
}

void StagedFile::write_pieces(const std::function<void(const std::function<void(const char*, size_t)>&)>& fill) {
  std::ofstream out(temp_, std::ios::binary | std::ios::trunc);
  if (!out) throw FileError("cannot open '" + temp_ + "' for writing: " + std::strerror(errno));
  fill([&out](const char* p, size_t n) { out.write(p, static_cast<std::streamsize>(n)); });
  out.flush();
  if (!out) throw FileError("write to '" + temp_ + "' failed (disk full?)");
}

void StagedFile::commit() {
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    throw FileError("cannot rename '" + temp_ + "' to '" + path_ + "': " + std::strerror(errno));
  committed_ = true;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  StagedFile f(path);
  f.write(bytes);
  f.commit();
}

}  // namespace saie::util
