// sweep_test.cpp — `sparseaie sweep` through the driver (docs/sweep.md): a small grid (reduced
// ResNet-50 on paper-2x2, a stream-bandwidth override and a memtile too small to fit, dense and 50%
// sparse) gives one row per point in grid order with the right statuses; a rerun after deleting one
// point's result redoes only that point and gives the same table; a sweep killed mid-way resumes to
// the same table; a bad grid is one error line and a non-zero exit. --prefilter estimate skips a
// point estimated >= 2x slower than one with no more compute tiles (with the reason), a rerun decides
// the same without running anything, a run without it runs the point; --plots runs the plot script
// and a failing one is a warning.
#include <gtest/gtest.h>

#include "tests/e2e/cli_test_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

namespace fs = std::filesystem;

namespace {

using saie::test::driver;
using saie::test::fresh_dir;
using saie::test::read_json;
using saie::test::sh;
using saie::test::slurp;

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

using saie::test::count_lines;

// The table without the wall-clock columns (which differ between runs of the same point).
nlohmann::json stable_rows(const fs::path& results_json) {
  nlohmann::json rows = read_json(results_json).at("rows");
  for (auto& r : rows) {
    r.erase("compile_s");
    r.erase("simulate_s");
  }
  return rows;
}

std::string fmt_us(double us) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f us", us);
  return buf;
}

size_t count_results(const fs::path& dir) {
  size_t n = 0;
  if (!fs::exists(dir / "points")) return 0;
  for (const auto& e : fs::directory_iterator(dir / "points"))
    if (fs::exists(e.path() / "result.json")) ++n;
  return n;
}

}  // namespace

