#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "errors.hpp"
#include "journal.hpp"
#include "store_helpers.hpp"
#include "writer.hpp"

using namespace agentmetrics;

namespace {

const RecordView &decode(LineDecoder &d, std::string &line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  const size_t size = line.size();
  line.append(simdjson::SIMDJSON_PADDING, ' ');
  return d.decode(std::string_view(line.data(), size), line.size());
}

RecordView model_call() {
  RecordView r;
  r.kind = RecordKind::kModelCall;
  r.ts = 1763805600123456789;
  r.session = "thread \"42\"";
  r.agent = "planner";
  r.phase = "plan";
  r.task = "t\n1";
  r.turn = 3;
  r.model = "claude-sonnet-4-20250514";
  r.provider = "anthropic";
  r.source = "tool:web_search";
  r.stop_reason = "tool_use";
  r.attempt = 2;
  r.error = true;
  r.error_type = "overloaded";
  r.duration_ns = 2'300'000'000;
  r.ttft_ns = 400'000'000;
  for (int k = 0; k < kTokenKinds; ++k) r.usage.set(static_cast<TokenKind>(k), 1000 + k);
  r.cost.priced = true;
  for (int i = 0; i < kCostItems; ++i) r.cost.item[i] = pow10_u128(12) * (i + 1) + 7;  // 18 decimals
  r.cost.item[kCostReasoning] = 0;
  r.cost.total = pow10_u128(20) + 1;  // $100.000000000000000001
  return r;
}

}  // namespace

TEST(Journal, EveryFieldOfAModelCallRoundTripsExactly) {
  const RecordView in = model_call();
  std::string line;
  encode_record(in, line);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);  // newlines in strings are escaped
  LineDecoder d;
  const RecordView &out = decode(d, line);
  EXPECT_EQ(out.kind, in.kind);
  EXPECT_EQ(out.ts, in.ts);
  EXPECT_EQ(out.session, in.session);
  EXPECT_EQ(out.agent, in.agent);
  EXPECT_EQ(out.phase, in.phase);
  EXPECT_EQ(out.task, in.task);
  EXPECT_EQ(out.turn, in.turn);
  EXPECT_EQ(out.model, in.model);
  EXPECT_EQ(out.provider, in.provider);
  EXPECT_EQ(out.source, in.source);
  EXPECT_EQ(out.stop_reason, in.stop_reason);
  EXPECT_EQ(out.attempt, in.attempt);
  EXPECT_EQ(out.error, in.error);
  EXPECT_EQ(out.error_type, in.error_type);
  EXPECT_EQ(out.duration_ns, in.duration_ns);
  EXPECT_EQ(out.ttft_ns, in.ttft_ns);
  EXPECT_EQ(out.usage.present, in.usage.present);
  for (int k = 0; k < kTokenKinds; ++k) EXPECT_EQ(out.usage.count[k], in.usage.count[k]);
  EXPECT_TRUE(out.cost.priced);
  for (int i = 0; i < kCostItems; ++i) EXPECT_TRUE(out.cost.item[i] == in.cost.item[i]) << i;
  EXPECT_TRUE(out.cost.total == in.cost.total);
}

TEST(Journal, MissingIsNotZero) {
  RecordView in;
  in.kind = RecordKind::kModelCall;
  in.ts = 5;
  in.usage.set(kOutput, 0);  // reported zero, the rest not reported
  std::string line;
  encode_record(in, line);
  EXPECT_EQ(line.find("\"cost\""), std::string::npos) << line;  // unpriced
  LineDecoder d;
  const RecordView &out = decode(d, line);
  EXPECT_EQ(out.usage.present, 1u << kOutput);
  EXPECT_FALSE(out.cost.priced);
  EXPECT_FALSE(out.duration_ns.has_value());
  EXPECT_FALSE(out.ttft_ns.has_value());
}

