// Persistence through the public C ABI: the journal and the SQLite store, loads and resume,
// malformed input, invocations, observers and history queries.
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "store_helpers.hpp"

using namespace store_test;

namespace {

void open_store(agm_recorder *rec, const char *journal, const char *database,
                uint32_t policy = AGM_FLUSH_NONE) {
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  o.journal = journal;
  o.database = database;
  o.flush_policy = policy;
  ASSERT_EQ(agm_recorder_open_store(rec, &o), AGM_OK) << agm_last_error_message();
}

Session new_session(agm_recorder *rec, const char *id, const char *agent, const char *phase = nullptr) {
  agm_session *s = nullptr;
  agm_session_options o = AGM_SESSION_OPTIONS_INIT;
  o.session_id = id;
  o.agent = agent;
  o.phase = phase;
  EXPECT_EQ(agm_session_new(&s, rec, &o), AGM_OK) << agm_last_error_message();
  return Session(s);
}

void model_call(agm_session *s, const char *model, int64_t input, int64_t output, int64_t duration_ns,
                bool with_usage = true, bool error = false) {
  agm_usage usage = AGM_USAGE_INIT;
  usage.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT | AGM_USAGE_HAS_CACHE_READ;
  usage.input_tokens = input;
  usage.output_tokens = output;
  usage.cache_read_tokens = input / 2;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  call.model = model;
  call.usage = with_usage ? &usage : nullptr;
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = duration_ns;
  call.outcome = error ? AGM_OUTCOME_ERROR : AGM_OUTCOME_OK;
  call.error_type = error ? "rate_limit" : nullptr;
  ASSERT_FALSE(AGM_FAILED(agm_session_record_model_call(s, &call))) << agm_last_error_message();
}

void tool_call(agm_session *s, const char *name, int64_t duration_ns, const char *error = nullptr) {
  agm_tool_call call = AGM_TOOL_CALL_INIT;
  call.name = name;
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = duration_ns;
  call.outcome = error ? AGM_OUTCOME_ERROR : AGM_OUTCOME_OK;
  call.error_message = error;
  ASSERT_EQ(agm_session_record_tool_call(s, &call), AGM_OK) << agm_last_error_message();
}

// A small agent run: 2 sessions, turns, priced, unpriced and usage-less calls, tool errors.
void scripted_run(agm_recorder *rec, FakeClock &clock) {
  Session a = new_session(rec, "thread-1", "planner", "plan");
  ASSERT_EQ(agm_session_turn_begin(a.get(), nullptr), AGM_OK);
  clock.now += 2'000'000'000;
  model_call(a.get(), "gpt-4o", 1200, 300, 2'000'000'000);
  tool_call(a.get(), "web_search", 700'000'000);
  tool_call(a.get(), "web_search", 9'000'000'000, "timeout after 9s");
  model_call(a.get(), "claude-sonnet-4-5-20250929", 5000, 800, 6'000'000'000);
  model_call(a.get(), "my-private-model", 10, 10, 1'000'000);
  clock.now += 1'000'000'000;
  model_call(a.get(), "gpt-4o", 0, 0, 500'000'000, false, true);
  clock.now += 20'000'000'000;
  ASSERT_EQ(agm_session_turn_end(a.get(), nullptr), AGM_OK);
  Session b = new_session(rec, "thread-2", "coder", "build");
  clock.now += 86'400'000'000'000;  // the next day
  model_call(b.get(), "gpt-4o", 100, 50, 300'000'000);
  tool_call(b.get(), "run_tests", 12'000'000'000);
}

bool same_totals(const agm_totals &a, const agm_totals &b) {
  return a.model_calls == b.model_calls && a.calls_missing_usage == b.calls_missing_usage &&
         a.calls_unpriced == b.calls_unpriced && a.model_errors == b.model_errors &&
         a.tool_calls == b.tool_calls && a.tool_errors == b.tool_errors && a.turns == b.turns &&
         a.input_tokens == b.input_tokens && a.cache_read_tokens == b.cache_read_tokens &&
         a.output_tokens == b.output_tokens && a.total_tokens == b.total_tokens &&
         std::memcmp(&a.cost, &b.cost, sizeof a.cost) == 0;
}

agm_totals totals(const agm_recorder *rec) {
  agm_totals t = AGM_TOTALS_INIT;
  EXPECT_EQ(agm_recorder_totals(&t, rec), AGM_OK);
  return t;
}

agm_totals load_totals(const std::string &path, agm_load_report *report = nullptr,
                       const agm_load_options *options = nullptr) {
  Recorder rec = new_recorder();
  EXPECT_EQ(agm_recorder_load(rec.get(), path.c_str(), options, report, nullptr), AGM_OK)
      << agm_last_error_message();
  return totals(rec.get());
}

std::string query(agm_history *h, uint32_t kind, const char *name = nullptr, int32_t group_by = 0) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = kind;
  q.name = name;
  q.group_by = group_by;
  Buffer out;
  EXPECT_EQ(agm_history_query(out.get(), h, &q), AGM_OK) << agm_last_error_message();
  return out.str();
}

}  // namespace

TEST(Store, JournalAndDatabaseKeepEveryRecordAndLoadToTheSameTotals) {
  TempDir dir;
  FakeClock clock;
  const agm_recorder_options options = clock_options(clock);
  Recorder rec = new_recorder(&options);
  const std::string journal = dir / "runs/metrics.jsonl", database = dir / "runs/metrics.db";
  open_store(rec.get(), journal.c_str(), database.c_str());
  scripted_run(rec.get(), clock);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  const agm_totals live = totals(rec.get());
  EXPECT_EQ(live.model_calls, 5u);
  EXPECT_EQ(live.calls_missing_usage, 1u);
  EXPECT_EQ(live.calls_unpriced, 1u);

  agm_store_status status = AGM_STORE_STATUS_INIT;
  Buffer last_error;
  ASSERT_EQ(agm_recorder_store_status(&status, rec.get(), last_error.get()), AGM_OK);
  // 2 sessions + 5 model calls + 3 tool calls + 1 turn
  EXPECT_EQ(status.queued, 11u);
  EXPECT_EQ(status.written, 11u);
  EXPECT_EQ(status.failed, 0u);
  EXPECT_EQ(last_error.str(), "");

  for (const std::string &path : {journal, database}) {
    SCOPED_TRACE(path);
    agm_load_report report = AGM_LOAD_REPORT_INIT;
    EXPECT_TRUE(same_totals(load_totals(path, &report), live));
    EXPECT_EQ(report.records, 11u);
    EXPECT_EQ(report.malformed, 0u);
    uint64_t count = 0;
    EXPECT_EQ(agm_store_count(&count, path.c_str()), AGM_OK);
    EXPECT_EQ(count, 11u);
  }
  // The journal is one JSON object per line, with the schema version first.
  const std::string text = read_text(journal);
  EXPECT_EQ(text.rfind("{\"v\":1,\"kind\":\"session\"", 0), 0u) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 11);
}

TEST(Store, BreakdownsAndDurationsSurviveALoad) {
  TempDir dir;
  FakeClock clock;
  const agm_recorder_options options = clock_options(clock);
  Recorder rec = new_recorder(&options);
  open_store(rec.get(), (dir / "m.jsonl").c_str(), nullptr);
  scripted_run(rec.get(), clock);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK);
  Recorder loaded = new_recorder();
  ASSERT_EQ(agm_recorder_load(loaded.get(), (dir / "m.jsonl").c_str(), nullptr, nullptr, nullptr), AGM_OK);
  for (int32_t by : {AGM_BY_MODEL, AGM_BY_TOOL, AGM_BY_AGENT, AGM_BY_PHASE, AGM_BY_SESSION}) {
    SCOPED_TRACE(by);
    agm_breakdown *x = nullptr, *y = nullptr;
    ASSERT_EQ(agm_recorder_breakdown(&x, rec.get(), by), AGM_OK);
    ASSERT_EQ(agm_recorder_breakdown(&y, loaded.get(), by), AGM_OK);
    ASSERT_EQ(agm_breakdown_count(x), agm_breakdown_count(y));
    for (size_t i = 0; i < agm_breakdown_count(x); ++i) {
      EXPECT_STREQ(agm_breakdown_key(x, i), agm_breakdown_key(y, i));
      agm_totals tx = AGM_TOTALS_INIT, ty = AGM_TOTALS_INIT;
      agm_breakdown_totals(&tx, x, i);
      agm_breakdown_totals(&ty, y, i);
      EXPECT_TRUE(same_totals(tx, ty)) << agm_breakdown_key(x, i);
      for (int32_t kind : {AGM_DURATION_MODEL_CALL, AGM_DURATION_TOOL_CALL, AGM_DURATION_TURN}) {
        agm_duration_stats dx = AGM_DURATION_STATS_INIT, dy = AGM_DURATION_STATS_INIT;
        agm_breakdown_durations(&dx, x, i, kind);
        agm_breakdown_durations(&dy, y, i, kind);
        EXPECT_EQ(dx.count, dy.count);
        EXPECT_EQ(dx.sum_ns, dy.sum_ns);
        EXPECT_EQ(dx.p95_ns, dy.p95_ns);
      }
      const char *ex = agm_breakdown_last_error(x, i), *ey = agm_breakdown_last_error(y, i);
      EXPECT_STREQ(ex ? ex : "", ey ? ey : "");
    }
    agm_breakdown_free(x);
    agm_breakdown_free(y);
  }
}

TEST(Store, ResumeWithSkipEqualsAnUninterruptedRun) {
  TempDir dir;
  const std::string journal = dir / "resume.jsonl";
  FakeClock clock;
  const agm_recorder_options options = clock_options(clock);
  Recorder rec = new_recorder(&options);
  open_store(rec.get(), journal.c_str(), nullptr);
  Session s = new_session(rec.get(), "long-run", "worker");
  for (int i = 1; i <= 100; ++i)
    model_call(s.get(), i % 3 ? "gpt-4o" : "claude-sonnet-4-5-20250929", i * 10, i, i);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK);
  const agm_totals uninterrupted = totals(rec.get());

