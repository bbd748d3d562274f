// The readers of a store agree: one store, holding the recorder's own records and foreign or
// older ones (no model, no source, no provider, a retry, a negative duration, a turn with its
// tokens and cost, failing calls, tool calls), read by agm_recorder_load + its totals and
// breakdowns, the history queries, the Prometheus export and the HTML report, must give the
// same keys and the same totals (core/src/fold.hpp: one fold over stored records; labels made
// canonical where records are decoded). The same records in a journal and in a SQLite
// database. Through the public C ABI.
#include <sqlite3.h>

#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "store_helpers.hpp"

using namespace store_test;

namespace {

using Counts = std::map<std::string, uint64_t>;

// What one reader shows; a reader leaves unset what it does not show.
struct Seen {
  std::optional<Counts> by_model, by_provider, by_source, by_tool;  // calls per key
  std::optional<uint64_t> model_calls, model_errors, retries, tool_calls, tool_errors, turns;
  std::optional<int64_t> input_tokens, output_tokens;
  std::optional<double> cost;                 // USD
  std::optional<uint64_t> timed_model_calls;  // model calls with a duration
  std::optional<double> model_duration_sum_ms;
  std::optional<uint64_t> malformed;
};

template <class T>
void expect_field(const char *reader, const char *field, const std::optional<T> &want,
                  const std::optional<T> &got) {
  if (!got) return;
  ASSERT_TRUE(want.has_value()) << field;
  if constexpr (std::is_same_v<T, double>) {
    EXPECT_NEAR(*got, *want, 1e-6 + 1e-6 * std::fabs(*want)) << reader << ": " << field;
  } else {
    EXPECT_EQ(*got, *want) << reader << ": " << field;
  }
}

void expect_agrees(const char *reader, const Seen &want, const Seen &got) {
  SCOPED_TRACE(reader);
  expect_field(reader, "calls by model", want.by_model, got.by_model);
  expect_field(reader, "calls by provider", want.by_provider, got.by_provider);
  expect_field(reader, "calls by source", want.by_source, got.by_source);
  expect_field(reader, "calls by tool", want.by_tool, got.by_tool);
  expect_field(reader, "model calls", want.model_calls, got.model_calls);
  expect_field(reader, "model errors", want.model_errors, got.model_errors);
  expect_field(reader, "retries", want.retries, got.retries);
  expect_field(reader, "tool calls", want.tool_calls, got.tool_calls);
  expect_field(reader, "tool errors", want.tool_errors, got.tool_errors);
  expect_field(reader, "turns", want.turns, got.turns);
  expect_field(reader, "input tokens", want.input_tokens, got.input_tokens);
  expect_field(reader, "output tokens", want.output_tokens, got.output_tokens);
  expect_field(reader, "cost", want.cost, got.cost);
  expect_field(reader, "timed model calls", want.timed_model_calls, got.timed_model_calls);
  expect_field(reader, "model duration sum (ms)", want.model_duration_sum_ms, got.model_duration_sum_ms);
  expect_field(reader, "malformed", want.malformed, got.malformed);
}

// ---------------------------------------------------------------------------------------------
// The store

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;

// The recorder's own records: a model call that names no model, source or provider (stored as
// the recorder labels it), a priced-looking one, a tool call.
void record_own(const std::string &journal, const std::string &database) {
  FakeClock clock;
  const agm_recorder_options ro = clock_options(clock);
  Recorder rec = new_recorder(&ro);
  agm_store_options so = AGM_STORE_OPTIONS_INIT;
  so.journal = journal.empty() ? nullptr : journal.c_str();
  so.database = database.empty() ? nullptr : database.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &so), AGM_OK) << agm_last_error_message();
  agm_session *raw = nullptr;
  agm_session_options o = AGM_SESSION_OPTIONS_INIT;
  o.session_id = "own";
  o.agent = "planner";
  ASSERT_EQ(agm_session_new(&raw, rec.get(), &o), AGM_OK) << agm_last_error_message();
  Session s(raw);
  agm_usage usage = AGM_USAGE_INIT;
  usage.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  usage.input_tokens = 100;
  usage.output_tokens = 50;
  agm_model_call call = AGM_MODEL_CALL_INIT;  // no model, source or provider
  call.usage = &usage;
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = 200 * kMs;
  ASSERT_FALSE(AGM_FAILED(agm_session_record_model_call(s.get(), &call))) << agm_last_error_message();
  agm_tool_call tool = AGM_TOOL_CALL_INIT;
  tool.name = "web_search";
  tool.present = AGM_CALL_HAS_DURATION;
  tool.duration_ns = 100 * kMs;
  ASSERT_EQ(agm_session_record_tool_call(s.get(), &tool), AGM_OK) << agm_last_error_message();
  s.reset();
  ASSERT_EQ(agm_recorder_close_store(rec.get()), AGM_OK) << agm_last_error_message();
}

