/* The C ABI as a C99 program sees it: every behaviour is checked through metrics_c.h only. */
#include <agentmetrics/metrics_c.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define DOT " \xc2\xb7 " /* the separator of display lines: U+00B7 between spaces */
#define MS 1000000LL     /* nanoseconds */

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct fake_clock {
  int64_t mono;
  int64_t wall;
} fake_clock;

static int64_t fake_mono(void *payload) {
  return ((fake_clock *)payload)->mono;
}
static int64_t fake_wall(void *payload) {
  return ((fake_clock *)payload)->wall;
}

static const char kTestPrices[] =
    "{\"test-model\": {\"input_cost_per_token\": 1e-06, \"output_cost_per_token\": 2e-06,"
    " \"cache_read_input_token_cost\": 1e-07, \"cache_creation_input_token_cost\": 1.25e-06,"
    " \"cache_creation_input_token_cost_above_1hr\": 2e-06, \"output_cost_per_reasoning_token\": 3e-06,"
    " \"litellm_provider\": \"test\", \"mode\": \"chat\"},"
    " \"other-model\": {\"input_cost_per_token\": 3e-06, \"output_cost_per_token\": 1.5e-05}}";

/* A recorder on a fake clock with only the test prices. */
static agm_recorder *new_recorder(fake_clock *clock) {
  agm_recorder_options options = AGM_RECORDER_OPTIONS_INIT;
  agm_recorder *rec = NULL;
  options.flags = AGM_RECORDER_F_NO_BUNDLED_PRICES;
  if (clock != NULL) {
    options.monotonic_ns = fake_mono;
    options.wall_ns = fake_wall;
    options.clock_payload = clock;
  }
  if (agm_recorder_new(&rec, &options) != AGM_OK) return NULL;
  if (agm_recorder_load_prices(rec, kTestPrices, strlen(kTestPrices), 0) != AGM_OK) return NULL;
  return rec;
}

static agm_session *new_session(agm_recorder *rec, const char *id, const char *agent) {
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  agm_session *s = NULL;
  options.session_id = id;
  options.agent = agent;
  return agm_session_new(&s, rec, &options) == AGM_OK ? s : NULL;
}

static agm_usage usage_io(int64_t input, int64_t output) {
  agm_usage u = AGM_USAGE_INIT;
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  u.input_tokens = input;
  u.output_tokens = output;
  return u;
}

static agm_status record(agm_session *s, const char *model, int64_t input, int64_t output) {
  agm_usage u = usage_io(input, output);
  agm_model_call call = AGM_MODEL_CALL_INIT;
  call.usage = &u;
  call.model = model;
  return agm_session_record_model_call(s, &call);
}

/* A decimal string of an amount, in a rotating static buffer (good for a few per CHECK). */
static const char *usd(const agm_money *m) {
  static char slots[4][64];
  static int next;
  char *out = slots[next++ % 4];
  agm_buffer b = AGM_BUFFER_INIT;
  if (agm_money_to_decimal(&b, m) != AGM_OK) return "<error>";
  snprintf(out, 64, "%s", b.data);
  agm_buffer_free(&b);
  return out;
}

static int str_eq(agm_buffer *b, const char *expected) {
  int ok = b->data != NULL && strcmp(b->data, expected) == 0 && b->size == strlen(expected);
  if (!ok) printf("# got      \"%s\"\n# expected \"%s\"\n", b->data ? b->data : "(null)", expected);
  return ok;
}

static agm_totals session_totals(agm_session *s) {
  agm_totals t = AGM_TOTALS_INIT;
  if (agm_session_totals(&t, s) != AGM_OK) t.model_calls = 999999;
  return t;
}

/* ---- versions and errors ------------------------------------------------------------------ */

static void test_versions(void) {
  CHECK(agm_version_number() == AGM_VERSION_NUMBER);
  CHECK(strcmp(agm_version_string(), AGM_VERSION_STRING) == 0);
  CHECK(agm_abi_version() == AGM_ABI_VERSION);
  CHECK(AGM_VERSION_CHECK(0, 1, 0));
  CHECK(!AGM_VERSION_CHECK(99, 0, 0));
}

static void test_status_names_and_last_error(void) {
  agm_recorder *rec = NULL;
  CHECK(strcmp(agm_status_name(AGM_OK), "AGM_OK") == 0);
  CHECK(strcmp(agm_status_name(AGM_E_STATE), "AGM_E_STATE") == 0);
  CHECK(strcmp(agm_status_name(AGM_BUDGET_EXCEEDED), "AGM_BUDGET_EXCEEDED") == 0);
  CHECK(strcmp(agm_status_name(12345), "AGM_UNKNOWN_STATUS") == 0);
  CHECK(AGM_FAILED(AGM_E_INTERNAL) && !AGM_FAILED(AGM_BUDGET_WARNING) && !AGM_FAILED(AGM_OK));
  CHECK(agm_recorder_new(NULL, NULL) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "NULL") != NULL);
  /* A later success does not clear the message. */
  CHECK(agm_recorder_new(&rec, NULL) == AGM_OK);
  CHECK(strstr(agm_last_error_message(), "NULL") != NULL);
  agm_recorder_free(rec);
  agm_recorder_free(NULL);
  agm_session_free(NULL);
  agm_breakdown_free(NULL);
  agm_usage_stream_free(NULL);
  agm_buffer_free(NULL);
}

/* ---- sessions and totals ------------------------------------------------------------------ */

static void test_totals_never_leak(void) {
  agm_recorder *rec = new_recorder(NULL), *other = new_recorder(NULL);
  agm_session *a = new_session(rec, "a", "planner"), *b = new_session(rec, "b", "builder");
  agm_session *c = new_session(other, "a", "planner"); /* same id, another recorder */
  agm_totals t, all = AGM_TOTALS_INIT, none = AGM_TOTALS_INIT;
  CHECK(rec && other && a && b && c);
  CHECK(record(a, "test-model", 1000, 500) == AGM_OK);
  CHECK(record(a, "test-model", 10, 5) == AGM_OK);
  CHECK(record(b, "other-model", 100, 50) == AGM_OK);

  t = session_totals(a);
  CHECK(t.model_calls == 2 && t.calls_with_usage == 2 && t.input_tokens == 1010 && t.output_tokens == 505);
  CHECK(t.total_tokens == 1515);
  CHECK((t.present & AGM_USAGE_HAS_INPUT) && (t.present & AGM_USAGE_HAS_TOTAL));
  CHECK(!(t.present & AGM_USAGE_HAS_CACHE_READ)); /* never reported: missing, not 0 */
  CHECK((t.present & AGM_TOTALS_HAS_COST) && strcmp(usd(&t.cost.total), "0.00202") == 0);
  t = session_totals(b);
  CHECK(t.model_calls == 1 && t.input_tokens == 100 && strcmp(usd(&t.cost.total), "0.00105") == 0);
  t = session_totals(c);
  CHECK(t.model_calls == 0 && t.input_tokens == 0 && !(t.present & AGM_TOTALS_HAS_COST));

  CHECK(agm_recorder_totals(&all, rec) == AGM_OK);
  CHECK(all.model_calls == 3 && all.input_tokens == 1110 && strcmp(usd(&all.cost.total), "0.00307") == 0);
  /* Freed sessions stay in the recorder's totals. */
  agm_session_free(a);
  agm_session_free(b);
  CHECK(agm_recorder_totals(&all, rec) == AGM_OK);
  CHECK(all.model_calls == 3 && all.output_tokens == 555);
  CHECK(agm_recorder_totals(&none, other) == AGM_OK && none.model_calls == 0);
  agm_session_free(c);
  agm_recorder_free(rec);
  agm_recorder_free(other);
}

