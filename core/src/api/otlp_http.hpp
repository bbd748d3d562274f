// OTLP/HTTP push of an OTLP/JSON body (agm_history_push_otlp): the request, which outcomes are
// retried and how long to wait. The HTTP exchange itself is the host's (agm_http_send_fn): the
// library has no network code.
#pragma once
#include <agentmetrics/metrics_c.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "export.hpp"

namespace agentmetrics {

struct OtlpTarget {
  std::string endpoint;  // "/v1/metrics" appended unless the path already ends with it
  KeyValues headers;
  uint32_t timeout_ms = 10'000;  // per attempt
  uint32_t max_attempts = 5;     // the first included
  uint32_t retry_delay_ms = 1'000;
  agm_http_send_fn send = nullptr;  // required
  void *send_user = nullptr;
  // What a test replaces: the wait between attempts (empty: std::this_thread::sleep_for), the
  // wall clock in Unix seconds an HTTP-date Retry-After counts from (empty: the system clock),
  // and the jitter factor of a backoff, in [0.8, 1.2] (empty: random).
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<int64_t()> now_s;
  std::function<double()> jitter;
};

// The longest wait between two attempts, whatever the backoff or the receiver asks.
inline constexpr std::chrono::milliseconds kMaxRetryWait{30'000};

// The URL the request goes to.
std::string otlp_metrics_url(const std::string &endpoint);

// Throws InvalidArgument unless `target` can be pushed: a sender, an http:// or https:// URL,
// headers without line breaks (nor a colon in a name, nor NUL).
void check_otlp_target(const OtlpTarget &target);

// The seconds a Retry-After value asks to wait: delta-seconds, or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime form, RFC 9110 section 5.6.7) minus `now_s`, which may be 0 or negative
// for a date that is not in the future. nullopt for a value that is neither.
std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now_s);

// What the OTLP specification calls a transient failure, worth another attempt: 429, 502, 503
// or 504, a failed connection or a timeout.
bool transient_outcome(uint32_t outcome, int32_t status);

// The wait before retry number `retry` (1, 2, ...): what the receiver's Retry-After asks
// (`retry_after_s`, when positive), else `first_delay_ms` doubled per retry times `jitter`;
// never more than kMaxRetryWait.
std::chrono::milliseconds retry_wait(std::optional<int64_t> retry_after_s, uint32_t first_delay_ms,
                                     uint32_t retry, double jitter);

// POSTs `body` through target.send until an attempt succeeds (returns the response body of the
// 2xx reply), fails for good or max_attempts are spent (IoError with the status and the start of
// the body, or the sender's error, and the attempts). InvalidArgument for a target
// check_otlp_target rejects and for a response no HTTP client can have given.
std::string post_otlp(const OtlpTarget &target, std::string_view body);

}  // namespace agentmetrics
