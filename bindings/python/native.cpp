// agentmetrics._native: the Python binding, one thin layer over metrics_c.h.
//
// Everything computed (normalisation, pricing, aggregates, formatting) happens in the core behind
// the C ABI; this file converts arguments and results and maps statuses to exceptions. The
// Python package (agentmetrics/) adds the context managers and decorators around these classes.
//
// Threads: every call here holds the GIL except those that may block (flush, store close,
// loads, queries, counting), which release it. A handle is never freed while a call that may
// run Python code (clocks, callbacks) or that released the GIL is still using it: close() then
// only marks it, and the last such call frees it.
//
// `python -m agentmetrics` is the command itself (cli_main: the CLI library linked into this
// extension), and the OTLP push of both sends through a Python callable (agentmetrics/_http.py):
// the core makes no network calls.
//
// The record calls are the hot path: they are METH_FASTCALL methods that read their keyword
// arguments without building a dict, so recording costs little more than the core's own work.

#include <Python.h>
#include <agentmetrics/metrics_c.h>
#include <pybind11/native_enum.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"

namespace py = pybind11;

namespace {

// ---- Enums: values come from the header's macros, so they are defined once. ----

enum class Format : int32_t {
  OPENAI_CHAT = AGM_FORMAT_OPENAI_CHAT,
  OPENAI_RESPONSES = AGM_FORMAT_OPENAI_RESPONSES,
  ANTHROPIC = AGM_FORMAT_ANTHROPIC,
  GOOGLE_GENAI = AGM_FORMAT_GOOGLE_GENAI,
  BEDROCK = AGM_FORMAT_BEDROCK,
  AI_SDK_V4 = AGM_FORMAT_AI_SDK_V4,
  AI_SDK_V5 = AGM_FORMAT_AI_SDK_V5,
  AI_SDK_V6 = AGM_FORMAT_AI_SDK_V6,
  MASTRA = AGM_FORMAT_MASTRA,
};
enum class DurationKind : int32_t {
  MODEL_CALL = AGM_DURATION_MODEL_CALL,
  TOOL_CALL = AGM_DURATION_TOOL_CALL,
  TURN = AGM_DURATION_TURN,
  TTFT = AGM_DURATION_TTFT,
};
enum class By : int32_t {
  MODEL = AGM_BY_MODEL,
  PROVIDER = AGM_BY_PROVIDER,
  SOURCE = AGM_BY_SOURCE,
  TOOL = AGM_BY_TOOL,
  AGENT = AGM_BY_AGENT,
  PHASE = AGM_BY_PHASE,
  TASK = AGM_BY_TASK,
  SESSION = AGM_BY_SESSION,
  DAY = AGM_BY_DAY,
};
enum class ExportFormat : uint32_t {
  OTLP_JSON = AGM_EXPORT_OTLP_JSON,
  PROMETHEUS = AGM_EXPORT_PROMETHEUS,
  CSV = AGM_EXPORT_CSV,
  JSON = AGM_EXPORT_JSON,
};
enum class Period : uint32_t {
  ALL = AGM_PERIOD_ALL,
  HOUR = AGM_PERIOD_HOUR,
  DAY = AGM_PERIOD_DAY,
  WEEK = AGM_PERIOD_WEEK,
  MONTH = AGM_PERIOD_MONTH,
  RANGE = AGM_PERIOD_RANGE,
};
enum class QueryKind : uint32_t {
  SUMMARY = AGM_QUERY_SUMMARY,
  COST_BREAKDOWN = AGM_QUERY_COST_BREAKDOWN,
  TOOLS = AGM_QUERY_TOOLS,
  SLOW = AGM_QUERY_SLOW,
  ERRORS = AGM_QUERY_ERRORS,
  EXPENSIVE_SESSIONS = AGM_QUERY_EXPENSIVE_SESSIONS,
  SESSION = AGM_QUERY_SESSION,
  INVOCATIONS = AGM_QUERY_INVOCATIONS,
};
enum class Flush : uint32_t {
  NONE = AGM_FLUSH_NONE,
  INTERVAL = AGM_FLUSH_INTERVAL,
  EVERY_RECORD = AGM_FLUSH_EVERY_RECORD,
};
enum class RecordKind : uint32_t {
  SESSION = AGM_RECORD_SESSION,
  MODEL_CALL = AGM_RECORD_MODEL_CALL,
  TOOL_CALL = AGM_RECORD_TOOL_CALL,
  TURN = AGM_RECORD_TURN,
  INVOCATION = AGM_RECORD_INVOCATION,
  ALL = AGM_RECORD_ALL,
};
enum class Notice : int32_t {
  OK = AGM_OK,
  BUDGET_EXCEEDED = AGM_BUDGET_EXCEEDED,
  BUDGET_WARNING = AGM_BUDGET_WARNING,
};
enum class HttpOutcome : uint32_t {
  RESPONDED = AGM_HTTP_RESPONDED,
  CONNECT_FAILED = AGM_HTTP_CONNECT_FAILED,
  TIMED_OUT = AGM_HTTP_TIMED_OUT,
  FAILED = AGM_HTTP_FAILED,
};

// ---- Python objects this module uses, fetched once. ----

struct Cached {
  py::object types;    // agentmetrics._types: the result dataclasses
  py::object sdk;      // agentmetrics._sdk: SDK object -> (format, JSON)
  py::object decimal;  // decimal.Decimal
  py::object json_loads, json_dumps;
  py::object notices[3];
  PyObject *usage_cls = nullptr;
  PyObject *exc_base = nullptr, *exc_invalid = nullptr, *exc_state = nullptr, *exc_not_found = nullptr,
           *exc_io = nullptr, *exc_corrupt = nullptr, *exc_unsupported = nullptr, *exc_closed = nullptr;
};
Cached *g = nullptr;  // set in module init; lives as long as the module

void load_cached() {
  if (g->types) return;
  g->types = py::module_::import("agentmetrics._types");
  g->sdk = py::module_::import("agentmetrics._sdk");
  g->usage_cls = g->types.attr("Usage").ptr();
  py::object notice = py::module_::import("agentmetrics._native").attr("Notice");
  for (int i = 0; i < 3; ++i) g->notices[i] = notice(i);
}

py::object types() {
  load_cached();
  return g->types;
}

// ---- Errors ----

PyObject *exception_for(agm_status status) {
  switch (status) {
    case AGM_E_INVALID_ARGUMENT: return g->exc_invalid;
    case AGM_E_OUT_OF_MEMORY: return PyExc_MemoryError;
    case AGM_E_EMPTY:
    case AGM_E_STATE: return g->exc_state;
    case AGM_E_NOT_FOUND: return g->exc_not_found;
    case AGM_E_IO:
    case AGM_E_DROPPED: return g->exc_io;
    case AGM_E_CORRUPT: return g->exc_corrupt;
    case AGM_E_UNSUPPORTED: return g->exc_unsupported;
    default: return g->exc_base;
  }
}

[[noreturn]] void raise(PyObject *cls, const std::string &message, agm_status status) {
  py::object error = py::reinterpret_borrow<py::object>(cls)(message);
  error.attr("status") = agm_status_name(status);
  PyErr_SetObject(cls, error.ptr());
  throw py::error_already_set();
}

// Raise the exception for a failed status (read the thread's last error message first).
[[noreturn]] void raise_status(agm_status status) {
  raise(exception_for(status), agm_last_error_message(), status);
}

inline agm_status check(agm_status status) {
  if (AGM_FAILED(status)) raise_status(status);
  return status;
}

[[noreturn]] void raise_invalid(const std::string &message) {
  raise(g->exc_invalid, message, AGM_E_INVALID_ARGUMENT);
}
// Like a closed file, a closed handle raises a ValueError (ClosedError).
[[noreturn]] void raise_closed(const char *what) {
  raise(g->exc_closed, std::string("operation on a closed ") + what, AGM_E_STATE);
}

// Report an exception raised by a Python callback the core calls: it cannot cross the C
// boundary, so it goes to sys.unraisablehook, as Python does for other callbacks.
void report_callback_error(py::error_already_set &e, const char *where) {
  e.restore();
  PyErr_WriteUnraisable(py::str(where).ptr());
}

// ---- Arguments ----

// UTF-8 of a str, borrowed from the object (cached by Python); rejects embedded NUL.
const char *utf8(PyObject *value, const char *what) {
  if (!PyUnicode_Check(value))
    throw py::type_error(std::string(what) + " must be a str, not " + Py_TYPE(value)->tp_name);
  Py_ssize_t size = 0;
  const char *text = PyUnicode_AsUTF8AndSize(value, &size);
  if (!text) throw py::error_already_set();
  if (std::strlen(text) != static_cast<size_t>(size))
    raise_invalid(std::string(what) + " contains a NUL character");
  return text;
}
const char *opt_utf8(PyObject *value, const char *what) {
  return (!value || value == Py_None) ? nullptr : utf8(value, what);
}
const char *opt_utf8(const py::object &value, const char *what) {
  return opt_utf8(value.ptr(), what);
}

int64_t to_int64(PyObject *value, const char *what) {
  if (!PyLong_Check(value) || PyBool_Check(value))
    throw py::type_error(std::string(what) + " must be an int, not " + Py_TYPE(value)->tp_name);
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (overflow) raise_invalid(std::string(what) + " is out of range");
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

// Set `out` and `bit` in `present` when `value` is given (not None).
inline void opt_int(PyObject *value, const char *what, int64_t &out, uint64_t &present, uint64_t bit) {
  if (!value || value == Py_None) return;
  out = to_int64(value, what);
  present |= bit;
}

std::string fspath(const py::object &path) {
  py::object p = py::reinterpret_steal<py::object>(PyOS_FSPath(path.ptr()));
  if (!p) throw py::error_already_set();
  if (PyBytes_Check(p.ptr())) return std::string(PyBytes_AS_STRING(p.ptr()), PyBytes_GET_SIZE(p.ptr()));
  return utf8(p.ptr(), "path");
}

agm_money to_money(const py::handle &amount, const char *what) {
  // Decimal, int or a decimal str; a float is refused: it is not the amount the user wrote.
  if (PyFloat_Check(amount.ptr()))
    throw py::type_error(std::string(what) + " must be a Decimal, int or str, not float");
  if (PyBool_Check(amount.ptr()))
    throw py::type_error(std::string(what) + " must be a Decimal, int or str, not bool");
  std::string text = py::str(amount);
  agm_money money = AGM_MONEY_ZERO;
  const agm_status status = agm_money_from_decimal(&money, text.c_str());
  if (AGM_FAILED(status)) raise_invalid(std::string(what) + ": " + agm_last_error_message());
  return money;
}

py::object decimal(const agm_money &money) {
  agm_buffer buf = AGM_BUFFER_INIT;
  const agm_status status = agm_money_to_decimal(&buf, &money);
  if (AGM_FAILED(status)) raise_status(status);
  py::str text(buf.data, buf.size);
  agm_buffer_free(&buf);
  return g->decimal(text);
}

// An agm_buffer that frees itself.
struct Buffer {
  agm_buffer b = AGM_BUFFER_INIT;
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  ~Buffer() { agm_buffer_free(&b); }
  py::str str() const { return py::str(b.data ? b.data : "", b.size); }
};

// JSON text of a payload: str or bytes as they are, anything else through agentmetrics._sdk.
std::string payload_json(const py::handle &payload) {
  if (PyBytes_Check(payload.ptr()))
    return std::string(PyBytes_AS_STRING(payload.ptr()), PyBytes_GET_SIZE(payload.ptr()));
  if (PyUnicode_Check(payload.ptr())) {
    Py_ssize_t size = 0;
    const char *text = PyUnicode_AsUTF8AndSize(payload.ptr(), &size);
    if (!text) throw py::error_already_set();
    return std::string(text, size);
  }
  load_cached();
  return g->sdk.attr("payload_json")(payload).cast<std::string>();
}

int32_t format_value(const py::handle &format) {
  load_cached();
  return g->sdk.attr("format_value")(format).cast<int32_t>();
}

// ---- Usage ----

constexpr const char *kUsageFields[] = {"input_tokens",          "cache_read_tokens", "cache_write_tokens",
                                        "cache_write_1h_tokens", "output_tokens",     "reasoning_tokens",
                                        "total_tokens"};
constexpr uint64_t kUsageBits[] = {
    AGM_USAGE_HAS_INPUT,  AGM_USAGE_HAS_CACHE_READ, AGM_USAGE_HAS_CACHE_WRITE, AGM_USAGE_HAS_CACHE_WRITE_1H,
    AGM_USAGE_HAS_OUTPUT, AGM_USAGE_HAS_REASONING,  AGM_USAGE_HAS_TOTAL};
PyObject *g_usage_names[7];  // interned field names

// The counts of agm_usage, in the order of kUsageFields.
constexpr int64_t agm_usage::*kUsageMembers[] = {
    &agm_usage::input_tokens,          &agm_usage::cache_read_tokens, &agm_usage::cache_write_tokens,
    &agm_usage::cache_write_1h_tokens, &agm_usage::output_tokens,     &agm_usage::reasoning_tokens,
    &agm_usage::total_tokens};

int usage_field(PyObject *key) {
  for (int i = 0; i < 7; ++i)
    if (key == g_usage_names[i]) return i;
  if (PyUnicode_Check(key))
    for (int i = 0; i < 7; ++i)
      if (PyUnicode_Compare(key, g_usage_names[i]) == 0) return i;
  return -1;
}

// What a `usage` argument resolved to: canonical counts, or an SDK payload for a normaliser.
struct UsageArg {
  bool given = false;    // not None
  bool is_json = false;  // `json` in `format`, else `usage`
  agm_usage usage = AGM_USAGE_INIT;
  int32_t format = 0;
  std::string json;
};

void canonical_usage(agm_usage &u, PyObject *obj) {
  if (PyDict_Check(obj)) {
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(obj, &pos, &key, &value)) {
      const int i = usage_field(key);
      if (i < 0)
        raise_invalid("unknown usage key " + py::repr(key).cast<std::string>() +
                      ": a dict is read as canonical usage (input_tokens, cache_read_tokens, "
                      "cache_write_tokens, cache_write_1h_tokens, output_tokens, "
                      "reasoning_tokens); pass usage_format= for an SDK's own shape");
      opt_int(value, kUsageFields[i], u.*kUsageMembers[i], u.present, kUsageBits[i]);
    }
    return;
  }
  for (int i = 0; i < 7; ++i) {
    py::object value = py::reinterpret_steal<py::object>(PyObject_GetAttr(obj, g_usage_names[i]));
    if (!value) throw py::error_already_set();
    opt_int(value.ptr(), kUsageFields[i], u.*kUsageMembers[i], u.present, kUsageBits[i]);
  }
}

void resolve_usage(UsageArg &out, PyObject *usage, PyObject *format) {
  if (!usage || usage == Py_None) return;
  out.given = true;
  if (format && format != Py_None) {
    out.is_json = true;
    out.format = format_value(format);
    out.json = payload_json(usage);
    return;
  }
  load_cached();
  if (PyDict_Check(usage) || PyObject_TypeCheck(usage, reinterpret_cast<PyTypeObject *>(g->usage_cls))) {
    canonical_usage(out.usage, usage);
    return;
  }
  // An SDK object: agentmetrics._sdk tells its format and serialises it.
  py::tuple detected = g->sdk.attr("detect")(py::handle(usage));
  out.is_json = true;
  out.format = detected[0].cast<int32_t>();
  out.json = detected[1].cast<std::string>();
}

struct UsageContext {
  agm_usage_context ctx = AGM_USAGE_CONTEXT_INIT;
  bool any = false;
  void set(PyObject *provider, PyObject *model_version, PyObject *stream_event, PyObject *partial) {
    ctx.provider = opt_utf8(provider, "usage_provider");
    ctx.model_version = opt_utf8(model_version, "model_version");
    ctx.stream_event = opt_utf8(stream_event, "stream_event");
    if (partial && PyObject_IsTrue(partial) == 1) ctx.flags |= AGM_USAGE_CTX_ADK_PARTIAL;
    any = ctx.provider || ctx.model_version || ctx.stream_event || ctx.flags;
  }
  const agm_usage_context *get() const { return any ? &ctx : nullptr; }
};

py::object usage_object(const agm_usage &u) {
  py::dict fields;
  for (int i = 0; i < 7; ++i) {
    const int64_t value = u.*kUsageMembers[i];
    fields[kUsageFields[i]] = (u.present & kUsageBits[i]) ? py::object(py::int_(value)) : py::none();
  }
  return types().attr("Usage")(**fields);
}

// ---- Results as the package's dataclasses ----

py::object opt_count(uint64_t present, uint64_t bit, int64_t value) {
  return (present & bit) ? py::object(py::int_(value)) : py::none();
}

py::object cost_items(const agm_cost_items &c) {
  return types().attr("CostItems")(decimal(c.input), decimal(c.cache_read), decimal(c.cache_write_5m),
                                   decimal(c.cache_write_1h), decimal(c.output), decimal(c.reasoning),
                                   decimal(c.total));
}

py::object totals_object(const agm_totals &t) {
  py::dict f;
  f["model_calls"] = t.model_calls;
  f["calls_with_usage"] = t.calls_with_usage;
  f["calls_missing_usage"] = t.calls_missing_usage;
  f["calls_unpriced"] = t.calls_unpriced;
  f["model_errors"] = t.model_errors;
  f["retries"] = t.retries;
  f["tool_calls"] = t.tool_calls;
  f["tool_errors"] = t.tool_errors;
  f["turns"] = t.turns;
  f["input_tokens"] = opt_count(t.present, AGM_USAGE_HAS_INPUT, t.input_tokens);
  f["cache_read_tokens"] = opt_count(t.present, AGM_USAGE_HAS_CACHE_READ, t.cache_read_tokens);
  f["cache_write_tokens"] = opt_count(t.present, AGM_USAGE_HAS_CACHE_WRITE, t.cache_write_tokens);
  f["cache_write_1h_tokens"] = opt_count(t.present, AGM_USAGE_HAS_CACHE_WRITE_1H, t.cache_write_1h_tokens);
  f["output_tokens"] = opt_count(t.present, AGM_USAGE_HAS_OUTPUT, t.output_tokens);
  f["reasoning_tokens"] = opt_count(t.present, AGM_USAGE_HAS_REASONING, t.reasoning_tokens);
  f["total_tokens"] = opt_count(t.present, AGM_USAGE_HAS_TOTAL, t.total_tokens);
  f["tool_success_rate"] = (t.present & AGM_TOTALS_HAS_TOOL_SUCCESS_RATE)
                               ? py::object(py::float_(t.tool_success_rate))
                               : py::none();
  f["model_success_rate"] = (t.present & AGM_TOTALS_HAS_MODEL_SUCCESS_RATE)
                                ? py::object(py::float_(t.model_success_rate))
                                : py::none();
  f["cost"] = (t.present & AGM_TOTALS_HAS_COST) ? cost_items(t.cost) : py::none();
  f["saturated"] = bool(t.present & AGM_TOTALS_SATURATED);
  f["folded_calls"] = t.folded_calls;
  return types().attr("Totals")(**f);
}

py::object durations_object(const agm_duration_stats &d) {
  const bool has = d.present & AGM_DURATION_HAS_VALUES;
  auto v = [has](int64_t x) { return has ? py::object(py::int_(x)) : py::none(); };
  return types().attr("DurationStats")(d.count, d.sum_ns, v(d.min_ns), v(d.max_ns),
                                       has ? py::object(py::float_(d.mean_ns)) : py::none(), v(d.p50_ns),
                                       v(d.p90_ns), v(d.p95_ns), v(d.p99_ns));
}

py::object parse_doc(const Buffer &buf) {
  return types().attr("parse_doc")(buf.str());
}

// ---- Shared state of a recorder and its sessions ----

// What the core calls back into: it must live as long as the recorder state, which sessions
// keep alive after the recorder handle is freed.
struct Callbacks {
  py::object clock, wall_clock;
  py::object observer;
  py::object on_drop;  // the open store's
};

int64_t call_clock(const py::object &clock, bool wall) {
  py::gil_scoped_acquire gil;
  try {
    return clock().cast<int64_t>();
  } catch (py::error_already_set &e) {
    report_callback_error(e, wall ? "agentmetrics wall clock" : "agentmetrics clock");
  } catch (std::exception &e) {
    PyErr_SetString(PyExc_TypeError, "an agentmetrics clock must return an int of nanoseconds");
    PyErr_WriteUnraisable(clock.ptr());
  }
  // The system clock stands in for a reading the injected clock could not give.
  return py::module_::import("time").attr(wall ? "time_ns" : "monotonic_ns")().cast<int64_t>();
}
int64_t monotonic_thunk(void *payload) {
  return call_clock(static_cast<Callbacks *>(payload)->clock, false);
}
int64_t wall_thunk(void *payload) {
  return call_clock(static_cast<Callbacks *>(payload)->wall_clock, true);
}

const char *record_kind_name(uint32_t kind) {
  switch (kind) {
    case AGM_RECORD_SESSION: return "session";
    case AGM_RECORD_MODEL_CALL: return "model_call";
    case AGM_RECORD_TOOL_CALL: return "tool_call";
    case AGM_RECORD_TURN: return "turn";
    default: return "invocation";
  }
}

void observer_thunk(uint32_t kind, const char *json, size_t size, void *payload) {
  py::gil_scoped_acquire gil;
  auto *callbacks = static_cast<Callbacks *>(payload);
  try {
    py::object observer = callbacks->observer;  // a reference: the callback may replace it
    if (observer) observer(record_kind_name(kind), types().attr("parse_doc")(py::str(json, size)));
  } catch (py::error_already_set &e) {
    report_callback_error(e, "agentmetrics record observer");
  }
}

void drop_thunk(uint64_t dropped, uint64_t queued_bytes, void *payload) {
  py::gil_scoped_acquire gil;
  auto *callbacks = static_cast<Callbacks *>(payload);
  try {
    py::object on_drop = callbacks->on_drop;
    if (on_drop) on_drop(dropped, queued_bytes);
  } catch (py::error_already_set &e) {
    report_callback_error(e, "agentmetrics store on_drop");
  }
}

// A handle that stays valid while calls that may run Python code or release the GIL use it.
// `users` and `closing` change only with the GIL held.
template <class Handle, void (*Free)(Handle *)>
struct Guarded {
  Handle *h = nullptr;
  int users = 0;
  bool closing = false;