TEST(Journal, ToolTurnSessionAndInvocationRecordsRoundTrip) {
  LineDecoder d;
  RecordView tool;
  tool.kind = RecordKind::kToolCall;
  tool.ts = 9;
  tool.tool = "web_search";
  tool.call_id = "toolu_01";
  tool.error = true;
  tool.error_message = "timeout ✗";
  tool.duration_ns = 0;
  tool.input_bytes = 12;
  std::string line;
  encode_record(tool, line);
  const RecordView &t = decode(d, line);
  EXPECT_EQ(t.tool, "web_search");
  EXPECT_EQ(t.call_id, "toolu_01");
  EXPECT_EQ(t.error_message, "timeout ✗");
  EXPECT_EQ(t.duration_ns, 0);
  EXPECT_EQ(t.input_bytes, 12);
  EXPECT_FALSE(t.output_bytes.has_value());

  RecordView session;
  session.kind = RecordKind::kSession;
  session.ts = -3;
  session.session = "s";
  session.tags_json = R"({"user":"ana","run":"7"})";
  line.clear();
  encode_record(session, line);
  const RecordView &s = decode(d, line);
  EXPECT_EQ(s.ts, -3);
  EXPECT_EQ(s.tags_json, session.tags_json);

  RecordView inv;
  inv.kind = RecordKind::kInvocation;
  inv.invocation.invocation_id = "i-1";
  inv.invocation.agent = "coder";
  inv.invocation.phase = 4;
  inv.invocation.duration_ns = 1'500'000'001;
  inv.invocation.tokens = 99;
  inv.invocation.cached_tokens = 9;
  inv.invocation.cost = pow10_u128(15) * 3;  // $0.003
  inv.invocation.attempt = 3;
  inv.invocation.success = true;
  inv.invocation.tier = "high";
  inv.invocation.start_ns = 1763805600123000000;
  inv.ts = inv.invocation.start_ns;
  line.clear();
  encode_record(inv, line);
  EXPECT_NE(line.find("\"timestamp\":\"2025-11-22T10:00:00.123Z\""), std::string::npos) << line;
  const InvocationView &i = decode(d, line).invocation;
  EXPECT_EQ(i.invocation_id, "i-1");
  EXPECT_EQ(i.agent, "coder");
  EXPECT_EQ(i.phase, 4);
  EXPECT_EQ(i.duration_ns, 1'500'000'001);
  EXPECT_EQ(i.cached_tokens, 9);
  EXPECT_FALSE(i.input_tokens.has_value());
  EXPECT_TRUE(i.cost == inv.invocation.cost);
  EXPECT_EQ(i.attempt, 3);
  EXPECT_TRUE(i.success);
  EXPECT_FALSE(i.output_parsed);
  EXPECT_EQ(i.tier, "high");
  EXPECT_EQ(i.start_ns, inv.invocation.start_ns);
}

namespace {

// What a line decodes to, encoded again ("malformed: <reason>" if it does not decode).
std::string reencoded(LineDecoder &d, std::string line) {
  std::string out;
  try {
    encode_record(decode(d, line), out);
  } catch (const Corrupt &e) {
    out = std::string("malformed: ") + e.what();
  }
  return out;
}

}  // namespace

TEST(Journal, EveryKindTheWriterWritesRoundTrips) {
  std::vector<RecordView> records(6);
  records[0] = model_call();
  RecordView &session = records[1];
  session.kind = RecordKind::kSession;
  session.ts = 1;
  session.session = "s";
  session.agent = "a";
  session.phase = "plan";
  session.task = "t";
  session.tags_json = R"({"user":"ana"})";
  RecordView &tool = records[2];
  tool.kind = RecordKind::kToolCall;
  tool.ts = 2;
  tool.phase = "act";
  tool.tool = "grep";
  tool.duration_ns = 5;
  RecordView &turn = records[3];
  turn.kind = RecordKind::kTurn;
  turn.ts = 3;
  turn.phase = "plan";
  turn.turn = 1;
  turn.turn_tokens = 12;
  turn.turn_cost = pow10_u128(15) * 7;
  RecordView &inv = records[4];
  inv.kind = RecordKind::kInvocation;
  inv.invocation.invocation_id = "i";
  inv.invocation.agent = "coder";
  inv.invocation.phase = 3;
  inv.invocation.task_id = "t";
  inv.invocation.duration_ns = 7;
  inv.invocation.tokens = 5;
  inv.invocation.input_tokens = 4;
  inv.invocation.output_tokens = 1;
  inv.invocation.cached_tokens = 0;
  inv.invocation.cost = pow10_u128(16);
  inv.invocation.exit_code = 137;
  inv.invocation.attempt = 2;
  inv.invocation.output_parsed = true;
  inv.invocation.model = "m";
  inv.invocation.tier = "high";
  inv.invocation.error_class = "oom";
  inv.invocation.start_ns = 1763805600123000000;
  inv.ts = inv.invocation.start_ns;
  RecordView &dropped = records[5];
  dropped.kind = RecordKind::kDropped;
  dropped.ts = 4;
  dropped.dropped_records = 9;
  dropped.last_ts = 8;
  LineDecoder d;
  for (const RecordView &r : records) {
    std::string line;
    encode_record(r, line);
    EXPECT_EQ(reencoded(d, line), line);
  }
}

TEST(Journal, TheSeedsCamelCaseNamesAreForeignMembers) {
  // The seed's camelCase names are agm_recorder_record_invocation_json's input dialect, not
  // the journal's: on a line they are members the schema does not know, ignored as any other
  // (a later minor version's members are), so the line reads as if they were not there.
  const std::string head =
      R"({"v":1,"kind":"invocation","ts":1763805600000000000,"timestamp":"2025-11-22T10:00:00.000Z",)"
      R"("invocation_id":"i","agent":"a","phase":1,"tokens":3,"cost":0.1,"success":true,"attempt":1)";
  const std::string camel =
      R"(,"durationMs":12.5,"taskId":"t","inputTokens":2,"outputTokens":1,"cachedTokens":4,"exitCode":137,)"
      R"("outputParsed":true,"errorClass":"oom")";
  const std::string foreign =
      R"(,"lengthMs":12.5,"jobId":"t","promptTokens":2,"replyTokens":1,"hitTokens":4,"statusCode":137,)"
      R"("schemaOk":true,"failureKind":"oom")";
  LineDecoder d;
  const std::string plain = reencoded(d, head + "}");
  ASSERT_EQ(plain.rfind("malformed", 0), std::string::npos) << plain;
  EXPECT_EQ(reencoded(d, head + camel + "}"), plain);
  EXPECT_EQ(reencoded(d, head + foreign + "}"), plain);
  std::string line = head + camel + "}";
  const InvocationView &i = decode(d, line).invocation;
  EXPECT_EQ(i.duration_ns, 0);
  EXPECT_EQ(i.task_id, "");
  EXPECT_FALSE(i.input_tokens.has_value());
  EXPECT_EQ(i.exit_code, 0);
  EXPECT_FALSE(i.output_parsed);
  EXPECT_EQ(i.error_class, "");
  // The seed's own object on a line: without the journal's "invocation_id" it is malformed,
  // like any invocation line without one, not an invocation without an id.
  EXPECT_EQ(
      reencoded(d, R"({"v":1,"kind":"invocation","ts":1,"invocationId":"i","agent":"a","durationMs":5})"),
      "malformed: invocation invocation_id is empty");
  EXPECT_EQ(reencoded(d, R"({"v":1,"kind":"invocation","ts":1,"invocation_id":"i","agent_name":"a"})"),
            "malformed: invocation agent is empty");
  EXPECT_EQ(reencoded(d, R"({"v":1,"kind":"invocation","ts":1,"invocation_id":"i","agent":"a","tokens":-1})"),
            "malformed: invocation tokens is negative (-1)");
}

TEST(Journal, PhaseAndCostHaveOneTypePerKind) {
  // "phase": a label (string), but an invocation's is a number; "cost": a model call's is an
  // object, any other kind's a number. Whatever the order of the members.
  LineDecoder d;
  auto reason = [&](const std::string &line) { return reencoded(d, line); };
  EXPECT_EQ(reason(R"({"v":1,"kind":"invocation","ts":1,"invocation_id":"i","agent":"a","phase":"plan"})"),
            "malformed: \"phase\" must be an integer");
  EXPECT_EQ(reason(R"({"phase":"plan","v":1,"kind":"invocation","ts":1,"invocation_id":"i","agent":"a"})"),
            "malformed: \"phase\" must be an integer");
  EXPECT_EQ(reason(R"({"v":1,"kind":"model_call","ts":1,"phase":2})"),
            "malformed: \"phase\" must be a string");
  EXPECT_EQ(reason(R"({"phase":2,"v":1,"kind":"session","ts":1})"), "malformed: \"phase\" must be a string");
  EXPECT_EQ(reason(R"({"v":1,"kind":"model_call","ts":1,"cost":0.5})"),
            "malformed: \"cost\" must be an object");
  EXPECT_EQ(reason(R"({"cost":0.5,"v":1,"kind":"model_call","ts":1})"),
            "malformed: \"cost\" must be an object");
  EXPECT_EQ(reason(R"({"v":1,"kind":"turn","ts":1,"cost":{"total":1}})"),
            "malformed: \"cost\" must be a number");
  EXPECT_EQ(
      reason(R"({"cost":{"total":1},"v":1,"kind":"invocation","ts":1,"invocation_id":"i","agent":"a"})"),
      "malformed: \"cost\" must be a number");
  // Read in either order, the right type is the same record.
  EXPECT_EQ(reason(R"({"phase":"p","cost":{"total":1},"v":1,"kind":"model_call","ts":1})"),
            reason(R"({"v":1,"kind":"model_call","ts":1,"phase":"p","cost":{"total":1}})"));
  EXPECT_EQ(
      reason(R"({"phase":4,"cost":0.5,"v":1,"kind":"invocation","ts":1,"invocation_id":"i","agent":"a"})"),
      reason(R"({"v":1,"kind":"invocation","ts":1,"invocation_id":"i","agent":"a","phase":4,"cost":0.5})"));
  EXPECT_EQ(reason(R"({"v":1,"kind":"turn","ts":1,"phase":"p","cost":0.5})").rfind("malformed", 0),
            std::string::npos);
}

TEST(Journal, ACamelCaseInvocationLineIsCountedLikeAnyForeignLine) {
  // Through a reader: the writer's lines are records; a line with the seed's names only is
  // malformed, with its reason, and the rest of the file reads on.
  RecordView inv;
  inv.kind = RecordKind::kInvocation;
  inv.invocation.invocation_id = "i-1";
  inv.invocation.agent = "coder";
  inv.invocation.start_ns = inv.ts = 1763805600000000000;
  std::string text;
  encode_record(inv, text);
  text += R"({"v":1,"kind":"invocation","ts":1763805600000000000,"invocationId":"i-2","agent":"coder"})"
          "\n";
  encode_record(model_call(), text);
  char tmpl[] = "/tmp/agm-journal-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  ReadReport report;
  std::vector<RecordKind> kinds;
  read_journal(tmpl, 0, 0, report, [&](const RecordView &r) { kinds.push_back(r.kind); });
  ::unlink(tmpl);
  EXPECT_EQ(kinds, (std::vector<RecordKind>{RecordKind::kInvocation, RecordKind::kModelCall}));
  EXPECT_EQ(report.lines, 3u);
  EXPECT_EQ(report.malformed, 1u);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.warnings[0].line, 2u);
  EXPECT_EQ(report.warnings[0].reason, "invocation invocation_id is empty");
}

