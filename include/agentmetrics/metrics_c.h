/*
 * metrics_c.h: the agentmetrics C ABI.
 *
 * agentmetrics accounts for what an LLM agent run costs and how long it takes: tokens of every
 * kind, exact dollars, the duration of turns, model calls and tool calls, per session and
 * recorder-wide. This header is the whole public interface and its reference documentation:
 * anything not declared here is not part of the API or ABI.
 *
 * Conventions (they hold for every function below unless its comment says otherwise)
 * - Names: agm_<noun>_<verb>; handles are opaque, created by agm_<noun>_new and destroyed by
 *   agm_<noun>_free, which accepts NULL.
 * - Errors: fallible functions return an agm_status. Negative values are errors; 0 is AGM_OK;
 *   positive values are successes with a notice (a budget crossed). After an error,
 *   agm_last_error_message() describes it, on the same thread. A failing call changes nothing:
 *   a record that is rejected is not partially applied. No C++ exception ever crosses this
 *   boundary, and the library never aborts, exits or prints.
 * - Out-parameters come first. Strings are NUL-terminated UTF-8 and are validated: invalid
 *   UTF-8 is AGM_E_INVALID_ARGUMENT. Pointers passed in are borrowed (read during the call
 *   only) unless a comment says otherwise. Memory the library returns is released only by the
 *   agm_* function named for it.
 * - Growable structs begin with `uint32_t struct_size`, which the caller sets to sizeof() as
 *   compiled (the _INIT macros do it). A struct smaller than its first published layout is
 *   rejected; a larger one (from a newer header) is accepted if the bytes this library does
 *   not know are zero, else AGM_E_UNSUPPORTED. Fields are only ever appended.
 * - Presence: optional values carry a bit in a `present` mask. Missing is never encoded as 0:
 *   a token count that was not reported is not a count of zero.
 * - Times are int64 nanoseconds. Durations and the *_ns instants in records are on the
 *   recorder's monotonic clock; wall-clock time is ns since the Unix epoch. Both clocks are
 *   injectable (agm_recorder_options).
 * - Money is exact: an unsigned 128-bit count of attodollars (1e-18 USD), never a binary
 *   floating-point sum, so totals do not depend on the order records arrive in.
 * - Thread safety is stated per function with one tag:
 *     any            callable from any thread, concurrently, also on the same handle;
 *     exclusive      no other call may use the handle during or after this call.
 *
 * Relative error of duration percentiles: every pXX value returned is within 1/128
 * (0.79 %) of the exact order statistic of the recorded durations at rank floor(q * (n - 1)),
 * and min, max, mean, count and sums are exact. The sketch is log-linear (64 sub-buckets per
 * power of two of nanoseconds), mergeable without further error across turns, sessions and
 * recorders.
 *
 * Licence: Apache-2.0.
 */
#ifndef AGENTMETRICS_METRICS_C_H
#define AGENTMETRICS_METRICS_C_H

#include <stddef.h>
#include <stdint.h>

/* ===== Section: Visibility ===== */

/* AGM_STATIC: the library is compiled into the including program (bindings, static users);
 * nothing is exported. AGM_BUILDING_LIBRARY: set while building the shared library. */
#if defined(AGM_STATIC)
#define AGM_API
#elif defined(_WIN32)
#if defined(AGM_BUILDING_LIBRARY)
#define AGM_API __declspec(dllexport)
#else
#define AGM_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define AGM_API __attribute__((visibility("default")))
#else
#define AGM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===== Section: Versions ===== */

#define AGM_VERSION_MAJOR 0
#define AGM_VERSION_MINOR 1
#define AGM_VERSION_PATCH 0
#define AGM_VERSION_STRING "0.1.0"
#define AGM_VERSION_NUMBER (AGM_VERSION_MAJOR * 10000 + AGM_VERSION_MINOR * 100 + AGM_VERSION_PATCH)
#define AGM_VERSION_CHECK(major, minor, patch) \
  (AGM_VERSION_NUMBER >= ((major) * 10000 + (minor) * 100 + (patch)))
/* Bumped on every incompatible ABI change; it is the soname's version (libagentmetrics.so.1).
 * Before 1.0 the ABI may change with a minor release; programs check it at start-up. */
#define AGM_ABI_VERSION 1

/** Runtime version of the loaded library as AGM_VERSION_NUMBER computes it (100 for 0.1.0).
 *  @threadsafety any. @since 0.1 */
AGM_API uint32_t agm_version_number(void);
/** Runtime version string, e.g. "0.1.0". Static storage; never NULL. @threadsafety any.
 *  @since 0.1 */
AGM_API const char *agm_version_string(void);
/** ABI version of the loaded library; a program compiled against this header should refuse
 *  to run if it differs from AGM_ABI_VERSION. @threadsafety any. @since 0.1 */
AGM_API uint32_t agm_abi_version(void);

/* ===== Section: Status codes ===== */

typedef int32_t agm_status;
/* Values are pinned once released; new codes are appended. */
#define AGM_OK 0
/* Success with a notice: the record was kept and a session budget of kind AGM_BUDGET_LIMIT is
 * exceeded (returned by the crossing record and by every record after it). */
#define AGM_BUDGET_EXCEEDED 1
/* Success with a notice: this record crossed a budget of kind AGM_BUDGET_WARN (returned once). */
#define AGM_BUDGET_WARNING 2
/* NULL where not allowed, wrong struct_size, negative count, NaN, invalid UTF-8, unknown enum
 * value, malformed JSON argument, inconsistent fields. */
#define AGM_E_INVALID_ARGUMENT (-1)
#define AGM_E_OUT_OF_MEMORY (-2)
/* The question has no answer yet (e.g. no turn has begun). */
#define AGM_E_EMPTY (-3)
/* A struct from a newer header sets fields this library does not know, or the operation is
 * not supported for the given format. */
#define AGM_E_UNSUPPORTED (-5)
/* A document (price table file or string) does not parse or has the wrong shape. */
#define AGM_E_CORRUPT (-6)
/* The call is not valid in the current state (end of a turn that is not open, end of a tool
 * call that was never started, a call id already in use). Nothing was changed. */
#define AGM_E_STATE (-7)
/* A name was not found (e.g. a model with no price). */
#define AGM_E_NOT_FOUND (-8)
/* An operating-system I/O call failed; the message names the file and the reason. */
#define AGM_E_IO (-9)
/* Records were dropped because a store's queue was at its bound (agm_store_options
 * .max_queue_bytes): the store is slower than the recording, or stalled. Returned by the next
 * agm_recorder_flush / agm_recorder_close_store; the message says how many. @since 0.2 */
#define AGM_E_DROPPED (-10)
/* A bug in agentmetrics: please report it with agm_last_error_message(). */
#define AGM_E_INTERNAL (-99)

/** True for error statuses (negative); notices and AGM_OK are not errors. */
#define AGM_FAILED(status) ((status) < 0)

/** Static name of a status, e.g. "AGM_E_STATE"; "AGM_UNKNOWN_STATUS" for values this version
 *  does not know. Never NULL. @threadsafety any. @since 0.1 */
AGM_API const char *agm_status_name(agm_status status);

/** Detail of the most recent failing agm_* call on this thread. Never NULL ("" if none). Valid
 *  until the next agm_* call on this thread. Not cleared by successful calls: use the return
 *  status, never this message, to detect errors. @threadsafety any (thread-local).
 *  @since 0.1 */
AGM_API const char *agm_last_error_message(void);

/* ===== Section: Buffers ===== */

/* Bytes returned by the library. `data` is NUL-terminated (not counted in `size`). A buffer
 * passed to an agm_* function as `out` must be AGM_BUFFER_INIT or hold data from an earlier
 * agm_* call, which is reused or freed. */
typedef struct agm_buffer {
  char *data;
  size_t size;
  void *reserved; /* must be NULL */
} agm_buffer;
#define AGM_BUFFER_INIT {NULL, 0, NULL}

/** Free the buffer's data and reset it to AGM_BUFFER_INIT. NULL or an empty buffer is a no-op.
 *  @threadsafety exclusive (for this buffer). @since 0.1 */
AGM_API void agm_buffer_free(agm_buffer *buf);

/* ===== Section: Money ===== */

/* An exact amount of US dollars: value = (hi * 2^64 + lo) attodollars (1e-18 USD). */
typedef struct agm_money {
  uint64_t hi;
  uint64_t lo;
} agm_money;
#define AGM_MONEY_ZERO {0u, 0u}

/**
 * Exact decimal string of an amount in USD, without trailing zeros ("0.0075", "37500", "0").
 * @param[out] out  Receives the string (see agm_buffer).
 * @param[in]  amount  Borrowed.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL); AGM_E_OUT_OF_MEMORY.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_money_to_decimal(agm_buffer *out, const agm_money *amount);

/**
 * Parse a non-negative decimal amount of USD: digits with an optional fraction and an
 * optional exponent ("12.5", "0.000003", "3e-06"). Digits beyond 1e-18 are rounded half to
 * even.
 * @param[out] out  Receives the amount.
 * @param[in]  decimal  NUL-terminated, borrowed.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, empty, sign, NaN, inf, other text, or an
 *         amount that does not fit in 128 bits).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_money_from_decimal(agm_money *out, const char *decimal);

/** The amount as the nearest double, for display or plotting only; never sum these.
 *  NULL gives 0. @threadsafety any. @since 0.1 */
AGM_API double agm_money_to_double(const agm_money *amount);

/* ===== Section: Usage ===== */

/* Presence bits of agm_usage (and of token sums in agm_totals). Appended, never reused. */
#define AGM_USAGE_HAS_INPUT (1u << 0)
#define AGM_USAGE_HAS_CACHE_READ (1u << 1)
#define AGM_USAGE_HAS_CACHE_WRITE (1u << 2)
#define AGM_USAGE_HAS_CACHE_WRITE_1H (1u << 3)
#define AGM_USAGE_HAS_OUTPUT (1u << 4)
#define AGM_USAGE_HAS_REASONING (1u << 5)
#define AGM_USAGE_HAS_TOTAL (1u << 6)

/*
 * The canonical usage of one model call. The three input kinds are disjoint:
 * - input_tokens: fresh input, neither read from nor written to a provider cache (Gemini:
 *   includes tool-use prompt tokens);
 * - cache_read_tokens: input served from a cache;
 * - cache_write_tokens: input written to a cache, all TTLs; cache_write_1h_tokens is the part
 *   written with a 1-hour TTL (the rest is priced as 5-minute writes);
 * - output_tokens: all output, reasoning included; reasoning_tokens is a subset of it;
 * - total_tokens = input + cache read + cache write + output (missing parts as 0), present only
 *   when input and output are both present. Never copied from a provider.
 * Each count is in [0, 2^53 - 1] and is meaningful only if its AGM_USAGE_HAS_* bit is set.
 * As input: total_tokens is derived by the library; if HAS_TOTAL is set it must equal the
 * derived value. cache_write_1h_tokens must not exceed cache_write_tokens.
 */
typedef struct agm_usage {
  uint32_t struct_size;
  uint32_t reserved0; /* must be 0 */
  uint64_t present;   /* AGM_USAGE_HAS_* */
  int64_t input_tokens;
  int64_t cache_read_tokens;
  int64_t cache_write_tokens;
  int64_t cache_write_1h_tokens;
  int64_t output_tokens;
  int64_t reasoning_tokens;
  int64_t total_tokens;
} agm_usage;
#define AGM_USAGE_SIZE_V0 72u
#define AGM_USAGE_INIT {(uint32_t)sizeof(agm_usage), 0u, 0u, 0, 0, 0, 0, 0, 0, 0}

/** Initialise a usage struct: all counts missing. For FFI users that cannot use the macro.
 *  @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, struct_size too small).
 *  @threadsafety any. @since 0.1 */
AGM_API agm_status agm_usage_init(agm_usage *usage, size_t struct_size);

/* Usage payload formats understood by the normalisers (reference/sdk-usage.md). */
#define AGM_FORMAT_OPENAI_CHAT 1      /* CompletionUsage (chat completions, last stream chunk) */
#define AGM_FORMAT_OPENAI_RESPONSES 2 /* ResponseUsage (Responses API) */
#define AGM_FORMAT_ANTHROPIC 3        /* Messages Usage / MessageDeltaUsage, snake_case */
#define AGM_FORMAT_GOOGLE_GENAI 4     /* GenerateContentResponseUsageMetadata, snake or camel */
#define AGM_FORMAT_BEDROCK 5          /* Converse TokenUsage */
#define AGM_FORMAT_AI_SDK_V4 6 /* {usage:{promptTokens,...}, providerMetadata} (ai@4) */
#define AGM_FORMAT_AI_SDK_V5 7 /* {usage: LanguageModelV2Usage, providerMetadata} (ai@5) */
#define AGM_FORMAT_AI_SDK_V6 8 /* LanguageModelUsage of ai@6 and ai@7 */
#define AGM_FORMAT_MASTRA 9    /* {usage: Mastra LanguageModelUsage, providerMetadata} */

