#include "render.hpp"

#include <cstdio>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "table.hpp"

namespace agmcli {

namespace {

constexpr size_t kMessageWidth = 60;  // error texts in tables; the JSON has them whole

std::string join(const std::vector<std::string> &parts, std::string_view sep = " · ") {
  std::string out;
  for (const auto &p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

bool is_zero_money(const Json &decimal) {
  agm_money m = AGM_MONEY_ZERO;
  if (!decimal.is_number() && !decimal.is_string()) return true;
  return !AGM_FAILED(agm_money_from_decimal(&m, decimal.text().c_str())) && m.hi == 0 && m.lo == 0;
}

// A group key: unlabelled records group under "".
std::string key_text(std::string_view key) {
  return key.empty() ? "(none)" : std::string(key);
}

std::string period(const Json &doc) {
  const Json &from = doc["from"], &to = doc["to"];
  if (from.is_null() && to.is_null()) return "all records";
  if (to.is_null()) return "since " + from.text();
  if (from.is_null()) return "before " + to.text();
  return from.text() + " to " + to.text();
}

// "4,759 total · 1,247 input · 3,200 cache read · 312 output": the kinds some call reported.
std::string tokens_line(const Json &t) {
  static constexpr std::pair<const char *, const char *> kKinds[] = {{"total", "total"},
                                                                     {"input", "input"},
                                                                     {"cache_read", "cache read"},
                                                                     {"cache_write", "cache write"},
                                                                     {"cache_write_1h", "of them 1h"},
                                                                     {"output", "output"},
                                                                     {"reasoning", "reasoning"}};
  std::vector<std::string> parts;
  for (auto [key, name] : kKinds) {
    if (t[key].is_number()) parts.push_back(tokens(t[key]) + " " + name);
  }
  return parts.empty() ? "none reported" : join(parts);
}

// The cost of "model totals": never $0 for calls that were not priced.
std::string cost_line(const Json &totals) {
  const Json &c = totals["cost"];
  const int64_t unpriced = totals["calls_unpriced"].as_int();
  if (c.is_null()) return unpriced > 0 ? "— (no call was priced)" : "—";
  static constexpr std::pair<const char *, const char *> kItems[] = {{"input", "input"},
                                                                     {"cache_read", "cache read"},
                                                                     {"cache_write_5m", "cache write"},
                                                                     {"cache_write_1h", "cache write 1h"},
                                                                     {"output", "output"},
                                                                     {"reasoning", "reasoning"}};
  std::vector<std::string> items;
  for (auto [key, name] : kItems) {
    if (!is_zero_money(c[key])) items.push_back(std::string(name) + " " + cost(c[key]));
  }
  std::string out = cost(c["total"]);
  if (!items.empty()) out += " (" + join(items) + ")";
  if (unpriced > 0) out += " · " + plural(unpriced, "unpriced call", "unpriced calls") + " not included";
  return out;
}

std::string model_calls_line(const Json &totals) {
  std::vector<std::string> parts{tokens(totals["model_calls"])};
  auto extra = [&](const char *key, std::string_view one, std::string_view many) {
    const int64_t n = totals[key].as_int();
    if (n > 0) parts.push_back(plural(n, one, many));
  };
  extra("calls_missing_usage", "without usage", "without usage");
  extra("calls_unpriced", "unpriced", "unpriced");
  extra("model_errors", "error", "errors");
  extra("retries", "retry", "retries");
  return join(parts);
}

std::string calls_errors(const Json &calls, const Json &errors) {
  std::string out = tokens(calls);
  if (errors.as_int() > 0) out += " · " + plural(errors.as_int(), "error", "errors");
  return out;
}

std::string latency_line(const Json &lat) {
  if (lat["count"].as_int() == 0) return kNone;
  return join({"mean " + duration_ms(lat["mean_ms"]), "p50 " + duration_ms(lat["p50_ms"]),
               "p95 " + duration_ms(lat["p95_ms"]), "p99 " + duration_ms(lat["p99_ms"]),
               "max " + duration_ms(lat["max_ms"])}) +
         " (" + plural(lat["count"].as_int(), "call", "calls") + ")";
}

// The block every model-totals document starts with.
void totals_block(Block &block, const Json &doc) {
  block.add("Cost", cost_line(doc));
  block.add("Tokens", tokens_line(doc["tokens"]));
  block.add("Model calls", model_calls_line(doc));
}

std::string section(std::string_view title, const Table &table, const Style &style) {
  std::string out = "\n";  // appended: GCC 12 warns falsely on "literal" + temporary
  out += heading(title, style.bold);
  return out + table.render(style.bold);
}

}  // namespace

std::string render_summary(const Json &doc, const Style &style) {
  Block block;
  block.add("Period", period(doc));
  totals_block(block, doc);
  block.add("Tool calls", calls_errors(doc["tool_calls"], doc["tool_errors"]));
  block.add("Turns", tokens(doc["turns"]));
  std::string sessions = tokens(doc["sessions"]);
  if (doc["sessions"].as_int() > 0) {
    sessions += " · avg " + cost(doc["avg_cost_per_session"]) + " · avg " +
                tokens(doc["avg_tokens_per_session"]) + " tokens";
  }
  block.add("Sessions", sessions);
  block.add("Model latency", latency_line(doc["model_latency"]));
  block.add("Tool latency", latency_line(doc["tool_latency"]));
  std::string out = block.render();

  const Json &by_model = doc["cost_by_model"];
  if (by_model.size() > 0) {
    Table t({{"MODEL"}, {"COST", Align::kRight}});
    for (size_t i = 0; i < by_model.size(); ++i)
      t.add({key_text(by_model.keys()[i]), cost(by_model.items()[i])});
    out += section("Cost by model", t, style);
  }
  const Json &calls = doc["calls_by_tool"], &errors = doc["errors_by_tool"];
  if (calls.size() > 0) {
    Table t({{"TOOL"}, {"CALLS", Align::kRight}, {"ERRORS", Align::kRight}});
    for (size_t i = 0; i < calls.size(); ++i) {
      const std::string &tool = calls.keys()[i];
      t.add({key_text(tool), count(calls.items()[i]), errors.has(tool) ? count(errors[tool]) : "0"});
    }
    out += section("Tool calls", t, style);
  }
  const Json &slowest = doc["slowest_tools"];
  if (slowest.size() > 0) {
    Table t({{"TOOL"},
             {"CALLS", Align::kRight},
             {"AVG", Align::kRight},
             {"P50", Align::kRight},
             {"P95", Align::kRight},
             {"P99", Align::kRight},
             {"MAX", Align::kRight}});
    for (const Json &s : slowest.items()) {
      t.add({key_text(s["tool"].text()), count(s["calls"]), duration_ms(s["avg_ms"]),
             duration_ms(s["p50_ms"]), duration_ms(s["p95_ms"]), duration_ms(s["p99_ms"]),
             duration_ms(s["max_ms"])});
    }
    out += section("Slowest tools", t, style);
  }
  const Json &expensive = doc["most_expensive_sessions"];
  if (expensive.size() > 0) {
    Table t({{"SESSION"}, {"COST", Align::kRight}});
    for (const Json &s : expensive.items()) t.add({key_text(s["session"].text()), cost(s["cost"])});
    out += section("Most expensive sessions", t, style);
  }
  return out;
}

std::string render_breakdown(const Json &doc, const Style &style) {
  Block block;
  block.add("Period", period(doc));
  totals_block(block, doc);
  block.add("Avg cost / call", cost(doc["avg_cost_per_call"]));
  block.add("Avg tokens / call", tokens(doc["avg_tokens_per_call"]));
  std::string out = block.render();

  const Json &groups = doc["groups"];
  std::string name = doc["group_by"].text();
  // By tool, the "" group holds the model calls the agent made itself, outside any tool.
  const bool by_tool = name == "tool";
  for (char &c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  // Optional columns appear only when some group has something to show in them.
  bool tool_calls = false, unpriced = false;
  for (const Json &g : groups.items()) {
    tool_calls = tool_calls || g.has("tool_calls");
    unpriced = unpriced || g["calls_unpriced"].as_int() > 0;
  }
  std::vector<Column> cols{{name.empty() ? "GROUP" : name}};
  if (tool_calls) {
    cols.push_back({"TOOL CALLS", Align::kRight});
    cols.push_back({"TOOL ERRORS", Align::kRight});
  }
  cols.push_back({tool_calls ? "MODEL CALLS" : "CALLS", Align::kRight});
  cols.push_back({tool_calls ? "MODEL ERRORS" : "ERRORS", Align::kRight});
  for (const char *title : {"INPUT", "CACHE READ", "OUTPUT", "TOKENS"})
    cols.push_back({title, Align::kRight});
  if (unpriced) cols.push_back({"UNPRICED", Align::kRight});
  cols.push_back({"COST", Align::kRight});
  Table t(cols);
  for (const Json &g : groups.items()) {
    const Json &tok = g["tokens"];
    const std::string &key = g["key"].text();
    std::vector<std::string> row{by_tool && key.empty() ? "(agent)" : key_text(key)};
    if (tool_calls) {
      row.push_back(count(g["tool_calls"]));
      row.push_back(count(g["tool_errors"]));
    }
    for (const std::string &cell : {count(g["model_calls"]), count(g["model_errors"]), tokens(tok["input"]),
                                    tokens(tok["cache_read"]), tokens(tok["output"]), tokens(tok["total"])}) {
      row.push_back(cell);
    }
    if (unpriced) row.push_back(count(g["calls_unpriced"]));
    row.push_back(cost(g["cost"]["total"]));
    t.add(std::move(row));
  }
  if (groups.size() > 0) out += "\n" + t.render(style.bold);
  return out;
}

std::string render_sessions(const Json &doc, const Style &style) {
  Block block;
  block.add("Period", period(doc));
  std::string out = block.render();
  const Json &sessions = doc["sessions"];
  if (sessions.size() == 0) return out + "\nno session with model calls in this period\n";
  Table t({{"SESSION"},
           {"AGENT"},
           {"FIRST"},
           {"LAST"},
           {"CALLS", Align::kRight},
           {"TOKENS", Align::kRight},
           {"COST", Align::kRight},
           {"TOOL CALLS", Align::kRight},
           {"ERRORS", Align::kRight}});
  for (const Json &s : sessions.items()) {
    const int64_t errors = s["model_errors"].as_int() + s["tool_errors"].as_int();
    t.add({key_text(s["session"].text()), label(s["agent"]), s["first"].text(), s["last"].text(),
           count(s["model_calls"]), tokens(s["tokens"]["total"]), cost(s["cost"]["total"]),
           count(s["tool_calls"]), tokens(errors)});
  }
  return out + "\n" + t.render(style.bold);
}

std::string render_session(const Json &doc, const Style &style) {
  Block block;
  block.add("Session", doc["session"].text());
  block.add("Agent", label(doc["agent"]));
  block.add("Phase", label(doc["phase"]));
  block.add("Task", label(doc["task"]));
  block.add("Started", label(doc["started"]));
  block.add("Last activity", label(doc["last_activity"]));
  block.add("Turns", tokens(doc["turns"]) + " · " + duration_ms(doc["duration_ms"]));
  totals_block(block, doc);
  block.add("Tool calls", calls_errors(doc["tool_calls"], doc["tool_errors"]));
  block.add("Model latency", latency_line(doc["model_latency"]));
  block.add("Tool latency", latency_line(doc["tool_latency"]));
  std::string out = block.render();
  const Json &tools = doc["tools_used"];
  if (tools.size() > 0) {
    Table t({{"TOOL"}, {"CALLS", Align::kRight}});
    for (size_t i = 0; i < tools.size(); ++i) t.add({key_text(tools.keys()[i]), count(tools.items()[i])});
    out += section("Tools used", t, style);
  }
  return out;
}

std::string render_tools(const Json &doc, const Style &style) {
  const Json &tools = doc["tools"];
  if (tools.size() == 0) {
    return doc["name"].is_string() ? "no calls of tool " + safe(doc["name"].text()) + " in this period\n"
                                   : "no tool calls in this period\n";
  }
  Table t({{"TOOL"},
           {"CALLS", Align::kRight},
           {"ERRORS", Align::kRight},
           {"SUCCESS", Align::kRight},
           {"AVG", Align::kRight},
           {"P50", Align::kRight},
           {"P95", Align::kRight},
           {"P99", Align::kRight},
           {"MAX", Align::kRight},
           {"LAST ERROR"}});
  for (const Json &tool : tools.items()) {
    const Json &rate = tool["success_rate"];
    t.add({key_text(tool["name"].text()), count(tool["calls"]), count(tool["errors"]),
           rate.is_number() ? rate.text() + "%" : kNone, duration_ms(tool["avg_ms"]),
           duration_ms(tool["p50_ms"]), duration_ms(tool["p95_ms"]), duration_ms(tool["p99_ms"]),
           duration_ms(tool["max_ms"]),
           tool["last_error"].is_string() ? truncate(tool["last_error"].text(), kMessageWidth) : ""});
  }
  return t.render(style.bold);
}

std::string render_slow(const Json &doc, const Style &style) {
  const Json &ops = doc["operations"];
  std::string out = "Operations at or over " + duration_ms(doc["threshold_ms"]) + " (" + safe(period(doc)) +
                    "): " + tokens(static_cast<int64_t>(ops.size())) + "\n";
  if (ops.size() == 0) return out;
  Table t({{"DURATION", Align::kRight}, {"TYPE"}, {"NAME"}, {"TIME"}, {"SESSION"}});
  for (const Json &op : ops.items()) {
    t.add({duration_ms(op["duration_ms"]), op["type"].text(), label(op["name"]), op["timestamp"].text(),
           label(op["session"])});
  }
  return out + "\n" + t.render(style.bold);
}

std::string render_errors(const Json &doc, const Style &style) {
  Block block;
  block.add("Period", period(doc));
  block.add("Model errors", tokens(doc["model_errors"]));
  block.add("Tool errors", tokens(doc["tool_errors"]));
  std::string out = block.render();
  const Json &recent = doc["recent_errors"];
  if (recent.size() > 0) {
    Table t({{"TIME"}, {"TYPE"}, {"NAME"}, {"ERROR"}, {"SESSION"}, {"MESSAGE"}});
    for (const Json &e : recent.items()) {
      t.add({e["timestamp"].text(), e["type"].text(), label(e["name"]), label(e["error_type"]),
             label(e["session"]), truncate(e["message"].text(), kMessageWidth)});
    }
    out += section("Recent errors", t, style);
  }
  auto counts = [&](const char *member, const char *title, const char *col) {
    const Json &m = doc[member];
    if (m.size() == 0) return;
    Table t({{col}, {"ERRORS", Align::kRight}});
    for (size_t i = 0; i < m.size(); ++i) t.add({key_text(m.keys()[i]), count(m.items()[i])});
    out += section(title, t, style);
  };
  counts("error_counts_by_tool", "Errors by tool", "TOOL");
  counts("error_counts_by_model", "Errors by model", "MODEL");
  return out;
}

std::string render_invocations(const Json &doc, const Style &style) {
  Block block;
  const int64_t total = doc["total_invocations"].as_int();
  block.add("Invocations", tokens(total));
  block.add("Success rate", total > 0 ? percent(doc["success_rate"].as_double() * 100.0) : kNone);
  block.add("Retries",
            tokens(doc["total_retries"]) + " · " + tokens(doc["infra_retries"]) + " infrastructure");
  block.add("Escalations", tokens(doc["escalation_count"]));
  block.add("Tokens", tokens(doc["total_tokens"]) + " · " + tokens(doc["total_cached_tokens"]) + " cached");
  block.add("Cost", cost(doc["total_cost"]));
  block.add("Total duration", duration_ms(doc["total_duration_ms"]));
  block.add("Peak parallel", tokens(doc["peak_parallel_invocations"]));
  std::string out = block.render();

  const Json &by_agent = doc["invocations_by_agent"];
  if (by_agent.size() > 0) {
    Table t({{"AGENT"},
             {"INVOCATIONS", Align::kRight},
             {"RETRIES", Align::kRight},
             {"TOKENS", Align::kRight},
             {"COST", Align::kRight},
             {"AVG DURATION", Align::kRight}});
    for (size_t i = 0; i < by_agent.size(); ++i) {
      const std::string &agent = by_agent.keys()[i];
      t.add({key_text(agent), count(by_agent.items()[i]), count(doc["retries_by_agent"][agent]),
             tokens(doc["tokens_by_agent"][agent]), cost(doc["cost_by_agent"][agent]),
             duration_ms(doc["avg_duration_by_agent"][agent])});
    }
    out += section("By agent", t, style);
  }
  const Json &by_phase = doc["invocations_by_phase"];
  if (by_phase.size() > 0) {
    Table t({{"PHASE", Align::kRight}, {"INVOCATIONS", Align::kRight}, {"RETRIES", Align::kRight}});
    for (size_t i = 0; i < by_phase.size(); ++i) {
      const std::string &phase = by_phase.keys()[i];
      t.add({phase, count(by_phase.items()[i]), count(doc["retries_by_phase"][phase])});
    }
    out += section("By phase", t, style);
  }
  const Json &buckets = doc["parallelism_over_time"];
  if (buckets.size() > 0) {
    Table t({{"BUCKET"}, {"CONCURRENT", Align::kRight}, {"PEAK", Align::kRight}});
    for (const Json &b : buckets.items()) {
      t.add({b["bucket_start"].text(), count(b["concurrent"]), count(b["peak"])});
    }
    out += section("Parallelism over time", t, style);
  }
  return out;
}

// ---- tail ------------------------------------------------------------------------------------

namespace {

// Fixed widths: rows arrive one by one, so they cannot be measured as a table.
constexpr size_t kKindWidth = 10, kNameWidth = 28, kSessionWidth = 18, kTokensWidth = 9, kCostWidth = 8,
                 kDurationWidth = 8;
constexpr size_t kTimeWidth = 24;  // "2026-11-22T10:00:02.300Z"

std::string fit(std::string_view text, size_t width, Align align) {
  std::string cell = truncate(text, width);
  const size_t gap = width - display_width(cell);
  return align == Align::kLeft ? cell + std::string(gap, ' ') : std::string(gap, ' ') + cell;
}

std::string row_name(const Json &row) {
  const std::string kind = row["kind"].text();
  if (kind == "model_call") {
    std::string name = label(row["model"]);
    const Json &source = row["source"];
    if (source.is_string() && source.text() != "agent") name += " (" + source.text() + ")";
    return name;
  }
  if (kind == "tool_call") return label(row["tool"]);
  if (kind == "turn") return row["turn"].is_number() ? "turn " + row["turn"].text() : "turn";
  if (kind == "invocation") return label(row["invocation_id"]);
  return label(row["agent"]);  // session
}

std::string row_line(const std::string &time, const std::string &kind, const std::string &name,
                     const std::string &session, const std::string &tok, const std::string &money,
                     const std::string &dur, const std::string &error) {
  std::string line = fit(time, kTimeWidth, Align::kLeft) + "  " + fit(kind, kKindWidth, Align::kLeft) + "  " +
                     fit(name, kNameWidth, Align::kLeft) + "  " + fit(session, kSessionWidth, Align::kLeft) +
                     "  " + fit(tok, kTokensWidth, Align::kRight) + "  " +
                     fit(money, kCostWidth, Align::kRight) + "  " + fit(dur, kDurationWidth, Align::kRight);
  if (!error.empty()) line += "  " + safe(error);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace

std::string render_row_header(const Style &style) {
  return heading(row_line("TIME", "KIND", "NAME", "SESSION", "TOKENS", "COST", "DURATION", ""), style.bold);
}

std::string render_row(const Json &row) {
  std::string error;
  if (row["outcome"].text() == "error") {
    error = "error";
    if (row["error_type"].is_string()) error += ": " + row["error_type"].text();
    if (row["error_message"].is_string())
      error += ": " + truncate(row["error_message"].text(), kMessageWidth);
  }
  return row_line(row["timestamp"].text(), row["kind"].text(), row_name(row), label(row["session"]),
                  tokens(row["total_tokens"]), cost(row["cost_usd"]), duration_ms(row["duration_ms"]),
                  error) +
         "\n";
}

// ---- prices ----------------------------------------------------------------------------------

namespace {

std::string rate(const Json &entry, const char *key) {
  const Json &r = entry[key];
  return r.is_string() || r.is_number() ? "$" + per_million(r.text()) : kNone;
}

std::string tier_marks(const Json &entry) {
  std::vector<std::string> marks;
  for (const Json &tier : entry["tiers"].items()) {
    const int64_t above = tier["above_tokens"].as_int();
    std::string mark = ">";  // appended, not "literal" + temporary: GCC 12 warns falsely on that
    mark += above % 1000 == 0 ? tokens(above / 1000) + "k" : tokens(above);
    marks.push_back(std::move(mark));
  }
  return join(marks, ", ");
}

constexpr std::pair<const char *, const char *> kRates[] = {
    {"input_cost_per_token", "Input"},
    {"output_cost_per_token", "Output"},
    {"output_cost_per_reasoning_token", "Reasoning output"},
    {"cache_read_input_token_cost", "Cache read"},
    {"cache_creation_input_token_cost", "Cache write (5m)"},
    {"cache_creation_input_token_cost_above_1hr", "Cache write (1h)"},
};

// The rates `prices` (an entry or one of its tiers) has, per 1M tokens.
void add_rates(Block &block, const Json &prices) {
  for (auto [key, name] : kRates) {
    if (prices.has(key)) block.add(name, rate(prices, key) + " / 1M tokens");
  }
}

}  // namespace

std::string render_price_table(const Json &entries, const Style &style) {
  Table t({{"MODEL"},
           {"PROVIDER"},
           {"INPUT", Align::kRight},
           {"OUTPUT", Align::kRight},
           {"CACHE READ", Align::kRight},
           {"CACHE WRITE", Align::kRight},
           {"TIERS"}});
  for (const Json &e : entries.items()) {
    t.add({e["model"].text(), label(e["litellm_provider"]), rate(e, "input_cost_per_token"),
           rate(e, "output_cost_per_token"), rate(e, "cache_read_input_token_cost"),
           rate(e, "cache_creation_input_token_cost"), tier_marks(e)});
  }
  return entries.size() > 0 ? t.render(style.bold) : std::string();
}

std::string render_price_entry(const Json &entry, const Style &style) {
  Block block;
  block.add("Model", entry["model"].text());
  block.add("Resolved", entry["resolved"].text());
  block.add("Provider", label(entry["litellm_provider"]));
  block.add("Mode", label(entry["mode"]));
  add_rates(block, entry);
  std::string out = block.render();
  for (const Json &tier : entry["tiers"].items()) {
    Block t;
    add_rates(t, tier);
    out += '\n';
    out += heading("Above " + tokens(tier["above_tokens"]) + " input tokens (whole request)", style.bold);
    out += t.render();
  }
  return out;
}

}  // namespace agmcli
