// A history query over a store (stored.hpp): the query layer's reader of every store.
#pragma once
#include <string>

#include "history.hpp"
#include "stored.hpp"

namespace agentmetrics {

// The JSON document of `query` over the store.
std::string query_store(const std::string &path, const Query &query, ReadReport &report,
                        const ProgressFn &progress = {});

}  // namespace agentmetrics
