#include "table.hpp"

#include <algorithm>

namespace agmcli {

namespace {

constexpr std::string_view kBold = "\x1b[1m", kReset = "\x1b[0m";

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

void pad(std::string &out, size_t n) {
  out.append(n, ' ');
}

}  // namespace

size_t display_width(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !continuation(c); }));
}

std::string truncate(std::string_view text, size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return {};
  // Keep width - 1 code points, then the ellipsis.
  size_t kept = 0, i = 0;
  for (; i < text.size(); ++i) {
    if (!continuation(text[i]) && kept++ == width - 1) break;
  }
  return std::string(text.substr(0, i)) + "…";
}

std::string Table::render(bool bold) const {
  std::vector<size_t> widths(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) widths[c] = display_width(columns_[c].title);
  for (const auto &row : rows_) {
    for (size_t c = 0; c < columns_.size() && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  std::string out;
  auto line = [&](const std::vector<std::string> &cells, bool header) {
    std::string text;
    size_t pending = 0;  // blanks owed before the next cell: never trailing
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string &cell = c < cells.size() ? cells[c] : std::string();
      const size_t gap = widths[c] - display_width(cell);
      if (c > 0) pending += 2;
      if (columns_[c].align == Align::kRight) pending += gap;
      if (!cell.empty()) {
        pad(text, pending);
        pending = 0;
        text += cell;
      }
      if (columns_[c].align == Align::kLeft) pending += gap;
    }
    if (header && bold) text = std::string(kBold) + text + std::string(kReset);
    out += text;
    out += '\n';
  };
  std::vector<std::string> titles;
  for (const auto &col : columns_) titles.push_back(col.title);
  line(titles, true);
  for (const auto &row : rows_) line(row, false);
  return out;
}

std::string Block::render() const {
  size_t width = 0;
  for (const auto &[label, value] : lines_) width = std::max(width, display_width(label));
  std::string out;
  for (const auto &[label, value] : lines_) {
    out += label;
    if (!value.empty()) {
      pad(out, width - display_width(label) + 2);
      out += value;
    }
    out += '\n';
  }
  return out;
}

std::string heading(std::string_view title, bool bold) {
  if (!bold) return std::string(title) + "\n";
  return std::string(kBold) + std::string(title) + std::string(kReset) + "\n";
}

}  // namespace agmcli
