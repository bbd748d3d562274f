// Every case of ../shared/fixtures (usage, cost, format) through the public C ABI. The folders
// come from AGM_USAGE_FIXTURES, AGM_COST_FIXTURES and AGM_FORMAT_FIXTURES, else from
// AGM_DEFAULT_FIXTURES (set by tests/meson.build).
#include <agentmetrics/metrics_c.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace {

namespace fs = std::filesystem;
using simdjson::dom::element;

std::string fixture_dir(const char *var, const char *kind) {
  if (const char *dir = std::getenv(var); dir != nullptr && *dir) return dir;
  return (fs::path(AGM_DEFAULT_FIXTURES) / kind).string();
}

struct Buffer {
  agm_buffer b = AGM_BUFFER_INIT;
  ~Buffer() { agm_buffer_free(&b); }
  std::string str() const { return b.data ? std::string(b.data, b.size) : "<null>"; }
};

std::string last_error() {
  return agm_last_error_message();
}

// ---- usage ----------------------------------------------------------------------------------

const std::map<std::string, int32_t> kUsageFormats = {
    {"openai_chat", AGM_FORMAT_OPENAI_CHAT}, {"openai_responses", AGM_FORMAT_OPENAI_RESPONSES},
    {"anthropic", AGM_FORMAT_ANTHROPIC},     {"google_genai", AGM_FORMAT_GOOGLE_GENAI},
    {"bedrock", AGM_FORMAT_BEDROCK},         {"ai_sdk_v4", AGM_FORMAT_AI_SDK_V4},
    {"ai_sdk_v5", AGM_FORMAT_AI_SDK_V5},     {"ai_sdk_v6", AGM_FORMAT_AI_SDK_V6},
    {"mastra", AGM_FORMAT_MASTRA},
};

std::optional<std::string> string_at(element e, std::initializer_list<const char *> path) {
  for (const char *key : path) {
    if (e.at_key(key).get(e)) return std::nullopt;
  }
  std::string_view s;
  if (e.get_string().get(s)) return std::nullopt;
  return std::string(s);
}

TEST(Fixtures, UsageNormalisation) {
  const fs::path dir = fixture_dir("AGM_USAGE_FIXTURES", "usage");
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int cases = 0;
  for (const auto &[file, format] : kUsageFormats) {
    simdjson::dom::parser parser;
    element doc;
    ASSERT_EQ(parser.load((dir / (file + ".json")).string()).get(doc), simdjson::SUCCESS) << file;
    for (element c : doc.get_array()) {
      const std::string name = file + "/" + std::string(c["name"].get_string().value());
      SCOPED_TRACE(name);
      const std::string payload = simdjson::to_string(c["payload"].value());
      element ctx_json;
      const bool has_ctx = !c.at_key("context").get(ctx_json);
      std::optional<std::string> provider, version, event;
      bool partial = false;
      if (has_ctx) {
        provider = string_at(ctx_json, {"provider"});
        if (!provider) provider = string_at(ctx_json, {"model", "provider"});
        version = string_at(ctx_json, {"model", "version"});
        event = string_at(ctx_json, {"stream_event"});
        bool b = false;
        partial = !ctx_json["adk_partial"].get_bool().get(b) && b;
      }
      agm_usage_context ctx = AGM_USAGE_CONTEXT_INIT;
      ctx.provider = provider ? provider->c_str() : nullptr;
      ctx.model_version = version ? version->c_str() : nullptr;
      ctx.stream_event = event ? event->c_str() : nullptr;
      ctx.flags = partial ? AGM_USAGE_CTX_ADK_PARTIAL : 0;

      agm_usage u = AGM_USAGE_INIT;
      ASSERT_EQ(agm_usage_from_json(&u, format, payload.data(), payload.size(), &ctx), AGM_OK)
          << last_error();
      element expected = c["expected"].value();
      if (expected.is_null()) {
        EXPECT_EQ(u.present, 0u) << "no usage record expected";
      } else {
        const std::pair<const char *, std::pair<uint64_t, int64_t>> fields[] = {
            {"input_tokens", {AGM_USAGE_HAS_INPUT, u.input_tokens}},
            {"cache_read_tokens", {AGM_USAGE_HAS_CACHE_READ, u.cache_read_tokens}},
            {"cache_write_tokens", {AGM_USAGE_HAS_CACHE_WRITE, u.cache_write_tokens}},
            {"output_tokens", {AGM_USAGE_HAS_OUTPUT, u.output_tokens}},
            {"reasoning_tokens", {AGM_USAGE_HAS_REASONING, u.reasoning_tokens}},
            {"total_tokens", {AGM_USAGE_HAS_TOTAL, u.total_tokens}},
        };
        for (const auto &[field, got] : fields) {
          element want = expected[field].value();
          if (want.is_null()) {
            EXPECT_FALSE(u.present & got.first) << field << " should be missing";
          } else {
            EXPECT_TRUE(u.present & got.first) << field << " should be present";
            EXPECT_EQ(got.second, int64_t(want)) << field;
          }
        }
      }
      ++cases;
    }
  }
  EXPECT_GT(cases, 0);
  RecordProperty("cases", cases);
}

