// Seed 004's invocation aggregate: a hand-computed fleet, exact sums, parallelism, escalations,
// order independence and validation.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "errors.hpp"
#include "invocations.hpp"
#include "money.hpp"

namespace agentmetrics {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = int64_t{1767225600} * kSec;  // 2026-01-01T00:00:00Z

u128 usd(const char *text) {
  return money_parse(text, "test");
}

Invocation make(const char *id, const char *agent, int64_t phase, const char *task, int64_t attempt,
                const char *tier, int64_t start_ns, int64_t duration_ns) {
  Invocation inv;
  inv.invocation_id = id;
  inv.agent = agent;
  inv.phase = phase;
  inv.task_id = task;
  inv.attempt = attempt;
  inv.tier = tier;
  inv.start_ns = start_ns;
  inv.duration_ns = duration_ns;
  return inv;
}

// Intervals in seconds from kT0: i1 [0,10) i2 [10,15) i3 [5,25) i4 [25,30) i5 at 30 (zero
// duration) i6 [12,15) i7 [15,22) i8 [2,3). Concurrency peaks at 3 over [12,15); counting
// touching intervals as overlapping would give 4 at 15 (i2, i6 end as i7 starts).
std::vector<Invocation> fleet() {
  std::vector<Invocation> v;
  auto add = [&](Invocation inv, int64_t tokens, const char *cost, bool success) {
    inv.tokens = tokens;
    inv.cost = usd(cost);
    inv.success = success;
    v.push_back(inv);
    return &v.back();
  };
  add(make("i1", "planner", 1, "t1", 1, "low", kT0, 10 * kSec), 100, "0.1", false)->cached_tokens = 20;
  add(make("i2", "planner", 1, "t1", 2, "high", kT0 + 10 * kSec, 5 * kSec), 200, "0.2", true)->error_class =
      "timeout";  // escalation low -> high, infra retry
  Invocation *i3 =
      add(make("i3", "coder", 2, "t2", 1, "medium", kT0 + 5 * kSec, 20 * kSec), 300, "0.0042", false);
  i3->cached_tokens = 50;
  i3->error_class = "oom";  // not a retry: not an infra retry either
  add(make("i4", "coder", 2, "t2", 2, "medium", kT0 + 25 * kSec, 5 * kSec), 50, "0", false);  // same tier
  add(make("i5", "coder", 2, "t2", 3, "low", kT0 + 30 * kSec, 0), 0, "0", false)->error_class =
      "rate_limit";  // tier down, infra retry
  add(make("i6", "coder", 1, "", 1, "2", kT0 + 12 * kSec, 3 * kSec), 10, "0.3", true);
  add(make("i7", "coder", 1, "", 2, "10", kT0 + 15 * kSec, 7 * kSec), 40, "0.000001", true)->cached_tokens =
      0;  // numeric escalation 2 -> 10
  add(make("i8", "planner", 2, "t3", 2, "high", kT0 + 2 * kSec, 1 * kSec), 5, "0", true);  // no previous
  return v;
}

InvocationOptions ten_seconds() {
  InvocationOptions o;
  o.bucket_ns = 10 * kSec;
  return o;
}

int64_t as_int(simdjson::dom::element e) {
  return int64_t(e);
}

std::map<std::string, int64_t> int_map(simdjson::dom::element e) {
  std::map<std::string, int64_t> m;
  for (auto field : simdjson::dom::object(e)) m[std::string(field.key)] = int64_t(field.value);
  return m;
}

std::map<std::string, double> double_map(simdjson::dom::element e) {
  std::map<std::string, double> m;
  for (auto field : simdjson::dom::object(e)) m[std::string(field.key)] = double(field.value);
  return m;
}

using IntMap = std::map<std::string, int64_t>;

TEST(InvocationAggregate, HandComputedFleet) {
  const std::string out = invocation_aggregate_json(fleet(), ten_seconds());
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(out);

  // Members in the documented order.
  std::vector<std::string> keys;
  for (auto field : simdjson::dom::object(root)) keys.emplace_back(field.key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "total_invocations", "invocations_by_agent", "invocations_by_phase", "total_retries",
                      "retries_by_agent", "retries_by_phase", "infra_retries", "total_tokens", "total_cost",
                      "total_cached_tokens", "tokens_by_agent", "cost_by_agent", "total_duration_ms",
                      "avg_duration_by_agent", "peak_parallel_invocations", "parallelism_over_time",
                      "escalation_count", "success_rate"}));

  EXPECT_EQ(as_int(root["total_invocations"]), 8);
  EXPECT_EQ(int_map(root["invocations_by_agent"]), (IntMap{{"coder", 5}, {"planner", 3}}));
  EXPECT_EQ(int_map(root["invocations_by_phase"]), (IntMap{{"1", 4}, {"2", 4}}));
  EXPECT_EQ(as_int(root["total_retries"]), 5);  // i2 i4 i5 i7 i8
  EXPECT_EQ(int_map(root["retries_by_agent"]), (IntMap{{"coder", 3}, {"planner", 2}}));
  EXPECT_EQ(int_map(root["retries_by_phase"]), (IntMap{{"1", 2}, {"2", 3}}));
  EXPECT_EQ(as_int(root["infra_retries"]), 2);  // i2 i5; i3's error_class is on a first attempt
  EXPECT_EQ(as_int(root["total_tokens"]), 705);
  EXPECT_EQ(as_int(root["total_cached_tokens"]), 70);
  EXPECT_EQ(int_map(root["tokens_by_agent"]), (IntMap{{"coder", 400}, {"planner", 305}}));

  // Exact decimals in the text itself, not just close doubles.
  EXPECT_NE(out.find("\"total_cost\":0.604201,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"cost_by_agent\":{\"coder\":0.304201,\"planner\":0.3}"), std::string::npos) << out;

  EXPECT_EQ(double(root["total_duration_ms"]), 51000.0);
  EXPECT_NE(out.find("\"avg_duration_by_agent\":{\"coder\":7000,\"planner\":5333.333}"), std::string::npos)
      << out;
  EXPECT_EQ(double_map(root["avg_duration_by_agent"]),
            (std::map<std::string, double>{{"coder", 7000}, {"planner", 5333.333}}));

  EXPECT_EQ(as_int(root["peak_parallel_invocations"]), 3);
  struct Bucket {
    std::string start;
    int64_t concurrent, peak;
  };
  // [0,10): i1 i3 i8, at most 2 at once. [10,20): i2 i3 i6 i7 (i1 ended at 10), 3 over [12,15).
  // [20,30): i3 i7 i4, 2 over [20,22). [30,40): the zero-duration i5 alone (i4 ended at 30).
  const std::vector<Bucket> expected = {{"2026-01-01T00:00:00.000Z", 3, 2},
                                        {"2026-01-01T00:00:10.000Z", 4, 3},
                                        {"2026-01-01T00:00:20.000Z", 3, 2},
                                        {"2026-01-01T00:00:30.000Z", 1, 1}};
  simdjson::dom::array buckets = root["parallelism_over_time"];
  ASSERT_EQ(buckets.size(), expected.size());
  size_t i = 0;
  for (simdjson::dom::element b : buckets) {
    EXPECT_EQ(std::string_view(b["bucket_start"]), expected[i].start);
    EXPECT_EQ(as_int(b["concurrent"]), expected[i].concurrent) << i;
    EXPECT_EQ(as_int(b["peak"]), expected[i].peak) << i;
    ++i;
  }

  EXPECT_EQ(as_int(root["escalation_count"]), 2);  // i2 low -> high, i7 "2" -> "10"
  EXPECT_EQ(double(root["success_rate"]), 0.5);
}

