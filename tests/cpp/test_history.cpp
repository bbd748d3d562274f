// The history query engine: every result document, parsed back with simdjson.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "errors.hpp"
#include "history.hpp"
#include "test_records.hpp"
#include "timefmt.hpp"

namespace agentmetrics {
namespace {

using namespace test_records;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1000 * kMs;
constexpr u128 kMicroUsd = kAttoPerUsd / 1'000'000;
const int64_t kT0 = *parse_iso("2026-11-22T10:00:00Z");

// A parsed result document: DOM access by JSON pointer, and numbers' exact text.
class Doc {
 public:
  explicit Doc(std::string json) : text_(std::move(json)), padded_(text_) {
    auto err = dom_.parse(padded_).get(root_);
    if (err) ADD_FAILURE() << simdjson::error_message(err) << ": " << text_;
  }
  simdjson::dom::element at(const std::string &pointer) const {
    simdjson::dom::element e;
    auto err = root_.at_pointer(pointer).get(e);
    if (err) ADD_FAILURE() << pointer << " missing in " << text_;
    return e;
  }
  bool has(const std::string &pointer) const {
    simdjson::dom::element e;
    return !root_.at_pointer(pointer).get(e);
  }
  int64_t i(const std::string &pointer) const { return int64_t(at(pointer)); }
  double d(const std::string &pointer) const { return double(at(pointer)); }
  std::string s(const std::string &pointer) const { return std::string(std::string_view(at(pointer))); }
  bool null(const std::string &pointer) const { return at(pointer).is_null(); }
  // Members of an object or elements of an array.
  size_t size(const std::string &pointer) const {
    const simdjson::dom::element e = at(pointer);
    return e.is_array() ? simdjson::dom::array(e).size() : simdjson::dom::object(e).size();
  }
  // The number as written (costs must be exact decimals, which a double cannot show).
  std::string raw(const std::string &pointer) const {
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc = parser.iterate(padded_);
    std::string_view token = doc.at_pointer(pointer).raw_json_token();
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    return std::string(token);
  }
  const std::string &text() const { return text_; }

