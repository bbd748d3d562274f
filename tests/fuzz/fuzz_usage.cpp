// libFuzzer harness: the usage normalisers of every AGM_FORMAT_* through the public C ABI,
// one payload at a time (agm_usage_from_json) and as a stream of events (agm_usage_stream_*).
//
// Input layout (tests/fuzz/make_corpus.py writes seeds in it):
//   byte 0   format: AGM_FORMAT_* = 1 + byte % 9
//   byte 1   bit 0 AGM_USAGE_CTX_ADK_PARTIAL; bits 1-3: a provider, model_version and
//            stream_event line follow; bit 4: stream mode
//   lines    the context strings that bit 1-3 announce, each ended by '\n'
//   rest     the payload JSON; in stream mode, one event per line
// Checked: no crash or sanitizer report; every error has a message; a usage returned with
// AGM_OK keeps the header's promises (counts in [0, 2^53 - 1], total derived only from input
// and output, the 1-hour cache writes within the cache writes).
#include <agentmetrics/metrics_c.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"

namespace {

constexpr int64_t kMaxCount = (int64_t{1} << 53) - 1;

void check_usage(const agm_usage &u) {
  const std::pair<uint64_t, int64_t> counts[] = {
      {AGM_USAGE_HAS_INPUT, u.input_tokens},
      {AGM_USAGE_HAS_CACHE_READ, u.cache_read_tokens},
      {AGM_USAGE_HAS_CACHE_WRITE, u.cache_write_tokens},
      {AGM_USAGE_HAS_CACHE_WRITE_1H, u.cache_write_1h_tokens},
      {AGM_USAGE_HAS_OUTPUT, u.output_tokens},
      {AGM_USAGE_HAS_REASONING, u.reasoning_tokens},
  };
  for (const auto &[bit, v] : counts) {
    if (u.present & bit)
      FUZZ_CHECK(v >= 0 && v <= kMaxCount, "count %lld of bit %llu", (long long)v, (unsigned long long)bit);
  }
  const uint64_t known = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_CACHE_WRITE |
                         AGM_USAGE_HAS_CACHE_WRITE_1H | AGM_USAGE_HAS_OUTPUT | AGM_USAGE_HAS_REASONING |
                         AGM_USAGE_HAS_TOTAL;
  FUZZ_CHECK((u.present & ~known) == 0, "present 0x%llx", (unsigned long long)u.present);
  if (u.present & AGM_USAGE_HAS_TOTAL) {
    FUZZ_CHECK((u.present & AGM_USAGE_HAS_INPUT) && (u.present & AGM_USAGE_HAS_OUTPUT),
               "total without input and output");
    const int64_t sum = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens + u.output_tokens;
    FUZZ_CHECK(u.total_tokens == sum, "total %lld, parts %lld", (long long)u.total_tokens, (long long)sum);
  } else {
    FUZZ_CHECK(!((u.present & AGM_USAGE_HAS_INPUT) && (u.present & AGM_USAGE_HAS_OUTPUT)),
               "input and output without a total");
  }
  if ((u.present & AGM_USAGE_HAS_CACHE_WRITE_1H) != 0) {
    FUZZ_CHECK((u.present & AGM_USAGE_HAS_CACHE_WRITE) && u.cache_write_1h_tokens <= u.cache_write_tokens,
               "1-hour cache writes %lld over cache writes %lld", (long long)u.cache_write_1h_tokens,
               (long long)u.cache_write_tokens);
  }
}

void check_error(agm_status status) {
  const char *message = agm_last_error_message();
  FUZZ_CHECK(message != nullptr && *message != '\0', "status %s without a message", agm_status_name(status));
}

// The next line of `rest` (without its '\n'); false when there is none.
bool take_line(std::string_view &rest, std::string &line) {
  const size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) return false;
  line.assign(rest.substr(0, nl));
  rest.remove_prefix(nl + 1);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  const int32_t format = 1 + data[0] % 9;
  const uint8_t flags = data[1];
  std::string_view rest(reinterpret_cast<const char *>(data) + 2, size - 2);
  std::string provider, version, event;
  agm_usage_context ctx = AGM_USAGE_CONTEXT_INIT;
  ctx.flags = (flags & 1) ? AGM_USAGE_CTX_ADK_PARTIAL : 0;
  if ((flags & 2) && !take_line(rest, provider)) return 0;
  if ((flags & 4) && !take_line(rest, version)) return 0;
  if ((flags & 8) && !take_line(rest, event)) return 0;
  ctx.provider = (flags & 2) ? provider.c_str() : nullptr;
  ctx.model_version = (flags & 4) ? version.c_str() : nullptr;
  ctx.stream_event = (flags & 8) ? event.c_str() : nullptr;

  if (!(flags & 16)) {
    // The payload as its own allocation, so reading past its end is an ASan report.
    std::string payload(rest);
    agm_usage u = AGM_USAGE_INIT;
    const agm_status status = agm_usage_from_json(&u, format, payload.data(), payload.size(), &ctx);
    if (status == AGM_OK) {
      check_usage(u);
    } else {
      FUZZ_CHECK(status == AGM_E_INVALID_ARGUMENT, "status %s", agm_status_name(status));
      check_error(status);
    }
    return 0;
  }

  agm_usage_stream *stream = nullptr;
  const agm_status opened = agm_usage_stream_new(&stream, format, &ctx);
  if (opened != AGM_OK) {
    FUZZ_CHECK(stream == nullptr, "a handle with status %s", agm_status_name(opened));
    // A context string that is not UTF-8 is refused; only formats without streams are
    // unsupported.
    FUZZ_CHECK(
        opened == AGM_E_INVALID_ARGUMENT || (opened == AGM_E_UNSUPPORTED && format > AGM_FORMAT_BEDROCK),
        "status %s for format %d: %s", agm_status_name(opened), format, agm_last_error_message());
    check_error(opened);
    return 0;
  }
  std::string line;
  for (;;) {
    const bool whole = take_line(rest, line);
    if (!whole) line.assign(rest);
    agm_usage before = AGM_USAGE_INIT, after = AGM_USAGE_INIT;
    FUZZ_CHECK(agm_usage_stream_result(stream, &before) == AGM_OK, "result");
    const agm_status status = agm_usage_stream_add(stream, line.data(), line.size());
    FUZZ_CHECK(agm_usage_stream_result(stream, &after) == AGM_OK, "result");
    check_usage(after);
    if (status != AGM_OK) {
      check_error(status);
      FUZZ_CHECK(std::memcmp(&before, &after, sizeof before) == 0, "a rejected event changed the stream");
    }
    if (!whole) break;
  }
  agm_usage_stream_free(stream);
  return 0;
}
