// simulate_request_test.cpp — which config a simulate request runs with: --config when given,
// else the config.json that compile wrote next to program.bin, else a one-line error.
#include "driver/simulate_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "driver/sim_inputs.h"
#include "util/file_io.h"

namespace saie::driver {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(SimulateRequest, ConfigDefaultsToTheProgramsOwn) {
  const fs::path dir = fs::temp_directory_path() / ("saie_sim_request_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  SimulateRequest r;
  r.program_path = (dir / "program.bin").string();
  try {
    request_config(r);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no --config given and no config.json next to"));
    EXPECT_THAT(e.what(), HasSubstr("give --config"));
  }
  config::ArrayConfig own = config::load_config("paper-4x4");
  util::write_file_atomic((dir / "config.json").string(), config::to_json(own));
  EXPECT_EQ(request_config(r).name, "paper-4x4");
  EXPECT_EQ(request_config(r).columns, 4u);
  r.config = "paper-2x2";  // another one stays possible (the program verifier checks it fits)
  EXPECT_EQ(request_config(r).name, "paper-2x2");
  fs::remove_all(dir);
}

TEST(SimulateRequest, InputsAndFlags) {
  SimulateRequest r;
  r.images_set = true;
  r.random_inputs = 2;
  EXPECT_THROW(check_input_flags(r), std::runtime_error);
  isa::TensorPort in;
  in.h = 2;
  in.w = 3;
  in.c = 4;
  in.scale = 1.0f / 50;
  EXPECT_EQ(random_input_max(in), 50);
  const auto a = random_program_inputs(in, 2, 7), b = random_program_inputs(in, 2, 7);
  EXPECT_EQ(a, b);  // seeded: the same inputs every run
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].size(), 24u);
  for (int8_t v : a[0]) EXPECT_TRUE(v >= 0 && v <= 50);
  EXPECT_NE(a[0], a[1]);
  EXPECT_THROW(require_fashion_mnist_input("program", 224, 224, 3), std::runtime_error);
}

}  // namespace
}  // namespace saie::driver
