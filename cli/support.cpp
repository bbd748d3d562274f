#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace agmcli {

int exit_code(agm_status status) {
  switch (status) {
    case AGM_E_INVALID_ARGUMENT: return kExitUsage;
    case AGM_E_NOT_FOUND: return kExitNotFound;
    case AGM_E_CORRUPT:
    case AGM_E_UNSUPPORTED: return kExitCorrupt;
    default: return status < 0 ? kExitFailure : kExitOk;
  }
}

void check(agm_status status, std::string hint) {
  if (!AGM_FAILED(status)) return;
  std::string message = agm_last_error_message();
  if (message.empty()) message = agm_status_name(status);
  throw Failure{exit_code(status), std::move(message), std::move(hint)};
}

// ---- JSON ------------------------------------------------------------------------------------

struct JsonBuilder {
  // The ABI's documents are shallow; the cap only guards against a runaway price file.
  static constexpr int kMaxDepth = 64;

  static simdjson::error_code build(simdjson::ondemand::value value, Json &out, int depth) {
    using simdjson::ondemand::json_type;
    if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
    json_type type;
    if (auto e = value.type().get(type)) return e;
    switch (type) {
      case json_type::object: {
        out.type_ = Json::Type::kObject;
        simdjson::ondemand::object object;
        if (auto e = value.get_object().get(object)) return e;
        for (auto member : object) {
          simdjson::ondemand::field field;
          if (auto e = std::move(member).get(field)) return e;
          std::string_view key;
          if (auto e = field.unescaped_key().get(key)) return e;
          out.keys_.emplace_back(key);
          out.items_.emplace_back();
          if (auto e = build(field.value(), out.items_.back(), depth + 1)) return e;
        }
        return simdjson::SUCCESS;
      }
      case json_type::array: {
        out.type_ = Json::Type::kArray;
        simdjson::ondemand::array array;
        if (auto e = value.get_array().get(array)) return e;
        for (auto element : array) {
          simdjson::ondemand::value item;
          if (auto e = std::move(element).get(item)) return e;
          out.items_.emplace_back();
          if (auto e = build(item, out.items_.back(), depth + 1)) return e;
        }
        return simdjson::SUCCESS;
      }
      case json_type::number: {
        // The token's own text: costs are exact decimals that a double would round.
        out.type_ = Json::Type::kNumber;
        std::string_view raw = value.raw_json_token();
        while (!raw.empty() &&
               (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r')) {
          raw.remove_suffix(1);
        }
        out.text_ = raw;
        double check;
        return value.get_double().get(check);  // validates the token and consumes it
      }
      case json_type::string: {
        out.type_ = Json::Type::kString;
        std::string_view s;
        if (auto e = value.get_string().get(s)) return e;
        out.text_ = s;
        return simdjson::SUCCESS;
      }
      case json_type::boolean: {
        out.type_ = Json::Type::kBool;
        bool b;
        if (auto e = value.get_bool().get(b)) return e;
        out.flag_ = b;
        return simdjson::SUCCESS;
      }
      case json_type::null: {
        bool null;
        if (auto e = value.is_null().get(null)) return e;
        return null ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
      }
    }
    return simdjson::INCORRECT_TYPE;
  }
};

Json Json::parse(std::string_view text) {
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::ondemand::document doc;
  simdjson::ondemand::value root;
  Json out;
  simdjson::error_code e = parser.iterate(padded).get(doc);
  if (!e) e = doc.get_value().get(root);
  if (!e) e = JsonBuilder::build(root, out, 0);
  if (e) {
    throw Failure{
        kExitFailure,
        std::string("the library returned a document that does not parse: ") + simdjson::error_message(e),
        "please report this as a bug in agentmetrics"};
  }
  return out;
}

const Json &Json::operator[](std::string_view key) const {
  static const Json null;
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return items_[i];
  }
  return null;
}

bool Json::has(std::string_view key) const {
  for (const auto &k : keys_) {
    if (k == key) return true;
  }
  return false;
}

