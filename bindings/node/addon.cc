// agentmetrics Node addon: one thin N-API layer (node-addon-api) over metrics_c.h.
//
// Everything computed (normalisation, pricing, aggregates, formatting) happens in the core; this
// file converts arguments and results and turns statuses into exceptions. lib/index.js holds the
// idioms (option objects, string enums, dispose, promises) and passes the record calls' numbers
// through two shared typed arrays (`numbers`, `instants`), so that a record is one native call
// with a few string arguments.
//
// Threads: everything runs on the JS thread except the *Async methods, whose work runs on the
// libuv pool, and the two calls that send HTTP requests through JavaScript's fetch (the OTLP push
// and the command line, cliMain), which run on a thread of their own (HostCall). A handle used
// by pending async work is freed only when the last of it completes.

#include <agentmetrics/metrics_c.h>
#include <napi.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli.hpp"

namespace {

// Slots of the shared typed arrays, written by lib/index.js before a record call.
enum NumberSlot : int {
  kUsagePresent,  // AGM_USAGE_HAS_* bits
  kInputTokens,   // the seven usage counts, in agm_usage order
  kCacheReadTokens,
  kCacheWriteTokens,
  kCacheWrite1hTokens,
  kOutputTokens,
  kReasoningTokens,
  kTotalTokens,
  kCallPresent,  // AGM_CALL_HAS_* / AGM_CALL_F_* bits
  kDurationNs,
  kTtftNs,
  kAttempt,
  kInputBytes,
  kOutputBytes,
  kNumberSlots
};
enum InstantSlot : int { kStartNs, kEndNs, kInstantSlots };

struct AddonData {
  Napi::FunctionReference error_class;  // AgentMetricsError from lib/index.js
  Napi::Reference<Napi::Float64Array> numbers_ref;
  Napi::Reference<Napi::BigInt64Array> instants_ref;
  double *numbers = nullptr;
  int64_t *instants = nullptr;
  // An exception thrown by a JS callback the core called (a clock, an observer, a budget
  // callback): it cannot cross the C boundary, so it is thrown when the native call returns.
  std::optional<Napi::Error> pending;
};

AddonData &data(Napi::Env env) {
  return *env.GetInstanceData<AddonData>();
}

// ---- Errors ----

// Invalid arguments are RangeErrors (the JS layer has already checked the types); every other
// failure is an AgentMetricsError with `status` (the C status name).
// The message of the failure that just happened on this thread.
std::string failure_message() {
  return agm_last_error_message();
}

[[noreturn]] void throw_status(Napi::Env env, agm_status status) {
  const std::string message = failure_message();
  if (status == AGM_E_INVALID_ARGUMENT) throw Napi::RangeError::New(env, message);
  Napi::Object error = data(env).error_class.New({Napi::String::New(env, message)});
  error.Set("status", agm_status_name(status));
  throw Napi::Error(env, error);
}

void throw_pending(Napi::Env env) {
  AddonData &d = data(env);
  if (d.pending) {
    Napi::Error error = std::move(*d.pending);
    d.pending.reset();
    throw error;
  }
}

// A closed handle: an AgentMetricsError with status AGM_E_STATE.
[[noreturn]] void throw_closed(Napi::Env env, const char *what) {
  Napi::Object error =
      data(env).error_class.New({Napi::String::New(env, std::string("operation on a closed ") + what)});
  error.Set("status", agm_status_name(AGM_E_STATE));
  throw Napi::Error(env, error);
}

// After a core call: throw a callback's exception, then the status's.
agm_status check(Napi::Env env, agm_status status) {
  throw_pending(env);
  if (AGM_FAILED(status)) throw_status(env, status);
  return status;
}

// ---- Arguments ----

// A string argument, or none for undefined/null (JS has checked the type). Short strings are
// copied into a buffer on the stack: one N-API call, no allocation.
struct Str {
  char small[160];
  std::string big;
  const char *ptr = nullptr;
  bool given = false;
  Str(const Napi::Value &v) {
    if (!v.IsString()) return;
    given = true;
    size_t size = 0;
    napi_status st = napi_get_value_string_utf8(v.Env(), v, small, sizeof small, &size);
    if (st != napi_ok) throw Napi::Error::New(v.Env());
    if (size + 1 < sizeof small) {
      ptr = small;
    } else {  // perhaps cut short: the two-step copy
      big = v.As<Napi::String>().Utf8Value();
      ptr = big.c_str();
      size = big.size();
    }
    if (std::strlen(ptr) != size)
      throw Napi::RangeError::New(v.Env(), "a string argument contains a NUL character");
  }
  Str(const Str &) = delete;
  const char *get() const { return ptr; }
};

int64_t int_arg(const Napi::Value &v) {
  if (v.IsBigInt()) {
    bool lossless = false;
    const int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(v.Env(), "a time is out of the int64 range");
    return x;
  }
  return static_cast<int64_t>(v.As<Napi::Number>().Int64Value());
}

Napi::Value bigint(Napi::Env env, int64_t v) {
  return Napi::BigInt::New(env, v);
}
Napi::Value opt_number(Napi::Env env, bool has, double v) {
  return has ? Napi::Number::New(env, v) : env.Null();
}
Napi::Value ms(Napi::Env env, int64_t ns) {
  return Napi::Number::New(env, double(ns) / 1e6);
}

std::string money_string(Napi::Env env, const agm_money &m) {
  agm_buffer b = AGM_BUFFER_INIT;
  const agm_status status = agm_money_to_decimal(&b, &m);
  if (AGM_FAILED(status)) throw_status(env, status);
  std::string s(b.data, b.size);
  agm_buffer_free(&b);
  return s;
}

struct Buffer {
  agm_buffer b = AGM_BUFFER_INIT;
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  ~Buffer() { agm_buffer_free(&b); }
  Napi::String str(Napi::Env env) const { return Napi::String::New(env, b.data ? b.data : "", b.size); }
};

// The counts of agm_usage: member, presence bit, JS name; in the order of the shared slots.
struct UsageField {
  int64_t agm_usage::*member;
  uint64_t bit;
  const char *name;
};
constexpr UsageField kUsageFields[] = {
    {&agm_usage::input_tokens, AGM_USAGE_HAS_INPUT, "inputTokens"},
    {&agm_usage::cache_read_tokens, AGM_USAGE_HAS_CACHE_READ, "cacheReadTokens"},
    {&agm_usage::cache_write_tokens, AGM_USAGE_HAS_CACHE_WRITE, "cacheWriteTokens"},
    {&agm_usage::cache_write_1h_tokens, AGM_USAGE_HAS_CACHE_WRITE_1H, "cacheWrite1hTokens"},
    {&agm_usage::output_tokens, AGM_USAGE_HAS_OUTPUT, "outputTokens"},
    {&agm_usage::reasoning_tokens, AGM_USAGE_HAS_REASONING, "reasoningTokens"},
    {&agm_usage::total_tokens, AGM_USAGE_HAS_TOTAL, "totalTokens"},
};

agm_usage usage_from_numbers(const double *n) {
  agm_usage u = AGM_USAGE_INIT;
  u.present = static_cast<uint64_t>(n[kUsagePresent]);
  for (int i = 0; i < 7; ++i) {
    const double v = n[kInputTokens + i];
    // Counts are integers in [0, 2^53); anything else is passed as -1, which the core rejects.
    u.*kUsageFields[i].member = (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
                                    ? static_cast<int64_t>(v)
                                    : -1;
  }
  return u;
}

// ---- Results ----

Napi::Object usage_object(Napi::Env env, const agm_usage &u) {
  Napi::Object o = Napi::Object::New(env);
  for (const UsageField &f : kUsageFields)
    o.Set(f.name, opt_number(env, u.present & f.bit, double(u.*f.member)));
  return o;
}

Napi::Value cost_object(Napi::Env env, const agm_cost_items &c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("input", money_string(env, c.input));
  o.Set("cacheRead", money_string(env, c.cache_read));
  o.Set("cacheWrite5m", money_string(env, c.cache_write_5m));
  o.Set("cacheWrite1h", money_string(env, c.cache_write_1h));
  o.Set("output", money_string(env, c.output));
  o.Set("reasoning", money_string(env, c.reasoning));
  o.Set("total", money_string(env, c.total));
  return o;
}

Napi::Object totals_object(Napi::Env env, const agm_totals &t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("modelCalls", double(t.model_calls));
  o.Set("callsWithUsage", double(t.calls_with_usage));
  o.Set("callsMissingUsage", double(t.calls_missing_usage));
  o.Set("callsUnpriced", double(t.calls_unpriced));
  o.Set("modelErrors", double(t.model_errors));
  o.Set("retries", double(t.retries));
  o.Set("toolCalls", double(t.tool_calls));
  o.Set("toolErrors", double(t.tool_errors));
  o.Set("turns", double(t.turns));
  o.Set("foldedCalls", double(t.folded_calls));
  o.Set("inputTokens", opt_number(env, t.present & AGM_USAGE_HAS_INPUT, double(t.input_tokens)));
  o.Set("cacheReadTokens",
        opt_number(env, t.present & AGM_USAGE_HAS_CACHE_READ, double(t.cache_read_tokens)));
  o.Set("cacheWriteTokens",
        opt_number(env, t.present & AGM_USAGE_HAS_CACHE_WRITE, double(t.cache_write_tokens)));
  o.Set("cacheWrite1hTokens",
        opt_number(env, t.present & AGM_USAGE_HAS_CACHE_WRITE_1H, double(t.cache_write_1h_tokens)));
  o.Set("outputTokens", opt_number(env, t.present & AGM_USAGE_HAS_OUTPUT, double(t.output_tokens)));
  o.Set("reasoningTokens", opt_number(env, t.present & AGM_USAGE_HAS_REASONING, double(t.reasoning_tokens)));
  o.Set("totalTokens", opt_number(env, t.present & AGM_USAGE_HAS_TOTAL, double(t.total_tokens)));
  o.Set("toolSuccessRate",
        opt_number(env, t.present & AGM_TOTALS_HAS_TOOL_SUCCESS_RATE, t.tool_success_rate));
  o.Set("modelSuccessRate",
        opt_number(env, t.present & AGM_TOTALS_HAS_MODEL_SUCCESS_RATE, t.model_success_rate));
  o.Set("cost", (t.present & AGM_TOTALS_HAS_COST) ? cost_object(env, t.cost) : env.Null());
  o.Set("saturated", Napi::Boolean::New(env, t.present & AGM_TOTALS_SATURATED));
  return o;
}

Napi::Object durations_object(Napi::Env env, const agm_duration_stats &d) {
  const bool has = d.present & AGM_DURATION_HAS_VALUES;
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", double(d.count));
  o.Set("sumMs", ms(env, d.sum_ns));
  auto v = [&](int64_t ns) { return has ? ms(env, ns) : env.Null(); };
  o.Set("minMs", v(d.min_ns));
  o.Set("maxMs", v(d.max_ns));
  o.Set("meanMs", has ? Napi::Number::New(env, d.mean_ns / 1e6) : env.Null());
  o.Set("p50Ms", v(d.p50_ns));
  o.Set("p90Ms", v(d.p90_ns));
  o.Set("p95Ms", v(d.p95_ns));
  o.Set("p99Ms", v(d.p99_ns));
  return o;
}

constexpr const char *kDurationKinds[] = {"", "model_call", "tool_call", "turn", "ttft"};

// A breakdown as {key: {totals, durations: {kind: stats}, lastError}}; frees `b`.
Napi::Object breakdown_object(Napi::Env env, agm_breakdown *b) {
  std::unique_ptr<agm_breakdown, void (*)(agm_breakdown *)> owner(b, agm_breakdown_free);
  Napi::Object groups = Napi::Object::New(env);
  for (size_t i = 0, n = agm_breakdown_count(b); i < n; ++i) {
    agm_totals t = AGM_TOTALS_INIT;
    check(env, agm_breakdown_totals(&t, b, i));
    Napi::Object durations = Napi::Object::New(env);
    for (int32_t kind = AGM_DURATION_MODEL_CALL; kind <= AGM_DURATION_TTFT; ++kind) {
      agm_duration_stats d = AGM_DURATION_STATS_INIT;
      if (agm_breakdown_durations(&d, b, i, kind) == AGM_OK && d.count > 0)
        durations.Set(kDurationKinds[kind], durations_object(env, d));
    }
    const char *error = agm_breakdown_last_error(b, i);
    Napi::Object group = Napi::Object::New(env);
    group.Set("totals", totals_object(env, t));
    group.Set("durations", durations);
    group.Set("lastError", error ? Napi::Value(Napi::String::New(env, error)) : env.Null());
    groups.Set(agm_breakdown_key(b, i), group);
  }
  return groups;
}

// The same three readings of a recorder and of a session.
template <class H>
Napi::Value totals_of(Napi::Env env, agm_status (*fn)(agm_totals *, const H *), const H *h) {
  agm_totals t = AGM_TOTALS_INIT;
  check(env, fn(&t, h));
  return totals_object(env, t);
}
template <class H>
Napi::Value durations_of(Napi::Env env, agm_status (*fn)(agm_duration_stats *, const H *, int32_t),
                         const H *h, const Napi::Value &kind) {
  agm_duration_stats d = AGM_DURATION_STATS_INIT;
  check(env, fn(&d, h, kind.As<Napi::Number>().Int32Value()));
  return durations_object(env, d);
}
template <class H>
Napi::Value breakdown_of(Napi::Env env, agm_status (*fn)(agm_breakdown **, const H *, int32_t), const H *h,
                         const Napi::Value &by) {
  agm_breakdown *b = nullptr;
  check(env, fn(&b, h, by.As<Napi::Number>().Int32Value()));
  return breakdown_object(env, b);
}

Napi::Value turn_stats_object(Napi::Env env, const agm_turn_stats &t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", double(t.index));
  o.Set("startNs", bigint(env, t.start_ns));
  o.Set("endNs", (t.present & AGM_TURN_HAS_END) ? bigint(env, t.end_ns) : env.Null());
  o.Set("durationMs", ms(env, t.duration_ns));
  o.Set("toolWallMs", ms(env, t.tool_wall_ns));
  o.Set("toolWorkMs", ms(env, t.tool_work_ns));
  o.Set("modelCalls", double(t.model_calls));
  o.Set("toolCalls", double(t.tool_calls));
  o.Set("startWallNs", bigint(env, t.start_wall_ns));
  return o;
}

// ---- Handles kept alive by pending async work ----

template <class Handle, void (*Free)(Handle *)>
struct Guarded {
  Handle *h = nullptr;
  int users = 0;  // pending async work
  bool closing = false;
  void close() {
    if (!h || closing) return;
    if (users > 0) {
      closing = true;  // the last pending work frees it
      return;
    }
    Free(h);
    h = nullptr;
  }
  void release() {
    if (--users == 0 && closing) {
      closing = false;
      Free(h);
      h = nullptr;
    }
  }
  Handle *live(Napi::Env env, const char *what) {
    if (!h || closing) throw_closed(env, what);
    return h;
  }
};

// The error a promise rejects with for a failed status: as throw_status, from a message read on
// the thread that failed.
Napi::Value status_error(Napi::Env env, agm_status status, const std::string &message) {
  Napi::Object error = status == AGM_E_INVALID_ARGUMENT
                           ? Napi::RangeError::New(env, message).Value()
                           : data(env).error_class.New({Napi::String::New(env, message)});
  error.Set("status", agm_status_name(status));
  return error;
}

// Runs `work` on the libuv pool and settles a promise with `done(env)` or the status's error.
template <class G>
class Worker : public Napi::AsyncWorker {
 public:
  using Work = std::function<agm_status()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  Worker(Napi::Env env, G &guarded, Napi::Object owner, Work work, Done done)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        guarded_(guarded),
        owner_(Napi::Persistent(owner)),
        work_(std::move(work)),
        done_(std::move(done)) {
    ++guarded_.users;
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    status_ = work_();
    if (AGM_FAILED(status_)) message_ = failure_message();  // read on this thread
  }
  void OnOK() override {
    Napi::Env env = Env();
    guarded_.release();
    if (AGM_FAILED(status_)) {
      deferred_.Reject(status_error(env, status_, message_));
      return;
    }
    try {
      deferred_.Resolve(done_(env));
    } catch (const Napi::Error &e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  G &guarded_;
  Napi::ObjectReference owner_;  // keeps the JS object (and so `guarded_`) alive
  Work work_;
  Done done_;
  agm_status status_ = AGM_OK;
  std::string message_;
};

template <class G>
Napi::Value run_async(Napi::Env env, G &guarded, Napi::Object owner, typename Worker<G>::Work work,
                      typename Worker<G>::Done done) {
  auto *worker = new Worker<G>(env, guarded, owner, std::move(work), std::move(done));
  Napi::Promise promise = worker->promise();
  worker->Queue();  // the worker deletes itself when done
  return promise;
}

// ---- HTTP through JavaScript: the OTLP push and the command line ----

// A call of the core that runs on a thread of its own and sends its HTTP requests (the OTLP
// push's agm_http_send_fn) through a JavaScript function on the JS thread (lib/http.js):
//   send({url, headers: [[name, value], ...], body: Buffer, timeoutMs})
//     -> Promise<{outcome, status, retryAfter, body, error}>
// Each request is posted through a thread-safe function and the core's thread waits until the
// promise settles; when the work ends, `done` settles the call's own promise on the JS thread.
//
// A thread, not the libuv pool: fetch may need the pool itself (DNS lookups) while the core
// waits for it, so pushes waiting on pool threads could starve it; and Node waits for pool work
// before it frees an environment, so work waiting for a promise that will never settle (a
// terminated worker_threads Worker) would hang the teardown. Here the teardown finalizes the
// thread-safe function, which releases the waiting thread (the exchange aborts, AGM_E_IO); the
// thread then ends on its own without touching the environment again.
class HostCall {
 public:
  // Runs on the call's thread: the core's work with this sender; returns a status or an exit
  // code, and sets `message` to the failure's (read on that thread).
  using Work = std::function<int(agm_http_send_fn send, void *user, std::string &message)>;
  // Runs on the JS thread when the work is done, unless the environment went away first.
  using Done = std::function<void(Napi::Env env, Napi::Promise::Deferred &deferred, int result,
                                  const std::string &message)>;

  // `owner` (optional) is kept alive until the call settles.
  static Napi::Promise Start(Napi::Env env, Napi::Function send, Napi::Object owner, Work work, Done done) {
    auto call = std::shared_ptr<HostCall>(new HostCall(env, std::move(work), std::move(done)));
    call->self_ = call;
    if (!owner.IsEmpty()) call->owner_ = Napi::Persistent(owner);
    // The thread-safe function holds one reference to the call (released by its finalizer),
    // the thread another.
    call->tsfn_ = Tsfn::New(env, send, "agentmetrics.http", 0, 1, call.get(), &HostCall::Finalize,
                            new std::shared_ptr<HostCall>(call));
    Napi::Promise promise = call->deferred_.Promise();
    std::thread([call] { call->Run(); }).detach();
    return promise;
  }

 private:
  enum class Message { kSend, kDone };
  static void CallJs(Napi::Env env, Napi::Function send, HostCall *call, Message *message);
  using Tsfn = Napi::TypedThreadSafeFunction<HostCall, Message, &HostCall::CallJs>;

  HostCall(Napi::Env env, Work work, Done done)
      : deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), done_(std::move(done)) {}

  // ---- the call's thread ----

  void Run() {
    std::string message;
    const int result = work_(&HostCall::SendThunk, this, message);
    std::lock_guard lock(mu_);
    result_ = result;
    message_ = std::move(message);
    if (!Post(Message::kDone)) return;  // the environment is gone: nobody to tell
    tsfn_.Release();
  }

  // Queues `message` for the JS thread; false (and the thread-safe function is never touched
  // again) when it is closing. Called with mu_ held, so the finalizer cannot run meanwhile.
  bool Post(Message message) {
    if (gone_) return false;
    auto *copy = new Message(message);
    if (tsfn_.BlockingCall(copy) == napi_ok) return true;
    delete copy;
    gone_ = true;
    return false;
  }

  static int32_t SendThunk(void *user, const agm_http_request *request, agm_http_response *response) {
    return static_cast<HostCall *>(user)->Send(request, response);
  }

  int32_t Send(const agm_http_request *request, agm_http_response *response) {
    std::unique_lock lock(mu_);
    ++exchange_;
    request_ = request;
    settled_ = false;
    if (!Post(Message::kSend)) return Abort(response, "the JavaScript environment is shutting down");
    cv_.wait(lock, [this] { return settled_ || gone_; });
    request_ = nullptr;
    if (!settled_) return Abort(response, "the JavaScript environment is shutting down");
    if (aborted_) return Abort(response, error_);
    response->outcome = outcome_;
    response->status = status_;
    response->retry_after = retry_after_ ? retry_after_->c_str() : nullptr;
    response->body = body_.data();
    response->body_size = body_.size();
    response->error = error_.empty() ? nullptr : error_.c_str();
    return 0;
  }

  int32_t Abort(agm_http_response *response, std::string why) {
    error_ = std::move(why);
    response->error = error_.c_str();
    return 1;
  }

  // ---- the JS thread ----

  // Settles exchange `exchange` with the JavaScript sender's reply (or its failure).
  void Settle(uint64_t exchange, const Napi::Value &reply, std::optional<std::string> failure) {
    std::lock_guard lock(mu_);
    if (exchange != exchange_ || settled_) return;
    outcome_ = 0;
    status_ = 0;
    retry_after_.reset();
    body_.clear();
    error_.clear();
    aborted_ = false;
    try {
      if (failure) throw Napi::Error::New(reply.Env(), *failure);
      if (!reply.IsObject()) throw Napi::TypeError::New(reply.Env(), "the reply is not an object");
      const Napi::Object r = reply.As<Napi::Object>();
      const Napi::Value outcome = r.Get("outcome"), status = r.Get("status"),
                        retry_after = r.Get("retryAfter"), body = r.Get("body"), error = r.Get("error");
      if (outcome.IsNumber()) outcome_ = outcome.As<Napi::Number>().Uint32Value();
      if (status.IsNumber()) status_ = status.As<Napi::Number>().Int32Value();
      if (retry_after.IsString()) retry_after_ = retry_after.As<Napi::String>().Utf8Value();
      if (body.IsTypedArray()) {
        const Napi::Uint8Array bytes = body.As<Napi::Uint8Array>();
        body_.assign(reinterpret_cast<const char *>(bytes.Data()), bytes.ByteLength());
      } else if (body.IsString()) {
        body_ = body.As<Napi::String>().Utf8Value();
      }
      if (error.IsString()) error_ = error.As<Napi::String>().Utf8Value();
    } catch (const Napi::Error &e) {
      aborted_ = true;
      error_ = std::string("the JavaScript HTTP sender failed: ") + e.Message();
    }
    settled_ = true;
    cv_.notify_all();
  }

  // Calls the JavaScript sender for the exchange in flight; its promise settles it.
  void SendJs(Napi::Env env, Napi::Function send) {
    uint64_t exchange;
    Napi::Object request = Napi::Object::New(env);
    {
      std::lock_guard lock(mu_);
      if (!request_) return;
      exchange = exchange_;
      Napi::Array headers = Napi::Array::New(env, request_->header_count);
      for (size_t i = 0; i < request_->header_count; ++i) {
        Napi::Array pair = Napi::Array::New(env, 2);
        pair.Set(0u, Napi::String::New(env, request_->headers[i].name));
        pair.Set(1u, Napi::String::New(env, request_->headers[i].value));
        headers.Set(static_cast<uint32_t>(i), pair);
      }
      request.Set("url", Napi::String::New(env, request_->url));
      request.Set("headers", headers);
      request.Set("body", Napi::Buffer<char>::Copy(env, request_->body, request_->body_size));
      request.Set("timeoutMs", Napi::Number::New(env, request_->timeout_ms));
    }
    auto self = self_.lock();
    try {
      const Napi::Value promise = send.Call({request});
      if (!promise.IsObject() || !promise.As<Napi::Object>().Get("then").IsFunction()) {
        throw Napi::TypeError::New(env, "it did not return a promise");
      }
      auto settle = [self, exchange](bool ok) {
        return [self, exchange, ok](const Napi::CallbackInfo &info) {
          const Napi::Value value = info[0];
          std::optional<std::string> failure;
          if (!ok) {
            failure = value.IsObject() && value.As<Napi::Object>().Get("message").IsString()
                          ? value.As<Napi::Object>().Get("message").As<Napi::String>().Utf8Value()
                          : value.ToString().Utf8Value();
          }
          self->Settle(exchange, value, std::move(failure));
        };
      };
      promise.As<Napi::Object>().Get("then").As<Napi::Function>().Call(
          promise, {Napi::Function::New(env, settle(true)), Napi::Function::New(env, settle(false))});
    } catch (const Napi::Error &e) {
      Settle(exchange, env.Undefined(), e.Message());
    }
  }

  // The work is done: settle the call's promise.
  void Finish(Napi::Env env) {
    int result;
    std::string message;
    {
      std::lock_guard lock(mu_);
      result = result_;
      message = message_;
    }
    try {
      if (done_) done_(env, deferred_, result, message);
    } catch (const Napi::Error &e) {
      deferred_.Reject(e.Value());
    }
    done_ = nullptr;
    owner_.Reset();
  }

  // The thread-safe function is gone (the work is done, or the environment is closing): release
  // a thread still waiting for JavaScript, and what only the JS thread may free.
  static void Finalize(Napi::Env, std::shared_ptr<HostCall> *holder, HostCall *call) {
    {
      std::lock_guard lock(call->mu_);
      call->gone_ = true;
      call->cv_.notify_all();
    }
    call->done_ = nullptr;
    call->owner_.Reset();
    delete holder;  // the call itself lives on while its thread has it
  }

  std::mutex mu_;
  std::condition_variable cv_;
  Tsfn tsfn_;
  bool gone_ = false;  // the thread-safe function is closing or finalized: never touch it again
  // The exchange in flight, and its reply (valid until the next exchange).
  uint64_t exchange_ = 0;
  const agm_http_request *request_ = nullptr;
  bool settled_ = false, aborted_ = false;
  uint32_t outcome_ = 0;
  int32_t status_ = 0;
  std::optional<std::string> retry_after_;
  std::string body_, error_;
  // The work's result.
  int result_ = 0;
  std::string message_;
  // JS thread only.
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  Work work_;
  Done done_;
  std::weak_ptr<HostCall> self_;  // for the sender's promise callbacks, which outlive nothing else
};

void HostCall::CallJs(Napi::Env env, Napi::Function send, HostCall *call, Message *message) {
  const std::unique_ptr<Message> owned(message);
  if (static_cast<napi_env>(env) == nullptr || call == nullptr || !message) return;  // teardown
  try {
    if (*message == Message::kSend) {
      call->SendJs(env, send);
    } else {
      call->Finish(env);
    }
  } catch (...) {
    // Nothing may escape into Node; the environment may be closing (no JavaScript runs).
  }
}

// ---- Queries ----

// since|null and until|null: an end left out is open (the core's rule, by its presence bit).
void range_ends(agm_query &q, const Napi::Value &since, const Napi::Value &until) {
  if (!since.IsNull() && !since.IsUndefined()) {
    q.from_ns = int_arg(since);
    q.present |= AGM_QUERY_HAS_FROM;
  }
  if (!until.IsNull() && !until.IsUndefined()) {
    q.to_ns = int_arg(until);
    q.present |= AGM_QUERY_HAS_TO;
  }
}

struct QueryArgs {
  agm_query q = AGM_QUERY_INIT;
  agm_aggregate_options agg = AGM_AGGREGATE_OPTIONS_INIT;
  std::string name;
  std::vector<std::string> tiers;
  std::vector<const char *> tier_ptrs;
  // (kind, period, groupBy, since|null, until|null, nowNs|null, name|null, thresholdNs, limit,
  //  tiers|null, bucketNs)
  explicit QueryArgs(const Napi::CallbackInfo &info, size_t at = 0) {
    q.kind = info[at].As<Napi::Number>().Uint32Value();
    q.period = info[at + 1].As<Napi::Number>().Uint32Value();
    q.group_by = info[at + 2].As<Napi::Number>().Int32Value();
    range_ends(q, info[at + 3], info[at + 4]);
    if (!info[at + 5].IsNull() && !info[at + 5].IsUndefined()) {
      q.now_ns = int_arg(info[at + 5]);
      q.present |= AGM_QUERY_HAS_NOW;
    }
    if (info[at + 6].IsString()) {
      name = info[at + 6].As<Napi::String>().Utf8Value();
      q.name = name.c_str();
    }
    q.threshold_ns = int_arg(info[at + 7]);
    q.limit = info[at + 8].As<Napi::Number>().Uint32Value();
    if (info[at + 9].IsArray()) {
      Napi::Array a = info[at + 9].As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) tiers.push_back(a.Get(i).As<Napi::String>().Utf8Value());
      for (auto &t : tiers) tier_ptrs.push_back(t.c_str());
      agg.tiers = tier_ptrs.data();
      agg.tier_count = uint32_t(tier_ptrs.size());
    }
    agg.bucket_ns = int_arg(info[at + 10]);
    q.invocations = &agg;
  }
};

// The range of an export or report: (period, since|null, until|null, nowNs|null) at `at`.
struct RangeArgs {
  agm_query q = AGM_QUERY_INIT;
  RangeArgs(const Napi::CallbackInfo &info, size_t at) {
    q.period = info[at].As<Napi::Number>().Uint32Value();
    range_ends(q, info[at + 1], info[at + 2]);
    if (!info[at + 3].IsNull() && !info[at + 3].IsUndefined()) {
      q.now_ns = int_arg(info[at + 3]);
      q.present |= AGM_QUERY_HAS_NOW;
    }
  }
};

// An optional string argument kept alive for a call that may finish on a worker thread.
struct OptString {
  std::string value;
  bool given = false;
  explicit OptString(const Napi::Value &v) : given(v.IsString()) {
    if (given) value = v.As<Napi::String>().Utf8Value();
  }
  const char *get() const { return given ? value.c_str() : nullptr; }
};

// (format, period, since, until, nowNs, resource|null, file|null): an export into `out`, or
// into `file` (by the core: whole or not at all).
struct ExportJob {
  RangeArgs range;
  OptString resource, file;
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  std::string out;
  explicit ExportJob(const Napi::CallbackInfo &info) : range(info, 1), resource(info[5]), file(info[6]) {
    o.format = info[0].As<Napi::Number>().Uint32Value();
    o.range = &range.q;
    o.resource_attributes = resource.get();
  }
  agm_status run(agm_history *h) {
    if (!file.given) {
      return agm_history_export(
          h, &o,
          [](void *user, const char *data, size_t size) -> int32_t {
            static_cast<std::string *>(user)->append(data, size);
            return 0;
          },
          &out);
    }
    return agm_history_export_to_file(nullptr, h, &o, file.value.c_str());
  }
  Napi::Value result(Napi::Env env) const {
    return file.given ? env.Undefined() : Napi::String::New(env, out);
  }
};

// (title|null, limit, period, since, until, nowNs, file|null): the page into `out`, or into
// `file` (by the core: whole or not at all).
struct ReportJob {
  OptString title;
  RangeArgs range;
  OptString file;
  agm_report_options o = AGM_REPORT_OPTIONS_INIT;
  Buffer out;
  explicit ReportJob(const Napi::CallbackInfo &info) : title(info[0]), range(info, 2), file(info[6]) {
    o.title = title.get();
    o.limit = info[1].As<Napi::Number>().Uint32Value();
    o.range = &range.q;
  }
  agm_status run(agm_history *h) {
    return file.given ? agm_history_report_html_to_file(nullptr, h, &o, file.value.c_str())
                      : agm_history_report_html(&out.b, h, &o);
  }
  Napi::Value result(Napi::Env env) const { return file.given ? env.Undefined() : out.str(env); }
};

// (endpoint, headers|null, timeoutMs, period, since, until, nowNs, resource|null, maxAttempts,
//  retryDelayMs, send): 0 for the library's defaults; send is set by the call (HostCall)
struct PushJob {
  OptString endpoint, headers, resource;
  RangeArgs range;
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  agm_otlp_options otlp = AGM_OTLP_OPTIONS_INIT;
  Buffer out;
  explicit PushJob(const Napi::CallbackInfo &info)
      : endpoint(info[0]), headers(info[1]), resource(info[7]), range(info, 3) {
    otlp.endpoint = endpoint.get();
    otlp.headers = headers.get();
    otlp.timeout_ms = info[2].As<Napi::Number>().Uint32Value();
    otlp.max_attempts = info[8].As<Napi::Number>().Uint32Value();
    otlp.retry_delay_ms = info[9].As<Napi::Number>().Uint32Value();
    o.range = &range.q;
    o.resource_attributes = resource.get();
  }
};

// ---- Recorder ----

struct Callbacks {
  Napi::Env env;
  Napi::FunctionReference clock, wall_clock, observer;
  Napi::FunctionReference on_drop;  // the open store's
  bool finalizing = false;          // a garbage-collected session is being freed: no JS may run
  explicit Callbacks(Napi::Env e) : env(e) {}
};

int64_t call_clock(Callbacks *c, Napi::FunctionReference &fn, bool wall) {
  if (!c->finalizing) try {
      Napi::Value v = fn.Call({});
      if (v.IsBigInt() || v.IsNumber()) return int_arg(v);
      throw Napi::TypeError::New(c->env, "a clock must return a bigint (or number) of nanoseconds");
    } catch (const Napi::Error &e) {
      AddonData &d = data(c->env);
      if (!d.pending) d.pending = e;
    }
  // The system clock stands in for a reading the injected clock could not give.
  timespec ts{};
  clock_gettime(wall ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
int64_t monotonic_thunk(void *p) {
  auto *c = static_cast<Callbacks *>(p);
  return call_clock(c, c->clock, false);
}
int64_t wall_thunk(void *p) {
  auto *c = static_cast<Callbacks *>(p);
  return call_clock(c, c->wall_clock, true);
}

void observer_thunk(uint32_t kind, const char *json, size_t size, void *p) {
  auto *c = static_cast<Callbacks *>(p);
  if (c->observer.IsEmpty() || c->finalizing) return;
  try {
    c->observer.Call({Napi::Number::New(c->env, kind), Napi::String::New(c->env, json, size)});
  } catch (const Napi::Error &e) {
    AddonData &d = data(c->env);
    if (!d.pending) d.pending = e;
  }
}

// Records are made on the JavaScript thread, so the store calls on_drop there.
void drop_thunk(uint64_t dropped, uint64_t queued_bytes, void *p) {
  auto *c = static_cast<Callbacks *>(p);
  if (c->on_drop.IsEmpty() || c->finalizing) return;
  try {
    c->on_drop.Call(
        {Napi::Number::New(c->env, double(dropped)), Napi::Number::New(c->env, double(queued_bytes))});
  } catch (const Napi::Error &e) {
    AddonData &d = data(c->env);
    if (!d.pending) d.pending = e;
  }
}

class Recorder : public Napi::ObjectWrap<Recorder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Recorder",
                       {InstanceMethod<&Recorder::Close>("close"),
                        InstanceMethod<&Recorder::LoadPrices>("loadPrices"),
                        InstanceMethod<&Recorder::LoadPricesFile>("loadPricesFile"),
                        InstanceMethod<&Recorder::SetPrice>("setPrice"),
                        InstanceMethod<&Recorder::Price>("price"),
                        InstanceMethod<&Recorder::Prices>("prices"),
                        InstanceMethod<&Recorder::Cost>("cost"),
                        InstanceMethod<&Recorder::Totals>("totals"),
                        InstanceMethod<&Recorder::Durations>("durations"),
                        InstanceMethod<&Recorder::Breakdown>("breakdown"),
                        InstanceMethod<&Recorder::OpenStore>("openStore"),
                        InstanceMethod<&Recorder::Flush>("flush"),
                        InstanceMethod<&Recorder::FlushAsync>("flushAsync"),
                        InstanceMethod<&Recorder::CloseStore>("closeStore"),
                        InstanceMethod<&Recorder::StoreStatus>("storeStatus"),
                        InstanceMethod<&Recorder::JournalPath>("journalPath"),
                        InstanceMethod<&Recorder::OnRecord>("onRecord"),
                        InstanceMethod<&Recorder::Load>("load"),
                        InstanceMethod<&Recorder::LoadAsync>("loadAsync"),
                        InstanceMethod<&Recorder::RecordInvocation>("recordInvocation"),
                        InstanceMethod<&Recorder::InvocationCount>("invocationCount"),
                        InstanceMethod<&Recorder::Invocations>("invocations"),
                        InstanceMethod<&Recorder::InvocationAggregate>("invocationAggregate"),
                        InstanceMethod<&Recorder::Query>("query"),
                        InstanceMethod<&Recorder::QueryAsync>("queryAsync"),
                        InstanceAccessor<&Recorder::Closed>("closed")});
  }

  // new Recorder(clock?, wallClock?, bundledPrices)
  Recorder(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Recorder>(info) {
    Napi::Env env = info.Env();
    callbacks = std::make_shared<Callbacks>(env);
    agm_recorder_options o = AGM_RECORDER_OPTIONS_INIT;
    if (info[0].IsFunction()) {
      callbacks->clock = Napi::Persistent(info[0].As<Napi::Function>());
      o.monotonic_ns = monotonic_thunk;
    }
    if (info[1].IsFunction()) {
      callbacks->wall_clock = Napi::Persistent(info[1].As<Napi::Function>());
      o.wall_ns = wall_thunk;
    }
    if (!info[2].ToBoolean()) o.flags |= AGM_RECORDER_F_NO_BUNDLED_PRICES;
    o.clock_payload = callbacks.get();
    check(env, agm_recorder_new(&g.h, &o));
  }
  ~Recorder() override { g.close(); }

  Guarded<agm_recorder, agm_recorder_free> g;
  std::shared_ptr<Callbacks> callbacks;  // sessions share it: they outlive a closed recorder

  agm_recorder *live(Napi::Env env) { return g.live(env, "Recorder"); }

 private:
  Napi::Value Closed(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), !g.h || g.closing);
  }
  Napi::Value Close(const Napi::CallbackInfo &info) {
    g.close();
    return info.Env().Undefined();
  }
  // (json, replace)
  Napi::Value LoadPrices(const Napi::CallbackInfo &info) {
    const std::string json = info[0].As<Napi::String>().Utf8Value();
    check(info.Env(), agm_recorder_load_prices(live(info.Env()), json.data(), json.size(),
                                               info[1].ToBoolean() ? AGM_PRICES_F_REPLACE : 0));
    return info.Env().Undefined();
  }
  Napi::Value LoadPricesFile(const Napi::CallbackInfo &info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    check(info.Env(), agm_recorder_load_prices_file(live(info.Env()), path.c_str(),
                                                    info[1].ToBoolean() ? AGM_PRICES_F_REPLACE : 0));
    return info.Env().Undefined();
  }
  // (model, entryJson)
  Napi::Value SetPrice(const Napi::CallbackInfo &info) {
    const std::string model = info[0].As<Napi::String>().Utf8Value();
    const std::string json = info[1].As<Napi::String>().Utf8Value();
    check(info.Env(), agm_recorder_set_price(live(info.Env()), model.c_str(), json.data(), json.size()));
    return info.Env().Undefined();
  }
  // (model, provider?) -> JSON string | null
  // (filter|null)
  Napi::Value Prices(const Napi::CallbackInfo &info) {
    const Str filter(info[0]);
    Buffer b;
    check(info.Env(), agm_recorder_prices(&b.b, live(info.Env()), filter.get()));
    return b.str(info.Env());
  }
  Napi::Value Price(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const Str model(info[0]), provider(info[1]);
    Buffer b;
    const agm_status status = agm_recorder_price_json(&b.b, live(env), model.get(), provider.get());
    if (status == AGM_E_NOT_FOUND) return env.Null();
    check(env, status);
    return b.str(env);
  }
  // (model, provider, format, json) with canonical usage in `numbers` when format is 0
  Napi::Value Cost(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const Str model(info[0]), provider(info[1]);
    const int32_t format = info[2].As<Napi::Number>().Int32Value();
    agm_usage usage = usage_from_numbers(data(env).numbers);
    if (format != 0) {
      const std::string json = info[3].As<Napi::String>().Utf8Value();
      usage = AGM_USAGE_INIT;
      check(env, agm_usage_from_json(&usage, format, json.data(), json.size(), nullptr));
    }
    agm_cost cost = AGM_COST_INIT;
    check(env, agm_recorder_cost(&cost, live(env), model.get(), provider.get(), &usage));
    return (cost.present & AGM_COST_HAS_VALUE) ? cost_object(env, cost.items) : env.Null();
  }
  Napi::Value Totals(const Napi::CallbackInfo &info) {
    return totals_of<agm_recorder>(info.Env(), agm_recorder_totals, live(info.Env()));
  }
  Napi::Value Durations(const Napi::CallbackInfo &info) {
    return durations_of<agm_recorder>(info.Env(), agm_recorder_durations, live(info.Env()), info[0]);
  }
  Napi::Value Breakdown(const Napi::CallbackInfo &info) {
    return breakdown_of<agm_recorder>(info.Env(), agm_recorder_breakdown, live(info.Env()), info[0]);
  }
  // (journal?, journalDir?, database?, flushPolicy, flushIntervalNs, maxQueueBytes, onDrop | null)
  Napi::Value OpenStore(const Napi::CallbackInfo &info) {
    const Str journal(info[0]), journal_dir(info[1]), database(info[2]);
    agm_store_options o = AGM_STORE_OPTIONS_INIT;
    o.journal = journal.get();
    o.journal_dir = journal_dir.get();
    o.database = database.get();
    o.flush_policy = info[3].As<Napi::Number>().Uint32Value();
    o.flush_interval_ns = int_arg(info[4]);
    o.max_queue_bytes = uint64_t(int_arg(info[5]));  // checked >= 0 by lib/index.js
    const bool on_drop = info[6].IsFunction();
    if (on_drop) {
      o.on_drop = drop_thunk;
      o.on_drop_payload = callbacks.get();
    }
    // Set before the store opens; put back if it does not (a store already open keeps its own).
    Napi::FunctionReference previous = std::move(callbacks->on_drop);
    if (on_drop) callbacks->on_drop = Napi::Persistent(info[6].As<Napi::Function>());
    const agm_status status = agm_recorder_open_store(live(info.Env()), &o);
    if (AGM_FAILED(status)) callbacks->on_drop = std::move(previous);
    check(info.Env(), status);
    return info.Env().Undefined();
  }
  Napi::Value Flush(const Napi::CallbackInfo &info) {
    check(info.Env(), agm_recorder_flush(live(info.Env())));
    return info.Env().Undefined();
  }
  Napi::Value FlushAsync(const Napi::CallbackInfo &info) {
    agm_recorder *h = live(info.Env());
    return run_async(
        info.Env(), g, Value(), [h] { return agm_recorder_flush(h); },
        [](Napi::Env env) { return env.Undefined(); });
  }
  Napi::Value CloseStore(const Napi::CallbackInfo &info) {
    check(info.Env(), agm_recorder_close_store(live(info.Env())));
    return info.Env().Undefined();
  }
  Napi::Value StoreStatus(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    agm_store_status st = AGM_STORE_STATUS_INIT;
    Buffer error;
    check(env, agm_recorder_store_status(&st, live(env), &error.b));
    Napi::Object o = Napi::Object::New(env);
    o.Set("queued", double(st.queued));
    o.Set("written", double(st.written));
    o.Set("failed", double(st.failed));
    o.Set("writeErrors", double(st.write_errors));
    o.Set("dropped", double(st.dropped));
    o.Set("queuedBytes", double(st.queued_bytes));
    o.Set("maxQueueBytes", double(st.max_queue_bytes));
    o.Set("lastError", error.b.size ? Napi::Value(error.str(env)) : env.Null());
    return o;
  }
  Napi::Value JournalPath(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Buffer b;
    const agm_status status = agm_recorder_journal_path(&b.b, live(env));
    if (status == AGM_E_NOT_FOUND || status == AGM_E_STATE) return env.Null();
    check(env, status);
    return b.str(env);
  }
  // (callback | null, kinds): callback(kindBit, json)
  Napi::Value OnRecord(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    agm_recorder *h = live(env);
    const uint32_t kinds = info[1].As<Napi::Number>().Uint32Value();
    const bool off = !info[0].IsFunction() || kinds == 0;
    check(env,
          agm_recorder_set_observer(h, off ? 0 : kinds, off ? nullptr : observer_thunk, callbacks.get()));
    callbacks->observer = off ? Napi::FunctionReference() : Napi::Persistent(info[0].As<Napi::Function>());
    return env.Undefined();
  }

