// Exports, OTLP push, following a store and the price listing, through the public C ABI.
#include <vector>

#include "scripted_sender.hpp"
#include "store_helpers.hpp"

using namespace push_test;
using namespace store_test;

namespace {

constexpr const char *kHostile = "<script>window.__pwned=1</script>";

// Two model calls (one priced, one failing without usage), a tool call, a turn, a session and
// an invocation, in a journal.
std::string sample_journal() {
  return std::string(
             R"({"v":1,"kind":"session","ts":1763800000000000000,"session":"s1","agent":"planner","phase":"plan"})"
             "\n"
             R"({"v":1,"kind":"model_call","ts":1763800001000000000,"session":"s1","agent":"planner","turn":1,)"
             R"("model":"gpt-4o","provider":"openai","source":"agent","attempt":1,"outcome":"ok","duration_ns":1500000000,)"
             R"("ttft_ns":200000000,"usage":{"input":1000,"cache_read":200,"output":300,"reasoning":100,"total":1500},)"
             R"("cost":{"input":0.0025,"cache_read":0.00025,"output":0.003,"total":0.00575}})"
             "\n"
             R"({"v":1,"kind":"model_call","ts":1763800002000000000,"session":"s1","agent":"planner","turn":1,)"
             R"("model":")") +
         kHostile +
         R"(","provider":"openai","source":"tool:search","attempt":2,"outcome":"error","error_type":"=cmd|' /C calc'!A0",)"
         R"("error":"rate, \"limited\"\nretry","duration_ns":30000000})"
         "\n"
         R"({"v":1,"kind":"tool_call","ts":1763800003000000000,"session":"s1","agent":"planner","turn":1,"tool":"search",)"
         R"("call_id":"c1","outcome":"ok","duration_ns":250000000})"
         "\n"
         R"({"v":1,"kind":"turn","ts":1763800004000000000,"session":"s1","agent":"planner","turn":1,"duration_ns":4000000000,)"
         R"("tool_wall_ns":250000000,"tool_work_ns":250000000,"model_calls":2,"tool_calls":1,"tokens":1500,"cost":0.00575})"
         "\n"
         R"({"v":1,"kind":"invocation","ts":1763800000000000000,"invocation_id":"i1","agent":"builder","phase":2,)"
         R"("task_id":"t1","model":"gpt-4o","tier":"high","duration_ns":5000000000,"tokens":900,"cost":0.01,)"
         R"("exit_code":0,"success":true,"attempt":1,"output_parsed":true})"
         "\n";
}

struct HistoryDeleter {
  void operator()(agm_history *h) const { agm_history_free(h); }
};
using History = std::unique_ptr<agm_history, HistoryDeleter>;

History open_history(const std::string &path) {
  agm_history *h = nullptr;
  EXPECT_EQ(agm_history_open(&h, path.c_str()), AGM_OK) << agm_last_error_message();
  return History(h);
}

int32_t append_to_string(void *user, const char *data, size_t size) {
  static_cast<std::string *>(user)->append(data, size);
  return 0;
}

std::string export_text(agm_history *h, uint32_t format, const char *resource = nullptr) {
  agm_export_options options = AGM_EXPORT_OPTIONS_INIT;
  options.format = format;
  options.resource_attributes = resource;
  std::string out;
  EXPECT_EQ(agm_history_export(h, &options, append_to_string, &out), AGM_OK) << agm_last_error_message();
  return out;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "metrics.jsonl";
    append_text(path_, sample_journal());
    history_ = open_history(path_);
  }
  TempDir dir_;
  std::string path_;
  History history_;
};

TEST_F(ExportTest, JsonRowsCarryEveryRecordWithExactCosts) {
  const std::string text = export_text(history_.get(), AGM_EXPORT_JSON);
  simdjson::dom::parser parser;
  simdjson::dom::array rows = parser.parse(text).get_array();
  ASSERT_EQ(rows.size(), 6u);
  simdjson::dom::object call = rows.at(1).get_object();
  EXPECT_EQ(std::string_view(call["kind"]), "model_call");
  EXPECT_EQ(std::string_view(call["timestamp"]), "2025-11-22T08:26:41.000Z");
  EXPECT_EQ(int64_t(call["input_tokens"]), 1000);
  EXPECT_EQ(int64_t(call["cache_read_tokens"]), 200);
  EXPECT_TRUE(call["cache_write_tokens"].is_null());  // not reported: null, never 0
  EXPECT_EQ(std::string_view(call["outcome"]), "ok");
  EXPECT_NE(text.find("\"cost_usd\":0.00575"), std::string::npos);  // exact decimal text
  EXPECT_NE(text.find("\"duration_ms\":1500,"), std::string::npos);
  simdjson::dom::object failed = rows.at(2).get_object();
  EXPECT_EQ(std::string_view(failed["model"]), kHostile);
  EXPECT_TRUE(failed["cost_usd"].is_null());
  EXPECT_TRUE(failed["input_tokens"].is_null());
  EXPECT_EQ(std::string_view(failed["error_message"]), "rate, \"limited\"\nretry");
  simdjson::dom::object turn = rows.at(4).get_object();
  EXPECT_TRUE(turn["cost_usd"].is_null());  // its calls have rows of their own
  simdjson::dom::object invocation = rows.at(5).get_object();
  EXPECT_EQ(std::string_view(invocation["invocation_id"]), "i1");
  EXPECT_EQ(std::string_view(invocation["phase"]), "2");
  EXPECT_EQ(int64_t(invocation["total_tokens"]), 900);
}

