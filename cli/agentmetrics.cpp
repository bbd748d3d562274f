// agentmetrics: the command-line face of libagentmetrics. It answers history queries over a
// journal or a SQLite database, exports and pushes metrics, writes the HTML report, lists prices
// and follows a store. It uses only the public C ABI (metrics_c.h): it is the ABI's first
// consumer and shows the ABI is enough for a real tool. It is a library (cli.hpp): each host
// runs agmcli::main with its own HTTP client for the push.
#include <agentmetrics/metrics_c.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "render.hpp"
#include "support.hpp"
#include "table.hpp"

namespace agmcli {

namespace {

constexpr const char *kExitCodes =
    "Exit codes:\n"
    "  0  success\n"
    "  1  runtime failure (I/O error, push failed, internal error)\n"
    "  2  usage error (bad arguments)\n"
    "  3  not found (missing store, unknown session, model without a price)\n"
    "  4  corrupt or unsupported input (a database or price file that cannot be read)";

constexpr const char *kStoreHint =
    "STORE is a journal file (.jsonl), a folder of journals or a SQLite database written by agentmetrics";

// Every option of every command; only the parsed command's members are set.
struct Args {
  // output
  bool json = false, no_color = false;
  // store commands
  std::string store, period = "all", from, to, now;
  bool progress = false, no_progress = false;
  uint32_t limit = 0;
  std::string by, name, session_id;
  double threshold_ns = 0, bucket_ns = 0;  // given or not: *_given; not given: 0, the core's default
  bool threshold_given = false, bucket_given = false;
  std::vector<std::string> tiers;
  // report
  std::string html, title;
  // export
  std::string format, output, resource, endpoint;
  std::vector<std::string> headers;
  double timeout_ns = 0;
  bool timeout_given = false;
  uint32_t attempts = 0;  // 0: the library's default
  // prices
  std::string filter, prices_file, model, provider, check_file;
  // tail
  bool follow = false;
  uint64_t lines = 10;
  double interval_ns = 5e8;
  // the host's HTTP client (cli.hpp)
  agm_http_send_fn send = nullptr;
  void *send_user = nullptr;
};

// ---- Output ----------------------------------------------------------------------------------

bool bold_output(const Args &a) {
  const int tty = ::isatty(STDOUT_FILENO);
  return !a.no_color && tty && agm_color_enabled(tty);
}

// The failure of writing to stdout. A reader that went away (`| head`) gets no message: it has
// what it wanted, and the status still says the output is incomplete.
Failure stdout_failure(int err) {
  return Failure{kExitFailure,
                 err == EPIPE ? "" : std::string("cannot write to standard output: ") + std::strerror(err)};
}

void emit(std::string_view text) {
  if (!write_all(STDOUT_FILENO, text)) throw stdout_failure(errno);
}

// The core's JSON document, unchanged: one line, newline-terminated.
void emit_json(std::string_view doc) {
  std::string line(doc);
  if (line.empty() || line.back() != '\n') line += '\n';
  emit(line);
}

void warn(const std::string &message) {
  const std::string line = "agentmetrics: warning: " + safe(message) + "\n";
  write_all(STDERR_FILENO, line);
}

// ---- Arguments -------------------------------------------------------------------------------

int64_t time_arg(const std::string &text, const char *option) {
  int64_t ns = 0;
  if (agm_parse_time(&ns, text.c_str()) != AGM_OK) {
    throw Failure{kExitUsage, std::string(option) + ": \"" + text + "\" is not an ISO 8601 UTC time",
                  "write e.g. 2026-11-22 or 2026-11-22T10:00:00Z"};
  }
  return ns;
}

// A duration option in whole nanoseconds; zero and negative durations mean nothing here.
int64_t duration_arg(double ns, const char *option) {
  if (!std::isfinite(ns) || ns < 1 || ns > 9.2e18) {
    throw Failure{kExitUsage, std::string(option) + " must be a positive duration",
                  "write e.g. 500ms, 5s or 1m"};
  }
  return static_cast<int64_t>(std::llround(ns));
}

// A duration option that may be left out: 0 (the core's default) when it was.
int64_t opt_duration_arg(bool given, double ns, const char *option) {
  return given ? duration_arg(ns, option) : 0;
}

// The period options as an agm_query range.
void apply_period(const Args &a, agm_query &q) {
  if (!a.now.empty()) {
    q.present |= AGM_QUERY_HAS_NOW;
    q.now_ns = time_arg(a.now, "--now");
  }
  if (!a.from.empty() || !a.to.empty()) {
    q.period = AGM_PERIOD_RANGE;
    if (!a.from.empty()) {
      q.present |= AGM_QUERY_HAS_FROM;
      q.from_ns = time_arg(a.from, "--from");
    }
    if (!a.to.empty()) {
      q.present |= AGM_QUERY_HAS_TO;
      q.to_ns = time_arg(a.to, "--to");
    }
    if (!a.from.empty() && !a.to.empty() && q.to_ns < q.from_ns)
      throw Failure{kExitUsage, "--to is before --from"};
    return;
  }
  static const std::map<std::string, uint32_t> kPeriods = {{"all", AGM_PERIOD_ALL},
                                                           {"hour", AGM_PERIOD_HOUR},
                                                           {"day", AGM_PERIOD_DAY},
                                                           {"week", AGM_PERIOD_WEEK},
                                                           {"month", AGM_PERIOD_MONTH}};
  q.period = kPeriods.at(a.period);
}

// ---- Stores ----------------------------------------------------------------------------------

using History = std::unique_ptr<agm_history, decltype(&agm_history_free)>;

History open_history(const std::string &path) {
  agm_history *h = nullptr;
  const agm_status st = agm_history_open(&h, path.c_str());
  check(st, st == AGM_E_NOT_FOUND ? kStoreHint : "");
  return History(h, agm_history_free);
}

// A progress bar on stderr for slow reads: drawn once the read has run for 0.3 s (at once with
// --progress), redrawn in place, erased when the read ends. While an Interruptible lives, an
// interruption stops the read (a file being written is then abandoned by the core).
class Progress {
 public:
  Progress(agm_history *h, const Args &a) : history_(h) {
    drawn_ = !a.no_progress && (a.progress || ::isatty(STDERR_FILENO));
    forced_ = a.progress;
    start_ = std::chrono::steady_clock::now();
    agm_history_set_progress_unit(h, &Progress::callback, this);
  }
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;
  ~Progress() {
    agm_history_set_progress_unit(history_, nullptr, nullptr);
    if (width_ > 0) write_all(STDERR_FILENO, "\r" + std::string(width_, ' ') + "\r");
  }