  uint64_t count = 0;
  ASSERT_EQ(agm_store_count(&count, journal.c_str()), AGM_OK);
  ASSERT_EQ(count, 101u);
  // A process that restored the first 60 records from its checkpoint loads the rest.
  Recorder resumed = new_recorder();
  agm_load_options first = AGM_LOAD_OPTIONS_INIT;
  first.limit = 60;
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  ASSERT_EQ(agm_recorder_load(resumed.get(), journal.c_str(), &first, &report, nullptr), AGM_OK);
  EXPECT_EQ(report.records, 60u);
  agm_load_options rest = AGM_LOAD_OPTIONS_INIT;
  rest.skip = 60;
  ASSERT_EQ(agm_recorder_load(resumed.get(), journal.c_str(), &rest, &report, nullptr), AGM_OK);
  EXPECT_EQ(report.skipped, 60u);
  EXPECT_EQ(report.records, 41u);
  EXPECT_TRUE(same_totals(totals(resumed.get()), uninterrupted));
}

TEST(Store, MalformedLinesAreSkippedWithLineNumbersAndNothingElseIsLost) {
  TempDir dir;
  const std::string journal = dir / "bad.jsonl";
  FakeClock clock;
  const agm_recorder_options options = clock_options(clock);
  {
    Recorder rec = new_recorder(&options);
    open_store(rec.get(), journal.c_str(), nullptr);
    Session s = new_session(rec.get(), "s", "a");
    model_call(s.get(), "gpt-4o", 100, 10, 1000);
  }
  append_text(
      journal,
      "not json at all\n"
      "{\"v\":99,\"kind\":\"model_call\",\"ts\":1}\n"
      "{\"v\":1,\"kind\":\"model_call\",\"ts\":\"yesterday\"}\n"
      "{\"v\":1,\"kind\":\"teleport\",\"ts\":1}\n"
      "\n"
      "{\"v\":1,\"kind\":\"model_call\",\"ts\":5,\"usage\":{\"input\":-4}}\n"
      "{\"v\":1,\"kind\":\"tool_call\",\"ts\":6,\"tool\":\"grep\",\"outcome\":\"ok\",\"future_field\":[1]}\n"
      "{\"v\":1,\"kind\":\"model_call\",\"ts\":7,\"model\":\"gpt-4o\",\"usage\":{\"inp");  // torn
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  Recorder rec = new_recorder();
  Buffer warnings;
  ASSERT_EQ(agm_recorder_load(rec.get(), journal.c_str(), nullptr, &report, warnings.get()), AGM_OK);
  EXPECT_EQ(report.lines, 9u);    // records + malformed: the blank line holds nothing
  EXPECT_EQ(report.records, 3u);  // the session, its call, and the tool call from a newer writer
  EXPECT_EQ(report.malformed, 6u);
  EXPECT_EQ(report.first_malformed_line, 3u);
  const agm_totals t = totals(rec.get());
  EXPECT_EQ(t.model_calls, 1u);
  EXPECT_EQ(t.tool_calls, 1u);
  simdjson::dom::parser parser;
  auto list = parser.parse(warnings.str()).get_array();
  ASSERT_EQ(list.size(), 6u);
  std::vector<int64_t> lines;
  for (auto w : list) lines.push_back(int64_t(w["line"]));
  EXPECT_EQ(lines, (std::vector<int64_t>{3, 4, 5, 6, 8, 10}));
  EXPECT_NE(std::string_view(list.at(1)["reason"]).find("schema version 99"), std::string_view::npos);
  EXPECT_NE(std::string_view(list.at(3)["reason"]).find("teleport"), std::string_view::npos);
}