TEST_F(ExportTest, CsvQuotesAndNeutralisesFormulas) {
  const std::string text = export_text(history_.get(), AGM_EXPORT_CSV);
  EXPECT_EQ(text.rfind("kind,timestamp,session,agent,phase,task,turn,model,", 0), 0u);
  EXPECT_NE(text.find(",cost_usd\r\n"), std::string::npos);
  // A formula-looking cell gets a leading quote mark, and the cell is quoted.
  EXPECT_NE(text.find(",\"'=cmd|' /C calc'!A0\","), std::string::npos);
  EXPECT_EQ(text.find(",=cmd"), std::string::npos);
  // Quotes doubled, commas and line breaks inside quotes.
  EXPECT_NE(text.find(",\"rate, \"\"limited\"\"\nretry\","), std::string::npos);
  size_t rows = 0;
  for (size_t at = 0; (at = text.find("\r\n", at)) != std::string::npos; at += 2) ++rows;
  EXPECT_EQ(rows, 7u);  // the header and six records
}

TEST_F(ExportTest, OtlpJsonFollowsTheGenAiConventions) {
  const std::string text =
      export_text(history_.get(), AGM_EXPORT_OTLP_JSON, "service.name=my-agent,team=a%2Cb");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text);
  simdjson::dom::object resource_metrics = doc["resourceMetrics"].at(0).get_object();
  std::string resource = simdjson::to_string(resource_metrics["resource"]);
  EXPECT_NE(resource.find(R"({"key":"service.name","value":{"stringValue":"my-agent"}})"), std::string::npos);
  EXPECT_NE(resource.find(R"({"key":"team","value":{"stringValue":"a,b"}})"), std::string::npos);
  simdjson::dom::object scope = resource_metrics["scopeMetrics"].at(0).get_object();
  EXPECT_EQ(std::string_view(scope["scope"]["name"]), "agentmetrics");
  std::map<std::string, simdjson::dom::object> metrics;
  for (simdjson::dom::element m : scope["metrics"].get_array())
    metrics[std::string(std::string_view(m["name"]))] = m;
  for (const char *name :
       {"gen_ai.client.token.usage", "gen_ai.client.operation.duration",
        "gen_ai.client.operation.time_to_first_chunk", "gen_ai.execute_tool.duration",
        "gen_ai.invoke_agent.duration", "agentmetrics.tokens", "agentmetrics.cost",
        "agentmetrics.model.calls", "agentmetrics.tool.calls", "agentmetrics.invocations"}) {
    EXPECT_TRUE(metrics.count(name)) << name;
  }
  // Token usage: input counts every input token (fresh + cache), one call in bucket (256, 1024]... 1200.
  simdjson::dom::array points = metrics["gen_ai.client.token.usage"]["histogram"]["dataPoints"].get_array();
  bool saw_input = false;
  for (simdjson::dom::element p : points) {
    const std::string attrs = simdjson::to_string(p["attributes"]);
    if (attrs.find(R"("stringValue":"input")") == std::string::npos) continue;
    saw_input = true;
    EXPECT_NE(attrs.find(R"({"key":"gen_ai.provider.name","value":{"stringValue":"openai"}})"),
              std::string::npos);
    EXPECT_EQ(std::string_view(p["count"]), "1");
    EXPECT_EQ(double(p["sum"]), 1200.0);
    EXPECT_EQ(std::string_view(p["bucketCounts"].at(6)), "1");  // (1024, 4096]
    EXPECT_EQ(int64_t(metrics["gen_ai.client.token.usage"]["histogram"]["aggregationTemporality"]), 2);
  }
  EXPECT_TRUE(saw_input);
  // Durations in seconds; the failed call carries error.type.
  const std::string durations = simdjson::to_string(metrics["gen_ai.client.operation.duration"]);
  EXPECT_NE(durations.find(R"("sum":1.5)"), std::string::npos);
  EXPECT_NE(durations.find(R"({"key":"error.type","value":{"stringValue":"=cmd|' /C calc'!A0"}})"),
            std::string::npos);
  // Cost as exact decimal text.
  EXPECT_NE(simdjson::to_string(metrics["agentmetrics.cost"]).find(R"("asDouble":0.003})"),
            std::string::npos);
}

TEST_F(ExportTest, PrometheusEscapesLabelsAndKeepsHistogramsCumulative) {
  const std::string text = export_text(history_.get(), AGM_EXPORT_PROMETHEUS);
  EXPECT_NE(text.find("# TYPE gen_ai_client_token_usage histogram\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE agentmetrics_tokens_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("gen_ai_request_model=\"<script>window.__pwned=1</script>\""), std::string::npos);
  EXPECT_NE(text.find("error_type=\"=cmd|' /C calc'!A0\""), std::string::npos);
  EXPECT_NE(
      text.find("gen_ai_client_operation_duration_seconds_bucket{gen_ai_operation_name=\"chat\",gen_ai_"
                "provider_name=\""
                "openai\",gen_ai_request_model=\"gpt-4o\",gen_ai_agent_name=\"planner\",le=\"+Inf\"} 1\n"),
      std::string::npos);
  EXPECT_NE(text.find("target_info{service_name=\"agentmetrics\"} 1\n"), std::string::npos);
}