 private:
  static int32_t callback(uint64_t done, uint64_t total, uint32_t unit, void *user) {
    if (Interruptible::interrupted()) return 1;
    auto &self = *static_cast<Progress *>(user);
    if (self.drawn_) self.update(done, total, unit == AGM_PROGRESS_ROWS);
    return 0;
  }

  void update(uint64_t done, uint64_t total, bool rows) {
    const auto now = std::chrono::steady_clock::now();
    const bool last = done >= total;
    if (!forced_ && now - start_ < std::chrono::milliseconds(300)) return;
    // Redraw at most every 50 ms, except for the final 100 %.
    if (width_ > 0 && !last && now - drawn_at_ < std::chrono::milliseconds(50)) return;
    drawn_at_ = now;
    const unsigned pct = last || total == 0 ? 100u : static_cast<unsigned>(done * 100 / total);
    constexpr unsigned kBar = 30;
    std::string line =
        "[" + std::string(pct * kBar / 100, '#') + std::string(kBar - pct * kBar / 100, '.') + "] ";
    char num[32];
    std::snprintf(num, sizeof num, "%3u%%  ", pct);
    line += num;
    line += rows ? tokens(static_cast<int64_t>(done)) + " / " + tokens(static_cast<int64_t>(total)) + " rows"
                 : size(done) + " / " + size(total);
    const size_t width = display_width(line);
    std::string out = "\r" + line;
    if (width < width_) out += std::string(width_ - width, ' ');
    width_ = std::max(width_, width);
    write_all(STDERR_FILENO, out);
  }

  static std::string size(uint64_t bytes) {
    static constexpr const char *kUnits[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    for (; value >= 1000 && unit + 1 < std::size(kUnits); ++unit) value /= 1000;
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
    return text;
  }

  agm_history *history_;
  bool drawn_ = false, forced_ = false;
  std::chrono::steady_clock::time_point start_, drawn_at_;
  size_t width_ = 0;  // of the widest line drawn; 0: nothing drawn
};

// Wall-clock ns as UTC "2026-11-22T10:00:00Z".
std::string utc_text(int64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1000000000 - (ns % 1000000000 < 0 ? 1 : 0));
  struct tm tm {};
  char text[40];
  if (!gmtime_r(&seconds, &tm) || !std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm)) return "?";
  return text;
}

// After a read: a warning if a writer of the store dropped records (its "dropped" markers),
// and one if malformed lines were skipped.
void warn_malformed(agm_history *h) {
  Buffer buf;
  if (AGM_FAILED(agm_history_warnings(buf.get(), h))) return;
  const Json doc = Json::parse(buf.view());
  if (const int64_t dropped = doc["dropped"].as_int(); dropped > 0) {
    warn(plural(dropped, "record was", "records were") + " dropped by a writer (queue full) between " +
         utc_text(doc["dropped_from"].as_int()) + " and " + utc_text(doc["dropped_to"].as_int()));
  }
  const int64_t n = doc["malformed"].as_int();
  if (n <= 0) return;
  std::string message = "skipped " + plural(n, "malformed line", "malformed lines");
  const Json &warnings = doc["warnings"];
  if (warnings.size() > 0) {
    const Json &first = warnings.items()[0];
    message +=
        " (first: " + first["file"].text() + ":" + first["line"].text() + ": " + first["reason"].text() + ")";
  }
  warn(message);
}

// Runs one read of `h` (`body`: a query, export, push or report) under the progress bar; once it
// has succeeded, warns if malformed lines were skipped.
template <class Read>
agm_status read_store(agm_history *h, const Args &a, Read &&body) {
  agm_status st;
  {
    Progress progress(h, a);
    st = body();
  }
  if (!AGM_FAILED(st)) warn_malformed(h);
  return st;
}

// Runs one query; returns the document's text.
std::string query(const Args &a, agm_query &q, const std::string &not_found_hint = kStoreHint) {
  apply_period(a, q);
  q.limit = a.limit;
  History h = open_history(a.store);
  Buffer out;
  const agm_status st = read_store(h.get(), a, [&] { return agm_history_query(out.get(), h.get(), &q); });
  check(st, st == AGM_E_NOT_FOUND ? not_found_hint : "");
  return std::string(out.view());
}

using Renderer = std::string (*)(const Json &, const Style &);

void show(const Args &a, const std::string &doc, Renderer render) {
  if (a.json) return emit_json(doc);
  const Json parsed = Json::parse(doc);
  const int64_t folded = parsed["folded_records"].as_int();
  if (folded > 0) {
    warn(plural(folded, "record", "records") + " grouped under " + AGM_OTHER_KEY + ": more than " +
         tokens(AGM_MAX_GROUP_KEYS) + " distinct names");
  }
  emit(render(parsed, Style{bold_output(a)}));
}

// ---- Query commands --------------------------------------------------------------------------

const std::map<std::string, int32_t> kGroupBy = {
    {"model", AGM_BY_MODEL},     {"provider", AGM_BY_PROVIDER}, {"source", AGM_BY_SOURCE},
    {"agent", AGM_BY_AGENT},     {"phase", AGM_BY_PHASE},       {"task", AGM_BY_TASK},
    {"session", AGM_BY_SESSION}, {"day", AGM_BY_DAY},           {"tool", AGM_BY_TOOL}};

void cmd_summary(const Args &a) {
  agm_query q = AGM_QUERY_INIT;
  if (a.by.empty()) {
    q.kind = AGM_QUERY_SUMMARY;
    return show(a, query(a, q), render_summary);
  }
  q.kind = AGM_QUERY_COST_BREAKDOWN;
  q.group_by = kGroupBy.at(a.by);
  show(a, query(a, q), render_breakdown);
}

void cmd_sessions(const Args &a) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_EXPENSIVE_SESSIONS;
  show(a, query(a, q), render_sessions);
}