TEST(Journal, MalformedLinesSayWhy) {
  LineDecoder d;
  auto reason = [&](std::string line) {
    try {
      decode(d, line);
    } catch (const Corrupt &e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(reason("{\"v\":1,\"kind\":\"turn\"}").find("no time"), std::string::npos);
  EXPECT_NE(reason("{\"kind\":\"turn\",\"ts\":1}").find("schema version"), std::string::npos);
  EXPECT_NE(reason("{\"v\":2,\"kind\":\"turn\",\"ts\":1}").find("unsupported schema version 2"),
            std::string::npos);
  EXPECT_NE(reason("{\"v\":1,\"kind\":\"turn\",\"ts\":1,\"turn\":-1}").find("turn"), std::string::npos);
  EXPECT_NE(reason("{\"v\":1,\"kind\":\"model_call\",\"ts\":1,\"cost\":{\"input\":1}}").find("total"),
            std::string::npos);
  EXPECT_NE(reason("{\"v\":1,\"kind\":\"model_call\",\"ts\":1,\"cost\":{\"total\":-1}}").find("cost.total"),
            std::string::npos);
  EXPECT_NE(reason("{\"v\":1,\"kind\":\"model_call\",\"ts\":1,\"outcome\":\"meh\"}").find("outcome"),
            std::string::npos);
  EXPECT_NE(
      reason("{\"v\":1,\"kind\":\"model_call\",\"ts\":1,\"usage\":{\"input\":1.5}}").find("usage.input"),
      std::string::npos);
  EXPECT_NE(reason("[]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(reason("{\"v\":1,\"kind\":\"model_call\",\"ts\":1,\"usage\":{\"inp").find("JSON"),
            std::string::npos);
  EXPECT_EQ(reason("{\"v\":1,\"kind\":\"turn\",\"ts\":1,\"something_new\":{\"a\":[1,{}]}}"), "accepted");
  EXPECT_EQ(reason("{\"\\u0076\":1,\"ki\\nd\":\"x\",\"kind\":\"turn\",\"ts\":1}"),
            "accepted");  // escaped names
}

TEST(Journal, AFileSplitBetweenThreadsReadsLikeOneThread) {
  // Over 8 MiB per chunk, so the file really is split; malformed lines fall in every chunk.
  char tmpl[] = "/tmp/agm-journal-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  std::string text;
  RecordView r = model_call();
  const int kLines = 90000;
  for (int i = 1; i <= kLines; ++i) {
    if (i % 20011 == 0) {
      text += "{\"v\":1,\"kind\":\"mod\n";  // a torn line
      continue;
    }
    r.ts = i;
    encode_record(r, text);
  }
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  ASSERT_GT(text.size(), size_t{24} << 20);

  ReadReport one, split;
  std::vector<int64_t> sequential;
  read_journal(tmpl, 0, 0, one, [&](const RecordView &v) { sequential.push_back(v.ts); });
  std::vector<std::vector<int64_t>> chunks(3);
  read_journal_file_parallel(tmpl, 3, split,
                             [&](size_t k, const RecordView &v) { chunks[k].push_back(v.ts); });
  ::unlink(tmpl);
  std::vector<int64_t> joined;
  for (const auto &c : chunks) {
    EXPECT_FALSE(c.empty());
    joined.insert(joined.end(), c.begin(), c.end());
  }
  EXPECT_EQ(joined, sequential);
  EXPECT_EQ(split.lines, one.lines);
  EXPECT_EQ(split.records, one.records);
  EXPECT_EQ(split.malformed, 4u);
  ASSERT_EQ(split.warnings.size(), one.warnings.size());
  for (size_t i = 0; i < one.warnings.size(); ++i) EXPECT_EQ(split.warnings[i].line, one.warnings[i].line);
  EXPECT_EQ(one.warnings[0].line, 20011u);
}

namespace {

// A journal file with `text`, removed on destruction.
struct TempJournal {
  std::string path;
  explicit TempJournal(const std::string &text) {
    char tmpl[] = "/tmp/agm-journal-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    path = tmpl;
    for (size_t done = 0; done < text.size();) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      EXPECT_GT(n, 0);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  ~TempJournal() { ::unlink(path.c_str()); }
};

RecordView tool_call(const char *id) {
  RecordView r;
  r.kind = RecordKind::kToolCall;
  r.ts = 1763805600000000000;
  r.session = "s";
  r.tool = "grep";
  r.call_id = id;
  r.tags_json = "{\"v\":\"1\"}";  // a tag named "v": not mistaken for a record's start
  return r;
}

std::string line_of(const RecordView &r) {
  std::string s;
  encode_record(r, s);
  return s;
}

}  // namespace

TEST(Journal, ATornFragmentDoesNotSwallowTheRecordAppendedAfterIt) {
  // Process A was killed in the middle of its write(); process B then appended a batch right
  // after the torn bytes. Every cut of A's line is tried, including cuts inside the record's
  // opening and one just before its newline (a whole record, judged by its content).
  const std::string a = line_of(tool_call("a1"));
  for (size_t cut = 1; cut < a.size(); ++cut) {
    SCOPED_TRACE("cut " + std::to_string(cut));
    const TempJournal j(line_of(tool_call("before")) + a.substr(0, cut) + line_of(tool_call("b1")) +
                        line_of(tool_call("b2")));
    ReadReport report;
    std::vector<std::string> ids;
    read_journal(j.path, 0, 0, report, [&](const RecordView &r) { ids.emplace_back(r.call_id); });
    const bool whole = cut == a.size() - 1;  // only the '\n' is missing
    EXPECT_EQ(ids, whole ? (std::vector<std::string>{"before", "a1", "b1", "b2"})
                         : (std::vector<std::string>{"before", "b1", "b2"}));
    EXPECT_EQ(report.malformed, whole ? 0u : 1u);
    EXPECT_EQ(report.lines, report.records + report.malformed);  // the fragment is a line of its own
    if (!whole) {
      ASSERT_EQ(report.warnings.size(), 1u);
      EXPECT_EQ(report.warnings[0].line, 2u);
    }
  }
  // Garbage before a record: the same; a record's opening inside garbage alone: one malformed line.
  const TempJournal garbage("\x01\x02{\"v\":" + line_of(tool_call("c1")) + "xx{\"v\":1,\"kind\"\n");
  ReadReport report;
  std::vector<std::string> ids;
  read_journal(garbage.path, 0, 0, report, [&](const RecordView &r) { ids.emplace_back(r.call_id); });
  EXPECT_EQ(ids, std::vector<std::string>{"c1"});
  EXPECT_EQ(report.malformed, 2u);
  EXPECT_EQ(report.lines, 3u);
}

TEST(Journal, ALineLongerThanTheLimitIsSkippedWithBoundedMemory) {
  // 100 MiB of one line between good lines: skipped as one malformed line, streaming.
  const std::string good = line_of(tool_call("g"));
  std::string text = good;
  text += "{\"v\":1,\"kind\":\"tool_call\",\"ts\":1,\"tool\":\"";
  text.append(size_t{100} << 20, 'x');
  text += "\"}\n";
  text += good;
  text += std::string(kMaxLineBytes, 'y');  // exactly the limit: read (and malformed)
  text += "\n";
  text += good;
  text.append(kMaxLineBytes + 1, 'z');  // a last line over the limit without a newline
  const TempJournal j(text);
  text.clear();
  text.shrink_to_fit();

  Fd fd(::open(j.path.c_str(), O_RDONLY));
  LineReader lines(j.path, fd.get(), 0, UINT64_MAX, true);
  LineReader::Line line;
  std::vector<bool> too_long;
  size_t most = 0;
  while (lines.next(line)) {
    too_long.push_back(line.too_long);
    most = std::max(most, lines.buffer_capacity());
  }
  EXPECT_EQ(too_long, (std::vector<bool>{false, true, false, false, false, true}));
  EXPECT_LE(most, kMaxLineBytes + (size_t{5} << 20));  // O(limit), not O(line)

  ReadReport report;
  uint64_t records = 0;
  read_journal(j.path, 0, 0, report, [&](const RecordView &) { ++records; });
  EXPECT_EQ(records, 3u);
  EXPECT_EQ(report.malformed, 3u);
  EXPECT_EQ(report.lines, 6u);
  ASSERT_EQ(report.warnings.size(), 3u);
  EXPECT_EQ(report.warnings[0].line, 2u);
  EXPECT_NE(report.warnings[0].reason.find("longer than 1048576 bytes"), std::string::npos)
      << report.warnings[0].reason;
  EXPECT_EQ(report.warnings[2].line, 6u);
  EXPECT_EQ(report.bytes, std::filesystem::file_size(j.path));
}

namespace {

// The journal writer's write(): lets g_whole_lines lines through whole (over any number of
// calls, however the writer batches them), then a few bytes of the next line (a disk filling
// up), then fails with ENOSPC. g_whole_lines < 0: no fault.
int g_whole_lines = -1;
bool g_failing = false;
bool g_space_freed = false;  // after the cut: writes succeed again at once

ssize_t short_write(int fd, const void *data, size_t size) {
  if (g_whole_lines < 0) return ::write(fd, data, size);
  if (g_failing) {
    errno = ENOSPC;
    return -1;
  }
  const char *text = static_cast<const char *>(data);
  size_t cut = 0;
  while (g_whole_lines > 0 && cut < size) {
    const char *nl = std::find(text + cut, text + size, '\n');
    if (nl == text + size) break;
    cut = static_cast<size_t>(nl - text) + 1;
    --g_whole_lines;
  }
  if (cut < size) {
    cut = std::min(size, cut + 7);  // and part of the next line
    g_failing = !g_space_freed;
    if (g_space_freed) g_whole_lines = -1;  // the next write() has room again
  }
  return ::write(fd, data, cut);
}

void record_tools(agm_recorder *rec, int count, const char *prefix) {
  store_test::Session s;
  agm_session *raw = nullptr;
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  options.session_id = prefix;
  ASSERT_EQ(agm_session_new(&raw, rec, &options), AGM_OK);
  s.reset(raw);
  for (int i = 0; i < count; ++i) {
    const std::string id = std::string(prefix) + "-" + std::to_string(i);
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    call.name = "grep";
    call.call_id = id.c_str();
    call.present = AGM_CALL_HAS_DURATION;
    call.duration_ns = 1000;
    ASSERT_EQ(agm_session_record_tool_call(s.get(), &call), AGM_OK);
  }
}

}  // namespace

TEST(JournalWriter, AfterAShortWriteTheWholeLinesOnDiskCountAsStored) {
  store_test::TempDir dir;
  const std::string journal = dir / "full.jsonl";
  journal_write_for_tests = short_write;
  g_whole_lines = 4;
  g_failing = g_space_freed = false;
  store_test::Recorder rec = store_test::new_recorder();
  agm_store_options options = AGM_STORE_OPTIONS_INIT;
  options.journal = journal.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &options), AGM_OK);
  record_tools(rec.get(), 10, "a");  // a session record and 10 tool calls: one batch
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_IO);
  agm_store_status status = AGM_STORE_STATUS_INIT;
  ASSERT_EQ(agm_recorder_store_status(&status, rec.get(), nullptr), AGM_OK);
  EXPECT_EQ(status.queued, 11u);
  EXPECT_EQ(status.written, 4u);  // the 4 whole lines that reached the file
  EXPECT_EQ(status.failed, 7u);   // only the rest

  g_whole_lines = -1;  // space again: the next batch starts on a fresh line
  record_tools(rec.get(), 2, "b");
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  ASSERT_EQ(agm_recorder_store_status(&status, rec.get(), nullptr), AGM_OK);
  EXPECT_EQ(status.written, 4u + 3u);
  EXPECT_EQ(status.failed, 7u);
  EXPECT_EQ(agm_recorder_close_store(rec.get()), AGM_OK);  // the writer thread is done with the seam
  journal_write_for_tests = ::write;

  store_test::Recorder loaded = store_test::new_recorder();
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  ASSERT_EQ(agm_recorder_load(loaded.get(), journal.c_str(), nullptr, &report, nullptr), AGM_OK);
  EXPECT_EQ(report.records, status.written);  // exactly what was reported stored
  EXPECT_EQ(report.malformed, 1u);            // the cut line
  EXPECT_EQ(report.lines, report.records + report.malformed);
}

TEST(JournalWriter, AShortWriteIsNotContinuedInTheMiddleOfALine) {
  // Space comes back right after the short write: the rest of the cut line must not be
  // appended later (after another process's lines it would be a fragment of nothing, and its
  // record counted stored but lost). The records from the cut on fail; the rest is exact.
  store_test::TempDir dir;
  const std::string journal = dir / "freed.jsonl";
  journal_write_for_tests = short_write;
  g_whole_lines = 3;
  g_failing = false;
  g_space_freed = true;
  store_test::Recorder rec = store_test::new_recorder();
  agm_store_options options = AGM_STORE_OPTIONS_INIT;
  options.journal = journal.c_str();
  ASSERT_EQ(agm_recorder_open_store(rec.get(), &options), AGM_OK);
  record_tools(rec.get(), 10, "a");
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_E_IO);
  EXPECT_NE(std::string(agm_last_error_message()).find("short write"), std::string::npos)
      << agm_last_error_message();
  record_tools(rec.get(), 2, "b");
  EXPECT_EQ(agm_recorder_flush(rec.get()), AGM_OK) << agm_last_error_message();
  agm_store_status status = AGM_STORE_STATUS_INIT;
  ASSERT_EQ(agm_recorder_store_status(&status, rec.get(), nullptr), AGM_OK);
  EXPECT_EQ(agm_recorder_close_store(rec.get()), AGM_OK);
  journal_write_for_tests = ::write;
  g_space_freed = false;
  EXPECT_EQ(status.written, 3u + 3u);
  EXPECT_EQ(status.failed, 8u);
  EXPECT_EQ(status.written + status.failed, status.queued);

  store_test::Recorder loaded = store_test::new_recorder();
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  ASSERT_EQ(agm_recorder_load(loaded.get(), journal.c_str(), nullptr, &report, nullptr), AGM_OK);
  EXPECT_EQ(report.records, status.written);
  EXPECT_EQ(report.malformed, 1u);
}
