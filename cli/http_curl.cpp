#include "http_curl.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace agmcli {

struct CurlClient::State {
  CURL *curl = nullptr;  // kept between exchanges: a retry may reuse the connection
  std::string body, retry_after, error;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

namespace {

struct SlistDeleter {
  void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};

constexpr size_t kMaxReply = 1 << 20;  // a receiver's reply is small; do not hoard a huge one

size_t collect(char *data, size_t size, size_t n, void *user) {
  auto *out = static_cast<std::string *>(user);
  if (out->size() < kMaxReply) out->append(data, std::min(size * n, kMaxReply - out->size()));
  return size * n;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? a + 32 : a) == (b >= 'A' && b <= 'Z' ? b + 32 : b);
         });
}

// Keeps the Retry-After value of the last response (an interim "100 Continue" has its own).
size_t header_line(char *data, size_t size, size_t n, void *user) {
  auto *retry_after = static_cast<std::string *>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) retry_after->clear();
  static constexpr std::string_view kName = "retry-after:";
  if (starts_with_nocase(line, kName)) {
    line.remove_prefix(kName.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
      line.remove_suffix(1);
    retry_after->assign(line);
  }
  return size * n;
}

// What libcurl's failure is, in the core's terms.
uint32_t outcome_of(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING: return AGM_HTTP_CONNECT_FAILED;
    case CURLE_OPERATION_TIMEDOUT: return AGM_HTTP_TIMED_OUT;
    default: return AGM_HTTP_FAILED;
  }
}

}  // namespace

CurlClient::CurlClient() : state_(std::make_unique<State>()) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

CurlClient::~CurlClient() {
  if (state_->curl) curl_easy_cleanup(state_->curl);
  curl_global_cleanup();
}

int32_t CurlClient::send(void *user, const agm_http_request *request, agm_http_response *response) {
  State &s = *static_cast<CurlClient *>(user)->state_;
  s.body.clear();
  s.retry_after.clear();
  s.error.clear();
  s.error_buffer[0] = '\0';
  auto failed = [&](std::string message) {
    s.error = std::move(message);
    response->outcome = AGM_HTTP_FAILED;
    response->error = s.error.c_str();
    return 0;
  };
  if (s.curl) {
    curl_easy_reset(s.curl);
  } else if (!(s.curl = curl_easy_init())) {
    return failed("cannot start libcurl");
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (size_t i = 0; i < request->header_count; ++i) {
    const std::string line = std::string(request->headers[i].name) + ": " + request->headers[i].value;
    curl_slist *next = curl_slist_append(headers.get(), line.c_str());
    if (!next) return failed("out of memory");
    (void)headers.release();
    headers.reset(next);
  }
  CURL *c = s.curl;
  const bool set =
      curl_easy_setopt(c, CURLOPT_URL, request->url) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request->body) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request->body_size)) ==
          CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request->timeout_ms)) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &s.body) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &s.retry_after) == CURLE_OK &&
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s.error_buffer) == CURLE_OK;
  if (!set) return failed("libcurl rejected the request's options");
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);  // the list is freed below
  if (rc != CURLE_OK) {
    s.error = s.error_buffer[0] ? s.error_buffer : curl_easy_strerror(rc);
    response->outcome = outcome_of(rc);
    response->error = s.error.c_str();
    return 0;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response->outcome = AGM_HTTP_RESPONDED;
  response->status = static_cast<int32_t>(status);
  response->retry_after = s.retry_after.empty() ? nullptr : s.retry_after.c_str();
  response->body = s.body.data();
  response->body_size = s.body.size();
  return 0;
}

}  // namespace agmcli
