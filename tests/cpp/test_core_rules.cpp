// Rules that live in the core so that the bindings and the agentmetrics program only translate
// (issue 15, item 2), through the public C ABI: exports and reports written straight to a file
// atomically, 0 meaning the core's default, optional range ends by presence bits, and the unit
// of progress.
#include <agentmetrics/metrics_c.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store_helpers.hpp"

using namespace store_test;

namespace {

struct HistoryDeleter {
  void operator()(agm_history *h) const { agm_history_free(h); }
};
using History = std::unique_ptr<agm_history, HistoryDeleter>;

History open_history(const std::string &path) {
  agm_history *h = nullptr;
  EXPECT_EQ(agm_history_open(&h, path.c_str()), AGM_OK) << agm_last_error_message();
  return History(h);
}

constexpr int64_t kT0 = 1763800000000000000;
constexpr int64_t kS = 1000000000;

// Tool calls at kT0 + i s lasting `durations[i]` seconds.
std::string tool_lines(const std::vector<int> &durations) {
  std::string out;
  for (size_t i = 0; i < durations.size(); ++i) {
    out += R"({"v":1,"kind":"tool_call","ts":)" + std::to_string(kT0 + static_cast<int64_t>(i) * kS) +
           R"(,"session":"s1","tool":"t)" + std::to_string(i) + R"(","call_id":"c)" + std::to_string(i) +
           R"(","outcome":"ok","duration_ns":)" + std::to_string(int64_t{durations[i]} * kS) + "}\n";
  }
  return out;
}

int32_t append_to_string(void *user, const char *data, size_t size) {
  static_cast<std::string *>(user)->append(data, size);
  return 0;
}

std::vector<std::string> names_in(const std::string &dir) {
  std::vector<std::string> out;
  for (const auto &e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class CoreRules : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "m.jsonl";
    append_text(path_, tool_lines({1, 4, 5, 6, 7}));
    history_ = open_history(path_);
  }
  std::string export_text(uint32_t format, const agm_query *range = nullptr) {
    agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
    o.format = format;
    o.range = range;
    std::string out;
    EXPECT_EQ(agm_history_export(history_.get(), &o, append_to_string, &out), AGM_OK)
        << agm_last_error_message();
    return out;
  }
  std::string query(agm_query q) {
    Buffer out;
    EXPECT_EQ(agm_history_query(out.get(), history_.get(), &q), AGM_OK) << agm_last_error_message();
    return out.str();
  }
  TempDir dir_;
  std::string path_;
  History history_;
};

// ---- export / report straight to a file ----

TEST_F(CoreRules, ExportToFileWritesTheExportWhole) {
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  o.format = AGM_EXPORT_CSV;
  const std::string out = dir_ / "rows.csv";
  uint64_t bytes = 0;
  ASSERT_EQ(agm_history_export_to_file(&bytes, history_.get(), &o, out.c_str()), AGM_OK)
      << agm_last_error_message();
  const std::string expected = export_text(AGM_EXPORT_CSV);
  EXPECT_EQ(read_text(out), expected);
  EXPECT_EQ(bytes, expected.size());
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"m.jsonl", "rows.csv"}));  // no temporary left
  // The file looks like any the user creates: 0666 less the umask, not mkstemp's 0600.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
  // Replaces an existing file; bytes is optional.
  o.format = AGM_EXPORT_JSON;
  ASSERT_EQ(agm_history_export_to_file(nullptr, history_.get(), &o, out.c_str()), AGM_OK);
  EXPECT_EQ(read_text(out), export_text(AGM_EXPORT_JSON));
  // The read's warnings are those of this export, as after agm_history_export.
  Buffer w;
  ASSERT_EQ(agm_history_warnings(w.get(), history_.get()), AGM_OK);
  EXPECT_NE(w.str().find("\"records\":5"), std::string::npos) << w.str();
}

