// simulate_defaults_test.cpp — `sparseaie simulate` as a user runs it after `compile`: without
// --config it takes the config.json compile wrote next to program.bin (another --config must fit
// the program); a small run with --bundle costs what it simulates, and the int8 reference
// accuracy comes from the bundle's train_summary.json or, opt-in, from --eval-images.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "tests/e2e/cli_test_util.h"
#include "traces/readers.h"
#include "util/file_io.h"

namespace fs = std::filesystem;

namespace {

using saie::test::driver;
using saie::test::fresh_dir;
using saie::test::read_json;
using saie::test::sh;
using saie::test::slurp;

// The error lines of a run's stderr (progress lines start with "[sparseaie]").
int error_lines(const std::string& err) {
  int n = 0;
  size_t p = 0;
  while ((p = err.find("error:", p)) != std::string::npos) {
    n += p == 0 || err[p - 1] == '\n';
    ++p;
  }
  return n;
}

class SimulateDefaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
    d_ = fresh_dir("simulate_defaults_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    bundle_ = (d_ / "bundle").string();
    prog_ = (d_ / "prog").string();
    ASSERT_EQ(saie::test::write_and_compile_mnist_net(d_, 5, "paper-3x3"), 0) << slurp(d_ / "compile.log");
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(d_);
  }
  // simulate with `args`; its exit status; stdout in name.log, stderr in name.err.
  int simulate(const std::string& name, const std::string& args) {
    const std::string out = (d_ / name).string();
    return sh(driver() + " simulate " + prog_ + "/program.bin --no-trace -o " + out + " " + args + " > " + out + ".log 2> " + out +
              ".err");
  }
  std::string log(const std::string& name) { return slurp(d_ / (name + ".log")); }
  std::string err(const std::string& name) { return slurp(d_ / (name + ".err")); }
  fs::path d_;
  std::string bundle_, prog_;
};

TEST_F(SimulateDefaults, TheProgramsOwnConfigUnlessAnotherIsGiven) {
  ASSERT_EQ(simulate("own", "--random-inputs 1"), 0) << err("own");
  EXPECT_EQ(saie::traces::read_summary((d_ / "own" / "summary.json").string()).run.config, "paper-3x3");
  EXPECT_EQ(read_json(d_ / "own" / "config.json").at("name"), "paper-3x3");
  // Another config of another geometry: rejected by the program check (exit 2), in one line.
  EXPECT_EQ(simulate("other", "--random-inputs 1 -c paper-2x2"), 2);
  EXPECT_EQ(error_lines(err("other")), 1) << err("other");
  EXPECT_NE(err("other").find("differs from config 'paper-2x2'"), std::string::npos) << err("other");
  // No config.json next to the program and no --config: one line saying what to do.
  fs::remove(fs::path(prog_) / "config.json");
  EXPECT_EQ(simulate("none", "--random-inputs 1"), 1);
  EXPECT_EQ(error_lines(err("none")), 1) << err("none");
  EXPECT_NE(err("none").find("no --config given and no config.json next to"), std::string::npos) << err("none");
  EXPECT_FALSE(fs::exists(d_ / "none"));  // a refused run writes nothing
}

TEST_F(SimulateDefaults, ReferenceAccuracyIsRecordedOrOptIn) {
  // Two images with the bundle: compared bit for bit, and no pass over the whole test set.
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(simulate("two", "--images 2 --bundle " + bundle_), 0) << err("two");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(log("two").find("bit-exact vs reference  : 2/2"), std::string::npos) << log("two");
  EXPECT_EQ(log("two").find("int8 reference accuracy"), std::string::npos) << log("two");
  EXPECT_LT(secs, 5.0) << "a two-image run should cost what it simulates";
  // The accuracy `train` recorded next to the bundle is shown, attributed.
  saie::util::write_file_atomic(bundle_ + "/train_summary.json",
                                R"({"format": "sparseaie-train-summary", "version": "1.0", "float_accuracy": 0.9,
                                    "int8_accuracy": 0.8765, "int8_eval_images": 10000})");
  ASSERT_EQ(simulate("recorded", "--images 2 --bundle " + bundle_), 0) << err("recorded");
  EXPECT_NE(log("recorded").find("int8 reference accuracy : 0.8765 (10000 test images, recorded by train in the bundle)"),
            std::string::npos)
      << log("recorded");
  // --eval-images N runs the reference here on N images instead.
  ASSERT_EQ(simulate("eval", "--images 2 --eval-images 20 --bundle " + bundle_), 0) << err("eval");
  EXPECT_NE(log("eval").find("int8 reference accuracy : "), std::string::npos) << log("eval");
  EXPECT_NE(log("eval").find("(20 test images)"), std::string::npos) << log("eval");
  // A damaged train summary is one error line naming it.
  saie::util::write_file_atomic(bundle_ + "/train_summary.json", "{\"format\": \"something-else\"}");
  EXPECT_EQ(simulate("bad", "--images 2 --bundle " + bundle_), 1);
  EXPECT_EQ(error_lines(err("bad")), 1) << err("bad");
  EXPECT_NE(err("bad").find("train_summary.json"), std::string::npos) << err("bad");
}

}  // namespace