#ifdef SAIE_WITH_TORCH
TEST(SweepCli, GridRowsResumeAndKill) {
  ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
  const fs::path d = fresh_dir("sweep");
  const fs::path grid = d / "grid.json", out = d / "out";
  write(grid, R"({
    "description": "e2e: reduced ResNet-50, two configs that fit and one that cannot",
    "networks": [{"zoo": "resnet50", "width_div": 16, "input_size": 32}],
    "configs": ["paper-2x2",
                {"preset": "paper-2x2", "overrides": {"stream.bandwidth": "8GiB/s"}},
                {"name": "tiny-memtile", "preset": "paper-2x2", "overrides": {"memtile.memory": "1KiB"}}],
    "sparsity": [0, 0.5],
    "simulate": {"random_inputs": 1, "timing_only": true}
  })");
  const std::string cmd = driver() + " sweep " + grid.string() + " --out " + out.string() + " --jobs 2";
  const fs::path err = d / "sweep.err";
  ASSERT_EQ(sh(cmd + " > " + (d / "sweep.out").string() + " 2> " + err.string()), 0) << slurp(err);

  // One row per point, grid order: config-major, then sparsity.
  const nlohmann::json res = read_json(out / "results.json");
  const auto& rows = res.at("rows");
  ASSERT_EQ(rows.size(), 6u) << res.dump(2);
  const char* cfg_names[] = {"paper-2x2", "paper-2x2+stream.bandwidth=8GiB/s", "tiny-memtile"};
  for (size_t i = 0; i < 6; ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    EXPECT_EQ(rows[i].at("index").get<size_t>(), i);
    EXPECT_EQ(rows[i].at("network").get<std::string>(), "resnet50/w16/i32");
    EXPECT_EQ(rows[i].at("config").get<std::string>(), cfg_names[i / 2]);
    EXPECT_DOUBLE_EQ(rows[i].at("sparsity").get<double>(), i % 2 ? 0.5 : 0.0);
    EXPECT_EQ(rows[i].at("dense").get<bool>(), i % 2 == 0);
  }
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    ASSERT_EQ(rows[i].at("status").get<std::string>(), "ok") << rows[i].at("reason");
    EXPECT_GT(rows[i].at("cycles_per_inference").get<uint64_t>(), 0u);
    EXPECT_GT(rows[i].at("time_us").get<double>(), 0.0);
    EXPECT_GT(rows[i].at("bytes_ddr_to_mem").get<uint64_t>(), 0u);
    EXPECT_GT(rows[i].at("bytes_mem_to_core").get<uint64_t>(), 0u);
    EXPECT_GT(rows[i].at("core_utilisation").get<double>(), 0.0);
    EXPECT_LE(rows[i].at("core_utilisation").get<double>(), 1.0);
    EXPECT_TRUE(rows[i].at("stall_data_cycles").is_number_unsigned());
  }
  // Dense computes every block: clearly more core compute than 50% block-sparse, on both configs.
  for (size_t c = 0; c < 2; ++c) {
    const double dense = rows[2 * c].at("core_compute_cycles").get<double>(), sparse = rows[2 * c + 1].at("core_compute_cycles").get<double>();
    EXPECT_GT(dense, 1.2 * sparse) << "config " << cfg_names[c];
    EXPECT_GE(rows[2 * c].at("cycles_per_inference").get<uint64_t>(), rows[2 * c + 1].at("cycles_per_inference").get<uint64_t>());
  }
  // Twice the stream bandwidth is never slower.
  EXPECT_LE(rows[2].at("cycles_per_inference").get<uint64_t>(), rows[0].at("cycles_per_inference").get<uint64_t>());
  EXPECT_LE(rows[3].at("cycles_per_inference").get<uint64_t>(), rows[1].at("cycles_per_inference").get<uint64_t>());
  // A memtile that cannot hold anything: recorded with the compiler's reason, not fatal.
  for (size_t i = 4; i < 6; ++i) {
    EXPECT_EQ(rows[i].at("status").get<std::string>(), "compile-failed");
    EXPECT_NE(rows[i].at("reason").get<std::string>().find("does not fit"), std::string::npos) << rows[i].at("reason");
    EXPECT_TRUE(rows[i].at("cycles_per_inference").is_null());
  }
  EXPECT_EQ(res.at("ok").get<int>(), 4);
  EXPECT_EQ(res.at("failed").get<int>(), 2);
  const std::string csv = slurp(out / "results.csv");
  EXPECT_EQ(count_lines(csv), 7) << csv;
  EXPECT_EQ(csv.rfind("index,id,network,config,", 0), 0u) << csv;
  EXPECT_NE(slurp(err).find("[sweep] 6/6 done"), std::string::npos) << slurp(err);
  const nlohmann::json first = stable_rows(out / "results.json");

  // Resume: delete one point's result; only that point runs again, the table is the same.
  fs::remove(out / "points" / rows[1].at("id").get<std::string>() / "result.json");
  ASSERT_EQ(sh(cmd + " > /dev/null 2> " + err.string()), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("5 reused from an earlier run, 1 to run"), std::string::npos) << slurp(err);
  EXPECT_EQ(count_lines(slurp(err)), 2) << slurp(err);  // the plan and one point done: no bundle built
  EXPECT_EQ(stable_rows(out / "results.json"), first);

  // Kill mid-way: start the sweep from scratch (bundles kept), kill it after its first point, rerun.
  for (const auto& e : fs::directory_iterator(out / "points")) fs::remove(e.path() / "result.json");
  fs::remove(out / "results.json");
  const std::string killed_err = (d / "killed.err").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen(killed_err.c_str(), "w", stderr);
    execl(driver().c_str(), driver().c_str(), "sweep", grid.c_str(), "--out", out.c_str(), "--jobs", "1", (char*)nullptr);
    _exit(127);
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (count_results(out) == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const size_t finished = count_results(out);
  ASSERT_GE(finished, 1u) << slurp(killed_err);
  ASSERT_LT(finished, 6u) << "the sweep finished before it could be killed";
  EXPECT_FALSE(fs::exists(out / "results.json"));
  ASSERT_EQ(sh(cmd + " > /dev/null 2> " + err.string()), 0) << slurp(err);
  EXPECT_NE(slurp(err).find(std::to_string(finished) + " reused from an earlier run"), std::string::npos) << slurp(err);
  EXPECT_EQ(stable_rows(out / "results.json"), first);
  EXPECT_EQ(count_results(out), 6u);
}