/* agm_usage_context.flags */
#define AGM_USAGE_CTX_ADK_PARTIAL (1u << 0) /* an ADK LlmResponse with partial=True: no usage */

/* What the caller of a normaliser knows besides the payload. */
typedef struct agm_usage_context {
  uint32_t struct_size;
  uint32_t flags;            /* AGM_USAGE_CTX_* */
  const char *provider;      /* AI SDK / Mastra model.provider, e.g. "anthropic.messages";
                                needed for AI SDK v4/v5 and Mastra v2 models. NULL: unknown */
  const char *model_version; /* Mastra model.version ("v2", "v3"). NULL: unknown */
  const char *stream_event;  /* Anthropic stream event the usage came from; "message_start"
                                usage is preliminary and yields no usage. NULL: none */
} agm_usage_context;
#define AGM_USAGE_CONTEXT_SIZE_V0 32u
#define AGM_USAGE_CONTEXT_INIT {(uint32_t)sizeof(agm_usage_context), 0u, NULL, NULL, NULL}

/**
 * Normalise one SDK usage payload (JSON) to the canonical record.
 * A payload that carries no usage (null, NaN counts, all-undefined, no count fields, a
 * preliminary or partial event) is not an error: the result is AGM_OK with out->present == 0,
 * which recording counts as "usage missing".
 * @param[out] out      Receives the usage; its struct_size must be set (AGM_USAGE_INIT).
 * @param[in]  format   AGM_FORMAT_*.
 * @param[in]  json     The payload as JSON, `json_size` bytes (need not be NUL-terminated).
 * @param[in]  context  Hints, or NULL for none.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, unknown format, JSON that does not parse,
 *         a count that is negative, fractional, over 2^53 - 1 or of the wrong type).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_usage_from_json(agm_usage *out, int32_t format, const char *json,
                                       size_t json_size, const agm_usage_context *context);

/* Merges the usage of a streamed response, event by event, with each provider's rule:
 * Anthropic counts are cumulative and merged by overwrite (message_start, then every
 * message_delta; never summed); OpenAI, Google and Bedrock streams carry usage in their last
 * usage-bearing chunk, which wins. */
typedef struct agm_usage_stream agm_usage_stream;

/**
 * Start merging a stream.
 * @param[out] out      Receives the handle; NULL on failure. Free with agm_usage_stream_free.
 * @param[in]  format   AGM_FORMAT_OPENAI_CHAT, _OPENAI_RESPONSES, _ANTHROPIC, _GOOGLE_GENAI or
 *                      _BEDROCK (the AI SDK and Mastra hand over finished usage: use
 *                      agm_usage_from_json).
 * @param[in]  context  Copied; NULL for none.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT; AGM_E_UNSUPPORTED (format without streams);
 *         AGM_E_OUT_OF_MEMORY.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_usage_stream_new(agm_usage_stream **out, int32_t format,
                                        const agm_usage_context *context);
/** Free a stream merger. NULL is a no-op. @threadsafety exclusive. @since 0.1 */
AGM_API void agm_usage_stream_free(agm_usage_stream *stream);

/**
 * Feed one stream event exactly as the SDK delivers it, as JSON: an Anthropic event
 * ({"type":"message_start","message":{...}} or {"type":"message_delta","usage":{...}}), an
 * OpenAI chat chunk, an OpenAI Responses event ({"type":"response.completed",
 * "response":{...}}), a Google GenerateContentResponse chunk, or a Bedrock ConverseStream
 * event ({"metadata":{"usage":{...}}}). Events without usage are accepted and ignored.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, malformed JSON or counts; the stream is
 *         unchanged).
 * @threadsafety exclusive (per stream). @since 0.1
 */
AGM_API agm_status agm_usage_stream_add(agm_usage_stream *stream, const char *json,
                                        size_t json_size);

/**
 * The merged usage so far. out->present == 0 when no final usage has arrived (an Anthropic
 * stream with only message_start, an OpenAI stream without include_usage).
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT.
 * @threadsafety exclusive (per stream). @since 0.1
 */
AGM_API agm_status agm_usage_stream_result(const agm_usage_stream *stream, agm_usage *out);

/* ===== Section: Recorder ===== */

/* The recorder owns the price table, the clock and its sessions. */
typedef struct agm_recorder agm_recorder;

/* A clock: returns nanoseconds. Called from the threads that record; it must be thread-safe
 * if several threads record. `payload` is agm_recorder_options.clock_payload. */
typedef int64_t (*agm_clock_fn)(void *payload);

/* agm_recorder_options.flags */
#define AGM_RECORDER_F_NO_BUNDLED_PRICES (1u << 0) /* start with an empty price table */

typedef struct agm_recorder_options {
  uint32_t struct_size;
  uint32_t flags;            /* AGM_RECORDER_F_* */
  agm_clock_fn monotonic_ns; /* durations; NULL: CLOCK_MONOTONIC */
  agm_clock_fn wall_ns;      /* timestamps, ns since the Unix epoch; NULL: CLOCK_REALTIME */
  void *clock_payload;       /* retained: passed to both clocks for the recorder's lifetime */
} agm_recorder_options;
#define AGM_RECORDER_OPTIONS_SIZE_V0 32u
#define AGM_RECORDER_OPTIONS_INIT {(uint32_t)sizeof(agm_recorder_options), 0u, NULL, NULL, NULL}

/**
 * Create a recorder.
 * @param[out] out   Receives the handle; NULL on failure. Free with agm_recorder_free.
 * @param[in]  opts  Options or NULL for defaults; copied.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT; AGM_E_UNSUPPORTED; AGM_E_OUT_OF_MEMORY.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_new(agm_recorder **out, const agm_recorder_options *opts);

/** Release the caller's handle. Sessions still open keep the recorder's state alive and stay
 *  fully usable; it is destroyed with the last of them. NULL is a no-op.
 *  @threadsafety exclusive. @since 0.1 */
AGM_API void agm_recorder_free(agm_recorder *rec);

/* ===== Section: Prices ===== */

/* Prices come from a table in LiteLLM's model_prices_and_context_window.json format (USD per
 * token). A bundled table, generated from LiteLLM's published file, is loaded unless
 * AGM_RECORDER_F_NO_BUNDLED_PRICES is set; tables loaded later override entries by name.
 *
 * Pricing rules (one place, for every language):
 * - the input kinds are disjoint: fresh input at input_cost_per_token, cache reads at
 *   cache_read_input_token_cost, 5-minute cache writes at cache_creation_input_token_cost,
 *   1-hour writes at cache_creation_input_token_cost_above_1hr; a missing cache rate falls back
 *   to the input rate, a missing 1-hour rate to the 5-minute rate;
 * - output includes reasoning: with output_cost_per_reasoning_token the reasoning tokens use
 *   it and the rest of the output the output rate; without it all output uses the output rate
 *   (the reasoning line item then shows the reasoning share at the output rate);
 * - tiers are a cliff on total input (fresh + cache read + cache write): strictly above N
 *   thousand tokens, every *_above_<N>k_tokens rate of the highest such tier replaces its base
 *   rate for the whole request;
 * - missing counts are priced as 0 (the known parts are priced);
 * - a name resolves by, in order: exact match; lower case; "<provider>/<model>" when the
 *   record names a provider; dropping leading "prefix/" segments; dropping a date suffix
 *   (-YYYYMMDD, -YYYY-MM-DD, @YYYYMMDD); the newest dated variant of a bare name;
 * - an entry with neither input_cost_per_token nor output_cost_per_token, or an unknown name,
 *   is unpriced: no cost (never 0, never a default), counted as unpriced.
 * Rates are kept exactly to 1e-18 USD per token (a JSON number is read as its shortest
 * round-trip decimal). Service tiers (_batches, _priority, _flex) are not applied. */

/* agm_recorder_load_prices*() flags */
#define AGM_PRICES_F_REPLACE (1u << 0) /* discard every table loaded before, bundled included */

/**
 * Load a price table in LiteLLM's JSON format from a string and merge it over the current
 * one (entries with the same name are replaced whole). Entries that are not objects (such
 * as "sample_spec" documentation) or carry no token rates are skipped.
 * @param[in] json   `json_size` bytes, borrowed.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, unknown flags); AGM_E_CORRUPT (not JSON, not
 *         an object, a rate that is negative or not a number; the current table is kept);
 *         AGM_E_OUT_OF_MEMORY.
 * @threadsafety any (records in flight use the table before or after, never a mix).
 * @since 0.1
 */
AGM_API agm_status agm_recorder_load_prices(agm_recorder *rec, const char *json,
                                            size_t json_size, uint32_t flags);

/** As agm_recorder_load_prices, from a file. AGM_E_IO if it cannot be read.
 *  @threadsafety any. @since 0.1 */
AGM_API agm_status agm_recorder_load_prices_file(agm_recorder *rec, const char *path,
                                                 uint32_t flags);

/**
 * Set or replace the price of one model: `entry_json` is one entry of the LiteLLM format,
 * e.g. {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05}.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, empty model); AGM_E_CORRUPT (bad entry).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_set_price(agm_recorder *rec, const char *model,
                                          const char *entry_json, size_t json_size);

/**
 * The price entry `model` resolves to, as JSON: {"model": <name as given>, "resolved":
 * <table key>, "litellm_provider": ..., "input_cost_per_token": "<exact decimal>", ...,
 * "tiers": [{"above_tokens": N, <rates>}]}; rates are decimal strings of USD per token.
 * @param[in] provider  Optional (NULL): tried as "<provider>/<model>" first.
 * @return AGM_OK; AGM_E_NOT_FOUND (the model is unpriced); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_price_json(agm_buffer *out, const agm_recorder *rec,
                                           const char *model, const char *provider);

/** Facts about the bundled table as JSON: {"source": "litellm", "litellm_version": ...,
 *  "generated": "YYYY-MM-DD", "models": N}. @threadsafety any. @since 0.1 */
AGM_API agm_status agm_prices_bundled_info(agm_buffer *out);

/* Cost by line item. The items sum exactly to `total`. */
typedef struct agm_cost_items {
  agm_money input;          /* fresh input */
  agm_money cache_read;
  agm_money cache_write_5m; /* cache writes not reported as 1-hour */
  agm_money cache_write_1h;
  agm_money output;         /* output minus reasoning */
  agm_money reasoning;
  agm_money total;
} agm_cost_items; /* frozen layout: embedded in other structs */

#define AGM_COST_HAS_VALUE (1u << 0) /* the model is priced: `items` hold the cost */

typedef struct agm_cost {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t present; /* AGM_COST_HAS_VALUE; clear when unpriced or usage is missing */
  agm_cost_items items;
} agm_cost;
#define AGM_COST_SIZE_V0 128u
#define AGM_COST_INIT {(uint32_t)sizeof(agm_cost), 0u, 0u, {{0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}}}

/**
 * Price one usage with the recorder's table, without recording anything.
 * @param[out] out       Cost; present == 0 when the model is unpriced or usage has no counts.
 * @param[in]  model     Model name as the application passes it.
 * @param[in]  provider  Optional (NULL).
 * @param[in]  usage     Validated as for recording.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_cost(agm_cost *out, const agm_recorder *rec, const char *model,
                                     const char *provider, const agm_usage *usage);

/* ===== Section: Sessions ===== */

/*
 * Limits (since 0.2). Labels and names are what records are grouped and exported by, so
 * their size and number are bounded: a hostile or buggy caller (a model name taken from a
 * response, a tool name per URL) cannot make a recorder, a store or an export grow without
 * bound.
 * - AGM_MAX_LABEL_BYTES: the longest label or name a record carries: a session's id, agent,
 *   phase, task, tag keys and values; a model call's model, provider, source, stop_reason
 *   and error_type; a tool call's name, call_id and error_type; an invocation's
 *   invocation_id, agent, task_id, model, tier and error_class. A longer one is refused with
 *   AGM_E_INVALID_ARGUMENT and a message naming the field: nothing is recorded, nothing
 *   already recorded changes.
 * - AGM_MAX_SESSION_TAGS: the most tags a session takes (agm_session_options.tag_count); more
 *   are refused with AGM_E_INVALID_ARGUMENT, so a session's record always fits a journal line
 *   (AGM_JOURNAL_MAX_LINE), even with every label and tag at AGM_MAX_LABEL_BYTES of bytes the
 *   journal escapes.
 * - AGM_MAX_MESSAGE_BYTES: a tool call's error_message is free text (an exception's): a longer
 *   one is cut to its first AGM_MAX_MESSAGE_BYTES bytes (whole UTF-8 characters), not refused.
 * - AGM_MAX_SESSION_KEYS: distinct (model, provider, source) and distinct tool names a session
 *   aggregates separately. Calls beyond them still count in every total and keep their names
 *   in the store, but their breakdown group is AGM_OTHER_KEY, and agm_totals.folded_calls
 *   counts them.
 * - AGM_MAX_GROUP_KEYS: distinct keys of one breakdown of a recorder (agm_recorder_breakdown)
 *   and of one grouping of a history query or metric export (groups, series): further keys
 *   fold into AGM_OTHER_KEY, counted in folded_calls (breakdowns) or "folded_calls" (query
 *   documents and exports: see the README).
 */
