// The SQLite store: records as rows of one table, `records`, for history queries and for people
// who query with SQL.
//
// Schema, versioned with PRAGMA user_version (migrations in sqlite_store.cpp):
//   1: table records: one row per record, one column per field (NULL: absent); kind as its
//      name; costs as exact decimal USD text (cost_usd: a REAL copy of cost_total); indexes on
//      (ts), (session, ts), (kind, ts), (tool, ts).
//   2: the 1-hour cache write, reasoning, ttft and invocation columns; views model_calls,
//      tool_calls, turns, sessions and invocations.
// Mapping: an empty string, a nullopt, a Usage kind whose bit is clear and the costs of an
// unpriced call are NULL; a field that does not belong to the record's kind is NULL at its
// default value, so every field round-trips. An invocation keeps its agent, model, duration and
// attempt in the shared columns and its start in ts; loading fills both the record's and the
// invocation's copies from them. A "dropped" marker (kind 'dropped', schema 2 unchanged) keeps
// the earliest ts of the records dropped in ts, the count in model_calls and the span to the
// latest in duration_ns.
//
// Threads: one object must be used by one thread at a time (the connection is opened with
// SQLITE_OPEN_NOMUTEX). Any number of objects, in any number of processes, may share a file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "errors.hpp"
#include "record.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace agentmetrics {

// How long a connection waits for another's write lock (its busy timeout), in ms: 10 s. A
// seam for tests of a locked database (set it before opening the stores it applies to).
extern int sqlite_busy_timeout_ms;

// The database stayed locked by another connection for the whole busy timeout (SQLITE_BUSY):
// nothing was written; trying again later may succeed.
struct DatabaseBusy : IoError {
  using IoError::IoError;
};

struct ScanFilter {
  int64_t from = INT64_MIN, to = INT64_MAX;  // from <= ts < to
  uint32_t kinds = ~0u;                      // bit (1u << static_cast<int>(RecordKind))
  std::string_view session;                  // non-empty: only this session's records
};

class SqliteStore {
 public:
  static constexpr int kLatestVersion = 2;

  // Opens the database at `path`, creating it unless read_only; WAL mode, busy timeout 10 s,
  // migrates forward to kLatestVersion (not when read_only: an older schema is then read as it
  // is). Errors: a file that is not a SQLite database -> Corrupt; a schema version newer than
  // kLatestVersion -> Unsupported; read_only and missing -> NotFound; cannot open or create
  // (permissions, missing folder) -> IoError with the path and SQLite's message.
  explicit SqliteStore(const std::string &path, bool read_only = false);
  ~SqliteStore();
  SqliteStore(const SqliteStore &) = delete;
  SqliteStore &operator=(const SqliteStore &) = delete;

  // Appends the records in one transaction (BEGIN IMMEDIATE, waiting up to the busy timeout
  // while another connection holds the write lock). durable: this commit is synced to disk
  // before returning. On failure rolls back and throws IoError: nothing half-written, earlier
  // commits untouched; DatabaseBusy (an IoError) when another connection kept the lock for
  // the whole busy timeout. A null record or an unknown kind -> InvalidArgument, nothing
  // written; a read-only store -> Unsupported.
  void insert(const RecordView *const *records, size_t count, bool durable);
  // Sets how long this connection waits for another's lock (0: not at all).
  void set_busy_timeout(int ms);
  // Makes every earlier commit on this connection durable (syncs the write-ahead log): the
  // writer's barrier after non-durable inserts. Nothing to do for a read-only store.
  void sync();

  // Calls fn for every stored record matching the filter, ordered by ts then insertion order.
  // The RecordView's strings are valid only during the call. Rows that cannot be loaded (an
  // unknown kind, a cost that is not a decimal, a non-integer in an integer column) are
  // skipped and counted in skipped_rows().
  void scan(const ScanFilter &filter, const std::function<void(const RecordView &)> &fn) const;
  // Calls fn(row id, record) for the first `limit` rows inserted after row `after_id`, in
  // insertion order; unreadable rows are skipped and counted in skipped_rows().
  void scan_after(int64_t after_id, int64_t limit,
                  const std::function<void(int64_t, const RecordView &)> &fn) const;
  // The id of the last row the last scan read, loaded or skipped (0: none).
  int64_t last_read_id() const { return last_read_id_; }
  // The id of the last row inserted (0: none).
  int64_t last_id() const;
  // Rows of known kinds matching the filter (their contents are not validated).
  uint64_t count(const ScanFilter &filter) const;
  // Rows the last scan skipped.
  uint64_t skipped_rows() const { return skipped_rows_; }
  // The first kMaxSkippedDetails of them: row id and why it could not be loaded.
  struct SkippedRow {
    int64_t id;
    std::string reason;
  };
  static constexpr size_t kMaxSkippedDetails = 1000;
  const std::vector<SkippedRow> &skipped() const { return skipped_; }
  int schema_version() const { return version_; }

  // For tests of backward compatibility: creates a new database (the path must not exist)
  // with only the migrations up to `version` applied.
  static void create_at_version(const std::string &path, int version);

 private:
  struct CloseDb {
    void operator()(sqlite3 *db) const;
  };
  struct FinalizeStatement {
    void operator()(sqlite3_stmt *stmt) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;
  class Lease;

  // A prepared statement for `sql` from the cache, or a fresh one while the cached one is
  // running (fn may query the store from inside a scan).
  Lease lease(const std::string &sql) const;
  std::string select_columns() const;
  void read_rows(sqlite3_stmt *stmt, const std::function<void(int64_t, const RecordView &)> &fn) const;
  void set_synchronous(bool full);
  void rollback_if_open() noexcept;
  void refresh_empty_version() const;

  std::string path_;
  bool read_only_;
  mutable int version_ = 0;
  mutable uint64_t skipped_rows_ = 0;
  mutable std::vector<SkippedRow> skipped_;
  mutable int64_t last_read_id_ = 0;
  bool synchronous_full_ = false;
  std::unique_ptr<sqlite3, CloseDb> db_;  // declared before the statements: closed after them
  Statement insert_, begin_, commit_, rollback_;
  mutable std::unordered_map<std::string, Statement> queries_;
};

}  // namespace agentmetrics
