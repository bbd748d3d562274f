#include "prices.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

#include "bundled.hpp"
#include "errors.hpp"
#include "json.hpp"

namespace agentmetrics {

namespace {

// LiteLLM key of each rate; longest first so that "..._above_1hr" is not read as a tier of
// the 5-minute write rate.
constexpr std::array<std::pair<std::string_view, RateKind>, kRateKinds> kRateKeys = {{
    {"cache_creation_input_token_cost_above_1hr", kRateCacheWrite1h},
    {"cache_creation_input_token_cost", kRateCacheWrite},
    {"cache_read_input_token_cost", kRateCacheRead},
    {"output_cost_per_reasoning_token", kRateReasoning},
    {"input_cost_per_token", kRateInput},
    {"output_cost_per_token", kRateOutput},
}};

std::string_view rate_key(RateKind kind) {
  for (auto [key, k] : kRateKeys) {
    if (k == kind) return key;
  }
  return {};
}

// "_above_<N>k_tokens" -> N * 1000, or nullopt.
std::optional<int64_t> tier_threshold(std::string_view suffix) {
  constexpr std::string_view kPrefix = "_above_", kSuffix = "k_tokens";
  if (suffix.size() <= kPrefix.size() + kSuffix.size() || suffix.substr(0, kPrefix.size()) != kPrefix ||
      suffix.substr(suffix.size() - kSuffix.size()) != kSuffix) {
    return std::nullopt;
  }
  const std::string_view digits =
      suffix.substr(kPrefix.size(), suffix.size() - kPrefix.size() - kSuffix.size());
  int64_t thousands = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), thousands);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || thousands > 1'000'000'000) {
    return std::nullopt;
  }
  return thousands * 1000;
}

// The pricing rules (metrics_c.h, "Prices"), applied once per entry: for the base and each
// tier, every kind's rate is the highest active tier's that defines it, else the base's, else
// its fallback (cache kinds: the input rate; 1-hour writes: the 5-minute write rate;
// reasoning: the output rate; input and output: 0).
void resolve_rates(PriceEntry &entry) {
  entry.effective.clear();
  for (size_t active = 0; active <= entry.tiers.size(); ++active) {
    auto rate = [&](RateKind k) -> std::optional<uint64_t> {
      for (size_t t = active; t-- > 0;) {
        if (entry.tiers[t].second.has(k)) return entry.tiers[t].second.atto[k];
      }
      if (entry.base.has(k)) return entry.base.atto[k];
      return std::nullopt;
    };
    Rates r;
    r.set(kRateInput, rate(kRateInput).value_or(0));
    r.set(kRateOutput, rate(kRateOutput).value_or(0));
    r.set(kRateCacheRead, rate(kRateCacheRead).value_or(r.atto[kRateInput]));
    r.set(kRateCacheWrite, rate(kRateCacheWrite).value_or(r.atto[kRateInput]));
    r.set(kRateCacheWrite1h, rate(kRateCacheWrite1h).value_or(r.atto[kRateCacheWrite]));
    r.set(kRateReasoning, rate(kRateReasoning).value_or(r.atto[kRateOutput]));
    entry.effective.emplace_back(active == 0 ? -1 : entry.tiers[active - 1].first, r);
  }
}