 private:
  std::string text_;
  simdjson::padded_string padded_;
  simdjson::dom::parser dom_;
  simdjson::dom::element root_;
};

RecordView turn(int64_t ts, std::string_view session, uint64_t index, int64_t duration) {
  RecordView r;
  r.kind = RecordKind::kTurn;
  r.ts = ts;
  r.session = session;
  r.turn = index;
  r.duration_ns = duration;
  r.model_calls = 1;
  r.turn_tokens = 1'000'000;  // summarises model calls with records of their own
  r.turn_cost = 1000 * kAttoPerUsd;
  return r;
}

RecordView session_record(int64_t ts, std::string_view session, std::string_view agent) {
  RecordView r;
  r.kind = RecordKind::kSession;
  r.ts = ts;
  r.session = session;
  r.agent = agent;
  return r;
}

Query query(QueryKind kind) {
  Query q;
  q.kind = kind;
  return q;
}

std::string run(const Query &q, const std::vector<RecordView> &records) {
  QueryRun run(q);
  for (const RecordView &r : records) run.add(r);
  return run.finish();
}

// Two sessions, three models (one unpriced, one call without usage), tools, a turn.
std::vector<RecordView> mixed_records() {
  Usage cached = usage(1000, 500);
  cached.set(kCacheRead, 200);
  cached.derive_total();
  Cost cached_cost = cost(3000 * kMicroUsd, 7500 * kMicroUsd);
  cached_cost.item[kCostCacheRead] = 60 * kMicroUsd;
  cached_cost.total += 60 * kMicroUsd;
  RecordView retry = model_call(kT0 + 5 * kSec, "s2", "m-a", usage(10, 5), cost(3, 1), 400 * kMs);
  retry.error = true;
  retry.attempt = 2;
  return {
      session_record(kT0, "s1", "planner"),
      model_call(kT0 + 1 * kSec, "s1", "m-a", cached, cached_cost, 1200 * kMs),
      model_call(kT0 + 2 * kSec, "s1", "m-b", usage(100, 1)),  // unpriced
      model_call(kT0 + 3 * kSec, "s2", "m-c"),                 // usage missing
      tool_call(kT0 + 4 * kSec, "s1", "search", 100 * kMs),
      tool_call(kT0 + 5 * kSec, "s1", "search", 300 * kMs, true, "timeout"),
      tool_call(kT0 + 6 * kSec, "s2", "read", 50 * kMs),
      retry,
      turn(kT0 + 7 * kSec, "s1", 1, 9 * kSec),
      session_record(kT0 + 8 * kSec, "s3", "idle"),
  };
}

TEST(HistorySummary, ExactSumsAndCounts) {
  Doc doc(run(query(QueryKind::kSummary), mixed_records()));
  EXPECT_EQ(doc.s("/query"), "summary");
  EXPECT_TRUE(doc.null("/from"));
  EXPECT_TRUE(doc.null("/to"));
  EXPECT_EQ(doc.i("/model_calls"), 4);
  EXPECT_EQ(doc.i("/calls_with_usage"), 3);
  EXPECT_EQ(doc.i("/calls_missing_usage"), 1);
  EXPECT_EQ(doc.i("/calls_unpriced"), 1);
  EXPECT_EQ(doc.i("/model_errors"), 1);
  EXPECT_EQ(doc.i("/retries"), 1);
  // The turn's 1,000,000 tokens and $1000 are its model calls' and are not added again.
  EXPECT_EQ(doc.i("/tokens/input"), 1110);
  EXPECT_EQ(doc.i("/tokens/output"), 506);
  EXPECT_EQ(doc.i("/tokens/cache_read"), 200);
  EXPECT_EQ(doc.i("/tokens/total"), 1816);
  EXPECT_FALSE(doc.has("/tokens/reasoning"));  // nobody reported it
  EXPECT_EQ(doc.raw("/cost/input"), "0.003000000000000003");
  EXPECT_EQ(doc.raw("/cost/cache_read"), "0.00006");
  EXPECT_EQ(doc.raw("/cost/total"), "0.010560000000000004");
  EXPECT_EQ(doc.i("/tool_calls"), 3);
  EXPECT_EQ(doc.i("/tool_errors"), 1);
  EXPECT_EQ(doc.i("/turns"), 1);
  EXPECT_EQ(doc.i("/sessions"), 3);
  EXPECT_EQ(doc.raw("/avg_cost_per_session"), "0.003520000000000001");  // rounded half up
  EXPECT_EQ(doc.raw("/avg_tokens_per_session"), "605.3");
  EXPECT_EQ(doc.i("/model_latency/count"), 2);
  EXPECT_EQ(doc.raw("/model_latency/mean_ms"), "800");
  EXPECT_EQ(doc.raw("/model_latency/max_ms"), "1200");
  EXPECT_EQ(doc.raw("/tool_latency/mean_ms"), "150");
  EXPECT_EQ(doc.raw("/cost_by_model/m-a"), "0.010560000000000004");
  EXPECT_TRUE(doc.null("/cost_by_model/m-b"));
  EXPECT_TRUE(doc.null("/cost_by_model/m-c"));
  EXPECT_EQ(doc.i("/calls_by_tool/search"), 2);
  EXPECT_EQ(doc.i("/calls_by_tool/read"), 1);
  EXPECT_EQ(doc.i("/errors_by_tool/search"), 1);
  EXPECT_FALSE(doc.has("/errors_by_tool/read"));
  ASSERT_EQ(doc.size("/slowest_tools"), 2u);
  EXPECT_EQ(doc.s("/slowest_tools/0/tool"), "search");
  EXPECT_EQ(doc.raw("/slowest_tools/0/avg_ms"), "200");
  EXPECT_EQ(doc.s("/slowest_tools/1/tool"), "read");
  ASSERT_EQ(doc.size("/most_expensive_sessions"), 2u);  // s3 made no model call
  EXPECT_EQ(doc.s("/most_expensive_sessions/0/session"), "s1");
  EXPECT_EQ(doc.raw("/most_expensive_sessions/0/cost"), "0.01056");
  EXPECT_EQ(doc.raw("/most_expensive_sessions/1/cost"), "0.000000000000000004");
}

TEST(HistorySummary, EmptyAndTurnOnlyStreams) {
  Doc empty(run(query(QueryKind::kSummary), {}));
  EXPECT_EQ(empty.i("/model_calls"), 0);
  EXPECT_TRUE(empty.null("/cost"));
  EXPECT_TRUE(empty.null("/avg_cost_per_session"));
  EXPECT_TRUE(empty.null("/avg_tokens_per_session"));
  EXPECT_EQ(empty.i("/model_latency/count"), 0);
  EXPECT_TRUE(empty.null("/model_latency/p95_ms"));
  Doc turns(run(query(QueryKind::kSummary), {turn(kT0, "s", 1, kSec), turn(kT0, "s", 2, kSec)}));
  EXPECT_EQ(turns.i("/turns"), 2);
  EXPECT_EQ(turns.size("/tokens"), 0u);
  EXPECT_TRUE(turns.null("/cost"));
}

TEST(HistoryRange, FromInclusiveToExclusive) {
  Query q = query(QueryKind::kSummary);
  q.from = kT0;
  q.to = kT0 + 10 * kSec;
  std::vector<RecordView> records;
  for (int64_t ts : {kT0 - 1, kT0, kT0 + 10 * kSec - 1, kT0 + 10 * kSec}) {
    records.push_back(model_call(ts, "s", "m", usage(1, 1), cost(1, 1)));
  }
  Doc doc(run(q, records));
  EXPECT_EQ(doc.i("/model_calls"), 2);
  EXPECT_EQ(doc.raw("/cost/total"), "0.000000000000000004");
  EXPECT_EQ(doc.s("/from"), "2026-11-22T10:00:00.000Z");
  EXPECT_EQ(doc.s("/to"), "2026-11-22T10:00:10.000Z");
}

TEST(HistoryRange, PeriodNames) {
  const int64_t hour = 3600 * kSec;
  EXPECT_EQ(period_range("hour", kT0), std::pair(kT0 - hour, std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(period_range("day", kT0).first, kT0 - 24 * hour);
  EXPECT_EQ(period_range("week", kT0).first, kT0 - 7 * 24 * hour);
  EXPECT_EQ(period_range("month", kT0).first, kT0 - 30 * 24 * hour);
  EXPECT_EQ(period_range("all", kT0),
            std::pair(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(period_range("day", std::numeric_limits<int64_t>::min() + 5).first,
            std::numeric_limits<int64_t>::min());  // saturates
  EXPECT_THROW(period_range("year", kT0), InvalidArgument);
  EXPECT_THROW(period_range("", kT0), InvalidArgument);
  EXPECT_THROW(period_range("Day", kT0), InvalidArgument);
}

TEST(HistoryCostBreakdown, EveryDimension) {
  auto labelled = [](int64_t ts, std::string_view label, u128 micro) {
    RecordView r = model_call(ts, label, label, usage(10, 10), cost(micro * kMicroUsd, 0));
    r.provider = r.source = r.agent = r.phase = r.task = label;
    return r;
  };
  const std::vector<RecordView> records = {labelled(kT0, "b", 2), labelled(kT0 + 1, "a", 2),
                                           labelled(kT0 + 2, "c", 5), labelled(kT0 + 3, "", 1),
                                           labelled(kT0 + 4, "c", 1)};
  const std::pair<GroupBy, const char *> dims[] = {
      {GroupBy::kModel, "model"},    {GroupBy::kProvider, "provider"}, {GroupBy::kSource, "source"},
      {GroupBy::kAgent, "agent"},    {GroupBy::kPhase, "phase"},       {GroupBy::kTask, "task"},
      {GroupBy::kSession, "session"}};
  for (auto [by, name] : dims) {
    Query q = query(QueryKind::kCostBreakdown);
    q.group_by = by;
    Doc doc(run(q, records));
    EXPECT_EQ(doc.s("/group_by"), name);
    EXPECT_EQ(doc.i("/model_calls"), 5);
    EXPECT_EQ(doc.raw("/cost/total"), "0.000011");
    EXPECT_EQ(doc.raw("/avg_cost_per_call"), "0.0000022");
    EXPECT_EQ(doc.raw("/avg_tokens_per_call"), "20");
    ASSERT_EQ(doc.size("/groups"), 4u) << name;
    // By cost, then key; the unlabelled record groups under "".
    EXPECT_EQ(doc.s("/groups/0/key"), "c");
    EXPECT_EQ(doc.i("/groups/0/model_calls"), 2);
    EXPECT_EQ(doc.raw("/groups/0/cost/total"), "0.000006");
    EXPECT_EQ(doc.s("/groups/1/key"), "a");
    EXPECT_EQ(doc.s("/groups/2/key"), "b");
    EXPECT_EQ(doc.s("/groups/3/key"), "");
    EXPECT_EQ(doc.i("/groups/3/tokens/total"), 20);
  }
}

TEST(HistoryCostBreakdown, UnpricedGroupsLastAndCounted) {
  Query q = query(QueryKind::kCostBreakdown);
  Doc doc(run(q, {model_call(kT0, "s", "free", usage(1, 1)), model_call(kT0, "s", "none"),
                  model_call(kT0, "s", "paid", usage(1, 1), cost(0, 0))}));
  ASSERT_EQ(doc.size("/groups"), 3u);
  EXPECT_EQ(doc.s("/groups/0/key"), "paid");  // priced at 0 still ranks above unpriced
  EXPECT_EQ(doc.raw("/groups/0/cost/total"), "0");
  EXPECT_EQ(doc.s("/groups/1/key"), "free");
  EXPECT_EQ(doc.i("/groups/1/calls_unpriced"), 1);
  EXPECT_TRUE(doc.null("/groups/1/cost"));
  EXPECT_EQ(doc.i("/groups/2/calls_missing_usage"), 1);
  EXPECT_EQ(doc.raw("/avg_cost_per_call"), "0");
  EXPECT_EQ(doc.raw("/avg_tokens_per_call"), "2");
  Doc none(run(q, {model_call(kT0, "s", "none")}));
  EXPECT_TRUE(none.null("/cost"));
  EXPECT_TRUE(none.null("/avg_cost_per_call"));
  EXPECT_TRUE(none.null("/avg_tokens_per_call"));
}

TEST(HistoryCostBreakdown, DaysSplitAtUtcMidnight) {
  const int64_t midnight = *parse_iso("2026-11-23T00:00:00Z");
  Query q = query(QueryKind::kCostBreakdown);
  q.group_by = GroupBy::kDay;
  Doc doc(run(q, {model_call(midnight - 1, "s", "m", usage(1, 1), cost(kMicroUsd, 0)),
                  model_call(midnight, "s", "m", usage(1, 1), cost(3 * kMicroUsd, 0)),
                  model_call(midnight - 1000 * kMs, "s", "m", usage(1, 1), cost(kMicroUsd, 0)),
                  model_call(-1, "s", "m", usage(1, 1), cost(kMicroUsd, 0))}));
  ASSERT_EQ(doc.size("/groups"), 3u);
  EXPECT_EQ(doc.s("/group_by"), "day");
  EXPECT_EQ(doc.s("/groups/0/key"), "2026-11-23");
  EXPECT_EQ(doc.s("/groups/1/key"), "2026-11-22");
  EXPECT_EQ(doc.i("/groups/1/model_calls"), 2);
  EXPECT_EQ(doc.s("/groups/2/key"), "1969-12-31");
}

TEST(HistoryTools, StatisticsAndLastError) {
  std::vector<RecordView> records;
  std::vector<int64_t> durations;
  for (int i = 1; i <= 200; ++i) {
    const int64_t d = i * 7 * kMs + 123;
    durations.push_back(d);
    const bool error = i % 30 == 0;  // 6 errors
    records.push_back(tool_call(kT0 + i * kSec, "s", "search", d, error, error ? "failure" : ""));
  }
  RecordView last = tool_call(kT0 + 300 * kSec, "s", "search", std::nullopt, true);  // untimed
  last.error_type = "RateLimit";
  records.push_back(last);
  records.push_back(tool_call(kT0, "s", "read", 5 * kMs, true));
  records.push_back(tool_call(kT0, "s", "write", 5 * kMs));
  records.push_back(model_call(kT0, "s", "search"));  // not a tool call
  Doc doc(run(query(QueryKind::kTools), records));
  ASSERT_EQ(doc.size("/tools"), 3u);
  EXPECT_TRUE(doc.null("/name"));
  EXPECT_EQ(doc.s("/tools/0/name"), "search");
  EXPECT_EQ(doc.i("/tools/0/calls"), 201);
  EXPECT_EQ(doc.i("/tools/0/errors"), 7);
  EXPECT_EQ(doc.raw("/tools/0/success_rate"), "96.5");  // 194 / 201 = 96.517%
  EXPECT_EQ(doc.s("/tools/0/last_error"), "RateLimit");
  EXPECT_EQ(doc.s("/tools/0/last_error_at"), format_iso_ms(kT0 + 300 * kSec));
  std::sort(durations.begin(), durations.end());
  const double exact95 = static_cast<double>(durations[static_cast<size_t>(0.95 * 199)]) / kMs;
  EXPECT_NEAR(doc.d("/tools/0/p95_ms"), exact95, exact95 / 128 + 0.001);
  const double exact50 = static_cast<double>(durations[99]) / kMs;
  EXPECT_NEAR(doc.d("/tools/0/p50_ms"), exact50, exact50 / 128 + 0.001);
  EXPECT_EQ(doc.raw("/tools/0/avg_ms"), "703.5");  // exact: 7 * 100.5 ms + 123 ns
  EXPECT_EQ(doc.raw("/tools/0/max_ms"), "1400");
  // Equal call counts: by name. "read" failed without a message: "error".
  EXPECT_EQ(doc.s("/tools/1/name"), "read");
  EXPECT_EQ(doc.raw("/tools/1/success_rate"), "0");
  EXPECT_EQ(doc.s("/tools/1/last_error"), "error");
  EXPECT_EQ(doc.s("/tools/2/name"), "write");
  EXPECT_EQ(doc.raw("/tools/2/success_rate"), "100");
  EXPECT_TRUE(doc.null("/tools/2/last_error"));
  EXPECT_TRUE(doc.null("/tools/2/last_error_at"));

  Query one = query(QueryKind::kTools);
  one.name = "read";
  Doc single(run(one, records));
  EXPECT_EQ(single.s("/name"), "read");
  ASSERT_EQ(single.size("/tools"), 1u);
  EXPECT_EQ(single.i("/tools/0/calls"), 1);
  one.name = "missing";
  EXPECT_EQ(Doc(run(one, records)).size("/tools"), 0u);
  Query limited = query(QueryKind::kTools);
  limited.limit = 1;
  EXPECT_EQ(Doc(run(limited, records)).size("/tools"), 1u);
}

TEST(HistoryTools, LastErrorTieIndependentOfOrder) {
  const std::vector<RecordView> a = {tool_call(kT0, "s", "t", 1, true, "alpha"),
                                     tool_call(kT0, "s", "t", 1, true, "beta")};
  const std::vector<RecordView> b = {a[1], a[0]};
  EXPECT_EQ(run(query(QueryKind::kTools), a), run(query(QueryKind::kTools), b));
  EXPECT_EQ(Doc(run(query(QueryKind::kTools), a)).s("/tools/0/last_error"), "beta");
}

TEST(HistorySlow, ThresholdLimitAndTies) {
  Query q = query(QueryKind::kSlow);
  q.threshold_ns = 2 * kSec;
  q.limit = 3;
  const std::vector<RecordView> records = {
      model_call(kT0 + 1, "s1", "m", {}, {}, 2 * kSec),  // exactly the threshold: included
      model_call(kT0 + 2, "s1", "m", {}, {}, 2 * kSec - 1),
      tool_call(kT0 + 3, "s2", "fetch", 5 * kSec),
      turn(kT0 + 4, "s2", 7, 5 * kSec),  // ties with fetch: earlier first
      tool_call(kT0 + 5, "s2", "fetch", 3 * kSec),
      tool_call(kT0 + 6, "s2", "fetch"),  // no duration
  };
  Doc doc(run(q, records));
  EXPECT_EQ(doc.raw("/threshold_ms"), "2000");
  ASSERT_EQ(doc.size("/operations"), 3u);
  EXPECT_EQ(doc.s("/operations/0/type"), "tool_call");
  EXPECT_EQ(doc.s("/operations/0/name"), "fetch");
  EXPECT_EQ(doc.raw("/operations/0/duration_ms"), "5000");
  EXPECT_EQ(doc.s("/operations/0/session"), "s2");
  EXPECT_EQ(doc.s("/operations/1/type"), "turn");
  EXPECT_EQ(doc.s("/operations/1/name"), "turn 7");
  EXPECT_EQ(doc.s("/operations/1/timestamp"), format_iso_ms(kT0 + 4));
  EXPECT_EQ(doc.raw("/operations/2/duration_ms"), "3000");
  q.limit = 10;
  Doc all(run(q, records));
  ASSERT_EQ(all.size("/operations"), 4u);
  EXPECT_EQ(all.s("/operations/3/type"), "model_call");
  EXPECT_EQ(all.s("/operations/3/name"), "m");
}

TEST(HistoryErrors, NewestFirstWithCounts) {
  RecordView typed = model_call(kT0 + 3, "s1", "m-a");
  typed.error = true;
  typed.error_type = "overloaded";
  RecordView both = tool_call(kT0 + 2, "s2", "fetch", 1, true, "connection reset");
  both.error_type = "IOError";
  Query q = query(QueryKind::kErrors);
  q.limit = 3;
  Doc doc(run(q, {tool_call(kT0 + 1, "s1", "fetch", 1, true, "old"), both, typed,
                  tool_call(kT0 + 4, "s1", "read", 1, true), tool_call(kT0 + 5, "s1", "read", 1, false),
                  model_call(kT0 + 6, "s1", "m-a")}));
  EXPECT_EQ(doc.i("/model_errors"), 1);
  EXPECT_EQ(doc.i("/tool_errors"), 3);
  ASSERT_EQ(doc.size("/recent_errors"), 3u);
  EXPECT_EQ(doc.s("/recent_errors/0/type"), "tool_call");
  EXPECT_EQ(doc.s("/recent_errors/0/name"), "read");
  EXPECT_EQ(doc.s("/recent_errors/0/message"), "error");
  EXPECT_TRUE(doc.null("/recent_errors/0/error_type"));
  EXPECT_EQ(doc.s("/recent_errors/1/type"), "model_call");
  EXPECT_EQ(doc.s("/recent_errors/1/message"), "overloaded");
  EXPECT_EQ(doc.s("/recent_errors/2/message"), "connection reset");  // the message wins
  EXPECT_EQ(doc.s("/recent_errors/2/error_type"), "IOError");
  EXPECT_EQ(doc.s("/recent_errors/2/session"), "s2");
  EXPECT_EQ(doc.i("/error_counts_by_tool/fetch"), 2);  // every failure, not just the listed ones
  EXPECT_EQ(doc.i("/error_counts_by_tool/read"), 1);
  EXPECT_EQ(doc.i("/error_counts_by_model/m-a"), 1);
}

TEST(HistoryExpensiveSessions, RankedByCost) {
  RecordView early = model_call(kT0 + 1, "s1", "m", usage(5, 5), cost(2 * kMicroUsd, 0));
  early.agent = "coder";
  RecordView later = model_call(kT0 + 9, "s1", "m", usage(5, 5), cost(kMicroUsd, 0));
  later.agent = "reviewer";
  Query q = query(QueryKind::kExpensiveSessions);
  const std::vector<RecordView> records = {
      later,
      early,
      tool_call(kT0 + 20, "s1", "read", 1),
      model_call(kT0, "s2", "m", usage(1, 1), cost(3 * kMicroUsd, 0)),
      model_call(kT0, "s3", "m", usage(1, 1), cost(3 * kMicroUsd, 0)),  // ties s2: by id
      model_call(kT0, "s4", "m", usage(1, 1)),                          // unpriced: last
      tool_call(kT0, "s5", "read", 1),                                  // no model call
      model_call(kT0, "", "m", usage(1, 1), cost(9 * kMicroUsd, 0)),    // no session
  };
  Doc doc(run(q, records));
  ASSERT_EQ(doc.size("/sessions"), 4u);
  EXPECT_EQ(doc.s("/sessions/0/session"), "s1");
  EXPECT_EQ(doc.s("/sessions/0/agent"), "coder");  // from the earliest record
  EXPECT_EQ(doc.raw("/sessions/0/cost/total"), "0.000003");
  EXPECT_EQ(doc.i("/sessions/0/tokens/total"), 20);
  EXPECT_EQ(doc.i("/sessions/0/model_calls"), 2);
  EXPECT_EQ(doc.i("/sessions/0/tool_calls"), 1);
  EXPECT_EQ(doc.s("/sessions/0/first"), format_iso_ms(kT0 + 1));
  EXPECT_EQ(doc.s("/sessions/0/last"), format_iso_ms(kT0 + 20));
  EXPECT_EQ(doc.s("/sessions/1/session"), "s2");
  EXPECT_EQ(doc.s("/sessions/2/session"), "s3");
  EXPECT_EQ(doc.s("/sessions/3/session"), "s4");
  EXPECT_TRUE(doc.null("/sessions/3/cost"));
  EXPECT_TRUE(doc.null("/sessions/3/agent"));
  q.limit = 2;
  EXPECT_EQ(Doc(run(q, records)).size("/sessions"), 2u);
}

TEST(HistorySession, OneSessionsMetrics) {
  RecordView start = session_record(kT0, "s1", "coder");
  start.phase = "plan";
  RecordView call =
      model_call(kT0 + 2 * kSec, "s1", "m", usage(100, 20), cost(kMicroUsd, kMicroUsd), 800 * kMs);
  call.task = "T-1";
  call.phase = "build";  // later than the session record's phase
  Query q = query(QueryKind::kSession);
  q.name = "s1";
  Doc doc(run(
      q, {call, start, tool_call(kT0 + 3 * kSec, "s1", "read", 10 * kMs),
          tool_call(kT0 + 4 * kSec, "s1", "read", 30 * kMs, true), tool_call(kT0 + 5 * kSec, "s1", "edit"),
          turn(kT0 + 6 * kSec, "s1", 1, 4 * kSec), turn(kT0 + 9 * kSec, "s1", 2, 2500 * kMs),
          model_call(kT0 + 3 * kSec, "s2", "m", usage(1, 1), cost(kMicroUsd, 0))}));
  EXPECT_EQ(doc.s("/query"), "session");
  EXPECT_EQ(doc.s("/session"), "s1");
  EXPECT_EQ(doc.s("/agent"), "coder");
  EXPECT_EQ(doc.s("/phase"), "plan");
  EXPECT_EQ(doc.s("/task"), "T-1");
  EXPECT_EQ(doc.s("/started"), "2026-11-22T10:00:00.000Z");
  EXPECT_EQ(doc.s("/last_activity"), "2026-11-22T10:00:09.000Z");
  EXPECT_EQ(doc.i("/model_calls"), 1);
  EXPECT_EQ(doc.i("/tokens/total"), 120);
  EXPECT_EQ(doc.raw("/cost/total"), "0.000002");
  EXPECT_EQ(doc.i("/tool_calls"), 3);
  EXPECT_EQ(doc.i("/tool_errors"), 1);
  EXPECT_EQ(doc.i("/tools_used/read"), 2);
  EXPECT_EQ(doc.i("/tools_used/edit"), 1);
  EXPECT_EQ(doc.i("/turns"), 2);
  EXPECT_EQ(doc.raw("/duration_ms"), "6500");
  EXPECT_EQ(doc.raw("/model_latency/mean_ms"), "800");
  EXPECT_EQ(doc.i("/tool_latency/count"), 2);
  EXPECT_EQ(doc.raw("/tool_latency/mean_ms"), "20");

  // Without a session record, it started at its earliest record.
  Doc bare(run(q, {call}));
  EXPECT_EQ(bare.s("/started"), format_iso_ms(kT0 + 2 * kSec));
  EXPECT_TRUE(bare.null("/agent"));
}

TEST(HistorySession, NotFound) {
  Query q = query(QueryKind::kSession);
  q.name = "nope";
  EXPECT_THROW(run(q, mixed_records()), NotFound);
  q.name = "s1";
  q.from = kT0 + 100 * kSec;  // its records are all earlier
  EXPECT_THROW(run(q, mixed_records()), NotFound);
}

TEST(HistoryQuery, InvalidQueries) {
  EXPECT_THROW(QueryRun(query(QueryKind::kSession)), InvalidArgument);  // no session id
  Query q = query(QueryKind::kTools);
  q.limit = 0;
  EXPECT_THROW(QueryRun{q}, InvalidArgument);
  q = query(QueryKind::kSlow);
  q.threshold_ns = -1;
  EXPECT_THROW(QueryRun{q}, InvalidArgument);
  q = query(QueryKind::kSummary);
  q.from = 2;
  q.to = 1;
  EXPECT_THROW(QueryRun{q}, InvalidArgument);
  q = query(static_cast<QueryKind>(99));
  EXPECT_THROW(QueryRun{q}, InvalidArgument);
  q = query(QueryKind::kCostBreakdown);
  q.group_by = static_cast<GroupBy>(99);
  EXPECT_THROW(QueryRun{q}, InvalidArgument);
  q.group_by = GroupBy::kDay;
  q.from = q.to = kT0;  // an empty range is a valid question
  EXPECT_EQ(Doc(run(q, mixed_records())).i("/model_calls"), 0);
}

TEST(HistoryQuery, KindsReadAreTheKindsUsed) {
  auto bits = [](std::initializer_list<RecordKind> kinds) {
    uint32_t b = 0;
    for (RecordKind k : kinds) b |= 1u << static_cast<unsigned>(k);
    return b;
  };
  using K = RecordKind;
  EXPECT_EQ(query_kinds(query(QueryKind::kSummary)),
            bits({K::kModelCall, K::kToolCall, K::kTurn, K::kSession}));
  EXPECT_EQ(query_kinds(query(QueryKind::kCostBreakdown)), bits({K::kModelCall}));
  EXPECT_EQ(query_kinds(query(QueryKind::kTools)), bits({K::kToolCall}));
  EXPECT_EQ(query_kinds(query(QueryKind::kSlow)), bits({K::kModelCall, K::kToolCall, K::kTurn}));
  EXPECT_EQ(query_kinds(query(QueryKind::kErrors)), bits({K::kModelCall, K::kToolCall}));
  EXPECT_EQ(query_kinds(query(QueryKind::kExpensiveSessions)),
            bits({K::kModelCall, K::kToolCall, K::kSession}));
  EXPECT_EQ(query_kinds(query(QueryKind::kSession)),
            bits({K::kModelCall, K::kToolCall, K::kTurn, K::kSession}));
  EXPECT_EQ(query_kinds(query(QueryKind::kInvocations)), bits({K::kInvocation}));
  // A store that ignores the bits gets the same answer: unread kinds are skipped.
  std::vector<RecordView> records = mixed_records();
  std::vector<RecordView> filtered;
  const uint32_t wanted = query_kinds(query(QueryKind::kTools));
  for (const RecordView &r : records) {
    if (wanted & (1u << static_cast<unsigned>(r.kind))) filtered.push_back(r);
  }
  EXPECT_EQ(run(query(QueryKind::kTools), records), run(query(QueryKind::kTools), filtered));
}

// A random stream with many ties (timestamps, durations, costs), fed in several orders.
TEST(HistoryOrder, ShuffledInputGivesTheSameDocuments) {
  std::mt19937_64 rng(7);
  std::deque<std::string> names;  // RecordViews borrow
  auto pick = [&](const char *prefix, int n) -> std::string_view {
    names.emplace_back(prefix).append(std::to_string(rng() % n));  // not `+`: GCC 12 -Wrestrict noise
    return names.back();
  };
  std::vector<RecordView> records;
  for (int i = 0; i < 3000; ++i) {
    const int64_t ts = kT0 + static_cast<int64_t>(rng() % 50) * kSec;
    const int64_t duration = static_cast<int64_t>(rng() % 8) * kSec;
    std::string_view session = pick("s", 12);
    switch (rng() % 4) {
      case 0: {
        RecordView r = model_call(ts, session, pick("m", 4), usage(static_cast<int64_t>(rng() % 5), 3),
                                  cost(static_cast<u128>(rng() % 3) * kMicroUsd, 0), duration);
        if (rng() % 5 == 0) r.usage = {};
        if (rng() % 5 == 0) r.cost = {};
        r.error = rng() % 6 == 0;
        r.error_type = pick("E", 3);
        r.agent = pick("a", 3);
        r.provider = pick("p", 2);
        records.push_back(r);
        break;
      }
      case 1: {
        const bool error = rng() % 4 == 0;
        records.push_back(tool_call(ts, session, pick("t", 5), duration, error, error ? pick("msg", 3) : ""));
        break;
      }
      case 2: records.push_back(turn(ts, session, rng() % 3, duration)); break;
      default: records.push_back(session_record(ts, session, pick("a", 3))); break;
    }
  }
  std::vector<Query> queries;
  for (QueryKind kind : {QueryKind::kSummary, QueryKind::kTools, QueryKind::kSlow, QueryKind::kErrors,
                         QueryKind::kExpensiveSessions, QueryKind::kSession}) {
    Query q = query(kind);
    q.limit = 4;
    q.threshold_ns = 3 * kSec;
    q.name = kind == QueryKind::kSession ? "s3" : "";
    q.from = kT0 + 5 * kSec;
    queries.push_back(q);
  }
  for (GroupBy by :
       {GroupBy::kModel, GroupBy::kProvider, GroupBy::kAgent, GroupBy::kSession, GroupBy::kDay}) {
    Query q = query(QueryKind::kCostBreakdown);
    q.group_by = by;
    queries.push_back(q);
  }
  for (const Query &q : queries) {
    const std::string expected = run(q, records);
    EXPECT_TRUE(Doc(expected).has("/query")) << expected;
    std::vector<RecordView> shuffled = records;
    for (int round = 0; round < 3; ++round) {
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      ASSERT_EQ(run(q, shuffled), expected) << static_cast<int>(q.kind);
    }
  }
}

TEST(HistoryInvocations, SeedAggregateOfTheRecordsInRange) {
  auto invocation = [](int64_t start, std::string_view id, std::string_view agent, int64_t attempt) {
    RecordView r;
    r.kind = RecordKind::kInvocation;
    r.ts = start;
    r.session = "s";
    r.invocation.invocation_id = id;
    r.invocation.agent = agent;
    r.invocation.attempt = attempt;
    r.invocation.start_ns = start;
    r.invocation.duration_ns = 2 * kSec;
    r.invocation.tokens = 100;
    r.invocation.cost = 15 * kMicroUsd;
    r.invocation.success = attempt == 1;
    return r;
  };
  const std::vector<RecordView> records = {
      invocation(kT0, "i1", "coder", 1),
      invocation(kT0 + kSec, "i2", "coder", 2),
      invocation(kT0 + 3 * kSec, "i3", "tester", 1),
      invocation(kT0 + 90 * kSec, "i4", "tester", 1),  // after `to`
      model_call(kT0, "s", "m", usage(1, 1), cost(1, 1)),
  };
  Query q = query(QueryKind::kInvocations);
  q.to = kT0 + 60 * kSec;
  q.invocations.bucket_ns = 10 * kSec;
  const std::string got = run(q, records);
  const std::vector<Invocation> expected = {Invocation(records[0].invocation),
                                            Invocation(records[1].invocation),
                                            Invocation(records[2].invocation)};
  EXPECT_EQ(got, invocation_aggregate_json(expected, q.invocations));  // unchanged
  Doc doc(got);
  EXPECT_EQ(doc.i("/total_invocations"), 3);
  EXPECT_EQ(doc.i("/total_retries"), 1);
  EXPECT_EQ(doc.raw("/total_cost"), "0.000045");
  EXPECT_EQ(doc.i("/peak_parallel_invocations"), 2);
  q.invocations.bucket_ns = 0;
  EXPECT_THROW(QueryRun{q}, InvalidArgument);
}

TEST(HistoryScale, LongStreamKeepsOnlyKeys) {
  Query q = query(QueryKind::kSlow);
  q.threshold_ns = 0;
  q.limit = 3;
  QueryRun slow(q);
  QueryRun summary(query(QueryKind::kSummary));
  const char *tools[] = {"a", "b", "c"};
  for (int64_t i = 0; i < 300'000; ++i) {
    const RecordView r = tool_call(kT0 + i, "s", tools[i % 3], i);
    slow.add(r);
    summary.add(r);
  }
  Doc s(slow.finish());
  ASSERT_EQ(s.size("/operations"), 3u);
  EXPECT_EQ(s.raw("/operations/0/duration_ms"), "0.3");  // 299,999 ns, to the microsecond
  Doc m(summary.finish());
  EXPECT_EQ(m.i("/tool_calls"), 300'000);
  EXPECT_EQ(m.i("/calls_by_tool/b"), 100'000);
}

}  // namespace
}  // namespace agentmetrics
