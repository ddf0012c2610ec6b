// concat_compile_test.cpp — compile() rejects a concat with a one-line CompileError naming the layer.
#include <gtest/gtest.h>

#include <string>

#include "compiler/compile.h"
#include "tests/compiler/concat_graphs.h"

namespace saie {
namespace {

TEST(ConcatCompileTest, RejectsConcatWithClearMessage) {
  const ir::Graph g = test::make_concat_graph();
  ASSERT_NO_THROW(g.validate());
  config::ArrayConfig cfg;
  cfg.columns = 2;
  cfg.core_rows = 2;
  try {
    compiler::compile(g, cfg, compiler::CompileOptions{});
    FAIL() << "compile() accepted a graph with a concat";
  } catch (const compiler::CompileError& e) {
    EXPECT_EQ(std::string(e.what()), "layer cat2: concat is not supported by lowering yet");
  }
}

}  // namespace
}  // namespace saie
