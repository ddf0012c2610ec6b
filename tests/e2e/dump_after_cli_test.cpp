// dump_after_cli_test.cpp — `sparseaie compile --dump-after STAGE` as a user runs it: each named
// stage's text form lands next to the program, the compile's other outputs are unchanged, and a
// stage that does not exist is one error line and a non-zero exit.
#include <gtest/gtest.h>

#include "tests/e2e/cli_test_util.h"

namespace saie::test {
namespace {

TEST(DumpAfterCli, EveryStageWritesItsIntermediateForm) {
  const fs::path d = fresh_dir("dump-after");
  ASSERT_EQ(write_and_compile_mnist_net(d, 4, "paper-2x2"), 0) << slurp(d / "compile.log");
  const std::string program = slurp(d / "prog/program.txt");
  const std::pair<const char*, const char*> stages[] = {{"fuse-relu", "graph "},   {"fuse-add", "graph "},
                                                        {"plan-ddr", "tiling:"},   {"plan-layers", "LOADFM"},
                                                        {"residency", "LOADFM"}, {"lower", "phase "}};
  for (const auto& [stage, marker] : stages) {
    SCOPED_TRACE(stage);
    const fs::path out = d / (std::string("p-") + stage);
    ASSERT_EQ(sh(driver() + " compile " + (d / "bundle").string() + " -c paper-2x2 -o " + out.string() +
                 " --dump-after " + stage + " > " + (d / "log").string() + " 2>&1"),
              0)
        << slurp(d / "log");
    const std::string text = slurp(out / (std::string("after-") + stage + ".txt"));
    EXPECT_NE(text.find(marker), std::string::npos) << text;
    EXPECT_NE(slurp(d / "log").find(std::string("after-") + stage + ".txt"), std::string::npos) << slurp(d / "log");
    EXPECT_EQ(slurp(out / "program.txt"), program);  // dumping changes nothing else
  }
  EXPECT_EQ(slurp(d / "p-lower/after-lower.txt"), program);  // the last stage's form is the listing
  const int rc = sh(driver() + " compile " + (d / "bundle").string() + " -c paper-2x2 -o " + (d / "bad").string() +
                    " --dump-after lowering > " + (d / "bad.log").string() + " 2>&1");
  EXPECT_NE(rc, 0);
  EXPECT_NE(slurp(d / "bad.log").find("--dump-after"), std::string::npos) << slurp(d / "bad.log");
  EXPECT_FALSE(fs::exists(d / "bad" / "program.bin"));
}

}  // namespace
}  // namespace saie::test
