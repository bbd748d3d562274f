#include "money.hpp"

#include <charconv>
#include <cmath>

#include "errors.hpp"

namespace agentmetrics {

namespace {

std::string u128_to_string(u128 v) {
  if (v == 0) return "0";
  char buf[48];
  char *p = buf + sizeof buf;
  while (v != 0) {
    *--p = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  return std::string(p, buf + sizeof buf);
}

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

std::string money_to_decimal(u128 atto) {
  std::string s = fixed_point(atto, kAttoDigits);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

u128 money_parse(std::string_view text, std::string_view what) {
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
