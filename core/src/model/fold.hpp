// One fold over stored records: the rules every reader of a store applies to a record, written
// once. The history queries (history.cpp), the HTML report (report.cpp), the metric exports
// (export.cpp) and agm_recorder_load (load.cpp) each keep only their own accumulators and
// fold a record through a Folded:
//   - totals count model calls, tool calls and turns; a turn's tokens and cost summarise its
//     model calls, which have records of their own, so they are not added again;
//   - a model call whose attempt is past the first is a retry;
//   - durations (and a model call's time to first token) are clamped at 0: a foreign store's
//     negative one counts as 0;
//   - a failing call's text is its message, else its type, else "error" (error_text); a group
//     keeps its latest one, the larger text winning a tie whatever the order of the records;
//   - sessions, invocations and dropped markers count in no totals (markers are counted apart,
//     ReadReport).
// Labels need no rule here: decoders make them canonical (canonicalize, record.hpp), so a
// model call always has a model and a source, and readers group by the record's labels as
// they are.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "aggregate.hpp"
#include "record.hpp"

namespace agentmetrics {

// What a reader derives from one record, computed once and added to as many accumulators as
// the reader keeps. Borrows the record: use it while the record lives.
struct Folded {
  explicit Folded(const RecordView &record);

  const RecordView &r;
  bool retry = false;                           // a model call's attempt after the first
  std::optional<int64_t> duration;              // clamped at 0; a session's, invocation's or marker's: none
  std::optional<int64_t> ttft;                  // a model call's, clamped at 0
  DurationKind duration_kind = kDurationKinds;  // the sketch `duration` goes to; kDurationKinds: none

  // A model call, a tool call or a turn: a record that totals count.
  bool counted() const { return duration_kind != kDurationKinds; }
  bool call() const { return r.kind == RecordKind::kModelCall || r.kind == RecordKind::kToolCall; }

  // Adds the record to totals: a model call's usage, cost, error and retry, a tool call's
  // error, a turn (its tokens and cost are its model calls': not again). Others: nothing.
  void add_to(Totals &t) const;
  // As add_to(Totals&), plus the duration (and time to first token) sketches and, for a
  // failing call, the group's latest error (note_latest_error).
  void add_to(Group &g) const;
};

// Keeps `message` as `g`'s latest error if it is at least as recent: of equal timestamps, the
// larger message wins, so the result does not depend on the order records arrive in.
void note_latest_error(Group &g, std::string_view message, int64_t ts);

}  // namespace agentmetrics
