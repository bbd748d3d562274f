#include "journal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <thread>

#include "errors.hpp"
#include "invocations.hpp"
#include "json.hpp"
#include "timefmt.hpp"

namespace agentmetrics {

namespace {

constexpr std::pair<TokenKind, std::string_view> kUsageKeys[] = {{kInput, "input"},
                                                                 {kCacheRead, "cache_read"},
                                                                 {kCacheWrite, "cache_write"},
                                                                 {kCacheWrite1h, "cache_write_1h"},
                                                                 {kOutput, "output"},
                                                                 {kReasoning, "reasoning"},
                                                                 {kTotal, "total"}};
constexpr std::string_view kCostKeys[kCostItems] = {"input",          "cache_read", "cache_write_5m",
                                                    "cache_write_1h", "output",     "reasoning"};

// ---------------------------------------------------------------------------------------------
// Encoding: members in a fixed order, each prefixed by its separator and key, written through
// a raw pointer into room reserved for the longest line the record can make (the writer
// encodes a million lines a second: no capacity checks, no allocations).

class Out {
 public:
  explicit Out(char *p) : p_(p) {}
  char *end() const { return p_; }
  void raw(std::string_view v) {
    std::memcpy(p_, v.data(), v.size());
    p_ += v.size();
  }
  void ch(char c) { *p_++ = c; }
  void i64(int64_t v) { p_ = std::to_chars(p_, p_ + 24, v).ptr; }
  void str(std::string_view v) { p_ = json::write_string(p_, v); }
  void money(u128 v) { p_ = write_money(p_, v); }

