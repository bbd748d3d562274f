// Plumbing shared by the agentmetrics commands: owning wrappers over the C ABI's handles and
// buffers, the JSON documents the ABI returns as a small tree, the display helpers (all through
// the ABI's own formatting functions), exit codes, and writing output safely.
#pragma once
#include <agentmetrics/metrics_c.h>
#include <signal.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agmcli {

// Exit codes (documented in the --help epilogue).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // I/O error, push failed, internal error
inline constexpr int kExitUsage = 2;     // bad arguments
inline constexpr int kExitNotFound = 3;  // missing store, unknown session, unpriced model
inline constexpr int kExitCorrupt = 4;   // a database or price file that cannot be read

// A failure that ends the command: main() prints "agentmetrics: error: <message>" and the hint.
struct Failure {
  Failure(int code_, std::string message_, std::string hint_ = {})
      : code(code_), message(std::move(message_)), hint(std::move(hint_)) {}
  int code;
  std::string message;
  std::string hint;
};

// The exit code for a failed agm_status.
int exit_code(agm_status status);

// Throws a Failure for a failed status, with agm_last_error_message() as its message.
void check(agm_status status, std::string hint = {});

// An agm_buffer released by agm_buffer_free.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer() { agm_buffer_free(&buf_); }
  agm_buffer *get() { return &buf_; }
  std::string_view view() const {
    return buf_.data ? std::string_view(buf_.data, buf_.size) : std::string_view();
  }
  const char *c_str() const { return buf_.data ? buf_.data : ""; }

 private:
  agm_buffer buf_ = AGM_BUFFER_INIT;
};

// A parsed JSON value. Numbers keep their text, so exact decimal costs stay exact.
class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // Parses a whole document with simdjson; throws Failure (internal) if it does not parse.
  static Json parse(std::string_view text);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  // Member `key` of an object; a null value when absent or not an object.
  const Json &operator[](std::string_view key) const;
  bool has(std::string_view key) const;
  // Array elements or object values, in document order; keys() pairs with items() for objects.
  const std::vector<Json> &items() const { return items_; }
  const std::vector<std::string> &keys() const { return keys_; }
  size_t size() const { return items_.size(); }
  // A string's value or a number's text; "" otherwise.
  const std::string &text() const { return text_; }
  bool boolean() const { return type_ == Type::kBool && flag_; }
  int64_t as_int() const;    // 0 unless an integral number
  double as_double() const;  // 0 unless a number

 private:
  Type type_ = Type::kNull;
  bool flag_ = false;
  std::string text_;
  std::vector<std::string> keys_;
  std::vector<Json> items_;

  friend struct JsonBuilder;
};

// JSON string literal of `s` (for the few documents the CLI writes itself).
std::string json_quote(std::string_view s);

// Display strings, through the ABI's formatting functions; "—" for null or absent values.
inline constexpr const char *kNone = "—";
std::string tokens(int64_t n);
std::string tokens(const Json &n);
std::string cost(const Json &decimal);  // exact decimal USD (a number or a decimal string)
std::string cost_decimal(std::string_view decimal);
std::string duration_ms(const Json &ms);
std::string duration_ns(int64_t ns);
std::string count(const Json &n);  // a plain count with grouped digits
std::string percent(double value, int decimals = 1);
std::string plural(int64_t n, std::string_view one, std::string_view many);  // "1 call", "2 calls"
std::string label(const Json &s);  // a label value; "" and null as "—"

// Exact per-million rate from a per-token decimal string ("2.5e-06" -> "2.50"), without floating
// point: the decimal point moves six places.
std::string per_million(std::string_view per_token);

// Writes all of `data` to a file descriptor (EINTR, short writes and a non-blocking descriptor
// handled). False with errno set on failure (EPIPE when the reader went away: SIGPIPE is
// ignored).
bool write_all(int fd, std::string_view data);

// While it lives, SIGINT, SIGTERM and SIGHUP only set a flag (interrupted()), so that a file
// the core is writing (agm_history_*_to_file, which write through a temporary file) can be
// abandoned cleanly: the progress callback stops the read and the core removes its temporary.
// The signal is raised again, as it was handled before, when the guard goes away. A signal
// ignored by whoever started us (nohup, a background job) stays ignored.
class Interruptible {
 public:
  Interruptible();
  Interruptible(const Interruptible &) = delete;
  Interruptible &operator=(const Interruptible &) = delete;
  ~Interruptible();
  static bool interrupted();

 private:
  struct sigaction saved_[3];  // SIGINT, SIGTERM, SIGHUP as they were
};

}  // namespace agmcli
