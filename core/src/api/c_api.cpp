// The only file that defines agm_* symbols. Every entry point validates its arguments, runs
// inside guard() so that no exception crosses the C boundary, and maps internal errors to
// status codes with a thread-local message.
#include <agentmetrics/metrics_c.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>
#include <sstream>
#include <tuple>
#include <type_traits>

#include "bundled.hpp"
#include "engine.hpp"
#include "errors.hpp"
#include "export_store.hpp"
#include "file_out.hpp"
#include "follow.hpp"
#include "format.hpp"
#include "history.hpp"
#include "invocation_json.hpp"
#include "json.hpp"
#include "metrics_tool.hpp"
#include "money.hpp"
#include "normalize.hpp"
#include "otlp_http.hpp"
#include "prices.hpp"
#include "query_store.hpp"
#include "report_store.hpp"
#include "stored.hpp"
#include "strings.hpp"
#include "timefmt.hpp"

using namespace agentmetrics;

struct agm_recorder {
  std::shared_ptr<RecorderState> state;
};

struct agm_session {
  template <class... Args>
  explicit agm_session(Args &&...args) : impl(std::forward<Args>(args)...) {}
  Session impl;
};

struct agm_usage_stream {
  UsageStream impl;
};

struct agm_history {
  std::string path;
  std::mutex mu;  // one read at a time; guards report
  ReadReport report;
  agentmetrics::ProgressFn progress;             // agm_history_set_progress's; empty: none
  agm_progress_unit_fn progress_unit = nullptr;  // or agm_history_set_progress_unit's
  void *progress_user = nullptr;
};

struct agm_follow {
  agentmetrics::Follower impl;
};

struct agm_breakdown {
  std::vector<std::pair<std::string, Group>> groups;
};

// Frozen layouts: a field added in the wrong place, or padding, fails the build.
static_assert(sizeof(agm_usage) == AGM_USAGE_SIZE_V0);
static_assert(sizeof(agm_usage_context) == AGM_USAGE_CONTEXT_SIZE_V0);
static_assert(sizeof(agm_recorder_options) == AGM_RECORDER_OPTIONS_SIZE_V0);
static_assert(sizeof(agm_cost) == AGM_COST_SIZE_V0);
static_assert(sizeof(agm_session_options) == AGM_SESSION_OPTIONS_SIZE_V0);
static_assert(sizeof(agm_turn_stats) == AGM_TURN_STATS_SIZE_V0);
static_assert(offsetof(agm_model_call, usage_context) == AGM_MODEL_CALL_SIZE_V0);  // 0.2 appended
static_assert(sizeof(agm_model_call) == AGM_MODEL_CALL_SIZE_V1);
static_assert(sizeof(agm_tool_call) == AGM_TOOL_CALL_SIZE_V0);
static_assert(sizeof(agm_totals) == AGM_TOTALS_SIZE_V1);
static_assert(sizeof(agm_duration_stats) == AGM_DURATION_STATS_SIZE_V0);
static_assert(sizeof(agm_budget) == AGM_BUDGET_SIZE_V0);
static_assert(sizeof(agm_cost_items) == 7 * sizeof(agm_money));
static_assert(offsetof(agm_store_options, max_queue_bytes) == AGM_STORE_OPTIONS_SIZE_V0);  // 0.2 appended
static_assert(sizeof(agm_store_options) == AGM_STORE_OPTIONS_SIZE_V0 + 8 + 2 * sizeof(void *));
static_assert(offsetof(agm_store_status, dropped) == AGM_STORE_STATUS_SIZE_V0);  // 0.2 appended
static_assert(sizeof(agm_store_status) == AGM_STORE_STATUS_SIZE_V0 + 3 * 8);
static_assert(sizeof(agm_load_options) == AGM_LOAD_OPTIONS_SIZE_V0);
static_assert(offsetof(agm_load_report, dropped) == AGM_LOAD_REPORT_SIZE_V0);  // 0.2 appended
static_assert(sizeof(agm_load_report) == AGM_LOAD_REPORT_SIZE_V0 + 3 * 8);
static_assert(sizeof(agm_invocation) == AGM_INVOCATION_SIZE_V0);
static_assert(sizeof(agm_aggregate_options) == AGM_AGGREGATE_OPTIONS_SIZE_V0);
static_assert(sizeof(agm_query) == AGM_QUERY_SIZE_V0);
static_assert(sizeof(agm_export_options) == AGM_EXPORT_OPTIONS_SIZE_V0);
static_assert(offsetof(agm_otlp_options, send) == AGM_OTLP_OPTIONS_SIZE_V0);  // send and send_user appended
static_assert(sizeof(agm_otlp_options) == AGM_OTLP_OPTIONS_SIZE_V0 + 2 * sizeof(void *));
static_assert(sizeof(agm_http_request) == AGM_HTTP_REQUEST_SIZE_V0);
static_assert(sizeof(agm_http_response) == AGM_HTTP_RESPONSE_SIZE_V0);
static_assert(sizeof(agm_report_options) == AGM_REPORT_OPTIONS_SIZE_V0);
static_assert(sizeof(agm_metrics_tool_context) == AGM_METRICS_TOOL_CONTEXT_SIZE_V0);

namespace {

// ---------------------------------------------------------------------------------------------
// Errors

thread_local std::string t_last_error;

agm_status fail(agm_status status, std::string_view message) {
  try {
    t_last_error.assign(message);
  } catch (...) {
    t_last_error.clear();  // out of memory for the message: keep the status
  }
  return status;
}

template <class F>
agm_status guard(F &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(AGM_E_OUT_OF_MEMORY, "out of memory");
  } catch (const InvalidArgument &e) {
    return fail(AGM_E_INVALID_ARGUMENT, e.what());
  } catch (const Corrupt &e) {
    return fail(AGM_E_CORRUPT, e.what());
  } catch (const StateError &e) {
    return fail(AGM_E_STATE, e.what());
  } catch (const Empty &e) {
    return fail(AGM_E_EMPTY, e.what());
  } catch (const NotFound &e) {
    return fail(AGM_E_NOT_FOUND, e.what());
  } catch (const IoError &e) {
    return fail(AGM_E_IO, e.what());
  } catch (const Dropped &e) {
    return fail(AGM_E_DROPPED, e.what());
  } catch (const Unsupported &e) {
    return fail(AGM_E_UNSUPPORTED, e.what());
  } catch (const std::exception &e) {
    return fail(AGM_E_INTERNAL, e.what());
  } catch (...) {
    return fail(AGM_E_INTERNAL, "unknown exception");
  }
}

// Throws InvalidArgument(what + problem). Out of line and cold: the checks that call it stay
// small enough to be inlined into the recording path.
[[noreturn, gnu::cold]] void invalid(const char *what, const char *problem) {
  throw InvalidArgument(std::string(what) + problem);
}

template <class T>
T &require(T *p, const char *what) {
  if (p == nullptr) invalid(what, " is NULL");
  return *p;
}

// ---------------------------------------------------------------------------------------------
// Size-prefixed structs (metrics_c.h conventions)

// No struct of this ABI will ever approach this size; a larger struct_size is garbage (an
// uninitialised struct) and must not make the library read or write that far.
constexpr uint32_t kMaxStructSize = 4096;

void check_struct_size(uint32_t size, uint32_t min_size, const char *what) {
  if (size > kMaxStructSize) {
    throw InvalidArgument(std::string(what) + "->struct_size " + std::to_string(size) +
                          " is not plausible: is the struct initialised?");
  }
  if (size < min_size) {
    throw InvalidArgument(std::string(what) + "->struct_size " + std::to_string(size) +
                          " is smaller than the first published layout (" + std::to_string(min_size) + ")");
  }
}

// read_struct for a struct_size other than this library's own (an older or newer header).
template <class T>
[[gnu::noinline]] T read_other_layout(const T *src, uint32_t size, uint32_t min_size, const char *what) {
  check_struct_size(size, min_size, what);
  const auto *bytes = reinterpret_cast<const unsigned char *>(src);
  for (size_t i = sizeof(T); i < size; ++i) {
    if (bytes[i] != 0) {
      throw Unsupported(std::string(what) + " sets fields unknown to agentmetrics " + AGM_VERSION_STRING);
    }
  }
  T out{};
  std::memcpy(&out, src, std::min<size_t>(size, sizeof(T)));
  return out;
}

// Copy a caller's struct in: bytes beyond what this library knows must be zero; fields
// missing from an older (smaller) struct read as zero.
template <class T>
T read_struct(const T *src, uint32_t min_size, const char *what) {
  const uint32_t size = require(src, what).struct_size;
  if (size != sizeof(T)) return read_other_layout(src, size, min_size, what);
  T out;  // the common case, this library's own layout: one fixed-size copy
  std::memcpy(&out, src, sizeof(T));
  return out;
}

// read_struct for the recording path, without the copy when the caller's struct has this
// library's layout: it is read in place. Otherwise `copy` receives read_struct's copy.
template <class T>
const T &struct_in(const T *src, T &copy, uint32_t min_size, const char *what) {
  const uint32_t size = require(src, what).struct_size;
  if (size == sizeof(T)) return *src;
  copy = read_other_layout(src, size, min_size, what);
  return copy;
}

// Check a caller's output struct before any work is done.
template <class T>
void check_out(const T *dst, uint32_t min_size, const char *what) {
  check_struct_size(require(dst, what).struct_size, min_size, what);
}

