// The duration sketch: bucket layout, the 1/128 relative-error bound, exact merges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "sketch.hpp"

namespace agentmetrics {
namespace {

TEST(Sketch, BucketsAreContiguousAndCoverEveryValue) {
  int last = -1;
  for (int64_t v = 0; v < 300000; ++v) {
    const int i = Sketch::bucket_index(v);
    ASSERT_TRUE(i == last || i == last + 1) << v;
    ASSERT_LE(Sketch::bucket_lower(i), v);
    ASSERT_GE(Sketch::bucket_upper(i), v);
    last = i;
  }
  for (int e = 7; e < 63; ++e) {
    const int64_t v = int64_t{1} << e;
    EXPECT_EQ(Sketch::bucket_lower(Sketch::bucket_index(v)), v);
    EXPECT_EQ(Sketch::bucket_upper(Sketch::bucket_index(v - 1)), v - 1);
  }
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(Sketch::bucket_upper(Sketch::bucket_index(max)), max);
}

std::vector<int64_t> sample(int which, size_t n, std::mt19937_64 &rng) {
  std::vector<int64_t> v(n);
  std::lognormal_distribution<double> latency(std::log(3e8), 1.2);  // ~300 ms, long tail
  std::uniform_int_distribution<int64_t> uniform(0, 5000);
  std::exponential_distribution<double> expo(1.0 / 2e6);
  for (auto &x : v) {
    switch (which) {
      case 0: x = static_cast<int64_t>(latency(rng)); break;
      case 1: x = uniform(rng); break;
      default: x = static_cast<int64_t>(expo(rng)) * 1000 + 7; break;
    }
  }
  return v;
}

TEST(Sketch, QuantilesWithinOneIn128OfTheExactOrderStatistic) {
  std::mt19937_64 rng(42);
  for (int dist = 0; dist < 3; ++dist) {
    for (size_t n : {1u, 2u, 7u, 100u, 10007u}) {
      std::vector<int64_t> values = sample(dist, n, rng);
      Sketch s;
      for (int64_t v : values) s.add(v);
      std::sort(values.begin(), values.end());
      for (int qi = 0; qi <= 100; ++qi) {
        const double q = qi / 100.0;
        const int64_t exact = values[static_cast<size_t>(std::floor(q * static_cast<double>(n - 1)))];
        const int64_t got = *s.quantile(q);
        EXPECT_LE(std::abs(static_cast<double>(got - exact)),
                  static_cast<double>(exact) * Sketch::kRelativeError)
            << "dist " << dist << " n " << n << " q " << q << " exact " << exact << " got " << got;
      }
      EXPECT_EQ(s.min(), values.front());
      EXPECT_EQ(s.max(), values.back());
      EXPECT_EQ(s.count(), n);
    }
  }
}

TEST(Sketch, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  const auto a = sample(0, 5000, rng), b = sample(2, 3000, rng);
  Sketch sa, sb, all;
  for (auto v : a) sa.add(v), all.add(v);
  for (auto v : b) sb.add(v), all.add(v);
  Sketch merged = sb;
  merged.merge(sa);
  for (double q : {0.0, 0.5, 0.9, 0.95, 0.99, 1.0}) EXPECT_EQ(*merged.quantile(q), *all.quantile(q)) << q;
  EXPECT_EQ(merged.sum(), all.sum());
  EXPECT_EQ(merged.count(), all.count());
  Sketch empty;
  merged.merge(empty);
  EXPECT_EQ(merged.count(), all.count());
  empty.merge(sa);
  EXPECT_EQ(*empty.quantile(0.5), *sa.quantile(0.5));
}

TEST(Sketch, EmptyHasNoAnswerAndSumsSaturate) {
  Sketch s;
  EXPECT_FALSE(s.quantile(0.5).has_value());
  EXPECT_TRUE(s.empty());
  s.add(0);
  EXPECT_EQ(*s.quantile(0.5), 0);
  EXPECT_FALSE(s.quantile(1.5).has_value());
  EXPECT_FALSE(s.quantile(std::nan("")).has_value());
  s.add(std::numeric_limits<int64_t>::max());
  s.add(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(s.sum(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*s.quantile(1.0), std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace agentmetrics
