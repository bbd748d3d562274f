// The HTML report of a store (stored.hpp): the report layer's reader of every store.
#pragma once
#include <string>

#include "report.hpp"
#include "stored.hpp"

namespace agentmetrics {

// The HTML report of the store's records.
std::string report_store(const std::string &path, const ReportOptions &options, ReadReport &report,
                         const ProgressFn &progress = {});

}  // namespace agentmetrics
