// An HTTP sender for the OTLP push tests (agm_http_send_fn): it answers each exchange with the
// next scripted reply, without a network, and keeps the requests the core asked for.
#pragma once
#include <agentmetrics/metrics_c.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace push_test {

struct Reply {
  uint32_t outcome = AGM_HTTP_RESPONDED;
  int32_t status = 200;
  std::string body;
  std::optional<std::string> retry_after;
  std::optional<std::string> error;
  int32_t result = 0;      // what the sender returns: non-zero aborts the push
  bool null_body = false;  // body NULL with body's size: a broken sender
};

inline Reply status(int32_t code, std::string body = "", std::optional<std::string> retry_after = {}) {
  Reply r;
  r.status = code;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

inline Reply outcome(uint32_t kind, std::optional<std::string> error = {}) {
  Reply r;
  r.outcome = kind;
  r.status = 0;
  r.error = std::move(error);
  return r;
}

struct Request {
  uint32_t struct_size = 0;
  uint32_t timeout_ms = 0;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class ScriptedSender {
 public:
  explicit ScriptedSender(std::vector<Reply> replies) : replies_(std::move(replies)) {}

  // Options for agm_history_push_otlp that send through this sender.
  agm_otlp_options options(const char *endpoint = "http://collector.invalid:4318") {
    agm_otlp_options o = AGM_OTLP_OPTIONS_INIT;
    o.endpoint = endpoint;
    o.send = &ScriptedSender::send;
    o.send_user = this;
    return o;
  }

  const std::vector<Request> &requests() const { return requests_; }

  static int32_t send(void *user, const agm_http_request *request, agm_http_response *response) {
    auto *self = static_cast<ScriptedSender *>(user);
    Request seen;
    seen.struct_size = request->struct_size;
    seen.timeout_ms = request->timeout_ms;
    seen.url = request->url;
    for (size_t i = 0; i < request->header_count; ++i)
      seen.headers.emplace_back(request->headers[i].name, request->headers[i].value);
    seen.body.assign(request->body, request->body_size);
    self->requests_.push_back(std::move(seen));
    // Past the script: a 500, so that an unexpected extra attempt shows.
    self->current_ =
        self->next_ < self->replies_.size() ? self->replies_[self->next_++] : status(500, "unscripted");
    const Reply &r = self->current_;
    response->outcome = r.outcome;
    response->status = r.status;
    response->retry_after = r.retry_after ? r.retry_after->c_str() : nullptr;
    response->body = r.null_body ? nullptr : r.body.data();
    response->body_size = r.body.size();
    response->error = r.error ? r.error->c_str() : nullptr;
    return r.result;
  }

 private:
  std::vector<Reply> replies_;
  size_t next_ = 0;
  Reply current_;  // the strings of the last response live here until the next call
  std::vector<Request> requests_;
};

}  // namespace push_test