TEST(InvocationAggregate, OrderDoesNotMatter) {
  std::vector<Invocation> v = fleet();
  const std::string expected = invocation_aggregate_json(v, ten_seconds());
  std::mt19937 rng(4);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(v.begin(), v.end(), rng);
    EXPECT_EQ(invocation_aggregate_json(v, ten_seconds()), expected);
  }
  std::reverse(v.begin(), v.end());
  EXPECT_EQ(invocation_aggregate_json(v, ten_seconds()), expected);
}

TEST(InvocationAggregate, GoldenTinyCase) {
  Invocation inv = make("x", "a", 3, "", 1, "", kT0 + 1500 * 1'000'000, 1'500'000);
  inv.tokens = 7;
  inv.cost = usd("0.0042");
  inv.success = true;
  EXPECT_EQ(invocation_aggregate_json({inv}, {}),
            "{\"total_invocations\":1,\"invocations_by_agent\":{\"a\":1},\"invocations_by_phase\":{\"3\":1},"
            "\"total_retries\":0,\"retries_by_agent\":{\"a\":0},\"retries_by_phase\":{\"3\":0},"
            "\"infra_retries\":0,\"total_tokens\":7,\"total_cost\":0.0042,\"total_cached_tokens\":0,"
            "\"tokens_by_agent\":{\"a\":7},\"cost_by_agent\":{\"a\":0.0042},\"total_duration_ms\":1.5,"
            "\"avg_duration_by_agent\":{\"a\":1.5},\"peak_parallel_invocations\":1,"
            "\"parallelism_over_time\":[{\"bucket_start\":\"2026-01-01T00:00:00.000Z\",\"concurrent\":1,"
            "\"peak\":1}],\"escalation_count\":0,\"success_rate\":1}");
}

