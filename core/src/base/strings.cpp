#include "strings.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "abi_values.hpp"
#include "errors.hpp"
#include "wcwidth_table.hpp"

namespace agentmetrics {

bool valid_utf8(std::string_view s) noexcept {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  const auto *end = p + s.size();
  while (p < end) {
    if (end - p >= 8) {  // ASCII fast path: 8 bytes at a time
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    int extra;
    unsigned cp;
    if ((*p & 0xE0) == 0xC0) {
      extra = 1, cp = *p & 0x1Fu;
    } else if ((*p & 0xF0) == 0xE0) {
      extra = 2, cp = *p & 0x0Fu;
    } else if ((*p & 0xF8) == 0xF0) {
      extra = 3, cp = *p & 0x07u;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    static constexpr unsigned kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

void check_label_size(std::string_view label, const char *what) {
  if (label.size() <= kMaxLabelBytes) return;
  throw InvalidArgument(std::string(what) + " is " + std::to_string(label.size()) +
                        " bytes long: labels and names are limited to " + std::to_string(kMaxLabelBytes) +
                        " bytes (AGM_MAX_LABEL_BYTES)");
}

std::string_view cut_utf8(std::string_view s, size_t max) noexcept {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] starts the next character
  return s.substr(0, n);
}

namespace {

// One character or escape of terminal_text: its bytes in `s` and what it prints as.
struct Unit {
  size_t size;     // bytes of the input it stands for
  char escape[8];  // the escape printed instead ("" when the bytes print as they are)
  unsigned cells;
};

bool in(const CodeRange *first, const CodeRange *last, uint32_t cp) {
  // The last range starting at or before cp.
  const CodeRange *r =
      std::upper_bound(first, last, cp, [](uint32_t v, const CodeRange &x) { return v < x.first; });
  return r != first && cp <= (r - 1)->last;
}

unsigned width_of(uint32_t cp) {
  if (cp < 0x300) return 1;
  if (in(std::begin(kZeroWidth), std::end(kZeroWidth), cp)) return 0;
  if (in(std::begin(kDoubleWidth), std::end(kDoubleWidth), cp)) return 2;
  return 1;
}

// A code point terminals act on rather than show.
bool control(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

Unit next_unit(std::string_view s, size_t i) {
  static constexpr char kHex[] = "0123456789abcdef";
  Unit u{1, {}, 1};
  const auto *p = reinterpret_cast<const unsigned char *>(s.data()) + i;
  const size_t left = s.size() - i;
  uint32_t cp = p[0];
  size_t n = 1;
  bool valid = true;
  if (cp >= 0x80) {
    if ((cp & 0xE0) == 0xC0) {
      n = 2, cp &= 0x1F;
    } else if ((cp & 0xF0) == 0xE0) {
      n = 3, cp &= 0x0F;
    } else if ((cp & 0xF8) == 0xF0) {
      n = 4, cp &= 0x07;
    } else {
      valid = false;
    }
    if (valid && n > left) valid = false;
    for (size_t k = 1; valid && k < n; ++k) {
      if ((p[k] & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (p[k] & 0x3Fu);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (valid && (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
  }
  if (!valid) {  // one byte of invalid UTF-8
    const unsigned b = p[0];
    const char e[] = {'\\', 'x', kHex[b >> 4], kHex[b & 15], '\0'};
    std::memcpy(u.escape, e, sizeof e);
    u.cells = 4;
    return u;
  }
  u.size = n;
  if (!control(cp)) {
    u.cells = width_of(cp);
    return u;
  }
  if (cp == '\t' || cp == '\n' || cp == '\r') {
    const char e[] = {'\\', cp == '\t' ? 't' : cp == '\n' ? 'n' : 'r', '\0'};
    std::memcpy(u.escape, e, sizeof e);
  } else if (cp < 0x80) {
    const char e[] = {'\\', 'x', kHex[cp >> 4], kHex[cp & 15], '\0'};
    std::memcpy(u.escape, e, sizeof e);
  } else {
    const char e[] = {'\\',          'u', kHex[cp >> 12], kHex[(cp >> 8) & 15], kHex[(cp >> 4) & 15],
                      kHex[cp & 15], '\0'};
    std::memcpy(u.escape, e, sizeof e);
  }
  u.cells = static_cast<unsigned>(std::strlen(u.escape));
  return u;
}

}  // namespace

TerminalText terminal_text(std::string_view s, size_t max_cells) {
  size_t total = 0;
  bool plain = true;  // nothing to escape
  for (size_t i = 0; i < s.size();) {
    const Unit u = next_unit(s, i);
    total += u.cells;
    plain = plain && u.escape[0] == '\0';
    i += u.size;
  }
  const bool cut = max_cells > 0 && total > max_cells;
  if (plain && !cut) return {std::string(s), total};
  TerminalText out;
  out.text.reserve(s.size() + 8);
  const size_t room = cut ? max_cells - 1 : total;
  for (size_t i = 0; i < s.size();) {
    const Unit u = next_unit(s, i);
    if (out.cells + u.cells > room) break;  // whole units only; the marks of a dropped one go too
    if (u.escape[0]) {
      out.text += u.escape;
    } else {
      out.text.append(s.substr(i, u.size));
    }
    out.cells += u.cells;
    i += u.size;
  }
  if (cut) {
    out.text += "\u2026";
    ++out.cells;
  }
  return out;
}

}  // namespace agentmetrics
