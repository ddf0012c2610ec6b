// html.cpp — see html.h.
#include "traces/html.h"

#include <cstdio>
#include <stdexcept>

namespace saie::traces {
namespace {

void check_name(std::string_view name, const char* what) {
  if (name.empty()) throw std::logic_error(std::string("html: empty ") + what);
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == ':'))
      throw std::logic_error("html: " + std::string(what) + " '" + std::string(name) + "' is not a plain name");
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string o;
  o.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

Attr::Attr(std::string_view n, double v) : name(n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  value = buf;
}

void HtmlWriter::start_tag(std::string_view tag, const Attr* begin, const Attr* end, bool self_closing) {
  check_name(tag, "tag");
  out_ += '<';
  out_ += tag;
  for (const Attr* a = begin; a != end; ++a) {
    check_name(a->name, "attribute");
    out_ += ' ';
    out_ += a->name;
    out_ += "=\"";
    out_ += html_escape(a->value);
    out_ += '"';
  }
  out_ += self_closing ? "/>" : ">";
}

HtmlWriter& HtmlWriter::open(std::string_view tag, Attrs attrs) {
  start_tag(tag, attrs.begin(), attrs.end(), false);
  open_.emplace_back(tag);
  return *this;
}

HtmlWriter& HtmlWriter::open(std::string_view tag, const std::vector<Attr>& attrs) {
  start_tag(tag, attrs.data(), attrs.data() + attrs.size(), false);
  open_.emplace_back(tag);
  return *this;
}

HtmlWriter& HtmlWriter::close() {
  if (open_.empty()) throw std::logic_error("html: close() with no open tag");
  out_ += "</" + open_.back() + ">";
  open_.pop_back();
  return *this;
}

HtmlWriter& HtmlWriter::empty(std::string_view tag, Attrs attrs) {
  start_tag(tag, attrs.begin(), attrs.end(), true);
  return *this;
}

HtmlWriter& HtmlWriter::empty(std::string_view tag, const std::vector<Attr>& attrs) {
  start_tag(tag, attrs.data(), attrs.data() + attrs.size(), true);
  return *this;
}

HtmlWriter& HtmlWriter::element(std::string_view tag, std::string_view text, Attrs attrs) {
  start_tag(tag, attrs.begin(), attrs.end(), false);
  out_ += html_escape(text);
  out_ += "</";
  out_ += tag;
  out_ += '>';
  return *this;
}

HtmlWriter& HtmlWriter::text(std::string_view t) {
  out_ += html_escape(t);
  return *this;
}

HtmlWriter& HtmlWriter::newline() {
  out_ += '\n';
  return *this;
}

HtmlWriter& HtmlWriter::doctype() {
  if (!out_.empty()) throw std::logic_error("html: doctype() after content");
  out_ += "<!DOCTYPE html>\n";
  return *this;
}

HtmlWriter& HtmlWriter::style_sheet(std::string_view css) {
  if (css.find("</") != std::string_view::npos) throw std::logic_error("html: a style sheet may not contain '</'");
  open("style");
  out_ += '\n';
  out_ += css;
  out_ += '\n';
  return close();
}

std::string HtmlWriter::finish() const {
  if (!open_.empty()) throw std::logic_error("html: <" + open_.back() + "> is still open");
  return out_;
}

}  // namespace saie::traces
