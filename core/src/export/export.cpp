#include "export.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <span>

#include "abi_values.hpp"
#include "aggregate.hpp"
#include "errors.hpp"
#include "fold.hpp"
#include "history_parts.hpp"
#include "json_writer.hpp"
#include "metric_catalogue.hpp"
#include "strings.hpp"

namespace agentmetrics {

namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr size_t kPieceSize = 64 * 1024;

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Collects output and hands it to the writer in pieces of about kPieceSize.
class Output {
 public:
  explicit Output(const WriteFn &write) : write_(write) { buf_.reserve(kPieceSize + 4096); }
  std::string &buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kPieceSize) flush();
  }
  void flush() {
    if (buf_.empty()) return;
    write_(buf_);
    buf_.clear();
  }

 private:
  const WriteFn &write_;
  std::string buf_;
};

// ---------------------------------------------------------------------------------------------
// Rows (CSV and JSON): one per record, the columns of metrics_c.h in order.

constexpr const char *kColumns[] = {"kind",
                                    "timestamp",
                                    "session",
                                    "agent",
                                    "phase",
                                    "task",
                                    "turn",
                                    "model",
                                    "provider",
                                    "source",
                                    "tool",
                                    "call_id",
                                    "invocation_id",
                                    "tier",
                                    "attempt",
                                    "outcome",
                                    "error_type",
                                    "error_message",
                                    "stop_reason",
                                    "duration_ms",
                                    "ttft_ms",
                                    "input_tokens",
                                    "cache_read_tokens",
                                    "cache_write_tokens",
                                    "cache_write_1h_tokens",
                                    "output_tokens",
                                    "reasoning_tokens",
                                    "total_tokens",
                                    "cost_usd"};
constexpr size_t kColumnCount = std::size(kColumns);

// One cell: text (quoted in JSON and CSV), a number written as given, or nothing.
struct Cell {
  enum Type : uint8_t { kNull, kText, kNumber } type = kNull;
  std::string_view text;
};

// The cells of a record: views of the record's strings, or of numbers formatted here (valid
// until the next build).
class RowBuilder {
 public:
  const std::array<Cell, kColumnCount> &build(const RecordView &r) {
    cells_.fill(Cell{});
    scratch_.clear();
    formatted_.clear();
    text(0, kind_name(r.kind));
    formatted(1, format_iso_ms(r.ts), Cell::kText);
    text(2, r.session);
    text(3, r.agent);
    text(4, r.phase);
    text(5, r.task);
    if (r.turn) integer(6, static_cast<int64_t>(r.turn));
    switch (r.kind) {
      case RecordKind::kModelCall: model_call(r); break;
      case RecordKind::kToolCall:
        text(10, r.tool);
        text(11, r.call_id);
        outcome(r);
        duration(19, r.duration_ns);
        break;
      case RecordKind::kTurn: duration(19, r.duration_ns); break;  // tokens and cost: its calls' rows
      case RecordKind::kInvocation: invocation(r.invocation); break;
      case RecordKind::kSession: break;
      case RecordKind::kDropped: break;
    }
    // scratch_ is complete: its views cannot move any more.
    for (const auto &[column, at, size] : formatted_)
      cells_[column].text = std::string_view(scratch_).substr(at, size);
    return cells_;
  }

 private:
  void model_call(const RecordView &r) {
    text(7, r.model);
    text(8, r.provider);
    text(9, r.source);
    integer(14, r.attempt);
    outcome(r);
    text(18, r.stop_reason);
    duration(19, r.duration_ns);
    duration(20, r.ttft_ns);
    static constexpr std::pair<TokenKind, size_t> kTokenColumns[] = {
        {kInput, 21},  {kCacheRead, 22}, {kCacheWrite, 23}, {kCacheWrite1h, 24},
        {kOutput, 25}, {kReasoning, 26}, {kTotal, 27}};
    for (auto [kind, column] : kTokenColumns) {
      if (r.usage.has(kind)) integer(column, r.usage.get(kind));
    }
    if (r.cost.priced) formatted(28, money_to_decimal(r.cost.total));
  }