  void close(bool release_gil) {
    if (!h || closing) return;
    if (users > 0) {
      closing = true;  // the last user frees it
      return;
    }
    destroy(release_gil);
  }
  void destroy(bool release_gil) {
    Handle *handle = h;
    h = nullptr;
    closing = false;
    if (release_gil) {
      py::gil_scoped_release nogil;
      Free(handle);
    } else {
      Free(handle);
    }
  }
};

template <class G>
struct Use {
  G &guarded;
  bool release_gil;
  Use(G &g, const char *what, bool release = false) : guarded(g), release_gil(release) {
    if (!g.h || g.closing) raise_closed(what);
    ++g.users;
  }
  Use(const Use &) = delete;
  ~Use() {
    if (--guarded.users == 0 && guarded.closing) guarded.destroy(release_gil);
  }
};

// ---- Recorder ----

struct Recorder {
  Guarded<agm_recorder, agm_recorder_free> g;
  std::shared_ptr<Callbacks> callbacks = std::make_shared<Callbacks>();

  Recorder(py::object clock, py::object wall_clock, bool bundled_prices) {
    agm_recorder_options o = AGM_RECORDER_OPTIONS_INIT;
    if (!bundled_prices) o.flags |= AGM_RECORDER_F_NO_BUNDLED_PRICES;
    for (py::object *c : {&clock, &wall_clock})
      if (!c->is_none() && !PyCallable_Check(c->ptr())) throw py::type_error("a clock must be callable");
    if (!clock.is_none()) {
      callbacks->clock = clock;
      o.monotonic_ns = monotonic_thunk;
    }
    if (!wall_clock.is_none()) {
      callbacks->wall_clock = wall_clock;
      o.wall_ns = wall_thunk;
    }
    o.clock_payload = callbacks.get();
    check(agm_recorder_new(&g.h, &o));
  }
  ~Recorder() { g.close(true); }

