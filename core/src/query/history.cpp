#include "history.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "aggregate.hpp"
#include "errors.hpp"
#include "fold.hpp"
#include "history_parts.hpp"
#include "json_writer.hpp"
#include "timefmt.hpp"

namespace agentmetrics {

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNsPerDay = 86'400'000'000'000;

constexpr uint32_t bit(RecordKind k) {
  return 1u << static_cast<unsigned>(k);
}

constexpr const char *kTokenNames[kTokenKinds] = {"input",  "cache_read", "cache_write", "cache_write_1h",
                                                  "output", "reasoning",  "total"};
constexpr const char *kCostNames[kCostItems] = {"input",          "cache_read", "cache_write_5m",
                                                "cache_write_1h", "output",     "reasoning"};

void write_tokens(Json &w, const Totals &t) {
  w.begin_object();
  for (int k = 0; k < kTokenKinds; ++k) {
    if ((t.token_present >> k) & 1u) w.key(kTokenNames[k]).num(t.tokens[k]);
  }
  w.end_object();
}

// The cost total, or null when nothing was priced.
void write_cost_total(Json &w, const Totals &t) {
  t.priced_calls ? w.money(t.cost_total) : w.null();
}

void write_cost(Json &w, const Totals &t) {
  if (!t.priced_calls) {
    w.null();
    return;
  }
  w.begin_object();
  for (int i = 0; i < kCostItems; ++i) w.key(kCostNames[i]).money(t.cost[i]);
  w.key("total").money(t.cost_total);
  w.end_object();
}

// The model totals members: call counts, tokens, cost.
void write_model_totals(Json &w, const Totals &t) {
  w.key("model_calls").num(t.model_calls);
  w.key("calls_with_usage").num(t.calls_with_usage);
  w.key("calls_missing_usage").num(t.calls_missing_usage);
  w.key("calls_unpriced").num(t.calls_unpriced);
  w.key("model_errors").num(t.model_errors);
  w.key("retries").num(t.retries);
  w.key("tokens");
  write_tokens(w, t);
  w.key("cost");
  write_cost(w, t);
}

// "<mean_key>", "p50_ms", "p95_ms", "p99_ms", "max_ms" members; null without samples.
void write_duration_members(Json &w, const Sketch &s, std::string_view mean_key) {
  w.key(mean_key);
  s.empty() ? w.null() : w.ms(std::llround(s.mean()));
  static constexpr std::pair<double, const char *> kQuantiles[] = {
      {0.5, "p50_ms"}, {0.95, "p95_ms"}, {0.99, "p99_ms"}};
  for (auto [quantile, name] : kQuantiles) {
    w.key(name);
    const std::optional<int64_t> v = s.quantile(quantile);
    v ? w.ms(*v) : w.null();
  }
  w.key("max_ms");
  s.empty() ? w.null() : w.ms(s.max());
}

void write_latency(Json &w, const Sketch &s) {
  w.begin_object().key("count").num(s.count());
  write_duration_members(w, s, "mean_ms");
  w.end_object();
}

// The value on the earliest record that has one (ties: the smallest), whatever the order.
struct Label {
  std::string value;
  int64_t at = 0;
  void offer(std::string_view v, int64_t ts) {
    if (!v.empty() && (value.empty() || ts < at || (ts == at && v < value))) {
      value.assign(v);
      at = ts;
    }
  }
};

struct SessionAcc {
  Totals totals;
  Label agent, phase, task;
  int64_t first = kMax, last = kMin;
  int64_t started = kMax;  // earliest session record; kMax: none seen
};

constexpr const char *kQueryNames[] = {"summary", "cost_breakdown",     "tools",   "slow",
                                       "errors",  "expensive_sessions", "session", "invocations"};
constexpr const char *kGroupNames[] = {"model", "provider", "source", "agent", "phase",
                                       "task",  "session",  "day",    "tool"};

}  // namespace

uint32_t query_kinds(const Query &q) {
  const uint32_t model = bit(RecordKind::kModelCall), tool = bit(RecordKind::kToolCall),
                 turn = bit(RecordKind::kTurn), session = bit(RecordKind::kSession);
  switch (q.kind) {
    case QueryKind::kSummary: return model | tool | turn | session;
    case QueryKind::kCostBreakdown: return q.group_by == GroupBy::kTool ? model | tool : model;
    case QueryKind::kTools: return tool;
    case QueryKind::kSlow: return model | tool | turn;
    case QueryKind::kErrors: return model | tool;
    case QueryKind::kExpensiveSessions: return model | tool | session;
    case QueryKind::kSession: return model | tool | turn | session;
    case QueryKind::kInvocations: return bit(RecordKind::kInvocation);
  }
  return 0;
}