TEST(Store, ANewWriterStartsAfterATornTailOnAFreshLine) {
  TempDir dir;
  const std::string journal = dir / "torn.jsonl";
  append_text(journal,
              "{\"v\":1,\"kind\":\"session\",\"ts\":1,\"session\":\"old\"}\n{\"v\":1,\"kind\":\"mod");
  {
    Recorder rec = new_recorder();
    open_store(rec.get(), journal.c_str(), nullptr);
    Session s = new_session(rec.get(), "new", "a");
    model_call(s.get(), "gpt-4o", 1, 1, 1);
  }
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  const agm_totals t = load_totals(journal, &report);
  EXPECT_EQ(report.records, 3u);
  EXPECT_EQ(report.malformed, 1u);
  EXPECT_EQ(report.first_malformed_line, 2u);
  EXPECT_EQ(t.model_calls, 1u);
}

TEST(Store, TheLargestSessionTheApiTakesFitsAJournalLine) {
  TempDir dir;
  const std::string journal = dir / "long.jsonl";
  Recorder rec = new_recorder();
  open_store(rec.get(), journal.c_str(), nullptr);
  // The worst case: AGM_MAX_SESSION_TAGS tags and every label at AGM_MAX_LABEL_BYTES, all of
  // control characters, which the journal escapes to six bytes each (\u0001).
  const std::string worst(AGM_MAX_LABEL_BYTES, '\x01');
  std::vector<std::string> keys(AGM_MAX_SESSION_TAGS);
  std::vector<agm_tag> tags(AGM_MAX_SESSION_TAGS);
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string unique = std::to_string(i);
    keys[i] = worst.substr(unique.size()) + unique;
    tags[i] = agm_tag{keys[i].c_str(), worst.c_str()};
  }
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  options.session_id = worst.c_str();
  options.agent = worst.c_str();
  options.phase = worst.c_str();
  options.task = worst.c_str();
  options.tags = tags.data();
  options.tag_count = tags.size();
  agm_session *raw = nullptr;
  ASSERT_EQ(agm_session_new(&raw, rec.get(), &options), AGM_OK) << agm_last_error_message();
  Session tagged(raw);
  tool_call(tagged.get(), "grep", 1);
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  const agm_totals t = load_totals(journal, &report);
  EXPECT_EQ(report.records, 2u);
  EXPECT_EQ(report.malformed, 0u);
  EXPECT_EQ(t.tool_calls, 1u);
  // One more tag is refused when the session is opened, not when its record is written.
  tags.push_back(agm_tag{"one more", "v"});
  options.tag_count = tags.size();
  options.tags = tags.data();
  EXPECT_EQ(agm_session_new(&raw, rec.get(), &options), AGM_E_INVALID_ARGUMENT);
}

TEST(Store, AFolderOfJournalsOneFilePerRecorder) {
  TempDir dir;
  const std::string folder = dir / "journals";
  std::vector<std::string> files;
  for (const char *agent : {"a", "b"}) {
    Recorder rec = new_recorder();
    agm_store_options o = AGM_STORE_OPTIONS_INIT;
    o.journal_dir = folder.c_str();
    o.flush_policy = AGM_FLUSH_EVERY_RECORD;
    ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK) << agm_last_error_message();
    Buffer path;
    ASSERT_EQ(agm_recorder_journal_path(path.get(), rec.get()), AGM_OK);
    EXPECT_EQ(path.str().rfind(folder + "/", 0), 0u);
    EXPECT_EQ(path.str().substr(path.str().size() - 6), ".jsonl");
    files.push_back(path.str());
    Session s = new_session(rec.get(), agent, agent);
    model_call(s.get(), "gpt-4o", 10, 1, 1);
  }
  EXPECT_NE(files[0], files[1]);
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  EXPECT_EQ(load_totals(folder, &report).model_calls, 2u);
  EXPECT_EQ(report.files, 2u);
}

