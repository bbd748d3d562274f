// History queries: seed 001's questions and seed 004's invocation aggregate, answered by
// streaming persisted records (journal lines, SQLite rows) through a QueryRun. Memory grows with
// the distinct keys (models, tools, sessions, groups) and `limit`, never with the record count
// (kInvocations aside: the aggregate needs every invocation).
//
// Result documents (JSON, snake_case). All but "invocations" start with "query" (the kind's
// name below), "from" and "to" (ISO 8601 UTC, null when unbounded). Conventions:
//  - Costs are exact decimal USD numbers, null when no call in scope was priced (0 would claim
//    the calls were free); rankings by cost put null last. Durations are `_ms` numbers rounded
//    to the microsecond; timestamps ISO to the millisecond (a call's or turn's end, a session's
//    start). Averages are null when there is nothing to average.
//  - tokens: {input, cache_read, cache_write, cache_write_1h, output, reasoning, total}, a kind
//    only if some call reported it ("total": calls that reported input and output). Turn
//    records never add tokens or cost: their model calls have records of their own.
//  - cost: {input, cache_read, cache_write_5m, cache_write_1h, output, reasoning, total} | null.
//  - "model totals": model_calls, calls_with_usage, calls_missing_usage (never counted as 0
//    tokens), calls_unpriced, model_errors, retries (attempt > 1), tokens, cost.
//  - latency: {count (calls with a duration), mean_ms, p50_ms, p95_ms, p99_ms, max_ms}, null
//    values when count is 0; quantiles within 1/128 (the sketch), mean and max exact.
//  - Empty labels are null as values; as keys, unlabelled records group under "" (no real
//    label is empty). A session's agent/phase/task: the value on its earliest record with one.
//    Ties break by key (or every field shown): output never depends on record order.
// summary: model totals, tool_calls, tool_errors, turns, sessions (distinct non-empty ids),
//   avg_cost_per_session, avg_tokens_per_session (input + cache + output), model_latency,
//   tool_latency, cost_by_model {model: cost}, calls_by_tool {tool: n}, errors_by_tool
//   {tool: n}, slowest_tools [{tool, calls, avg_ms, p50_ms, p95_ms, p99_ms, max_ms}] (top
//   `limit` by mean), most_expensive_sessions [{session, cost}] (top `limit`, model callers).
// cost_breakdown: group_by ("model", "provider", "source", "agent", "phase", "task", "session",
//   "day": UTC "YYYY-MM-DD", "tool"), model totals, avg_cost_per_call (over priced calls),
//   avg_tokens_per_call (over calls with usage), groups [{key, model totals}] by cost, then key.
//   By tool, a group is a tool's own calls plus the model calls it made (source "tool:NAME");
//   the agent's own model calls group under ""; each group also has tool_calls, tool_errors.
// tools: name (filter or null), tools [{name, calls, errors, success_rate (percent, 1 decimal),
//   avg_ms, p50_ms, p95_ms, p99_ms, max_ms, last_error, last_error_at}] by calls, then name, at
//   most `limit` (a named tool without calls: []). Error text: error_message, else error_type,
//   else "error".
// slow: threshold_ms, operations [{type (model_call | tool_call | turn), name (model, tool,
//   "turn N"), duration_ms, timestamp, session}], duration >= threshold, slowest (then
//   earliest) first, at most `limit`.
// errors: model_errors, tool_errors, recent_errors [{type, name, error_type, message,
//   timestamp, session}] newest first, at most `limit`; error_counts_by_tool and
//   error_counts_by_model {name: n} over every failure in range.
// expensive_sessions: sessions [{session, agent, first, last (record timestamps), model totals,
//   tool_calls, tool_errors}] with model calls, by cost then id, at most `limit`.
// session: session, agent, phase, task, started (session record, else earliest record),
//   last_activity, model totals, tool_calls, tool_errors, tools_used {tool: n}, turns,
//   duration_ms (sum of its turns), model_latency, tool_latency. NotFound: no record in range.
// invocations: invocation_aggregate_json() of the invocation records in range, unchanged.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "invocations.hpp"
#include "record.hpp"

namespace agentmetrics {

enum class QueryKind {
  kSummary,
  kCostBreakdown,
  kTools,
  kSlow,
  kErrors,
  kExpensiveSessions,
  kSession,
  kInvocations
};
enum class GroupBy { kModel, kProvider, kSource, kAgent, kPhase, kTask, kSession, kDay, kTool };

struct Query {
  QueryKind kind = QueryKind::kSummary;
  int64_t from = INT64_MIN, to = INT64_MAX;  // wall-clock ns, from <= ts < to
  GroupBy group_by = GroupBy::kModel;        // kCostBreakdown
  std::string name;                          // kTools: only this tool (empty: all); kSession: the id
  int64_t threshold_ns = 5'000'000'000;      // kSlow
  uint32_t limit = 10;            // list lengths: kTools, kSlow, kErrors, kExpensiveSessions, kSummary's tops
  InvocationOptions invocations;  // kInvocations
};

// The record kinds a query reads, as bits (1u << RecordKind), so a store can skip the others.
uint32_t query_kinds(const Query &q);

// Seed 001's period names -> [from, to): "hour", "day", "week" and "month" (30 days) start at
// now - span and are open-ended (to = INT64_MAX); "all" is unbounded. InvalidArgument otherwise.
std::pair<int64_t, int64_t> period_range(std::string_view period, int64_t now_ns);

class QueryRun {
 public:
  // InvalidArgument: kSession without name, limit 0, threshold < 0, from > to, bucket_ns <= 0, bad enum.
  explicit QueryRun(Query q);
  ~QueryRun();
  QueryRun(QueryRun &&) noexcept;
  QueryRun &operator=(QueryRun &&) noexcept;

  // Ignores records outside [from, to) and kinds the query does not read; copies only what it keeps.
  void add(const RecordView &r);
  // Records a store's writers dropped (ReadReport::dropped, from its "dropped" markers, over
  // the whole store whatever the range): documents but "invocations" then have
  // "dropped_records" (the count), "dropped_from" and "dropped_to" (ISO times of the earliest
  // and latest of them) after "to". Absent when 0.
  void set_dropped(uint64_t records, int64_t from, int64_t to);
  // The result document (above). kSession with no record of that session: NotFound.
  std::string finish() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace agentmetrics