  void invocation(const InvocationView &v) {
    text(12, v.invocation_id);
    text(3, v.agent);
    text(5, v.task_id);
    formatted(4, std::to_string(v.phase), Cell::kText);
    text(7, v.model);
    text(13, v.tier);
    integer(14, v.attempt);
    text(15, v.success ? "ok" : "error");
    text(16, v.error_class);
    duration(19, v.duration_ns);
    if (v.input_tokens) integer(21, *v.input_tokens);
    if (v.cached_tokens) integer(22, *v.cached_tokens);
    if (v.output_tokens) integer(25, *v.output_tokens);
    integer(27, v.tokens);
    formatted(28, money_to_decimal(v.cost));
  }

  void outcome(const RecordView &r) {
    text(15, r.error ? "error" : "ok");
    text(16, r.error_type);
    text(17, r.error_message);
  }
  void duration(size_t column, std::optional<int64_t> ns) {
    if (ns) formatted(column, decimal(static_cast<u128>(std::max<int64_t>(*ns, 0)), kNsPerMs, 3));
  }
  void text(size_t column, std::string_view s) {
    if (!s.empty()) cells_[column] = {Cell::kText, s};
  }
  void integer(size_t column, int64_t v) { formatted(column, std::to_string(v)); }
  void formatted(size_t column, const std::string &s, Cell::Type type = Cell::kNumber) {
    cells_[column].type = type;
    formatted_.push_back({column, scratch_.size(), s.size()});
    scratch_ += s;
  }

  struct Formatted {
    size_t column, at, size;
  };
  std::array<Cell, kColumnCount> cells_;
  std::string scratch_;
  std::vector<Formatted> formatted_;
};

// A CSV text cell: quoted when it holds a delimiter, quote or line break; one that a spreadsheet
// would read as a formula (=, +, -, @, tab, carriage return first) gets a leading quote mark.
void append_csv_text(std::string &out, std::string_view s) {
  const bool formula = !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
  const bool quote = formula || s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote) out += '"';
  if (formula) out += '\'';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  if (quote) out += '"';
}

void write_csv_row(std::string &out, const std::array<Cell, kColumnCount> &cells) {
  for (size_t i = 0; i < kColumnCount; ++i) {
    if (i) out += ',';
    if (cells[i].type == Cell::kText) {
      append_csv_text(out, cells[i].text);
    } else {
      out += cells[i].text;
    }
  }
  out += "\r\n";
}

void write_json_row(std::string &out, const std::array<Cell, kColumnCount> &cells) {
  out += '{';
  for (size_t i = 0; i < kColumnCount; ++i) {
    if (i) out += ',';
    out += '"';
    out += kColumns[i];
    out += "\":";
    switch (cells[i].type) {
      case Cell::kNull: out += "null"; break;
      case Cell::kText: json::append_string(out, cells[i].text); break;
      case Cell::kNumber: out += cells[i].text; break;
    }
  }
  out += '}';
}

// ---------------------------------------------------------------------------------------------
// Metrics (OTLP/JSON and Prometheus): the records aggregated into series, one per attribute set.