TEST(Store, OptionsAndStateAreChecked) {
  TempDir dir;
  Recorder rec = new_recorder();
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_INVALID_ARGUMENT);
  const std::string j = dir / "x.jsonl";
  o.journal = j.c_str();
  o.journal_dir = dir.path().c_str();
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_INVALID_ARGUMENT);
  o.journal_dir = nullptr;
  o.flush_policy = 7;
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_INVALID_ARGUMENT);
  o.flush_policy = AGM_FLUSH_INTERVAL;
  o.flush_interval_ns = -1;
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_STATE);
  EXPECT_EQ(agm_recorder_close_store(rec.get()), AGM_E_STATE);
  o.flush_interval_ns = 0;
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK);
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_STATE);
  EXPECT_EQ(agm_recorder_close_store(rec.get()), AGM_OK);
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK);  // a store may be opened again
}

TEST(Store, UnwritablePlacesGiveClearErrors) {
  TempDir dir;
  Recorder rec = new_recorder();
  append_text(dir / "file", "x");
  const std::string under_file = dir / "file/metrics.jsonl";
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  o.journal = under_file.c_str();
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find(dir / "file"), std::string::npos)
      << agm_last_error_message();
  o.journal = nullptr;
  const std::string db_under_file = dir / "file/metrics.db";
  o.database = db_under_file.c_str();
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_IO);
  // A read-only file system refuses even root: /proc.
  o.database = nullptr;
  o.journal = "/proc/self/agentmetrics/metrics.jsonl";
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find("/proc/self/agentmetrics"), std::string::npos)
      << agm_last_error_message();
  o.journal = nullptr;
  o.database = "/proc/self/agentmetrics.db";
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_IO) << agm_last_error_message();
  if (::geteuid() != 0) {  // root ignores permissions
    const std::string locked = dir / "locked";
    ::mkdir(locked.c_str(), 0500);
    const std::string inside = locked + "/m.jsonl";
    o.database = nullptr;
    o.journal = inside.c_str();
    EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_IO);
    EXPECT_NE(std::string(agm_last_error_message()).find("ermission"), std::string::npos);
  }
  const std::string missing = dir / "nothing-here.jsonl";
  EXPECT_EQ(agm_recorder_load(rec.get(), missing.c_str(), nullptr, nullptr, nullptr), AGM_E_NOT_FOUND);
  uint64_t n = 0;
  EXPECT_EQ(agm_store_count(&n, missing.c_str()), AGM_E_NOT_FOUND);
  agm_history *h = nullptr;
  EXPECT_EQ(agm_history_open(&h, missing.c_str()), AGM_E_NOT_FOUND);
  EXPECT_EQ(h, nullptr);
}

TEST(Store, AFullDiskFailsTheFlushButKeepsTheTotals) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  Recorder rec = new_recorder();
  open_store(rec.get(), "/dev/full", nullptr);
  Session s = new_session(rec.get(), "s", "a");
  model_call(s.get(), "gpt-4o", 100, 10, 1000);
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find("not stored"), std::string::npos)
      << agm_last_error_message();
  EXPECT_NE(std::string(agm_last_error_message()).find("No space"), std::string::npos)
      << agm_last_error_message();
  agm_store_status status = AGM_STORE_STATUS_INIT;
  ASSERT_EQ(agm_recorder_store_status(&status, rec.get(), nullptr), AGM_OK);
  EXPECT_EQ(status.failed, 2u);
  EXPECT_GE(status.write_errors, 1u);
  EXPECT_EQ(totals(rec.get()).model_calls, 1u);      // the recorder still has it
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_OK);  // the failure was reported once
}

TEST(Store, NotADatabaseIsCorrupt) {
  TempDir dir;
  const std::string fake = dir / "fake.db";
  append_text(fake, "SQLite format 3 -- but not really, just text pretending to be a database file\n");
  Recorder rec = new_recorder();
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  o.database = fake.c_str();
  EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_E_CORRUPT) << agm_last_error_message();
}

TEST(Store, ObserversSeeEachRecordAsItsJournalLine) {
  struct Seen {
    std::vector<std::pair<uint32_t, std::string>> lines;
  } seen;
  Recorder rec = new_recorder();
  auto observer = [](uint32_t kind, const char *json, size_t size, void *payload) {
    static_cast<Seen *>(payload)->lines.emplace_back(kind, std::string(json, size));
  };
  EXPECT_EQ(agm_recorder_set_observer(rec.get(), 1u << 9, observer, &seen), AGM_E_INVALID_ARGUMENT);
  ASSERT_EQ(
      agm_recorder_set_observer(rec.get(), AGM_RECORD_MODEL_CALL | AGM_RECORD_INVOCATION, observer, &seen),
      AGM_OK);
  Session s = new_session(rec.get(), "s", "a");
  model_call(s.get(), "gpt-4o", 100, 10, 1000);
  tool_call(s.get(), "grep", 10);
  const char *inv =
      R"({"invocationId":"i1","agent":"coder","phase":2,"durationMs":1500,"tokens":10,"cost":0.25,
    "exitCode":0,"success":true,"attempt":1,"outputParsed":true,"timestamp":"2025-11-22T10:00:00.000Z"})";
  ASSERT_EQ(agm_recorder_record_invocation_json(rec.get(), inv, std::strlen(inv)), AGM_OK)
      << agm_last_error_message();
  ASSERT_EQ(seen.lines.size(), 2u);
  EXPECT_EQ(seen.lines[0].first, AGM_RECORD_MODEL_CALL);
  EXPECT_NE(seen.lines[0].second.find("\"model\":\"gpt-4o\""), std::string::npos) << seen.lines[0].second;
  EXPECT_EQ(seen.lines[1].first, AGM_RECORD_INVOCATION);
  EXPECT_NE(seen.lines[1].second.find("\"invocation_id\":\"i1\""), std::string::npos) << seen.lines[1].second;
  ASSERT_EQ(agm_recorder_set_observer(rec.get(), 0, nullptr, nullptr), AGM_OK);
  model_call(s.get(), "gpt-4o", 100, 10, 1000);
  EXPECT_EQ(seen.lines.size(), 2u);
}