std::pair<int64_t, int64_t> period_range(std::string_view period, int64_t now_ns) {
  static constexpr std::pair<std::string_view, int64_t> kSpans[] = {
      {"hour", kNsPerDay / 24}, {"day", kNsPerDay}, {"week", 7 * kNsPerDay}, {"month", 30 * kNsPerDay}};
  if (period == "all") return {kMin, kMax};
  for (auto [name, span] : kSpans) {
    if (period != name) continue;
    int64_t from;
    if (__builtin_sub_overflow(now_ns, span, &from)) from = kMin;
    return {from, kMax};
  }
  throw InvalidArgument("unknown period \"" + std::string(period) + "\" (hour, day, week, month, all)");
}

struct QueryRun::State {
  explicit State(Query query)
      : q(std::move(query)),
        kinds(query_kinds(q)),
        want_models(q.kind == QueryKind::kSummary || q.kind == QueryKind::kErrors),
        want_tools(q.kind == QueryKind::kSummary || q.kind == QueryKind::kTools ||
                   q.kind == QueryKind::kErrors || q.kind == QueryKind::kSession),
        want_sessions(q.kind == QueryKind::kSummary || q.kind == QueryKind::kExpensiveSessions ||
                      q.kind == QueryKind::kSession),
        slow(q.limit),
        errors(q.limit) {}

  void add(const RecordView &r);
  std::string_view group_key(const RecordView &r);

  void header(Json &w) const;
  std::string summary() const;
  std::string cost_breakdown() const;
  std::string tools_doc() const;
  std::string slow_doc() const;
  std::string errors_doc() const;
  std::string expensive_sessions() const;
  std::string session_doc() const;
  using SessionRef = const KeyMap<SessionAcc>::value_type *;
  std::vector<SessionRef> ranked_sessions() const;

  Query q;
  uint32_t kinds;
  bool want_models, want_tools, want_sessions;

  Group all;                      // totals and latencies of everything read
  KeyMap<Totals> models, groups;  // per model; per cost breakdown key
  KeyMap<Group> tools;            // per tool: calls, errors, durations, last error
  KeyMap<SessionAcc> sessions;    // per non-empty session id
  TopK<SlowOp<std::string>> slow;
  TopK<ErrorEntry<std::string>> errors;
  std::vector<Invocation> invocations;
  uint64_t folded_records = 0;   // records some grouping put under AGM_OTHER_KEY
  uint64_t dropped_records = 0;  // by the store's writers (set_dropped)
  int64_t dropped_from = 0, dropped_to = 0;
  int64_t day = kMin;  // the day whose key is in day_key: most records share their neighbour's
  std::string day_key;
};

std::string_view QueryRun::State::group_key(const RecordView &r) {
  switch (q.group_by) {
    case GroupBy::kModel: return r.model;
    case GroupBy::kProvider: return r.provider;
    case GroupBy::kSource: return r.source;
    case GroupBy::kAgent: return r.agent;
    case GroupBy::kPhase: return r.phase;
    case GroupBy::kTask: return r.task;
    case GroupBy::kSession: return r.session;
    case GroupBy::kTool: {
      static constexpr std::string_view kToolPrefix = "tool:";
      if (r.kind == RecordKind::kToolCall) return r.tool;
      return r.source.substr(0, kToolPrefix.size()) == kToolPrefix ? r.source.substr(kToolPrefix.size())
                                                                   : std::string_view();
    }
    case GroupBy::kDay: break;
  }
  const int64_t d = r.ts / kNsPerDay - (r.ts % kNsPerDay < 0 ? 1 : 0);
  if (d != day) {
    day = d;
    day_key = format_day(r.ts);
  }
  return day_key;
}

