// The recording engine: recorders, sessions, turns, model and tool calls, budgets. This header
// is the layer's interface; its code is split by concern: recorder.cpp (prices, totals, store,
// observers, invocations), load.cpp (agm_recorder_load), session.cpp (labels, lifecycle),
// calls.cpp (the recording path: model and tool calls), turns.cpp, budgets.cpp, queries.cpp
// (totals, breakdowns) and display.cpp (the display lines).
//
// Locking: each session has one mutex that every record and query on it takes; records on
// different sessions never contend. The recorder's mutex guards its session list and the
// totals of freed sessions; lock order is recorder, then session. The price table has a leaf
// mutex of its own, taken with or without the others but never before them.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aggregate.hpp"
#include "invocations.hpp"
#include "journal.hpp"
#include "prices.hpp"
#include "record.hpp"
#include "strings.hpp"
#include "usage.hpp"
#include "writer.hpp"

namespace agentmetrics {

class Session;

// agm_clock_fn: ns from the payload.
using ClockFn = int64_t (*)(void *payload);

struct Clock {
  ClockFn monotonic = nullptr;  // null: CLOCK_MONOTONIC
  ClockFn wall = nullptr;       // null: CLOCK_REALTIME
  void *payload = nullptr;
  // Inline: the recording path reads the clock on every call.
  int64_t now() const {
    if (monotonic) return monotonic(payload);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t wall_now() const {
    if (wall) return wall(payload);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Timing of a call as given (AGM_CALL_* bits: c_api.cpp checks these equal them).
inline constexpr uint64_t kCallHasStart = 1u << 0;       // AGM_CALL_HAS_START
inline constexpr uint64_t kCallHasEnd = 1u << 1;         // AGM_CALL_HAS_END
inline constexpr uint64_t kCallHasDuration = 1u << 2;    // AGM_CALL_HAS_DURATION
inline constexpr uint64_t kCallSinceLastStep = 1u << 7;  // AGM_CALL_F_SINCE_LAST_STEP
struct Timing {
  uint64_t flags = 0;
  int64_t start = 0, end = 0, duration = 0;
};

struct ModelCallInput {
  Usage usage;
  std::string_view model, provider, source, stop_reason, error_type;
  bool error = false;
  int64_t attempt = 1;
  Timing timing;
  std::optional<int64_t> ttft;
};

struct ToolCallInput {
  std::string_view name, call_id, error_type, error_message;
  bool error = false;
  Timing timing;
  std::optional<int64_t> input_bytes, output_bytes;
};

struct Labels {
  std::string session_id, agent, phase, task;
  std::vector<std::pair<std::string, std::string>> tags;
  const std::string *find(std::string_view key) const;
};

struct BudgetEvent {
  int32_t kind;
  bool tokens_crossed;  // else cost
  std::string_view model;
  int64_t tokens, max_tokens;
  u128 cost, max_cost;
};

// Budget kinds (AGM_BUDGET_LIMIT, AGM_BUDGET_WARN: c_api.cpp checks these equal them).
inline constexpr int32_t kBudgetLimit = 1;
inline constexpr int32_t kBudgetWarn = 2;

struct Budget {
  int32_t kind = kBudgetLimit;
  std::optional<int64_t> max_tokens;
  std::optional<u128> max_cost;
  std::string model;  // empty: all models
  std::function<void(const BudgetEvent &)> callback;
  bool tokens_crossed = false, cost_crossed = false;
};

// What a record call reports beyond success.
enum class Notice { kNone, kBudgetWarning, kBudgetExceeded };

struct TurnStats {
  uint64_t index = 0;
  int64_t start = 0, end = 0, duration = 0, start_wall = 0;
  bool ended = false;
  int64_t tool_wall = 0, tool_work = 0;
  uint64_t model_calls = 0, tool_calls = 0;
};

// Dimensions of breakdowns (AGM_BY_* - 1).
enum Dimension : int {
  kByModel = 0,
  kByProvider,
  kBySource,
  kByTool,
  kByAgent,
  kByPhase,
  kByTask,
  kBySession,
  kDimensions
};
using GroupMap = std::map<std::string, Group, std::less<>>;
// Merges `group` into into[key], or into into[AGM_OTHER_KEY] when `into` already has
// AGM_MAX_GROUP_KEYS other keys (counting the calls folded there in totals.folded_calls).
void merge_capped(GroupMap &into, std::string_view key, const Group &group);

// Called with each new record's journal line (a "metric recorded" event).
using RecordObserver = std::function<void(RecordKind, std::string_view line)>;

class RecorderState {
 public:
  RecorderState(Clock clock, bool bundled_prices);
  ~RecorderState();
  const Clock &clock() const { return clock_; }

  void load_prices(std::string_view document, bool replace);
  void set_price(std::string_view model, std::string_view entry_json);
  std::shared_ptr<const PriceTable> prices() const;
  uint64_t price_generation() const { return price_gen_.load(std::memory_order_acquire); }

  Group totals() const;
  GroupMap breakdown(Dimension by) const;

  std::string next_session_id();

  // Persistence (writer.hpp). One store at a time; a closed store's Writer lives on until the
  // recorder is freed, so a thread that loaded the pointer before the close stays safe.
  void open_store(const StoreOptions &options);
  void close_store();
  void flush();
  std::optional<StoreStatus> store_status() const;  // nullopt: no store open
  // What history queries over this recorder read: the database, else the journal (the
  // folder when it writes its own file in one). Empty: no store.
  std::string store_path() const;
  std::string journal_path() const;  // StateError without a store; "" if it has no journal
  void set_observer(uint32_t kinds, RecordObserver observer);
  bool observing(RecordKind kind) const {
    return observer_kinds_.load(std::memory_order_acquire) & (1u << static_cast<int>(kind));
  }
  Writer *writer() const { return writer_.load(std::memory_order_acquire); }
  // True when records must be built for the store or an observer.
  bool persisting() const {
    return writer_.load(std::memory_order_acquire) != nullptr ||
           observer_kinds_.load(std::memory_order_acquire) != 0;
  }
  void emit(Record &&record);
  // After a record call's work, outside every lock: tells the store's on_drop callback about
  // records it dropped (a relaxed load when there is nothing to tell).
  void warn_dropped() const {
    if (Writer *writer = writer_.load(std::memory_order_acquire); writer && writer->drop_warning_due()) {
      writer->warn_dropped();
    }
  }
  // Keeps `owned` alive until the writer has stored every record queued before this call.
  void release(std::shared_ptr<const void> owned);

  // Invocations (seed 004).
  void record_invocation(const InvocationView &invocation);
  uint64_t invocation_count() const;
  std::string invocations_json(uint64_t skip, uint64_t limit) const;
  std::string invocation_aggregate(const InvocationOptions &options) const;

  // Adds the records of a journal (file or folder) or database to the recorder's totals and
  // invocations, without storing them again.
  void load(const std::string &path, uint64_t skip, uint64_t limit, ReadReport &report);

 private:
  friend class Session;
  void attach(Session *s);
  void detach(Session *s);  // merges its aggregates into retired_

  Clock clock_;
  mutable std::mutex prices_mu_;  // leaf lock
  std::shared_ptr<const PriceTable> prices_;
  std::atomic<uint64_t> price_gen_{1};
  mutable std::mutex mu_;
  std::list<Session *> sessions_;
  Group retired_total_;
  GroupMap retired_[kDimensions];
  uint64_t session_seq_ = 0;
  uint64_t id_salt_;

  mutable std::mutex store_mu_;  // guards the fields below; never held while recording
  std::vector<std::unique_ptr<Writer>> writers_;
  std::string store_path_;
  std::shared_ptr<const RecordObserver> observer_;
  std::atomic<Writer *> writer_{nullptr};
  std::atomic<uint32_t> observer_kinds_{0};

  mutable std::mutex invocations_mu_;
  std::vector<Invocation> invocations_;
};

class Session {
 public:
  Session(std::shared_ptr<RecorderState> recorder, Labels labels);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  const Labels &labels() const { return labels_; }
  int64_t started_wall() const { return started_wall_; }
  RecorderState &recorder() const { return *recorder_; }

  Notice record_model_call(const ModelCallInput &call);
  void record_tool_call(const ToolCallInput &call);
  void tool_start(std::string_view name, std::string_view call_id, std::optional<int64_t> at);
  void tool_end(const ToolCallInput &result);
  void turn_begin(std::optional<int64_t> at);
  void turn_end(std::optional<int64_t> at);
  void add_budget(Budget budget);

  TurnStats turn_stats() const;  // throws Empty before the first turn
  Totals totals() const;
  Totals turn_totals() const;  // throws Empty before the first turn
  Sketch durations(DurationKind kind) const;
  GroupMap breakdown(Dimension by) const;

  std::string format_turn(bool color) const;
  std::string format_summary(bool color) const;

 private:
  friend class RecorderState;
  // Model calls with one (model, provider, source): the unit the hot path updates. Breakdowns
  // by model, provider or source merge these slots when asked.
  struct CallSlot {
    std::string model, provider, source;
    std::shared_ptr<const CallNames> names;  // the same strings, for records
    Group group;
    const PriceEntry *price = nullptr;
    uint64_t price_gen = 0;  // 0: not resolved yet
  };
  struct OpenTool {
    std::string name;
    int64_t start;
  };
  struct Turn {
    uint64_t index = 0;
    int64_t start = 0, end = 0, start_wall = 0;
    bool open = false;
    Totals totals;
    std::vector<std::pair<int64_t, int64_t>> tool_intervals;
    int64_t tool_work = 0;
  };
  template <class Map>
  static auto &slot(Map &map, std::string_view key);

  // The slot of a model call; validates the strings of a slot it creates (InvalidArgument).
  CallSlot &call_slot(std::string_view model, std::string_view provider, std::string_view source);
  // The group of a tool; validates the name of a group it creates (InvalidArgument).
  Group &tool_group(std::string_view name);
  // Adds a finished tool call; `start` is unknown when no timing was given.
  // Fills `record` when it is not null.
  void finish_tool(std::string_view name, std::optional<int64_t> start, int64_t end,
                   const ToolCallInput &call, Record *record);
  // record_tool_call and tool_end once the end is known; `observed` is null when nothing is
  // persisted (`wall` is then 0: not read).
  void record_tool_call(const ToolCallInput &call, int64_t end, int64_t wall,
                        std::optional<Record> *observed);
  void tool_end(const ToolCallInput &result, int64_t end, int64_t wall, std::optional<Record> *observed);
  void end_turn_locked(int64_t at, Record *record);
  // Where a new record is built: in `observed`, to be emit()ted once the session's lock is
  // released when an observer must see it first, or else queued by commit(), under the lock
  // (a session's records reach the store in order). Not committed: not queued.
  struct Staged {
    Record *record = nullptr;
    Writer *writer = nullptr;
    std::optional<Record> *observed = nullptr;
    void commit() {
      if (!writer) return;
      writer->push(*record);
      observed->reset();
    }
  };
  Staged stage(RecordKind kind, int64_t wall, std::optional<Record> &observed) const;
  // record_model_call once the end is known; `observed` is null when nothing is persisted
  // (`wall` is then 0: not read).
  Notice record_model_call(const ModelCallInput &call, int64_t end, int64_t wall,
                           std::optional<Record> *observed);
  void stage_model_call(const ModelCallInput &call, std::optional<int64_t> duration, const Cost &cost,
                        const CallSlot &slot, int64_t wall, std::optional<Record> &observed) const;
  int64_t wall_or_now(int64_t wall) const;  // `wall` if it was read (non-zero), else a fresh read
  void release_strings();                   // see Record: what queued records borrow
  TurnStats turn_stats_locked(int64_t now) const;
  void merge_dimension_locked(Dimension by, GroupMap &into) const;
  Group total_locked() const;
  Notice check_budgets_locked(std::vector<std::pair<Budget *, BudgetEvent>> &fired);
  int64_t resolve_end(const Timing &t) const;
  std::optional<int64_t> step_mark_locked() const;

  std::shared_ptr<RecorderState> recorder_;
  Labels labels_;
  std::shared_ptr<const RecordLabels> record_labels_;
  int64_t started_wall_;
  std::list<Session *>::iterator registration_;

  mutable std::mutex mu_;
  std::shared_ptr<const PriceTable> prices_;
  uint64_t prices_gen_ = 0;
  // The session's totals are not kept whole: records update only their call slot or tool
  // group, and total_locked() merges them when asked. What belongs to neither lives here:
  Group turns_;                 // ended turns and their durations
  int64_t running_tokens_ = 0;  // every reported input, cache and output token (saturating)
  u128 running_cost_ = 0;       // for budgets and display lines, without a merge
  std::unordered_map<std::string, CallSlot, StringHash, std::equal_to<>> calls_;  // by call_key()
  CallSlot *last_call_ = nullptr;   // agents mostly repeat one model: skip the hash lookup
  CallSlot *other_call_ = nullptr;  // in calls_: the calls past AGM_MAX_SESSION_KEYS slots
  std::string key_buffer_;          // reused to build call_slot keys without allocating
  std::unordered_map<std::string, Group, StringHash, std::equal_to<>> by_tool_;
  std::pair<const std::string, Group> *last_tool_ = nullptr;  // a tool called in a loop: no lookup
  std::unordered_map<std::string, OpenTool, StringHash, std::equal_to<>> open_tools_;
  Turn turn_;  // the open turn, or the last one (index 0: none yet)
  std::optional<int64_t> last_step_;
  // unique_ptr: callbacks run after the lock is released, while another thread may add a
  // budget; the Budget (its callback and model name) must not move.
  std::vector<std::unique_ptr<Budget>> budgets_;
};

}  // namespace agentmetrics
