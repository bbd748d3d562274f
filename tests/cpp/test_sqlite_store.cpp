// The SQLite store: round trips of every field, migrations, errors, filters, concurrency and
// failed commits.
#include <agentmetrics/metrics_c.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "errors.hpp"
#include "money.hpp"
#include "record.hpp"
#include "sqlite_store.hpp"
#include "store_helpers.hpp"

namespace agentmetrics {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed at the end.
class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agm-sqlite-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string &name = "metrics.db") const { return (dir_ / name).string(); }

  fs::path dir_;
};

// A plain connection, for what SQL users and older versions do.
class RawDb {
 public:
  explicit RawDb(const std::string &path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) ADD_FAILURE() << sqlite3_errmsg(db_);
    sqlite3_busy_timeout(db_, 10000);
  }
  ~RawDb() { sqlite3_close(db_); }
  void exec(const std::string &sql) {
    char *error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << (error ? error : "?");
    }
    sqlite3_free(error);
  }
  // The first column of the first row as text ("NULL" for NULL).
  std::string query(const std::string &sql) {
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return "";
    }
    std::string result = "no row";
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      auto text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0));
      result = text ? text : "NULL";
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3 *db_ = nullptr;
};

// Every field of a record, with presence, as text: equal text means an exact round trip.
std::string describe(const RecordView &r) {
  std::ostringstream out;
  auto str = [&](const char *name, std::string_view v) { out << name << "=\"" << v << "\" "; };
  auto opt = [&](const char *name, const std::optional<int64_t> &v) {
    out << name << "=";
    if (v) {
      out << *v << " ";
    } else {
      out << "absent ";
    }
  };
  auto money = [&](const char *name, u128 v) { out << name << "=" << money_to_decimal(v) << " "; };
  out << "kind=" << kind_name(r.kind) << " ts=" << r.ts << " ";
  str("session", r.session);
  str("agent", r.agent);
  str("phase", r.phase);
  str("task", r.task);
  out << "turn=" << r.turn << " error=" << r.error << " ";
  str("error_type", r.error_type);
  str("error_message", r.error_message);
  opt("duration_ns", r.duration_ns);
  str("model", r.model);
  str("provider", r.provider);
  str("source", r.source);
  str("stop_reason", r.stop_reason);
  out << "attempt=" << r.attempt << " ";
  opt("ttft_ns", r.ttft_ns);
  out << "usage=[";
  for (int k = 0; k < kTokenKinds; ++k) {
    if (r.usage.has(static_cast<TokenKind>(k))) {
      out << r.usage.get(static_cast<TokenKind>(k));
    } else {
      out << "-";
    }
    out << (k + 1 < kTokenKinds ? "," : "] ");
  }
  out << "present=" << r.usage.present << " priced=" << r.cost.priced << " cost=[";
  for (int i = 0; i < kCostItems; ++i) out << money_to_decimal(r.cost.item[i]) << ",";
  out << money_to_decimal(r.cost.total) << "] ";
  str("tool", r.tool);
  str("call_id", r.call_id);
  opt("input_bytes", r.input_bytes);
  opt("output_bytes", r.output_bytes);
  out << "tool_wall_ns=" << r.tool_wall_ns << " tool_work_ns=" << r.tool_work_ns
      << " model_calls=" << r.model_calls << " tool_calls=" << r.tool_calls
      << " turn_tokens=" << r.turn_tokens << " ";
  money("turn_cost", r.turn_cost);
  str("tags", r.tags_json);
  const InvocationView &inv = r.invocation;
  out << "| ";
  str("invocation_id", inv.invocation_id);
  str("inv.agent", inv.agent);
  str("task_id", inv.task_id);
  str("inv.model", inv.model);
  str("tier", inv.tier);
  str("error_class", inv.error_class);
  out << "inv.phase=" << inv.phase << " inv.duration_ns=" << inv.duration_ns << " inv.tokens=" << inv.tokens
      << " ";
  opt("inv.input_tokens", inv.input_tokens);
  opt("inv.output_tokens", inv.output_tokens);
  opt("inv.cached_tokens", inv.cached_tokens);
  money("inv.cost", inv.cost);
  out << "exit_code=" << inv.exit_code << " success=" << inv.success << " inv.attempt=" << inv.attempt
      << " output_parsed=" << inv.output_parsed << " start_ns=" << inv.start_ns;
  return out.str();
}

std::vector<std::string> scan_all(const SqliteStore &store, const ScanFilter &filter = {}) {
  std::vector<std::string> seen;
  store.scan(filter, [&](const RecordView &r) { seen.push_back(describe(r)); });
  return seen;
}

void insert_all(SqliteStore &store, const std::vector<RecordView> &records, bool durable = false) {
  std::vector<const RecordView *> pointers;
  for (const RecordView &r : records) pointers.push_back(&r);
  store.insert(pointers.data(), pointers.size(), durable);
}

ScanFilter make_filter(int64_t from = INT64_MIN, int64_t to = INT64_MAX, uint32_t kinds = ~0u,
                       std::string_view session = {}) {
  ScanFilter filter;
  filter.from = from;
  filter.to = to;
  filter.kinds = kinds;
  filter.session = session;
  return filter;
}

u128 usd(const char *decimal) {
  return money_parse(decimal, "test");
}