#define AGM_MAX_LABEL_BYTES 1024u
#define AGM_MAX_MESSAGE_BYTES 4096u
#define AGM_MAX_SESSION_TAGS 64u
#define AGM_MAX_SESSION_KEYS 1000u
#define AGM_MAX_GROUP_KEYS 10000u
#define AGM_OTHER_KEY "(other)"

/* A session is the scope of cumulative totals: one conversation, one plan/build iteration,
 * one task. Totals never leak between sessions, even with the same session id. */
typedef struct agm_session agm_session;

typedef struct agm_tag {
  const char *key;
  const char *value;
} agm_tag;

typedef struct agm_session_options {
  uint32_t struct_size;
  uint32_t reserved0;     /* must be 0 */
  const char *session_id; /* NULL: a unique id is generated */
  const char *agent;      /* labels; NULL: unset */
  const char *phase;
  const char *task;
  const agm_tag *tags; /* free-form labels, `tag_count` (<= AGM_MAX_SESSION_TAGS) of them; keys
                          unique and non-empty */
  size_t tag_count;
} agm_session_options;
#define AGM_SESSION_OPTIONS_SIZE_V0 56u
#define AGM_SESSION_OPTIONS_INIT \
  {(uint32_t)sizeof(agm_session_options), 0u, NULL, NULL, NULL, NULL, NULL, 0u}

/**
 * Open a session on a recorder.
 * @param[out] out   Receives the handle; NULL on failure. Free with agm_session_free.
 * @param[in]  rec   The recorder; the session keeps its state alive.
 * @param[in]  opts  Labels, copied; NULL for an unlabelled session with a generated id.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT; AGM_E_UNSUPPORTED; AGM_E_OUT_OF_MEMORY.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_new(agm_session **out, agm_recorder *rec,
                                   const agm_session_options *opts);

/** End the session: an open turn is ended at the current time; tool calls still open are
 *  dropped. Its totals stay in the recorder's totals. NULL is a no-op.
 *  @threadsafety exclusive. @since 0.1 */
AGM_API void agm_session_free(agm_session *session);

/**
 * A label of the session: "session_id", "agent", "phase", "task" or a tag key.
 * @return The value, owned by the session and valid until it is freed; NULL if unset or if
 *         an argument is NULL.
 * @threadsafety any. @since 0.1
 */
AGM_API const char *agm_session_label(const agm_session *session, const char *key);

/** Wall-clock time the session was opened, ns since the Unix epoch; 0 for NULL.
 *  @threadsafety any. @since 0.1 */
AGM_API int64_t agm_session_started_wall_ns(const agm_session *session);

/* ===== Section: Turns ===== */

/**
 * Begin a turn (one agent turn: request to completion). Model and tool calls recorded while
 * it is open count in it as well as in the session.
 * @param[in] at_ns  Start on the monotonic clock, or NULL for now.
 * @return AGM_OK; AGM_E_STATE (a turn is already open); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_turn_begin(agm_session *session, const int64_t *at_ns);

/**
 * End the open turn.
 * @param[in] at_ns  End on the monotonic clock, or NULL for now; not before the start.
 * @return AGM_OK; AGM_E_STATE (no open turn); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_turn_end(agm_session *session, const int64_t *at_ns);

#define AGM_TURN_HAS_END (1u << 0) /* the turn has ended; end_ns is valid */

typedef struct agm_turn_stats {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t present;     /* AGM_TURN_HAS_* */
  uint64_t index;       /* 1 for the session's first turn */
  int64_t start_ns;
  int64_t end_ns;       /* valid with AGM_TURN_HAS_END */
  int64_t duration_ns;  /* end - start; for an open turn, now - start */
  int64_t tool_wall_ns; /* time covered by at least one tool call (union of intervals) */
  int64_t tool_work_ns; /* sum of tool call durations; > tool_wall_ns when calls overlapped */
  uint64_t model_calls;
  uint64_t tool_calls;
  int64_t start_wall_ns; /* wall-clock time the turn began, ns since the Unix epoch */
} agm_turn_stats;
#define AGM_TURN_STATS_SIZE_V0 88u
#define AGM_TURN_STATS_INIT {(uint32_t)sizeof(agm_turn_stats), 0u, 0u, 0u, 0, 0, 0, 0, 0, 0u, 0u, 0}

/**
 * The open turn, or the last ended one if none is open.
 * @return AGM_OK; AGM_E_EMPTY (no turn has begun); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_turn_stats(agm_turn_stats *out, const agm_session *session);

/* ===== Section: Records ===== */

/* Presence and timing bits of agm_model_call.present and agm_tool_call.present. */
#define AGM_CALL_HAS_START (1u << 0)
#define AGM_CALL_HAS_END (1u << 1)
#define AGM_CALL_HAS_DURATION (1u << 2)
#define AGM_CALL_HAS_TTFT (1u << 3)         /* model calls: time to first token */
#define AGM_CALL_HAS_ATTEMPT (1u << 4)      /* model calls: attempt number */
#define AGM_CALL_HAS_INPUT_BYTES (1u << 5)  /* tool calls */
#define AGM_CALL_HAS_OUTPUT_BYTES (1u << 6) /* tool calls */
/* Batch mode (no per-call timing available): the duration is the time from the previous
 * step finish (the end of the session's previous model call, or the start of the current
 * turn if it is later) to this call's end (end_ns, or now). Excludes HAS_DURATION and
 * HAS_START. */
#define AGM_CALL_F_SINCE_LAST_STEP (1u << 7)

/* Outcome of a call. */
#define AGM_OUTCOME_OK 0
#define AGM_OUTCOME_ERROR 1

/*
 * One model call (one LLM response, a "step").
 * Timing: HAS_DURATION gives the duration; else HAS_START (with HAS_END, or now) gives it;
 * else AGM_CALL_F_SINCE_LAST_STEP; else the duration is missing (not 0). The call ends at
 * end_ns (HAS_END) or, otherwise, when it is recorded; its end is the next step mark.
 */
typedef struct agm_model_call {
  uint32_t struct_size;
  int32_t outcome;         /* AGM_OUTCOME_* */
  uint64_t present;        /* AGM_CALL_HAS_* */
  const agm_usage *usage;  /* NULL or present == 0: usage missing */
  const char *model;       /* as passed to the SDK; NULL: unknown (the call is unpriced) */
  const char *provider;    /* NULL: unknown */
  const char *source;      /* "agent" (NULL means "agent") or "tool:<name>" for an LLM call
                              made inside a tool */
  const char *stop_reason; /* NULL: unknown */
  const char *error_type;  /* with AGM_OUTCOME_ERROR: a short class, e.g. "rate_limit" */
  int64_t start_ns;
  int64_t end_ns;
  int64_t duration_ns;
  int64_t ttft_ns;         /* time to first token, streamed responses */
  int64_t attempt;         /* 1 for a first try; > 1 counts as a retry */
  /* Since 0.2: what the caller knows about `usage` (borrowed for the call; NULL: nothing).
   * With AGM_USAGE_CTX_ADK_PARTIAL the call records no usage whatever `usage` says (an ADK
   * partial response carries none: its final response does), as agm_usage_from_json does for
   * a payload; its strings are validated and otherwise unused here. Must be NULL for
   * agm_session_record_model_call_json, which takes the context as an argument. Not read
   * when struct_size is AGM_MODEL_CALL_SIZE_V0. */
  const agm_usage_context *usage_context;
} agm_model_call;
#define AGM_MODEL_CALL_SIZE_V0 104u
#define AGM_MODEL_CALL_SIZE_V1 112u /* since 0.2: usage_context */
#define AGM_MODEL_CALL_INIT \
  {(uint32_t)sizeof(agm_model_call), 0, 0u, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL}

/**
 * Record one model call: validated, priced, added to the session's (and open turn's)
 * aggregates. A rejected call changes nothing.
 * @return AGM_OK; AGM_BUDGET_EXCEEDED / AGM_BUDGET_WARNING (recorded, a budget notice; see
 *         agm_session_add_budget); AGM_E_INVALID_ARGUMENT (NULL, bad struct_size, negative
 *         or inconsistent counts or times, unknown outcome, invalid UTF-8, a source other than
 *         "agent" or "tool:<name>").
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_record_model_call(agm_session *session,
                                                 const agm_model_call *call);

/**
 * Normalise a usage payload (as agm_usage_from_json) and record the model call in one step.
 * `call->usage` and (since 0.2) `call->usage_context` must be NULL.
 * @return As agm_usage_from_json and agm_session_record_model_call.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_record_model_call_json(agm_session *session,
                                                      const agm_model_call *call,
                                                      int32_t format, const char *usage_json,
                                                      size_t json_size,
                                                      const agm_usage_context *context);

/*
 * One tool call. Timing as for agm_model_call. Parallel calls are told apart by call_id.
 */
typedef struct agm_tool_call {
  uint32_t struct_size;
  int32_t outcome;           /* AGM_OUTCOME_* */
  uint64_t present;          /* AGM_CALL_HAS_* */
  const char *name;          /* required for agm_session_record_tool_call */
  const char *call_id;       /* required for agm_session_tool_end */
  const char *error_type;    /* with AGM_OUTCOME_ERROR, optional */
  const char *error_message; /* with AGM_OUTCOME_ERROR, optional */
  int64_t start_ns;
  int64_t end_ns;
  int64_t duration_ns;
  int64_t input_bytes;
  int64_t output_bytes;
} agm_tool_call;
#define AGM_TOOL_CALL_SIZE_V0 88u
#define AGM_TOOL_CALL_INIT \
  {(uint32_t)sizeof(agm_tool_call), 0, 0u, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0}

/**
 * Record a finished tool call in one step (a one-shot duration, explicit start and end, or
 * batch mode with AGM_CALL_F_SINCE_LAST_STEP).
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_record_tool_call(agm_session *session, const agm_tool_call *call);

/**
 * A tool call starts (streaming: the tool-call chunk arrives).
 * @param[in] name     Tool name, required.
 * @param[in] call_id  Required; unique among the session's open tool calls.
 * @param[in] at_ns    Start on the monotonic clock, or NULL for now.
 * @return AGM_OK; AGM_E_STATE (call_id already open); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_tool_start(agm_session *session, const char *name,
                                          const char *call_id, const int64_t *at_ns);

/**
 * The tool call `result->call_id` ends (streaming: the tool-result chunk arrives). Its
 * duration runs from the start to result->end_ns (HAS_END) or now. `name`, if set, must
 * match the start. HAS_START, HAS_DURATION and F_SINCE_LAST_STEP are not allowed here.
 * The call counts in the turn open when it ends.
 * @return AGM_OK; AGM_E_STATE (no open call with that id); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_tool_end(agm_session *session, const agm_tool_call *result);

/* ===== Section: Aggregates ===== */

/* agm_totals.present: AGM_USAGE_HAS_* bits for token kinds that at least one call reported,
 * plus: */
#define AGM_TOTALS_HAS_COST (1u << 16)              /* at least one call was priced */
#define AGM_TOTALS_HAS_TOOL_SUCCESS_RATE (1u << 17) /* tool_calls > 0 */
#define AGM_TOTALS_HAS_MODEL_SUCCESS_RATE (1u << 18) /* model_calls > 0 */
#define AGM_TOTALS_SATURATED (1u << 31) /* a sum reached INT64_MAX and stopped there */

typedef struct agm_totals {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t present;
  uint64_t model_calls;
  uint64_t calls_with_usage;
  uint64_t calls_missing_usage; /* recorded without usage: never counted as 0 tokens */
  uint64_t calls_unpriced;      /* usage present but the model has no price */
  uint64_t model_errors;        /* AGM_OUTCOME_ERROR */
  uint64_t retries;             /* attempt > 1 */
  uint64_t tool_calls;
  uint64_t tool_errors;
  uint64_t turns;               /* ended turns */
  int64_t input_tokens; /* sums over calls that reported each kind (see present) */
  int64_t cache_read_tokens;
  int64_t cache_write_tokens;
  int64_t cache_write_1h_tokens;
  int64_t output_tokens;
  int64_t reasoning_tokens;
  int64_t total_tokens;
  double tool_success_rate;  /* (tool_calls - tool_errors) / tool_calls; see present */
  double model_success_rate; /* (model_calls - model_errors) / model_calls */
  agm_cost_items cost;       /* sums over priced calls (see AGM_TOTALS_HAS_COST) */
  /* Since 0.2: model and tool calls whose model or tool name was folded into the
   * AGM_OTHER_KEY group of breakdowns (AGM_MAX_SESSION_KEYS, AGM_MAX_GROUP_KEYS); they count
   * in every other field as usual. Not written when struct_size is AGM_TOTALS_SIZE_V0. */
  uint64_t folded_calls;
} agm_totals;
#define AGM_TOTALS_SIZE_V0 272u
#define AGM_TOTALS_SIZE_V1 280u /* since 0.2: folded_calls */
#define AGM_TOTALS_INIT                                                                     \
  {(uint32_t)sizeof(agm_totals), 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0, 0, 0, 0, 0, 0, \
   0, 0.0, 0.0, {{0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}, {0u, 0u}}, 0u}

