#include "sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "strings.hpp"

namespace agentmetrics {

int sqlite_busy_timeout_ms = 10000;

namespace {

// Migration i leads to version i + 1; the pending ones are applied in order, in one transaction.
constexpr const char *kMigration1[] = {
    "CREATE TABLE records ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " ts INTEGER NOT NULL,"
    " session TEXT, agent TEXT, phase TEXT, task TEXT,"
    " turn INTEGER,"
    " model TEXT, provider TEXT, source TEXT, stop_reason TEXT,"
    " attempt INTEGER,"
    " error INTEGER, error_type TEXT, error_message TEXT,"
    " duration_ns INTEGER,"
    " input_tokens INTEGER, cache_read_tokens INTEGER, cache_write_tokens INTEGER,"
    " output_tokens INTEGER, total_tokens INTEGER,"
    " cost_input TEXT, cost_cache_read TEXT, cost_cache_write_5m TEXT, cost_output TEXT,"
    " cost_total TEXT,"
    " tool TEXT, call_id TEXT, input_bytes INTEGER, output_bytes INTEGER,"
    " tool_wall_ns INTEGER, tool_work_ns INTEGER, model_calls INTEGER, tool_calls INTEGER,"
    " turn_tokens INTEGER, turn_cost TEXT,"
    " tags TEXT,"
    " cost_usd REAL GENERATED ALWAYS AS (CAST(cost_total AS REAL)) VIRTUAL)",
    "CREATE INDEX records_ts ON records(ts)",
    "CREATE INDEX records_session_ts ON records(session, ts)",
    "CREATE INDEX records_kind_ts ON records(kind, ts)",
    "CREATE INDEX records_tool_ts ON records(tool, ts)",
};

constexpr const char *kMigration2[] = {
    "ALTER TABLE records ADD COLUMN cache_write_1h_tokens INTEGER",
    "ALTER TABLE records ADD COLUMN reasoning_tokens INTEGER",
    "ALTER TABLE records ADD COLUMN ttft_ns INTEGER",
    "ALTER TABLE records ADD COLUMN cost_cache_write_1h TEXT",
    "ALTER TABLE records ADD COLUMN cost_reasoning TEXT",
    "ALTER TABLE records ADD COLUMN invocation_id TEXT",
    "ALTER TABLE records ADD COLUMN task_id TEXT",
    "ALTER TABLE records ADD COLUMN tier TEXT",
    "ALTER TABLE records ADD COLUMN error_class TEXT",
    "ALTER TABLE records ADD COLUMN inv_phase INTEGER",
    "ALTER TABLE records ADD COLUMN exit_code INTEGER",
    "ALTER TABLE records ADD COLUMN success INTEGER",
    "ALTER TABLE records ADD COLUMN output_parsed INTEGER",
    "ALTER TABLE records ADD COLUMN inv_tokens INTEGER",
    "ALTER TABLE records ADD COLUMN inv_input_tokens INTEGER",
    "ALTER TABLE records ADD COLUMN inv_output_tokens INTEGER",
    "ALTER TABLE records ADD COLUMN inv_cached_tokens INTEGER",
    "ALTER TABLE records ADD COLUMN inv_cost TEXT",
    "CREATE VIEW model_calls AS SELECT id, ts, session, agent, phase, task, turn, model, provider,"
    " source, stop_reason, attempt, error, error_type, error_message, duration_ns, ttft_ns,"
    " input_tokens, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens,"
    " reasoning_tokens, total_tokens, cost_input, cost_cache_read, cost_cache_write_5m,"
    " cost_cache_write_1h, cost_output, cost_reasoning, cost_total, cost_usd"
    " FROM records WHERE kind = 'model_call'",
    "CREATE VIEW tool_calls AS SELECT id, ts, session, agent, phase, task, turn, tool, call_id,"
    " error, error_type, error_message, duration_ns, input_bytes, output_bytes"
    " FROM records WHERE kind = 'tool_call'",
    "CREATE VIEW turns AS SELECT id, ts, session, agent, phase, task, turn, duration_ns,"
    " tool_wall_ns, tool_work_ns, model_calls, tool_calls, turn_tokens AS tokens,"
    " turn_cost AS cost, CAST(turn_cost AS REAL) AS cost_usd"
    " FROM records WHERE kind = 'turn'",
    "CREATE VIEW sessions AS SELECT id, ts AS start_ns, session, agent, phase, task, tags"
    " FROM records WHERE kind = 'session'",
    "CREATE VIEW invocations AS SELECT id, ts AS start_ns, session, invocation_id, agent,"
    " task_id, model, tier, inv_phase AS phase, duration_ns, inv_tokens AS tokens,"
    " inv_input_tokens AS input_tokens, inv_output_tokens AS output_tokens,"
    " inv_cached_tokens AS cached_tokens, inv_cost AS cost, CAST(inv_cost AS REAL) AS cost_usd,"
    " exit_code, success, attempt, output_parsed, error_class"
    " FROM records WHERE kind = 'invocation'",
};

constexpr std::span<const char *const> kMigrations[] = {kMigration1, kMigration2};
static_assert(std::size(kMigrations) == SqliteStore::kLatestVersion);

// The stored columns in insert and select order (cost_usd is generated, never written).
enum Column : int {
  kColKind,
  kColTs,
  kColSession,
  kColAgent,
  kColPhase,
  kColTask,
  kColTurn,
  kColModel,
  kColProvider,
  kColSource,
  kColStopReason,
  kColAttempt,
  kColError,
  kColErrorType,
  kColErrorMessage,
  kColDurationNs,
  kColInputTokens,
  kColCacheReadTokens,
  kColCacheWriteTokens,
  kColOutputTokens,
  kColTotalTokens,
  kColCostInput,
  kColCostCacheRead,
  kColCostCacheWrite5m,
  kColCostOutput,
  kColCostTotal,
  kColTool,
  kColCallId,
  kColInputBytes,
  kColOutputBytes,
  kColToolWallNs,
  kColToolWorkNs,
  kColModelCalls,
  kColToolCalls,
  kColTurnTokens,
  kColTurnCost,
  kColTags,
  kFirstVersion2Column,
  kColCacheWrite1hTokens = kFirstVersion2Column,
  kColReasoningTokens,
  kColTtftNs,
  kColCostCacheWrite1h,
  kColCostReasoning,
  kColInvocationId,
  kColTaskId,
  kColTier,
  kColErrorClass,
  kColInvPhase,
  kColExitCode,
  kColSuccess,
  kColOutputParsed,
  kColInvTokens,
  kColInvInputTokens,
  kColInvOutputTokens,
  kColInvCachedTokens,
  kColInvCost,
  kColumnCount
};

constexpr const char *kColumnNames[kColumnCount] = {
    "kind",
    "ts",
    "session",
    "agent",
    "phase",
    "task",
    "turn",
    "model",
    "provider",
    "source",
    "stop_reason",
    "attempt",
    "error",
    "error_type",
    "error_message",
    "duration_ns",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "total_tokens",
    "cost_input",
    "cost_cache_read",
    "cost_cache_write_5m",
    "cost_output",
    "cost_total",
    "tool",
    "call_id",
    "input_bytes",
    "output_bytes",
    "tool_wall_ns",
    "tool_work_ns",
    "model_calls",
    "tool_calls",
    "turn_tokens",
    "turn_cost",
    "tags",
    "cache_write_1h_tokens",
    "reasoning_tokens",
    "ttft_ns",
    "cost_cache_write_1h",
    "cost_reasoning",
    "invocation_id",
    "task_id",
    "tier",
    "error_class",
    "inv_phase",
    "exit_code",
    "success",
    "output_parsed",
    "inv_tokens",
    "inv_input_tokens",
    "inv_output_tokens",
    "inv_cached_tokens",
    "inv_cost",
};

int column_version(int column) {
  return column >= kFirstVersion2Column ? 2 : 1;
}

constexpr Column kTokenColumns[kTokenKinds] = {
    kColInputTokens,  kColCacheReadTokens, kColCacheWriteTokens, kColCacheWrite1hTokens,
    kColOutputTokens, kColReasoningTokens, kColTotalTokens};
constexpr Column kCostColumns[kCostItems] = {kColCostInput,        kColCostCacheRead, kColCostCacheWrite5m,
                                             kColCostCacheWrite1h, kColCostOutput,    kColCostReasoning};

constexpr int kKindCount = static_cast<int>(RecordKind::kDropped) + 1;
constexpr uint32_t kAllKinds = (1u << kKindCount) - 1;

std::string sqlite_message(sqlite3 *db, int rc) {
  // The connection's message describes the last call only when that call failed with rc.
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) return sqlite3_errmsg(db);
  return sqlite3_errstr(rc);
}

[[noreturn]] void throw_sqlite(sqlite3 *db, int rc, const std::string &path, std::string_view doing) {
  std::string message = path + ": " + std::string(doing) + ": " + sqlite_message(db, rc);
  switch (rc & 0xff) {
    case SQLITE_NOTADB: throw Corrupt(path + ": not a SQLite database (" + sqlite_message(db, rc) + ")");
    case SQLITE_CORRUPT: throw Corrupt(message);
    case SQLITE_BUSY: throw DatabaseBusy(message);
    default: throw IoError(message);
  }
}

void exec(sqlite3 *db, const char *sql, const std::string &path) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, path, sql);
}

