// White-box tests of the usage normalisers (core/src/ingest/normalize.*): general rules, stream
// merging, malformed input, and the 1-hour cache-write split.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "normalize.hpp"

namespace agentmetrics {
namespace {

Usage norm(UsageFormat format, std::string_view payload, const UsageContext &ctx = {}) {
  return normalize_usage(format, payload, ctx);
}

UsageContext provider(std::string name) {
  return UsageContext{.provider = std::move(name)};
}

// Compares the count and presence of one kind; nullopt means "missing".
void expect_kind(const Usage &u, TokenKind kind, std::optional<int64_t> want, const std::string &where) {
  ASSERT_EQ(u.has(kind), want.has_value()) << where << " kind " << kind;
  if (want) {
    EXPECT_EQ(u.get(kind), *want) << where << " kind " << kind;
  }
}

// Every present kind, for comparing two results as a whole.
std::vector<std::pair<int, int64_t>> present_counts(const Usage &u) {
  std::vector<std::pair<int, int64_t>> out;
  for (int k = 0; k < kTokenKinds; ++k) {
    if (u.has(static_cast<TokenKind>(k))) out.emplace_back(k, u.get(static_cast<TokenKind>(k)));
  }
  return out;
}

// The fixture contract runs through the public ABI in test_fixtures.cpp.

// ===== General rules =====

TEST(Normalize, FormatValues) {
  for (int32_t v = 1; v <= 9; ++v) EXPECT_TRUE(is_usage_format(v));
  EXPECT_FALSE(is_usage_format(0));
  EXPECT_FALSE(is_usage_format(10));
  EXPECT_FALSE(is_usage_format(-1));
  EXPECT_THROW(norm(static_cast<UsageFormat>(0), "{}"), InvalidArgument);
  EXPECT_THROW(norm(static_cast<UsageFormat>(42), "{}"), InvalidArgument);
}

TEST(Normalize, NullAndNonObjectPayloadsGiveNoUsage) {
  for (int32_t f = 1; f <= 9; ++f) {
    for (const char *payload : {"null", "5", "\"text\"", "[]", "[1,2]", "true", "{}"}) {
      EXPECT_TRUE(norm(static_cast<UsageFormat>(f), payload).empty()) << f << " " << payload;
    }
  }
  EXPECT_TRUE(norm(UsageFormat::AiSdkV5, R"({"usage":7})").empty());
  EXPECT_TRUE(norm(UsageFormat::Mastra, R"({"usage":"x"})").empty());
}

TEST(Normalize, OnlyCacheCountsIsNoRecord) {  // rule G5
  EXPECT_TRUE(norm(UsageFormat::Anthropic, R"({"cache_read_input_tokens":10})").empty());
  EXPECT_TRUE(norm(UsageFormat::Bedrock, R"({"cacheWriteInputTokens":10})").empty());
}

TEST(Normalize, PreliminaryAndPartialEventsAreValidatedButNotRecorded) {
  const char *usage = R"({"input_tokens":472,"output_tokens":1})";
  EXPECT_TRUE(norm(UsageFormat::Anthropic, usage, {.stream_event = "message_start"}).empty());
  EXPECT_FALSE(norm(UsageFormat::Anthropic, usage, {.stream_event = "message_delta"}).empty());
  EXPECT_THROW(norm(UsageFormat::Anthropic, R"({"input_tokens":-1})", {.stream_event = "message_start"}),
               InvalidArgument);
  const char *gemini = R"({"promptTokenCount":5,"candidatesTokenCount":2})";
  EXPECT_TRUE(norm(UsageFormat::GoogleGenAI, gemini, {.adk_partial = true}).empty());
  EXPECT_EQ(norm(UsageFormat::GoogleGenAI, gemini).get(kTotal), 7);
}

TEST(Normalize, SubtractionsClampAtZero) {  // rule G3
  const Usage u =
      norm(UsageFormat::OpenAIResponses,
           R"({"input_tokens":10,"input_tokens_details":{"cached_tokens":8,"cache_write_tokens":9},
                           "output_tokens":1})");
  EXPECT_EQ(u.get(kInput), 0);
  EXPECT_EQ(u.get(kTotal), 18);
}

TEST(Normalize, AnthropicCacheWriteFromTtlSplitWhenTotalIsNull) {
  const Usage u = norm(UsageFormat::Anthropic,
                       R"({"input_tokens":3,"output_tokens":4,"cache_creation_input_tokens":null,
                           "cache_creation":{"ephemeral_5m_input_tokens":20,"ephemeral_1h_input_tokens":100}})");
  EXPECT_EQ(u.get(kCacheWrite), 120);
  EXPECT_EQ(u.get(kCacheWrite1h), 100);
  EXPECT_EQ(u.get(kTotal), 127);
}