TEST_F(ExportTest, RangeSelectsRecords) {
  agm_query range = AGM_QUERY_INIT;
  range.period = AGM_PERIOD_RANGE;
  range.from_ns = 1763800002000000000;
  range.to_ns = 1763800003000000001;
  agm_export_options options = AGM_EXPORT_OPTIONS_INIT;
  options.format = AGM_EXPORT_JSON;
  options.range = &range;
  std::string out;
  ASSERT_EQ(agm_history_export(history_.get(), &options, append_to_string, &out), AGM_OK);
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(out).get_array().size(), 2u);
}

TEST_F(ExportTest, BadArgumentsAreRefused) {
  agm_export_options options = AGM_EXPORT_OPTIONS_INIT;
  std::string out;
  options.format = 99;
  EXPECT_EQ(agm_history_export(history_.get(), &options, append_to_string, &out), AGM_E_INVALID_ARGUMENT);
  options.format = AGM_EXPORT_OTLP_JSON;
  options.resource_attributes = "novalue";
  EXPECT_EQ(agm_history_export(history_.get(), &options, append_to_string, &out), AGM_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(agm_last_error_message()).find("novalue"), std::string::npos);
  options.resource_attributes = nullptr;
  EXPECT_EQ(agm_history_export(history_.get(), &options, nullptr, &out), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_history_export(nullptr, &options, append_to_string, &out), AGM_E_INVALID_ARGUMENT);
  // A writer that stops the export.
  auto stop = [](void *, const char *, size_t) -> int32_t { return 1; };
  EXPECT_EQ(agm_history_export(history_.get(), &options, stop, nullptr), AGM_E_IO);
}

TEST(Export, EmptyStoreGivesValidDocuments) {
  TempDir dir;
  const std::string path = dir / "empty.jsonl";
  append_text(path, "");
  History h = open_history(path);
  EXPECT_EQ(export_text(h.get(), AGM_EXPORT_JSON), "[]\n");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(export_text(h.get(), AGM_EXPORT_OTLP_JSON))["resourceMetrics"]
                .at(0)["scopeMetrics"]
                .at(0)["metrics"]
                .get_array()
                .size(),
            0u);
  EXPECT_EQ(export_text(h.get(), AGM_EXPORT_PROMETHEUS), "");
}

// A journal written by hand may leave out the provider and the agent: their series keys must
// still split back into every part.
TEST(Export, RecordsWithoutProviderOrAgent) {
  TempDir dir;
  const std::string path = dir / "bare.jsonl";
  append_text(
      path, R"({"v":1,"kind":"model_call","ts":1000000000,"model":"gpt-4o","usage":{"input":10,"output":1}})"
            "\n"
            R"({"v":1,"kind":"tool_call","ts":2000000000,"tool":"search","duration_ns":5})"
            "\n");
  History h = open_history(path);
  const std::string prom = export_text(h.get(), AGM_EXPORT_PROMETHEUS);
  EXPECT_NE(prom.find(R"(gen_ai_client_token_usage_count{gen_ai_operation_name="chat",)"
                      R"(gen_ai_request_model="gpt-4o",gen_ai_token_type="input"} 1)"),
            std::string::npos)
      << prom;
  EXPECT_NE(prom.find(R"(gen_ai_tool_name="search")"), std::string::npos) << prom;
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(export_text(h.get(), AGM_EXPORT_OTLP_JSON)).error(), simdjson::SUCCESS);
}

// Token sums saturate at INT64_MAX, as the summaries' do: 2,000 calls of 2^53 - 1 input tokens
// (and invocations of as many tokens) export INT64_MAX, never a wrapped negative count.
TEST(Export, TokenSumsSaturate) {
  TempDir dir;
  const std::string path = dir / "big.jsonl";
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text +=
        R"({"v":1,"kind":"model_call","ts":)" + std::to_string(1000000000 + i) +
        R"(,"model":"m","provider":"p","agent":"a","usage":{"input":9007199254740991,"output":9007199254740991}})"
        "\n";
    text += R"({"v":1,"kind":"invocation","ts":)" + std::to_string(1000000000 + i) +
            R"(,"invocation_id":"i)" + std::to_string(i) +
            R"(","agent":"a","phase":1,"task_id":"t","duration_ns":1,"tokens":9007199254740991,"cost":0,)"
            R"("exit_code":0,"success":true,"attempt":1,"output_parsed":true})"
            "\n";
  }
  append_text(path, text);
  History h = open_history(path);
  const std::string prom = export_text(h.get(), AGM_EXPORT_PROMETHEUS);
  EXPECT_EQ(prom.find("} -"), std::string::npos) << prom.substr(0, 2000);
  EXPECT_NE(prom.find(R"(agentmetrics_token_kind="input"} 9223372036854775807)"
                      "\n"),
            std::string::npos)
      << prom;
  EXPECT_NE(prom.find(R"(agentmetrics_token_kind="output"} 9223372036854775807)"
                      "\n"),
            std::string::npos)
      << prom;
  EXPECT_NE(
      prom.find(
          R"(agentmetrics_invocation_tokens_total{gen_ai_operation_name="invoke_agent",gen_ai_agent_name="a"} )"
          "9223372036854775807\n"),
      std::string::npos)
      << prom;
  const std::string otlp = export_text(h.get(), AGM_EXPORT_OTLP_JSON);
  EXPECT_EQ(otlp.find("\"asInt\":\"-"), std::string::npos);
  EXPECT_NE(otlp.find("\"asInt\":\"9223372036854775807\""), std::string::npos);
  // The summary agrees.
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SUMMARY;
  agm_buffer out = AGM_BUFFER_INIT;
  ASSERT_EQ(agm_history_query(&out, h.get(), &q), AGM_OK) << agm_last_error_message();
  EXPECT_NE(std::string(out.data, out.size).find("\"input\":9223372036854775807"), std::string::npos);
  agm_buffer_free(&out);
}

