// The HTML report (agm_history_report_html): one self-contained page built from one pass over
// the stored records. Inline SVG charts, no script, every stored string escaped.
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

  // Ignores records outside [from, to); copies only what it keeps. Memory grows with the
  // distinct models, tools, days and hours, plus 16 bytes per timed call or invocation (the
  // parallelism chart), never with the strings of the records.
  void add(const RecordView &r);
  // The page.
  std::string finish() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace agentmetrics