  struct LoadResult {
    agm_load_report report = AGM_LOAD_REPORT_INIT;
    std::shared_ptr<Buffer> warnings = std::make_shared<Buffer>();
  };
  static Napi::Value load_object(Napi::Env env, const LoadResult &r) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("files", double(r.report.files));
    o.Set("lines", double(r.report.lines));
    o.Set("records", double(r.report.records));
    o.Set("skipped", double(r.report.skipped));
    o.Set("malformed", double(r.report.malformed));
    o.Set("firstMalformedLine",
          r.report.first_malformed_line
              ? Napi::Value(Napi::Number::New(env, double(r.report.first_malformed_line)))
              : env.Null());
    o.Set("warnings", r.warnings->b.size ? r.warnings->str(env) : Napi::String::New(env, "[]"));
    o.Set("dropped", double(r.report.dropped));
    return o;
  }
  // (path, skip, limit)
  Napi::Value Load(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    agm_load_options o = AGM_LOAD_OPTIONS_INIT;
    o.skip = uint64_t(info[1].As<Napi::Number>().Int64Value());
    o.limit = uint64_t(info[2].As<Napi::Number>().Int64Value());
    LoadResult r;
    check(env, agm_recorder_load(live(env), path.c_str(), &o, &r.report, &r.warnings->b));
    return load_object(env, r);
  }
  Napi::Value LoadAsync(const Napi::CallbackInfo &info) {
    agm_recorder *h = live(info.Env());
    auto path = std::make_shared<std::string>(info[0].As<Napi::String>().Utf8Value());
    agm_load_options o = AGM_LOAD_OPTIONS_INIT;
    o.skip = uint64_t(info[1].As<Napi::Number>().Int64Value());
    o.limit = uint64_t(info[2].As<Napi::Number>().Int64Value());
    auto r = std::make_shared<LoadResult>();
    return run_async(
        info.Env(), g, Value(),
        [h, path, o, r] { return agm_recorder_load(h, path->c_str(), &o, &r->report, &r->warnings->b); },
        [r](Napi::Env env) { return load_object(env, *r); });
  }
  // (json)
  Napi::Value RecordInvocation(const Napi::CallbackInfo &info) {
    const std::string json = info[0].As<Napi::String>().Utf8Value();
    check(info.Env(), agm_recorder_record_invocation_json(live(info.Env()), json.data(), json.size()));
    return info.Env().Undefined();
  }
  Napi::Value InvocationCount(const Napi::CallbackInfo &info) {
    uint64_t n = 0;
    check(info.Env(), agm_recorder_invocation_count(&n, live(info.Env())));
    return Napi::Number::New(info.Env(), double(n));
  }
  // (skip, limit) -> JSON
  Napi::Value Invocations(const Napi::CallbackInfo &info) {
    Buffer b;
    check(info.Env(),
          agm_recorder_invocations(&b.b, live(info.Env()), uint64_t(info[0].As<Napi::Number>().Int64Value()),
                                   uint64_t(info[1].As<Napi::Number>().Int64Value())));
    return b.str(info.Env());
  }
  // (tiers | null, bucketNs) -> JSON
  Napi::Value InvocationAggregate(const Napi::CallbackInfo &info) {
    std::vector<std::string> tiers;
    std::vector<const char *> ptrs;
    agm_aggregate_options o = AGM_AGGREGATE_OPTIONS_INIT;
    if (info[0].IsArray()) {
      Napi::Array a = info[0].As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) tiers.push_back(a.Get(i).As<Napi::String>().Utf8Value());
      for (auto &t : tiers) ptrs.push_back(t.c_str());
      o.tiers = ptrs.data();
      o.tier_count = uint32_t(ptrs.size());
    }
    o.bucket_ns = int_arg(info[1]);
    Buffer b;
    check(info.Env(), agm_recorder_invocation_aggregate(&b.b, live(info.Env()), &o));
    return b.str(info.Env());
  }
  Napi::Value Query(const Napi::CallbackInfo &info) {
    QueryArgs args(info);
    Buffer b;
    check(info.Env(), agm_recorder_query(&b.b, live(info.Env()), &args.q));
    return b.str(info.Env());
  }
  Napi::Value QueryAsync(const Napi::CallbackInfo &info) {
    agm_recorder *h = live(info.Env());
    auto args = std::make_shared<QueryArgs>(info);
    // The worker thread must not call a JS wall clock: read "now" here.
    if (!callbacks->wall_clock.IsEmpty() && !(args->q.present & AGM_QUERY_HAS_NOW)) {
      args->q.now_ns = wall_thunk(callbacks.get());
      args->q.present |= AGM_QUERY_HAS_NOW;
      throw_pending(info.Env());
    }
    auto out = std::make_shared<Buffer>();
    return run_async(
        info.Env(), g, Value(), [h, args, out] { return agm_recorder_query(&out->b, h, &args->q); },
        [out](Napi::Env env) { return out->str(env); });
  }
};

