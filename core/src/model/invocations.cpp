#include "invocations.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "errors.hpp"
#include "json.hpp"
#include "json_writer.hpp"
#include "parallelism.hpp"
#include "strings.hpp"
#include "timefmt.hpp"

namespace agentmetrics {

Invocation::Invocation(const InvocationView &v)
    : InvocationNumbers(v),
      invocation_id(v.invocation_id),
      agent(v.agent),
      task_id(v.task_id),
      model(v.model),
      tier(v.tier),
      error_class(v.error_class) {}

InvocationView Invocation::view() const {
  InvocationView v;
  static_cast<InvocationNumbers &>(v) = *this;
  v.invocation_id = invocation_id;
  v.agent = agent;
  v.task_id = task_id;
  v.model = model;
  v.tier = tier;
  v.error_class = error_class;
  return v;
}

namespace {

void check_string(std::string_view s, const char *name, bool required) {
  if (required && s.empty()) throw InvalidArgument(std::string("invocation ") + name + " is empty");
  if (!valid_utf8(s)) throw InvalidArgument(std::string("invocation ") + name + " is not valid UTF-8");
  check_label_size(s, (std::string("invocation ") + name).c_str());
}

void check_count(int64_t n, const char *name) {
  if (n < 0)
    throw InvalidArgument(std::string("invocation ") + name + " is negative (" + std::to_string(n) + ")");
}

std::string double_to_string(double d) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, res.ptr);
}