// Foreign and older journal lines (the schema: an absent member is "not reported").
std::string foreign_lines() {
  auto at = [](int s) { return std::to_string(kWall0 + s * kSec); };
  return
      // An older writer's call: every label and the outcome absent, a retry.
      R"({"v":1,"kind":"model_call","ts":)" + at(11) +
      R"(,"session":"old","attempt":2,"duration_ns":500000000,"usage":{"input":10,"output":5}})"
      "\n"
      // A priced call with every label.
      R"({"v":1,"kind":"model_call","ts":)" +
      at(12) +
      R"(,"session":"s1","agent":"planner","turn":1,"model":"gpt-4o","provider":"openai","source":"agent",)"
      R"("attempt":1,"outcome":"ok","duration_ns":800000000,"ttft_ns":100000000,)"
      R"("usage":{"input":1000,"output":200,"total":1200},)"
      R"("cost":{"input":0.0025,"cache_read":0,"cache_write_5m":0,"cache_write_1h":0,"output":0.002,)"
      R"("reasoning":0,"total":0.0045}})"
      "\n"
      // A failing call a tool made, without usage.
      R"({"v":1,"kind":"model_call","ts":)" +
      at(13) +
      R"(,"session":"s2","agent":"coder","model":"claude-sonnet","provider":"anthropic",)"
      R"("source":"tool:web_search","outcome":"error","error_type":"rate_limit","error":"429",)"
      R"("duration_ns":100000000})"
      "\n"
      // A failing tool call.
      R"({"v":1,"kind":"tool_call","ts":)" +
      at(14) +
      R"(,"session":"s2","agent":"coder","tool":"shell","call_id":"c1","outcome":"error",)"
      R"("error":"exit 1","duration_ns":50000000})"
      "\n"
      // A negative duration: malformed in a journal (a database row holds it: see below).
      R"({"v":1,"kind":"model_call","ts":)" +
      at(15) +
      R"(,"session":"s2","model":"gpt-4o","duration_ns":-5000000000})"
      "\n"
      // A turn: its tokens and cost are its model calls', not to be added again.
      R"({"v":1,"kind":"turn","ts":)" +
      at(16) +
      R"(,"session":"s1","agent":"planner","turn":1,"duration_ns":2000000000,"tool_wall_ns":0,)"
      R"("tool_work_ns":0,"model_calls":1,"tool_calls":0,"tokens":1200,"cost":0.0045})"
      "\n";
}

