#include "timefmt.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace agentmetrics {

namespace {

using std::chrono::days;
using std::chrono::nanoseconds;
using std::chrono::sys_days;

constexpr int64_t kNsPerDay = int64_t{86400} * 1000000000;

// Floor division: days and time of day for negative timestamps too.
void split(int64_t ns, std::chrono::year_month_day &date, int64_t &ns_of_day) {
  int64_t d = ns / kNsPerDay;
  ns_of_day = ns % kNsPerDay;
  if (ns_of_day < 0) {
    ns_of_day += kNsPerDay;
    --d;
  }
  date = std::chrono::year_month_day{sys_days{days{d}}};
}

std::string format(int64_t ns, int fraction_digits) {
  std::chrono::year_month_day date;
  int64_t t;
  split(ns, date, t);
  const int64_t sec = t / 1000000000, frac = t % 1000000000;
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                        static_cast<int>(sec / 3600), static_cast<int>(sec / 60 % 60),
                        static_cast<int>(sec % 60));
  if (fraction_digits == 3) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%03d", static_cast<int>(frac / 1000000));
  } else {
    n += std::snprintf(buf + n, sizeof buf - n, ".%09d", static_cast<int>(frac));
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

// `count` decimal digits at `s[pos]`, or -1.
int digits(std::string_view s, size_t pos, int count) {
  if (pos + count > s.size()) return -1;
  int v = 0;
  for (int i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::string format_iso_ms(int64_t ns) {
  return format(ns, 3);
}
std::string format_iso_ns(int64_t ns) {
  return format(ns, 9);
}

std::string format_day(int64_t ns) {
  return format(ns, 3).substr(0, 10);
}

std::optional<int64_t> parse_iso(std::string_view s) {
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: a leap second
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++n) {
      if (n < 9) frac = frac * 10 + (s[pos] - '0');
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) frac *= 10;
  }
  int64_t offset_sec = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
    offset_sec = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t day_number = sys_days{date}.time_since_epoch().count();
  const int64_t seconds = day_number * 86400 + hour * 3600 + minute * 60 + second - offset_sec;
  int64_t ns;
  if (__builtin_mul_overflow(seconds, int64_t{1000000000}, &ns) || __builtin_add_overflow(ns, frac, &ns)) {
    return std::nullopt;
  }
  return ns;
}

std::optional<int64_t> parse_utc_time(std::string_view text) {
  // Completed into the full form parse_iso reads: midnight, seconds, a '.' and a 'Z'.
  std::string t(text);
  if (t.size() == 10) t += "T00:00";
  if (t.size() < 16) return std::nullopt;
  if (t.size() == 16 || t[16] != ':') t.insert(16, ":00");
  size_t zone = 19;
  if (zone < t.size() && (t[zone] == '.' || t[zone] == ',')) {
    t[zone] = '.';
    zone = t.find_first_not_of("0123456789", zone + 1);
    if (zone == std::string::npos) zone = t.size();
  }
  zone = std::min(zone, t.size());
  const std::string_view z = std::string_view(t).substr(zone);
  if (z.empty() || z == "+0000") {
    t.resize(zone);
    t += 'Z';
  } else if (z != "Z" && z != "z" && z != "+00:00" && z != "-00:00") {
    return std::nullopt;
  }
  const std::optional<int64_t> ns = parse_iso(t);
  if (!ns || *ns < 0) return std::nullopt;  // before the epoch: no metric is
  return ns;
}

}  // namespace agentmetrics
