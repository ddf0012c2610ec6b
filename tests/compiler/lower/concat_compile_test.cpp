// concat_compile_test.cpp — concats run in place (their inputs write straight into the concat's
// buffer at a channel offset, no copy phase); those that cannot are rejected with one line.
#include <gtest/gtest.h>

#include <string>

#include "compiler/compile.h"
#include "hw/isa/verify_program.h"
#include "model/reference/reference_executor.h"
#include "compiler/schedule/ddr_plan.h"
#include "compiler/target/target_model.h"
#include "tests/model/concat_graphs.h"
#include "tests/compiler/lower/program_interpreter.h"

namespace saie {
namespace {

config::ArrayConfig cfg_of(uint32_t cols, uint32_t rows) {
  config::ArrayConfig cfg;
  cfg.columns = cols;
  cfg.core_rows = rows;
  return cfg;
}

TEST(ConcatCompileTest, RejectsConcatThatCannotRunInPlace) {
  // cat2's first input has 4 channels (the next one would start mid-block) and also feeds mp.
  const ir::Graph g = test::make_concat_graph();
  ASSERT_NO_THROW(g.validate());
  try {
    compiler::compile(g, cfg_of(2, 2), compiler::CompileOptions{});
    FAIL() << "compile() accepted a concat that needs a copy";
  } catch (const compiler::CompileError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("layer cat2: concat needs every input to be written in place", 0), 0u)
        << e.what();
  }
}

TEST(ConcatCompileTest, NestedConcatsAreViewsIntoOneBuffer) {
  const ir::Graph g = test::make_inplace_concat_graph();
  ASSERT_NO_THROW(g.validate());
  const config::ArrayConfig cfg = cfg_of(2, 2);
  const schedule::DdrPlan ddr = schedule::plan_ddr(g, target::TargetModel(cfg), false);
  const schedule::TensorBuffer& outer = ddr.tensors.at(6);
  EXPECT_FALSE(outer.is_view());
  EXPECT_EQ(ddr.tensors.at(1).view_of, 6);  // a at channel 0 of outer
  EXPECT_EQ(ddr.tensors.at(5).view_of, 6);  // inner at channel 16 of outer
  EXPECT_EQ(ddr.tensors.at(2).view_of, 5);  // b, mp inside inner
  EXPECT_EQ(ddr.tensors.at(4).view_of, 5);
  EXPECT_EQ(ddr.tensors.at(1).addr, outer.addr);
  EXPECT_EQ(ddr.tensors.at(5).addr, outer.addr + 16);
  EXPECT_EQ(ddr.tensors.at(2).addr, outer.addr + 16);
  EXPECT_EQ(ddr.tensors.at(4).addr, outer.addr + 24);
  for (int i : {1, 2, 4, 5}) {
    EXPECT_EQ(ddr.tensors.at(static_cast<size_t>(i)).pitch, 32u);
    EXPECT_EQ(ddr.tensors.at(static_cast<size_t>(i)).ph, outer.ph);  // the avgpool's padding border
  }
  EXPECT_TRUE(schedule::concat_in_place(g, ddr, 5));
  EXPECT_TRUE(schedule::concat_in_place(g, ddr, 6));
}

TEST(ConcatCompileTest, InPlaceConcatBitExactOnSeveralArrays) {
  const ir::Graph g = test::make_inplace_concat_graph(3);
  for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{1, 1}, {2, 2}, {3, 4}}) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    const config::ArrayConfig cfg = cfg_of(cols, rows);
    const compiler::CompileResult res = compiler::compile(g, cfg, {});
    EXPECT_NO_THROW(isa::verify_program(res.program, cfg));
    EXPECT_EQ(res.program.phases.size(), 6u);  // the two concats cost no phase
    test::ProgramInterpreter interp(cfg, res.program);
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      const std::vector<int8_t> in = test::make_test_input(g, seed, 0, 127);
      EXPECT_EQ(interp.run(in), reference::run(g, in)) << "input seed " << seed;
    }
  }
}

}  // namespace
}  // namespace saie
