#include "export.hpp"

#include "errors.hpp"
#include "json_writer.hpp"
#include "strings.hpp"

namespace agentmetrics {

namespace {

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
        throw InvalidArgument(std::string(what) + ": bad percent escape in the value of \"" + std::string(key) + "\"");
      }
      value += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (!valid_utf8(value)) {
      throw InvalidArgument(std::string(what) + ": the value of \"" + std::string(key) + "\" is not UTF-8");
    }
    out.emplace_back(std::string(key), std::move(value));
  }
  return out;
}

struct ExportRun::State {
  ExportOptions options;
  WriteFn write;
};

ExportRun::ExportRun(ExportOptions options, WriteFn write) {
  if (options.from > options.to) throw InvalidArgument("from must not be after to");
  state_ = std::make_unique<State>(State{std::move(options), std::move(write)});
}
ExportRun::~ExportRun() = default;
ExportRun::ExportRun(ExportRun &&) noexcept = default;
ExportRun &ExportRun::operator=(ExportRun &&) noexcept = default;

uint32_t ExportRun::kinds() const {
  return ~0u;
}
void ExportRun::add(const RecordView &) {}
void ExportRun::finish() {}

void append_row_json(std::string &out, const RecordView &r) {
  Json w;
  w.begin_object().key("kind").str(kind_name(r.kind)).key("timestamp").time(r.ts);
  out += w.end_object().take();
}

}  // namespace agentmetrics