TEST(Normalize, GoogleCamelCaseAndZeroOmission) {
  // proto3 omits zeros: absent prompt counts as 0, but cache read and reasoning stay missing.
  const Usage u = norm(UsageFormat::GoogleGenAI, R"({"candidatesTokenCount":9,"totalTokenCount":9})");
  expect_kind(u, kInput, 0, "camel");
  expect_kind(u, kOutput, 9, "camel");
  expect_kind(u, kCacheRead, std::nullopt, "camel");
  expect_kind(u, kReasoning, std::nullopt, "camel");
}

TEST(Normalize, AiSdkV5FamilyFallsBackToProviderMetadata) {
  const char *payload = R"({"usage":{"inputTokens":3,"outputTokens":5,"cachedInputTokens":40},
                            "providerMetadata":{"anthropic":{"cacheCreationInputTokens":7}}})";
  const Usage u = norm(UsageFormat::AiSdkV5, payload);  // no provider string
  EXPECT_EQ(u.get(kInput), 3);
  EXPECT_EQ(u.get(kCacheWrite), 7);
  EXPECT_EQ(u.get(kTotal), 55);
  // vertex.anthropic.* is Anthropic (anthropic is matched first).
  EXPECT_EQ(norm(UsageFormat::AiSdkV5, payload, provider("vertex.anthropic.messages")).get(kInput), 3);
  // Generic (OpenAI-like): input includes the cache read.
  EXPECT_EQ(
      norm(UsageFormat::AiSdkV5, R"({"usage":{"inputTokens":50,"outputTokens":5,"cachedInputTokens":40}})",
           provider("gateway"))
          .get(kInput),
      10);
}

TEST(Normalize, CountsAbove2To31) {
  const Usage u = norm(UsageFormat::Bedrock, R"({"inputTokens":4294967296,"outputTokens":3000000000})");
  EXPECT_EQ(u.get(kInput), 4294967296);
  EXPECT_EQ(u.get(kTotal), 7294967296);
}

