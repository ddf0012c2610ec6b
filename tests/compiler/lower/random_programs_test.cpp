// random_programs_test.cpp — randomized end-to-end check of the lowering: random test networks
// (input size, channel counts including ones that are not multiples of 8, class count) on random
// array shapes and memory sizes, with the planner's options toggled. Every program that
// compiles must be valid and bit-exact (functional interpreter); a refusal must be the one-line
// "does not fit" error of a memory too small for any piece.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <random>
#include <string>

#include "compiler/compile.h"
#include "hw/isa/verify_program.h"
#include "model/reference/reference_executor.h"
#include "compiler/target/target_model.h"
#include "tests/compiler/lower/program_interpreter.h"
#include "tests/model/test_graphs.h"

namespace saie {
namespace {

TEST(RandomPrograms, CompiledProgramsAreValidAndBitExact) {
  std::mt19937 rng(2024);
  auto pick = [&](uint32_t lo, uint32_t hi) { return lo + static_cast<uint32_t>(rng() % (hi - lo + 1)); };
  int compiled = 0;
  constexpr int kTrials = 150;
  for (int trial = 0; trial < kTrials; ++trial) {
    test::TestGraphOptions o;
    o.h = 4 * pick(2, 8);
    o.w = 4 * pick(2, 8);
    o.c = std::array<uint32_t, 4>{1, 3, 8, 12}[pick(0, 3)];
    o.c1 = pick(1, 6) * 8 - (pick(0, 3) == 0 ? 4 : 0);
    o.c2 = pick(1, 10) * 8;
    o.classes = pick(3, 40);
    const ir::Graph g = test::make_test_graph(100 + static_cast<uint32_t>(trial), pick(0, 3) != 0, o);
    config::ArrayConfig cfg;
    cfg.columns = pick(1, 6);
    cfg.core_rows = pick(1, 6);
    cfg.core.data_memory_bytes = 1024u * std::array<uint32_t, 4>{2, 4, 16, 64}[pick(0, 3)];
    cfg.memtile.memory_bytes = 1024u * std::array<uint32_t, 4>{4, 8, 64, 512}[pick(0, 3)];
    compiler::CompileOptions opt;
    opt.dense = pick(0, 3) == 0;
    opt.column_groups = pick(0, 3) != 0;
    opt.memtile_residency = pick(0, 3) != 0;
    opt.max_band_rows = std::array<uint32_t, 3>{0, 1, 2}[pick(0, 2)];
    const std::string what = "trial " + std::to_string(trial) + ": " + std::to_string(o.h) + "x" + std::to_string(o.w) +
                             "x" + std::to_string(o.c) + " c1 " + std::to_string(o.c1) + " c2 " + std::to_string(o.c2) +
                             " classes " + std::to_string(o.classes) + " on " + std::to_string(cfg.columns) + "x" +
                             std::to_string(cfg.core_rows) + " core " + std::to_string(cfg.core.data_memory_bytes) +
                             " memtile " + std::to_string(cfg.memtile.memory_bytes);
    SCOPED_TRACE(what);
    compiler::CompileResult res;
    try {
      res = compiler::compile(g, cfg, opt);
    } catch (const compiler::CompileError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("does not fit"), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
      continue;
    }
    ++compiled;
    EXPECT_NO_THROW(isa::verify_program(res.program, cfg));
    test::ProgramInterpreter interp(cfg, res.program);
    const std::vector<int8_t> in = test::make_test_input(g, static_cast<uint32_t>(trial) + 1, -127, 127);
    EXPECT_EQ(interp.run(in), reference::run(g, in));
  }
  std::printf("%d of %d random programs compiled\n", compiled, kTrials);
  EXPECT_GE(compiled, kTrials / 2);  // most configurations fit
}

}  // namespace
}  // namespace saie
