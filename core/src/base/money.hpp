// Exact money: unsigned 128-bit counts of attodollars (1e-18 USD).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace agentmetrics {

__extension__ typedef unsigned __int128 u128;  // __extension__: no -Wpedantic noise

inline constexpr u128 pow10_u128(int n) {
  u128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}
inline constexpr int kAttoDigits = 18;
inline constexpr u128 kAttoPerUsd = pow10_u128(kAttoDigits);

// Decimal digits of v.
std::string u128_to_string(u128 v);

// Exact decimal in USD without trailing zeros: "0.0075", "37500", "0".
std::string money_to_decimal(u128 atto);
void append_money(std::string &out, u128 atto);  // the same, appended
// The same, written at `out` (room for kMoneyTextMax chars); returns the end.
inline constexpr size_t kMoneyTextMax = 48;  // 39 digits and a point
char *write_money(char *out, u128 atto);

// Parse a non-negative decimal ("12.5", "3e-06"); digits below 1e-18 round half to even.
// Throws InvalidArgument for anything else, naming `what`.
u128 money_parse(std::string_view text, std::string_view what);

// A price read from JSON as a double: its shortest round-trip decimal, parsed exactly.
u128 money_from_double(double usd, std::string_view what);

double money_to_double(u128 atto);

// "$0.0042": 4 decimals below $0.01, 3 below $1, else 2; half away from zero.
std::string format_cost(u128 atto);

// a * b for a token count and a per-token rate; cannot overflow (2^53 * 2^64 < 2^128).
inline u128 mul_tokens(int64_t tokens, uint64_t rate_atto) {
  return static_cast<u128>(static_cast<uint64_t>(tokens)) * rate_atto;
}

}  // namespace agentmetrics