TEST(Normalize, ConcurrentCallsUseThreadLocalParsers) {
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 500; ++i) {
        const std::string payload =
            "{\"prompt_tokens\":" + std::to_string(t * 1000 + i) + ",\"completion_tokens\":1}";
        if (norm(UsageFormat::OpenAIChat, payload).get(kInput) != t * 1000 + i) ++failures[t];
      }
    });
  }
  for (auto &th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// ===== Malformed input =====

TEST(NormalizeMalformed, ThrowsInvalidArgumentNamingTheField) {
  const std::pair<UsageFormat, const char *> bad[] = {
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":)"},  // invalid JSON
      {UsageFormat::OpenAIChat, ""},                      // empty
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":-1,"completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":1.5,"completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":"12","completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":true,"completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":{},"completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":9007199254740992,"completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":18446744073709551615,"completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":1e300,"completion_tokens":1})"},
      {UsageFormat::OpenAIChat, R"({"prompt_tokens":1,"prompt_tokens_details":{"cached_tokens":-3}})"},
      {UsageFormat::Anthropic, R"({"input_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":"x"}})"},
      {UsageFormat::GoogleGenAI, R"({"promptTokenCount":[1]})"},
      {UsageFormat::Bedrock, R"({"inputTokens":1,"cacheDetails":[{"inputTokens":-5,"ttl":"1h"}]})"},
      {UsageFormat::Bedrock, R"({"inputTokens":1,"cacheDetails":[{"inputTokens":5,"ttl":1}]})"},
      {UsageFormat::AiSdkV4, R"({"usage":{"promptTokens":"NaN"}})"},
      {UsageFormat::AiSdkV6, R"({"inputTokens":1,"inputTokenDetails":{"noCacheTokens":0.25}})"},
      {UsageFormat::Mastra, R"({"usage":{"inputTokens":1,"cacheCreationInputTokens1h":false}})"},
  };
  for (const auto &[format, payload] : bad) {
    EXPECT_THROW(norm(format, payload), InvalidArgument) << payload;
  }
  try {
    norm(UsageFormat::OpenAIChat, R"({"prompt_tokens":1,"prompt_tokens_details":{"cached_tokens":-3}})");
    FAIL();
  } catch (const InvalidArgument &e) {
    EXPECT_NE(std::string(e.what()).find("prompt_tokens_details.cached_tokens"), std::string::npos)
        << e.what();
  }
}

TEST(NormalizeMalformed, LargestCountIsAcceptedButADerivedSumOver2To53Throws) {
  const std::string max = std::to_string(kMaxTokenCount);
  EXPECT_EQ(norm(UsageFormat::Bedrock, "{\"inputTokens\":" + max + ",\"outputTokens\":0}").get(kTotal),
            kMaxTokenCount);
  EXPECT_THROW(norm(UsageFormat::Bedrock, "{\"inputTokens\":" + max + ",\"outputTokens\":1}"),
               InvalidArgument);
  std::string details = "{\"inputTokens\":1,\"outputTokens\":1,\"cacheDetails\":[";
  for (int i = 0; i < 2000; ++i) details += (i ? ",{\"inputTokens\":" : "{\"inputTokens\":") + max + "}";
  EXPECT_THROW(norm(UsageFormat::Bedrock, details + "]}"), InvalidArgument);
}

TEST(NormalizeMalformed, NeverCrashesOnTruncatedOrMangledInput) {
  const std::string payload =
      R"({"usage":{"inputTokens":5,"outputTokens":2,"raw":{"inputTokens":{"total":5,"noCache":1}}},)"
      R"("providerMetadata":{"anthropic":{"usage":{"cache_creation":{"ephemeral_1h_input_tokens":1}}}}})";
  for (int32_t f = 1; f <= 9; ++f) {
    for (size_t n = 0; n <= payload.size(); ++n) {
      std::string text = payload.substr(0, n);
      for (std::string candidate : {text, text + "}", text + "]}}"}) {
        try {
          (void)norm(static_cast<UsageFormat>(f), candidate, provider("anthropic"));
        } catch (const InvalidArgument &) {
        }
      }
    }
  }
}

// ===== 1-hour cache writes =====

