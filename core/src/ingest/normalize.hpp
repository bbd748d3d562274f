// Provider usage normalisers: one SDK usage payload, or the events of one streamed response, to
// the canonical Usage record (reference/sdk-usage.md, "Normalization rules"; the contract is
// fixtures/usage/*.json).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json.hpp"
#include "usage.hpp"

namespace agentmetrics {

// Payload formats; the values are AGM_FORMAT_* of metrics_c.h.
enum class UsageFormat : int32_t {
  OpenAIChat = 1,       // CompletionUsage
  OpenAIResponses = 2,  // ResponseUsage
  Anthropic = 3,        // Messages Usage / MessageDeltaUsage
  GoogleGenAI = 4,      // GenerateContentResponseUsageMetadata, snake_case or camelCase
  Bedrock = 5,          // Converse TokenUsage
  AiSdkV4 = 6,          // {usage:{promptTokens,...}, providerMetadata}
  AiSdkV5 = 7,          // {usage: LanguageModelV2Usage, providerMetadata}
  AiSdkV6 = 8,          // LanguageModelUsage of ai@6 and ai@7
  Mastra = 9,           // {usage: Mastra LanguageModelUsage, providerMetadata}
};

// True for the values of UsageFormat (1..9).
bool is_usage_format(int32_t value);

// What the caller knows besides the payload. An empty string means unknown.
struct UsageContext {
  std::string provider{};       // AI SDK / Mastra model.provider, e.g. "anthropic.messages"
  std::string model_version{};  // Mastra model.version: "v2" / "v3"
  std::string stream_event{};   // Anthropic stream event; "message_start" => no record
  bool adk_partial = false;     // ADK LlmResponse with partial=True => no record
};

// Normalise one payload. The result is empty (present == 0) when the payload yields no usage
// record: null, a non-object, no counts (rule G1), neither input nor output (G5), or a
// preliminary/partial event per `ctx`. Malformed input throws InvalidArgument naming the field:
// invalid JSON, or a count that is negative, fractional, above kMaxTokenCount or not a number.
// Thread-safe (the text overload parses with a thread-local parser).
Usage normalize_usage(UsageFormat format, std::string_view payload_json, const UsageContext &ctx);
Usage normalize_usage(UsageFormat format, json::element payload, const UsageContext &ctx);

// The raw Anthropic usage fields an Anthropic stream merges (each null until reported).
struct AnthropicCounts {
  std::optional<int64_t> input;           // input_tokens
  std::optional<int64_t> output;          // output_tokens
  std::optional<int64_t> cache_read;      // cache_read_input_tokens
  std::optional<int64_t> cache_write;     // cache_creation_input_tokens
  std::optional<int64_t> cache_write_5m;  // cache_creation.ephemeral_5m_input_tokens
  std::optional<int64_t> cache_write_1h;  // cache_creation.ephemeral_1h_input_tokens
  std::optional<int64_t> thinking;        // output_tokens_details.thinking_tokens
};

// Merges the usage of a streamed response event by event, with the provider's rule: Anthropic
// counts are cumulative and merged field by field by overwriting (message_start, then each
// message_delta; never summed); OpenAI, Google and Bedrock: the last usage-bearing event wins.
// Not thread-safe: one stream per thread at a time.
class UsageStream {
 public:
  // Throws InvalidArgument for an unknown format, Unsupported for the AI SDK and Mastra
  // formats (they hand over finished usage: use normalize_usage).
  UsageStream(UsageFormat format, UsageContext ctx);

  // Feed one event as JSON, exactly as the SDK delivers it:
  //  Anthropic: {"type":"message_start","message":{"usage":{...}}} or
  //             {"type":"message_delta","usage":{...}}; other event types are ignored.
  //  OpenAI chat: a ChatCompletionChunk ({"usage":{...}} on the last chunk only).
  //  OpenAI Responses: an event whose "response" holds "usage" (response.completed, ...).
  //  Google: a GenerateContentResponse chunk with "usageMetadata" or "usage_metadata".
  //  Bedrock: a ConverseStream event {"metadata":{"usage":{...}}}, or {"usage":{...}}.
  // Events without usage are ignored. Throws InvalidArgument for malformed JSON or counts,
  // leaving the stream unchanged (strong guarantee).
  void add(std::string_view event_json);

  // The merged usage so far; empty when no final usage has arrived (e.g. an Anthropic stream
  // with only message_start, an OpenAI stream without include_usage).
  Usage result() const;

 private:
  UsageFormat format_;
  UsageContext ctx_;
  AnthropicCounts anthropic_;  // Anthropic: the raw counts merged so far
  Usage merged_;               // the canonical usage of the events merged so far
  bool final_ = false;         // merged_ is final usage (Anthropic: a message_delta arrived)
};

}  // namespace agentmetrics