 private:
  char *p_;
};

void put_int(Out &out, std::string_view key, int64_t v) {
  out.raw(key);
  out.i64(v);
}
void put_str(Out &out, std::string_view key, std::string_view v) {
  if (v.empty()) return;
  out.raw(key);
  out.str(v);
}
void put_opt(Out &out, std::string_view key, const std::optional<int64_t> &v) {
  if (v) put_int(out, key, *v);
}
void put_money(Out &out, std::string_view key, u128 v) {
  out.raw(key);
  out.money(v);
}
void put_bool(Out &out, std::string_view key, bool v) {
  out.raw(key);
  out.raw(v ? "true" : "false");
}

void put_usage_and_cost(Out &out, const Usage &usage, const Cost &cost) {
  if (!usage.empty()) {
    char sep = '{';
    out.raw(",\"usage\":");
    for (auto [kind, name] : kUsageKeys) {
      if (!usage.has(kind)) continue;
      out.ch(sep);
      out.ch('"');
      out.raw(name);
      put_int(out, "\":", usage.get(kind));
      sep = ',';
    }
    out.ch('}');
  }
  if (cost.priced) {
    out.raw(",\"cost\":{");
    for (int i = 0; i < kCostItems; ++i) {
      if (cost.item[i] == 0) continue;  // a priced item left out is 0
      out.ch('"');
      out.raw(kCostKeys[i]);
      put_money(out, "\":", cost.item[i]);
      out.ch(',');
    }
    put_money(out, "\"total\":", cost.total);
    out.ch('}');
  }
}

void put_invocation(Out &out, const InvocationView &inv) {
  put_str(out, ",\"timestamp\":", format_iso_ms(inv.start_ns));
  put_str(out, ",\"invocation_id\":", inv.invocation_id);
  put_int(out, ",\"phase\":", inv.phase);
  put_str(out, ",\"task_id\":", inv.task_id);
  put_int(out, ",\"duration_ns\":", inv.duration_ns);
  put_int(out, ",\"tokens\":", inv.tokens);
  put_opt(out, ",\"input_tokens\":", inv.input_tokens);
  put_opt(out, ",\"output_tokens\":", inv.output_tokens);
  put_opt(out, ",\"cached_tokens\":", inv.cached_tokens);
  put_money(out, ",\"cost\":", inv.cost);
  put_int(out, ",\"exit_code\":", inv.exit_code);
  put_bool(out, ",\"success\":", inv.success);
  put_int(out, ",\"attempt\":", inv.attempt);
  put_bool(out, ",\"output_parsed\":", inv.output_parsed);
  put_str(out, ",\"model\":", inv.model);
  put_str(out, ",\"tier\":", inv.tier);
  put_str(out, ",\"error_class\":", inv.error_class);
}

}  // namespace

size_t encoded_size_bound(const RecordView &r) {
  // Every string may grow sixfold when escaped (\u00XX); everything else fits in the rest.
  size_t text = r.tags_json.size();
  for (std::string_view v :
       {r.session, r.agent, r.phase, r.task, r.error_type, r.error_message, r.model, r.provider, r.source,
        r.stop_reason, r.tool, r.call_id, r.invocation.invocation_id, r.invocation.agent,
        r.invocation.task_id, r.invocation.model, r.invocation.tier, r.invocation.error_class}) {
    text += 6 * v.size();
  }
  return text + 2048;
}

char *encode_record(const RecordView &r, char *buffer) {
  Out out(buffer);
  out.raw("{\"v\":1,\"kind\":\"");
  out.raw(kind_name(r.kind));
  put_int(out, "\",\"ts\":", r.ts);
  put_str(out, ",\"session\":", r.session);
  put_str(out, ",\"agent\":", r.kind == RecordKind::kInvocation ? r.invocation.agent : r.agent);
  if (r.kind != RecordKind::kInvocation) put_str(out, ",\"phase\":", r.phase);
  put_str(out, ",\"task\":", r.task);
  if (r.turn) put_int(out, ",\"turn\":", static_cast<int64_t>(r.turn));
  switch (r.kind) {
    case RecordKind::kSession:
      if (!r.tags_json.empty()) {
        out.raw(",\"tags\":");
        out.raw(r.tags_json);
      }
      break;
    case RecordKind::kModelCall:
      put_str(out, ",\"model\":", r.model);
      put_str(out, ",\"provider\":", r.provider);
      put_str(out, ",\"source\":", r.source);
      put_str(out, ",\"stop_reason\":", r.stop_reason);
      put_int(out, ",\"attempt\":", r.attempt);
      put_str(out, ",\"outcome\":", r.error ? "error" : "ok");
      put_str(out, ",\"error_type\":", r.error_type);
      put_str(out, ",\"error\":", r.error_message);
      put_opt(out, ",\"duration_ns\":", r.duration_ns);
      put_opt(out, ",\"ttft_ns\":", r.ttft_ns);
      put_usage_and_cost(out, r.usage, r.cost);
      break;
    case RecordKind::kToolCall:
      put_str(out, ",\"tool\":", r.tool);
      put_str(out, ",\"call_id\":", r.call_id);
      put_str(out, ",\"outcome\":", r.error ? "error" : "ok");
      put_str(out, ",\"error_type\":", r.error_type);
      put_str(out, ",\"error\":", r.error_message);
      put_opt(out, ",\"duration_ns\":", r.duration_ns);
      put_opt(out, ",\"input_bytes\":", r.input_bytes);
      put_opt(out, ",\"output_bytes\":", r.output_bytes);
      break;
    case RecordKind::kTurn:
      put_opt(out, ",\"duration_ns\":", r.duration_ns);
      put_int(out, ",\"tool_wall_ns\":", r.tool_wall_ns);
      put_int(out, ",\"tool_work_ns\":", r.tool_work_ns);
      put_int(out, ",\"model_calls\":", static_cast<int64_t>(r.model_calls));
      put_int(out, ",\"tool_calls\":", static_cast<int64_t>(r.tool_calls));
      put_int(out, ",\"tokens\":", r.turn_tokens);
      put_money(out, ",\"cost\":", r.turn_cost);
      break;
    case RecordKind::kInvocation: put_invocation(out, r.invocation); break;
    case RecordKind::kDropped:
      put_int(out, ",\"records\":", static_cast<int64_t>(std::min<uint64_t>(r.dropped_records, INT64_MAX)));
      put_int(out, ",\"last_ts\":", r.last_ts);
      break;
  }
  out.raw("}\n");
  return out.end();
}

void encode_record(const RecordView &r, std::string &out) {
  const size_t used = out.size();
  out.resize(used + encoded_size_bound(r));
  out.resize(static_cast<size_t>(encode_record(r, out.data() + used) - out.data()));
}

// ---------------------------------------------------------------------------------------------
// Decoding

namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::value;

// Every member name a record may carry: the writer's names (encode_record), and no others.
enum class Key {
  kUnknown,
  kV,
  kKind,
  kTs,
  kSession,
  kAgent,
  kPhase,
  kTask,
  kTurn,
  kModel,
  kProvider,
  kSource,
  kStopReason,
  kAttempt,
  kOutcome,
  kErrorType,
  kError,
  kDurationNs,
  kTtftNs,
  kUsage,
  kCost,
  kTool,
  kCallId,
  kInputBytes,
  kOutputBytes,
  kToolWallNs,
  kToolWorkNs,
  kModelCalls,
  kToolCalls,
  kTokens,
  kTags,
  kTimestamp,
  kInvocationId,
  kTaskId,
  kInputTokens,
  kOutputTokens,
  kCachedTokens,
  kExitCode,
  kSuccess,
  kOutputParsed,
  kTier,
  kErrorClass,
  kRecords,
  kLastTs,
};

constexpr std::pair<std::string_view, Key> kKeys[] = {
    {"v", Key::kV},
    {"kind", Key::kKind},
    {"ts", Key::kTs},
    {"session", Key::kSession},
    {"agent", Key::kAgent},
    {"phase", Key::kPhase},
    {"task", Key::kTask},
    {"turn", Key::kTurn},
    {"model", Key::kModel},
    {"provider", Key::kProvider},
    {"source", Key::kSource},
    {"stop_reason", Key::kStopReason},
    {"attempt", Key::kAttempt},
    {"outcome", Key::kOutcome},
    {"error_type", Key::kErrorType},
    {"error", Key::kError},
    {"duration_ns", Key::kDurationNs},
    {"ttft_ns", Key::kTtftNs},
    {"usage", Key::kUsage},
    {"cost", Key::kCost},
    {"tool", Key::kTool},
    {"call_id", Key::kCallId},
    {"input_bytes", Key::kInputBytes},
    {"output_bytes", Key::kOutputBytes},
    {"tool_wall_ns", Key::kToolWallNs},
    {"tool_work_ns", Key::kToolWorkNs},
    {"model_calls", Key::kModelCalls},
    {"tool_calls", Key::kToolCalls},
    {"tokens", Key::kTokens},
    {"tags", Key::kTags},
    {"timestamp", Key::kTimestamp},
    {"invocation_id", Key::kInvocationId},
    {"task_id", Key::kTaskId},
    {"input_tokens", Key::kInputTokens},
    {"output_tokens", Key::kOutputTokens},
    {"cached_tokens", Key::kCachedTokens},
    {"exit_code", Key::kExitCode},
    {"success", Key::kSuccess},
    {"output_parsed", Key::kOutputParsed},
    {"tier", Key::kTier},
    {"error_class", Key::kErrorClass},
    {"records", Key::kRecords},
    {"last_ts", Key::kLastTs},
};

// Keys bucketed by length and first letter: a line has ~20 members, so the lookup is hot.
class KeyTable {
 public:
  KeyTable() {
    for (auto [name, key] : kKeys) buckets_[bucket(name)].emplace_back(name, key);
  }
  Key find(std::string_view name) const {
    if (name.empty() || name.size() > kMaxLen) return Key::kUnknown;
    for (auto [n, key] : buckets_[bucket(name)]) {
      if (n == name) return key;
    }
    return Key::kUnknown;
  }

