// The metrics of the OTLP/JSON and Prometheus exports (README "Exports and the HTML report"):
// one row per metric, in the order they are written. This table is the exports' contract:
// the writers take names, units and descriptions from it only, and tests/cpp/
// test_metric_catalogue.cpp checks that an export writes exactly these metrics with these
// attributes, and that the README's table lists the same.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace agentmetrics {

enum class Instrument : uint8_t { kHistogram, kSum };

// Which metric a point belongs to: an index into kMetricCatalogue.
enum class Metric : uint8_t {
  kTokenUsage,
  kOperationDuration,
  kTimeToFirstChunk,
  kToolDuration,
  kAgentDuration,
  kTokens,
  kCost,
  kModelCalls,
  kToolCalls,
  kInvocations,
  kInvocationTokens,
  kInvocationCost,
};

struct MetricInfo {
  Metric metric;
  Instrument instrument;
  std::string_view name;        // OpenTelemetry
  std::string_view prometheus;  // Prometheus family name (counters: without _total)
  std::string_view unit;        // UCUM; histograms in "s" hold seconds, the others tokens
  std::string_view description;
  // Every attribute key a point may carry (an absent label is left out of its point).
  std::array<std::string_view, 7> attributes;
};

inline constexpr MetricInfo kMetricCatalogue[] = {
    {Metric::kTokenUsage,
     Instrument::kHistogram,
     "gen_ai.client.token.usage",
     "gen_ai_client_token_usage",
     "{token}",
     "Number of input and output tokens used.",
     {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.agent.name",
      "gen_ai.token.type"}},
    {Metric::kOperationDuration,
     Instrument::kHistogram,
     "gen_ai.client.operation.duration",
     "gen_ai_client_operation_duration_seconds",
     "s",
     "GenAI operation duration.",
     {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.agent.name",
      "error.type"}},
    {Metric::kTimeToFirstChunk,
     Instrument::kHistogram,
     "gen_ai.client.operation.time_to_first_chunk",
     "gen_ai_client_operation_time_to_first_chunk_seconds",
     "s",
     "Time to receive the first chunk of a streamed response.",
     {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.agent.name"}},
    {Metric::kToolDuration,
     Instrument::kHistogram,
     "gen_ai.execute_tool.duration",
     "gen_ai_execute_tool_duration_seconds",
     "s",
     "The duration of a single tool execution.",
     {"gen_ai.operation.name", "gen_ai.tool.name", "gen_ai.agent.name", "error.type"}},
    {Metric::kAgentDuration,
     Instrument::kHistogram,
     "gen_ai.invoke_agent.duration",
     "gen_ai_invoke_agent_duration_seconds",
     "s",
     "The duration of an agent turn or invocation.",
     {"gen_ai.operation.name", "gen_ai.agent.name", "agentmetrics.record.kind", "error.type"}},
    {Metric::kTokens,
     Instrument::kSum,
     "agentmetrics.tokens",
     "agentmetrics_tokens",
     "{token}",
     "Tokens reported by model calls, by kind (input is fresh input; cache_write_1h and reasoning are "
     "parts of cache_write and output).",
     {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.agent.name",
      "agentmetrics.token.kind"}},
    {Metric::kCost,
     Instrument::kSum,
     "agentmetrics.cost",
     "agentmetrics_cost_usd",
     "USD",
     "Cost of priced model calls by line item, USD.",
     {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.agent.name",
      "agentmetrics.cost.item"}},
    {Metric::kModelCalls,
     Instrument::kSum,
     "agentmetrics.model.calls",
     "agentmetrics_model_calls",
     "{call}",
     "Model calls.",
     {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.agent.name",
      "agentmetrics.outcome", "agentmetrics.usage_missing", "agentmetrics.unpriced"}},
    {Metric::kToolCalls,
     Instrument::kSum,
     "agentmetrics.tool.calls",
     "agentmetrics_tool_calls",
     "{call}",
     "Tool calls.",
     {"gen_ai.operation.name", "gen_ai.tool.name", "gen_ai.agent.name", "agentmetrics.outcome"}},
    {Metric::kInvocations,
     Instrument::kSum,
     "agentmetrics.invocations",
     "agentmetrics_invocations",
     "{invocation}",
     "Agent invocations.",
     {"gen_ai.operation.name", "gen_ai.agent.name", "agentmetrics.outcome"}},
    {Metric::kInvocationTokens,
     Instrument::kSum,
     "agentmetrics.invocation.tokens",
     "agentmetrics_invocation_tokens",
     "{token}",
     "Tokens reported by agent invocations.",
     {"gen_ai.operation.name", "gen_ai.agent.name"}},
    {Metric::kInvocationCost,
     Instrument::kSum,
     "agentmetrics.invocation.cost",
     "agentmetrics_invocation_cost_usd",
     "USD",
     "Cost reported by agent invocations, USD.",
     {"gen_ai.operation.name", "gen_ai.agent.name"}},
};
inline constexpr size_t kMetricCount = std::size(kMetricCatalogue);

// The catalogue is indexed by Metric, and lists the histograms before the sums (the order
// both formats write them in).
consteval bool catalogue_in_order() {
  for (size_t i = 0; i < kMetricCount; ++i) {
    if (static_cast<size_t>(kMetricCatalogue[i].metric) != i) return false;
    if (i && kMetricCatalogue[i - 1].instrument == Instrument::kSum &&
        kMetricCatalogue[i].instrument == Instrument::kHistogram)
      return false;
  }
  return true;
}
static_assert(catalogue_in_order());

inline constexpr const MetricInfo &metric_info(Metric m) {
  return kMetricCatalogue[static_cast<size_t>(m)];
}

}  // namespace agentmetrics