/** Cumulative totals of a session. @return AGM_OK; AGM_E_INVALID_ARGUMENT.
 *  @threadsafety any (a consistent snapshot of the session). @since 0.1 */
AGM_API agm_status agm_session_totals(agm_totals *out, const agm_session *session);

/** Totals of the open turn, or of the last ended one. @return AGM_OK; AGM_E_EMPTY (no turn
 *  has begun); AGM_E_INVALID_ARGUMENT. @threadsafety any. @since 0.1 */
AGM_API agm_status agm_session_turn_totals(agm_totals *out, const agm_session *session);

/** Totals of every session of the recorder, open or freed. @return AGM_OK;
 *  AGM_E_INVALID_ARGUMENT. @threadsafety any (each session's share is a consistent snapshot;
 *  records made during the call may or may not be included). @since 0.1 */
AGM_API agm_status agm_recorder_totals(agm_totals *out, const agm_recorder *rec);

/* What a duration sample measures. */
#define AGM_DURATION_MODEL_CALL 1
#define AGM_DURATION_TOOL_CALL 2
#define AGM_DURATION_TURN 3
#define AGM_DURATION_TTFT 4

#define AGM_DURATION_HAS_VALUES (1u << 0) /* count > 0: min..p99 are valid */

typedef struct agm_duration_stats {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t present; /* AGM_DURATION_HAS_VALUES */
  uint64_t count;
  int64_t sum_ns;   /* saturates at INT64_MAX */
  int64_t min_ns;   /* exact */
  int64_t max_ns;   /* exact */
  double mean_ns;   /* exact sum / count */
  int64_t p50_ns;   /* within 1/128 of the exact order statistic (see the top of this file) */
  int64_t p90_ns;
  int64_t p95_ns;
  int64_t p99_ns;
} agm_duration_stats;
#define AGM_DURATION_STATS_SIZE_V0 88u
#define AGM_DURATION_STATS_INIT {(uint32_t)sizeof(agm_duration_stats), 0u, 0u, 0u, 0, 0, 0, 0.0, 0, 0, 0, 0}

/** Duration statistics of one kind (AGM_DURATION_*) in a session. Empty is data: AGM_OK with
 *  count 0 and no HAS_VALUES. @return AGM_OK; AGM_E_INVALID_ARGUMENT (unknown kind).
 *  @threadsafety any. @since 0.1 */
AGM_API agm_status agm_session_durations(agm_duration_stats *out, const agm_session *session,
                                         int32_t kind);

/** As agm_session_durations, over every session of the recorder. @threadsafety any.
 *  @since 0.1 */
AGM_API agm_status agm_recorder_durations(agm_duration_stats *out, const agm_recorder *rec,
                                          int32_t kind);

/* Breakdown dimensions. MODEL, PROVIDER and SOURCE group model calls; TOOL groups tool calls;
 * AGENT, PHASE, TASK and SESSION group whole sessions by their labels (unset labels group
 * under ""). Model calls without a model group under "unknown", without a provider under "". */
#define AGM_BY_MODEL 1
#define AGM_BY_PROVIDER 2
#define AGM_BY_SOURCE 3
#define AGM_BY_TOOL 4
#define AGM_BY_AGENT 5
#define AGM_BY_PHASE 6
#define AGM_BY_TASK 7
#define AGM_BY_SESSION 8

/* An immutable snapshot of groups, sorted by key (byte order). */
typedef struct agm_breakdown agm_breakdown;

/**
 * Group a session's records by a dimension.
 * @param[out] out  Receives the snapshot; free with agm_breakdown_free.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (unknown dimension); AGM_E_OUT_OF_MEMORY.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_breakdown(agm_breakdown **out, const agm_session *session,
                                         int32_t by);
/** As agm_session_breakdown, over every session of the recorder. @threadsafety any.
 *  @since 0.1 */
AGM_API agm_status agm_recorder_breakdown(agm_breakdown **out, const agm_recorder *rec,
                                          int32_t by);
/** Free a breakdown. NULL is a no-op. @threadsafety exclusive. @since 0.1 */
AGM_API void agm_breakdown_free(agm_breakdown *breakdown);
/** Number of groups; 0 for NULL. @threadsafety any. @since 0.1 */
AGM_API size_t agm_breakdown_count(const agm_breakdown *breakdown);
/** Key of group `i`, owned by the breakdown; NULL if out of range. @threadsafety any.
 *  @since 0.1 */
AGM_API const char *agm_breakdown_key(const agm_breakdown *breakdown, size_t i);
/** Totals of group `i`. @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, out of range).
 *  @threadsafety any. @since 0.1 */
AGM_API agm_status agm_breakdown_totals(agm_totals *out, const agm_breakdown *breakdown,
                                        size_t i);
/** Durations of one kind in group `i` (tool groups: AGM_DURATION_TOOL_CALL; model, provider
 *  and source groups: MODEL_CALL and TTFT; label groups: every kind).
 *  @return AGM_OK; AGM_E_INVALID_ARGUMENT. @threadsafety any. @since 0.1 */
AGM_API agm_status agm_breakdown_durations(agm_duration_stats *out,
                                           const agm_breakdown *breakdown, size_t i,
                                           int32_t kind);
/** The last error message (or error type, if no message was given) recorded in group `i`,
 *  owned by the breakdown; NULL if none. @threadsafety any. @since 0.1 */
AGM_API const char *agm_breakdown_last_error(const agm_breakdown *breakdown, size_t i);

/* ===== Section: Budgets ===== */

/* Budgets are checked by model-call records (agm_session_record_model_call*). */
#define AGM_BUDGET_LIMIT 1 /* AGM_BUDGET_EXCEEDED from the crossing record and every later one */
#define AGM_BUDGET_WARN 2  /* AGM_BUDGET_WARNING from the crossing record only */

#define AGM_BUDGET_HAS_MAX_TOKENS (1u << 0) /* limit on tokens */
#define AGM_BUDGET_HAS_MAX_COST (1u << 1)   /* limit on cost */

/* Passed to a budget callback; valid during the call only. */
typedef struct agm_budget_event {
  uint32_t struct_size;
  int32_t kind;              /* AGM_BUDGET_LIMIT or AGM_BUDGET_WARN */
  uint64_t present;          /* which limit was crossed: AGM_BUDGET_HAS_MAX_TOKENS or _COST */
  agm_session *session;      /* the session; the callback may record into it */
  const char *session_id;
  const char *model;         /* the budget's model, NULL for all models */
  int64_t tokens;            /* the measured tokens after the record */
  int64_t max_tokens;
  agm_money cost;            /* the measured cost after the record */
  agm_money max_cost;
} agm_budget_event;

/* Runs on the recording thread after the record is applied, outside the library's locks. */
typedef void (*agm_budget_fn)(const agm_budget_event *event, void *payload);

/*
 * A limit on the session's tokens (every reported input, cache read, cache write and output
 * token) and/or cost, over all models or one model (matched by the name as recorded). A
 * record "crosses" a limit when the measure goes from <= limit to > limit.
 */
typedef struct agm_budget {
  uint32_t struct_size;
  int32_t kind;           /* AGM_BUDGET_LIMIT or AGM_BUDGET_WARN */
  uint64_t present;       /* AGM_BUDGET_HAS_*; at least one */
  const char *model;      /* NULL: all models */
  int64_t max_tokens;
  agm_money max_cost;
  agm_budget_fn callback; /* optional; called once per crossing */
  void *payload;          /* retained: passed to the callback */
} agm_budget;
#define AGM_BUDGET_SIZE_V0 64u
#define AGM_BUDGET_INIT {(uint32_t)sizeof(agm_budget), 0, 0u, NULL, 0, {0u, 0u}, NULL, NULL}

/**
 * Add a budget to a session. Usage already recorded counts: a budget already exceeded when
 * added makes the next record return its notice.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (unknown kind, no limit, negative max_tokens).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_add_budget(agm_session *session, const agm_budget *budget);

/* ===== Section: Display ===== */

/* The strings every binding prints (fixtures/format/cases.json). */

/** "1,247": digits grouped by commas. @return AGM_OK; AGM_E_INVALID_ARGUMENT (negative).
 *  @threadsafety any. @since 0.1 */
AGM_API agm_status agm_format_tokens(agm_buffer *out, int64_t tokens);

/** "850ms" below 1 s (whole ms), "2.3s" below 60 s (one decimal), "1m 23s" below an hour,
 *  "2h 5m" above; rounding half away from zero. @return AGM_OK; AGM_E_INVALID_ARGUMENT
 *  (negative). @threadsafety any. @since 0.1 */
AGM_API agm_status agm_format_duration_ns(agm_buffer *out, int64_t duration_ns);

/** As agm_format_duration_ns for a duration in milliseconds (JavaScript's performance.now()
 *  deltas). @return AGM_OK; AGM_E_INVALID_ARGUMENT (negative, NaN, infinite, too large).
 *  @threadsafety any. @since 0.1 */
AGM_API agm_status agm_format_duration_ms(agm_buffer *out, double duration_ms);

/** "$0.0042": 4 decimals below $0.01, 3 below $1, else 2; rounded half away from zero on the
 *  exact amount. @threadsafety any. @since 0.1 */
AGM_API agm_status agm_format_cost(agm_buffer *out, const agm_money *amount);

/**
 * `text` made safe to print on a terminal: the rule the agentmetrics command applies to every
 * stored string (a label, an error message) in its human-readable output, and that
 * agm_session_format_summary applies to the session id. Stored strings may come from anywhere
 * (an exception text from a fetched web page): printed raw, an escape sequence could clear the
 * screen, retitle the window or forge lines. Rule:
 * - C0 controls and DEL become "\t", "\n", "\r" or "\xHH" (e.g. ESC: "\x1b");
 * - C1 controls (U+0080..U+009F, e.g. the CSI U+009B), the bidirectional embedding, override
 *   and isolate controls (U+202A..U+202E, U+2066..U+2069) and U+2028/U+2029 become "\uHHHH";
 * - each byte of invalid UTF-8 becomes "\xHH";
 * - everything else is kept (a backslash too: the result is for people, not to be parsed back).
 * `cells` receives the terminal columns the result takes: East Asian Wide and Fullwidth
 * characters count 2, combining marks and format characters 0, the others 1 (tables of
 * Unicode 14, tools/gen_wcwidth.py). With `max_cells` > 0, a result wider than that keeps the
 * characters and escapes that fit in max_cells - 1 columns, never part of one, then "…"
 * (U+2026, one column). The result never contains a control character and is unchanged by a
 * second pass.
 * @param out      receives the text (NUL-terminated; size excludes the NUL).
 * @param cells    optional (NULL: not wanted).
 * @param text     `size` bytes, any content (NULL only when size is 0).
 * @param max_cells 0: no limit.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (out NULL, text NULL with size > 0).
 * @threadsafety any. @since 0.2
 */
AGM_API agm_status agm_format_terminal_text(agm_buffer *out, uint64_t *cells, const char *text, size_t size,
                                            uint32_t max_cells);

/* Display flags */
#define AGM_DISPLAY_F_COLOR (1u << 0) /* wrap the line in dim grey ANSI (ESC[2m ... ESC[0m) */

/**
 * Whether to use colour on a stream: 1 if `is_tty` is non-zero and the environment variable
 * NO_COLOR is unset or empty, else 0. Bindings pass their own terminal test.
 * @threadsafety any. @since 0.1
 */
AGM_API int32_t agm_color_enabled(int32_t is_tty);

/**
 * The per-turn metadata line for the open or last turn, indented by two spaces, e.g.
 * "  1,247 in · 312 out · 1,559 total (session 4,210) · $0.0042 · 2.3s".
 * "in" counts all input (fresh + cache read + cache write). Reasoning, cached (cache reads)
 * and cache-write counts appear only when non-zero; calls without usage or price are noted;
 * a turn without any usage shows "no usage reported". No trailing newline.
 * @return AGM_OK; AGM_E_EMPTY (no turn has begun); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_format_turn(agm_buffer *out, const agm_session *session,
                                           uint32_t flags);

/**
 * A one-line session summary, indented by two spaces, e.g.
 * "  session thread-42 · 3 turns · 5 model calls · 4,210 tokens · $0.0123 · 4 tool calls
 * (1 error) · 12.3s". The session id is escaped as agm_format_terminal_text says (since 0.2).
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT. @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_session_format_summary(agm_buffer *out, const agm_session *session,
                                              uint32_t flags);

/* ===== Section: Persistence ===== */