 private:
  static constexpr size_t kMaxLen = 15;
  static size_t bucket(std::string_view name) { return name.size() * 32 + (name[0] & 31); }
  std::vector<std::pair<std::string_view, Key>> buckets_[(kMaxLen + 1) * 32];
};
const KeyTable &keys() {
  static const KeyTable table;
  return table;
}

[[noreturn]] void bad(std::string_view key, std::string_view why) {
  throw Corrupt("\"" + std::string(key) + "\" " + std::string(why));
}

void check(simdjson::error_code err, std::string_view key) {
  if (err) bad(key, simdjson::error_message(err));
}

int64_t get_int(value &v, std::string_view key) {
  int64_t n;
  if (v.get_int64().get(n)) bad(key, "must be an integer");
  return n;
}
int64_t get_count(value &v, std::string_view key) {
  const int64_t n = get_int(v, key);
  if (n < 0 || n > kMaxTokenCount) bad(key, "is out of range");
  return n;
}
std::string_view get_str(value &v, std::string_view key) {
  std::string_view s;
  if (v.get_string().get(s)) bad(key, "must be a string");
  return s;
}
bool get_bool(value &v, std::string_view key) {
  bool b;
  if (v.get_bool().get(b)) bad(key, "must be true or false");
  return b;
}
u128 get_money(value &v, std::string_view key) {
  json_type type{};
  check(v.type().get(type), key);
  if (type != json_type::number) bad(key, "must be a number");
  std::string_view text = v.raw_json_token();
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  try {
    return money_parse(text, key);
  } catch (const InvalidArgument &e) {
    throw Corrupt(e.what());
  }
}
bool is_null(value &v) {
  bool null = false;
  return !v.is_null().get(null) && null;
}
bool is_number(value &v, std::string_view key) {
  json_type type{};
  check(v.type().get(type), key);
  return type == json_type::number;
}

// A member's name. Names without escapes (all of ours) are read in place, without the copy
// unescaped_key() makes: a line has ~20 of them. `end` bounds the search for the quote.
std::string_view member_name(simdjson::simdjson_result<simdjson::ondemand::field> &field, const char *end,
                             std::string_view what) {
  simdjson::ondemand::raw_json_string raw;
  check(field.key().get(raw), what);
  const char *start = raw.raw(), *p = start;
  while (p < end && *p != '"' && *p != '\\') ++p;  // names are short: a plain loop beats memchr
  if (p < end && *p == '"') return std::string_view(start, static_cast<size_t>(p - start));
  std::string_view name;
  check(field.unescaped_key().get(name), what);
  return name;
}

void decode_usage(value &v, Usage &usage, const char *end) {
  simdjson::ondemand::object obj;
  if (v.get_object().get(obj)) bad("usage", "must be an object");
  for (auto field : obj) {
    const std::string_view name = member_name(field, end, "usage");
    value item = field.value();
    if (is_null(item)) continue;
    bool known = false;
    for (auto [kind, key] : kUsageKeys) {
      if (key == name) {
        usage.set(kind, get_count(item, "usage." + std::string(key)));
        known = true;
        break;
      }
    }
    (void)known;  // members added by later minor versions are ignored
  }
}

void decode_cost(value &v, Cost &cost, const char *end) {
  simdjson::ondemand::object obj;
  if (v.get_object().get(obj)) bad("cost", "must be an object");
  bool has_total = false;
  for (auto field : obj) {
    const std::string_view name = member_name(field, end, "cost");
    value item = field.value();
    if (name == "total") {
      cost.total = get_money(item, "cost.total");
      has_total = true;
      continue;
    }
    for (int i = 0; i < kCostItems; ++i) {
      if (kCostKeys[i] == name) cost.item[i] = get_money(item, "cost." + std::string(name));
    }
  }
  if (!has_total) bad("cost", "has no \"total\"");
  cost.priced = true;
}

}  // namespace

