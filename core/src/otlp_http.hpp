// OTLP/HTTP push of an OTLP/JSON body (agm_history_push_otlp), through libcurl when the
// library is built with it.
#pragma once
#include <cstdint>
#include <string>

#include "export.hpp"

namespace agentmetrics {

struct OtlpTarget {
  std::string endpoint;  // "/v1/metrics" appended unless the path already ends with it
  KeyValues headers;
  uint32_t timeout_ms = 10'000;  // per attempt
  uint32_t max_attempts = 5;     // the first included
  uint32_t retry_delay_ms = 1'000;
};

// The URL the request goes to.
std::string otlp_metrics_url(const std::string &endpoint);

// POSTs `body` (application/json); returns the response body of a 2xx reply. Retries what
// the OTLP specification calls transient (429, 502, 503, 504, a failed connection or a
// timeout) with exponential backoff, or after the receiver's Retry-After. IoError for the last
// failure (with the start of the body and the attempts); Unsupported without libcurl.
std::string post_otlp(const OtlpTarget &target, const std::string &body);

}  // namespace agentmetrics