void cmd_session(const Args &a) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SESSION;
  q.name = a.session_id.c_str();
  show(a, query(a, q, "list the sessions with: agentmetrics sessions " + a.store), render_session);
}

void cmd_tools(const Args &a) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_TOOLS;
  q.name = a.name.empty() ? nullptr : a.name.c_str();
  show(a, query(a, q), render_tools);
}

void cmd_slow(const Args &a) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_SLOW;
  q.threshold_ns = opt_duration_arg(a.threshold_given, a.threshold_ns, "--threshold");
  show(a, query(a, q), render_slow);
}

void cmd_errors(const Args &a) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_ERRORS;
  show(a, query(a, q), render_errors);
}

void cmd_invocations(const Args &a) {
  std::vector<const char *> tiers;
  for (const auto &t : a.tiers) tiers.push_back(t.c_str());
  agm_aggregate_options agg = AGM_AGGREGATE_OPTIONS_INIT;
  agg.tier_count = static_cast<uint32_t>(tiers.size());
  agg.tiers = tiers.empty() ? nullptr : tiers.data();
  agg.bucket_ns = opt_duration_arg(a.bucket_given, a.bucket_ns, "--bucket");
  agm_query q = AGM_QUERY_INIT;
  q.kind = AGM_QUERY_INVOCATIONS;
  q.invocations = &agg;
  show(a, query(a, q), render_invocations);
}

// ---- report ----------------------------------------------------------------------------------

// The number of records the last read on `h` went through.
int64_t records_read(agm_history *h) {
  Buffer buf;
  if (AGM_FAILED(agm_history_warnings(buf.get(), h))) return 0;
  return Json::parse(buf.view())["records"].as_int();
}

// After writing `path` from the last read on `h`: {"path","bytes","records"} with --json, else a
// sentence.
void emit_written(const Args &a, const std::string &path, uint64_t bytes, agm_history *h) {
  const int64_t records = records_read(h);
  if (a.json) {
    return emit("{\"path\":" + json_quote(path) + ",\"bytes\":" + std::to_string(bytes) +
                ",\"records\":" + std::to_string(records) + "}\n");
  }
  emit("wrote " + safe(path) + " (" + tokens(static_cast<int64_t>(bytes)) + " bytes, " +
       plural(records, "record", "records") + ")\n");
}

// After a file written by the core: an interruption (the read stopped, nothing written) is a
// failure whose unwinding lets the Interruptible raise the signal again; else as check().
void check_written(agm_status st) {
  if (AGM_FAILED(st) && Interruptible::interrupted()) throw Failure{kExitFailure, "interrupted"};
  check(st);
}

void cmd_report(const Args &a) {
  agm_query range = AGM_QUERY_INIT;
  apply_period(a, range);
  agm_report_options options = AGM_REPORT_OPTIONS_INIT;
  options.limit = a.limit;
  options.range = &range;
  options.title = a.title.empty() ? nullptr : a.title.c_str();
  History h = open_history(a.store);
  uint64_t bytes = 0;
  // The core writes through a temporary file: an interruption stops the read (see Progress), the
  // core removes the temporary, and the signal is raised again once the progress bar is erased.
  const Interruptible interruptible;
  check_written(read_store(h.get(), a, [&] {
    return agm_history_report_html_to_file(&bytes, h.get(), &options, a.html.c_str());
  }));
  emit_written(a, a.html, bytes, h.get());
}

// ---- export ----------------------------------------------------------------------------------

// "a,b" from an environment variable and an option, either possibly empty.
std::string joined(const char *env, const std::string &extra) {
  const char *value = std::getenv(env);
  std::string out = value ? value : "";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out;
}

// Where export pieces go when they go to stdout.
struct Sink {
  int error = 0;

  static int32_t write(void *user, const char *data, size_t size) {
    Sink &s = *static_cast<Sink *>(user);
    if (!write_all(STDOUT_FILENO, std::string_view(data, size))) {
      s.error = errno;
      return 1;  // stops the export: a broken pipe is not worth reading on for
    }
    return 0;
  }
};