// The same foreign records as rows of a database (NULL: not reported); the negative duration
// is a row a foreign writer could store.
void insert_foreign_rows(const std::string &database) {
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
  auto at = [](int s) { return std::to_string(kWall0 + s * kSec); };
  const std::string sql =
      "BEGIN;"
      "INSERT INTO records (kind, ts, session, attempt, duration_ns, input_tokens, output_tokens) VALUES "
      "('model_call', " +
      at(11) +
      ", 'old', 2, 500000000, 10, 5);"
      "INSERT INTO records (kind, ts, session, agent, turn, model, provider, source, attempt, error, "
      "duration_ns, ttft_ns, input_tokens, output_tokens, total_tokens, cost_input, cost_cache_read, "
      "cost_cache_write_5m, cost_cache_write_1h, cost_output, cost_reasoning, cost_total) VALUES "
      "('model_call', " +
      at(12) +
      ", 's1', 'planner', 1, 'gpt-4o', 'openai', 'agent', 1, 0, 800000000, 100000000, 1000, 200, 1200, "
      "'0.0025', '0', '0', '0', '0.002', '0', '0.0045');"
      "INSERT INTO records (kind, ts, session, agent, model, provider, source, error, error_type, "
      "error_message, duration_ns) VALUES ('model_call', " +
      at(13) +
      ", 's2', 'coder', 'claude-sonnet', 'anthropic', 'tool:web_search', 1, 'rate_limit', '429', "
      "100000000);"
      "INSERT INTO records (kind, ts, session, agent, tool, call_id, error, error_message, duration_ns) "
      "VALUES ('tool_call', " +
      at(14) +
      ", 's2', 'coder', 'shell', 'c1', 1, 'exit 1', 50000000);"
      "INSERT INTO records (kind, ts, session, model, duration_ns) VALUES ('model_call', " +
      at(15) +
      ", 's2', 'gpt-4o', -5000000000);"
      "INSERT INTO records (kind, ts, session, agent, turn, duration_ns, tool_wall_ns, tool_work_ns, "
      "model_calls, tool_calls, turn_tokens, turn_cost) VALUES ('turn', " +
      at(16) +
      ", 's1', 'planner', 1, 2000000000, 0, 0, 1, 0, 1200, '0.0045');"
      "COMMIT;";
  char *error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// What every reader must show for the store. In a journal the negative duration's line is
// malformed; in a database it is a model call of gpt-4o whose duration counts as 0.
Seen expected(bool database) {
  Seen e;
  const uint64_t negative = database ? 1 : 0;
  e.by_model = Counts{{"unknown", 2}, {"gpt-4o", 1 + negative}, {"claude-sonnet", 1}};
  e.by_provider = Counts{{"", 2 + negative}, {"openai", 1}, {"anthropic", 1}};
  e.by_source = Counts{{"agent", 3 + negative}, {"tool:web_search", 1}};
  e.by_tool = Counts{{"web_search", 1}, {"shell", 1}};
  e.model_calls = 4 + negative;
  e.model_errors = 1;
  e.retries = 1;
  e.tool_calls = 2;
  e.tool_errors = 1;
  e.turns = 1;
  e.input_tokens = 1110;
  e.output_tokens = 255;
  e.cost = 0.0045;
  e.timed_model_calls = 4 + negative;
  e.model_duration_sum_ms = 200 + 500 + 800 + 100;  // the negative one counts as 0
  e.malformed = database ? 0 : 1;
  return e;
}

// ---------------------------------------------------------------------------------------------
// The readers

Seen by_load(const std::string &path) {
  Seen s;
  Recorder rec = new_recorder();
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  EXPECT_EQ(agm_recorder_load(rec.get(), path.c_str(), nullptr, &report, nullptr), AGM_OK)
      << agm_last_error_message();
  s.malformed = report.malformed;
  agm_totals t = AGM_TOTALS_INIT;
  EXPECT_EQ(agm_recorder_totals(&t, rec.get()), AGM_OK);
  s.model_calls = t.model_calls;
  s.model_errors = t.model_errors;
  s.retries = t.retries;
  s.tool_calls = t.tool_calls;
  s.tool_errors = t.tool_errors;
  s.turns = t.turns;
  s.input_tokens = t.input_tokens;
  s.output_tokens = t.output_tokens;
  s.cost = agm_money_to_double(&t.cost.total);
  auto breakdown = [&](int32_t by, bool tools) {
    Counts c;
    agm_breakdown *b = nullptr;
    EXPECT_EQ(agm_recorder_breakdown(&b, rec.get(), by), AGM_OK);
    for (size_t i = 0; i < agm_breakdown_count(b); ++i) {
      agm_totals g = AGM_TOTALS_INIT;
      EXPECT_EQ(agm_breakdown_totals(&g, b, i), AGM_OK);
      c[agm_breakdown_key(b, i)] = tools ? g.tool_calls : g.model_calls;
    }
    agm_breakdown_free(b);
    return c;
  };
  s.by_model = breakdown(AGM_BY_MODEL, false);
  s.by_provider = breakdown(AGM_BY_PROVIDER, false);
  s.by_source = breakdown(AGM_BY_SOURCE, false);
  s.by_tool = breakdown(AGM_BY_TOOL, true);
  agm_duration_stats d = AGM_DURATION_STATS_INIT;
  EXPECT_EQ(agm_recorder_durations(&d, rec.get(), AGM_DURATION_MODEL_CALL), AGM_OK);
  s.timed_model_calls = d.count;
  s.model_duration_sum_ms = static_cast<double>(d.sum_ns) / kMs;
  EXPECT_GE(d.min_ns, 0) << "a negative duration counts as 0";
  return s;
}

std::string query(agm_history *h, uint32_t kind, int32_t group_by = 0) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = kind;
  q.group_by = group_by;
  q.limit = 100;
  Buffer out;
  EXPECT_EQ(agm_history_query(out.get(), h, &q), AGM_OK) << agm_last_error_message();
  return out.str();
}