// One record of each shape, every field set or every field missing.
std::vector<RecordView> every_kind() {
  std::vector<RecordView> records;

  RecordView full_call;
  full_call.kind = RecordKind::kModelCall;
  full_call.ts = 1'763'805'600'123'456'789;
  full_call.session = "s-1";
  full_call.agent = "planner";
  full_call.phase = "design";
  full_call.task = "naïve — λ task";
  full_call.turn = 3;
  full_call.error = true;
  full_call.error_type = "rate_limit";
  full_call.error_message = "slow down";
  full_call.duration_ns = 1'500'000'000;
  full_call.model = "claude-sonnet-4-5";
  full_call.provider = "anthropic";
  full_call.source = "agent";
  full_call.stop_reason = "end_turn";
  full_call.attempt = 2;
  full_call.ttft_ns = 250'000'000;
  full_call.usage.set(kInput, 1200);
  full_call.usage.set(kCacheRead, 5000);
  full_call.usage.set(kCacheWrite, 800);
  full_call.usage.set(kCacheWrite1h, 300);
  full_call.usage.set(kOutput, 400);
  full_call.usage.set(kReasoning, 150);
  full_call.usage.set(kTotal, 7400);
  full_call.cost.priced = true;
  full_call.cost.item[kCostInput] = usd("0.0036");
  full_call.cost.item[kCostCacheRead] = usd("0.0015");
  full_call.cost.item[kCostCacheWrite5m] = usd("0.001875");
  full_call.cost.item[kCostCacheWrite1h] = usd("0.0018");
  full_call.cost.item[kCostOutput] = usd("0.006");
  full_call.cost.item[kCostReasoning] = usd("0.000000000000000001");
  full_call.cost.total = usd("0.014775");
  records.push_back(full_call);

  RecordView bare_call;  // no usage, unpriced, no labels
  bare_call.kind = RecordKind::kModelCall;
  bare_call.ts = 1'763'805'600'200'000'000;
  records.push_back(bare_call);

  RecordView partial_call;  // some usage kinds missing, priced at zero
  partial_call.kind = RecordKind::kModelCall;
  partial_call.ts = 1'763'805'600'250'000'000;
  partial_call.model = "local";
  partial_call.usage.set(kOutput, 0);
  partial_call.cost.priced = true;
  records.push_back(partial_call);

  RecordView tool;
  tool.kind = RecordKind::kToolCall;
  tool.ts = 1'763'805'600'300'000'000;
  tool.session = "s-1";
  tool.turn = 3;
  tool.tool = "bash";
  tool.call_id = "call-7";
  tool.error = true;
  tool.error_type = "timeout";
  tool.error_message = "killed after 30 s";
  tool.duration_ns = 30'000'000'000;
  tool.input_bytes = 0;
  tool.output_bytes = 123'456;
  records.push_back(tool);

  RecordView bare_tool;
  bare_tool.kind = RecordKind::kToolCall;
  bare_tool.ts = 1'763'805'600'350'000'000;
  bare_tool.tool = "read";
  records.push_back(bare_tool);

  RecordView turn;
  turn.kind = RecordKind::kTurn;
  turn.ts = 1'763'805'600'400'000'000;
  turn.session = "s-1";
  turn.agent = "planner";
  turn.turn = 3;
  turn.duration_ns = 45'000'000'000;
  turn.tool_wall_ns = 30'000'000'000;
  turn.tool_work_ns = 31'000'000'000;
  turn.model_calls = 2;
  turn.tool_calls = UINT64_MAX;  // the unsigned range survives the signed column
  turn.turn_tokens = 7400;
  turn.turn_cost = u128{1} << 100;
  records.push_back(turn);

  RecordView empty_turn;  // a turn's counters are stored even at 0
  empty_turn.kind = RecordKind::kTurn;
  empty_turn.ts = 1'763'805'600'450'000'000;
  records.push_back(empty_turn);

  RecordView session;
  session.kind = RecordKind::kSession;
  session.ts = -5;  // before the epoch
  session.session = "s-1";
  session.agent = "planner";
  session.phase = "design";
  session.task = "t";
  session.tags_json = R"({"team":"core","run":"7"})";
  records.push_back(session);

  RecordView invocation;
  invocation.kind = RecordKind::kInvocation;
  invocation.ts = 1'763'805'600'500'000'000;
  invocation.session = "s-1";
  InvocationView &inv = invocation.invocation;
  inv.invocation_id = "inv-1";
  inv.agent = "coder";
  inv.task_id = "task-9";
  inv.model = "gpt-5";
  inv.tier = "high";
  inv.error_class = "parse";
  inv.phase = 4;
  inv.duration_ns = 9'000'000'000;
  inv.tokens = 5000;
  inv.input_tokens = 4000;
  inv.output_tokens = 1000;
  inv.cached_tokens = 0;
  inv.cost = usd("0.125");
  inv.exit_code = -1;
  inv.success = true;
  inv.attempt = 3;
  inv.output_parsed = true;
  inv.start_ns = invocation.ts;
  // The record's copies of the shared fields (what loading fills in).
  invocation.agent = inv.agent;
  invocation.model = inv.model;
  invocation.duration_ns = inv.duration_ns;
  invocation.attempt = inv.attempt;
  records.push_back(invocation);

  RecordView bare_invocation;
  bare_invocation.kind = RecordKind::kInvocation;
  bare_invocation.ts = 1'763'805'600'600'000'000;
  bare_invocation.invocation.start_ns = bare_invocation.ts;
  bare_invocation.duration_ns = 0;
  records.push_back(bare_invocation);
  return records;
}