// ---- Session ----

struct BudgetCallback {
  Napi::Env env;
  Napi::FunctionReference fn;
};

void budget_thunk(const agm_budget_event *e, void *p) {
  auto *box = static_cast<BudgetCallback *>(p);
  Napi::Env env = box->env;
  try {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", e->kind == AGM_BUDGET_WARN ? "warn" : "limit");
    o.Set("measure", (e->present & AGM_BUDGET_HAS_MAX_COST) ? "cost" : "tokens");
    o.Set("sessionId", e->session_id ? Napi::Value(Napi::String::New(env, e->session_id)) : env.Null());
    o.Set("model", e->model ? Napi::Value(Napi::String::New(env, e->model)) : env.Null());
    o.Set("tokens", double(e->tokens));
    o.Set("maxTokens", (e->present & AGM_BUDGET_HAS_MAX_TOKENS)
                           ? Napi::Value(Napi::Number::New(env, double(e->max_tokens)))
                           : env.Null());
    o.Set("cost", money_string(env, e->cost));
    o.Set("maxCost", (e->present & AGM_BUDGET_HAS_MAX_COST)
                         ? Napi::Value(Napi::String::New(env, money_string(env, e->max_cost)))
                         : env.Null());
    box->fn.Call({o});
  } catch (const Napi::Error &error) {
    AddonData &d = data(env);
    if (!d.pending) d.pending = error;
  }
}

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Session",
        {InstanceMethod<&Session::Close>("close"), InstanceMethod<&Session::Label>("label"),
         InstanceMethod<&Session::StartedWallNs>("startedWallNs"),
         InstanceMethod<&Session::TurnBegin>("turnBegin"), InstanceMethod<&Session::TurnEnd>("turnEnd"),
         InstanceMethod<&Session::TurnStats>("turnStats"), InstanceMethod<&Session::TurnTotals>("turnTotals"),
         InstanceMethod<&Session::Totals>("totals"), InstanceMethod<&Session::Durations>("durations"),
         InstanceMethod<&Session::Breakdown>("breakdown"), InstanceMethod<&Session::Handle>("handle"),
         InstanceMethod<&Session::AddBudget>("addBudget"), InstanceMethod<&Session::FormatTurn>("formatTurn"),
         InstanceMethod<&Session::FormatSummary>("formatSummary"),
         InstanceAccessor<&Session::Closed>("closed")});
  }

  // new Session(recorder, sessionId?, agent?, phase?, task?, tagKeys[], tagValues[])
  Session(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    Recorder *rec = Recorder::Unwrap(info[0].As<Napi::Object>());
    callbacks = rec->callbacks;
    const Str id(info[1]), agent(info[2]), phase(info[3]), task(info[4]);
    agm_session_options o = AGM_SESSION_OPTIONS_INIT;
    o.session_id = id.get();
    o.agent = agent.get();
    o.phase = phase.get();
    o.task = task.get();
    std::vector<std::string> keys, values;
    std::vector<agm_tag> tags;
    if (info[5].IsArray()) {
      Napi::Array k = info[5].As<Napi::Array>(), v = info[6].As<Napi::Array>();
      for (uint32_t i = 0; i < k.Length(); ++i) {
        keys.push_back(k.Get(i).As<Napi::String>().Utf8Value());
        values.push_back(v.Get(i).As<Napi::String>().Utf8Value());
      }
      for (size_t i = 0; i < keys.size(); ++i) tags.push_back({keys[i].c_str(), values[i].c_str()});
      o.tags = tags.data();
      o.tag_count = tags.size();
    }
    check(env, agm_session_new(&h, rec->live(env), &o));
  }
  // Garbage collected while open: the open turn ends on the system clock, unobserved.
  ~Session() override {
    if (!h) return;
    callbacks->finalizing = true;
    agm_session_free(h);
    callbacks->finalizing = false;
  }

  // The record calls are module functions taking the session's External (handle()) first:
  // that skips the wrapper lookup an instance method pays on every call.
  static Session *of(const Napi::Value &handle) { return handle.As<Napi::External<Session>>().Data(); }
  // The open session behind handle() (the get_metrics tool's current session).
  static agm_session *live_of(Napi::Env env, const Napi::Value &handle) { return of(handle)->live(env); }
  static Napi::Value RecordModelCallFn(const Napi::CallbackInfo &info) {
    return of(info[0])->RecordModelCall(info, 1);
  }
  static Napi::Value RecordToolCallFn(const Napi::CallbackInfo &info) {
    return of(info[0])->RecordToolCall(info, 1);
  }
  static Napi::Value ToolStartFn(const Napi::CallbackInfo &info) { return of(info[0])->ToolStart(info, 1); }
  static Napi::Value ToolEndFn(const Napi::CallbackInfo &info) { return of(info[0])->ToolEnd(info, 1); }

 private:
  agm_session *h = nullptr;
  std::shared_ptr<Callbacks> callbacks;

  // Valid while the JS object lives; lib/index.js keeps both together.
  Napi::Value Handle(const Napi::CallbackInfo &info) {
    return Napi::External<Session>::New(info.Env(), this);
  }
  std::vector<std::unique_ptr<BudgetCallback>> budgets;

  agm_session *live(Napi::Env env) {
    if (!h) throw_closed(env, "Session");
    return h;
  }
  Napi::Value Closed(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), !h); }
  Napi::Value Close(const Napi::CallbackInfo &info) {
    agm_session_free(h);  // may emit a turn record to the observer
    h = nullptr;
    throw_pending(info.Env());
    return info.Env().Undefined();
  }
  Napi::Value Label(const Napi::CallbackInfo &info) {
    const std::string key = info[0].As<Napi::String>().Utf8Value();
    const char *v = agm_session_label(live(info.Env()), key.c_str());
    return v ? Napi::Value(Napi::String::New(info.Env(), v)) : info.Env().Null();
  }
  Napi::Value StartedWallNs(const Napi::CallbackInfo &info) {
    return bigint(info.Env(), agm_session_started_wall_ns(live(info.Env())));
  }
  static const int64_t *at_arg(const Napi::Value &v, int64_t &storage) {
    if (v.IsUndefined() || v.IsNull()) return nullptr;
    storage = int_arg(v);
    return &storage;
  }
  Napi::Value TurnBegin(const Napi::CallbackInfo &info) {
    int64_t at = 0;
    check(info.Env(), agm_session_turn_begin(live(info.Env()), at_arg(info[0], at)));
    return info.Env().Undefined();
  }
  Napi::Value TurnEnd(const Napi::CallbackInfo &info) {
    int64_t at = 0;
    check(info.Env(), agm_session_turn_end(live(info.Env()), at_arg(info[0], at)));
    return info.Env().Undefined();
  }
  Napi::Value TurnStats(const Napi::CallbackInfo &info) {
    agm_turn_stats t = AGM_TURN_STATS_INIT;
    const agm_status status = agm_session_turn_stats(&t, live(info.Env()));
    if (status == AGM_E_EMPTY) return info.Env().Null();
    check(info.Env(), status);
    return turn_stats_object(info.Env(), t);
  }
  Napi::Value TurnTotals(const Napi::CallbackInfo &info) {
    agm_totals t = AGM_TOTALS_INIT;
    const agm_status status = agm_session_turn_totals(&t, live(info.Env()));
    if (status == AGM_E_EMPTY) return info.Env().Null();
    check(info.Env(), status);
    return totals_object(info.Env(), t);
  }
  Napi::Value Totals(const Napi::CallbackInfo &info) {
    return totals_of<agm_session>(info.Env(), agm_session_totals, live(info.Env()));
  }
  Napi::Value Durations(const Napi::CallbackInfo &info) {
    return durations_of<agm_session>(info.Env(), agm_session_durations, live(info.Env()), info[0]);
  }
  Napi::Value Breakdown(const Napi::CallbackInfo &info) {
    return breakdown_of<agm_session>(info.Env(), agm_session_breakdown, live(info.Env()), info[0]);
  }

  // Timing fields of a call from the shared arrays.
  template <class Call>
  static void timing_in(Call &call, const double *n, const int64_t *instants) {
    call.present = static_cast<uint64_t>(n[kCallPresent]);
    call.start_ns = instants[kStartNs];
    call.end_ns = instants[kEndNs];
    call.duration_ns = static_cast<int64_t>(n[kDurationNs]);
  }

  // (model, provider, source, stopReason, error, format, usageJson, usageProvider, modelVersion,
  //  streamEvent, partial) -> notice (0, 1, 2); numbers and instants from the shared arrays.
  Napi::Value RecordModelCall(const Napi::CallbackInfo &info, size_t at) {
    Napi::Env env = info.Env();
    AddonData &d = data(env);
    agm_session *session = live(env);
    const Str model(info[at]), provider(info[at + 1]), source(info[at + 2]), stop_reason(info[at + 3]),
        error(info[at + 4]);
    agm_model_call call = AGM_MODEL_CALL_INIT;
    timing_in(call, d.numbers, d.instants);
    call.ttft_ns = static_cast<int64_t>(d.numbers[kTtftNs]);
    call.attempt = static_cast<int64_t>(d.numbers[kAttempt]);
    call.model = model.get();
    call.provider = provider.get();
    call.source = source.get();
    call.stop_reason = stop_reason.get();
    if (error.given) {
      call.outcome = AGM_OUTCOME_ERROR;
      call.error_type = error.get();
    }
    const int32_t format = info[at + 5].As<Napi::Number>().Int32Value();
    const Str usage_provider(info[at + 7]), model_version(info[at + 8]), stream_event(info[at + 9]);
    agm_usage_context ctx = AGM_USAGE_CONTEXT_INIT;
    ctx.provider = usage_provider.get();
    ctx.model_version = model_version.get();
    ctx.stream_event = stream_event.get();
    if (info[at + 10].ToBoolean()) ctx.flags |= AGM_USAGE_CTX_ADK_PARTIAL;
    agm_status status;
    if (format != 0) {
      const std::string json = info[at + 6].As<Napi::String>().Utf8Value();
      status = agm_session_record_model_call_json(session, &call, format, json.data(), json.size(), &ctx);
    } else {
      agm_usage usage = usage_from_numbers(d.numbers);
      call.usage = &usage;
      call.usage_context = &ctx;  // the core applies its rules (ADK partial: no usage)
      status = agm_session_record_model_call(session, &call);
    }
    return Napi::Number::New(env, check(env, status));
  }
  // (name, error, errorMessage)
  Napi::Value RecordToolCall(const Napi::CallbackInfo &info, size_t at) {
    Napi::Env env = info.Env();
    AddonData &d = data(env);
    const Str name(info[at]), error(info[at + 1]), message(info[at + 2]);
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    timing_in(call, d.numbers, d.instants);
    call.input_bytes = static_cast<int64_t>(d.numbers[kInputBytes]);
    call.output_bytes = static_cast<int64_t>(d.numbers[kOutputBytes]);
    call.name = name.get();
    if (error.given || message.given) {
      call.outcome = AGM_OUTCOME_ERROR;
      call.error_type = error.get();
      call.error_message = message.get();
    }
    check(env, agm_session_record_tool_call(live(env), &call));
    return env.Undefined();
  }
  // (name, callId, atNs?)
  Napi::Value ToolStart(const Napi::CallbackInfo &info, size_t at) {
    const Str name(info[at]), call_id(info[at + 1]);
    int64_t start = 0;
    check(info.Env(),
          agm_session_tool_start(live(info.Env()), name.get(), call_id.get(), at_arg(info[at + 2], start)));
    return info.Env().Undefined();
  }
  // (callId, name, error, errorMessage); numbers and instants from the shared arrays
  Napi::Value ToolEnd(const Napi::CallbackInfo &info, size_t at) {
    Napi::Env env = info.Env();
    AddonData &d = data(env);
    const Str call_id(info[at]), name(info[at + 1]), error(info[at + 2]), message(info[at + 3]);
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    timing_in(call, d.numbers, d.instants);
    call.input_bytes = static_cast<int64_t>(d.numbers[kInputBytes]);
    call.output_bytes = static_cast<int64_t>(d.numbers[kOutputBytes]);
    call.call_id = call_id.get();
    call.name = name.get();
    if (error.given || message.given) {
      call.outcome = AGM_OUTCOME_ERROR;
      call.error_type = error.get();
      call.error_message = message.get();
    }
    check(env, agm_session_tool_end(live(env), &call));
    return env.Undefined();
  }
  // (warn, maxTokens | null, maxCost | null, model | null, callback | null)
  Napi::Value AddBudget(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    agm_budget b = AGM_BUDGET_INIT;
    b.kind = info[0].ToBoolean() ? AGM_BUDGET_WARN : AGM_BUDGET_LIMIT;
    if (info[1].IsNumber()) {
      b.max_tokens = info[1].As<Napi::Number>().Int64Value();
      b.present |= AGM_BUDGET_HAS_MAX_TOKENS;
    }
    if (info[2].IsString()) {
      const std::string cost = info[2].As<Napi::String>().Utf8Value();
      check(env, agm_money_from_decimal(&b.max_cost, cost.c_str()));
      b.present |= AGM_BUDGET_HAS_MAX_COST;
    }
    const Str model(info[3]);
    b.model = model.get();
    std::unique_ptr<BudgetCallback> box;
    if (info[4].IsFunction()) {
      box.reset(new BudgetCallback{env, Napi::Persistent(info[4].As<Napi::Function>())});
      b.callback = budget_thunk;
      b.payload = box.get();
    }
    check(env, agm_session_add_budget(live(env), &b));
    if (box) budgets.push_back(std::move(box));
    return env.Undefined();
  }
  Napi::Value FormatTurn(const Napi::CallbackInfo &info) {
    Buffer b;
    const agm_status status =
        agm_session_format_turn(&b.b, live(info.Env()), info[0].ToBoolean() ? AGM_DISPLAY_F_COLOR : 0);
    if (status == AGM_E_EMPTY) return info.Env().Null();
    check(info.Env(), status);
    return b.str(info.Env());
  }
  Napi::Value FormatSummary(const Napi::CallbackInfo &info) {
    Buffer b;
    check(info.Env(),
          agm_session_format_summary(&b.b, live(info.Env()), info[0].ToBoolean() ? AGM_DISPLAY_F_COLOR : 0));
    return b.str(info.Env());
  }
};