TEST(Store, InvocationsRoundTripThroughTheJournalAndAggregate) {
  TempDir dir;
  const std::string journal = dir / "fleet.jsonl";
  Recorder rec = new_recorder();
  open_store(rec.get(), journal.c_str(), nullptr);
  agm_invocation inv = AGM_INVOCATION_INIT;
  inv.invocation_id = "inv-1";
  inv.agent = "coder";
  inv.phase = 2;
  inv.task_id = "task-7";
  inv.tier = "low";
  inv.duration_ns = 4'000'000'000;
  inv.tokens = 1500;
  inv.present = AGM_INVOCATION_HAS_START | AGM_INVOCATION_HAS_CACHED_TOKENS;
  inv.cached_tokens = 500;
  inv.start_wall_ns = kWall0;
  inv.exit_code = 1;
  inv.cost.lo = 100'000'000'000'000'000;  // $0.10
  ASSERT_EQ(agm_recorder_record_invocation(rec.get(), &inv), AGM_OK) << agm_last_error_message();
  // The retry escalates to a higher tier and succeeds.
  inv.invocation_id = "inv-2";
  inv.attempt = 2;
  inv.tier = "high";
  inv.error_class = nullptr;
  inv.exit_code = 0;
  inv.flags = AGM_INVOCATION_F_SUCCESS | AGM_INVOCATION_F_OUTPUT_PARSED;
  inv.start_wall_ns = kWall0 + 2'000'000'000;  // overlaps the first
  inv.cost.lo = 200'000'000'000'000'000;       // $0.20
  ASSERT_EQ(agm_recorder_record_invocation(rec.get(), &inv), AGM_OK);
  const char *json = R"({"invocationId":"inv-3","agent":"reviewer","phase":3,"durationMs":250.5,"tokens":7,
    "cost":0.3,"exitCode":2,"success":false,"attempt":2,"outputParsed":false,"errorClass":"network",
    "timestamp":"2025-11-22T10:01:00.000Z"})";
  ASSERT_EQ(agm_recorder_record_invocation_json(rec.get(), json, std::strlen(json)), AGM_OK)
      << agm_last_error_message();

  agm_invocation bad = AGM_INVOCATION_INIT;
  bad.invocation_id = "no-agent";
  EXPECT_EQ(agm_recorder_record_invocation(rec.get(), &bad), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_recorder_record_invocation_json(rec.get(), "{\"agent\":3}", 11), AGM_E_INVALID_ARGUMENT);

  uint64_t count = 0;
  ASSERT_EQ(agm_recorder_invocation_count(&count, rec.get()), AGM_OK);
  EXPECT_EQ(count, 3u);
  Buffer aggregate;
  ASSERT_EQ(agm_recorder_invocation_aggregate(aggregate.get(), rec.get(), nullptr), AGM_OK);
  simdjson::dom::parser parser;
  auto doc = parser.parse(aggregate.str());
  EXPECT_EQ(uint64_t(doc["total_invocations"]), 3u);
  EXPECT_EQ(uint64_t(doc["total_retries"]), 2u);
  EXPECT_EQ(uint64_t(doc["infra_retries"]), 1u);
  EXPECT_EQ(uint64_t(doc["escalation_count"]), 1u);
  EXPECT_EQ(uint64_t(doc["peak_parallel_invocations"]), 2u);
  EXPECT_EQ(uint64_t(doc["total_cached_tokens"]), 1000u);
  EXPECT_NE(aggregate.str().find("\"total_cost\":0.6"), std::string::npos) << aggregate.str();

  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK);
  Recorder loaded = new_recorder();
  ASSERT_EQ(agm_recorder_load(loaded.get(), journal.c_str(), nullptr, nullptr, nullptr), AGM_OK);
  Buffer again, all_before, all_after;
  ASSERT_EQ(agm_recorder_invocation_aggregate(again.get(), loaded.get(), nullptr), AGM_OK);
  EXPECT_EQ(again.str(), aggregate.str());
  ASSERT_EQ(agm_recorder_invocations(all_before.get(), rec.get(), 0, 0), AGM_OK);
  ASSERT_EQ(agm_recorder_invocations(all_after.get(), loaded.get(), 0, 0), AGM_OK);
  EXPECT_EQ(all_before.str(), all_after.str());
  Buffer tail;
  ASSERT_EQ(agm_recorder_invocations(tail.get(), rec.get(), 2, 5), AGM_OK);
  EXPECT_EQ(parser.parse(tail.str()).get_array().size(), 1u);
}

