#include "json.hpp"

namespace agentmetrics::json {

char *write_string(char *out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && c != '"' && c != '\\') {  // input is valid UTF-8 (validated at the boundary)
      *out++ = c;
      continue;
    }
    *out++ = '\\';
    switch (c) {
      case '"': *out++ = '"'; break;
      case '\\': *out++ = '\\'; break;
      case '\n': *out++ = 'n'; break;
      case '\r': *out++ = 'r'; break;
      case '\t': *out++ = 't'; break;
      default:
        *out++ = 'u';
        *out++ = '0';
        *out++ = '0';
        *out++ = kHex[u >> 4];
        *out++ = kHex[u & 15];
    }
  }
  *out++ = '"';
  return out;
}

void append_string(std::string &out, std::string_view s) {
  const size_t used = out.size();
  out.resize(used + 6 * s.size() + 2);
  out.resize(static_cast<size_t>(write_string(out.data() + used, s) - out.data()));
}

}  // namespace agentmetrics::json
