// Plain-text tables for terminals: aligned columns, numbers right-aligned, an optional bold
// header, and key/value blocks for the totals printed above them.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agmcli {

// Text as a terminal may show it: agm_format_terminal_text, the one rule for every stored
// string in human-readable output (control characters, C1 controls and invalid UTF-8 escaped,
// e.g. ESC as "\x1b"), and the columns it takes (wide characters 2, combining marks 0).
// Tables, blocks, headings and messages pass everything they print through it.
struct Shown {
  std::string text;
  size_t cells = 0;
};
// With max_cells > 0: at most that many columns, the cut (between whole characters or escapes)
// marked with "…".
Shown shown(std::string_view text, size_t max_cells = 0);
// shown(text).text
std::string safe(std::string_view text);
// Columns on a terminal of shown(text).
size_t display_width(std::string_view text);
// At most `width` columns of shown(text), the cut marked with "…"; "" for width 0.
std::string truncate(std::string_view text, size_t width);

enum class Align { kLeft, kRight };

struct Column {
  std::string title;
  Align align = Align::kLeft;
};

class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Two spaces between columns, no trailing blanks; the header in bold when asked.
  std::string render(bool bold) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// "Label   value" lines with the values aligned.
class Block {
 public:
  void add(std::string label, std::string value) { lines_.emplace_back(std::move(label), std::move(value)); }
  std::string render() const;

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

// A section title ("Cost by model"), bold when asked, followed by a newline.
std::string heading(std::string_view title, bool bold);

}  // namespace agmcli
