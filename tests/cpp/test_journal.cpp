#include <gtest/gtest.h>
#include <unistd.h>

#include "errors.hpp"
#include "journal.hpp"

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

TEST(Journal, TheSeedsCamelCaseInvocationIsAccepted) {
  LineDecoder d;
  const InvocationView &i = d.decode_invocation(
                                 R"({"invocationId":"x","agent":"a","phase":1,"taskId":"t","durationMs":12.5,
      "tokens":3,"inputTokens":2,"outputTokens":1,"cost":0.1,"exitCode":137,"success":false,"attempt":2,
      "outputParsed":false,"model":"m","tier":"2","timestamp":"2025-11-22T11:00:00+01:00","errorClass":"oom"})")
                                .invocation;
  EXPECT_EQ(i.task_id, "t");
  EXPECT_EQ(i.duration_ns, 12'500'000);
  EXPECT_EQ(i.input_tokens, 2);
  EXPECT_EQ(i.exit_code, 137);
  EXPECT_EQ(i.error_class, "oom");
  EXPECT_EQ(i.start_ns, 1763805600000000000);
  EXPECT_THROW(d.decode_invocation(R"({"invocationId":"x","timestamp":"yesterday"})"), InvalidArgument);
  EXPECT_THROW(d.decode_invocation(R"([1,2])"), InvalidArgument);
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