TEST_F(SqliteTest, SqliteRoundTripsEveryKindAndEveryField) {
  const std::vector<RecordView> records = every_kind();
  std::vector<std::string> expected;
  // Read back as stored, with the labels the reader gives a model call that has none
  // (canonicalize: model "unknown", source "agent").
  for (RecordView r : records) {
    canonicalize(r);
    expected.push_back(describe(r));
  }
  {
    SqliteStore store(path());
    EXPECT_EQ(store.schema_version(), 2);
    insert_all(store, records, true);
  }
  SqliteStore store(path());
  std::vector<std::string> loaded = scan_all(store);
  // The session (ts -5) sorts first; the rest were inserted in ts order.
  ASSERT_EQ(loaded.size(), records.size());
  EXPECT_EQ(loaded[0], expected[7]);
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(loaded[i + 1], expected[i]) << "record " << i;
  for (size_t i = 8; i < records.size(); ++i) EXPECT_EQ(loaded[i], expected[i]) << "record " << i;
  EXPECT_EQ(store.skipped_rows(), 0u);
  EXPECT_EQ(store.count({}), records.size());

  // What SQL users see: NULL for missing, exact decimals, the REAL copy and the views.
  RawDb raw(path());
  EXPECT_EQ(raw.query("SELECT cost_total || '|' || cost_usd FROM records WHERE id = 1"), "0.014775|0.014775");
  EXPECT_EQ(raw.query("SELECT COUNT(*) FROM records WHERE id = 2 AND input_tokens IS NULL AND"
                      " total_tokens IS NULL AND cost_total IS NULL AND cost_input IS NULL AND"
                      " session IS NULL AND duration_ns IS NULL AND error = 0 AND attempt = 1"),
            "1");
  EXPECT_EQ(
      raw.query("SELECT COUNT(*) FROM records WHERE id = 3 AND input_tokens IS NULL AND output_tokens = 0"
                " AND cost_total = '0' AND turn_tokens IS NULL AND inv_cost IS NULL"),
      "1");
  EXPECT_EQ(raw.query("SELECT COUNT(*) FROM model_calls"), "3");
  EXPECT_EQ(raw.query("SELECT COUNT(*) FROM tool_calls"), "2");
  EXPECT_EQ(raw.query("SELECT tokens || '|' || model_calls FROM turns WHERE ts = 1763805600450000000"),
            "0|0");
  EXPECT_EQ(raw.query("SELECT tags FROM sessions"), R"({"team":"core","run":"7"})");
  EXPECT_EQ(raw.query("SELECT agent || '|' || model || '|' || phase || '|' || cost FROM invocations"
                      " WHERE invocation_id = 'inv-1'"),
            "coder|gpt-5|4|0.125");
}

TEST_F(SqliteTest, SqliteVersion1DatabaseLoadsAndMigrates) {
  SqliteStore::create_at_version(path(), 1);
  {
    RawDb raw(path());
    EXPECT_EQ(raw.query("PRAGMA user_version"), "1");
    EXPECT_EQ(raw.query("SELECT COUNT(*) FROM pragma_table_info('records') WHERE name = 'ttft_ns'"), "0");
    raw.exec(
        "INSERT INTO records (kind, ts, session, model, input_tokens, output_tokens, cost_input,"
        " cost_cache_read, cost_cache_write_5m, cost_output, cost_total)"
        " VALUES ('model_call', 20, 's', 'm', 10, 5, '0.1', '0', '0', '0.2', '0.3')");
    raw.exec("INSERT INTO records (kind, ts) VALUES ('tool_call', 10)");
    raw.exec("INSERT INTO records (kind, ts) VALUES ('turn', 30)");
    raw.exec("INSERT INTO records (kind, ts, tags) VALUES ('session', 5, '{}')");
  }
  RecordView call;
  call.kind = RecordKind::kModelCall;
  call.ts = 20;
  call.session = "s";
  call.model = "m";
  call.usage.set(kInput, 10);
  call.usage.set(kOutput, 5);
  call.cost.priced = true;
  call.cost.item[kCostInput] = usd("0.1");
  call.cost.item[kCostOutput] = usd("0.2");
  call.cost.total = usd("0.3");
  RecordView tool;
  tool.kind = RecordKind::kToolCall;
  tool.ts = 10;
  RecordView turn;
  turn.kind = RecordKind::kTurn;
  turn.ts = 30;
  RecordView session;
  session.kind = RecordKind::kSession;
  session.ts = 5;
  session.tags_json = "{}";
  RecordView read_call = call;  // the row has no source: read as the recorder's "agent"
  canonicalize(read_call);
  const std::vector<std::string> expected = {describe(session), describe(tool), describe(read_call),
                                             describe(turn)};

  {
    // Read-only: read as it is, not migrated.
    SqliteStore reader(path(), true);
    EXPECT_EQ(reader.schema_version(), 1);
    EXPECT_EQ(scan_all(reader), expected);
    EXPECT_EQ(reader.count({}), 4u);
    EXPECT_THROW(insert_all(reader, {call}), Unsupported);
  }
  EXPECT_EQ(RawDb(path()).query("PRAGMA user_version"), "1");

  SqliteStore store(path());
  EXPECT_EQ(store.schema_version(), 2);
  EXPECT_EQ(RawDb(path()).query("PRAGMA user_version"), "2");
  EXPECT_EQ(scan_all(store), expected);
  EXPECT_EQ(store.skipped_rows(), 0u);
  std::vector<RecordView> fresh = every_kind();
  insert_all(store, fresh);
  EXPECT_EQ(store.count({}), 4 + fresh.size());
  EXPECT_EQ(RawDb(path()).query("SELECT COUNT(*) FROM invocations"), "2");
}