int64_t Json::as_int() const {
  int64_t v = 0;
  if (type_ != Type::kNumber) return 0;
  auto [ptr, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  // A fractional value (an average) rounds half away from zero.
  return ec == std::errc() && ptr == text_.data() + text_.size() ? v : std::llround(as_double());
}

double Json::as_double() const {
  double v = 0;
  if (type_ != Type::kNumber) return 0;
  std::from_chars(text_.data(), text_.data() + text_.size(), v);
  return v;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
          out += esc;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// ---- Display ---------------------------------------------------------------------------------

std::string tokens(int64_t n) {
  Buffer out;
  if (AGM_FAILED(agm_format_tokens(out.get(), n))) return std::to_string(n);
  return std::string(out.view());
}

std::string tokens(const Json &n) {
  return n.is_number() ? tokens(n.as_int()) : kNone;
}

std::string count(const Json &n) {
  return n.is_number() ? tokens(n.as_int()) : kNone;
}

std::string cost_decimal(std::string_view decimal) {
  agm_money money = AGM_MONEY_ZERO;
  if (AGM_FAILED(agm_money_from_decimal(&money, std::string(decimal).c_str()))) return std::string(decimal);
  Buffer out;
  if (AGM_FAILED(agm_format_cost(out.get(), &money))) return std::string(decimal);
  return std::string(out.view());
}

std::string cost(const Json &decimal) {
  if (!decimal.is_number() && !decimal.is_string()) return kNone;
  return cost_decimal(decimal.text());
}

std::string duration_ms(const Json &ms) {
  if (!ms.is_number()) return kNone;
  Buffer out;
  if (AGM_FAILED(agm_format_duration_ms(out.get(), ms.as_double()))) return ms.text() + "ms";
  return std::string(out.view());
}

std::string duration_ns(int64_t ns) {
  Buffer out;
  if (AGM_FAILED(agm_format_duration_ns(out.get(), ns))) return std::to_string(ns) + "ns";
  return std::string(out.view());
}

std::string plural(int64_t n, std::string_view one, std::string_view many) {
  return tokens(n) + " " + std::string(n == 1 ? one : many);
}

std::string percent(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f%%", decimals, value);
  return text;
}

std::string label(const Json &s) {
  return s.is_string() && !s.text().empty() ? s.text() : kNone;
}

std::string per_million(std::string_view per_token) {
  // Round trip through the ABI's exact money type to get a plain decimal ("3e-06" ->
  // "0.000003"), then move the point.
  agm_money money = AGM_MONEY_ZERO;
  Buffer plain;
  if (AGM_FAILED(agm_money_from_decimal(&money, std::string(per_token).c_str())) ||
      AGM_FAILED(agm_money_to_decimal(plain.get(), &money))) {
    return std::string(per_token);
  }
  const std::string_view text = plain.view();
  const size_t dot = text.find('.');
  std::string whole(text.substr(0, dot));
  std::string frac(dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1));
  frac.resize(std::max<size_t>(frac.size(), 6), '0');
  whole += frac.substr(0, 6);
  frac.erase(0, 6);
  const size_t first = whole.find_first_not_of('0');
  whole = first == std::string::npos ? "0" : whole.substr(first);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (frac.size() < 2) frac.resize(2, '0');
  return whole + "." + frac;
}

// ---- Output ----------------------------------------------------------------------------------

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A descriptor its host made non-blocking (Node does so to a pipe on stdout): wait.
      pollfd ready{fd, POLLOUT, 0};
      if (::poll(&ready, 1, -1) >= 0 || errno == EINTR) continue;
      return false;
    }
    if (n < 0) return false;
    if (n == 0) {
      errno = EIO;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

namespace {

// The signal that interrupted an Interruptible, 0 if none.
volatile sig_atomic_t g_signal = 0;

void on_signal(int sig) {
  g_signal = sig;
}

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

}  // namespace

Interruptible::Interruptible() {
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    sigaction(kSignals[i], nullptr, &saved_[i]);
    if (saved_[i].sa_handler != SIG_IGN) sigaction(kSignals[i], &action, nullptr);
  }
}

Interruptible::~Interruptible() {
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &saved_[i], nullptr);
  if (g_signal != 0) ::raise(g_signal);
}

bool Interruptible::interrupted() {
  return g_signal != 0;
}

}  // namespace agmcli
