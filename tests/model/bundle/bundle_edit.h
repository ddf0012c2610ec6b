// bundle_edit.h — helpers for bundle reader tests: a file's bytes, and "write this graph as a
// bundle, edit its model.json, expect the reader to reject it with one line naming the problem".
#pragma once

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/bundle/bundle_io.h"
#include "tests/model/test_graphs.h"

namespace saie::test {

inline std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void expect_edit_rejected(const ir::Graph& g, const std::function<void(nlohmann::ordered_json&)>& edit,
                                 const std::string& want) {
  TempDir dir("saie-bundle-edit");
  bundle::write_bundle(g, dir.str());
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(slurp_file(dir.str() + "/model.json"));
  edit(j);
  {
    std::ofstream out(dir.str() + "/model.json", std::ios::binary | std::ios::trunc);
    out << j.dump(2);
  }
  try {
    bundle::read_bundle(dir.str());
    ADD_FAILURE() << "accepted; expected an error containing '" << want << "'";
  } catch (const bundle::BundleError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(want), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace saie::test