/*
 * A recorder may keep every record in a store that outlives the process: a JSONL journal
 * (one JSON object per line, append-only, schema in the README), a SQLite database, or both.
 * Recording never waits for disk: records go to a queue that one writer thread per store
 * drains, in batches (one write() of whole lines; one SQLite transaction), at least every
 * 10 ms and whenever 4,096 records are queued; a record call makes no system call (except
 * under AGM_FLUSH_EVERY_RECORD, which wakes the writer at once). What a record call
 * stores: a "session" record when a session is created, a "model_call" or "tool_call" record
 * for each call, a "turn" record when a turn ends, and an "invocation" record for each
 * agm_recorder_record_invocation. Records made before the store was opened are not stored.
 *
 * Memory: the queue is bounded (agm_store_options.max_queue_bytes, 64 MiB by default). When
 * the store cannot keep up (a stalled disk, NFS server or a database locked by another
 * process), a record that would take the queue past its bound is dropped: not stored, but kept
 * in the recorder's totals like every record, and never dropped silently. Drops are counted
 * (agm_store_status.dropped), reported to the optional on_drop callback, and make the next
 * agm_recorder_flush (or close) return AGM_E_DROPPED with their number. Recording never waits
 * for the store, and every record queued is stored once the store catches up (or counted as
 * failed). A flush waits for the queued records only, not for dropped ones. Since 0.2 the
 * store remembers them too: once its writer writes again (at the latest by the next flush or
 * close), it appends a "dropped" marker (journal line and database row: how many, the ts of
 * the earliest and latest; written by the writer itself, never dropped), and every reader
 * reports them (agm_load_report.dropped, agm_history_warnings, the query documents'
 * "dropped_records", the command line's warnings).
 *
 * Crash safety: a process killed at any moment loses at most the records not yet written
 * (AGM_FLUSH_NONE and _INTERVAL: those still queued; everything before the last
 * agm_recorder_flush is on disk). A line torn by a crash is skipped by every reader, and the
 * next writer to open the journal starts on a fresh line, so a torn line never hides another.
 *
 * Several processes may append to one journal file (O_APPEND, whole lines per write()) or each
 * to its own file in a shared folder (journal_dir), and several may write one database (WAL
 * mode; writers wait up to 10 s for each other's transactions).
 */

/* Flush policies: when written records are synced to the disk (fdatasync, synchronous=FULL). */
#define AGM_FLUSH_NONE 0         /* only at agm_recorder_flush and close (written within 10 ms;
                                    the OS writes back) */
#define AGM_FLUSH_INTERVAL 1     /* also at most flush_interval_ns after a write */
#define AGM_FLUSH_EVERY_RECORD 2 /* after every write: each batch is durable once written */

/* Receives the number of records a store has dropped so far and the bytes then queued
 * (agm_store_options.on_drop). */
typedef void (*agm_store_drop_fn)(uint64_t dropped, uint64_t queued_bytes, void *payload);

/* The default bound of a store's queue: 64 MiB, about 280,000 queued records (a model call
 * takes ~240 bytes: 192 plus its own strings), i.e. a stall of ~30 s at 10,000 records per
 * second and of hours at an agent's usual rate, far from what gets a process OOM-killed. */
#define AGM_STORE_DEFAULT_QUEUE_BYTES (64ull << 20)

typedef struct agm_store_options {
  uint32_t struct_size;
  uint32_t flush_policy;     /* AGM_FLUSH_* */
  const char *journal;       /* a JSONL file to append to (created with its folders), or NULL */
  const char *journal_dir;   /* or a folder where this recorder creates a file of its own,
                                named <UTC time>-<pid>-<random>.jsonl (created if missing) */
  const char *database;      /* a SQLite database (created, or migrated to the current schema),
                                or NULL. At least one of journal, journal_dir, database. */
  int64_t flush_interval_ns; /* AGM_FLUSH_INTERVAL; 0: one second */
  /* @since 0.2: the bound of the queue of records waiting for the writer thread, in bytes
   * (a record's packed form and its own strings; the process's memory for the queue stays
   * within about this plus 1 MiB of reused buffers). Records beyond it are dropped (see
   * "Memory" above); one bigger than the bound is always dropped. 0: the default,
   * AGM_STORE_DEFAULT_QUEUE_BYTES. A struct of the first layout (AGM_STORE_OPTIONS_SIZE_V0)
   * gets the default. */
  uint64_t max_queue_bytes;
  /* @since 0.2, optional: called when a record is dropped after one was queued (so once per
   * overflow, not per record), with the store's total dropped so far. Called on the recording
   * thread whose record was dropped, after the record call's work and outside the library's
   * locks, before that call returns (agm_session_free too: a session's last turn record); it
   * may call the library, except to free the recorder or the session being freed, and should
   * return quickly. */
  agm_store_drop_fn on_drop;
  void *on_drop_payload; /* @since 0.2: passed to on_drop; retained until the store closes */
} agm_store_options;
#define AGM_STORE_OPTIONS_SIZE_V0 40u
#define AGM_STORE_OPTIONS_INIT {(uint32_t)sizeof(agm_store_options), 0u, NULL, NULL, NULL, 0, 0u, NULL, NULL}

/**
 * Open a store for a recorder's records and start its writer thread. The metrics files are
 * only ever appended to (keep them apart from checkpoint folders, which are rewritten).
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (no destination, both journal and journal_dir, bad
 *   policy, negative interval); AGM_E_STATE (a store is already open); AGM_E_IO (a file or
 *   folder cannot be created or opened: the message names it and the reason); AGM_E_CORRUPT
 *   (database is not a SQLite file); AGM_E_UNSUPPORTED (its schema is newer than this library).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_open_store(agm_recorder *rec, const agm_store_options *options);

/**
 * Durability barrier: returns once every record made before the call (on any thread) is
 * written and synced to disk.
 * Records dropped at the queue's bound are not waited for.
 * A database locked by another connection (@since 0.2): the flush returns after about one
 * busy timeout (10 s), however large the backlog, with AGM_E_IO and "N records not yet
 * stored: ... database is locked". Those records are not lost and not counted as failed: they
 * stay queued, in order (in neither the database nor the journal yet), the writer keeps trying
 * and stores them once the lock goes (a later flush returns AGM_OK); meanwhile they count
 * against max_queue_bytes, so records beyond it are dropped and reported (AGM_E_DROPPED).
 * agm_recorder_close_store tries once more without waiting and counts what is still not stored
 * as failed ("N records were not stored: ... database is locked").
 * @return AGM_OK; AGM_E_DROPPED (@since 0.2) if records were dropped since the previous flush
 *   (the message says how many, and also reports any failure as AGM_E_IO would); else
 *   AGM_E_IO if any record failed to be stored since the previous flush (disk full, I/O error;
 *   the message says how many and why; the records stay in the recorder's totals, and
 *   everything stored earlier is intact); AGM_E_STATE (no store is open).
 * @threadsafety any (blocks the calling thread only). @since 0.1
 */
AGM_API agm_status agm_recorder_flush(agm_recorder *rec);

/**
 * Drain the queue, sync and close the store (agm_recorder_free does this too). Records made
 * concurrently with the close may or may not be stored (those that are not count as failed).
 * @return as agm_recorder_flush. @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_close_store(agm_recorder *rec);

typedef struct agm_store_status {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t queued;       /* records handed to the writer */
  uint64_t written;      /* records stored (in every destination) */
  uint64_t failed;       /* records that could not be stored */
  uint64_t write_errors; /* failed write(), fsync or transaction calls */
  /* @since 0.2: records not queued because the queue was at its bound (counted in neither
   * queued nor failed; queued records end up written or failed) */
  uint64_t dropped;
  uint64_t queued_bytes;    /* @since 0.2: bytes of the records queued and not yet stored */
  uint64_t max_queue_bytes; /* @since 0.2: the queue's bound in effect */
} agm_store_status;
#define AGM_STORE_STATUS_SIZE_V0 40u
#define AGM_STORE_STATUS_INIT {(uint32_t)sizeof(agm_store_status), 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u}

/**
 * Counters of the open store; `last_error` (optional, may be NULL) receives the most recent
 * storage error ("" if none).
 * @return AGM_OK; AGM_E_STATE (no store is open); AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_store_status(agm_store_status *out, const agm_recorder *rec,
                                             agm_buffer *last_error);

/**
 * The journal file the open store appends to (with journal_dir: the file it created).
 * @return AGM_OK; AGM_E_STATE (no store is open); AGM_E_NOT_FOUND (the store has no journal).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_journal_path(agm_buffer *out, const agm_recorder *rec);

/* "Metric recorded" events (seed 004's event bus): kinds of record, as bits. */
#define AGM_RECORD_SESSION (1u << 0)
#define AGM_RECORD_MODEL_CALL (1u << 1)
#define AGM_RECORD_TOOL_CALL (1u << 2)
#define AGM_RECORD_TURN (1u << 3)
#define AGM_RECORD_INVOCATION (1u << 4)
#define AGM_RECORD_ALL 31u

/* Receives one record as its journal line (JSON, no newline; valid during the call only). */
typedef void (*agm_record_fn)(uint32_t kind, const char *json, size_t size, void *payload);

/**
 * Call `callback` for every new record of the given kinds (AGM_RECORD_* bits), on the
 * recording thread, after the record is applied and outside the library's locks; it may call
 * the library but must not free the recorder. Replaces any previous observer; a NULL
 * callback or kinds 0 removes it. Works with or without a store. Loaded records are not
 * reported.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (unknown kind bits).
 * @threadsafety any (a record made concurrently may reach the old or the new observer).
 * @since 0.1
 */
AGM_API agm_status agm_recorder_set_observer(agm_recorder *rec, uint32_t kinds,
                                             agm_record_fn callback, void *payload);

/* ===== Section: Loading and resuming ===== */

typedef struct agm_load_options {
  uint32_t struct_size;
  uint32_t flags;  /* none yet: 0 */
  uint64_t skip;   /* well-formed records to pass over first (a checkpoint's offset) */
  uint64_t limit;  /* stop after this many records; 0: no limit */
} agm_load_options;
#define AGM_LOAD_OPTIONS_SIZE_V0 24u
#define AGM_LOAD_OPTIONS_INIT {(uint32_t)sizeof(agm_load_options), 0u, 0u, 0u}

/*
 * The longest journal line read, newline excluded (1 MiB; @since 0.2). A longer line is
 * skipped and counted as malformed, read through without being kept whole, so a reader's
 * memory stays bounded. The writer never writes one: a record whose line would be longer is
 * not stored, and is counted as failed (agm_store_status, agm_recorder_flush).
 */
#define AGM_JOURNAL_MAX_LINE 1048576u

/*
 * Lines, records and malformed lines have one definition for journals and databases, and
 * every reader (loads, history queries, exports, reports, follow) counts them alike (@since
 * 0.2): a line is a journal line that is not blank, or a database row; it is a record (loaded
 * or skipped) or malformed. A torn fragment followed on the same line by a record (a process
 * appended after another one's torn write) counts as two lines, the fragment and the record.
 * With nothing filtered out, lines = records + skipped + malformed.
 */
typedef struct agm_load_report {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t files;                /* journal files read (1 for a database) */
  uint64_t lines;                /* lines (database rows) read, malformed ones included */
  uint64_t records;              /* records loaded */
  uint64_t skipped;              /* records passed over by agm_load_options.skip */
  uint64_t malformed;            /* lines skipped as malformed (torn, garbage, unknown schema
                                    version or kind, wrong types, longer than
                                    AGM_JOURNAL_MAX_LINE; database rows that cannot be loaded) */
  uint64_t first_malformed_line; /* 1-based line number of the first, in its file (a
                                    database: its row id); 0: none */
  /* Since 0.2: records that writers of the store dropped, their queue full
     (AGM_E_DROPPED), as the store's "dropped" markers name them (a marker is not a line,
     record or malformed line), whatever skip and limit; and the earliest and latest ts
     (wall-clock ns) of those records, 0 when none. */
  uint64_t dropped;
  int64_t dropped_from_ns;
  int64_t dropped_to_ns;
} agm_load_report;
#define AGM_LOAD_REPORT_SIZE_V0 56u
#define AGM_LOAD_REPORT_INIT {(uint32_t)sizeof(agm_load_report), 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0, 0}