// Explicit bucket boundaries of the GenAI semantic conventions: tokens, and seconds (as ns).
constexpr int64_t kTokenBounds[] = {1,     4,     16,     64,      256,     1024,     4096,
                                    16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
constexpr int64_t kDurationBounds[] = {10'000'000,     20'000'000,    40'000'000,     80'000'000,
                                       160'000'000,    320'000'000,   640'000'000,    1'280'000'000,
                                       2'560'000'000,  5'120'000'000, 10'240'000'000, 20'480'000'000,
                                       40'960'000'000, 81'920'000'000};
constexpr size_t kBuckets = std::size(kTokenBounds) + 1;
static_assert(std::size(kDurationBounds) + 1 == kBuckets);

struct Histogram {
  std::array<uint64_t, kBuckets> counts{};
  uint64_t count = 0;
  u128 sum = 0;
  int64_t min = kMax, max = kMin;

  // OTLP and Prometheus buckets include their upper bound.
  void add(int64_t v, std::span<const int64_t> bounds) {
    v = std::max<int64_t>(v, 0);
    const size_t i = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
    ++counts[i];
    ++count;
    sum += static_cast<u128>(v);
    min = std::min(min, v);
    max = std::max(max, v);
  }
};

enum class Unit { kTokens, kSeconds };

// A value of `unit` as text: tokens as integers, nanoseconds as exact decimal seconds.
std::string unit_text(u128 v, Unit unit) {
  return unit == Unit::kTokens ? decimal(v, 1, 0) : decimal(v, kNsPerSecond, 9);
}

std::span<const int64_t> bounds_of(Unit unit) {
  return unit == Unit::kTokens ? std::span<const int64_t>(kTokenBounds)
                               : std::span<const int64_t>(kDurationBounds);
}

constexpr const char *kTokenKindNames[] = {"input",          "cache_read", "cache_write",
                                           "cache_write_1h", "output",     "reasoning"};
constexpr const char *kCostItemNames[kCostItems] = {"input",          "cache_read", "cache_write_5m",
                                                    "cache_write_1h", "output",     "reasoning"};

// Aggregates of the model calls of one (provider, model, agent).
struct ModelSeries {
  Histogram input_tokens, output_tokens;  // gen_ai.client.token.usage
  KeyMap<Histogram> duration;             // by error.type ("" when the call succeeded)
  Histogram ttft;
  std::array<int64_t, 6> tokens{};  // by kind, kInput..kReasoning
  uint32_t token_present = 0;
  bool saturated = false;  // a token sum stopped at INT64_MAX, as the summaries' sums do
  std::array<u128, kCostItems> cost{};
  bool priced = false;
  // [error][usage missing][unpriced]
  uint64_t calls[2][2][2] = {};
};

// Tool calls of one (tool, agent).
struct ToolSeries {
  KeyMap<Histogram> duration;  // by error.type
  uint64_t calls[2] = {};      // [error]
};

// Turns and invocations of one agent.
struct AgentSeries {
  Histogram turn_duration;
  KeyMap<Histogram> invocation_duration;  // by error.type
  uint64_t invocations[2] = {};           // [failed]
  int64_t invocation_tokens = 0;          // saturating, as the summaries' sums
  bool saturated = false;
  u128 invocation_cost = 0;
};

using Attributes = std::vector<std::pair<std::string_view, std::string_view>>;

// Splits a series key back into its parts (keys join parts with '\0', which labels never hold).
std::vector<std::string_view> key_parts(std::string_view key) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t nul = key.find('\0');
    parts.push_back(key.substr(0, nul));
    if (nul == std::string_view::npos) return parts;
    key.remove_prefix(nul + 1);
  }
}

// The error.type of a failure: its type, else the semantic conventions' "_OTHER".
std::string_view error_type_of(bool error, std::string_view type) {
  if (!error) return {};
  return type.empty() ? std::string_view("_OTHER") : cut_utf8(type, kMaxLabelBytes);
}

// Series keys of the records past AGM_MAX_GROUP_KEYS series: every label AGM_OTHER_KEY.
constexpr std::string_view kOther = kOtherKey;
constexpr std::string_view kOtherTool("(other)\0(other)", 15);
constexpr std::string_view kOtherModel("(other)\0(other)\0(other)", 23);

// A data point on its way to a writer.
struct SumPoint {
  Attributes attributes;
  std::string value;  // an integer, or an exact decimal when the unit is USD
};
struct HistogramPoint {
  Attributes attributes;
  const Histogram *h;
};

// The points of every metric of the catalogue; a metric without points is not written.
struct MetricPoints {
  std::array<std::vector<HistogramPoint>, kMetricCount> histograms;
  std::array<std::vector<SumPoint>, kMetricCount> sums;

  void histogram(Metric m, Attributes attributes, const Histogram &h) {
    histograms[static_cast<size_t>(m)].push_back({std::move(attributes), &h});
  }
  void sum(Metric m, Attributes attributes, std::string value) {
    sums[static_cast<size_t>(m)].push_back({std::move(attributes), std::move(value)});
  }
};

// Histograms in seconds hold durations, the others tokens; sums in USD are doubles in OTLP (it
// has no decimal), the others integers.
Unit value_unit(const MetricInfo &m) {
  return m.unit == "s" ? Unit::kSeconds : Unit::kTokens;
}
bool integer_sum(const MetricInfo &m) {
  return m.unit != "USD";
}

