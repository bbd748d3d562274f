// A session's display lines: the one of a turn and the session's summary (agm_session_format_*).
#include "engine.hpp"
#include "format.hpp"
#include "strings.hpp"

namespace agentmetrics {

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
