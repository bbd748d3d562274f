// The HTML report (agm_history_report_html): one self-contained page built from one pass over
// the stored records. Inline SVG charts, no script, every stored string escaped.
//
// Sections: totals (cost "—" when nothing was priced, never $0), cost by model and by UTC day,
// tokens by kind per UTC hour when the records span at most 48 hours (else per UTC day),
// latency percentiles per model and tool, parallelism over time (seed 004's, from invocation
// records if any are in range, else from timed model and tool calls running over
// [ts - duration, ts); at most 200 buckets of 1 s, 5 s, 10 s, 30 s, 1 min, 5 min, 15 min, 1 h,
// 6 h, 1 day or whole days), the `limit` slowest operations and most recent errors (ordered as
// the slow and errors queries). The same records in any order give the same page.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "record.hpp"

namespace agentmetrics {

struct ReportOptions {
  int64_t from = std::numeric_limits<int64_t>::min();  // wall-clock ns, from <= ts < to
  int64_t to = std::numeric_limits<int64_t>::max();
  int64_t now_ns = 0;   // "generated at"
  uint32_t limit = 20;  // rows of the slowest operations and recent errors tables
  std::string title = "agentmetrics report";
  std::string source;  // the store's path, shown in the header
};

class ReportRun {
 public:
  // InvalidArgument: limit 0, from > to.
  explicit ReportRun(ReportOptions options);
  ~ReportRun();
  ReportRun(ReportRun &&) noexcept;
  ReportRun &operator=(ReportRun &&) noexcept;

  // Ignores records outside [from, to); copies only what it keeps (the names of models and
  // tools, and the `limit` rows of the two tables). Memory grows with the distinct models,
  // tools and hours, a 64-bit hash per distinct session id, plus 16 bytes per timed call or
  // invocation (the parallelism chart), never with the strings of the records.
  void add(const RecordView &r);
  // The page. Computing the parallelism sorts the kept intervals in place: a second call gives
  // the same page.
  std::string finish() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace agentmetrics