// `base` and then `more`.
Attributes with(const Attributes &base,
                std::initializer_list<std::pair<std::string_view, std::string_view>> more) {
  Attributes a = base;
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

constexpr std::string_view kBool[] = {"false", "true"};
constexpr std::string_view kOutcome[] = {"ok", "error"};

// The points of the model calls of one (provider, model, agent).
void model_points(const std::vector<std::string_view> &p, const ModelSeries &s, MetricPoints &out) {
  Attributes base = {{"gen_ai.operation.name", "chat"}};
  if (!p[0].empty()) base.emplace_back("gen_ai.provider.name", p[0]);
  if (!p[1].empty()) base.emplace_back("gen_ai.request.model", p[1]);
  if (!p[2].empty()) base.emplace_back("gen_ai.agent.name", p[2]);
  if (s.input_tokens.count)
    out.histogram(Metric::kTokenUsage, with(base, {{"gen_ai.token.type", "input"}}), s.input_tokens);
  if (s.output_tokens.count)
    out.histogram(Metric::kTokenUsage, with(base, {{"gen_ai.token.type", "output"}}), s.output_tokens);
  for (const auto &[error, h] : s.duration)
    out.histogram(Metric::kOperationDuration, error.empty() ? base : with(base, {{"error.type", error}}), h);
  if (s.ttft.count) out.histogram(Metric::kTimeToFirstChunk, base, s.ttft);
  for (int k = kInput; k <= kReasoning; ++k) {
    if ((s.token_present >> k) & 1u)
      out.sum(Metric::kTokens, with(base, {{"agentmetrics.token.kind", kTokenKindNames[k]}}),
              std::to_string(s.tokens[k]));
  }
  if (s.priced) {
    for (int i = 0; i < kCostItems; ++i)
      out.sum(Metric::kCost, with(base, {{"agentmetrics.cost.item", kCostItemNames[i]}}),
              money_to_decimal(s.cost[i]));
  }
  for (int error = 0; error < 2; ++error) {
    for (int missing = 0; missing < 2; ++missing) {
      for (int unpriced = 0; unpriced < 2; ++unpriced) {
        const uint64_t n = s.calls[error][missing][unpriced];
        if (n == 0) continue;
        out.sum(Metric::kModelCalls,
                with(base, {{"agentmetrics.outcome", kOutcome[error]},
                            {"agentmetrics.usage_missing", kBool[missing]},
                            {"agentmetrics.unpriced", kBool[unpriced]}}),
                std::to_string(n));
      }
    }
  }
}

// The points of the calls of one (tool, agent).
void tool_points(const std::vector<std::string_view> &p, const ToolSeries &s, MetricPoints &out) {
  Attributes base = {{"gen_ai.operation.name", "execute_tool"}};
  if (!p[0].empty()) base.emplace_back("gen_ai.tool.name", p[0]);
  if (!p[1].empty()) base.emplace_back("gen_ai.agent.name", p[1]);
  for (const auto &[error, h] : s.duration)
    out.histogram(Metric::kToolDuration, error.empty() ? base : with(base, {{"error.type", error}}), h);
  for (int error = 0; error < 2; ++error) {
    if (s.calls[error])
      out.sum(Metric::kToolCalls, with(base, {{"agentmetrics.outcome", kOutcome[error]}}),
              std::to_string(s.calls[error]));
  }
}

// The points of the turns and invocations of one agent.
void agent_points(std::string_view agent, const AgentSeries &s, MetricPoints &out) {
  Attributes base = {{"gen_ai.operation.name", "invoke_agent"}};
  if (!agent.empty()) base.emplace_back("gen_ai.agent.name", agent);
  if (s.turn_duration.count)
    out.histogram(Metric::kAgentDuration, with(base, {{"agentmetrics.record.kind", "turn"}}),
                  s.turn_duration);
  for (const auto &[error, h] : s.invocation_duration) {
    out.histogram(Metric::kAgentDuration,
                  error.empty()
                      ? with(base, {{"agentmetrics.record.kind", "invocation"}})
                      : with(base, {{"agentmetrics.record.kind", "invocation"}, {"error.type", error}}),
                  h);
  }
  for (int failed = 0; failed < 2; ++failed) {
    if (s.invocations[failed])
      out.sum(Metric::kInvocations, with(base, {{"agentmetrics.outcome", kOutcome[failed]}}),
              std::to_string(s.invocations[failed]));
  }
  if (s.invocations[0] + s.invocations[1]) {
    out.sum(Metric::kInvocationTokens, base, std::to_string(s.invocation_tokens));
    out.sum(Metric::kInvocationCost, base, money_to_decimal(s.invocation_cost));
  }
}

}  // namespace

