#include "query_store.hpp"

namespace agentmetrics {

std::string query_store(const std::string &path, const Query &query, ReadReport &report,
                        const ProgressFn &progress) {
  QueryRun run(query);
  ScanFilter filter = range_filter(query.from, query.to, query_kinds(query));
  if (query.kind == QueryKind::kSession) filter.session = query.name;
  for_each_stored(
      path, filter, 0, 0, report, [&](const RecordView &r) { run.add(r); }, progress);
  run.set_dropped(report.dropped, report.dropped_from, report.dropped_to);
  return run.finish();
}

}  // namespace agentmetrics
