// The OTLP push's retry decisions, white-box: which outcomes are transient, what a Retry-After
// says in both its forms, and the waits post_otlp chooses (through an injected sleep, clock and
// jitter, so nothing here sleeps).
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "errors.hpp"
#include "otlp_http.hpp"
#include "scripted_sender.hpp"

namespace agentmetrics {
namespace {

using std::chrono::milliseconds;
using namespace push_test;

constexpr int64_t kNow = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", kNow), 120);
  EXPECT_EQ(parse_retry_after(" 7\t", kNow), 7);
  EXPECT_EQ(parse_retry_after("0", kNow), 0);
  EXPECT_EQ(parse_retry_after("99999999999999999999999", kNow), INT64_MAX);  // saturates
  for (const char *bad : {"", " ", "-5", "+5", "1.5", "5s", "soon", "0x10"}) {
    EXPECT_EQ(parse_retry_after(bad, kNow), std::nullopt) << bad;
  }
}

TEST(RetryAfter, HttpDateInEachForm) {
  // RFC 9110 section 5.6.7: IMF-fixdate, the obsolete RFC 850 form and asctime's.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow - 10), 10);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", kNow - 10), 10);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", kNow - 10), 10);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:00 GMT", kNow), 23);
  EXPECT_EQ(parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", kNow), 86400);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow + 5), -5);  // in the past
  EXPECT_EQ(parse_retry_after("Thu, 29 Feb 2024 23:59:59 GMT", 1709251199 - 1), 1);
  // An RFC 850 year that would be more than 50 years ahead is in the past century.
  EXPECT_EQ(parse_retry_after("Tuesday, 01-Jan-80 00:00:00 GMT", 1735689600), 315532800 - 1735689600);
  EXPECT_EQ(parse_retry_after("Tuesday, 01-Jan-30 00:00:00 GMT", 1735689600), 1893456000 - 1735689600);
  for (const char *bad :
       {"Sun, 06 Nov 1994 08:49:37 PST", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 94",
        "Sun, 06 Nov 1994 08:49:37 GMT extra"}) {
    EXPECT_EQ(parse_retry_after(bad, kNow), std::nullopt) << bad;
  }
}

TEST(RetryRules, TransientOutcomes) {
  for (int32_t s : {429, 502, 503, 504}) EXPECT_TRUE(transient_outcome(AGM_HTTP_RESPONDED, s)) << s;
  for (int32_t s : {200, 301, 307, 400, 401, 403, 404, 408, 413, 500, 501, 505})
    EXPECT_FALSE(transient_outcome(AGM_HTTP_RESPONDED, s)) << s;
  EXPECT_TRUE(transient_outcome(AGM_HTTP_CONNECT_FAILED, 0));
  EXPECT_TRUE(transient_outcome(AGM_HTTP_TIMED_OUT, 0));
  EXPECT_FALSE(transient_outcome(AGM_HTTP_FAILED, 0));
  EXPECT_FALSE(transient_outcome(0, 503));
}

TEST(RetryRules, Waits) {
  // The receiver's Retry-After, capped at 30 s.
  EXPECT_EQ(retry_wait(7, 1000, 1, 1.0), milliseconds(7000));
  EXPECT_EQ(retry_wait(7, 1000, 4, 0.8), milliseconds(7000));  // no backoff, no jitter
  EXPECT_EQ(retry_wait(120, 1000, 1, 1.0), milliseconds(30'000));
  EXPECT_EQ(retry_wait(INT64_MAX, 1000, 1, 1.0), milliseconds(30'000));
  // None, 0 or in the past: the first delay doubled per retry, times the jitter.
  for (std::optional<int64_t> none :
       {std::optional<int64_t>(), std::optional<int64_t>(0), std::optional<int64_t>(-3)}) {
    EXPECT_EQ(retry_wait(none, 1000, 1, 1.0), milliseconds(1000));
    EXPECT_EQ(retry_wait(none, 1000, 2, 1.0), milliseconds(2000));
    EXPECT_EQ(retry_wait(none, 1000, 3, 0.8), milliseconds(3200));
    EXPECT_EQ(retry_wait(none, 1000, 4, 1.2), milliseconds(9600));
    EXPECT_EQ(retry_wait(none, 1000, 5, 1.0), milliseconds(16'000));
    EXPECT_EQ(retry_wait(none, 1000, 6, 1.0), milliseconds(30'000));  // capped
    EXPECT_EQ(retry_wait(none, 1000, 60, 1.2), milliseconds(30'000));
    EXPECT_EQ(retry_wait(none, 0xFFFFFFFFu, 60, 1.2), milliseconds(30'000));
  }
}

// post_otlp with every wait recorded instead of slept.
struct Push {
  explicit Push(std::vector<Reply> replies) : sender(std::move(replies)) {
    target.endpoint = "http://collector.invalid:4318";
    target.send = &ScriptedSender::send;
    target.send_user = &sender;
    target.retry_delay_ms = 100;
    target.sleep = [this](milliseconds wait) { waits.push_back(wait); };
    target.now_s = [] { return kNow; };
    target.jitter = [this] { return jitter; };
  }
  std::string run() { return post_otlp(target, "{}"); }
  ScriptedSender sender;
  OtlpTarget target;
  std::vector<milliseconds> waits;
  double jitter = 1.0;
};

TEST(PostOtlp, WaitsWhatTheReceiverAsksInEitherForm) {
  Push p({status(503, "", "3"), status(429, "", "Sun, 06 Nov 1994 08:49:42 GMT"), status(502),
          status(503, "", "Sun, 06 Nov 1994 08:49:30 GMT"), status(200, "done")});
  EXPECT_EQ(p.run(), "done");
  // 3 s; the date 5 s ahead; no Retry-After: 100 ms doubled twice; a date in the past: backoff.
  EXPECT_EQ(p.waits, (std::vector<milliseconds>{milliseconds(3000), milliseconds(5000), milliseconds(400),
                                                milliseconds(800)}));
}

TEST(PostOtlp, CapsTheWaitAtThirtySeconds) {
  Push p({status(503, "", "3600"), status(429, "", "Mon, 07 Nov 1994 08:49:37 GMT"), status(200)});
  p.target.retry_delay_ms = 20'000;
  EXPECT_EQ(p.run(), "");
  EXPECT_EQ(p.waits, (std::vector<milliseconds>{milliseconds(30'000), milliseconds(30'000)}));
  Push backoff({outcome(AGM_HTTP_TIMED_OUT), outcome(AGM_HTTP_TIMED_OUT), status(200)});
  backoff.target.retry_delay_ms = 20'000;
  backoff.jitter = 1.2;
  backoff.run();
  EXPECT_EQ(backoff.waits, (std::vector<milliseconds>{milliseconds(24'000), milliseconds(30'000)}));
}

TEST(PostOtlp, BacksOffWithJitterForFailedConnections) {
  Push p({outcome(AGM_HTTP_CONNECT_FAILED), outcome(AGM_HTTP_TIMED_OUT), outcome(AGM_HTTP_CONNECT_FAILED),
          status(200)});
  p.jitter = 0.8;
  p.run();
  EXPECT_EQ(p.waits, (std::vector<milliseconds>{milliseconds(80), milliseconds(160), milliseconds(320)}));
  // The Retry-After of a response that is final is never waited for.
  Push final_reply({status(400, "", "5")});
  EXPECT_THROW(final_reply.run(), IoError);
  EXPECT_TRUE(final_reply.waits.empty());
  // Nor after the last attempt.
  Push last({status(503, "", "5"), status(503, "", "5")});
  last.target.max_attempts = 2;
  EXPECT_THROW(last.run(), IoError);
  EXPECT_EQ(last.waits, std::vector<milliseconds>{milliseconds(5000)});
}

TEST(PostOtlp, RandomJitterStaysWithinTwentyPercent) {
  Push p({outcome(AGM_HTTP_TIMED_OUT), outcome(AGM_HTTP_TIMED_OUT), outcome(AGM_HTTP_TIMED_OUT),
          outcome(AGM_HTTP_TIMED_OUT), status(200)});
  p.target.jitter = nullptr;  // the library's own
  p.target.retry_delay_ms = 1000;
  p.run();
  ASSERT_EQ(p.waits.size(), 4u);
  for (size_t i = 0; i < p.waits.size(); ++i) {
    const int64_t base = int64_t{1000} << i;
    EXPECT_GE(p.waits[i].count(), base * 8 / 10) << i;
    EXPECT_LE(p.waits[i].count(), base * 12 / 10) << i;
  }
}

}  // namespace
}  // namespace agentmetrics
