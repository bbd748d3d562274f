// libFuzzer harness: the journal decoder, from a buffer (no file: microseconds per input).
// The fuzz build links the core's static library and drives the internal LineDecoder the way
// a load does (core/src/journal.cpp, Reader): the input is split into lines at '\n', blank
// lines are passed over, each line is decoded in place with the rest of the buffer as its
// readable capacity (the reader hands the decoder its whole block, padded at the end only),
// and each record is aggregated as agm_recorder_load aggregates it (engine.cpp, LoadedTotals).
//
// Input: journal text (tests/fuzz/make_corpus.py seeds it with lines of every record kind,
// built from the usage fixtures).
// Checked: no crash or sanitizer report; a bad line is rejected with Corrupt (any other
// exception would abort a whole load); a decoded record encodes to a line that decodes and
// encodes to the same line again.
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "aggregate.hpp"
#include "errors.hpp"
#include "fuzz_check.hpp"
#include "journal.hpp"
#include "record.hpp"

using namespace agentmetrics;

namespace {

// As LoadedTotals::apply.
void aggregate(Group &g, const RecordView &r) {
  const std::string_view error = error_text(r.error_message, r.error_type);
  switch (r.kind) {
    case RecordKind::kModelCall:
      g.totals.add_model_call(r.usage, r.cost, r.error, r.attempt > 1);
      if (r.duration_ns) g.durations[kDurModelCall].add(*r.duration_ns);
      if (r.ttft_ns) g.durations[kDurTtft].add(*r.ttft_ns);
      if (r.error) g.note_error(error, r.ts);
      break;
    case RecordKind::kToolCall:
      g.totals.add_tool_call(r.error);
      if (r.duration_ns) g.durations[kDurToolCall].add(*r.duration_ns);
      if (r.error) g.note_error(error, r.ts);
      break;
    case RecordKind::kTurn:
      ++g.totals.turns;
      if (r.duration_ns) g.durations[kDurTurn].add(*r.duration_ns);
      break;
    default: break;
  }
}

// Decodes its own copy of `line`, padded as simdjson needs.
const RecordView &decode_copy(LineDecoder &decoder, std::string &copy, std::string_view line) {
  copy.assign(line);
  copy.append(simdjson::SIMDJSON_PADDING, ' ');
  return decoder.decode(std::string_view(copy.data(), line.size()), copy.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The reader's block: the text, then padding.
  std::vector<char> block(size + simdjson::SIMDJSON_PADDING, ' ');
  if (size) std::memcpy(block.data(), data, size);
  static LineDecoder decoder, again;
  Group group;
  std::string first, second, copy;
  size_t pos = 0;
  while (pos < size) {
    const char *start = block.data() + pos;
    const void *nl = std::memchr(start, '\n', size - pos);
    const size_t len = nl ? static_cast<size_t>(static_cast<const char *>(nl) - start) : size - pos;
    const std::string_view line(start, len);
    pos += len + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const RecordView *r;
    try {
      r = &decoder.decode(line, block.size() - static_cast<size_t>(start - block.data()));
    } catch (const Corrupt &e) {
      FUZZ_CHECK(*e.what() != '\0', "a rejection without a reason");
      continue;
    }
    aggregate(group, *r);
    for (int k = 0; k < kDurationKinds; ++k) (void)group.durations[k].quantile(0.99);

    // What was read is what the writer would write again, and that reads back the same.
    first.clear();
    encode_record(*r, first);
    FUZZ_CHECK(!first.empty() && first.back() == '\n', "an encoded line without its newline");
    const std::string_view encoded(first.data(), first.size() - 1);
    const RecordView *back = nullptr;
    try {
      back = &decode_copy(again, copy, encoded);
    } catch (const Corrupt &e) {
      FUZZ_CHECK(false, "the re-encoded line does not decode (%s): %s", e.what(), first.c_str());
    }
    second.clear();
    encode_record(*back, second);
    FUZZ_CHECK(first == second, "encode(decode(encode(r))) differs:\n%s%s", first.c_str(), second.c_str());
  }
  return 0;
}