  agm_recorder *use_check() {
    if (!g.h || g.closing) raise_closed("recorder");
    return g.h;
  }
};

using RecorderUse = Use<decltype(Recorder::g)>;

struct BudgetCallback {
  py::object callback;
};

void budget_thunk(const agm_budget_event *event, void *payload) {
  py::gil_scoped_acquire gil;
  try {
    auto *box = static_cast<BudgetCallback *>(payload);
    auto opt_money = [](uint64_t present, uint64_t bit, const agm_money &m) {
      return (present & bit) ? decimal(m) : py::none();
    };
    box->callback(types().attr("BudgetEvent")(
        event->kind == AGM_BUDGET_WARN ? "warn" : "limit",
        (event->present & AGM_BUDGET_HAS_MAX_COST) ? "cost" : "tokens",
        event->session_id ? py::object(py::str(event->session_id)) : py::none(),
        event->model ? py::object(py::str(event->model)) : py::none(), event->tokens,
        (event->present & AGM_BUDGET_HAS_MAX_TOKENS) ? py::object(py::int_(event->max_tokens)) : py::none(),
        decimal(event->cost), opt_money(event->present, AGM_BUDGET_HAS_MAX_COST, event->max_cost)));
  } catch (py::error_already_set &e) {
    report_callback_error(e, "agentmetrics budget callback");
  }
}

// ---- Session ----

struct Session {
  Guarded<agm_session, agm_session_free> g;
  std::shared_ptr<Callbacks> callbacks;  // the recorder's clocks and observer outlive it
  std::vector<std::unique_ptr<BudgetCallback>> budgets;
  py::dict tags;

  Session(Recorder &rec, py::object session_id, py::object agent, py::object phase, py::object task,
          py::object tags_arg) {
    RecorderUse use(rec.g, "recorder");
    callbacks = rec.callbacks;
    agm_session_options o = AGM_SESSION_OPTIONS_INIT;
    o.session_id = opt_utf8(session_id, "session_id");
    o.agent = opt_utf8(agent, "agent");
    o.phase = opt_utf8(phase, "phase");
    o.task = opt_utf8(task, "task");
    std::vector<agm_tag> tag_list;
    if (!tags_arg.is_none()) {
      for (auto item : py::reinterpret_borrow<py::dict>(py::dict(tags_arg))) {
        tag_list.push_back({utf8(item.first.ptr(), "tag key"), utf8(item.second.ptr(), "tag value")});
        tags[item.first] = item.second;
      }
      o.tags = tag_list.data();
      o.tag_count = tag_list.size();
    }
    check(agm_session_new(&g.h, rec.g.h, &o));
  }
  ~Session() { g.close(false); }

  agm_session *handle() {
    if (!g.h || g.closing) raise_closed("session");
    return g.h;
  }
};

using SessionUse = Use<decltype(Session::g)>;

// One call of the get_metrics tool: the current session (None: none) and now (None: the
// clock) as the core's context; failures the model should read come back as documents.
struct MetricsToolArgs {
  agm_metrics_tool_context ctx = AGM_METRICS_TOOL_CONTEXT_INIT;
  std::optional<SessionUse> use;
  std::string args;
  MetricsToolArgs(py::object args_json, py::object session, py::object now_ns)
      : args(utf8(args_json.ptr(), "args_json")) {
    ctx.flags = AGM_METRICS_TOOL_ERROR_RESULT;
    if (!now_ns.is_none()) {
      ctx.flags |= AGM_METRICS_TOOL_HAS_NOW;
      ctx.now_ns = now_ns.cast<int64_t>();
    }
    if (!session.is_none()) {
      Session &s = session.cast<Session &>();
      use.emplace(s.g, "session");
      ctx.session = s.g.h;
    }
  }
};
#define METRICS_TOOL_ARGS \
  py::arg("args_json"), py::kw_only(), py::arg("session") = py::none(), py::arg("now_ns") = py::none()

// ---- Fast keyword parsing for the record calls ----

// Interned keyword names; a caller's literal keywords are the same objects, so matching is
// mostly a pointer comparison.
struct Keywords {
  std::vector<PyObject *> names;
  explicit Keywords(std::initializer_list<const char *> list) {
    for (const char *n : list) names.push_back(PyUnicode_InternFromString(n));
  }
  int find(PyObject *key) const {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == key) return int(i);
    for (size_t i = 0; i < names.size(); ++i)
      if (PyUnicode_Compare(names[i], key) == 0) return int(i);
    return -1;
  }
};

// Positional arguments first (up to `max_positional`), then keywords; values are borrowed.
void parse_args(const char *fn, const Keywords &kw, size_t max_positional, PyObject *const *args,
                Py_ssize_t nargs, PyObject *kwnames, PyObject **values) {
  if (size_t(nargs) > max_positional)
    throw py::type_error(std::string(fn) + "() takes at most " + std::to_string(max_positional) +
                         " positional argument(s)");
  for (Py_ssize_t i = 0; i < nargs; ++i) values[i] = args[i];
  if (!kwnames) return;
  const Py_ssize_t n = PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject *key = PyTuple_GET_ITEM(kwnames, i);
    const int at = kw.find(key);
    if (at < 0)
      throw py::type_error(std::string(fn) + "() got an unexpected keyword argument " +
                           py::repr(key).cast<std::string>());
    if (values[at])
      throw py::type_error(std::string(fn) + "() got multiple values for argument '" + PyUnicode_AsUTF8(key) +
                           "'");
    values[at] = args[nargs + i];
  }
}

// The method descriptors check that `self` is a Session (or a subclass); with pybind11's simple
// layout (one bound base) its C++ object is the first value slot, which skips a type lookup.
Session &self_session(PyObject *self) {
  auto *inst = reinterpret_cast<py::detail::instance *>(self);
  if (inst->simple_layout && inst->simple_value_holder[0])
    return *static_cast<Session *>(inst->simple_value_holder[0]);
  return py::handle(self).cast<Session &>();
}

