// progress.cpp — see progress.h.
#include "util/progress.h"

#include <cstdio>
#include <mutex>

namespace saie::util {

void progress(const std::string& line, const char* tag) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  std::fflush(stdout);
  std::fprintf(stderr, "[%s] %s\n", tag, line.c_str());
  std::fflush(stderr);
}

}  // namespace saie::util
