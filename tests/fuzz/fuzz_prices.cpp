// libFuzzer harness: the price-table loader (LiteLLM's JSON format) through the public C ABI,
// from a buffer (agm_recorder_load_prices), then what a loaded table is used for: listing it,
// one entry as JSON, and the cost of a small and of the largest usage for its first models.
//
// Input: the price table document itself (tests/fuzz/make_corpus.py seeds it with the price
// tables of the cost fixtures and slices of the bundled table).
// Checked: no crash or sanitizer report; every error has a message and keeps the table that
// was loaded before; a cost's line items sum exactly to its total; an amount survives its
// decimal string.
#include <agentmetrics/metrics_c.h>
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace {

using u128 = unsigned __int128;

u128 value(const agm_money &m) {
  return (static_cast<u128>(m.hi) << 64) | m.lo;
}

void check_money(const agm_money &m) {
  agm_buffer text = AGM_BUFFER_INIT;
  FUZZ_CHECK(agm_money_to_decimal(&text, &m) == AGM_OK, "to_decimal");
  agm_money back = AGM_MONEY_ZERO;
  FUZZ_CHECK(agm_money_from_decimal(&back, text.data) == AGM_OK, "from_decimal(%s)", text.data);
  FUZZ_CHECK(back.hi == m.hi && back.lo == m.lo, "%s does not read back", text.data);
  agm_buffer_free(&text);
}

void check_cost(const agm_cost &c) {
  if (!(c.present & AGM_COST_HAS_VALUE)) return;
  const agm_money parts[] = {c.items.input,          c.items.cache_read, c.items.cache_write_5m,
                             c.items.cache_write_1h, c.items.output,     c.items.reasoning};
  u128 sum = 0;
  for (const agm_money &p : parts) {
    FUZZ_CHECK(!__builtin_add_overflow(sum, value(p), &sum), "the line items overflow 128 bits");
    check_money(p);
  }
  FUZZ_CHECK(sum == value(c.items.total), "the line items do not sum to the total");
  check_money(c.items.total);
}

agm_recorder *recorder() {
  static agm_recorder *rec = [] {
    agm_recorder_options o = AGM_RECORDER_OPTIONS_INIT;
    o.flags = AGM_RECORDER_F_NO_BUNDLED_PRICES;
    agm_recorder *r = nullptr;
    FUZZ_CHECK(agm_recorder_new(&r, &o) == AGM_OK, "recorder");
    return r;
  }();
  return rec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  agm_recorder *rec = recorder();
  // A known table first (AGM_PRICES_F_REPLACE: nothing of the last input is left), which a
  // rejected document must keep.
  static const char kBase[] =
      R"({"base-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06}})";
  FUZZ_CHECK(agm_recorder_load_prices(rec, kBase, sizeof kBase - 1, AGM_PRICES_F_REPLACE) == AGM_OK,
             "base table");

  const std::string document(reinterpret_cast<const char *>(data),
                             size);  // exact size: overreads are reported
  const agm_status status =
      agm_recorder_load_prices(rec, document.data(), document.size(), AGM_PRICES_F_REPLACE);
  agm_buffer listing = AGM_BUFFER_INIT;
  FUZZ_CHECK(agm_recorder_prices(&listing, rec, nullptr) == AGM_OK, "listing");
  if (status != AGM_OK) {
    FUZZ_CHECK(status == AGM_E_CORRUPT || status == AGM_E_OUT_OF_MEMORY, "status %s",
               agm_status_name(status));
    const char *message = agm_last_error_message();
    FUZZ_CHECK(message != nullptr && *message != '\0', "no message");
    agm_buffer entry = AGM_BUFFER_INIT;
    FUZZ_CHECK(agm_recorder_price_json(&entry, rec, "base-model", nullptr) == AGM_OK,
               "the table was not kept");
    agm_buffer_free(&entry);
    agm_buffer_free(&listing);
    return 0;
  }

  // The models of the listing (it is the library's own JSON: it must parse).
  std::vector<std::string> models;
  {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    FUZZ_CHECK(parser.parse(listing.data, listing.size).get(doc) == simdjson::SUCCESS,
               "listing is not JSON: %s", listing.data);
    simdjson::dom::array entries;
    FUZZ_CHECK(doc.get_array().get(entries) == simdjson::SUCCESS, "listing is not an array");
    for (simdjson::dom::element e : entries) {
      std::string_view name;
      FUZZ_CHECK(e["model"].get_string().get(name) == simdjson::SUCCESS, "an entry without a model");
      if (models.size() < 4) models.emplace_back(name);
    }
  }
  agm_buffer_free(&listing);

  // The largest usage recording accepts: the four input and output kinds sum to under 2^53.
  constexpr int64_t kMax = (int64_t{1} << 51) - 1;
  agm_usage small = AGM_USAGE_INIT, large = AGM_USAGE_INIT;
  small.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_CACHE_WRITE |
                  AGM_USAGE_HAS_CACHE_WRITE_1H | AGM_USAGE_HAS_OUTPUT | AGM_USAGE_HAS_REASONING;
  small.input_tokens = 1000, small.cache_read_tokens = 300000, small.cache_write_tokens = 20;
  small.cache_write_1h_tokens = 10, small.output_tokens = 100, small.reasoning_tokens = 40;
  large.present = small.present;
  large.input_tokens = large.cache_read_tokens = large.cache_write_tokens = large.cache_write_1h_tokens =
      kMax;
  large.output_tokens = large.reasoning_tokens = kMax;
  for (const std::string &model : models) {
    agm_buffer entry = AGM_BUFFER_INIT;
    FUZZ_CHECK(agm_recorder_price_json(&entry, rec, model.c_str(), nullptr) != AGM_E_INTERNAL, "price_json");
    agm_buffer_free(&entry);
    for (const agm_usage *u : {&small, &large}) {
      agm_cost cost = AGM_COST_INIT;
      const agm_status s = agm_recorder_cost(&cost, rec, model.c_str(), "fuzz", u);
      FUZZ_CHECK(s == AGM_OK, "cost of %s: %s: %s", model.c_str(), agm_status_name(s),
                 agm_last_error_message());
      check_cost(cost);
    }
  }
  return 0;
}
