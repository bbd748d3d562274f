// An export of a store (stored.hpp): the export layer's reader of every store.
#pragma once
#include <string>

#include "export.hpp"
#include "stored.hpp"

namespace agentmetrics {

// The export of the store's records, through `write`.
void export_store(const std::string &path, const ExportOptions &options, const WriteFn &write,
                  ReadReport &report, const ProgressFn &progress = {});

}  // namespace agentmetrics
