// agm_recorder_record_invocation_json's input dialect, through the public C ABI: seed 004's
// InvocationMetric with the seed's camelCase names or their snake_case forms, and nothing else
// (the journal's own names are another parser's, see test_journal.cpp).
#include <agentmetrics/metrics_c.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "store_helpers.hpp"

using namespace store_test;

namespace {

struct Fixture {
  FakeClock clock;
  agm_recorder_options options = clock_options(clock);
  Recorder rec = new_recorder(&options);

  // Records `json`: "ok", or the error message.
  std::string record(const std::string &json) {
    const agm_status st = agm_recorder_record_invocation_json(rec.get(), json.data(), json.size());
    if (st == AGM_OK) return "ok";
    EXPECT_EQ(st, AGM_E_INVALID_ARGUMENT) << json;
    return agm_last_error_message();
  }
  uint64_t count() {
    uint64_t n = 0;
    EXPECT_EQ(agm_recorder_invocation_count(&n, rec.get()), AGM_OK);
    return n;
  }
  // Invocation `i`, as the journal line agm_recorder_invocations gives (its text: the
  // exact decimals of costs included).
  std::string at(uint64_t i) {
    Buffer out;
    EXPECT_EQ(agm_recorder_invocations(out.get(), rec.get(), i, 1), AGM_OK);
    const std::string all = out.str();
    const size_t begin = all.find('{'), end = all.rfind('}');
    EXPECT_TRUE(all.front() == '[' && begin != std::string::npos && end != std::string::npos) << all;
    return all.substr(begin, end + 1 - begin);
  }
  std::string last() { return at(count() - 1); }
};

// The members of a record line after "kind" and "ts" (which say when it was recorded).
std::string fields(const std::string &line) {
  const size_t at = line.find(",\"agent\"");
  return at == std::string::npos ? line : line.substr(at);
}

}  // namespace

TEST(InvocationJson, TheSeedsNamesAndTheirSnakeCaseFormsMeanTheSame) {
  Fixture f;
  ASSERT_EQ(f.record(R"({"invocationId":"x","agent":"a","phase":1,"taskId":"t","durationMs":12.5,
      "tokens":3,"inputTokens":2,"outputTokens":1,"cachedTokens":0,"cost":0.1,"exitCode":137,"success":false,
      "attempt":2,"outputParsed":true,"model":"m","tier":"2","timestamp":"2025-11-22T11:00:00+01:00",
      "errorClass":"oom"})"),
            "ok");
  const std::string camel = f.last();
  EXPECT_EQ(
      fields(camel),
      R"(,"agent":"a","timestamp":"2025-11-22T10:00:00.000Z","invocation_id":"x","phase":1,"task_id":"t",)"
      R"("duration_ns":12500000,"tokens":3,"input_tokens":2,"output_tokens":1,"cached_tokens":0,"cost":0.1,)"
      R"("exit_code":137,"success":false,"attempt":2,"output_parsed":true,"model":"m","tier":"2",)"
      R"("error_class":"oom"})");
  ASSERT_EQ(f.record(R"({"invocation_id":"x","agent":"a","phase":1,"task_id":"t","duration_ms":12.5,
      "tokens":3,"input_tokens":2,"output_tokens":1,"cached_tokens":0,"cost":0.1,"exit_code":137,"success":false,
      "attempt":2,"output_parsed":true,"model":"m","tier":"2","timestamp":"2025-11-22T10:00:00Z",
      "error_class":"oom"})"),
            "ok");
  EXPECT_EQ(f.last(), camel);
  ASSERT_EQ(f.record(R"({"invocation_id":"x","agent":"a","phase":1,"task_id":"t","duration_ns":12500000,
      "tokens":3,"inputTokens":2,"output_tokens":1,"cachedTokens":0,"cost":1e-1,"exitCode":137,"success":false,
      "attempt":2,"output_parsed":true,"model":"m","tier":"2","timestamp":"2025-11-22T10:00:00.000Z",
      "errorClass":"oom"})"),
            "ok");
  EXPECT_EQ(f.last(), camel);
  EXPECT_EQ(f.count(), 3u);
}

TEST(InvocationJson, NullIsNotReportedAndCostsAreExact) {
  Fixture f;
  ASSERT_EQ(f.record(R"({"invocationId":"x","agent":"a","taskId":null,"inputTokens":null,"model":null,
      "cost":0.300000000000000001,"timestamp":"2025-11-22T10:00:00Z"})"),
            "ok");
  EXPECT_EQ(fields(f.last()),
            R"(,"agent":"a","timestamp":"2025-11-22T10:00:00.000Z","invocation_id":"x","phase":0,)"
            R"("duration_ns":0,"tokens":0,"cost":0.300000000000000001,"exit_code":0,"success":false,)"
            R"("attempt":1,"output_parsed":false})");
}

TEST(InvocationJson, WithoutATimestampItStartedItsDurationAgo) {
  // As agm_recorder_record_invocation without AGM_INVOCATION_HAS_START.
  Fixture f;
  f.clock.now = 60'000'000'000;  // kWall0 + 60 s
  ASSERT_EQ(f.record(R"({"invocationId":"x","agent":"a","durationMs":1500})"), "ok");
  EXPECT_NE(f.last().find(R"("timestamp":"2025-11-22T10:00:58.500Z")"), std::string::npos) << f.last();
  agm_invocation inv = AGM_INVOCATION_INIT;
  inv.invocation_id = "x";
  inv.agent = "a";
  inv.duration_ns = 1'500'000'000;
  ASSERT_EQ(agm_recorder_record_invocation(f.rec.get(), &inv), AGM_OK);
  ASSERT_EQ(f.count(), 2u);
  EXPECT_EQ(f.at(0), f.at(1));
}