TEST_F(CoreRules, ReportToFileWritesThePageWhole) {
  agm_query range = AGM_QUERY_INIT;
  range.present = AGM_QUERY_HAS_NOW;
  range.now_ns = kT0 + 3600 * kS;
  agm_report_options o = AGM_REPORT_OPTIONS_INIT;
  o.title = "rules";
  o.range = &range;
  Buffer page;
  ASSERT_EQ(agm_history_report_html(page.get(), history_.get(), &o), AGM_OK) << agm_last_error_message();
  const std::string out = dir_ / "r.html";
  uint64_t bytes = 0;
  ASSERT_EQ(agm_history_report_html_to_file(&bytes, history_.get(), &o, out.c_str()), AGM_OK)
      << agm_last_error_message();
  EXPECT_EQ(read_text(out), page.str());
  EXPECT_EQ(bytes, page.str().size());
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"m.jsonl", "r.html"}));
}

TEST_F(CoreRules, AFailedWriteLeavesNothingAndNamesThePath) {
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  o.format = AGM_EXPORT_JSON;
  const std::string missing = dir_ / "no-such-folder/rows.json";
  EXPECT_EQ(agm_history_export_to_file(nullptr, history_.get(), &o, missing.c_str()), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find(missing), std::string::npos)
      << agm_last_error_message();
  agm_report_options r = AGM_REPORT_OPTIONS_INIT;
  EXPECT_EQ(agm_history_report_html_to_file(nullptr, history_.get(), &r, missing.c_str()), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find(missing), std::string::npos)
      << agm_last_error_message();
  // A folder in the way of the rename: the temporary is removed, the folder untouched.
  const std::string folder = dir_ / "taken";
  std::filesystem::create_directory(folder);
  EXPECT_EQ(agm_history_export_to_file(nullptr, history_.get(), &o, folder.c_str()), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find(folder), std::string::npos)
      << agm_last_error_message();
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"m.jsonl", "taken"}));
  // Bad arguments change nothing.
  EXPECT_EQ(agm_history_export_to_file(nullptr, history_.get(), &o, nullptr), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_history_export_to_file(nullptr, history_.get(), &o, ""), AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(agm_history_export_to_file(nullptr, nullptr, &o, (dir_ / "x").c_str()), AGM_E_INVALID_ARGUMENT);
  o.format = 99;
  EXPECT_EQ(agm_history_export_to_file(nullptr, history_.get(), &o, (dir_ / "x").c_str()),
            AGM_E_INVALID_ARGUMENT);
  EXPECT_EQ(names_in(dir_.path()), (std::vector<std::string>{"m.jsonl", "taken"}));
}

TEST(CoreRulesStop, AReadStoppedMidwayKeepsTheOldFile) {
  TempDir dir;
  const std::string path = dir / "big.jsonl";
  std::string lines;
  for (int i = 0; i < 70000; ++i) {
    lines += R"({"v":1,"kind":"tool_call","ts":)" + std::to_string(kT0 + i) +
             R"(,"tool":"t"})"
             "\n";
  }
  append_text(path, lines);
  History h = open_history(path);
  const std::string out = dir / "rows.json";
  append_text(out, "old");
  auto stop = [](uint64_t, uint64_t, uint32_t, void *) -> int32_t { return 1; };
  ASSERT_EQ(agm_history_set_progress_unit(h.get(), stop, nullptr), AGM_OK);
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  o.format = AGM_EXPORT_JSON;
  EXPECT_EQ(agm_history_export_to_file(nullptr, h.get(), &o, out.c_str()), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find("progress callback"), std::string::npos);
  EXPECT_EQ(read_text(out), "old");
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{"big.jsonl", "rows.json"}));
}

// ---- 0 is the core's default ----