// ---- History ----

// ---- The get_metrics agent tool ----

// (target, argsJson, sessionHandle | null, nowNs | null): the core's context. Failures the
// model should read come back as {"action", "error"} documents.
struct MetricsToolCall {
  agm_metrics_tool_context ctx = AGM_METRICS_TOOL_CONTEXT_INIT;
  std::string args;
  explicit MetricsToolCall(const Napi::CallbackInfo &info) : args(info[1].As<Napi::String>().Utf8Value()) {
    ctx.flags = AGM_METRICS_TOOL_ERROR_RESULT;
    if (!info[2].IsNull() && !info[2].IsUndefined()) ctx.session = Session::live_of(info.Env(), info[2]);
    if (!info[3].IsNull() && !info[3].IsUndefined()) {
      ctx.flags |= AGM_METRICS_TOOL_HAS_NOW;
      ctx.now_ns = int_arg(info[3]);
    }
  }
};

Napi::Value RecorderMetricsTool(const Napi::CallbackInfo &info) {
  agm_recorder *rec = Recorder::Unwrap(info[0].As<Napi::Object>())->live(info.Env());
  const MetricsToolCall call(info);
  Buffer b;
  check(info.Env(), agm_recorder_metrics_tool(&b.b, rec, call.args.data(), call.args.size(), &call.ctx));
  return b.str(info.Env());
}

