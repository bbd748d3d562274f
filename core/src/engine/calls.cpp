// The recording path: model and tool calls (and started/ended tool calls) on a session, their
// call slots and tool groups, their timing, and the records they stage for the store or an
// observer. One file: these run on every call and inline into each other.
#include <cstring>

#include "abi_values.hpp"
#include "engine.hpp"
#include "errors.hpp"
#include "spans.hpp"

namespace agentmetrics {

int64_t Session::wall_or_now(int64_t wall) const {
  return wall ? wall : recorder_->clock().wall_now();
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

}  // namespace agentmetrics
