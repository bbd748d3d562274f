#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "abi_values.hpp"
#include "aggregate.hpp"
#include "errors.hpp"
#include "fold.hpp"
#include "format.hpp"
#include "history_parts.hpp"
#include "json_writer.hpp"
#include "parallelism.hpp"
#include "strings.hpp"
#include "timefmt.hpp"

namespace agentmetrics {

namespace {

constexpr int64_t kMinTs = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTs = std::numeric_limits<int64_t>::max();
constexpr int64_t kSecond = 1'000'000'000, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
// Tokens over time use hours up to this span, days beyond it.
constexpr int64_t kHourlySpan = 48 * kHour;
// The parallelism chart never has more buckets than this.
constexpr int64_t kMaxParallelismBuckets = 200;

// ---------------------------------------------------------------------------------------------
// HTML output. One escape for every string that is not literal markup: text and attribute
// values alike, in HTML and inside SVG.

// Appends `s` with & < > " ' as character references. Invalid UTF-8 (records are validated, a
// path or title may not be) and control characters other than tab and newlines (C1 too) become U+FFFD,
// so the page is always well-formed UTF-8.
void escape(std::string &out, std::string_view s) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  const bool utf8 = valid_utf8(s);
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n':
      case '\r': out += static_cast<char>(c); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += kReplacement;
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else if (c == 0xC2 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0x80) {
          out += kReplacement;  // a C1 control (U+0080..U+009F): a parse error in HTML
          i += 2;
          continue;
        } else {
          const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
          if (utf8 || (i + n <= s.size() && valid_utf8(s.substr(i, n)))) {
            out.append(s.substr(i, n));
            i += n;
          } else {
            out += kReplacement;
            ++i;
          }
          continue;
        }
    }
    ++i;
  }
}

// A coordinate in an SVG viewBox.
struct Px {
  double v;
};

// The page under construction. String literals are markup and go out as they are; every other
// string (stored names, messages, formatted numbers, any const char *) is escaped, so none can
// slip in raw.
class Out {
 public:
  template <size_t N>
  Out &operator<<(const char (&markup)[N]) {
    s_.append(markup, N - 1);
    return *this;
  }
  Out &operator<<(std::string_view text) {
    escape(s_, text);
    return *this;
  }
  Out &operator<<(Px p) {
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.1f", p.v);
    if (n > 2 && buf[n - 1] == '0' && buf[n - 2] == '.') n -= 2;
    s_.append(buf, static_cast<size_t>(n));
    return *this;
  }
  std::string take() { return std::move(s_); }

 private:
  std::string s_;
};

// At most `max` code points of `s`, with "…" when cut.
std::string clip(std::string_view s, size_t max) {
  size_t i = 0, points = 0;
  while (i < s.size() && points < max) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    ++points;
  }
  if (i >= s.size()) return std::string(s);
  return std::string(s.substr(0, i)) + "\u2026";
}

// ---------------------------------------------------------------------------------------------
// Numbers and times as shown.

std::string tokens_text(int64_t n) {
  return format_tokens(std::max<int64_t>(n, 0));
}
std::string count_text(uint64_t n) {
  return format_tokens(static_cast<int64_t>(std::min<uint64_t>(n, static_cast<uint64_t>(kMaxTs))));
}
std::string duration_text(int64_t ns) {
  return format_duration_ns(std::max<int64_t>(ns, 0));
}
// "12.5%": part / whole to one decimal; whole > 0.
std::string percent_text(u128 part, u128 whole) {
  return decimal(part * 100, whole, 1) + "%";
}
// The displayed cost and, when rounding hid digits, the exact amount.
std::string exact_cost_text(u128 atto) {
  const std::string shown = format_cost(atto), exact = "$" + money_to_decimal(atto);
  return shown == exact ? shown : shown + " (exactly " + exact + ")";
}

constexpr const char *kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "Nov 22", or "2026-11-22" when the year matters.
std::string day_text(int64_t ns, bool with_year) {
  const std::string day = format_day(ns);
  if (with_year) return day;
  const int month = (day[5] - '0') * 10 + (day[6] - '0');
  return std::string(kMonths[month - 1]) + " " + (day[8] == '0' ? day.substr(9, 1) : day.substr(8, 2));
}
// "10:00" or "10:00:05".
std::string clock_text(int64_t ns, bool seconds) {
  return format_iso_ms(ns).substr(11, seconds ? 8 : 5);
}
// "2026-11-22 10:00:00": tables and headers (the page says its times are UTC).
std::string when_text(int64_t ns) {
  std::string s = format_iso_ms(ns).substr(0, 19);
  s[10] = ' ';
  return s;
}

void time_tag(Out &o, int64_t ns) {
  o << "<time datetime=\"" << format_iso_ms(ns) << "\">" << when_text(ns) << "</time>";
}

// ---------------------------------------------------------------------------------------------
// Charts: inline SVG from two primitives, an axis and a bar, shared by every chart.

constexpr double kChartWidth = 900;

struct Plot {
  double x, y, w, h;  // the data area inside the viewBox
};

struct Tick {
  double at;  // position along the axis, in viewBox units
  std::string label;
};

enum class Edge { kLeft, kBottom };

// Tick labels along the left or bottom edge of the plot, with gridlines across it if `grid`.
void axis(Out &o, const Plot &p, Edge edge, const std::vector<Tick> &ticks, bool grid) {
  o << "<g class=\"axis\">";
  for (const Tick &t : ticks) {
    if (edge == Edge::kLeft) {
      if (grid) {
        o << "<line class=\"grid\" x1=\"" << Px{p.x} << "\" x2=\"" << Px{p.x + p.w} << "\" y1=\"" << Px{t.at}
          << "\" y2=\"" << Px{t.at} << "\"/>";
      }
      o << "<text x=\"" << Px{p.x - 8} << "\" y=\"" << Px{t.at + 4} << "\" text-anchor=\"end\">" << t.label
        << "</text>";
    } else {
      if (grid) {
        o << "<line class=\"grid\" x1=\"" << Px{t.at} << "\" x2=\"" << Px{t.at} << "\" y1=\"" << Px{p.y}
          << "\" y2=\"" << Px{p.y + p.h} << "\"/>";
      }
      o << "<text x=\"" << Px{t.at} << "\" y=\"" << Px{p.y + p.h + 18} << "\" text-anchor=\"middle\">"
        << t.label << "</text>";
    }
  }
  if (edge == Edge::kBottom && !grid) {
    o << "<line class=\"base\" x1=\"" << Px{p.x} << "\" x2=\"" << Px{p.x + p.w} << "\" y1=\"" << Px{p.y + p.h}
      << "\" y2=\"" << Px{p.y + p.h} << "\"/>";
  }
  o << "</g>";
}

