#include "format.hpp"

namespace agentmetrics {

std::string format_tokens(int64_t tokens) {
  std::string digits = std::to_string(tokens);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

namespace {
// ns / unit rounded half away from zero, for ns >= 0, without overflow near INT64_MAX.
int64_t round_div(int64_t ns, int64_t unit) {
  return ns / unit + ((ns % unit) * 2 >= unit ? 1 : 0);
}
}  // namespace

std::string format_duration_ns(int64_t ns) {
  // Choose the unit after rounding, so 999.6 ms reads "1.0s" and 59.96 s reads "1m 0s".
  const int64_t ms = round_div(ns, 1'000'000);
  if (ms < 1000) return std::to_string(ms) + "ms";
  const int64_t tenths = round_div(ns, 100'000'000);
  if (tenths < 600) return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
  const int64_t seconds = round_div(ns, 1'000'000'000);
  if (seconds < 3600) {
    return std::to_string(seconds / 60) + "m " + std::to_string(seconds % 60) + "s";
  }
  const int64_t minutes = round_div(ns, 60'000'000'000);
  return std::to_string(minutes / 60) + "h " + std::to_string(minutes % 60) + "m";
}

}  // namespace agentmetrics
