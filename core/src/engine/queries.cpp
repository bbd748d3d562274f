// What a session answers: totals, the open or last turn's totals, durations, breakdowns;
// and merge_capped, the AGM_MAX_GROUP_KEYS cap of every breakdown.
#include "abi_values.hpp"
#include "engine.hpp"
#include "errors.hpp"

namespace agentmetrics {

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

}  // namespace agentmetrics