// One bar or column segment, with its exact value as a tooltip.
void bar(Out &o, double x, double y, double w, double h, const char *cls, std::string_view tip) {
  o << "<rect class=\"" << cls << "\" x=\"" << Px{x} << "\" y=\"" << Px{y} << "\" width=\"" << Px{w}
    << "\" height=\"" << Px{h} << "\"><title>" << tip << "</title></rect>";
}

// Charts scroll sideways rather than shrink below a readable size.
void svg_open(Out &o, double height, std::string_view label) {
  o << "<div class=\"chart-wrap\"><svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
    << Px{kChartWidth} << " " << Px{height} << "\" width=\"" << Px{kChartWidth} << "\" height=\""
    << Px{height} << "\" role=\"img\" aria-label=\"" << label << "\">";
}

void svg_close(Out &o) {
  o << "</svg></div>";
}

enum class Unit { kCount, kCost };  // kCost values are USD

// A value axis from 0 to count * mant * 10^exp, in steps of mant * 10^exp.
struct Scale {
  uint64_t mant = 1;
  int exp = 0;
  int count = 1;
  double step() const { return static_cast<double>(mant) * std::pow(10.0, exp); }
  double top() const { return step() * count; }
};

// About four steps of 1, 2 or 5 times a power of ten reaching `max`; whole steps for counts.
Scale nice_scale(double max, Unit unit) {
  Scale s;
  if (!(max > 0)) {
    s.exp = unit == Unit::kCost ? -2 : 0;
    return s;
  }
  const double raw = max / 4;
  s.exp = static_cast<int>(std::floor(std::log10(raw)));
  const double f = raw / std::pow(10.0, s.exp);
  s.mant = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  if (s.mant == 10) {
    s.mant = 1;
    ++s.exp;
  }
  if (unit == Unit::kCount && s.exp < 0) s.mant = 1, s.exp = 0;
  s.exp = std::max(s.exp, -kAttoDigits);
  s.count = std::max(1, static_cast<int>(std::ceil(max / s.step() - 1e-9)));
  return s;
}

// The label of the value units * 10^exp, exact (no binary rounding shows).
std::string scale_label(uint64_t units, int exp, Unit unit) {
  if (units == 0) return "0";
  if (unit == Unit::kCost) {
    // Below a hundredth of a cent the display rounding would label every tick "$0.0000".
    const u128 atto = static_cast<u128>(units) * pow10_u128(exp + kAttoDigits);
    return exp < -4 ? "$" + money_to_decimal(atto) : format_cost(atto);
  }
  const u128 v = static_cast<u128>(units) * pow10_u128(std::max(exp, 0));
  return tokens_text(v > static_cast<u128>(kMaxTs) ? kMaxTs : static_cast<int64_t>(v));
}

// Ticks of `s` along a length of `length` from `origin`; `down`: values grow upwards (y axis).
std::vector<Tick> value_ticks(const Scale &s, Unit unit, double origin, double length, bool down) {
  std::vector<Tick> ticks;
  for (int i = 0; i <= s.count; ++i) {
    const double offset = length * i / s.count;
    ticks.push_back(
        {down ? origin + length - offset : origin + offset, scale_label(s.mant * i, s.exp, unit)});
  }
  return ticks;
}

// Columns over time: slot i of the x axis is [(first + i) * slot_ns, + slot_ns).
struct Segment {
  double value;  // in the chart's unit
  const char *cls;
  std::string tip;
};
struct Column {
  int64_t slot;                   // absolute: slot * slot_ns is its start
  std::vector<Segment> segments;  // stacked from the bottom
};
struct ColumnChart {
  std::string label;  // for screen readers
  int64_t first_slot = 0, slots = 1, slot_ns = kDay;
  Unit unit = Unit::kCount;
  double gap = 0.2;  // part of a slot left empty between columns; 0: a step area
  std::vector<Column> columns;
  std::optional<std::pair<double, std::string>> marker;  // a labelled horizontal line
};

// The slot stride that labels at most kMaxLabels slots of width slot_ns, on round times where
// it can (slots whose absolute index is a multiple of the stride).
constexpr int64_t kMaxLabels = 9;
int64_t label_stride(int64_t slots, int64_t slot_ns) {
  static constexpr int64_t kRound[] = {kSecond,      2 * kSecond,  5 * kSecond, 10 * kSecond, 15 * kSecond,
                                       30 * kSecond, kMinute,      2 * kMinute, 5 * kMinute,  10 * kMinute,
                                       15 * kMinute, 30 * kMinute, kHour,       2 * kHour,    3 * kHour,
                                       6 * kHour,    12 * kHour,   kDay,        2 * kDay,     7 * kDay,
                                       14 * kDay,    28 * kDay};
  for (int64_t round : kRound) {
    if (round % slot_ns == 0 && slots <= kMaxLabels * (round / slot_ns)) return round / slot_ns;
  }
  return (slots + kMaxLabels - 1) / kMaxLabels;
}

// The time labels of a slot axis: dates where the day changes (or the first label).
std::vector<Tick> time_ticks(const ColumnChart &c, const Plot &p) {
  const double slot_w = p.w / static_cast<double>(c.slots);
  const int64_t stride = label_stride(c.slots, c.slot_ns);
  const int64_t last_slot = c.first_slot + c.slots - 1;
  const bool with_year =
      format_day(c.first_slot * c.slot_ns).substr(0, 4) != format_day(last_slot * c.slot_ns).substr(0, 4);
  std::vector<Tick> ticks;
  std::string previous_day;
  for (int64_t i = 0; i < c.slots; ++i) {
    const int64_t slot = c.first_slot + i;
    if (floor_div(slot, stride) * stride != slot) continue;
    const int64_t ns = slot * c.slot_ns;
    std::string label;
    if (c.slot_ns >= kDay) {
      label = day_text(ns, with_year);
    } else {
      const std::string day = day_text(ns, with_year);
      label = clock_text(ns, c.slot_ns < kMinute);
      if (day != previous_day) label = day + " " + label;
      previous_day = day;
    }
    ticks.push_back({p.x + slot_w * (static_cast<double>(i) + 0.5), std::move(label)});
  }
  return ticks;
}

