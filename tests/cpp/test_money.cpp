// Exact money: parsing, printing, rounding.
#include <gtest/gtest.h>

#include "errors.hpp"
#include "format.hpp"
#include "money.hpp"

namespace agentmetrics {
namespace {

TEST(Money, ParseAndPrintAreExact) {
  EXPECT_EQ(money_to_decimal(money_parse("0.0075", "x")), "0.0075");
  EXPECT_EQ(money_to_decimal(money_parse("37500", "x")), "37500");
  EXPECT_EQ(money_to_decimal(money_parse("0", "x")), "0");
  EXPECT_EQ(money_to_decimal(money_parse("000.100", "x")), "0.1");
  EXPECT_EQ(money_parse("3e-06", "x"), money_parse("0.000003", "x"));
  EXPECT_EQ(money_parse("1.25E-7", "x"), u128{125000000000});
  EXPECT_EQ(money_parse("2.5e+3", "x"), money_parse("2500", "x"));
  EXPECT_EQ(money_parse("0.000000000000000001", "x"), u128{1});
  EXPECT_EQ(money_parse(".5", "x"), money_parse("0.5", "x"));
  EXPECT_EQ(money_parse("5.", "x"), money_parse("5", "x"));
}

TEST(Money, DigitsBelowAnAttodollarRoundHalfToEven) {
  EXPECT_EQ(money_parse("0.0000000000000000005", "x"), u128{0});
  EXPECT_EQ(money_parse("0.0000000000000000015", "x"), u128{2});
  EXPECT_EQ(money_parse("0.00000000000000000151", "x"), u128{2});
  EXPECT_EQ(money_parse("0.0000000000000000025", "x"), u128{2});
  EXPECT_EQ(money_parse("1e-40", "x"), u128{0});
}

TEST(Money, RejectsWhatIsNotANonNegativeDecimal) {
  for (const char *bad : {"", "-1", "+1", "nan", "inf", "1.2.3", "1e", "1e+", "0x10", " 1", "1 ", "e5",
                          "1e99", "123456789012345678901234567890123456789"}) {
    EXPECT_THROW(money_parse(bad, "x"), InvalidArgument) << bad;
  }
}

TEST(Money, FromDoubleUsesTheShortestRoundTripDecimal) {
  EXPECT_EQ(money_from_double(3e-06, "x"), money_parse("0.000003", "x"));
  EXPECT_EQ(money_from_double(2.125e-06, "x"), money_parse("0.000002125", "x"));
  EXPECT_EQ(money_from_double(0.1, "x"), money_parse("0.1", "x"));
  EXPECT_THROW(money_from_double(-1e-6, "x"), InvalidArgument);
}

TEST(Money, FormatCostThresholdsAndRounding) {
  EXPECT_EQ(format_cost(money_parse("0.00995", "x")), "$0.0100");  // below $0.01: 4 decimals
  EXPECT_EQ(format_cost(money_parse("0.01", "x")), "$0.010");
  EXPECT_EQ(format_cost(money_parse("0.99951", "x")), "$1.000");
  EXPECT_EQ(format_cost(money_parse("0.00005", "x")), "$0.0001");  // half away from zero
  EXPECT_EQ(format_cost(money_parse("1234567.891", "x")), "$1234567.89");
  const u128 huge = ~u128{0};
  EXPECT_EQ(money_to_decimal(huge), "340282366920938463463.374607431768211455");
}

TEST(Format, DurationsPickTheUnitAfterRounding) {
  EXPECT_EQ(format_duration_ns(499'999), "0ms");
  EXPECT_EQ(format_duration_ns(500'000), "1ms");
  EXPECT_EQ(format_duration_ns(999'499'999), "999ms");
  EXPECT_EQ(format_duration_ns(999'500'000), "1.0s");
  EXPECT_EQ(format_duration_ns(59'949'999'999), "59.9s");
  EXPECT_EQ(format_duration_ns(59'950'000'000), "1m 0s");
  EXPECT_EQ(format_duration_ns(3'599'499'999'999), "59m 59s");
  EXPECT_EQ(format_duration_ns(3'599'500'000'000), "1h 0m");
  EXPECT_EQ(format_duration_ns(INT64_MAX), "2562047h 47m");
  EXPECT_EQ(format_tokens(INT64_MAX), "9,223,372,036,854,775,807");
}

TEST(Money, DecimalsAboveSixtyFourBitsAreExact) {
  const u128 max = ~u128{0};  // 340282366920938463463.374607431768211455 USD
  EXPECT_EQ(money_to_decimal(max), "340282366920938463463.374607431768211455");
  EXPECT_EQ(money_to_decimal(pow10_u128(19)), "10");
  EXPECT_EQ(money_to_decimal(pow10_u128(38) + 7), "100000000000000000000.000000000000000007");
  EXPECT_EQ(money_to_decimal(static_cast<u128>(UINT64_MAX) + 1), "18.446744073709551616");
  EXPECT_EQ(money_to_decimal(UINT64_MAX), "18.446744073709551615");
  EXPECT_EQ(money_to_decimal(1), "0.000000000000000001");
  EXPECT_EQ(money_to_decimal(kAttoPerUsd * 3), "3");
  EXPECT_EQ(money_to_decimal(kAttoPerUsd / 4 * 5), "1.25");
  std::string out = "x";
  append_money(out, 7'500'000'000'000'000);
  EXPECT_EQ(out, "x0.0075");
}

}  // namespace
}  // namespace agentmetrics