// --prefilter estimate: every point gets its analytical estimate (estimate_us), a point whose
// estimate is >= 2x that of a point with no more compute tiles (same network and sparsity) is
// skipped with a reason naming that point; a rerun decides the same without running anything; a run
// without --prefilter runs the skipped point. --plots runs the plot script (SAIE_SWEEP_PLOTS here);
// a failing script is a warning, not a failed sweep.
TEST(SweepCli, PrefilterEstimateSkipsFarPointsAndPlotsHook) {
  ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
  const fs::path d = fresh_dir("sweep_prefilter");
  const fs::path grid = d / "grid.json", out = d / "out";
  write(grid, R"({
    "networks": [{"zoo": "resnet50", "width_div": 16, "input_size": 32}],
    "configs": ["paper-2x2", "paper-4x4",
                {"name": "slow-4x4", "preset": "paper-4x4", "overrides": {"stream.bandwidth": "0.25GiB/s"}}],
    "sparsity": [0.5]
  })");
  const std::string base = driver() + " sweep " + grid.string() + " --out " + out.string() + " --jobs 2";
  const fs::path err = d / "sweep.err";
  ASSERT_EQ(sh(base + " --prefilter estimate > /dev/null 2> " + err.string()), 0) << slurp(err);
  nlohmann::json res = read_json(out / "results.json");
  auto rows = res.at("rows");
  ASSERT_EQ(rows.size(), 3u) << res.dump(2);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    ASSERT_TRUE(rows[i].at("estimate_us").is_number()) << rows[i].dump();
    EXPECT_GT(rows[i].at("estimate_us").get<double>(), 0.0);
    EXPECT_TRUE(fs::exists(out / "points" / rows[i].at("id").get<std::string>() / "estimate.json"));
  }
  EXPECT_EQ(rows[0].at("status").get<std::string>(), "ok") << rows[0].at("reason");
  EXPECT_EQ(rows[1].at("status").get<std::string>(), "ok") << rows[1].at("reason");
  ASSERT_EQ(rows[2].at("status").get<std::string>(), "skipped-by-prefilter") << rows[2].dump();
  EXPECT_TRUE(rows[2].at("cycles_per_inference").is_null());
  const std::string reason = rows[2].at("reason").get<std::string>();
  // The dominating point: fewer or equal tiles and an estimate at most half the slow one's.
  const double slow = rows[2].at("estimate_us").get<double>();
  size_t dom = rows[0].at("estimate_us").get<double>() <= rows[1].at("estimate_us").get<double>() ? 0 : 1;
  EXPECT_LE(rows[dom].at("estimate_us").get<double>(), slow / 2);
  EXPECT_NE(reason.find(rows[dom].at("config").get<std::string>() + ", id " + rows[dom].at("id").get<std::string>()),
            std::string::npos) << reason;
  EXPECT_NE(reason.find(fmt_us(slow)), std::string::npos) << reason;
  EXPECT_NE(reason.find(fmt_us(rows[dom].at("estimate_us").get<double>())), std::string::npos) << reason;
  EXPECT_EQ(res.at("ok").get<int>(), 2);
  EXPECT_EQ(res.at("failed").get<int>(), 0);
  EXPECT_EQ(res.at("skipped").get<int>(), 1);
  EXPECT_FALSE(fs::exists(out / "points" / rows[2].at("id").get<std::string>() / "program")) << "the skipped point was compiled";
  const std::string csv = slurp(out / "results.csv");
  EXPECT_NE(csv.substr(0, csv.find('\n')).find(",time_us,estimate_us,"), std::string::npos) << csv;
  const nlohmann::json first = stable_rows(out / "results.json");

  // Rerun: nothing estimated, compiled or simulated again; the same table.
  ASSERT_EQ(sh(base + " --prefilter estimate > /dev/null 2> " + err.string()), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("0 estimates computed, 1 points skipped, 0 to run"), std::string::npos) << slurp(err);
  EXPECT_NE(slurp(err).find("2 reused from an earlier run, 1 skipped by the prefilter, 0 to run"), std::string::npos) << slurp(err);
  EXPECT_EQ(stable_rows(out / "results.json"), first);

  // Without --prefilter nothing is skipped: the slow point runs (a skip is never reused as such).
  // --plots runs the plot script: one that works, then one that fails (a warning, exit 0).
  const fs::path good = d / "plots-ok.py", bad = d / "plots-bad.py";
  write(good, "import os, sys\nos.makedirs(os.path.join(sys.argv[1], 'plots'), exist_ok=True)\n"
              "open(os.path.join(sys.argv[1], 'plots', 'made.txt'), 'w').write(open(os.path.join(sys.argv[1], 'results.csv')).readline())\n");
  write(bad, "import sys\nprint('error: matplotlib is not installed (apt install python3-matplotlib)')\nsys.exit(1)\n");
  ASSERT_EQ(sh("SAIE_SWEEP_PLOTS=" + good.string() + " " + base + " --plots > /dev/null 2> " + err.string()), 0) << slurp(err);
  EXPECT_NE(slurp(err).find("2 reused from an earlier run, 1 to run"), std::string::npos) << slurp(err);
  res = read_json(out / "results.json");
  rows = res.at("rows");
  EXPECT_EQ(res.at("skipped").get<int>(), 0);
  ASSERT_EQ(rows[2].at("status").get<std::string>(), "ok") << rows[2].dump();
  EXPECT_DOUBLE_EQ(rows[2].at("estimate_us").get<double>(), slow);  // kept from the first run
  EXPECT_GT(rows[2].at("time_us").get<double>(), rows[1].at("time_us").get<double>());
  EXPECT_EQ(slurp(out / "plots" / "made.txt").rfind("index,id,", 0), 0u);
  // Now every point has run: with the prefilter again nothing is skipped (finished points are kept).
  ASSERT_EQ(sh("SAIE_SWEEP_PLOTS=" + bad.string() + " " + base + " --prefilter estimate --plots > /dev/null 2> " + err.string()), 0)
      << slurp(err);
  EXPECT_NE(slurp(err).find("3 reused from an earlier run, 0 skipped by the prefilter, 0 to run"), std::string::npos) << slurp(err);
  EXPECT_NE(slurp(err).find("warning: plots not made: matplotlib is not installed"), std::string::npos) << slurp(err);
  EXPECT_EQ(read_json(out / "results.json").at("ok").get<int>(), 3);

  // A bad --prefilter is one error line, exit status 1.
  ASSERT_EQ(sh(base + " --prefilter estimate:1 > /dev/null 2> " + err.string()), 1);
  EXPECT_EQ(count_lines(slurp(err)), 1) << slurp(err);
  EXPECT_NE(slurp(err).find("FACTOR must be a number > 1"), std::string::npos) << slurp(err);
}
#endif

