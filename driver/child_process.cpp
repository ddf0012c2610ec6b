// child_process.cpp — see child_process.h.
#include "driver/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "util/file_io.h"

namespace saie::driver {

namespace fs = std::filesystem;

namespace {

int status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  return status_of(status);
}

}  // namespace

int run_in_child(const std::string& label, const std::function<int()>& fn) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed for the " + label + " run");
  if (pid == 0) {
    int code = 1;
    try {
      code = fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: %s: %s\n", label.c_str(), e.what());
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  return wait_for(pid);
}

int run_program(const std::string& exe, const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> all{exe};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open log '" + log_path + "': " + std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {  // child: async-signal-safe calls only
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  if (null_fd >= 0) ::close(null_fd);
  return wait_for(pid);
}

std::string failure_reason(const std::string& log_path, int code) {
  std::string last, err;
  try {
    std::istringstream in(util::read_file(log_path));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      last = line;
      if (line.rfind("error: ", 0) == 0) err = line.substr(7);
    }
  } catch (const std::exception&) {
  }
  std::string r = !err.empty() ? err : last;
  if (code >= 128) r = "killed by signal " + std::to_string(code - 128);
  if (r.empty()) r = "exit status " + std::to_string(code);
  std::replace(r.begin(), r.end(), '\n', ' ');
  if (r.size() > 400) r = r.substr(0, 400) + "...";
  return r;
}

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this binary (/proc/self/exe): " + ec.message());
  return p.string();
}

std::string sibling_exe(const std::string& name) { return (fs::path(self_exe()).parent_path() / name).string(); }

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream in(path ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(in, d, ':');) {
    const fs::path f = fs::path(d.empty() ? "." : d) / name;
    if (::access(f.c_str(), X_OK) == 0) return f.string();
  }
  return "";
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace saie::driver