KeyValues parse_key_values(std::string_view text, std::string_view what) {
  KeyValues out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view member = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (trim(member).empty()) continue;
    const size_t eq = member.find('=');
    const std::string_view key = trim(member.substr(0, eq));
    if (eq == std::string_view::npos || key.empty()) {
      throw InvalidArgument(std::string(what) + ": \"" + std::string(trim(member)) + "\" is not key=value");
    }
    const std::string_view raw = trim(member.substr(eq + 1));
    std::string value;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '%') {
        value += raw[i];
        continue;
      }
      const int hi = i + 2 < raw.size() ? hex_digit(raw[i + 1]) : -1;
      const int lo = i + 2 < raw.size() ? hex_digit(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        throw InvalidArgument(std::string(what) + ": bad percent escape in the value of \"" +
                              std::string(key) + "\"");
      }
      value += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (!valid_utf8(value) || value.find('\0') != std::string::npos) {
      throw InvalidArgument(std::string(what) + ": the value of \"" + std::string(key) +
                            "\" is not UTF-8 text");
    }
    out.emplace_back(std::string(key), std::move(value));
  }
  return out;
}

struct ExportRun::State {
  State(ExportOptions o, WriteFn w) : options(std::move(o)), write(std::move(w)), out(write) {}

  bool metrics() const {
    return options.format == ExportFormat::kOtlpJson || options.format == ExportFormat::kPrometheus;
  }
  void add_row(const RecordView &r);
  void add_metrics(const RecordView &r);
  std::string_view series_key(std::initializer_list<std::string_view> parts);
  void finish_metrics();
  void write_otlp(const MetricPoints &points);
  void write_prometheus(const MetricPoints &points);

  ExportOptions options;
  WriteFn write;
  Output out;
  uint64_t rows = 0;
  RowBuilder row;

  // The entry of `key` in one of the series maps; once AGM_MAX_GROUP_KEYS keys exist in all
  // of them, a new key's entry is `other`'s, so a store of a million names exports in bounded
  // memory and size (the "(other)" series count what was folded into them).
  template <class T>
  T &series(KeyMap<T> &m, std::string_view key, std::string_view other) {
    auto it = m.find(key);
    if (it == m.end()) {
      if (keys >= kMaxGroupKeys) {
        key = other;
        it = m.find(key);
        if (it != m.end()) return it->second;
      } else {
        ++keys;
      }
      it = m.emplace(std::string(key), T{}).first;
    }
    return it->second;
  }

  size_t keys = 0;             // series keys made, in all maps
  std::string key;             // scratch for series keys
  KeyMap<ModelSeries> models;  // provider \0 model \0 agent
  KeyMap<ToolSeries> tools;    // tool \0 agent
  KeyMap<AgentSeries> agents;  // agent
  int64_t first = kMax, last = kMin;
};

std::string_view ExportRun::State::series_key(std::initializer_list<std::string_view> parts) {
  key.clear();
  bool first = true;  // not a pointer comparison: absent labels may all be views of nullptr
  for (std::string_view p : parts) {
    if (!first) key += '\0';
    first = false;
    key += cut_utf8(p, kMaxLabelBytes);  // a hostile store's megabyte labels: cut
  }
  return key;
}

void ExportRun::State::add_row(const RecordView &r) {
  const auto &cells = row.build(r);
  std::string &buf = out.buf();
  if (options.format == ExportFormat::kCsv) {
    write_csv_row(buf, cells);
  } else {
    buf += rows ? ",\n" : "\n";
    write_json_row(buf, cells);
  }
  ++rows;
  out.maybe_flush();
}

