// Human renderings of the ABI's JSON documents: a totals block and tables per query kind, one
// line per followed record, and the price table. Members are documented in the README
// ("History queries") and in metrics_c.h; absent or null values print as "—".
#pragma once
#include <string>

#include "support.hpp"

namespace agmcli {

struct Style {
  bool bold = false;  // bold headers (stdout is a terminal with colour on)
};

std::string render_summary(const Json &doc, const Style &style);
std::string render_breakdown(const Json &doc, const Style &style);
std::string render_sessions(const Json &doc, const Style &style);
std::string render_session(const Json &doc, const Style &style);
std::string render_tools(const Json &doc, const Style &style);
std::string render_slow(const Json &doc, const Style &style);
std::string render_errors(const Json &doc, const Style &style);
std::string render_invocations(const Json &doc, const Style &style);

// tail: the header line and one line per row object (AGM_EXPORT_JSON's row).
std::string render_row_header(const Style &style);
std::string render_row(const Json &row);

// prices: the table of agm_recorder_prices, and one entry of agm_recorder_price_json.
std::string render_price_table(const Json &entries, const Style &style);
std::string render_price_entry(const Json &entry, const Style &style);

}  // namespace agmcli