// ---- cost -----------------------------------------------------------------------------------

TEST(Fixtures, Cost) {
  const fs::path file = fs::path(fixture_dir("AGM_COST_FIXTURES", "cost")) / "cases.json";
  simdjson::dom::parser parser;
  element doc;
  ASSERT_EQ(parser.load(file.string()).get(doc), simdjson::SUCCESS) << file;
  const std::string pricing = simdjson::to_string(doc["pricing"].value());

  agm_recorder_options options = AGM_RECORDER_OPTIONS_INIT;
  options.flags = AGM_RECORDER_F_NO_BUNDLED_PRICES;  // the fixture table is the only table
  agm_recorder *raw = nullptr;
  ASSERT_EQ(agm_recorder_new(&raw, &options), AGM_OK);
  std::unique_ptr<agm_recorder, decltype(&agm_recorder_free)> rec(raw, agm_recorder_free);
  ASSERT_EQ(agm_recorder_load_prices(rec.get(), pricing.data(), pricing.size(), 0), AGM_OK) << last_error();

  int cases = 0;
  for (element c : doc["cases"].get_array()) {
    const std::string name(c["name"].get_string().value());
    SCOPED_TRACE(name);
    const std::string model(c["model"].get_string().value());
    agm_usage u = AGM_USAGE_INIT;
    const std::pair<const char *, std::pair<uint64_t, int64_t *>> fields[] = {
        {"input_tokens", {AGM_USAGE_HAS_INPUT, &u.input_tokens}},
        {"cache_read_tokens", {AGM_USAGE_HAS_CACHE_READ, &u.cache_read_tokens}},
        {"cache_write_tokens", {AGM_USAGE_HAS_CACHE_WRITE, &u.cache_write_tokens}},
        {"cache_write_1h_tokens", {AGM_USAGE_HAS_CACHE_WRITE_1H, &u.cache_write_1h_tokens}},
        {"output_tokens", {AGM_USAGE_HAS_OUTPUT, &u.output_tokens}},
        {"reasoning_tokens", {AGM_USAGE_HAS_REASONING, &u.reasoning_tokens}},
    };
    for (const auto &[field, slot] : fields) {
      element v = c["usage"][field].value();
      if (v.is_null()) continue;
      u.present |= slot.first;
      *slot.second = int64_t(v);
    }
    agm_cost cost = AGM_COST_INIT;
    ASSERT_EQ(agm_recorder_cost(&cost, rec.get(), model.c_str(), nullptr, &u), AGM_OK) << last_error();
    element expected = c["expected_cost_usd"].value();
    if (expected.is_null()) {
      EXPECT_EQ(cost.present, 0u) << "unpriced: no cost, never 0";
    } else {
      ASSERT_EQ(cost.present, uint64_t{AGM_COST_HAS_VALUE});
      // Compare as exact decimals: parse the expected string with the library and compare units.
      agm_money want;
      ASSERT_EQ(agm_money_from_decimal(&want, std::string(expected.get_string().value()).c_str()), AGM_OK);
      EXPECT_EQ(cost.items.total.hi, want.hi);
      EXPECT_EQ(cost.items.total.lo, want.lo);
      Buffer got;
      ASSERT_EQ(agm_money_to_decimal(&got.b, &cost.items.total), AGM_OK);
      EXPECT_EQ(got.str(), std::string(expected.get_string().value()));
    }
    ++cases;
  }
  EXPECT_GT(cases, 0);
}

// ---- format ---------------------------------------------------------------------------------

TEST(Fixtures, Format) {
  const fs::path file = fs::path(fixture_dir("AGM_FORMAT_FIXTURES", "format")) / "cases.json";
  simdjson::dom::parser parser;
  element doc;
  ASSERT_EQ(parser.load(file.string()).get(doc), simdjson::SUCCESS) << file;
  int cases = 0;
  for (element pair : doc["tokens"].get_array()) {
    Buffer out;
    ASSERT_EQ(agm_format_tokens(&out.b, int64_t(pair.at(0).value())), AGM_OK);
    EXPECT_EQ(out.str(), std::string(pair.at(1).get_string().value()));
    ++cases;
  }
  for (element pair : doc["duration_ms"].get_array()) {
    Buffer out;
    ASSERT_EQ(agm_format_duration_ms(&out.b, double(pair.at(0).value())), AGM_OK);
    EXPECT_EQ(out.str(), std::string(pair.at(1).get_string().value())) << double(pair.at(0).value());
    ++cases;
  }
  for (element pair : doc["cost_usd"].get_array()) {
    const std::string amount(pair.at(0).get_string().value());
    agm_money m;
    ASSERT_EQ(agm_money_from_decimal(&m, amount.c_str()), AGM_OK);
    Buffer out;
    ASSERT_EQ(agm_format_cost(&out.b, &m), AGM_OK);
    EXPECT_EQ(out.str(), std::string(pair.at(1).get_string().value())) << amount;
    ++cases;
  }
  EXPECT_GT(cases, 0);
}

}  // namespace