void ExportRun::State::add_metrics(const RecordView &r) {
  first = std::min(first, r.ts);
  last = std::max(last, r.ts);
  const Folded f(r);
  switch (r.kind) {
    case RecordKind::kModelCall: {
      ModelSeries &s = series(models, series_key({r.provider, r.model, r.agent}), kOtherModel);
      const Usage &u = r.usage;
      if (u.has(kInput) || u.has(kCacheRead) || u.has(kCacheWrite)) {
        s.input_tokens.add(u.get(kInput) + u.get(kCacheRead) + u.get(kCacheWrite), kTokenBounds);
      }
      if (u.has(kOutput)) s.output_tokens.add(u.get(kOutput), kTokenBounds);
      for (int k = kInput; k <= kReasoning; ++k) {
        if (u.has(static_cast<TokenKind>(k)))
          add_saturating(s.tokens[k], u.get(static_cast<TokenKind>(k)), s.saturated);
      }
      s.token_present |= u.present;
      if (r.cost.priced) {
        s.priced = true;
        for (int i = 0; i < kCostItems; ++i) s.cost[i] += r.cost.item[i];
      }
      if (f.duration)
        series(s.duration, error_type_of(r.error, r.error_type), kOther).add(*f.duration, kDurationBounds);
      if (f.ttft) s.ttft.add(*f.ttft, kDurationBounds);
      ++s.calls[r.error][u.empty()][!r.cost.priced];
      break;
    }
    case RecordKind::kToolCall: {
      ToolSeries &s = series(tools, series_key({r.tool, r.agent}), kOtherTool);
      if (f.duration)
        series(s.duration, error_type_of(r.error, r.error_type), kOther).add(*f.duration, kDurationBounds);
      ++s.calls[r.error];
      break;
    }
    case RecordKind::kTurn:  // its tokens and cost are its model calls': not added again
      if (f.duration)
        series(agents, cut_utf8(r.agent, kMaxLabelBytes), kOther)
            .turn_duration.add(*f.duration, kDurationBounds);
      break;
    case RecordKind::kInvocation: {
      const InvocationView &v = r.invocation;
      AgentSeries &s = series(agents, cut_utf8(v.agent, kMaxLabelBytes), kOther);
      series(s.invocation_duration, error_type_of(!v.success, v.error_class), kOther)
          .add(v.duration_ns, kDurationBounds);
      ++s.invocations[!v.success];
      add_saturating(s.invocation_tokens, v.tokens, s.saturated);
      s.invocation_cost += v.cost;
      break;
    }
    case RecordKind::kSession: break;
    case RecordKind::kDropped: break;  // readers count markers apart (ReadReport)
  }
}

void ExportRun::State::finish_metrics() {
  // Points borrow the keys' parts: keep them alive until written.
  std::vector<std::vector<std::string_view>> parts;
  parts.reserve(models.size() + tools.size());
  MetricPoints points;
  for (const auto &[key, s] : models)
    model_points(parts.emplace_back(key_parts(key)), s, points);  // provider, model, agent
  for (const auto &[key, s] : tools)
    tool_points(parts.emplace_back(key_parts(key)), s, points);  // tool, agent
  for (const auto &[agent, s] : agents) agent_points(agent, s, points);
  if (options.format == ExportFormat::kOtlpJson) {
    write_otlp(points);
  } else {
    write_prometheus(points);
  }
}

