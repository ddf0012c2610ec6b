// report_test.cpp — `sparseaie report` as a user runs it: a small sparse network
// (tests/model/test_graphs.h written as a bundle; no LibTorch needed) is compiled sparse and
// dense, both are simulated, and the report is written with and without --dense. The page is
// checked as text (sections, inline SVG, no external resources, no .tmp left, errors are one
// line) and then opened in a real browser: Debian's headless chromium loads it with no console
// errors, its DOM has the SVG drawings, and it renders a non-trivial screenshot (copied to
// <build>/report_screenshot.png for a look). chromium missing is a failure, not a skip
// (scripts/setup installs it).
#include <gtest/gtest.h>

#include "tests/e2e/cli_test_util.h"
#include "traces/readers.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/bundle/bundle_io.h"
#include "tests/model/test_graphs.h"

namespace fs = std::filesystem;

namespace {

using saie::test::driver;
using saie::test::fresh_dir;
using saie::test::sh;
using saie::test::slurp;

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

// The non-progress lines of a driver's stderr.
std::vector<std::string> error_lines(const fs::path& err) {
  std::vector<std::string> lines;
  std::istringstream in(slurp(err));
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line.rfind("[sparseaie]", 0) != 0) lines.push_back(line);
  return lines;
}

std::string chromium_binary() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (fs::exists(c)) return c;
  return "";
}

class ReportE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(driver())) << "build the sparseaie target first";
    ASSERT_EQ(sh(driver() + " --help 2>/dev/null | grep -q '^  report '"), 0)
        << "the driver has no `report` subcommand: wire cli/report_command.h into cli/main.cpp";
    d_ = fresh_dir("report_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    bundle_ = (d_ / "bundle").string();
    saie::bundle::write_bundle(saie::test::make_test_graph(31, true), bundle_);
    for (const std::string kind : {"sparse", "dense"}) {
      const std::string prog = (d_ / ("prog_" + kind)).string(), out = (d_ / kind).string();
      ASSERT_EQ(sh(driver() + " compile " + bundle_ + " -c paper-2x2 -o " + prog + (kind == "dense" ? " --dense" : "") + " > " + prog +
                   ".log 2>&1"),
                0)
          << slurp(prog + ".log");
      ASSERT_EQ(sh(driver() + " simulate " + prog + "/program.bin -c paper-2x2 --bundle " + bundle_ +
                   " --random-inputs 2 --seed 5 --bin-cycles 200 -o " + out + " > " + out + ".log 2> " + out + ".err"),
                0)
          << slurp(out + ".err");
    }
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(d_);
  }
  int report(const std::string& args, const std::string& log) {
    return sh(driver() + " report " + args + " > " + (d_ / (log + ".log")).string() + " 2> " + (d_ / (log + ".err")).string());
  }
  fs::path d_;
  std::string bundle_;
};

TEST_F(ReportE2E, WritesSelfContainedPageWithAndWithoutDense) {
  const fs::path sparse = d_ / "sparse", dense = d_ / "dense";
  // Default output: OUTDIR/report.html.
  ASSERT_EQ(report(sparse.string(), "plain"), 0) << slurp(d_ / "plain.err");
  const std::string plain = slurp(sparse / "report.html");
  ASSERT_FALSE(plain.empty());
  EXPECT_FALSE(fs::exists(sparse / "report.html.tmp"));
  for (const char* id : {"phases", "timeline", "bandwidth"})
    EXPECT_NE(plain.find(std::string("<section id=\"") + id + "\">"), std::string::npos) << id;
  EXPECT_EQ(plain.find("<section id=\"dense\">"), std::string::npos);
  EXPECT_GE(count(plain, "<svg"), 3u);
  EXPECT_GT(count(plain, "<rect "), 10u);
  EXPECT_EQ(plain.find("http://"), std::string::npos);
  EXPECT_EQ(plain.find("https://"), std::string::npos);
  EXPECT_EQ(plain.find("src="), std::string::npos);
  // Every phase of summary.json has its row.
  const saie::traces::RunSummary summary = saie::traces::read_summary((sparse / "summary.json").string()).run;
  for (const auto& p : summary.phases) EXPECT_NE(plain.find(">" + p.name + "<"), std::string::npos);
  // The timeline has the cores of the 2x2 array.
  for (const char* row : {"tile(0,2) core", "tile(1,3) core"}) EXPECT_NE(plain.find(row), std::string::npos) << row;

  // With the dense baseline, to a chosen file; deterministic.
  const fs::path page = d_ / "pages" / "report.html";
  fs::create_directories(page.parent_path());
  ASSERT_EQ(report(sparse.string() + " --dense " + dense.string() + " --out " + page.string(), "dense"), 0) << slurp(d_ / "dense.err");
  const std::string both = slurp(page);
  ASSERT_NE(both.find("<section id=\"dense\">"), std::string::npos);
  EXPECT_NE(both.find("speedup <b>"), std::string::npos);
  ASSERT_EQ(report(sparse.string() + " --dense " + dense.string() + " --out " + (d_ / "again.html").string(), "again"), 0);
  EXPECT_TRUE(slurp(d_ / "again.html") == both) << "same inputs, same page";

  // Bad inputs: one error line, non-zero exit, no page.
  EXPECT_NE(report((d_ / "nope").string(), "missing"), 0);
  auto lines = error_lines(d_ / "missing.err");
  ASSERT_EQ(lines.size(), 1u) << slurp(d_ / "missing.err");
  EXPECT_EQ(lines[0].rfind("error:", 0), 0u) << lines[0];
  fs::create_directories(d_ / "broken");
  std::ofstream(d_ / "broken" / "summary.json") << "{\"total_cycles\": ";
  EXPECT_NE(report((d_ / "broken").string(), "broken"), 0);
  lines = error_lines(d_ / "broken.err");
  ASSERT_EQ(lines.size(), 1u) << slurp(d_ / "broken.err");
  EXPECT_NE(lines[0].find("cannot parse"), std::string::npos) << lines[0];
  EXPECT_FALSE(fs::exists(d_ / "broken" / "report.html"));
}