TEST(InvocationAggregate, EmptyInput) {
  EXPECT_EQ(invocation_aggregate_json({}, {}),
            "{\"total_invocations\":0,\"invocations_by_agent\":{},\"invocations_by_phase\":{},"
            "\"total_retries\":0,\"retries_by_agent\":{},\"retries_by_phase\":{},\"infra_retries\":0,"
            "\"total_tokens\":0,\"total_cost\":0,\"total_cached_tokens\":0,\"tokens_by_agent\":{},"
            "\"cost_by_agent\":{},\"total_duration_ms\":0,\"avg_duration_by_agent\":{},"
            "\"peak_parallel_invocations\":0,\"parallelism_over_time\":[],\"escalation_count\":0,"
            "\"success_rate\":0}");
}

TEST(InvocationAggregate, CostsSumExactly) {
  std::vector<Invocation> v = {make("a", "x", 1, "", 1, "", 0, 0), make("b", "x", 1, "", 1, "", 0, 0)};
  v[0].cost = usd("0.1");
  v[1].cost = usd("0.2");
  const std::string out = invocation_aggregate_json(v, {});
  EXPECT_NE(out.find("\"total_cost\":0.3,"), std::string::npos) << out;
  EXPECT_NE(out.find("\"cost_by_agent\":{\"x\":0.3}"), std::string::npos) << out;
}

TEST(InvocationAggregate, DurationsRoundToTheMicrosecond) {
  auto durations = [](std::vector<int64_t> ns) {
    std::vector<Invocation> v;
    for (size_t i = 0; i < ns.size(); ++i)
      v.push_back(make(std::to_string(i).c_str(), "a", 1, "", 1, "", 0, ns[i]));
    std::string out = invocation_aggregate_json(v, {});
    const size_t at = out.find("\"total_duration_ms\":");
    const size_t avg = out.find(",\"peak_parallel");
    return out.substr(at, avg - at);
  };
  EXPECT_EQ(durations({1500}), "\"total_duration_ms\":0.002,\"avg_duration_by_agent\":{\"a\":0.002}");
  EXPECT_EQ(durations({1499}), "\"total_duration_ms\":0.001,\"avg_duration_by_agent\":{\"a\":0.001}");
  EXPECT_EQ(durations({499}), "\"total_duration_ms\":0,\"avg_duration_by_agent\":{\"a\":0}");
  EXPECT_EQ(durations({2'000'000, 1'000'000}),
            "\"total_duration_ms\":3,\"avg_duration_by_agent\":{\"a\":1.5}");
  // The average rounds once, from the exact sum: 1000 ns / 3 is 0.333 µs, which rounds to 0.
  EXPECT_EQ(durations({1, 1, 998}), "\"total_duration_ms\":0.001,\"avg_duration_by_agent\":{\"a\":0}");
  EXPECT_EQ(durations({1, 1, 1498}), "\"total_duration_ms\":0.002,\"avg_duration_by_agent\":{\"a\":0.001}");
}

int64_t escalations(const std::vector<Invocation> &v, const InvocationOptions &o = {}) {
  simdjson::dom::parser parser;
  std::string out = invocation_aggregate_json(v, o);
  return int64_t(parser.parse(out)["escalation_count"]);
}