void ExportRun::State::write_otlp(const MetricPoints &points) {
  Json j(out.buf());
  auto attributes = [&](const auto &pairs) {
    j.key("attributes").begin_array();
    for (const auto &[k, v] : pairs) {
      j.begin_object().key("key").str(k);
      j.key("value").begin_object().key("stringValue").str(v).end_object();
      j.end_object();
    }
    j.end_array();
  };
  // Cumulative from the first record to the last; an empty export has no points.
  const std::string start = std::to_string(std::max<int64_t>(first, 0));
  const std::string end = std::to_string(std::max<int64_t>(last, 0));
  // The bucket bounds of each unit, the same in every histogram point.
  std::array<std::string, 2> bounds_json;
  for (const Unit unit : {Unit::kTokens, Unit::kSeconds}) {
    Json b(bounds_json[static_cast<size_t>(unit)]);
    b.begin_array();
    for (int64_t bound : bounds_of(unit)) b.raw(unit_text(static_cast<u128>(bound), unit));
    b.end_array();
  }
  auto point_start = [&](const Attributes &a) {
    j.begin_object();
    attributes(a);
    j.key("startTimeUnixNano").str(start).key("timeUnixNano").str(end);
  };

  KeyValues resource = {{"service.name", "agentmetrics"},
                        {"telemetry.sdk.name", "agentmetrics"},
                        {"telemetry.sdk.language", "cpp"},
                        {"telemetry.sdk.version", AGM_CORE_VERSION_STRING}};
  for (const auto &kv_in : options.resource) {
    // Not a structured binding: clang before 16 cannot capture one in a lambda.
    const auto &k = kv_in.first;
    auto it = std::find_if(resource.begin(), resource.end(), [&](const auto &kv) { return kv.first == k; });
    if (it != resource.end()) {
      it->second = kv_in.second;
    } else {
      resource.emplace_back(k, kv_in.second);
    }
  }
  j.begin_object().key("resourceMetrics").begin_array().begin_object().key("resource").begin_object();
  attributes(resource);
  j.end_object().key("scopeMetrics").begin_array().begin_object();
  j.key("scope").begin_object().key("name").str("agentmetrics");
  j.key("version").str(AGM_CORE_VERSION_STRING).end_object();
  j.key("metrics").begin_array();
  for (const MetricInfo &m : kMetricCatalogue) {
    const size_t i = static_cast<size_t>(m.metric);
    const bool histogram = m.instrument == Instrument::kHistogram;
    if (histogram ? points.histograms[i].empty() : points.sums[i].empty()) continue;
    j.line_break().begin_object().key("name").str(m.name).key("description").str(m.description);
    j.key("unit").str(m.unit);
    if (histogram) {
      const Unit unit = value_unit(m);
      j.key("histogram").begin_object().key("aggregationTemporality").num(uint64_t{2});
      j.key("dataPoints").begin_array();
      for (const HistogramPoint &p : points.histograms[i]) {
        point_start(p.attributes);
        j.key("count").str(std::to_string(p.h->count)).key("sum").raw(unit_text(p.h->sum, unit));
        j.key("bucketCounts").begin_array();
        for (uint64_t n : p.h->counts) j.str(std::to_string(n));
        j.end_array().key("explicitBounds").raw(bounds_json[static_cast<size_t>(unit)]);
        j.key("min").raw(unit_text(static_cast<u128>(p.h->min), unit));
        j.key("max").raw(unit_text(static_cast<u128>(p.h->max), unit));
        j.end_object();
        out.maybe_flush();
      }
    } else {
      const bool integer = integer_sum(m);
      j.key("sum").begin_object().key("aggregationTemporality").num(uint64_t{2});
      j.key("isMonotonic").raw("true");
      j.key("dataPoints").begin_array();
      for (const SumPoint &p : points.sums[i]) {
        point_start(p.attributes);
        integer ? j.key("asInt").str(p.value) : j.key("asDouble").raw(p.value);
        j.end_object();
        out.maybe_flush();
      }
    }
    j.end_array().end_object().end_object();
  }
  j.line_break().end_array().end_object().end_array().end_object().end_array().end_object();
  out.buf() += '\n';
}