// A hostile store: megabyte labels are cut to AGM_MAX_LABEL_BYTES in the metric exports, and
// past AGM_MAX_GROUP_KEYS distinct names the series and query groups fold into "(other)".
TEST(Export, HugeAndCountlessLabelsStayBounded) {
  TempDir dir;
  const std::string path = dir / "hostile.jsonl";
  // Four labels per line, each far over AGM_MAX_LABEL_BYTES, the line within the journal's.
  const std::string huge(AGM_JOURNAL_MAX_LINE / 5, 'x');
  std::string text;
  for (int i = 0; i < 5; ++i) {
    text += R"({"v":1,"kind":"model_call","ts":1000000000,"model":")" + huge + std::to_string(i) +
            R"(","provider":")" + huge + R"(","agent":")" + huge + R"(","outcome":"error","error_type":")" +
            huge +
            R"(","duration_ns":5,"usage":{"input":1,"output":1}})"
            "\n";
  }
  append_text(path, text);
  History h = open_history(path);
  const std::string prom = export_text(h.get(), AGM_EXPORT_PROMETHEUS);
  EXPECT_LT(prom.size(), 2u << 20) << "5 records of 200 KB labels";
  EXPECT_NE(prom.find("gen_ai_request_model=\"" + std::string(AGM_MAX_LABEL_BYTES, 'x') + "\""),
            std::string::npos);
  EXPECT_LT(export_text(h.get(), AGM_EXPORT_OTLP_JSON).size(), 2u << 20);

  const std::string many = dir / "many.jsonl";
  text.clear();
  const int n = AGM_MAX_GROUP_KEYS + 5;
  for (int i = 0; i < n; ++i) {
    text += R"({"v":1,"kind":"model_call","ts":1000000000,"model":"m)" + std::to_string(i) +
            R"(","usage":{"input":1,"output":1}})"
            "\n";
  }
  append_text(many, text);
  History m = open_history(many);
  const std::string prom2 = export_text(m.get(), AGM_EXPORT_PROMETHEUS);
  size_t series = 0;
  for (size_t at = 0; (at = prom2.find("agentmetrics_model_calls_total{", at)) != std::string::npos; ++at)
    ++series;
  EXPECT_EQ(series, static_cast<size_t>(AGM_MAX_GROUP_KEYS) + 1);
  EXPECT_NE(
      prom2.find(
          R"x(agentmetrics_model_calls_total{gen_ai_operation_name="chat",gen_ai_provider_name="(other)",)x"
          R"x(gen_ai_request_model="(other)",gen_ai_agent_name="(other)")x"),
      std::string::npos);
  // The cost breakdown by model: 10,000 groups and "(other)" with the 5 folded calls.
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_COST_BREAKDOWN;
  q.group_by = AGM_BY_MODEL;
  agm_buffer out = AGM_BUFFER_INIT;
  ASSERT_EQ(agm_history_query(&out, m.get(), &q), AGM_OK) << agm_last_error_message();
  simdjson::dom::parser parser;
  const auto doc = parser.parse(out.data, out.size);
  EXPECT_EQ(uint64_t(doc["folded_records"]), 5u);
  EXPECT_EQ(doc["model_calls"].get_uint64().value(), static_cast<uint64_t>(n));
  size_t groups = 0;
  bool other = false;
  for (auto g : doc["groups"].get_array()) {
    ++groups;
    if (std::string_view(g["key"]) == AGM_OTHER_KEY) {
      other = true;
      EXPECT_EQ(uint64_t(g["model_calls"]), 5u);
    }
  }
  EXPECT_EQ(groups, static_cast<size_t>(AGM_MAX_GROUP_KEYS) + 1);
  EXPECT_TRUE(other);
  agm_buffer_free(&out);
  // Below the cap, no member.
  q.group_by = AGM_BY_PROVIDER;
  ASSERT_EQ(agm_history_query(&out, m.get(), &q), AGM_OK);
  EXPECT_EQ(std::string(out.data, out.size).find("folded_records"), std::string::npos);
  agm_buffer_free(&out);
}

TEST(Export, LargeExportsArriveInPieces) {
  TempDir dir;
  const std::string path = dir / "big.jsonl";
  std::string lines;
  for (int i = 0; i < 5000; ++i) {
    lines += R"({"v":1,"kind":"tool_call","ts":)" + std::to_string(1763800000000000000 + i) +
             R"(,"tool":"t","outcome":"ok","duration_ns":1000})"
             "\n";
  }
  append_text(path, lines);
  History h = open_history(path);
  agm_export_options options = AGM_EXPORT_OPTIONS_INIT;
  options.format = AGM_EXPORT_CSV;
  struct Pieces {
    size_t count = 0, largest = 0, bytes = 0;
  } pieces;
  auto count = [](void *user, const char *, size_t size) -> int32_t {
    auto *p = static_cast<Pieces *>(user);
    ++p->count;
    p->largest = std::max(p->largest, size);
    p->bytes += size;
    return 0;
  };
  ASSERT_EQ(agm_history_export(h.get(), &options, count, &pieces), AGM_OK);
  EXPECT_GT(pieces.count, 3u);
  EXPECT_LT(pieces.largest, 80u * 1024);
  EXPECT_GT(pieces.bytes, 5000u * 50);
}

