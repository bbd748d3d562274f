// Seed 001's get_metrics agent tool: its definition (name, description, JSON-schema
// parameters), the validation of a model's arguments against it, and the dispatch of each
// action to the history queries, as JSON in and JSON out (agm_metrics_tool_schema,
// agm_history_metrics_tool, agm_recorder_metrics_tool). A client of the public C ABI: the
// queries run through agm_history_query / agm_recorder_query, the current session's figures
// through agm_session_*.
#pragma once
#include <agentmetrics/metrics_c.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentmetrics {

// The tool definition as a JSON object: {"name","description","parameters"}.
const std::string &metrics_tool_schema();

// agm_metrics_tool_context, validated.
struct MetricsToolContext {
  bool has_now = false;
  int64_t now_ns = 0;
  bool error_result = false;  // AGM_METRICS_TOOL_ERROR_RESULT
  const agm_session *session = nullptr;
};

// What the tool reads: a history handle or a recorder's own store (exactly one is set).
struct MetricsToolSource {
  agm_history *history = nullptr;
  agm_recorder *recorder = nullptr;
};

// Runs one call of the tool with the model's arguments (a JSON object); returns the result
// document. Throws InvalidArgument (arguments) and the errors of the query it runs, unless
// context.error_result, where those come back as {"action":…,"error":…}.
std::string run_metrics_tool(const MetricsToolSource &source, std::string_view args_json,
                             const MetricsToolContext &context);

// The session's labels beyond session_id, agent, phase and task: its tags, in order
// (defined in c_api.cpp, which owns agm_session).
std::vector<std::pair<std::string, std::string>> session_tags(const agm_session *session);

}  // namespace agentmetrics