void cmd_push(const Args &a, const agm_export_options &options, agm_history *h) {
  if (!a.format.empty() && a.format != "otlp-json") {
    throw Failure{kExitUsage, "--endpoint pushes OTLP/JSON: --format must be otlp-json or left out"};
  }
  if (a.send == nullptr) {
    throw Failure{
        kExitFailure,
        "this agentmetrics has no HTTP client (it was built without libcurl): --endpoint cannot push",
        "export with --format otlp-json -o FILE and POST the file to the receiver's /v1/metrics, or use "
        "`python -m agentmetrics` or `npx agentmetrics`, which push"};
  }
  std::string headers;
  for (const auto &hdr : a.headers) headers += (headers.empty() ? "" : ",") + hdr;
  headers = joined("OTEL_EXPORTER_OTLP_HEADERS", headers);
  agm_otlp_options otlp = AGM_OTLP_OPTIONS_INIT;
  otlp.endpoint = a.endpoint.c_str();
  otlp.headers = headers.empty() ? nullptr : headers.c_str();
  if (a.timeout_given) {  // else 0: the core's default
    const int64_t timeout_ms = duration_arg(a.timeout_ns, "--timeout") / 1'000'000;
    otlp.timeout_ms = static_cast<uint32_t>(std::clamp<int64_t>(timeout_ms, 1, UINT32_MAX));
  }
  otlp.max_attempts = a.attempts;
  otlp.send = a.send;
  otlp.send_user = a.send_user;
  Buffer response;
  const agm_status st =
      read_store(h, a, [&] { return agm_history_push_otlp(response.get(), h, &options, &otlp); });
  check(st, st == AGM_E_IO ? "nothing was pushed to " + a.endpoint : "");
  if (a.json) return emit_json(response.view().empty() ? "{}" : response.view());
  const int64_t records = records_read(h);
  emit("pushed " + plural(records, "record", "records") + " to " + safe(a.endpoint) + "\n");
}

void cmd_export(const Args &a) {
  static const std::map<std::string, uint32_t> kFormats = {{"otlp-json", AGM_EXPORT_OTLP_JSON},
                                                           {"prometheus", AGM_EXPORT_PROMETHEUS},
                                                           {"csv", AGM_EXPORT_CSV},
                                                           {"json", AGM_EXPORT_JSON}};
  agm_query range = AGM_QUERY_INIT;
  apply_period(a, range);
  const std::string resource = joined("OTEL_RESOURCE_ATTRIBUTES", a.resource);
  agm_export_options options = AGM_EXPORT_OPTIONS_INIT;
  options.range = &range;
  options.resource_attributes = resource.empty() ? nullptr : resource.c_str();
  History h = open_history(a.store);
  if (!a.endpoint.empty()) return cmd_push(a, options, h.get());
  if (a.format.empty())
    throw Failure{kExitUsage, "--format is required (otlp-json, prometheus, csv or json)"};
  options.format = kFormats.at(a.format);

  if (a.output.empty() || a.output == "-") {
    Sink sink;
    const agm_status st =
        read_store(h.get(), a, [&] { return agm_history_export(h.get(), &options, &Sink::write, &sink); });
    if (AGM_FAILED(st) && sink.error != 0) throw stdout_failure(sink.error);
    return check(st);  // the export is the output
  }
  uint64_t bytes = 0;
  // The core writes through a temporary file: an interruption stops the read (see Progress), the
  // core removes the temporary, and the signal is raised again once the progress bar is erased.
  const Interruptible interruptible;
  check_written(read_store(
      h.get(), a, [&] { return agm_history_export_to_file(&bytes, h.get(), &options, a.output.c_str()); }));
  emit_written(a, a.output, bytes, h.get());
}

// ---- prices ----------------------------------------------------------------------------------

using Recorder = std::unique_ptr<agm_recorder, decltype(&agm_recorder_free)>;

Recorder new_recorder(uint32_t flags) {
  agm_recorder_options options = AGM_RECORDER_OPTIONS_INIT;
  options.flags = flags;
  agm_recorder *rec = nullptr;
  check(agm_recorder_new(&rec, &options));
  return Recorder(rec, agm_recorder_free);
}

void require_file(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw Failure{errno == ENOENT ? kExitNotFound : kExitFailure,
                  "cannot read " + path + ": " + std::strerror(errno)};
  }
}

void load_prices(agm_recorder *rec, const std::string &path, uint32_t flags) {
  require_file(path);
  check(agm_recorder_load_prices_file(rec, path.c_str(), flags),
        "a price file is LiteLLM's model_prices_and_context_window.json format: an object of models");
}

Recorder price_recorder(const Args &a) {
  Recorder rec = new_recorder(0);
  if (!a.prices_file.empty()) load_prices(rec.get(), a.prices_file, 0);
  return rec;
}

void cmd_prices_show(const Args &a) {
  Recorder rec = price_recorder(a);
  Buffer list;
  check(agm_recorder_prices(list.get(), rec.get(), a.filter.empty() ? nullptr : a.filter.c_str()));
  if (a.json) return emit_json(list.view());
  const Json entries = Json::parse(list.view());
  std::string out = render_price_table(entries, Style{bold_output(a)});
  Buffer info;
  check(agm_prices_bundled_info(info.get()));
  const Json bundled = Json::parse(info.view());
  std::string footer = plural(static_cast<int64_t>(entries.size()), "model", "models");
  if (!a.filter.empty()) footer += " matching \"" + a.filter + "\"";
  footer += " · USD per 1M tokens · bundled table: " + bundled["source"].text() + " " +
            bundled["litellm_version"].text() + ", generated " + bundled["generated"].text();
  if (!a.prices_file.empty()) footer += " · with " + a.prices_file;
  emit(out + (out.empty() ? "" : "\n") + footer + "\n");
}