bool is_decimal(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Numeric comparison of two digit strings of any length.
int compare_decimal(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) {
    size_t i = s.find_first_not_of('0');
    return i == std::string_view::npos ? std::string_view() : s.substr(i);
  };
  a = strip(a);
  b = strip(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

class TierRanks {
 public:
  explicit TierRanks(const std::vector<std::string> &order) {
    for (size_t i = 0; i < order.size(); ++i) rank_.emplace(order[i], i);  // first occurrence wins
  }
  // True if `to` ranks strictly above `from`; false when either is missing or unranked.
  bool higher(std::string_view from, std::string_view to) const {
    if (from.empty() || to.empty()) return false;
    if (is_decimal(from) && is_decimal(to)) return compare_decimal(to, from) > 0;
    auto f = rank_.find(from), t = rank_.find(to);
    return f != rank_.end() && t != rank_.end() && t->second > f->second;
  }

 private:
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> rank_;
};

int64_t count_escalations(const std::vector<Invocation> &all, const TierRanks &ranks) {
  // Key (agent, phase, task_id): an absent task_id is empty, which no present one is.
  std::map<std::tuple<std::string_view, int64_t, std::string_view>, std::vector<const Invocation *>> tasks;
  for (const Invocation &inv : all) tasks[{inv.agent, inv.phase, inv.task_id}].push_back(&inv);
  int64_t escalations = 0;
  for (auto &[key, group] : tasks) {
    // The last of each attempt's run is its latest start: the "previous attempt" of the next.
    std::sort(group.begin(), group.end(), [](const Invocation *a, const Invocation *b) {
      return std::tie(a->attempt, a->start_ns, a->invocation_id, a->tier) <
             std::tie(b->attempt, b->start_ns, b->invocation_id, b->tier);
    });
    const Invocation *previous = nullptr;  // last invocation of the preceding attempt number
    for (size_t i = 0; i < group.size(); ++i) {
      if (i > 0 && group[i - 1]->attempt != group[i]->attempt) previous = group[i - 1];
      if (group[i]->attempt > 1 && previous != nullptr && ranks.higher(previous->tier, group[i]->tier)) {
        ++escalations;
      }
    }
  }
  return escalations;
}

template <class Key, class Value, class Format>
void append_map(std::string &out, const char *name, const std::map<Key, Value> &m, Format format) {
  out += ",\"";
  out += name;
  out += "\":{";
  bool first = true;
  for (const auto &[key, value] : m) {
    if (!first) out.push_back(',');
    first = false;
    if constexpr (std::is_same_v<Key, int64_t>) {
      json::append_string(out, std::to_string(key));
    } else {
      json::append_string(out, key);
    }
    out.push_back(':');
    out += format(value);
  }
  out.push_back('}');
}

void append_number(std::string &out, const char *name, const std::string &value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += value;
}

struct AgentTotals {
  int64_t invocations = 0, retries = 0;
  u128 tokens = 0, cost = 0, duration_ns = 0;
};

struct PhaseTotals {
  int64_t invocations = 0, retries = 0;
};

}  // namespace

void validate_invocation(const InvocationView &v) {
  check_string(v.invocation_id, "invocation_id", true);
  check_string(v.agent, "agent", true);
  check_string(v.task_id, "task_id", false);
  check_string(v.model, "model", false);
  check_string(v.tier, "tier", false);
  check_string(v.error_class, "error_class", false);
  check_count(v.duration_ns, "duration_ns");
  check_count(v.tokens, "tokens");
  if (v.input_tokens) check_count(*v.input_tokens, "input_tokens");
  if (v.output_tokens) check_count(*v.output_tokens, "output_tokens");
  if (v.cached_tokens) check_count(*v.cached_tokens, "cached_tokens");
  if (v.attempt < 1) {
    throw InvalidArgument("invocation attempt must be at least 1 (" + std::to_string(v.attempt) + ")");
  }
  int64_t end;
  if (__builtin_add_overflow(v.start_ns, v.duration_ns, &end)) {
    throw InvalidArgument("invocation start_ns + duration_ns is past the int64 range");
  }
}

std::string invocation_aggregate_json(const std::vector<Invocation> &all, const InvocationOptions &options) {
  if (options.bucket_ns <= 0) {
    throw InvalidArgument("bucket width must be positive (" + std::to_string(options.bucket_ns) + ")");
  }
  for (const Invocation &inv : all) validate_invocation(inv.view());

  std::map<std::string_view, AgentTotals> agents;
  std::map<int64_t, PhaseTotals> phases;
  int64_t retries = 0, infra_retries = 0, successes = 0;
  u128 tokens = 0, cached = 0, cost = 0, duration_ns = 0;
  for (const Invocation &inv : all) {
    const bool retry = inv.attempt > 1;
    AgentTotals &a = agents[inv.agent];
    PhaseTotals &ph = phases[inv.phase];
    ++a.invocations;
    ++ph.invocations;
    if (retry) {
      ++retries;
      ++a.retries;
      ++ph.retries;
      if (!inv.error_class.empty()) ++infra_retries;
    }
    if (inv.success) ++successes;
    const auto tok = static_cast<u128>(inv.tokens), dur = static_cast<u128>(inv.duration_ns);
    tokens += tok;
    a.tokens += tok;
    if (inv.cached_tokens) cached += static_cast<u128>(*inv.cached_tokens);
    cost += inv.cost;
    a.cost += inv.cost;
    duration_ns += dur;
    a.duration_ns += dur;
  }
  Spans spans;
  for (const Invocation &inv : all) spans.add(inv.start_ns, inv.duration_ns);  // validated above
  const Parallelism par = Parallelism::compute(spans, options.bucket_ns, kMaxInvocationBuckets);
  const int64_t escalations = count_escalations(all, TierRanks(options.tier_order));
  const double success_rate =
      all.empty() ? 0.0 : static_cast<double>(successes) / static_cast<double>(all.size());

  auto count = [](int64_t n) { return std::to_string(n); };
  std::string out = "{\"total_invocations\":" + std::to_string(all.size());
  append_map(out, "invocations_by_agent", agents,
             [](const AgentTotals &a) { return std::to_string(a.invocations); });
  append_map(out, "invocations_by_phase", phases,
             [](const PhaseTotals &p) { return std::to_string(p.invocations); });
  append_number(out, "total_retries", count(retries));
  append_map(out, "retries_by_agent", agents, [](const AgentTotals &a) { return std::to_string(a.retries); });
  append_map(out, "retries_by_phase", phases, [](const PhaseTotals &p) { return std::to_string(p.retries); });
  append_number(out, "infra_retries", count(infra_retries));
  append_number(out, "total_tokens", u128_to_string(tokens));
  append_number(out, "total_cost", money_to_decimal(cost));
  append_number(out, "total_cached_tokens", u128_to_string(cached));
  append_map(out, "tokens_by_agent", agents, [](const AgentTotals &a) { return u128_to_string(a.tokens); });
  append_map(out, "cost_by_agent", agents, [](const AgentTotals &a) { return money_to_decimal(a.cost); });
  append_number(out, "total_duration_ms", decimal(duration_ns, kNsPerMs, 3));
  append_map(out, "avg_duration_by_agent", agents, [](const AgentTotals &a) {
    return decimal(a.duration_ns, kNsPerMs * static_cast<u128>(a.invocations), 3);
  });
  append_number(out, "peak_parallel_invocations", count(par.peak));
  out += ",\"parallelism_over_time\":[";
  for (size_t b = 0; b < par.concurrent.size(); ++b) {
    if (b != 0) out.push_back(',');
    out += "{\"bucket_start\":";
    json::append_string(out, format_iso_ms((par.first_bucket + static_cast<int64_t>(b)) * options.bucket_ns));
    out += ",\"concurrent\":" + count(par.concurrent[b]) + ",\"peak\":" + count(par.bucket_peak[b]) + "}";
  }
  out.push_back(']');
  append_number(out, "escalation_count", count(escalations));
  append_number(out, "success_rate", double_to_string(success_rate));
  out.push_back('}');
  return out;
}

}  // namespace agentmetrics
