// The JSON object agm_recorder_record_invocation_json takes: seed 004's InvocationMetric with
// the seed's camelCase names or their snake_case forms. This is the API's input dialect only:
// the journal's "invocation" lines have their own decoder (journal.cpp), which knows none of
// these spellings.
//
// Members (either spelling, each at most once; null is the same as absent):
//   invocationId | invocation_id   string, required (checked by validate_invocation)
//   agent                          string, required
//   phase                          integer
//   taskId | task_id               string
//   durationMs | duration_ms       number of milliseconds, fractions allowed
//   duration_ns                    integer nanoseconds (one duration member only)
//   tokens                         integer
//   inputTokens | input_tokens     integer (absent: not reported)
//   outputTokens | output_tokens   integer (absent: not reported)
//   cachedTokens | cached_tokens   integer (absent: not reported)
//   cost                           number, USD, read exactly
//   exitCode | exit_code           integer
//   success                        true or false
//   attempt                        integer >= 1
//   outputParsed | output_parsed   true or false
//   model, tier                    string
//   errorClass | error_class       string
//   timestamp                      ISO 8601 start (absent: start = now - duration, as for
//                                  agm_recorder_record_invocation without AGM_INVOCATION_HAS_START)
// Any other member, a wrong type or a value out of range is refused with InvalidArgument
// naming the member as the caller spelled it.
#pragma once
#include <simdjson.h>

#include <string>
#include <string_view>

#include "record.hpp"

namespace agentmetrics {

class InvocationJsonParser {
 public:
  // Parses `json`. The view borrows from the parser: valid until the next parse. Throws
  // InvalidArgument ("invocation: …").
  const InvocationView &parse(std::string_view json);
  // Whether the last parse had a "timestamp" (else the caller sets start_ns).
  bool has_timestamp() const { return has_timestamp_; }

 private:
  void parse_document(simdjson::ondemand::document &doc);
  simdjson::ondemand::parser parser_;
  std::string padded_;  // the input, padded as simdjson needs
  InvocationView inv_;
  bool has_timestamp_ = false;
};

}  // namespace agentmetrics