/**
 * Add the records of a journal file, a folder of journals (every *.jsonl file, in name
 * order) or a SQLite database (rows in time order) to a recorder: model, tool-call and turn
 * records to its totals, durations and breakdowns (as the sessions that made them, by their
 * labels), invocations to its invocation list. Loaded records are not stored again.
 * Malformed lines are skipped, never fatal: `report` counts them, and `warnings` (optional)
 * receives a JSON array [{"file":…,"line":…,"reason":…}] of the first 1000 ("line": the row
 * id for a database row).
 * Resuming (seed 004): after a crash, a recorder that loads the journal has the totals of the
 * uninterrupted run; a process that restored the first N records from its checkpoint loads
 * with skip = N.
 * @param options  NULL: everything. @param report optional.
 * @return AGM_OK (also when lines were skipped: check report->malformed); AGM_E_NOT_FOUND (no
 *   such path); AGM_E_IO; AGM_E_CORRUPT (a database that cannot be read);
 *   AGM_E_UNSUPPORTED; AGM_E_INVALID_ARGUMENT.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_load(agm_recorder *rec, const char *path,
                                     const agm_load_options *options, agm_load_report *report,
                                     agm_buffer *warnings);

/**
 * The number of well-formed records in a journal file, folder or database: the offset a
 * checkpoint stores for a later load with skip.
 * @return AGM_OK; as agm_recorder_load. @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_store_count(uint64_t *out, const char *path);

/* ===== Section: Invocations ===== */

/*
 * Seed 004's InvocationMetric: one agent invocation in a multi-agent fleet.
 */
#define AGM_INVOCATION_HAS_INPUT_TOKENS (1u << 0)
#define AGM_INVOCATION_HAS_OUTPUT_TOKENS (1u << 1)
#define AGM_INVOCATION_HAS_CACHED_TOKENS (1u << 2)
#define AGM_INVOCATION_HAS_START (1u << 3) /* start_wall_ns is set; else start = now - duration */

#define AGM_INVOCATION_F_SUCCESS (1u << 0)       /* the invocation succeeded */
#define AGM_INVOCATION_F_OUTPUT_PARSED (1u << 1) /* its output parsed against the schema */

typedef struct agm_invocation {
  uint32_t struct_size;
  uint32_t flags;            /* AGM_INVOCATION_F_* */
  uint64_t present;          /* AGM_INVOCATION_HAS_* */
  const char *invocation_id; /* required, unique */
  const char *agent;         /* required */
  const char *task_id;       /* optional (NULL) */
  const char *model;         /* optional */
  const char *tier;          /* optional: the model routing tier */
  const char *error_class;   /* optional: set when it failed with an infrastructure error */
  int64_t phase;
  int64_t duration_ns;       /* >= 0 */
  int64_t tokens;            /* total tokens, >= 0 */
  int64_t input_tokens;
  int64_t output_tokens;
  int64_t cached_tokens;
  agm_money cost;            /* estimated cost, exact */
  int64_t exit_code;
  int64_t attempt;           /* 1 = first try */
  int64_t start_wall_ns;     /* ns since the epoch ("timestamp" in the seed) */
} agm_invocation;
#define AGM_INVOCATION_SIZE_V0 152u
#define AGM_INVOCATION_INIT                                                                 \
  {(uint32_t)sizeof(agm_invocation), 0u, 0u, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, \
   0, {0u, 0u}, 0, 1, 0}

/**
 * Record an invocation: kept in the recorder's list and stored by the open store, if any.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (missing id or agent, negative counts or duration,
 *   attempt < 1, invalid UTF-8). @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_record_invocation(agm_recorder *rec, const agm_invocation *inv);

/**
 * As agm_recorder_record_invocation from a JSON object: seed 004's InvocationMetric with the
 * seed's names (invocationId, agent, phase, taskId, durationMs, tokens, inputTokens,
 * outputTokens, cachedTokens, cost, exitCode, success, attempt, outputParsed, model, tier,
 * timestamp, errorClass) or their snake_case forms (invocation_id, task_id, duration_ms, …),
 * or duration_ns (integer ns) for durationMs. Each member at most once, however spelled; null
 * is the same as absent. Strings for the ids and labels; integers for phase, tokens, the
 * token counts, exitCode and attempt; durationMs a number of milliseconds (fractions allowed);
 * cost a number, read exactly (USD); success and outputParsed booleans; timestamp the ISO 8601
 * start (absent: now - duration, as without AGM_INVOCATION_HAS_START). The journal's line
 * format is not this input: its "v", "kind" and "ts", like any other member, are refused.
 * Since 0.2: unknown and repeated members are refused (0.1 ignored them) and an absent
 * timestamp is now - duration (0.1: the epoch).
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (malformed JSON; an unknown or repeated member, a
 *   wrong type or a value out of range, naming the member; as above).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_record_invocation_json(agm_recorder *rec, const char *json,
                                                       size_t size);

/** Number of invocations held (recorded and loaded): the offset to keep in a checkpoint.
 *  @threadsafety any. @since 0.1 */
AGM_API agm_status agm_recorder_invocation_count(uint64_t *out, const agm_recorder *rec);

/**
 * Invocations held, in the order recorded or loaded, from index `skip`, at most `limit` (0:
 * all), as a JSON array of invocation records (the journal's "invocation" lines).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_invocations(agm_buffer *out, const agm_recorder *rec,
                                            uint64_t skip, uint64_t limit);

/*
 * Defaults (@since 0.2: named here once; a 0 in the option that names them selects them, so
 * the bindings and the agentmetrics program pass 0 for "not given" and never restate them).
 */
#define AGM_DEFAULT_BUCKET_NS 60000000000ll        /* agm_aggregate_options.bucket_ns: 1 min */
#define AGM_DEFAULT_SLOW_THRESHOLD_NS 5000000000ll /* agm_query.threshold_ns (SLOW): 5 s */
#define AGM_DEFAULT_QUERY_LIMIT 10u                /* agm_query.limit: list lengths */
#define AGM_DEFAULT_REPORT_LIMIT 20u               /* agm_report_options.limit: table rows */
#define AGM_DEFAULT_HTTP_TIMEOUT_MS 10000u         /* agm_otlp_options.timeout_ms: 10 s */
#define AGM_DEFAULT_PUSH_ATTEMPTS 5u               /* agm_otlp_options.max_attempts */
#define AGM_DEFAULT_RETRY_DELAY_MS 1000u           /* agm_otlp_options.retry_delay_ms: 1 s */

typedef struct agm_aggregate_options {
  uint32_t struct_size;
  uint32_t tier_count;      /* entries in tiers; 0: the default order low < medium < high */
  const char *const *tiers; /* tier names from the lowest rank to the highest */
  int64_t bucket_ns;        /* parallelism_over_time bucket width; 0: AGM_DEFAULT_BUCKET_NS */
} agm_aggregate_options;
#define AGM_AGGREGATE_OPTIONS_SIZE_V0 24u
#define AGM_AGGREGATE_OPTIONS_INIT {(uint32_t)sizeof(agm_aggregate_options), 0u, NULL, 0}

/**
 * Seed 004's MetricsAggregate over the invocations held, as a JSON object:
 * total_invocations, invocations_by_agent, invocations_by_phase, total_retries,
 * retries_by_agent, retries_by_phase, infra_retries, total_tokens, total_cost,
 * total_cached_tokens, tokens_by_agent, cost_by_agent, total_duration_ms,
 * avg_duration_by_agent, peak_parallel_invocations, parallelism_over_time
 * [{bucket_start, concurrent, peak}], escalation_count, success_rate. Definitions:
 * - a retry is an invocation with attempt > 1; an infrastructure retry is a retry whose
 *   error_class is set;
 * - an escalation is a retry of the same task (same agent, phase and task_id; agent and
 *   phase when there is no task_id) on a strictly higher tier than that task's previous
 *   attempt (the highest attempt number below it). Tiers rank by their position in
 *   options->tiers, or numerically when both are integers; unranked tiers never escalate;
 * - an invocation runs over [start, start + duration); peak_parallel_invocations is the most
 *   running at one instant; parallelism_over_time has one bucket per bucket_ns (aligned to
 *   the epoch) from the first start to the last end, with `concurrent` the invocations
 *   overlapping the bucket and `peak` the most running at one instant within it;
 * - success_rate = successes / invocations in [0, 1] (0 when there are none);
 * - costs are exact decimals written as JSON numbers; durations are milliseconds.
 * @param options NULL: defaults.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (negative bucket width, a bucket width so small the
 *   span would need more than 100,000 buckets). @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_invocation_aggregate(agm_buffer *out, const agm_recorder *rec,
                                                     const agm_aggregate_options *options);

/* ===== Section: History queries ===== */

/*
 * Seed 001's questions over stored records: a journal file, a folder of journals or a SQLite
 * database. Each query reads the store as it is at that moment (records other processes
 * append are seen by the next query) and returns a JSON document (README, "History
 * queries", documents every member). Costs are exact decimals written as JSON numbers,
 * durations are milliseconds (p50/p95/p99 within 1/128), timestamps are ISO 8601 UTC.
 */
typedef struct agm_history agm_history;

/**
 * Open a store for queries. Nothing is read until a query runs.
 * @return AGM_OK; AGM_E_NOT_FOUND (no such path); AGM_E_CORRUPT, AGM_E_UNSUPPORTED (a
 *   database this library cannot read); AGM_E_INVALID_ARGUMENT. @threadsafety any.
 * @since 0.1
 */
AGM_API agm_status agm_history_open(agm_history **out, const char *path);
/** Free a history handle; NULL is a no-op. @threadsafety exclusive. @since 0.1 */
AGM_API void agm_history_free(agm_history *history);

/* Query kinds */
#define AGM_QUERY_SUMMARY 1            /* totals, latencies, cost by model, top tools and sessions */
#define AGM_QUERY_COST_BREAKDOWN 2     /* cost grouped by group_by */
#define AGM_QUERY_TOOLS 3              /* per tool: calls, success rate, mean, p95, last error */
#define AGM_QUERY_SLOW 4               /* operations at or over threshold_ns, slowest first */
#define AGM_QUERY_ERRORS 5             /* recent errors, error counts by tool and model */
#define AGM_QUERY_EXPENSIVE_SESSIONS 6 /* sessions by cost, highest first */
#define AGM_QUERY_SESSION 7            /* one session (name = its id) */
#define AGM_QUERY_INVOCATIONS 8        /* the invocation aggregate of the invocations in range */

/* Periods: the last hour, day, week or 30 days before now_ns, or [from_ns, to_ns). */
#define AGM_PERIOD_ALL 0
#define AGM_PERIOD_HOUR 1
#define AGM_PERIOD_DAY 2
#define AGM_PERIOD_WEEK 3
#define AGM_PERIOD_MONTH 4
#define AGM_PERIOD_RANGE 5

/* group_by for AGM_QUERY_COST_BREAKDOWN: AGM_BY_MODEL, _PROVIDER, _SOURCE, _AGENT, _PHASE,
 * _TASK, _SESSION, AGM_BY_DAY (UTC days, "2026-11-22") or AGM_BY_TOOL (each tool's calls and
 * the model calls it made, source "tool:NAME"; the agent's own model calls under ""). */
#define AGM_BY_DAY 9

#define AGM_QUERY_HAS_NOW (1u << 0) /* now_ns is set; else the wall clock */
/* @since 0.2: the ends of an AGM_PERIOD_RANGE, each optional. With either bit set, from_ns is
 * read only under AGM_QUERY_HAS_FROM and to_ns only under AGM_QUERY_HAS_TO; an end without its
 * bit is open (no since: the earliest record; no until: the latest), so "unset" is never
 * spelled as a sentinel value. Either bit with period AGM_PERIOD_ALL also selects the range.
 * With neither bit (0.1 callers) a range reads both from_ns and to_ns, as before: sentinels
 * such as INT64_MIN or 0 and INT64_MAX keep working. */
#define AGM_QUERY_HAS_FROM (1u << 1)
#define AGM_QUERY_HAS_TO (1u << 2)

typedef struct agm_query {
  uint32_t struct_size;
  uint32_t kind;           /* AGM_QUERY_* */
  uint64_t present;        /* AGM_QUERY_HAS_* */
  uint32_t period;         /* AGM_PERIOD_* */
  int32_t group_by;        /* AGM_BY_*; 0: AGM_BY_MODEL */
  int64_t from_ns;         /* AGM_PERIOD_RANGE: wall clock, inclusive (see AGM_QUERY_HAS_FROM) */
  int64_t to_ns;           /* AGM_PERIOD_RANGE: exclusive (see AGM_QUERY_HAS_TO) */
  int64_t now_ns;          /* with AGM_QUERY_HAS_NOW */
  const char *name;        /* TOOLS: one tool (NULL: all); SESSION: the session id */
  int64_t threshold_ns;    /* SLOW; 0: AGM_DEFAULT_SLOW_THRESHOLD_NS */
  uint32_t limit;          /* list lengths; 0: AGM_DEFAULT_QUERY_LIMIT */
  uint32_t reserved0;
  const agm_aggregate_options *invocations; /* INVOCATIONS; NULL: defaults */
} agm_query;
#define AGM_QUERY_SIZE_V0 80u
#define AGM_QUERY_INIT {(uint32_t)sizeof(agm_query), 0u, 0u, 0u, 0, 0, 0, 0, NULL, 0, 0u, 0u, NULL}

