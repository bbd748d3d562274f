// Seed 001's get_metrics agent tool over the public C ABI: the definition a model is given,
// the validation of the arguments it sends back, and one history query (or the current
// session's live figures) per action. The rules live here once; the bindings only translate.
#include "metrics_tool.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "errors.hpp"
#include "json.hpp"
#include "json_writer.hpp"
#include "money.hpp"

namespace agentmetrics {

namespace {

constexpr std::string_view kActions[] = {"summary", "costs", "tools", "session", "slow", "errors"};
enum Action { kSummary, kCosts, kTools, kSession, kSlow, kErrors };

constexpr std::pair<std::string_view, uint32_t> kPeriods[] = {{"hour", AGM_PERIOD_HOUR},
                                                              {"day", AGM_PERIOD_DAY},
                                                              {"week", AGM_PERIOD_WEEK},
                                                              {"month", AGM_PERIOD_MONTH},
                                                              {"all", AGM_PERIOD_ALL}};
constexpr std::pair<std::string_view, int32_t> kGroups[] = {
    {"model", AGM_BY_MODEL}, {"provider", AGM_BY_PROVIDER}, {"agent", AGM_BY_AGENT}, {"phase", AGM_BY_PHASE},
    {"task", AGM_BY_TASK},   {"session", AGM_BY_SESSION},   {"day", AGM_BY_DAY}};
constexpr std::string_view kMembers[] = {"action",     "period",       "group_by", "tool_name",
                                         "session_id", "threshold_ms", "limit"};

// Defaults of the optional arguments (the schema's descriptions state them).
constexpr std::string_view kDefaultPeriod = "all";
constexpr uint32_t kMaxLimit = 100;

// The one definition the bindings hand to a model (OpenAI "parameters", Anthropic
// "input_schema", AI SDK / Mastra "inputSchema").
constexpr std::string_view kSchema =
    R"({"name":"get_metrics","description":"Report this agent's own metrics: token usage, cost in USD and latency of model and tool calls. Actions: summary (totals for the period), costs (cost breakdown), tools (per-tool calls, success rate, latency, last error), session (one session, the current one by default), slow (slowest operations), errors (recent errors and counts).","parameters":{"type":"object","properties":{"action":{"type":"string","enum":["summary","costs","tools","session","slow","errors"],"description":"What to report."},"period":{"type":"string","enum":["hour","day","week","month","all"],"description":"Time window ending now (default: all)."},"group_by":{"type":"string","enum":["model","provider","agent","phase","task","session","day"],"description":"costs: how to group (default: model)."},"tool_name":{"type":"string","description":"tools: one tool only."},"session_id":{"type":"string","description":"session: the session (default: current)."},"threshold_ms":{"type":"number","minimum":0,"description":"slow: operations at least this long (default 5000)."},"limit":{"type":"integer","minimum":1,"maximum":100,"description":"List length."}},"required":["action"],"additionalProperties":false}})";

template <class List>
std::string one_of(const List &list) {
  std::string out;
  for (const auto &item : list) {
    if (!out.empty()) out += ", ";
    if constexpr (std::is_same_v<std::decay_t<decltype(item)>, std::string_view>) {
      out += item;
    } else {
      out += item.first;
    }
  }
  return out;
}

std::string quoted(std::string_view s) {
  std::string out;
  json::append_string(out, s);
  return out;
}

// The arguments, validated against kSchema. null stands for an absent member (OpenAI's
// strict mode sends null for the optional ones).
struct Args {
  std::string action_text;  // as sent, for the error document
  bool has_action = false;
  Action action = kSummary;
  std::string_view period = kDefaultPeriod;
  uint32_t period_value = AGM_PERIOD_ALL;
  int32_t group_by = AGM_BY_MODEL;  // the schema's default
  std::optional<std::string> tool_name, session_id;
  int64_t threshold_ns = 0;  // 0: the query's default (5 s)
  uint32_t limit = 0;        // 0: the query's default (10)
};

std::string_view string_member(json::element v, std::string_view name) {
  std::string_view s;
  if (v.get_string().get(s)) throw InvalidArgument(std::string(name) + " must be a string");
  return s;
}

template <class Table>
auto enum_member(json::element v, std::string_view name, const Table &table) {
  const std::string_view s = string_member(v, name);
  for (const auto &entry : table)
    if (entry.first == s) return entry;
  throw InvalidArgument(std::string(name) + " must be one of " + one_of(table) + ", not " + quoted(s));
}

double number_member(json::element v, std::string_view name) {
  switch (v.type()) {
    case json::element_type::INT64: return static_cast<double>(int64_t(v));
    case json::element_type::UINT64: return static_cast<double>(uint64_t(v));
    case json::element_type::DOUBLE: return double(v);
    default: throw InvalidArgument(std::string(name) + " must be a number");
  }
}

// Parses and validates; `args` keeps the action text as soon as it is known, for errors.
void parse_args(Args &args, std::string_view text) {
  simdjson::dom::parser parser;
  const json::element root = json::parse(parser, text, "the arguments");
  json::object object;
  if (root.get_object().get(object)) throw InvalidArgument("the arguments must be a JSON object");
  // The action first, so that an error names it.
  json::element action;
  if (!object.at_key("action").get(action) && !action.is_null()) {
    const std::string_view a = string_member(action, "action");
    args.action_text = a;
    args.has_action = true;
    bool known = false;
    for (size_t i = 0; i < std::size(kActions); ++i) {
      if (kActions[i] == a) {
        args.action = static_cast<Action>(i);
        known = true;
      }
    }
    if (!known) throw InvalidArgument("action must be one of " + one_of(kActions) + ", not " + quoted(a));
  }
  for (const auto field : object) {
    const std::string_view key = field.key;
    const json::element v = field.value;
    if (std::find(std::begin(kMembers), std::end(kMembers), key) == std::end(kMembers)) {
      throw InvalidArgument("unknown argument " + quoted(key) + " (expected " + one_of(kMembers) + ")");
    }
    if (v.is_null() || key == "action") continue;
    if (key == "period") {
      const auto p = enum_member(v, key, kPeriods);
      args.period = p.first;
      args.period_value = p.second;
    } else if (key == "group_by") {
      args.group_by = enum_member(v, key, kGroups).second;
    } else if (key == "tool_name") {
      args.tool_name = std::string(string_member(v, key));
    } else if (key == "session_id") {
      args.session_id = std::string(string_member(v, key));
    } else if (key == "threshold_ms") {
      const double ms = number_member(v, key);
      if (!(ms >= 0)) throw InvalidArgument("threshold_ms must be 0 or more");
      if (ms * 1e6 >= 9.2e18) throw InvalidArgument("threshold_ms is too large");
      // At least 1 ns: 0 ms asks for every operation, not the query's 5 s default.
      args.threshold_ns = std::max<int64_t>(static_cast<int64_t>(ms * 1e6), 1);
    } else if (key == "limit") {
      const double n = number_member(v, key);
      if (n != std::floor(n)) throw InvalidArgument("limit must be an integer");
      if (n < 1 || n > kMaxLimit) throw InvalidArgument("limit must be from 1 to 100");
      args.limit = static_cast<uint32_t>(n);
    }
  }
  if (!args.has_action) throw InvalidArgument("action is required (one of " + one_of(kActions) + ")");
}

// A failed public call as the exception guard() maps back to the same status.
void check(agm_status status) {
  if (status >= AGM_OK) return;
  const std::string message = agm_last_error_message();
  switch (status) {
    case AGM_E_INVALID_ARGUMENT: throw InvalidArgument(message);
    case AGM_E_NOT_FOUND: throw NotFound(message);
    case AGM_E_STATE: throw StateError(message);
    case AGM_E_IO: throw IoError(message);
    case AGM_E_CORRUPT: throw Corrupt(message);
    case AGM_E_UNSUPPORTED: throw Unsupported(message);
    case AGM_E_EMPTY: throw Empty(message);
    case AGM_E_OUT_OF_MEMORY: throw std::bad_alloc();
    default: throw std::runtime_error(message);
  }
}

struct Buffer {
  agm_buffer b{};
  ~Buffer() { agm_buffer_free(&b); }
  std::string_view view() const { return {b.data == nullptr ? "" : b.data, b.size}; }
};

std::string number(double d) {
  std::array<char, 32> text{};
  const auto r = std::to_chars(text.data(), text.data() + text.size(), d);
  std::string out(text.data(), r.ptr);
  // A float as Python writes it: "1.0", not "1".
  if (out.find_first_of(".eE") == std::string::npos) out += ".0";
  return out;
}

u128 atto(const agm_money &m) {
  return (static_cast<u128>(m.hi) << 64) | m.lo;
}

// The current session's own figures (no store needed): labels, totals, model call
// durations and the last turn's line.
void live_session(Json &j, const agm_session *session) {
  j.key("session").begin_object();
  for (const char *key : {"session_id", "agent", "phase", "task"}) {
    if (const char *value = agm_session_label(session, key)) j.key(key).str(value);
  }
  for (const auto &[key, value] : session_tags(session)) j.key(key).str(value);
  j.end_object();

  agm_totals t = AGM_TOTALS_INIT;
  check(agm_session_totals(&t, session));
  j.key("totals").begin_object();
  const std::pair<const char *, uint64_t> counts[] = {{"model_calls", t.model_calls},
                                                      {"calls_with_usage", t.calls_with_usage},
                                                      {"calls_missing_usage", t.calls_missing_usage},
                                                      {"calls_unpriced", t.calls_unpriced},
                                                      {"model_errors", t.model_errors},
                                                      {"retries", t.retries},
                                                      {"tool_calls", t.tool_calls},
                                                      {"tool_errors", t.tool_errors},
                                                      {"turns", t.turns}};
  for (const auto &[key, value] : counts) j.key(key).num(value);
  const std::tuple<const char *, uint64_t, int64_t> tokens[] = {
      {"input_tokens", AGM_USAGE_HAS_INPUT, t.input_tokens},
      {"cache_read_tokens", AGM_USAGE_HAS_CACHE_READ, t.cache_read_tokens},
      {"cache_write_tokens", AGM_USAGE_HAS_CACHE_WRITE, t.cache_write_tokens},
      {"cache_write_1h_tokens", AGM_USAGE_HAS_CACHE_WRITE_1H, t.cache_write_1h_tokens},
      {"output_tokens", AGM_USAGE_HAS_OUTPUT, t.output_tokens},
      {"reasoning_tokens", AGM_USAGE_HAS_REASONING, t.reasoning_tokens},
      {"total_tokens", AGM_USAGE_HAS_TOTAL, t.total_tokens}};
  for (const auto &[key, bit, value] : tokens) {
    j.key(key);
    (t.present & bit) ? j.num(value) : j.null();
  }
  j.key("tool_success_rate");
  (t.present & AGM_TOTALS_HAS_TOOL_SUCCESS_RATE) ? j.raw(number(t.tool_success_rate)) : j.null();
  j.key("model_success_rate");
  (t.present & AGM_TOTALS_HAS_MODEL_SUCCESS_RATE) ? j.raw(number(t.model_success_rate)) : j.null();
  j.key("cost");
  if (t.present & AGM_TOTALS_HAS_COST) {
    const std::pair<const char *, const agm_money *> items[] = {{"input", &t.cost.input},
                                                                {"cache_read", &t.cost.cache_read},
                                                                {"cache_write_5m", &t.cost.cache_write_5m},
                                                                {"cache_write_1h", &t.cost.cache_write_1h},
                                                                {"output", &t.cost.output},
                                                                {"reasoning", &t.cost.reasoning},
                                                                {"total", &t.cost.total}};
    j.begin_object();
    for (const auto &[key, amount] : items) j.key(key).money(atto(*amount));
    j.end_object();
  } else {
    j.null();
  }
  j.key("saturated").raw((t.present & AGM_TOTALS_SATURATED) ? "true" : "false");
  j.key("folded_calls").num(t.folded_calls);
  j.end_object();

  agm_duration_stats d = AGM_DURATION_STATS_INIT;
  check(agm_session_durations(&d, session, AGM_DURATION_MODEL_CALL));
  const bool has = d.present & AGM_DURATION_HAS_VALUES;
  j.key("model_call_durations").begin_object();
  j.key("count").num(d.count);
  j.key("sum_ns").num(d.sum_ns);
  const std::pair<const char *, int64_t> values[] = {{"min_ns", d.min_ns}, {"max_ns", d.max_ns}};
  for (const auto &[key, value] : values) {
    j.key(key);
    has ? j.num(value) : j.null();
  }
  j.key("mean_ns");
  has ? j.raw(number(d.mean_ns)) : j.null();
  const std::pair<const char *, int64_t> quantiles[] = {
      {"p50_ns", d.p50_ns}, {"p90_ns", d.p90_ns}, {"p95_ns", d.p95_ns}, {"p99_ns", d.p99_ns}};
  for (const auto &[key, value] : quantiles) {
    j.key(key);
    has ? j.num(value) : j.null();
  }
  j.end_object();

  Buffer turn;
  const agm_status status = agm_session_format_turn(&turn.b, session, 0);
  j.key("turn");
  if (status == AGM_E_EMPTY) {
    j.null();  // no turn has begun
  } else {
    check(status);
    j.str(turn.view());
  }
}

std::string run(const MetricsToolSource &source, const Args &args, const MetricsToolContext &context) {
  Json j;
  j.begin_object();
  j.key("action").str(kActions[args.action]);
  j.key("period").str(args.period);
  if (args.action == kSession) {
    const agm_session *live = context.session;
    if (!args.session_id && live == nullptr)
      throw InvalidArgument("session_id is required outside a session");
    const char *live_id = live == nullptr ? nullptr : agm_session_label(live, "session_id");
    if (live != nullptr && (!args.session_id || (live_id != nullptr && *args.session_id == live_id))) {
      live_session(j, live);
      j.end_object();
      return j.take();
    }
  }
  agm_query q = AGM_QUERY_INIT;
  q.period = args.action == kSession ? AGM_PERIOD_ALL : args.period_value;
  if (context.has_now) {
    q.present |= AGM_QUERY_HAS_NOW;
    q.now_ns = context.now_ns;
  }
  switch (args.action) {
    case kSummary:
      q.kind = AGM_QUERY_SUMMARY;
      q.limit = args.limit;
      break;
    case kCosts:
      q.kind = AGM_QUERY_COST_BREAKDOWN;
      q.group_by = args.group_by;
      break;
    case kTools:
      q.kind = AGM_QUERY_TOOLS;
      q.name = args.tool_name ? args.tool_name->c_str() : nullptr;
      break;
    case kSlow:
      q.kind = AGM_QUERY_SLOW;
      q.threshold_ns = args.threshold_ns;
      q.limit = args.limit;
      break;
    case kErrors:
      q.kind = AGM_QUERY_ERRORS;
      q.limit = args.limit;
      break;
    case kSession:
      q.kind = AGM_QUERY_SESSION;
      q.name = args.session_id->c_str();
      break;
  }
  Buffer doc;
  if (source.history != nullptr) {
    check(agm_history_query(&doc.b, source.history, &q));
  } else {
    const agm_status status = agm_recorder_query(&doc.b, source.recorder, &q);
    if (status == AGM_E_STATE) {
      throw StateError(
          std::string(agm_last_error_message()) +
          ": the recorder keeps no store to query (agm_recorder_open_store keeps one: "
          "recorder.open_store(database=...) in Python, recorder.openStore({database}) in Node)");
    }
    check(status);
  }
  // The query's document, its members after action and period.
  const std::string_view body = doc.view();
  if (body.size() < 2 || body.front() != '{') throw std::runtime_error("a query returned no JSON object");
  std::string out = j.take();
  if (body.size() > 2) out += ',';
  out.append(body.substr(1));
  return out;
}

}  // namespace

const std::string &metrics_tool_schema() {
  static const std::string schema(kSchema);
  return schema;
}

std::string run_metrics_tool(const MetricsToolSource &source, std::string_view args_json,
                             const MetricsToolContext &context) {
  Args args;
  if (!context.error_result) {
    parse_args(args, args_json);
    return run(source, args, context);
  }
  try {
    parse_args(args, args_json);
    return run(source, args, context);
  } catch (const Error &e) {
    Json j;
    j.begin_object().key("action");
    args.has_action ? j.str(args.action_text) : j.null();
    j.key("error").str(e.what()).end_object();
    return j.take();
  }
}

}  // namespace agentmetrics
