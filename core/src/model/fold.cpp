#include "fold.hpp"

#include <algorithm>

namespace agentmetrics {

namespace {

std::optional<int64_t> clamped(std::optional<int64_t> ns) {
  if (ns) return std::max<int64_t>(*ns, 0);
  return std::nullopt;
}

}  // namespace

Folded::Folded(const RecordView &record) : r(record) {
  switch (r.kind) {
    case RecordKind::kModelCall:
      retry = r.attempt > 1;
      ttft = clamped(r.ttft_ns);
      duration_kind = kDurModelCall;
      break;
    case RecordKind::kToolCall: duration_kind = kDurToolCall; break;
    case RecordKind::kTurn: duration_kind = kDurTurn; break;
    case RecordKind::kSession:
    case RecordKind::kInvocation:
    case RecordKind::kDropped: return;
  }
  duration = clamped(r.duration_ns);
}

void Folded::add_to(Totals &t) const {
  switch (r.kind) {
    case RecordKind::kModelCall: t.add_model_call(r.usage, r.cost, r.error, retry); break;
    case RecordKind::kToolCall: t.add_tool_call(r.error); break;
    case RecordKind::kTurn: ++t.turns; break;  // its tokens and cost are its model calls'
    default: break;
  }
}

void Folded::add_to(Group &g) const {
  if (!counted()) return;
  add_to(g.totals);
  if (duration) g.durations[duration_kind].add(*duration);
  if (ttft) g.durations[kDurTtft].add(*ttft);
  if (r.error && call()) note_latest_error(g, error_text(r.error_message, r.error_type), r.ts);
}

void note_latest_error(Group &g, std::string_view message, int64_t ts) {
  if (!g.has_last_error || ts > g.last_error_at || (ts == g.last_error_at && message > g.last_error)) {
    g.note_error(message, ts);
  }
}

}  // namespace agentmetrics