// Convert C++ exceptions thrown inside a raw METH_FASTCALL method to a Python error.
template <class F>
PyObject *guarded_call(F &&f) {
  try {
    return f();
  } catch (py::error_already_set &e) {
    e.restore();
  } catch (py::builtin_exception &e) {
    e.set_error();
  } catch (std::bad_alloc &) {
    PyErr_NoMemory();
  } catch (std::exception &e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

PyObject *notice(agm_status status) {
  if (status < 0 || status > 2) status = 0;
  load_cached();
  return g->notices[status].inc_ref().ptr();
}

bool truthy(PyObject *value) {
  if (!value) return false;
  const int t = PyObject_IsTrue(value);
  if (t < 0) throw py::error_already_set();
  return t == 1;
}

// record_model_call(*, model, usage, provider, source, stop_reason, error, duration_ns,
//   start_ns, end_ns, ttft_ns, attempt, since_last_step, usage_format, usage_provider,
//   model_version, stream_event, partial)
PyObject *record_model_call(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  return guarded_call([&]() -> PyObject * {
    static const Keywords kw{
        "model",        "usage",          "provider",      "source",       "stop_reason", "error",
        "duration_ns",  "start_ns",       "end_ns",        "ttft_ns",      "attempt",     "since_last_step",
        "usage_format", "usage_provider", "model_version", "stream_event", "partial"};
    PyObject *v[17] = {};
    parse_args("record_model_call", kw, 0, args, nargs, kwnames, v);
    Session &s = self_session(self);
    agm_session *h = s.handle();
    agm_model_call call = AGM_MODEL_CALL_INIT;
    call.model = opt_utf8(v[0], "model");
    call.provider = opt_utf8(v[2], "provider");
    call.source = opt_utf8(v[3], "source");
    call.stop_reason = opt_utf8(v[4], "stop_reason");
    if (v[5] && v[5] != Py_None) {
      call.outcome = AGM_OUTCOME_ERROR;
      call.error_type = utf8(v[5], "error");
    }
    opt_int(v[6], "duration_ns", call.duration_ns, call.present, AGM_CALL_HAS_DURATION);
    opt_int(v[7], "start_ns", call.start_ns, call.present, AGM_CALL_HAS_START);
    opt_int(v[8], "end_ns", call.end_ns, call.present, AGM_CALL_HAS_END);
    opt_int(v[9], "ttft_ns", call.ttft_ns, call.present, AGM_CALL_HAS_TTFT);
    opt_int(v[10], "attempt", call.attempt, call.present, AGM_CALL_HAS_ATTEMPT);
    if (truthy(v[11])) call.present |= AGM_CALL_F_SINCE_LAST_STEP;
    UsageArg usage;
    resolve_usage(usage, v[1], v[12]);
    UsageContext context;
    context.set(v[13], v[14], v[15], v[16]);
    agm_status status;
    {
      SessionUse use(s.g, "session");  // a budget callback or observer may run Python code
      if (usage.is_json) {
        status = agm_session_record_model_call_json(h, &call, usage.format, usage.json.data(),
                                                    usage.json.size(), context.get());
      } else {
        if (usage.given) call.usage = &usage.usage;
        call.usage_context = context.get();  // the core applies its rules (ADK partial: no usage)
        status = agm_session_record_model_call(h, &call);
      }
      check(status);
    }
    return notice(status);
  });
}

void tool_outcome(agm_tool_call &call, PyObject *error, PyObject *message) {
  if ((error && error != Py_None) || (message && message != Py_None)) {
    call.outcome = AGM_OUTCOME_ERROR;
    call.error_type = opt_utf8(error, "error");
    call.error_message = opt_utf8(message, "error_message");
  }
}

// record_tool_call(name, *, duration_ns, start_ns, end_ns, since_last_step, error,
//   error_message, input_bytes, output_bytes)
PyObject *record_tool_call(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  return guarded_call([&]() -> PyObject * {
    static const Keywords kw{"name",  "duration_ns",   "start_ns",    "end_ns",      "since_last_step",
                             "error", "error_message", "input_bytes", "output_bytes"};
    PyObject *v[9] = {};
    parse_args("record_tool_call", kw, 1, args, nargs, kwnames, v);
    if (!v[0]) throw py::type_error("record_tool_call() missing required argument 'name'");
    Session &s = self_session(self);
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    call.name = utf8(v[0], "name");
    opt_int(v[1], "duration_ns", call.duration_ns, call.present, AGM_CALL_HAS_DURATION);
    opt_int(v[2], "start_ns", call.start_ns, call.present, AGM_CALL_HAS_START);
    opt_int(v[3], "end_ns", call.end_ns, call.present, AGM_CALL_HAS_END);
    if (truthy(v[4])) call.present |= AGM_CALL_F_SINCE_LAST_STEP;
    tool_outcome(call, v[5], v[6]);
    opt_int(v[7], "input_bytes", call.input_bytes, call.present, AGM_CALL_HAS_INPUT_BYTES);
    opt_int(v[8], "output_bytes", call.output_bytes, call.present, AGM_CALL_HAS_OUTPUT_BYTES);
    SessionUse use(s.g, "session");
    check(agm_session_record_tool_call(s.g.h, &call));
    Py_RETURN_NONE;
  });
}

// tool_start(name, call_id, *, at_ns)
PyObject *tool_start(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  return guarded_call([&]() -> PyObject * {
    static const Keywords kw{"name", "call_id", "at_ns"};
    PyObject *v[3] = {};
    parse_args("tool_start", kw, 2, args, nargs, kwnames, v);
    if (!v[0] || !v[1]) throw py::type_error("tool_start() requires name and call_id");
    Session &s = self_session(self);
    int64_t at = 0;
    uint64_t has = 0;
    opt_int(v[2], "at_ns", at, has, 1);
    SessionUse use(s.g, "session");
    check(agm_session_tool_start(s.g.h, utf8(v[0], "name"), utf8(v[1], "call_id"), has ? &at : nullptr));
    Py_RETURN_NONE;
  });
}

// tool_end(call_id, *, name, end_ns, error, error_message, input_bytes, output_bytes)
PyObject *tool_end(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  return guarded_call([&]() -> PyObject * {
    static const Keywords kw{"call_id",       "name",        "end_ns",      "error",
                             "error_message", "input_bytes", "output_bytes"};
    PyObject *v[7] = {};
    parse_args("tool_end", kw, 1, args, nargs, kwnames, v);
    if (!v[0]) throw py::type_error("tool_end() missing required argument 'call_id'");
    Session &s = self_session(self);
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    call.call_id = utf8(v[0], "call_id");
    call.name = opt_utf8(v[1], "name");
    opt_int(v[2], "end_ns", call.end_ns, call.present, AGM_CALL_HAS_END);
    tool_outcome(call, v[3], v[4]);
    opt_int(v[5], "input_bytes", call.input_bytes, call.present, AGM_CALL_HAS_INPUT_BYTES);
    opt_int(v[6], "output_bytes", call.output_bytes, call.present, AGM_CALL_HAS_OUTPUT_BYTES);
    SessionUse use(s.g, "session");
    check(agm_session_tool_end(s.g.h, &call));
    Py_RETURN_NONE;
  });
}

// The floor of the benchmark: a call into this module with the same arguments, doing nothing.
PyObject *noop(PyObject *, PyObject *const *, Py_ssize_t, PyObject *) {
  Py_RETURN_NONE;
}

// Docstrings start with a signature line, which Python turns into __text_signature__.
PyMethodDef g_session_methods[] = {
    {"record_model_call", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(record_model_call)),
     METH_FASTCALL | METH_KEYWORDS,
     "record_model_call($self, /, *, model=None, usage=None, provider=None, source=None, "
     "stop_reason=None, error=None, duration_ns=None, start_ns=None, end_ns=None, ttft_ns=None, "
     "attempt=None, since_last_step=False, usage_format=None, usage_provider=None, "
     "model_version=None, stream_event=None, partial=False)\n--\n\n"
     "Record one model call (one LLM response). Returns a Notice (OK, or a budget notice)."},
    {"record_tool_call", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(record_tool_call)),
     METH_FASTCALL | METH_KEYWORDS,
     "record_tool_call($self, name, /, *, duration_ns=None, start_ns=None, end_ns=None, "
     "since_last_step=False, error=None, error_message=None, input_bytes=None, "
     "output_bytes=None)\n--\n\nRecord a finished tool call in one step."},
    {"tool_start", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(tool_start)),
     METH_FASTCALL | METH_KEYWORDS,
     "tool_start($self, name, call_id, /, *, at_ns=None)\n--\n\nA tool call starts."},
    {"tool_end", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(tool_end)),
     METH_FASTCALL | METH_KEYWORDS,
     "tool_end($self, call_id, /, *, name=None, end_ns=None, error=None, error_message=None, "
     "input_bytes=None, output_bytes=None)\n--\n\nThe tool call `call_id` ends."},
};
PyMethodDef g_noop_def = {"noop", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(noop)),
                          METH_FASTCALL | METH_KEYWORDS,
                          "noop(*args, **kwargs)\n--\n\nDo nothing (the benchmark's floor)."};

// ---- Queries ----

agm_query make_query(uint32_t kind, uint32_t period, int32_t group_by, py::object from_ns, py::object to_ns,
                     py::object now_ns, const char *name, int64_t threshold_ns, uint32_t limit) {
  agm_query q = AGM_QUERY_INIT;
  q.kind = kind;
  q.period = period;
  q.group_by = group_by;
  if (!from_ns.is_none()) {  // an end left out is open: the core's rule, by its presence bit
    q.from_ns = to_int64(from_ns.ptr(), "since");
    q.present |= AGM_QUERY_HAS_FROM;
  }
  if (!to_ns.is_none()) {
    q.to_ns = to_int64(to_ns.ptr(), "until");
    q.present |= AGM_QUERY_HAS_TO;
  }
  if (!now_ns.is_none()) {
    q.now_ns = to_int64(now_ns.ptr(), "now_ns");
    q.present |= AGM_QUERY_HAS_NOW;
  }
  q.name = name;
  q.threshold_ns = threshold_ns;
  q.limit = limit;
  return q;
}

// Tier names kept alive for an agm_aggregate_options.
struct AggregateOptions {
  std::vector<std::string> names;
  std::vector<const char *> ptrs;
  agm_aggregate_options o = AGM_AGGREGATE_OPTIONS_INIT;
  AggregateOptions(const py::object &tiers, int64_t bucket_ns) {
    if (!tiers.is_none()) {
      for (auto t : tiers) names.push_back(utf8(t.ptr(), "tier"));
      for (auto &n : names) ptrs.push_back(n.c_str());
      o.tiers = ptrs.data();
      o.tier_count = uint32_t(ptrs.size());
    }
    o.bucket_ns = bucket_ns;
  }
};

#define QUERY_ARGS                                                                                 \
  py::arg("kind"), py::kw_only(),                                                                  \
      py::arg("period") = 0, py::arg("group_by") = 0, py::arg("since") = py::none(),               \
      py::arg("until") = py::none(), py::arg("now_ns") = py::none(), py::arg("name") = py::none(), \
      py::arg("threshold_ns") = 0, py::arg("limit") = 0, py::arg("tiers") = py::none(),            \
      py::arg("bucket_ns") = 0

// ---- History ----

struct History {
  Guarded<agm_history, agm_history_free> g;
  explicit History(const py::object &path) {
    const std::string p = fspath(path);
    agm_status status;
    {
      py::gil_scoped_release nogil;
      status = agm_history_open(&g.h, p.c_str());
    }
    check(status);
  }
  ~History() { g.close(false); }
  py::object progress = py::none();  // a callable(done, total), or None
};

// Calls a Python callable from a core callback, on whatever thread runs it; the first
// exception is kept (to raise when the call returns) and stops the export.
struct PyCallback {
  explicit PyCallback(py::object f) : fn(std::move(f)) {}
  py::object fn;
  std::optional<py::error_already_set> error;
  template <class... Args>
  bool call(Args &&...args) {
    py::gil_scoped_acquire gil;
    if (error) return false;
    try {
      fn(std::forward<Args>(args)...);
      return true;
    } catch (py::error_already_set &e) {
      error = std::move(e);
      return false;
    }
  }
  void rethrow() {
    if (!error) return;
    py::error_already_set e = std::move(*error);
    error.reset();
    throw e;
  }
};

int32_t write_thunk(void *user, const char *data, size_t size) {
  return static_cast<PyCallback *>(user)->call(py::bytes(data, size)) ? 0 : 1;
}
void progress_thunk(void *user, uint64_t done, uint64_t total) {
  static_cast<PyCallback *>(user)->call(done, total);
}

// The HTTP sender of the OTLP push (agm_http_send_fn) over a Python callable
// send(url, headers, body, timeout_ms) -> (outcome, status, retry_after, body, error), called
// with the GIL taken on the thread that runs the push. An exception it raises stops the push
// and is raised again when the native call returns.
struct PySender {
  explicit PySender(py::object f) : fn(std::move(f)) {}
  py::object fn;
  std::optional<py::error_already_set> error;
  std::string retry_after, body, message;  // the last response's strings, until the next call

  static int32_t send(void *user, const agm_http_request *request, agm_http_response *response) {
    auto *self = static_cast<PySender *>(user);
    py::gil_scoped_acquire gil;
    try {
      py::list headers;
      for (size_t i = 0; i < request->header_count; ++i)
        headers.append(py::make_tuple(py::str(request->headers[i].name), py::str(request->headers[i].value)));
      self->fill(self->fn(py::str(request->url), headers, py::bytes(request->body, request->body_size),
                          request->timeout_ms),
                 *response);
      return 0;
    } catch (py::error_already_set &e) {
      self->error = std::move(e);
    } catch (const std::exception &e) {  // a reply of the wrong shape
      PyErr_SetString(
          PyExc_TypeError,
          (std::string("an HTTP sender returns (outcome, status, retry_after, body, error): ") + e.what())
              .c_str());
      self->error = py::error_already_set();
    }
    self->message = "the Python HTTP sender raised an exception";
    response->error = self->message.c_str();
    return 1;
  }

  void fill(const py::object &reply, agm_http_response &response) {
    if (!py::isinstance<py::tuple>(reply) || py::len(reply) != 5) throw py::type_error("not a tuple of 5");
    const py::tuple t = py::reinterpret_borrow<py::tuple>(reply);
    response.outcome = t[0].cast<uint32_t>();
    response.status = t[1].cast<int32_t>();
    if (!t[2].is_none()) {
      retry_after = t[2].cast<std::string>();
      response.retry_after = retry_after.c_str();
    }
    body = t[3].is_none() ? std::string() : std::string(t[3].cast<py::bytes>());
    response.body = body.data();
    response.body_size = body.size();
    if (!t[4].is_none()) {
      message = t[4].cast<std::string>();
      response.error = message.c_str();
    }
  }

  void rethrow() {
    if (!error) return;
    py::error_already_set e = std::move(*error);
    error.reset();
    throw e;
  }
};

// The period of an export or report: as make_query, without a kind.
struct RangeArg {
  agm_query q;
  RangeArg(uint32_t period, py::object since, py::object until, py::object now_ns)
      : q(make_query(0, period, 0, std::move(since), std::move(until), std::move(now_ns), nullptr, 0, 0)) {}
};

// The options of an export, push or file export: the range (which the options point into, so
// neither moves) and the resource attributes.
struct ExportArgs {
  RangeArg range;
  agm_export_options o = AGM_EXPORT_OPTIONS_INIT;
  ExportArgs(uint32_t format, uint32_t period, py::object since, py::object until, py::object now_ns,
             py::object resource)
      : range(period, since, until, now_ns) {
    o.format = format;
    o.range = &range.q;
    o.resource_attributes = opt_utf8(resource, "resource");
  }
  ExportArgs(const ExportArgs &) = delete;
  ExportArgs &operator=(const ExportArgs &) = delete;
};