void QueryRun::State::add(const RecordView &r) {
  if (!(kinds & bit(r.kind)) || r.ts < q.from || r.ts >= q.to) return;
  switch (q.kind) {
    case QueryKind::kSession:
      if (r.session != q.name) return;
      break;
    case QueryKind::kTools:
      if (!q.name.empty() && r.tool != q.name) return;
      break;
    case QueryKind::kErrors:
      if (!r.error) return;
      break;
    case QueryKind::kInvocations: invocations.emplace_back(r.invocation); return;
    default: break;
  }
  const Folded f(r);
  bool folded = false;  // set when a grouping put the record under AGM_OTHER_KEY
  SessionAcc *session = nullptr;
  if (want_sessions && !r.session.empty()) {
    session = &capped_slot(sessions, r.session, folded);
    session->agent.offer(r.agent, r.ts);
    session->phase.offer(r.phase, r.ts);
    session->task.offer(r.task, r.ts);
    session->first = std::min(session->first, r.ts);
    session->last = std::max(session->last, r.ts);
  }

  switch (r.kind) {
    case RecordKind::kModelCall:
      if (want_models) f.add_to(capped_slot(models, r.model, folded));
      if (q.kind == QueryKind::kCostBreakdown) f.add_to(capped_slot(groups, group_key(r), folded));
      break;
    case RecordKind::kToolCall:
      if (want_tools) f.add_to(capped_slot(tools, r.tool, folded));
      if (q.kind == QueryKind::kCostBreakdown) f.add_to(capped_slot(groups, group_key(r), folded));
      break;
    case RecordKind::kTurn: break;
    case RecordKind::kSession:
      if (session) session->started = std::min(session->started, r.ts);
      break;
    case RecordKind::kInvocation: break;
    case RecordKind::kDropped: return;  // readers count markers apart (ReadReport)
  }
  f.add_to(all);
  if (session) f.add_to(session->totals);

  if (folded) ++folded_records;
  if (q.kind == QueryKind::kSlow && f.duration && *f.duration >= q.threshold_ns) {
    // A turn's name is built from its index when shown.
    slow.offer(SlowOp<std::string_view>{*f.duration, r.ts, r.kind, r.turn, call_name(r), r.session});
  }
  if (q.kind == QueryKind::kErrors) {
    errors.offer(
        ErrorEntry<std::string_view>{r.ts, r.kind, call_name(r), r.error_type, error_text(r), r.session});
  }
}

void QueryRun::State::header(Json &w) const {
  w.begin_object().key("query").str(kQueryNames[static_cast<int>(q.kind)]);
  w.key("from");
  q.from == kMin ? w.null() : w.time(q.from);
  w.key("to");
  q.to == kMax ? w.null() : w.time(q.to);
  if (dropped_records) {
    w.key("dropped_records").num(dropped_records);
    w.key("dropped_from").time(dropped_from);
    w.key("dropped_to").time(dropped_to);
  }
  // Only when some grouping passed AGM_MAX_GROUP_KEYS keys (a hostile or huge store).
  if (folded_records) w.key("folded_records").num(folded_records);
}

// Sessions with model calls by cost (descending), then id; at most `limit`.
std::vector<QueryRun::State::SessionRef> QueryRun::State::ranked_sessions() const {
  std::vector<SessionRef> v;
  for (const auto &entry : sessions) {
    if (entry.second.totals.model_calls) v.push_back(&entry);
  }
  keep_first(v, q.limit, [](SessionRef a, SessionRef b) {
    if (costlier(a->second.totals, b->second.totals)) return true;
    if (costlier(b->second.totals, a->second.totals)) return false;
    return a->first < b->first;
  });
  return v;
}

std::string QueryRun::State::summary() const {
  const Totals &t = all.totals;
  Json w;
  header(w);
  write_model_totals(w, t);
  w.key("tool_calls").num(t.tool_calls);
  w.key("tool_errors").num(t.tool_errors);
  w.key("turns").num(t.turns);
  const uint64_t n = sessions.size();
  w.key("sessions").num(n);
  w.key("avg_cost_per_session");
  n &&t.priced_calls ? w.money(div_round(t.cost_total, n)) : w.null();
  w.key("avg_tokens_per_session");
  n &&t.calls_with_usage ? w.raw(decimal(static_cast<u128>(t.all_tokens()), n, 1)) : w.null();
  w.key("model_latency");
  write_latency(w, all.durations[kDurModelCall]);
  w.key("tool_latency");
  write_latency(w, all.durations[kDurToolCall]);

  w.key("cost_by_model").begin_object();
  for (const auto &[model, mt] : models) {
    w.key(model);
    write_cost_total(w, mt);
  }
  w.end_object();
  w.key("calls_by_tool").begin_object();
  for (const auto &[tool, g] : tools) w.key(tool).num(g.totals.tool_calls);
  w.end_object();
  w.key("errors_by_tool").begin_object();
  for (const auto &[tool, g] : tools) {
    if (g.totals.tool_errors) w.key(tool).num(g.totals.tool_errors);
  }
  w.end_object();

  using ToolRef = const KeyMap<Group>::value_type *;
  std::vector<ToolRef> timed;
  for (const auto &entry : tools) {
    if (!entry.second.durations[kDurToolCall].empty()) timed.push_back(&entry);
  }
  keep_first(timed, q.limit, [](ToolRef a, ToolRef b) {
    const double ma = a->second.durations[kDurToolCall].mean(), mb = b->second.durations[kDurToolCall].mean();
    return ma != mb ? ma > mb : a->first < b->first;
  });
  w.key("slowest_tools").begin_array();
  for (ToolRef tool : timed) {
    w.begin_object().key("tool").str(tool->first).key("calls").num(tool->second.totals.tool_calls);
    write_duration_members(w, tool->second.durations[kDurToolCall], "avg_ms");
    w.end_object();
  }
  w.end_array();

  w.key("most_expensive_sessions").begin_array();
  for (SessionRef s : ranked_sessions()) {
    w.begin_object().key("session").str(s->first).key("cost");
    write_cost_total(w, s->second.totals);
    w.end_object();
  }
  w.end_array();
  return w.end_object().take();
}

