// html_test.cpp — the HTML builder: every text and attribute is escaped, tags balance, and names
// that are not plain names are refused (they come from code, never from data).
#include "traces/html.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace saie::traces {
namespace {

TEST(Html, EscapesEveryTextAndAttribute) {
  HtmlWriter h;
  const std::string evil = "<script>alert(\"x\")</script> & 'q'";
  h.open("p", {{"title", evil}}).text(evil).element("b", evil, {{"class", "\" onload=\"x"}}).close();
  const std::string page = h.finish();
  EXPECT_EQ(page.find("<script>"), std::string::npos) << page;
  EXPECT_EQ(page.find("\" onload"), std::string::npos) << page;
  EXPECT_EQ(page,
            "<p title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 'q'\">&lt;script&gt;alert(&quot;x&quot;)&lt;/"
            "script&gt; &amp; 'q'<b class=\"&quot; onload=&quot;x\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
            "'q'</b></p>");
}

TEST(Html, NumbersAndEmptyElements) {
  HtmlWriter h;
  h.empty("rect", {{"x", 1.25}, {"width", uint64_t{7}}, {"height", 3}, {"viewBox", "0 0 1 1"}});
  EXPECT_EQ(h.finish(), "<rect x=\"1.2\" width=\"7\" height=\"3\" viewBox=\"0 0 1 1\"/>");
}

TEST(Html, TagsBalanceAndBadNamesAreRefused) {
  HtmlWriter h;
  h.open("div").open("span");
  EXPECT_THROW(h.finish(), std::logic_error);  // <span> still open
  h.close().close();
  EXPECT_EQ(h.finish(), "<div><span></span></div>");
  EXPECT_THROW(h.close(), std::logic_error);
  HtmlWriter bad;
  EXPECT_THROW(bad.open("div onclick=x"), std::logic_error);
  EXPECT_THROW(bad.empty("rect", {{"x\"", "1"}}), std::logic_error);
  EXPECT_THROW(bad.style_sheet("p{}</style><script>"), std::logic_error);
  HtmlWriter late;
  late.text("x");
  EXPECT_THROW(late.doctype(), std::logic_error);
}

}  // namespace
}  // namespace saie::traces