PriceEntry parse_entry(std::string_view name, json::element value) {
  PriceEntry entry;
  entry.key = std::string(name);
  json::object fields;
  if (value.get_object().get(fields)) throw Corrupt("price entry \"" + entry.key + "\" is not an object");
  for (auto field : fields) {
    const std::string_view key = field.key;
    if (key == "litellm_provider" || key == "mode") {
      std::string_view s;
      if (!field.value.get_string().get(s)) (key == "mode" ? entry.mode : entry.provider) = std::string(s);
      continue;
    }
    for (auto [base, kind] : kRateKeys) {
      if (key.substr(0, base.size()) != base) continue;
      const std::string_view rest = key.substr(base.size());
      std::optional<int64_t> threshold;
      if (!rest.empty() && !(threshold = tier_threshold(rest))) continue;  // another key
      if (field.value.is_null()) break;
      const std::string what = "price of \"" + entry.key + "\": " + std::string(key);
      double usd;
      if (field.value.get_double().get(usd)) throw Corrupt(what + " is not a number");
      u128 atto;
      try {
        atto = money_from_double(usd, what);
      } catch (const InvalidArgument &e) {
        throw Corrupt(e.what());
      }
      if (atto > UINT64_MAX) throw Corrupt(what + " is implausibly large");
      if (!threshold) {
        entry.base.set(kind, static_cast<uint64_t>(atto));
      } else {
        auto tier = std::find_if(entry.tiers.begin(), entry.tiers.end(),
                                 [&](const auto &t) { return t.first == *threshold; });
        if (tier == entry.tiers.end()) tier = entry.tiers.insert(entry.tiers.end(), {*threshold, Rates{}});
        tier->second.set(kind, static_cast<uint64_t>(atto));
      }
      break;
    }
  }
  std::sort(entry.tiers.begin(), entry.tiers.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  resolve_rates(entry);
  return entry;
}

bool token_priced(const PriceEntry &e) {
  return e.base.has(kRateInput) || e.base.has(kRateOutput);
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Splits "name-YYYYMMDD", "name-YYYY-MM-DD" or "name@YYYYMMDD" into (name, "YYYYMMDD").
std::optional<std::pair<std::string_view, std::string>> split_date(std::string_view s) {
  if (s.size() > 9 && (s[s.size() - 9] == '-' || s[s.size() - 9] == '@') &&
      all_digits(s.substr(s.size() - 8)) && s.substr(s.size() - 8, 2) == "20") {
    return std::pair{s.substr(0, s.size() - 9), std::string(s.substr(s.size() - 8))};
  }
  if (s.size() > 11 && s[s.size() - 11] == '-' && s[s.size() - 6] == '-' && s[s.size() - 3] == '-' &&
      all_digits(s.substr(s.size() - 10, 4)) && all_digits(s.substr(s.size() - 5, 2)) &&
      all_digits(s.substr(s.size() - 2)) && s.substr(s.size() - 10, 2) == "20") {
    std::string date = std::string(s.substr(s.size() - 10, 4)) + std::string(s.substr(s.size() - 5, 2)) +
                       std::string(s.substr(s.size() - 2));
    return std::pair{s.substr(0, s.size() - 11), date};
  }
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void PriceTable::rebuild_index() {
  dated_.clear();
  std::unordered_map<const PriceEntry *, std::string> dates;
  for (const auto &[key, entry] : entries_) {
    if (auto split = split_date(key)) {
      dated_[std::string(split->first)].push_back(&entry);
      dates[&entry] = split->second;
    }
  }
  for (auto &[base, list] : dated_) {
    std::sort(list.begin(), list.end(), [&](const PriceEntry *a, const PriceEntry *b) {
      return std::tie(dates[a], a->key) > std::tie(dates[b], b->key);  // newest first
    });
  }
}

std::shared_ptr<const PriceTable> PriceTable::empty() {
  static const std::shared_ptr<const PriceTable> table = std::make_shared<const PriceTable>();
  return table;
}

std::shared_ptr<const PriceTable> PriceTable::bundled() {
  static const std::shared_ptr<const PriceTable> table = empty()->merged(data::litellm_prices, true);
  return table;
}

std::shared_ptr<const PriceTable> PriceTable::merged(std::string_view document, bool replace) const {
  simdjson::dom::parser parser;
  json::element root = json::parse<Corrupt>(parser, document, "price table");
  json::object models;
  if (root.get_object().get(models)) throw Corrupt("price table must be a JSON object of models");
  auto table = std::make_shared<PriceTable>();
  if (!replace) table->entries_ = entries_;
  for (auto field : models) {
    const std::string_view name = field.key;
    if (name == "sample_spec" || !field.value.is_object()) continue;  // LiteLLM's documentation
    PriceEntry entry = parse_entry(name, field.value);
    if (token_priced(entry)) {
      table->entries_.insert_or_assign(std::string(name), std::move(entry));
    } else {
      table->entries_.erase(std::string(name));  // a newer table without token rates wins
    }
  }
  table->rebuild_index();
  return table;
}

std::shared_ptr<const PriceTable> PriceTable::with_entry(std::string_view model,
                                                         std::string_view entry_json) const {
  simdjson::dom::parser parser;
  PriceEntry entry = parse_entry(model, json::parse<Corrupt>(parser, entry_json, "price entry"));
  if (!token_priced(entry)) {
    throw Corrupt("price entry has neither input_cost_per_token nor output_cost_per_token");
  }
  auto table = std::make_shared<PriceTable>();
  table->entries_ = entries_;
  table->entries_.insert_or_assign(std::string(model), std::move(entry));
  table->rebuild_index();
  return table;
}

const PriceEntry *PriceTable::find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

const PriceEntry *PriceTable::resolve(std::string_view model, std::string_view provider) const {
  if (model.empty() || entries_.empty()) return nullptr;
  if (!provider.empty()) {
    std::string prefixed(provider.substr(0, provider.find('.')));
    prefixed += '/';
    prefixed += model;
    if (const PriceEntry *e = find(prefixed)) return e;
  }
  // Candidate names: as given, lower case, and without each leading "prefix/" segment.
  std::vector<std::string> names{std::string(model)};
  for (size_t pos = model.find('/'); pos != std::string_view::npos; pos = model.find('/', pos + 1)) {
    names.emplace_back(model.substr(pos + 1));
  }
  for (size_t i = 0, n = names.size(); i < n; ++i) {
    std::string l = lower(names[i]);
    if (l != names[i]) names.push_back(std::move(l));
  }
  for (const auto &name : names) {
    if (const PriceEntry *e = find(name)) return e;
  }
  for (const auto &name : names) {
    if (auto split = split_date(name)) {
      if (const PriceEntry *e = find(split->first)) return e;
    }
  }
  for (const auto &name : names) {
    auto it = dated_.find(name);
    if (it != dated_.end() && !it->second.empty()) return it->second.front();
  }
  return nullptr;
}

std::string price_entry_json(const PriceEntry &entry, std::string_view model_as_given) {
  auto rates_json = [](std::string &out, const Rates &rates) {
    for (int k = 0; k < kRateKinds; ++k) {
      if (!rates.has(static_cast<RateKind>(k))) continue;
      out += ',';
      json::append_string(out, rate_key(static_cast<RateKind>(k)));
      out += ':';
      json::append_string(out, money_to_decimal(rates.atto[k]));
    }
  };
  std::string out = "{\"model\":";
  json::append_string(out, model_as_given);
  out += ",\"resolved\":";
  json::append_string(out, entry.key);
  out += ",\"litellm_provider\":";
  json::append_string(out, entry.provider);
  out += ",\"mode\":";
  json::append_string(out, entry.mode);
  rates_json(out, entry.base);
  out += ",\"tiers\":[";
  for (size_t i = 0; i < entry.tiers.size(); ++i) {
    if (i) out += ',';
    out += "{\"above_tokens\":" + std::to_string(entry.tiers[i].first);
    rates_json(out, entry.tiers[i].second);
    out += '}';
  }
  out += "]}";
  return out;
}

std::string PriceTable::list_json(std::string_view filter) const {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  auto matches = [&](std::string_view key) {
    return std::search(key.begin(), key.end(), filter.begin(), filter.end(),
                       [&](char a, char b) { return lower(a) == lower(b); }) != key.end();
  };
  std::vector<const PriceEntry *> picked;
  for (const auto &[key, entry] : entries_) {
    if (matches(key)) picked.push_back(&entry);
  }
  std::sort(picked.begin(), picked.end(),
            [](const PriceEntry *a, const PriceEntry *b) { return a->key < b->key; });
  std::string out = "[";
  for (const PriceEntry *entry : picked) {
    if (out.size() > 1) out += ',';
    out += price_entry_json(*entry, entry->key);
  }
  return out + "]";
}

}  // namespace agentmetrics
