#include "parallelism.hpp"

#include <algorithm>
#include <string>

#include "errors.hpp"

namespace agentmetrics {

namespace {

__extension__ typedef __int128 i128;

}  // namespace

// A sweep over the distinct event times: the level (intervals running) after applying every
// start and end at t holds over [t, next t); zero-duration intervals add to t's instant only.
Parallelism Parallelism::compute(Spans &spans, int64_t bucket_ns, int64_t max_buckets) {
  if (bucket_ns <= 0)
    throw InvalidArgument("bucket width must be positive (" + std::to_string(bucket_ns) + ")");
  Parallelism p;
  if (spans.empty()) return p;
  std::vector<int64_t> &starts = spans.starts_, &ends = spans.ends_, &points = spans.points_;
  std::sort(starts.begin(), starts.end());
  std::sort(ends.begin(), ends.end());
  std::sort(points.begin(), points.end());

  p.first_bucket = floor_div(spans.first(), bucket_ns);
  const int64_t last_bucket = floor_div(spans.last(), bucket_ns);
  const i128 count = i128{last_bucket} - p.first_bucket + 1;
  if (count > max_buckets) throw InvalidArgument("bucket width too small for the time span");
  // Bucket starts must be representable timestamps.
  if (i128{p.first_bucket} * bucket_ns < std::numeric_limits<int64_t>::min()) {
    throw InvalidArgument("bucket width too large for the earliest start");
  }
  const size_t n = static_cast<size_t>(count);
  auto bucket_of = [&](int64_t t) { return static_cast<size_t>(floor_div(t, bucket_ns) - p.first_bucket); };

  // concurrent: each interval covers a contiguous run of buckets, from its start's to its last
  // instant's; a difference array adds them. Each side can be counted on its own.
  std::vector<int64_t> diff(n + 1, 0);
  for (int64_t s : starts) ++diff[bucket_of(s)];
  for (int64_t e : ends) --diff[bucket_of(e - 1) + 1];
  for (int64_t t : points) {
    ++diff[bucket_of(t)];
    --diff[bucket_of(t) + 1];
  }
  p.concurrent.resize(n);
  int64_t running = 0;
  for (size_t b = 0; b < n; ++b) p.concurrent[b] = running += diff[b];

  // A merge of the three sorted sides.
  p.bucket_peak.assign(n, 0);
  size_t si = 0, ei = 0, pi = 0;
  auto left = [&] { return si < starts.size() || ei < ends.size() || pi < points.size(); };
  auto next_time = [&] {
    int64_t t = std::numeric_limits<int64_t>::max();
    if (si < starts.size()) t = std::min(t, starts[si]);
    if (ei < ends.size()) t = std::min(t, ends[ei]);
    if (pi < points.size()) t = std::min(t, points[pi]);
    return t;
  };
  int64_t level = 0;
  while (left()) {
    const int64_t t = next_time();
    int64_t instant = 0;
    for (; si < starts.size() && starts[si] == t; ++si) ++level;
    for (; ei < ends.size() && ends[ei] == t; ++ei) --level;
    for (; pi < points.size() && points[pi] == t; ++pi) ++instant;
    instant += level;
    p.peak = std::max(p.peak, instant);
    // An end exactly on the boundary after the last bucket falls outside every bucket; nothing
    // runs there.
    const size_t b = bucket_of(t);
    if (b < n) p.bucket_peak[b] = std::max(p.bucket_peak[b], instant);
    // The level also holds at the start of every later bucket reached before the next event
    // (a positive level has ends still to come).
    if (level > 0) {
      const size_t until = bucket_of(next_time() - 1);
      for (size_t k = b + 1; k <= until; ++k) p.bucket_peak[k] = std::max(p.bucket_peak[k], level);
    }
  }
  return p;
}

}  // namespace agentmetrics
