// The HTTP client of the agentmetrics program's push (`export --endpoint`): libcurl, linked into
// that program only. It performs each exchange the core asks for (agm_http_send_fn) and only
// reports what libcurl saw; the core decides what is retried.
#pragma once
#include <agentmetrics/metrics_c.h>

#include <memory>

namespace agmcli {

class CurlClient {
 public:
  // Initialises libcurl for the process: make one, in main(), before any other thread starts.
  CurlClient();
  ~CurlClient();
  CurlClient(const CurlClient &) = delete;
  CurlClient &operator=(const CurlClient &) = delete;

  // agm_http_send_fn; `user` is the CurlClient. The strings it puts in `response` live until
  // its next call. One exchange at a time per client.
  static int32_t send(void *user, const agm_http_request *request, agm_http_response *response);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace agmcli
