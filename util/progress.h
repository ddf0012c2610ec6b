// progress.h — progress lines of long work: "[sparseaie] ..." (or another tag) on stderr, after
// flushing stdout so results (stdout) and progress keep their order on a terminal. Safe to call
// from several threads (the sweep's workers).
#pragma once

#include <chrono>
#include <string>

namespace saie::util {

void progress(const std::string& line, const char* tag = "sparseaie");

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace saie::util