void LineDecoder::decode_document(simdjson::ondemand::document &doc) {
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) throw Corrupt("not a JSON object");
  record_ = RecordView{};
  tags_.clear();
  RecordView &r = record_;
  InvocationView &inv = r.invocation;
  bool has_v = false, has_kind = false, has_ts = false, has_timestamp = false;
  enum class Typed : uint8_t { kAbsent, kNumber, kOther } phase = Typed::kAbsent, cost = Typed::kAbsent;
  int64_t duration_ns = -1;
  for (auto field : obj) {
    const std::string_view name = member_name(field, end_, "member name");
    value v = field.value();
    if (is_null(v)) continue;  // null is "not reported", like an absent member
    switch (keys().find(name)) {
      case Key::kUnknown: break;  // members added by later minor versions are ignored
      case Key::kV: {
        const int64_t version = get_int(v, name);
        if (version < 1 || version > kSchemaVersion) {
          throw Corrupt("unsupported schema version " + std::to_string(version) +
                        " (this library reads 1 to " + std::to_string(kSchemaVersion) + ")");
        }
        has_v = true;
        break;
      }
      case Key::kKind: {
        const std::string_view kind = get_str(v, name);
        const auto k = kind_from_name(kind);
        if (!k) throw Corrupt("unknown record kind \"" + std::string(kind.substr(0, 40)) + "\"");
        r.kind = *k;
        has_kind = true;
        break;
      }
      case Key::kTs:
        r.ts = get_int(v, name);
        has_ts = true;
        break;
      case Key::kSession: r.session = get_str(v, name); break;
      case Key::kAgent: r.agent = inv.agent = get_str(v, name); break;
      case Key::kPhase:
        // A label (a string) on every kind but an invocation, whose phase is seed 004's number.
        // Read by the kind when it came first (the writer puts it second), else by the value's
        // type and checked against the kind at the end.
        if (has_kind ? r.kind == RecordKind::kInvocation : is_number(v, name)) {
          inv.phase = get_int(v, name);
          phase = Typed::kNumber;
        } else {
          r.phase = get_str(v, name);
          phase = Typed::kOther;
        }
        break;
      case Key::kTask: r.task = get_str(v, name); break;
      case Key::kTurn: r.turn = static_cast<uint64_t>(get_count(v, name)); break;
      case Key::kModel: r.model = inv.model = get_str(v, name); break;
      case Key::kProvider: r.provider = get_str(v, name); break;
      case Key::kSource: r.source = get_str(v, name); break;
      case Key::kStopReason: r.stop_reason = get_str(v, name); break;
      case Key::kAttempt: {
        r.attempt = inv.attempt = get_int(v, name);
        if (r.attempt < 1) bad(name, "must be at least 1");
        break;
      }
      case Key::kOutcome: {
        const std::string_view outcome = get_str(v, name);
        if (outcome != "ok" && outcome != "error") bad(name, "must be \"ok\" or \"error\"");
        r.error = outcome == "error";
        break;
      }
      case Key::kErrorType: r.error_type = get_str(v, name); break;
      case Key::kError: r.error_message = get_str(v, name); break;
      case Key::kDurationNs: {
        duration_ns = get_int(v, name);
        if (duration_ns < 0) bad(name, "is negative");
        break;
      }
      case Key::kTtftNs: r.ttft_ns = get_count(v, name); break;
      case Key::kUsage: decode_usage(v, r.usage, end_); break;
      case Key::kCost:
        // A model call's items and total (an object); any other kind's total (a number), read
        // as "phase" is.
        if (has_kind ? r.kind != RecordKind::kModelCall : is_number(v, name)) {
          r.turn_cost = inv.cost = get_money(v, name);
          cost = Typed::kNumber;
        } else {
          decode_cost(v, r.cost, end_);
          cost = Typed::kOther;
        }
        break;
      case Key::kTool: r.tool = get_str(v, name); break;
      case Key::kCallId: r.call_id = get_str(v, name); break;
      case Key::kInputBytes: r.input_bytes = get_count(v, name); break;
      case Key::kOutputBytes: r.output_bytes = get_count(v, name); break;
      case Key::kToolWallNs: r.tool_wall_ns = get_count(v, name); break;
      case Key::kToolWorkNs: r.tool_work_ns = get_count(v, name); break;
      case Key::kModelCalls: r.model_calls = static_cast<uint64_t>(get_count(v, name)); break;
      case Key::kToolCalls: r.tool_calls = static_cast<uint64_t>(get_count(v, name)); break;
      case Key::kTokens: r.turn_tokens = inv.tokens = get_int(v, name); break;
      case Key::kTags: {
        simdjson::ondemand::object tags;
        if (v.get_object().get(tags)) bad(name, "must be an object");
        char sep = '{';
        for (auto tag : tags) {
          std::string_view key;
          check(tag.unescaped_key().get(key), name);
          value tv = tag.value();
          tags_ += sep;
          json::append_string(tags_, key);
          tags_ += ':';
          json::append_string(tags_, get_str(tv, "tags." + std::string(key)));
          sep = ',';
        }
        if (sep == '{') tags_ += '{';
        tags_ += '}';
        r.tags_json = tags_;
        break;
      }
      case Key::kTimestamp: {
        const std::string_view text = get_str(v, name);
        const auto ns = parse_iso(text);
        if (!ns) bad(name, "is not an ISO 8601 time such as 2026-11-22T10:00:00.000Z");
        inv.start_ns = *ns;
        has_timestamp = true;
        break;
      }
      case Key::kInvocationId: inv.invocation_id = get_str(v, name); break;
      case Key::kTaskId: inv.task_id = get_str(v, name); break;
      case Key::kInputTokens: inv.input_tokens = get_count(v, name); break;
      case Key::kOutputTokens: inv.output_tokens = get_count(v, name); break;
      case Key::kCachedTokens: inv.cached_tokens = get_count(v, name); break;
      case Key::kExitCode: inv.exit_code = get_int(v, name); break;
      case Key::kSuccess: inv.success = get_bool(v, name); break;
      case Key::kOutputParsed: inv.output_parsed = get_bool(v, name); break;
      case Key::kTier: inv.tier = get_str(v, name); break;
      case Key::kErrorClass: inv.error_class = get_str(v, name); break;
      case Key::kRecords: r.dropped_records = static_cast<uint64_t>(get_count(v, name)); break;
      case Key::kLastTs: r.last_ts = get_int(v, name); break;
    }
  }
  if (!has_v) throw Corrupt("no schema version (\"v\")");
  if (!has_kind) throw Corrupt("no record kind (\"kind\")");
  if (!has_ts && !(r.kind == RecordKind::kInvocation && has_timestamp)) throw Corrupt("no time (\"ts\")");
  if (phase != Typed::kAbsent && (phase == Typed::kNumber) != (r.kind == RecordKind::kInvocation)) {
    bad("phase", phase == Typed::kNumber ? "must be a string" : "must be an integer");
  }
  if (cost != Typed::kAbsent && (cost == Typed::kNumber) != (r.kind != RecordKind::kModelCall)) {
    bad("cost", cost == Typed::kNumber ? "must be an object" : "must be a number");
  }
  if (duration_ns >= 0) r.duration_ns = duration_ns;
  if (r.kind == RecordKind::kInvocation) {
    if (!has_timestamp) inv.start_ns = r.ts;
    if (!has_ts) r.ts = inv.start_ns;
    inv.duration_ns = duration_ns >= 0 ? duration_ns : 0;
    // What agm_recorder_record_invocation requires (an id, an agent, counts >= 0), which the
    // writer's lines always have: a line without is malformed, not a record that would make
    // every invocation aggregate over the store fail.
    try {
      validate_invocation(inv);
    } catch (const InvalidArgument &e) {
      throw Corrupt(e.what());
    }
  }
}

