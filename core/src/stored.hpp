// Reading stored records from any store: a journal file, a folder of journals, or a SQLite
// database (recognised by its header).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "history.hpp"
#include "journal.hpp"
#include "record.hpp"
#include "sqlite_store.hpp"

namespace agentmetrics {

// NotFound if nothing is at `path`; a database is opened to check it can be read (Corrupt,
// Unsupported).
void check_store(const std::string &path);

// Calls `fn` for each stored record that `filter` selects, after the first `skip`, at most
// `limit` (0: all): journal lines in file order, database rows in time order. A journal
// reader applies only the filter's kinds and range itself; the caller's `fn` must not assume
// more. Malformed lines and unreadable rows are counted in `report`.
void for_each_stored(const std::string &path, const ScanFilter &filter, uint64_t skip, uint64_t limit,
                     ReadReport &report, const std::function<void(const RecordView &)> &fn);

// Well-formed records in a store: a checkpoint's offset for a later load with skip.
uint64_t count_records(const std::string &path);

// The JSON document of `query` over the store.
std::string query_store(const std::string &path, const Query &query, ReadReport &report);

}  // namespace agentmetrics