// Copy a result out: what this library knows, zeros for the rest of the caller's struct.
template <class T>
void write_struct(T *dst, T value) {
  const uint32_t size = dst->struct_size;
  value.struct_size = size;
  std::memcpy(dst, &value, std::min<size_t>(size, sizeof(T)));
  if (size > sizeof(T)) std::memset(reinterpret_cast<unsigned char *>(dst) + sizeof(T), 0, size - sizeof(T));
}

// ---------------------------------------------------------------------------------------------
// Values

std::string_view opt_str(const char *s, const char *what) {
  if (s == nullptr) return {};
  std::string_view v(s);
  if (!valid_utf8(v)) invalid(what, " is not valid UTF-8");
  return v;
}

// A label or name a record carries: valid UTF-8 of at most AGM_MAX_LABEL_BYTES.
std::string_view label_str(const char *s, const char *what) {
  const std::string_view v = opt_str(s, what);
  check_label_size(v, what);
  return v;
}

// A string whose UTF-8 is checked later, where it is cheaper: the model, provider and source
// of a model call and a recorded tool call's name are validated when the session first sees
// them (Session::call_slot, Session::tool_group).
std::string_view unchecked_str(const char *s) {
  return s == nullptr ? std::string_view() : std::string_view(s);
}

std::string_view req_str(const char *s, const char *what) {
  std::string_view v = opt_str(s, what);
  if (v.empty()) invalid(what, " is NULL or empty");
  return v;
}

std::string_view label_req(const char *s, const char *what) {
  const std::string_view v = req_str(s, what);
  check_label_size(v, what);
  return v;
}

std::string_view bytes_arg(const char *data, size_t size, const char *what) {
  if (data == nullptr && size != 0) invalid(what, " is NULL");
  return std::string_view(data == nullptr ? "" : data, size);
}

[[noreturn, gnu::cold]] void invalid_bits(uint64_t bits, const char *what) {
  char hex[24];
  std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(bits));
  throw InvalidArgument(std::string(what) + " has bits that are not valid here (" + hex + ")");
}

void check_bits(uint64_t bits, uint64_t allowed, const char *what) {
  if (bits & ~allowed) invalid_bits(bits & ~allowed, what);
}

std::optional<int64_t> at_arg(const int64_t *at) {
  if (at == nullptr) return std::nullopt;
  return *at;
}

u128 money_in(const agm_money &m) {
  return (static_cast<u128>(m.hi) << 64) | m.lo;
}
agm_money money_out(u128 v) {
  return agm_money{static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v)};
}

// Validate an output buffer before any work is done.
agm_buffer &out_buffer(agm_buffer *out) {
  require(out, "out");
  if (out->reserved != nullptr) throw InvalidArgument("out->reserved must be NULL");
  return *out;
}

void buffer_set(agm_buffer &out, std::string_view s) {
  char *data = static_cast<char *>(std::realloc(out.data, s.size() + 1));
  if (data == nullptr) throw std::bad_alloc();
  std::memcpy(data, s.data(), s.size());
  data[s.size()] = '\0';
  out.data = data;
  out.size = s.size();
}

// The body of every function that returns a string: validate `out` first, then build the
// string and store it.
template <class F>
agm_status string_result(agm_buffer *out, F &&make) noexcept {
  return guard([&] {
    agm_buffer &buf = out_buffer(out);
    buffer_set(buf, make());
    return AGM_OK;
  });
}

constexpr uint64_t kUsageBits = (1u << kTokenKinds) - 1;

Usage usage_in(const agm_usage *src) {
  agm_usage copy;
  const agm_usage &in = struct_in(src, copy, AGM_USAGE_SIZE_V0, "usage");
  if (in.reserved0 != 0) throw InvalidArgument("usage->reserved0 must be 0");
  check_bits(in.present, kUsageBits, "usage->present");
  const int64_t counts[kTokenKinds] = {in.input_tokens,          in.cache_read_tokens, in.cache_write_tokens,
                                       in.cache_write_1h_tokens, in.output_tokens,     in.reasoning_tokens,
                                       in.total_tokens};
  static constexpr const char *kNames[kTokenKinds] = {
      "input_tokens",  "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
      "output_tokens", "reasoning_tokens",  "total_tokens"};
  Usage u;
  u.present = static_cast<uint32_t>(in.present) & ~(1u << kTotal);  // the total is derived below
  // Without a branch per kind: absent kinds are masked to the 0 that Usage keeps for them, and
  // one unsigned comparison per kind (negative counts wrap above the maximum) flags a bad count.
  bool out_of_range = false;
  for (int k = 0; k < kTotal; ++k) {
    const int64_t count = counts[k] & -static_cast<int64_t>((in.present >> k) & 1);
    out_of_range |= static_cast<uint64_t>(count) > kMaxTokenCount;
    u.count[k] = count;
  }
  for (int k = 0; out_of_range && k < kTotal; ++k) {  // name the first bad count
    if (u.count[k] < 0 || u.count[k] > kMaxTokenCount) {
      throw InvalidArgument(std::string("usage->") + kNames[k] + " must be in [0, 2^53 - 1], not " +
                            std::to_string(u.count[k]));
    }
  }
  if (u.has(kCacheWrite1h) && (!u.has(kCacheWrite) || u.get(kCacheWrite1h) > u.get(kCacheWrite))) {
    throw InvalidArgument("usage->cache_write_1h_tokens must be part of cache_write_tokens");
  }
  u.derive_total();
  if (u.get(kTotal) > kMaxTokenCount) throw InvalidArgument("usage: total tokens exceed 2^53 - 1");
  if (in.present & AGM_USAGE_HAS_TOTAL) {
    if (!u.has(kTotal)) {
      throw InvalidArgument("usage->total_tokens is derived from input and output; set those instead");
    }
    if (in.total_tokens != u.get(kTotal)) {
      throw InvalidArgument(
          "usage->total_tokens " + std::to_string(in.total_tokens) +
          " differs from input + cache read + cache write + output = " + std::to_string(u.get(kTotal)));
    }
  }
  return u;
}

void usage_out(agm_usage *dst, const Usage &u) {
  agm_usage out = AGM_USAGE_INIT;
  out.present = u.present;
  out.input_tokens = u.count[kInput];
  out.cache_read_tokens = u.count[kCacheRead];
  out.cache_write_tokens = u.count[kCacheWrite];
  out.cache_write_1h_tokens = u.count[kCacheWrite1h];
  out.output_tokens = u.count[kOutput];
  out.reasoning_tokens = u.count[kReasoning];
  out.total_tokens = u.count[kTotal];
  write_struct(dst, out);
}

UsageContext context_in(const agm_usage_context *src) {
  UsageContext ctx;
  if (src == nullptr) return ctx;
  const agm_usage_context in = read_struct(src, AGM_USAGE_CONTEXT_SIZE_V0, "context");
  check_bits(in.flags, AGM_USAGE_CTX_ADK_PARTIAL, "context->flags");
  ctx.provider = opt_str(in.provider, "context->provider");
  ctx.model_version = opt_str(in.model_version, "context->model_version");
  ctx.stream_event = opt_str(in.stream_event, "context->stream_event");
  ctx.adk_partial = (in.flags & AGM_USAGE_CTX_ADK_PARTIAL) != 0;
  return ctx;
}

UsageFormat format_in(int32_t format) {
  if (!is_usage_format(format)) {
    throw InvalidArgument("unknown usage format " + std::to_string(format) + " (expected AGM_FORMAT_*)");
  }
  return static_cast<UsageFormat>(format);
}

agm_cost_items cost_items_out(const u128 (&items)[kCostItems], u128 total) {
  agm_cost_items out;
  agm_money *fields[] = {&out.input,          &out.cache_read, &out.cache_write_5m,
                         &out.cache_write_1h, &out.output,     &out.reasoning};
  for (int i = 0; i < kCostItems; ++i) *fields[i] = money_out(items[i]);
  out.total = money_out(total);
  return out;
}

constexpr uint64_t kTimingBits =
    AGM_CALL_HAS_START | AGM_CALL_HAS_END | AGM_CALL_HAS_DURATION | AGM_CALL_F_SINCE_LAST_STEP;

// `inline` (also outcome_in): a hint that gets GCC to inline these checks into the recording path.
inline Timing timing_in(uint64_t present, int64_t start, int64_t end, int64_t duration) {
  Timing t{present & kTimingBits, start, end, duration};
  const bool has_duration = present & AGM_CALL_HAS_DURATION, has_start = present & AGM_CALL_HAS_START;
  if (has_duration && has_start) throw InvalidArgument("give duration_ns or start_ns, not both");
  if ((present & AGM_CALL_F_SINCE_LAST_STEP) && (has_duration || has_start)) {
    throw InvalidArgument("AGM_CALL_F_SINCE_LAST_STEP excludes duration_ns and start_ns");
  }
  if (has_duration && duration < 0) throw InvalidArgument("duration_ns is negative");
  return t;  // the engine checks the end against the start (the end may be "now")
}

std::optional<int64_t> count_in(uint64_t present, uint64_t bit, int64_t value, const char *what) {
  if (!(present & bit)) return std::nullopt;
  if (value < 0) invalid(what, " is negative");
  return value;
}

inline bool outcome_in(int32_t outcome) {
  if (outcome != AGM_OUTCOME_OK && outcome != AGM_OUTCOME_ERROR) {
    throw InvalidArgument("outcome " + std::to_string(outcome) +
                          " is not AGM_OUTCOME_OK or AGM_OUTCOME_ERROR");
  }
  return outcome == AGM_OUTCOME_ERROR;
}