const RecordView &LineDecoder::decode(std::string_view line, size_t capacity) {
  simdjson::ondemand::document doc;
  end_ = line.data() + line.size();
  auto err = parser_.iterate(line.data(), line.size(), capacity).get(doc);
  if (err) throw Corrupt(std::string("not JSON: ") + simdjson::error_message(err));
  try {
    decode_document(doc);
  } catch (const simdjson::simdjson_error &e) {
    throw Corrupt(std::string("not JSON: ") + e.what());
  }
  // One value per line: a record followed by more (a line torn just before its newline, then
  // another process's line) is not taken for the first record alone.
  const char *rest = nullptr;
  if (!doc.current_location().get(rest) && rest < end_) throw Corrupt("more than one JSON value on the line");
  canonicalize(record_);
  return record_;
}

// ---------------------------------------------------------------------------------------------
// Reading files

std::string ReadReport::warnings_json() const {
  std::string out = "[";
  for (const auto &w : warnings) {
    if (out.size() > 1) out += ',';
    out += "{\"file\":";
    json::append_string(out, w.file);
    out += ",\"line\":" + std::to_string(w.line);
    out += ",\"reason\":";
    json::append_string(out, w.reason);
    out += '}';
  }
  out += ']';
  return out;
}

std::string errno_text(int err) {
  return std::strerror(err);
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

void ReadReport::add_dropped(const RecordView &marker) {
  ReadReport one;
  one.dropped = marker.dropped_records;
  one.dropped_markers = 1;
  one.dropped_from = marker.ts;
  one.dropped_to = std::max(marker.ts, marker.last_ts);
  merge_dropped(one);
}

void ReadReport::merge_dropped(const ReadReport &other) {
  if (other.dropped_markers == 0) return;
  if (dropped_markers == 0) {
    dropped_from = other.dropped_from;
    dropped_to = other.dropped_to;
  } else {
    dropped_from = std::min(dropped_from, other.dropped_from);
    dropped_to = std::max(dropped_to, other.dropped_to);
  }
  dropped = dropped + other.dropped < dropped ? UINT64_MAX : dropped + other.dropped;
  dropped_markers += other.dropped_markers;
}

void ReadReport::add_malformed(const std::string &file, uint64_t line, std::string reason) {
  ++malformed;
  if (warnings.size() < kMaxWarnings) warnings.push_back({file, line, std::move(reason)});
}

size_t resync_point(std::string_view text) {
  constexpr std::string_view kStart = "{\"v\":";
  for (size_t at = text.rfind(kStart); at != std::string_view::npos && at > 0;
       at = text.rfind(kStart, at - 1)) {
    const size_t digit = at + kStart.size();
    if (digit < text.size() && text[digit] >= '0' && text[digit] <= '9') return at;
  }
  return std::string_view::npos;
}

namespace {

// Whole lines up to kMaxLineBytes, and a read of kReadBytes after them.
constexpr size_t kReadBytes = size_t{4} << 20;
constexpr size_t kMaxBuffer = kMaxLineBytes + 1 + kReadBytes + simdjson::SIMDJSON_PADDING;

}  // namespace

LineReader::LineReader(const std::string &path, int fd, uint64_t begin, uint64_t end, bool tail)
    : path_(path),
      fd_(fd),
      end_(end),
      tail_(tail),
      buf_(kReadBytes + simdjson::SIMDJSON_PADDING),
      base_(begin) {}

// Moves the unread bytes to the front and reads more after them; false at the end of the file.
bool LineReader::fill() {
  if (eof_) return false;
  std::memmove(buf_.data(), buf_.data() + pos_, filled_ - pos_);
  filled_ -= pos_;
  base_ += pos_;
  pos_ = 0;
  if (buf_.size() - filled_ < simdjson::SIMDJSON_PADDING + 4096) {
    buf_.resize(std::min(kMaxBuffer, std::max(buf_.size() * 2, filled_ + kReadBytes / 4)));
  }
  for (;;) {
    const size_t room = buf_.size() - filled_ - simdjson::SIMDJSON_PADDING;
    const ssize_t n = ::pread(fd_, buf_.data() + filled_, room, static_cast<off_t>(base_ + filled_));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot read journal " + path_ + ": " + errno_text(errno));
    }
    eof_ = n == 0;
    filled_ += static_cast<size_t>(n);
    return n > 0;
  }
}