// Runs `body` with the GIL released and the history's progress callback installed.
template <class F>
agm_status with_progress(History &h, F &&body) {
  PyCallback progress(h.progress);
  const bool has = !h.progress.is_none();
  agm_status status;
  {
    py::gil_scoped_release nogil;
    if (has) agm_history_set_progress(h.g.h, progress_thunk, &progress);
    status = body();
    if (has) agm_history_set_progress(h.g.h, nullptr, nullptr);
  }
  progress.rethrow();
  return status;
}

// ---- Follow ----

struct Follow {
  Guarded<agm_follow, agm_follow_free> g;
  Follow(const py::object &path, bool from_start) {
    const std::string p = fspath(path);
    agm_status status;
    {
      py::gil_scoped_release nogil;
      status = agm_follow_open(&g.h, p.c_str(), from_start ? AGM_FOLLOW_FROM_START : 0);
    }
    check(status);
  }
  ~Follow() { g.close(false); }
};

// A breakdown as {key: Group}; frees `b`.
py::dict breakdown_object(agm_breakdown *b) {
  std::unique_ptr<agm_breakdown, void (*)(agm_breakdown *)> owner(b, agm_breakdown_free);
  py::dict groups;
  for (size_t i = 0, n = agm_breakdown_count(b); i < n; ++i) {
    agm_totals t = AGM_TOTALS_INIT;
    check(agm_breakdown_totals(&t, b, i));
    py::dict durations;
    for (int32_t kind = AGM_DURATION_MODEL_CALL; kind <= AGM_DURATION_TTFT; ++kind) {
      agm_duration_stats d = AGM_DURATION_STATS_INIT;
      if (agm_breakdown_durations(&d, b, i, kind) == AGM_OK && d.count > 0)
        durations[py::cast(DurationKind(kind))] = durations_object(d);
    }
    const char *key = agm_breakdown_key(b, i);
    const char *error = agm_breakdown_last_error(b, i);
    groups[py::str(key)] = types().attr("Group")(key, totals_object(t), durations,
                                                 error ? py::object(py::str(error)) : py::none());
  }
  return groups;
}

py::object turn_stats_object(const agm_turn_stats &t) {
  return types().attr("TurnStats")(
      t.index, t.start_ns, (t.present & AGM_TURN_HAS_END) ? py::object(py::int_(t.end_ns)) : py::none(),
      t.duration_ns, t.tool_wall_ns, t.tool_work_ns, t.model_calls, t.tool_calls, t.start_wall_ns);
}

// A flat mapping as a JSON object, with Decimal values written as exact JSON numbers.
std::string flat_json(const py::handle &mapping) {
  std::string json = "{";
  for (auto item : py::reinterpret_borrow<py::dict>(py::dict(py::reinterpret_borrow<py::object>(mapping)))) {
    if (json.size() > 1) json += ',';
    json += g->json_dumps(py::str(item.first)).cast<std::string>() + ':';
    json += py::isinstance(item.second, g->decimal) ? py::str(item.second).cast<std::string>()
                                                    : g->json_dumps(item.second).cast<std::string>();
  }
  return json + '}';
}

// Invocation fields by name, for Recorder.record_invocation(**fields).
void invocation_field(agm_invocation &inv, const std::string &key, const py::handle &value) {
  if (value.is_none()) return;
  auto int_field = [&](int64_t &field, uint64_t bit = 0) {
    field = to_int64(value.ptr(), key.c_str());
    inv.present |= bit;
  };
  if (key == "phase")
    int_field(inv.phase);
  else if (key == "duration_ns")
    int_field(inv.duration_ns);
  else if (key == "tokens")
    int_field(inv.tokens);
  else if (key == "input_tokens")
    int_field(inv.input_tokens, AGM_INVOCATION_HAS_INPUT_TOKENS);
  else if (key == "output_tokens")
    int_field(inv.output_tokens, AGM_INVOCATION_HAS_OUTPUT_TOKENS);
  else if (key == "cached_tokens")
    int_field(inv.cached_tokens, AGM_INVOCATION_HAS_CACHED_TOKENS);
  else if (key == "exit_code")
    int_field(inv.exit_code);
  else if (key == "attempt")
    int_field(inv.attempt);
  else if (key == "start_wall_ns")
    int_field(inv.start_wall_ns, AGM_INVOCATION_HAS_START);
  else if (key == "cost")
    inv.cost = to_money(value, "cost");
  else if (key == "success")
    inv.flags |= truthy(value.ptr()) ? AGM_INVOCATION_F_SUCCESS : 0;
  else if (key == "output_parsed")
    inv.flags |= truthy(value.ptr()) ? AGM_INVOCATION_F_OUTPUT_PARSED : 0;
  else
    throw py::type_error("record_invocation() got an unexpected field '" + key + "'");
}

}  // namespace