TEST_F(ReportE2E, OpensInHeadlessChromiumWithoutConsoleErrors) {
  const std::string chromium = chromium_binary();
  ASSERT_FALSE(chromium.empty()) << "chromium is not installed (Debian package `chromium`; scripts/setup installs it): "
                                    "the report must be checked in a real browser";
  const fs::path page = d_ / "report.html";
  ASSERT_EQ(report((d_ / "sparse").string() + " --dense " + (d_ / "dense").string() + " --out " + page.string(), "r"), 0)
      << slurp(d_ / "r.err");
  // A private profile and no network/background services, so that the run is fast and hermetic.
  const std::string common = "timeout 60 " + chromium +
                             " --headless --disable-gpu --no-sandbox --no-first-run --disable-extensions --disable-sync"
                             " --disable-background-networking --disable-component-update --user-data-dir=" +
                             (d_ / "profile").string();
  const std::string url = "file://" + fs::absolute(page).string();
  // Console messages reach stderr as "INFO:CONSOLE..." lines only at --log-level=0 (--v=0 alone
  // does not show them); a canary page with a script error proves the check sees them.
  const std::string logging = " --enable-logging=stderr --log-level=0 --dump-dom ";
  std::ofstream(d_ / "canary.html") << "<!DOCTYPE html><html><body><script>no_such_function();</script></body></html>\n";
  const fs::path canary_log = d_ / "canary.err";
  ASSERT_EQ(sh(common + logging + "file://" + fs::absolute(d_ / "canary.html").string() + " > /dev/null 2> " + canary_log.string()), 0);
  ASSERT_NE(slurp(canary_log).find("Uncaught"), std::string::npos) << "chromium does not log console errors here:\n" << slurp(canary_log);

  const fs::path dom = d_ / "dom.html", log = d_ / "chromium_dom.err";
  ASSERT_EQ(sh(common + logging + url + " > " + dom.string() + " 2> " + log.string()), 0) << slurp(log);
  const std::string dom_text = slurp(dom), err = slurp(log);
  // Console errors: uncaught exceptions, failed loads, anything the page logs to the console.
  for (const char* bad : {"Uncaught", "CONSOLE", "Failed to load", "Not allowed to load"})
    EXPECT_EQ(err.find(bad), std::string::npos) << bad << " in chromium's log:\n" << err;
  for (const char* id : {"phases", "dense", "timeline", "bandwidth"})
    EXPECT_NE(dom_text.find(std::string("id=\"") + id + "\""), std::string::npos) << id << " not in the browser's DOM";
  EXPECT_GE(count(dom_text, "<svg"), 4u);
  EXPECT_GT(count(dom_text, "<rect"), 10u);

  const fs::path png = d_ / "report.png", shot_log = d_ / "chromium_shot.err";
  ASSERT_EQ(sh(common + " --hide-scrollbars --window-size=1400,2000 --screenshot=" + png.string() + " " + url + " > /dev/null 2> " +
               shot_log.string()),
            0)
      << slurp(shot_log);
  ASSERT_TRUE(fs::exists(png)) << slurp(shot_log);
  const std::string png_bytes = slurp(png);
  ASSERT_GT(png_bytes.size(), 20000u) << "screenshot is (nearly) blank";
  EXPECT_EQ(png_bytes.substr(1, 3), "PNG");
  // Keep a copy next to the build for a human look.
  std::error_code ec;
  fs::copy_file(png, fs::path(SAIE_BINARY_DIR) / "report_screenshot.png", fs::copy_options::overwrite_existing, ec);
}

}  // namespace