bool LineReader::next(Line &line) {
  for (;;) {
    if (base_ + pos_ >= end_) return false;
    const char *start = buf_.data() + pos_;
    const char *nl = static_cast<const char *>(std::memchr(start, '\n', filled_ - pos_));
    if (nl && static_cast<size_t>(nl - start) <= kMaxLineBytes) {
      const size_t len = static_cast<size_t>(nl - start);
      line = Line{
          std::string_view(start, len), buf_.size() - pos_, ++number_, base_ + pos_, len + 1, true, false};
      pos_ += len + 1;
      return true;
    }
    if (filled_ - pos_ > kMaxLineBytes) {
      // Too long: skipped through to its '\n' (or the end of the file), never kept whole.
      line = Line{{}, 0, ++number_, base_ + pos_, 0, true, true};
      for (;;) {
        nl = static_cast<const char *>(std::memchr(buf_.data() + pos_, '\n', filled_ - pos_));
        if (nl) {
          const size_t len = static_cast<size_t>(nl - (buf_.data() + pos_));
          line.bytes += len + 1;
          pos_ += len + 1;
          return true;
        }
        line.bytes += filled_ - pos_;
        pos_ = filled_;
        if (!fill()) {
          line.complete = false;
          if (!tail_) return false;  // still being written: left for a later read
          return true;
        }
      }
    }
    if (fill()) continue;
    if (pos_ == filled_ || !tail_) return false;
    // The last line has no newline: a record cut short by a crash, or a complete one whose
    // newline was not written yet. Either way it is judged by its content.
    const size_t len = filled_ - pos_;
    std::memset(buf_.data() + filled_, ' ', simdjson::SIMDJSON_PADDING);
    line = Line{std::string_view(buf_.data() + pos_, len),
                buf_.size() - pos_,
                ++number_,
                base_ + pos_,
                len,
                false,
                false};
    pos_ = filled_;
    return true;
  }
}

