// Reading stored records from any store: a journal file, a folder of journals, or a SQLite
// database (recognised by its header). The readers over it are in their own layers:
// query_store (query/), export_store (export/), report_store (report/).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "journal.hpp"
#include "record.hpp"
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

// The records of `kinds` (bits, 1u << RecordKind) with from <= ts < to.
ScanFilter range_filter(int64_t from, int64_t to, uint32_t kinds = ~0u);

}  // namespace agentmetrics