TEST(Store, HistoryQueriesGiveTheSameAnswersFromTheJournalAndTheDatabase) {
  TempDir dir;
  FakeClock clock;
  const agm_recorder_options options = clock_options(clock);
  Recorder rec = new_recorder(&options);
  const std::string journal = dir / "h.jsonl", database = dir / "h.db";
  open_store(rec.get(), journal.c_str(), database.c_str());
  scripted_run(rec.get(), clock);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK);

  agm_history *hj = nullptr, *hd = nullptr;
  ASSERT_EQ(agm_history_open(&hj, journal.c_str()), AGM_OK);
  ASSERT_EQ(agm_history_open(&hd, database.c_str()), AGM_OK);
  for (uint32_t kind = AGM_QUERY_SUMMARY; kind <= AGM_QUERY_INVOCATIONS; ++kind) {
    SCOPED_TRACE(kind);
    const char *name = kind == AGM_QUERY_SESSION ? "thread-1" : nullptr;
    const std::string a = query(hj, kind, name), b = query(hd, kind, name);
    EXPECT_EQ(a, b);
    simdjson::dom::parser parser;
    EXPECT_FALSE(parser.parse(a).error()) << a;
  }
  for (int32_t by : {AGM_BY_MODEL, AGM_BY_AGENT, AGM_BY_PHASE, AGM_BY_SESSION, AGM_BY_DAY}) {
    EXPECT_EQ(query(hj, AGM_QUERY_COST_BREAKDOWN, nullptr, by),
              query(hd, AGM_QUERY_COST_BREAKDOWN, nullptr, by));
  }
  simdjson::dom::parser parser;
  auto summary = parser.parse(query(hj, AGM_QUERY_SUMMARY));
  EXPECT_EQ(uint64_t(summary["model_calls"]), 5u);
  EXPECT_EQ(uint64_t(summary["calls_missing_usage"]), 1u);
  EXPECT_EQ(uint64_t(summary["tool_calls"]), 3u);
  EXPECT_EQ(uint64_t(summary["sessions"]), 2u);
  auto days = parser.parse(query(hj, AGM_QUERY_COST_BREAKDOWN, nullptr, AGM_BY_DAY));
  EXPECT_EQ(days["groups"].get_array().size(), 2u);
  auto slow = parser.parse(query(hj, AGM_QUERY_SLOW));
  auto ops = slow["operations"].get_array();
  ASSERT_GE(ops.size(), 3u);  // the 22 s turn, the 12 s and 9 s tools, the 6 s call
  EXPECT_EQ(std::string_view(ops.at(0)["type"]), "turn");
  auto errors = parser.parse(query(hj, AGM_QUERY_ERRORS));
  EXPECT_EQ(uint64_t(errors["error_counts_by_tool"]["web_search"]), 1u);

  // A period counts back from now_ns; a range is explicit.
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SUMMARY;
  q.period = AGM_PERIOD_HOUR;
  q.present = AGM_QUERY_HAS_NOW;
  q.now_ns = kWall0 + 86'400'000'000'000 + 30'000'000'000;
  Buffer out;
  ASSERT_EQ(agm_history_query(out.get(), hd, &q), AGM_OK) << agm_last_error_message();
  EXPECT_EQ(uint64_t(parser.parse(out.str())["model_calls"]), 1u);  // only the second day's
  q.period = AGM_PERIOD_RANGE;
  q.from_ns = 5;
  q.to_ns = 4;
  EXPECT_EQ(agm_history_query(out.get(), hd, &q), AGM_E_INVALID_ARGUMENT);
  q.period = 42;
  EXPECT_EQ(agm_history_query(out.get(), hd, &q), AGM_E_INVALID_ARGUMENT);
  q.period = AGM_PERIOD_ALL;
  q.kind = AGM_QUERY_SESSION;
  q.name = "no-such-session";
  EXPECT_EQ(agm_history_query(out.get(), hd, &q), AGM_E_NOT_FOUND);
  q.name = nullptr;
  EXPECT_EQ(agm_history_query(out.get(), hd, &q), AGM_E_INVALID_ARGUMENT);
  q.kind = 99;
  EXPECT_EQ(agm_history_query(out.get(), hd, &q), AGM_E_INVALID_ARGUMENT);
  q.kind = AGM_QUERY_COST_BREAKDOWN;
  q.group_by = 77;
  EXPECT_EQ(agm_history_query(out.get(), hd, &q), AGM_E_INVALID_ARGUMENT);

  // The recorder answers over its own store, including records not yet flushed.
  Session late = new_session(rec.get(), "thread-3", "coder");
  model_call(late.get(), "gpt-4o", 1, 1, 1);
  q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SUMMARY;
  ASSERT_EQ(agm_recorder_query(out.get(), rec.get(), &q), AGM_OK) << agm_last_error_message();
  EXPECT_EQ(uint64_t(parser.parse(out.str())["model_calls"]), 6u);

  append_text(journal, "garbage\n");
  query(hj, AGM_QUERY_SUMMARY);
  ASSERT_EQ(agm_history_warnings(out.get(), hj), AGM_OK);
  EXPECT_EQ(uint64_t(parser.parse(out.str())["malformed"]), 1u) << out.str();
  agm_history_free(hj);
  agm_history_free(hd);
}

TEST(Store, ClosingAndReopeningWhileThreadsRecordIsSafe) {
  // Sessions come and go on 4 threads while the store is closed and reopened underneath them:
  // queued records borrow their session's strings, which must outlive the queue (ASan checks).
  TempDir dir;
  Recorder rec = new_recorder();
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  const std::string folder = dir / "journals";
  o.journal_dir = folder.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK);
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !done.load(); ++i) {
        std::string id = std::to_string(t);  // (operator+ on literals trips GCC 12's -Wrestrict)
        id += '-';
        id += std::to_string(i);
        Session s = new_session(rec.get(), id.c_str(), "agent-with-a-long-name-that-is-not-inline");
        for (int k = 0; k < 20; ++k) model_call(s.get(), "a-model-name-longer-than-sixteen-bytes", 10, 1, 1);
      }
    });
  }
  // Four threads recording flat out can outrun the writer on a loaded machine: records past
  // the queue's bound are dropped and reported (AGM_E_DROPPED), which is not what this tests.
  auto stored = [](agm_status status) { return status == AGM_OK || status == AGM_E_DROPPED; };
  for (int round = 0; round < 20; ++round) {
    EXPECT_TRUE(stored(agm_recorder_close_store(rec.get()))) << agm_last_error_message();
    EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_STATE);
    EXPECT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK) << agm_last_error_message();
    EXPECT_TRUE(stored(agm_recorder_flush(rec.get()))) << agm_last_error_message();
  }
  done = true;
  for (auto &t : threads) t.join();
  ASSERT_TRUE(stored(agm_recorder_flush(rec.get())));
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  const agm_totals loaded = load_totals(folder, &report);
  EXPECT_EQ(report.malformed, 0u);
  EXPECT_GT(loaded.model_calls, 0u);
  EXPECT_LE(loaded.model_calls, totals(rec.get()).model_calls);  // some were made with no store open
}