namespace {

// Reads lines of journal files and hands their records on, counting what it sees.
struct Reader {
  uint64_t skip, limit;
  ReadReport &report;
  std::function<void(const RecordView &)> fn;
  LineDecoder decoder;
  uint64_t seen = 0;  // well-formed records, skipped ones included
  bool done = false;  // the limit is reached

  void record(const RecordView &r) {
    if (r.kind == RecordKind::kDropped) {  // a writer's marker, not a record
      report.add_dropped(r);
      return;
    }
    ++report.lines;
    if (done) return;  // a second record on a line after the limit: not read
    if (seen++ < skip) {
      ++report.skipped;
      return;
    }
    ++report.records;
    fn(r);
    if (limit && report.records >= limit) done = true;
  }

  // The lines of an open file that start in [begin, end), numbered from 1 at `begin`.
  void range(const std::string &path, int fd, uint64_t begin, uint64_t end) {
    LineReader lines(path, fd, begin, end, true);
    LineReader::Line l;
    while (!done && lines.next(l)) {
      report.bytes += l.bytes;
      report.numbered = l.number;
      decode_line(
          decoder, l, [&](const RecordView &r) { record(r); },
          [&](std::string reason) {
            ++report.lines;
            report.add_malformed(path, l.number, std::move(reason));
          });
    }
  }
};

int open_journal(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open journal " + path + ": " + errno_text(errno));
  return fd;
}

// The offset of the first line that starts at or after `at`.
uint64_t next_line_start(const std::string &path, int fd, uint64_t at, uint64_t size) {
  if (at == 0) return 0;
  char buf[4096];
  for (uint64_t pos = at - 1; pos < size;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError("cannot read journal " + path + ": " + errno_text(errno));
    if (n == 0) break;
    if (const void *nl = std::memchr(buf, '\n', static_cast<size_t>(n))) {
      return pos + static_cast<uint64_t>(static_cast<const char *>(nl) - buf) + 1;
    }
    pos += static_cast<uint64_t>(n);
  }
  return size;
}

}  // namespace

