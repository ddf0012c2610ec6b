// units.h — parsing and printing of the unit strings used in config files ("1GHz", "64KiB", "4GiB/s", "100ns").
//
// Grammar: <number>[ ]<unit>, number = non-negative decimal (digits, optional fraction, optional
// exponent; no sign). Binary size units are powers of 2 (KiB = 1024 B), decimal ones powers of
// 10 (KB = kB = 1000 B). Parsers return false on any syntax or unit error; range checks are the
// caller's job. Printers choose the largest unit that represents the value exactly, so
// parse(format(x)) == x.
#pragma once

#include <cstdint>
#include <string>

namespace saie::config::units {

bool parse_frequency(const std::string& text, double* hz);           // Hz kHz MHz GHz
bool parse_size(const std::string& text, uint64_t* bytes);           // B KiB MiB GiB TiB KB MB GB TB; integral bytes
bool parse_bandwidth(const std::string& text, double* bytes_per_s);  // <size unit>/s
bool parse_time(const std::string& text, double* seconds);           // ps ns us ms s

// Shortest decimal text that reads back (strtod) as exactly `v` (no exponent for ordinary magnitudes).
std::string format_number(double v);
std::string format_frequency(double hz);
std::string format_size(uint64_t bytes);
// Bandwidth in bytes/cycle printed as "<n><unit>/s" such that dividing the parsed bytes/s by
// clock_hz gives back exactly bytes_per_cycle.
std::string format_bandwidth(double bytes_per_cycle, double clock_hz);
// Cycles printed as a time in ns that converts back (round to nearest) to the same cycle count.
std::string format_time_cycles(uint64_t cycles, double clock_hz);

// Bytes/s -> bytes per cycle, and seconds -> cycles (round to nearest), as the loader does them.
inline double bandwidth_to_bytes_per_cycle(double bytes_per_s, double clock_hz) { return bytes_per_s / clock_hz; }
uint64_t time_to_cycles(double seconds, double clock_hz);

}  // namespace saie::config::units
