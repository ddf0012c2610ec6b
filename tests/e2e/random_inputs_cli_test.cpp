// random_inputs_cli_test.cpp — `sparseaie simulate --random-inputs N` through the driver: a
// zoo network whose input is not a Fashion-MNIST image (reduced ResNet-50, 32x32x3) compiles,
// simulates on seeded random int8 inputs and equals the bundle's reference executor bit for bit;
// the Fashion-MNIST path refuses it with a hint; --images with --random-inputs is one error line.
#include <gtest/gtest.h>

#include "tests/e2e/cli_test_util.h"
#include "traces/readers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using saie::test::driver;
using saie::test::fresh_dir;
using saie::test::sh;
using saie::test::slurp;

using saie::test::count_lines;

using saie::test::read_json;

}  // namespace

#ifdef SAIE_WITH_TORCH
TEST(RandomInputsCli, ZooNetworkSimulatesBitExactOnRandomInputs) {
  ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
  fs::path d = fresh_dir("random_inputs");
  const std::string bundle = (d / "bundle").string(), prog = (d / "prog").string(), sim = (d / "sim").string();
  ASSERT_EQ(sh(driver() + " zoo resnet50 --width-div 16 --input-size 32 --out " + bundle + " > " + (d / "zoo.log").string() + " 2>&1"), 0)
      << slurp(d / "zoo.log");
  ASSERT_EQ(sh(driver() + " compile " + bundle + " -c paper-2x2 -o " + prog + " > " + (d / "compile.log").string() + " 2>&1"), 0)
      << slurp(d / "compile.log");

  // The Fashion-MNIST path refuses a 32x32x3 program, in one line that names --random-inputs.
  EXPECT_EQ(sh(driver() + " simulate " + prog + "/program.bin -c paper-2x2 --no-trace -o " + (d / "fm").string() + " --images 1 > /dev/null 2> " +
               (d / "fm.err").string()),
            1);
  const std::string fm = slurp(d / "fm.err");
  EXPECT_EQ(count_lines(fm), 1) << fm;
  EXPECT_NE(fm.find("--random-inputs"), std::string::npos) << fm;

  const std::string cmd = driver() + " simulate " + prog + "/program.bin -c paper-2x2 --no-trace --bundle " + bundle +
                          " --random-inputs 2 --seed 7 -o " + sim;
  ASSERT_EQ(sh(cmd + " > " + (d / "sim.log").string() + " 2>&1"), 0) << slurp(d / "sim.log");
  const std::string log = slurp(d / "sim.log");
  EXPECT_NE(log.find("bit-exact vs reference  : 2/2"), std::string::npos) << log;
  EXPECT_EQ(log.find("simulated accuracy"), std::string::npos) << "random inputs have no labels: no accuracy lines\n" << log;
  EXPECT_EQ(log.find("reference accuracy"), std::string::npos) << log;

  const saie::traces::RunSummary s = saie::traces::read_summary((d / "sim" / "summary.json").string()).run;
  EXPECT_EQ(s.inferences, 2u);
  EXPECT_EQ(s.compared, 2);
  EXPECT_EQ(s.bit_exact, 2);
  EXPECT_GT(s.cycles_per_inference, 0u);

  // Same seed, same inputs: the run is deterministic (same cycle count).
  const std::string sim2 = (d / "sim2").string();
  ASSERT_EQ(sh(driver() + " simulate " + prog + "/program.bin -c paper-2x2 --no-trace --random-inputs 2 --seed 7 -o " + sim2 +
               " > /dev/null 2>&1"),
            0);
  EXPECT_EQ(saie::traces::read_summary((d / "sim2" / "summary.json").string()).run.total_cycles, s.total_cycles);
  fs::remove_all(d);
}
#endif

TEST(RandomInputsCli, ImagesWithRandomInputsIsOneErrorLine) {
  ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
  fs::path d = fresh_dir("random_inputs_bad");
  {
    std::ofstream f(d / "program.bin");  // never read: the flags are checked first
    f << "x";
  }
  for (const std::string& cmd : {"simulate " + (d / "program.bin").string(), std::string("run ") + d.string()}) {
    const fs::path err = d / "err.txt";
    EXPECT_EQ(sh(driver() + " " + cmd + " --images 2 --random-inputs 2 -o " + (d / "o").string() + " > /dev/null 2> " + err.string()), 1)
        << cmd;
    const std::string e = slurp(err);
    EXPECT_EQ(count_lines(e), 1) << e;
    EXPECT_NE(e.find("error:"), std::string::npos) << e;
    EXPECT_NE(e.find("--random-inputs"), std::string::npos) << e;
  }
  EXPECT_FALSE(fs::exists(d / "o")) << "nothing written on a flag error";
  fs::remove_all(d);
}