class History : public Napi::ObjectWrap<History> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "History",
        {InstanceMethod<&History::Close>("close"), InstanceMethod<&History::Query>("query"),
         InstanceMethod<&History::QueryAsync>("queryAsync"), InstanceMethod<&History::Warnings>("warnings"),
         InstanceMethod<&History::Export>("export"), InstanceMethod<&History::ExportAsync>("exportAsync"),
         InstanceMethod<&History::Report>("reportHtml"),
         InstanceMethod<&History::ReportAsync>("reportHtmlAsync"),
         InstanceMethod<&History::PushOtlpAsync>("pushOtlpAsync"),
         InstanceAccessor<&History::Closed>("closed")});
  }
  History(const Napi::CallbackInfo &info) : Napi::ObjectWrap<History>(info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    check(info.Env(), agm_history_open(&g.h, path.c_str()));
  }
  ~History() override { g.close(); }

 private:
  Guarded<agm_history, agm_history_free> g;
  Napi::Value Closed(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), !g.h || g.closing);
  }
  Napi::Value Close(const Napi::CallbackInfo &info) {
    g.close();
    return info.Env().Undefined();
  }
  Napi::Value Query(const Napi::CallbackInfo &info) {
    QueryArgs args(info);
    Buffer b;
    check(info.Env(), agm_history_query(&b.b, g.live(info.Env(), "History"), &args.q));
    return b.str(info.Env());
  }

 public:
  // The get_metrics tool over this store (see MetricsToolCall).
  static Napi::Value MetricsToolFn(const Napi::CallbackInfo &info) {
    History *self = Unwrap(info[0].As<Napi::Object>());
    const MetricsToolCall call(info);
    Buffer b;
    check(info.Env(), agm_history_metrics_tool(&b.b, self->g.live(info.Env(), "History"), call.args.data(),
                                               call.args.size(), &call.ctx));
    return b.str(info.Env());
  }

 private:
  Napi::Value QueryAsync(const Napi::CallbackInfo &info) {
    agm_history *h = g.live(info.Env(), "History");
    auto args = std::make_shared<QueryArgs>(info);
    auto out = std::make_shared<Buffer>();
    return run_async(
        info.Env(), g, Value(), [h, args, out] { return agm_history_query(&out->b, h, &args->q); },
        [out](Napi::Env env) { return out->str(env); });
  }
  Napi::Value Warnings(const Napi::CallbackInfo &info) {
    Buffer b;
    check(info.Env(), agm_history_warnings(&b.b, g.live(info.Env(), "History")));
    return b.str(info.Env());
  }
  Napi::Value Export(const Napi::CallbackInfo &info) {
    ExportJob job(info);
    check(info.Env(), job.run(g.live(info.Env(), "History")));
    return job.result(info.Env());
  }
  Napi::Value ExportAsync(const Napi::CallbackInfo &info) {
    agm_history *h = g.live(info.Env(), "History");
    auto job = std::make_shared<ExportJob>(info);
    return run_async(
        info.Env(), g, Value(), [h, job] { return job->run(h); },
        [job](Napi::Env env) { return job->result(env); });
  }
  Napi::Value Report(const Napi::CallbackInfo &info) {
    ReportJob job(info);
    check(info.Env(), job.run(g.live(info.Env(), "History")));
    return job.result(info.Env());
  }
  Napi::Value ReportAsync(const Napi::CallbackInfo &info) {
    agm_history *h = g.live(info.Env(), "History");
    auto job = std::make_shared<ReportJob>(info);
    return run_async(
        info.Env(), g, Value(), [h, job] { return job->run(h); },
        [job](Napi::Env env) { return job->result(env); });
  }
  // (..., send): the push runs on its own thread and sends through `send` (lib/http.js).
  Napi::Value PushOtlpAsync(const Napi::CallbackInfo &info) {
    agm_history *h = g.live(info.Env(), "History");
    auto job = std::make_shared<PushJob>(info);
    Napi::Promise promise = HostCall::Start(
        info.Env(), info[10].As<Napi::Function>(), Value(),
        [h, job](agm_http_send_fn send, void *user, std::string &message) {
          job->otlp.send = send;
          job->otlp.send_user = user;
          const agm_status status = agm_history_push_otlp(&job->out.b, h, &job->o, &job->otlp);
          if (AGM_FAILED(status)) message = failure_message();
          return status;
        },
        [this, job](Napi::Env env, Napi::Promise::Deferred &deferred, int status,
                    const std::string &message) {
          g.release();
          if (AGM_FAILED(status)) {
            deferred.Reject(status_error(env, status, message));
          } else {
            deferred.Resolve(job->out.str(env));
          }
        });
    ++g.users;  // released by the call's end (a handle closed meanwhile is freed then)
    return promise;
  }
};

