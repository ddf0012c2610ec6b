// verify_program_test.cpp — the lowering verifier accepts compiled programs and reports
// (naming the phase and tile) each kind of structural mistake.
#include <gtest/gtest.h>

#include <string>

#include "compiler/compile.h"
#include "compiler/lower/verify_program.h"
#include "tests/compiler/test_graphs.h"

namespace saie {
namespace {

struct Fixture {
  config::ArrayConfig cfg;
  isa::Program prog;
  Fixture() { prog = compiler::compile(test::make_test_graph(8, true), cfg, {}).program; }
  std::string first_error() const {
    const auto errs = lower::verify_program(prog, target::TargetModel(cfg));
    return errs.empty() ? std::string() : errs.front();
  }
};

bool has(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

TEST(VerifyProgram, AcceptsCompiledProgram) { EXPECT_EQ(Fixture().first_error(), ""); }

TEST(VerifyProgram, ByteCountMismatchOnARoute) {
  Fixture f;
  isa::BufferDescriptor& bd = f.prog.phases[0].bds[0].bds[0];  // shim MM2S0 of conv1
  bd.dims[bd.ndims - 1].size += 1;
  const std::string e = f.first_error();
  EXPECT_TRUE(has(e, "phase conv1") && has(e, "sends")) << e;
}

TEST(VerifyProgram, TaskWithoutRoute) {
  Fixture f;
  f.prog.phases[1].routes.pop_back();
  const std::string e = f.first_error();
  EXPECT_TRUE(has(e, "phase pool1") && (has(e, "without a route") || has(e, "no task"))) << e;
}

TEST(VerifyProgram, BdIdAndLockOutOfRange) {
  Fixture f;
  f.prog.phases[0].bds[0].bds[0].id = 99;
  f.prog.phases[0].bds[0].bds[0].acq_lock = 40;
  const auto errs = lower::verify_program(f.prog, target::TargetModel(f.cfg));
  std::string all;
  for (const auto& e : errs) all += e + "\n";
  EXPECT_TRUE(has(all, "bd 99: id exceeds 16 BDs")) << all;
  EXPECT_TRUE(has(all, "lock 40 out of range")) << all;
}

TEST(VerifyProgram, CoreBufferOutsideMemory) {
  Fixture f;
  for (isa::CoreOp& op : f.prog.phases[0].cores[0].ops)
    if (op.kind == isa::CoreOpKind::Conv) op.conv.out_addr = 65530;
  EXPECT_TRUE(has(f.first_error(), "outside core memory")) << f.first_error();
}

TEST(VerifyProgram, LockInitAbove63) {
  Fixture f;
  f.prog.phases[0].locks[0].value = 64;
  EXPECT_TRUE(has(f.first_error(), "value above 63")) << f.first_error();
}

TEST(VerifyProgram, TaskBytesFollowsPingPongChain) {
  isa::Phase ph;
  isa::TileId t{0, 2};
  isa::BufferDescriptor a, b;
  a.id = 0;
  a.dims[0] = {100, 1};
  a.next_bd = 1;
  b.id = 1;
  b.dims[0] = {100, 1};
  b.iter_count = 2;
  b.next_bd = 0;
  ph.bds.push_back({t, {a, b}});
  isa::DmaTask task;
  task.tile = t;
  task.bd_executions = 5;  // A B A B A = 100 + 200 + 100 + 200 + 100
  EXPECT_EQ(lower::task_bytes(ph, task), 700u);
  task.start_bd = 7;
  EXPECT_EQ(lower::task_bytes(ph, task), 0u);
}

}  // namespace
}  // namespace saie