static void test_missing_usage_is_not_zero(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_usage empty = AGM_USAGE_INIT;
  agm_totals t;
  call.model = "test-model";
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK); /* usage NULL */
  call.usage = &empty;
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK); /* usage without counts */
  t = session_totals(s);
  CHECK(t.model_calls == 2 && t.calls_missing_usage == 2 && t.calls_with_usage == 0);
  CHECK((t.present & (AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT | AGM_TOTALS_HAS_COST)) == 0);
  CHECK(t.calls_unpriced == 0); /* nothing to price is not "unpriced" */
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_unknown_model_is_unpriced(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_totals t;
  agm_cost cost = AGM_COST_INIT;
  agm_usage u = usage_io(1000, 1000);
  CHECK(record(s, "totally-unknown-model", 1000, 1000) == AGM_OK);
  t = session_totals(s);
  CHECK(t.calls_unpriced == 1 && t.input_tokens == 1000 && !(t.present & AGM_TOTALS_HAS_COST));
  CHECK(record(s, "test-model", 1000, 0) == AGM_OK);
  t = session_totals(s);
  CHECK(t.calls_unpriced == 1 && (t.present & AGM_TOTALS_HAS_COST) &&
        strcmp(usd(&t.cost.total), "0.001") == 0);
  CHECK(agm_recorder_cost(&cost, rec, "totally-unknown-model", NULL, &u) == AGM_OK && cost.present == 0);
  CHECK(agm_recorder_cost(&cost, rec, "openai/test-model", NULL, &u) == AGM_OK);
  CHECK(cost.present == AGM_COST_HAS_VALUE && strcmp(usd(&cost.items.total), "0.003") == 0);
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_cost_line_items(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_usage u = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_totals t;
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_CACHE_WRITE |
              AGM_USAGE_HAS_CACHE_WRITE_1H | AGM_USAGE_HAS_OUTPUT | AGM_USAGE_HAS_REASONING;
  u.input_tokens = 100;
  u.cache_read_tokens = 1000;
  u.cache_write_tokens = 400;
  u.cache_write_1h_tokens = 100;
  u.output_tokens = 50;
  u.reasoning_tokens = 20;
  call.usage = &u;
  call.model = "test-model";
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  t = session_totals(s);
  CHECK(t.total_tokens == 1550 && t.cache_write_1h_tokens == 100 && t.reasoning_tokens == 20);
  CHECK(strcmp(usd(&t.cost.input), "0.0001") == 0);            /* 100 x 1e-6 */
  CHECK(strcmp(usd(&t.cost.cache_read), "0.0001") == 0);       /* 1000 x 1e-7 */
  CHECK(strcmp(usd(&t.cost.cache_write_5m), "0.000375") == 0); /* 300 x 1.25e-6 */
  CHECK(strcmp(usd(&t.cost.cache_write_1h), "0.0002") == 0);   /* 100 x 2e-6 */
  CHECK(strcmp(usd(&t.cost.output), "0.00006") == 0);          /* 30 x 2e-6 */
  CHECK(strcmp(usd(&t.cost.reasoning), "0.00006") == 0);       /* 20 x 3e-6 */
  CHECK(strcmp(usd(&t.cost.total), "0.000895") == 0);
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_labels_and_ids(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  agm_tag tags[2] = {{"user", "u-1"}, {"branch", "main"}};
  agm_session *s = NULL, *t = NULL, *u = NULL;
  CHECK(agm_session_new(&s, rec, NULL) == AGM_OK && agm_session_new(&t, rec, NULL) == AGM_OK);
  CHECK(agm_session_label(s, "session_id") != NULL && agm_session_label(t, "session_id") != NULL);
  CHECK(strcmp(agm_session_label(s, "session_id"), agm_session_label(t, "session_id")) != 0);
  CHECK(agm_session_label(s, "agent") == NULL);
  options.session_id = "thread-42";
  options.agent = "planner";
  options.phase = "2";
  options.task = "T-7";
  options.tags = tags;
  options.tag_count = 2;
  CHECK(agm_session_new(&u, rec, &options) == AGM_OK);
  CHECK(strcmp(agm_session_label(u, "session_id"), "thread-42") == 0);
  CHECK(strcmp(agm_session_label(u, "agent"), "planner") == 0);
  CHECK(strcmp(agm_session_label(u, "phase"), "2") == 0);
  CHECK(strcmp(agm_session_label(u, "task"), "T-7") == 0);
  CHECK(strcmp(agm_session_label(u, "branch"), "main") == 0);
  CHECK(agm_session_label(u, "nope") == NULL && agm_session_label(NULL, "agent") == NULL);
  agm_session_free(u);
  tags[1].key = "user";
  CHECK(agm_session_new(&u, rec, &options) == AGM_E_INVALID_ARGUMENT && u == NULL); /* repeated */
  tags[1].key = "agent";
  CHECK(agm_session_new(&u, rec, &options) == AGM_E_INVALID_ARGUMENT); /* reserved */
  tags[1].key = "";
  CHECK(agm_session_new(&u, rec, &options) == AGM_E_INVALID_ARGUMENT);
  agm_session_free(s);
  agm_session_free(t);
  agm_recorder_free(rec);
}

static void test_recorder_freed_before_sessions(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_totals t;
  agm_recorder_free(rec); /* the session keeps the recorder's state alive */
  CHECK(record(s, "test-model", 10, 10) == AGM_OK);
  t = session_totals(s);
  CHECK(t.model_calls == 1 && strcmp(usd(&t.cost.total), "0.00003") == 0);
  agm_session_free(s);
}

/* ---- timing -------------------------------------------------------------------------------- */

static void test_turns_with_injected_clock(void) {
  fake_clock clock = {1000 * MS, 1700000000000000000LL};
  agm_recorder *rec = new_recorder(&clock);
  agm_session *s = new_session(rec, "thread-42", "planner");
  agm_usage u = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_turn_stats stats = AGM_TURN_STATS_INIT;
  agm_duration_stats d = AGM_DURATION_STATS_INIT;
  agm_totals t = AGM_TOTALS_INIT;
  agm_buffer line = AGM_BUFFER_INIT;

  CHECK(agm_session_turn_stats(&stats, s) == AGM_E_EMPTY);
  CHECK(agm_session_format_turn(&line, s, 0) == AGM_E_EMPTY);
  CHECK(agm_session_started_wall_ns(s) == 1700000000000000000LL && agm_session_started_wall_ns(NULL) == 0);
  clock.wall += 5 * MS;
  CHECK(agm_session_turn_begin(s, NULL) == AGM_OK);
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_OUTPUT;
  u.input_tokens = 1047;
  u.cache_read_tokens = 200;
  u.output_tokens = 312;
  call.usage = &u;
  call.model = "test-model";
  call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_TTFT;
  call.duration_ns = 800 * MS;
  call.ttft_ns = 120 * MS;
  clock.mono = 1800 * MS;
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  clock.mono = 2500 * MS; /* open turn: duration so far */
  CHECK(agm_session_turn_stats(&stats, s) == AGM_OK);
  CHECK(stats.index == 1 && !(stats.present & AGM_TURN_HAS_END) && stats.duration_ns == 1500 * MS);
  clock.mono = 3300 * MS;
  CHECK(agm_session_turn_end(s, NULL) == AGM_OK);
  CHECK(agm_session_turn_stats(&stats, s) == AGM_OK);
  CHECK((stats.present & AGM_TURN_HAS_END) && stats.start_ns == 1000 * MS && stats.end_ns == 3300 * MS);
  CHECK(stats.duration_ns == 2300 * MS && stats.model_calls == 1);
  CHECK(stats.start_wall_ns == 1700000000000000000LL + 5 * MS);

  CHECK(agm_session_format_turn(&line, s, 0) == AGM_OK);
  CHECK(str_eq(&line, "  1,247 in" DOT "312 out" DOT "200 cached" DOT "1,559 total (session 1,559)" DOT
                      "$0.0017" DOT "2.3s"));
  CHECK(agm_session_format_turn(&line, s, AGM_DISPLAY_F_COLOR) == AGM_OK);
  CHECK(strncmp(line.data, "\x1b[2m  1,247 in", 14) == 0 &&
        strcmp(line.data + line.size - 4, "\x1b[0m") == 0);

  /* A second turn: cumulative session count in the line, turn totals reset. */
  CHECK(agm_session_turn_begin(s, NULL) == AGM_OK);
  clock.mono = 3700 * MS;
  CHECK(record(s, "test-model", 100, 41) == AGM_OK);
  CHECK(agm_session_turn_end(s, NULL) == AGM_OK);
  CHECK(agm_session_format_turn(&line, s, 0) == AGM_OK);
  CHECK(str_eq(&line, "  100 in" DOT "41 out" DOT "141 total (session 1,700)" DOT "$0.0002" DOT "400ms"));
  CHECK(agm_session_turn_totals(&t, s) == AGM_OK && t.model_calls == 1 && t.turns == 1 &&
        t.input_tokens == 100);
  t = session_totals(s);
  CHECK(t.turns == 2);

  CHECK(agm_session_durations(&d, s, AGM_DURATION_TURN) == AGM_OK);
  CHECK(d.count == 2 && d.present == AGM_DURATION_HAS_VALUES && d.min_ns == 400 * MS &&
        d.max_ns == 2300 * MS);
  CHECK(d.sum_ns == 2700 * MS && fabs(d.mean_ns - 1350.0 * MS) < 1);
  CHECK(agm_session_durations(&d, s, AGM_DURATION_MODEL_CALL) == AGM_OK && d.count == 1 &&
        d.p50_ns == 800 * MS);
  CHECK(agm_session_durations(&d, s, AGM_DURATION_TTFT) == AGM_OK && d.count == 1 && d.max_ns == 120 * MS);
  CHECK(agm_session_durations(&d, s, AGM_DURATION_TOOL_CALL) == AGM_OK && d.count == 0 && d.present == 0);
  CHECK(isnan(d.mean_ns));

  CHECK(agm_session_format_summary(&line, s, 0) == AGM_OK);
  CHECK(str_eq(&line, "  session thread-42" DOT "2 turns" DOT "2 model calls" DOT
                      "1,700 tokens (200 cached)" DOT "$0.0019" DOT "0 tool calls" DOT "2.7s"));
  agm_buffer_free(&line);
  CHECK(line.data == NULL && line.size == 0);
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_turn_without_usage(void) {
  fake_clock clock = {0, 0};
  agm_recorder *rec = new_recorder(&clock);
  agm_session *s = new_session(rec, "s", NULL);
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_buffer line = AGM_BUFFER_INIT;
  call.model = "test-model";
  CHECK(agm_session_turn_begin(s, NULL) == AGM_OK);
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  clock.mono = 850 * MS;
  CHECK(agm_session_turn_end(s, NULL) == AGM_OK);
  CHECK(agm_session_format_turn(&line, s, 0) == AGM_OK);
  CHECK(str_eq(&line, "  no usage reported" DOT "850ms"));
  /* Some calls with and some without usage; one unpriced. */
  CHECK(agm_session_turn_begin(s, NULL) == AGM_OK);
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  CHECK(record(s, "test-model", 1000, 1000) == AGM_OK);
  CHECK(record(s, "mystery", 5, 5) == AGM_OK);
  clock.mono = 61850 * MS;
  CHECK(agm_session_turn_end(s, NULL) == AGM_OK);
  CHECK(agm_session_format_turn(&line, s, 0) == AGM_OK);
  CHECK(str_eq(&line, "  1,005 in" DOT "1,005 out" DOT "2,010 total (session 2,010)" DOT
                      "1 call without usage" DOT "$0.0030 (1 call unpriced)" DOT "1m 1s"));
  agm_buffer_free(&line);
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_parallel_tool_calls(void) {
  fake_clock clock = {0, 0};
  agm_recorder *rec = new_recorder(&clock);
  agm_session *s = new_session(rec, "s", NULL);
  agm_tool_call end = AGM_TOOL_CALL_INIT;
  agm_turn_stats stats = AGM_TURN_STATS_INIT;
  agm_breakdown *b = NULL;
  agm_duration_stats d = AGM_DURATION_STATS_INIT;
  int64_t at;
  CHECK(agm_session_turn_begin(s, NULL) == AGM_OK);
  clock.mono = 0;
  CHECK(agm_session_tool_start(s, "search", "tc_1", NULL) == AGM_OK);
  at = 10 * MS;
  CHECK(agm_session_tool_start(s, "fetch", "tc_2", &at) == AGM_OK);
  clock.mono = 50 * MS;
  end.call_id = "tc_1";
  CHECK(agm_session_tool_end(s, &end) == AGM_OK);
  end.call_id = "tc_2";
  end.name = "fetch";
  end.present = AGM_CALL_HAS_END | AGM_CALL_HAS_OUTPUT_BYTES;
  end.end_ns = 80 * MS;
  end.output_bytes = 2048;
  CHECK(agm_session_tool_end(s, &end) == AGM_OK);
  /* A third, sequential, later call. */
  clock.mono = 100 * MS;
  CHECK(agm_session_tool_start(s, "search", "tc_3", NULL) == AGM_OK);
  clock.mono = 120 * MS;
  end.name = NULL;
  end.call_id = "tc_3";
  end.present = 0;
  CHECK(agm_session_tool_end(s, &end) == AGM_OK);
  CHECK(agm_session_turn_end(s, NULL) == AGM_OK);
  CHECK(agm_session_turn_stats(&stats, s) == AGM_OK);
  CHECK(stats.tool_calls == 3);
  CHECK(stats.tool_wall_ns == 100 * MS); /* [0,80] + [100,120] */
  CHECK(stats.tool_work_ns == 140 * MS); /* 50 + 70 + 20 */
  CHECK(agm_session_breakdown(&b, s, AGM_BY_TOOL) == AGM_OK && agm_breakdown_count(b) == 2);
  CHECK(strcmp(agm_breakdown_key(b, 0), "fetch") == 0 && strcmp(agm_breakdown_key(b, 1), "search") == 0);
  CHECK(agm_breakdown_durations(&d, b, 0, AGM_DURATION_TOOL_CALL) == AGM_OK && d.count == 1 &&
        d.min_ns == 70 * MS);
  CHECK(agm_breakdown_durations(&d, b, 1, AGM_DURATION_TOOL_CALL) == AGM_OK && d.count == 2);
  CHECK(d.min_ns == 20 * MS && d.max_ns == 50 * MS && d.sum_ns == 70 * MS);
  agm_breakdown_free(b);
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_batch_mode_since_last_step(void) {
  fake_clock clock = {1000 * MS, 0};
  agm_recorder *rec = new_recorder(&clock);
  agm_session *s = new_session(rec, "s", NULL);
  agm_tool_call tool = AGM_TOOL_CALL_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_duration_stats d = AGM_DURATION_STATS_INIT;
  CHECK(agm_session_turn_begin(s, NULL) == AGM_OK);
  /* Step 1 finishes at 1.3 s: a model call without timing of its own. */
  clock.mono = 1300 * MS;
  call.model = "test-model";
  call.present = AGM_CALL_F_SINCE_LAST_STEP;
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK); /* 300 ms since the turn began */
  /* Step 2 finishes at 2.05 s with one tool result: its duration is the delta. */
  clock.mono = 2050 * MS;
  tool.name = "search";
  tool.present = AGM_CALL_F_SINCE_LAST_STEP;
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_OK);
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  CHECK(agm_session_durations(&d, s, AGM_DURATION_TOOL_CALL) == AGM_OK && d.count == 1 &&
        d.min_ns == 750 * MS);
  CHECK(agm_session_durations(&d, s, AGM_DURATION_MODEL_CALL) == AGM_OK && d.count == 2);
  CHECK(d.min_ns == 300 * MS && d.max_ns == 750 * MS);
  /* A one-shot duration. */
  tool.present = AGM_CALL_HAS_DURATION;
  tool.duration_ns = 5 * MS;
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_OK);
  CHECK(agm_session_durations(&d, s, AGM_DURATION_TOOL_CALL) == AGM_OK && d.count == 2 && d.min_ns == 5 * MS);
  /* No timing at all: counted, without a duration. */
  tool.present = 0;
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_OK);
  CHECK(session_totals(s).tool_calls == 3);
  CHECK(agm_session_durations(&d, s, AGM_DURATION_TOOL_CALL) == AGM_OK && d.count == 2);
  agm_session_free(s);
  agm_recorder_free(rec);
}

/* ---- breakdowns ---------------------------------------------------------------------------- */

static void test_breakdowns(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *a = new_session(rec, "a", "planner"), *b = new_session(rec, "b", "builder");
  agm_session *c = new_session(rec, "c", "planner");
  agm_usage u = usage_io(100, 10);
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_tool_call tool = AGM_TOOL_CALL_INIT;
  agm_breakdown *bd = NULL;
  agm_totals t = AGM_TOTALS_INIT;
  call.usage = &u;
  call.model = "test-model";
  call.provider = "test";
  CHECK(agm_session_record_model_call(a, &call) == AGM_OK);
  call.source = "tool:web_search";
  CHECK(agm_session_record_model_call(a, &call) == AGM_OK);
  call.model = "other-model";
  call.provider = NULL;
  call.source = NULL;
  call.present = AGM_CALL_HAS_ATTEMPT;
  call.attempt = 2;
  CHECK(agm_session_record_model_call(b, &call) == AGM_OK);
  call.outcome = AGM_OUTCOME_ERROR;
  call.error_type = "rate_limit";
  call.usage = NULL;
  CHECK(agm_session_record_model_call(c, &call) == AGM_OK);
  tool.name = "web_search";
  tool.present = AGM_CALL_HAS_DURATION;
  tool.duration_ns = MS;
  CHECK(agm_session_record_tool_call(c, &tool) == AGM_OK);
  tool.outcome = AGM_OUTCOME_ERROR;
  tool.error_message = "timeout after 30s";
  CHECK(agm_session_record_tool_call(c, &tool) == AGM_OK);
  tool.error_message = "HTTP 503";
  CHECK(agm_session_record_tool_call(a, &tool) == AGM_OK);
  tool.outcome = AGM_OUTCOME_OK;
  tool.error_message = NULL;
  CHECK(agm_session_record_tool_call(b, &tool) == AGM_OK);
  agm_session_free(b); /* a freed session still counts */

  CHECK(agm_recorder_breakdown(&bd, rec, AGM_BY_MODEL) == AGM_OK && agm_breakdown_count(bd) == 2);
  CHECK(strcmp(agm_breakdown_key(bd, 0), "other-model") == 0 && agm_breakdown_key(bd, 2) == NULL);
  CHECK(agm_breakdown_totals(&t, bd, 0) == AGM_OK && t.model_calls == 2 && t.retries == 2 &&
        t.model_errors == 1);
  CHECK(t.calls_missing_usage == 1 && t.input_tokens == 100);
  CHECK((t.present & AGM_TOTALS_HAS_MODEL_SUCCESS_RATE) && t.model_success_rate == 0.5);
  CHECK(strcmp(agm_breakdown_last_error(bd, 0), "rate_limit") == 0 &&
        agm_breakdown_last_error(bd, 1) == NULL);
  CHECK(agm_breakdown_totals(&t, bd, 1) == AGM_OK && t.model_calls == 2 && t.input_tokens == 200);
  CHECK(agm_breakdown_totals(&t, bd, 2) == AGM_E_INVALID_ARGUMENT);
  agm_breakdown_free(bd);

  CHECK(agm_recorder_breakdown(&bd, rec, AGM_BY_PROVIDER) == AGM_OK && agm_breakdown_count(bd) == 2);
  CHECK(strcmp(agm_breakdown_key(bd, 0), "") == 0 && strcmp(agm_breakdown_key(bd, 1), "test") == 0);
  agm_breakdown_free(bd);

  CHECK(agm_recorder_breakdown(&bd, rec, AGM_BY_SOURCE) == AGM_OK && agm_breakdown_count(bd) == 2);
  CHECK(strcmp(agm_breakdown_key(bd, 0), "agent") == 0 &&
        strcmp(agm_breakdown_key(bd, 1), "tool:web_search") == 0);
  CHECK(agm_breakdown_totals(&t, bd, 1) == AGM_OK && t.model_calls == 1 && t.input_tokens == 100);
  agm_breakdown_free(bd);

  CHECK(agm_recorder_breakdown(&bd, rec, AGM_BY_AGENT) == AGM_OK && agm_breakdown_count(bd) == 2);
  CHECK(strcmp(agm_breakdown_key(bd, 0), "builder") == 0 && strcmp(agm_breakdown_key(bd, 1), "planner") == 0);
  CHECK(agm_breakdown_totals(&t, bd, 1) == AGM_OK && t.model_calls == 3 && t.tool_calls == 3 &&
        t.tool_errors == 2);
  agm_breakdown_free(bd);

  CHECK(agm_recorder_breakdown(&bd, rec, AGM_BY_TOOL) == AGM_OK && agm_breakdown_count(bd) == 1);
  CHECK(agm_breakdown_totals(&t, bd, 0) == AGM_OK && t.tool_calls == 4 && t.tool_errors == 2);
  CHECK((t.present & AGM_TOTALS_HAS_TOOL_SUCCESS_RATE) && t.tool_success_rate == 0.5);
  CHECK(agm_breakdown_last_error(bd, 0) != NULL);
  agm_breakdown_free(bd);

  CHECK(agm_session_breakdown(&bd, c, AGM_BY_SESSION) == AGM_OK && agm_breakdown_count(bd) == 1);
  CHECK(strcmp(agm_breakdown_key(bd, 0), "c") == 0);
  agm_breakdown_free(bd);
  CHECK(agm_session_breakdown(&bd, c, 0) == AGM_E_INVALID_ARGUMENT && bd == NULL);
  CHECK(agm_session_breakdown(&bd, c, AGM_BY_SESSION + 1) == AGM_E_INVALID_ARGUMENT);
  agm_session_free(a);
  agm_session_free(c);
  agm_recorder_free(rec);
}

/* ---- budgets ------------------------------------------------------------------------------- */

typedef struct budget_log {
  int calls;
  int64_t tokens;
  uint64_t present;
  int32_t kind;
  char model[32];
} budget_log;

static void on_budget(const agm_budget_event *event, void *payload) {
  budget_log *log = (budget_log *)payload;
  ++log->calls;
  log->tokens = event->tokens;
  log->present = event->present;
  log->kind = event->kind;
  snprintf(log->model, sizeof log->model, "%s", event->model ? event->model : "");
}

/* A callback may record into the session and add budgets: it runs outside the library's locks. */
static void on_budget_reentrant(const agm_budget_event *event, void *payload) {
  agm_budget more = AGM_BUDGET_INIT;
  agm_usage u = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  int i;
  ++*(int *)payload;
  more.kind = AGM_BUDGET_WARN;
  more.present = AGM_BUDGET_HAS_MAX_TOKENS;
  more.max_tokens = 1000000;
  for (i = 0; i < 50; ++i) agm_session_add_budget(event->session, &more); /* the list grows */
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  call.usage = &u;
  call.model = "test-model";
  agm_session_record_model_call(event->session, &call);
}

static void test_budget_callback_reentrancy(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_budget a = AGM_BUDGET_INIT, b = AGM_BUDGET_INIT;
  int calls = 0;
  a.kind = b.kind = AGM_BUDGET_LIMIT;
  a.present = b.present = AGM_BUDGET_HAS_MAX_TOKENS;
  a.max_tokens = b.max_tokens = 5;
  a.callback = b.callback = on_budget_reentrant;
  a.payload = b.payload = &calls;
  CHECK(agm_session_add_budget(s, &a) == AGM_OK && agm_session_add_budget(s, &b) == AGM_OK);
  CHECK(record(s, "test-model", 10, 10) == AGM_BUDGET_EXCEEDED); /* both cross in one record */
  CHECK(calls == 2);
  CHECK(session_totals(s).model_calls == 3); /* the two made by the callbacks */
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_budgets(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_budget limit = AGM_BUDGET_INIT, warn = AGM_BUDGET_INIT, per_model = AGM_BUDGET_INIT;
  budget_log limit_log = {0, 0, 0, 0, ""}, warn_log = {0, 0, 0, 0, ""}, model_log = {0, 0, 0, 0, ""};
  limit.kind = AGM_BUDGET_LIMIT;
  limit.present = AGM_BUDGET_HAS_MAX_TOKENS;
  limit.max_tokens = 1000;
  limit.callback = on_budget;
  limit.payload = &limit_log;
  CHECK(agm_session_add_budget(s, &limit) == AGM_OK);
  warn.kind = AGM_BUDGET_WARN;
  warn.present = AGM_BUDGET_HAS_MAX_COST;
  CHECK(agm_money_from_decimal(&warn.max_cost, "0.0005") == AGM_OK);
  warn.callback = on_budget;
  warn.payload = &warn_log;
  CHECK(agm_session_add_budget(s, &warn) == AGM_OK);
  per_model.kind = AGM_BUDGET_LIMIT;
  per_model.present = AGM_BUDGET_HAS_MAX_TOKENS;
  per_model.max_tokens = 10;
  per_model.model = "other-model";
  per_model.callback = on_budget;
  per_model.payload = &model_log;
  CHECK(agm_session_add_budget(s, &per_model) == AGM_OK);

  CHECK(record(s, "test-model", 100, 100) == AGM_OK);             /* 200 tokens, $0.0003 */
  CHECK(record(s, "test-model", 100, 100) == AGM_BUDGET_WARNING); /* $0.0006 > $0.0005 */
  CHECK(warn_log.calls == 1 && warn_log.kind == AGM_BUDGET_WARN &&
        warn_log.present == AGM_BUDGET_HAS_MAX_COST);
  CHECK(record(s, "test-model", 300, 300) == AGM_OK); /* exactly 1,000 tokens is not above 1,000 */
  CHECK(limit_log.calls == 0);
  CHECK(record(s, "test-model", 1, 1) == AGM_BUDGET_EXCEEDED); /* 1,002 */
  CHECK(limit_log.calls == 1 && limit_log.tokens == 1002 && limit_log.kind == AGM_BUDGET_LIMIT);
  CHECK(limit_log.present == AGM_BUDGET_HAS_MAX_TOKENS && limit_log.model[0] == '\0');
  CHECK(record(s, "test-model", 1, 1) == AGM_BUDGET_EXCEEDED); /* and every later record */
  CHECK(limit_log.calls == 1 && warn_log.calls == 1);          /* callbacks once per crossing */
  CHECK(model_log.calls == 0);
  CHECK(record(s, "other-model", 5, 6) == AGM_BUDGET_EXCEEDED);
  CHECK(model_log.calls == 1 && model_log.tokens == 11 && strcmp(model_log.model, "other-model") == 0);
  /* The records themselves were kept. */
  CHECK(session_totals(s).model_calls == 6 && session_totals(s).input_tokens == 507);

  limit.kind = 7;
  CHECK(agm_session_add_budget(s, &limit) == AGM_E_INVALID_ARGUMENT);
  limit.kind = AGM_BUDGET_LIMIT;
  limit.present = 0;
  CHECK(agm_session_add_budget(s, &limit) == AGM_E_INVALID_ARGUMENT);
  limit.present = AGM_BUDGET_HAS_MAX_TOKENS;
  limit.max_tokens = -1;
  CHECK(agm_session_add_budget(s, &limit) == AGM_E_INVALID_ARGUMENT);
  agm_session_free(s);
  agm_recorder_free(rec);
}

/* ---- display, money ------------------------------------------------------------------------ */

static void test_display_and_money(void) {
  agm_buffer b = AGM_BUFFER_INIT;
  agm_money m;
  CHECK(agm_format_tokens(&b, 1234567) == AGM_OK && str_eq(&b, "1,234,567"));
  CHECK(agm_format_tokens(&b, -1) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_format_duration_ns(&b, 83 * 1000 * MS) == AGM_OK && str_eq(&b, "1m 23s"));
  CHECK(agm_format_duration_ns(&b, 999600000LL) == AGM_OK && str_eq(&b, "1.0s"));
  CHECK(agm_format_duration_ns(&b, 7500LL * 1000 * MS) == AGM_OK && str_eq(&b, "2h 5m"));
  CHECK(agm_format_duration_ms(&b, 5.4) == AGM_OK && str_eq(&b, "5ms"));
  CHECK(agm_format_duration_ms(&b, NAN) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_format_duration_ms(&b, INFINITY) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_format_duration_ms(&b, -1.0) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_money_from_decimal(&m, "12.345") == AGM_OK && agm_format_cost(&b, &m) == AGM_OK &&
        str_eq(&b, "$12.35"));
  CHECK(agm_money_to_decimal(&b, &m) == AGM_OK && str_eq(&b, "12.345"));
  CHECK(fabs(agm_money_to_double(&m) - 12.345) < 1e-12);
  CHECK(agm_money_from_decimal(&m, "3e-06") == AGM_OK && m.hi == 0 && m.lo == 3000000000000ULL);
  CHECK(agm_money_from_decimal(&m, "0.0000000000000000004") == AGM_OK && m.lo == 0); /* below 1e-18 */
  CHECK(agm_money_from_decimal(&m, "-1") == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_money_from_decimal(&m, "nan") == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_money_from_decimal(&m, "") == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_money_from_decimal(&m, "1.2.3") == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_money_from_decimal(&m, "1e40") == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_money_from_decimal(&m, NULL) == AGM_E_INVALID_ARGUMENT);
  m.hi = 1; /* 2^64 attodollars */
  m.lo = 0;
  CHECK(agm_money_to_decimal(&b, &m) == AGM_OK && str_eq(&b, "18.446744073709551616"));
  b.reserved = &m;
  CHECK(agm_format_tokens(&b, 1) == AGM_E_INVALID_ARGUMENT);
  b.reserved = NULL;
  agm_buffer_free(&b);

  setenv("NO_COLOR", "1", 1);
  CHECK(agm_color_enabled(1) == 0);
  setenv("NO_COLOR", "", 1);
  CHECK(agm_color_enabled(1) == 1 && agm_color_enabled(0) == 0);
  unsetenv("NO_COLOR");
  CHECK(agm_color_enabled(1) == 1);
}

/* Stored strings made safe for a terminal: controls escaped, cut by cell, never inside a
 * character or an escape. */
static int shown(const char *text, size_t size, uint32_t max_cells, const char *expected, uint64_t cells) {
  agm_buffer b = AGM_BUFFER_INIT;
  uint64_t got = 99;
  int ok = agm_format_terminal_text(&b, &got, text, size, max_cells) == AGM_OK && str_eq(&b, expected);
  if (got != cells)
    printf("# cells %llu, expected %llu\n", (unsigned long long)got, (unsigned long long)cells);
  agm_buffer_free(&b);
  return ok && got == cells;
}
#define SHOWN(text, max, expected, cells) shown(text, sizeof(text) - 1, max, expected, cells)

static void test_terminal_text(void) {
  agm_buffer b = AGM_BUFFER_INIT;
  agm_recorder *rec;
  agm_session *s;
  CHECK(SHOWN("plain", 0, "plain", 5));
  CHECK(SHOWN("", 0, "", 0));
  CHECK(SHOWN("\x1b]0;title\x07\r\x1b[K\n\t", 0, "\\x1b]0;title\\x07\\r\\x1b[K\\n\\t", 28));
  CHECK(SHOWN("a\0b\x7f", 0, "a\\x00b\\x7f", 10));
  CHECK(
      SHOWN("\xc2\x9b"
            "31m",
            0, "\\u009b31m", 9)); /* C1 CSI as U+009B */
  CHECK(
      SHOWN("\x9b"
            "31m\xff\xc3",
            0, "\\x9b31m\\xff\\xc3", 15));                                  /* invalid UTF-8 */
  CHECK(SHOWN("\xed\xa0\x80\xc0\xaf", 0, "\\xed\\xa0\\x80\\xc0\\xaf", 20)); /* surrogate, overlong */
  CHECK(
      SHOWN("\xe2\x80\xae"
            "x\xe2\x80\xa8",
            0, "\\u202ex\\u2028", 13));                                       /* bidi override, LS */
  CHECK(SHOWN("\xe6\xbc\xa2\xe5\xad\x97", 0, "\xe6\xbc\xa2\xe5\xad\x97", 4)); /* wide: 2 cells each */
  CHECK(SHOWN("e\xcc\x81\xe2\x80\x94", 0, "e\xcc\x81\xe2\x80\x94", 2));       /* combining acute: 0 */
  /* Cuts: whole characters and escapes only, then the ellipsis. */
  CHECK(SHOWN("abcdef", 4, "abc\xe2\x80\xa6", 4));
  CHECK(SHOWN("abcd", 4, "abcd", 4));
  CHECK(SHOWN("\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2", 4, "\xe6\xbc\xa2\xe2\x80\xa6", 3));
  CHECK(SHOWN("ab\x1b[K", 5, "ab\xe2\x80\xa6", 3));
  CHECK(
      SHOWN("e\xcc\x81"
            "fgh",
            3,
            "e\xcc\x81"
            "f\xe2\x80\xa6",
            3));
  CHECK(SHOWN("ab", 1, "\xe2\x80\xa6", 1));
  /* A second pass changes nothing. */
  CHECK(SHOWN("\\x1b[K\xe2\x80\xa6", 0, "\\x1b[K\xe2\x80\xa6", 7));
  CHECK(agm_format_terminal_text(&b, NULL, NULL, 0, 0) == AGM_OK && str_eq(&b, ""));
  CHECK(agm_format_terminal_text(&b, NULL, NULL, 1, 0) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_format_terminal_text(NULL, NULL, "x", 1, 0) == AGM_E_INVALID_ARGUMENT);
  /* The session summary line escapes its id. */
  CHECK(agm_recorder_new(&rec, NULL) == AGM_OK);
  s = new_session(rec, "id\x1b[2J", "planner");
  CHECK(agm_session_format_summary(&b, s, 0) == AGM_OK &&
        strstr(b.data, "session id\\x1b[2J \xc2\xb7") != NULL && strchr(b.data, 0x1b) == NULL);
  agm_session_free(s);
  agm_recorder_free(rec);
  agm_buffer_free(&b);
}

/* ---- limits: label sizes, distinct keys -------------------------------------------------- */

/* A string of n copies of c (static, rotating: good for two per call). */
static const char *repeat(char c, size_t n) {
  static char slots[2][20000];
  static int next;
  char *out = slots[next++ % 2];
  memset(out, c, n);
  out[n] = '\0';
  return out;
}

static void test_label_limits(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  agm_session *s = NULL;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_tool_call tool = AGM_TOOL_CALL_INIT;
  agm_invocation inv = AGM_INVOCATION_INIT;
  agm_usage u = usage_io(10, 1);
  agm_breakdown *bd = NULL;
  agm_totals t;
  agm_tag tag;
  /* Session labels: AGM_MAX_LABEL_BYTES is fine, one byte more is refused, nothing created. */
  options.agent = repeat('a', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_session_new(&s, rec, &options) == AGM_E_INVALID_ARGUMENT && s == NULL);
  CHECK(strstr(agm_last_error_message(), "opts->agent is 1025 bytes long") != NULL);
  CHECK(strstr(agm_last_error_message(), "AGM_MAX_LABEL_BYTES") != NULL);
  options.agent = NULL;
  tag.key = "k";
  tag.value = repeat('v', AGM_MAX_LABEL_BYTES + 1);
  options.tags = &tag;
  options.tag_count = 1;
  CHECK(agm_session_new(&s, rec, &options) == AGM_E_INVALID_ARGUMENT && s == NULL);
  {
    /* AGM_MAX_SESSION_TAGS tags is fine, one more is refused. */
    static agm_tag many[AGM_MAX_SESSION_TAGS + 1];
    static char keys[AGM_MAX_SESSION_TAGS + 1][8];
    size_t i;
    for (i = 0; i <= AGM_MAX_SESSION_TAGS; ++i) {
      snprintf(keys[i], sizeof keys[i], "k%u", (unsigned)i);
      many[i].key = keys[i];
      many[i].value = "v";
    }
    options.tags = many;
    options.tag_count = AGM_MAX_SESSION_TAGS + 1;
    CHECK(agm_session_new(&s, rec, &options) == AGM_E_INVALID_ARGUMENT && s == NULL);
    CHECK(strstr(agm_last_error_message(), "AGM_MAX_SESSION_TAGS") != NULL);
    options.tag_count = AGM_MAX_SESSION_TAGS;
    CHECK(agm_session_new(&s, rec, &options) == AGM_OK && s != NULL);
    CHECK(strcmp(agm_session_label(s, "k63"), "v") == 0);
    agm_session_free(s);
    s = NULL;
  }
  options.tags = NULL;
  options.tag_count = 0;
  options.session_id = repeat('s', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_session_new(&s, rec, &options) == AGM_E_INVALID_ARGUMENT && s == NULL);
  options.session_id = repeat('s', AGM_MAX_LABEL_BYTES);
  options.agent = repeat('a', AGM_MAX_LABEL_BYTES);
  CHECK(agm_session_new(&s, rec, &options) == AGM_OK && s != NULL);

  /* A model call's names: refused, and the session's totals do not move. */
  call.usage = &u;
  call.model = repeat('m', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "call->model is 1025 bytes long") != NULL);
  call.model = "gpt-4o";
  call.provider = repeat('p', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.provider = NULL;
  call.error_type = repeat('e', 5000);
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.error_type = NULL;
  call.model = repeat('m', AGM_MAX_LABEL_BYTES);
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  t = session_totals(s);
  CHECK(t.model_calls == 1 && t.input_tokens == 10);

  /* Tool calls: names refused; an error message is cut at AGM_MAX_MESSAGE_BYTES, not refused. */
  tool.name = repeat('t', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "call->name is 1025 bytes long") != NULL);
  CHECK(agm_session_tool_start(s, repeat('t', AGM_MAX_LABEL_BYTES + 1), "c1", NULL) ==
        AGM_E_INVALID_ARGUMENT);
  CHECK(agm_session_tool_start(s, "fetch", repeat('c', AGM_MAX_LABEL_BYTES + 1), NULL) ==
        AGM_E_INVALID_ARGUMENT);
  tool.name = "fetch";
  tool.call_id = repeat('c', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_E_INVALID_ARGUMENT);
  tool.call_id = NULL;
  t = session_totals(s);
  CHECK(t.tool_calls == 0);
  tool.outcome = AGM_OUTCOME_ERROR;
  tool.error_message = repeat('x', 10000);
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_OK);
  CHECK(agm_session_breakdown(&bd, s, AGM_BY_TOOL) == AGM_OK && agm_breakdown_count(bd) == 1);
  CHECK(agm_breakdown_last_error(bd, 0) != NULL &&
        strlen(agm_breakdown_last_error(bd, 0)) == AGM_MAX_MESSAGE_BYTES);
  agm_breakdown_free(bd);
  /* Cut between whole characters: 4,095 ASCII bytes then a 2-byte character. */
  {
    static char msg[AGM_MAX_MESSAGE_BYTES + 8];
    memset(msg, 'y', AGM_MAX_MESSAGE_BYTES - 1);
    memcpy(msg + AGM_MAX_MESSAGE_BYTES - 1, "\xc3\xa9z", 4);
    tool.error_message = msg;
    CHECK(agm_session_record_tool_call(s, &tool) == AGM_OK);
    CHECK(agm_session_breakdown(&bd, s, AGM_BY_TOOL) == AGM_OK &&
          strlen(agm_breakdown_last_error(bd, 0)) == AGM_MAX_MESSAGE_BYTES - 1);
    agm_breakdown_free(bd);
  }
  t = session_totals(s);
  CHECK(t.tool_calls == 2 && t.tool_errors == 2);

  /* Invocations. */
  inv.invocation_id = "i1";
  inv.agent = repeat('a', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_recorder_record_invocation(rec, &inv) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "invocation agent is 1025 bytes long") != NULL);
  inv.agent = "builder";
  inv.tier = repeat('t', AGM_MAX_LABEL_BYTES + 1);
  CHECK(agm_recorder_record_invocation(rec, &inv) == AGM_E_INVALID_ARGUMENT);
  inv.tier = NULL;
  CHECK(agm_recorder_record_invocation(rec, &inv) == AGM_OK);
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_distinct_key_caps(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", "planner");
  agm_store_options store = AGM_STORE_OPTIONS_INIT;
  agm_tool_call tool = AGM_TOOL_CALL_INIT;
  agm_breakdown *bd = NULL;
  agm_totals t = AGM_TOTALS_INIT;
  char name[64], path[] = "/tmp/agm_test_keysXXXXXX";
  char journal[128];
  FILE *f;
  static char text[1 << 20];
  static agm_session *open_sessions[AGM_MAX_GROUP_KEYS + 3];
  size_t n;
  unsigned i;
  CHECK(mkdtemp(path) != NULL);
  snprintf(journal, sizeof journal, "%s/keys.jsonl", path);
  store.journal = journal;
  CHECK(agm_recorder_open_store(rec, &store) == AGM_OK);
  /* AGM_MAX_SESSION_KEYS + 5 distinct models and tools: the last 5 fold into "(other)". */
  for (i = 0; i < AGM_MAX_SESSION_KEYS + 5; ++i) {
    snprintf(name, sizeof name, "model-%04u", i);
    CHECK(record(s, name, 1, 1) == AGM_OK);
    snprintf(name, sizeof name, "tool-%04u", i);
    tool.name = name;
    CHECK(agm_session_record_tool_call(s, &tool) == AGM_OK);
  }
  CHECK(record(s, "model-0000", 1, 1) == AGM_OK); /* a known one still has its own group */
  CHECK(record(s, "model-9999", 1, 1) == AGM_OK); /* a new one folds */
  t = session_totals(s);
  CHECK(t.model_calls == AGM_MAX_SESSION_KEYS + 7 && t.tool_calls == AGM_MAX_SESSION_KEYS + 5);
  CHECK(t.folded_calls == 11 && t.input_tokens == AGM_MAX_SESSION_KEYS + 7);
  CHECK(agm_session_breakdown(&bd, s, AGM_BY_MODEL) == AGM_OK &&
        agm_breakdown_count(bd) == AGM_MAX_SESSION_KEYS + 1);
  CHECK(strcmp(agm_breakdown_key(bd, 0), AGM_OTHER_KEY) == 0);
  CHECK(agm_breakdown_totals(&t, bd, 0) == AGM_OK && t.model_calls == 6 && t.folded_calls == 6);
  CHECK(agm_breakdown_totals(&t, bd, 1) == AGM_OK && t.model_calls == 2 && t.folded_calls == 0);
  agm_breakdown_free(bd);
  CHECK(agm_session_breakdown(&bd, s, AGM_BY_TOOL) == AGM_OK &&
        agm_breakdown_count(bd) == AGM_MAX_SESSION_KEYS + 1);
  CHECK(strcmp(agm_breakdown_key(bd, 0), AGM_OTHER_KEY) == 0);
  CHECK(agm_breakdown_totals(&t, bd, 0) == AGM_OK && t.tool_calls == 5 && t.folded_calls == 5);
  agm_breakdown_free(bd);
  /* The store keeps every call's own names. */
  CHECK(agm_recorder_flush(rec) == AGM_OK);
  f = fopen(journal, "rb");
  n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  text[n] = '\0';
  CHECK(strstr(text, "\"model\":\"model-1004\"") != NULL && strstr(text, "\"model\":\"model-9999\"") != NULL);
  CHECK(strstr(text, "\"tool\":\"tool-1004\"") != NULL && strstr(text, "(other)") == NULL);
  agm_session_free(s);
  agm_recorder_free(rec);
  remove(journal);
  rmdir(path);

  /* A recorder's breakdowns: AGM_MAX_GROUP_KEYS keys, then "(other)". */
  rec = new_recorder(NULL);
  for (i = 0; i < AGM_MAX_GROUP_KEYS + 3; ++i) {
    snprintf(name, sizeof name, "s%05u", i);
    open_sessions[i] = s = new_session(rec, name, "planner");
    CHECK(record(s, "gpt-4o", 1, 1) == AGM_OK);
    if (i % 2) { /* freed sessions fold as well as open ones */
      agm_session_free(s);
      open_sessions[i] = NULL;
    }
  }
  CHECK(agm_recorder_breakdown(&bd, rec, AGM_BY_SESSION) == AGM_OK &&
        agm_breakdown_count(bd) == AGM_MAX_GROUP_KEYS + 1);
  CHECK(strcmp(agm_breakdown_key(bd, 0), AGM_OTHER_KEY) == 0);
  CHECK(agm_breakdown_totals(&t, bd, 0) == AGM_OK && t.model_calls == 3 && t.folded_calls == 3);
  agm_breakdown_free(bd);
  CHECK(agm_recorder_totals(&t, rec) == AGM_OK && t.model_calls == AGM_MAX_GROUP_KEYS + 3 &&
        t.folded_calls == 0);
  for (i = 0; i < AGM_MAX_GROUP_KEYS + 3; ++i) agm_session_free(open_sessions[i]);
  agm_recorder_free(rec);
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void test_invalid_arguments_change_nothing(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_usage u = usage_io(10, 10);
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_tool_call tool = AGM_TOOL_CALL_INIT;
  agm_totals t = AGM_TOTALS_INIT;
  agm_buffer b = AGM_BUFFER_INIT;
  const char bad_utf8[] = {'g', 'p', 't', (char)0xC3, (char)0x28, 0};
  call.usage = &u;
  call.model = "test-model";

  CHECK(agm_session_record_model_call(NULL, &call) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_session_record_model_call(s, NULL) == AGM_E_INVALID_ARGUMENT);
  u.input_tokens = -5;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "input_tokens") != NULL);
  u.input_tokens = (int64_t)1 << 53;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  u.input_tokens = 10;
  u.present |= AGM_USAGE_HAS_TOTAL;
  u.total_tokens = 21;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT); /* 10 + 10 != 21 */
  u.total_tokens = 20;
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  u.present |= AGM_USAGE_HAS_CACHE_WRITE_1H;
  u.cache_write_1h_tokens = 1;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT); /* 1h without writes */
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT | (1u << 20);
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  u = usage_io(10, 10);
  u.reserved0 = 1;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  u.reserved0 = 0;
  call.model = bad_utf8;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "UTF-8") != NULL);
  call.model = "test-model";
  call.source = "subagent";
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.source = "tool:";
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.source = NULL;
  call.outcome = 2;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.outcome = AGM_OUTCOME_OK;
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = -1;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_START;
  call.duration_ns = 1;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.present = AGM_CALL_HAS_START | AGM_CALL_HAS_END;
  call.start_ns = 10;
  call.end_ns = 5;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.start_ns = INT64_MIN; /* a span that does not fit in 64 bits */
  call.end_ns = INT64_MAX;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_END;
  call.duration_ns = INT64_MAX;
  call.end_ns = -10;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.present = AGM_CALL_HAS_ATTEMPT;
  call.attempt = 0;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.present = AGM_CALL_HAS_INPUT_BYTES; /* a tool-call field */
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  call.present = 0;

  tool.name = NULL;
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_E_INVALID_ARGUMENT);
  tool.name = "t";
  tool.present = AGM_CALL_HAS_OUTPUT_BYTES;
  tool.output_bytes = -1;
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_E_INVALID_ARGUMENT);
  tool.present = AGM_CALL_HAS_TTFT;
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_E_INVALID_ARGUMENT);
  tool.present = 0;
  tool.name = bad_utf8;
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "UTF-8") != NULL);
  CHECK(agm_session_record_tool_call(s, &tool) == AGM_E_INVALID_ARGUMENT); /* not remembered */
  CHECK(agm_session_tool_start(s, bad_utf8, "id", NULL) == AGM_E_INVALID_ARGUMENT);
  tool.name = "t";
  CHECK(agm_session_tool_start(s, NULL, "id", NULL) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_session_tool_start(s, "t", "", NULL) == AGM_E_INVALID_ARGUMENT);

  CHECK(agm_session_durations(NULL, s, AGM_DURATION_TURN) == AGM_E_INVALID_ARGUMENT);
  {
    agm_duration_stats d = AGM_DURATION_STATS_INIT;
    CHECK(agm_session_durations(&d, s, 99) == AGM_E_INVALID_ARGUMENT);
  }
  CHECK(agm_session_format_turn(&b, s, 0x80) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_session_format_turn(NULL, s, 0) == AGM_E_INVALID_ARGUMENT);

  /* Only the one valid record counted. */
  CHECK(agm_session_totals(&t, s) == AGM_OK && t.model_calls == 1 && t.input_tokens == 10 &&
        t.tool_calls == 0);
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_struct_sizes(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_model_call call = AGM_MODEL_CALL_INIT;
  struct {
    agm_model_call call;
    uint64_t future_field;
  } newer;
  struct {
    agm_totals totals;
    uint64_t future_field;
  } newer_out;
  agm_totals small = AGM_TOTALS_INIT;
  agm_recorder_options options = AGM_RECORDER_OPTIONS_INIT;
  agm_recorder *r2 = NULL;

  call.struct_size = AGM_MODEL_CALL_SIZE_V0 - 8;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "struct_size") != NULL);
  memset(&newer, 0, sizeof newer);
  newer.call.struct_size = sizeof newer;
  newer.call.model = "test-model";
  CHECK(agm_session_record_model_call(s, &newer.call) == AGM_OK); /* newer caller, zero tail */
  newer.future_field = 1;
  CHECK(agm_session_record_model_call(s, &newer.call) == AGM_E_UNSUPPORTED);
  options.flags = 1u << 9;
  CHECK(agm_recorder_new(&r2, &options) == AGM_E_INVALID_ARGUMENT && r2 == NULL);

  memset(&newer_out, 0xAB, sizeof newer_out);
  newer_out.totals.struct_size = sizeof newer_out;
  CHECK(agm_session_totals(&newer_out.totals, s) == AGM_OK);
  CHECK(newer_out.totals.model_calls == 1 && newer_out.future_field == 0); /* tail zeroed */
  CHECK(newer_out.totals.struct_size == sizeof newer_out);
  small.struct_size = 16;
  CHECK(agm_session_totals(&small, s) == AGM_E_INVALID_ARGUMENT);
  {
    agm_usage u;
    CHECK(agm_usage_init(&u, sizeof u) == AGM_OK && u.struct_size == sizeof u && u.present == 0);
    CHECK(agm_usage_init(&u, 8) == AGM_E_INVALID_ARGUMENT);
  }
  agm_session_free(s);
  agm_recorder_free(rec);
}

