#include "report_store.hpp"

namespace agentmetrics {

std::string report_store(const std::string &path, const ReportOptions &options, ReadReport &report,
                         const ProgressFn &progress) {
  ReportRun run(options);
  for_each_stored(
      path, range_filter(options.from, options.to), 0, 0, report, [&](const RecordView &r) { run.add(r); },
      progress);
  return run.finish();
}

}  // namespace agentmetrics
