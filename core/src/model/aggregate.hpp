// Mergeable aggregates: totals of model and tool calls, and a group of totals plus duration
// sketches. Everything here merges exactly, so sessions, turns and recorders combine the same
// way whatever order records arrive in.
#pragma once
#include <cstdint>
#include <limits>
#include <string>

#include "money.hpp"
#include "prices.hpp"
#include "sketch.hpp"
#include "usage.hpp"

namespace agentmetrics {

// sum += v, stopping at INT64_MAX (and noting it in `saturated`).
inline void add_saturating(int64_t &sum, int64_t v, bool &saturated) {
  if (__builtin_add_overflow(sum, v, &sum)) {
    sum = std::numeric_limits<int64_t>::max();
    saturated = true;
  }
}

struct Totals {
  uint64_t model_calls = 0, calls_with_usage = 0, calls_missing_usage = 0, calls_unpriced = 0;
  uint64_t model_errors = 0, retries = 0, tool_calls = 0, tool_errors = 0, turns = 0;
  uint64_t priced_calls = 0;
  uint64_t folded_calls = 0;  // calls folded into an AGM_OTHER_KEY group by a key cap
  int64_t tokens[kTokenKinds] = {};
  uint32_t token_present = 0;  // kinds at least one call reported
  bool saturated = false;      // a token sum stopped at INT64_MAX
  u128 cost[kCostItems] = {};
  u128 cost_total = 0;

  // Inline: it runs on every recorded model call.
  void add_model_call(const Usage &usage, const Cost &cost, bool error, bool retry);
  void add_tool_call(bool error) {
    ++tool_calls;
    if (error) ++tool_errors;
  }
  void merge(const Totals &other);

  // Tokens a budget or a display line counts: every reported input kind plus output.
  int64_t all_tokens() const;
  int64_t all_input() const;
};

inline void Totals::add_model_call(const Usage &usage, const Cost &c, bool error, bool retry) {
  ++model_calls;
  if (error) ++model_errors;
  if (retry) ++retries;
  if (usage.empty()) {
    ++calls_missing_usage;
    return;
  }
  ++calls_with_usage;
  // Absent kinds hold 0, so every kind can be added without a branch on its presence.
  for (int k = 0; k < kTokenKinds; ++k) add_saturating(tokens[k], usage.count[k], saturated);
  token_present |= usage.present;
  if (!c.priced) {
    ++calls_unpriced;
    return;
  }
  ++priced_calls;
  for (int i = 0; i < kCostItems; ++i) cost[i] += c.item[i];
  cost_total += c.total;
}

// What one key of a breakdown holds.
enum DurationKind : int { kDurModelCall = 0, kDurToolCall, kDurTurn, kDurTtft, kDurationKinds };

// What a failure shows: its message, else its type, else "error".
inline std::string_view error_text(std::string_view message, std::string_view type) {
  return !message.empty() ? message : !type.empty() ? type : std::string_view("error");
}

struct Group {
  Totals totals;
  Sketch durations[kDurationKinds];
  std::string last_error;     // of the most recent failing call
  int64_t last_error_at = 0;  // wall-clock ns, to keep the latest when merging
  bool has_last_error = false;

  void note_error(std::string_view message, int64_t at_ns);
  void merge(const Group &other);
};

}  // namespace agentmetrics