TEST(NormalizeCacheWrite1h, EachSource) {
  struct Case {
    UsageFormat format;
    const char *payload;
    UsageContext ctx;
    std::optional<int64_t> write, write_1h;
  };
  const Case cases[] = {
      {UsageFormat::Anthropic,
       R"({"input_tokens":3,"output_tokens":1,"cache_creation_input_tokens":2274,
           "cache_creation":{"ephemeral_5m_input_tokens":274,"ephemeral_1h_input_tokens":2000}})",
       {},
       2274,
       2000},
      {UsageFormat::Bedrock,
       R"({"inputTokens":5,"outputTokens":1,"cacheWriteInputTokens":6000,
           "cacheDetails":[{"inputTokens":4000,"ttl":"1h"},{"inputTokens":2000,"ttl":"5m"}]})",
       {},
       6000,
       4000},
      {UsageFormat::Bedrock,  // no cacheWriteInputTokens: the sum of cacheDetails
       R"({"inputTokens":5,"outputTokens":1,
           "cacheDetails":[{"inputTokens":400,"ttl":"1h"},{"inputTokens":20,"ttl":"5m"}]})",
       {},
       420,
       400},
      {UsageFormat::Mastra,
       R"({"usage":{"inputTokens":600,"outputTokens":1,"cachedInputTokens":0,"cacheCreationInputTokens":500,
           "cacheCreationInputTokens5m":100,"cacheCreationInputTokens1h":400}})",
       {.provider = "anthropic", .model_version = "v3"},
       500,
       400},
      {UsageFormat::AiSdkV6,
       R"({"inputTokens":17130,"inputTokenDetails":{"noCacheTokens":3,"cacheReadTokens":14853,"cacheWriteTokens":2274},
           "outputTokens":111,"raw":{"cache_creation":{"ephemeral_5m_input_tokens":274,"ephemeral_1h_input_tokens":2000}}})",
       {},
       2274,
       2000},
      {UsageFormat::AiSdkV6,  // Bedrock raw usage
       R"({"inputTokens":20,"inputTokenDetails":{"noCacheTokens":5,"cacheWriteTokens":15},"outputTokens":1,
           "raw":{"cacheWriteInputTokens":15,"cacheDetails":[{"inputTokens":15,"ttl":"1h"}]}})",
       {},
       15,
       15},
      {UsageFormat::AiSdkV5,
       R"({"usage":{"inputTokens":3,"outputTokens":1},"providerMetadata":{"anthropic":{
           "cacheCreationInputTokens":2274,"usage":{"cache_creation":{"ephemeral_1h_input_tokens":2000}}}}})",
       provider("anthropic.messages"), 2274, 2000},
      {UsageFormat::Anthropic,  // not revealed: missing
       R"({"input_tokens":3,"output_tokens":1,"cache_creation_input_tokens":50})",
       {},
       50,
       std::nullopt},
      {UsageFormat::Anthropic,  // clamped to all cache writes
       R"({"input_tokens":3,"output_tokens":1,"cache_creation_input_tokens":50,
           "cache_creation":{"ephemeral_1h_input_tokens":80}})",
       {},
       50,
       50},
      {UsageFormat::Mastra,  // 1h without any cache-write count: dropped
       R"({"usage":{"inputTokens":3,"outputTokens":1,"cacheCreationInputTokens1h":9}})",
       {.model_version = "v3"},
       std::nullopt,
       std::nullopt},
  };
  for (const Case &c : cases) {
    const Usage u = norm(c.format, c.payload, c.ctx);
    expect_kind(u, kCacheWrite, c.write, c.payload);
    expect_kind(u, kCacheWrite1h, c.write_1h, c.payload);
  }
}

// ===== Streams =====

TEST(UsageStream, AiSdkAndMastraHaveNoStreams) {
  for (UsageFormat f :
       {UsageFormat::AiSdkV4, UsageFormat::AiSdkV5, UsageFormat::AiSdkV6, UsageFormat::Mastra}) {
    EXPECT_THROW(UsageStream(f, {}), Unsupported);
  }
  EXPECT_THROW(UsageStream(static_cast<UsageFormat>(0), {}), InvalidArgument);
  EXPECT_NO_THROW(UsageStream(UsageFormat::Bedrock, provider("aws.bedrock")));
}

