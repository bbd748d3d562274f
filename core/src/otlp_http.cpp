#include "otlp_http.hpp"

#include "errors.hpp"

#ifdef AGM_HAVE_CURL
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#endif

namespace agentmetrics {

std::string otlp_metrics_url(const std::string &endpoint) {
  static constexpr std::string_view kPath = "/v1/metrics";
  std::string url = endpoint;
  const size_t query = url.find_first_of("?#");
  const std::string_view base = std::string_view(url).substr(0, query);
  if (base.size() >= kPath.size() && base.substr(base.size() - kPath.size()) == kPath) return url;
  std::string head(base);
  while (!head.empty() && head.back() == '/') head.pop_back();
  return head + std::string(kPath) + (query == std::string::npos ? "" : url.substr(query));
}

#ifndef AGM_HAVE_CURL

std::string post_otlp(const OtlpTarget &, const std::string &) {
  throw Unsupported("this build of agentmetrics has no OTLP/HTTP push (it was built without libcurl)");
}

#else

namespace {

struct CurlDeleter {
  void operator()(CURL *c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};

size_t collect(char *data, size_t size, size_t n, void *user) {
  auto *out = static_cast<std::string *>(user);
  constexpr size_t kMaxReply = 1 << 20;  // a receiver's reply is small; do not hoard a huge one
  if (out->size() < kMaxReply) out->append(data, std::min(size * n, kMaxReply - out->size()));
  return size * n;
}

void check(CURLcode rc, const char *what) {
  if (rc != CURLE_OK) throw IoError(std::string("OTLP push: ") + what + ": " + curl_easy_strerror(rc));
}

constexpr std::chrono::milliseconds kMaxRetryWait{30'000};

// What the OTLP/HTTP specification calls a transient failure, worth another attempt.
bool transient(CURLcode rc, long status) {
  switch (rc) {
    case CURLE_OK: return status == 429 || status == 502 || status == 503 || status == 504;
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: return true;
    default: return false;
  }
}

// The wait before retry number `retry` (1, 2, ...): what the receiver's Retry-After asks
// (curl reports 0 for none), else the first delay doubled per retry, with jitter so that many
// clients refused at once do not all come back at once; never more than kMaxRetryWait.
std::chrono::milliseconds retry_wait(CURL *c, uint32_t first_delay_ms, uint32_t retry) {
  curl_off_t after = 0;
  if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0) {
    const auto cap = std::chrono::duration_cast<std::chrono::seconds>(kMaxRetryWait).count();
    return std::chrono::seconds(std::min<curl_off_t>(after, cap));
  }
  const uint64_t doubled = uint64_t{first_delay_ms} << std::min(retry - 1, 16u);
  thread_local std::minstd_rand jitter{std::random_device{}()};
  const double factor = std::uniform_real_distribution<double>(0.8, 1.2)(jitter);
  const auto wait = std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(doubled) * factor));
  return std::min(wait, kMaxRetryWait);
}

}  // namespace

std::string post_otlp(const OtlpTarget &target, const std::string &body) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string url = otlp_metrics_url(target.endpoint);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw InvalidArgument("OTLP endpoint must be an http:// or https:// URL, not \"" + target.endpoint +
                          "\"");
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw IoError("OTLP push: cannot start libcurl");
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string &line) {
    curl_slist *next = curl_slist_append(headers.get(), line.c_str());
    if (!next) throw std::bad_alloc();
    (void)headers.release();
    headers.reset(next);
  };
  add_header("Content-Type: application/json");
  for (const auto &[key, value] : target.headers) {
    if (key.find_first_of(":\r\n") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      throw InvalidArgument("OTLP header \"" + key + "\" contains a colon or a line break");
    }
    add_header(key + ": " + value);
  }
  std::string reply;
  CURL *c = curl.get();
  check(curl_easy_setopt(c, CURLOPT_URL, url.c_str()), "bad URL");
  check(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()), "headers");
  check(curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data()), "body");
  check(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size())), "body");
  check(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(target.timeout_ms)), "timeout");
  check(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), "signals");
  check(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols");
  check(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect), "reply");
  check(curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply), "reply");
  const uint32_t attempts = std::max(target.max_attempts, 1u);
  for (uint32_t attempt = 1;; ++attempt) {
    reply.clear();
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status >= 200 && status <= 299) return reply;
    if (attempt < attempts && transient(rc, status)) {
      std::this_thread::sleep_for(retry_wait(c, target.retry_delay_ms, attempt));
      continue;
    }
    std::string why = rc != CURLE_OK ? curl_easy_strerror(rc)
                                     : "HTTP " + std::to_string(status) +
                                           (reply.empty() ? "" : ": " + reply.substr(0, 200));
    if (attempt > 1) why += " (attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) + ")";
    throw IoError("OTLP push to " + url + " failed: " + why);
  }
}

#endif

}  // namespace agentmetrics