TEST_F(CoreRules, ZeroSelectsTheDocumentedDefaults) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SLOW;
  const std::string by_default = query(q);  // threshold_ns 0
  EXPECT_NE(by_default.find("\"threshold_ms\":" + std::to_string(AGM_DEFAULT_SLOW_THRESHOLD_NS / 1000000)),
            std::string::npos)
      << by_default;
  q.threshold_ns = AGM_DEFAULT_SLOW_THRESHOLD_NS;
  EXPECT_EQ(query(q), by_default);  // 5, 6 and 7 s: at or over 5 s
  q.threshold_ns = 0;
  q.limit = AGM_DEFAULT_QUERY_LIMIT;
  EXPECT_EQ(query(q), by_default);

  // The invocation bucket: one minute when 0.
  const std::string inv = dir_ / "inv.jsonl";
  append_text(
      inv,
      R"({"v":1,"kind":"invocation","ts":1763800000000000000,"invocation_id":"i1","agent":"a","phase":1,)"
      R"("duration_ns":150000000000,"success":true,"attempt":1})"
      "\n");
  History ih = open_history(inv);
  agm_aggregate_options agg = AGM_AGGREGATE_OPTIONS_INIT;
  agm_query iq = AGM_QUERY_INIT;
  iq.kind = AGM_QUERY_INVOCATIONS;
  iq.invocations = &agg;
  Buffer a, b;
  ASSERT_EQ(agm_history_query(a.get(), ih.get(), &iq), AGM_OK) << agm_last_error_message();
  agg.bucket_ns = AGM_DEFAULT_BUCKET_NS;
  ASSERT_EQ(agm_history_query(b.get(), ih.get(), &iq), AGM_OK);
  EXPECT_EQ(a.str(), b.str());
  agg.bucket_ns = 30 * kS;
  ASSERT_EQ(agm_history_query(b.get(), ih.get(), &iq), AGM_OK);
  EXPECT_NE(a.str(), b.str());  // the width matters, so the equality above says something

  static_assert(AGM_DEFAULT_BUCKET_NS == 60 * 1000000000ll);
  static_assert(AGM_DEFAULT_SLOW_THRESHOLD_NS == 5 * 1000000000ll);
  static_assert(AGM_DEFAULT_HTTP_TIMEOUT_MS == 10000u && AGM_DEFAULT_PUSH_ATTEMPTS == 5u &&
                AGM_DEFAULT_RETRY_DELAY_MS == 1000u && AGM_DEFAULT_REPORT_LIMIT == 20u);
}

// ---- range ends by presence bits ----

TEST_F(CoreRules, RangeEndsArePresenceBitsAndSentinelsStillWork) {
  auto rows = [&](const agm_query &range) {
    const std::string out = export_text(AGM_EXPORT_JSON, &range);
    size_t n = 0;
    for (size_t at = out.find("\"kind\""); at != std::string::npos; at = out.find("\"kind\"", at + 1)) ++n;
    return n;
  };
  agm_query r = AGM_QUERY_INIT;
  r.period = AGM_PERIOD_RANGE;
  r.present = AGM_QUERY_HAS_FROM;  // since only: to_ns (0) is not read
  r.from_ns = kT0 + 2 * kS;
  EXPECT_EQ(rows(r), 3u);
  r.present = AGM_QUERY_HAS_TO;  // until only: from_ns is not read
  r.to_ns = kT0 + 2 * kS;
  EXPECT_EQ(rows(r), 2u);
  r.present = AGM_QUERY_HAS_FROM | AGM_QUERY_HAS_TO;
  r.from_ns = kT0 + 1 * kS;
  r.to_ns = kT0 + 3 * kS;
  EXPECT_EQ(rows(r), 2u);
  r.period = AGM_PERIOD_ALL;  // the bits select the range with the default period too
  EXPECT_EQ(rows(r), 2u);
  // 0.1 callers: no bits, both ends read, sentinels for the open ones.
  agm_query old = AGM_QUERY_INIT;
  old.period = AGM_PERIOD_RANGE;
  old.from_ns = kT0 + 2 * kS;
  old.to_ns = INT64_MAX;
  EXPECT_EQ(rows(old), 3u);
  old.from_ns = 0;
  old.to_ns = kT0 + 2 * kS;
  EXPECT_EQ(rows(old), 2u);
  // Queries read the same bits.
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SLOW;
  q.present = AGM_QUERY_HAS_FROM;
  q.from_ns = kT0 + 3 * kS;
  const std::string slow = query(q);
  EXPECT_EQ(slow.find("\"t2\""), std::string::npos) << slow;
  EXPECT_NE(slow.find("\"t3\""), std::string::npos) << slow;
  // A named period with an end, and ends out of order, are refused.
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  o.format = AGM_EXPORT_JSON;
  o.range = &r;
  r.period = AGM_PERIOD_DAY;
  std::string out;
  EXPECT_EQ(agm_history_export(history_.get(), &o, append_to_string, &out), AGM_E_INVALID_ARGUMENT);
  r.period = AGM_PERIOD_RANGE;
  r.from_ns = kT0 + 3 * kS;
  r.to_ns = kT0;
  EXPECT_EQ(agm_history_export(history_.get(), &o, append_to_string, &out), AGM_E_INVALID_ARGUMENT);
}