void cmd_prices_lookup(const Args &a) {
  Recorder rec = price_recorder(a);
  Buffer entry;
  check(agm_recorder_price_json(entry.get(), rec.get(), a.model.c_str(),
                                a.provider.empty() ? nullptr : a.provider.c_str()),
        "list the priced models with: agentmetrics prices show FILTER");
  if (a.json) return emit_json(entry.view());
  emit(render_price_entry(Json::parse(entry.view()), Style{bold_output(a)}));
}

void cmd_prices_check(const Args &a) {
  // The file alone, as a recorder that loads it with AGM_PRICES_F_REPLACE would see it.
  Recorder rec = new_recorder(AGM_RECORDER_F_NO_BUNDLED_PRICES);
  load_prices(rec.get(), a.check_file, AGM_PRICES_F_REPLACE);
  Buffer list;
  check(agm_recorder_prices(list.get(), rec.get(), nullptr));
  const auto priced = static_cast<int64_t>(Json::parse(list.view()).size());
  // Top-level entries, to make the skipped ones (documentation, entries without token rates)
  // visible. The library has read the file already, so it parses.
  std::string text;
  {
    const int fd = ::open(a.check_file.c_str(), O_RDONLY | O_CLOEXEC);
    char buf[65536];
    ssize_t n;
    while (fd >= 0 && ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))) {
      if (n > 0) text.append(buf, static_cast<size_t>(n));
    }
    if (fd >= 0) ::close(fd);
  }
  const auto entries = static_cast<int64_t>(Json::parse(text).size());
  if (a.json) {
    emit(std::string("{\"path\":") + json_quote(a.check_file) + ",\"entries\":" + std::to_string(entries) +
         ",\"priced\":" + std::to_string(priced) + ",\"skipped\":" + std::to_string(entries - priced) +
         "}\n");
    return;
  }
  std::string out = safe(a.check_file) + ": OK · " + plural(priced, "priced model", "priced models") +
                    " of " + plural(entries, "entry", "entries");
  if (entries > priced) out += " (" + tokens(entries - priced) + " skipped: not a model or no token rates)";
  emit(out + "\n");
}

// ---- tail ------------------------------------------------------------------------------------

class Tail {
 public:
  explicit Tail(const Args &a) : args_(a), style_{bold_output(a)} {}

  // Prints rows; false once stdout is closed (the reader went away), throws on other failures.
  bool print(const std::vector<std::string_view> &rows) {
    std::string out;
    for (const auto row : rows) {
      if (args_.json) {
        out += row;
        out += '\n';
        continue;
      }
      if (!header_done_) {
        out += render_row_header(style_);
        header_done_ = true;
      }
      out += render_row(Json::parse(row));
    }
    if (write_all(STDOUT_FILENO, out)) return true;
    if (errno == EPIPE) return false;
    throw stdout_failure(errno);
  }

 private:
  const Args &args_;
  Style style_;
  bool header_done_ = false;
};

std::vector<std::string_view> split_rows(std::string_view text) {
  std::vector<std::string_view> rows;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view row = text.substr(0, nl);
    if (!row.empty()) rows.push_back(row);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return rows;
}

