// compile_simulate_test.cpp — graph -> compile (sparse and dense) -> SystemC simulation ->
// outputs equal the reference executor bit for bit, and the sparse program spends fewer core
// compute cycles. Each simulate() runs in a forked child: SystemC allows one elaboration per
// process, and this keeps the tests valid however the executable is run.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <array>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/compile.h"
#include "model/reference/reference_executor.h"
#include "hw/sim/simulate.h"
#include "tests/compiler/lower/lower_graphs.h"
#include "tests/model/grouped_graphs.h"
#include "tests/model/test_graphs.h"
#include "traces/trace.h"

namespace saie {
namespace {

struct ChildResult {
  bool ok = false;
  int exit_code = -1;
  std::string error;
  uint64_t core_compute_cycles = 0, total_cycles = 0;
  std::vector<std::vector<int8_t>> outputs;
};

void put_u64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_u64(const std::vector<uint8_t>& b, size_t& at) {
  if (at + 8 > b.size()) throw std::runtime_error("child result truncated");
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  at += 8;
  return v;
}
void put_bytes(std::vector<uint8_t>& b, const void* p, size_t n) {
  put_u64(b, n);
  const auto* c = static_cast<const uint8_t*>(p);
  b.insert(b.end(), c, c + n);
}
std::vector<uint8_t> get_bytes(const std::vector<uint8_t>& b, size_t& at) {
  const uint64_t n = get_u64(b, at);
  if (at + n > b.size()) throw std::runtime_error("child result truncated");
  std::vector<uint8_t> v(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(at + n));
  at += n;
  return v;
}

// Runs hw::simulate in a forked child and ships the result back through a pipe.
ChildResult simulate_in_child(const config::ArrayConfig& cfg, const isa::Program& prog,
                              const std::vector<std::vector<int8_t>>& inputs, const hw::SimOptions& so = {}) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    std::vector<uint8_t> buf;
    try {
      traces::TraceRecorder rec;
      rec.record_events = false;
      const hw::SimResult r = hw::simulate(cfg, prog, inputs, so, rec);
      put_u64(buf, r.ok ? 1 : 0);
      put_u64(buf, static_cast<uint64_t>(r.exit_code));
      put_bytes(buf, r.error.data(), r.error.size());
      put_u64(buf, r.summary.core_compute_cycles);
      put_u64(buf, r.summary.total_cycles);
      put_u64(buf, r.outputs.size());
      for (const auto& o : r.outputs) put_bytes(buf, o.data(), o.size());
    } catch (const std::exception& e) {
      buf.clear();
      put_u64(buf, 0);
      put_u64(buf, 99);
      const std::string m = std::string("exception: ") + e.what();
      put_bytes(buf, m.data(), m.size());
      put_u64(buf, 0);
      put_u64(buf, 0);
      put_u64(buf, 0);
    }
    size_t off = 0;
    while (off < buf.size()) {
      const ssize_t n = write(fds[1], buf.data() + off, buf.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::vector<uint8_t> buf;
  uint8_t chunk[65536];
  for (;;) {
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buf.insert(buf.end(), chunk, chunk + n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ChildResult r;
  size_t at = 0;
  r.ok = get_u64(buf, at) != 0;
  r.exit_code = static_cast<int>(get_u64(buf, at));
  const std::vector<uint8_t> err = get_bytes(buf, at);
  r.error.assign(err.begin(), err.end());
  r.core_compute_cycles = get_u64(buf, at);
  r.total_cycles = get_u64(buf, at);
  const uint64_t n = get_u64(buf, at);
  for (uint64_t i = 0; i < n; ++i) {
    const std::vector<uint8_t> o = get_bytes(buf, at);
    r.outputs.emplace_back(o.begin(), o.end());
  }
  return r;
}

ChildResult compile_and_check(const ir::Graph& g, const config::ArrayConfig& cfg, const compiler::CompileOptions& opt,
                              const std::string& what, const hw::SimOptions& so = {}) {
  SCOPED_TRACE(what);
  const compiler::CompileResult res = compiler::compile(g, cfg, opt);
  std::vector<std::vector<int8_t>> inputs;
  for (uint32_t seed = 1; seed <= 2; ++seed) inputs.push_back(test::make_test_input(g, seed, -127, 127));
  ChildResult r = simulate_in_child(cfg, res.program, inputs, so);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  if (!r.ok) return r;
  EXPECT_EQ(r.outputs.size(), inputs.size());
  for (size_t i = 0; i < r.outputs.size() && i < inputs.size(); ++i) {
    const reference::Tensor want = reference::run(g, inputs[i]);
    EXPECT_EQ(r.outputs[i], want) << "inference " << i;
  }
  return r;
}

TEST(CompileSimulate, SparseAndDenseBitExactSparseFaster) {
  const ir::Graph g = test::make_test_graph(21, true);
  config::ArrayConfig cfg;  // 2 x 2 paper-like defaults
  cfg.name = "test-2x2";
  compiler::CompileOptions dense;
  dense.dense = true;
  const ChildResult sp = compile_and_check(g, cfg, {}, "sparse program");
  const ChildResult de = compile_and_check(g, cfg, dense, "dense program");
  ASSERT_TRUE(sp.ok && de.ok);
  EXPECT_LT(sp.core_compute_cycles, de.core_compute_cycles);
  std::printf("core compute cycles: sparse %llu dense %llu; total cycles: sparse %llu dense %llu\n",
              static_cast<unsigned long long>(sp.core_compute_cycles), static_cast<unsigned long long>(de.core_compute_cycles),
              static_cast<unsigned long long>(sp.total_cycles), static_cast<unsigned long long>(de.total_cycles));
}

TEST(CompileSimulate, MnistSizedGraphWithBandsBitExact) {
  test::TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  const ir::Graph g = test::make_test_graph(22, true, o);
  config::ArrayConfig cfg;
  cfg.name = "test-2x2";
  compiler::CompileOptions opt;
  opt.max_band_rows = 2;  // several bands per layer: exercises the ping-pong pipelines
  compile_and_check(g, cfg, opt, "28x28 bands of 2");
}

TEST(CompileSimulate, WiderArrayBitExact) {
  test::TestGraphOptions o;
  o.h = o.w = 12;
  o.c = 3;
  const ir::Graph g = test::make_test_graph(23, true, o);
  config::ArrayConfig cfg;
  cfg.name = "test-3x4";
  cfg.columns = 3;
  cfg.core_rows = 4;
  compiler::CompileOptions opt;
  opt.max_band_rows = 1;
  compile_and_check(g, cfg, opt, "3x4 bands of 1");
}

}  // namespace
}  // namespace saie

namespace saie {
namespace {

TEST(CompileSimulate, UnevenColumnSplitsBitExact) {
  // 28 / 3 columns = 10, 9, 9 output columns (14 -> 5, 5, 4; 7 -> 3, 2, 2): per-column slice
  // widths, halos and band strides all differ.
  test::TestGraphOptions o;
  o.h = o.w = 28;
  o.c = 1;
  const ir::Graph g = test::make_test_graph(24, true, o);
  config::ArrayConfig cfg;
  cfg.name = "test-3x3";
  cfg.columns = 3;
  cfg.core_rows = 3;
  compile_and_check(g, cfg, {}, "3x3 sparse");
  compiler::CompileOptions dense;
  dense.dense = true;
  compile_and_check(g, cfg, dense, "3x3 dense");
}

}  // namespace
}  // namespace saie

namespace saie {
namespace {

// The timed SystemC model, not only the functional interpreter, on programs whose layers are
// cut into pieces: tiny memories force output-channel groups, width parts, height chunks and
// column groups, with weights prefetched into memtile slots and slices left in the memtiles
// between phases (all of which depend on tile memories persisting across phases).
TEST(CompileSimulate, PiecesPrefetchAndResidencyBitExactInTheTimedModel) {
  test::TestGraphOptions o;
  o.h = o.w = 20;
  o.c = 3;
  const ir::Graph g = test::make_test_graph(25, true, o);
  for (auto [cols, rows, core_kib, mem_kib] : {std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>{2, 2, 2, 4},
                                               {4, 2, 2, 4}, {3, 4, 2, 6}}) {
    config::ArrayConfig cfg;
    cfg.name = "tiny-memories";
    cfg.columns = cols;
    cfg.core_rows = rows;
    cfg.core.data_memory_bytes = core_kib * 1024;
    cfg.memtile.memory_bytes = mem_kib * 1024;
    const compiler::CompileResult res = compiler::compile(g, cfg, {});
    EXPECT_GT(res.program.phases.size(), g.nodes.size() - 2);  // the input has no phase, the add is fused
    compile_and_check(g, cfg, {}, std::to_string(cols) + "x" + std::to_string(rows) + " tiny memories");
  }
  // Average pools dividing each window by its own count (ceil_mode, count_include_pad=False):
  // the cores' kernels, not only the program interpreter, agree with the reference.
  for (bool dense_prog : {false, true}) {
    config::ArrayConfig pc;
    pc.name = "count-pools";
    compiler::CompileOptions po;
    po.dense = dense_prog;
    compile_and_check(test::make_count_pool_graph(6, true), pc, po,
                      std::string("count-dividing avg pools, ") + (dense_prog ? "dense" : "sparse"));
  }
  // ResNet bottleneck blocks: fused adds writing over their residual, activations kept in the
  // memtiles across phases, pixel-row convs, pools on every row.
  for (auto [cols, rows] : {std::pair<uint32_t, uint32_t>{2, 2}, {4, 4}}) {
    config::ArrayConfig rc;
    rc.name = "chain";
    rc.columns = cols;
    rc.core_rows = rows;
    compile_and_check(test::make_residual_chain_graph(7, true), rc, {}, "residual chain " + std::to_string(cols) + "x" +
                                                                          std::to_string(rows));
  }
  // Input-channel split: 8 output channels x 3x3 x 1024 inputs do not fit a core; the cores keep
  // int32 partial sums across the chunk pieces (small cores: the test graph too).
  for (bool dense_prog : {false, true}) {
    config::ArrayConfig sc;
    sc.name = "split-2x2";
    compiler::CompileOptions so;
    so.dense = dense_prog;
    compile_and_check(test::single_conv_graph({4, 4, 1024, 16, 3, 1, 1, true, true}), sc, so,
                      std::string("input-channel split, ") + (dense_prog ? "dense" : "sparse"));
  }
  {  // input-channel chunks inside one phase, width split and column groups (ResNet-50
     // layer3.x.conv1 and conv2 shapes): blobs double-buffered in the cores, LOAD chunk by chunk
    config::ArrayConfig sc;
    sc.name = "chunk-loop-4x4";
    sc.columns = 4;
    sc.core_rows = 4;
    compile_and_check(test::single_conv_graph({14, 14, 1024, 256, 1, 1, 0, true, true}), sc, {}, "chunk loop, 1x1");
    compile_and_check(test::single_conv_graph({14, 14, 256, 256, 3, 1, 1, true, true}, 7), sc, {},
                      "chunk loop, column groups");
  }
  {  // a 3x3 stride-2 max pool reading its producer's slice with a halo column from the west memtile
    config::ArrayConfig sc;
    sc.name = "halo-4x4";
    sc.columns = 4;
    sc.core_rows = 4;
    compile_and_check(test::stem_pool_graph(true), sc, {}, "stem pool with a halo");
    compile_and_check(test::halo_conv_graph(2, true), sc, {}, "stride-2 conv with a halo");
    compile_and_check(test::halo_conv_graph(1, true), sc, {}, "3x3 conv with halos on both sides");
  }
  {  // a 1x1 stride-2 conv taking every other pixel of the slice its producer left in the memtile
    config::ArrayConfig sc;
    sc.name = "strided-reader-2x2";
    compile_and_check(test::strided_reader_graph(true), sc, {}, "strided reader of a resident slice");
  }
  {  // chosen by cost: column groups whose chunks share one memtile slice (ResNet-50 layer4.0.conv2)
    config::ArrayConfig sc;
    sc.name = "split-4x4";
    sc.columns = 4;
    sc.core_rows = 4;
    compile_and_check(test::single_conv_graph({14, 14, 512, 512, 3, 2, 1, true, true}), sc, {},
                      "input-channel split in column groups");
  }
  {
    config::ArrayConfig sc;
    sc.name = "split-small-cores";
    sc.core.data_memory_bytes = 1536;
    const compiler::CompileResult res = compiler::compile(g, sc, {});
    EXPECT_NE(res.schedule_listing.find("CIN chunk"), std::string::npos) << res.schedule_listing;
    compile_and_check(g, sc, {}, "test graph on 1.5 KiB cores");
  }
  // Full-size memories on a 4x4 array: the sub-volume search's own choice (column groups for
  // the narrow layers, residency between 1x1 layers) on the same graph.
  config::ArrayConfig cfg;
  cfg.name = "test-4x4";
  cfg.columns = 4;
  cfg.core_rows = 4;
  compile_and_check(g, cfg, {}, "4x4");
}

}  // namespace
}  // namespace saie

namespace saie {
namespace {

// Random test networks on random arrays and memory sizes through the timed SystemC model
// (the functional interpreter covers many more in tests/compiler/lower/random_programs_test.cpp).
TEST(CompileSimulate, RandomProgramsBitExactInTheTimedModel) {
  std::mt19937 rng(77);
  auto pick = [&](uint32_t lo, uint32_t hi) { return lo + static_cast<uint32_t>(rng() % (hi - lo + 1)); };
  int simulated = 0;
  for (int trial = 0; trial < 12 || (simulated < 6 && trial < 40); ++trial) {
    test::TestGraphOptions o;
    o.h = 4 * pick(2, 6);
    o.w = 4 * pick(2, 6);
    o.c = std::array<uint32_t, 3>{1, 3, 8}[pick(0, 2)];
    o.c1 = pick(1, 4) * 8;
    o.c2 = pick(1, 8) * 8;
    const ir::Graph g = test::make_test_graph(500 + static_cast<uint32_t>(trial), true, o);
    config::ArrayConfig cfg;
    cfg.name = "random";
    cfg.columns = pick(1, 5);
    cfg.core_rows = pick(1, 5);
    cfg.core.data_memory_bytes = 1024u * std::array<uint32_t, 3>{4, 16, 64}[pick(0, 2)];
    cfg.memtile.memory_bytes = 1024u * std::array<uint32_t, 3>{8, 64, 512}[pick(0, 2)];
    try {
      compiler::compile(g, cfg, {});
    } catch (const compiler::CompileError&) {
      continue;  // memories too small for this network; the interpreter test checks the message
    }
    ++simulated;
    compile_and_check(g, cfg, {}, "random trial " + std::to_string(trial));
  }
  EXPECT_GE(simulated, 6);
}

}  // namespace
}  // namespace saie

namespace saie {
namespace {

// Fidelity modes on reference workloads: the per-beat stream model and the default loosely-timed
// one (bulk transfers) give the same outputs, bit-exact, and cycle counts within a bound; the
// timing-only mode gives exactly the loosely-timed cycles.
struct Workload {
  std::string name;
  ir::Graph graph;
  config::ArrayConfig cfg;
  compiler::CompileOptions opt;
};

std::vector<Workload> reference_workloads() {
  std::vector<Workload> w;
  config::ArrayConfig c22;
  c22.name = "test-2x2";
  compiler::CompileOptions dense;
  dense.dense = true;
  w.push_back({"12x12 sparse 2x2", test::make_test_graph(21, true), c22, {}});
  w.push_back({"12x12 dense 2x2", test::make_test_graph(21, true), c22, dense});
  test::TestGraphOptions m;
  m.h = m.w = 28;
  m.c = 1;
  compiler::CompileOptions bands;
  bands.max_band_rows = 2;
  w.push_back({"28x28 sparse 2x2 bands of 2", test::make_test_graph(22, true, m), c22, bands});
  config::ArrayConfig c34 = c22;
  c34.name = "test-3x4";
  c34.columns = 3;
  c34.core_rows = 4;
  w.push_back({"28x28 sparse 3x4", test::make_test_graph(24, true, m), c34, {}});
  return w;
}

// The bound: per-beat streams add per-beat rounding and hop latency per chunk; on these
// workloads the two modes stay within 2% (measured 0.1-0.4%: see docs/timing-model.md).
constexpr double kFidelityBound = 0.02;

TEST(Fidelity, BeatAndLooselyTimedAgreeOnReferenceWorkloads) {
  for (const Workload& w : reference_workloads()) {
    hw::SimOptions beat;
    beat.fidelity = hw::Fidelity::Beat;
    const ChildResult lt = compile_and_check(w.graph, w.cfg, w.opt, w.name + " (lt)");
    const ChildResult bt = compile_and_check(w.graph, w.cfg, w.opt, w.name + " (beat)", beat);
    ASSERT_TRUE(lt.ok && bt.ok) << w.name;
    EXPECT_EQ(lt.outputs, bt.outputs) << w.name;
    EXPECT_EQ(lt.core_compute_cycles, bt.core_compute_cycles) << w.name;  // compute does not depend on streams
    const double diff = std::abs(double(lt.total_cycles) - double(bt.total_cycles)) / double(bt.total_cycles);
    std::printf("%-30s lt %8llu  beat %8llu  cycles (%+.2f%%)\n", w.name.c_str(),
                static_cast<unsigned long long>(lt.total_cycles), static_cast<unsigned long long>(bt.total_cycles),
                100.0 * (double(lt.total_cycles) - double(bt.total_cycles)) / double(bt.total_cycles));
    EXPECT_LE(diff, kFidelityBound) << w.name << ": lt " << lt.total_cycles << " beat " << bt.total_cycles;
  }
}

TEST(Fidelity, TimingOnlyKeepsEveryCycle) {
  for (const Workload& w : reference_workloads()) {
    const compiler::CompileResult res = compiler::compile(w.graph, w.cfg, w.opt);
    std::vector<std::vector<int8_t>> inputs{test::make_test_input(w.graph, 5, -127, 127)};
    hw::SimOptions fast;
    fast.timing_only = true;
    const ChildResult full = simulate_in_child(w.cfg, res.program, inputs);
    const ChildResult tonly = simulate_in_child(w.cfg, res.program, inputs, fast);
    ASSERT_TRUE(full.ok && tonly.ok) << w.name << ": " << full.error << tonly.error;
    EXPECT_EQ(full.total_cycles, tonly.total_cycles) << w.name;
    EXPECT_EQ(full.core_compute_cycles, tonly.core_compute_cycles) << w.name;
    EXPECT_EQ(full.outputs[0], reference::run(w.graph, inputs[0])) << w.name;
    EXPECT_NE(tonly.outputs[0], full.outputs[0]) << w.name << ": timing-only computed the outputs after all?";
  }
}

}  // namespace
}  // namespace saie