TEST(InvocationJson, AnythingElseIsRefusedNamingTheMember) {
  Fixture f;
  const std::string ok = R"("invocationId":"x","agent":"a")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"invocationId":"x","agent":"a","phase":"plan"})", R"(invocation: "phase" must be an integer)"},
      {R"({"invocationId":"x","agent":"a","phase":1.5})", R"(invocation: "phase" must be an integer)"},
      {R"({"invocationId":"x","agent":"a","cost":{"total":1}})", R"(invocation: "cost" must be a number)"},
      {R"({"invocationId":"x","agent":"a","cost":"0.1"})", R"(invocation: "cost" must be a number)"},
      {R"({"invocationId":"x","agent":"a","cost":-1})", R"(invocation: cost: "-1" is not a non-negative)"},
      {R"({"invocationId":"x","agent":3})", R"(invocation: "agent" must be a string)"},
      {R"({"invocation_id":7,"agent":"a"})", R"(invocation: "invocation_id" must be a string)"},
      {R"({"invocationId":"x","agent":"a","durationMs":"5"})",
       R"(invocation: "durationMs" must be a number)"},
      {R"({"invocationId":"x","agent":"a","duration_ms":-1})",
       R"(invocation: "duration_ms" is out of range)"},
      {R"({"invocationId":"x","agent":"a","duration_ns":-1})", R"(invocation: "duration_ns" is negative)"},
      {R"({"invocationId":"x","agent":"a","duration_ns":1.5})",
       R"(invocation: "duration_ns" must be an integer)"},
      {R"({"invocationId":"x","agent":"a","inputTokens":-1})",
       R"(invocation: "inputTokens" is out of range)"},
      {R"({"invocationId":"x","agent":"a","cached_tokens":true})",
       R"(invocation: "cached_tokens" must be an integer)"},
      {R"({"invocationId":"x","agent":"a","success":1})", R"(invocation: "success" must be true or false)"},
      {R"({"invocationId":"x","agent":"a","outputParsed":"yes"})",
       R"(invocation: "outputParsed" must be true or false)"},
      {R"({"invocationId":"x","agent":"a","attempt":0})", R"(invocation: "attempt" must be at least 1)"},
      {R"({"invocationId":"x","agent":"a","exitCode":"1"})", R"(invocation: "exitCode" must be an integer)"},
      {R"({"invocationId":"x","agent":"a","timestamp":"yesterday"})",
       R"(invocation: "timestamp" is not an ISO 8601 time such as 2026-11-22T10:00:00.000Z)"},
      {R"({"invocationId":"x","agent":"a","timestamp":1763805600})",
       R"(invocation: "timestamp" must be a string)"},
      // One dialect: not the journal's names, nor anything else.
      {R"({"invocationId":"x","agent":"a","colour":"red"})", R"(invocation: unknown member "colour")"},
      {R"({"v":1,"kind":"invocation","invocationId":"x","agent":"a"})", R"(invocation: unknown member "v")"},
      {R"({"invocationId":"x","agent":"a","ts":1})", R"(invocation: unknown member "ts")"},
      {R"({"invocationId":"x","agent":"a","durationMS":5})", R"(invocation: unknown member "durationMS")"},
      // Each field once, however spelled.
      {R"({"invocationId":"x","agent":"a","invocation_id":"y"})",
       R"(invocation: "invocation_id" repeats "invocationId")"},
      {R"({"invocationId":"x","agent":"a","durationMs":1,"duration_ns":5})",
       R"(invocation: "duration_ns" repeats "durationMs")"},
      {R"({"invocationId":"x","agent":"a","agent":"b"})", R"(invocation: "agent" repeats "agent")"},
      // Not one object.
      {R"([1,2])", "invocation: not a JSON object"},
      {R"("x")", "invocation: not a JSON object"},
      {R"({"invocationId":"x","agent":"a"} {})", "invocation: more than one JSON value"},
      {R"({"invocationId":"x","agent":)", "invocation: not JSON"},
      {"", "invocation: not JSON"},
      // What agm_recorder_record_invocation requires.
      {R"({"agent":"a"})", "invocation invocation_id is empty"},
      {R"({"invocationId":"x"})", "invocation agent is empty"},
      {R"({"invocationId":"x","agent":"a","tokens":-1})", "invocation tokens is negative (-1)"},
  };
  for (const auto &[json, message] : cases) {
    const std::string got = f.record(json);
    EXPECT_EQ(got.substr(0, message.size()), message) << json;
  }
  EXPECT_EQ(f.count(), 0u);
  EXPECT_EQ(f.record("{" + ok + "}"), "ok");
  EXPECT_EQ(f.count(), 1u);
}

TEST(InvocationJson, ArgumentsAreChecked) {
  Fixture f;
  EXPECT_EQ(agm_recorder_record_invocation_json(nullptr, "{}", 2), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_recorder_record_invocation_json(f.rec.get(), nullptr, 2), AGM_E_INVALID_ARGUMENT);
  const char invalid_utf8[] = "{\"invocationId\":\"\xff\",\"agent\":\"a\"}";
  EXPECT_EQ(agm_recorder_record_invocation_json(f.rec.get(), invalid_utf8, std::strlen(invalid_utf8)),
            AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(f.count(), 0u);
}
