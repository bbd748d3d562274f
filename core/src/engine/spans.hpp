// Spans and sums of times, for the records (calls.cpp) and the turns (turns.cpp) of a session.
#pragma once
#include <cstdint>

#include "errors.hpp"

namespace agentmetrics {

// end - start for caller-given times, which may be anything an injected clock returns.
inline int64_t checked_span(int64_t start, int64_t end) {
  int64_t span;
  if (__builtin_sub_overflow(end, start, &span)) throw InvalidArgument("the times are too far apart");
  return span;
}

inline int64_t saturated_add(int64_t a, int64_t b) {
  int64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

// end - start, saturated, where a span was validated before or an exception is not an option.
inline int64_t saturated_span(int64_t start, int64_t end) {
  int64_t span;
  return __builtin_sub_overflow(end, start, &span) ? (end > start ? INT64_MAX : INT64_MIN) : span;
}

}  // namespace agentmetrics