TEST(InvocationEscalation, RanksByTierOrderOrNumerically) {
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("2", "a", 1, "t", 2, "medium", 5, 1)}),
            1);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "high", 0, 1), make("2", "a", 1, "t", 2, "high", 5, 1)}),
            0);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "high", 0, 1), make("2", "a", 1, "t", 2, "low", 5, 1)}),
            0);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "9", 0, 1), make("2", "a", 1, "t", 2, "10", 5, 1)}), 1);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "010", 0, 1), make("2", "a", 1, "t", 2, "10", 5, 1)}), 0);
  // Missing or unranked tiers never escalate.
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "", 0, 1), make("2", "a", 1, "t", 2, "high", 5, 1)}), 0);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("2", "a", 1, "t", 2, "turbo", 5, 1)}),
            0);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "2", 0, 1), make("2", "a", 1, "t", 2, "high", 5, 1)}), 0);
  // A custom order.
  InvocationOptions o;
  o.tier_order = {"opus", "haiku"};
  EXPECT_EQ(
      escalations({make("1", "a", 1, "t", 1, "opus", 0, 1), make("2", "a", 1, "t", 2, "haiku", 5, 1)}, o), 1);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("2", "a", 1, "t", 2, "high", 5, 1)}, o),
            0);
}

TEST(InvocationEscalation, ComparesWithTheSameTasksPreviousAttempt) {
  // Different task, agent or phase: no previous attempt, no escalation.
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("2", "a", 1, "u", 2, "high", 5, 1)}),
            0);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("2", "b", 1, "t", 2, "high", 5, 1)}),
            0);
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("2", "a", 2, "t", 2, "high", 5, 1)}),
            0);
  // Without a task_id, (agent, phase) is the task; it is not the same as a named task.
  EXPECT_EQ(escalations({make("1", "a", 1, "", 1, "low", 0, 1), make("2", "a", 1, "", 2, "high", 5, 1)}), 1);
  EXPECT_EQ(escalations({make("1", "a", 1, "", 1, "low", 0, 1), make("2", "a", 1, "t", 2, "high", 5, 1)}), 0);
  // The previous attempt is the greatest attempt below, not the first one: low, high, medium.
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("2", "a", 1, "t", 2, "high", 5, 1),
                         make("3", "a", 1, "t", 3, "medium", 9, 1)}),
            1);
  // A missing attempt is skipped over: 1 (low) then 3 (high).
  EXPECT_EQ(escalations({make("1", "a", 1, "t", 1, "low", 0, 1), make("3", "a", 1, "t", 3, "high", 9, 1)}),
            1);
  // Two attempt-1 invocations: the later start (low) is the previous one, whatever the order.
  std::vector<Invocation> tie = {make("1", "a", 1, "t", 1, "high", 0, 1),
                                 make("1b", "a", 1, "t", 1, "low", 3, 1),
                                 make("2", "a", 1, "t", 2, "medium", 5, 1)};
  EXPECT_EQ(escalations(tie), 1);
  std::reverse(tie.begin(), tie.end());
  EXPECT_EQ(escalations(tie), 1);
}

TEST(InvocationParallelism, TouchingIntervalsDoNotOverlap) {
  // A chain of back-to-back invocations never runs two at once.
  std::vector<Invocation> v;
  for (int i = 0; i < 5; ++i) v.push_back(make(std::to_string(i).c_str(), "a", 1, "", 1, "", i * kSec, kSec));
  simdjson::dom::parser parser;
  std::string out = invocation_aggregate_json(v, ten_seconds());
  simdjson::dom::element root = parser.parse(out);
  EXPECT_EQ(as_int(root["peak_parallel_invocations"]), 1);
  // [0,5 s) ends inside the first bucket: no bucket starting at 10 s.
  EXPECT_EQ(simdjson::dom::array(root["parallelism_over_time"]).size(), 1u);

  // Ending exactly on a bucket boundary opens no bucket there.
  out = invocation_aggregate_json({make("x", "a", 1, "", 1, "", 0, 10 * kSec)}, ten_seconds());
  EXPECT_EQ(simdjson::dom::array(parser.parse(out)["parallelism_over_time"]).size(), 1u);

  // Starting one nanosecond before the previous one ends overlaps it.
  v.back().start_ns -= 1;
  out = invocation_aggregate_json(v, ten_seconds());
  EXPECT_EQ(as_int(parser.parse(out)["peak_parallel_invocations"]), 2);
}

