#include "aggregate.hpp"

namespace agentmetrics {

void Totals::merge(const Totals &o) {
  model_calls += o.model_calls;
  calls_with_usage += o.calls_with_usage;
  calls_missing_usage += o.calls_missing_usage;
  calls_unpriced += o.calls_unpriced;
  model_errors += o.model_errors;
  retries += o.retries;
  tool_calls += o.tool_calls;
  tool_errors += o.tool_errors;
  turns += o.turns;
  priced_calls += o.priced_calls;
  folded_calls += o.folded_calls;
  for (int k = 0; k < kTokenKinds; ++k) add_saturating(tokens[k], o.tokens[k], saturated);
  token_present |= o.token_present;
  saturated = saturated || o.saturated;
  for (int i = 0; i < kCostItems; ++i) cost[i] += o.cost[i];
  cost_total += o.cost_total;
}

int64_t Totals::all_input() const {
  int64_t sum = 0;
  bool ignored = false;
  for (TokenKind k : {kInput, kCacheRead, kCacheWrite}) add_saturating(sum, tokens[k], ignored);
  return sum;
}

int64_t Totals::all_tokens() const {
  int64_t sum = all_input();
  bool ignored = false;
  add_saturating(sum, tokens[kOutput], ignored);
  return sum;
}

void Group::note_error(std::string_view message, int64_t at_ns) {
  if (!has_last_error || at_ns >= last_error_at) {
    last_error.assign(message);
    last_error_at = at_ns;
    has_last_error = true;
  }
}

void Group::merge(const Group &o) {
  totals.merge(o.totals);
  for (int k = 0; k < kDurationKinds; ++k) durations[k].merge(o.durations[k]);
  if (o.has_last_error) note_error(o.last_error, o.last_error_at);
}

}  // namespace agentmetrics
