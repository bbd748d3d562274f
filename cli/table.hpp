// Plain-text tables for terminals: aligned columns, numbers right-aligned, an optional bold
// header, and key/value blocks for the totals printed above them.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agmcli {

// Columns on a terminal: UTF-8 code points ("—" and "·" are one column each).
size_t display_width(std::string_view text);
// At most `width` columns, the cut marked with "…".
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
