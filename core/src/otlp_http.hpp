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
  uint32_t timeout_ms = 10'000;
};

// The URL the request goes to.
std::string otlp_metrics_url(const std::string &endpoint);

// POSTs `body` (application/json); returns the response body of a 2xx reply. IoError for a
// failed connection, a timeout or another status (with the start of the body); Unsupported
// without libcurl.
std::string post_otlp(const OtlpTarget &target, const std::string &body);

}  // namespace agentmetrics