static void test_state_errors(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_tool_call end = AGM_TOOL_CALL_INIT;
  int64_t at = 100, before = 50;
  CHECK(agm_session_turn_end(s, NULL) == AGM_E_STATE);
  CHECK(agm_session_turn_begin(s, &at) == AGM_OK);
  CHECK(agm_session_turn_begin(s, NULL) == AGM_E_STATE);
  CHECK(agm_session_turn_end(s, &before) == AGM_E_INVALID_ARGUMENT);
  end.call_id = "never-started";
  CHECK(agm_session_tool_end(s, &end) == AGM_E_STATE);
  CHECK(agm_session_tool_start(s, "t", "x", &at) == AGM_OK);
  CHECK(agm_session_tool_start(s, "t", "x", &at) == AGM_E_STATE);
  end.call_id = "x";
  end.name = "other";
  CHECK(agm_session_tool_end(s, &end) == AGM_E_INVALID_ARGUMENT);
  end.name = NULL;
  end.present = AGM_CALL_HAS_END;
  end.end_ns = 10;
  CHECK(agm_session_tool_end(s, &end) == AGM_E_INVALID_ARGUMENT); /* before its start */
  end.present = AGM_CALL_HAS_DURATION;
  CHECK(agm_session_tool_end(s, &end) == AGM_E_INVALID_ARGUMENT); /* not allowed at the end */
  end.present = AGM_CALL_HAS_END;
  end.end_ns = 150;
  CHECK(agm_session_tool_end(s, &end) == AGM_OK);
  CHECK(agm_session_tool_end(s, &end) == AGM_E_STATE); /* already ended */
  CHECK(session_totals(s).tool_calls == 1);
  agm_session_free(s); /* ends the open turn */
  agm_recorder_free(rec);
}

