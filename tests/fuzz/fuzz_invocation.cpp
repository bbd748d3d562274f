// libFuzzer harness: agm_recorder_record_invocation_json's parser (core/src/ingest/invocation_json.cpp),
// from a buffer, and the journal line of what it accepts.
//
// Input: a JSON object in the API's dialect (tests/fuzz/make_corpus.py seeds it with seed
// 004's InvocationMetric in camelCase, in snake_case and mixed).
// Checked: no crash or sanitizer report; a bad input is refused with InvalidArgument (what the
// C ABI turns into AGM_E_INVALID_ARGUMENT: any other exception would be a bug); an invocation
// that the API accepts (parsed and validated as agm_recorder_record_invocation validates it)
// makes a journal line that the journal's decoder reads back as the same invocation.
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "errors.hpp"
#include "fuzz_check.hpp"
#include "invocation_json.hpp"
#include "invocations.hpp"
#include "journal.hpp"
#include "record.hpp"

using namespace agentmetrics;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static InvocationJsonParser parser;
  static LineDecoder decoder;
  InvocationView inv;
  try {
    inv = parser.parse(std::string_view(reinterpret_cast<const char *>(data), size));
    validate_invocation(inv);
  } catch (const InvalidArgument &e) {
    FUZZ_CHECK(e.what()[0] != '\0', "a refusal without a reason");
    return 0;
  }
  RecordView r;
  r.kind = RecordKind::kInvocation;
  r.invocation = inv;
  r.ts = inv.start_ns;
  std::string line;
  encode_record(r, line);
  FUZZ_CHECK(!line.empty() && line.back() == '\n', "an encoded line without its newline");
  const size_t length = line.size() - 1;
  line.pop_back();
  line.append(simdjson::SIMDJSON_PADDING, ' ');
  const RecordView *back = nullptr;
  try {
    back = &decoder.decode(std::string_view(line.data(), length), line.size());
  } catch (const Corrupt &e) {
    FUZZ_CHECK(false, "the journal does not read an accepted invocation back (%s): %s", e.what(),
               line.c_str());
  }
  const InvocationView &out = back->invocation;
  FUZZ_CHECK(back->kind == RecordKind::kInvocation, "not an invocation: %s", line.c_str());
  FUZZ_CHECK(out.invocation_id == inv.invocation_id && out.agent == inv.agent && out.task_id == inv.task_id &&
                 out.model == inv.model && out.tier == inv.tier && out.error_class == inv.error_class,
             "a string changed: %s", line.c_str());
  FUZZ_CHECK(out.phase == inv.phase && out.duration_ns == inv.duration_ns && out.tokens == inv.tokens &&
                 out.input_tokens == inv.input_tokens && out.output_tokens == inv.output_tokens &&
                 out.cached_tokens == inv.cached_tokens && out.cost == inv.cost &&
                 out.exit_code == inv.exit_code && out.success == inv.success && out.attempt == inv.attempt &&
                 out.output_parsed == inv.output_parsed,
             "a number changed: %s", line.c_str());
  return 0;
}
