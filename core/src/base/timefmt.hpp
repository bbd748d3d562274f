// Wall-clock timestamps as text: ISO 8601 / RFC 3339 in UTC, and UTC calendar days.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentmetrics {

// "2026-11-22T10:00:00.123Z": nanoseconds since the epoch, to the millisecond (truncated
// towards the past).
std::string format_iso_ms(int64_t ns);
// "2026-11-22T10:00:00.123456789Z": every digit, for values that must round-trip.
std::string format_iso_ns(int64_t ns);
// "2026-11-22": the UTC day of `ns`.
std::string format_day(int64_t ns);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (a space may stand for the 'T'
// and a lower-case 'z' for 'Z'); fraction digits beyond nanoseconds are dropped. nullopt for
// anything else, or a time outside the int64 nanosecond range (years 1678 to 2261).
std::optional<int64_t> parse_iso(std::string_view text);

// A UTC time as people type it (agm_parse_time): "YYYY-MM-DD", or with a time "HH:MM",
// "HH:MM:SS" and a fraction ('.' or ','), then nothing, "Z", "+00:00", "+0000" or "-00:00".
// nullopt for anything else, another offset, or a time before 1970.
std::optional<int64_t> parse_utc_time(std::string_view text);

}  // namespace agentmetrics
