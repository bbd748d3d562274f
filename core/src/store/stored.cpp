#include "stored.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "errors.hpp"

namespace agentmetrics {

namespace {

constexpr uint64_t kProgressEvery = 65536;

uint64_t journal_bytes(const std::string &path) {
  uint64_t total = 0;
  for (const auto &file : journal_files(path)) {
    struct stat st;
    if (::stat(file.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace

void check_store(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw NotFound("no journal or database at " + path);
  if (is_sqlite_file(path)) SqliteStore(path, true);
}

void for_each_stored(const std::string &path, const ScanFilter &filter, uint64_t skip, uint64_t limit,
                     ReadReport &report, const std::function<void(const RecordView &)> &fn,
                     const ProgressFn &progress) {
  const bool database = is_sqlite_file(path);
  uint64_t total = 0;
  auto done = [&] { return database ? report.lines : report.bytes; };
  uint64_t seen = 0, kept = 0, read = 0;
  auto select = [&](const RecordView &r) {
    if (progress && ++read % kProgressEvery == 0) progress(done(), total);
    if (r.ts < filter.from || r.ts >= filter.to || !(filter.kinds & (1u << static_cast<int>(r.kind)))) return;
    if (!filter.session.empty() && r.session != filter.session) return;
    if (seen++ < skip || (limit && kept >= limit)) return;
    ++kept;
    fn(r);
  };
  if (database) {
    const SqliteStore db(path, true);
    if (progress) total = db.count(ScanFilter{});
    report.files += 1;
    // Every row is read, whatever the filter, as every line of a journal is: a row that cannot
    // be loaded is then a malformed line in the figures of every command (the filter applies
    // to the records, in select).
    db.scan(ScanFilter{}, [&](const RecordView &r) {
      if (r.kind == RecordKind::kDropped) return report.add_dropped(r);  // a marker, not a record
      ++report.lines;
      select(r);
    });
    report.lines += db.skipped_rows();
    for (const auto &row : db.skipped())
      report.add_malformed(path, static_cast<uint64_t>(row.id), row.reason);
    report.malformed += db.skipped_rows() - db.skipped().size();
  } else {
    if (progress) total = journal_bytes(path);
    read_journal(path, 0, 0, report, select);
  }
  if (progress) progress(done(), std::max(total, done()));
  // Counted here, over the selected records, whatever the reader counted.
  report.skipped = std::min(seen, skip);
  report.records = kept;
}

uint64_t count_records(const std::string &path) {
  ReadReport report;
  for_each_stored(path, ScanFilter{}, 0, 0, report, [](const RecordView &) {});
  return report.records;
}

ScanFilter range_filter(int64_t from, int64_t to, uint32_t kinds) {
  ScanFilter f;
  f.from = from;
  f.to = to;
  f.kinds = kinds;
  return f;
}

}  // namespace agentmetrics