// ---- Follow ----

class Follow : public Napi::ObjectWrap<Follow> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Follow",
        {InstanceMethod<&Follow::Close>("close"), InstanceMethod<&Follow::Poll>("poll"),
         InstanceAccessor<&Follow::Closed>("closed"), InstanceAccessor<&Follow::Malformed>("malformed")});
  }
  // (path, fromStart)
  Follow(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Follow>(info) {
    const std::string path = info[0].As<Napi::String>().Utf8Value();
    check(info.Env(), agm_follow_open(&g.h, path.c_str(), info[1].ToBoolean() ? AGM_FOLLOW_FROM_START : 0));
  }
  ~Follow() override { g.close(); }

 private:
  Guarded<agm_follow, agm_follow_free> g;
  Napi::Value Closed(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), !g.h || g.closing);
  }
  Napi::Value Close(const Napi::CallbackInfo &info) {
    g.close();
    return info.Env().Undefined();
  }
  Napi::Value Poll(const Napi::CallbackInfo &info) {
    Buffer b;
    uint64_t count = 0;
    check(info.Env(), agm_follow_poll(&b.b, &count, g.live(info.Env(), "Follow")));
    return b.str(info.Env());
  }
  Napi::Value Malformed(const Napi::CallbackInfo &info) {
    uint64_t count = 0;
    check(info.Env(), agm_follow_malformed(&count, g.live(info.Env(), "Follow")));
    return Napi::Number::New(info.Env(), static_cast<double>(count));
  }
};

