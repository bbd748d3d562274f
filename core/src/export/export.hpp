// Exports (metrics_c.h, "Exports"): the records of a store as OTLP/JSON metrics, Prometheus
// text, CSV rows or JSON rows, written in pieces as they are produced.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "record.hpp"

namespace agentmetrics {

enum class ExportFormat : uint32_t { kOtlpJson = 1, kPrometheus, kCsv, kJson };

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// "key=value,key2=value2" as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS write it:
// whitespace around keys and values trimmed, values percent-decoded. InvalidArgument names the
// malformed member (`what` says which setting it was).
KeyValues parse_key_values(std::string_view text, std::string_view what);

struct ExportOptions {
  ExportFormat format = ExportFormat::kJson;
  int64_t from = std::numeric_limits<int64_t>::min();  // wall-clock ns, from <= ts < to
  int64_t to = std::numeric_limits<int64_t>::max();
  KeyValues resource;  // OTLP resource attributes beyond the defaults
};

// Receives the export in pieces; throws to stop it.
using WriteFn = std::function<void(std::string_view)>;

class ExportRun {
 public:
  // InvalidArgument: unknown format, from > to.
  ExportRun(ExportOptions options, WriteFn write);
  ~ExportRun();
  ExportRun(ExportRun &&) noexcept;
  ExportRun &operator=(ExportRun &&) noexcept;

  // The record kinds the format reads, as bits (1u << RecordKind).
  uint32_t kinds() const;
  // Ignores records outside [from, to).
  void add(const RecordView &r);
  // Writes what is left (the metric formats write everything here).
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One record as the export's JSON row object (no trailing newline), appended to `out`.
void append_row_json(std::string &out, const RecordView &r);

}  // namespace agentmetrics