// A bad grid is one error line naming the key, exit status 1, nothing run.
TEST(SweepCli, BadGridIsOneLineError) {
  ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
  const fs::path d = fresh_dir("sweep_bad");
  struct Case {
    std::string grid, needle;
  };
  const Case cases[] = {
      {R"({"networks": [{"zoo": "resnet50"}], "configs": ["paper-2x2"], "sparsity": [0.5], "simulat": {}})", "key 'simulat': unknown key"},
      {R"({"networks": [{"zoo": "resnet50", "width": 8}], "configs": ["paper-2x2"]})", "key 'networks[0].width': unknown key"},
      {R"({"networks": [{"zoo": "resnet50"}], "configs": [{"preset": "paper-2x2", "overrides": {"array.colums": 3}}]})",
       "key 'configs[0].overrides.array.colums'"},
      {R"({"networks": [{"zoo": "resnet50"}], "configs": [{"preset": "paper-2x2", "overrides": {"array.columns": 99}}]})",
       "'array.columns': value 99 out of range"},
      {R"({"networks": [{"zoo": "resnet50"}], "configs": ["paper-2x2"], "sparsity": [1.5]})", "key 'sparsity[0]'"},
      {R"({"networks": [{"zoo": "resnet50"}], "configs": ["no-such-preset"]})", "key 'configs[0].preset'"},
      {R"({"configs": ["paper-2x2"]})", "key 'networks': missing"},
  };
  int k = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.grid);
    const fs::path grid = d / ("grid" + std::to_string(k) + ".json"), out = d / ("out" + std::to_string(k));
    ++k;
    write(grid, c.grid);
    const fs::path err = d / "err.txt";
    EXPECT_EQ(sh(driver() + " sweep " + grid.string() + " --out " + out.string() + " > /dev/null 2> " + err.string()), 1);
    const std::string e = slurp(err);
    EXPECT_EQ(count_lines(e), 1) << e;
    EXPECT_NE(e.find(c.needle), std::string::npos) << e;
    EXPECT_FALSE(fs::exists(out / "results.json"));
  }
}
