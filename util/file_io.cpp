// file_io.cpp — see file_io.h.
#include "util/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace saie::util {

namespace {

template <class Bytes>
Bytes read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read '" + path + "': " + std::strerror(errno));
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw FileError("cannot read '" + path + "': read error");
  return bytes;
}

}  // namespace

std::string read_file(const std::string& path) { return read_whole<std::string>(path); }
std::vector<uint8_t> read_file_bytes(const std::string& path) { return read_whole<std::vector<uint8_t>>(path); }

StagedFile::StagedFile(std::string path) : path_(std::move(path)), temp_(path_ + ".tmp") {}

StagedFile::~StagedFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void StagedFile::write(std::string_view bytes) {
  std::ofstream out(temp_, std::ios::binary | std::ios::trunc);
  if (!out) throw FileError("cannot open '" + temp_ + "' for writing: " + std::strerror(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
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
