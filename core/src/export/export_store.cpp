#include "export_store.hpp"

namespace agentmetrics {

void export_store(const std::string &path, const ExportOptions &options, const WriteFn &write,
                  ReadReport &report, const ProgressFn &progress) {
  ExportRun run(options, write);
  for_each_stored(
      path, range_filter(options.from, options.to, run.kinds()), 0, 0, report,
      [&](const RecordView &r) { run.add(r); }, progress);
  run.finish();
}

}  // namespace agentmetrics