/**
 * Run a query; `out` receives its JSON document. Malformed journal lines are skipped (see
 * agm_history_warnings).
 * @return AGM_OK; AGM_E_NOT_FOUND (SESSION: no record of that session; the store vanished);
 *   AGM_E_INVALID_ARGUMENT (unknown kind, period or group_by; SESSION without a name; RANGE
 *   with to_ns < from_ns; AGM_QUERY_HAS_FROM or _TO with a period other than ALL or RANGE);
 *   AGM_E_IO (also: the progress callback stopped the read); AGM_E_CORRUPT.
 * @threadsafety any; queries on one handle run one at a time. @since 0.1
 */
AGM_API agm_status agm_history_query(agm_buffer *out, agm_history *history,
                                     const agm_query *query);

/**
 * What the last query skipped: {"lines":…,"records":…,"malformed":…,"warnings":[{"file":…,
 * "line":…,"reason":…}]}. Every line and row of the store is read whatever the query's
 * range, kinds or session, so "lines" and "malformed" are the same for every query, export
 * and report of one store (see agm_load_report; since 0.2); "records" counts those selected.
 * Since 0.2 also "dropped": the records the store's writers dropped (agm_load_report.dropped,
 * the same for every query, export and report), with "dropped_from" and "dropped_to" (their
 * earliest and latest ts, ns) when there are some.
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_history_warnings(agm_buffer *out, agm_history *history);

/**
 * Run a query over the recorder's own open store (the database if it has one, else its
 * journal; a journal_dir store reads the whole folder) after a flush, so it sees every record
 * made before the call.
 * @return as agm_history_query and agm_recorder_flush; AGM_E_STATE (no store is open).
 * @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_query(agm_buffer *out, agm_recorder *rec,
                                      const agm_query *query);

/**
 * Progress of the reads behind queries, exports and reports on this handle: `fn(user, done,
 * total)` is called on the thread running the read, every 65,536 records and once at the end
 * (done == total). Units are bytes for journals and rows for databases; `total` is measured when
 * the read starts (records appended meanwhile may take `done` past it). NULL fn: no progress.
 * @threadsafety exclusive (not while a query runs on this handle). @since 0.1
 */
typedef void (*agm_progress_fn)(void *user, uint64_t done, uint64_t total);
AGM_API agm_status agm_history_set_progress(agm_history *history, agm_progress_fn fn, void *user);

/* Units of agm_progress_unit_fn (@since 0.2). */
#define AGM_PROGRESS_BYTES 1 /* bytes of journal read (a journal file or a folder of them) */
#define AGM_PROGRESS_ROWS 2  /* rows of a SQLite database read */

/**
 * Progress with its unit (@since 0.2), as agm_progress_fn says otherwise: `done` and `total`
 * count `unit` (AGM_PROGRESS_BYTES or AGM_PROGRESS_ROWS, the same for every call of one
 * read); `user` is the pointer given to agm_history_set_progress_unit. Return 0 to go on;
 * anything else stops the read, which then returns AGM_E_IO ("stopped by the progress
 * callback"; the *_to_file functions then leave no file). It must not throw (C++) or longjmp.
 */
typedef int32_t (*agm_progress_unit_fn)(uint64_t done, uint64_t total, uint32_t unit, void *user);

/**
 * Set the progress callback of the reads on this handle, with its unit. It replaces a callback
 * set by agm_history_set_progress and is replaced by one (one callback per handle; NULL fn:
 * no progress). Called on the thread running the read, every 65,536 records and once at the end.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (history NULL).
 * @threadsafety exclusive (not while a read runs on this handle). @since 0.2
 */
AGM_API agm_status agm_history_set_progress_unit(agm_history *history, agm_progress_unit_fn fn,
                                                 void *user);

/**
 * A UTC time as people type it, for the range of a query: "2026-11-22" (midnight),
 * "2026-11-22T10:00", "2026-11-22T10:00:00", with a fraction ('.' or ',') and then nothing,
 * "Z", "+00:00", "+0000" or "-00:00" (a space or 't' may stand for the 'T').
 * @param[out] out  Nanoseconds since the Unix epoch.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL, another form, another UTC offset, a date that
 *   does not exist, a time before 1970 or after 2261). @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_parse_time(int64_t *out, const char *text);

/* ===== Section: Exports ===== */

/*
 * Formats (README, "Exports", documents each):
 * - AGM_EXPORT_OTLP_JSON: one OTLP ExportMetricsServiceRequest in the OTLP/JSON encoding, per
 *   the OpenTelemetry GenAI semantic conventions: gen_ai.client.token.usage (histogram,
 *   {token}, gen_ai.token.type input|output), gen_ai.client.operation.duration (histogram, s,
 *   model calls with gen_ai.operation.name "chat" and tool calls with "execute_tool"),
 *   gen_ai.invoke_agent.duration (turns and invocations), and agentmetrics.* sums: tokens by
 *   kind, cost in USD by line item, calls, calls missing usage, unpriced calls. Cumulative
 *   temporality from the first record in range to the last. Costs are doubles here (OTLP has
 *   no decimal type); the exact decimals are in the JSON and CSV exports.
 * - AGM_EXPORT_PROMETHEUS: the same metrics in the Prometheus text exposition format 0.0.4
 *   (names with unit suffixes, counters ending in _total, cumulative histogram buckets, label
 *   values escaped).
 * - AGM_EXPORT_CSV: one row per record (RFC 4180, a header row, CRLF line ends); a text cell
 *   that starts with '=', '+', '-', '@', tab or carriage return is prefixed with a single quote
 *   so spreadsheets do not run it as a formula.
 * - AGM_EXPORT_JSON: a JSON array of the same rows as objects (exact decimal costs, null for
 *   what was not reported).
 * Rows: kind, timestamp (ISO 8601 UTC), session, agent, phase, task, turn, model, provider,
 * source, tool, call_id, invocation_id, tier, attempt, outcome ("ok" | "error"), error_type,
 * error_message, stop_reason, duration_ms, ttft_ms, input_tokens, cache_read_tokens,
 * cache_write_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, total_tokens,
 * cost_usd; journal order for journals, time order for databases.
 */
#define AGM_EXPORT_OTLP_JSON 1
#define AGM_EXPORT_PROMETHEUS 2
#define AGM_EXPORT_CSV 3
#define AGM_EXPORT_JSON 4

/* Receives an export in pieces, in order. Return 0 to go on; anything else stops the export,
 * which then returns AGM_E_IO. */
typedef int32_t (*agm_write_fn)(void *user, const char *data, size_t size);

typedef struct agm_export_options {
  uint32_t struct_size;
  uint32_t format;                 /* AGM_EXPORT_* */
  const agm_query *range;          /* its period, from_ns, to_ns, now_ns; NULL: every record */
  const char *resource_attributes; /* OTLP resource, "key=value,..." as OTEL_RESOURCE_ATTRIBUTES
                                      (values percent-decoded); service.name defaults to
                                      "agentmetrics"; NULL: none */
} agm_export_options;
#define AGM_EXPORT_OPTIONS_SIZE_V0 24u
#define AGM_EXPORT_OPTIONS_INIT {(uint32_t)sizeof(agm_export_options), 0u, NULL, NULL}

/**
 * Export the store's records in range to `write`, in pieces of up to 64 KiB; memory stays
 * bounded whatever the store's size (the metric formats grow with the distinct attribute sets).
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (unknown format, bad range, a malformed resource
 *   attribute); AGM_E_IO (the store, or `write` stopped the export); AGM_E_CORRUPT.
 * @threadsafety any; reads on one handle run one at a time. @since 0.1
 */
AGM_API agm_status agm_history_export(agm_history *history, const agm_export_options *options,
                                      agm_write_fn write, void *user);

/**
 * The export of agm_history_export written straight to the file at `path`, atomically: the
 * pieces go to a temporary file beside it ("<path>.tmp-XXXXXX", in the same folder), which is
 * synced (fsync) and renamed over `path` once the export is complete. Readers see the old file
 * (or none) until then; on any failure `path` is left as it was and the temporary removed, so
 * nothing half-written remains. The file's mode is 0666 less the umask. Memory stays bounded
 * as for agm_history_export.
 * @param[out] bytes  Optional (NULL): the size of the file written.
 * @param path        The file to write (its folder must exist); replaced if it exists.
 * @return AGM_OK; AGM_E_IO (the file cannot be created, written, synced or renamed: the message
 *   names `path` and the reason; or the progress callback stopped the read); as
 *   agm_history_export; AGM_E_INVALID_ARGUMENT (path NULL or empty).
 * @threadsafety any; reads on one handle run one at a time. @since 0.2
 */
AGM_API agm_status agm_history_export_to_file(uint64_t *bytes, agm_history *history,
                                              const agm_export_options *options, const char *path);

/*
 * OTLP/HTTP push. The library makes no network calls itself: agm_history_push_otlp builds the
 * request and decides what to do with each outcome (retry, wait, fail), and its caller's
 * sender (agm_http_send_fn) performs each HTTP exchange with whatever client the host has
 * (libcurl in the agentmetrics program, urllib in Python, fetch in Node). The sender only
 * reports what its client saw; which failures are transient is the library's decision.
 */

/* One request header: "name: value" on the wire. Both NUL-terminated UTF-8, never NULL, free
 * of line breaks (the name also of ':'). @since 0.1 */
typedef struct agm_http_header {
  const char *name;
  const char *value;
} agm_http_header;

/*
 * One HTTP exchange the library asks its host to perform: always a POST. Everything is owned
 * by the library and valid during the call of the sender only; the sender reads the fields
 * that fit in struct_size (it is never smaller than AGM_HTTP_REQUEST_SIZE_V0). @since 0.1
 */
typedef struct agm_http_request {
  uint32_t struct_size;
  uint32_t timeout_ms;            /* the bound of this attempt, connection included; never 0 */
  const char *url;                /* absolute http:// or https:// URL */
  const agm_http_header *headers; /* in order: Content-Type: application/json first, then the
                                     caller's (agm_otlp_options.headers, percent-decoded) */
  size_t header_count;
  const char *body;               /* body_size bytes (not NUL-terminated); the same bytes on
                                     every attempt of one push */
  size_t body_size;
} agm_http_request;
#define AGM_HTTP_REQUEST_SIZE_V0 48u

/* agm_http_response.outcome: what the host's HTTP client reported. 0 is not an outcome (a
 * sender that sets none has failed to classify its result). @since 0.1 */
#define AGM_HTTP_RESPONDED 1      /* the receiver answered: status, retry_after and body (a
                                     redirect too: senders never follow one) */
#define AGM_HTTP_CONNECT_FAILED 2 /* no answer: the connection was refused, the host or network
                                     unreachable, or it broke (reset, closed) before a response
                                     arrived */
#define AGM_HTTP_TIMED_OUT 3      /* no answer within request->timeout_ms */
#define AGM_HTTP_FAILED 4         /* any other failure (name resolution, TLS, a bad URL...):
                                     final, never retried */

/*
 * The result of one exchange, written by the sender. The library zeroes it and sets struct_size
 * before each call; the sender writes only the fields that fit in struct_size. Strings the
 * sender points to must stay valid until its next call or the return of the push, whichever
 * comes first (a sender keeps them in its `user` state); the library copies what it keeps.
 * @since 0.1
 */
typedef struct agm_http_response {
  uint32_t struct_size;
  uint32_t outcome;        /* AGM_HTTP_* */
  int32_t status;          /* RESPONDED: the HTTP status, 100 to 599 */
  uint32_t reserved0;      /* 0 */
  const char *retry_after; /* RESPONDED: the Retry-After header's value as received
                              (delta-seconds or an HTTP-date); NULL: none */
  const char *body;        /* RESPONDED: body_size bytes of the response body (the sender may
                              keep only its start: the library uses the first 200 bytes of an
                              error and returns a 2xx body whole); NULL when body_size is 0 */
  size_t body_size;
  const char *error;       /* otherwise: the client's description of the failure, UTF-8
                              (e.g. "connection refused"), quoted in the push's error message;
                              NULL: none */
} agm_http_response;
#define AGM_HTTP_RESPONSE_SIZE_V0 48u

/*
 * Performs one HTTP exchange for agm_history_push_otlp, on the thread that called it, and
 * fills `response`. It may block (it is expected to, up to request->timeout_ms).
 * @return 0 to go on (whatever the outcome: the library decides whether to retry); anything
 *   else aborts the push, which then returns AGM_E_IO (with response->error in its message
 *   when the sender set one), e.g. when the host is shutting down.
 * @threadsafety called on the thread that called agm_history_push_otlp, one call at a time
 *   per push; pushes running at once call their senders concurrently, with the same `user` if
 *   they were given the same. It must not throw (C++) or longjmp out. @since 0.1
 */
typedef int32_t (*agm_http_send_fn)(void *user, const agm_http_request *request,
                                    agm_http_response *response);