TEST(InvocationParallelism, ZeroDurationCountsAtItsInstant) {
  // One running over [0, 10 s), three zero-duration at 5 s, one at 10 s (the first has ended).
  std::vector<Invocation> v = {
      make("r", "a", 1, "", 1, "", 0, 10 * kSec), make("p1", "a", 1, "", 1, "", 5 * kSec, 0),
      make("p2", "a", 1, "", 1, "", 5 * kSec, 0), make("p3", "a", 1, "", 1, "", 5 * kSec, 0),
      make("p4", "a", 1, "", 1, "", 10 * kSec, 0)};
  simdjson::dom::parser parser;
  std::string out = invocation_aggregate_json(v, ten_seconds());
  simdjson::dom::element root = parser.parse(out);
  EXPECT_EQ(as_int(root["peak_parallel_invocations"]), 4);
  simdjson::dom::array buckets = root["parallelism_over_time"];
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(as_int(buckets.at(0)["concurrent"]), 4);
  EXPECT_EQ(as_int(buckets.at(0)["peak"]), 4);
  EXPECT_EQ(as_int(buckets.at(1)["concurrent"]), 1);
  EXPECT_EQ(as_int(buckets.at(1)["peak"]), 1);
}

TEST(InvocationParallelism, LongIntervalsFillEveryBucketTheySpan) {
  // [5 s, 45 s) and [12 s, 13 s) with 10 s buckets: 0, 10, 20, 30, 40.
  std::vector<Invocation> v = {make("long", "a", 1, "", 1, "", 5 * kSec, 40 * kSec),
                               make("short", "a", 1, "", 1, "", 12 * kSec, kSec)};
  simdjson::dom::parser parser;
  std::string out = invocation_aggregate_json(v, ten_seconds());
  simdjson::dom::array buckets = parser.parse(out)["parallelism_over_time"];
  const std::vector<std::pair<int64_t, int64_t>> expected = {{1, 1}, {2, 2}, {1, 1}, {1, 1}, {1, 1}};
  ASSERT_EQ(buckets.size(), expected.size());
  size_t i = 0;
  for (simdjson::dom::element b : buckets) {
    EXPECT_EQ(as_int(b["concurrent"]), expected[i].first) << i;
    EXPECT_EQ(as_int(b["peak"]), expected[i].second) << i;
    ++i;
  }
}

TEST(InvocationParallelism, GapsAndTimesBeforeTheEpoch) {
  // [-5 s, 5 s) and [31 s, 32 s): buckets at -10, 0, 10, 20 (empty) and 30 s.
  std::vector<Invocation> v = {make("a", "a", 1, "", 1, "", -5 * kSec, 10 * kSec),
                               make("b", "a", 1, "", 1, "", 31 * kSec, kSec)};
  simdjson::dom::parser parser;
  std::string out = invocation_aggregate_json(v, ten_seconds());
  simdjson::dom::array buckets = parser.parse(out)["parallelism_over_time"];
  ASSERT_EQ(buckets.size(), 5u);
  EXPECT_EQ(std::string_view(buckets.at(0)["bucket_start"]), "1969-12-31T23:59:50.000Z");
  EXPECT_EQ(as_int(buckets.at(0)["concurrent"]), 1);
  EXPECT_EQ(as_int(buckets.at(1)["concurrent"]), 1);
  EXPECT_EQ(as_int(buckets.at(2)["concurrent"]), 0);
  EXPECT_EQ(as_int(buckets.at(2)["peak"]), 0);
  EXPECT_EQ(as_int(buckets.at(3)["concurrent"]), 0);
  EXPECT_EQ(std::string_view(buckets.at(4)["bucket_start"]), "1970-01-01T00:00:30.000Z");
  EXPECT_EQ(as_int(buckets.at(4)["peak"]), 1);
}

