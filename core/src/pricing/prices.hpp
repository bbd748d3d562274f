// Price table in LiteLLM's format, name resolution and exact cost (metrics_c.h, "Prices").
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "money.hpp"
#include "strings.hpp"
#include "usage.hpp"

namespace agentmetrics {

enum RateKind : int {
  kRateInput = 0,
  kRateCacheRead,
  kRateCacheWrite,
  kRateCacheWrite1h,
  kRateOutput,
  kRateReasoning,
  kRateKinds
};

// Attodollars per token, with presence.
struct Rates {
  uint64_t atto[kRateKinds] = {};
  uint32_t present = 0;
  bool has(RateKind k) const { return (present >> k) & 1u; }
  void set(RateKind k, uint64_t v) {
    atto[k] = v;
    present |= 1u << k;
  }
};

struct PriceEntry {
  std::string key;  // the table's name for it
  std::string provider, mode;
  Rates base;
  std::vector<std::pair<int64_t, Rates>> tiers;  // (threshold in tokens, rates), ascending
  // Every rate with tiers and fallbacks applied, for total inputs above each threshold
  // (ascending; the first, threshold -1, is the base). Built once when the entry is read.
  std::vector<std::pair<int64_t, Rates>> effective;
};

// Line items of agm_cost_items, in order.
enum CostItem : int {
  kCostInput = 0,
  kCostCacheRead,
  kCostCacheWrite5m,
  kCostCacheWrite1h,
  kCostOutput,
  kCostReasoning,
  kCostItems
};

struct Cost {
  bool priced = false;
  u128 item[kCostItems] = {};
  u128 total = 0;
};

// Cost of `usage` at `entry`'s rates (null entry or empty usage: unpriced). Inline: it runs
// on every recorded model call.
inline Cost price_usage(const PriceEntry *entry, const Usage &u) {
  Cost cost;
  if (entry == nullptr || u.empty()) return cost;
  // Missing counts are 0 here: Usage keeps absent counts at 0.
  const int64_t input = u.get(kInput), cache_read = u.get(kCacheRead), cache_write = u.get(kCacheWrite);
  const int64_t write_1h = std::min(u.get(kCacheWrite1h), cache_write);
  const int64_t output = u.get(kOutput), reasoning = std::min(u.get(kReasoning), output);
  const int64_t total_input = input + cache_read + cache_write;

  // The rates of the highest tier strictly below the total input (a cliff, not marginal).
  auto tier = entry->effective.rbegin();
  while (tier->first >= total_input) ++tier;
  const uint64_t *rate = tier->second.atto;

  cost.priced = true;
  cost.item[kCostInput] = mul_tokens(input, rate[kRateInput]);
  cost.item[kCostCacheRead] = mul_tokens(cache_read, rate[kRateCacheRead]);
  cost.item[kCostCacheWrite5m] = mul_tokens(cache_write - write_1h, rate[kRateCacheWrite]);
  cost.item[kCostCacheWrite1h] = mul_tokens(write_1h, rate[kRateCacheWrite1h]);
  cost.item[kCostOutput] = mul_tokens(output - reasoning, rate[kRateOutput]);
  cost.item[kCostReasoning] = mul_tokens(reasoning, rate[kRateReasoning]);
  for (u128 item : cost.item) cost.total += item;
  return cost;
}

class PriceTable {
 public:
  // The table bundled with the library, parsed once per process.
  static std::shared_ptr<const PriceTable> bundled();
  static std::shared_ptr<const PriceTable> empty();

  // A new table: this one (nothing if `replace`) with the document's entries merged over it.
  // Throws Corrupt for a document that is not a LiteLLM table.
  std::shared_ptr<const PriceTable> merged(std::string_view document, bool replace) const;
  // A new table with one entry (a LiteLLM entry object) set for `model`.
  std::shared_ptr<const PriceTable> with_entry(std::string_view model, std::string_view entry_json) const;

  // The entry a model name resolves to (rules in metrics_c.h), or nullptr: unpriced.
  const PriceEntry *resolve(std::string_view model, std::string_view provider) const;
  size_t size() const { return entries_.size(); }
  // Every entry whose key contains `filter` (ASCII case-insensitive; empty: all), sorted by
  // key, as a JSON array of price_entry_json objects.
  std::string list_json(std::string_view filter) const;

 private:
  const PriceEntry *find(std::string_view name) const;
  void rebuild_index();

  std::unordered_map<std::string, PriceEntry, StringHash, std::equal_to<>> entries_;
  // Date-suffixed entries by their name without the date, newest first.
  std::unordered_map<std::string, std::vector<const PriceEntry *>, StringHash, std::equal_to<>> dated_;
};

// The entry as JSON with exact decimal rates (agm_recorder_price_json).
std::string price_entry_json(const PriceEntry &entry, std::string_view model_as_given);

}  // namespace agentmetrics