TEST(Progress, ReportsBytesUpToTheTotal) {
  TempDir dir;
  const std::string path = dir / "p.jsonl";
  std::string lines;
  for (int i = 0; i < 70000; ++i) {
    lines += R"({"v":1,"kind":"tool_call","ts":)" + std::to_string(1763800000000000000 + i) +
             R"(,"tool":"t"})"
             "\n";
  }
  append_text(path, lines);
  History h = open_history(path);
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  auto note = [](void *user, uint64_t done, uint64_t total) {
    static_cast<std::vector<std::pair<uint64_t, uint64_t>> *>(user)->emplace_back(done, total);
  };
  ASSERT_EQ(agm_history_set_progress(h.get(), note, &calls), AGM_OK);
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SUMMARY;
  Buffer out;
  ASSERT_EQ(agm_history_query(out.get(), h.get(), &q), AGM_OK);
  ASSERT_EQ(calls.size(), 2u);  // at 65,536 records and at the end
  EXPECT_LT(calls[0].first, calls[0].second);
  EXPECT_EQ(calls[1].first, lines.size());
  EXPECT_EQ(calls[1].second, lines.size());
}

TEST(Follow, ReturnsCompleteLinesAppendedSinceTheLastPoll) {
  TempDir dir;
  const std::string path = dir / "f.jsonl";
  append_text(path, R"({"v":1,"kind":"tool_call","ts":1,"tool":"old"})"
                    "\n");
  agm_follow *raw = nullptr;
  ASSERT_EQ(agm_follow_open(&raw, path.c_str(), 0), AGM_OK);
  std::unique_ptr<agm_follow, void (*)(agm_follow *)> f(raw, agm_follow_free);
  Buffer out;
  uint64_t n = 99;
  ASSERT_EQ(agm_follow_poll(out.get(), &n, f.get()), AGM_OK);
  EXPECT_EQ(n, 0u);  // not from the start
  append_text(path, R"({"v":1,"kind":"tool_call","ts":2,"tool":"new"})"
                    "\n"
                    R"({"v":1,"kind":"tool_call","ts":3,)");
  ASSERT_EQ(agm_follow_poll(out.get(), &n, f.get()), AGM_OK);
  EXPECT_EQ(n, 1u);
  EXPECT_NE(out.str().find("\"tool\":\"new\""), std::string::npos);
  append_text(path, R"("tool":"torn-then-whole"})"
                    "\n"
                    "garbage\n");
  uint64_t malformed = 99;
  ASSERT_EQ(agm_follow_malformed(&malformed, f.get()), AGM_OK);
  EXPECT_EQ(malformed, 0u);  // the torn line is still being written
  ASSERT_EQ(agm_follow_poll(out.get(), &n, f.get()), AGM_OK);
  EXPECT_EQ(n, 1u);
  EXPECT_NE(out.str().find("torn-then-whole"), std::string::npos);
  ASSERT_EQ(agm_follow_malformed(&malformed, f.get()), AGM_OK);
  EXPECT_EQ(malformed, 1u);  // "garbage"
  EXPECT_EQ(agm_follow_malformed(nullptr, f.get()), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_follow_malformed(&malformed, nullptr), AGM_E_INVALID_ARGUMENT);

  agm_follow *all = nullptr;
  ASSERT_EQ(agm_follow_open(&all, path.c_str(), AGM_FOLLOW_FROM_START), AGM_OK);
  ASSERT_EQ(agm_follow_poll(out.get(), &n, all), AGM_OK);
  EXPECT_EQ(n, 3u);
  agm_follow_free(all);
  EXPECT_EQ(agm_follow_open(&all, (dir / "missing").c_str(), 0), AGM_E_NOT_FOUND);
  EXPECT_EQ(agm_follow_open(&all, path.c_str(), 8), AGM_E_INVALID_ARGUMENT);
}

TEST(Follow, APollReadsABoundedAmountAndTheNextOnesCatchUp) {
  TempDir dir;
  const std::string path = dir / "big.jsonl";
  std::string lines;
  const std::string tool(100, 'x');  // ~160-byte lines: 40,000 of them are over 6 MB
  for (int i = 0; i < 40000; ++i) {
    lines += R"({"v":1,"kind":"tool_call","ts":)" + std::to_string(i + 1) + R"(,"tool":")" + tool + "\"}\n";
  }
  append_text(path, lines);
  agm_follow *raw = nullptr;
  ASSERT_EQ(agm_follow_open(&raw, path.c_str(), AGM_FOLLOW_FROM_START), AGM_OK);
  std::unique_ptr<agm_follow, void (*)(agm_follow *)> f(raw, agm_follow_free);
  Buffer out;
  uint64_t n = 0, total = 0, polls = 0;
  do {
    ASSERT_EQ(agm_follow_poll(out.get(), &n, f.get()), AGM_OK);
    EXPECT_LT(out.str().size(), 8u << 20);
    total += n;
    ++polls;
  } while (n > 0);
  EXPECT_EQ(total, 40000u);
  EXPECT_GE(polls, 6u);  // at most 1 MiB of journal a poll, then an empty one
}

