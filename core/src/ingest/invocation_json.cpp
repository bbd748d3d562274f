#include "invocation_json.hpp"

#include <cmath>
#include <cstdint>

#include "errors.hpp"
#include "money.hpp"
#include "timefmt.hpp"
#include "usage.hpp"

namespace agentmetrics {

namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::value;

enum class Field {
  kInvocationId,
  kAgent,
  kPhase,
  kTaskId,
  kDurationMs,
  kDurationNs,
  kTokens,
  kInputTokens,
  kOutputTokens,
  kCachedTokens,
  kCost,
  kExitCode,
  kSuccess,
  kAttempt,
  kOutputParsed,
  kModel,
  kTier,
  kErrorClass,
  kTimestamp,
  kCount
};

// Every accepted name. Spellings of one field share its bit in `seen` (given at most once);
// the three duration members are one field.
struct Member {
  std::string_view name;
  Field field;
  int slot;  // bit in `seen`
};
constexpr Member kMembers[] = {
    {"invocationId", Field::kInvocationId, 0},
    {"invocation_id", Field::kInvocationId, 0},
    {"agent", Field::kAgent, 1},
    {"phase", Field::kPhase, 2},
    {"taskId", Field::kTaskId, 3},
    {"task_id", Field::kTaskId, 3},
    {"durationMs", Field::kDurationMs, 4},
    {"duration_ms", Field::kDurationMs, 4},
    {"duration_ns", Field::kDurationNs, 4},
    {"tokens", Field::kTokens, 5},
    {"inputTokens", Field::kInputTokens, 6},
    {"input_tokens", Field::kInputTokens, 6},
    {"outputTokens", Field::kOutputTokens, 7},
    {"output_tokens", Field::kOutputTokens, 7},
    {"cachedTokens", Field::kCachedTokens, 8},
    {"cached_tokens", Field::kCachedTokens, 8},
    {"cost", Field::kCost, 9},
    {"exitCode", Field::kExitCode, 10},
    {"exit_code", Field::kExitCode, 10},
    {"success", Field::kSuccess, 11},
    {"attempt", Field::kAttempt, 12},
    {"outputParsed", Field::kOutputParsed, 13},
    {"output_parsed", Field::kOutputParsed, 13},
    {"model", Field::kModel, 14},
    {"tier", Field::kTier, 15},
    {"errorClass", Field::kErrorClass, 16},
    {"error_class", Field::kErrorClass, 16},
    {"timestamp", Field::kTimestamp, 17},
};

const Member *find_member(std::string_view name) {
  for (const Member &m : kMembers) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// A member name quoted for a message, cut to 40 bytes.
std::string quoted(std::string_view name) {
  std::string out;
  out += '"';
  out.append(name.substr(0, 40));
  out += '"';
  return out;
}

[[noreturn]] void bad(std::string_view name, std::string_view why) {
  throw InvalidArgument("invocation: " + quoted(name) + " " + std::string(why));
}

int64_t get_int(value &v, std::string_view name) {
  int64_t n;
  if (v.get_int64().get(n)) bad(name, "must be an integer");
  return n;
}
int64_t get_count(value &v, std::string_view name) {
  const int64_t n = get_int(v, name);
  if (n < 0 || n > kMaxTokenCount) bad(name, "is out of range");
  return n;
}
std::string_view get_str(value &v, std::string_view name) {
  std::string_view s;
  if (v.get_string().get(s)) bad(name, "must be a string");
  return s;
}
bool get_bool(value &v, std::string_view name) {
  bool b;
  if (v.get_bool().get(b)) bad(name, "must be true or false");
  return b;
}
// A cost as an exact decimal: the number's own digits, not a double.
u128 get_money(value &v, std::string_view name) {
  json_type type{};
  if (v.type().get(type) || type != json_type::number) bad(name, "must be a number");
  std::string_view text = v.raw_json_token();
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  try {
    return money_parse(text, name);
  } catch (const InvalidArgument &e) {
    throw InvalidArgument(std::string("invocation: ") + e.what());
  }
}
// Milliseconds (the seed's durationMs, possibly fractional) as nanoseconds.
int64_t get_ms_as_ns(value &v, std::string_view name) {
  double ms;
  if (v.get_double().get(ms)) bad(name, "must be a number");
  if (!std::isfinite(ms) || ms < 0 || ms > 9.2e12) bad(name, "is out of range");
  return static_cast<int64_t>(std::llround(ms * 1e6));
}

}  // namespace

void InvocationJsonParser::parse_document(simdjson::ondemand::document &doc) {
  simdjson::ondemand::object obj;
  if (const auto err = doc.get_object().get(obj)) {
    if (err == simdjson::INCORRECT_TYPE) throw InvalidArgument("invocation: not a JSON object");
    throw InvalidArgument(std::string("invocation: not JSON: ") + simdjson::error_message(err));
  }
  InvocationView &inv = inv_;
  std::string_view given[static_cast<int>(Field::kCount)];  // the spelling each slot was given as
  for (auto field : obj) {
    std::string_view name;
    if (field.unescaped_key().get(name)) throw InvalidArgument("invocation: not JSON: a bad member name");
    const Member *m = find_member(name);
    if (!m) throw InvalidArgument("invocation: unknown member " + quoted(name));
    value v = field.value();
    bool null = false;
    if (!v.is_null().get(null) && null) continue;  // null is "not reported", like an absent member
    if (!given[m->slot].empty()) bad(name, "repeats " + quoted(given[m->slot]));
    given[m->slot] = m->name;
    switch (m->field) {
      case Field::kInvocationId: inv.invocation_id = get_str(v, name); break;
      case Field::kAgent: inv.agent = get_str(v, name); break;
      case Field::kPhase: inv.phase = get_int(v, name); break;
      case Field::kTaskId: inv.task_id = get_str(v, name); break;
      case Field::kDurationMs: inv.duration_ns = get_ms_as_ns(v, name); break;
      case Field::kDurationNs:
        inv.duration_ns = get_int(v, name);
        if (inv.duration_ns < 0) bad(name, "is negative");
        break;
      case Field::kTokens: inv.tokens = get_int(v, name); break;
      case Field::kInputTokens: inv.input_tokens = get_count(v, name); break;
      case Field::kOutputTokens: inv.output_tokens = get_count(v, name); break;
      case Field::kCachedTokens: inv.cached_tokens = get_count(v, name); break;
      case Field::kCost: inv.cost = get_money(v, name); break;
      case Field::kExitCode: inv.exit_code = get_int(v, name); break;
      case Field::kSuccess: inv.success = get_bool(v, name); break;
      case Field::kAttempt:
        inv.attempt = get_int(v, name);
        if (inv.attempt < 1) bad(name, "must be at least 1");
        break;
      case Field::kOutputParsed: inv.output_parsed = get_bool(v, name); break;
      case Field::kModel: inv.model = get_str(v, name); break;
      case Field::kTier: inv.tier = get_str(v, name); break;
      case Field::kErrorClass: inv.error_class = get_str(v, name); break;
      case Field::kTimestamp: {
        const auto ns = parse_iso(get_str(v, name));
        if (!ns) bad(name, "is not an ISO 8601 time such as 2026-11-22T10:00:00.000Z");
        inv.start_ns = *ns;
        has_timestamp_ = true;
        break;
      }
      case Field::kCount: break;
    }
  }
}

const InvocationView &InvocationJsonParser::parse(std::string_view json) {
  inv_ = InvocationView{};
  has_timestamp_ = false;
  padded_.assign(json);
  padded_.append(simdjson::SIMDJSON_PADDING, ' ');
  const char *end = padded_.data() + json.size();
  simdjson::ondemand::document doc;
  auto err = parser_.iterate(padded_.data(), json.size(), padded_.size()).get(doc);
  if (err) throw InvalidArgument(std::string("invocation: not JSON: ") + simdjson::error_message(err));
  try {
    parse_document(doc);
  } catch (const simdjson::simdjson_error &e) {
    throw InvalidArgument(std::string("invocation: not JSON: ") + e.what());
  }
  const char *rest = nullptr;
  if (!doc.current_location().get(rest) && rest < end) {
    throw InvalidArgument("invocation: more than one JSON value");
  }
  return inv_;
}

}  // namespace agentmetrics
