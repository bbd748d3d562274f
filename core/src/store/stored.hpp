// Reading stored records from any store: a journal file, a folder of journals, or a SQLite
// database (recognised by its header).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "export.hpp"
#include "history.hpp"
#include "journal.hpp"
#include "record.hpp"
#include "report.hpp"
#include "sqlite_store.hpp"

namespace agentmetrics {

// Called with (done, total) while a store is read: bytes for journals, rows for databases.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// NotFound if nothing is at `path`; a database is opened to check it can be read (Corrupt,
// Unsupported).
void check_store(const std::string &path);

// Calls `fn` for each stored record that `filter` selects, after the first `skip`, at most
// `limit` (0: all): journal lines in file order, database rows in time order. Every line and
// every row is read, whatever the filter (so that malformed ones count the same in every
// command); the filter's range, kinds and session select among the records. Malformed lines
// and unreadable rows are counted in `report` alike (see ReadReport), with their warnings. `progress` (may be
// empty) is called every 65,536 records read and once at the end.
void for_each_stored(const std::string &path, const ScanFilter &filter, uint64_t skip, uint64_t limit,
                     ReadReport &report, const std::function<void(const RecordView &)> &fn,
                     const ProgressFn &progress = {});

// Well-formed records in a store: a checkpoint's offset for a later load with skip.
uint64_t count_records(const std::string &path);

// The JSON document of `query` over the store.
std::string query_store(const std::string &path, const Query &query, ReadReport &report,
                        const ProgressFn &progress = {});

// The export of the store's records, through `write`.
void export_store(const std::string &path, const ExportOptions &options, const WriteFn &write,
                  ReadReport &report, const ProgressFn &progress = {});

// The HTML report of the store's records.
std::string report_store(const std::string &path, const ReportOptions &options, ReadReport &report,
                         const ProgressFn &progress = {});

}  // namespace agentmetrics
