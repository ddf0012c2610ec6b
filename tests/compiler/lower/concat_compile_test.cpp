// concat_compile_test.cpp — concats run in place (their inputs write straight into the concat's
// buffer at a channel offset, no copy phase); inputs with other consumers get copies (pass
// concat-copy); a concat with an input at an offset that is not a multiple of 8 becomes placed
// copies and adds (the same pass).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "compiler/compile.h"
#include "compiler/passes/passes.h"
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

// Compiled dense and sparse for paper-2x2 and paper-4x4, run by the program interpreter on two
// seeded inputs in [lo, 127], equal to the reference.
void expect_bit_exact_on_paper_presets(const ir::Graph& g, int lo) {
  for (auto [cols, rows] : {std::pair{2u, 2u}, std::pair{4u, 4u}})
    for (bool dense : {false, true}) {
      SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows) + (dense ? " dense" : ""));
      compiler::CompileOptions opt;
      opt.dense = dense;
      const config::ArrayConfig cfg = config::load_config_file(std::string(SAIE_CONFIG_DIR) + "/paper-" +
                                                               std::to_string(cols) + "x" + std::to_string(rows) + ".json");
      const compiler::CompileResult res = compiler::compile(g, cfg, opt);
      EXPECT_NO_THROW(isa::verify_program(res.program, cfg));
      test::ProgramInterpreter interp(cfg, res.program);
      for (uint32_t seed = 1; seed <= 2; ++seed) {
        const std::vector<int8_t> x = test::make_test_input(g, seed, lo, 127);
        EXPECT_EQ(interp.run(x), reference::run(g, x)) << "seed " << seed;
      }
    }
}

TEST(ConcatCompileTest, UnalignedConcatBecomesPlacedCopiesAndAddsBitExact) {
  // cat2's first input has 4 channels (the next one would start mid-block) and also feeds mp:
  // cat2 becomes a's and b's exact copies into the 12-channel width, summed; cat3's inputs then
  // get copies or sums as needed.
  const ir::Graph g = test::make_concat_graph();
  ASSERT_NO_THROW(g.validate());
  ir::Graph p = g;
  passes::concat_copy(p);
  ASSERT_NO_THROW(p.validate());
  int placed = 0;
  for (const ir::Node& n : p.nodes) {
    placed += n.name.find(".place") != std::string::npos;
    if (n.name == "cat2") {
      EXPECT_EQ(n.op, ir::OpKind::Add);
      EXPECT_EQ(p.nodes[static_cast<size_t>(n.inputs[0])].name, "cat2.place");
      EXPECT_EQ(p.nodes[static_cast<size_t>(n.inputs[1])].name, "cat2.place2");
    }
  }
  EXPECT_GE(placed, 2);
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    const std::vector<int8_t> x = test::make_test_input(g, seed, 0, 127);
    EXPECT_EQ(reference::run(p, x), reference::run(g, x)) << "seed " << seed;
  }
  expect_bit_exact_on_paper_presets(g, 0);
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

TEST(ConcatCompileTest, InputsThatCannotBeViewsGetCopiesAndStayBitExact) {
  // The network input and a (which b reads too) cannot live in cat's buffer: concat-copy gives
  // each an exact copy (a depthwise 1x1 conv with weight 1) and the program is bit-exact.
  const ir::Graph g = test::make_copy_concat_graph();
  ASSERT_NO_THROW(g.validate());
  ir::Graph p = g;
  passes::concat_copy(p);
  ASSERT_NO_THROW(p.validate());
  ASSERT_EQ(p.nodes.size(), g.nodes.size() + 2);
  const ir::Node& cat = p.nodes[5];
  ASSERT_EQ(cat.op, ir::OpKind::Concat);
  EXPECT_EQ(p.nodes[static_cast<size_t>(cat.inputs[0])].name, "input.copy");
  EXPECT_EQ(p.nodes[static_cast<size_t>(cat.inputs[1])].name, "a.copy");
  EXPECT_EQ(p.nodes[static_cast<size_t>(cat.inputs[2])].name, "b");
  EXPECT_EQ(p.nodes[static_cast<size_t>(cat.inputs[1])].groups, 8u);
  EXPECT_EQ(p.nodes[2].inputs, (std::vector<int>{1}));  // b still reads a itself
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    const std::vector<int8_t> x = test::make_test_input(g, seed, -127, 127);
    const auto want = reference::run_all(g, x), got = reference::run_all(p, x);
    EXPECT_EQ(got[5], want[3]) << "the concat";  // copies are exact
    EXPECT_EQ(got.back(), want.back());
  }
  expect_bit_exact_on_paper_presets(g, -127);
}

}  // namespace
}  // namespace saie
