// timing_check_test.cpp — the timing regression check: goldens from summaries, comparisons with
// tolerances, structural mismatches, corrupt goldens, and the report a user reads.
#include "traces/timing_check.h"

#include "traces/readers.h"
#include "traces/sinks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace saie::traces {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// A summary.json as `simulate` writes it (write_summary's text), as a JSON value the tests edit.
json summary() {
  RunSummary r;
  r.program = "net";
  r.config = "paper-2x2";
  r.inferences = 1;
  r.total_cycles = r.cycles_per_inference = 10000;
  r.bytes_ddr_to_mem = 4096;
  r.bytes_mem_to_ddr = 2048;
  r.bytes_mem_to_core = 8192;
  r.bytes_core_to_mem = 2048;
  r.cores = 4;
  r.core_utilisation = 0.5;
  PhaseSummary a, b;
  a.name = "conv1";
  a.cycles = 6000;
  a.core_busy_cycles = 100;
  b.name = "pool";
  b.cycles = 4000;
  b.core_busy_cycles = 50;
  r.phases = {a, b};
  return json::parse(summary_json(r, TraceRecorder{}));
}

// The run as check-timing sees it: through the summary reader.
RunSummary run(const json& s) { return parse_summary(s.dump()).run; }

std::string golden() { return make_golden(run(summary()), "net on paper-2x2", Tolerances{}); }

TEST(TimingCheck, UnchangedRunPassesWithNothingMoved) {
  const TimingReport r = compare(golden(), run(summary()), nullptr);
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.metrics.size(), 1u + 4u + 2u);  // total, 4 byte kinds, 2 phases
  for (const auto& m : r.metrics) EXPECT_EQ(m.status, MetricResult::Status::Same) << m.metric;
  EXPECT_THAT(format_report(r, false), HasSubstr("PASS: 7 metrics, 0 moved"));
  EXPECT_THAT(format_report(r, true), HasSubstr("phase 1 'pool' cycles"));
}

TEST(TimingCheck, MovesWithinToleranceBeyondItAndImprovements) {
  json s = summary();
  s["phases"][0]["cycles"] = 6050;  // +0.83%: within the default 1%
  s["total_cycles"] = 10050;
  TimingReport r = compare(golden(), run(s), nullptr);
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.metrics[0].status, MetricResult::Status::Within);

  s["phases"][1]["cycles"] = 4400;  // +10%: a regression, named in the table
  r = compare(golden(), run(s), nullptr);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.regressions(), 1);
  const std::string text = format_report(r, false);
  EXPECT_THAT(text, HasSubstr("phase 1 'pool' cycles"));
  EXPECT_THAT(text, HasSubstr("+10.00%"));
  EXPECT_THAT(text, HasSubstr("REGRESSION"));
  EXPECT_THAT(text, HasSubstr("FAIL: 1 regression(s) beyond tolerance"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("bytes ddr->mem")));  // unchanged metrics are not listed

  // A looser tolerance given on the command line lets it pass.
  Tolerances loose;
  loose.cycles = 0.2;
  EXPECT_TRUE(compare(golden(), run(s), &loose).passed());

  // Faster beyond tolerance passes, but says the golden should be regenerated on purpose.
  json f = summary();
  f["phases"][0]["cycles"] = 3000;
  r = compare(golden(), run(f), nullptr);
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.improvements(), 1);
  EXPECT_THAT(format_report(r, false), HasSubstr("improved beyond tolerance"));
}

TEST(TimingCheck, BytesMovedHaveTheirOwnToleranceZeroByDefault) {
  json s = summary();
  s["bytes_mem_to_core"] = 8193;
  TimingReport r = compare(golden(), run(s), nullptr);
  EXPECT_FALSE(r.passed());
  EXPECT_THAT(format_report(r, false), HasSubstr("bytes mem->core"));
  Tolerances t;
  apply_tolerance(t, "bytes=0.001");
  EXPECT_TRUE(compare(golden(), run(s), &t).passed());
}

TEST(TimingCheck, ADifferentRunIsAProblemNotAComparison) {
  json s = summary();
  s["phases"][1]["name"] = "avgpool";
  TimingReport r = compare(golden(), run(s), nullptr);
  EXPECT_FALSE(r.passed());
  EXPECT_THAT(format_report(r, false), HasSubstr("phase 1 is 'avgpool', the golden's is 'pool'"));

  s = summary();
  s["phases"].erase(1);
  EXPECT_THAT(format_report(compare(golden(), run(s), nullptr), false), HasSubstr("1 phases, the golden has 2"));
  s = summary();
  s["config"] = "paper-4x4";
  EXPECT_FALSE(compare(golden(), run(s), nullptr).passed());
  s = summary();
  s["fidelity"] = "beat";
  EXPECT_FALSE(compare(golden(), run(s), nullptr).passed());
  s = summary();
  s["deadlock"] = true;
  EXPECT_FALSE(compare(golden(), run(s), nullptr).passed());
  EXPECT_THROW(make_golden(run(s), "x", Tolerances{}), TimingCheckError);  // no golden from a deadlock
}

TEST(TimingCheck, GoldensRoundTripAndCorruptOnesAreRejected) {
  const json g = json::parse(golden());
  EXPECT_EQ(g["format"], "sparseaie-timing-golden");
  EXPECT_EQ(g["workload"], "net on paper-2x2");
  EXPECT_EQ(g["tolerance"]["cycles"], 0.01);
  EXPECT_EQ(g["phases"][1]["cycles"], 4000);
  EXPECT_EQ(make_golden(run(summary()), "net on paper-2x2", Tolerances{}), golden());  // deterministic

  auto error_of = [](const std::string& gold) {
    try {
      compare(gold, run(summary()), nullptr);
    } catch (const TimingCheckError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_THAT(error_of("{not json"), HasSubstr("golden is not valid JSON"));
  EXPECT_THAT(error_of("[1, 2]"), HasSubstr("golden is not a JSON object"));
  EXPECT_THAT(error_of("{}"), HasSubstr("not a sparseaie timing golden"));
  json v = g;
  v["version"] = 2;
  EXPECT_THAT(error_of(v.dump()), HasSubstr("version 2, this build reads 1"));
  json m = g;
  m.erase("total_cycles");
  EXPECT_THAT(error_of(m.dump()), HasSubstr("golden has no 'total_cycles'"));
  json n = g;
  n["phases"][0]["cycles"] = -5;
  EXPECT_THAT(error_of(n.dump()), HasSubstr("'cycles' is not a non-negative integer"));
  json t = g;
  t["tolerance"]["cycles"] = "lots";
  EXPECT_THAT(error_of(t.dump()), HasSubstr("tolerance 'cycles' is not a number"));
  EXPECT_THROW(parse_summary("{\"program\": 1}"), ReadError);  // not a summary: the reader says so
}

TEST(TimingCheck, ToleranceArguments) {
  Tolerances t;
  apply_tolerance(t, "cycles=0.05");
  apply_tolerance(t, "bytes=0");
  EXPECT_DOUBLE_EQ(t.cycles, 0.05);
  EXPECT_DOUBLE_EQ(t.bytes, 0.0);
  for (const char* bad : {"cycles", "cycles=", "cycles=-1", "cycles=x", "latency=0.1", "=0.1"})
    EXPECT_THROW(apply_tolerance(t, bad), TimingCheckError) << bad;
}

}  // namespace
}  // namespace saie::traces
