#include "table.hpp"

#include <agentmetrics/metrics_c.h>

#include <algorithm>
#include <limits>
#include <new>

namespace agmcli {

namespace {

constexpr std::string_view kBold = "\x1b[1m", kReset = "\x1b[0m";

void pad(std::string &out, size_t n) {
  out.append(n, ' ');
}

}  // namespace

Shown shown(std::string_view text, size_t max_cells) {
  agm_buffer buf = AGM_BUFFER_INIT;
  uint64_t cells = 0;
  const auto limit = static_cast<uint32_t>(std::min<size_t>(max_cells, std::numeric_limits<uint32_t>::max()));
  if (AGM_FAILED(agm_format_terminal_text(&buf, &cells, text.data(), text.size(), limit))) {
    throw std::bad_alloc();  // its only failure with valid arguments
  }
  Shown out{std::string(buf.data, buf.size), static_cast<size_t>(cells)};
  agm_buffer_free(&buf);
  return out;
}

std::string safe(std::string_view text) {
  return shown(text).text;
}

size_t display_width(std::string_view text) {
  return shown(text).cells;
}

std::string truncate(std::string_view text, size_t width) {
  if (width == 0) return {};
  return shown(text, width).text;
}

std::string Table::render(bool bold) const {
  // Every cell as the terminal shows it, measured once.
  auto show_row = [&](const std::vector<std::string> &cells) {
    std::vector<Shown> row(columns_.size());
    for (size_t c = 0; c < columns_.size() && c < cells.size(); ++c) row[c] = shown(cells[c]);
    return row;
  };
  std::vector<std::string> titles;
  for (const auto &col : columns_) titles.push_back(col.title);
  std::vector<std::vector<Shown>> lines{show_row(titles)};
  for (const auto &row : rows_) lines.push_back(show_row(row));
  std::vector<size_t> widths(columns_.size());
  for (const auto &row : lines) {
    for (size_t c = 0; c < columns_.size(); ++c) widths[c] = std::max(widths[c], row[c].cells);
  }
  std::string out;
  for (size_t l = 0; l < lines.size(); ++l) {
    std::string text;
    size_t pending = 0;  // blanks owed before the next cell: never trailing
    for (size_t c = 0; c < columns_.size(); ++c) {
      const Shown &cell = lines[l][c];
      const size_t gap = widths[c] - cell.cells;
      if (c > 0) pending += 2;
      if (columns_[c].align == Align::kRight) pending += gap;
      if (!cell.text.empty()) {
        pad(text, pending);
        pending = 0;
        text += cell.text;
      }
      if (columns_[c].align == Align::kLeft) pending += gap;
    }
    if (l == 0 && bold) text = std::string(kBold) + text + std::string(kReset);
    out += text;
    out += '\n';
  }
  return out;
}

std::string Block::render() const {
  std::vector<std::pair<Shown, std::string>> lines;
  size_t width = 0;
  for (const auto &[label, value] : lines_) {
    lines.emplace_back(shown(label), safe(value));
    width = std::max(width, lines.back().first.cells);
  }
  std::string out;
  for (const auto &[label, value] : lines) {
    out += label.text;
    if (!value.empty()) {
      pad(out, width - label.cells + 2);
      out += value;
    }
    out += '\n';
  }
  return out;
}

std::string heading(std::string_view title, bool bold) {
  if (!bold) return safe(title) + "\n";
  return std::string(kBold) + safe(title) + std::string(kReset) + "\n";
}

}  // namespace agmcli
