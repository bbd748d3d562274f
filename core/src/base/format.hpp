// Display strings shared by every language (fixtures/format/cases.json).
#pragma once
#include <cstdint>
#include <string>

namespace agentmetrics {

// "1,247". tokens >= 0.
std::string format_tokens(int64_t tokens);

// "850ms", "2.3s", "1m 23s", "2h 5m"; half away from zero. ns >= 0.
std::string format_duration_ns(int64_t ns);

// ANSI wrapping for metadata lines.
inline constexpr const char *kDimOn = "\x1b[2m";
inline constexpr const char *kDimOff = "\x1b[0m";

}  // namespace agentmetrics
