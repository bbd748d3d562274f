#include "money.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "errors.hpp"

namespace agentmetrics {

// Decimal digits of v. 128-bit division is a library call, so it is done at most twice
// (amounts below $18.4 fit in 64 bits and take none): the journal writes many of these.
std::string u128_to_string(u128 v) {
  char buf[48];
  if (v <= UINT64_MAX)
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, static_cast<uint64_t>(v)).ptr);
  constexpr uint64_t k1e19 = 10'000'000'000'000'000'000ull;
  std::string digits = u128_to_string(v / k1e19);
  char *end = std::to_chars(buf, buf + sizeof buf, static_cast<uint64_t>(v % k1e19)).ptr;
  digits.append(19 - static_cast<size_t>(end - buf), '0');
  digits.append(buf, end);
  return digits;
}

namespace {

// `units` of 10^-decimals as a fixed-point decimal string with exactly `decimals` digits.
std::string fixed_point(u128 units, int decimals) {
  std::string digits = u128_to_string(units);
  if (decimals == 0) return digits;
  if (static_cast<int>(digits.size()) <= decimals) {
    digits.insert(0, static_cast<size_t>(decimals + 1) - digits.size(), '0');
  }
  digits.insert(digits.size() - static_cast<size_t>(decimals), 1, '.');
  return digits;
}

constexpr u128 kU128Max = ~u128{0};

}  // namespace

char *write_money(char *out, u128 atto) {
  if (atto > UINT64_MAX) {
    std::string s = fixed_point(atto, kAttoDigits);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    std::memcpy(out, s.data(), s.size());
    return out + s.size();
  }
  // Below $18.4 (every single call's cost): 64-bit arithmetic, no allocation.
  constexpr uint64_t kAtto = 1'000'000'000'000'000'000ull;
  const uint64_t v = static_cast<uint64_t>(atto);
  out = std::to_chars(out, out + 24, v / kAtto).ptr;
  uint64_t fraction = v % kAtto;
  if (fraction == 0) return out;
  size_t digits = kAttoDigits;  // of the fraction, once its trailing zeros are gone
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  char tmp[24];
  const size_t n = static_cast<size_t>(std::to_chars(tmp, tmp + sizeof tmp, fraction).ptr - tmp);
  *out++ = '.';
  std::memset(out, '0', digits - n);
  out += digits - n;
  std::memcpy(out, tmp, n);
  return out + n;
}

void append_money(std::string &out, u128 atto) {
  char buf[kMoneyTextMax];
  out.append(buf, write_money(buf, atto));
}

std::string money_to_decimal(u128 atto) {
  std::string out;
  append_money(out, atto);
  return out;
}

namespace {

// "123.456" with at most 19 integer and 18 fraction digits (what append_money writes for any
// amount below $10^19): exact in two 64-bit numbers. nullopt for anything else.
std::optional<u128> parse_plain_decimal(std::string_view text) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 19 || fraction.size() > 18 ||
      (dot != std::string_view::npos && fraction.empty())) {
    return std::nullopt;
  }
  uint64_t w = 0, f = 0;  // from_chars of an unsigned takes digits only: no sign, no space
  if (std::from_chars(whole.data(), whole.data() + whole.size(), w).ptr != whole.data() + whole.size())
    return std::nullopt;
  if (!fraction.empty() && std::from_chars(fraction.data(), fraction.data() + fraction.size(), f).ptr !=
                               fraction.data() + fraction.size()) {
    return std::nullopt;
  }
  return static_cast<u128>(w) * kAttoPerUsd +
         static_cast<u128>(f) * pow10_u128(kAttoDigits - static_cast<int>(fraction.size()));
}

}  // namespace

u128 money_parse(std::string_view text, std::string_view what) {
  if (const auto plain = parse_plain_decimal(text)) return *plain;  // the journal's every cost
  auto bad = [&](const char *why) {
    return InvalidArgument(std::string(what) + ": \"" + std::string(text.substr(0, 64)) +
                           "\" is not a non-negative decimal amount (" + why + ")");
  };
  size_t i = 0;
  u128 mantissa = 0;
  int significant = 0, fraction_digits = 0;
  bool any_digit = false;
  auto digits = [&](bool in_fraction) {
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      any_digit = true;
      if (mantissa != 0 || text[i] != '0') ++significant;
      if (significant > 38) throw bad("more than 38 significant digits");
      mantissa = mantissa * 10 + static_cast<unsigned>(text[i] - '0');
      if (in_fraction) ++fraction_digits;
    }
  };
  digits(false);
  if (i < text.size() && text[i] == '.') {
    ++i;
    digits(true);
  }
  if (!any_digit) throw bad("no digits");
  int exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && text[i] == '+') ++i;  // from_chars takes '-' but not '+'
    const char *first = text.data() + i;
    auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), exponent);
    if (ec != std::errc() || ptr == first) throw bad("bad exponent");
    i = static_cast<size_t>(ptr - text.data());
  }
  if (i != text.size()) throw bad("unexpected character");
  if (mantissa == 0) return 0;

  // value = mantissa * 10^(exponent - fraction_digits) USD = mantissa * 10^scale attodollars.
  const long scale = long{kAttoDigits} + exponent - fraction_digits;
  if (scale >= 0) {
    if (scale > 38) throw bad("too large");
    const u128 factor = pow10_u128(static_cast<int>(scale));
    if (mantissa > kU128Max / factor) throw bad("too large");
    return mantissa * factor;
  }
  if (scale < -38) return 0;  // far below half an attodollar
  const u128 divisor = pow10_u128(static_cast<int>(-scale));
  u128 q = mantissa / divisor;
  const u128 r = mantissa % divisor, half = divisor / 2;
  if (r > half || (r == half && (q & 1) != 0)) ++q;  // half to even
  return q;
}

u128 money_from_double(double usd, std::string_view what) {
  if (!std::isfinite(usd) || usd < 0) {
    throw InvalidArgument(std::string(what) + " must be a finite non-negative number");
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, usd);
  if (ec != std::errc()) throw InvalidArgument(std::string(what) + " cannot be formatted");
  return money_parse(std::string_view(buf, static_cast<size_t>(end - buf)), what);
}

double money_to_double(u128 atto) {
  // Split to keep the integer part exact before the single rounding of the division.
  const u128 whole = atto / kAttoPerUsd, frac = atto % kAttoPerUsd;
  return static_cast<double>(whole) + static_cast<double>(frac) / 1e18;
}

std::string format_cost(u128 atto) {
  const int decimals = atto < kAttoPerUsd / 100 ? 4 : atto < kAttoPerUsd ? 3 : 2;
  const u128 unit = pow10_u128(kAttoDigits - decimals);
  u128 units = atto / unit;
  if ((atto % unit) * 2 >= unit) ++units;  // half away from zero (amounts are non-negative)
  std::string out = "$";                   // not "$" + string: GCC 12 warns falsely (-Wrestrict, bug 105329)
  out += fixed_point(units, decimals);
  return out;
}

}  // namespace agentmetrics
