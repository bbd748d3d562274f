#include "stored.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "errors.hpp"

namespace agentmetrics {

void check_store(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw NotFound("no journal or database at " + path);
  if (is_sqlite_file(path)) SqliteStore(path, true);
}

void for_each_stored(const std::string &path, const ScanFilter &filter, uint64_t skip, uint64_t limit,
                     ReadReport &report, const std::function<void(const RecordView &)> &fn) {
  uint64_t seen = 0, kept = 0;
  auto select = [&](const RecordView &r) {
    if (r.ts < filter.from || r.ts >= filter.to || !(filter.kinds & (1u << static_cast<int>(r.kind)))) return;
    if (seen++ < skip || (limit && kept >= limit)) return;
    ++kept;
    fn(r);
  };
  if (is_sqlite_file(path)) {
    const SqliteStore db(path, true);
    report.files += 1;
    db.scan(filter, [&](const RecordView &r) {
      ++report.lines;
      select(r);
    });
    report.malformed += db.skipped_rows();
  } else {
    read_journal(path, 0, 0, report, select);
  }
  // Counted here, over the selected records, whatever the reader counted.
  report.skipped = std::min(seen, skip);
  report.records = kept;
}

uint64_t count_records(const std::string &path) {
  ReadReport report;
  for_each_stored(path, ScanFilter{}, 0, 0, report, [](const RecordView &) {});
  return report.records;
}

std::string query_store(const std::string &path, const Query &query, ReadReport &report) {
  QueryRun run(query);
  ScanFilter filter;
  filter.from = query.from;
  filter.to = query.to;
  filter.kinds = query_kinds(query);
  if (query.kind == QueryKind::kSession) filter.session = query.name;
  for_each_stored(path, filter, 0, 0, report, [&](const RecordView &r) { run.add(r); });
  return run.finish();
}

}  // namespace agentmetrics