typedef struct agm_otlp_options {
  uint32_t struct_size;
  uint32_t timeout_ms;  /* each attempt; 0: AGM_DEFAULT_HTTP_TIMEOUT_MS */
  const char *endpoint; /* "http://host:4318": "/v1/metrics" is appended unless the path
                           already ends with it */
  const char *headers;  /* extra request headers, "key=value,..." as
                           OTEL_EXPORTER_OTLP_HEADERS; NULL: none */
  uint32_t max_attempts;   /* attempts in all, the first included; 0: AGM_DEFAULT_PUSH_ATTEMPTS;
                              1: no retry */
  uint32_t retry_delay_ms; /* wait before the first retry, doubled for each next one up to
                              30 s, with +-20 % jitter; 0: AGM_DEFAULT_RETRY_DELAY_MS */
  agm_http_send_fn send;   /* required: performs each attempt (see agm_http_send_fn) */
  void *send_user;         /* passed to send as `user` */
} agm_otlp_options;
#define AGM_OTLP_OPTIONS_SIZE_V0 32u /* without send and send_user: rejected by the push */
#define AGM_OTLP_OPTIONS_INIT {(uint32_t)sizeof(agm_otlp_options), 0u, NULL, NULL, 0u, 0u, NULL, NULL}

/**
 * POST the AGM_EXPORT_OTLP_JSON export of `options` (format is ignored) to an OTLP/HTTP
 * receiver, through `otlp->send`. The body is built once (the store is read before the first
 * attempt) and sent as it is on every attempt. Transient failures are retried as the OTLP
 * specification asks: HTTP 429, 502, 503 and 504, and AGM_HTTP_CONNECT_FAILED and
 * AGM_HTTP_TIMED_OUT, up to `max_attempts` in all. Before retry n the call waits what the
 * receiver's Retry-After asks (delta-seconds or an HTTP-date; a value that does not parse or
 * is not in the future is ignored), else retry_delay_ms * 2^(n-1) with +-20 % jitter; never
 * more than 30 s. Other statuses and AGM_HTTP_FAILED are final. The call blocks while it waits.
 * @param[out] response  Optional (NULL): the receiver's response body (an
 *   ExportMetricsServiceResponse, which may report rejected data points).
 * @return AGM_OK (2xx); AGM_E_IO (the last attempt's failure: "HTTP 503: <start of the body>"
 *   or the sender's error, with "(attempt n of m)" after a retry; or the sender aborted);
 *   AGM_E_INVALID_ARGUMENT (send is NULL, the endpoint is not an http:// or https:// URL, a
 *   malformed header, or the sender wrote an impossible response: an unknown outcome, a status
 *   outside 100 to 599, a NULL body with a size); as agm_history_export.
 * @threadsafety any (the sender is called on the calling thread). @since 0.1
 */
AGM_API agm_status agm_history_push_otlp(agm_buffer *response, agm_history *history,
                                         const agm_export_options *options,
                                         const agm_otlp_options *otlp);

/* ===== Section: HTML report ===== */

typedef struct agm_report_options {
  uint32_t struct_size;
  uint32_t limit;         /* rows of the slowest operations and recent errors tables;
                             0: AGM_DEFAULT_REPORT_LIMIT */
  const agm_query *range; /* its period, from_ns, to_ns, now_ns; NULL: every record */
  const char *title;      /* NULL: "agentmetrics report" */
} agm_report_options;
#define AGM_REPORT_OPTIONS_SIZE_V0 24u
#define AGM_REPORT_OPTIONS_INIT {(uint32_t)sizeof(agm_report_options), 0u, NULL, NULL}

/**
 * A self-contained HTML page over the records in range: totals, cost by model and by day,
 * tokens by kind over time, latency percentiles per model and per tool, parallelism over time,
 * the slowest operations and the most recent errors. Charts are inline SVG; the page loads
 * nothing, runs no script (its Content-Security-Policy forbids scripts) and escapes every
 * stored string. Its size is bounded by the distinct models, tools and days, not the records.
 * @return as agm_history_query. @threadsafety any; reads on one handle run one at a time.
 * @since 0.1
 */
AGM_API agm_status agm_history_report_html(agm_buffer *out, agm_history *history,
                                           const agm_report_options *options);

/**
 * The page of agm_history_report_html written straight to the file at `path`, atomically, as
 * agm_history_export_to_file writes (temporary file beside it, fsync, rename; nothing
 * half-written is ever left, and `path` is untouched on failure).
 * @param[out] bytes  Optional (NULL): the size of the file written.
 * @return AGM_OK; AGM_E_IO (naming `path` and the reason; or the progress callback stopped the
 *   read); as agm_history_report_html; AGM_E_INVALID_ARGUMENT (path NULL or empty).
 * @threadsafety any; reads on one handle run one at a time. @since 0.2
 */
AGM_API agm_status agm_history_report_html_to_file(uint64_t *bytes, agm_history *history,
                                                   const agm_report_options *options,
                                                   const char *path);

/* ===== Section: The get_metrics agent tool ===== */

/*
 * Seed 001's agent tool, JSON in and JSON out, so that every binding hands a model the same
 * definition and gets the same answers: an agent calls get_metrics(action=…) to learn what it
 * has spent and where its time went. The definition (agm_metrics_tool_schema) is
 * {"name":"get_metrics","description":…,"parameters":{JSON schema}}: "parameters" is OpenAI's
 * function "parameters", Anthropic's "input_schema", the AI SDK's and Mastra's input schema.
 * Arguments (a JSON object; null stands for an absent member):
 * - action (required): "summary" (AGM_QUERY_SUMMARY), "costs" (AGM_QUERY_COST_BREAKDOWN),
 *   "tools" (AGM_QUERY_TOOLS), "session" (the current session's live figures, or
 *   AGM_QUERY_SESSION of another), "slow" (AGM_QUERY_SLOW), "errors" (AGM_QUERY_ERRORS);
 * - period: "hour", "day", "week", "month" (30 days) ending now, or "all" (default);
 * - group_by (costs): "model" (default), "provider", "agent", "phase", "task", "session", "day";
 * - tool_name (tools): one tool only; session_id (session): default the current session;
 * - threshold_ms (slow): a number >= 0, default 5000 (0: every operation);
 * - limit (summary, slow, errors): an integer from 1 to 100, default 10.
 * Members an action does not use are validated and ignored.
 * Result: {"action":…,"period":…, then the members of the query's document (README, "History
 * queries")}; for the current session {"action":"session","period":…,"session":{session_id,
 * agent, phase, task when set, then the tags},"totals":{agm_totals' fields by name: counts,
 * token sums and rates or null when absent, "cost" {input, cache_read, cache_write_5m,
 * cache_write_1h, output, reasoning, total} or null, saturated, folded_calls},
 * "model_call_durations":{agm_duration_stats' fields by name, null when absent},"turn":
 * agm_session_format_turn's line or null}.
 */
#define AGM_METRICS_TOOL_HAS_NOW (1u << 0) /* now_ns is set */
/* A failure the model should read (invalid arguments, no such session, no store, a store that
 * cannot be read) is returned as AGM_OK with {"action": the action sent or null, "error":
 * message}, the message being the one agm_last_error_message() would give. */
#define AGM_METRICS_TOOL_ERROR_RESULT (1u << 1)

typedef struct agm_metrics_tool_context {
  uint32_t struct_size;
  uint32_t reserved0;
  uint64_t flags;             /* AGM_METRICS_TOOL_* */
  int64_t now_ns;             /* with AGM_METRICS_TOOL_HAS_NOW: the end of "period" (wall clock
                                 ns); else now on the wall clock (the recorder's, for
                                 agm_recorder_metrics_tool) */
  const agm_session *session; /* the caller's current session, borrowed for the call: "session"
                                 without session_id (or with its id) reports it live. NULL: none
                                 (session_id is then required) */
} agm_metrics_tool_context;
#define AGM_METRICS_TOOL_CONTEXT_SIZE_V0 32u
#define AGM_METRICS_TOOL_CONTEXT_INIT {(uint32_t)sizeof(agm_metrics_tool_context), 0u, 0u, 0, NULL}

/**
 * The tool's definition: {"name":"get_metrics","description":…,"parameters":…}.
 * @param[out] out  Receives the JSON (see agm_buffer); the same bytes on every call.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL); AGM_E_OUT_OF_MEMORY.
 * @threadsafety any. @since 0.2
 */
AGM_API agm_status agm_metrics_tool_schema(agm_buffer *out);

/**
 * Run one call of the tool over a store: validate the model's arguments against the
 * definition, run the action's query and return the result document (see above).
 * @param[out] out      Receives the result JSON (see agm_buffer).
 * @param[in]  args_json  The arguments, `args_size` bytes of JSON (need not be
 *                        NUL-terminated); borrowed.
 * @param[in]  context  Borrowed; NULL: no current session, now on the wall clock, failures as
 *                      statuses.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL history or out; a bad context; arguments that
 *   are not a JSON object, an unknown member, a member of the wrong type or out of its range
 *   or enum, no action, "session" without session_id outside a session: the message names
 *   the member); as agm_history_query (AGM_E_NOT_FOUND: no record of session_id). With
 *   AGM_METRICS_TOOL_ERROR_RESULT those but a bad handle, out or context come back as AGM_OK
 *   and an error document.
 * @threadsafety any; reads on one handle run one at a time; the context's session must stay
 *   alive during the call. @since 0.2
 */
AGM_API agm_status agm_history_metrics_tool(agm_buffer *out, agm_history *history,
                                            const char *args_json, size_t args_size,
                                            const agm_metrics_tool_context *context);

/**
 * As agm_history_metrics_tool over the recorder's own open store (as agm_recorder_query:
 * flushed first, so it sees every record made before the call). "session" for the current
 * session needs no store.
 * @return as agm_history_metrics_tool; AGM_E_STATE (no store is open; the message says how to
 *   keep one). @threadsafety any. @since 0.2
 */
AGM_API agm_status agm_recorder_metrics_tool(agm_buffer *out, agm_recorder *rec,
                                             const char *args_json, size_t args_size,
                                             const agm_metrics_tool_context *context);

/* ===== Section: Following a store ===== */

/*
 * `tail -f` for stores: each poll returns the records appended since the last one. A journal
 * file is read up to its last complete line (a line being written is returned by a later poll);
 * a folder also picks up new files; a database returns rows by insertion. A journal that
 * shrinks (replaced) is read again from its start.
 */
typedef struct agm_follow agm_follow;
#define AGM_FOLLOW_FROM_START (1u << 0) /* the first poll returns every record already stored */

/**
 * Start following the store at `path` (which must exist). Without AGM_FOLLOW_FROM_START only
 * records appended after this call are returned.
 * @return AGM_OK; AGM_E_NOT_FOUND; AGM_E_INVALID_ARGUMENT; AGM_E_CORRUPT, AGM_E_UNSUPPORTED (a
 *   database this library cannot read). @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_follow_open(agm_follow **out, const char *path, uint32_t flags);
/** Free a follow handle; NULL is a no-op. @threadsafety exclusive. @since 0.1 */
AGM_API void agm_follow_free(agm_follow *follow);

/**
 * Never blocks waiting for records: `out` receives the new records as JSON lines (one
 * AGM_EXPORT_JSON row object per line, "" when there are none) and `count` their number. One
 * poll reads at most about 1 MiB of journal or 20,000 database rows, so memory stays bounded:
 * poll until `count` is 0 to catch up with a large store. Malformed lines are skipped (a poll
 * that finds only malformed lines reads on, so a `count` of 0 means caught up; since 0.2).
 * @return AGM_OK; AGM_E_IO; AGM_E_NOT_FOUND (the store was removed). @threadsafety exclusive
 *   (one poll at a time per handle). @since 0.1
 */
AGM_API agm_status agm_follow_poll(agm_buffer *out, uint64_t *count, agm_follow *follow);

/**
 * The journal lines and database rows the polls so far skipped as malformed, as
 * agm_load_report counts them (a torn or corrupt line, a record of an unknown schema version,
 * a line longer than AGM_JOURNAL_MAX_LINE; since 0.2 also a database row that cannot be
 * loaded). A line still being written is not counted: it waits for its newline.
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT (NULL). @threadsafety exclusive (not during a poll
 *   on the same handle). @since 0.1
 */
AGM_API agm_status agm_follow_malformed(uint64_t *count, const agm_follow *follow);

/* ===== Section: Price table listing ===== */

/**
 * The price table as a JSON array of entries (agm_recorder_price_json's shape, "model" being
 * the table key), sorted by key; with `filter`, only keys containing it (ASCII
 * case-insensitive).
 * @return AGM_OK; AGM_E_INVALID_ARGUMENT. @threadsafety any. @since 0.1
 */
AGM_API agm_status agm_recorder_prices(agm_buffer *out, const agm_recorder *rec,
                                       const char *filter);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AGENTMETRICS_METRICS_C_H */