int cmd_tail(const Args &a) {
  const int64_t interval = duration_arg(a.interval_ns, "--interval");
  // With -f, SIGINT and SIGTERM are taken synchronously by the wait between polls: no handler,
  // no race between checking a flag and sleeping.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  if (a.follow) sigprocmask(SIG_BLOCK, &stop, nullptr);

  agm_follow *raw = nullptr;
  const agm_status st = agm_follow_open(&raw, a.store.c_str(), AGM_FOLLOW_FROM_START);
  check(st, st == AGM_E_NOT_FOUND ? kStoreHint : "");
  const std::unique_ptr<agm_follow, decltype(&agm_follow_free)> follow(raw, agm_follow_free);

  // Malformed journal lines are skipped; say so on stderr whenever more were.
  uint64_t malformed = 0;
  auto warn_skipped = [&] {
    uint64_t now = 0;
    check(agm_follow_malformed(&now, follow.get()));
    if (now == malformed) return;
    const uint64_t more = now - malformed;
    malformed = now;
    warn("skipped " + plural(static_cast<int64_t>(more), "malformed line", "malformed lines"));
  };

  // Catch up in bounded polls, keeping only the last N rows: memory stays flat on a big store.
  Buffer buf;
  uint64_t n = 0;
  std::deque<std::string> last;
  do {
    check(agm_follow_poll(buf.get(), &n, follow.get()));
    for (std::string_view row : split_rows(buf.view())) {
      if (a.lines == 0) break;
      if (last.size() == a.lines) last.pop_front();
      last.emplace_back(row);
    }
  } while (n > 0);
  warn_skipped();
  const std::vector<std::string_view> rows(last.begin(), last.end());
  Tail tail(a);
  if (!tail.print(rows) || !a.follow) return kExitOk;

  const timespec wait{static_cast<time_t>(interval / 1'000'000'000),
                      static_cast<long>(interval % 1'000'000'000)};
  const timespec no_wait{0, 0};
  for (;;) {
    // Right away while polls return records (a poll reads a bounded amount), else wait.
    const int sig = sigtimedwait(&stop, nullptr, n > 0 ? &no_wait : &wait);
    if (sig == SIGINT || sig == SIGTERM) return kExitOk;
    check(agm_follow_poll(buf.get(), &n, follow.get()));
    warn_skipped();
    if (n == 0) continue;
    if (!tail.print(split_rows(buf.view()))) return kExitOk;  // the reader is gone: the follow is over
  }
}

// ---- Command line ----------------------------------------------------------------------------

// A duration with a unit (500ms, 5s, 1.5m, 2h), read as nanoseconds.
// "5s", "1m": a default duration of the header for a help text.
std::string default_duration(int64_t ns) {
  if (ns % 60'000'000'000 == 0) return std::to_string(ns / 60'000'000'000) + "m";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  return std::to_string(ns / 1'000'000) + "ms";
}

// A duration option; `given` (optional) is set when it is on the command line.
CLI::Option *add_duration(CLI::App *cmd, const char *name, double &ns, const std::string &help,
                          bool *given = nullptr) {
  CLI::AsNumberWithUnit units(std::map<std::string, double>{{"ns", 1},
                                                            {"us", 1e3},
                                                            {"ms", 1e6},
                                                            {"s", 1e9},
                                                            {"m", 60e9},
                                                            {"min", 60e9},
                                                            {"h", 3600e9},
                                                            {"d", 86400e9}},
                              CLI::AsNumberWithUnit::UNIT_REQUIRED);
  units.description("");  // the type name says it
  CLI::Option *option = cmd->add_option(name, ns, help)->transform(units)->type_name("DURATION");
  if (given) option->each([given](const std::string &) { *given = true; });
  return option;
}

void add_output_flags(CLI::App *cmd, Args &a, const char *json_help) {
  cmd->add_flag("--json", a.json, json_help);
  cmd->add_flag("--no-color", a.no_color, "no bold headers (also: the NO_COLOR environment variable)");
  cmd->footer(kExitCodes);
}

void add_store(CLI::App *cmd, Args &a) {
  cmd->add_option("STORE", a.store, "journal file (.jsonl), folder of journals or SQLite database")
      ->required()
      ->type_name("PATH");
}

void add_period(CLI::App *cmd, Args &a) {
  auto *period =
      cmd->add_option("--period", a.period, "records of the last hour, day, week, month (30 days) or all")
          ->check(CLI::IsMember({"hour", "day", "week", "month", "all"}))
          ->capture_default_str();
  auto *from = cmd->add_option("--from", a.from,
                               "range start, ISO 8601 UTC (2026-11-22, 2026-11-22T10:00:00Z), inclusive")
                   ->type_name("TIME");
  auto *to =
      cmd->add_option("--to", a.to, "range end, ISO 8601 UTC, exclusive (--to 2026-11-23 ends with 22 Nov)")
          ->type_name("TIME");
  period->excludes(from)->excludes(to);
  cmd->add_option("--now", a.now,
                  "the instant --period counts back from (default: the clock), for reproducible output")
      ->type_name("TIME");
}

void add_progress(CLI::App *cmd, Args &a) {
  auto *on = cmd->add_flag(
      "--progress", a.progress,
      "always draw the progress bar on stderr, from the start (default: on a terminal, after 0.3s)");
  auto *off = cmd->add_flag("--no-progress", a.no_progress, "never draw the progress bar");
  on->excludes(off);
}

// " (default 10)": the header's default list length, for help texts.
const std::string kDefaultLimit = " (default " + std::to_string(AGM_DEFAULT_QUERY_LIMIT) + ")";

void add_limit(CLI::App *cmd, Args &a, const std::string &help) {
  CLI::Range range(1u, 1'000'000u);
  range.description("");  // "N" and the help text say it
  cmd->add_option("--limit", a.limit, help)->check(range)->type_name("N");
}

void add_prices_file(CLI::App *cmd, Args &a) {
  cmd->add_option("--prices", a.prices_file, "a LiteLLM price JSON loaded over the bundled table")
      ->type_name("FILE");
}

// `prices` alone is `prices show`.
int cmd_prices(const Args &a, CLI::App &prices) {
  if (prices.get_subcommand("lookup")->parsed()) {
    cmd_prices_lookup(a);
  } else if (prices.get_subcommand("check")->parsed()) {
    cmd_prices_check(a);
  } else {
    cmd_prices_show(a);
  }
  return kExitOk;
}

// An action that ends in success when it returns (failures throw Failure).
template <void (*Action)(const Args &)>
int ok(const Args &a, CLI::App &) {
  Action(a);
  return kExitOk;
}

// One command of the program: its name and summary, its options and its action (whose result
// is the exit code). A store command (`store`) has STORE first, then its own options, then the
// period options, progress and output flags shared by every store command.
struct Command {
  const char *name;
  const char *help;
  bool store;
  void (*options)(CLI::App *cmd, Args &a);
  int (*action)(const Args &a, CLI::App &cmd);
};

// Every command, in the order --help lists them. Adding a command is adding its entry here.
const Command kCommands[] = {
    {"summary", "totals, latencies, cost by model, top tools and sessions", true,
     [](CLI::App *cmd, Args &a) {
       cmd->add_option(
              "--by", a.by,
              "cost grouped by model, provider, source, agent, phase, task, session, day (UTC) or tool "
              "(model calls by the tool that made them)")
           ->check(CLI::IsMember(
               {"model", "provider", "source", "agent", "phase", "task", "session", "day", "tool"}))
           ->type_name("DIMENSION");
       add_limit(cmd, a, "entries in each list" + kDefaultLimit);
     },
     ok<cmd_summary>},
    {"sessions", "the most expensive sessions", true,
     [](CLI::App *cmd, Args &a) { add_limit(cmd, a, "sessions to list" + kDefaultLimit); }, ok<cmd_sessions>},
    {"session", "one session: labels, totals, tools, turns, latencies", true,
     [](CLI::App *cmd, Args &a) { cmd->add_option("ID", a.session_id, "the session id")->required(); },
     ok<cmd_session>},
    {"tools", "per tool: calls, success rate, latency, last error", true,
     [](CLI::App *cmd, Args &a) {
       cmd->add_option("--name", a.name, "only this tool")->type_name("TOOL");
       add_limit(cmd, a, "tools to list" + kDefaultLimit);
     },
     ok<cmd_tools>},
    {"slow", "model calls, tool calls and turns at or over a threshold", true,
     [](CLI::App *cmd, Args &a) {
       add_duration(cmd, "--threshold", a.threshold_ns,
                    "the threshold (default " + default_duration(AGM_DEFAULT_SLOW_THRESHOLD_NS) + ")",
                    &a.threshold_given);
       add_limit(cmd, a, "operations to list" + kDefaultLimit);
     },
     ok<cmd_slow>},
    {"errors", "recent errors, error counts by tool and model", true,
     [](CLI::App *cmd, Args &a) { add_limit(cmd, a, "recent errors to list" + kDefaultLimit); },
     ok<cmd_errors>},
    {"invocations", "the invocation aggregate (multi-agent fleets)", true,
     [](CLI::App *cmd, Args &a) {
       add_duration(cmd, "--bucket", a.bucket_ns,
                    "width of the parallelism-over-time buckets (default " +
                        default_duration(AGM_DEFAULT_BUCKET_NS) + ")",
                    &a.bucket_given);
       cmd->add_option("--tiers", a.tiers,
                       "model tiers from the lowest to the highest (default low,medium,high)")
           ->delimiter(',')
           ->type_name("T1,T2,...");
     },
     ok<cmd_invocations>},
    {"report", "write a self-contained HTML report", false,
     [](CLI::App *report, Args &a) {
       add_store(report, a);
       report->add_option("--html", a.html, "the HTML file to write")->required()->type_name("FILE");
       report->add_option("--title", a.title, "page title (default \"agentmetrics report\")");
       add_limit(report, a,
                 "rows of the slowest operations and recent errors tables (default " +
                     std::to_string(AGM_DEFAULT_REPORT_LIMIT) + ")");
       add_period(report, a);
       add_progress(report, a);
       add_output_flags(report, a, "print {\"path\",\"bytes\",\"records\"} instead of a sentence");
     },
     ok<cmd_report>},
    {"export", "export records as OTLP/JSON, Prometheus text, CSV or JSON; or push OTLP", false,
     [](CLI::App *exp, Args &a) {
       add_store(exp, a);
       exp->add_option("--format", a.format, "otlp-json, prometheus, csv or json (one row per record)")
           ->check(CLI::IsMember({"otlp-json", "prometheus", "csv", "json"}))
           ->type_name("FORMAT");
       auto *out = exp->add_option("-o,--output", a.output,
                                   "write to FILE (atomically: all or nothing) instead of stdout")
                       ->type_name("FILE");
       exp->add_option(
              "--resource", a.resource,
              "OTLP resource attributes k=v,... (after OTEL_RESOURCE_ATTRIBUTES; service.name defaults to "
              "agentmetrics)")
           ->type_name("K=V,...");
       auto *endpoint =
           exp->add_option("--endpoint", a.endpoint,
                           "push OTLP/JSON to this OTLP/HTTP receiver (e.g. http://localhost:4318)")
               ->type_name("URL");
       endpoint->excludes(out);
       exp->add_option("--header", a.headers,
                       "request header k=v for the push, repeatable (after OTEL_EXPORTER_OTLP_HEADERS)")
           ->type_name("K=V")
           ->needs(endpoint);
       add_duration(exp, "--timeout", a.timeout_ns,
                    "timeout of each attempt of the push (default " +
                        default_duration(int64_t{AGM_DEFAULT_HTTP_TIMEOUT_MS} * 1'000'000) + ")",
                    &a.timeout_given)
           ->needs(endpoint);
       exp->add_option(
              "--attempts", a.attempts,
              "attempts in all when the receiver is unreachable or answers 429, 502, 503 or 504, with "
              "backoff between them (default " +
                  std::to_string(AGM_DEFAULT_PUSH_ATTEMPTS) + "; 1: no retry)")
           ->check(CLI::Range(1u, 100u))
           ->needs(endpoint);
       add_period(exp, a);
       add_progress(exp, a);
       add_output_flags(
           exp, a,
           "with -o: print {\"path\",\"bytes\",\"records\"}; with --endpoint: the receiver's response");
     },
     ok<cmd_export>},
    {"prices", "the price table: show [FILTER], lookup MODEL, check FILE", false,
     [](CLI::App *prices, Args &a) {
       prices->require_subcommand(0, 1);
       prices->add_option("FILTER", a.filter, "only models whose name contains this (case-insensitive)");
       add_prices_file(prices, a);
       add_output_flags(prices, a, "print the table as the library's JSON");
       CLI::App *show_cmd = prices->add_subcommand("show", "list the priced models (USD per 1M tokens)");
       show_cmd->add_option("FILTER", a.filter, "only models whose name contains this (case-insensitive)");
       add_prices_file(show_cmd, a);
       add_output_flags(show_cmd, a, "print the table as the library's JSON");
       CLI::App *lookup = prices->add_subcommand("lookup", "the price entry a model name resolves to");
       lookup->add_option("MODEL", a.model, "the model name as an application passes it")->required();
       lookup->add_option("--provider", a.provider, "the provider, tried as PROVIDER/MODEL first");
       add_prices_file(lookup, a);
       add_output_flags(lookup, a, "print the entry as the library's JSON");
       CLI::App *check_cmd = prices->add_subcommand("check", "validate a LiteLLM price file on its own");
       check_cmd->add_option("FILE", a.check_file, "the price file")->required();
       add_output_flags(check_cmd, a, "print {\"path\",\"entries\",\"priced\",\"skipped\"}");
     },
     cmd_prices},
    {"tail", "print the last records of a store; -f: follow new ones", false,
     [](CLI::App *tail, Args &a) {
       add_store(tail, a);
       tail->add_flag("-f,--follow", a.follow,
                      "keep printing records as they are appended, until interrupted");
       CLI::Range lines(uint64_t{0}, uint64_t{1'000'000'000'000});
       lines.description("");
       tail->add_option("-n,--lines", a.lines, "records to print from the end (default 10)")
           ->check(lines)
           ->type_name("N");
       add_duration(tail, "--interval", a.interval_ns, "time between polls with -f (default 500ms)");
       add_output_flags(tail, a, "print each record as the library's JSON row, one per line");
     },
     [](const Args &a, CLI::App &) { return cmd_tail(a); }},
};

std::string version_text() {
  return std::string("agentmetrics ") + AGM_VERSION_STRING + " (libagentmetrics " + agm_version_string() +
         ", ABI " + std::to_string(agm_abi_version()) + ")";
}

int run(int argc, char **argv, agm_http_send_fn send, void *send_user) {
  Args a;
  a.send = send;
  a.send_user = send_user;
  CLI::App app{"Token usage, cost and timing of LLM agents, from an agentmetrics journal or database.",
               "agentmetrics"};
  app.set_version_flag("--version", version_text(), "print the version and exit");
  app.require_subcommand(1);
  app.footer(kExitCodes);
  app.get_formatter()->column_width(34);
  std::vector<std::pair<const Command *, CLI::App *>> registered;
  for (const Command &command : kCommands) {
    CLI::App *cmd = app.add_subcommand(command.name, command.help);
    if (command.store) add_store(cmd, a);
    command.options(cmd, a);
    if (command.store) {
      add_period(cmd, a);
      add_progress(cmd, a);
      add_output_flags(cmd, a, "print the query's JSON document (README: History queries)");
    }
    registered.emplace_back(&command, cmd);
  }

  if (argc <= 1) {
    const std::string help = app.help();
    write_all(STDERR_FILENO, help);
    return kExitUsage;
  }
  const std::string first = argv[1];
  const auto commands = app.get_subcommands([&](const CLI::App *cmd) { return cmd->get_name() == first; });
  if (first[0] != '-' && commands.empty()) {
    write_all(STDERR_FILENO,
              "agentmetrics: error: unknown command \"" + first + "\"\nsee: agentmetrics --help\n");
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      // Through the descriptors, as all output: std::cout may not be usable in a host (an addon
      // loaded with RTLD_DEEPBIND binds to a copy the executable never initialised).
      std::ostringstream out, err;
      const int code = app.exit(e, out, err);
      write_all(STDOUT_FILENO, out.str());
      write_all(STDERR_FILENO, err.str());
      return code;
    }
    std::string command = "agentmetrics";
    for (const CLI::App *sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      command += " " + sub->get_name();
    }
    write_all(STDERR_FILENO,
              "agentmetrics: error: " + std::string(e.what()) + "\nsee: " + command + " --help\n");
    return kExitUsage;
  }

  for (auto &[command, cmd] : registered) {
    if (cmd->parsed()) return command->action(a, *cmd);
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char **argv, agm_http_send_fn send, void *send_user) noexcept {
  // Broken pipes surface as EPIPE from write(), so output errors are handled, not fatal.
  ::signal(SIGPIPE, SIG_IGN);
  if (agm_abi_version() != AGM_ABI_VERSION) {
    std::string text = "agentmetrics: error: libagentmetrics has ABI " + std::to_string(agm_abi_version()) +
                       ", this program needs ABI " + std::to_string(AGM_ABI_VERSION) + "\n";
    write_all(STDERR_FILENO, text);
    return kExitFailure;
  }
  int code = kExitFailure;
  try {
    try {
      code = run(argc, argv, send, send_user);
    } catch (const Failure &f) {
      if (!f.message.empty()) {
        // Messages may quote stored strings or arguments: printed under the one rule too.
        std::string text = "agentmetrics: error: " + safe(f.message) + "\n";
        if (!f.hint.empty()) text += "hint: " + safe(f.hint) + "\n";
        write_all(STDERR_FILENO, text);
      }
      code = f.code;
    } catch (const std::exception &e) {
      write_all(STDERR_FILENO, std::string("agentmetrics: error: ") + safe(e.what()) + "\n");
      code = kExitFailure;
    }
  } catch (...) {  // out of memory for a message, or not an exception of ours
    code = kExitFailure;
  }
  return code;
}

}  // namespace agmcli