/* ---- prices -------------------------------------------------------------------------------- */

static void test_prices(void) {
  agm_recorder *rec = new_recorder(NULL), *bundled = NULL;
  agm_buffer b = AGM_BUFFER_INIT;
  agm_cost cost = AGM_COST_INIT;
  agm_usage u = usage_io(1000, 1000);
  const char override[] = "{\"input_cost_per_token\": 5e-06, \"output_cost_per_token\": 5e-06}";
  const char corrupt[] = "{\"test-model\": {\"input_cost_per_token\": \"cheap\"}}";
  FILE *f;

  CHECK(agm_recorder_price_json(&b, rec, "test-model", NULL) == AGM_OK);
  CHECK(strstr(b.data, "\"input_cost_per_token\":\"0.000001\"") != NULL);
  CHECK(strstr(b.data, "\"resolved\":\"test-model\"") != NULL);
  CHECK(agm_recorder_price_json(&b, rec, "gpt-4o", NULL) == AGM_E_NOT_FOUND);
  CHECK(agm_recorder_set_price(rec, "test-model", override, strlen(override)) == AGM_OK);
  CHECK(agm_recorder_cost(&cost, rec, "test-model", NULL, &u) == AGM_OK &&
        strcmp(usd(&cost.items.total), "0.01") == 0);
  /* A corrupt table is rejected whole; the current one stays. */
  CHECK(agm_recorder_load_prices(rec, corrupt, strlen(corrupt), 0) == AGM_E_CORRUPT);
  CHECK(strstr(agm_last_error_message(), "input_cost_per_token") != NULL);
  CHECK(agm_recorder_load_prices(rec, "[1,2", 4, 0) == AGM_E_CORRUPT);
  CHECK(agm_recorder_set_price(rec, "x", "{}", 2) == AGM_E_CORRUPT);
  CHECK(agm_recorder_cost(&cost, rec, "test-model", NULL, &u) == AGM_OK &&
        strcmp(usd(&cost.items.total), "0.01") == 0);
  CHECK(agm_recorder_load_prices_file(rec, "/nonexistent/prices.json", 0) == AGM_E_IO);
  f = fopen("test_prices_tmp.json", "w");
  CHECK(f != NULL);
  if (f) {
    fputs("{\"file-model\": {\"input_cost_per_token\": 2e-06, \"output_cost_per_token\": 0}}", f);
    fclose(f);
  }
  CHECK(agm_recorder_load_prices_file(rec, "test_prices_tmp.json", AGM_PRICES_F_REPLACE) == AGM_OK);
  remove("test_prices_tmp.json");
  CHECK(agm_recorder_cost(&cost, rec, "file-model", NULL, &u) == AGM_OK &&
        strcmp(usd(&cost.items.total), "0.002") == 0);
  CHECK(agm_recorder_cost(&cost, rec, "test-model", NULL, &u) == AGM_OK && cost.present == 0); /* replaced */
  CHECK(agm_recorder_load_prices(rec, "{}", 2, 7) == AGM_E_INVALID_ARGUMENT);

  /* The bundled table. */
  CHECK(agm_prices_bundled_info(&b) == AGM_OK && strstr(b.data, "\"litellm_version\"") != NULL);
  CHECK(agm_recorder_new(&bundled, NULL) == AGM_OK);
  CHECK(agm_recorder_cost(&cost, bundled, "gpt-4o", NULL, &u) == AGM_OK &&
        cost.present == AGM_COST_HAS_VALUE);
  CHECK(strcmp(usd(&cost.items.total), "0.0125") == 0);
  CHECK(agm_recorder_cost(&cost, bundled, "openai/gpt-4o", "openai.chat", &u) == AGM_OK && cost.present);
  CHECK(agm_recorder_cost(&cost, bundled, "claude-sonnet-4-5", NULL, &u) == AGM_OK && cost.present);
  CHECK(agm_recorder_price_json(&b, bundled, "claude-sonnet-4-5-20250929", NULL) == AGM_OK);
  agm_buffer_free(&b);
  agm_recorder_free(bundled);
  agm_recorder_free(rec);
}

