// String helpers: transparent hashing for string_view lookups, UTF-8 validation, text made
// safe for a terminal.
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

// Throws InvalidArgument if `label` (a label or name a record carries: model, tool, agent, ...)
// is longer than AGM_MAX_LABEL_BYTES; `what` names it in the message.
void check_label_size(std::string_view label, const char *what);

// `s` cut to at most `max` bytes between whole UTF-8 characters (`s` is valid UTF-8).
std::string_view cut_utf8(std::string_view s, size_t max) noexcept;

// `s` made safe to print on a terminal, and the cells it takes there: the one rule for every
// human-readable output of stored strings (agm_format_terminal_text documents it). C0 controls
// and DEL become \t \n \r or \xHH, C1 controls (U+0080..U+009F), the bidirectional
// embedding, override and isolate controls and U+2028/U+2029 become \uHHHH, each byte of
// invalid UTF-8 \xHH; the rest is kept. Cells: East Asian Wide and Fullwidth characters count
// 2, combining marks and format characters 0, the rest (escapes: their length) 1 each. With
// max_cells > 0, text wider than that keeps the characters and escapes that fit in
// max_cells - 1 cells, whole, then "…". Idempotent: the result is unchanged by another pass.
struct TerminalText {
  std::string text;
  size_t cells = 0;
};
TerminalText terminal_text(std::string_view s, size_t max_cells = 0);

}  // namespace agentmetrics
