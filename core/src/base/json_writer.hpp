// A small streaming JSON writer for the result documents of queries, exports and reports,
// and the exact decimals they write.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "json.hpp"
#include "money.hpp"
#include "timefmt.hpp"

namespace agentmetrics {

inline constexpr int64_t kNsPerMs = 1'000'000;

// num / den rounded half up; den > 0.
inline u128 div_round(u128 num, u128 den) {
  const u128 rem = num % den;
  return num / den + (rem >= den - rem ? 1 : 0);
}

// num / den as a decimal with at most `digits` fraction digits (rounded half up, trailing
// zeros dropped). num * 10^digits must fit in 128 bits.
inline std::string decimal(u128 num, u128 den, int digits) {
  const u128 scale = pow10_u128(digits);
  const u128 q = div_round(num * scale, den);
  std::string out = u128_to_string(q / scale);
  u128 frac = q % scale;
  if (frac == 0) return out;
  std::string f(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, frac /= 10)
    f[static_cast<size_t>(i)] = static_cast<char>('0' + frac % 10);
  f.erase(f.find_last_not_of('0') + 1);
  return out + "." + f;
}

// A minimal JSON writer: commas are placed from what was written last. It writes to a string
// of its own (take()), or appends to the caller's, which the caller may empty between values
// to stream the document in pieces.
class Json {
 public:
  Json() = default;
  explicit Json(std::string &out) : out_(&out) {}
  Json(const Json &) = delete;
  Json &operator=(const Json &) = delete;

  Json &key(std::string_view k) {
    quoted(k, true);
    return *this;
  }
  Json &begin_object() { return open('{'); }
  Json &end_object() { return close('}'); }
  Json &begin_array() { return open('['); }
  Json &end_array() { return close(']'); }
  Json &str(std::string_view s) {
    quoted(s, false);
    return *this;
  }
  // Empty labels are "none", not a value.
  Json &label(std::string_view s) { return s.empty() ? null() : str(s); }
  Json &num(uint64_t n) { return raw(std::to_string(n)); }
  Json &num(int64_t n) { return raw(std::to_string(n)); }
  Json &null() { return raw("null"); }
  Json &time(int64_t ns) { return str(format_iso_ms(ns)); }
  Json &ms(int64_t ns) { return raw(decimal(static_cast<u128>(std::max<int64_t>(ns, 0)), kNsPerMs, 3)); }
  Json &money(u128 atto) { return raw(money_to_decimal(atto)); }
  // A value written as given.
  Json &raw(std::string_view text) {
    sep();
    *out_ += text;
    return *this;
  }
  // A line break before the next member, element or closing bracket (after its comma).
  Json &line_break() {
    break_ = true;
    return *this;
  }
  std::string take() { return std::move(*out_); }

 private:
  // Whether json::append_string writes `s` as it is: no control character, quote or backslash
  // (eight bytes at a time; each test is exact for "some byte").
  static bool plain(std::string_view s) {
    constexpr uint64_t kOnes = 0x0101010101010101u, kHigh = 0x8080808080808080u;
    auto has_zero = [](uint64_t w) { return ((w - kOnes) & ~w & kHigh) != 0; };
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (((w - kOnes * 0x20) & ~w & kHigh) || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\')))
        return false;
    }
    for (; i < s.size(); ++i) {
      if (static_cast<unsigned char>(s[i]) < 0x20 || s[i] == '"' || s[i] == '\\') return false;
    }
    return true;
  }
  // sep(), then `s` as json::append_string writes it, then a colon for a key: one append when
  // `s` is short and needs no escaping (the common case).
  void quoted(std::string_view s, bool is_key) {
    char buf[128];
    size_t n = 0;
    if (value_) buf[n++] = ',';
    if (break_) buf[n++] = '\n';
    value_ = !is_key;
    break_ = false;
    if (s.size() <= sizeof buf - 5 && plain(s)) {
      buf[n++] = '"';
      std::memcpy(buf + n, s.data(), s.size());
      n += s.size();
      buf[n++] = '"';
      if (is_key) buf[n++] = ':';
      out_->append(buf, n);
      return;
    }
    out_->append(buf, n);
    json::append_string(*out_, s);
    if (is_key) *out_ += ':';
  }
  void sep() {
    if (value_) *out_ += ',';
    value_ = true;
    if (break_) {
      *out_ += '\n';
      break_ = false;
    }
  }
  Json &open(char c) {
    sep();
    *out_ += c;
    value_ = false;
    return *this;
  }
  Json &close(char c) {
    if (break_) {
      *out_ += '\n';
      break_ = false;
    }
    *out_ += c;
    value_ = true;
    return *this;
  }
  std::string own_;
  std::string *out_ = &own_;
  bool value_ = false;  // a value was written last: the next one needs a comma
  bool break_ = false;
};

}  // namespace agentmetrics