namespace {

// A Prometheus label name from an attribute key: characters outside [a-zA-Z0-9_] become '_'.
void append_label_name(std::string &out, std::string_view key) {
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
}

// Label values escape backslash, double quote and line feed; HELP text only the first and last.
void append_escaped(std::string &out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void append_labels(std::string &out, const Attributes &attributes, std::string_view le = {}) {
  if (attributes.empty() && le.empty()) return;
  out += '{';
  bool comma = false;
  for (const auto &[k, v] : attributes) {
    if (comma) out += ',';
    comma = true;
    append_label_name(out, k);
    out += "=\"";
    append_escaped(out, v, true);
    out += '"';
  }
  if (!le.empty()) {
    out += comma ? ",le=\"" : "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

}  // namespace

void ExportRun::State::write_prometheus(const MetricPoints &points) {
  std::string &o = out.buf();
  auto header = [&](const MetricInfo &m, std::string_view suffix, const char *type) {
    o += "# HELP ";
    o += m.prometheus;
    o += suffix;
    o += ' ';
    append_escaped(o, m.description, false);
    o += "\n# TYPE ";
    o += m.prometheus;
    o += suffix;
    o += ' ';
    o += type;
    o += '\n';
  };
  // The resource, as the OpenTelemetry-to-Prometheus mapping does: an info metric.
  auto has_points = [](const auto &by_metric) {
    return std::any_of(by_metric.begin(), by_metric.end(), [](const auto &v) { return !v.empty(); });
  };
  if (has_points(points.sums) || has_points(points.histograms)) {
    o += "# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info";
    Attributes resource = {{"service_name", "agentmetrics"}};
    for (const auto &[k, v] : options.resource) {
      if (k == "service.name") {
        resource[0].second = v;
      } else {
        resource.emplace_back(k, v);
      }
    }
    append_labels(o, resource);
    o += " 1\n";
  }
  for (const MetricInfo &m : kMetricCatalogue) {
    const size_t i = static_cast<size_t>(m.metric);
    if (m.instrument == Instrument::kHistogram) {
      if (points.histograms[i].empty()) continue;
      header(m, "", "histogram");
      const Unit unit = value_unit(m);
      const auto bounds = bounds_of(unit);
      for (const HistogramPoint &p : points.histograms[i]) {
        uint64_t cumulative = 0;
        for (size_t b = 0; b < kBuckets; ++b) {
          cumulative += p.h->counts[b];
          o += m.prometheus;
          o += "_bucket";
          append_labels(o, p.attributes,
                        b < bounds.size() ? unit_text(static_cast<u128>(bounds[b]), unit) : "+Inf");
          o += ' ' + std::to_string(cumulative) + '\n';
        }
        o += m.prometheus;
        o += "_sum";
        append_labels(o, p.attributes);
        o += ' ' + unit_text(p.h->sum, unit) + '\n';
        o += m.prometheus;
        o += "_count";
        append_labels(o, p.attributes);
        o += ' ' + std::to_string(p.h->count) + '\n';
        out.maybe_flush();
      }
    } else {
      if (points.sums[i].empty()) continue;
      header(m, "_total", "counter");
      for (const SumPoint &p : points.sums[i]) {
        o += m.prometheus;
        o += "_total";
        append_labels(o, p.attributes);
        o += ' ' + p.value + '\n';
        out.maybe_flush();
      }
    }
  }
}

ExportRun::ExportRun(ExportOptions options, WriteFn write) {
  if (static_cast<uint32_t>(options.format) < static_cast<uint32_t>(ExportFormat::kOtlpJson) ||
      static_cast<uint32_t>(options.format) > static_cast<uint32_t>(ExportFormat::kJson)) {
    throw InvalidArgument("unknown export format");
  }
  if (options.from > options.to) throw InvalidArgument("from must not be after to");
  if (!write) throw InvalidArgument("no writer");
  state_ = std::make_unique<State>(std::move(options), std::move(write));
  if (state_->options.format == ExportFormat::kCsv) {
    std::string &o = state_->out.buf();
    for (size_t i = 0; i < kColumnCount; ++i) {
      if (i) o += ',';
      o += kColumns[i];
    }
    o += "\r\n";
  } else if (state_->options.format == ExportFormat::kJson) {
    state_->out.buf() += '[';
  }
}
ExportRun::~ExportRun() = default;
ExportRun::ExportRun(ExportRun &&) noexcept = default;
ExportRun &ExportRun::operator=(ExportRun &&) noexcept = default;

uint32_t ExportRun::kinds() const {
  // Session records carry no metric.
  return state_->metrics() ? ~(1u << static_cast<unsigned>(RecordKind::kSession)) : ~0u;
}

void ExportRun::add(const RecordView &r) {
  State &s = *state_;
  if (r.ts < s.options.from || r.ts >= s.options.to) return;
  if (s.metrics()) {
    s.add_metrics(r);
  } else {
    s.add_row(r);
  }
}

void ExportRun::finish() {
  State &s = *state_;
  if (s.metrics()) {
    s.finish_metrics();
  } else if (s.options.format == ExportFormat::kJson) {
    s.out.buf() += s.rows ? "\n]\n" : "]\n";
  }
  s.out.flush();
}

void append_row_json(std::string &out, const RecordView &r) {
  RowBuilder row;
  write_json_row(out, row.build(r));
}

}  // namespace agentmetrics
