// html.h — the one way HTML is written (the report page): a small builder that escapes every
// text and every attribute value, so no string from a run's files (a layer name, a track, a
// path) reaches the page as markup, and that keeps tags balanced.
//
//   HtmlWriter h;
//   h.open("table", {{"class", "num"}});
//   h.open("tr").element("td", name, {{"class", "l"}}).element("td", cycles).close();
//   h.close();
//   std::string page = h.finish();   // throws if a tag is still open
//
// Tag and attribute names come from this code base and must be plain names ([A-Za-z0-9-:], SVG has
// viewBox); values and text may be anything: &, <, > and " are written as entities (every
// attribute value is double-quoted, so ' needs none). Numbers are formatted by
// Attr's constructors (integers exactly, doubles with %.1f unless a format is given).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace saie::traces {

// &, <, > and " as entities.
std::string html_escape(std::string_view text);

struct Attr {
  Attr(std::string_view n, std::string_view v) : name(n), value(v) {}
  Attr(std::string_view n, const char* v) : name(n), value(v) {}
  Attr(std::string_view n, const std::string& v) : name(n), value(v) {}
  Attr(std::string_view n, double v);  // %.1f (pixel geometry)
  Attr(std::string_view n, uint64_t v) : name(n), value(std::to_string(v)) {}
  Attr(std::string_view n, uint32_t v) : name(n), value(std::to_string(v)) {}
  Attr(std::string_view n, int64_t v) : name(n), value(std::to_string(v)) {}
  Attr(std::string_view n, int v) : name(n), value(std::to_string(v)) {}
  std::string_view name;
  std::string value;
};
using Attrs = std::initializer_list<Attr>;

class HtmlWriter {
 public:
  // <tag attrs...>; closed by close().
  HtmlWriter& open(std::string_view tag, Attrs attrs = {});
  HtmlWriter& open(std::string_view tag, const std::vector<Attr>& attrs);
  // </tag> of the innermost open tag.
  HtmlWriter& close();
  // <tag attrs.../> (SVG shapes).
  HtmlWriter& empty(std::string_view tag, Attrs attrs);
  HtmlWriter& empty(std::string_view tag, const std::vector<Attr>& attrs);
  // <tag attrs...>text</tag>.
  HtmlWriter& element(std::string_view tag, std::string_view text, Attrs attrs = {});
  // Escaped text.
  HtmlWriter& text(std::string_view t);
  // A line break in the source (readability of the page source only).
  HtmlWriter& newline();
  // <!DOCTYPE html>: only as the first thing written.
  HtmlWriter& doctype();
  // A style sheet of this code base (a constant, not data): written as it is inside <style>;
  // rejected if it could end the element ("</").
  HtmlWriter& style_sheet(std::string_view css);

  bool empty_page() const { return out_.empty(); }
  // The page; throws std::logic_error if a tag is still open.
  std::string finish() const;

 private:
  void start_tag(std::string_view tag, const Attr* begin, const Attr* end, bool self_closing);
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace saie::traces
