// Small helpers over simdjson's DOM API, shared by the usage normalisers and the price loader.
#pragma once
#include <simdjson.h>

#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "errors.hpp"

namespace agentmetrics::json {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Parse `text` with `parser`; the returned element lives as long as the parser's next parse.
// Malformed text throws E (InvalidArgument for arguments, Corrupt for documents).
template <class E = InvalidArgument>
element parse(simdjson::dom::parser &parser, std::string_view text, std::string_view what) {
  element root;
  auto err = parser.parse(text.data(), text.size(), true).get(root);
  if (err) {
    throw E(std::string(what) + " is not valid JSON: " + simdjson::error_message(err));
  }
  return root;
}

// The member `key` of `obj` if `obj` is an object holding a non-null `key`.
inline std::optional<element> member(element obj, std::string_view key) {
  object o;
  if (obj.get_object().get(o)) return std::nullopt;
  element v;
  if (o.at_key(key).get(v) || v.is_null()) return std::nullopt;
  return v;
}

// Follow a path of keys; missing or null anywhere gives nullopt.
inline std::optional<element> path(element root, std::initializer_list<std::string_view> keys) {
  std::optional<element> cur = root;
  for (auto k : keys) {
    if (!cur) return std::nullopt;
    cur = member(*cur, k);
  }
  return cur;
}

// A token count: a non-negative integer (an integral double is accepted) no larger than
// `max`. null and absent give nullopt ("not reported").
inline std::optional<int64_t> as_count(std::optional<element> v, std::string_view name, int64_t max) {
  if (!v) return std::nullopt;
  int64_t n = 0;
  switch (v->type()) {
    case element_type::INT64: n = int64_t(*v); break;
    case element_type::UINT64: {
      uint64_t u = uint64_t(*v);
      if (u > static_cast<uint64_t>(max)) {
        throw InvalidArgument(std::string(name) + " is too large (" + std::to_string(u) + ")");
      }
      n = static_cast<int64_t>(u);
      break;
    }
    case element_type::DOUBLE: {
      double d = double(*v);
      if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > static_cast<double>(max)) {
        throw InvalidArgument(std::string(name) + " must be a whole number of tokens");
      }
      n = static_cast<int64_t>(d);
      break;
    }
    default: throw InvalidArgument(std::string(name) + " must be a number");
  }
  if (n < 0) throw InvalidArgument(std::string(name) + " is negative (" + std::to_string(n) + ")");
  if (n > max) throw InvalidArgument(std::string(name) + " is too large (" + std::to_string(n) + ")");
  return n;
}

// A string member, or nullopt for null/absent. Other types throw.
inline std::optional<std::string_view> as_string(std::optional<element> v, std::string_view name) {
  if (!v) return std::nullopt;
  std::string_view s;
  if (v->get_string().get(s)) throw InvalidArgument(std::string(name) + " must be a string");
  return s;
}

// Append `s` to `out` as a JSON string literal (quotes included).
void append_string(std::string &out, std::string_view s);
// The same, written at `out`, which has room for 6 * s.size() + 2 chars; returns the end.
char *write_string(char *out, std::string_view s);

}  // namespace agentmetrics::json
