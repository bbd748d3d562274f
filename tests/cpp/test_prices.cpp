// Price tables: LiteLLM parsing, tiers, name resolution, the bundled table.
#include <gtest/gtest.h>

#include "errors.hpp"
#include "prices.hpp"

namespace agentmetrics {
namespace {

Usage usage(int64_t input, int64_t output, int64_t cache_read = -1, int64_t cache_write = -1) {
  Usage u;
  u.set(kInput, input);
  u.set(kOutput, output);
  if (cache_read >= 0) u.set(kCacheRead, cache_read);
  if (cache_write >= 0) u.set(kCacheWrite, cache_write);
  u.derive_total();
  return u;
}

std::string usd(const Cost &c) {
  return money_to_decimal(c.total);
}

constexpr char kTable[] = R"({
  "sample_spec": {"input_cost_per_token": 0.0, "max_tokens": "LEGACY parameter"},
  "tiered": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
             "input_cost_per_token_above_128k_tokens": 2e-06, "output_cost_per_token_above_128k_tokens": 4e-06,
             "input_cost_per_token_above_200k_tokens": 3e-06,
             "input_cost_per_token_above_200k_tokens_priority": 9e-06,
             "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 8e-06},
  "claude-x-20250101": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
  "claude-x-20250601": {"input_cost_per_token": 2e-06, "output_cost_per_token": 2e-06},
  "gpt-y": {"input_cost_per_token": 5e-06, "output_cost_per_token": 5e-06},
  "azure/gpt-y": {"input_cost_per_token": 7e-06, "output_cost_per_token": 7e-06},
  "image-only": {"output_cost_per_image": 0.04, "mode": "image_generation"},
  "embed": {"input_cost_per_token": 1e-07, "mode": "embedding"}
})";

std::shared_ptr<const PriceTable> table() {
  return PriceTable::empty()->merged(kTable, true);
}

TEST(Prices, TiersAreACliffOnTotalInputUsingTheHighestTierThatDefinesARate) {
  auto t = table();
  const PriceEntry *e = t->resolve("tiered", "");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->tiers.size(), 2u);                                   // the _priority variant is not a tier
  EXPECT_EQ(usd(price_usage(e, usage(128000, 1000))), "0.13");      // 128,000 is not above 128k
  EXPECT_EQ(usd(price_usage(e, usage(128001, 1000))), "0.260002");  // 128k tier: 2e-6 and 4e-6
  // Above 200k: input from the 200k tier, output still from the 128k tier.
  EXPECT_EQ(usd(price_usage(e, usage(150000, 1000, 60000))), "0.634");
}

TEST(Prices, NamesResolveByPrefixCaseAndDate) {
  auto t = table();
  auto key = [&](std::string_view model, std::string_view provider = "") {
    const PriceEntry *e = t->resolve(model, provider);
    return e ? e->key : std::string("<unpriced>");
  };
  EXPECT_EQ(key("gpt-y"), "gpt-y");
  EXPECT_EQ(key("GPT-Y"), "gpt-y");
  EXPECT_EQ(key("openai/gpt-y"), "gpt-y");
  EXPECT_EQ(key("gpt-y", "azure"), "azure/gpt-y");
  EXPECT_EQ(key("gpt-y", "azure.chat"), "azure/gpt-y");
  EXPECT_EQ(key("gpt-y", "openai.chat"), "gpt-y");
  EXPECT_EQ(key("openrouter/openai/gpt-y"), "gpt-y");
  EXPECT_EQ(key("gpt-y-20240101"), "gpt-y");
  EXPECT_EQ(key("gpt-y-2024-01-01"), "gpt-y");
  EXPECT_EQ(key("gpt-y@20240101"), "gpt-y");
  EXPECT_EQ(key("claude-x"), "claude-x-20250601");  // the newest dated variant
  EXPECT_EQ(key("claude-x-20250101"), "claude-x-20250101");
  EXPECT_EQ(key("image-only"), "<unpriced>");  // no token rates
  EXPECT_EQ(key("sample_spec"), "<unpriced>");
  EXPECT_EQ(key(""), "<unpriced>");
  EXPECT_EQ(key("nothing-like-it"), "<unpriced>");
  EXPECT_EQ(key("embed"), "embed");
  EXPECT_EQ(usd(price_usage(t->resolve("embed", ""), usage(1000, 5))), "0.0001");  // no output rate: 0
}

TEST(Prices, MergingOverridesWholeEntriesAndRejectsBadDocuments) {
  auto t = table();
  auto merged = t->merged(R"({"gpt-y": {"input_cost_per_token": 1e-06, "output_cost_per_token": 0}})", false);
  EXPECT_EQ(usd(price_usage(merged->resolve("gpt-y", ""), usage(1000, 1000))), "0.001");
  EXPECT_EQ(usd(price_usage(t->resolve("gpt-y", ""), usage(1000, 1000))), "0.01");  // unchanged
  EXPECT_NE(merged->resolve("claude-x", ""), nullptr);
  EXPECT_THROW(t->merged("[]", false), Corrupt);
  EXPECT_THROW(t->merged("{\"m\": {\"input_cost_per_token\": -1}}", false), Corrupt);
  EXPECT_THROW(t->merged("{\"m\": {\"input_cost_per_token\": true}}", false), Corrupt);
  EXPECT_THROW(t->with_entry("m", "{\"mode\": \"chat\"}"), Corrupt);
  EXPECT_THROW(t->with_entry("m", "{\"input_cost_per_token\": 1e-6"), Corrupt);
  auto one = t->with_entry("brand-new", R"({"input_cost_per_token": 4e-06})");
  EXPECT_EQ(usd(price_usage(one->resolve("brand-new", ""), usage(10, 0))), "0.00004");
}

TEST(Prices, EntryJsonHasExactDecimalRates) {
  auto t = table();
  const std::string json = price_entry_json(*t->resolve("tiered", ""), "Tiered");
  EXPECT_NE(json.find(R"("model":"Tiered","resolved":"tiered")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("input_cost_per_token":"0.000001")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"({"above_tokens":128000,"input_cost_per_token":"0.000002")"), std::string::npos)
      << json;
}

TEST(Prices, BundledTableLoadsAndPricesCurrentModels) {
  auto bundled = PriceTable::bundled();
  EXPECT_GT(bundled->size(), 1000u);
  for (const char *model : {"gpt-4o", "gpt-5", "claude-sonnet-4-5", "claude-opus-4-5", "gemini-2.5-pro",
                            "gemini-2.5-flash", "anthropic/claude-sonnet-4-5", "o3-mini"}) {
    EXPECT_NE(bundled->resolve(model, ""), nullptr) << model;
  }
  // gpt-4o: $2.50 / $10 per million.
  EXPECT_EQ(usd(price_usage(bundled->resolve("gpt-4o", ""), usage(1000000, 1000000))), "12.5");
}

}  // namespace
}  // namespace agentmetrics