Seen by_history(const std::string &path) {
  Seen s;
  agm_history *h = nullptr;
  EXPECT_EQ(agm_history_open(&h, path.c_str()), AGM_OK) << agm_last_error_message();
  simdjson::dom::parser parser;
  const std::string summary = query(h, AGM_QUERY_SUMMARY);
  simdjson::dom::element doc = parser.parse(summary);
  s.model_calls = uint64_t(doc["model_calls"]);
  s.model_errors = uint64_t(doc["model_errors"]);
  s.retries = uint64_t(doc["retries"]);
  s.tool_calls = uint64_t(doc["tool_calls"]);
  s.tool_errors = uint64_t(doc["tool_errors"]);
  s.turns = uint64_t(doc["turns"]);
  s.input_tokens = int64_t(doc["tokens"]["input"]);
  s.output_tokens = int64_t(doc["tokens"]["output"]);
  s.cost = double(doc["cost"]["total"]);
  s.timed_model_calls = uint64_t(doc["model_latency"]["count"]);
  s.model_duration_sum_ms = double(doc["model_latency"]["mean_ms"]) * double(*s.timed_model_calls);
  Counts tools;
  for (auto [key, value] : simdjson::dom::object(doc["calls_by_tool"]))
    tools[std::string(key)] = uint64_t(value);
  s.by_tool = tools;
  Counts cost_keys;  // cost_by_model: its keys are the models
  for (auto [key, value] : simdjson::dom::object(doc["cost_by_model"])) cost_keys[std::string(key)] = 0;
  auto groups = [&](int32_t by) {
    Counts c;
    const std::string text = query(h, AGM_QUERY_COST_BREAKDOWN, by);
    simdjson::dom::parser p;
    for (simdjson::dom::element g : simdjson::dom::array(p.parse(text)["groups"]))
      c[std::string(std::string_view(g["key"]))] = uint64_t(g["model_calls"]);
    return c;
  };
  s.by_model = groups(AGM_BY_MODEL);
  s.by_provider = groups(AGM_BY_PROVIDER);
  s.by_source = groups(AGM_BY_SOURCE);
  Counts models = *s.by_model;
  for (auto &[key, calls] : models) calls = 0;
  EXPECT_EQ(cost_keys, models) << "summary's cost_by_model and the breakdown by model";
  Buffer warnings;
  EXPECT_EQ(agm_history_warnings(warnings.get(), h), AGM_OK);
  s.malformed = uint64_t(parser.parse(warnings.str())["malformed"]);
  agm_history_free(h);
  return s;
}

int32_t collect(void *user, const char *data, size_t size) {
  static_cast<std::string *>(user)->append(data, size);
  return 0;
}