std::string QueryRun::State::cost_breakdown() const {
  const Totals &t = all.totals;
  Json w;
  header(w);
  w.key("group_by").str(kGroupNames[static_cast<int>(q.group_by)]);
  write_model_totals(w, t);
  w.key("avg_cost_per_call");
  t.priced_calls ? w.money(div_round(t.cost_total, t.priced_calls)) : w.null();
  w.key("avg_tokens_per_call");
  t.calls_with_usage ? w.raw(decimal(static_cast<u128>(t.all_tokens()), t.calls_with_usage, 1)) : w.null();

  using Ref = const KeyMap<Totals>::value_type *;
  std::vector<Ref> ranked;
  for (const auto &entry : groups) ranked.push_back(&entry);
  keep_first(ranked, ranked.size(), [](Ref a, Ref b) {
    if (costlier(a->second, b->second)) return true;
    if (costlier(b->second, a->second)) return false;
    return a->first < b->first;
  });
  w.key("groups").begin_array();
  for (Ref g : ranked) {
    w.begin_object().key("key").str(g->first);
    write_model_totals(w, g->second);
    if (q.group_by == GroupBy::kTool) {
      w.key("tool_calls").num(g->second.tool_calls).key("tool_errors").num(g->second.tool_errors);
    }
    w.end_object();
  }
  w.end_array();
  return w.end_object().take();
}

std::string QueryRun::State::tools_doc() const {
  using Ref = const KeyMap<Group>::value_type *;
  std::vector<Ref> ranked;
  for (const auto &entry : tools) ranked.push_back(&entry);
  keep_first(ranked, q.limit, [](Ref a, Ref b) {
    const uint64_t ca = a->second.totals.tool_calls, cb = b->second.totals.tool_calls;
    return ca != cb ? ca > cb : a->first < b->first;
  });
  Json w;
  header(w);
  w.key("name").label(q.name);
  w.key("tools").begin_array();
  for (Ref tool : ranked) {
    const Group &g = tool->second;
    const uint64_t calls = g.totals.tool_calls, errs = g.totals.tool_errors;
    w.begin_object().key("name").str(tool->first).key("calls").num(calls).key("errors").num(errs);
    w.key("success_rate").raw(decimal(static_cast<u128>(calls - errs) * 100, calls, 1));
    write_duration_members(w, g.durations[kDurToolCall], "avg_ms");
    w.key("last_error");
    g.has_last_error ? w.str(g.last_error) : w.null();
    w.key("last_error_at");
    g.has_last_error ? w.time(g.last_error_at) : w.null();
    w.end_object();
  }
  w.end_array();
  return w.end_object().take();
}

std::string QueryRun::State::slow_doc() const {
  Json w;
  header(w);
  w.key("threshold_ms").ms(q.threshold_ns);
  w.key("operations").begin_array();
  for (const auto &op : slow.sorted()) {
    w.begin_object().key("type").str(kind_name(op.kind)).key("name");
    op.kind == RecordKind::kTurn ? w.str("turn " + std::to_string(op.turn)) : w.label(op.name);
    w.key("duration_ms").ms(op.duration_ns).key("timestamp").time(op.ts).key("session").label(op.session);
    w.end_object();
  }
  w.end_array();
  return w.end_object().take();
}