// ---------------------------------------------------------------------------------------------
// The queue's bound (issue 14, item 2): a stalled store drops records beyond it, counts and
// reports them, and stores every record it queued once the stall ends.

namespace {

// Holds the database's write lock, as another process's open write transaction does.
class DatabaseLock {
 public:
  explicit DatabaseLock(const std::string &path) {
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
  ~DatabaseLock() { release(); }

 private:
  sqlite3 *db_ = nullptr;
};

struct Drops {
  std::atomic<int> calls{0};
  std::atomic<uint64_t> dropped{0}, queued_bytes{0};
};

void on_drop(uint64_t dropped, uint64_t queued_bytes, void *payload) {
  auto *drops = static_cast<Drops *>(payload);
  drops->calls.fetch_add(1);
  drops->dropped = dropped;
  drops->queued_bytes = queued_bytes;
}

agm_store_status store_status(agm_recorder *rec) {
  agm_store_status status = AGM_STORE_STATUS_INIT;
  EXPECT_EQ(agm_recorder_store_status(&status, rec, nullptr), AGM_OK) << agm_last_error_message();
  return status;
}

}  // namespace

TEST(Store, AStalledStoreKeepsItsQueueWithinTheBoundAndCountsEveryDrop) {
  TempDir dir;
  const std::string db = dir / "metrics.db";
  constexpr uint64_t kBound = 64 * 1024;
  Drops drops;
  Recorder rec = new_recorder();
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  o.database = db.c_str();
  o.max_queue_bytes = kBound;
  o.on_drop = on_drop;
  o.on_drop_payload = &drops;
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK) << agm_last_error_message();
  Session s = new_session(rec.get(), "stalled", "agent");
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  const agm_store_status before = store_status(rec.get());
  EXPECT_EQ(before.written, 1u);  // the session record
  EXPECT_EQ(before.max_queue_bytes, kBound);
  EXPECT_EQ(before.queued_bytes, 0u);

  constexpr uint64_t kRecords = 5000;
  DatabaseLock lock(db);  // the writer now waits for the lock (up to 10 s per transaction)
  for (uint64_t i = 0; i < kRecords; ++i) {
    model_call(s.get(), "gpt-4o", 100 + int64_t(i), 10, 1000);
    ASSERT_LE(store_status(rec.get()).queued_bytes, kBound);
  }
  const agm_store_status stalled = store_status(rec.get());
  const uint64_t accepted = stalled.queued - before.queued;
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(stalled.dropped, 0u);
  EXPECT_EQ(accepted + stalled.dropped, kRecords);  // every record is queued or counted
  EXPECT_LE(stalled.queued_bytes, kBound);
  EXPECT_GT(stalled.queued_bytes, kBound - 1024);  // filled to the bound, less than a record
  // One overflow, one warning: the first drop, with what was queued then.
  EXPECT_EQ(drops.calls.load(), 1);
  EXPECT_EQ(drops.dropped.load(), 1u);
  EXPECT_EQ(drops.queued_bytes.load(), stalled.queued_bytes);
  EXPECT_EQ(totals(rec.get()).model_calls, kRecords);  // the totals keep every record

  lock.release();
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_DROPPED);
  const std::string message = agm_last_error_message();
  EXPECT_NE(message.find(std::to_string(stalled.dropped) + " records were dropped"), std::string::npos)
      << message;
  EXPECT_NE(message.find("max_queue_bytes 65536"), std::string::npos) << message;
  const agm_store_status after = store_status(rec.get());
  EXPECT_EQ(after.written, before.written + accepted);  // nothing queued was lost
  EXPECT_EQ(after.failed, 0u);
  EXPECT_EQ(after.dropped, stalled.dropped);
  EXPECT_EQ(after.queued_bytes, 0u);
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_OK);  // the drops were reported once

  // The queue has room again: records are stored, and a new overflow warns again.
  model_call(s.get(), "gpt-4o", 1, 1, 1000);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  EXPECT_EQ(store_status(rec.get()).written, after.written + 1);
  s.reset();  // its turn-less end stores nothing more than the release
  ASSERT_EQ(agm_recorder_close_store(rec.get()), AGM_OK) << agm_last_error_message();

  // Recorded = stored + dropped, exactly.
  Recorder loaded = new_recorder();
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  ASSERT_EQ(agm_recorder_load(loaded.get(), db.c_str(), nullptr, &report, nullptr), AGM_OK);
  EXPECT_EQ(report.malformed, 0u);
  EXPECT_EQ(totals(loaded.get()).model_calls + stalled.dropped, kRecords + 1);
}