TEST(UsageStream, AnthropicOverwritesCumulativeCountsNeverSums) {
  UsageStream s(UsageFormat::Anthropic, {});
  s.add(R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
            "usage":{"input_tokens":472,"output_tokens":1,"cache_creation_input_tokens":0,
                     "cache_read_input_tokens":4096,
                     "cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}}}})");
  EXPECT_TRUE(s.result().empty());  // message_start alone is preliminary
  s.add(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})");
  s.add(R"({"type":"ping"})");
  s.add(R"({"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":40}})");
  s.add(R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},
            "usage":{"input_tokens":null,"output_tokens":87,"cache_creation_input_tokens":300,
                     "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},
                     "output_tokens_details":{"thinking_tokens":30}}})");
  s.add(R"({"type":"message_stop"})");
  const Usage u = s.result();
  expect_kind(u, kInput, 472, "start kept");
  expect_kind(u, kCacheRead, 4096, "start kept");
  expect_kind(u, kCacheWrite, 300, "delta overwrote");
  expect_kind(u, kCacheWrite1h, 200, "delta overwrote");
  expect_kind(u, kOutput, 87, "last delta, not 1 + 40 + 87");
  expect_kind(u, kReasoning, 30, "thinking");
  expect_kind(u, kTotal, 472 + 4096 + 300 + 87, "total");
}

TEST(UsageStream, AnthropicMessageStartOnlyHasNoResult) {
  UsageStream s(UsageFormat::Anthropic, {});
  EXPECT_TRUE(s.result().empty());
  s.add(R"({"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}})");
  s.add(R"({"type":"message_stop"})");
  EXPECT_TRUE(s.result().empty());
}

TEST(UsageStream, OpenAIChatLastUsageChunkWins) {
  UsageStream s(UsageFormat::OpenAIChat, {});
  s.add(
      R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null})");
  EXPECT_TRUE(s.result().empty());
  s.add(R"({"id":"c1","object":"chat.completion.chunk","choices":[],
            "usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,
                     "prompt_tokens_details":{"cached_tokens":4}}})");
  const Usage u = s.result();
  expect_kind(u, kInput, 15, "chat");
  expect_kind(u, kCacheRead, 4, "chat");
  expect_kind(u, kOutput, 10, "chat");
  expect_kind(u, kTotal, 29, "chat");
}

TEST(UsageStream, OpenAIResponsesCompletedEvent) {
  UsageStream s(UsageFormat::OpenAIResponses, {});
  s.add(R"({"type":"response.created","response":{"id":"r1","usage":null}})");
  s.add(R"({"type":"response.output_text.delta","delta":"Hi"})");
  EXPECT_TRUE(s.result().empty());
  s.add(R"({"type":"response.completed","response":{"id":"r1","usage":{"input_tokens":328,
            "input_tokens_details":{"cached_tokens":28},"output_tokens":52,
            "output_tokens_details":{"reasoning_tokens":10},"total_tokens":380}}})");
  expect_kind(s.result(), kInput, 300, "responses");
  expect_kind(s.result(), kReasoning, 10, "responses");
  expect_kind(s.result(), kTotal, 380, "responses");
}

TEST(UsageStream, GoogleLastChunkWinsAndChunksAreNotSummed) {
  UsageStream s(UsageFormat::GoogleGenAI, {});
  s.add(R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],
            "usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":3,"totalTokenCount":103}})");
  s.add(R"({"candidates":[{"content":{"parts":[{"text":"b"}]}}],
            "usage_metadata":{"prompt_token_count":100,"candidates_token_count":9,"thoughts_token_count":5,
                              "total_token_count":114}})");
  s.add(R"({"candidates":[],"usageMetadata":{"trafficType":"ON_DEMAND"}})");  // no counts: ignored
  s.add(R"({"candidates":[]})");
  const Usage u = s.result();
  expect_kind(u, kInput, 100, "google");
  expect_kind(u, kOutput, 14, "google");
  expect_kind(u, kReasoning, 5, "google");
  expect_kind(u, kTotal, 114, "google");
}