TEST(InvocationParallelism, BucketCountIsCapped) {
  InvocationOptions o;
  o.bucket_ns = 1;
  std::vector<Invocation> v = {make("a", "a", 1, "", 1, "", 0, kMaxInvocationBuckets)};
  EXPECT_NO_THROW(invocation_aggregate_json(v, o));  // exactly the cap
  v[0].duration_ns += 1;
  EXPECT_THROW(invocation_aggregate_json(v, o), InvalidArgument);
  v = {make("a", "a", 1, "", 1, "", INT64_MIN / 2, 0), make("b", "a", 1, "", 1, "", INT64_MAX / 2, 0)};
  EXPECT_THROW(invocation_aggregate_json(v, o), InvalidArgument);
  for (int64_t bad : {int64_t{0}, int64_t{-1}}) {
    o.bucket_ns = bad;
    EXPECT_THROW(invocation_aggregate_json({}, o), InvalidArgument);
  }
}

void expect_invalid(const Invocation &inv, const std::string &field) {
  try {
    validate_invocation(inv.view());
    ADD_FAILURE() << "accepted an invalid " << field;
  } catch (const InvalidArgument &e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
  EXPECT_THROW(invocation_aggregate_json({inv}, {}), InvalidArgument) << field;
}

TEST(InvocationValidation, RejectsWhatCannotBeRecorded) {
  const Invocation ok = make("id", "agent", 1, "t", 1, "low", kT0, kSec);
  EXPECT_NO_THROW(validate_invocation(ok.view()));
  Invocation v = ok;
  v.invocation_id.clear();
  expect_invalid(v, "invocation_id");
  v = ok;
  v.agent.clear();
  expect_invalid(v, "agent");
  v = ok;
  v.duration_ns = -1;
  expect_invalid(v, "duration_ns");
  v = ok;
  v.tokens = -1;
  expect_invalid(v, "tokens");
  v = ok;
  v.input_tokens = -1;
  expect_invalid(v, "input_tokens");
  v = ok;
  v.output_tokens = -1;
  expect_invalid(v, "output_tokens");
  v = ok;
  v.cached_tokens = -1;
  expect_invalid(v, "cached_tokens");
  v = ok;
  v.attempt = 0;
  expect_invalid(v, "attempt");
  v = ok;
  v.start_ns = INT64_MAX - 5;
  v.duration_ns = 10;
  expect_invalid(v, "start_ns");
  const std::string bad_utf8 = "a\xC3(";
  for (std::string Invocation::*field : {&Invocation::invocation_id, &Invocation::agent, &Invocation::task_id,
                                         &Invocation::model, &Invocation::tier, &Invocation::error_class}) {
    v = ok;
    v.*field = bad_utf8;
    expect_invalid(v, "UTF-8");
  }
  v = ok;
  v.tier = "\xFF";
  expect_invalid(v, "tier");
  // Absent optional fields, phase 0 or negative and zero durations are fine.
  v = ok;
  v.task_id.clear();
  v.tier.clear();
  v.phase = -1;
  v.duration_ns = 0;
  EXPECT_NO_THROW(validate_invocation(v.view()));
}

TEST(InvocationRecord, ViewRoundTrips) {
  Invocation a = make("id", "agent", 4, "task", 3, "high", kT0, 42);
  a.model = "m";
  a.error_class = "timeout";
  a.tokens = 9;
  a.input_tokens = 5;
  a.output_tokens = 4;
  a.cost = usd("0.25");
  a.exit_code = 137;
  a.success = true;
  a.output_parsed = true;
  const Invocation b(a.view());
  EXPECT_EQ(b.invocation_id, "id");
  EXPECT_EQ(b.agent, "agent");
  EXPECT_EQ(b.task_id, "task");
  EXPECT_EQ(b.model, "m");
  EXPECT_EQ(b.tier, "high");
  EXPECT_EQ(b.error_class, "timeout");
  EXPECT_EQ(b.phase, 4);
  EXPECT_EQ(b.duration_ns, 42);
  EXPECT_EQ(b.tokens, 9);
  EXPECT_EQ(b.input_tokens, 5);
  EXPECT_EQ(b.output_tokens, 4);
  EXPECT_EQ(b.cached_tokens, std::nullopt);
  EXPECT_TRUE(b.cost == usd("0.25"));
  EXPECT_EQ(b.exit_code, 137);
  EXPECT_TRUE(b.success);
  EXPECT_EQ(b.attempt, 3);
  EXPECT_TRUE(b.output_parsed);
  EXPECT_EQ(b.start_ns, kT0);
  EXPECT_EQ(invocation_aggregate_json({a}, {}), invocation_aggregate_json({b}, {}));
}

}  // namespace
}  // namespace agentmetrics