// The value of label `name` in a Prometheus sample's label set ("" when absent).
std::string label(const std::string &labels, const std::string &name) {
  const std::regex re("(?:^|,)" + name + "=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(labels, m, re) ? m[1].str() : std::string();
}

Seen by_export(const std::string &path) {
  Seen s;
  agm_history *h = nullptr;
  EXPECT_EQ(agm_history_open(&h, path.c_str()), AGM_OK) << agm_last_error_message();
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  o.format = AGM_EXPORT_PROMETHEUS;
  std::string text;
  EXPECT_EQ(agm_history_export(h, &o, collect, &text), AGM_OK) << agm_last_error_message();
  agm_history_free(h);

  Counts models, providers, tools;
  uint64_t model_calls = 0, model_errors = 0, tool_calls = 0, tool_errors = 0, turns = 0, timed = 0;
  int64_t input = 0, output = 0;
  double cost = 0, duration_s = 0;
  const std::regex sample(R"(^([a-z_]+)\{([^}]*)\} (\S+)$)");
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    std::smatch m;
    if (!std::regex_match(line, m, sample)) continue;
    const std::string name = m[1], labels = m[2];
    const double value = std::stod(m[3]);
    const auto n = static_cast<uint64_t>(value);
    if (name == "agentmetrics_model_calls_total") {
      model_calls += n;
      models[label(labels, "gen_ai_request_model")] += n;
      providers[label(labels, "gen_ai_provider_name")] += n;
      if (label(labels, "agentmetrics_outcome") == "error") model_errors += n;
    } else if (name == "agentmetrics_tool_calls_total") {
      tool_calls += n;
      tools[label(labels, "gen_ai_tool_name")] += n;
      if (label(labels, "agentmetrics_outcome") == "error") tool_errors += n;
    } else if (name == "agentmetrics_tokens_total") {
      const std::string kind = label(labels, "agentmetrics_token_kind");
      if (kind == "input") input += static_cast<int64_t>(value);
      if (kind == "output") output += static_cast<int64_t>(value);
    } else if (name == "agentmetrics_cost_usd_total") {
      cost += value;
    } else if (name == "gen_ai_client_operation_duration_seconds_count") {
      timed += n;
    } else if (name == "gen_ai_client_operation_duration_seconds_sum") {
      duration_s += value;
    } else if (name == "gen_ai_invoke_agent_duration_seconds_count" &&
               label(labels, "agentmetrics_record_kind") == "turn") {
      turns += n;
    }
  }
  s.by_model = models;
  s.by_provider = providers;
  s.by_tool = tools;
  s.model_calls = model_calls;
  s.model_errors = model_errors;
  s.tool_calls = tool_calls;
  s.tool_errors = tool_errors;
  s.turns = turns;  // every turn here has a duration
  s.input_tokens = input;
  s.output_tokens = output;
  s.cost = cost;
  s.timed_model_calls = timed;
  s.model_duration_sum_ms = duration_s * 1000;
  return s;
}

// The text of the section with this id.
std::string section(const std::string &page, const std::string &id) {
  const size_t start = page.find("<section id=\"" + id + "\"");
  if (start == std::string::npos) return {};
  return page.substr(start, page.find("</section>", start) - start);
}

// The cells of each row of the first table body at or after `from` in `html`.
std::vector<std::vector<std::string>> body_rows(const std::string &html, size_t from = 0) {
  std::vector<std::vector<std::string>> rows;
  const size_t begin = html.find("<tbody>", from);
  if (begin == std::string::npos) return rows;
  const std::string body = html.substr(begin, html.find("</tbody>", begin) - begin);
  const std::regex row("<tr>(.*?)</tr>"), cell("<td[^>]*>(.*?)</td>");
  for (std::sregex_iterator r(body.begin(), body.end(), row), end; r != end; ++r) {
    const std::string text = (*r)[1];
    auto &cells = rows.emplace_back();
    for (std::sregex_iterator c(text.begin(), text.end(), cell); c != end; ++c) cells.push_back((*c)[1]);
  }
  return rows;
}

uint64_t count_of(std::string text) {
  std::erase(text, ',');
  return std::stoull(text);
}