TEST(UsageStream, BedrockMetadataEvent) {
  UsageStream s(UsageFormat::Bedrock, {});
  s.add(R"({"messageStart":{"role":"assistant"}})");
  s.add(R"({"contentBlockDelta":{"delta":{"text":"Hi"},"contentBlockIndex":0}})");
  s.add(R"({"messageStop":{"stopReason":"end_turn"}})");
  EXPECT_TRUE(s.result().empty());
  s.add(R"({"metadata":{"usage":{"inputTokens":5,"outputTokens":120,"totalTokens":6125,
            "cacheReadInputTokens":0,"cacheWriteInputTokens":6000,
            "cacheDetails":[{"inputTokens":4000,"ttl":"1h"},{"inputTokens":2000,"ttl":"5m"}]},
            "metrics":{"latencyMs":812}}})");
  expect_kind(s.result(), kCacheWrite, 6000, "bedrock");
  expect_kind(s.result(), kCacheWrite1h, 4000, "bedrock");
  expect_kind(s.result(), kTotal, 6125, "bedrock");
  // The event payload without its wrapper (also a Converse response) is accepted too; last wins.
  s.add(R"({"usage":{"inputTokens":7,"outputTokens":3},"metrics":{"latencyMs":5}})");
  expect_kind(s.result(), kTotal, 10, "bedrock");
  expect_kind(s.result(), kCacheWrite, std::nullopt, "bedrock");
}

TEST(UsageStream, MalformedEventThrowsAndLeavesTheStreamUnchanged) {
  struct Case {
    UsageFormat format;
    const char *good;
    std::vector<const char *> bad;
  };
  const Case cases[] = {
      {UsageFormat::Anthropic,
       R"({"type":"message_delta","usage":{"input_tokens":10,"output_tokens":5}})",
       {R"({"type":"message_delta","usage":{"output_tokens":-1}})",
        R"({"type":"message_delta","usage":{"input_tokens":99,"output_tokens":"6"}})",
        R"({"type":"message_start","message":{"usage":{"input_tokens":1.5}}})",
        R"({"type":"message_delta","usage":{"output_tokens":9007199254740992}})",
        R"({"type":"message_delta","usage":{"input_tokens":9007199254740991,"output_tokens":1}})",
        R"({"type":"message_delta",)", "not json"}},
      {UsageFormat::OpenAIChat,
       R"({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5}})",
       {R"({"choices":[],"usage":{"prompt_tokens":-10,"completion_tokens":5}})",
        R"({"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5.5}})", R"({"choices":[)"}},
      {UsageFormat::OpenAIResponses,
       R"({"type":"response.completed","response":{"usage":{"input_tokens":10,"output_tokens":5}}})",
       {R"({"type":"response.completed","response":{"usage":{"input_tokens":"10","output_tokens":5}}})"}},
      {UsageFormat::GoogleGenAI,
       R"({"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5}})",
       {R"({"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":true}})",
        R"({"usageMetadata":{"promptTokenCount":1e20}})"}},
      {UsageFormat::Bedrock,
       R"({"metadata":{"usage":{"inputTokens":10,"outputTokens":5}}})",
       {R"({"metadata":{"usage":{"inputTokens":10,"outputTokens":-5}}})",
        R"({"metadata":{"usage":{"inputTokens":{},"outputTokens":5}}})"}},
  };
  for (const Case &c : cases) {
    UsageStream s(c.format, {});
    s.add(c.good);
    const auto before = present_counts(s.result());
    ASSERT_EQ(s.result().get(kTotal), 15) << c.good;
    for (const char *bad : c.bad) {
      EXPECT_THROW(s.add(bad), InvalidArgument) << bad;
      EXPECT_EQ(present_counts(s.result()), before) << bad;
    }
  }
  // A failed event does not make an Anthropic stream final either.
  UsageStream s(UsageFormat::Anthropic, {});
  s.add(R"({"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}})");
  EXPECT_THROW(s.add(R"({"type":"message_delta","usage":{"output_tokens":-1}})"), InvalidArgument);
  EXPECT_TRUE(s.result().empty());
}

}  // namespace
}  // namespace agentmetrics