void column_chart(Out &o, const ColumnChart &c) {
  constexpr double kHeight = 260;
  const Plot p{78, 14, kChartWidth - 78 - 16, kHeight - 14 - 30};
  double max = c.marker ? c.marker->first : 0;
  for (const Column &col : c.columns) {
    double sum = 0;
    for (const Segment &s : col.segments) sum += s.value;
    max = std::max(max, sum);
  }
  const Scale scale = nice_scale(max, c.unit);
  const double top = scale.top(), slot_w = p.w / static_cast<double>(c.slots);
  svg_open(o, kHeight, c.label);
  axis(o, p, Edge::kLeft, value_ticks(scale, c.unit, p.y, p.h, true), true);
  // Columns keep a readable width when there are few slots; a step area (gap 0) fills its slots.
  const double col_w = c.gap > 0 ? std::min(slot_w * (1 - c.gap), 56.0) : slot_w;
  if (c.gap > 0) {
    o << "<g>";
  } else {
    o << "<g shape-rendering=\"crispEdges\">";  // no seams between the steps of an area
  }
  for (const Column &col : c.columns) {
    const double x = p.x + slot_w * (static_cast<double>(col.slot - c.first_slot) + 0.5) - col_w / 2;
    double y = p.y + p.h;
    for (const Segment &s : col.segments) {
      if (!(s.value > 0)) continue;
      const double h = p.h * s.value / top;
      y -= h;
      bar(o, x, y, c.gap > 0 ? col_w : col_w + 0.5, h, s.cls, s.tip);  // steps overlap: no rounding gaps
    }
  }
  o << "</g>";
  if (c.marker) {
    const double y = p.y + p.h - p.h * c.marker->first / top;
    o << "<line class=\"marker\" x1=\"" << Px{p.x} << "\" x2=\"" << Px{p.x + p.w} << "\" y1=\"" << Px{y}
      << "\" y2=\"" << Px{y} << "\"/><text class=\"marker-label\" x=\"" << Px{p.x + p.w - 4} << "\" y=\""
      << Px{y - 5} << "\" text-anchor=\"end\">" << c.marker->second << "</text>";
  }
  axis(o, p, Edge::kBottom, time_ticks(c, p), false);
  svg_close(o);
}

// Horizontal bars, one per row, labelled on the left, the value written at the end.
struct BarRow {
  std::string label, value_text, tip;
  double value;
  const char *cls;
};

void bar_chart(Out &o, std::string_view label, const std::vector<BarRow> &rows, Unit unit) {
  constexpr double kRow = 30, kLeft = 200, kRight = 96;
  const double height = 10 + kRow * static_cast<double>(rows.size()) + 30;
  const Plot p{kLeft, 10, kChartWidth - kLeft - kRight, kRow * static_cast<double>(rows.size())};
  double max = 0;
  for (const BarRow &r : rows) max = std::max(max, r.value);
  const Scale scale = nice_scale(max, unit);
  svg_open(o, height, label);
  axis(o, p, Edge::kBottom, value_ticks(scale, unit, p.x, p.w, false), true);
  std::vector<Tick> names;
  for (size_t i = 0; i < rows.size(); ++i)
    names.push_back({p.y + kRow * (static_cast<double>(i) + 0.5), rows[i].label});
  axis(o, p, Edge::kLeft, names, false);
  o << "<g>";
  for (size_t i = 0; i < rows.size(); ++i) {
    const double w = p.w * rows[i].value / scale.top(), y = p.y + kRow * static_cast<double>(i) + 6;
    bar(o, p.x, y, std::max(w, 1.0), kRow - 12, rows[i].cls, rows[i].tip);
    o << "<text class=\"value\" x=\"" << Px{p.x + w + 6} << "\" y=\"" << Px{y + kRow / 2 - 2} << "\">"
      << rows[i].value_text << "</text>";
  }
  o << "</g>";
  svg_close(o);
}

struct LegendItem {
  const char *cls;
  std::string name;
};
void legend(Out &o, const std::vector<LegendItem> &items) {
  o << "<ul class=\"legend\">";
  for (const LegendItem &i : items)
    o << "<li><span class=\"swatch " << i.cls << "\"></span>" << i.name << "</li>";
  o << "</ul>";
}

// ---------------------------------------------------------------------------------------------
// Page pieces.

