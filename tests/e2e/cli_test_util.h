// cli_test_util.h — helpers for end-to-end tests that run the sparseaie driver as a user would.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "model/bundle/bundle_io.h"
#include "tests/model/test_graphs.h"

namespace saie::test {

namespace fs = std::filesystem;

// The driver built next to the tests.
inline std::string driver() { return std::string(SAIE_BINARY_DIR) + "/cli/sparseaie"; }

// An empty folder under the system temp dir, unique to this process.
inline fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("saie_e2e_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs cmd through the shell; its exit status, or -1 if it did not exit normally.
inline int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A whole file as bytes ("" if it cannot be read).
inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Lines in a text (a last line without '\n' counts).
inline int count_lines(const std::string& s) {
  int n = 0;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// The seeded test network in the Fashion-MNIST shape (28x28x1) as a bundle in dir/bundle,
// compiled for `config` into dir/prog; the compile's exit status (its output in dir/compile.log).
inline int write_and_compile_mnist_net(const fs::path& dir, uint32_t seed, const std::string& config) {
  TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  bundle::write_bundle(make_test_graph(seed, true, o), (dir / "bundle").string());
  return sh(driver() + " compile " + (dir / "bundle").string() + " -c " + config + " -o " + (dir / "prog").string() + " > " +
            (dir / "compile.log").string() + " 2>&1");
}

inline nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

}  // namespace saie::test