TEST(Follow, DatabaseRowsByInsertion) {
  TempDir dir;
  const std::string db = dir / "m.db";
  Recorder rec = new_recorder();
  agm_store_options store = AGM_STORE_OPTIONS_INIT;
  store.database = db.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &store), AGM_OK) << agm_last_error_message();
  agm_session *s = nullptr;
  ASSERT_EQ(agm_session_new(&s, rec.get(), nullptr), AGM_OK);
  Session session(s);
  agm_tool_call call = AGM_TOOL_CALL_INIT;
  call.name = "first";
  call.duration_ns = 5;
  call.present = AGM_CALL_HAS_DURATION;
  ASSERT_EQ(agm_session_record_tool_call(s, &call), AGM_OK) << agm_last_error_message();
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK);
  agm_follow *raw = nullptr;
  ASSERT_EQ(agm_follow_open(&raw, db.c_str(), 0), AGM_OK) << agm_last_error_message();
  std::unique_ptr<agm_follow, void (*)(agm_follow *)> f(raw, agm_follow_free);
  call.name = "second";
  ASSERT_EQ(agm_session_record_tool_call(s, &call), AGM_OK);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK);
  Buffer out;
  uint64_t n = 0;
  ASSERT_EQ(agm_follow_poll(out.get(), &n, f.get()), AGM_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_NE(out.str().find("\"tool\":\"second\""), std::string::npos);
  ASSERT_EQ(agm_follow_poll(out.get(), &n, f.get()), AGM_OK);
  EXPECT_EQ(n, 0u);
}

TEST(Prices, ListingFiltersAndSorts) {
  Recorder rec = new_recorder();
  Buffer out;
  ASSERT_EQ(agm_recorder_prices(out.get(), rec.get(), "GPT-4O-MINI"), AGM_OK);
  simdjson::dom::parser parser;
  simdjson::dom::array entries = parser.parse(out.str()).get_array();
  ASSERT_GT(entries.size(), 0u);
  std::string previous;
  for (simdjson::dom::element e : entries) {
    const std::string model{std::string_view(e["model"])};
    EXPECT_NE(model.find("gpt-4o-mini"), std::string::npos);
    EXPECT_LT(previous, model);
    previous = model;
  }
  ASSERT_EQ(agm_recorder_prices(out.get(), rec.get(), "no-such-model-anywhere"), AGM_OK);
  EXPECT_EQ(out.str(), "[]");
}

// ---- OTLP push, through scripted senders: the requests the core asks for and what it does with
// each outcome. The waits themselves are in test_otlp_http.cpp (an injected sleep).

constexpr const char *kReply = R"({"partialSuccess":{}})";

// Pushes the sample store through `sender` with `otlp`; the status, and the response body in
// `response` when given.
agm_status push(agm_history *h, agm_otlp_options &otlp, std::string *response = nullptr) {
  agm_export_options options = AGM_EXPORT_OPTIONS_INIT;
  Buffer out;
  const agm_status status = agm_history_push_otlp(response ? out.get() : nullptr, h, &options, &otlp);
  if (response) *response = out.str();
  return status;
}

