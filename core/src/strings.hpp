// String helpers: transparent hashing for string_view lookups, UTF-8 validation.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace agentmetrics {

// Lets unordered containers keyed by std::string be searched with a string_view, without
// building a temporary std::string on the recording path.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

}  // namespace agentmetrics
