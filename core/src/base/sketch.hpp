// Mergeable duration sketch with a relative error bound.
//
// Log-linear buckets over non-negative nanoseconds: values below 128 have a bucket each;
// above, every power of two [2^e, 2^(e+1)) is split into 64 equal buckets. A bucket [lo, hi)
// is reported as the value minimising the worst relative error over it, 2*lo*hi/(lo+hi), so a
// quantile is within (hi-lo)/(hi+lo) <= 1/128 of the exact order statistic. Merging adds
// bucket counts, so merged sketches carry no extra error. Counts live in a dense array that
// grows to cover the smallest and largest bucket seen.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "money.hpp"  // u128

namespace agentmetrics {

class Sketch {
 public:
  static constexpr int kSubBucketBits = 6;
  static constexpr double kRelativeError = 1.0 / 128;

  // value_ns >= 0. Inline: the common case is one bucket increment.
  void add(int64_t value_ns) {
    const int index = bucket_index(value_ns);
    const size_t i = static_cast<size_t>(index - offset_);
    if (count_ == 0 || index < offset_ || i >= counts_.size()) {
      add_slow(value_ns, index);
      return;
    }
    ++counts_[i];
    if (value_ns < min_) min_ = value_ns;
    if (value_ns > max_) max_ = value_ns;
    ++count_;
    sum_ += static_cast<u128>(value_ns);
  }
  void merge(const Sketch &other);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  // Exact sum, saturated at INT64_MAX.
  int64_t sum() const {
    return sum_ > kSumMax ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(sum_);
  }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // Estimate of the order statistic at rank floor(q * (count - 1)); nullopt when empty.
  std::optional<int64_t> quantile(double q) const;

  static int bucket_index(int64_t v) {
    if (v < 2 * kSub) return static_cast<int>(v);                  // values below 128 are exact
    const int e = 63 - __builtin_clzll(static_cast<uint64_t>(v));  // v in [2^e, 2^(e+1))
    return ((e - kSubBucketBits + 1) << kSubBucketBits) +
           static_cast<int>((v >> (e - kSubBucketBits)) & (kSub - 1));
  }
  static int64_t bucket_lower(int index);  // smallest value in the bucket
  static int64_t bucket_upper(int index);  // largest value in the bucket

 private:
  static constexpr u128 kSumMax = static_cast<u128>(std::numeric_limits<int64_t>::max());
  static constexpr int kSub = 1 << kSubBucketBits;  // sub-buckets per power of two
  void ensure(int index);
  void add_slow(int64_t value_ns, int index);

  std::vector<uint64_t> counts_;  // counts_[i] counts bucket offset_ + i
  int offset_ = 0;
  uint64_t count_ = 0;
  u128 sum_ = 0;  // values are non-negative
  int64_t min_ = 0, max_ = 0;
};

}  // namespace agentmetrics
