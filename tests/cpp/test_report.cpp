// The HTML report: sections and numbers, escaping of hostile names, unpriced data, time buckets,
// parallelism, order independence, empty ranges and limits; through ReportRun and the C ABI.
// With AGM_REPORT_HTML set, the C ABI test also writes its page there for the browser check
// (tests/browser/check_report.mjs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "errors.hpp"
#include "format.hpp"
#include "report.hpp"
#include "store_helpers.hpp"
#include "test_records.hpp"
#include "timefmt.hpp"

namespace agentmetrics {
namespace {

using namespace test_records;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1000 * kMs;
constexpr int64_t kHour = 3600 * kSec;
constexpr u128 kMicroUsd = kAttoPerUsd / 1'000'000;
const int64_t kT0 = *parse_iso("2026-11-22T10:00:00Z");

const std::string kScript = "<script>window.__pwned=1</script>";
const std::string kImg = "\"><img src=x onerror=\"window.__pwned=1\">";

RecordView invocation(int64_t start, int64_t duration, std::string_view id) {
  RecordView r;
  r.kind = RecordKind::kInvocation;
  r.ts = start;
  r.invocation.invocation_id = id;
  r.invocation.agent = "coder";
  r.invocation.start_ns = start;
  r.invocation.duration_ns = duration;
  r.invocation.success = true;
  return r;
}

std::string report(const std::vector<RecordView> &records, ReportOptions o = {}) {
  if (o.now_ns == 0) o.now_ns = kT0 + 24 * kHour;
  ReportRun run(std::move(o));
  for (const RecordView &r : records) run.add(r);
  return run.finish();
}

size_t count(const std::string &hay, const std::string &needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

std::string lower(std::string s) {
  for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The text of the section with this id.
std::string section(const std::string &page, const std::string &id) {
  const size_t start = page.find("<section id=\"" + id + "\"");
  if (start == std::string::npos) return {};
  return page.substr(start, page.find("</section>", start) - start);
}

// Every string the page shows was escaped: no markup from stored strings.
void expect_no_raw_markup(const std::string &page) {
  const std::string l = lower(page);
  EXPECT_EQ(l.find("<script"), std::string::npos);
  EXPECT_EQ(l.find("<img"), std::string::npos);
  EXPECT_EQ(l.find("onerror=\""), std::string::npos);
  EXPECT_EQ(l.find("<iframe"), std::string::npos);
}

TEST(Report, RejectsBadOptions) {
  ReportOptions o;
  o.limit = 0;
  EXPECT_THROW(ReportRun{o}, InvalidArgument);
  o.limit = 1;
  o.from = 10;
  o.to = 5;
  EXPECT_THROW(ReportRun{o}, InvalidArgument);
}

TEST(Report, PageIsSelfContainedAndScriptFree) {
  const std::string page =
      report({model_call(kT0, "s", "gpt-4o", usage(100, 10), cost(4200 * kMicroUsd / 1000))});
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(page.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(page.find("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\""),
            std::string::npos);
  EXPECT_NE(page.find("prefers-color-scheme:dark"), std::string::npos);
  EXPECT_NE(page.find("@media print"), std::string::npos);
  expect_no_raw_markup(page);
  // The style sheet is markup, not text to escape.
  const size_t style = page.find("<style>"), style_end = page.find("</style>");
  ASSERT_NE(style, std::string::npos);
  const std::string css = page.substr(style, style_end - style);
  EXPECT_EQ(css.find('&'), std::string::npos);
  EXPECT_NE(css.find("\"Segoe UI\""), std::string::npos);
  EXPECT_NE(css.find(".meter>span"), std::string::npos);
  // Nothing is loaded: no URL other than the SVG namespace.
  EXPECT_EQ(count(page, "http://"), count(page, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find(" href="), std::string::npos);
  EXPECT_EQ(page.find(" src="), std::string::npos);
}

TEST(Report, SectionsShowTheNumbers) {
  std::vector<RecordView> rs;
  // gpt-4o: 3 calls, $0.0042 in all; claude: 1 call, $1.50; 1 unpriced call; 1 without usage.
  rs.push_back(
      model_call(kT0 + 1 * kSec, "s1", "gpt-4o", usage(1000, 247), cost(2000 * kMicroUsd), 800 * kMs));
  rs.push_back(model_call(kT0 + 2 * kSec, "s1", "gpt-4o", usage(0, 0), cost(1200 * kMicroUsd), 900 * kMs));
  rs.push_back(model_call(kT0 + 3 * kSec, "s2", "gpt-4o", usage(0, 0), cost(1000 * kMicroUsd), 2300 * kMs));
  rs.push_back(model_call(kT0 + 4 * kSec, "s2", "claude-sonnet", usage(10, 10), cost(1'500'000 * kMicroUsd),
                          83 * kSec));
  rs.push_back(model_call(kT0 + 5 * kSec, "s2", "my-model", usage(5, 5), {}, 10 * kMs));
  rs.push_back(model_call(kT0 + 6 * kSec, "s3", "gpt-4o", {}, {}, 10 * kMs));
  rs.push_back(tool_call(kT0 + 7 * kSec, "s3", "web_search", 700 * kMs));
  rs.push_back(tool_call(kT0 + 8 * kSec, "s3", "web_search", 9 * kSec, true, "timeout after 9s"));
  RecordView t;
  t.kind = RecordKind::kTurn;
  t.ts = kT0 + 9 * kSec;
  t.session = "s1";
  t.turn = 3;
  t.duration_ns = 95 * kSec;
  rs.push_back(t);
  const std::string page = report(rs);

  EXPECT_NE(page.find("$1.50"), std::string::npos);  // the total: 1.5042 shown with 2 decimals
  EXPECT_NE(page.find("exactly $1.5042"), std::string::npos);
  const std::string by_model = section(page, "cost-by-model");
  EXPECT_NE(by_model.find("<td class=\"n\">$0.0042</td>"), std::string::npos) << by_model;
  EXPECT_NE(by_model.find("gpt-4o: $0.0042, 4 calls"), std::string::npos);
  EXPECT_NE(by_model.find("1,247"), std::string::npos);             // gpt-4o's tokens
  EXPECT_NE(by_model.find(">unpriced</span>"), std::string::npos);  // my-model
  EXPECT_EQ(by_model.find("1 unpriced"), std::string::npos) << "gpt-4o's usage-less call is not unpriced";
  EXPECT_NE(by_model.find("99.7%"), std::string::npos);  // claude's share of $1.5042
  EXPECT_NE(page.find("excludes 1 unpriced calls"), std::string::npos);
  // Cards: 6 model calls, 2 tool calls, 1 error of 8 calls, 1 turn, 3 sessions.
  EXPECT_NE(page.find("<div class=\"label\">Model calls</div><div class=\"value\">6</div>"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Tool calls</div><div class=\"value\">2</div>"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"value\">12.5%</div><div class=\"note\">1 of 8 calls failed"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Sessions</div><div class=\"value\">3</div>"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Missing usage</div><div class=\"value\">1</div>"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Input</div><div class=\"value\">1,015</div>"), std::string::npos);
  EXPECT_EQ(page.find(">Reasoning</div>"), std::string::npos) << "a kind no call reported is not shown";
  // Latency: claude's 83 s call, the tool's p50 / max.
  const std::string latency = section(page, "latency");
  EXPECT_NE(latency.find("1m 23s"), std::string::npos);
  EXPECT_NE(latency.find("<td class=\"n\">9.0s</td>"), std::string::npos);
  EXPECT_NE(latency.find("<td class=\"n\">700ms</td>"), std::string::npos);
  // The slowest operation is the turn, then claude's call.
  const std::string slowest = section(page, "slowest");
  EXPECT_LT(slowest.find("turn 3"), slowest.find("claude-sonnet"));
  EXPECT_NE(slowest.find("1m 35s"), std::string::npos);
  const std::string errors = section(page, "errors");
  EXPECT_NE(errors.find("timeout after 9s"), std::string::npos);
  EXPECT_NE(errors.find("2026-11-22 10:00:08"), std::string::npos);
  for (const char *id : {"cost-by-day", "tokens-over-time", "parallelism"}) {
    EXPECT_NE(section(page, id).find("<svg"), std::string::npos) << id;
  }
  EXPECT_GE(count(page, "<svg"), 4u);
  EXPECT_NE(page.find("role=\"img\" aria-label=\"Cost by model"), std::string::npos);
}

TEST(Report, HostileNamesAreEscapedEverywhere) {
  const std::string both = kScript + kImg;
  std::vector<RecordView> rs;
  rs.push_back(model_call(kT0, both, kScript, usage(10, 10), cost(5 * kMicroUsd), 2 * kSec));
  rs.push_back(model_call(kT0 + kSec, kImg, kImg, usage(10, 10), cost(7 * kMicroUsd), 3 * kSec));
  RecordView failing = tool_call(kT0 + 2 * kSec, both, kImg, 4 * kSec, true, both);
  failing.error_type = kScript;
  rs.push_back(failing);
  rs.push_back(tool_call(kT0 + 3 * kSec, kScript, kScript, 5 * kSec, true));
  ReportOptions o;
  o.title = kScript + " & 'co'";
  o.source = "/tmp/" + kImg;
  const std::string page = report(rs, o);
  expect_no_raw_markup(page);
  const std::string script = "&lt;script&gt;window.__pwned=1&lt;/script&gt;";
  const std::string img = "&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;";
  EXPECT_NE(page.find("<title>" + script + " &amp; &#39;co&#39;</title>"), std::string::npos);
  EXPECT_NE(page.find("<h1>" + script), std::string::npos);
  EXPECT_NE(page.find("/tmp/" + img), std::string::npos);
  // In tables, SVG <text> labels, SVG <title> tooltips and attributes.
  EXPECT_NE(page.find("<td class=\"name\">" + script + "</td>"), std::string::npos);
  EXPECT_NE(page.find("text-anchor=\"end\">&quot;&gt;&lt;img src=x"), std::string::npos);  // clipped
  EXPECT_NE(page.find("<title>" + script + ": $0.0000"), std::string::npos);
  EXPECT_NE(page.find("title=\"" + script + img + "\""), std::string::npos);
  EXPECT_GE(count(page, script), 8u);
  EXPECT_GE(count(page, img), 6u);
}

TEST(Report, InvalidUtf8AndControlCharactersCannotReachThePage) {
  ReportOptions o;
  o.title = std::string("bad \xff\xfe title\x01 \xe2\x82 csi\xc2\x9b\x1b[2J");
  o.source = std::string("/tmp/\xc3\x28.jsonl");
  const std::string page = report({model_call(kT0, "s", "caf\xc3\xa9", usage(1, 1))}, o);
  EXPECT_NE(page.find("bad \xEF\xBF\xBD\xEF\xBF\xBD title\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD"),
            std::string::npos);
  EXPECT_NE(page.find("/tmp/\xEF\xBF\xBD(.jsonl"), std::string::npos);
  EXPECT_NE(page.find("csi\xEF\xBF\xBD\xEF\xBF\xBD[2J"), std::string::npos);  // C1 CSI and ESC
  EXPECT_EQ(page.find("\xc2\x9b"), std::string::npos);
  EXPECT_NE(page.find("caf\xc3\xa9"), std::string::npos);  // valid UTF-8 stays
  EXPECT_EQ(page.find('\x01'), std::string::npos);
  EXPECT_EQ(page.find('\xff'), std::string::npos);
}

TEST(Report, UnpricedDataNeverShowsZeroDollars) {
  std::vector<RecordView> rs;
  rs.push_back(model_call(kT0, "s", "my-model", usage(100, 10), {}, kSec));
  rs.push_back(model_call(kT0 + kSec, "s", "my-model", usage(100, 10), {}, kSec));
  rs.push_back(model_call(kT0 + 2 * kSec, "s", "no-usage", {}, {}, kSec));
  const std::string page = report(rs);
  EXPECT_EQ(page.find("$0"), std::string::npos);
  EXPECT_EQ(page.find('$'), std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Total cost</div><div class=\"value\">\u2014</div><div "
                      "class=\"note\">2 calls unpriced: cost unknown"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Unpriced calls</div><div class=\"value\">2</div>"),
            std::string::npos);
  EXPECT_NE(section(page, "cost-by-model").find("no cost to chart"), std::string::npos);
  EXPECT_NE(section(page, "cost-by-day").find("no cost to chart"), std::string::npos);
  EXPECT_NE(section(page, "cost-by-model").find("<span class=\"tag\">no usage</span>"), std::string::npos);
}

TEST(Report, TokensUseHoursUpTo48HoursThenDays) {
  std::vector<RecordView> rs;
  for (int h = 0; h <= 48; h += 6) rs.push_back(model_call(kT0 + h * kHour, "s", "m", usage(100 + h, 1)));
  const std::string hourly = section(report(rs), "tokens-over-time");
  EXPECT_NE(hourly.find("Per UTC hour"), std::string::npos);
  EXPECT_NE(hourly.find("<title>2026-11-22 16:00 UTC: Input 106 tokens"), std::string::npos) << hourly;
  EXPECT_NE(hourly.find(">Nov 23 00:00</text>"), std::string::npos) << hourly;

  rs.push_back(model_call(kT0 + 48 * kHour + kSec, "s", "m", usage(1000, 1)));  // just over 48 h
  const std::string daily = section(report(rs), "tokens-over-time");
  EXPECT_NE(daily.find("Per UTC day"), std::string::npos);
  // Nov 22: 10:00, 16:00, 22:00; Nov 23: 04:00 to 22:00; Nov 24: 04:00, 10:00 and the last one.
  EXPECT_NE(daily.find("<title>2026-11-22: Input 318 tokens"), std::string::npos) << daily;
  EXPECT_NE(daily.find("<title>2026-11-23: Input 508 tokens"), std::string::npos) << daily;
  EXPECT_NE(daily.find("<title>2026-11-24: Input 1,290 tokens"), std::string::npos) << daily;
  EXPECT_EQ(daily.find(" UTC: "), std::string::npos);
}

TEST(Report, ReasoningIsStackedApartFromOutput) {
  Usage u = usage(100, 50);
  u.set(kReasoning, 20);
  const std::string page = report({model_call(kT0, "s", "o3", u)});
  const std::string tokens = section(page, "tokens-over-time");
  EXPECT_NE(tokens.find("Output 30 tokens (of 150)"), std::string::npos) << tokens;
  EXPECT_NE(tokens.find("Reasoning (part of output) 20 tokens"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Reasoning</div><div class=\"value\">20</div>"),
            std::string::npos);
}

TEST(Report, ParallelismFromCallsUnlessThereAreInvocations) {
  std::vector<RecordView> rs;
  // Three overlapping calls ([ts - duration, ts)) and one after them.
  rs.push_back(model_call(kT0 + 10 * kSec, "s", "m", usage(1, 1), {}, 10 * kSec));
  rs.push_back(tool_call(kT0 + 8 * kSec, "s", "t", 6 * kSec));
  rs.push_back(tool_call(kT0 + 6 * kSec, "s", "t", 2 * kSec));
  rs.push_back(tool_call(kT0 + 30 * kSec, "s", "t", kSec));
  const std::string calls = section(report(rs), "parallelism");
  EXPECT_NE(
      calls.find("Peak <strong>3</strong> running at once, from 4 timed model and tool calls; buckets of "
                 "1 second."),
      std::string::npos)
      << calls;
  EXPECT_NE(calls.find(">peak 3</text>"), std::string::npos);
  EXPECT_NE(calls.find("<title>2026-11-22T10:00:05.000Z + 1 second: at most 3 at once, 3 running"),
            std::string::npos);

  // Invocations replace the calls, whatever comes first.
  rs.insert(rs.begin() + 1, invocation(kT0, 60 * kSec, "a"));
  rs.push_back(invocation(kT0 + 30 * kSec, 60 * kSec, "b"));
  const std::string invs = section(report(rs), "parallelism");
  EXPECT_NE(
      invs.find("Peak <strong>2</strong> running at once, from 2 invocation records; buckets of 1 second."),
      std::string::npos)
      << invs;
  EXPECT_NE(invs.find("<title>2026-11-22T10:01:29.000Z + 1 second: at most 1 at once"), std::string::npos);
  EXPECT_EQ(invs.find("10:01:30.000Z"), std::string::npos) << "b ends at 10:01:30";
}

TEST(Report, ParallelismBucketsStayFew) {
  std::vector<RecordView> rs;
  rs.push_back(tool_call(kT0 + kSec, "s", "t", kSec));
  rs.push_back(tool_call(kT0 + 3 * kHour, "s", "t", kSec));  // 3 h: 1-minute buckets
  const std::string minutes = section(report(rs), "parallelism");
  EXPECT_NE(minutes.find("buckets of 1 minute"), std::string::npos) << minutes;
  EXPECT_EQ(count(minutes, "<rect"), 2u);  // only buckets where something runs
  rs.push_back(tool_call(kT0 + 400 * 24 * kHour, "s", "t", kSec));
  const std::string days = section(report(rs), "parallelism");
  EXPECT_NE(days.find("buckets of 3 days"), std::string::npos) << days;
}

TEST(Report, SameRecordsInAnyOrderGiveTheSamePage) {
  std::deque<std::string> names;  // stable storage for the views
  std::vector<RecordView> rs;
  std::mt19937 rng(7);
  for (int i = 0; i < 400; ++i) {
    names.push_back("session-" + std::to_string(i % 13));
    const std::string_view session = names.back();
    names.push_back("model-" + std::to_string(i % 5));
    const int64_t ts = kT0 + (i % 37) * 7 * kSec;  // many equal timestamps
    if (i % 3 == 0) {
      names.push_back("error " + std::to_string(i % 4));
      rs.push_back(tool_call(ts, session, i % 2 ? "a" : "b", (i % 11) * kSec, i % 2 == 0, names.back()));
    } else {
      rs.push_back(model_call(ts, session, names.back(), usage(i, i % 7),
                              i % 4 ? cost(i * kMicroUsd) : Cost{}, (i % 9) * kSec));
    }
    if (i % 50 == 0) rs.push_back(invocation(ts, (i % 13) * kSec, names.back()));
  }
  ReportOptions o;
  o.limit = 7;
  o.now_ns = kT0;
  ReportRun run(o);
  for (const RecordView &r : rs) run.add(r);
  const std::string expected = run.finish();
  ASSERT_EQ(run.finish(), expected) << "a second finish() gives the same page";
  for (int round = 0; round < 5; ++round) {
    std::shuffle(rs.begin(), rs.end(), rng);
    ASSERT_EQ(report(rs, o), expected) << "round " << round;
  }
}

TEST(Report, EmptyRangeGivesAValidPage) {
  const std::string empty = report({});
  EXPECT_NE(empty.find("No records in range."), std::string::npos);
  EXPECT_NE(empty.find("all records"), std::string::npos);
  EXPECT_NE(empty.find("</html>"), std::string::npos);
  EXPECT_EQ(empty.find("<svg"), std::string::npos);

  ReportOptions o;
  o.from = kT0 + kHour;
  o.to = kT0 + 2 * kHour;
  const std::string outside = report({model_call(kT0, "s", "m", usage(1, 1), cost(kMicroUsd)),
                                      model_call(kT0 + 2 * kHour, "s", "m", usage(1, 1), cost(kMicroUsd))},
                                     o);
  EXPECT_NE(outside.find("No records in range."), std::string::npos);
  EXPECT_NE(outside.find("from <time datetime=\"2026-11-22T11:00:00.000Z\">2026-11-22 11:00:00</time> to "),
            std::string::npos)
      << outside;
  EXPECT_EQ(outside.find('$'), std::string::npos);
}

TEST(Report, LimitBoundsTheSlowestAndErrorTables) {
  std::vector<std::string> messages;  // the views borrow them
  for (int i = 0; i < 30; ++i) messages.push_back("failure " + std::to_string(i));
  std::vector<RecordView> rs;
  for (int i = 0; i < 30; ++i)
    rs.push_back(tool_call(kT0 + i * kSec, "s", "t", (i + 1) * kSec, true, messages[i]));
  ReportOptions o;
  o.limit = 5;
  const std::string page = report(rs, o);
  const std::string slowest = section(page, "slowest"), errors = section(page, "errors");
  EXPECT_EQ(count(slowest, "<tr>"), 6u);  // the header and 5 rows
  EXPECT_EQ(count(errors, "<tr>"), 6u);
  EXPECT_NE(slowest.find("30.0s"), std::string::npos);
  EXPECT_NE(slowest.find("26.0s"), std::string::npos);
  EXPECT_EQ(slowest.find("25.0s"), std::string::npos);
  EXPECT_NE(errors.find("failure 29"), std::string::npos);
  EXPECT_NE(errors.find("failure 25"), std::string::npos);
  EXPECT_EQ(errors.find("failure 24"), std::string::npos);
  EXPECT_NE(errors.find("30 tool errors in range; the 5 most recent"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Through the C ABI: a recorder writes a journal, agm_history_report_html reads it.

using namespace store_test;

Session open_session(agm_recorder *rec, const char *id, const char *agent) {
  agm_session *s = nullptr;
  agm_session_options o = AGM_SESSION_OPTIONS_INIT;
  o.session_id = id;
  o.agent = agent;
  EXPECT_EQ(agm_session_new(&s, rec, &o), AGM_OK) << agm_last_error_message();
  return Session(s);
}

void record_model(agm_session *s, const char *model, int64_t input, int64_t output, int64_t duration_ns,
                  int64_t reasoning = 0, bool error = false) {
  agm_usage u = AGM_USAGE_INIT;
  u.present =
      AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_CACHE_WRITE;
  u.input_tokens = input;
  u.output_tokens = output;
  u.cache_read_tokens = input * 2;
  u.cache_write_tokens = input / 4;
  if (reasoning) {
    u.present |= AGM_USAGE_HAS_REASONING;
    u.reasoning_tokens = reasoning;
  }
  agm_model_call call = AGM_MODEL_CALL_INIT;
  call.model = model;
  call.usage = &u;
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = duration_ns;
  call.outcome = error ? AGM_OUTCOME_ERROR : AGM_OUTCOME_OK;
  call.error_type = error ? "rate_limit" : nullptr;
  ASSERT_FALSE(AGM_FAILED(agm_session_record_model_call(s, &call))) << agm_last_error_message();
}

void record_tool(agm_session *s, const char *name, int64_t duration_ns, const char *error = nullptr,
                 const char *error_type = nullptr) {
  agm_tool_call call = AGM_TOOL_CALL_INIT;
  call.name = name;
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = duration_ns;
  call.outcome = error ? AGM_OUTCOME_ERROR : AGM_OUTCOME_OK;
  call.error_message = error;
  call.error_type = error_type;
  ASSERT_EQ(agm_session_record_tool_call(s, &call), AGM_OK) << agm_last_error_message();
}

struct HistoryDeleter {
  void operator()(agm_history *h) const { agm_history_free(h); }
};

// A night of agent work: 18 sessions of planner and coder agents, one every 30 minutes from
// 20:00 UTC to past midnight, in turns of model and tool calls: priced, unpriced and hostile
// models and tools, errors, overlapping calls, and a last call without usage.
void agent_night(agm_recorder *rec, FakeClock &clock) {
  static const char *kModels[] = {"gpt-4o", "claude-sonnet-4-5", "gpt-4o-mini", "o3", "my-local-model"};
  static const char *kTools[] = {"web_search", "read_file", "run_tests", "edit_file"};
  std::mt19937 rng(42);
  const int64_t start = 10 * kHour;  // kWall0 + 10 h: 20:00
  for (int s = 0; s < 18; ++s) {
    clock.now = start + s * 30 * 60 * kSec + (rng() % 600) * kSec;  // sessions overlap
    const std::string id = s == 3 ? kScript : s == 5 ? kImg : "session-" + std::to_string(s + 1);
    Session session = open_session(rec, id.c_str(), s % 2 ? "coder" : "planner");
    for (int step = 0; step < 14 + s % 5; ++step) {
      if (step % 4 == 0) {
        ASSERT_EQ(agm_session_turn_begin(session.get(), nullptr), AGM_OK);
      }
      clock.now += (30 + rng() % 150) * kSec;
      const char *model = step == 4 && s % 4 == 0 ? kScript.c_str() : kModels[(s + step) % (s % 3 ? 4 : 5)];
      const int64_t input = 400 + rng() % 3000, output = 50 + rng() % 900;
      record_model(session.get(), model, input, output, (300 + rng() % 12000) * kMs,
                   model == kModels[3] ? output / 3 : 0, step == 7 && s % 5 == 0);
      const char *tool = step == 6 && s % 3 == 0 ? kImg.c_str() : kTools[(s * 3 + step) % 4];
      const bool fails = step % 5 == 2 && s % 2 == 0;
      record_tool(session.get(), tool, (50 + rng() % 6000) * kMs,
                  fails ? (s == 4 ? (kScript + kImg).c_str() : "exit status 1: 3 tests failed") : nullptr,
                  fails ? kScript.c_str() : nullptr);
      if (step % 4 == 3) {
        ASSERT_EQ(agm_session_turn_end(session.get(), nullptr), AGM_OK);
      }
    }
  }
  agm_model_call unknown = AGM_MODEL_CALL_INIT;  // a call without usage
  unknown.model = "gpt-4o";
  Session last = open_session(rec, "session-final", "planner");
  ASSERT_FALSE(AGM_FAILED(agm_session_record_model_call(last.get(), &unknown)));
}

TEST(ReportCApi, JournalReportEscapesAndCounts) {
  TempDir dir;
  const std::string journal = dir / "metrics.jsonl";
  FakeClock clock;
  const agm_recorder_options options = clock_options(clock);
  Recorder rec = new_recorder(&options);
  const char *price = R"({"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06})";
  ASSERT_EQ(agm_recorder_set_price(rec.get(), kScript.c_str(), price, std::strlen(price)), AGM_OK);
  agm_store_options store = AGM_STORE_OPTIONS_INIT;
  store.journal = journal.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &store), AGM_OK) << agm_last_error_message();
  agent_night(rec.get(), clock);
  ASSERT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  agm_totals totals = AGM_TOTALS_INIT;
  ASSERT_EQ(agm_recorder_totals(&totals, rec.get()), AGM_OK);

  agm_history *raw = nullptr;
  ASSERT_EQ(agm_history_open(&raw, journal.c_str()), AGM_OK) << agm_last_error_message();
  std::unique_ptr<agm_history, HistoryDeleter> history(raw);
  agm_query range = AGM_QUERY_INIT;
  range.present = AGM_QUERY_HAS_NOW;
  range.now_ns = kWall0 + clock.now + kSec;
  agm_report_options o = AGM_REPORT_OPTIONS_INIT;
  o.range = &range;
  o.limit = 8;
  const std::string title = "Agent night " + kScript;
  o.title = title.c_str();
  Buffer out;
  ASSERT_EQ(agm_history_report_html(out.get(), history.get(), &o), AGM_OK) << agm_last_error_message();
  const std::string page = out.str();
  if (const char *path = std::getenv("AGM_REPORT_HTML")) std::ofstream(path, std::ios::binary) << page;

  expect_no_raw_markup(page);
  EXPECT_NE(page.find("<h1>Agent night &lt;script&gt;window.__pwned=1&lt;/script&gt;</h1>"),
            std::string::npos);
  EXPECT_NE(page.find(journal), std::string::npos);  // the store's path
  EXPECT_NE(page.find("all records"), std::string::npos);
  EXPECT_NE(page.find("<dd><time datetime=\"" + format_iso_ms(kWall0 + clock.now + kSec)), std::string::npos);
  // The recorder's own totals, formatted.
  agm_buffer cost_text{nullptr, 0, nullptr};
  ASSERT_EQ(agm_format_cost(&cost_text, &totals.cost.total), AGM_OK);
  EXPECT_NE(page.find("<div class=\"label\">Total cost</div><div class=\"value\">" +
                      std::string(cost_text.data, cost_text.size) + "</div>"),
            std::string::npos);
  agm_buffer_free(&cost_text);
  EXPECT_NE(page.find("<div class=\"label\">Model calls</div><div class=\"value\">" +
                      format_tokens(static_cast<int64_t>(totals.model_calls)) + "</div>"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Missing usage</div><div class=\"value\">1</div>"),
            std::string::npos);
  EXPECT_NE(page.find("<div class=\"label\">Sessions</div><div class=\"value\">19</div>"), std::string::npos);
  EXPECT_EQ(count(section(page, "slowest"), "<tr>"), 9u);
  EXPECT_EQ(count(section(page, "errors"), "<tr>"), 9u);
  EXPECT_NE(section(page, "parallelism").find("timed model and tool calls; buckets of 5 minutes."),
            std::string::npos);
  EXPECT_NE(section(page, "tokens-over-time").find("Per UTC hour"), std::string::npos);
  EXPECT_GE(count(page, "<svg"), 4u);

  // A range with nothing in it.
  range.period = AGM_PERIOD_RANGE;
  range.from_ns = kWall0 - 10 * kHour;
  range.to_ns = kWall0 - 9 * kHour;
  Buffer none;
  ASSERT_EQ(agm_history_report_html(none.get(), history.get(), &o), AGM_OK) << agm_last_error_message();
  EXPECT_NE(none.str().find("No records in range."), std::string::npos);
  // Options are checked.
  range.to_ns = range.from_ns - 1;
  Buffer bad;
  EXPECT_EQ(agm_history_report_html(bad.get(), history.get(), &o), AGM_E_INVALID_ARGUMENT);
}

TEST(ReportCApi, EmptyStore) {
  TempDir dir;
  const std::string journal = dir / "empty.jsonl";
  append_text(journal, "");
  agm_history *raw = nullptr;
  ASSERT_EQ(agm_history_open(&raw, journal.c_str()), AGM_OK) << agm_last_error_message();
  std::unique_ptr<agm_history, HistoryDeleter> history(raw);
  const agm_report_options o = AGM_REPORT_OPTIONS_INIT;
  Buffer out;
  ASSERT_EQ(agm_history_report_html(out.get(), history.get(), &o), AGM_OK) << agm_last_error_message();
  const std::string page = out.str();
  EXPECT_NE(page.find("<title>agentmetrics report</title>"), std::string::npos);
  EXPECT_NE(page.find("No records in range."), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace agentmetrics
