// plan_test.cpp — a sweep's grid and plan without running anything: the strict grid reader's
// one-line errors, points in grid order with ids that depend on exactly what determines a result,
// configs written once, finished points reused, shards, and the prefilter's dominance rule.
#include "driver/sweep/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "driver/sweep/prefilter.h"
#include "util/file_io.h"

namespace saie::driver::sweep {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("saie_plan_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string grid(const std::string& text, const std::string& name = "grid.json") {
    const std::string p = (dir_ / name).string();
    util::write_file_atomic(p, text);
    return p;
  }
  std::string error_of(const std::string& text) {
    try {
      read_grid(grid(text));
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

const char* kGrid = R"({
  "networks": [{"zoo": "resnet50", "width_div": 16, "input_size": 32}, {"zoo": "vgg16"}],
  "configs": ["paper-2x2", {"preset": "paper-2x2", "overrides": {"stream.bandwidth": "8GiB/s"}}],
  "sparsity": [0, 0.5],
  "block": ["8x8", "4x16"],
  "simulate": {"random_inputs": 2, "seed": 3}
})";

TEST_F(PlanTest, GridErrorsNameTheKey) {
  EXPECT_THAT(error_of("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(error_of(R"({"configs": ["paper-2x2"]})"), HasSubstr("key 'networks': missing"));
  EXPECT_THAT(error_of(R"({"networks": [{"zoo": "resnet50"}], "configs": ["paper-2x2"], "colour": 1})"),
              HasSubstr("key 'colour': unknown key"));
  EXPECT_THAT(error_of(R"({"networks": [{"zoo": "lenet5"}], "configs": ["paper-2x2"]})"),
              HasSubstr("key 'networks[0].zoo': 'lenet5' is not one of alexnet, inception_v3"));
  EXPECT_THAT(error_of(R"({"networks": [{"zoo": "resnet50"}], "configs": ["paper-2x2"], "block": ["8x0"]})"),
              HasSubstr("key 'block[0]': '8x0' is not BOxBI with 1..256 channels each"));
  EXPECT_THAT(error_of(R"({"networks": [{"zoo": "resnet50"}], "configs": ["paper-2x2"], "sparsity": [0.5, 0.5]})"),
              HasSubstr("key 'sparsity[1]': duplicate level"));
  EXPECT_THAT(error_of(R"({"networks": [{"zoo": "resnet50"}], "configs": [{"preset": "paper-2x2", "overrides": {"array.colour": 3}}]})"),
              HasSubstr("key 'configs[0].overrides.array.colour': not a config key"));
  EXPECT_THAT(error_of(R"({"networks": [{"zoo": "resnet50"}], "configs": ["no-such-preset"]})"), HasSubstr("configs[0].preset"));
}

TEST_F(PlanTest, PointsInGridOrderWithStableIds) {
  SweepPlan plan;
  plan_sweep(plan, grid(kGrid), (dir_ / "out").string(), "", "");
  // 2 networks x 2 configs x 2 blocks x 2 levels.
  ASSERT_EQ(plan.points.size(), 16u);
  EXPECT_EQ(plan.todo.size(), 16u);
  EXPECT_EQ(plan.reused, 0u);
  EXPECT_EQ(plan.points[0].net->name, "resnet50/w16/i32");
  EXPECT_EQ(plan.points[8].net->name, "vgg16");
  EXPECT_EQ(plan.points[4].cfg->name, "paper-2x2+stream.bandwidth=8GiB/s");
  EXPECT_EQ(plan.points[2].block, "4x16");
  EXPECT_TRUE(plan.points[0].dense);
  EXPECT_FALSE(plan.points[1].dense);
  std::set<std::string> ids;
  for (const Point& p : plan.points) {
    EXPECT_EQ(p.id.size(), 16u);
    EXPECT_EQ(p.dir, plan.dir + "/points/" + p.id);
    ids.insert(p.id);
  }
  EXPECT_EQ(ids.size(), 16u);  // every point its own id
  // Dense points of one network and block share the bundle of the smallest non-zero level.
  EXPECT_EQ(plan.points[0].bundle, plan.points[1].bundle);
  // Two resolved configs, one file each, named by the hash of their text.
  size_t configs = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "out" / "configs")) configs += e.path().extension() == ".json";
  EXPECT_EQ(configs, 2u);
  EXPECT_EQ(fs::path(plan.cfgs[0].path).filename().string(), hash_hex(plan.cfgs[0].text) + ".json");
  // The same grid elsewhere gives the same ids (they depend on what determines a result, not on
  // the folder); another simulate seed gives other ids.
  SweepPlan again;
  plan_sweep(again, grid(kGrid, "same.json"), (dir_ / "out2").string(), "", "");
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(again.points[i].id, plan.points[i].id);
  std::string other = kGrid;
  other.replace(other.find("\"seed\": 3"), 9, "\"seed\": 4");
  SweepPlan seeded;
  plan_sweep(seeded, grid(other, "seed.json"), (dir_ / "out3").string(), "", "");
  EXPECT_NE(seeded.points[0].id, plan.points[0].id);
  EXPECT_EQ(point_identity(plan.points[5]).dump(),
            "{\"id\":\"" + plan.points[5].id + "\",\"network\":\"resnet50/w16/i32\",\"config\":\"paper-2x2+stream.bandwidth=8GiB/s\","
            "\"block\":\"8x8\",\"sparsity\":0.5,\"dense\":false}");
}

TEST_F(PlanTest, FinishedPointsAreReusedAndShardsSplitTheRest) {
  const std::string g = grid(kGrid), out = (dir_ / "out").string();
  {
    SweepPlan plan;
    plan_sweep(plan, g, out, "", "");
    // Points 3 and 7 finished earlier (any status counts); point 5 left a result for another id.
    for (size_t k : {3u, 7u, 5u}) {
      nlohmann::ordered_json r = point_identity(plan.points[k]);
      r["status"] = k == 7 ? "compile-failed" : "ok";
      if (k == 5) r["id"] = "0000000000000000";
      fs::create_directories(plan.points[k].dir);
      util::write_file_atomic(plan.points[k].dir + "/result.json", r.dump());
    }
  }
  SweepPlan plan;
  plan_sweep(plan, g, out, "", "");
  EXPECT_EQ(plan.reused, 2u);
  EXPECT_TRUE(plan.points[3].reused);
  EXPECT_TRUE(plan.points[7].reused);
  EXPECT_FALSE(plan.points[5].reused);
  EXPECT_EQ(plan.todo.size(), 14u);
  // Shard 1/3: the points to run whose index % 3 == 1 (a split that does not depend on which
  // points other tasks finished).
  SweepPlan shard;
  plan_sweep(shard, g, out, "1/3", "");
  EXPECT_EQ(shard.shard_i, 1u);
  EXPECT_EQ(shard.shard_n, 3u);
  for (size_t k : shard.todo) EXPECT_EQ(k % 3, 1u);
  EXPECT_EQ(shard.todo.size(), 4u);  // 1, 4, 10, 13 (7 finished)
  SweepPlan bad;
  EXPECT_THROW(plan_sweep(bad, g, out, "3/3", ""), std::runtime_error);
}

TEST_F(PlanTest, PrefilterSettingAndDominance) {
  EXPECT_FALSE(parse_prefilter("").on);
  EXPECT_EQ(parse_prefilter("estimate").setting, "estimate:2");
  EXPECT_EQ(parse_prefilter("estimate:3.5").factor, 3.5);
  for (const char* bad : {"estimate:1", "estimate:x", "estimated", "estimate:"}) EXPECT_THROW(parse_prefilter(bad), std::runtime_error) << bad;

  // One network at one level on configs of 4, 16 and 4 compute tiles.
  SweepPlan plan;
  plan_sweep(plan, grid(R"({"networks": [{"zoo": "resnet50"}],
                            "configs": ["paper-2x2", "paper-4x4", {"name": "slow", "preset": "paper-2x2",
                                                                    "overrides": {"stream.bandwidth": "1GiB/s"}}],
                            "sparsity": [0.5]})"),
             (dir_ / "out").string(), "", "");
  ASSERT_EQ(plan.points.size(), 3u);
  std::vector<Point>& p = plan.points;
  p[0].estimate_us = 100;  // 4 tiles
  p[1].estimate_us = 90;   // 16 tiles: more tiles never dominate fewer
  p[2].estimate_us = 250;  // 4 tiles, 2.5x slower than point 0
  EXPECT_EQ(dominating_point(p, 2, 2.0), 0);
  EXPECT_EQ(dominating_point(p, 2, 3.0), -1);  // not 3x slower
  EXPECT_EQ(dominating_point(p, 0, 2.0), -1);
  EXPECT_EQ(dominating_point(p, 1, 1.05), -1);  // the 4-tile points are not faster
  // A reference that already failed does not count; one without an estimate neither.
  p[0].reused = true;
  p[0].result = {{"status", "sim-failed"}};
  EXPECT_EQ(dominating_point(p, 2, 2.0), -1);
  p[0].reused = false;
  p[0].estimate_us = -1;
  EXPECT_EQ(dominating_point(p, 2, 2.0), -1);
}

}  // namespace
}  // namespace saie::driver::sweep