TEST_F(SqliteTest, SqliteOpenRejectsANewerSchema) {
  {
    RawDb raw(path());
    raw.exec("CREATE TABLE records (id INTEGER PRIMARY KEY)");
    raw.exec("PRAGMA user_version = 99");
  }
  for (bool read_only : {false, true}) {
    try {
      SqliteStore store(path(), read_only);
      ADD_FAILURE() << "opened a version 99 database";
    } catch (const Unsupported &e) {
      EXPECT_NE(std::string(e.what()).find("schema version 99 is newer than this library supports (2)"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(RawDb(path()).query("PRAGMA user_version"), "99");
}

TEST_F(SqliteTest, SqliteOpenRejectsAFileThatIsNotADatabase) {
  std::ofstream(path("notes.txt")) << "this is a plain text file, not a database\n" << std::string(4096, 'x');
  for (bool read_only : {false, true}) {
    try {
      SqliteStore store(path("notes.txt"), read_only);
      ADD_FAILURE() << "opened a text file";
    } catch (const Corrupt &e) {
      EXPECT_NE(std::string(e.what()).find(path("notes.txt")), std::string::npos) << e.what();
    }
  }
}

TEST_F(SqliteTest, SqliteOpenReadOnlyMissingIsNotFound) {
  EXPECT_THROW(SqliteStore(path("missing.db"), true), NotFound);
  EXPECT_FALSE(fs::exists(path("missing.db")));
}

TEST_F(SqliteTest, SqliteOpenInAMissingFolderIsIoError) {
  const std::string where = path("no/such/folder/metrics.db");
  try {
    SqliteStore store(where);
    ADD_FAILURE() << "created a database in a missing folder";
  } catch (const IoError &e) {
    EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
  }
}

TEST_F(SqliteTest, SqliteOpenReadOnlyReadsAClosedDatabase) {
  std::vector<RecordView> records = every_kind();
  { SqliteStore(path()).insert(nullptr, 0, false); }
  {
    SqliteStore writer(path());
    insert_all(writer, records);
  }
  SqliteStore reader(path(), true);
  EXPECT_EQ(reader.count({}), records.size());
  SqliteStore writer(path());
  insert_all(writer, records);
  EXPECT_EQ(reader.count({}), 2 * records.size());  // sees later commits
}

TEST_F(SqliteTest, SqliteScanFiltersAndCounts) {
  SqliteStore store(path());
  std::vector<RecordView> records;
  std::vector<std::string> names;
  // Out of ts order on purpose, with ties broken by insertion order.
  const struct {
    RecordKind kind;
    int64_t ts;
    const char *session;
  } rows[] = {
      {RecordKind::kModelCall, 30, "a"}, {RecordKind::kToolCall, 10, "b"}, {RecordKind::kModelCall, 20, "a"},
      {RecordKind::kTurn, 20, "b"},      {RecordKind::kSession, 0, "a"},   {RecordKind::kInvocation, 40, ""},
      {RecordKind::kModelCall, 20, ""},
  };
  for (size_t i = 0; i < std::size(rows); ++i) names.push_back("id-" + std::to_string(i));
  for (size_t i = 0; i < std::size(rows); ++i) {
    RecordView r;
    r.kind = rows[i].kind;
    r.ts = rows[i].ts;
    r.session = rows[i].session;
    r.call_id = names[i];
    records.push_back(r);
  }
  insert_all(store, records);

  auto ids = [&](const ScanFilter &filter) {
    std::string seen;
    store.scan(filter, [&](const RecordView &r) { seen += std::string(r.call_id.substr(3)) + " "; });
    EXPECT_EQ(store.count(filter), static_cast<uint64_t>(seen.size() / 2)) << seen;
    return seen;
  };
  auto bit = [](RecordKind kind) { return 1u << static_cast<int>(kind); };
  EXPECT_EQ(ids({}), "4 1 2 3 6 0 5 ");
  EXPECT_EQ(ids(make_filter(10, 30)), "1 2 3 6 ");  // from inclusive, to exclusive
  EXPECT_EQ(ids(make_filter(21)), "0 5 ");
  EXPECT_EQ(ids(make_filter(INT64_MIN, 0)), "");
  EXPECT_EQ(ids(make_filter(30, 30)), "");
  EXPECT_EQ(ids(make_filter(INT64_MIN, INT64_MAX, bit(RecordKind::kModelCall))), "2 6 0 ");
  EXPECT_EQ(ids(make_filter(INT64_MIN, INT64_MAX, bit(RecordKind::kTurn) | bit(RecordKind::kSession))),
            "4 3 ");
  EXPECT_EQ(ids(make_filter(INT64_MIN, INT64_MAX, bit(RecordKind::kInvocation))), "5 ");
  EXPECT_EQ(ids(make_filter(INT64_MIN, INT64_MAX, 0)), "");
  EXPECT_EQ(ids(make_filter(INT64_MIN, INT64_MAX, ~0u, "a")), "4 2 0 ");
  EXPECT_EQ(ids(make_filter(INT64_MIN, INT64_MAX, ~0u, "nobody")), "");
  EXPECT_EQ(ids(make_filter(15, INT64_MAX, bit(RecordKind::kModelCall), "a")), "2 0 ");
  EXPECT_EQ(ids(make_filter(15, 25, bit(RecordKind::kTurn) | bit(RecordKind::kToolCall), "b")), "3 ");

  // The callback may query the same store.
  uint64_t inner = 0;
  store.scan({},
             [&](const RecordView &) { inner += store.count(make_filter(INT64_MIN, INT64_MAX, ~0u, "a")); });
  EXPECT_EQ(inner, 7u * 3u);
}

TEST_F(SqliteTest, SqliteScanSkipsRowsItCannotLoadAndCountsThem) {
  SqliteStore store(path());
  insert_all(store, every_kind());
  {
    RawDb raw(path());
    raw.exec("INSERT INTO records (kind, ts) VALUES ('mystery', 1)");
    raw.exec("INSERT INTO records (kind, ts, cost_total) VALUES ('model_call', 2, 'twelve dollars')");
    raw.exec("INSERT INTO records (kind, ts, turn) VALUES ('turn', 3, 'third')");
    raw.exec("INSERT INTO records (kind, ts, inv_cost) VALUES ('invocation', 4, '-1')");
  }
  const size_t good = every_kind().size();
  EXPECT_EQ(scan_all(store).size(), good);
  EXPECT_EQ(store.skipped_rows(), 4u);
  EXPECT_EQ(store.count({}), good + 3);  // an unknown kind is not counted; contents are not checked

  EXPECT_EQ(scan_all(store, make_filter(INT64_MIN, INT64_MAX, 1u << static_cast<int>(RecordKind::kModelCall)))
                .size(),
            3u);
  EXPECT_EQ(store.skipped_rows(), 1u);
  EXPECT_EQ(scan_all(store, make_filter(5)).size(), good - 1);  // past the bad rows and the session
  EXPECT_EQ(store.skipped_rows(), 0u);
}

TEST_F(SqliteTest, SqliteConcurrentStoresOnOneFileLoseAndDuplicateNothing) {
  constexpr int kThreads = 4, kPerThread = 2000, kBatch = 100;
  std::atomic<int> ready{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        // All open the new file at once: creation and migration race.
        ++ready;
        while (ready.load() < kThreads) std::this_thread::yield();
        SqliteStore store(path());
        std::vector<std::string> ids(kBatch);
        std::vector<RecordView> batch(kBatch);
        std::vector<const RecordView *> pointers(kBatch);
        for (int start = 0; start < kPerThread; start += kBatch) {
          for (int i = 0; i < kBatch; ++i) {
            ids[i] = std::to_string(t);
            ids[i] += '-';
            ids[i] += std::to_string(start + i);
            batch[i] = RecordView{};
            batch[i].kind = RecordKind::kToolCall;
            batch[i].ts = start + i;
            batch[i].tool = "bash";
            batch[i].call_id = ids[i];
            pointers[i] = &batch[i];
          }
          store.insert(pointers.data(), kBatch, start % 1000 == 0);
        }
      } catch (const std::exception &e) {
        failures[t] = e.what();
      }
    });
  }
  for (std::thread &thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;

  SqliteStore store(path(), true);
  EXPECT_EQ(store.count({}), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(RawDb(path()).query("SELECT COUNT(DISTINCT call_id) FROM records"),
            std::to_string(kThreads * kPerThread));
  int64_t previous = INT64_MIN;
  bool ordered = true;
  store.scan({}, [&](const RecordView &r) {
    ordered = ordered && r.ts >= previous;
    previous = r.ts;
  });
  EXPECT_TRUE(ordered);
}

TEST_F(SqliteTest, SqliteTwoProcessesCreateAndFillOneFile) {
  constexpr int kProcesses = 2, kPerProcess = 1000, kBatch = 100;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int status = 0;
      try {
        SqliteStore store(path());
        std::vector<std::string> ids(kBatch);
        std::vector<RecordView> batch(kBatch);
        std::vector<const RecordView *> pointers(kBatch);
        for (int start = 0; start < kPerProcess; start += kBatch) {
          for (int i = 0; i < kBatch; ++i) {
            ids[i] = std::to_string(p);
            ids[i] += '-';
            ids[i] += std::to_string(start + i);
            batch[i].kind = RecordKind::kToolCall;
            batch[i].ts = start + i;
            batch[i].call_id = ids[i];
            pointers[i] = &batch[i];
          }
          store.insert(pointers.data(), kBatch, false);
        }
      } catch (const std::exception &) {
        status = 1;
      }
      _exit(status);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = -1;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  SqliteStore store(path(), true);
  EXPECT_EQ(store.schema_version(), SqliteStore::kLatestVersion);
  EXPECT_EQ(store.count({}), uint64_t{kProcesses * kPerProcess});
  EXPECT_EQ(RawDb(path()).query("SELECT COUNT(DISTINCT call_id) FROM records"),
            std::to_string(kProcesses * kPerProcess));
}

TEST_F(SqliteTest, SqliteFailedInsertLeavesEarlierCommits) {
  SqliteStore store(path());
  std::vector<RecordView> first = every_kind();
  insert_all(store, first, true);
  // A trigger stands in for a failure half-way through a batch (root ignores file modes).
  RawDb(path()).exec(
      "CREATE TRIGGER poison BEFORE INSERT ON records WHEN NEW.session = 'poison'"
      " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END");
  std::vector<RecordView> batch(100);
  for (RecordView &r : batch) r.ts = 7;
  batch[50].session = "poison";
  for (bool durable : {false, true}) {
    try {
      insert_all(store, batch, durable);
      ADD_FAILURE() << "the poisoned batch went in";
    } catch (const IoError &e) {
      EXPECT_NE(std::string(e.what()).find("poisoned row"), std::string::npos) << e.what();
    }
    EXPECT_EQ(store.count({}), first.size());
  }
  // Bad arguments are refused before anything is written.
  const RecordView *with_null[] = {&batch[0], nullptr};
  EXPECT_THROW(store.insert(with_null, 2, false), InvalidArgument);
  RecordView bad_kind;
  bad_kind.kind = static_cast<RecordKind>(42);
  const RecordView *with_bad_kind[] = {&batch[0], &bad_kind};
  EXPECT_THROW(store.insert(with_bad_kind, 2, false), InvalidArgument);
  EXPECT_EQ(store.count({}), first.size());

  // The store is still usable.
  batch[50].session = "fine";
  insert_all(store, batch);
  EXPECT_EQ(store.count({}), first.size() + batch.size());
}

TEST_F(SqliteTest, SqliteInsertThatRunsOutOfSpaceRollsBack) {
  // A file size limit makes the writes fail as a full disk would, also for root.
  SqliteStore store(path());
  std::vector<RecordView> first = every_kind();
  insert_all(store, first);
  const std::string big(64 * 1024, 'x');
  std::vector<RecordView> batch(200);
  for (RecordView &r : batch) r.error_message = big;

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limit = saved;
  limit.rlim_cur = 1024 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  bool threw_io_error = false;
  try {
    insert_all(store, batch, true);
  } catch (const IoError &) {
    threw_io_error = true;
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);
  EXPECT_TRUE(threw_io_error);
  EXPECT_EQ(store.count({}), first.size());
  EXPECT_EQ(SqliteStore(path(), true).count({}), first.size());

  insert_all(store, batch);
  EXPECT_EQ(store.count({}), first.size() + batch.size());
}

TEST_F(SqliteTest, SqliteSyncIsABarrierForEarlierCommits) {
  SqliteStore store(path());
  store.sync();  // nothing written yet
  insert_all(store, every_kind());
  store.sync();
  insert_all(store, every_kind(), true);
  insert_all(store, every_kind());  // back to unsynced commits
  store.sync();
  SqliteStore reader(path(), true);
  reader.sync();
  EXPECT_EQ(reader.count({}), 3 * every_kind().size());
}

TEST_F(SqliteTest, SqliteCreateAtVersionMakesANewDatabaseOnly) {
  SqliteStore::create_at_version(path(), 2);
  EXPECT_EQ(RawDb(path()).query("PRAGMA user_version"), "2");
  EXPECT_THROW(SqliteStore::create_at_version(path(), 1), InvalidArgument);
  EXPECT_THROW(SqliteStore::create_at_version(path("other.db"), 3), InvalidArgument);
  SqliteStore::create_at_version(path("empty.db"), 0);
  SqliteStore reader(path("empty.db"), true);
  EXPECT_EQ(reader.schema_version(), 0);
  EXPECT_EQ(reader.count({}), 0u);
  EXPECT_TRUE(scan_all(reader).empty());
}

}  // namespace
}  // namespace agentmetrics

namespace agentmetrics {
namespace {

// The malformed count and warnings every whole-store reader of the C ABI reports for `path`.
std::vector<std::string> malformed_counts(const std::string &path) {
  std::vector<std::string> counts;
  agm_history *h = nullptr;
  EXPECT_EQ(agm_history_open(&h, path.c_str()), AGM_OK) << agm_last_error_message();
  auto warnings = [&](const std::string &what) {
    agm_buffer buf{nullptr, 0, nullptr};
    EXPECT_EQ(agm_history_warnings(&buf, h), AGM_OK);
    const std::string doc(buf.data, buf.size);
    agm_buffer_free(&buf);
    const size_t at = doc.find("\"malformed\":");
    counts.push_back(what + " " + doc.substr(at, doc.find(',', at) - at));
  };
  agm_query narrow = AGM_QUERY_INIT;  // a range that holds no bad row
  narrow.period = AGM_PERIOD_RANGE;
  narrow.from_ns = 1763805600000000000 + 2'000'000'000;
  narrow.to_ns = narrow.from_ns + 1;
  for (uint32_t kind = AGM_QUERY_SUMMARY; kind <= AGM_QUERY_INVOCATIONS; ++kind) {
    for (bool all : {true, false}) {
      agm_query q = all ? agm_query(AGM_QUERY_INIT) : narrow;
      q.kind = kind;
      q.name = kind == AGM_QUERY_SESSION ? "s" : nullptr;
      agm_buffer out{nullptr, 0, nullptr};
      const agm_status st = agm_history_query(&out, h, &q);
      agm_buffer_free(&out);
      EXPECT_TRUE(st == AGM_OK || (st == AGM_E_NOT_FOUND && !all))
          << kind << ": " << agm_last_error_message();
      if (st == AGM_OK) warnings("query " + std::to_string(kind) + (all ? "" : " narrow"));
    }
  }
  for (uint32_t format = AGM_EXPORT_OTLP_JSON; format <= AGM_EXPORT_JSON; ++format) {
    agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
    o.format = format;
    EXPECT_EQ(agm_history_export(
                  h, &o, [](void *, const char *, size_t) { return 0; }, nullptr),
              AGM_OK);
    warnings("export " + std::to_string(format));
  }
  agm_buffer page{nullptr, 0, nullptr};
  agm_report_options r = AGM_REPORT_OPTIONS_INIT;
  EXPECT_EQ(agm_history_report_html(&page, h, &r), AGM_OK);
  agm_buffer_free(&page);
  warnings("report");
  agm_history_free(h);

  agm_follow *f = nullptr;
  EXPECT_EQ(agm_follow_open(&f, path.c_str(), AGM_FOLLOW_FROM_START), AGM_OK);
  uint64_t n = 0, malformed = 0;
  do {
    agm_buffer out{nullptr, 0, nullptr};
    EXPECT_EQ(agm_follow_poll(&out, &n, f), AGM_OK);
    agm_buffer_free(&out);
  } while (n > 0);
  EXPECT_EQ(agm_follow_malformed(&malformed, f), AGM_OK);
  agm_follow_free(f);
  counts.push_back("follow \"malformed\":" + std::to_string(malformed));
  return counts;
}

TEST_F(SqliteTest, EveryReaderCountsLinesRecordsAndMalformedAlikeInBothStores) {
  const std::string journal = path() + ".jsonl", database = path();
  {
    agm_recorder *rec = nullptr;
    ASSERT_EQ(agm_recorder_new(&rec, nullptr), AGM_OK);
    agm_store_options o = AGM_STORE_OPTIONS_INIT;
    o.journal = journal.c_str();
    o.database = database.c_str();
    ASSERT_EQ(agm_recorder_open_store(rec, &o), AGM_OK) << agm_last_error_message();
    agm_session *s = nullptr;
    agm_session_options so = AGM_SESSION_OPTIONS_INIT;
    so.session_id = "s";
    ASSERT_EQ(agm_session_new(&s, rec, &so), AGM_OK);
    for (int i = 0; i < 6; ++i) {
      agm_tool_call call = AGM_TOOL_CALL_INIT;
      call.name = "grep";
      call.present = AGM_CALL_HAS_DURATION;
      call.duration_ns = 1000;
      ASSERT_EQ(agm_session_record_tool_call(s, &call), AGM_OK);
    }
    agm_session_free(s);
    ASSERT_EQ(agm_recorder_close_store(rec), AGM_OK);
    agm_recorder_free(rec);
  }
  {
    // Rows no reader can load: of every kind of fault, in and out of any query's range.
    RawDb raw(path());
    raw.exec("INSERT INTO records (kind, ts) VALUES ('mystery', 1)");
    raw.exec("INSERT INTO records (kind, ts, cost_total) VALUES ('model_call', 2, 'twelve dollars')");
    raw.exec("INSERT INTO records (kind, ts, turn) VALUES ('turn', 3, 'third')");
    raw.exec("INSERT INTO records (kind, ts, session) VALUES ('tool_call', 'yesterday', 's')");
    // TEXT takes any bytes: invalid UTF-8 would make every document downstream invalid.
    raw.exec("INSERT INTO records (kind, ts, model) VALUES ('model_call', 5, CAST(X'67707480ff' AS TEXT))");
  }
  std::ofstream(journal, std::ios::app) << "garbage\n{\"v\":99,\"kind\":\"turn\",\"ts\":1}\n"
                                        << "{\"v\":1,\"kind\":\"turn\",\"ts\":\"third\"}\n"
                                        << "{\"v\":1,\"kind\":\"model_call\",\"ts\":5,\"model\":\"gpt\x80\xff\"}\n"
                                        // torn, then ended by the next writer's fresh line (follow
                                        // leaves a last line without its newline for later)
                                        << "{\"v\":1,\"ki\n";

  for (const std::string &store : {path(), journal}) {
    SCOPED_TRACE(store);
    agm_recorder *rec = nullptr;
    ASSERT_EQ(agm_recorder_new(&rec, nullptr), AGM_OK);
    agm_load_report report = AGM_LOAD_REPORT_INIT;
    agm_buffer warnings{nullptr, 0, nullptr};
    ASSERT_EQ(agm_recorder_load(rec, store.c_str(), nullptr, &report, &warnings), AGM_OK);
    const std::string list(warnings.data, warnings.size);
    agm_buffer_free(&warnings);
    agm_recorder_free(rec);
    EXPECT_EQ(report.records, 7u);  // the session and its 6 tool calls
    EXPECT_EQ(report.malformed, 5u);
    EXPECT_EQ(report.lines, report.records + report.malformed);
    // The warnings list every one: the database's by row id (8 to 12), with the reason.
    size_t listed = 0;
    for (size_t at = list.find("\"reason\""); at != std::string::npos; at = list.find("\"reason\"", at + 1))
      ++listed;
    EXPECT_EQ(listed, 5u) << list;
    if (store == path()) {
      EXPECT_EQ(report.first_malformed_line, 8u);
      EXPECT_NE(list.find("\"line\":11,\"reason\":\"\\\"ts\\\" is not an integer\""), std::string::npos)
          << list;
      EXPECT_NE(list.find("unknown record kind \\\"mystery\\\""), std::string::npos) << list;
      EXPECT_NE(list.find("\"line\":12,\"reason\":\"\\\"model\\\" is not valid UTF-8\""), std::string::npos)
          << list;
    }
    for (const std::string &count : malformed_counts(store)) {
      EXPECT_NE(count.find("\"malformed\":5"), std::string::npos) << count;
    }
  }
}

// A database locked by another connection costs a flush one busy timeout, not one per slice
// of the backlog: the records not yet stored stay queued, reported, and are stored once the
// lock goes; a close gives up after one more try, counting them as failed.
class WriteLock {
 public:
  explicit WriteLock(const std::string &path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
  }
  void release() {
    if (!db_) return;
    EXPECT_EQ(sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db_);
    db_ = nullptr;
  }
  ~WriteLock() { release(); }

 private:
  sqlite3 *db_ = nullptr;
};

agm_store_status writer_status(agm_recorder *rec) {
  agm_store_status status = AGM_STORE_STATUS_INIT;
  EXPECT_EQ(agm_recorder_store_status(&status, rec, nullptr), AGM_OK);
  return status;
}

void tool_calls(agm_session *s, int count) {
  for (int i = 0; i < count; ++i) {
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    call.name = "grep";
    call.present = AGM_CALL_HAS_DURATION;
    call.duration_ns = 1000;
    ASSERT_EQ(agm_session_record_tool_call(s, &call), AGM_OK);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(SqliteWriter, AFlushOnALockedDatabaseWaitsOneBusyTimeoutNotOnePerSlice) {
  constexpr int kBusyMs = 400;
  constexpr int kRecords = 5 * 4096 + 100;  // six slices of the writer
  sqlite_busy_timeout_ms = kBusyMs;
  store_test::TempDir dir;
  const std::string db = dir / "locked.db", journal = dir / "locked.jsonl";
  store_test::Recorder rec = store_test::new_recorder();
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  o.database = db.c_str();
  o.journal = journal.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK) << agm_last_error_message();
  agm_session *raw = nullptr;
  ASSERT_EQ(agm_session_new(&raw, rec.get(), nullptr), AGM_OK);
  store_test::Session s(raw);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  const uint64_t stored_before = writer_status(rec.get()).written;

  {
    WriteLock lock(db);
    tool_calls(s.get(), kRecords);
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_IO);
    const double waited = seconds_since(start);
    const std::string message = agm_last_error_message();
    EXPECT_NE(message.find(std::to_string(kRecords) + " records not yet stored: "), std::string::npos)
        << message;
    EXPECT_NE(message.find("database is locked"), std::string::npos) << message;
    // At most the busy wait in progress and the flush's own: six slices used to wait six.
    EXPECT_LT(waited, 2.5 * kBusyMs / 1000.0) << "the flush waited " << waited << " s";
    agm_store_status status = writer_status(rec.get());
    EXPECT_EQ(status.written, stored_before);  // nothing of them in either store yet
    EXPECT_EQ(status.failed, 0u);              // nor lost: still queued
    EXPECT_GT(status.queued_bytes, 0u);
    // Every flush returns, the same way, while the lock stays.
    start = std::chrono::steady_clock::now();
    EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_IO);
    EXPECT_LT(seconds_since(start), 2.5 * kBusyMs / 1000.0);
  }
  // The lock is gone: the records kept are stored, once, in order.
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  agm_store_status status = writer_status(rec.get());
  EXPECT_EQ(status.written, stored_before + kRecords);
  EXPECT_EQ(status.failed, 0u);
  EXPECT_EQ(status.queued_bytes, 0u);

  // Closing with the database locked: one busy wait, then what is left counts as failed.
  {
    WriteLock lock(db);
    tool_calls(s.get(), 2 * 4096);
    s.reset();  // its release record is not a record
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(agm_recorder_close_store(rec.get()), AGM_E_IO);
    EXPECT_LT(seconds_since(start), 2.5 * kBusyMs / 1000.0);
    const std::string message = agm_last_error_message();
    EXPECT_NE(message.find(std::to_string(2 * 4096) + " records were not stored: "), std::string::npos)
        << message;
    EXPECT_NE(message.find("database is locked"), std::string::npos) << message;
  }
  sqlite_busy_timeout_ms = 10000;

  for (const std::string &path : {db, journal}) {
    store_test::Recorder loaded = store_test::new_recorder();
    agm_load_report report = AGM_LOAD_REPORT_INIT;
    ASSERT_EQ(agm_recorder_load(loaded.get(), path.c_str(), nullptr, &report, nullptr), AGM_OK);
    EXPECT_EQ(report.records, stored_before + kRecords) << path;  // each stored exactly once
    EXPECT_EQ(report.malformed, 0u) << path;
  }
}

}  // namespace
}  // namespace agentmetrics
