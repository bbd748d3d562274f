#include "sketch.hpp"

#include <algorithm>
#include <cmath>

namespace agentmetrics {

namespace {
constexpr int kSub = 1 << Sketch::kSubBucketBits;  // 64
constexpr int kLinear = 2 * kSub;                  // values below 128 are exact
}  // namespace

int64_t Sketch::bucket_lower(int index) {
  if (index < kLinear) return index;
  const int e = (index >> kSubBucketBits) + kSubBucketBits - 1;
  const int64_t sub = index & (kSub - 1);
  return (int64_t{kSub} + sub) << (e - kSubBucketBits);
}

int64_t Sketch::bucket_upper(int index) {
  if (index < kLinear) return index;
  const int e = (index >> kSubBucketBits) + kSubBucketBits - 1;
  const int64_t width = int64_t{1} << (e - kSubBucketBits);
  // The top bucket ends at INT64_MAX; compute without overflowing.
  return bucket_lower(index) + (width - 1);
}

void Sketch::ensure(int index) {
  if (counts_.empty()) {
    offset_ = index;
    counts_.assign(1, 0);
    return;
  }
  if (index < offset_) {
    counts_.insert(counts_.begin(), static_cast<size_t>(offset_ - index), 0);
    offset_ = index;
  } else if (index >= offset_ + static_cast<int>(counts_.size())) {
    counts_.resize(static_cast<size_t>(index - offset_) + 1, 0);
  }
}

void Sketch::add_slow(int64_t v, int index) {
  ensure(index);
  ++counts_[static_cast<size_t>(index - offset_)];
  if (count_ == 0) {
    min_ = max_ = v;
  } else {
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  ++count_;
  sum_ += static_cast<u128>(v);
}

void Sketch::merge(const Sketch &other) {
  if (other.count_ == 0) return;
  ensure(other.offset_);
  ensure(other.offset_ + static_cast<int>(other.counts_.size()) - 1);
  for (size_t i = 0; i < other.counts_.size(); ++i) {
    counts_[static_cast<size_t>(other.offset_ - offset_) + i] += other.counts_[i];
  }
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

std::optional<int64_t> Sketch::quantile(double q) const {
  if (count_ == 0 || !(q >= 0.0 && q <= 1.0)) return std::nullopt;
  const uint64_t rank = static_cast<uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  if (rank == 0) return min_;  // the extremes are known exactly
  if (rank == count_ - 1) return max_;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen > rank) {
      const int index = offset_ + static_cast<int>(i);
      const double lo = static_cast<double>(bucket_lower(index));
      const double hi = static_cast<double>(bucket_upper(index)) + 1.0;
      const double best = index < kLinear ? lo : 2.0 * lo * hi / (lo + hi);
      const auto estimate = static_cast<int64_t>(std::llround(best));
      return std::clamp(estimate, min_, max_);
    }
  }
  return max_;  // unreachable: the counts sum to count_
}

}  // namespace agentmetrics