PYBIND11_MODULE(_native, m, py::mod_gil_not_used()) {
  m.doc() = "agentmetrics native core (pybind11 over metrics_c.h). Use the agentmetrics package.";
  g = new Cached;  // never freed: Python objects must not be released after the interpreter ends
  g->decimal = py::module_::import("decimal").attr("Decimal");
  py::module_ json = py::module_::import("json");
  g->json_loads = json.attr("loads");
  g->json_dumps = json.attr("dumps");
  for (int i = 0; i < 7; ++i) g_usage_names[i] = PyUnicode_InternFromString(kUsageFields[i]);

  if (agm_abi_version() != AGM_ABI_VERSION) throw py::import_error("agentmetrics: core ABI mismatch");
  auto exception = [&](const char *name, py::handle base, py::handle builtin, const char *doc) {
    const std::string qualified = std::string("agentmetrics.") + name;
    py::tuple bases = builtin ? py::tuple(py::make_tuple(base, builtin)) : py::tuple(py::make_tuple(base));
    PyObject *cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
    if (!cls) throw py::error_already_set();
    m.add_object(name, py::handle(cls));  // the module owns the class
    return cls;
  };
  g->exc_base = exception("AgentMetricsError", PyExc_Exception, nullptr,
                          "Base of every agentmetrics error; `status` names the C status code.");
  g->exc_invalid = exception("InvalidArgumentError", g->exc_base, PyExc_ValueError,
                             "An argument is out of range, inconsistent or malformed.");
  g->exc_state = exception("StateError", g->exc_base, PyExc_RuntimeError,
                           "The call is not valid now (no open turn, an unknown call id, no store).");
  g->exc_closed = exception("ClosedError", g->exc_base, PyExc_ValueError,
                            "An operation on a closed recorder, session or history.");
  g->exc_not_found =
      exception("NotFoundError", g->exc_base, PyExc_LookupError, "A path, session or model was not found.");
  g->exc_io = exception("StoreError", g->exc_base, PyExc_OSError, "An I/O call on a store failed.");
  g->exc_corrupt = exception("CorruptError", g->exc_base, PyExc_ValueError,
                             "A document or database does not parse or has the wrong shape.");
  g->exc_unsupported = exception("UnsupportedError", g->exc_base, nullptr,
                                 "Not supported by this version (a newer schema, a format without streams).");

  py::native_enum<Format>(m, "Format", "enum.IntEnum", "Usage payload formats of the SDKs.")
      .value("OPENAI_CHAT", Format::OPENAI_CHAT)
      .value("OPENAI_RESPONSES", Format::OPENAI_RESPONSES)
      .value("ANTHROPIC", Format::ANTHROPIC)
      .value("GOOGLE_GENAI", Format::GOOGLE_GENAI)
      .value("BEDROCK", Format::BEDROCK)
      .value("AI_SDK_V4", Format::AI_SDK_V4)
      .value("AI_SDK_V5", Format::AI_SDK_V5)
      .value("AI_SDK_V6", Format::AI_SDK_V6)
      .value("MASTRA", Format::MASTRA)
      .finalize();
  py::native_enum<DurationKind>(m, "DurationKind", "enum.IntEnum", "What a duration measures.")
      .value("MODEL_CALL", DurationKind::MODEL_CALL)
      .value("TOOL_CALL", DurationKind::TOOL_CALL)
      .value("TURN", DurationKind::TURN)
      .value("TTFT", DurationKind::TTFT)
      .finalize();
  py::native_enum<By>(m, "By", "enum.IntEnum", "Breakdown and grouping dimensions.")
      .value("MODEL", By::MODEL)
      .value("PROVIDER", By::PROVIDER)
      .value("SOURCE", By::SOURCE)
      .value("TOOL", By::TOOL)
      .value("AGENT", By::AGENT)
      .value("PHASE", By::PHASE)
      .value("TASK", By::TASK)
      .value("SESSION", By::SESSION)
      .value("DAY", By::DAY)
      .finalize();
  py::native_enum<ExportFormat>(m, "ExportFormat", "enum.IntEnum", "Export formats.")
      .value("OTLP_JSON", ExportFormat::OTLP_JSON)
      .value("PROMETHEUS", ExportFormat::PROMETHEUS)
      .value("CSV", ExportFormat::CSV)
      .value("JSON", ExportFormat::JSON)
      .finalize();
  py::native_enum<Period>(m, "Period", "enum.IntEnum", "History query periods.")
      .value("ALL", Period::ALL)
      .value("HOUR", Period::HOUR)
      .value("DAY", Period::DAY)
      .value("WEEK", Period::WEEK)
      .value("MONTH", Period::MONTH)
      .value("RANGE", Period::RANGE)
      .finalize();
  py::native_enum<QueryKind>(m, "QueryKind", "enum.IntEnum", "History query kinds.")
      .value("SUMMARY", QueryKind::SUMMARY)
      .value("COST_BREAKDOWN", QueryKind::COST_BREAKDOWN)
      .value("TOOLS", QueryKind::TOOLS)
      .value("SLOW", QueryKind::SLOW)
      .value("ERRORS", QueryKind::ERRORS)
      .value("EXPENSIVE_SESSIONS", QueryKind::EXPENSIVE_SESSIONS)
      .value("SESSION", QueryKind::SESSION)
      .value("INVOCATIONS", QueryKind::INVOCATIONS)
      .finalize();
  py::native_enum<Flush>(m, "Flush", "enum.IntEnum", "When stored records are synced to disk.")
      .value("NONE", Flush::NONE)
      .value("INTERVAL", Flush::INTERVAL)
      .value("EVERY_RECORD", Flush::EVERY_RECORD)
      .finalize();
  py::native_enum<RecordKind>(m, "RecordKind", "enum.IntFlag", "Kinds of record, as bits.")
      .value("SESSION", RecordKind::SESSION)
      .value("MODEL_CALL", RecordKind::MODEL_CALL)
      .value("TOOL_CALL", RecordKind::TOOL_CALL)
      .value("TURN", RecordKind::TURN)
      .value("INVOCATION", RecordKind::INVOCATION)
      .value("ALL", RecordKind::ALL)
      .finalize();
  py::native_enum<Notice>(m, "Notice", "enum.IntEnum", "What a record call reports.")
      .value("OK", Notice::OK)
      .value("BUDGET_EXCEEDED", Notice::BUDGET_EXCEEDED)
      .value("BUDGET_WARNING", Notice::BUDGET_WARNING)
      .finalize();
  py::native_enum<HttpOutcome>(m, "HttpOutcome", "enum.IntEnum", "What an HTTP sender's client reported.")
      .value("RESPONDED", HttpOutcome::RESPONDED)
      .value("CONNECT_FAILED", HttpOutcome::CONNECT_FAILED)
      .value("TIMED_OUT", HttpOutcome::TIMED_OUT)
      .value("FAILED", HttpOutcome::FAILED)
      .finalize();

  m.attr("__version__") = agm_version_string();
  m.attr("ABI_VERSION") = agm_abi_version();
  m.def("version", &agm_version_string, "The core library's version string.");

  // The command line (python -m agentmetrics): the program's main(), run in this process with
  // the GIL released; `send` (or None: no HTTP client) performs its pushes.
  m.def(
      "cli_main",
      [](const py::sequence &argv, py::object send) {
        if (!send.is_none() && !PyCallable_Check(send.ptr()))
          throw py::type_error("send must be callable or None");
        std::vector<std::string> args;
        for (py::handle arg : argv) {
          // As os.fsencode: a str in the file system encoding (surrogateescape), bytes as they are.
          py::object encoded;
          if (PyUnicode_Check(arg.ptr())) {
            encoded = py::reinterpret_steal<py::object>(PyUnicode_EncodeFSDefault(arg.ptr()));
            if (!encoded) throw py::error_already_set();
          } else if (PyBytes_Check(arg.ptr())) {
            encoded = py::reinterpret_borrow<py::object>(arg);
          } else {
            throw py::type_error("cli_main: argv must be a sequence of str or bytes");
          }
          args.emplace_back(PyBytes_AS_STRING(encoded.ptr()),
                            static_cast<size_t>(PyBytes_GET_SIZE(encoded.ptr())));
        }
        std::vector<char *> pointers;
        for (std::string &a : args) pointers.push_back(a.data());
        pointers.push_back(nullptr);
        PySender sender(send);
        int code;
        {
          py::gil_scoped_release nogil;
          code = agmcli::main(static_cast<int>(args.size()), pointers.data(),
                              send.is_none() ? nullptr : &PySender::send, &sender);
        }
        sender.rethrow();
        return code;
      },
      py::arg("argv"), py::arg("send"),
      "Run the agentmetrics command line `argv` (argv[0] is the program's name) in this process; "
      "returns its exit code. Output goes to file descriptors 1 and 2.");

  m.def(
      "metrics_tool_schema",
      [] {
        Buffer b;
        check(agm_metrics_tool_schema(&b.b));
        return b.str();
      },
      "The get_metrics agent tool's definition as JSON: name, description, parameters.");

  // Display
  m.def(
      "format_tokens",
      [](int64_t tokens) {
        Buffer b;
        check(agm_format_tokens(&b.b, tokens));
        return b.str();
      },
      py::arg("tokens"), "\"1,247\": a token count with digits grouped.");
  m.def(
      "format_duration_ns",
      [](int64_t ns) {
        Buffer b;
        check(agm_format_duration_ns(&b.b, ns));
        return b.str();
      },
      py::arg("duration_ns"), "\"850ms\", \"2.3s\", \"1m 23s\", \"2h 5m\".");
  m.def(
      "format_duration_ms",
      [](double ms) {
        Buffer b;
        check(agm_format_duration_ms(&b.b, ms));
        return b.str();
      },
      py::arg("duration_ms"), "As format_duration_ns, for milliseconds.");
  m.def(
      "format_cost",
      [](py::object amount) {
        const agm_money money = to_money(amount, "amount");
        Buffer b;
        check(agm_format_cost(&b.b, &money));
        return b.str();
      },
      py::arg("amount"), "\"$0.0042\": a USD amount (Decimal, int or decimal str) for display.");
  m.def(
      "color_enabled", [](bool is_tty) { return agm_color_enabled(is_tty) != 0; }, py::arg("is_tty"),
      "Whether to colour output: a TTY and NO_COLOR unset or empty.");

  // Usage
  m.def(
      "normalize_usage",
      [](py::object payload, py::object format, py::object provider, py::object model_version,
         py::object stream_event, bool partial) {
        UsageArg usage;
        resolve_usage(usage, payload.ptr(), format.ptr());
        if (usage.given && !usage.is_json)
          throw py::type_error(
              "normalize_usage() takes an SDK usage object, or a payload with format=; "
              "canonical counts are already a Usage");
        agm_usage out = AGM_USAGE_INIT;
        if (usage.given) {
          UsageContext context;
          context.set(provider.ptr(), model_version.ptr(), stream_event.ptr(), partial ? Py_True : Py_False);
          check(agm_usage_from_json(&out, usage.format, usage.json.data(), usage.json.size(), context.get()));
        }
        return usage_object(out);
      },
      py::arg("payload"), py::arg("format") = py::none(), py::kw_only(), py::arg("provider") = py::none(),
      py::arg("model_version") = py::none(), py::arg("stream_event") = py::none(), py::arg("partial") = false,
      "Normalise a usage payload (an SDK object, a dict in an SDK's shape with `format`, or "
      "canonical counts) to a Usage.");

  struct UsageStream {
    agm_usage_stream *h = nullptr;
    ~UsageStream() { agm_usage_stream_free(h); }
  };
  py::class_<UsageStream>(m, "UsageStream",
                          "Merges the usage of a streamed response, event by event, by the provider's rule.")
      .def(py::init([](py::object format, py::object provider, py::object model_version) {
             auto s = std::make_unique<UsageStream>();
             UsageContext context;
             context.set(provider.ptr(), model_version.ptr(), nullptr, nullptr);
             check(agm_usage_stream_new(&s->h, format_value(format), context.get()));
             return s;
           }),
           py::arg("format"), py::kw_only(), py::arg("provider") = py::none(),
           py::arg("model_version") = py::none())
      .def(
          "add",
          [](UsageStream &s, py::object event) {
            const std::string json = payload_json(event);
            check(agm_usage_stream_add(s.h, json.data(), json.size()));
          },
          py::arg("event"), "Feed one stream event (an SDK event object, a dict or JSON text).")
      .def(
          "result",
          [](UsageStream &s) {
            agm_usage u = AGM_USAGE_INIT;
            check(agm_usage_stream_result(s.h, &u));
            return usage_object(u);
          },
          "The merged usage so far (all None until a final usage arrived).");

  m.def(
      "bundled_prices_info",
      []() {
        Buffer b;
        check(agm_prices_bundled_info(&b.b));
        return g->json_loads(b.str());
      },
      "Facts about the bundled price table: source, LiteLLM version, date, model count.");
  m.def(
      "store_count",
      [](py::object path) {
        const std::string p = fspath(path);
        uint64_t n = 0;
        agm_status status;
        {
          py::gil_scoped_release nogil;
          status = agm_store_count(&n, p.c_str());
        }
        check(status);
        return n;
      },
      py::arg("path"), "Well-formed records in a journal file, folder or database (a checkpoint offset).");

  // ---- Recorder ----
  py::class_<Recorder>(m, "Recorder", py::dynamic_attr(),
                       "Owns the price table, the clocks, the sessions' totals and the store.")
      .def(py::init<py::object, py::object, bool>(), py::kw_only(), py::arg("clock") = py::none(),
           py::arg("wall_clock") = py::none(), py::arg("bundled_prices") = true)
      .def(
          "close", [](Recorder &r) { r.g.close(true); },
          "Close the store (draining it to disk) and release the recorder; sessions still open keep working.")
      .def_property_readonly("closed", [](Recorder &r) { return !r.g.h || r.g.closing; })
      .def(
          "load_prices",
          [](Recorder &r, py::object table, bool replace) {
            const std::string json = PyUnicode_Check(table.ptr()) || PyBytes_Check(table.ptr())
                                         ? payload_json(table)
                                         : g->json_dumps(table).cast<std::string>();
            check(agm_recorder_load_prices(r.use_check(), json.data(), json.size(),
                                           replace ? AGM_PRICES_F_REPLACE : 0));
          },
          py::arg("table"), py::kw_only(), py::arg("replace") = false,
          "Merge a LiteLLM-format price table (JSON text or a mapping) over the current one.")
      .def(
          "load_prices_file",
          [](Recorder &r, py::object path, bool replace) {
            const std::string p = fspath(path);
            RecorderUse use(r.g, "recorder", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_recorder_load_prices_file(r.g.h, p.c_str(), replace ? AGM_PRICES_F_REPLACE : 0);
            }
            check(status);
          },
          py::arg("path"), py::kw_only(), py::arg("replace") = false)
      .def(
          "prices",
          [](Recorder &r, py::object filter) {
            Buffer b;
            check(agm_recorder_prices(&b.b, r.use_check(), opt_utf8(filter, "filter")));
            return g->json_loads(b.str());
          },
          py::arg("filter") = py::none(),
          "The price table's entries whose names contain `filter` (case-insensitive), sorted by name.")
      .def(
          "set_price",
          [](Recorder &r, py::object model, py::object entry) {
            const std::string json =
                PyUnicode_Check(entry.ptr()) ? payload_json(entry) : g->json_dumps(entry).cast<std::string>();
            check(
                agm_recorder_set_price(r.use_check(), utf8(model.ptr(), "model"), json.data(), json.size()));
          },
          py::arg("model"), py::arg("entry"), "Set one model's price (a LiteLLM entry, mapping or JSON).")
      .def(
          "price",
          [](Recorder &r, py::object model, py::object provider) -> py::object {
            Buffer b;
            const agm_status status = agm_recorder_price_json(&b.b, r.use_check(), utf8(model.ptr(), "model"),
                                                              opt_utf8(provider, "provider"));
            if (status == AGM_E_NOT_FOUND) return py::none();
            check(status);
            return g->json_loads(b.str());
          },
          py::arg("model"), py::arg("provider") = py::none(),
          "The price entry a model resolves to (rates as exact decimal strings), or None if unpriced.")
      .def(
          "cost",
          [](Recorder &r, py::object model, py::object usage, py::object provider,
             py::object usage_format) -> py::object {
            UsageArg u;
            resolve_usage(u, usage.ptr(), usage_format.ptr());
            agm_usage counts = u.usage;
            if (u.is_json)
              check(agm_usage_from_json(&counts, u.format, u.json.data(), u.json.size(), nullptr));
            agm_cost cost = AGM_COST_INIT;
            check(agm_recorder_cost(&cost, r.use_check(), opt_utf8(model, "model"),
                                    opt_utf8(provider, "provider"), &counts));
            return (cost.present & AGM_COST_HAS_VALUE) ? cost_items(cost.items) : py::none();
          },
          py::arg("model"), py::arg("usage"), py::kw_only(), py::arg("provider") = py::none(),
          py::arg("usage_format") = py::none(),
          "Price a usage without recording it: CostItems, or None when unpriced or usage is missing.")
      .def(
          "totals",
          [](Recorder &r) {
            agm_totals t = AGM_TOTALS_INIT;
            check(agm_recorder_totals(&t, r.use_check()));
            return totals_object(t);
          },
          "Totals of every session of the recorder.")
      .def(
          "durations",
          [](Recorder &r, int32_t kind) {
            agm_duration_stats d = AGM_DURATION_STATS_INIT;
            check(agm_recorder_durations(&d, r.use_check(), kind));
            return durations_object(d);
          },
          py::arg("kind") = int32_t(AGM_DURATION_MODEL_CALL))

      .def(
          "breakdown",
          [](Recorder &r, int32_t by) {
            agm_breakdown *b = nullptr;
            check(agm_recorder_breakdown(&b, r.use_check(), by));
            return breakdown_object(b);
          },
          py::arg("by") = int32_t(AGM_BY_MODEL),
          "Every session's records grouped by a dimension: {key: Group}.")
      .def(
          "open_store",
          [](Recorder &r, py::object journal, py::object journal_dir, py::object database, uint32_t flush,
             int64_t flush_interval_ns, uint64_t max_queue_bytes, py::object on_drop) {
            if (!on_drop.is_none() && !PyCallable_Check(on_drop.ptr()))
              throw py::type_error("open_store() on_drop must be callable or None");
            std::string paths[3];
            agm_store_options o = AGM_STORE_OPTIONS_INIT;
            const char **fields[3] = {&o.journal, &o.journal_dir, &o.database};
            py::object *args[3] = {&journal, &journal_dir, &database};
            for (int i = 0; i < 3; ++i)
              if (!args[i]->is_none()) {
                paths[i] = fspath(*args[i]);
                *fields[i] = paths[i].c_str();
              }
            o.flush_policy = flush;
            o.flush_interval_ns = flush_interval_ns;
            o.max_queue_bytes = max_queue_bytes;
            if (!on_drop.is_none()) {
              o.on_drop = drop_thunk;
              o.on_drop_payload = r.callbacks.get();
            }
            RecorderUse use(r.g, "recorder", true);
            // Set before the store opens (another thread's record may drop at once); put back
            // if it does not open (a store already open keeps its own).
            py::object previous = std::exchange(r.callbacks->on_drop, on_drop);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_recorder_open_store(r.g.h, &o);
            }
            if (AGM_FAILED(status)) r.callbacks->on_drop = previous;
            check(status);
          },
          py::kw_only(), py::arg("journal") = py::none(), py::arg("journal_dir") = py::none(),
          py::arg("database") = py::none(), py::arg("flush") = 0u, py::arg("flush_interval_ns") = 0,
          py::arg("max_queue_bytes") = uint64_t(0), py::arg("on_drop") = py::none(),
          "Keep every record in a JSONL journal (a file, or a file of its own in journal_dir) and/or a "
          "SQLite database; max_queue_bytes bounds the queue (0: 64 MiB), on_drop(dropped, queued_bytes) "
          "hears of records dropped at the bound.")
      .def(
          "flush",
          [](Recorder &r) {
            RecorderUse use(r.g, "recorder", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_recorder_flush(r.g.h);
            }
            check(status);
          },
          "Durability barrier: returns once every record made before it is on disk.")
      .def(
          "close_store",
          [](Recorder &r) {
            RecorderUse use(r.g, "recorder", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_recorder_close_store(r.g.h);
            }
            check(status);
          },
          "Drain, sync and close the store.")
      .def(
          "store_status",
          [](Recorder &r) {
            agm_store_status st = AGM_STORE_STATUS_INIT;
            Buffer error;
            check(agm_recorder_store_status(&st, r.use_check(), &error.b));
            return types().attr("StoreStatus")(st.queued, st.written, st.failed, st.write_errors,
                                               error.b.size ? py::object(error.str()) : py::none(),
                                               st.dropped, st.queued_bytes, st.max_queue_bytes);
          },
          "Counters of the open store and its last error.")
      .def_property_readonly(
          "journal_path",
          [](Recorder &r) -> py::object {
            Buffer b;
            const agm_status status = agm_recorder_journal_path(&b.b, r.use_check());
            if (status == AGM_E_NOT_FOUND || status == AGM_E_STATE) return py::none();
            check(status);
            return b.str();
          },
          "The journal file the open store appends to, or None.")
      .def(
          "on_record",
          [](Recorder &r, py::object callback, uint32_t kinds) {
            agm_recorder *h = r.use_check();
            if (!callback.is_none() && !PyCallable_Check(callback.ptr()))
              throw py::type_error("on_record() callback must be callable or None");
            const bool off = callback.is_none() || kinds == 0;
            check(agm_recorder_set_observer(h, off ? 0 : kinds, off ? nullptr : observer_thunk,
                                            r.callbacks.get()));
            r.callbacks->observer = off ? py::object() : callback;
          },
          py::arg("callback"), py::arg("kinds") = uint32_t(AGM_RECORD_ALL),
          "Call callback(kind, record) for every new record of the given kinds; None removes it.")
      .def(
          "load",
          [](Recorder &r, py::object path, uint64_t skip, uint64_t limit) {
            const std::string p = fspath(path);
            agm_load_options o = AGM_LOAD_OPTIONS_INIT;
            o.skip = skip;
            o.limit = limit;
            agm_load_report report = AGM_LOAD_REPORT_INIT;
            Buffer warnings;
            RecorderUse use(r.g, "recorder", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_recorder_load(r.g.h, p.c_str(), &o, &report, &warnings.b);
            }
            check(status);
            return types().attr("LoadReport")(
                report.files, report.lines, report.records, report.skipped, report.malformed,
                report.first_malformed_line ? py::object(py::int_(report.first_malformed_line)) : py::none(),
                warnings.b.size ? g->json_loads(warnings.str()) : py::list(), report.dropped);
          },
          py::arg("path"), py::kw_only(), py::arg("skip") = 0, py::arg("limit") = 0,
          "Add the records of a journal file, folder or database to this recorder's totals.")
      .def(
          "record_invocation",
          [](Recorder &r, py::object mapping, py::kwargs fields) {
            agm_recorder *h = r.use_check();
            if (!mapping.is_none()) {
              if (fields.size())
                throw py::type_error("record_invocation() takes a mapping or keyword fields, not both");
              const std::string json =
                  PyUnicode_Check(mapping.ptr()) ? payload_json(mapping) : flat_json(mapping);
              check(agm_recorder_record_invocation_json(h, json.data(), json.size()));
              return;
            }
            agm_invocation inv = AGM_INVOCATION_INIT;
            const char **text_fields[] = {&inv.invocation_id, &inv.agent, &inv.task_id,
                                          &inv.model,         &inv.tier,  &inv.error_class};
            const char *text_names[] = {"invocation_id", "agent", "task_id", "model", "tier", "error_class"};
            std::string texts[6];
            for (auto item : fields) {
              const std::string key = py::str(item.first);
              bool done = false;
              for (int i = 0; i < 6; ++i)
                if (key == text_names[i]) {
                  if (!item.second.is_none()) {
                    texts[i] = utf8(item.second.ptr(), text_names[i]);
                    *text_fields[i] = texts[i].c_str();
                  }
                  done = true;
                }
              if (!done) invocation_field(inv, key, item.second);
            }
            check(agm_recorder_record_invocation(h, &inv));
          },
          py::arg("invocation") = py::none(),
          "Record an agent invocation (seed 004's InvocationMetric): a mapping with the seed's "
          "camelCase or snake_case names, or keyword fields.")
      .def("invocation_count",
           [](Recorder &r) {
             uint64_t n = 0;
             check(agm_recorder_invocation_count(&n, r.use_check()));
             return n;
           })
      .def(
          "invocations",
          [](Recorder &r, uint64_t skip, uint64_t limit) {
            Buffer b;
            check(agm_recorder_invocations(&b.b, r.use_check(), skip, limit));
            return parse_doc(b);
          },
          py::kw_only(), py::arg("skip") = 0, py::arg("limit") = 0)
      .def(
          "invocation_aggregate",
          [](Recorder &r, py::object tiers, int64_t bucket_ns) {
            AggregateOptions options(tiers, bucket_ns);
            Buffer b;
            check(agm_recorder_invocation_aggregate(&b.b, r.use_check(), &options.o));
            return parse_doc(b);
          },
          py::kw_only(), py::arg("tiers") = py::none(), py::arg("bucket_ns") = 0,
          "Seed 004's MetricsAggregate over the invocations held.")
      .def(
          "_query",
          [](Recorder &r, uint32_t kind, uint32_t period, int32_t group_by, py::object since,
             py::object until, py::object now_ns, py::object name, int64_t threshold_ns, uint32_t limit,
             py::object tiers, int64_t bucket_ns) {
            AggregateOptions options(tiers, bucket_ns);
            agm_query q = make_query(kind, period, group_by, since, until, now_ns, opt_utf8(name, "name"),
                                     threshold_ns, limit);
            q.invocations = &options.o;
            Buffer b;
            RecorderUse use(r.g, "recorder", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_recorder_query(&b.b, r.g.h, &q);
            }
            check(status);
            return b.str();
          },
          QUERY_ARGS)
      .def(
          "_metrics_tool",
          [](Recorder &r, py::object args_json, py::object session, py::object now_ns) {
            MetricsToolArgs a(args_json, session, now_ns);
            Buffer b;
            RecorderUse use(r.g, "recorder", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_recorder_metrics_tool(&b.b, r.g.h, a.args.data(), a.args.size(), &a.ctx);
            }
            check(status);
            return b.str();
          },
          METRICS_TOOL_ARGS);

  // ---- Session ----
  py::class_<Session> session(m, "Session", py::dynamic_attr(),
                              "A scope of cumulative totals: one conversation, iteration or task.");
  session
      .def(py::init<Recorder &, py::object, py::object, py::object, py::object, py::object>(),
           py::arg("recorder"), py::arg("session_id") = py::none(), py::kw_only(),
           py::arg("agent") = py::none(), py::arg("phase") = py::none(), py::arg("task") = py::none(),
           py::arg("tags") = py::none())
      .def(
          "close", [](Session &s) { s.g.close(false); },
          "End the session: an open turn ends now, open tool calls are dropped.")
      .def_property_readonly("closed", [](Session &s) { return !s.g.h || s.g.closing; })
      .def(
          "label",
          [](Session &s, py::object key) -> py::object {
            const char *value = agm_session_label(s.handle(), utf8(key.ptr(), "key"));
            return value ? py::object(py::str(value)) : py::none();
          },
          py::arg("key"), "A label: session_id, agent, phase, task or a tag key; None if unset.")
      .def_property_readonly("session_id",
                             [](Session &s) { return py::str(agm_session_label(s.handle(), "session_id")); })
      .def_property_readonly(
          "labels",
          [](Session &s) {
            py::dict labels;
            for (const char *key : {"session_id", "agent", "phase", "task"})
              if (const char *value = agm_session_label(s.handle(), key)) labels[key] = value;
            for (auto item : s.tags) labels[item.first] = item.second;
            return labels;
          },
          "session_id, agent, phase, task (when set) and the tags.")
      .def_property_readonly("started_wall_ns",
                             [](Session &s) { return agm_session_started_wall_ns(s.handle()); })
      .def(
          "turn_begin",
          [](Session &s, py::object at_ns) {
            int64_t at = 0;
            uint64_t has = 0;
            opt_int(at_ns.ptr(), "at_ns", at, has, 1);
            SessionUse use(s.g, "session");
            check(agm_session_turn_begin(s.g.h, has ? &at : nullptr));
          },
          py::arg("at_ns") = py::none(), "Begin a turn (now, or at a monotonic time).")
      .def(
          "turn_end",
          [](Session &s, py::object at_ns) {
            int64_t at = 0;
            uint64_t has = 0;
            opt_int(at_ns.ptr(), "at_ns", at, has, 1);
            SessionUse use(s.g, "session");
            check(agm_session_turn_end(s.g.h, has ? &at : nullptr));
          },
          py::arg("at_ns") = py::none(), "End the open turn.")
      .def(
          "turn_stats",
          [](Session &s) -> py::object {
            agm_turn_stats t = AGM_TURN_STATS_INIT;
            SessionUse use(s.g, "session");
            const agm_status status = agm_session_turn_stats(&t, s.g.h);
            if (status == AGM_E_EMPTY) return py::none();
            check(status);
            return turn_stats_object(t);
          },
          "The open turn, or the last ended one; None before the first turn.")
      .def(
          "turn_totals",
          [](Session &s) -> py::object {
            agm_totals t = AGM_TOTALS_INIT;
            SessionUse use(s.g, "session");
            const agm_status status = agm_session_turn_totals(&t, s.g.h);
            if (status == AGM_E_EMPTY) return py::none();
            check(status);
            return totals_object(t);
          },
          "Totals of the open or last turn; None before the first turn.")
      .def(
          "totals",
          [](Session &s) {
            agm_totals t = AGM_TOTALS_INIT;
            check(agm_session_totals(&t, s.handle()));
            return totals_object(t);
          },
          "Cumulative totals of the session.")
      .def(
          "durations",
          [](Session &s, int32_t kind) {
            agm_duration_stats d = AGM_DURATION_STATS_INIT;
            SessionUse use(s.g, "session");
            check(agm_session_durations(&d, s.g.h, kind));
            return durations_object(d);
          },
          py::arg("kind") = int32_t(AGM_DURATION_MODEL_CALL))
      .def(
          "breakdown",
          [](Session &s, int32_t by) {
            agm_breakdown *b = nullptr;
            check(agm_session_breakdown(&b, s.handle(), by));
            return breakdown_object(b);
          },
          py::arg("by") = int32_t(AGM_BY_MODEL),
          "The session's records grouped by a dimension: {key: Group}.")
      .def(
          "add_budget",
          [](Session &s, py::object max_tokens, py::object max_cost, py::object model, bool warn,
             py::object callback) {
            agm_budget b = AGM_BUDGET_INIT;
            b.kind = warn ? AGM_BUDGET_WARN : AGM_BUDGET_LIMIT;
            opt_int(max_tokens.ptr(), "max_tokens", b.max_tokens, b.present, AGM_BUDGET_HAS_MAX_TOKENS);
            if (!max_cost.is_none()) {
              b.max_cost = to_money(max_cost, "max_cost");
              b.present |= AGM_BUDGET_HAS_MAX_COST;
            }
            b.model = opt_utf8(model, "model");
            std::unique_ptr<BudgetCallback> box;
            if (!callback.is_none()) {
              if (!PyCallable_Check(callback.ptr()))
                throw py::type_error("add_budget() callback must be callable");
              box = std::make_unique<BudgetCallback>(BudgetCallback{callback});
              b.callback = budget_thunk;
              b.payload = box.get();
            }
            check(agm_session_add_budget(s.handle(), &b));
            if (box) s.budgets.push_back(std::move(box));
          },
          py::kw_only(), py::arg("max_tokens") = py::none(), py::arg("max_cost") = py::none(),
          py::arg("model") = py::none(), py::arg("warn") = false, py::arg("callback") = py::none(),
          "Limit the session's tokens and/or cost (Decimal), over all models or one; warn=True notices once.")
      .def(
          "format_turn",
          [](Session &s, bool color) -> py::object {
            Buffer b;
            SessionUse use(s.g, "session");
            const agm_status status = agm_session_format_turn(&b.b, s.g.h, color ? AGM_DISPLAY_F_COLOR : 0);
            if (status == AGM_E_EMPTY) return py::none();
            check(status);
            return b.str();
          },
          py::kw_only(), py::arg("color") = false, "The per-turn line; None before the first turn.")
      .def(
          "format_summary",
          [](Session &s, bool color) {
            Buffer b;
            SessionUse use(s.g, "session");
            check(agm_session_format_summary(&b.b, s.g.h, color ? AGM_DISPLAY_F_COLOR : 0));
            return b.str();
          },
          py::kw_only(), py::arg("color") = false, "A one-line session summary.");
  for (PyMethodDef &def : g_session_methods) {
    py::object method = py::reinterpret_steal<py::object>(
        PyDescr_NewMethod(reinterpret_cast<PyTypeObject *>(session.ptr()), &def));
    if (!method) throw py::error_already_set();
    session.attr(def.ml_name) = method;
  }
  m.add_object("noop", py::reinterpret_steal<py::object>(
                           PyCFunction_NewEx(&g_noop_def, nullptr, m.attr("__name__").ptr())));

  py::class_<Follow>(m, "Follow", py::dynamic_attr(), "Records appended to a store since the last poll.")
      .def(py::init<py::object, bool>(), py::arg("path"), py::kw_only(), py::arg("from_start") = false)
      .def("close", [](Follow &f) { f.g.close(false); })
      .def_property_readonly("closed", [](Follow &f) { return !f.g.h; })
      .def_property_readonly(
          "malformed",
          [](Follow &f) {
            uint64_t count = 0;
            Use<decltype(Follow::g)> use(f.g, "follow", true);
            check(agm_follow_malformed(&count, f.g.h));
            return count;
          },
          "Journal lines the polls so far skipped as malformed.")
      .def(
          "_poll",
          [](Follow &f) {
            Buffer b;
            uint64_t count = 0;
            Use<decltype(Follow::g)> use(f.g, "follow", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_follow_poll(&b.b, &count, f.g.h);
            }
            check(status);
            return b.str();
          },
          "The new records as JSON lines (never blocks).");

  // ---- History ----
  py::class_<History>(m, "History", py::dynamic_attr(),
                      "Queries over a journal file, folder or SQLite database.")
      .def(py::init<py::object>(), py::arg("path"))
      .def("close", [](History &h) { h.g.close(false); })
      .def_property_readonly("closed", [](History &h) { return !h.g.h; })
      .def(
          "_query",
          [](History &h, uint32_t kind, uint32_t period, int32_t group_by, py::object since, py::object until,
             py::object now_ns, py::object name, int64_t threshold_ns, uint32_t limit, py::object tiers,
             int64_t bucket_ns) {
            AggregateOptions options(tiers, bucket_ns);
            agm_query q = make_query(kind, period, group_by, since, until, now_ns, opt_utf8(name, "name"),
                                     threshold_ns, limit);
            q.invocations = &options.o;
            Buffer b;
            Use<decltype(History::g)> use(h.g, "history", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_history_query(&b.b, h.g.h, &q);
            }
            check(status);
            return b.str();
          },
          QUERY_ARGS)
      .def(
          "_metrics_tool",
          [](History &h, py::object args_json, py::object session, py::object now_ns) {
            MetricsToolArgs a(args_json, session, now_ns);
            Buffer b;
            Use<decltype(History::g)> use(h.g, "history", true);
            agm_status status;
            {
              py::gil_scoped_release nogil;
              status = agm_history_metrics_tool(&b.b, h.g.h, a.args.data(), a.args.size(), &a.ctx);
            }
            check(status);
            return b.str();
          },
          METRICS_TOOL_ARGS)
      .def(
          "_export",
          [](History &h, uint32_t format, py::object write, uint32_t period, py::object since,
             py::object until, py::object now_ns, py::object resource) {
            ExportArgs args(format, period, since, until, now_ns, resource);
            const agm_export_options &o = args.o;
            PyCallback writer(write);
            Use<decltype(History::g)> use(h.g, "history", true);
            const agm_status status =
                with_progress(h, [&] { return agm_history_export(h.g.h, &o, write_thunk, &writer); });
            writer.rethrow();
            check(status);
          },
          py::arg("format"), py::arg("write"), py::kw_only(), py::arg("period") = 0,
          py::arg("since") = py::none(), py::arg("until") = py::none(), py::arg("now_ns") = py::none(),
          py::arg("resource") = py::none())
      .def(
          "_export_to_file",
          [](History &h, uint32_t format, py::object path, uint32_t period, py::object since,
             py::object until, py::object now_ns, py::object resource) {
            ExportArgs args(format, period, since, until, now_ns, resource);
            const agm_export_options &o = args.o;
            const char *file = utf8(path.ptr(), "path");
            Use<decltype(History::g)> use(h.g, "history", true);
            uint64_t bytes = 0;
            check(with_progress(h, [&] { return agm_history_export_to_file(&bytes, h.g.h, &o, file); }));
            return bytes;
          },
          py::arg("format"), py::arg("path"), py::kw_only(), py::arg("period") = 0,
          py::arg("since") = py::none(), py::arg("until") = py::none(), py::arg("now_ns") = py::none(),
          py::arg("resource") = py::none())
      .def(
          "_push_otlp",
          [](History &h, py::object endpoint, py::object send, py::object headers, uint32_t timeout_ms,
             uint32_t max_attempts, uint32_t retry_delay_ms, uint32_t period, py::object since,
             py::object until, py::object now_ns, py::object resource) {
            if (!PyCallable_Check(send.ptr())) throw py::type_error("send must be callable");
            ExportArgs args(0, period, since, until, now_ns, resource);  // a push is OTLP/JSON: format unread
            agm_export_options &o = args.o;
            agm_otlp_options otlp = AGM_OTLP_OPTIONS_INIT;
            otlp.endpoint = utf8(endpoint.ptr(), "endpoint");
            otlp.headers = opt_utf8(headers, "headers");
            otlp.timeout_ms = timeout_ms;
            otlp.max_attempts = max_attempts;
            otlp.retry_delay_ms = retry_delay_ms;
            PySender sender(send);
            otlp.send = &PySender::send;
            otlp.send_user = &sender;
            Buffer b;
            Use<decltype(History::g)> use(h.g, "history", true);
            const agm_status status =
                with_progress(h, [&] { return agm_history_push_otlp(&b.b, h.g.h, &o, &otlp); });
            sender.rethrow();
            check(status);
            return b.str();
          },
          py::arg("endpoint"), py::kw_only(), py::arg("send"), py::arg("headers") = py::none(),
          py::arg("timeout_ms") = 0, py::arg("max_attempts") = 0, py::arg("retry_delay_ms") = 0,
          py::arg("period") = 0, py::arg("since") = py::none(), py::arg("until") = py::none(),
          py::arg("now_ns") = py::none(), py::arg("resource") = py::none())
      .def(
          "_report_html",
          [](History &h, py::object title, uint32_t limit, uint32_t period, py::object since,
             py::object until, py::object now_ns) {
            RangeArg range(period, since, until, now_ns);
            agm_report_options o = AGM_REPORT_OPTIONS_INIT;
            o.range = &range.q;
            o.title = opt_utf8(title, "title");
            o.limit = limit;
            Buffer b;
            Use<decltype(History::g)> use(h.g, "history", true);
            check(with_progress(h, [&] { return agm_history_report_html(&b.b, h.g.h, &o); }));
            return b.str();
          },
          py::kw_only(), py::arg("title") = py::none(), py::arg("limit") = 0, py::arg("period") = 0,
          py::arg("since") = py::none(), py::arg("until") = py::none(), py::arg("now_ns") = py::none())
      .def(
          "_report_html_to_file",
          [](History &h, py::object path, py::object title, uint32_t limit, uint32_t period, py::object since,
             py::object until, py::object now_ns) {
            RangeArg range(period, since, until, now_ns);
            agm_report_options o = AGM_REPORT_OPTIONS_INIT;
            o.range = &range.q;
            o.title = opt_utf8(title, "title");
            o.limit = limit;
            const char *file = utf8(path.ptr(), "path");
            Use<decltype(History::g)> use(h.g, "history", true);
            uint64_t bytes = 0;
            check(with_progress(h, [&] { return agm_history_report_html_to_file(&bytes, h.g.h, &o, file); }));
            return bytes;
          },
          py::arg("path"), py::kw_only(), py::arg("title") = py::none(), py::arg("limit") = 0,
          py::arg("period") = 0, py::arg("since") = py::none(), py::arg("until") = py::none(),
          py::arg("now_ns") = py::none())
      .def_property(
          "progress", [](History &h) { return h.progress; },
          [](History &h, py::object fn) {
            if (!fn.is_none() && !PyCallable_Check(fn.ptr()))
              throw py::type_error("progress must be a callable(done, total) or None");
            h.progress = fn;
          },
          "Called as progress(done, total) while a store is read (bytes of journals, rows of databases).")
      .def(
          "warnings",
          [](History &h) {
            Buffer b;
            Use<decltype(History::g)> use(h.g, "history");
            check(agm_history_warnings(&b.b, h.g.h));
            return g->json_loads(b.str());
          },
          "What the last query skipped: lines, records, malformed, warnings.");
}
