#include <gtest/gtest.h>

#include "timefmt.hpp"

using namespace agentmetrics;

TEST(Timefmt, FormatsUtc) {
  EXPECT_EQ(format_iso_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso_ms(1763805600123456789), "2025-11-22T10:00:00.123Z");
  EXPECT_EQ(format_iso_ns(1763805600123456789), "2025-11-22T10:00:00.123456789Z");
  EXPECT_EQ(format_iso_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_day(1763805600123456789), "2025-11-22");
}

TEST(Timefmt, ParsesWhatItFormatsAndOffsets) {
  for (int64_t ns : {int64_t{0}, int64_t{1763805600123456789}, int64_t{-1}, int64_t{951782400000000000}}) {
    EXPECT_EQ(parse_iso(format_iso_ns(ns)), ns);
  }
  EXPECT_EQ(parse_iso("2025-11-22T10:00:00Z"), 1763805600000000000);
  EXPECT_EQ(parse_iso("2025-11-22 12:00:00.5+02:00"), 1763805600500000000);
  EXPECT_EQ(parse_iso("2025-11-22T05:30:00-04:30"), 1763805600000000000);
  EXPECT_EQ(parse_iso("2025-11-22T10:00:00.1234567891Z"), 1763805600123456789);
}

TEST(Timefmt, RejectsMalformed) {
  for (const char *bad : {"", "2025-11-22", "2025-11-22T10:00:00", "2025-02-30T00:00:00Z",
                          "2025-11-22T24:00:00Z", "2025-11-22T10:00:00.Z", "2025-11-22T10:00:00Zjunk",
                          "9999-01-01T00:00:00Z", "2025-11-22T10:00:00+0200", "x025-11-22T10:00:00Z"}) {
    EXPECT_FALSE(parse_iso(bad).has_value()) << bad;
  }
}
