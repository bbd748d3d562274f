#include "engine.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "abi_values.hpp"
#include "errors.hpp"
#include "fold.hpp"
#include "format.hpp"
#include "json.hpp"
#include "stored.hpp"

namespace agentmetrics {

// ---------------------------------------------------------------------------------------------
// Clock, labels

int64_t Clock::now() const {
  if (monotonic) return monotonic(payload);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t Clock::wall_now() const {
  if (wall) return wall(payload);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::string *Labels::find(std::string_view key) const {
  if (key == "session_id") return &session_id;
  const std::string *label = key == "agent"   ? &agent
                             : key == "phase" ? &phase
                             : key == "task"  ? &task
                                              : nullptr;
  if (label) return label->empty() ? nullptr : label;
  for (const auto &[k, v] : tags) {
    if (k == key) return &v;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Recorder

RecorderState::RecorderState(Clock clock, bool bundled_prices)
    : clock_(clock),
      prices_(bundled_prices ? PriceTable::bundled() : PriceTable::empty()),
      id_salt_(std::random_device{}()) {}

void RecorderState::load_prices(std::string_view document, bool replace) {
  std::lock_guard lock(prices_mu_);  // held while merging, so concurrent loads lose nothing
  prices_ = prices_->merged(document, replace);
  price_gen_.fetch_add(1, std::memory_order_release);
}

void RecorderState::set_price(std::string_view model, std::string_view entry_json) {
  std::lock_guard lock(prices_mu_);  // held while copying, so concurrent sets lose nothing
  prices_ = prices_->with_entry(model, entry_json);
  price_gen_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const PriceTable> RecorderState::prices() const {
  std::lock_guard lock(prices_mu_);
  return prices_;
}

RecorderState::~RecorderState() = default;  // closing each Writer drains its queue

std::string RecorderState::next_session_id() {
  std::lock_guard lock(mu_);
  char buf[48];
  std::snprintf(buf, sizeof buf, "session-%08llx-%llu",
                static_cast<unsigned long long>(id_salt_ & 0xffffffffu),
                static_cast<unsigned long long>(++session_seq_));
  return buf;
}

void RecorderState::attach(Session *s) {
  std::lock_guard lock(mu_);
  s->registration_ = sessions_.insert(sessions_.end(), s);
}

void RecorderState::detach(Session *s) {
  std::lock_guard lock(mu_);
  {
    std::lock_guard session_lock(s->mu_);
    retired_total_.merge(s->total_locked());
    for (int d = 0; d < kDimensions; ++d) s->merge_dimension_locked(static_cast<Dimension>(d), retired_[d]);
  }
  sessions_.erase(s->registration_);
}

Group RecorderState::totals() const {
  std::lock_guard lock(mu_);
  Group g = retired_total_;
  for (const Session *s : sessions_) {
    std::lock_guard session_lock(s->mu_);
    g.merge(s->total_locked());
  }
  return g;
}

GroupMap RecorderState::breakdown(Dimension by) const {
  std::lock_guard lock(mu_);
  GroupMap out = retired_[by];
  for (const Session *s : sessions_) {
    std::lock_guard session_lock(s->mu_);
    s->merge_dimension_locked(by, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recorder: store, observers, invocations, loads

void RecorderState::open_store(const StoreOptions &options) {
  auto already_open = [&] {
    if (writer_.load(std::memory_order_acquire)) throw StateError("a store is already open; close it first");
  };
  {
    std::lock_guard lock(store_mu_);
    already_open();
  }
  auto writer = std::make_unique<Writer>(options);  // opens files: outside the lock
  std::lock_guard lock(store_mu_);
  already_open();
  store_path_ = !options.database.empty()      ? options.database
                : !options.journal_dir.empty() ? options.journal_dir
                                               : options.journal_file;
  writer_.store(writer.get(), std::memory_order_release);
  writers_.push_back(std::move(writer));
}

void RecorderState::close_store() {
  // Under store_mu_ until drained, so that release() cannot miss the writer that still holds
  // the records borrowing a session's strings.
  std::lock_guard lock(store_mu_);
  Writer *writer = writer_.exchange(nullptr, std::memory_order_acq_rel);
  if (!writer) throw StateError("no store is open");
  writer->close();
}

void RecorderState::flush() {
  Writer *writer = writer_.load(std::memory_order_acquire);
  if (!writer) throw StateError("no store is open");
  writer->flush();
}

std::optional<StoreStatus> RecorderState::store_status() const {
  const Writer *writer = writer_.load(std::memory_order_acquire);
  if (!writer) return std::nullopt;
  return writer->status();
}

std::string RecorderState::journal_path() const {
  const Writer *writer = writer_.load(std::memory_order_acquire);
  if (!writer) throw StateError("no store is open");
  return writer->journal_path();
}

std::string RecorderState::store_path() const {
  std::lock_guard lock(store_mu_);
  return writer_.load(std::memory_order_acquire) ? store_path_ : std::string();
}

void RecorderState::set_observer(uint32_t kinds, RecordObserver observer) {
  std::lock_guard lock(store_mu_);
  observer_ = observer ? std::make_shared<const RecordObserver>(std::move(observer)) : nullptr;
  observer_kinds_.store(observer_ ? kinds : 0, std::memory_order_release);
}

void RecorderState::emit(Record &&record) {
  const auto kind = record.fields.kind;
  if (observer_kinds_.load(std::memory_order_acquire) & (1u << static_cast<int>(kind))) {
    std::shared_ptr<const RecordObserver> observer;
    {
      std::lock_guard lock(store_mu_);
      observer = observer_;
    }
    if (observer) {
      std::string line;
      encode_record(record.view(), line);
      line.pop_back();  // the newline
      (*observer)(kind, line);
    }
  }
  if (Writer *writer = writer_.load(std::memory_order_acquire)) writer->push(record);
}

void RecorderState::release(std::shared_ptr<const void> owned) {
  // The open writer is the only one that may hold borrowing records: close_store() drains a
  // writer under store_mu_ before another can open.
  std::lock_guard lock(store_mu_);
  if (Writer *writer = writer_.load(std::memory_order_acquire)) writer->release(std::move(owned));
}

void RecorderState::record_invocation(const InvocationView &invocation) {
  validate_invocation(invocation);
  auto stored = std::make_shared<const Invocation>(invocation);
  {
    std::lock_guard lock(invocations_mu_);
    invocations_.push_back(*stored);
  }
  if (persisting()) {
    Record record;
    record.fields.kind = RecordKind::kInvocation;
    record.fields.ts = stored->start_ns;
    record.invocation = std::move(stored);
    emit(std::move(record));
  }
  warn_dropped();
}

uint64_t RecorderState::invocation_count() const {
  std::lock_guard lock(invocations_mu_);
  return invocations_.size();
}

std::string RecorderState::invocations_json(uint64_t skip, uint64_t limit) const {
  std::lock_guard lock(invocations_mu_);
  std::string out = "[";
  const uint64_t end = limit ? std::min<uint64_t>(invocations_.size(), skip + limit) : invocations_.size();
  for (uint64_t i = skip; i < end; ++i) {
    if (i != skip) out += ',';
    RecordView view;
    view.kind = RecordKind::kInvocation;
    view.ts = invocations_[i].start_ns;
    view.invocation = invocations_[i].view();
    encode_record(view, out);
    out.pop_back();  // the newline
  }
  out += ']';
  return out;
}

std::string RecorderState::invocation_aggregate(const InvocationOptions &options) const {
  std::vector<Invocation> all;
  {
    std::lock_guard lock(invocations_mu_);
    all = invocations_;
  }
  return invocation_aggregate_json(all, options);
}

namespace {

// Aggregates of loaded records, shaped like the recorder's: kept apart while reading so the
// recorder's lock is taken once, at the end. Records usually repeat the labels of the one
// before, so each dimension remembers its last group.
class LoadedTotals {
 public:
  void add(const RecordView &r) {
    const Folded f(r);
    switch (r.kind) {
      case RecordKind::kModelCall:
        add_to(kByModel, r.model, f);
        add_to(kByProvider, r.provider, f);
        add_to(kBySource, r.source, f);
        break;
      case RecordKind::kToolCall: add_to(kByTool, r.tool, f); break;
      case RecordKind::kTurn: break;
      case RecordKind::kSession:
      case RecordKind::kDropped: return;  // readers count markers apart (ReadReport)
      case RecordKind::kInvocation: invocations.emplace_back(r.invocation); return;
    }
    add_to(kByAgent, r.agent, f);
    add_to(kByPhase, r.phase, f);
    add_to(kByTask, r.task, f);
    add_to(kBySession, r.session, f);
    f.add_to(total);
  }

  // Adds `other`, whose records come after this one's.
  void merge(LoadedTotals &&other) {
    total.merge(other.total);
    for (int d = 0; d < kDimensions; ++d) merge_groups(dims[d], std::move(other.dims[d]));
    invocations.insert(invocations.end(), std::make_move_iterator(other.invocations.begin()),
                       std::make_move_iterator(other.invocations.end()));
  }

  static void merge_groups(GroupMap &into, GroupMap &&from) {
    for (auto &[key, group] : from) {
      if (into.size() < kMaxGroupKeys && !into.contains(key)) {
        into.emplace(key, std::move(group));
      } else {
        merge_capped(into, key, group);
      }
    }
  }

  Group total;
  GroupMap dims[kDimensions];
  std::vector<Invocation> invocations;

 private:
  void add_to(Dimension d, std::string_view key, const Folded &f) {
    if (!last_[d] || last_key_[d] != key) {
      auto it = dims[d].find(key);
      if (it == dims[d].end()) {
        // Past AGM_MAX_GROUP_KEYS keys, a hostile store's names fold into AGM_OTHER_KEY.
        const bool fold = dims[d].size() >= kMaxGroupKeys;
        it = dims[d].try_emplace(fold ? std::string(kOtherKey) : std::string(key)).first;
        if (fold) {
          if (f.call()) ++it->second.totals.folded_calls;
          f.add_to(it->second);
          last_[d] = nullptr;  // the next record looks its key up again
          return;
        }
      }
      last_[d] = &it->second;
      last_key_[d] = it->first;
    }
    f.add_to(*last_[d]);
  }
  Group *last_[kDimensions] = {};
  std::string_view last_key_[kDimensions];  // views of the map's keys, which never move
};

}  // namespace

void RecorderState::load(const std::string &path, uint64_t skip, uint64_t limit, ReadReport &report) {
  LoadedTotals loaded;
  if (skip == 0 && limit == 0 && !is_sqlite_file(path)) {
    // Everything from a journal: parsing is most of the work, so each file is split between
    // threads, one per core.
    const size_t threads = std::max(1u, std::thread::hardware_concurrency());
    for (const std::string &file : journal_files(path)) {
      std::vector<LoadedTotals> parts(threads);
      read_journal_file_parallel(file, threads, report,
                                 [&](size_t k, const RecordView &r) { parts[k].add(r); });
      for (auto &part : parts) loaded.merge(std::move(part));
    }
  } else {
    for_each_stored(path, ScanFilter{}, skip, limit, report, [&](const RecordView &r) { loaded.add(r); });
  }
  {
    std::lock_guard lock(mu_);
    retired_total_.merge(loaded.total);
    for (int d = 0; d < kDimensions; ++d) LoadedTotals::merge_groups(retired_[d], std::move(loaded.dims[d]));
  }
  std::lock_guard lock(invocations_mu_);
  invocations_.insert(invocations_.end(), std::make_move_iterator(loaded.invocations.begin()),
                      std::make_move_iterator(loaded.invocations.end()));
}

// ---------------------------------------------------------------------------------------------
// Session: lifecycle

namespace {

std::shared_ptr<const RecordLabels> record_labels(const Labels &labels) {
  auto r = std::make_shared<RecordLabels>();
  r->session = labels.session_id;
  r->agent = labels.agent;
  r->phase = labels.phase;
  r->task = labels.task;
  for (const auto &[key, value] : labels.tags) {
    r->tags_json += r->tags_json.empty() ? '{' : ',';
    json::append_string(r->tags_json, key);
    r->tags_json += ':';
    json::append_string(r->tags_json, value);
  }
  if (!r->tags_json.empty()) r->tags_json += '}';
  return r;
}

}  // namespace

Session::Session(std::shared_ptr<RecorderState> recorder, Labels labels)
    : recorder_(std::move(recorder)),
      labels_(std::move(labels)),
      record_labels_(record_labels(labels_)),
      started_wall_(recorder_->clock().wall_now()) {
  recorder_->attach(this);
  if (recorder_->persisting()) {
    std::optional<Record> observed;
    stage(RecordKind::kSession, started_wall_, observed).commit();
    if (observed) recorder_->emit(std::move(*observed));
    recorder_->warn_dropped();
  }
}

int64_t Session::wall_or_now(int64_t wall) const {
  return wall ? wall : recorder_->clock().wall_now();
}

void Session::release_strings() {
  // Records queued for the store borrow the labels and call names: a release record behind
  // them owns these until the writer reaches it.
  struct Owned {
    std::shared_ptr<const RecordLabels> labels;
    std::vector<std::shared_ptr<const CallNames>> names;
  };
  auto owned = std::make_shared<Owned>();
  owned->labels = record_labels_;
  for (const auto &[key, slot] : calls_) owned->names.push_back(slot.names);
  recorder_->release(std::move(owned));
}

Session::Staged Session::stage(RecordKind kind, int64_t wall, std::optional<Record> &observed) const {
  Staged staged;
  if (recorder_->observing(kind)) {
    staged.record = &observed.emplace();
  } else if (Writer *writer = recorder_->writer()) {
    staged.record = &observed.emplace();
    staged.writer = writer;
    staged.observed = &observed;
  }
  if (Record *r = staged.record) {
    r->fields.kind = kind;
    r->fields.ts = wall;
    r->fields.turn = turn_.open ? turn_.index : 0;
    r->labels = record_labels_.get();
  }
  return staged;
}

Session::~Session() {
  try {
    std::optional<Record> observed;
    {
      std::lock_guard lock(mu_);
      if (turn_.open) {
        Staged staged;
        if (recorder_->persisting())
          staged = stage(RecordKind::kTurn, recorder_->clock().wall_now(), observed);
        end_turn_locked(std::max(recorder_->clock().now(), turn_.start), staged.record);
        staged.commit();
      }
    }
    if (observed) recorder_->emit(std::move(*observed));
    recorder_->warn_dropped();
    release_strings();
    recorder_->detach(this);
  } catch (...) {
    // Out of memory while merging into the recorder: the session's share of the recorder's
    // totals is lost, but a destructor must not throw.
    std::lock_guard lock(recorder_->mu_);
    recorder_->sessions_.erase(registration_);
  }
}

template <class Map>
auto &Session::slot(Map &map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.try_emplace(std::string(key)).first;
  return it->second;
}

namespace {

// a == b, inline: std::string's operator== calls an out-of-line compare() that costs more than
// the memcmp it wraps. A string_view may be empty with a null data(), which memcmp must not see.
bool same(const std::string &a, std::string_view b) {
  return a.size() == b.size() && (b.empty() || std::memcmp(a.data(), b.data(), b.size()) == 0);
}

}  // namespace

Session::CallSlot &Session::call_slot(std::string_view model, std::string_view provider,
                                      std::string_view source) {
  CallSlot *s = last_call_;
  bool folded = false;
  if (s == nullptr || !same(s->model, model) || !same(s->provider, provider) || !same(s->source, source)) {
    key_buffer_.assign(model).append(1, '\0').append(provider).append(1, '\0').append(source);
    auto it = calls_.find(key_buffer_);
    if (it == calls_.end()) {
      // Strings are validated once, here: a slot's strings are known to be valid UTF-8, so the
      // recording path compares against them instead of validating every call.
      for (auto [value, what] : {std::pair{model, "call->model"}, std::pair{provider, "call->provider"},
                                 std::pair{source, "call->source"}}) {
        if (!valid_utf8(value)) throw InvalidArgument(std::string(what) + " is not valid UTF-8");
        check_label_size(value, what);
      }
      if (calls_.size() >= kMaxSessionKeys) {
        // Past the cap, calls share the AGM_OTHER_KEY slot; its names and price are the
        // current call's (record_model_call releases the names behind its record).
        folded = true;
        if (other_call_ == nullptr) {
          // '\1' parts: no (model, provider, source) key can equal it (labels are text).
          other_call_ = &calls_.try_emplace(std::string("\1\0\1\0\1", 5)).first->second;
          other_call_->model = other_call_->provider = other_call_->source = kOtherKey;
        }
        other_call_->names = std::make_shared<const CallNames>(
            CallNames{std::string(model), std::string(provider), std::string(source)});
        ++other_call_->group.totals.folded_calls;
        s = other_call_;
      } else {
        it = calls_.try_emplace(key_buffer_).first;
        it->second.model = model;
        it->second.provider = provider;
        it->second.source = source;
        it->second.names = std::make_shared<const CallNames>(
            CallNames{it->second.model, it->second.provider, it->second.source});
      }
    }
    if (!folded) s = last_call_ = &it->second;
  }
  const uint64_t gen = recorder_->price_generation();
  if (gen != prices_gen_) {
    prices_ = recorder_->prices();
    prices_gen_ = gen;
  }
  if (folded || s->price_gen != gen) {
    s->price = prices_->resolve(model, provider);
    s->price_gen = folded ? 0 : gen;  // the folded slot resolves each call's own model
  }
  return *s;
}

Group &Session::tool_group(std::string_view name) {
  if (last_tool_ && same(last_tool_->first, name)) return last_tool_->second;
  auto it = by_tool_.find(name);
  if (it == by_tool_.end()) {
    if (!valid_utf8(name)) throw InvalidArgument("call->name is not valid UTF-8");
    check_label_size(name, "call->name");
    if (by_tool_.size() >= kMaxSessionKeys) {  // past the cap: the AGM_OTHER_KEY group
      Group &other = by_tool_[kOtherKey];
      ++other.totals.folded_calls;  // the caller adds the call itself, without failing
      return other;
    }
    it = by_tool_.try_emplace(std::string(name)).first;
  }
  last_tool_ = &*it;  // unordered_map nodes stay put, and tool groups are never erased
  return it->second;
}

// ---------------------------------------------------------------------------------------------
// Session: records

std::optional<int64_t> Session::step_mark_locked() const {
  // Batch mode measures from the previous step finish, but never from before the open turn.
  if (turn_.open && (!last_step_ || *last_step_ < turn_.start)) return turn_.start;
  return last_step_;
}

int64_t Session::resolve_end(const Timing &t) const {
  return (t.flags & kCallHasEnd) ? t.end : recorder_->clock().now();
}

namespace {

// end - start for caller-given times, which may be anything an injected clock returns.
int64_t checked_span(int64_t start, int64_t end) {
  int64_t span;
  if (__builtin_sub_overflow(end, start, &span)) throw InvalidArgument("the times are too far apart");
  return span;
}

int64_t saturated_add(int64_t a, int64_t b) {
  int64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

// end - start, saturated, where a span was validated before or an exception is not an option.
int64_t saturated_span(int64_t start, int64_t end) {
  int64_t span;
  return __builtin_sub_overflow(end, start, &span) ? (end > start ? INT64_MAX : INT64_MIN) : span;
}

struct ResolvedTiming {
  std::optional<int64_t> start;     // known when the interval is known
  std::optional<int64_t> duration;  // missing when nothing was given
};

// `inline`: a hint that gets GCC to inline this into record_model_call.
inline ResolvedTiming resolve_timing(const Timing &t, int64_t end, std::optional<int64_t> last_step) {
  ResolvedTiming r;
  if (t.flags & kCallHasDuration) {
    r.duration = t.duration;
    r.start = checked_span(t.duration, end);
  } else if (t.flags & kCallHasStart) {
    if (end < t.start) throw InvalidArgument("end_ns is before start_ns");
    r.start = t.start;
    r.duration = checked_span(t.start, end);
  } else if (t.flags & kCallSinceLastStep) {
    if (last_step && *last_step <= end) {
      r.start = *last_step;
      r.duration = checked_span(*last_step, end);
    }
  }
  return r;
}

}  // namespace

void Session::stage_model_call(const ModelCallInput &call, std::optional<int64_t> duration, const Cost &cost,
                               const CallSlot &slot, int64_t wall, std::optional<Record> &observed) const {
  const ModelCallParts parts{wall,
                             turn_.open ? turn_.index : 0,
                             record_labels_.get(),
                             slot.names.get(),
                             call.error,
                             duration,
                             call.attempt,
                             call.ttft,
                             &call.usage,
                             &cost,
                             call.stop_reason,
                             call.error_type};
  if (recorder_->observing(RecordKind::kModelCall)) {
    parts.fill(observed.emplace());
  } else if (Writer *writer = recorder_->writer()) {
    writer->push(parts);  // packed straight into the queue
  }
}

Notice Session::record_model_call(const ModelCallInput &call) {
  const int64_t end = resolve_end(call.timing);
  // Without a store or an observer, no Record is built: an empty std::optional<Record> still
  // costs a zero fill of its storage (hundreds of bytes) with GCC, too much for every call.
  if (!recorder_->persisting()) return record_model_call(call, end, 0, nullptr);
  std::optional<Record> observed;
  return record_model_call(call, end, recorder_->clock().wall_now(), &observed);
}

Notice Session::record_model_call(const ModelCallInput &call, int64_t end, int64_t wall,
                                  std::optional<Record> *observed) {
  std::vector<std::pair<Budget *, BudgetEvent>> fired;
  Notice notice = Notice::kNone;
  std::shared_ptr<const CallNames> folded_names;
  {
    std::lock_guard lock(mu_);
    const ResolvedTiming timing = resolve_timing(call.timing, end, step_mark_locked());

    CallSlot &calls = call_slot(model_key(call.model), call.provider, source_key(call.source));
    const Cost cost = price_usage(calls.price, call.usage);
    const bool retry = call.attempt > 1;
    Group &g = calls.group;
    g.totals.add_model_call(call.usage, cost, call.error, retry);
    if (timing.duration) g.durations[kDurModelCall].add(*timing.duration);
    if (call.ttft) g.durations[kDurTtft].add(*call.ttft);
    if (call.error) g.note_error(error_text({}, call.error_type), wall_or_now(wall));
    running_tokens_ = saturated_add(running_tokens_, call.usage.all_tokens());
    running_cost_ += cost.total;
    if (turn_.open) turn_.totals.add_model_call(call.usage, cost, call.error, retry);
    last_step_ = end;
    if (!budgets_.empty()) notice = check_budgets_locked(fired);
    if (observed) stage_model_call(call, timing.duration, cost, calls, wall, *observed);
    if (&calls == other_call_) folded_names = calls.names;
  }
  if (observed && *observed) recorder_->emit(std::move(**observed));
  // A folded call's names belong to it alone: kept until the writer is past its record.
  if (folded_names && observed) recorder_->release(std::move(folded_names));
  if (observed) recorder_->warn_dropped();
  for (auto &[budget, event] : fired) {
    if (budget->callback) budget->callback(event);
  }
  return notice;
}

void Session::finish_tool(std::string_view name, std::optional<int64_t> start, int64_t end,
                          const ToolCallInput &call, Record *record) {
  Group &g = tool_group(name);
  g.totals.add_tool_call(call.error);
  if (start) g.durations[kDurToolCall].add(saturated_span(*start, end));
  if (call.error)
    g.note_error(error_text(call.error_message, call.error_type), recorder_->clock().wall_now());
  if (turn_.open) {
    turn_.totals.add_tool_call(call.error);
    if (start) {
      turn_.tool_intervals.emplace_back(*start, end);
      turn_.tool_work = saturated_add(turn_.tool_work, saturated_span(*start, end));
    }
  }
  if (record) {
    RecordNumbers &f = record->fields;
    f.error = call.error;
    if (start) f.duration_ns = saturated_span(*start, end);
    f.input_bytes = call.input_bytes;
    f.output_bytes = call.output_bytes;
    record->tool = name;
    record->call_id = call.call_id;
    record->error_type = call.error_type;
    record->error_message = call.error_message;
  }
}

void Session::record_tool_call(const ToolCallInput &call) {
  const int64_t end = resolve_end(call.timing);
  // As record_model_call: no std::optional<Record> (a zero fill) unless something is persisted.
  if (!recorder_->persisting()) return record_tool_call(call, end, 0, nullptr);
  std::optional<Record> observed;
  record_tool_call(call, end, recorder_->clock().wall_now(), &observed);
}

void Session::record_tool_call(const ToolCallInput &call, int64_t end, int64_t wall,
                               std::optional<Record> *observed) {
  {
    std::lock_guard lock(mu_);
    const auto start = resolve_timing(call.timing, end, step_mark_locked()).start;
    Staged staged;
    if (observed) staged = stage(RecordKind::kToolCall, wall, *observed);
    // Without any timing the call still counts, with no duration sample.
    finish_tool(call.name, start, end, call, staged.record);
    staged.commit();
  }
  if (observed && *observed) recorder_->emit(std::move(**observed));
  if (observed) recorder_->warn_dropped();
}

void Session::tool_start(std::string_view name, std::string_view call_id, std::optional<int64_t> at) {
  const int64_t start = at ? *at : recorder_->clock().now();
  std::lock_guard lock(mu_);
  auto [it, inserted] = open_tools_.try_emplace(std::string(call_id), OpenTool{std::string(name), start});
  if (!inserted) throw StateError("tool call \"" + std::string(call_id) + "\" is already open");
}

void Session::tool_end(const ToolCallInput &result) {
  const int64_t end = resolve_end(result.timing);
  if (!recorder_->persisting()) return tool_end(result, end, 0, nullptr);  // as record_tool_call
  std::optional<Record> observed;
  tool_end(result, end, recorder_->clock().wall_now(), &observed);
}

void Session::tool_end(const ToolCallInput &result, int64_t end, int64_t wall,
                       std::optional<Record> *observed) {
  std::unique_lock lock(mu_);
  auto it = open_tools_.find(result.call_id);
  if (it == open_tools_.end()) {
    throw StateError("no open tool call \"" + std::string(result.call_id) + "\"");
  }
  if (!result.name.empty() && result.name != it->second.name) {
    throw InvalidArgument("tool call \"" + std::string(result.call_id) + "\" was started as \"" +
                          it->second.name + "\", not \"" + std::string(result.name) + "\"");
  }
  if (end < it->second.start) throw InvalidArgument("end_ns is before the tool call's start");
  checked_span(it->second.start, end);
  {
    Staged staged;
    if (observed) staged = stage(RecordKind::kToolCall, wall, *observed);
    finish_tool(it->second.name, it->second.start, end, result, staged.record);
    staged.commit();
  }
  open_tools_.erase(it);
  lock.unlock();
  if (observed && *observed) recorder_->emit(std::move(**observed));
  if (observed) recorder_->warn_dropped();
}

// ---------------------------------------------------------------------------------------------
// Session: turns

void Session::turn_begin(std::optional<int64_t> at) {
  const int64_t start = at ? *at : recorder_->clock().now();
  const int64_t start_wall = recorder_->clock().wall_now();
  std::lock_guard lock(mu_);
  if (turn_.open) throw StateError("a turn is already open");
  const uint64_t index = turn_.index + 1;
  turn_ = Turn{};
  turn_.index = index;
  turn_.start = start;
  turn_.start_wall = start_wall;
  turn_.open = true;
}

void Session::end_turn_locked(int64_t at, Record *record) {
  turn_.end = at;
  turn_.open = false;
  turn_.totals.turns = 1;
  ++turns_.totals.turns;
  turns_.durations[kDurTurn].add(saturated_span(turn_.start, at));
  if (record) {
    const TurnStats stats = turn_stats_locked(at);
    RecordNumbers &f = record->fields;
    f.turn = turn_.index;
    f.duration_ns = stats.duration;
    f.tool_wall_ns = stats.tool_wall;
    f.tool_work_ns = stats.tool_work;
    f.model_calls = stats.model_calls;
    f.tool_calls = stats.tool_calls;
    f.turn_tokens = turn_.totals.all_tokens();
    f.turn_cost = turn_.totals.cost_total;
  }
}

void Session::turn_end(std::optional<int64_t> at) {
  const int64_t end = at ? *at : recorder_->clock().now();
  const bool persist = recorder_->persisting();
  const int64_t wall = persist ? recorder_->clock().wall_now() : 0;
  std::optional<Record> observed;
  {
    std::lock_guard lock(mu_);
    if (!turn_.open) throw StateError("no turn is open");
    if (end < turn_.start) throw InvalidArgument("the turn cannot end before it began");
    checked_span(turn_.start, end);
    Staged staged;
    if (persist) staged = stage(RecordKind::kTurn, wall, observed);
    end_turn_locked(end, staged.record);
    staged.commit();
  }
  if (observed) recorder_->emit(std::move(*observed));
  recorder_->warn_dropped();
}

TurnStats Session::turn_stats_locked(int64_t now) const {
  if (turn_.index == 0) throw Empty("no turn has begun");
  TurnStats s;
  s.index = turn_.index;
  s.start = turn_.start;
  s.start_wall = turn_.start_wall;
  s.ended = !turn_.open;
  s.end = turn_.end;
  s.duration = saturated_span(turn_.start, turn_.open ? std::max(now, turn_.start) : turn_.end);
  s.tool_work = turn_.tool_work;
  s.model_calls = turn_.totals.model_calls;
  s.tool_calls = turn_.totals.tool_calls;
  // Wall time of tool calls: the length of the union of their intervals.
  auto intervals = turn_.tool_intervals;
  std::sort(intervals.begin(), intervals.end());
  int64_t covered_to = INT64_MIN;
  for (auto [start, end] : intervals) {
    start = std::max(start, covered_to);
    if (end > start) {
      s.tool_wall = saturated_add(s.tool_wall, saturated_span(start, end));
      covered_to = end;
    }
  }
  return s;
}

TurnStats Session::turn_stats() const {
  const int64_t now = recorder_->clock().now();
  std::lock_guard lock(mu_);
  return turn_stats_locked(now);
}

// ---------------------------------------------------------------------------------------------
// Session: budgets

void Session::add_budget(Budget budget) {
  std::lock_guard lock(mu_);
  budgets_.push_back(std::make_unique<Budget>(std::move(budget)));
}

Notice Session::check_budgets_locked(std::vector<std::pair<Budget *, BudgetEvent>> &fired) {
  Notice notice = Notice::kNone;
  for (auto &budget : budgets_) {
    Budget &b = *budget;
    int64_t tokens = running_tokens_;
    u128 cost = running_cost_;
    if (!b.model.empty()) {
      Totals model_totals;
      for (const auto &[key, call] : calls_) {
        if (call.model == b.model) model_totals.merge(call.group.totals);
      }
      tokens = model_totals.all_tokens();
      cost = model_totals.cost_total;
    }
    auto event = [&](bool tokens_crossed) {
      return BudgetEvent{b.kind, tokens_crossed,        b.model, tokens, b.max_tokens.value_or(0),
                         cost,   b.max_cost.value_or(0)};
    };
    bool crossed_now = false;
    if (b.max_tokens && !b.tokens_crossed && tokens > *b.max_tokens) {
      b.tokens_crossed = crossed_now = true;
      fired.emplace_back(&b, event(true));
    }
    if (b.max_cost && !b.cost_crossed && cost > *b.max_cost) {
      b.cost_crossed = crossed_now = true;
      fired.emplace_back(&b, event(false));
    }
    if (b.kind == kBudgetLimit && (b.tokens_crossed || b.cost_crossed)) {
      notice = Notice::kBudgetExceeded;
    } else if (crossed_now && notice == Notice::kNone) {
      notice = Notice::kBudgetWarning;
    }
  }
  return notice;
}

// ---------------------------------------------------------------------------------------------
// Session: queries

Totals Session::totals() const {
  std::lock_guard lock(mu_);
  return total_locked().totals;
}

Totals Session::turn_totals() const {
  std::lock_guard lock(mu_);
  if (turn_.index == 0) throw Empty("no turn has begun");
  return turn_.totals;
}

Sketch Session::durations(DurationKind kind) const {
  std::lock_guard lock(mu_);
  return total_locked().durations[kind];
}

void merge_capped(GroupMap &into, std::string_view key, const Group &group) {
  auto it = into.find(key);
  if (it == into.end()) {
    if (into.size() >= kMaxGroupKeys) {  // past the cap: the AGM_OTHER_KEY group
      Group &other = into[kOtherKey];
      other.merge(group);
      const Totals &t = group.totals;
      other.totals.folded_calls += t.model_calls + t.tool_calls - t.folded_calls;  // the rest were
      return;
    }
    it = into.try_emplace(std::string(key)).first;
  }
  it->second.merge(group);
}

void Session::merge_dimension_locked(Dimension by, GroupMap &into) const {
  auto merge_calls = [&](std::string CallSlot::*key) {
    for (const auto &[k, call] : calls_) merge_capped(into, call.*key, call.group);
  };
  switch (by) {
    case kByModel: merge_calls(&CallSlot::model); break;
    case kByProvider: merge_calls(&CallSlot::provider); break;
    case kBySource: merge_calls(&CallSlot::source); break;
    case kByTool:
      for (const auto &[name, group] : by_tool_) merge_capped(into, name, group);
      break;
    case kByAgent: merge_capped(into, labels_.agent, total_locked()); break;
    case kByPhase: merge_capped(into, labels_.phase, total_locked()); break;
    case kByTask: merge_capped(into, labels_.task, total_locked()); break;
    case kBySession: merge_capped(into, labels_.session_id, total_locked()); break;
    case kDimensions: break;
  }
}

Group Session::total_locked() const {
  Group total = turns_;
  for (const auto &[key, call] : calls_) total.merge(call.group);
  for (const auto &[name, tool] : by_tool_) total.merge(tool);
  return total;
}

GroupMap Session::breakdown(Dimension by) const {
  std::lock_guard lock(mu_);
  GroupMap out;
  merge_dimension_locked(by, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Session: display

namespace {

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return format_tokens(static_cast<int64_t>(n)) + " " + std::string(n == 1 ? one : many);
}

std::string finish_line(std::vector<std::string> parts, bool color) {
  std::string line = color ? kDimOn : "";
  line += "  ";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) line += " \u00b7 ";
    line += parts[i];
  }
  if (color) line += kDimOff;
  return line;
}

// "$0.0042", "$0.0042 (1 call unpriced)", "cost unknown"; nothing without usage.
void add_cost(std::vector<std::string> &parts, const Totals &t) {
  if (t.calls_with_usage == 0) return;
  if (t.priced_calls == 0) {
    parts.push_back("cost unknown");
    return;
  }
  std::string cost = format_cost(t.cost_total);
  if (t.calls_unpriced) cost += " (" + plural(t.calls_unpriced, "call", "calls") + " unpriced)";
  parts.push_back(std::move(cost));
}

}  // namespace

std::string Session::format_turn(bool color) const {
  const int64_t now = recorder_->clock().now();
  std::lock_guard lock(mu_);
  const TurnStats stats = turn_stats_locked(now);
  const Totals &t = turn_.totals;
  std::vector<std::string> parts;
  if (t.calls_with_usage == 0) {
    parts.emplace_back("no usage reported");
  } else {
    parts.push_back(format_tokens(t.all_input()) + " in");
    parts.push_back(format_tokens(t.tokens[kOutput]) + " out");
    if (t.tokens[kReasoning] > 0) parts.push_back(format_tokens(t.tokens[kReasoning]) + " reasoning");
    if (t.tokens[kCacheRead] > 0) parts.push_back(format_tokens(t.tokens[kCacheRead]) + " cached");
    if (t.tokens[kCacheWrite] > 0) parts.push_back(format_tokens(t.tokens[kCacheWrite]) + " cache write");
    parts.push_back(format_tokens(t.all_tokens()) + " total (session " + format_tokens(running_tokens_) +
                    ")");
    if (t.calls_missing_usage)
      parts.push_back(plural(t.calls_missing_usage, "call", "calls") + " without usage");
  }
  add_cost(parts, t);
  parts.push_back(format_duration_ns(stats.duration));
  return finish_line(std::move(parts), color);
}

std::string Session::format_summary(bool color) const {
  std::lock_guard lock(mu_);
  const Group total = total_locked();
  const Totals &t = total.totals;
  std::vector<std::string> parts{"session " + terminal_text(labels_.session_id).text,
                                 plural(t.turns, "turn", "turns"),
                                 plural(t.model_calls, "model call", "model calls")};
  if (t.calls_with_usage) {
    std::string tokens = format_tokens(t.all_tokens()) + " tokens";
    std::vector<std::string> details;
    if (t.tokens[kCacheRead] > 0) details.push_back(format_tokens(t.tokens[kCacheRead]) + " cached");
    if (t.tokens[kReasoning] > 0) details.push_back(format_tokens(t.tokens[kReasoning]) + " reasoning");
    for (size_t i = 0; i < details.size(); ++i) tokens += (i ? ", " : " (") + details[i];
    if (!details.empty()) tokens += ")";
    parts.push_back(std::move(tokens));
  }
  if (t.calls_missing_usage)
    parts.push_back(plural(t.calls_missing_usage, "call", "calls") + " without usage");
  add_cost(parts, t);
  std::string tools = plural(t.tool_calls, "tool call", "tool calls");
  if (t.tool_errors) tools += " (" + plural(t.tool_errors, "error", "errors") + ")";
  parts.push_back(std::move(tools));
  const Sketch &turns = turns_.durations[kDurTurn];
  if (!turns.empty()) parts.push_back(format_duration_ns(turns.sum()));
  return finish_line(std::move(parts), color);
}

}  // namespace agentmetrics