// ---- the unit of progress ----

struct UnitCalls {
  std::vector<uint32_t> units;
  uint64_t last_done = 0, last_total = 0;
  void *user_seen = nullptr;
};

int32_t note_unit(uint64_t done, uint64_t total, uint32_t unit, void *user) {
  auto &c = *static_cast<UnitCalls *>(user);
  c.units.push_back(unit);
  c.last_done = done;
  c.last_total = total;
  c.user_seen = user;
  return 0;
}

TEST(CoreRulesProgress, JournalsCountBytesDatabasesRows) {
  TempDir dir;
  const std::string journal = dir / "m.jsonl";
  const std::string lines = tool_lines({1, 2, 3});
  append_text(journal, lines);
  const std::string db = dir / "m.db";
  {
    Recorder rec = new_recorder();
    agm_store_options store = AGM_STORE_OPTIONS_INIT;
    store.database = db.c_str();
    ASSERT_EQ(agm_recorder_open_store(rec.get(), &store), AGM_OK) << agm_last_error_message();
    agm_session *s = nullptr;
    ASSERT_EQ(agm_session_new(&s, rec.get(), nullptr), AGM_OK);
    Session session(s);
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    call.name = "t";
    call.duration_ns = 5;
    call.present = AGM_CALL_HAS_DURATION;
    for (int i = 0; i < 4; ++i) ASSERT_EQ(agm_session_record_tool_call(s, &call), AGM_OK);
    ASSERT_EQ(agm_recorder_close_store(rec.get()), AGM_OK);
  }
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SUMMARY;

  History hj = open_history(journal);
  UnitCalls cj;
  ASSERT_EQ(agm_history_set_progress_unit(hj.get(), note_unit, &cj), AGM_OK);
  Buffer out;
  ASSERT_EQ(agm_history_query(out.get(), hj.get(), &q), AGM_OK);
  ASSERT_EQ(cj.units, std::vector<uint32_t>{AGM_PROGRESS_BYTES});  // once at the end
  EXPECT_EQ(cj.last_done, lines.size());
  EXPECT_EQ(cj.last_total, lines.size());
  EXPECT_EQ(cj.user_seen, &cj);

  History hd = open_history(db);
  UnitCalls cd;
  ASSERT_EQ(agm_history_set_progress_unit(hd.get(), note_unit, &cd), AGM_OK);
  const agm_report_options ro = AGM_REPORT_OPTIONS_INIT;
  ASSERT_EQ(agm_history_report_html(out.get(), hd.get(), &ro), AGM_OK) << agm_last_error_message();
  ASSERT_EQ(cd.units, std::vector<uint32_t>{AGM_PROGRESS_ROWS});
  EXPECT_GE(cd.last_done, 4u);  // the tool calls, and the session's turn rows if any
  EXPECT_LT(cd.last_done, 10u);

  // agm_history_set_progress replaces it, and NULL removes either.
  ASSERT_EQ(agm_history_set_progress(
                hd.get(), [](void *, uint64_t, uint64_t) {}, nullptr),
            AGM_OK);
  ASSERT_EQ(agm_history_query(out.get(), hd.get(), &q), AGM_OK);
  EXPECT_EQ(cd.units.size(), 1u);
  ASSERT_EQ(agm_history_set_progress_unit(hd.get(), note_unit, &cd), AGM_OK);
  ASSERT_EQ(agm_history_set_progress_unit(hd.get(), nullptr, &cd), AGM_OK);
  ASSERT_EQ(agm_history_query(out.get(), hd.get(), &q), AGM_OK);
  EXPECT_EQ(cd.units.size(), 1u);
  EXPECT_EQ(agm_history_set_progress_unit(nullptr, note_unit, nullptr), AGM_E_INVALID_ARGUMENT);
}

}  // namespace
