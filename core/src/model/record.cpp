#include "record.hpp"

namespace agentmetrics {

namespace {
constexpr std::string_view kKindNames[] = {"session", "model_call", "tool_call", "turn", "invocation", "dropped"};
}

std::string_view kind_name(RecordKind kind) {
  return kKindNames[static_cast<int>(kind)];
}

std::optional<RecordKind> kind_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (kKindNames[i] == name) return static_cast<RecordKind>(i);
  }
  return std::nullopt;
}

void canonicalize(RecordView &r) {
  if (r.kind == RecordKind::kModelCall) {
    r.model = model_key(r.model);
    r.source = source_key(r.source);
  }
}

}  // namespace agentmetrics
