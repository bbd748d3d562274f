// Seed 004's invocation metrics: an owning InvocationMetric, its validation, and the
// MetricsAggregate summary computed over a set of them.
//
// MetricsAggregate, as a JSON object with these members in this order:
//   total_invocations        number of invocations.
//   invocations_by_agent     {agent: count}.
//   invocations_by_phase     {"<phase>": count}; phase keys are decimal strings in ascending
//                            numeric order ("-1", "2", "10").
//   total_retries            invocations with attempt > 1 (a retry).
//   retries_by_agent         {agent: retries}; every agent of invocations_by_agent, 0 included.
//   retries_by_phase         {"<phase>": retries}; every phase of invocations_by_phase.
//   infra_retries            retries whose error_class is set (non-empty): the seed's
//                            "infrastructure retries"; the rest failed for other reasons.
//   total_tokens             sum of tokens.
//   total_cost               sum of cost, USD.
//   total_cached_tokens      sum of cached_tokens where present (absent adds nothing).
//   tokens_by_agent          {agent: sum of tokens}.
//   cost_by_agent            {agent: sum of cost}.
//   total_duration_ms        sum of durations, milliseconds.
//   avg_duration_by_agent    {agent: sum of durations / invocations}, milliseconds.
//   peak_parallel_invocations
//                            the most invocations running at one instant. An invocation runs
//                            over [start_ns, start_ns + duration_ns): one ending exactly when
//                            another starts does not overlap it. A zero-duration invocation
//                            runs at its start instant only.
//   parallelism_over_time    [{"bucket_start": "2026-11-22T10:00:00.000Z", "concurrent": n,
//                            "peak": n}, ...]: buckets [b, b + bucket_ns) with b a multiple of
//                            bucket_ns since the epoch, every bucket from the one holding the
//                            earliest start to the one holding the last instant any invocation
//                            runs (so an interval ending exactly on a boundary opens no bucket),
//                            empty ones included. concurrent: invocations running at some
//                            instant of the bucket; peak: the most running at one instant of
//                            it (peak <= concurrent). More than kMaxInvocationBuckets buckets
//                            throws InvalidArgument rather than allocating without bound.
//   escalation_count         retries (attempt > 1) whose tier ranks strictly higher than the
//                            tier of the same task's previous attempt. A task is the key
//                            (agent, phase, task_id), or (agent, phase) without a task_id. The
//                            previous attempt is the invocation of that key with the greatest
//                            attempt below this one; among several, the latest start_ns (then
//                            the greatest invocation_id). No previous attempt recorded: not an
//                            escalation. Rank: if both tiers are decimal integers (ASCII digits
//                            only) they compare numerically; otherwise each tier's position in
//                            InvocationOptions::tier_order (ascending; the first occurrence
//                            counts). A missing or unranked tier never escalates.
//   success_rate             successes / total_invocations in [0, 1]; 0 when there are none.
//
// Numbers: counts and token sums are integers. Costs are exact decimals written as JSON
// numbers (money_to_decimal: 0.1 + 0.2 is written 0.3, never through binary floating point).
// Durations in milliseconds are rounded to the nearest microsecond (halves up) and written
// with at most 3 decimals, trailing zeros dropped: 1500000 ns is 1.5, 2000 ns is 0.002.
// success_rate is the shortest decimal that round-trips the double. Map keys are sorted and
// the output is the same whatever order the invocations come in. Empty input gives zero
// counts, empty maps and arrays, and a success_rate of 0.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "money.hpp"
#include "record.hpp"

namespace agentmetrics {

// An owning InvocationMetric.
struct Invocation : InvocationNumbers {
  std::string invocation_id, agent, task_id, model, tier, error_class;  // empty: absent

  Invocation() = default;
  explicit Invocation(const InvocationView &v);
  // Borrows this object's strings: valid while it lives unchanged.
  InvocationView view() const;
};

struct InvocationOptions {
  int64_t bucket_ns = 60'000'000'000;  // parallelism_over_time bucket width (> 0)
  std::vector<std::string> tier_order = {"low", "medium", "high"};  // ascending rank
};

// parallelism_over_time never holds more buckets than this.
inline constexpr int64_t kMaxInvocationBuckets = 100'000;

// Throws InvalidArgument naming the field for what must not be recorded: an empty
// invocation_id or agent, a negative duration_ns, tokens or token count, attempt < 1, a
// start_ns + duration_ns past the int64 range, or a string that is not valid UTF-8.
void validate_invocation(const InvocationView &v);

// Seed 004's MetricsAggregate as a JSON object (see above), computed from `all` in any order.
// Every invocation is validated first; bucket_ns <= 0 or too many buckets throw
// InvalidArgument.
std::string invocation_aggregate_json(const std::vector<Invocation> &all, const InvocationOptions &options);

}  // namespace agentmetrics
