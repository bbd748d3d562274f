// libFuzzer harness: the journal decoder, from a buffer (no file: microseconds per input).
// The fuzz build links the core's static library and decodes lines the way every reader does
// (decode_line in core/src/store/journal.hpp, torn lines re-synchronised): the input is split into
// lines at '\n', each line is decoded in place with the rest of the buffer as its readable
// capacity (LineReader hands the decoder its whole block, padded at the end only), and each
// record is aggregated as every reader of a store aggregates it (Folded, core/src/fold.hpp).
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
#include "fold.hpp"
#include "fuzz_check.hpp"
#include "journal.hpp"
#include "record.hpp"

using namespace agentmetrics;

namespace {

// Decodes its own copy of `line`, padded as simdjson needs.
const RecordView &decode_copy(LineDecoder &decoder, std::string &copy, std::string_view line) {
  copy.assign(line);
  copy.append(simdjson::SIMDJSON_PADDING, ' ');
  return decoder.decode(std::string_view(copy.data(), line.size()), copy.size());
}

// Aggregated as a load does; what was read is what the writer would write again, and that
// reads back the same.
void check_record(const RecordView &r, Group &group, std::string &first, std::string &second,
                  std::string &copy) {
  static LineDecoder again;
  Folded(r).add_to(group);
  for (int k = 0; k < kDurationKinds; ++k) (void)group.durations[k].quantile(0.99);
  first.clear();
  encode_record(r, first);
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The reader's block: the text, then padding.
  std::vector<char> block(size + simdjson::SIMDJSON_PADDING, ' ');
  if (size) std::memcpy(block.data(), data, size);
  static LineDecoder decoder;
  Group group;
  std::string first, second, copy;
  size_t pos = 0;
  while (pos < size) {
    const char *start = block.data() + pos;
    const void *nl = std::memchr(start, '\n', size - pos);
    const size_t len = nl ? static_cast<size_t>(static_cast<const char *>(nl) - start) : size - pos;
    const std::string_view line(start, len);
    pos += len + 1;
    LineReader::Line l;
    l.text = line;
    l.capacity = block.size() - static_cast<size_t>(start - block.data());
    l.bytes = len + 1;
    decode_line(
        decoder, l, [&](const RecordView &r) { check_record(r, group, first, second, copy); },
        [](const std::string &reason) { FUZZ_CHECK(!reason.empty(), "a rejection without a reason"); });
  }
  return 0;
}