// A card's value and note.
std::pair<std::string, std::string> card(const std::string &page, const std::string &label) {
  const std::regex re("<div class=\"label\">" + label +
                      "</div><div class=\"value\">([^<]*)</div>(?:<div class=\"note\">([^<]*)</div>)?");
  std::smatch m;
  if (!std::regex_search(page, m, re)) return {};
  return {m[1], m[2]};
}

Seen by_report(const std::string &path) {
  Seen s;
  agm_history *h = nullptr;
  EXPECT_EQ(agm_history_open(&h, path.c_str()), AGM_OK) << agm_last_error_message();
  agm_report_options o = AGM_REPORT_OPTIONS_INIT;
  Buffer out;
  EXPECT_EQ(agm_history_report_html(out.get(), h, &o), AGM_OK) << agm_last_error_message();
  agm_history_free(h);
  const std::string page = out.str();

  Counts models, tools;
  uint64_t model_errors = 0;
  for (const auto &cells : body_rows(section(page, "cost-by-model"))) {
    if (cells.size() < 3) continue;
    models[cells[0]] = count_of(cells[1]);
    model_errors += count_of(cells[2]);
  }
  const std::string latency = section(page, "latency");
  for (const auto &cells : body_rows(latency, latency.find("Per tool"))) {
    if (cells.size() >= 2) tools[cells[0]] = count_of(cells[1]);
  }
  s.by_model = models;
  s.by_tool = tools;
  s.model_errors = model_errors;
  const auto [model_calls, model_note] = card(page, "Model calls");
  s.model_calls = count_of(model_calls);
  std::smatch m;
  if (std::regex_search(model_note, m, std::regex(R"(([\d,]+) errors [^0-9]+([\d,]+) retries)"))) {
    EXPECT_EQ(count_of(m[1]), model_errors) << "the card and the table";
    s.retries = count_of(m[2]);
  } else {
    ADD_FAILURE() << "no retries on the model calls card: " << model_note;
  }
  const auto [tool_calls, tool_note] = card(page, "Tool calls");
  s.tool_calls = count_of(tool_calls);
  s.tool_errors = count_of(tool_note.substr(0, tool_note.find(' ')));
  s.turns = count_of(card(page, "Turns").first);
  s.input_tokens = static_cast<int64_t>(count_of(card(page, "Input").first));
  s.output_tokens = static_cast<int64_t>(count_of(card(page, "Output").first));
  EXPECT_EQ(card(page, "Total cost").first, "$0.0045");
  // The footer of the per-model latency table: all model calls, those timed.
  const size_t foot = latency.find("<td>All model calls</td>");
  if (foot != std::string::npos) {
    const std::regex cell("<td class=\"n\">([^<]*)</td>");
    std::vector<std::string> cells;
    const std::string tail = latency.substr(foot, latency.find("</tr>", foot) - foot);
    for (std::sregex_iterator c(tail.begin(), tail.end(), cell), end; c != end; ++c) cells.push_back((*c)[1]);
    if (cells.size() >= 3) s.timed_model_calls = count_of(cells[2]);
  } else {
    ADD_FAILURE() << "no per-model latency table";
  }
  return s;
}

// Every reader, then each against what the store holds.
void expect_readers_agree(const std::string &path, bool database) {
  const Seen want = expected(database);
  expect_agrees("agm_recorder_load", want, by_load(path));
  expect_agrees("agm_history_query", want, by_history(path));
  expect_agrees("agm_history_export (Prometheus)", want, by_export(path));
  expect_agrees("agm_history_report_html", want, by_report(path));
}

TEST(ReadersAgree, OnAJournalWithForeignLines) {
  TempDir dir;
  const std::string journal = dir / "agent.jsonl";
  record_own(journal, "");
  if (HasFatalFailure()) return;
  append_text(journal, foreign_lines());
  expect_readers_agree(journal, false);
}

TEST(ReadersAgree, OnADatabaseWithForeignRows) {
  TempDir dir;
  const std::string database = dir / "agent.db";
  record_own("", database);
  if (HasFatalFailure()) return;
  insert_foreign_rows(database);
  expect_readers_agree(database, true);
}

}  // namespace
