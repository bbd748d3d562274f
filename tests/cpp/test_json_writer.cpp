// The streaming JSON writer (core/src/base/json_writer.hpp): strings as json::append_string
// writes them, commas when the caller empties its buffer between values, line breaks.
#include <gtest/gtest.h>

#include <string>

#include "json_writer.hpp"

using namespace agentmetrics;

namespace {

// `open`, s escaped, `sep`, s escaped, `close`.
std::string twice(char open, std::string_view s, char sep, char close) {
  std::string out(1, open);
  json::append_string(out, s);
  out += sep;
  json::append_string(out, s);
  out += close;
  return out;
}

TEST(JsonWriter, StringsAndKeysAreEscapedAsAppendStringDoes) {
  // Every character that needs escaping, at every position of an eight-byte block, in short
  // strings and in strings longer than the writer's one-append buffer.
  for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\t'}) {
    for (size_t length : {size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{17}, size_t{123}, size_t{200}}) {
      for (size_t at = 0; at < length; ++at) {
        std::string s(length, 'a');
        s[at] = special;
        Json j;
        j.begin_object().key(s).str(s).end_object();
        EXPECT_EQ(j.take(), twice('{', s, ':', '}')) << length << " " << at;
      }
    }
  }
  for (const std::string &s : {std::string(), std::string(" !#~\x7f"), std::string("h\xc3\xa9 \xe2\x80\xa8"),
                               std::string(300, 'x')}) {
    Json j;
    j.begin_array().str(s).str(s).end_array();
    EXPECT_EQ(j.take(), twice('[', s, ',', ']'));
  }
}

TEST(JsonWriter, AppendsToACallersBufferEmptiedBetweenValues) {
  std::string buf, all;
  Json j(buf);
  j.begin_object().key("a").begin_array();
  for (int i = 0; i < 3; ++i) {
    j.begin_object().key("n").num(int64_t{i}).end_object();
    all += buf;
    buf.clear();  // as a streaming writer hands its pieces on
  }
  j.end_array().key("b").str("x").end_object();
  all += buf;
  EXPECT_EQ(all, R"({"a":[{"n":0},{"n":1},{"n":2}],"b":"x"})");
}

TEST(JsonWriter, LineBreaksGoAfterTheCommaAndBeforeAClosingBracket) {
  Json j;
  j.begin_array().line_break().begin_object().end_object().line_break().begin_object().end_object();
  j.line_break().end_array();
  EXPECT_EQ(j.take(), "[\n{},\n{}\n]");
  Json empty;
  empty.begin_array().line_break().end_array();
  EXPECT_EQ(empty.take(), "[\n]");
}

}  // namespace
