// The persisted record: what the journal's lines and the SQLite store's rows hold, one shape
// for every kind. RecordView borrows its strings (from a parsed line, a database row or a
// live session); the writer queue keeps an owning Record.
//
// Journal schema, version 1 (README "Journal schema"): one JSON object per line,
//   {"v":1,"kind":"model_call","ts":<wall ns>,"session":"…","agent":"…","phase":"…","task":"…",
//    "turn":3,"model":"…","provider":"…","source":"agent","stop_reason":"…","attempt":1,
//    "outcome":"ok","duration_ns":…,"ttft_ns":…,
//    "usage":{"input":…,"cache_read":…,"cache_write":…,"cache_write_1h":…,"output":…,
//             "reasoning":…,"total":…},
//    "cost":{"input":…,"cache_read":…,"cache_write_5m":…,"cache_write_1h":…,"output":…,
//            "reasoning":…,"total":…}}
// Absent members are "not reported" (never 0): "usage" is absent for a call without usage,
// "cost" for an unpriced one; empty labels are omitted. Costs are JSON numbers written as exact
// decimals (USD) and read back exactly. Other kinds: "tool_call" (tool, call_id, outcome,
// error_type, error, duration_ns, input_bytes, output_bytes), "turn" (turn, duration_ns,
// tool_wall_ns, tool_work_ns, model_calls, tool_calls, tokens, cost), "session" (labels, tags
// as an object of strings; ts = start), "invocation" (seed 004's InvocationMetric in
// snake_case; ts = start), "dropped" (a writer's marker: "records" were dropped, their queue
// full, with ts from "ts" to "last_ts"; not a record: readers count it apart, see ReadReport).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "money.hpp"
#include "prices.hpp"
#include "usage.hpp"

namespace agentmetrics {

inline constexpr int kSchemaVersion = 1;

enum class RecordKind : uint8_t { kSession = 0, kModelCall, kToolCall, kTurn, kInvocation, kDropped };

// The "kind" member's value, and back (nullopt: unknown kind).
std::string_view kind_name(RecordKind kind);
std::optional<RecordKind> kind_from_name(std::string_view name);

// The numbers of seed 004's InvocationMetric, shared by its view and its owning copy
// (invocations.hpp). Optional counts are nullopt when absent.
struct InvocationNumbers {
  int64_t phase = 0;
  int64_t duration_ns = 0;  // durationMs in the seed; kept in ns like every other duration
  int64_t tokens = 0;
  std::optional<int64_t> input_tokens, output_tokens, cached_tokens;
  u128 cost = 0;  // USD, exact
  int64_t exit_code = 0;
  bool success = false;
  int64_t attempt = 1;
  bool output_parsed = false;
  int64_t start_ns = 0;  // "timestamp" in the seed: wall-clock start, ns since the epoch
};

// Seed 004's InvocationMetric. Optional strings are empty views when absent.
struct InvocationView : InvocationNumbers {
  std::string_view invocation_id, agent, task_id, model, tier, error_class;
};

// The numbers of a record (every field but the strings).
struct RecordNumbers {
  RecordKind kind = RecordKind::kModelCall;
  int64_t ts = 0;     // wall clock, ns since the epoch: the end of a call or turn, a session's start
  uint64_t turn = 0;  // index of the turn it belongs to; 0: none

  // model_call, tool_call
  bool error = false;
  std::optional<int64_t> duration_ns;

  // model_call
  int64_t attempt = 1;
  std::optional<int64_t> ttft_ns;
  Usage usage;  // empty(): usage missing
  Cost cost;    // !priced: unpriced (or no usage)

  // tool_call
  std::optional<int64_t> input_bytes, output_bytes;

  // turn (duration_ns above); tokens and cost summarise the turn's model calls, which have
  // records of their own: readers must not add them again.
  int64_t tool_wall_ns = 0, tool_work_ns = 0;
  uint64_t model_calls = 0, tool_calls = 0;
  int64_t turn_tokens = 0;
  u128 turn_cost = 0;

  // dropped (a marker, not a record): how many records the writer dropped, their queue full,
  // with ts between `ts` (the earliest) and `last_ts` (the latest).
  uint64_t dropped_records = 0;
  int64_t last_ts = 0;
};

struct RecordView : RecordNumbers {
  std::string_view session, agent, phase, task;           // labels; empty: none
  std::string_view error_type, error_message;             // model_call, tool_call
  std::string_view model, provider, source, stop_reason;  // model_call
  std::string_view tool, call_id;                         // tool_call
  std::string_view tags_json;                             // session: {"key":"value",...} as written, or empty
  InvocationView invocation;                              // invocation
};

// The labels a model call gets when it names no model or no source: the recording path stores
// them (Session::record_model_call), and decoders give them to stored records that lack them
// (canonicalize), so every reader groups such a call under the same keys.
inline constexpr std::string_view kUnknownModel = "unknown";
inline constexpr std::string_view kDefaultSource = "agent";
inline std::string_view model_key(std::string_view model) {
  return model.empty() ? kUnknownModel : model;
}
inline std::string_view source_key(std::string_view source) {
  return source.empty() ? kDefaultSource : source;
}

// Gives a decoded record (a journal line, a database row) the labels the recording path would
// have given it: a model call without a model is `kUnknownModel`'s, without a source
// `kDefaultSource`'s (the journal schema's "absent = not reported"; older and foreign writers
// omit them). Every decoder calls it once, after decoding; readers then use the labels as
// they are.
void canonicalize(RecordView &r);

struct Invocation;  // invocations.hpp

// What a session's records share, built once per session.
struct RecordLabels {
  std::string session, agent, phase, task;
  std::string tags_json;  // {"key":"value",...}, or empty
};
// What a call slot's model calls share.
struct CallNames {
  std::string model, provider, source;
};

// A record on its way to the store: numbers in `fields`, strings owned here or borrowed from
// the session and call slot that made it. Borrowing costs no reference count (an atomic that
// the recording and the writer thread would bounce between cores): a session, when freed,
// queues a release record that owns them, behind every record that borrows them.
struct Record {
  RecordNumbers fields;
  const RecordLabels *labels = nullptr;
  const CallNames *names = nullptr;
  std::string stop_reason, error_type, error_message, tool, call_id;
  std::shared_ptr<const Invocation> invocation;
  std::shared_ptr<const void> release;  // set: only keeps borrowed strings alive until here

  RecordView view() const;
};

// A model call's record as its parts, borrowed: the store queues the record most recorded
// from these without building a Record (Writer::push).
struct ModelCallParts {
  int64_t ts = 0;
  uint64_t turn = 0;
  const RecordLabels *labels = nullptr;
  const CallNames *names = nullptr;
  bool error = false;
  std::optional<int64_t> duration_ns;
  int64_t attempt = 1;
  std::optional<int64_t> ttft_ns;
  const Usage *usage = nullptr;
  const Cost *cost = nullptr;
  std::string_view stop_reason, error_type;

  static ModelCallParts of(const Record &record);  // a model_call record's
  void fill(Record &record) const;                 // the record (fresh) of these
};

}  // namespace agentmetrics