std::string QueryRun::State::errors_doc() const {
  Json w;
  header(w);
  w.key("model_errors").num(all.totals.model_errors).key("tool_errors").num(all.totals.tool_errors);
  w.key("recent_errors").begin_array();
  for (const auto &e : errors.sorted()) {
    w.begin_object().key("type").str(kind_name(e.kind)).key("name").label(e.name);
    w.key("error_type").label(e.error_type).key("message").str(e.message);
    w.key("timestamp").time(e.ts).key("session").label(e.session).end_object();
  }
  w.end_array();
  // Only failing records were read, so every key here has at least one error.
  w.key("error_counts_by_tool").begin_object();
  for (const auto &[tool, g] : tools) w.key(tool).num(g.totals.tool_errors);
  w.end_object();
  w.key("error_counts_by_model").begin_object();
  for (const auto &[model, mt] : models) w.key(model).num(mt.model_errors);
  w.end_object();
  return w.end_object().take();
}

std::string QueryRun::State::expensive_sessions() const {
  Json w;
  header(w);
  w.key("sessions").begin_array();
  for (SessionRef s : ranked_sessions()) {
    const SessionAcc &acc = s->second;
    w.begin_object().key("session").str(s->first).key("agent").label(acc.agent.value);
    w.key("first").time(acc.first).key("last").time(acc.last);
    write_model_totals(w, acc.totals);
    w.key("tool_calls").num(acc.totals.tool_calls).key("tool_errors").num(acc.totals.tool_errors);
    w.end_object();
  }
  w.end_array();
  return w.end_object().take();
}

std::string QueryRun::State::session_doc() const {
  const auto it = sessions.find(q.name);
  if (it == sessions.end()) throw NotFound("no record of session \"" + q.name + "\" in the range");
  const SessionAcc &acc = it->second;
  const Totals &t = all.totals;  // only this session's records were read
  Json w;
  header(w);
  w.key("session").str(q.name).key("agent").label(acc.agent.value);
  w.key("phase").label(acc.phase.value).key("task").label(acc.task.value);
  w.key("started").time(acc.started != kMax ? acc.started : acc.first).key("last_activity").time(acc.last);
  write_model_totals(w, t);
  w.key("tool_calls").num(t.tool_calls).key("tool_errors").num(t.tool_errors);
  w.key("tools_used").begin_object();
  for (const auto &[tool, g] : tools) w.key(tool).num(g.totals.tool_calls);
  w.end_object();
  w.key("turns").num(t.turns).key("duration_ms").ms(all.durations[kDurTurn].sum());
  w.key("model_latency");
  write_latency(w, all.durations[kDurModelCall]);
  w.key("tool_latency");
  write_latency(w, all.durations[kDurToolCall]);
  return w.end_object().take();
}

QueryRun::QueryRun(Query q) {
  if (static_cast<unsigned>(q.kind) > static_cast<unsigned>(QueryKind::kInvocations)) {
    throw InvalidArgument("unknown query kind");
  }
  if (static_cast<unsigned>(q.group_by) > static_cast<unsigned>(GroupBy::kTool)) {
    throw InvalidArgument("unknown group_by");
  }
  if (q.kind == QueryKind::kSession && q.name.empty())
    throw InvalidArgument("a session query needs a session id");
  if (q.limit == 0) throw InvalidArgument("limit must be at least 1");
  if (q.threshold_ns < 0) throw InvalidArgument("threshold must not be negative");
  if (q.from > q.to) throw InvalidArgument("from must not be after to");
  // Checked again by the aggregate, but here before a whole history is read for nothing.
  if (q.kind == QueryKind::kInvocations && q.invocations.bucket_ns <= 0) {
    throw InvalidArgument("invocations.bucket_ns must be positive");
  }
  state_ = std::make_unique<State>(std::move(q));
}

QueryRun::~QueryRun() = default;
QueryRun::QueryRun(QueryRun &&) noexcept = default;
QueryRun &QueryRun::operator=(QueryRun &&) noexcept = default;

void QueryRun::add(const RecordView &r) {
  state_->add(r);
}

void QueryRun::set_dropped(uint64_t records, int64_t from, int64_t to) {
  state_->dropped_records = records;
  state_->dropped_from = from;
  state_->dropped_to = to;
}

std::string QueryRun::finish() const {
  const State &s = *state_;
  switch (s.q.kind) {
    case QueryKind::kSummary: return s.summary();
    case QueryKind::kCostBreakdown: return s.cost_breakdown();
    case QueryKind::kTools: return s.tools_doc();
    case QueryKind::kSlow: return s.slow_doc();
    case QueryKind::kErrors: return s.errors_doc();
    case QueryKind::kExpensiveSessions: return s.expensive_sessions();
    case QueryKind::kSession: return s.session_doc();
    case QueryKind::kInvocations: return invocation_aggregate_json(s.invocations, s.q.invocations);
  }
  return {};
}

}  // namespace agentmetrics
