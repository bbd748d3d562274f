// Provider usage normalisers (reference/sdk-usage.md, "Normalization rules"). Each format reads
// its payload into Parts (the canonical counts, null until reported); finish() applies the
// general rules and builds the Usage.
#include "normalize.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <utility>

namespace agentmetrics {
namespace {

using Count = std::optional<int64_t>;
using json::element;

// ===== Reading counts =====

// `where` and `keys` joined with dots: the field's name in error messages.
std::string field_name(std::string_view where, std::initializer_list<std::string_view> keys) {
  std::string name(where);
  for (std::string_view key : keys) {
    if (!name.empty()) name += '.';
    name += key;
  }
  return name;
}

// The count at `keys` below `root` (`where` names `root`). Absent or null gives null (rule G2);
// a negative, fractional, too large or non-number count throws (G4).
Count count_at(std::optional<element> root, std::initializer_list<std::string_view> keys,
               std::string_view where = {}) {
  const std::optional<element> value = root ? json::path(*root, keys) : std::nullopt;
  if (!value) return std::nullopt;
  return json::as_count(value, field_name(where, keys), kMaxTokenCount);
}

// The first of two optional values that is set.
template <class T>
std::optional<T> either(std::optional<T> a, std::optional<T> b) {
  return a ? a : b;
}

// a + b with nulls as 0; null when both are null.
Count plus(Count a, Count b, std::string_view what) {
  if (!a && !b) return std::nullopt;
  const int64_t sum = a.value_or(0) + b.value_or(0);  // both <= 2^53 - 1: no overflow
  if (sum > kMaxTokenCount) throw InvalidArgument(std::string(what) + " exceeds 2^53 - 1");
  return sum;
}

// a - b - c with nulls as 0, clamped at 0 (rule G3); null when `a` is.
Count minus(Count a, Count b, Count c = std::nullopt) {
  if (!a) return std::nullopt;
  return std::max<int64_t>(0, *a - b.value_or(0) - c.value_or(0));
}

// ===== The canonical record =====

// Canonical counts before the general rules, each null until reported.
struct Parts {
  Count input{}, cache_read{}, cache_write{}, cache_write_1h{}, output{}, reasoning{};
};

constexpr const char *kKindNames[kTokenKinds] = {"input",  "cache read", "cache write", "1-hour cache write",
                                                 "output", "reasoning",  "total"};

// Rule G5 (neither input nor output: no record), the 1h subset of cache writes, the derived
// total, and the range every canonical count must stay in.
Usage finish(const Parts &p) {
  Usage usage;
  if (!p.input && !p.output) return usage;
  const std::pair<TokenKind, Count> kinds[] = {{kInput, p.input},
                                               {kCacheRead, p.cache_read},
                                               {kCacheWrite, p.cache_write},
                                               {kOutput, p.output},
                                               {kReasoning, p.reasoning}};
  for (const auto &[kind, n] : kinds) {
    if (n) usage.set(kind, *n);
  }
  // 1h writes are a subset of all writes: clamped to them, dropped when they are unknown.
  if (p.cache_write && p.cache_write_1h) {
    usage.set(kCacheWrite1h, std::min(*p.cache_write_1h, *p.cache_write));
  }
  usage.derive_total();
  for (int k = 0; k < kTokenKinds; ++k) {
    if (usage.count[k] > kMaxTokenCount) {
      throw InvalidArgument(std::string("the usage's ") + kKindNames[k] + " tokens exceed 2^53 - 1 (" +
                            std::to_string(usage.count[k]) + ")");
    }
  }
  return usage;
}

// Counts whose input includes cache reads and writes (OpenAI, AI SDK v6, Mastra v3).
struct InclusiveCounts {
  Count input{};     // all input, cache included
  Count no_cache{};  // fresh input, when reported
  Count cache_read{}, cache_write{}, output{}, reasoning{};
};

// Fresh input = no_cache if reported, else input - cache read - cache write (rule G3).
Parts from_inclusive(const InclusiveCounts &c) {
  return {.input = either(c.no_cache, minus(c.input, c.cache_read, c.cache_write)),
          .cache_read = c.cache_read,
          .cache_write = c.cache_write,
          .output = c.output,
          .reasoning = c.reasoning};
}

// ===== OpenAI =====

// Chat CompletionUsage: prompt and completion include their details.
Parts openai_chat(element u) {
  return from_inclusive({.input = count_at(u, {"prompt_tokens"}),
                         .cache_read = count_at(u, {"prompt_tokens_details", "cached_tokens"}),
                         .cache_write = count_at(u, {"prompt_tokens_details", "cache_write_tokens"}),
                         .output = count_at(u, {"completion_tokens"}),
                         .reasoning = count_at(u, {"completion_tokens_details", "reasoning_tokens"})});
}

// Responses ResponseUsage: the chat rule with the Responses names.
Parts openai_responses(element u) {
  return from_inclusive({.input = count_at(u, {"input_tokens"}),
                         .cache_read = count_at(u, {"input_tokens_details", "cached_tokens"}),
                         .cache_write = count_at(u, {"input_tokens_details", "cache_write_tokens"}),
                         .output = count_at(u, {"output_tokens"}),
                         .reasoning = count_at(u, {"output_tokens_details", "reasoning_tokens"})});
}

// ===== Anthropic =====

AnthropicCounts read_anthropic(element u) {
  return {.input = count_at(u, {"input_tokens"}),
          .output = count_at(u, {"output_tokens"}),
          .cache_read = count_at(u, {"cache_read_input_tokens"}),
          .cache_write = count_at(u, {"cache_creation_input_tokens"}),
          .cache_write_5m = count_at(u, {"cache_creation", "ephemeral_5m_input_tokens"}),
          .cache_write_1h = count_at(u, {"cache_creation", "ephemeral_1h_input_tokens"}),
          .thinking = count_at(u, {"output_tokens_details", "thinking_tokens"})};
}

// input_tokens excludes the cache; cache writes are cache_creation_input_tokens, else the sum
// of their TTL split cache_creation.*.
Parts anthropic_parts(const AnthropicCounts &c) {
  return {.input = c.input,
          .cache_read = c.cache_read,
          .cache_write = either(c.cache_write, plus(c.cache_write_5m, c.cache_write_1h, "cache_creation")),
          .cache_write_1h = c.cache_write_1h,
          .output = c.output,
          .reasoning = c.thinking};
}

// Streams: every field an event reports overwrites the cumulative count (never summed).
void overwrite(AnthropicCounts &into, const AnthropicCounts &from) {
  for (Count AnthropicCounts::*field :
       {&AnthropicCounts::input, &AnthropicCounts::output, &AnthropicCounts::cache_read,
        &AnthropicCounts::cache_write, &AnthropicCounts::cache_write_5m, &AnthropicCounts::cache_write_1h,
        &AnthropicCounts::thinking}) {
    if (from.*field) into.*field = from.*field;
  }
}

// ===== Google =====

// Gemini's counts (also those of AI SDK v5 Google usage, which copies them).
struct GeminiCounts {
  Count prompt, cached, candidates, thoughts, tool_use, total;
};

// A Gemini count in snake_case (python to_json_dict) or camelCase (REST, JS, ADK events).
Count gemini_count(element u, std::string_view snake, std::string_view camel) {
  return either(count_at(u, {snake}), count_at(u, {camel}));
}

Parts gemini_parts(const GeminiCounts &g) {
  if (!g.prompt && !g.cached && !g.candidates && !g.thoughts && !g.tool_use) return {};  // G1
  // G2 exception: proto3 JSON omits zeros, so an absent base count is 0 here.
  const int64_t prompt = g.prompt.value_or(0), candidates = g.candidates.value_or(0);
  const int64_t thoughts = g.thoughts.value_or(0), tool_use = g.tool_use.value_or(0);
  // Cached is a subset of prompt; tool-use prompt tokens are not in prompt.
  const int64_t input = *minus(prompt, g.cached) + tool_use;
  // Thoughts are not in candidates, unless the total shows they are (a backend variant).
  const bool thoughts_in_candidates = thoughts > 0 && g.total == prompt + candidates + tool_use;
  return {.input = input,
          .cache_read = g.cached,
          .output = thoughts_in_candidates ? candidates : candidates + thoughts,
          .reasoning = g.thoughts};
}

Parts google(element u) {
  return gemini_parts({.prompt = gemini_count(u, "prompt_token_count", "promptTokenCount"),
                       .cached = gemini_count(u, "cached_content_token_count", "cachedContentTokenCount"),
                       .candidates = gemini_count(u, "candidates_token_count", "candidatesTokenCount"),
                       .thoughts = gemini_count(u, "thoughts_token_count", "thoughtsTokenCount"),
                       .tool_use = gemini_count(u, "tool_use_prompt_token_count", "toolUsePromptTokenCount"),
                       .total = gemini_count(u, "total_token_count", "totalTokenCount")});
}

// ===== Bedrock =====

struct CacheWrites {
  Count all, one_hour;
};

// Bedrock cache writes: cacheWriteInputTokens, else the sum of cacheDetails[].inputTokens; the
// 1h part is the sum of the cacheDetails entries with ttl "1h".
CacheWrites bedrock_cache_writes(std::optional<element> u, std::string_view where = {}) {
  CacheWrites writes;
  Count listed;
  const std::optional<element> details = u ? json::member(*u, "cacheDetails") : std::nullopt;
  json::array entries;
  if (details && !details->get_array().get(entries)) {
    const std::string entry_where = field_name(where, {"cacheDetails[]"});
    for (element entry : entries) {
      const Count n = count_at(entry, {"inputTokens"}, entry_where);
      listed = plus(listed, n, entry_where);
      if (json::as_string(json::member(entry, "ttl"), entry_where + ".ttl") == "1h") {
        writes.one_hour = plus(writes.one_hour, n, entry_where);
      }
    }
  }
  writes.all = either(count_at(u, {"cacheWriteInputTokens"}, where), listed);
  return writes;
}

// Converse TokenUsage: inputTokens excludes the cache; reasoning is not split out.
Parts bedrock(element u) {
  const CacheWrites writes = bedrock_cache_writes(u);
  return {.input = count_at(u, {"inputTokens"}),
          .cache_read = count_at(u, {"cacheReadInputTokens"}),
          .cache_write = writes.all,
          .cache_write_1h = writes.one_hour,
          .output = count_at(u, {"outputTokens"})};
}

// ===== AI SDK and Mastra =====

enum class Family { Generic, Anthropic, OpenAI, Google, Bedrock };

// By substring, in this order: anthropic, openai/azure, google/vertex, bedrock (sdk-usage 1d).
Family family_of(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto has = [&lower](std::string_view part) { return lower.find(part) != std::string::npos; };
  if (has("anthropic")) return Family::Anthropic;
  if (has("openai") || has("azure")) return Family::OpenAI;
  if (has("google") || has("vertex")) return Family::Google;
  if (has("bedrock")) return Family::Bedrock;
  return Family::Generic;
}

// The family of model.provider, else of a providerMetadata key, else generic (AI SDK v5 rule).
Family provider_family(std::string_view provider, element payload) {
  if (const Family f = family_of(provider); f != Family::Generic) return f;
  for (std::string_view key : {"anthropic", "openai", "azure", "google", "vertex", "bedrock"}) {
    if (json::path(payload, {"providerMetadata", key})) return family_of(key);
  }
  return Family::Generic;
}

// Cache writes the AI SDK keeps in providerMetadata.bedrock.usage (v4, v5).
CacheWrites bedrock_metadata_writes(element payload) {
  return bedrock_cache_writes(json::path(payload, {"providerMetadata", "bedrock", "usage"}),
                              "providerMetadata.bedrock.usage");
}

// AI SDK v4: promptTokens/completionTokens (NaN serialised as null); details, by provider
// family, only in providerMetadata.
Parts ai_sdk_v4(element p, std::string_view provider) {
  const Count prompt = count_at(p, {"usage", "promptTokens"});
  const Count completion = count_at(p, {"usage", "completionTokens"});
  switch (provider_family(provider, p)) {
    case Family::Anthropic:
      return {.input = prompt,
              .cache_read = count_at(p, {"providerMetadata", "anthropic", "cacheReadInputTokens"}),
              .cache_write = count_at(p, {"providerMetadata", "anthropic", "cacheCreationInputTokens"}),
              .output = completion};
    case Family::OpenAI:
      return from_inclusive({.input = prompt,
                             .cache_read = count_at(p, {"providerMetadata", "openai", "cachedPromptTokens"}),
                             .output = completion,
                             .reasoning = count_at(p, {"providerMetadata", "openai", "reasoningTokens"})});
    case Family::Bedrock: {
      const CacheWrites writes = bedrock_metadata_writes(p);
      return {.input = prompt,
              .cache_read = count_at(p, {"providerMetadata", "bedrock", "usage", "cacheReadInputTokens"}),
              .cache_write = writes.all,
              .cache_write_1h = writes.one_hour,
              .output = completion};
    }
    default:  // Google and others: no details (v4 loses Gemini thoughts and cache reads).
      return {.input = prompt, .output = completion};
  }
}

// AI SDK v5 (also Mastra with V2 models): what inputTokens and outputTokens include depends on
// the provider family; cache writes are only in providerMetadata.
Parts ai_sdk_v5(element p, std::string_view provider) {
  const Count input = count_at(p, {"usage", "inputTokens"});
  const Count cached = count_at(p, {"usage", "cachedInputTokens"});
  const Count output = count_at(p, {"usage", "outputTokens"});
  const Count reasoning = count_at(p, {"usage", "reasoningTokens"});
  switch (provider_family(provider, p)) {
    case Family::Anthropic:  // input excludes the cache
      return {.input = input,
              .cache_read = cached,
              .cache_write = count_at(p, {"providerMetadata", "anthropic", "cacheCreationInputTokens"}),
              .cache_write_1h = count_at(p, {"providerMetadata", "anthropic", "usage", "cache_creation",
                                             "ephemeral_1h_input_tokens"}),
              .output = output,
              .reasoning = reasoning};
    case Family::Bedrock: {  // input excludes the cache
      const CacheWrites writes = bedrock_metadata_writes(p);
      return {.input = input,
              .cache_read = cached,
              .cache_write = writes.all,
              .cache_write_1h = writes.one_hour,
              .output = output,
              .reasoning = reasoning};
    }
    case Family::Google:  // Gemini's numbers: input includes cached, output excludes thoughts
      return gemini_parts({.prompt = input,
                           .cached = cached,
                           .candidates = output,
                           .thoughts = reasoning,
                           .tool_use = count_at(
                               p, {"providerMetadata", "google", "usageMetadata", "toolUsePromptTokenCount"}),
                           .total = count_at(p, {"usage", "totalTokens"})});
    default:  // OpenAI and generic: input includes cache reads and writes
      return from_inclusive(
          {.input = input,
           .cache_read = cached,
           .cache_write = count_at(p, {"providerMetadata", "openai", "usage", "cacheWriteTokens"}),
           .output = output,
           .reasoning = reasoning});
  }
}

// The 1h cache writes in a provider's raw usage object (Anthropic or Bedrock shape).
Count raw_cache_write_1h(std::optional<element> raw, std::string_view where) {
  return either(count_at(raw, {"cache_creation", "ephemeral_1h_input_tokens"}, where),
                bedrock_cache_writes(raw, where).one_hour);
}

// AI SDK v6/v7: provider-independent; inputTokens includes the cache, with details.
Parts ai_sdk_v6(element u) {
  Parts parts =
      from_inclusive({.input = count_at(u, {"inputTokens"}),
                      .no_cache = count_at(u, {"inputTokenDetails", "noCacheTokens"}),
                      .cache_read = either(count_at(u, {"inputTokenDetails", "cacheReadTokens"}),
                                           count_at(u, {"cachedInputTokens"})),  // deprecated mirror
                      .cache_write = count_at(u, {"inputTokenDetails", "cacheWriteTokens"}),
                      .output = count_at(u, {"outputTokens"}),
                      .reasoning = either(count_at(u, {"outputTokenDetails", "reasoningTokens"}),
                                          count_at(u, {"reasoningTokens"}))});  // deprecated mirror
  parts.cache_write_1h = raw_cache_write_1h(json::member(u, "raw"), "raw");
  return parts;
}

// Mastra: V3 nested raw usage (the v6 rule), else a V3 model's inclusive counts, else the v5
// rules; the 1h split comes from cacheCreationInputTokens1h.
Parts mastra(element p, const UsageContext &ctx) {
  Parts parts;
  const std::optional<element> raw_input = json::path(p, {"usage", "raw", "inputTokens"});
  if (raw_input && raw_input->is_object()) {
    parts = from_inclusive({.input = count_at(p, {"usage", "raw", "inputTokens", "total"}),
                            .no_cache = count_at(p, {"usage", "raw", "inputTokens", "noCache"}),
                            .cache_read = count_at(p, {"usage", "raw", "inputTokens", "cacheRead"}),
                            .cache_write = count_at(p, {"usage", "raw", "inputTokens", "cacheWrite"}),
                            .output = count_at(p, {"usage", "raw", "outputTokens", "total"}),
                            .reasoning = count_at(p, {"usage", "raw", "outputTokens", "reasoning"})});
  } else if (ctx.model_version == "v3") {
    parts = from_inclusive({.input = count_at(p, {"usage", "inputTokens"}),
                            .cache_read = count_at(p, {"usage", "cachedInputTokens"}),
                            .cache_write = count_at(p, {"usage", "cacheCreationInputTokens"}),
                            .output = count_at(p, {"usage", "outputTokens"}),
                            .reasoning = count_at(p, {"usage", "reasoningTokens"})});
  } else {
    parts = ai_sdk_v5(p, ctx.provider);
  }
  if (const Count one_hour = count_at(p, {"usage", "cacheCreationInputTokens1h"})) {
    parts.cache_write_1h = one_hour;
  }
  return parts;
}

// ===== Dispatch =====

void check_format(UsageFormat format) {
  if (!is_usage_format(static_cast<int32_t>(format))) {
    throw InvalidArgument("unknown usage format " + std::to_string(static_cast<int32_t>(format)));
  }
}

Parts parts_of(UsageFormat format, element payload, const UsageContext &ctx) {
  switch (format) {
    case UsageFormat::OpenAIChat: return openai_chat(payload);
    case UsageFormat::OpenAIResponses: return openai_responses(payload);
    case UsageFormat::Anthropic: return anthropic_parts(read_anthropic(payload));
    case UsageFormat::GoogleGenAI: return google(payload);
    case UsageFormat::Bedrock: return bedrock(payload);
    case UsageFormat::AiSdkV4: return ai_sdk_v4(payload, ctx.provider);
    case UsageFormat::AiSdkV5: return ai_sdk_v5(payload, ctx.provider);
    case UsageFormat::AiSdkV6: return ai_sdk_v6(payload);
    case UsageFormat::Mastra: return mastra(payload, ctx);
  }
  check_format(format);  // throws
  return {};
}

// Where a stream event of a last-usage-wins format carries its usage.
std::optional<element> usage_in_event(UsageFormat format, element event) {
  switch (format) {
    case UsageFormat::OpenAIChat: return json::member(event, "usage");
    case UsageFormat::OpenAIResponses: return json::path(event, {"response", "usage"});
    case UsageFormat::GoogleGenAI:
      return either(json::member(event, "usageMetadata"), json::member(event, "usage_metadata"));
    case UsageFormat::Bedrock:
      return either(json::path(event, {"metadata", "usage"}), json::member(event, "usage"));
    default: return std::nullopt;
  }
}

// Parse with the calling thread's parser; the element lives until the thread's next parse.
element parse(std::string_view text, std::string_view what) {
  thread_local simdjson::dom::parser parser;
  return json::parse(parser, text, what);
}

}  // namespace

bool is_usage_format(int32_t value) {
  return value >= static_cast<int32_t>(UsageFormat::OpenAIChat) &&
         value <= static_cast<int32_t>(UsageFormat::Mastra);
}

Usage normalize_usage(UsageFormat format, element payload, const UsageContext &ctx) {
  check_format(format);
  const Usage usage = finish(parts_of(format, payload, ctx));
  // A preliminary (Anthropic message_start) or partial (ADK) response is validated, not recorded.
  if (ctx.stream_event == "message_start" || ctx.adk_partial) return Usage{};
  return usage;
}

Usage normalize_usage(UsageFormat format, std::string_view payload_json, const UsageContext &ctx) {
  check_format(format);
  return normalize_usage(format, parse(payload_json, "usage payload"), ctx);
}

UsageStream::UsageStream(UsageFormat format, UsageContext ctx) : format_(format), ctx_(std::move(ctx)) {
  check_format(format);
  if (format >= UsageFormat::AiSdkV4) {
    throw Unsupported("usage format " + std::to_string(static_cast<int32_t>(format)) +
                      " has no stream: normalise its finished usage instead");
  }
}

void UsageStream::add(std::string_view event_json) {
  const element event = parse(event_json, "usage stream event");
  // Everything below may throw until the state is committed at the end (strong guarantee).
  if (format_ == UsageFormat::Anthropic) {
    // Cumulative counts: message_start, then message_delta events, merged by overwrite.
    const std::optional<std::string_view> type = json::as_string(json::member(event, "type"), "type");
    const bool delta = type == "message_delta";
    std::optional<element> usage;  // other event types carry no usage
    if (delta) {
      usage = json::member(event, "usage");
    } else if (type == "message_start") {
      usage = json::path(event, {"message", "usage"});
    }
    if (!usage) return;
    AnthropicCounts counts = anthropic_;
    overwrite(counts, read_anthropic(*usage));
    const Usage merged = finish(anthropic_parts(counts));
    anthropic_ = counts;
    merged_ = merged;
    final_ = final_ || delta;  // message_start usage alone is preliminary
    return;
  }
  // OpenAI, Google, Bedrock: the last usage-bearing event wins; chunks are never summed.
  const std::optional<element> usage = usage_in_event(format_, event);
  if (!usage) return;
  const Usage next = finish(parts_of(format_, *usage, ctx_));
  if (next.empty()) return;  // e.g. a Google chunk whose usageMetadata holds no counts
  merged_ = next;
  final_ = true;
}

Usage UsageStream::result() const {
  return final_ ? merged_ : Usage{};
}

}  // namespace agentmetrics