/* ---- usage normalisers through the ABI ------------------------------------------------------ */

static void test_usage_json_and_streams(void) {
  agm_recorder *rec = new_recorder(NULL);
  agm_session *s = new_session(rec, "s", NULL);
  agm_usage u = AGM_USAGE_INIT;
  agm_usage_context ctx = AGM_USAGE_CONTEXT_INIT;
  agm_usage_stream *stream = NULL;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_totals t;
  const char anthropic[] =
      "{\"input_tokens\": 3, \"output_tokens\": 111, \"cache_creation_input_tokens\": 2274,"
      " \"cache_read_input_tokens\": 14853, \"cache_creation\": {\"ephemeral_5m_input_tokens\":"
      " 274, \"ephemeral_1h_input_tokens\": 2000}}";
  const char start[] =
      "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":472,\"output_tokens\":1,"
      "\"cache_read_input_tokens\":4096}}}";
  const char delta1[] = "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":40}}";
  const char delta2[] = "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":87}}";

  CHECK(agm_usage_from_json(&u, AGM_FORMAT_ANTHROPIC, anthropic, strlen(anthropic), NULL) == AGM_OK);
  CHECK(u.input_tokens == 3 && u.cache_read_tokens == 14853 && u.cache_write_tokens == 2274);
  CHECK((u.present & AGM_USAGE_HAS_CACHE_WRITE_1H) && u.cache_write_1h_tokens == 2000 &&
        u.total_tokens == 17241);
  CHECK(agm_usage_from_json(&u, 42, anthropic, strlen(anthropic), NULL) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_usage_from_json(&u, AGM_FORMAT_ANTHROPIC, "{\"input_tokens\": -3}", 20, NULL) ==
        AGM_E_INVALID_ARGUMENT);
  CHECK(agm_usage_from_json(&u, AGM_FORMAT_ANTHROPIC, "{nope", 5, NULL) == AGM_E_INVALID_ARGUMENT);
  ctx.stream_event = "message_start";
  CHECK(agm_usage_from_json(&u, AGM_FORMAT_ANTHROPIC, anthropic, strlen(anthropic), &ctx) == AGM_OK);
  CHECK(u.present == 0); /* preliminary: no usage */
  CHECK(agm_usage_from_json(&u, AGM_FORMAT_OPENAI_CHAT, "null", 4, NULL) == AGM_OK && u.present == 0);

  CHECK(agm_usage_stream_new(&stream, AGM_FORMAT_AI_SDK_V5, NULL) == AGM_E_UNSUPPORTED && stream == NULL);
  CHECK(agm_usage_stream_new(&stream, AGM_FORMAT_ANTHROPIC, NULL) == AGM_OK);
  CHECK(agm_usage_stream_add(stream, start, strlen(start)) == AGM_OK);
  CHECK(agm_usage_stream_result(stream, &u) == AGM_OK && u.present == 0); /* start alone is preliminary */
  CHECK(agm_usage_stream_add(stream, delta1, strlen(delta1)) == AGM_OK);
  CHECK(agm_usage_stream_add(stream, "{broken", 7) == AGM_E_INVALID_ARGUMENT);
  CHECK(agm_usage_stream_add(stream, delta2, strlen(delta2)) == AGM_OK);
  CHECK(agm_usage_stream_result(stream, &u) == AGM_OK);
  CHECK(u.input_tokens == 472 && u.output_tokens == 87 && u.cache_read_tokens == 4096 &&
        u.total_tokens == 4655);
  agm_usage_stream_free(stream);

  call.model = "test-model";
  CHECK(agm_session_record_model_call_json(s, &call, AGM_FORMAT_ANTHROPIC, anthropic, strlen(anthropic),
                                           NULL) == AGM_OK);
  CHECK(agm_session_record_model_call_json(s, &call, AGM_FORMAT_OPENAI_CHAT, "null", 4, NULL) == AGM_OK);
  call.usage = &u;
  CHECK(agm_session_record_model_call_json(s, &call, AGM_FORMAT_ANTHROPIC, anthropic, strlen(anthropic),
                                           NULL) == AGM_E_INVALID_ARGUMENT);
  t = session_totals(s);
  CHECK(t.model_calls == 2 && t.calls_missing_usage == 1 && t.cache_write_1h_tokens == 2000);
  agm_session_free(s);
  agm_recorder_free(rec);
}

int main(void) {
  RUN(test_versions);
  RUN(test_status_names_and_last_error);
  RUN(test_totals_never_leak);
  RUN(test_missing_usage_is_not_zero);
  RUN(test_unknown_model_is_unpriced);
  RUN(test_cost_line_items);
  RUN(test_labels_and_ids);
  RUN(test_recorder_freed_before_sessions);
  RUN(test_turns_with_injected_clock);
  RUN(test_turn_without_usage);
  RUN(test_parallel_tool_calls);
  RUN(test_batch_mode_since_last_step);
  RUN(test_breakdowns);
  RUN(test_budgets);
  RUN(test_budget_callback_reentrancy);
  RUN(test_display_and_money);
  RUN(test_terminal_text);
  RUN(test_label_limits);
  RUN(test_distinct_key_caps);
  RUN(test_invalid_arguments_change_nothing);
  RUN(test_struct_sizes);
  RUN(test_state_errors);
  RUN(test_prices);
  RUN(test_usage_json_and_streams);
  return tap_finish();
}