constexpr char kStyle[] = R"CSS(
:root{--bg:#f4f5f7;--card:#fff;--fg:#1b2230;--muted:#5d6678;--line:#e2e5ea;--grid:#eceef2;--hover:#f7f8fa;
--c0:#3b6fd8;--c1:#1fa39a;--c2:#e9a23b;--c3:#8a5cd1;--c4:#e05a7a;--c5:#9aa7bb;--bad:#c2413b;--marker:#c2413b;
color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--card:#181c23;--fg:#e4e8ef;--muted:#98a2b3;--line:#2a303a;
--grid:#232933;--hover:#1e232b;--c0:#6f97ef;--c1:#3cc2b7;--c2:#f0b75e;--c3:#a886e6;--c4:#ef7d98;--c5:#5d6778;
--bad:#f07b74;--marker:#f07b74}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:32px 24px 40px}
header{margin-bottom:8px}
h1{font-size:26px;line-height:1.25;margin:0 0 10px;letter-spacing:-.01em;overflow-wrap:anywhere}
h2{font-size:16px;margin:0 0 4px}
h3{font-size:14px;margin:18px 0 6px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0;font-size:13px;color:var(--muted)}
.meta dt{font-weight:600}.meta dd{margin:0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin:0 0 8px}
.group{font-size:12px;font-weight:600;color:var(--muted);margin:22px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
.card .label{font-size:11.5px;font-weight:600;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.card .value{font-size:22px;font-weight:650;line-height:1.35;font-variant-numeric:tabular-nums;white-space:nowrap;
overflow:hidden;text-overflow:ellipsis}
.card .note{font-size:12px;color:var(--muted)}
.card.primary .value{color:var(--c0)}.card.alert .value{color:var(--bad)}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:16px 0}
.sub{margin:0 0 12px;color:var(--muted);font-size:13px}
.empty{color:var(--muted);font-style:italic;margin:8px 0 0}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:13px;margin-top:4px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:11.5px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);white-space:nowrap}
tbody tr:hover{background:var(--hover)}
tfoot td{font-weight:600;border-bottom:0}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.name{overflow-wrap:anywhere;min-width:8em}
.when{white-space:nowrap;font-variant-numeric:tabular-nums}
.msg{overflow-wrap:anywhere;max-width:34em}
.dim{color:var(--muted)}
.tag{display:inline-block;font-size:11px;padding:0 7px;border-radius:9px;background:var(--grid);color:var(--muted);
white-space:nowrap}
.meter{display:inline-block;width:96px;height:8px;border-radius:4px;background:var(--grid);overflow:hidden;
vertical-align:middle}
.meter>span{display:block;height:100%;border-radius:4px;background:var(--c0)}
.chart-wrap{overflow-x:auto}
.chart{display:block;width:100%;min-width:600px;height:auto;margin:6px 0 0}
.chart text{font-size:11px;fill:var(--muted)}
.chart .value{fill:var(--fg);font-variant-numeric:tabular-nums}
.chart .grid{stroke:var(--grid);stroke-width:1}
.chart .base{stroke:var(--line);stroke-width:1}
.chart .marker{stroke:var(--marker);stroke-width:1;stroke-dasharray:4 3}
.chart .marker-label{fill:var(--marker);font-weight:600;paint-order:stroke;stroke:var(--card);stroke-width:4px;
stroke-linejoin:round}
.chart rect:hover{opacity:.8}
.k0{fill:var(--c0)}.k0l{fill:var(--c0);fill-opacity:.32}.k1{fill:var(--c1)}.k2{fill:var(--c2)}.k3{fill:var(--c3)}.k4{fill:var(--c4)}.k5{fill:var(--c5)}
.legend{display:flex;flex-wrap:wrap;gap:4px 18px;list-style:none;margin:8px 0 0;padding:0;font-size:12px;color:var(--muted)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.swatch.k0{background:var(--c0)}.swatch.k0l{background:var(--c0);opacity:.32}.swatch.k1{background:var(--c1)}.swatch.k2{background:var(--c2)}
.swatch.k3{background:var(--c3)}.swatch.k4{background:var(--c4)}.swatch.k5{background:var(--c5)}
.none{text-align:center;padding:48px 20px}.none p{margin:0;font-size:16px;color:var(--muted)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media (max-width:640px){main{padding:20px 12px}section{padding:14px 12px}h1{font-size:21px}}
@media print{:root{--bg:#fff;--card:#fff;--fg:#000;--muted:#444;--line:#ccc;--grid:#e6e6e6}
body{font-size:12px}main{max-width:none;padding:0}section,.card,tr{break-inside:avoid}.chart{min-width:0}
section{border-color:#ccc}.table-wrap{overflow:visible}}
)CSS";

const char *kind_label(RecordKind kind) {
  switch (kind) {
    case RecordKind::kModelCall: return "model call";
    case RecordKind::kToolCall: return "tool call";
    case RecordKind::kTurn: return "turn";
    case RecordKind::kSession: return "session";
    case RecordKind::kInvocation: return "invocation";
    case RecordKind::kDropped: return "dropped records";
  }
  return "";
}

// An empty label shows as a dash.
void label_cell(Out &o, const char *cls, std::string_view s) {
  o << "<td class=\"" << cls << "\">";
  if (s.empty()) {
    o << "<span class=\"dim\">\u2014</span>";
  } else {
    o << s;
  }
  o << "</td>";
}

void card(Out &o, const char *cls, const char *label, std::string_view value, std::string_view note) {
  o << "<div class=\"card " << cls << "\"><div class=\"label\">" << label << "</div><div class=\"value\">"
    << value << "</div>";
  if (!note.empty()) o << "<div class=\"note\">" << note << "</div>";
  o << "</div>";
}

// The nice parallelism bucket widths, and what they are called.
struct Width {
  int64_t ns;
  const char *name;
};
constexpr Width kWidths[] = {{kSecond, "1 second"},        {5 * kSecond, "5 seconds"},
                             {10 * kSecond, "10 seconds"}, {30 * kSecond, "30 seconds"},
                             {kMinute, "1 minute"},        {5 * kMinute, "5 minutes"},
                             {15 * kMinute, "15 minutes"}, {kHour, "1 hour"},
                             {6 * kHour, "6 hours"},       {kDay, "1 day"}};

int64_t bucket_count(int64_t first, int64_t last, int64_t width) {
  return floor_div(last, width) - floor_div(first, width) + 1;
}

// The narrowest nice width giving at most kMaxParallelismBuckets buckets; whole days beyond.
std::pair<int64_t, std::string> parallelism_width(int64_t first, int64_t last) {
  for (const Width &w : kWidths) {
    if (bucket_count(first, last, w.ns) <= kMaxParallelismBuckets) return {w.ns, w.name};
  }
  int64_t days = (last / kDay - first / kDay) / (kMaxParallelismBuckets - 1) + 1;
  while (bucket_count(first, last, days * kDay) > kMaxParallelismBuckets) ++days;
  return {days * kDay, std::to_string(days) + " days"};
}

// Tokens over time stack these: the disjoint kinds, output split from its reasoning part.
struct TokenSeries {
  TokenKind kind;
  const char *cls, *name;
};
constexpr TokenSeries kTokenSeries[] = {{kInput, "k0", "Input"},
                                        {kCacheRead, "k1", "Cache read"},
                                        {kCacheWrite, "k2", "Cache write"},
                                        {kOutput, "k3", "Output"},
                                        {kReasoning, "k4", "Reasoning (part of output)"}};

// UTC hours (floor(ts / 1 h)) coarsened to UTC days.
std::map<int64_t, Totals> by_day(const std::map<int64_t, Totals> &hours) {
  std::map<int64_t, Totals> days;
  for (const auto &[hour, t] : hours) days[floor_div(hour, 24)].merge(t);
  return days;
}

int64_t series_value(const Totals &t, TokenKind kind, bool split_reasoning) {
  if (kind == kOutput && split_reasoning)
    return std::max<int64_t>(t.tokens[kOutput] - t.tokens[kReasoning], 0);
  return t.tokens[kind];
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct ReportRun::State {
  explicit State(ReportOptions o) : options(std::move(o)), slow(options.limit), errors(options.limit) {}

  void add(const RecordView &r);
  std::string finish();

  Totals &hour_of(int64_t ts) {
    const int64_t h = floor_div(ts, kHour);
    if (h != hour_index || hour_slot == nullptr) {
      hour_index = h;
      hour_slot = &hours[h];
    }
    return *hour_slot;
  }

  void header(Out &o) const;
  void totals(Out &o) const;
  void cost_by_model(Out &o) const;
  void cost_by_day(Out &o) const;
  void tokens_over_time(Out &o) const;
  void latency(Out &o) const;
  void parallelism(Out &o);
  void slowest(Out &o) const;
  void recent_errors(Out &o) const;

  ReportOptions options;
  uint64_t records = 0;
  int64_t first = kMaxTs, last = kMinTs;  // record timestamps in range
  Group all;                              // every call: totals, and durations by kind
  KeyMap<Group> models, tools;            // at most AGM_MAX_GROUP_KEYS names each, then AGM_OTHER_KEY
  bool folded = false;
  // Model calls per UTC hour (floor(ts / 1 h)): tokens over time, and cost by day at finish.
  std::map<int64_t, Totals> hours;
  int64_t hour_index = 0;
  Totals *hour_slot = nullptr;  // most records fall in the hour of the one before
  // Distinct session ids, as 64-bit hashes so no id is copied (a collision, ~n^2 / 2^65, would
  // undercount by one).
  std::unordered_set<uint64_t> sessions;
  uint64_t last_session = 0;
  bool has_last_session = false;
  // Parallelism: from invocations once there is one, else from timed calls.
  Spans invocation_spans, call_spans;
  uint64_t invocations = 0, invocation_successes = 0;
  TopK<SlowOp<std::string>> slow;
  TopK<ErrorEntry<std::string>> errors;
};

void ReportRun::State::add(const RecordView &r) {
  if (r.ts < options.from || r.ts >= options.to) return;
  ++records;
  first = std::min(first, r.ts);
  last = std::max(last, r.ts);
  if (!r.session.empty()) {
    const uint64_t h = std::hash<std::string_view>{}(r.session);
    if (!has_last_session || h != last_session) {
      sessions.insert(h);
      last_session = h;
      has_last_session = true;
    }
  }
  const Folded f(r);
  switch (r.kind) {
    case RecordKind::kModelCall:
      f.add_to(capped_slot(models, r.model, folded));
      f.add_to(hour_of(r.ts));
      break;
    case RecordKind::kToolCall: f.add_to(capped_slot(tools, r.tool, folded)); break;
    case RecordKind::kTurn: break;
    case RecordKind::kSession:
    case RecordKind::kDropped: return;  // readers count markers apart (ReadReport)
    case RecordKind::kInvocation: {
      ++invocations;
      if (r.invocation.success) ++invocation_successes;
      if (!call_spans.empty()) call_spans.clear();  // invocations take over the chart
      const int64_t start = r.invocation.start_ns, d = r.invocation.duration_ns;
      int64_t end;
      if (d >= 0 && !__builtin_add_overflow(start, d, &end)) invocation_spans.add(start, d);
      return;
    }
  }
  f.add_to(all);

  if (const std::optional<int64_t> duration = f.duration) {
    // A call runs over [ts - duration, ts): ts is its end.
    int64_t start;
    if (r.kind != RecordKind::kTurn && invocations == 0 && !__builtin_sub_overflow(r.ts, *duration, &start)) {
      call_spans.add(start, *duration);
    }
    slow.offer(SlowOp<std::string_view>{*duration, r.ts, r.kind, r.turn, call_name(r), r.session});
  }
  if (r.error && f.call()) {
    errors.offer(
        ErrorEntry<std::string_view>{r.ts, r.kind, call_name(r), r.error_type, error_text(r), r.session});
  }
}

void ReportRun::State::header(Out &o) const {
  o << "<header><h1>" << options.title << "</h1><dl class=\"meta\">";
  o << "<dt>Store</dt><dd>";
  if (options.source.empty()) {
    o << "<span class=\"dim\">\u2014</span>";
  } else {
    o << options.source;
  }
  o << "</dd><dt>Range</dt><dd>";
  if (options.from == kMinTs && options.to == kMaxTs) {
    o << "all records";
  } else {
    if (options.from != kMinTs) {
      o << "from ";
      time_tag(o, options.from);
    }
    if (options.to != kMaxTs) {
      o << (options.from != kMinTs ? " to " : "before ");
      time_tag(o, options.to);
    }
  }
  o << "</dd>";
  if (records) {
    o << "<dt>Records</dt><dd>" << count_text(records) << ", ";
    time_tag(o, first);
    o << " \u2013 ";
    time_tag(o, last);
    o << "</dd>";
  }
  o << "<dt>Generated</dt><dd>";
  time_tag(o, options.now_ns);
  o << " UTC (all times are UTC)</dd></dl></header>";
}

void ReportRun::State::totals(Out &o) const {
  const Totals &t = all.totals;
  o << "<div class=\"group\">Cost and activity</div><div class=\"cards\">";
  if (t.priced_calls) {
    card(o, "primary", "Total cost", format_cost(t.cost_total),
         t.calls_unpriced ? "excludes " + count_text(t.calls_unpriced) + " unpriced calls"
                          : "all calls with usage priced");
  } else {
    card(o, "", "Total cost", "\u2014",
         t.calls_unpriced ? count_text(t.calls_unpriced) + " calls unpriced: cost unknown"
                          : "no priced calls in range");
  }
  card(o, "", "Model calls", count_text(t.model_calls),
       count_text(t.model_errors) + " errors \u00b7 " + count_text(t.retries) + " retries");
  card(o, "", "Tool calls", count_text(t.tool_calls), count_text(t.tool_errors) + " errors");
  const uint64_t calls = t.model_calls + t.tool_calls, failed = t.model_errors + t.tool_errors;
  card(o, failed ? "alert" : "", "Error rate", calls ? percent_text(failed, calls) : "\u2014",
       count_text(failed) + " of " + count_text(calls) + " calls failed");
  const Sketch &turns = all.durations[kDurTurn];
  card(o, "", "Turns", count_text(t.turns),
       turns.empty() ? "" : "median " + duration_text(*turns.quantile(0.5)));
  card(o, "", "Sessions", count_text(sessions.size()), "distinct session ids");
  if (invocations) {
    card(o, "", "Invocations", count_text(invocations),
         percent_text(invocation_successes, invocations) + " succeeded");
  }
  o << "</div><div class=\"group\">Data quality</div><div class=\"cards\">";
  card(o, t.calls_missing_usage ? "alert" : "", "Missing usage", count_text(t.calls_missing_usage),
       "model calls without token usage");
  card(o, t.calls_unpriced ? "alert" : "", "Unpriced calls", count_text(t.calls_unpriced),
       "calls with usage but no price");
  o << "</div>";
  if (t.calls_with_usage) {
    o << "<div class=\"group\">Tokens</div><div class=\"cards\">";
    card(o, "primary", "All tokens", tokens_text(t.all_tokens()), "input, cache and output");
    static constexpr std::pair<TokenKind, const char *> kKinds[] = {{kInput, "Input"},
                                                                    {kCacheRead, "Cache read"},
                                                                    {kCacheWrite, "Cache write"},
                                                                    {kOutput, "Output"},
                                                                    {kReasoning, "Reasoning"}};
    for (auto [kind, label] : kKinds) {
      if (!((t.token_present >> kind) & 1u)) continue;
      card(o, "", label, tokens_text(t.tokens[kind]), kind == kReasoning ? "part of output" : "");
    }
    o << "</div>";
  }
}

void ReportRun::State::cost_by_model(Out &o) const {
  o << "<section id=\"cost-by-model\"><h2>Cost by model</h2>";
  if (models.empty()) {
    o << "<p class=\"empty\">No model calls in range.</p></section>";
    return;
  }
  using Ref = const KeyMap<Group>::value_type *;
  std::vector<Ref> ranked;
  for (const auto &entry : models) ranked.push_back(&entry);
  keep_first(ranked, ranked.size(), [](Ref a, Ref b) {
    if (costlier(a->second.totals, b->second.totals)) return true;
    if (costlier(b->second.totals, a->second.totals)) return false;
    return a->first < b->first;
  });
  const Totals &t = all.totals;
  if (t.priced_calls) {
    o << "<p class=\"sub\">Priced model calls, by cost.</p>";
    constexpr size_t kBars = 10;
    std::vector<BarRow> rows;
    u128 rest = 0;
    size_t rest_models = 0;
    for (Ref m : ranked) {
      const Totals &mt = m->second.totals;
      if (!mt.priced_calls) break;  // unpriced rank last
      if (rows.size() == kBars) {
        rest += mt.cost_total;
        ++rest_models;
        continue;
      }
      rows.push_back({clip(m->first, 26), format_cost(mt.cost_total),
                      m->first + ": " + exact_cost_text(mt.cost_total) + ", " + count_text(mt.model_calls) +
                          " calls, " + (t.cost_total ? percent_text(mt.cost_total, t.cost_total) : "0%") +
                          " of the total",
                      money_to_double(mt.cost_total), "k0"});
    }
    if (rest_models) {
      rows.push_back({std::to_string(rest_models) + " more models", format_cost(rest),
                      std::to_string(rest_models) + " more models: " + exact_cost_text(rest),
                      money_to_double(rest), "k5"});
    }
    bar_chart(o, "Cost by model, horizontal bars", rows, Unit::kCost);
  } else {
    o << "<p class=\"empty\">No model call in range was priced, so there is no cost to chart.</p>";
  }
  o << "<div class=\"table-wrap\"><table><thead><tr><th>Model</th><th class=\"n\">Calls</th><th "
       "class=\"n\">Errors</th><th class=\"n\">Tokens</th><th class=\"n\">Cost</th><th "
       "class=\"n\">Share</th></tr></thead><tbody>";
  for (Ref m : ranked) {
    const Totals &mt = m->second.totals;
    o << "<tr>";
    label_cell(o, "name", m->first);
    o << "<td class=\"n\">" << count_text(mt.model_calls) << "</td><td class=\"n\">"
      << count_text(mt.model_errors) << "</td><td class=\"n\">";
    if (mt.calls_with_usage) {
      o << tokens_text(mt.all_tokens());
    } else {
      o << "<span class=\"dim\" title=\"no call reported usage\">\u2014</span>";
    }
    o << "</td><td class=\"n\">";
    if (mt.priced_calls) {
      o << format_cost(mt.cost_total);
      if (mt.calls_unpriced)
        o << " <span class=\"tag\">" << count_text(mt.calls_unpriced) << " unpriced</span>";
    } else {
      o << "<span class=\"tag\">" << (mt.calls_unpriced ? "unpriced" : "no usage") << "</span>";
    }
    o << "</td><td class=\"n\">";
    if (mt.priced_calls && t.cost_total) {
      o << percent_text(mt.cost_total, t.cost_total);
    } else {
      o << "<span class=\"dim\">\u2014</span>";
    }
    o << "</td></tr>";
  }
  o << "</tbody><tfoot><tr><td>All models</td><td class=\"n\">" << count_text(t.model_calls)
    << "</td><td class=\"n\">" << count_text(t.model_errors) << "</td><td class=\"n\">"
    << (t.calls_with_usage ? tokens_text(t.all_tokens()) : std::string("\u2014")) << "</td><td class=\"n\">"
    << (t.priced_calls ? format_cost(t.cost_total) : std::string("\u2014")) << "</td><td class=\"n\">"
    << (t.priced_calls ? "100%" : "\u2014") << "</td></tr></tfoot></table></div></section>";
}

void ReportRun::State::cost_by_day(Out &o) const {
  o << "<section id=\"cost-by-day\"><h2>Cost by day</h2>";
  if (!all.totals.priced_calls) {
    o << "<p class=\"empty\">"
      << (all.totals.model_calls ? "No model call in range was priced, so there is no cost to chart."
                                 : "No model calls in range.")
      << "</p></section>";
    return;
  }
  const std::map<int64_t, Totals> days = by_day(hours);
  ColumnChart c;
  c.label = "Cost by UTC day, columns";
  c.first_slot = floor_div(first, kDay);
  c.slots = floor_div(last, kDay) - c.first_slot + 1;
  c.slot_ns = kDay;
  c.unit = Unit::kCost;
  for (const auto &[day, t] : days) {
    std::string tip = format_day(day * kDay) + ": ";
    tip += t.priced_calls ? exact_cost_text(t.cost_total) : std::string("no priced call");
    tip += ", " + count_text(t.model_calls) + " model calls";
    if (t.calls_unpriced) tip += ", " + count_text(t.calls_unpriced) + " unpriced";
    c.columns.push_back(
        {day, {{t.priced_calls ? money_to_double(t.cost_total) : 0.0, "k0", std::move(tip)}}});
  }
  o << "<p class=\"sub\">Priced model calls per UTC day";
  if (all.totals.calls_unpriced)
    o << "; " << count_text(all.totals.calls_unpriced) << " unpriced calls not included";
  o << ".</p>";
  column_chart(o, c);
  o << "</section>";
}

void ReportRun::State::tokens_over_time(Out &o) const {
  o << "<section id=\"tokens-over-time\"><h2>Tokens by kind over time</h2>";
  const Totals &t = all.totals;
  if (!t.calls_with_usage) {
    o << "<p class=\"empty\">"
      << (t.model_calls ? "No model call in range reported token usage." : "No model calls in range.")
      << "</p></section>";
    return;
  }
  // (Written so that no subtraction can overflow.)
  const bool hourly = first > kMaxTs - kHourlySpan || last <= first + kHourlySpan;
  const bool split = (t.token_present >> kReasoning) & 1u;
  std::vector<const TokenSeries *> series;
  for (const TokenSeries &s : kTokenSeries) {
    if ((t.token_present >> s.kind) & 1u) series.push_back(&s);
  }
  const std::map<int64_t, Totals> days = hourly ? std::map<int64_t, Totals>() : by_day(hours);
  const std::map<int64_t, Totals> &buckets = hourly ? hours : days;
  ColumnChart c;
  c.label =
      hourly ? "Tokens by kind per UTC hour, stacked columns" : "Tokens by kind per UTC day, stacked columns";
  c.slot_ns = hourly ? kHour : kDay;
  c.first_slot = floor_div(first, c.slot_ns);
  c.slots = floor_div(last, c.slot_ns) - c.first_slot + 1;
  for (const auto &[index, b] : buckets) {
    if (!b.calls_with_usage) continue;
    const int64_t start = index * c.slot_ns;
    const std::string when =
        hourly ? format_day(start) + " " + clock_text(start, false) + " UTC" : format_day(start);
    Column col{index, {}};
    for (const TokenSeries *s : series) {
      const int64_t v = series_value(b, s->kind, split);
      col.segments.push_back({static_cast<double>(v), s->cls,
                              when + ": " + s->name + " " + tokens_text(v) + " tokens (of " +
                                  tokens_text(b.all_tokens()) + ")"});
    }
    c.columns.push_back(std::move(col));
  }
  o << "<p class=\"sub\">Per UTC " << (hourly ? "hour" : "day") << ", by the end of each model call"
    << (split ? "; output is split into reasoning and the rest" : "") << ".</p>";
  column_chart(o, c);
  std::vector<LegendItem> items;
  for (const TokenSeries *s : series) {
    items.push_back(
        {s->cls, std::string(s->kind == kOutput && split ? "Output (excluding reasoning)" : s->name) +
                     " \u00b7 " + tokens_text(series_value(t, s->kind, split))});
  }
  legend(o, items);
  o << "</section>";
}

void ReportRun::State::latency(Out &o) const {
  o << "<section id=\"latency\"><h2>Latency</h2><p class=\"sub\">Percentiles of recorded durations (within "
       "0.8%; max exact). The bar shows p95 against the slowest p95 in the table.</p>";
  auto table = [&](const char *title, const char *what, const KeyMap<Group> &groups, DurationKind kind) {
    o << "<h3>" << title << "</h3>";
    if (groups.empty()) {
      o << "<p class=\"empty\">No " << what << " in range.</p>";
      return;
    }
    using Ref = const KeyMap<Group>::value_type *;
    std::vector<Ref> rows;
    int64_t widest = 0;
    for (const auto &entry : groups) {
      rows.push_back(&entry);
      widest = std::max(widest, entry.second.durations[kind].quantile(0.95).value_or(0));
    }
    // Most timed calls first, then by name.
    keep_first(rows, rows.size(), [kind](Ref a, Ref b) {
      const uint64_t ca = a->second.durations[kind].count(), cb = b->second.durations[kind].count();
      return ca != cb ? ca > cb : a->first < b->first;
    });
    const bool model = kind == kDurModelCall;
    auto numbers = [&](const Group &g) {
      const Sketch &s = g.durations[kind];
      o << "<td class=\"n\">" << count_text(model ? g.totals.model_calls : g.totals.tool_calls)
        << "</td><td class=\"n\">" << count_text(model ? g.totals.model_errors : g.totals.tool_errors)
        << "</td><td class=\"n\">" << count_text(s.count()) << "</td>";
      for (double q : {0.5, 0.95, 0.99}) {
        const std::optional<int64_t> v = s.quantile(q);
        o << "<td class=\"n\">" << (v ? duration_text(*v) : "\u2014") << "</td>";
      }
      o << "<td class=\"n\">" << (s.empty() ? "\u2014" : duration_text(s.max())) << "</td><td>";
      if (!s.empty() && widest > 0) {
        const int64_t p95 = *s.quantile(0.95);
        o << "<span class=\"meter\" title=\"p95 " << duration_text(p95) << "\"><span style=\"width:"
          << Px{std::min(100.0, 100.0 * static_cast<double>(p95) / static_cast<double>(widest))}
          << "%\"></span></span>";
      }
      o << "</td>";
    };
    o << "<div class=\"table-wrap\"><table><thead><tr><th>Name</th><th class=\"n\">Calls</th><th "
         "class=\"n\">Errors</th><th class=\"n\">Timed</th><th class=\"n\">p50</th><th "
         "class=\"n\">p95</th><th "
         "class=\"n\">p99</th><th class=\"n\">Max</th><th>Relative p95</th></tr></thead><tbody>";
    for (Ref r : rows) {
      o << "<tr>";
      label_cell(o, "name", r->first);
      numbers(r->second);
      o << "</tr>";
    }
    o << "</tbody><tfoot><tr><td>All " << what << "</td>";
    numbers(all);
    o << "</tr></tfoot></table></div>";
  };
  table("Per model", "model calls", models, kDurModelCall);
  table("Per tool", "tool calls", tools, kDurToolCall);
  o << "</section>";
}

void ReportRun::State::parallelism(Out &o) {
  o << "<section id=\"parallelism\"><h2>Parallelism over time</h2>";
  const bool from_invocations = !invocation_spans.empty();
  Spans &spans = from_invocations ? invocation_spans : call_spans;
  if (spans.empty()) {
    o << "<p class=\"empty\">No timed model calls, tool calls or invocations in range.</p></section>";
    return;
  }
  const auto [width, width_name] = parallelism_width(spans.first(), spans.last());
  const size_t intervals = spans.size();
  const Parallelism p = Parallelism::compute(spans, width, kMaxParallelismBuckets);
  o << "<p class=\"sub\">Peak <strong>" << count_text(static_cast<uint64_t>(p.peak))
    << "</strong> running at once, from " << count_text(intervals)
    << (from_invocations ? " invocation records" : " timed model and tool calls") << "; buckets of "
    << width_name << ".</p>";
  ColumnChart c;
  c.label = "Operations running at once per bucket of " + width_name + ", peak " + std::to_string(p.peak);
  c.first_slot = p.first_bucket;
  c.slots = static_cast<int64_t>(p.concurrent.size());
  c.slot_ns = width;
  c.gap = 0;
  c.marker = std::pair(static_cast<double>(p.peak), "peak " + std::to_string(p.peak));
  for (size_t i = 0; i < p.concurrent.size(); ++i) {
    const int64_t peak = p.bucket_peak[i], concurrent = p.concurrent[i];
    if (concurrent == 0) continue;
    const int64_t start = (p.first_bucket + static_cast<int64_t>(i)) * width;
    const std::string tip = format_iso_ms(start) + " + " + width_name + ": at most " + count_text(peak) +
                            " at once, " + count_text(concurrent) + " running during the bucket";
    c.columns.push_back(
        {p.first_bucket + static_cast<int64_t>(i),
         {{static_cast<double>(peak), "k0", tip}, {static_cast<double>(concurrent - peak), "k0l", tip}}});
  }
  column_chart(o, c);
  legend(o, {{"k0", "Most running at one instant"}, {"k0l", "Also running during the bucket"}});
  o << "</section>";
}

void ReportRun::State::slowest(Out &o) const {
  o << "<section id=\"slowest\"><h2>Slowest operations</h2>";
  const std::vector<SlowOp<std::string>> ops = slow.sorted();
  if (ops.empty()) {
    o << "<p class=\"empty\">No timed model calls, tool calls or turns in range.</p></section>";
    return;
  }
  o << "<p class=\"sub\">The " << count_text(ops.size())
    << " slowest model calls, tool calls and turns (ties: the earlier first).</p>";
  o << "<div class=\"table-wrap\"><table><thead><tr><th>Operation</th><th>Type</th><th "
       "class=\"n\">Duration</th><th>Ended</th><th>Session</th></tr></thead><tbody>";
  for (const auto &op : ops) {
    o << "<tr>";
    label_cell(o, "name", op.kind == RecordKind::kTurn ? "turn " + std::to_string(op.turn) : op.name);
    o << "<td><span class=\"tag\">" << kind_label(op.kind) << "</span></td><td class=\"n\">"
      << duration_text(op.duration_ns) << "</td><td class=\"when\">";
    time_tag(o, op.ts);
    o << "</td>";
    label_cell(o, "name", op.session);
    o << "</tr>";
  }
  o << "</tbody></table></div></section>";
}

void ReportRun::State::recent_errors(Out &o) const {
  o << "<section id=\"errors\"><h2>Most recent errors</h2>";
  const std::vector<ErrorEntry<std::string>> rows = errors.sorted();
  if (rows.empty()) {
    o << "<p class=\"empty\">No failed model or tool calls in range.</p></section>";
    return;
  }
  o << "<p class=\"sub\">" << count_text(all.totals.model_errors) << " model and "
    << count_text(all.totals.tool_errors) << " tool errors in range; the " << count_text(rows.size())
    << " most recent:</p>";
  o << "<div class=\"table-wrap\"><table><thead><tr><th>When</th><th>Type</th><th>Name</th><th>Error "
       "type</th><th>Message</th><th>Session</th></tr></thead><tbody>";
  for (const auto &e : rows) {
    o << "<tr><td class=\"when\">";
    time_tag(o, e.ts);
    o << "</td><td><span class=\"tag\">" << kind_label(e.kind) << "</span></td>";
    label_cell(o, "name", e.name);
    label_cell(o, "name", e.error_type);
    o << "<td class=\"msg\" title=\"" << e.message << "\">" << clip(e.message, 400) << "</td>";
    label_cell(o, "name", e.session);
    o << "</tr>";
  }
  o << "</tbody></table></div></section>";
}

std::string ReportRun::State::finish() {
  Out o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
       "'unsafe-inline'; "
       "img-src data:\">"
       "<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"generator\" content=\"agentmetrics "
    << AGM_CORE_VERSION_STRING << "\"><title>" << options.title << "</title><style>" << kStyle
    << "</style></head>\n<body><main>";
  header(o);
  if (records == 0) {
    o << "<section class=\"none\"><p>No records in range.</p></section>";
  } else {
    totals(o);
    cost_by_model(o);
    cost_by_day(o);
    tokens_over_time(o);
    latency(o);
    parallelism(o);
    slowest(o);
    recent_errors(o);
  }
  o << "<footer>Generated by agentmetrics " << AGM_CORE_VERSION_STRING << ".</footer></main></body></html>\n";
  return o.take();
}

ReportRun::ReportRun(ReportOptions options) {
  if (options.limit == 0) throw InvalidArgument("limit must be at least 1");
  if (options.from > options.to) throw InvalidArgument("from must not be after to");
  state_ = std::make_unique<State>(std::move(options));
}
ReportRun::~ReportRun() = default;
ReportRun::ReportRun(ReportRun &&) noexcept = default;
ReportRun &ReportRun::operator=(ReportRun &&) noexcept = default;

void ReportRun::add(const RecordView &r) {
  state_->add(r);
}

// Computing the parallelism sorts the kept intervals in place, which changes nothing a later
// finish() would see.
std::string ReportRun::finish() const {
  return state_->finish();
}

}  // namespace agentmetrics