ModelCallInput model_call_in(const agm_model_call *src) {
  agm_model_call copy;
  const agm_model_call &c = struct_in(src, copy, AGM_MODEL_CALL_SIZE_V0, "call");
  check_bits(c.present, kTimingBits | AGM_CALL_HAS_TTFT | AGM_CALL_HAS_ATTEMPT, "call->present");
  ModelCallInput in;
  in.error = outcome_in(c.outcome);
  if (c.usage != nullptr) in.usage = usage_in(c.usage);
  // An ADK partial response carries no usage (its final response does): the rule
  // agm_usage_from_json applies to payloads, applied to canonical usage too.
  if (c.usage_context != nullptr && context_in(c.usage_context).adk_partial) in.usage = Usage{};
  in.model = unchecked_str(c.model);
  in.provider = unchecked_str(c.provider);
  in.source = unchecked_str(c.source);
  check_label_size(in.source, "call->source");  // before the message below quotes it
  if (!in.source.empty() && in.source != kDefaultSource &&
      !(in.source.size() > 5 && in.source.substr(0, 5) == "tool:")) {
    throw InvalidArgument("call->source must be \"agent\" or \"tool:<name>\", not \"" +
                          std::string(in.source) + "\"");
  }
  in.stop_reason = label_str(c.stop_reason, "call->stop_reason");
  in.error_type = label_str(c.error_type, "call->error_type");
  in.timing = timing_in(c.present, c.start_ns, c.end_ns, c.duration_ns);
  in.ttft = count_in(c.present, AGM_CALL_HAS_TTFT, c.ttft_ns, "call->ttft_ns");
  if (c.present & AGM_CALL_HAS_ATTEMPT) {
    if (c.attempt < 1) throw InvalidArgument("call->attempt must be 1 or more");
    in.attempt = c.attempt;
  }
  return in;
}

// `checked_name` false: the name's UTF-8 is checked when the session first sees it
// (Session::tool_group), as agm_session_record_tool_call does.
ToolCallInput tool_call_in(const agm_tool_call *src, uint64_t allowed_timing, bool checked_name = true) {
  agm_tool_call copy;
  const agm_tool_call &c = struct_in(src, copy, AGM_TOOL_CALL_SIZE_V0, "call");
  check_bits(c.present, allowed_timing | AGM_CALL_HAS_INPUT_BYTES | AGM_CALL_HAS_OUTPUT_BYTES,
             "call->present");
  ToolCallInput in;
  in.error = outcome_in(c.outcome);
  in.name = checked_name ? label_str(c.name, "call->name") : unchecked_str(c.name);
  in.call_id = label_str(c.call_id, "call->call_id");
  in.error_type = label_str(c.error_type, "call->error_type");
  // A message is free text (an exception's): cut, not refused, at AGM_MAX_MESSAGE_BYTES.
  in.error_message = cut_utf8(opt_str(c.error_message, "call->error_message"), AGM_MAX_MESSAGE_BYTES);
  in.timing = timing_in(c.present, c.start_ns, c.end_ns, c.duration_ns);
  in.input_bytes = count_in(c.present, AGM_CALL_HAS_INPUT_BYTES, c.input_bytes, "call->input_bytes");
  in.output_bytes = count_in(c.present, AGM_CALL_HAS_OUTPUT_BYTES, c.output_bytes, "call->output_bytes");
  return in;
}

agm_totals totals_out(const Totals &t) {
  agm_totals out = AGM_TOTALS_INIT;
  out.present = t.token_present;
  out.model_calls = t.model_calls;
  out.calls_with_usage = t.calls_with_usage;
  out.calls_missing_usage = t.calls_missing_usage;
  out.calls_unpriced = t.calls_unpriced;
  out.model_errors = t.model_errors;
  out.retries = t.retries;
  out.tool_calls = t.tool_calls;
  out.tool_errors = t.tool_errors;
  out.turns = t.turns;
  int64_t *tokens[] = {&out.input_tokens,          &out.cache_read_tokens, &out.cache_write_tokens,
                       &out.cache_write_1h_tokens, &out.output_tokens,     &out.reasoning_tokens,
                       &out.total_tokens};
  for (int k = 0; k < kTokenKinds; ++k) *tokens[k] = t.tokens[k];
  if (t.priced_calls) out.present |= AGM_TOTALS_HAS_COST;
  out.cost = cost_items_out(t.cost, t.cost_total);
  if (t.tool_calls) {
    out.present |= AGM_TOTALS_HAS_TOOL_SUCCESS_RATE;
    out.tool_success_rate =
        static_cast<double>(t.tool_calls - t.tool_errors) / static_cast<double>(t.tool_calls);
  }
  if (t.model_calls) {
    out.present |= AGM_TOTALS_HAS_MODEL_SUCCESS_RATE;
    out.model_success_rate =
        static_cast<double>(t.model_calls - t.model_errors) / static_cast<double>(t.model_calls);
  }
  if (t.saturated) out.present |= AGM_TOTALS_SATURATED;
  out.folded_calls = t.folded_calls;
  return out;
}

agm_duration_stats durations_out(const Sketch &s) {
  agm_duration_stats out = AGM_DURATION_STATS_INIT;
  out.count = s.count();
  out.sum_ns = s.sum();
  if (s.empty()) {
    out.mean_ns = NAN;  // the presence bit is authoritative; NaN makes misuse visible
    return out;
  }
  out.present = AGM_DURATION_HAS_VALUES;
  out.min_ns = s.min();
  out.max_ns = s.max();
  out.mean_ns = s.mean();
  out.p50_ns = *s.quantile(0.50);
  out.p90_ns = *s.quantile(0.90);
  out.p95_ns = *s.quantile(0.95);
  out.p99_ns = *s.quantile(0.99);
  return out;
}

DurationKind duration_kind_in(int32_t kind) {
  if (kind < AGM_DURATION_MODEL_CALL || kind > AGM_DURATION_TTFT) {
    throw InvalidArgument("unknown duration kind " + std::to_string(kind) + " (expected AGM_DURATION_*)");
  }
  return static_cast<DurationKind>(kind - AGM_DURATION_MODEL_CALL);
}

Dimension dimension_in(int32_t by) {
  if (by < AGM_BY_MODEL || by > AGM_BY_SESSION) {
    throw InvalidArgument("unknown breakdown dimension " + std::to_string(by) + " (expected AGM_BY_*)");
  }
  return static_cast<Dimension>(by - AGM_BY_MODEL);
}

agm_status notice_status(Notice n) {
  switch (n) {
    case Notice::kBudgetExceeded: return AGM_BUDGET_EXCEEDED;
    case Notice::kBudgetWarning: return AGM_BUDGET_WARNING;
    case Notice::kNone: break;
  }
  return AGM_OK;
}

bool display_flags_in(uint32_t flags) {
  check_bits(flags, AGM_DISPLAY_F_COLOR, "flags");
  return flags & AGM_DISPLAY_F_COLOR;
}

agm_status make_breakdown(agm_breakdown **out, const GroupMap &groups) {
  auto b = std::make_unique<agm_breakdown>();
  b->groups.assign(groups.begin(), groups.end());
  *out = b.release();
  return AGM_OK;
}

const std::pair<std::string, Group> *group_at(const agm_breakdown *b, size_t i) {
  if (b == nullptr || i >= b->groups.size()) return nullptr;
  return &b->groups[i];
}