TEST_F(ExportTest, PushAsksTheSenderForOnePostToV1Metrics) {
  ScriptedSender sender({status(200, kReply)});
  agm_otlp_options otlp = sender.options("http://collector.invalid:4318/");
  otlp.headers = "authorization=Bearer%20secret, x-tenant = acme";
  std::string response;
  ASSERT_EQ(push(history_.get(), otlp, &response), AGM_OK) << agm_last_error_message();
  EXPECT_EQ(response, kReply);
  ASSERT_EQ(sender.requests().size(), 1u);
  const Request &r = sender.requests()[0];
  EXPECT_EQ(r.struct_size, sizeof(agm_http_request));
  EXPECT_EQ(r.url, "http://collector.invalid:4318/v1/metrics");
  EXPECT_EQ(r.timeout_ms, 10'000u);  // the default
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"}, {"authorization", "Bearer secret"}, {"x-tenant", "acme"}};
  EXPECT_EQ(r.headers, headers);
  EXPECT_EQ(r.body, export_text(history_.get(), AGM_EXPORT_OTLP_JSON));  // the OTLP/JSON export
  EXPECT_NE(r.body.find("\"gen_ai.client.token.usage\""), std::string::npos);

  // Where the path already ends with /v1/metrics it is kept; a query stays last.
  for (const auto &[endpoint, url] : std::vector<std::pair<std::string, std::string>>{
           {"https://h/custom/v1/metrics", "https://h/custom/v1/metrics"},
           {"http://h:4318?tenant=a", "http://h:4318/v1/metrics?tenant=a"},
           {"http://h/otlp//", "http://h/otlp/v1/metrics"}}) {
    ScriptedSender one({status(204)});
    agm_otlp_options o = one.options(endpoint.c_str());
    o.timeout_ms = 1234;
    ASSERT_EQ(push(history_.get(), o, &response), AGM_OK) << agm_last_error_message();
    EXPECT_EQ(response, "");  // a 2xx without a body
    ASSERT_EQ(one.requests().size(), 1u);
    EXPECT_EQ(one.requests()[0].url, url);
    EXPECT_EQ(one.requests()[0].timeout_ms, 1234u);
  }
}

// The OTLP specification's transient failures are retried, with the same body each time.
TEST_F(ExportTest, PushRetriesEachTransientStatusAndOutcome) {
  for (const Reply &transient :
       {status(429), status(502), status(503, "", "0"), status(504),
        outcome(AGM_HTTP_CONNECT_FAILED, "connection refused"), outcome(AGM_HTTP_TIMED_OUT)}) {
    ScriptedSender sender({transient, status(200, kReply)});
    agm_otlp_options otlp = sender.options();
    otlp.retry_delay_ms = 1;
    std::string response;
    ASSERT_EQ(push(history_.get(), otlp, &response), AGM_OK)
        << transient.outcome << " " << transient.status << ": " << agm_last_error_message();
    EXPECT_EQ(response, kReply);
    ASSERT_EQ(sender.requests().size(), 2u) << transient.outcome << " " << transient.status;
    EXPECT_EQ(sender.requests()[1].body, sender.requests()[0].body);
    EXPECT_EQ(sender.requests()[1].headers, sender.requests()[0].headers);
  }
}

// Everything else is final: a retry would have got the 200.
TEST_F(ExportTest, PushDoesNotRetryWhatIsNotTransient) {
  for (const Reply &final_reply :
       {status(400, R"({"code":3,"message":"bad data"})"), status(401), status(404), status(500), status(501),
        status(307), status(100), outcome(AGM_HTTP_FAILED, "could not resolve host")}) {
    ScriptedSender sender({final_reply, status(200, kReply)});
    agm_otlp_options otlp = sender.options();
    otlp.retry_delay_ms = 1;
    EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
    const std::string message = agm_last_error_message();
    EXPECT_EQ(sender.requests().size(), 1u) << message;
    EXPECT_EQ(message.find("attempt"), std::string::npos) << message;
    EXPECT_EQ(message.rfind("OTLP push to http://collector.invalid:4318/v1/metrics failed: ", 0), 0u)
        << message;
  }
  ScriptedSender sender({status(400, R"({"code":3,"message":"bad data"})")});
  agm_otlp_options otlp = sender.options();
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  EXPECT_EQ(
      std::string(agm_last_error_message()),
      R"(OTLP push to http://collector.invalid:4318/v1/metrics failed: HTTP 400: {"code":3,"message":"bad data"})");
  ScriptedSender failed({outcome(AGM_HTTP_FAILED, "could not resolve host")});
  otlp = failed.options();
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  EXPECT_EQ(std::string(agm_last_error_message()),
            "OTLP push to http://collector.invalid:4318/v1/metrics failed: could not resolve host");
}

TEST_F(ExportTest, PushStopsAfterMaxAttempts) {
  ScriptedSender sender(
      {status(503, "try later"), status(503, "try later"), status(503, "try later"), status(200, kReply)});
  agm_otlp_options otlp = sender.options();
  otlp.retry_delay_ms = 1;
  otlp.max_attempts = 3;
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  EXPECT_EQ(
      std::string(agm_last_error_message()),
      "OTLP push to http://collector.invalid:4318/v1/metrics failed: HTTP 503: try later (attempt 3 of 3)");
  EXPECT_EQ(sender.requests().size(), 3u);
  ScriptedSender twice({status(504), status(429, "slow down"), status(200, kReply)});
  otlp = twice.options();
  otlp.retry_delay_ms = 1;
  otlp.max_attempts = 2;
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  EXPECT_EQ(
      std::string(agm_last_error_message()),
      "OTLP push to http://collector.invalid:4318/v1/metrics failed: HTTP 429: slow down (attempt 2 of 2)");

  // By default five attempts in all; the message is the last failure's.
  ScriptedSender five({outcome(AGM_HTTP_TIMED_OUT), outcome(AGM_HTTP_TIMED_OUT), outcome(AGM_HTTP_TIMED_OUT),
                       outcome(AGM_HTTP_TIMED_OUT), outcome(AGM_HTTP_CONNECT_FAILED, "connection refused"),
                       status(200, kReply)});
  otlp = five.options();
  otlp.retry_delay_ms = 1;
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  EXPECT_EQ(
      std::string(agm_last_error_message()),
      "OTLP push to http://collector.invalid:4318/v1/metrics failed: connection refused (attempt 5 of 5)");
  EXPECT_EQ(five.requests().size(), 5u);

  // One attempt: no retry at all; an outcome without a message gets the library's.
  ScriptedSender once({outcome(AGM_HTTP_TIMED_OUT), status(200, kReply)});
  otlp = once.options();
  otlp.max_attempts = 1;
  otlp.timeout_ms = 250;
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  EXPECT_EQ(std::string(agm_last_error_message()),
            "OTLP push to http://collector.invalid:4318/v1/metrics failed: no response within 250 ms");
  EXPECT_EQ(once.requests().size(), 1u);
}

// The error quotes the start of the receiver's body: 200 bytes, whole characters, text only.
TEST_F(ExportTest, PushErrorQuotesTheStartOfTheBody) {
  const std::string long_body = std::string(199, 'x') + "\xC3\xA9" + std::string(100, 'y');
  ScriptedSender sender({status(400, long_body)});
  agm_otlp_options otlp = sender.options();
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  std::string message = agm_last_error_message();
  EXPECT_EQ(message.substr(message.find("HTTP 400: ") + 10), std::string(199, 'x'));
  ScriptedSender binary({status(400, std::string("\xFF\xFE") + "ok")});
  otlp = binary.options();
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  message = agm_last_error_message();
  EXPECT_NE(message.find("HTTP 400: ??ok"), std::string::npos) << message;
}

TEST_F(ExportTest, ASenderThatReturnsNonZeroAbortsThePush) {
  Reply abort = outcome(AGM_HTTP_FAILED, "the host is shutting down");
  abort.result = 1;
  ScriptedSender sender({status(503), abort, status(200, kReply)});
  agm_otlp_options otlp = sender.options();
  otlp.retry_delay_ms = 1;
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_IO);
  EXPECT_EQ(
      std::string(agm_last_error_message()),
      "OTLP push to http://collector.invalid:4318/v1/metrics was stopped by its HTTP sender: the host is "
      "shutting down");
  EXPECT_EQ(sender.requests().size(), 2u);
}

