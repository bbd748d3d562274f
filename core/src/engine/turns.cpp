// A session's turns: begin, end (and its turn record), and the figures of the open or last
// turn.
#include <algorithm>

#include "engine.hpp"
#include "errors.hpp"
#include "spans.hpp"

namespace agentmetrics {

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

}  // namespace agentmetrics
