// Records built in memory for the white-box tests of the readers of records (history queries,
// the report): the fields a test sets, nothing else.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "prices.hpp"
#include "record.hpp"
#include "usage.hpp"

namespace agentmetrics::test_records {

inline Usage usage(int64_t input, int64_t output) {
  Usage u;
  u.set(kInput, input);
  u.set(kOutput, output);
  u.derive_total();
  return u;
}

inline Cost cost(u128 input, u128 output = 0) {
  Cost c;
  c.priced = true;
  c.item[kCostInput] = input;
  c.item[kCostOutput] = output;
  c.total = input + output;
  return c;
}

inline RecordView model_call(int64_t ts, std::string_view session, std::string_view model, Usage u = {},
                             Cost c = {}, std::optional<int64_t> duration = std::nullopt) {
  RecordView r;
  r.kind = RecordKind::kModelCall;
  r.ts = ts;
  r.session = session;
  r.model = model;
  r.usage = u;
  r.cost = c;
  r.duration_ns = duration;
  return r;
}

inline RecordView tool_call(int64_t ts, std::string_view session, std::string_view tool,
                            std::optional<int64_t> duration = std::nullopt, bool error = false,
                            std::string_view message = {}) {
  RecordView r;
  r.kind = RecordKind::kToolCall;
  r.ts = ts;
  r.session = session;
  r.tool = tool;
  r.duration_ns = duration;
  r.error = error;
  r.error_message = message;
  return r;
}

}  // namespace agentmetrics::test_records
