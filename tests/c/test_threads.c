/* Many threads recording into one session give exact totals, while other threads read
 * totals, breakdowns and display lines, and sessions are created and freed concurrently. */
#include <agentmetrics/metrics_c.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

enum { kThreads = 8, kRecords = 5000 };

static agm_recorder *g_rec;
static agm_session *g_shared;
/* Shared between the threads: C11 atomics (volatile would be a data race, which
 * ThreadSanitizer reports). ++ and = on an atomic_int are atomic operations. */
static atomic_int g_stop;
static atomic_int g_failures;

static const char kPrices[] = "{\"m\": {\"input_cost_per_token\": 1e-06, \"output_cost_per_token\": 3e-06}}";

typedef struct writer {
  int index;
  const char *model;
} writer;

static void *record_shared(void *arg) {
  const writer *w = arg;
  const char *model = w->model;
  agm_usage u = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_tool_call tool = AGM_TOOL_CALL_INIT;
  char id[64];
  int i;
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_OUTPUT;
  u.input_tokens = 7;
  u.cache_read_tokens = 3;
  u.output_tokens = 5;
  call.usage = &u;
  call.model = model;
  call.present = AGM_CALL_HAS_DURATION;
  tool.name = "search";
  for (i = 0; i < kRecords; ++i) {
    call.duration_ns = 1000 + i;
    if (agm_session_record_model_call(g_shared, &call) != AGM_OK) ++g_failures;
    /* Parallel tool calls keyed by id, from several threads at once. */
    snprintf(id, sizeof id, "%d-%d", w->index, i);
    if (agm_session_tool_start(g_shared, "search", id, NULL) != AGM_OK) ++g_failures;
    tool.call_id = id;
    tool.outcome = i % 10 == 0 ? AGM_OUTCOME_ERROR : AGM_OUTCOME_OK;
    if (agm_session_tool_end(g_shared, &tool) != AGM_OK) ++g_failures;
  }
  return NULL;
}

static void *read_while_recording(void *arg) {
  agm_totals t = AGM_TOTALS_INIT;
  agm_buffer line = AGM_BUFFER_INIT;
  (void)arg;
  while (!atomic_load(&g_stop)) {
    agm_breakdown *b = NULL;
    if (agm_session_totals(&t, g_shared) != AGM_OK) ++g_failures;
    /* A snapshot is consistent: every call reported 15 tokens. */
    if (t.input_tokens + t.cache_read_tokens + t.output_tokens != (int64_t)t.model_calls * 15) ++g_failures;
    if (agm_recorder_breakdown(&b, g_rec, AGM_BY_MODEL) != AGM_OK) ++g_failures;
    agm_breakdown_free(b);
    if (agm_session_format_summary(&line, g_shared, 0) != AGM_OK) ++g_failures;
  }
  agm_buffer_free(&line);
  return NULL;
}

static void *short_sessions(void *arg) {
  int i;
  (void)arg;
  for (i = 0; i < 200; ++i) {
    agm_session *s = NULL;
    agm_usage u = AGM_USAGE_INIT;
    agm_model_call call = AGM_MODEL_CALL_INIT;
    u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
    u.input_tokens = 1;
    u.output_tokens = 1;
    call.usage = &u;
    call.model = "m";
    if (agm_session_new(&s, g_rec, NULL) != AGM_OK) ++g_failures;
    if (agm_session_record_model_call(s, &call) != AGM_OK) ++g_failures;
    agm_session_free(s);
  }
  return NULL;
}

static void test_concurrent_recording_is_exact(void) {
  static writer writers_args[kThreads] = {{0, "m"}, {1, "m"}, {2, "m"}, {3, "m"},
                                          {4, "n"}, {5, "n"}, {6, "n"}, {7, "n"}};
  pthread_t writers[kThreads], reader, churn[2];
  agm_totals t = AGM_TOTALS_INIT;
  agm_duration_stats d = AGM_DURATION_STATS_INIT;
  agm_buffer cost = AGM_BUFFER_INIT;
  int i;
  atomic_store(&g_failures, 0);
  atomic_store(&g_stop, 0);
  CHECK(agm_recorder_new(&g_rec, NULL) == AGM_OK);
  CHECK(agm_recorder_load_prices(g_rec, kPrices, strlen(kPrices), AGM_PRICES_F_REPLACE) == AGM_OK);
  CHECK(agm_session_new(&g_shared, g_rec, NULL) == AGM_OK);
  CHECK(pthread_create(&reader, NULL, read_while_recording, NULL) == 0);
  for (i = 0; i < 2; ++i) CHECK(pthread_create(&churn[i], NULL, short_sessions, NULL) == 0);
  for (i = 0; i < kThreads; ++i)
    CHECK(pthread_create(&writers[i], NULL, record_shared, &writers_args[i]) == 0);
  for (i = 0; i < kThreads; ++i) pthread_join(writers[i], NULL);
  for (i = 0; i < 2; ++i) pthread_join(churn[i], NULL);
  atomic_store(&g_stop, 1);
  pthread_join(reader, NULL);
  CHECK(atomic_load(&g_failures) == 0);

  CHECK(agm_session_totals(&t, g_shared) == AGM_OK);
  CHECK(t.model_calls == kThreads * kRecords);
  CHECK(t.input_tokens == 7LL * kThreads * kRecords && t.output_tokens == 5LL * kThreads * kRecords);
  CHECK(t.tool_calls == kThreads * kRecords && t.tool_errors == kThreads * kRecords / 10);
  CHECK(t.calls_unpriced == 4 * kRecords); /* "n" has no price */
  /* 20,000 priced calls x (7 + 3 cached at the input rate) x 1e-6 + 5 x 3e-6 = $0.5 */
  CHECK(agm_money_to_decimal(&cost, &t.cost.total) == AGM_OK && strcmp(cost.data, "0.5") == 0);
  CHECK(agm_session_durations(&d, g_shared, AGM_DURATION_MODEL_CALL) == AGM_OK);
  CHECK(d.count == kThreads * kRecords && d.min_ns == 1000 && d.max_ns == 1000 + kRecords - 1);
  CHECK(d.sum_ns == (int64_t)kThreads * (1000LL * kRecords + (int64_t)kRecords * (kRecords - 1) / 2));

  CHECK(agm_recorder_totals(&t, g_rec) == AGM_OK);
  CHECK(t.model_calls == kThreads * kRecords + 400 && t.input_tokens == 7LL * kThreads * kRecords + 400);
  agm_buffer_free(&cost);
  agm_session_free(g_shared);
  agm_recorder_free(g_rec);
}

int main(void) {
  RUN(test_concurrent_recording_is_exact);
  return tap_finish();
}