// The library makes no network call itself: no sender, no push (also for the layout without one).
TEST_F(ExportTest, PushWithoutASenderIsRefused) {
  agm_otlp_options otlp = AGM_OTLP_OPTIONS_INIT;
  otlp.endpoint = "http://127.0.0.1:4318";
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_INVALID_ARGUMENT);
  const std::string message = agm_last_error_message();
  EXPECT_NE(message.find("otlp->send is NULL"), std::string::npos) << message;
  EXPECT_NE(message.find("makes no network calls itself"), std::string::npos) << message;
  otlp.struct_size = AGM_OTLP_OPTIONS_SIZE_V0;  // the first layout, before send
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(agm_last_error_message()).find("makes no network calls itself"), std::string::npos);
}

// Nothing is sent for a request that cannot be made.
TEST_F(ExportTest, PushRefusesBadEndpointsAndHeadersBeforeSending) {
  ScriptedSender sender({status(200, kReply)});
  agm_otlp_options otlp = sender.options("ftp://127.0.0.1:1");
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(agm_last_error_message()).find("http:// or https://"), std::string::npos);
  otlp = sender.options();
  otlp.headers = "x-evil=a%0D%0AHost: elsewhere";
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_INVALID_ARGUMENT);
  otlp.headers = "not-a-pair";
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_INVALID_ARGUMENT);
  otlp = sender.options(nullptr);
  EXPECT_EQ(push(history_.get(), otlp), AGM_E_INVALID_ARGUMENT);
  EXPECT_TRUE(sender.requests().empty());
}

// A response no HTTP client can give is the sender's bug, and the error says what was wrong.
TEST_F(ExportTest, AMisbehavingSenderGetsAClearError) {
  Reply null_body = status(200, "12345");
  null_body.null_body = true;
  const std::vector<std::pair<Reply, std::string>> cases = {
      {outcome(0), "response->outcome to 0, which is not an AGM_HTTP_* outcome"},
      {outcome(7), "response->outcome to 7, which is not an AGM_HTTP_* outcome"},
      {status(42), "status 42, which is not an HTTP status"},
      {status(600), "status 600, which is not an HTTP status"},
      {null_body, "body_size 5 with a NULL body"}};
  for (const auto &[reply, expected] : cases) {
    ScriptedSender sender({reply, status(200, kReply)});
    agm_otlp_options otlp = sender.options();
    otlp.retry_delay_ms = 1;
    EXPECT_EQ(push(history_.get(), otlp), AGM_E_INVALID_ARGUMENT) << expected;
    EXPECT_NE(std::string(agm_last_error_message()).find(expected), std::string::npos)
        << agm_last_error_message();
    EXPECT_EQ(sender.requests().size(), 1u);
  }
}

}  // namespace

namespace {

TEST(ParseTime, UtcTimesAsPeopleTypeThem) {
  int64_t ns = 0;
  const int64_t midnight = 1795305600LL * 1000000000;  // 2026-11-22T00:00:00Z
  ASSERT_EQ(agm_parse_time(&ns, "2026-11-22"), AGM_OK);
  EXPECT_EQ(ns, midnight);
  ASSERT_EQ(agm_parse_time(&ns, "2026-11-22T10:05"), AGM_OK);
  EXPECT_EQ(ns, midnight + (10 * 3600 + 5 * 60) * 1000000000LL);
  ASSERT_EQ(agm_parse_time(&ns, "2026-11-22 10:05:07,25+0000"), AGM_OK);
  EXPECT_EQ(ns, midnight + (10 * 3600 + 5 * 60 + 7) * 1000000000LL + 250000000);
  ASSERT_EQ(agm_parse_time(&ns, "2026-11-22T10:05:07.5Z"), AGM_OK);
  EXPECT_EQ(ns, midnight + (10 * 3600 + 5 * 60 + 7) * 1000000000LL + 500000000);
  for (const char *bad :
       {"2026-11-22T10:05:07+02:00", "2026-02-30", "1969-12-31", "yesterday", "2026-11-22T"}) {
    EXPECT_EQ(agm_parse_time(&ns, bad), AGM_E_INVALID_ARGUMENT) << bad;
  }
  EXPECT_EQ(agm_parse_time(nullptr, "2026-11-22"), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_parse_time(&ns, nullptr), AGM_E_INVALID_ARGUMENT);
}

}  // namespace