bool is_sqlite_file(const std::string &path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return false;
  char header[16];
  return ::pread(fd.get(), header, sizeof header, 0) == sizeof header &&
         std::memcmp(header, "SQLite format 3", sizeof header) == 0;
}

std::vector<std::string> journal_files(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw NotFound("no journal at " + path);
    throw IoError("cannot read journal " + path + ": " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) return {path};
  std::vector<std::string> files;
  DIR *dir = ::opendir(path.c_str());
  if (!dir) throw IoError("cannot list journal folder " + path + ": " + errno_text(errno));
  while (dirent *e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name.size() > 6 && name.substr(name.size() - 6) == ".jsonl" && name[0] != '.') {
      files.push_back(path + "/" + std::string(name));
    }
  }
  ::closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

void read_journal(const std::string &path, uint64_t skip, uint64_t limit, ReadReport &report,
                  const std::function<void(const RecordView &)> &fn) {
  Reader reader{skip, limit, report, fn, {}, 0, false};
  for (const auto &file : journal_files(path)) {
    if (reader.done) break;
    Fd fd(open_journal(file));
    ++report.files;
    reader.range(file, fd.get(), 0, UINT64_MAX);
  }
}

void read_journal_file_parallel(const std::string &file, size_t chunks, ReadReport &report,
                                const std::function<void(size_t chunk, const RecordView &)> &fn) {
  Fd fd(open_journal(file));
  ++report.files;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw IoError("cannot read journal " + file + ": " + errno_text(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  constexpr uint64_t kMinChunk = uint64_t{8} << 20;  // below this, a thread costs more than it saves
  chunks = static_cast<size_t>(std::clamp<uint64_t>(size / kMinChunk, 1, std::max<size_t>(chunks, 1)));
  std::vector<uint64_t> bounds{0};
  for (size_t k = 1; k < chunks; ++k)
    bounds.push_back(next_line_start(file, fd.get(), size * k / chunks, size));
  bounds.push_back(UINT64_MAX);  // the last chunk reads to the end, however far it has grown

  std::vector<ReadReport> parts(chunks);
  std::vector<std::exception_ptr> errors(chunks);
  auto work = [&](size_t k) {
    try {
      Reader reader{0, 0, parts[k], [&fn, k](const RecordView &r) { fn(k, r); }, {}, 0, false};
      reader.range(file, fd.get(), bounds[k], bounds[k + 1]);
    } catch (...) {
      errors[k] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (size_t k = 1; k < chunks; ++k) threads.emplace_back(work, k);
  work(0);
  for (auto &t : threads) t.join();
  for (const auto &e : errors) {
    if (e) std::rethrow_exception(e);
  }
  // Each chunk numbered its lines from 1: shift them by the lines before the chunk.
  uint64_t lines_before = 0;
  for (const ReadReport &part : parts) {
    for (const JournalWarning &w : part.warnings) {
      if (report.warnings.size() < ReadReport::kMaxWarnings) {
        report.warnings.push_back({w.file, w.line + lines_before, w.reason});
      }
    }
    lines_before += part.numbered;
    report.numbered += part.numbered;
    report.lines += part.lines;
    report.records += part.records;
    report.malformed += part.malformed;
    report.bytes += part.bytes;
    report.merge_dropped(part);
  }
}

}  // namespace agentmetrics