// The store remembers its drops: the writer appends a "dropped" marker to the journal and the
// database once it can write again, and every reader reports the same count and time range.
TEST(Store, DroppedRecordsAreMarkedInTheStoreAndEveryReaderReportsThem) {
  TempDir dir;
  const std::string journal = dir / "metrics.jsonl", db = dir / "metrics.db";
  FakeClock clock;
  const agm_recorder_options ro = clock_options(clock);
  Recorder rec = new_recorder(&ro);
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  o.journal = journal.c_str();
  o.database = db.c_str();
  o.max_queue_bytes = 64 * 1024;
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK) << agm_last_error_message();
  Session s = new_session(rec.get(), "stalled", "agent");
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();

  constexpr uint64_t kRecords = 3000;
  constexpr int64_t kStep = 1'000'000;  // 1 ms of wall clock between records
  std::vector<int64_t> dropped_ts;
  DatabaseLock lock(db);
  for (uint64_t i = 0; i < kRecords; ++i) {
    clock.now = int64_t(i + 1) * kStep;
    const uint64_t before = store_status(rec.get()).dropped;
    model_call(s.get(), "gpt-4o", 100, 10, 1000);
    if (store_status(rec.get()).dropped != before) dropped_ts.push_back(wall(&clock));
  }
  const uint64_t first_round = store_status(rec.get()).dropped;
  ASSERT_GT(first_round, 0u);
  ASSERT_EQ(dropped_ts.size(), first_round);
  lock.release();
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_DROPPED);
  // A second stall adds a marker of its own; the figures add up.
  {
    DatabaseLock again(db);
    for (uint64_t i = kRecords; i < 2 * kRecords; ++i) {
      clock.now = int64_t(i + 1) * kStep;
      const uint64_t before = store_status(rec.get()).dropped;
      model_call(s.get(), "gpt-4o", 100, 10, 1000);
      if (store_status(rec.get()).dropped != before) dropped_ts.push_back(wall(&clock));
    }
  }
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_DROPPED);
  const uint64_t dropped = store_status(rec.get()).dropped;
  ASSERT_GT(dropped, first_round);
  ASSERT_EQ(dropped_ts.size(), dropped);
  s.reset();
  ASSERT_EQ(agm_recorder_close_store(rec.get()), AGM_OK) << agm_last_error_message();
  const uint64_t stored_calls = 2 * kRecords - dropped;
  // One marker per stall in each store.
  {
    const std::string text = read_text(journal);
    const std::string marker = "{\"v\":1,\"kind\":\"dropped\",\"ts\":";
    size_t markers = 0;
    for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) ++markers;
    EXPECT_EQ(markers, 2u);
  }

  for (const std::string &path : {journal, db}) {
    SCOPED_TRACE(path);
    agm_load_report report = AGM_LOAD_REPORT_INIT;
    const agm_totals t = load_totals(path, &report);
    EXPECT_EQ(t.model_calls, stored_calls);
    EXPECT_EQ(report.malformed, 0u);
    EXPECT_EQ(report.records, stored_calls + 1);  // and the session: a marker is not a record
    EXPECT_EQ(report.lines, report.records);
    EXPECT_EQ(report.dropped, dropped);
    EXPECT_EQ(report.dropped_from_ns, dropped_ts.front());
    EXPECT_EQ(report.dropped_to_ns, dropped_ts.back());
    // A load with skip and limit reports the same drops; the count of records ignores them.
    agm_load_options lo = AGM_LOAD_OPTIONS_INIT;
    lo.skip = 5;
    lo.limit = 3;
    agm_load_report part = AGM_LOAD_REPORT_INIT;
    load_totals(path, &part, &lo);
    EXPECT_EQ(part.records, 3u);
    EXPECT_EQ(part.dropped, dropped);
    uint64_t count = 0;
    ASSERT_EQ(agm_store_count(&count, path.c_str()), AGM_OK);
    EXPECT_EQ(count, stored_calls + 1);

    agm_history *h = nullptr;
    ASSERT_EQ(agm_history_open(&h, path.c_str()), AGM_OK) << agm_last_error_message();
    const std::string doc = query(h, AGM_QUERY_SUMMARY);
    EXPECT_NE(doc.find("\"dropped_records\":" + std::to_string(dropped) + ","), std::string::npos) << doc;
    EXPECT_NE(doc.find("\"model_calls\":" + std::to_string(stored_calls) + ","), std::string::npos) << doc;
    Buffer warnings;
    ASSERT_EQ(agm_history_warnings(warnings.get(), h), AGM_OK);
    EXPECT_NE(warnings.str().find("\"malformed\":0,\"dropped\":" + std::to_string(dropped) +
                                  ",\"dropped_from\":" + std::to_string(dropped_ts.front()) +
                                  ",\"dropped_to\":" + std::to_string(dropped_ts.back()) + ","),
              std::string::npos)
        << warnings.str();
    agm_history_free(h);
  }
}

TEST(Store, TheQueueBoundDefaultsForOldAndZeroOptionsAndStatusStructsStayTheirSize) {
  TempDir dir;
  const std::string journal = dir / "m.jsonl";
  Recorder rec = new_recorder();
  agm_store_options o = AGM_STORE_OPTIONS_INIT;
  o.struct_size = AGM_STORE_OPTIONS_SIZE_V0;  // a program built against the first header
  o.journal = journal.c_str();
  o.max_queue_bytes = 1;  // beyond its struct: never read
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK) << agm_last_error_message();
  agm_store_status status;
  std::memset(&status, 0xAB, sizeof status);
  status.struct_size = AGM_STORE_STATUS_SIZE_V0;
  ASSERT_EQ(agm_recorder_store_status(&status, rec.get(), nullptr), AGM_OK);
  EXPECT_EQ(status.queued, 0u);
  EXPECT_EQ(status.dropped, 0xABABABABABABABABu);  // not written past the old size
  EXPECT_EQ(store_status(rec.get()).max_queue_bytes, AGM_STORE_DEFAULT_QUEUE_BYTES);
  ASSERT_EQ(agm_recorder_close_store(rec.get()), AGM_OK);
  o = AGM_STORE_OPTIONS_INIT;
  o.journal = journal.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &o), AGM_OK);  // 0: the default too
  EXPECT_EQ(store_status(rec.get()).max_queue_bytes, AGM_STORE_DEFAULT_QUEUE_BYTES);
  EXPECT_STREQ(agm_status_name(AGM_E_DROPPED), "AGM_E_DROPPED");
}