// ---- UsageStream ----

class UsageStream : public Napi::ObjectWrap<UsageStream> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "UsageStream",
        {InstanceMethod<&UsageStream::Add>("add"), InstanceMethod<&UsageStream::Result>("result")});
  }
  // (format, provider?, modelVersion?)
  UsageStream(const Napi::CallbackInfo &info) : Napi::ObjectWrap<UsageStream>(info) {
    const Str provider(info[1]), version(info[2]);
    agm_usage_context ctx = AGM_USAGE_CONTEXT_INIT;
    ctx.provider = provider.get();
    ctx.model_version = version.get();
    check(info.Env(), agm_usage_stream_new(&h, info[0].As<Napi::Number>().Int32Value(), &ctx));
  }
  ~UsageStream() override { agm_usage_stream_free(h); }

 private:
  agm_usage_stream *h = nullptr;
  Napi::Value Add(const Napi::CallbackInfo &info) {
    const std::string json = info[0].As<Napi::String>().Utf8Value();
    check(info.Env(), agm_usage_stream_add(h, json.data(), json.size()));
    return info.Env().Undefined();
  }
  Napi::Value Result(const Napi::CallbackInfo &info) {
    agm_usage u = AGM_USAGE_INIT;
    check(info.Env(), agm_usage_stream_result(h, &u));
    return usage_object(info.Env(), u);
  }
};

// ---- Functions ----

template <class F>
Napi::Value formatted(Napi::Env env, F &&f) {
  Buffer b;
  check(env, f(&b.b));
  return b.str(env);
}

Napi::Value FormatTokens(const Napi::CallbackInfo &info) {
  const int64_t n = info[0].As<Napi::Number>().Int64Value();
  return formatted(info.Env(), [&](agm_buffer *b) { return agm_format_tokens(b, n); });
}
Napi::Value FormatDurationMs(const Napi::CallbackInfo &info) {
  const double v = info[0].As<Napi::Number>().DoubleValue();
  return formatted(info.Env(), [&](agm_buffer *b) { return agm_format_duration_ms(b, v); });
}
Napi::Value FormatDurationNs(const Napi::CallbackInfo &info) {
  const int64_t v = int_arg(info[0]);
  return formatted(info.Env(), [&](agm_buffer *b) { return agm_format_duration_ns(b, v); });
}
Napi::Value FormatCost(const Napi::CallbackInfo &info) {
  const std::string text = info[0].As<Napi::String>().Utf8Value();
  agm_money m = AGM_MONEY_ZERO;
  check(info.Env(), agm_money_from_decimal(&m, text.c_str()));
  return formatted(info.Env(), [&](agm_buffer *b) { return agm_format_cost(b, &m); });
}
Napi::Value ColorEnabled(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), agm_color_enabled(info[0].ToBoolean()) != 0);
}
// (format, json, provider?, modelVersion?, streamEvent?, partial)
Napi::Value NormalizeUsage(const Napi::CallbackInfo &info) {
  const std::string json = info[1].As<Napi::String>().Utf8Value();
  const Str provider(info[2]), version(info[3]), event(info[4]);
  agm_usage_context ctx = AGM_USAGE_CONTEXT_INIT;
  ctx.provider = provider.get();
  ctx.model_version = version.get();
  ctx.stream_event = event.get();
  if (info[5].ToBoolean()) ctx.flags |= AGM_USAGE_CTX_ADK_PARTIAL;
  agm_usage u = AGM_USAGE_INIT;
  check(info.Env(),
        agm_usage_from_json(&u, info[0].As<Napi::Number>().Int32Value(), json.data(), json.size(), &ctx));
  return usage_object(info.Env(), u);
}
Napi::Value MetricsToolSchema(const Napi::CallbackInfo &info) {
  return formatted(info.Env(), [](agm_buffer *b) { return agm_metrics_tool_schema(b); });
}
Napi::Value BundledPricesInfo(const Napi::CallbackInfo &info) {
  return formatted(info.Env(), [](agm_buffer *b) { return agm_prices_bundled_info(b); });
}
Napi::Value StoreCount(const Napi::CallbackInfo &info) {
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  uint64_t n = 0;
  check(info.Env(), agm_store_count(&n, path.c_str()));
  return Napi::Number::New(info.Env(), double(n));
}
// (argv, send): the agentmetrics command line (bin/agentmetrics.js) on a thread of its own, its
// pushes sent through `send` (lib/http.js); resolves to the exit code.
Napi::Value CliMain(const Napi::CallbackInfo &info) {
  auto args = std::make_shared<std::vector<std::string>>();
  const Napi::Array argv = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < argv.Length(); ++i) args->push_back(argv.Get(i).As<Napi::String>().Utf8Value());
  return HostCall::Start(
      info.Env(), info[1].As<Napi::Function>(), Napi::Object(),
      [args](agm_http_send_fn send, void *user, std::string &) {
        std::vector<char *> pointers;
        for (std::string &arg : *args) pointers.push_back(arg.data());
        pointers.push_back(nullptr);
        return agmcli::main(static_cast<int>(args->size()), pointers.data(), send, user);
      },
      [](Napi::Env env, Napi::Promise::Deferred &deferred, int code, const std::string &) {
        deferred.Resolve(Napi::Number::New(env, code));
      });
}
// (AgentMetricsError): called once by lib/index.js.
Napi::Value SetErrorClass(const Napi::CallbackInfo &info) {
  data(info.Env()).error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}
// The floor of the benchmark: a native call with the same arguments, doing nothing.
Napi::Value Noop(const Napi::CallbackInfo &info) {
  return info.Env().Undefined();
}

// ---- Constants ----

