// How many things run at once: seed 004's parallelism_over_time, shared by the invocation
// aggregate and the HTML report. An interval runs over [start, start + duration): one ending
// exactly when another starts does not overlap it; a zero-duration one runs at its start
// instant only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace agentmetrics {

// a / b rounded toward negative infinity (b > 0): the index of the bucket of width b holding a.
inline int64_t floor_div(int64_t a, int64_t b) {
  return a / b - (a % b < 0 ? 1 : 0);
}

// The intervals, 16 bytes each (8 for a zero-duration one): starts and ends are kept apart,
// since the sweep only needs each side in time order, not which start goes with which end.
class Spans {
 public:
  // duration >= 0 and start + duration within int64 (the caller checks).
  void add(int64_t start, int64_t duration) {
    if (duration == 0) {
      points_.push_back(start);
    } else {
      starts_.push_back(start);
      ends_.push_back(start + duration);
    }
    if (start < first_) first_ = start;
    const int64_t last = duration == 0 ? start : start + duration - 1;
    if (last > last_) last_ = last;
  }
  bool empty() const { return starts_.empty() && points_.empty(); }
  size_t size() const { return starts_.size() + points_.size(); }
  int64_t first() const { return first_; }  // the earliest start
  int64_t last() const { return last_; }    // the last instant anything runs
  void clear() { *this = Spans(); }         // frees the memory too

 private:
  friend struct Parallelism;
  std::vector<int64_t> starts_, ends_, points_;
  int64_t first_ = std::numeric_limits<int64_t>::max(), last_ = std::numeric_limits<int64_t>::min();
};

struct Parallelism {
  int64_t peak = 0;          // the most running at one instant
  int64_t first_bucket = 0;  // index: bucket start = index * bucket_ns
  // Per bucket [b, b + bucket_ns), b a multiple of bucket_ns, from the one holding the first
  // start to the one holding the last instant: running at some instant of it, and the most
  // running at one instant of it (peak <= concurrent).
  std::vector<int64_t> concurrent, bucket_peak;

  // Sorts `spans` in place (their set is unchanged). InvalidArgument: bucket_ns <= 0, more
  // than max_buckets buckets, or a first bucket start before the int64 range.
  static Parallelism compute(Spans &spans, int64_t bucket_ns, int64_t max_buckets);
};

}  // namespace agentmetrics