int read_user_version(sqlite3 *db, const std::string &path) {
  sqlite3_stmt *raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &raw, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db, rc, path, "reading the schema version");
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt *)> stmt(raw, sqlite3_finalize);
  rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW) throw_sqlite(db, rc, path, "reading the schema version");
  return sqlite3_column_int(raw, 0);
}

void check_version(int version, const std::string &path) {
  if (version < 0) throw Corrupt(path + ": schema version " + std::to_string(version) + " is not valid");
  if (version > SqliteStore::kLatestVersion) {
    throw Unsupported(path + ": schema version " + std::to_string(version) +
                      " is newer than this library supports (" + std::to_string(SqliteStore::kLatestVersion) +
                      ")");
  }
}

void enable_wal(sqlite3 *db, const std::string &path) {
  // Changing the journal mode needs an exclusive lock, which the busy handler does not always
  // wait for: retry while another connection (e.g. one creating the same file) holds it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(sqlite_busy_timeout_ms);
  for (;;) {
    sqlite3_stmt *raw = nullptr;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt *)> stmt(raw, sqlite3_finalize);
    if (rc == SQLITE_OK) rc = sqlite3_step(raw);
    if (rc == SQLITE_ROW) {
      auto mode = reinterpret_cast<const char *>(sqlite3_column_text(raw, 0));
      std::string_view got = mode != nullptr ? mode : "";
      // An in-memory database cannot use WAL; it has no other process to share with anyway.
      if (got == "wal" || got == "memory") return;
      throw IoError(path + ": cannot enable WAL mode (journal mode is \"" + std::string(got) + "\")");
    }
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) {
      throw_sqlite(db, rc, path, "enabling WAL mode");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Applies the migrations from the file's version up to `target` in one IMMEDIATE transaction,
// re-reading the version under the lock: a process opening the same new file at the same time
// either finds the work done or waits for it.
void migrate(sqlite3 *db, int target, const std::string &path) {
  if (read_user_version(db, path) >= target) return;
  exec(db, "BEGIN IMMEDIATE", path);
  try {
    int version = read_user_version(db, path);
    check_version(version, path);
    if (version < target) {
      for (int next = version; next < target; ++next) {
        for (const char *sql : kMigrations[next]) exec(db, sql, path);
      }
      exec(db, ("PRAGMA user_version = " + std::to_string(target)).c_str(), path);
    }
    exec(db, "COMMIT", path);
  } catch (...) {
    if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

sqlite3 *open_database(const std::string &path, int flags) {
  sqlite3 *db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = sqlite_message(db, rc);
    sqlite3_close_v2(db);
    throw IoError(path + ": cannot open database: " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, sqlite_busy_timeout_ms);
  return db;
}

// Binds one record's fields to the insert statement, whose parameters are all NULL.
class RecordBinder {
 public:
  explicit RecordBinder(sqlite3_stmt *stmt) : stmt_(stmt) {}

  void bind(const RecordView &r) {
    const RecordKind kind = r.kind;
    const bool call = kind == RecordKind::kModelCall || kind == RecordKind::kToolCall;
    const bool turn = kind == RecordKind::kTurn;
    const bool invocation = kind == RecordKind::kInvocation;
    // A field of another kind is stored only when it differs from its default: nothing is
    // lost, and SQL users do not see a turn's zero counters on every model call.

    text(kColKind, kind_name(kind));
    integer(kColTs, r.ts);
    text(kColSession, r.session);
    text(kColPhase, r.phase);
    text(kColTask, r.task);
    if (r.turn != 0) integer(kColTurn, static_cast<int64_t>(r.turn));
    text(kColProvider, r.provider);
    text(kColSource, r.source);
    text(kColStopReason, r.stop_reason);
    if (call || r.error) integer(kColError, r.error ? 1 : 0);
    text(kColErrorType, r.error_type);
    text(kColErrorMessage, r.error_message);
    optional(kColTtftNs, r.ttft_ns);

    if (invocation) {
      // The columns an invocation shares with the other kinds.
      const InvocationView &inv = r.invocation;
      text(kColAgent, !inv.agent.empty() ? inv.agent : r.agent);
      text(kColModel, !inv.model.empty() ? inv.model : r.model);
      integer(kColDurationNs, inv.duration_ns);
      integer(kColAttempt, inv.attempt);
    } else {
      text(kColAgent, r.agent);
      text(kColModel, r.model);
      optional(kColDurationNs, r.duration_ns);
      if (kind == RecordKind::kModelCall || r.attempt != 1) integer(kColAttempt, r.attempt);
    }

    for (int k = 0; k < kTokenKinds; ++k) {
      if (r.usage.has(static_cast<TokenKind>(k))) {
        integer(kTokenColumns[k], r.usage.get(static_cast<TokenKind>(k)));
      }
    }
    if (r.cost.priced) {
      for (int item = 0; item < kCostItems; ++item) money(kCostColumns[item], r.cost.item[item]);
      money(kColCostTotal, r.cost.total);
    }

    text(kColTool, r.tool);
    text(kColCallId, r.call_id);
    optional(kColInputBytes, r.input_bytes);
    optional(kColOutputBytes, r.output_bytes);

    if (turn || r.tool_wall_ns != 0) integer(kColToolWallNs, r.tool_wall_ns);
    if (turn || r.tool_work_ns != 0) integer(kColToolWorkNs, r.tool_work_ns);
    if (turn || r.model_calls != 0) integer(kColModelCalls, static_cast<int64_t>(r.model_calls));
    if (turn || r.tool_calls != 0) integer(kColToolCalls, static_cast<int64_t>(r.tool_calls));
    if (turn || r.turn_tokens != 0) integer(kColTurnTokens, r.turn_tokens);
    if (turn || r.turn_cost != 0) money(kColTurnCost, r.turn_cost);

    text(kColTags, r.tags_json);

    if (invocation) {
      const InvocationView &inv = r.invocation;
      text(kColInvocationId, inv.invocation_id);
      text(kColTaskId, inv.task_id);
      text(kColTier, inv.tier);
      text(kColErrorClass, inv.error_class);
      integer(kColInvPhase, inv.phase);
      integer(kColExitCode, inv.exit_code);
      integer(kColSuccess, inv.success ? 1 : 0);
      integer(kColOutputParsed, inv.output_parsed ? 1 : 0);
      integer(kColInvTokens, inv.tokens);
      optional(kColInvInputTokens, inv.input_tokens);
      optional(kColInvOutputTokens, inv.output_tokens);
      optional(kColInvCachedTokens, inv.cached_tokens);
      money(kColInvCost, inv.cost);
    }
    if (kind == RecordKind::kDropped) {  // a writer's marker: no columns of its own (see the header)
      integer(kColModelCalls, static_cast<int64_t>(std::min<uint64_t>(r.dropped_records, INT64_MAX)));
      integer(kColDurationNs, r.last_ts > r.ts ? r.last_ts - r.ts : 0);
    }
  }

  int status() const { return status_; }

 private:
  // Views outlive the step (SQLITE_STATIC); an empty one stays NULL.
  void text(Column column, std::string_view value) {
    if (value.empty()) return;
    check(sqlite3_bind_text64(stmt_, column + 1, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  void integer(Column column, int64_t value) { check(sqlite3_bind_int64(stmt_, column + 1, value)); }
  void optional(Column column, const std::optional<int64_t> &value) {
    if (value) integer(column, *value);
  }
  void money(Column column, u128 atto) {
    const std::string decimal = money_to_decimal(atto);
    check(sqlite3_bind_text64(stmt_, column + 1, decimal.data(), decimal.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
  }
  void check(int rc) {
    if (rc != SQLITE_OK && status_ == SQLITE_OK) status_ = rc;
  }

  sqlite3_stmt *stmt_;
  int status_ = SQLITE_OK;
};

// Reads one row of the select statement; ok() turns false for a value that cannot be loaded.
class RowReader {
 public:
  explicit RowReader(sqlite3_stmt *stmt) : stmt_(stmt) {}

  bool load(RecordView &r) {
    r = RecordView{};
    const std::string_view kind_text = text(kColKind);
    auto kind = kind_from_name(kind_text);
    if (!kind) {
      reason_ = "unknown record kind \"" + std::string(kind_text.substr(0, 40)) + "\"";
      return false;
    }
    r.kind = *kind;
    r.ts = integer(kColTs).value_or(0);
    r.session = text(kColSession);
    r.agent = text(kColAgent);
    r.phase = text(kColPhase);
    r.task = text(kColTask);
    r.turn = static_cast<uint64_t>(integer(kColTurn).value_or(0));
    r.error = integer(kColError).value_or(0) != 0;
    r.error_type = text(kColErrorType);
    r.error_message = text(kColErrorMessage);
    r.duration_ns = integer(kColDurationNs);
    r.model = text(kColModel);
    r.provider = text(kColProvider);
    r.source = text(kColSource);
    r.stop_reason = text(kColStopReason);
    r.attempt = integer(kColAttempt).value_or(1);
    r.ttft_ns = integer(kColTtftNs);
    for (int k = 0; k < kTokenKinds; ++k) {
      auto tokens = integer(kTokenColumns[k]);
      if (tokens) r.usage.set(static_cast<TokenKind>(k), *tokens);
    }
    // Priced exactly when the total is there; a v1 row has no 1-hour or reasoning item.
    if (auto total = money(kColCostTotal)) {
      r.cost.priced = true;
      r.cost.total = *total;
      for (int item = 0; item < kCostItems; ++item) r.cost.item[item] = money(kCostColumns[item]).value_or(0);
    }
    r.tool = text(kColTool);
    r.call_id = text(kColCallId);
    r.input_bytes = integer(kColInputBytes);
    r.output_bytes = integer(kColOutputBytes);
    r.tool_wall_ns = integer(kColToolWallNs).value_or(0);
    r.tool_work_ns = integer(kColToolWorkNs).value_or(0);
    r.model_calls = static_cast<uint64_t>(integer(kColModelCalls).value_or(0));
    r.tool_calls = static_cast<uint64_t>(integer(kColToolCalls).value_or(0));
    r.turn_tokens = integer(kColTurnTokens).value_or(0);
    r.turn_cost = money(kColTurnCost).value_or(0);
    r.tags_json = text(kColTags);

    if (r.kind == RecordKind::kInvocation) {
      InvocationView &inv = r.invocation;
      inv.invocation_id = text(kColInvocationId);
      inv.agent = r.agent;
      inv.task_id = text(kColTaskId);
      inv.model = r.model;
      inv.tier = text(kColTier);
      inv.error_class = text(kColErrorClass);
      inv.phase = integer(kColInvPhase).value_or(0);
      inv.duration_ns = r.duration_ns.value_or(0);
      inv.tokens = integer(kColInvTokens).value_or(0);
      inv.input_tokens = integer(kColInvInputTokens);
      inv.output_tokens = integer(kColInvOutputTokens);
      inv.cached_tokens = integer(kColInvCachedTokens);
      inv.cost = money(kColInvCost).value_or(0);
      inv.exit_code = integer(kColExitCode).value_or(0);
      inv.success = integer(kColSuccess).value_or(0) != 0;
      inv.attempt = r.attempt;
      inv.output_parsed = integer(kColOutputParsed).value_or(0) != 0;
      inv.start_ns = r.ts;
    }
    if (r.kind == RecordKind::kDropped) {
      r.dropped_records = r.model_calls;
      r.last_ts = r.ts + std::max<int64_t>(r.duration_ns.value_or(0), 0);
      r.model_calls = 0;
      r.duration_ns.reset();
    }
    canonicalize(r);
    return ok_;
  }
  // Why load() failed: the first value that could not be loaded.
  const std::string &reason() const { return reason_; }

 private:
  std::string_view text(Column column) {
    auto data = reinterpret_cast<const char *>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) return {};
    const std::string_view value(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
    // A TEXT column takes any bytes; a journal line with invalid UTF-8 does not decode, and
    // neither does such a row (every document and terminal line downstream is UTF-8).
    if (!valid_utf8(value)) {
      fail(column, "is not valid UTF-8");
      return {};
    }
    return value;
  }
  std::optional<int64_t> integer(Column column) {
    switch (sqlite3_column_type(stmt_, column)) {
      case SQLITE_NULL: return std::nullopt;
      case SQLITE_INTEGER: return sqlite3_column_int64(stmt_, column);
      default:
        fail(column, "is not an integer");
        return std::nullopt;  // text or a fraction: not ours to guess
    }
  }
  std::optional<u128> money(Column column) {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    try {
      return money_parse(text(column), kColumnNames[column]);
    } catch (const InvalidArgument &) {
      fail(column, "is not a decimal amount");
      return std::nullopt;
    }
  }
  void fail(Column column, std::string_view why) {
    if (ok_) {
      reason_ = '"';
      reason_ += kColumnNames[column];
      reason_ += "\" ";
      reason_ += why;
    }
    ok_ = false;
  }

  sqlite3_stmt *stmt_;
  bool ok_ = true;
  std::string reason_;
};

std::string insert_sql() {
  std::string names, params;
  for (int column = 0; column < kColumnCount; ++column) {
    if (column != 0) {
      names += ", ";
      params += ", ";
    }
    names += kColumnNames[column];
    params += '?';
    params += std::to_string(column + 1);
  }
  return "INSERT INTO records (" + names + ") VALUES (" + params + ")";
}

int kinds_selected(uint32_t mask) {
  int n = 0;
  for (int kind = 0; kind < kKindCount; ++kind) n += (mask >> kind) & 1u;
  return n;
}

// The WHERE clause for a filter: ?1 from, ?2 to, then the session if any, then one parameter
// per selected kind (none when all kinds are wanted and `all_kinds_unfiltered`).
std::string where_clause(const ScanFilter &filter, uint32_t kinds, bool all_kinds_unfiltered) {
  std::string where = " WHERE ts >= ?1 AND ts < ?2";
  int next = 3;
  if (!filter.session.empty()) {
    where += " AND session = ?";
    where += std::to_string(next++);
  }
  if (kinds != kAllKinds || !all_kinds_unfiltered) {
    // Model and tool calls are most of the rows: reading the ts index in order beats sorting
    // what the (kind, ts) index finds, so "+kind" keeps SQLite off that index for them.
    constexpr uint32_t kBulk =
        (1u << static_cast<int>(RecordKind::kModelCall)) | (1u << static_cast<int>(RecordKind::kToolCall));
    where += (kinds & kBulk) ? " AND +kind IN (" : " AND kind IN (";
    for (int i = 0, n = kinds_selected(kinds); i < n; ++i) {
      where += i == 0 ? "?" : ", ?";
      where += std::to_string(next++);
    }
    where += ")";
  }
  return where;
}

}  // namespace

void SqliteStore::CloseDb::operator()(sqlite3 *db) const {
  sqlite3_close_v2(db);
}
void SqliteStore::FinalizeStatement::operator()(sqlite3_stmt *stmt) const {
  sqlite3_finalize(stmt);
}

// A prepared statement in use; resets it (and drops a temporary one) when done.
class SqliteStore::Lease {
 public:
  Lease(sqlite3_stmt *stmt, Statement owned) : stmt_(stmt), owned_(std::move(owned)) {}
  Lease(Lease &&other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), owned_(std::move(other.owned_)) {}
  Lease &operator=(Lease &&) = delete;
  ~Lease() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  sqlite3_stmt *get() const { return stmt_; }

 private:
  sqlite3_stmt *stmt_;
  Statement owned_;
};

SqliteStore::SqliteStore(const std::string &path, bool read_only) : path_(path), read_only_(read_only) {
  if (read_only) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) throw NotFound(path + ": no such database");
  }
  db_.reset(
      open_database(path, read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  sqlite3 *db = db_.get();
  // The first read tells a database from any other file.
  version_ = read_user_version(db, path_);
  check_version(version_, path_);
  if (read_only) return;

  enable_wal(db, path_);
  exec(db, "PRAGMA synchronous=NORMAL", path_);
  migrate(db, kLatestVersion, path_);
  version_ = kLatestVersion;

  auto prepare = [&](const std::string &sql) {
    sqlite3_stmt *raw = nullptr;
    int rc = sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) throw_sqlite(db, rc, path_, "preparing \"" + sql + "\"");
    return Statement(raw);
  };
  insert_ = prepare(insert_sql());
  begin_ = prepare("BEGIN IMMEDIATE");
  commit_ = prepare("COMMIT");
  rollback_ = prepare("ROLLBACK");
}

SqliteStore::~SqliteStore() = default;

void SqliteStore::create_at_version(const std::string &path, int version) {
  if (version < 0 || version > kLatestVersion) {
    throw InvalidArgument("schema version " + std::to_string(version) + " is not between 0 and " +
                          std::to_string(kLatestVersion));
  }
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) throw InvalidArgument(path + ": already exists");
  std::unique_ptr<sqlite3, CloseDb> db(open_database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  enable_wal(db.get(), path);
  migrate(db.get(), version, path);
}

void SqliteStore::set_synchronous(bool full) {
  if (synchronous_full_ == full) return;
  exec(db_.get(), full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", path_);
  synchronous_full_ = full;
}

void SqliteStore::rollback_if_open() noexcept {
  if (sqlite3_get_autocommit(db_.get()) != 0) return;  // SQLite rolled back already
  sqlite3_step(rollback_.get());
  sqlite3_reset(rollback_.get());
}

void SqliteStore::insert(const RecordView *const *records, size_t count, bool durable) {
  if (read_only_) throw Unsupported(path_ + ": cannot insert into a store opened read-only");
  if (count == 0) return;
  if (records == nullptr) throw InvalidArgument("insert: null record array");
  for (size_t i = 0; i < count; ++i) {
    if (records[i] == nullptr) throw InvalidArgument("insert: record " + std::to_string(i) + " is null");
    if (static_cast<int>(records[i]->kind) >= kKindCount) {
      throw InvalidArgument("insert: record " + std::to_string(i) + " has an unknown kind");
    }
  }
  sqlite3 *db = db_.get();
  // Switched lazily: the mode stays FULL after a durable commit until a non-durable one.
  set_synchronous(durable);
  int rc = sqlite3_step(begin_.get());
  sqlite3_reset(begin_.get());
  if (rc != SQLITE_DONE) throw_sqlite(db, rc, path_, "starting a write transaction");
  sqlite3_stmt *stmt = insert_.get();
  try {
    for (size_t i = 0; i < count; ++i) {
      RecordBinder binder(stmt);
      binder.bind(*records[i]);
      rc = binder.status() != SQLITE_OK ? binder.status() : sqlite3_step(stmt);
      // The views are only borrowed for this step: drop them before returning.
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
      if (rc != SQLITE_DONE) throw_sqlite(db, rc, path_, "inserting a record");
    }
    rc = sqlite3_step(commit_.get());
    sqlite3_reset(commit_.get());
    if (rc != SQLITE_DONE) throw_sqlite(db, rc, path_, "committing");
  } catch (...) {
    rollback_if_open();
    throw;
  }
}

void SqliteStore::set_busy_timeout(int ms) {
  sqlite3_busy_timeout(db_.get(), ms);
}

void SqliteStore::sync() {
  if (read_only_) return;
  // Non-durable commits sit in the WAL, unsynced; checkpointed pages were synced already.
  sqlite3_file *wal = nullptr;
  int rc = sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (rc != SQLITE_OK) throw_sqlite(db_.get(), rc, path_, "finding the write-ahead log");
  if (wal == nullptr || wal->pMethods == nullptr) return;  // not open: nothing written yet
  rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) throw IoError(path_ + ": syncing the write-ahead log: " + sqlite3_errstr(rc));
}

void SqliteStore::refresh_empty_version() const {
  // A reader may open a file before its creator has migrated it.
  if (version_ != 0) return;
  version_ = read_user_version(db_.get(), path_);
  check_version(version_, path_);
}

SqliteStore::Lease SqliteStore::lease(const std::string &sql) const {
  auto prepare = [&](unsigned flags) {
    sqlite3_stmt *raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), -1, flags, &raw, nullptr);
    if (rc != SQLITE_OK) throw_sqlite(db_.get(), rc, path_, "preparing a query");
    return Statement(raw);
  };
  auto found = queries_.find(sql);
  if (found == queries_.end()) {
    found = queries_.emplace(sql, prepare(SQLITE_PREPARE_PERSISTENT)).first;
  } else if (sqlite3_stmt_busy(found->second.get())) {
    Statement temporary = prepare(0);
    sqlite3_stmt *stmt = temporary.get();
    return Lease(stmt, std::move(temporary));
  }
  return Lease(found->second.get(), nullptr);
}

namespace {

void bind_filter(sqlite3_stmt *stmt, const ScanFilter &filter, uint32_t kinds) {
  sqlite3_bind_int64(stmt, 1, filter.from);
  sqlite3_bind_int64(stmt, 2, filter.to);
  int next = 3;
  if (!filter.session.empty()) {
    sqlite3_bind_text64(stmt, next++, filter.session.data(), filter.session.size(), SQLITE_STATIC,
                        SQLITE_UTF8);
  }
  // A scan of all kinds has no kind parameters.
  for (int kind = 0; kind < kKindCount && next <= sqlite3_bind_parameter_count(stmt); ++kind) {
    if ((kinds >> kind) & 1u) {
      std::string_view name = kind_name(static_cast<RecordKind>(kind));
      sqlite3_bind_text64(stmt, next++, name.data(), name.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
  }
}

}  // namespace

void SqliteStore::scan(const ScanFilter &filter, const std::function<void(const RecordView &)> &fn) const {
  skipped_rows_ = 0;
  skipped_.clear();
  last_read_id_ = 0;
  refresh_empty_version();
  const uint32_t kinds = filter.kinds & kAllKinds;
  if (version_ == 0 || kinds == 0 || filter.from >= filter.to) return;

  // All kinds: no kind condition, so rows of unknown kinds are read and counted as skipped.
  // Everything: no condition at all, so a row whose ts is not an integer is read (and skipped).
  const bool everything =
      kinds == kAllKinds && filter.from == INT64_MIN && filter.to == INT64_MAX && filter.session.empty();
  Lease lease = this->lease(select_columns() + (everything ? "" : where_clause(filter, kinds, true)) +
                            " ORDER BY ts, id");
  sqlite3_stmt *stmt = lease.get();
  if (!everything) bind_filter(stmt, filter, kinds);
  read_rows(stmt, [&](int64_t, const RecordView &r) { fn(r); });
}

// Columns newer than the file's schema (read-only stores) read as NULL; the row id comes last.
std::string SqliteStore::select_columns() const {
  std::string sql = "SELECT ";
  for (int column = 0; column < kColumnCount; ++column) {
    sql += column_version(column) <= version_ ? kColumnNames[column] : "NULL";
    sql += ", ";
  }
  return sql + "id FROM records";
}

void SqliteStore::read_rows(sqlite3_stmt *stmt,
                            const std::function<void(int64_t, const RecordView &)> &fn) const {
  RecordView record;
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw_sqlite(db_.get(), rc, path_, "reading records");
    RowReader reader(stmt);
    const int64_t id = sqlite3_column_int64(stmt, kColumnCount);
    last_read_id_ = id;
    if (reader.load(record)) {
      fn(id, record);
    } else {
      ++skipped_rows_;
      if (skipped_.size() < kMaxSkippedDetails) skipped_.push_back({id, reader.reason()});
    }
  }
}

void SqliteStore::scan_after(int64_t after_id, int64_t limit,
                             const std::function<void(int64_t, const RecordView &)> &fn) const {
  skipped_rows_ = 0;
  skipped_.clear();
  last_read_id_ = 0;
  refresh_empty_version();
  if (version_ == 0) return;
  Lease lease = this->lease(select_columns() + " WHERE id > ?1 ORDER BY id LIMIT ?2");
  sqlite3_bind_int64(lease.get(), 1, after_id);
  sqlite3_bind_int64(lease.get(), 2, limit);
  read_rows(lease.get(), fn);
}

int64_t SqliteStore::last_id() const {
  refresh_empty_version();
  if (version_ == 0) return 0;
  Lease lease = this->lease("SELECT COALESCE(MAX(id), 0) FROM records");
  const int rc = sqlite3_step(lease.get());
  if (rc != SQLITE_ROW) throw_sqlite(db_.get(), rc, path_, "reading records");
  return sqlite3_column_int64(lease.get(), 0);
}

uint64_t SqliteStore::count(const ScanFilter &filter) const {
  refresh_empty_version();
  const uint32_t kinds = filter.kinds & kAllKinds;
  if (version_ == 0 || kinds == 0 || filter.from >= filter.to) return 0;
  Lease lease = this->lease("SELECT COUNT(*) FROM records" + where_clause(filter, kinds, false));
  sqlite3_stmt *stmt = lease.get();
  bind_filter(stmt, filter, kinds);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) throw_sqlite(db_.get(), rc, path_, "counting records");
  return static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
}

}  // namespace agentmetrics