// The header's values that lib/index.js and lib/http.js need, exported at init so that no
// JavaScript file retypes them: `constants.<group>.<name>`, where the group is the macros'
// prefix and the name the rest of the macro, both in lower case (AGM_FORMAT_OPENAI_CHAT is
// constants.format.openai_chat; status codes are the group "status", AGM_E_IO is status.e_io).
// tests/node/constants.test.js compares every entry with the header's #define.
struct Constant {
  const char *name;  // the macro without its group prefix
  double value;
};
// {"OPENAI_CHAT", AGM_FORMAT_OPENAI_CHAT} from (AGM_FORMAT_, OPENAI_CHAT).
#define HEADER_CONSTANT(prefix, rest) \
  { #rest, double(prefix##rest) }

void set_group(Napi::Env env, Napi::Object constants, const char *group,
               std::initializer_list<Constant> items) {
  Napi::Object o = Napi::Object::New(env);
  for (const Constant &c : items) {
    std::string name(c.name);
    for (char &ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    o.Set(name, c.value);
  }
  constants.Set(group, o);
}

Napi::Object constants_object(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  set_group(env, c, "status",
            {HEADER_CONSTANT(AGM_, OK), HEADER_CONSTANT(AGM_, BUDGET_EXCEEDED),
             HEADER_CONSTANT(AGM_, BUDGET_WARNING), HEADER_CONSTANT(AGM_, E_INVALID_ARGUMENT),
             HEADER_CONSTANT(AGM_, E_OUT_OF_MEMORY), HEADER_CONSTANT(AGM_, E_EMPTY),
             HEADER_CONSTANT(AGM_, E_UNSUPPORTED), HEADER_CONSTANT(AGM_, E_CORRUPT),
             HEADER_CONSTANT(AGM_, E_STATE), HEADER_CONSTANT(AGM_, E_NOT_FOUND), HEADER_CONSTANT(AGM_, E_IO),
             HEADER_CONSTANT(AGM_, E_DROPPED), HEADER_CONSTANT(AGM_, E_INTERNAL)});
  set_group(env, c, "format",
            {HEADER_CONSTANT(AGM_FORMAT_, OPENAI_CHAT), HEADER_CONSTANT(AGM_FORMAT_, OPENAI_RESPONSES),
             HEADER_CONSTANT(AGM_FORMAT_, ANTHROPIC), HEADER_CONSTANT(AGM_FORMAT_, GOOGLE_GENAI),
             HEADER_CONSTANT(AGM_FORMAT_, BEDROCK), HEADER_CONSTANT(AGM_FORMAT_, AI_SDK_V4),
             HEADER_CONSTANT(AGM_FORMAT_, AI_SDK_V5), HEADER_CONSTANT(AGM_FORMAT_, AI_SDK_V6),
             HEADER_CONSTANT(AGM_FORMAT_, MASTRA)});
  set_group(env, c, "call_has",
            {HEADER_CONSTANT(AGM_CALL_HAS_, START), HEADER_CONSTANT(AGM_CALL_HAS_, END),
             HEADER_CONSTANT(AGM_CALL_HAS_, DURATION), HEADER_CONSTANT(AGM_CALL_HAS_, TTFT),
             HEADER_CONSTANT(AGM_CALL_HAS_, ATTEMPT), HEADER_CONSTANT(AGM_CALL_HAS_, INPUT_BYTES),
             HEADER_CONSTANT(AGM_CALL_HAS_, OUTPUT_BYTES)});
  set_group(env, c, "call_f", {HEADER_CONSTANT(AGM_CALL_F_, SINCE_LAST_STEP)});
  set_group(env, c, "duration",
            {HEADER_CONSTANT(AGM_DURATION_, MODEL_CALL), HEADER_CONSTANT(AGM_DURATION_, TOOL_CALL),
             HEADER_CONSTANT(AGM_DURATION_, TURN), HEADER_CONSTANT(AGM_DURATION_, TTFT)});
  set_group(
      env, c, "by",
      {HEADER_CONSTANT(AGM_BY_, MODEL), HEADER_CONSTANT(AGM_BY_, PROVIDER), HEADER_CONSTANT(AGM_BY_, SOURCE),
       HEADER_CONSTANT(AGM_BY_, TOOL), HEADER_CONSTANT(AGM_BY_, AGENT), HEADER_CONSTANT(AGM_BY_, PHASE),
       HEADER_CONSTANT(AGM_BY_, TASK), HEADER_CONSTANT(AGM_BY_, SESSION), HEADER_CONSTANT(AGM_BY_, DAY)});
  set_group(env, c, "flush",
            {HEADER_CONSTANT(AGM_FLUSH_, NONE), HEADER_CONSTANT(AGM_FLUSH_, INTERVAL),
             HEADER_CONSTANT(AGM_FLUSH_, EVERY_RECORD)});
  set_group(env, c, "record",
            {HEADER_CONSTANT(AGM_RECORD_, SESSION), HEADER_CONSTANT(AGM_RECORD_, MODEL_CALL),
             HEADER_CONSTANT(AGM_RECORD_, TOOL_CALL), HEADER_CONSTANT(AGM_RECORD_, TURN),
             HEADER_CONSTANT(AGM_RECORD_, INVOCATION), HEADER_CONSTANT(AGM_RECORD_, ALL)});
  set_group(env, c, "query",
            {HEADER_CONSTANT(AGM_QUERY_, SUMMARY), HEADER_CONSTANT(AGM_QUERY_, COST_BREAKDOWN),
             HEADER_CONSTANT(AGM_QUERY_, TOOLS), HEADER_CONSTANT(AGM_QUERY_, SLOW),
             HEADER_CONSTANT(AGM_QUERY_, ERRORS), HEADER_CONSTANT(AGM_QUERY_, EXPENSIVE_SESSIONS),
             HEADER_CONSTANT(AGM_QUERY_, SESSION), HEADER_CONSTANT(AGM_QUERY_, INVOCATIONS)});
  set_group(env, c, "period",
            {HEADER_CONSTANT(AGM_PERIOD_, ALL), HEADER_CONSTANT(AGM_PERIOD_, HOUR),
             HEADER_CONSTANT(AGM_PERIOD_, DAY), HEADER_CONSTANT(AGM_PERIOD_, WEEK),
             HEADER_CONSTANT(AGM_PERIOD_, MONTH), HEADER_CONSTANT(AGM_PERIOD_, RANGE)});
  set_group(env, c, "export",
            {HEADER_CONSTANT(AGM_EXPORT_, OTLP_JSON), HEADER_CONSTANT(AGM_EXPORT_, PROMETHEUS),
             HEADER_CONSTANT(AGM_EXPORT_, CSV), HEADER_CONSTANT(AGM_EXPORT_, JSON)});
  set_group(env, c, "http",
            {HEADER_CONSTANT(AGM_HTTP_, RESPONDED), HEADER_CONSTANT(AGM_HTTP_, CONNECT_FAILED),
             HEADER_CONSTANT(AGM_HTTP_, TIMED_OUT), HEADER_CONSTANT(AGM_HTTP_, FAILED)});
  // The version this addon was compiled against (the runtime library's is `version`).
  Napi::Object version = Napi::Object::New(env);
  version.Set("major", double(AGM_VERSION_MAJOR));
  version.Set("minor", double(AGM_VERSION_MINOR));
  version.Set("patch", double(AGM_VERSION_PATCH));
  version.Set("string", AGM_VERSION_STRING);
  version.Set("abi", double(AGM_ABI_VERSION));
  c.Set("version", version);
  // The usage counts in the order of the shared slots: [JS name, AGM_USAGE_HAS_* bit] (kUsageFields).
  Napi::Array usage = Napi::Array::New(env);
  for (const UsageField &f : kUsageFields) {
    Napi::Array field = Napi::Array::New(env, 2);
    field.Set(0u, f.name);
    field.Set(1u, double(f.bit));
    usage.Set(usage.Length(), field);
  }
  c.Set("usage_fields", usage);
  // The slots of the shared typed arrays (NumberSlot, InstantSlot): where lib/index.js writes.
  Napi::Object slots = Napi::Object::New(env);
  slots.Set("usagePresent", double(kUsagePresent));
  slots.Set("usage", double(kInputTokens));
  slots.Set("callPresent", double(kCallPresent));
  slots.Set("durationNs", double(kDurationNs));
  slots.Set("ttftNs", double(kTtftNs));
  slots.Set("attempt", double(kAttempt));
  slots.Set("inputBytes", double(kInputBytes));
  slots.Set("outputBytes", double(kOutputBytes));
  slots.Set("startNs", double(kStartNs));
  slots.Set("endNs", double(kEndNs));
  c.Set("slots", slots);
  return c;
}
#undef HEADER_CONSTANT

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (agm_abi_version() != AGM_ABI_VERSION) throw Napi::Error::New(env, "agentmetrics: core ABI mismatch");
  auto *d = new AddonData;
  env.SetInstanceData(d);
  Napi::Float64Array numbers = Napi::Float64Array::New(env, kNumberSlots);
  Napi::BigInt64Array instants = Napi::BigInt64Array::New(env, kInstantSlots);
  d->numbers_ref = Napi::Persistent(numbers);
  d->instants_ref = Napi::Persistent(instants);
  d->numbers = numbers.Data();
  d->instants = instants.Data();
  exports.Set("numbers", numbers);
  exports.Set("instants", instants);
  exports.Set("Recorder", Recorder::Define(env));
  exports.Set("Session", Session::Define(env));
  exports.Set("History", History::Define(env));
  exports.Set("Follow", Follow::Define(env));
  exports.Set("recordModelCall", Napi::Function::New<Session::RecordModelCallFn>(env, "recordModelCall"));
  exports.Set("recordToolCall", Napi::Function::New<Session::RecordToolCallFn>(env, "recordToolCall"));
  exports.Set("toolStart", Napi::Function::New<Session::ToolStartFn>(env, "toolStart"));
  exports.Set("toolEnd", Napi::Function::New<Session::ToolEndFn>(env, "toolEnd"));
  exports.Set("UsageStream", UsageStream::Define(env));
  exports.Set("recorderMetricsTool", Napi::Function::New<RecorderMetricsTool>(env, "recorderMetricsTool"));
  exports.Set("historyMetricsTool", Napi::Function::New<History::MetricsToolFn>(env, "historyMetricsTool"));
  exports.Set("metricsToolSchema", Napi::Function::New<MetricsToolSchema>(env, "metricsToolSchema"));
  exports.Set("formatTokens", Napi::Function::New<FormatTokens>(env, "formatTokens"));
  exports.Set("formatDurationMs", Napi::Function::New<FormatDurationMs>(env, "formatDurationMs"));
  exports.Set("formatDurationNs", Napi::Function::New<FormatDurationNs>(env, "formatDurationNs"));
  exports.Set("formatCost", Napi::Function::New<FormatCost>(env, "formatCost"));
  exports.Set("colorEnabled", Napi::Function::New<ColorEnabled>(env, "colorEnabled"));
  exports.Set("normalizeUsage", Napi::Function::New<NormalizeUsage>(env, "normalizeUsage"));
  exports.Set("bundledPricesInfo", Napi::Function::New<BundledPricesInfo>(env, "bundledPricesInfo"));
  exports.Set("storeCount", Napi::Function::New<StoreCount>(env, "storeCount"));
  exports.Set("setErrorClass", Napi::Function::New<SetErrorClass>(env, "setErrorClass"));
  exports.Set("cliMain", Napi::Function::New<CliMain>(env, "cliMain"));
  exports.Set("noop", Napi::Function::New<Noop>(env, "noop"));
  exports.Set("version", agm_version_string());
  exports.Set("abiVersion", double(agm_abi_version()));
  exports.Set("constants", constants_object(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(agentmetrics, Init)