std::string read_file(const char *path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(std::string("cannot open ") + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(std::string("cannot read ") + path);
  return text.str();
}

InvocationOptions aggregate_options_in(const agm_aggregate_options *src) {
  InvocationOptions options;
  if (src == nullptr) return options;
  const agm_aggregate_options in = read_struct(src, AGM_AGGREGATE_OPTIONS_SIZE_V0, "options");
  if (in.bucket_ns < 0) throw InvalidArgument("options->bucket_ns is negative");
  options.bucket_ns = in.bucket_ns > 0 ? in.bucket_ns : AGM_DEFAULT_BUCKET_NS;
  if (in.tier_count > 0) {
    if (in.tiers == nullptr) throw InvalidArgument("options->tiers is NULL");
    options.tier_order.clear();
    for (uint32_t i = 0; i < in.tier_count; ++i) {
      options.tier_order.emplace_back(req_str(in.tiers[i], "options->tiers[i]"));
    }
  }
  return options;
}

// The query's "now": now_ns when set, else the clock's.
int64_t query_now(const agm_query &in, const Clock &clock) {
  return (in.present & AGM_QUERY_HAS_NOW) ? in.now_ns : clock.wall_now();
}

// [from, to) of the query's period.
std::pair<int64_t, int64_t> period_in(const agm_query &in, const Clock &clock) {
  static constexpr const char *kPeriods[] = {"all", "hour", "day", "week", "month"};
  constexpr uint64_t kEnds = AGM_QUERY_HAS_FROM | AGM_QUERY_HAS_TO;
  if (in.present & kEnds) {
    // 0.2: each end read only under its bit; an end without it is open.
    if (in.period != AGM_PERIOD_ALL && in.period != AGM_PERIOD_RANGE) {
      throw InvalidArgument(
          "query->present has AGM_QUERY_HAS_FROM or _TO with a period other than "
          "AGM_PERIOD_RANGE or AGM_PERIOD_ALL");
    }
    const int64_t from = (in.present & AGM_QUERY_HAS_FROM) ? in.from_ns : std::numeric_limits<int64_t>::min();
    const int64_t to = (in.present & AGM_QUERY_HAS_TO) ? in.to_ns : std::numeric_limits<int64_t>::max();
    if (to < from) throw InvalidArgument("query->to_ns is before query->from_ns");
    return {from, to};
  }
  if (in.period == AGM_PERIOD_RANGE) {  // 0.1: both ends, open ones as sentinels
    if (in.to_ns < in.from_ns) throw InvalidArgument("query->to_ns is before query->from_ns");
    return {in.from_ns, in.to_ns};
  }
  if (in.period < AGM_PERIOD_RANGE) return period_range(kPeriods[in.period], query_now(in, clock));
  throw InvalidArgument("unknown period " + std::to_string(in.period) + " (expected AGM_PERIOD_*)");
}

// The range of an export or report: its period and "now" (no range: everything, now).
struct RangeIn {
  int64_t from = std::numeric_limits<int64_t>::min(), to = std::numeric_limits<int64_t>::max();
  int64_t now = 0;
};
RangeIn range_in(const agm_query *src, const char *what) {
  RangeIn r;
  if (src == nullptr) {
    r.now = Clock{}.wall_now();
    return r;
  }
  const agm_query in = read_struct(src, AGM_QUERY_SIZE_V0, what);
  check_bits(in.present, AGM_QUERY_HAS_NOW | AGM_QUERY_HAS_FROM | AGM_QUERY_HAS_TO, what);
  std::tie(r.from, r.to) = period_in(in, Clock{});
  r.now = query_now(in, Clock{});
  return r;
}

// any_format: the format member is not read (a push is always OTLP/JSON).
ExportOptions export_options_in(const agm_export_options *src, bool any_format = false) {
  const agm_export_options in = read_struct(src, AGM_EXPORT_OPTIONS_SIZE_V0, "options");
  ExportOptions o;
  if (!any_format) {
    if (in.format < AGM_EXPORT_OTLP_JSON || in.format > AGM_EXPORT_JSON) {
      throw InvalidArgument("unknown export format " + std::to_string(in.format) +
                            " (expected AGM_EXPORT_*)");
    }
    o.format = static_cast<ExportFormat>(in.format);
  }
  const RangeIn range = range_in(in.range, "options->range");
  o.from = range.from;
  o.to = range.to;
  if (in.resource_attributes) {
    o.resource = parse_key_values(req_str(in.resource_attributes, "options->resource_attributes"),
                                  "options->resource_attributes");
  }
  return o;
}

Query query_in(const agm_query *src, const Clock &clock) {
  const agm_query in = read_struct(src, AGM_QUERY_SIZE_V0, "query");
  check_bits(in.present, AGM_QUERY_HAS_NOW | AGM_QUERY_HAS_FROM | AGM_QUERY_HAS_TO, "query->present");
  Query q;
  if (in.kind < AGM_QUERY_SUMMARY || in.kind > AGM_QUERY_INVOCATIONS) {
    throw InvalidArgument("unknown query kind " + std::to_string(in.kind) + " (expected AGM_QUERY_*)");
  }
  q.kind = static_cast<QueryKind>(in.kind - AGM_QUERY_SUMMARY);
  std::tie(q.from, q.to) = period_in(in, clock);
  static constexpr std::pair<int32_t, GroupBy> kGroups[] = {{0, GroupBy::kModel},
                                                            {AGM_BY_MODEL, GroupBy::kModel},
                                                            {AGM_BY_PROVIDER, GroupBy::kProvider},
                                                            {AGM_BY_SOURCE, GroupBy::kSource},
                                                            {AGM_BY_AGENT, GroupBy::kAgent},
                                                            {AGM_BY_PHASE, GroupBy::kPhase},
                                                            {AGM_BY_TASK, GroupBy::kTask},
                                                            {AGM_BY_SESSION, GroupBy::kSession},
                                                            {AGM_BY_DAY, GroupBy::kDay},
                                                            {AGM_BY_TOOL, GroupBy::kTool}};
  const auto group = std::find_if(std::begin(kGroups), std::end(kGroups),
                                  [&](const auto &g) { return g.first == in.group_by; });
  if (group == std::end(kGroups)) {
    throw InvalidArgument("query->group_by " + std::to_string(in.group_by) +
                          " cannot group costs (expected AGM_BY_MODEL, _PROVIDER, _SOURCE, _AGENT, _PHASE, "
                          "_TASK, _SESSION, _DAY or _TOOL)");
  }
  q.group_by = group->second;
  q.name = opt_str(in.name, "query->name");
  if (in.threshold_ns < 0) throw InvalidArgument("query->threshold_ns is negative");
  q.threshold_ns = in.threshold_ns > 0 ? in.threshold_ns : AGM_DEFAULT_SLOW_THRESHOLD_NS;
  q.limit = in.limit > 0 ? in.limit : AGM_DEFAULT_QUERY_LIMIT;
  q.invocations = aggregate_options_in(in.invocations);
  return q;
}

void load_report_out(agm_load_report *dst, const ReadReport &r) {
  if (dst == nullptr) return;
  agm_load_report out = AGM_LOAD_REPORT_INIT;
  out.files = r.files;
  out.lines = r.lines;
  out.records = r.records;
  out.skipped = r.skipped;
  out.malformed = r.malformed;
  out.first_malformed_line = r.warnings.empty() ? 0 : r.warnings.front().line;
  out.dropped = r.dropped;
  out.dropped_from_ns = r.dropped_from;
  out.dropped_to_ns = r.dropped_to;
  write_struct(dst, out);
}

std::string path_in(const char *path) {
  const std::string_view p = req_str(path, "path");
  if (p.find('\0') != std::string_view::npos) throw InvalidArgument("path contains a NUL byte");
  return std::string(p);
}

// The progress callback of one read on `h`: agm_history_set_progress_unit's with the store's
// unit (a database counts rows, journals bytes, as for_each_stored reads them), else
// agm_history_set_progress's.
ProgressFn read_progress(const agm_history &h) {
  if (h.progress_unit == nullptr) return h.progress;
  const uint32_t unit = is_sqlite_file(h.path) ? AGM_PROGRESS_ROWS : AGM_PROGRESS_BYTES;
  return [fn = h.progress_unit, user = h.progress_user, unit](uint64_t done, uint64_t total) {
    if (fn(done, total, unit, user) != 0) throw IoError("the read was stopped by the progress callback");
  };
}

ReportOptions report_options_in(const agm_report_options *options, const agm_history &h) {
  const agm_report_options in = read_struct(options, AGM_REPORT_OPTIONS_SIZE_V0, "options");
  const RangeIn range = range_in(in.range, "options->range");
  ReportOptions o;
  o.from = range.from;
  o.to = range.to;
  o.now_ns = range.now;
  o.limit = in.limit ? in.limit : AGM_DEFAULT_REPORT_LIMIT;
  if (in.title) o.title = req_str(in.title, "options->title");
  o.source = h.path;
  return o;
}

agm_status record_invocation(agm_recorder *rec, const InvocationView &inv) {
  require(rec, "rec").state->record_invocation(inv);
  return AGM_OK;
}

}  // namespace

