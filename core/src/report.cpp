#include "report.hpp"

#include "errors.hpp"

namespace agentmetrics {

// Skeleton: replaced by the real report.
struct ReportRun::State {
  ReportOptions options;
};

ReportRun::ReportRun(ReportOptions options) {
  if (options.limit == 0) throw InvalidArgument("limit must be at least 1");
  if (options.from > options.to) throw InvalidArgument("from must not be after to");
  state_ = std::make_unique<State>(State{std::move(options)});
}
ReportRun::~ReportRun() = default;
ReportRun::ReportRun(ReportRun &&) noexcept = default;
ReportRun &ReportRun::operator=(ReportRun &&) noexcept = default;

void ReportRun::add(const RecordView &) {}

std::string ReportRun::finish() const {
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body></body></html>\n";
}

}  // namespace agentmetrics
