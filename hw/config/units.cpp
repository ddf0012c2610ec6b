// units.cpp — unit strings of config files: strict parsing and exact, round-trippable printing.
#include "hw/config/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace saie::config::units {
namespace {

struct Unit {
  const char* name;
  double factor;
};

// Splits "<number>[ ]<unit>" and reads the number. The number must be a plain non-negative
// decimal: digits, optional fraction, optional exponent (needed to print very large/small values).
bool split_number(const std::string& text, double* value, std::string* unit) {
  size_t i = 0;
  const size_t n = text.size();
  auto digits = [&]() {
    size_t start = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i - start;
  };
  size_t int_digits = digits();
  size_t frac_digits = 0;
  if (i < n && text[i] == '.') {
    ++i;
    frac_digits = digits();
    if (frac_digits == 0) return false;  // "4." is not accepted
  }
  if (int_digits == 0) return false;  // ".5" is not accepted
  // An exponent only if 'e' is followed by [+-]digit (otherwise 'e' could start a unit).
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < n && (text[j] == '+' || text[j] == '-')) ++j;
    if (j < n && std::isdigit(static_cast<unsigned char>(text[j]))) {
      i = j;
      digits();
    }
  }
  const std::string number = text.substr(0, i);
  if (i < n && text[i] == ' ') ++i;  // one optional space between number and unit
  *unit = text.substr(i);
  if (unit->empty()) return false;
  char* end = nullptr;
  *value = std::strtod(number.c_str(), &end);
  return end == number.c_str() + number.size() && std::isfinite(*value);
}

template <size_t N>
bool lookup(const std::string& unit, const Unit (&table)[N], double* factor) {
  for (const Unit& u : table) {
    if (unit == u.name) {
      *factor = u.factor;
      return true;
    }
  }
  return false;
}

const Unit kSizeUnits[] = {
    {"B", 1.0},
    {"KiB", 1024.0},
    {"MiB", 1024.0 * 1024},
    {"GiB", 1024.0 * 1024 * 1024},
    {"TiB", 1024.0 * 1024 * 1024 * 1024},
    {"KB", 1e3},
    {"kB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"TB", 1e12},
};
const Unit kFreqUnits[] = {{"Hz", 1.0}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};
const Unit kTimeUnits[] = {{"ps", 1e-12}, {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}};

// Units tried when printing, largest first, binary before decimal.
const Unit kSizePrint[] = {
    {"TiB", 1024.0 * 1024 * 1024 * 1024}, {"GiB", 1024.0 * 1024 * 1024}, {"MiB", 1024.0 * 1024},
    {"KiB", 1024.0}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1.0},
};

// The unit in which `value` (an integer-valued double < 2^53) is the smallest whole number
// (fewest digits); on a tie the earlier unit in the table wins.
std::string format_integer_with_units(double value, const Unit* units, size_t count) {
  const Unit* best = nullptr;
  double best_q = 0;
  for (size_t k = 0; k < count; ++k) {
    const double q = value / units[k].factor;
    if (q >= 1 && q == std::floor(q) && q * units[k].factor == value && (!best || q < best_q)) {
      best = &units[k];
      best_q = q;
    }
  }
  if (!best) return format_number(value) + units[count - 1].name;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f%s", best_q, best->name);
  return buf;
}

}  // namespace

bool parse_frequency(const std::string& text, double* hz) {
  double v = 0, f = 0;
  std::string unit;
  if (!split_number(text, &v, &unit) || !lookup(unit, kFreqUnits, &f)) return false;
  *hz = v * f;
  return true;
}

bool parse_size(const std::string& text, uint64_t* bytes) {
  double v = 0, f = 0;
  std::string unit;
  if (!split_number(text, &v, &unit) || !lookup(unit, kSizeUnits, &f)) return false;
  const double b = v * f;
  // Whole bytes only, and exactly representable (2^53 B = 8 PiB is far beyond any device).
  if (b != std::floor(b) || b > 9007199254740992.0) return false;
  *bytes = static_cast<uint64_t>(b);
  return true;
}

bool parse_bandwidth(const std::string& text, double* bytes_per_s) {
  if (text.size() < 3 || text.compare(text.size() - 2, 2, "/s") != 0) return false;
  double v = 0, f = 0;
  std::string unit;
  if (!split_number(text.substr(0, text.size() - 2), &v, &unit) || !lookup(unit, kSizeUnits, &f)) return false;
  *bytes_per_s = v * f;
  return true;
}

bool parse_time(const std::string& text, double* seconds) {
  double v = 0, f = 0;
  std::string unit;
  if (!split_number(text, &v, &unit) || !lookup(unit, kTimeUnits, &f)) return false;
  *seconds = v * f;
  return true;
}

uint64_t time_to_cycles(double seconds, double clock_hz) {
  return static_cast<uint64_t>(std::llround(seconds * clock_hz));
}

std::string format_number(double v) {
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_frequency(double hz) {
  if (hz > 0 && hz < 9007199254740992.0 && hz == std::floor(hz)) {
    const Unit order[] = {{"GHz", 1e9}, {"MHz", 1e6}, {"kHz", 1e3}, {"Hz", 1.0}};
    return format_integer_with_units(hz, order, 4);
  }
  return format_number(hz) + "Hz";
}

std::string format_size(uint64_t bytes) {
  if (bytes == 0) return "0B";
  return format_integer_with_units(static_cast<double>(bytes), kSizePrint, sizeof kSizePrint / sizeof kSizePrint[0]);
}

std::string format_bandwidth(double bytes_per_cycle, double clock_hz) {
  const double bps = bytes_per_cycle * clock_hz;
  // Prefer a whole number of bytes per second in a readable unit, if it converts back exactly.
  const double r = std::round(bps);
  if (r >= 1 && r < 9007199254740992.0 && r / clock_hz == bytes_per_cycle) {
    return format_size(static_cast<uint64_t>(r)) + "/s";
  }
  // Otherwise bytes/s with enough digits; nudge by ulps until the division reproduces the value.
  double x = bps;
  for (int step = 0; step < 64; ++step) {
    if (x / clock_hz == bytes_per_cycle) break;
    x = (x / clock_hz < bytes_per_cycle) ? std::nextafter(x, INFINITY) : std::nextafter(x, 0.0);
  }
  return format_number(x) + "B/s";
}

std::string format_time_cycles(uint64_t cycles, double clock_hz) {
  const double ns = static_cast<double>(cycles) / clock_hz * 1e9;
  return format_number(ns) + "ns";
}

}  // namespace saie::config::units