// The get_metrics agent tool (metrics_tool.cpp): its context and the tags it reads.
namespace {

MetricsToolContext metrics_tool_context_in(const agm_metrics_tool_context *src) {
  MetricsToolContext ctx;
  if (src == nullptr) return ctx;
  const agm_metrics_tool_context in = read_struct(src, AGM_METRICS_TOOL_CONTEXT_SIZE_V0, "context");
  check_bits(in.flags, AGM_METRICS_TOOL_HAS_NOW | AGM_METRICS_TOOL_ERROR_RESULT, "context->flags");
  if (in.reserved0 != 0) throw InvalidArgument("context->reserved0 must be 0");
  ctx.has_now = (in.flags & AGM_METRICS_TOOL_HAS_NOW) != 0;
  ctx.now_ns = in.now_ns;
  ctx.error_result = (in.flags & AGM_METRICS_TOOL_ERROR_RESULT) != 0;
  ctx.session = in.session;
  return ctx;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> agentmetrics::session_tags(const agm_session *session) {
  return require(session, "session").impl.labels().tags;
}

// =============================================================================================
// Versions, status, buffers, money

extern "C" {

uint32_t agm_version_number(void) {
  return AGM_VERSION_NUMBER;
}
const char *agm_version_string(void) {
  return AGM_VERSION_STRING;
}
uint32_t agm_abi_version(void) {
  return AGM_ABI_VERSION;
}

const char *agm_status_name(agm_status status) {
  switch (status) {
    case AGM_OK: return "AGM_OK";
    case AGM_BUDGET_EXCEEDED: return "AGM_BUDGET_EXCEEDED";
    case AGM_BUDGET_WARNING: return "AGM_BUDGET_WARNING";
    case AGM_E_INVALID_ARGUMENT: return "AGM_E_INVALID_ARGUMENT";
    case AGM_E_OUT_OF_MEMORY: return "AGM_E_OUT_OF_MEMORY";
    case AGM_E_EMPTY: return "AGM_E_EMPTY";
    case AGM_E_UNSUPPORTED: return "AGM_E_UNSUPPORTED";
    case AGM_E_CORRUPT: return "AGM_E_CORRUPT";
    case AGM_E_STATE: return "AGM_E_STATE";
    case AGM_E_NOT_FOUND: return "AGM_E_NOT_FOUND";
    case AGM_E_IO: return "AGM_E_IO";
    case AGM_E_DROPPED: return "AGM_E_DROPPED";
    case AGM_E_INTERNAL: return "AGM_E_INTERNAL";
    default: return "AGM_UNKNOWN_STATUS";
  }
}

const char *agm_last_error_message(void) {
  return t_last_error.c_str();
}

void agm_buffer_free(agm_buffer *buf) {
  if (buf == nullptr) return;
  std::free(buf->data);
  *buf = agm_buffer{nullptr, 0, nullptr};
}

agm_status agm_money_to_decimal(agm_buffer *out, const agm_money *amount) {
  return string_result(out, [&] {
    const agm_money m = require(amount, "amount");
    return money_to_decimal(money_in(m));
  });
}

agm_status agm_money_from_decimal(agm_money *out, const char *decimal) {
  return guard([&] {
    require(out, "out");
    *out = money_out(money_parse(req_str(decimal, "decimal"), "decimal"));
    return AGM_OK;
  });
}

double agm_money_to_double(const agm_money *amount) {
  return amount == nullptr ? 0.0 : money_to_double(money_in(*amount));
}

// =============================================================================================
// Usage

agm_status agm_usage_init(agm_usage *usage, size_t struct_size) {
  return guard([&] {
    require(usage, "usage");
    if (struct_size < AGM_USAGE_SIZE_V0 || struct_size > UINT32_MAX) {
      throw InvalidArgument("struct_size is smaller than agm_usage's first layout");
    }
    std::memset(usage, 0, struct_size);
    usage->struct_size = static_cast<uint32_t>(struct_size);
    return AGM_OK;
  });
}

agm_status agm_usage_from_json(agm_usage *out, int32_t format, const char *json, size_t json_size,
                               const agm_usage_context *context) {
  return guard([&] {
    check_out(out, AGM_USAGE_SIZE_V0, "out");
    const Usage u =
        normalize_usage(format_in(format), bytes_arg(json, json_size, "json"), context_in(context));
    usage_out(out, u);
    return AGM_OK;
  });
}

agm_status agm_usage_stream_new(agm_usage_stream **out, int32_t format, const agm_usage_context *context) {
  if (out == nullptr) return fail(AGM_E_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard([&] {
    *out = new agm_usage_stream{UsageStream(format_in(format), context_in(context))};
    return AGM_OK;
  });
}

void agm_usage_stream_free(agm_usage_stream *stream) {
  delete stream;
}

agm_status agm_usage_stream_add(agm_usage_stream *stream, const char *json, size_t json_size) {
  return guard([&] {
    require(stream, "stream").impl.add(bytes_arg(json, json_size, "json"));
    return AGM_OK;
  });
}

agm_status agm_usage_stream_result(const agm_usage_stream *stream, agm_usage *out) {
  return guard([&] {
    const Usage u = require(stream, "stream").impl.result();
    check_out(out, AGM_USAGE_SIZE_V0, "out");
    usage_out(out, u);
    return AGM_OK;
  });
}

// =============================================================================================
// Recorder and prices

agm_status agm_recorder_new(agm_recorder **out, const agm_recorder_options *opts) {
  if (out == nullptr) return fail(AGM_E_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard([&] {
    agm_recorder_options o = AGM_RECORDER_OPTIONS_INIT;
    if (opts != nullptr) o = read_struct(opts, AGM_RECORDER_OPTIONS_SIZE_V0, "opts");
    check_bits(o.flags, AGM_RECORDER_F_NO_BUNDLED_PRICES, "opts->flags");
    Clock clock{o.monotonic_ns, o.wall_ns, o.clock_payload};
    auto state = std::make_shared<RecorderState>(clock, !(o.flags & AGM_RECORDER_F_NO_BUNDLED_PRICES));
    *out = new agm_recorder{std::move(state)};
    return AGM_OK;
  });
}

void agm_recorder_free(agm_recorder *rec) {
  delete rec;
}

agm_status agm_recorder_load_prices(agm_recorder *rec, const char *json, size_t json_size, uint32_t flags) {
  return guard([&] {
    check_bits(flags, AGM_PRICES_F_REPLACE, "flags");
    require(rec, "rec").state->load_prices(bytes_arg(json, json_size, "json"), flags & AGM_PRICES_F_REPLACE);
    return AGM_OK;
  });
}

agm_status agm_recorder_load_prices_file(agm_recorder *rec, const char *path, uint32_t flags) {
  return guard([&] {
    check_bits(flags, AGM_PRICES_F_REPLACE, "flags");
    RecorderState &state = *require(rec, "rec").state;
    const std::string text = read_file(req_str(path, "path").data());
    try {
      state.load_prices(text, flags & AGM_PRICES_F_REPLACE);
    } catch (const Corrupt &e) {
      throw Corrupt(std::string(path) + ": " + e.what());
    }
    return AGM_OK;
  });
}

agm_status agm_recorder_set_price(agm_recorder *rec, const char *model, const char *entry_json,
                                  size_t json_size) {
  return guard([&] {
    require(rec, "rec")
        .state->set_price(req_str(model, "model"), bytes_arg(entry_json, json_size, "entry_json"));
    return AGM_OK;
  });
}

agm_status agm_recorder_price_json(agm_buffer *out, const agm_recorder *rec, const char *model,
                                   const char *provider) {
  return string_result(out, [&] {
    const std::string_view name = req_str(model, "model");
    const std::string_view prov = opt_str(provider, "provider");
    auto table = require(rec, "rec").state->prices();
    const PriceEntry *entry = table->resolve(name, prov);
    if (entry == nullptr) throw NotFound("no price for model \"" + std::string(name) + "\"");
    return price_entry_json(*entry, name);
  });
}

agm_status agm_prices_bundled_info(agm_buffer *out) {
  return string_result(out, [&] {
    simdjson::dom::parser parser;  // the file is pretty-printed; return it on one line
    return simdjson::to_string(json::parse(parser, data::litellm_prices_meta, "bundled price metadata"));
  });
}

agm_status agm_recorder_cost(agm_cost *out, const agm_recorder *rec, const char *model, const char *provider,
                             const agm_usage *usage) {
  return guard([&] {
    check_out(out, AGM_COST_SIZE_V0, "out");
    const std::string_view name = opt_str(model, "model"), prov = opt_str(provider, "provider");
    const Usage u = usage_in(usage);
    auto table = require(rec, "rec").state->prices();
    const Cost c = price_usage(table->resolve(name, prov), u);
    agm_cost result = AGM_COST_INIT;
    if (c.priced) {
      result.present = AGM_COST_HAS_VALUE;
      result.items = cost_items_out(c.item, c.total);
    }
    write_struct(out, result);
    return AGM_OK;
  });
}

agm_status agm_recorder_totals(agm_totals *out, const agm_recorder *rec) {
  return guard([&] {
    check_out(out, AGM_TOTALS_SIZE_V0, "out");
    write_struct(out, totals_out(require(rec, "rec").state->totals().totals));
    return AGM_OK;
  });
}

agm_status agm_recorder_durations(agm_duration_stats *out, const agm_recorder *rec, int32_t kind) {
  return guard([&] {
    check_out(out, AGM_DURATION_STATS_SIZE_V0, "out");
    const DurationKind k = duration_kind_in(kind);
    write_struct(out, durations_out(require(rec, "rec").state->totals().durations[k]));
    return AGM_OK;
  });
}

agm_status agm_recorder_breakdown(agm_breakdown **out, const agm_recorder *rec, int32_t by) {
  if (out == nullptr) return fail(AGM_E_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard([&] { return make_breakdown(out, require(rec, "rec").state->breakdown(dimension_in(by))); });
}

// =============================================================================================
// Sessions, turns, records

agm_status agm_session_new(agm_session **out, agm_recorder *rec, const agm_session_options *opts) {
  if (out == nullptr) return fail(AGM_E_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard([&] {
    RecorderState &state = *require(rec, "rec").state;
    agm_session_options o = AGM_SESSION_OPTIONS_INIT;
    if (opts != nullptr) o = read_struct(opts, AGM_SESSION_OPTIONS_SIZE_V0, "opts");
    if (o.reserved0 != 0) throw InvalidArgument("opts->reserved0 must be 0");
    Labels labels;
    labels.session_id = label_str(o.session_id, "opts->session_id");
    if (labels.session_id.empty()) labels.session_id = state.next_session_id();
    labels.agent = label_str(o.agent, "opts->agent");
    labels.phase = label_str(o.phase, "opts->phase");
    labels.task = label_str(o.task, "opts->task");
    if (o.tag_count != 0 && o.tags == nullptr) throw InvalidArgument("opts->tags is NULL");
    if (o.tag_count > AGM_MAX_SESSION_TAGS) {
      throw InvalidArgument("opts->tag_count is " + std::to_string(o.tag_count) + ": at most " +
                            std::to_string(AGM_MAX_SESSION_TAGS) + " tags (AGM_MAX_SESSION_TAGS)");
    }
    for (size_t i = 0; i < o.tag_count; ++i) {
      const std::string_view key = req_str(o.tags[i].key, "tag key");
      check_label_size(key, "tag key");
      if (key == "session_id" || key == "agent" || key == "phase" || key == "task") {
        throw InvalidArgument("tag key \"" + std::string(key) + "\" is reserved for the label of that name");
      }
      if (labels.find(key) != nullptr)
        throw InvalidArgument("tag key \"" + std::string(key) + "\" is repeated");
      if (o.tags[i].value == nullptr)
        throw InvalidArgument("tag \"" + std::string(key) + "\" has a NULL value");
      labels.tags.emplace_back(key, label_str(o.tags[i].value, "tag value"));
    }
    *out = new agm_session(rec->state, std::move(labels));
    return AGM_OK;
  });
}

void agm_session_free(agm_session *session) {
  delete session;
}

const char *agm_session_label(const agm_session *session, const char *key) {
  if (session == nullptr || key == nullptr) return nullptr;
  const std::string *v = session->impl.labels().find(key);
  return v == nullptr ? nullptr : v->c_str();
}

int64_t agm_session_started_wall_ns(const agm_session *session) {
  return session == nullptr ? 0 : session->impl.started_wall();
}

agm_status agm_session_turn_begin(agm_session *session, const int64_t *at_ns) {
  return guard([&] {
    require(session, "session").impl.turn_begin(at_arg(at_ns));
    return AGM_OK;
  });
}

agm_status agm_session_turn_end(agm_session *session, const int64_t *at_ns) {
  return guard([&] {
    require(session, "session").impl.turn_end(at_arg(at_ns));
    return AGM_OK;
  });
}

agm_status agm_session_turn_stats(agm_turn_stats *out, const agm_session *session) {
  return guard([&] {
    check_out(out, AGM_TURN_STATS_SIZE_V0, "out");
    const TurnStats s = require(session, "session").impl.turn_stats();
    agm_turn_stats r = AGM_TURN_STATS_INIT;
    r.present = s.ended ? AGM_TURN_HAS_END : 0;
    r.index = s.index;
    r.start_ns = s.start;
    r.end_ns = s.ended ? s.end : 0;
    r.duration_ns = s.duration;
    r.tool_wall_ns = s.tool_wall;
    r.tool_work_ns = s.tool_work;
    r.model_calls = s.model_calls;
    r.tool_calls = s.tool_calls;
    r.start_wall_ns = s.start_wall;
    write_struct(out, r);
    return AGM_OK;
  });
}

agm_status agm_session_record_model_call(agm_session *session, const agm_model_call *call) {
  return guard([&] {
    Session &s = require(session, "session").impl;
    return notice_status(s.record_model_call(model_call_in(call)));
  });
}

agm_status agm_session_record_model_call_json(agm_session *session, const agm_model_call *call,
                                              int32_t format, const char *usage_json, size_t json_size,
                                              const agm_usage_context *context) {
  return guard([&] {
    Session &s = require(session, "session").impl;
    if (require(call, "call").usage != nullptr)
      throw InvalidArgument("call->usage must be NULL: the usage is usage_json");
    ModelCallInput in = model_call_in(call);
    if (call->struct_size >= AGM_MODEL_CALL_SIZE_V1 && call->usage_context != nullptr)
      throw InvalidArgument("call->usage_context must be NULL: the context is the context argument");
    in.usage = normalize_usage(format_in(format), bytes_arg(usage_json, json_size, "usage_json"),
                               context_in(context));
    return notice_status(s.record_model_call(in));
  });
}

agm_status agm_session_record_tool_call(agm_session *session, const agm_tool_call *call) {
  return guard([&] {
    Session &s = require(session, "session").impl;
    const ToolCallInput in = tool_call_in(call, kTimingBits, false);
    if (in.name.empty()) throw InvalidArgument("call->name is NULL or empty");
    s.record_tool_call(in);
    return AGM_OK;
  });
}

agm_status agm_session_tool_start(agm_session *session, const char *name, const char *call_id,
                                  const int64_t *at_ns) {
  return guard([&] {
    require(session, "session")
        .impl.tool_start(label_req(name, "name"), label_req(call_id, "call_id"), at_arg(at_ns));
    return AGM_OK;
  });
}

agm_status agm_session_tool_end(agm_session *session, const agm_tool_call *result) {
  return guard([&] {
    Session &s = require(session, "session").impl;
    const ToolCallInput in = tool_call_in(result, AGM_CALL_HAS_END);
    if (in.call_id.empty()) throw InvalidArgument("result->call_id is NULL or empty");
    s.tool_end(in);
    return AGM_OK;
  });
}

// =============================================================================================
// Aggregates

agm_status agm_session_totals(agm_totals *out, const agm_session *session) {
  return guard([&] {
    check_out(out, AGM_TOTALS_SIZE_V0, "out");
    write_struct(out, totals_out(require(session, "session").impl.totals()));
    return AGM_OK;
  });
}

agm_status agm_session_turn_totals(agm_totals *out, const agm_session *session) {
  return guard([&] {
    check_out(out, AGM_TOTALS_SIZE_V0, "out");
    write_struct(out, totals_out(require(session, "session").impl.turn_totals()));
    return AGM_OK;
  });
}

agm_status agm_session_durations(agm_duration_stats *out, const agm_session *session, int32_t kind) {
  return guard([&] {
    check_out(out, AGM_DURATION_STATS_SIZE_V0, "out");
    const DurationKind k = duration_kind_in(kind);
    write_struct(out, durations_out(require(session, "session").impl.durations(k)));
    return AGM_OK;
  });
}

agm_status agm_session_breakdown(agm_breakdown **out, const agm_session *session, int32_t by) {
  if (out == nullptr) return fail(AGM_E_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard(
      [&] { return make_breakdown(out, require(session, "session").impl.breakdown(dimension_in(by))); });
}

void agm_breakdown_free(agm_breakdown *breakdown) {
  delete breakdown;
}

size_t agm_breakdown_count(const agm_breakdown *breakdown) {
  return breakdown == nullptr ? 0 : breakdown->groups.size();
}

const char *agm_breakdown_key(const agm_breakdown *breakdown, size_t i) {
  const auto *g = group_at(breakdown, i);
  return g == nullptr ? nullptr : g->first.c_str();
}

agm_status agm_breakdown_totals(agm_totals *out, const agm_breakdown *breakdown, size_t i) {
  return guard([&] {
    check_out(out, AGM_TOTALS_SIZE_V0, "out");
    const auto *g = group_at(breakdown, i);
    if (g == nullptr) throw InvalidArgument("breakdown is NULL or i is out of range");
    write_struct(out, totals_out(g->second.totals));
    return AGM_OK;
  });
}

agm_status agm_breakdown_durations(agm_duration_stats *out, const agm_breakdown *breakdown, size_t i,
                                   int32_t kind) {
  return guard([&] {
    check_out(out, AGM_DURATION_STATS_SIZE_V0, "out");
    const DurationKind k = duration_kind_in(kind);
    const auto *g = group_at(breakdown, i);
    if (g == nullptr) throw InvalidArgument("breakdown is NULL or i is out of range");
    write_struct(out, durations_out(g->second.durations[k]));
    return AGM_OK;
  });
}

const char *agm_breakdown_last_error(const agm_breakdown *breakdown, size_t i) {
  const auto *g = group_at(breakdown, i);
  return g == nullptr || !g->second.has_last_error ? nullptr : g->second.last_error.c_str();
}

// =============================================================================================
// Budgets

agm_status agm_session_add_budget(agm_session *session, const agm_budget *budget) {
  return guard([&] {
    agm_session &handle = require(session, "session");
    const agm_budget b = read_struct(budget, AGM_BUDGET_SIZE_V0, "budget");
    if (b.kind != AGM_BUDGET_LIMIT && b.kind != AGM_BUDGET_WARN) {
      throw InvalidArgument("budget->kind " + std::to_string(b.kind) +
                            " is not AGM_BUDGET_LIMIT or AGM_BUDGET_WARN");
    }
    check_bits(b.present, AGM_BUDGET_HAS_MAX_TOKENS | AGM_BUDGET_HAS_MAX_COST, "budget->present");
    if (b.present == 0) throw InvalidArgument("budget sets no limit (AGM_BUDGET_HAS_MAX_TOKENS or _COST)");
    Budget spec;
    spec.kind = b.kind;
    spec.model = opt_str(b.model, "budget->model");
    if (b.present & AGM_BUDGET_HAS_MAX_TOKENS) {
      if (b.max_tokens < 0) throw InvalidArgument("budget->max_tokens is negative");
      spec.max_tokens = b.max_tokens;
    }
    if (b.present & AGM_BUDGET_HAS_MAX_COST) spec.max_cost = money_in(b.max_cost);
    if (b.callback != nullptr) {
      spec.callback = [&handle, callback = b.callback, payload = b.payload,
                       model = spec.model](const BudgetEvent &e) {
        agm_budget_event event{};
        event.struct_size = sizeof event;
        event.kind = e.kind;
        event.present = e.tokens_crossed ? AGM_BUDGET_HAS_MAX_TOKENS : AGM_BUDGET_HAS_MAX_COST;
        event.session = &handle;
        event.session_id = handle.impl.labels().session_id.c_str();
        event.model = model.empty() ? nullptr : model.c_str();
        event.tokens = e.tokens;
        event.max_tokens = e.max_tokens;
        event.cost = money_out(e.cost);
        event.max_cost = money_out(e.max_cost);
        callback(&event, payload);
      };
    }
    handle.impl.add_budget(std::move(spec));
    return AGM_OK;
  });
}

// =============================================================================================
// Display

agm_status agm_format_tokens(agm_buffer *out, int64_t tokens) {
  return string_result(out, [&] {
    if (tokens < 0) throw InvalidArgument("tokens is negative");
    return format_tokens(tokens);
  });
}

agm_status agm_format_duration_ns(agm_buffer *out, int64_t duration_ns) {
  return string_result(out, [&] {
    if (duration_ns < 0) throw InvalidArgument("duration_ns is negative");
    return format_duration_ns(duration_ns);
  });
}

agm_status agm_format_duration_ms(agm_buffer *out, double duration_ms) {
  return string_result(out, [&] {
    if (!std::isfinite(duration_ms) || duration_ms < 0)
      throw InvalidArgument("duration_ms must be finite and >= 0");
    const double ns = std::round(duration_ms * 1e6);
    if (ns >= 9.2e18) throw InvalidArgument("duration_ms is too large");
    return format_duration_ns(static_cast<int64_t>(ns));
  });
}

agm_status agm_format_cost(agm_buffer *out, const agm_money *amount) {
  return string_result(out, [&] { return format_cost(money_in(require(amount, "amount"))); });
}

agm_status agm_format_terminal_text(agm_buffer *out, uint64_t *cells, const char *text, size_t size,
                                    uint32_t max_cells) {
  if (cells) *cells = 0;
  return string_result(out, [&] {
    if (text == nullptr && size > 0) throw InvalidArgument("text is NULL");
    TerminalText t = terminal_text(text ? std::string_view(text, size) : std::string_view(), max_cells);
    if (cells) *cells = t.cells;
    return std::move(t.text);
  });
}

int32_t agm_color_enabled(int32_t is_tty) {
  const char *no_color = std::getenv("NO_COLOR");
  return is_tty != 0 && (no_color == nullptr || no_color[0] == '\0') ? 1 : 0;
}

agm_status agm_session_format_turn(agm_buffer *out, const agm_session *session, uint32_t flags) {
  return string_result(out, [&] {
    const bool color = display_flags_in(flags);
    return require(session, "session").impl.format_turn(color);
  });
}

agm_status agm_session_format_summary(agm_buffer *out, const agm_session *session, uint32_t flags) {
  return string_result(out, [&] {
    const bool color = display_flags_in(flags);
    return require(session, "session").impl.format_summary(color);
  });
}

// =============================================================================================
// Persistence

agm_status agm_recorder_open_store(agm_recorder *rec, const agm_store_options *options) {
  return guard([&] {
    RecorderState &state = *require(rec, "rec").state;
    const agm_store_options in = read_struct(options, AGM_STORE_OPTIONS_SIZE_V0, "options");
    StoreOptions o;
    o.journal_file = opt_str(in.journal, "options->journal");
    o.journal_dir = opt_str(in.journal_dir, "options->journal_dir");
    o.database = opt_str(in.database, "options->database");
    if (!o.journal_file.empty() && !o.journal_dir.empty()) {
      throw InvalidArgument("give options->journal or options->journal_dir, not both");
    }
    if (o.journal_file.empty() && o.journal_dir.empty() && o.database.empty()) {
      throw InvalidArgument("options names no journal, journal_dir or database");
    }
    if (in.flush_policy > AGM_FLUSH_EVERY_RECORD) {
      throw InvalidArgument("unknown flush policy " + std::to_string(in.flush_policy) +
                            " (expected AGM_FLUSH_*)");
    }
    o.policy = static_cast<FlushPolicy>(in.flush_policy);
    if (in.flush_interval_ns < 0) throw InvalidArgument("options->flush_interval_ns is negative");
    if (in.flush_interval_ns > 0) o.interval_ns = in.flush_interval_ns;
    if (in.max_queue_bytes > 0) o.max_queue_bytes = in.max_queue_bytes;
    if (in.on_drop != nullptr) {
      o.on_drop = [fn = in.on_drop, payload = in.on_drop_payload](uint64_t dropped, uint64_t bytes) {
        fn(dropped, bytes, payload);
      };
    }
    state.open_store(o);
    return AGM_OK;
  });
}

agm_status agm_recorder_flush(agm_recorder *rec) {
  return guard([&] {
    require(rec, "rec").state->flush();
    return AGM_OK;
  });
}

agm_status agm_recorder_close_store(agm_recorder *rec) {
  return guard([&] {
    require(rec, "rec").state->close_store();
    return AGM_OK;
  });
}

agm_status agm_recorder_store_status(agm_store_status *out, const agm_recorder *rec, agm_buffer *last_error) {
  return guard([&] {
    check_out(out, AGM_STORE_STATUS_SIZE_V0, "out");
    if (last_error != nullptr) out_buffer(last_error);
    const auto status = require(rec, "rec").state->store_status();
    if (!status) throw StateError("no store is open");
    agm_store_status s = AGM_STORE_STATUS_INIT;
    s.queued = status->queued;
    s.written = status->written;
    s.failed = status->failed;
    s.write_errors = status->write_errors;
    s.dropped = status->dropped;
    s.queued_bytes = status->queued_bytes;
    s.max_queue_bytes = status->max_queue_bytes;
    if (last_error != nullptr) buffer_set(*last_error, status->last_error);
    write_struct(out, s);
    return AGM_OK;
  });
}

agm_status agm_recorder_journal_path(agm_buffer *out, const agm_recorder *rec) {
  return string_result(out, [&] {
    const std::string path = require(rec, "rec").state->journal_path();
    if (path.empty()) throw NotFound("the open store has no journal");
    return path;
  });
}

agm_status agm_recorder_set_observer(agm_recorder *rec, uint32_t kinds, agm_record_fn callback,
                                     void *payload) {
  return guard([&] {
    RecorderState &state = *require(rec, "rec").state;
    check_bits(kinds, AGM_RECORD_ALL, "kinds");
    RecordObserver observer;
    if (callback != nullptr && kinds != 0) {
      observer = [callback, payload](RecordKind kind, std::string_view line) {
        callback(1u << static_cast<int>(kind), line.data(), line.size(), payload);
      };
    }
    state.set_observer(kinds, std::move(observer));
    return AGM_OK;
  });
}

agm_status agm_recorder_load(agm_recorder *rec, const char *path, const agm_load_options *options,
                             agm_load_report *report, agm_buffer *warnings) {
  return guard([&] {
    RecorderState &state = *require(rec, "rec").state;
    const std::string file = path_in(path);
    agm_load_options o = AGM_LOAD_OPTIONS_INIT;
    if (options != nullptr) o = read_struct(options, AGM_LOAD_OPTIONS_SIZE_V0, "options");
    check_bits(o.flags, 0, "options->flags");
    if (report != nullptr) check_out(report, AGM_LOAD_REPORT_SIZE_V0, "report");
    if (warnings != nullptr) out_buffer(warnings);
    ReadReport r;
    state.load(file, o.skip, o.limit, r);
    load_report_out(report, r);
    if (warnings != nullptr) buffer_set(*warnings, r.warnings_json());
    return AGM_OK;
  });
}

agm_status agm_store_count(uint64_t *out, const char *path) {
  return guard([&] {
    require(out, "out");
    *out = count_records(path_in(path));
    return AGM_OK;
  });
}

// =============================================================================================
// Invocations

agm_status agm_recorder_record_invocation(agm_recorder *rec, const agm_invocation *inv) {
  return guard([&] {
    const agm_invocation in = read_struct(inv, AGM_INVOCATION_SIZE_V0, "inv");
    check_bits(in.flags, AGM_INVOCATION_F_SUCCESS | AGM_INVOCATION_F_OUTPUT_PARSED, "inv->flags");
    check_bits(in.present,
               AGM_INVOCATION_HAS_INPUT_TOKENS | AGM_INVOCATION_HAS_OUTPUT_TOKENS |
                   AGM_INVOCATION_HAS_CACHED_TOKENS | AGM_INVOCATION_HAS_START,
               "inv->present");
    InvocationView v;
    v.invocation_id = opt_str(in.invocation_id, "inv->invocation_id");
    v.agent = opt_str(in.agent, "inv->agent");
    v.task_id = opt_str(in.task_id, "inv->task_id");
    v.model = opt_str(in.model, "inv->model");
    v.tier = opt_str(in.tier, "inv->tier");
    v.error_class = opt_str(in.error_class, "inv->error_class");
    v.phase = in.phase;
    v.duration_ns = in.duration_ns;
    v.tokens = in.tokens;
    if (in.present & AGM_INVOCATION_HAS_INPUT_TOKENS) v.input_tokens = in.input_tokens;
    if (in.present & AGM_INVOCATION_HAS_OUTPUT_TOKENS) v.output_tokens = in.output_tokens;
    if (in.present & AGM_INVOCATION_HAS_CACHED_TOKENS) v.cached_tokens = in.cached_tokens;
    v.cost = money_in(in.cost);
    v.exit_code = in.exit_code;
    v.success = in.flags & AGM_INVOCATION_F_SUCCESS;
    v.output_parsed = in.flags & AGM_INVOCATION_F_OUTPUT_PARSED;
    v.attempt = in.attempt;
    RecorderState &state = *require(rec, "rec").state;
    if (in.present & AGM_INVOCATION_HAS_START) {
      v.start_ns = in.start_wall_ns;
    } else if (in.duration_ns >= 0) {
      v.start_ns = state.clock().wall_now() - in.duration_ns;
    }
    return record_invocation(rec, v);
  });
}

agm_status agm_recorder_record_invocation_json(agm_recorder *rec, const char *json, size_t size) {
  return guard([&] {
    RecorderState &state = *require(rec, "rec").state;
    InvocationJsonParser parser;
    // simdjson rejects invalid UTF-8 in the document; validate_invocation checks the strings.
    InvocationView v = parser.parse(bytes_arg(json, size, "json"));
    if (!parser.has_timestamp()) v.start_ns = state.clock().wall_now() - v.duration_ns;
    return record_invocation(rec, v);
  });
}

agm_status agm_recorder_invocation_count(uint64_t *out, const agm_recorder *rec) {
  return guard([&] {
    require(out, "out");
    *out = require(rec, "rec").state->invocation_count();
    return AGM_OK;
  });
}

agm_status agm_recorder_invocations(agm_buffer *out, const agm_recorder *rec, uint64_t skip, uint64_t limit) {
  return string_result(out, [&] { return require(rec, "rec").state->invocations_json(skip, limit); });
}

agm_status agm_recorder_invocation_aggregate(agm_buffer *out, const agm_recorder *rec,
                                             const agm_aggregate_options *options) {
  return string_result(out, [&] {
    const InvocationOptions o = aggregate_options_in(options);
    return require(rec, "rec").state->invocation_aggregate(o);
  });
}

// =============================================================================================
// History queries

agm_status agm_history_open(agm_history **out, const char *path) {
  if (out == nullptr) return fail(AGM_E_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard([&] {
    auto h = std::make_unique<agm_history>();
    h->path = path_in(path);
    check_store(h->path);
    *out = h.release();
    return AGM_OK;
  });
}

void agm_history_free(agm_history *history) {
  delete history;
}

agm_status agm_history_query(agm_buffer *out, agm_history *history, const agm_query *query) {
  return string_result(out, [&] {
    agm_history &h = require(history, "history");
    const Query q = query_in(query, Clock{});
    std::lock_guard lock(h.mu);
    h.report = ReadReport{};
    return query_store(h.path, q, h.report, read_progress(h));
  });
}

agm_status agm_history_warnings(agm_buffer *out, agm_history *history) {
  return string_result(out, [&] {
    agm_history &h = require(history, "history");
    std::lock_guard lock(h.mu);
    std::string json = "{\"lines\":" + std::to_string(h.report.lines) +
                       ",\"records\":" + std::to_string(h.report.records) +
                       ",\"malformed\":" + std::to_string(h.report.malformed) +
                       ",\"dropped\":" + std::to_string(h.report.dropped);
    if (h.report.dropped_markers) {
      json += ",\"dropped_from\":" + std::to_string(h.report.dropped_from) +
              ",\"dropped_to\":" + std::to_string(h.report.dropped_to);
    }
    json += ",\"warnings\":" + h.report.warnings_json() + "}";
    return json;
  });
}

agm_status agm_recorder_query(agm_buffer *out, agm_recorder *rec, const agm_query *query) {
  return string_result(out, [&] {
    RecorderState &state = *require(rec, "rec").state;
    const Query q = query_in(query, state.clock());
    const std::string path = state.store_path();
    if (path.empty()) throw StateError("no store is open");
    state.flush();
    ReadReport report;
    return query_store(path, q, report);
  });
}

// ---------------------------------------------------------------------------------------------
// The get_metrics agent tool (metrics_tool.cpp)

agm_status agm_metrics_tool_schema(agm_buffer *out) {
  return string_result(out, [] { return metrics_tool_schema(); });
}

agm_status agm_history_metrics_tool(agm_buffer *out, agm_history *history, const char *args_json,
                                    size_t args_size, const agm_metrics_tool_context *context) {
  return string_result(out, [&] {
    MetricsToolSource source;
    source.history = &require(history, "history");
    const std::string_view args = bytes_arg(args_json, args_size, "args_json");
    return run_metrics_tool(source, args, metrics_tool_context_in(context));
  });
}

agm_status agm_recorder_metrics_tool(agm_buffer *out, agm_recorder *rec, const char *args_json,
                                     size_t args_size, const agm_metrics_tool_context *context) {
  return string_result(out, [&] {
    MetricsToolSource source;
    source.recorder = &require(rec, "rec");
    const std::string_view args = bytes_arg(args_json, args_size, "args_json");
    return run_metrics_tool(source, args, metrics_tool_context_in(context));
  });
}

agm_status agm_parse_time(int64_t *out, const char *text) {
  return guard([&] {
    int64_t &result = require(out, "out");
    const std::string_view t = req_str(text, "text");
    const std::optional<int64_t> ns = parse_utc_time(t);
    if (!ns)
      throw InvalidArgument("\"" + std::string(t) +
                            "\" is not a UTC time such as 2026-11-22 or 2026-11-22T10:00:00Z");
    result = *ns;
    return AGM_OK;
  });
}

agm_status agm_history_set_progress(agm_history *history, agm_progress_fn fn, void *user) {
  return guard([&] {
    agm_history &h = require(history, "history");
    std::lock_guard lock(h.mu);
    h.progress = nullptr;
    h.progress_unit = nullptr;
    h.progress_user = nullptr;
    if (fn) h.progress = [fn, user](uint64_t done, uint64_t total) { fn(user, done, total); };
    return AGM_OK;
  });
}

agm_status agm_history_set_progress_unit(agm_history *history, agm_progress_unit_fn fn, void *user) {
  return guard([&] {
    agm_history &h = require(history, "history");
    std::lock_guard lock(h.mu);
    h.progress = nullptr;
    h.progress_unit = fn;
    h.progress_user = fn ? user : nullptr;
    return AGM_OK;
  });
}

agm_status agm_history_export(agm_history *history, const agm_export_options *options, agm_write_fn write,
                              void *user) {
  return guard([&] {
    agm_history &h = require(history, "history");
    if (write == nullptr) throw InvalidArgument("write is NULL");
    const ExportOptions o = export_options_in(options);
    std::lock_guard lock(h.mu);
    h.report = ReadReport{};
    export_store(
        h.path, o,
        [&](std::string_view piece) {
          if (write(user, piece.data(), piece.size()) != 0)
            throw IoError("the export was stopped by its writer");
        },
        h.report, read_progress(h));
    return AGM_OK;
  });
}

agm_status agm_history_export_to_file(uint64_t *bytes, agm_history *history,
                                      const agm_export_options *options, const char *path) {
  return guard([&] {
    agm_history &h = require(history, "history");
    const ExportOptions o = export_options_in(options);
    const std::string target = path_in(path);
    std::lock_guard lock(h.mu);
    h.report = ReadReport{};
    FileOut file(target);  // removed unless committed
    export_store(
        h.path, o, [&](std::string_view piece) { file.write(piece); }, h.report, read_progress(h));
    file.commit();
    if (bytes) *bytes = file.bytes();
    return AGM_OK;
  });
}

agm_status agm_history_push_otlp(agm_buffer *response, agm_history *history,
                                 const agm_export_options *options, const agm_otlp_options *otlp) {
  return guard([&] {
    agm_history &h = require(history, "history");
    ExportOptions o = export_options_in(options, true);
    o.format = ExportFormat::kOtlpJson;
    const agm_otlp_options in = read_struct(otlp, AGM_OTLP_OPTIONS_SIZE_V0, "otlp");
    OtlpTarget target;
    target.endpoint = req_str(in.endpoint, "otlp->endpoint");
    if (in.headers) target.headers = parse_key_values(in.headers, "otlp->headers");
    target.timeout_ms = in.timeout_ms ? in.timeout_ms : AGM_DEFAULT_HTTP_TIMEOUT_MS;
    target.max_attempts = in.max_attempts ? in.max_attempts : AGM_DEFAULT_PUSH_ATTEMPTS;
    target.retry_delay_ms = in.retry_delay_ms ? in.retry_delay_ms : AGM_DEFAULT_RETRY_DELAY_MS;
    target.send = in.send;
    target.send_user = in.send_user;
    check_otlp_target(target);  // before the store is read
    std::string body;
    {
      std::lock_guard lock(h.mu);
      h.report = ReadReport{};
      export_store(
          h.path, o, [&](std::string_view piece) { body += piece; }, h.report, read_progress(h));
    }
    std::string reply = post_otlp(target, body);
    if (response) buffer_set(out_buffer(response), std::move(reply));
    return AGM_OK;
  });
}

agm_status agm_history_report_html(agm_buffer *out, agm_history *history, const agm_report_options *options) {
  return string_result(out, [&] {
    agm_history &h = require(history, "history");
    const ReportOptions o = report_options_in(options, h);
    std::lock_guard lock(h.mu);
    h.report = ReadReport{};
    return report_store(h.path, o, h.report, read_progress(h));
  });
}

agm_status agm_history_report_html_to_file(uint64_t *bytes, agm_history *history,
                                           const agm_report_options *options, const char *path) {
  return guard([&] {
    agm_history &h = require(history, "history");
    const ReportOptions o = report_options_in(options, h);
    const std::string target = path_in(path);
    std::lock_guard lock(h.mu);
    h.report = ReadReport{};
    const std::string page = report_store(h.path, o, h.report, read_progress(h));
    FileOut file(target);
    file.write(page);
    file.commit();
    if (bytes) *bytes = file.bytes();
    return AGM_OK;
  });
}

agm_status agm_follow_open(agm_follow **out, const char *path, uint32_t flags) {
  if (out == nullptr) return fail(AGM_E_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guard([&] {
    check_bits(flags, AGM_FOLLOW_FROM_START, "flags");
    *out = new agm_follow{Follower(path_in(path), flags & AGM_FOLLOW_FROM_START)};
    return AGM_OK;
  });
}

void agm_follow_free(agm_follow *follow) {
  delete follow;
}

agm_status agm_follow_poll(agm_buffer *out, uint64_t *count, agm_follow *follow) {
  return string_result(out, [&] {
    uint64_t &n = require(count, "count");
    n = 0;
    return require(follow, "follow").impl.poll(n);
  });
}

agm_status agm_follow_malformed(uint64_t *count, const agm_follow *follow) {
  return guard([&] {
    require(count, "count") = require(follow, "follow").impl.malformed();
    return AGM_OK;
  });
}

agm_status agm_recorder_prices(agm_buffer *out, const agm_recorder *rec, const char *filter) {
  return string_result(out, [&] {
    const std::string_view f = filter ? req_str(filter, "filter") : std::string_view();
    return require(rec, "rec").state->prices()->list_json(f);
  });
}

}  // extern "C"
