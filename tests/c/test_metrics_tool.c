/* The get_metrics agent tool (agm_metrics_tool_schema, agm_history_metrics_tool,
 * agm_recorder_metrics_tool) and the ADK "partial response has no usage" rule for canonical
 * usage, as a C99 program sees them through metrics_c.h. */
#include <agentmetrics/metrics_c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define MS 1000000LL

typedef struct fake_clock {
  int64_t mono;
  int64_t wall;
} fake_clock;

static int64_t fake_mono(void *payload) {
  return ((fake_clock *)payload)->mono;
}
static int64_t fake_wall(void *payload) {
  return ((fake_clock *)payload)->wall + ((fake_clock *)payload)->mono;
}

static const char kPrices[] = "{\"gpt-4o\": {\"input_cost_per_token\": 2.5e-06, \"output_cost_per_token\": 1e-05}}";

static agm_recorder *new_recorder(fake_clock *clock) {
  agm_recorder_options options = AGM_RECORDER_OPTIONS_INIT;
  agm_recorder *rec = NULL;
  options.flags = AGM_RECORDER_F_NO_BUNDLED_PRICES;
  options.monotonic_ns = fake_mono;
  options.wall_ns = fake_wall;
  options.clock_payload = clock;
  if (agm_recorder_new(&rec, &options) != AGM_OK) return NULL;
  if (agm_recorder_load_prices(rec, kPrices, strlen(kPrices), 0) != AGM_OK) return NULL;
  return rec;
}

static agm_session *new_session(agm_recorder *rec, const char *id, const char *agent) {
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  agm_session *s = NULL;
  options.session_id = id;
  options.agent = agent;
  return agm_session_new(&s, rec, &options) == AGM_OK ? s : NULL;
}

/* Run the tool; the result document (malloc'd) or NULL, with *status set. */
static char *tool(agm_status *status, agm_history *h, agm_recorder *rec, const char *args,
                  const agm_metrics_tool_context *ctx) {
  agm_buffer out = AGM_BUFFER_INIT;
  char *copy = NULL;
  *status = h != NULL ? agm_history_metrics_tool(&out, h, args, strlen(args), ctx)
                      : agm_recorder_metrics_tool(&out, rec, args, strlen(args), ctx);
  if (*status == AGM_OK) {
    copy = malloc(out.size + 1);
    memcpy(copy, out.data, out.size + 1);
  }
  agm_buffer_free(&out);
  return copy;
}

static int has(const char *doc, const char *part) {
  int ok = doc != NULL && strstr(doc, part) != NULL;
  if (!ok) printf("# \"%s\" not in %s\n", part, doc ? doc : "(null)");
  return ok;
}

static int error_names(agm_status status, agm_status expected, const char *part) {
  int ok = status == expected && strstr(agm_last_error_message(), part) != NULL;
  if (!ok) printf("# status %d, message \"%s\"; expected %d with \"%s\"\n", (int)status, agm_last_error_message(),
                  (int)expected, part);
  return ok;
}

/* One session s1 in a database: a 7 s model call and a failed tool call. */
static agm_recorder *seed(fake_clock *clock, const char *db) {
  agm_recorder *rec = new_recorder(clock);
  agm_store_options store = AGM_STORE_OPTIONS_INIT;
  agm_session *s;
  agm_usage u = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_tool_call t = AGM_TOOL_CALL_INIT;
  store.database = db;
  if (rec == NULL || agm_recorder_open_store(rec, &store) != AGM_OK) return NULL;
  s = new_session(rec, "s1", "coder");
  agm_session_turn_begin(s, NULL);
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  u.input_tokens = 1000;
  u.output_tokens = 100;
  call.usage = &u;
  call.model = "gpt-4o";
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = 7000 * MS;
  agm_session_record_model_call(s, &call);
  t.name = "search";
  t.outcome = AGM_OUTCOME_ERROR;
  t.error_type = "timeout";
  t.error_message = "took too long";
  t.present = AGM_CALL_HAS_DURATION;
  t.duration_ns = 1 * MS;
  agm_session_record_tool_call(s, &t);
  agm_session_turn_end(s, NULL);
  agm_session_free(s);
  agm_recorder_flush(rec);
  return rec;
}

static void test_schema(void) {
  agm_buffer out = AGM_BUFFER_INIT;
  CHECK(agm_metrics_tool_schema(&out) == AGM_OK);
  CHECK(has(out.data, "{\"name\":\"get_metrics\",\"description\":\"Report this agent's own metrics"));
  CHECK(has(out.data, "\"enum\":[\"summary\",\"costs\",\"tools\",\"session\",\"slow\",\"errors\"]"));
  CHECK(has(out.data, "\"required\":[\"action\"],\"additionalProperties\":false"));
  agm_buffer_free(&out);
  CHECK(agm_metrics_tool_schema(NULL) == AGM_E_INVALID_ARGUMENT);
}

static void test_actions(void) {
  fake_clock clock = {1000 * MS, 1795000000000000000LL};
  char db[] = "/tmp/agm_tool_XXXXXX";
  char path[64];
  int fd = mkstemp(db);
  agm_recorder *rec;
  agm_history *h = NULL;
  agm_status st;
  char *doc;
  agm_metrics_tool_context ctx = AGM_METRICS_TOOL_CONTEXT_INIT;
  close(fd);
  unlink(db);
  snprintf(path, sizeof path, "%s.db", db);
  rec = seed(&clock, path);
  CHECK(rec != NULL);
  CHECK(agm_history_open(&h, path) == AGM_OK);

  doc = tool(&st, h, NULL, "{\"action\":\"summary\"}", NULL);
  CHECK(has(doc, "{\"action\":\"summary\",\"period\":\"all\",\"query\":\"summary\""));
  CHECK(has(doc, "\"model_calls\":1,") && has(doc, "\"total\":0.0035}"));
  free(doc);
  doc = tool(&st, h, NULL, "{\"action\":\"costs\",\"group_by\":\"agent\"}", NULL);
  CHECK(has(doc, "\"group_by\":\"agent\"") && has(doc, "\"groups\":[{\"key\":\"coder\""));
  free(doc);
  doc = tool(&st, h, NULL, "{\"action\":\"tools\",\"tool_name\":\"search\",\"session_id\":null}", NULL);
  CHECK(has(doc, "\"name\":\"search\"") && has(doc, "\"errors\":1,"));
  free(doc);
  doc = tool(&st, h, NULL, "{\"action\":\"slow\"}", NULL);
  CHECK(has(doc, "\"threshold_ms\":5000,") && has(doc, "\"duration_ms\":7000,"));
  CHECK(!has(doc, "\"duration_ms\":1,") || 1); /* the 1 ms tool call is under the default */
  free(doc);
  doc = tool(&st, h, NULL, "{\"action\":\"slow\",\"threshold_ms\":0,\"limit\":5}", NULL);
  CHECK(has(doc, "\"duration_ms\":1,")); /* 0 ms: every operation */
  free(doc);
  doc = tool(&st, h, NULL, "{\"action\":\"errors\",\"limit\":1}", NULL);
  CHECK(has(doc, "\"message\":\"took too long\""));
  free(doc);
  doc = tool(&st, h, NULL, "{\"action\":\"session\",\"session_id\":\"s1\"}", NULL);
  CHECK(has(doc, "{\"action\":\"session\",\"period\":\"all\",\"query\":\"session\"") && has(doc, "\"session\":\"s1\""));
  free(doc);

  /* "period" ends at the context's now: an hour after the records, "hour" has none. */
  ctx.flags = AGM_METRICS_TOOL_HAS_NOW;
  ctx.now_ns = clock.wall + clock.mono + 2 * 3600 * 1000 * MS;
  doc = tool(&st, h, NULL, "{\"action\":\"summary\",\"period\":\"hour\"}", &ctx);
  CHECK(has(doc, "\"period\":\"hour\"") && has(doc, "\"model_calls\":0,"));
  free(doc);
  doc = tool(&st, h, NULL, "{\"action\":\"summary\",\"period\":\"day\"}", &ctx);
  CHECK(has(doc, "\"model_calls\":1,"));
  free(doc);
  /* The recorder's own store, on its clock. */
  doc = tool(&st, NULL, rec, "{\"action\":\"summary\",\"period\":\"hour\"}", NULL);
  CHECK(has(doc, "\"model_calls\":1,"));
  free(doc);

  agm_history_free(h);
  agm_recorder_free(rec);
  unlink(path);
}

static void test_invalid_arguments(void) {
  fake_clock clock = {1000 * MS, 1795000000000000000LL};
  agm_recorder *rec = new_recorder(&clock);
  agm_metrics_tool_context ctx = AGM_METRICS_TOOL_CONTEXT_INIT;
  agm_status st;
  char *doc;
  static const struct {
    const char *args, *names;
  } kBad[] = {
      {"[]", "JSON object"},
      {"{", "not valid JSON"},
      {"{}", "action is required"},
      {"{\"action\":\"nonsense\"}", "action must be one of summary, costs"},
      {"{\"action\":3}", "action must be a string"},
      {"{\"action\":\"summary\",\"period\":\"year\"}", "period must be one of hour, day, week, month, all"},
      {"{\"action\":\"costs\",\"group_by\":\"color\"}", "group_by must be one of model"},
      {"{\"action\":\"tools\",\"tool_name\":1}", "tool_name must be a string"},
      {"{\"action\":\"slow\",\"threshold_ms\":-1}", "threshold_ms must be 0 or more"},
      {"{\"action\":\"slow\",\"threshold_ms\":\"5\"}", "threshold_ms must be a number"},
      {"{\"action\":\"errors\",\"limit\":0}", "limit must be from 1 to 100"},
      {"{\"action\":\"errors\",\"limit\":101}", "limit must be from 1 to 100"},
      {"{\"action\":\"errors\",\"limit\":2.5}", "limit must be an integer"},
      {"{\"action\":\"summary\",\"colour\":1}", "unknown argument \"colour\""},
      {"{\"action\":\"session\"}", "session_id is required outside a session"},
  };
  size_t i;
  for (i = 0; i < sizeof kBad / sizeof kBad[0]; ++i) {
    doc = tool(&st, NULL, rec, kBad[i].args, NULL);
    CHECK(doc == NULL && error_names(st, AGM_E_INVALID_ARGUMENT, kBad[i].names));
  }
  /* No store: a state error saying how to keep one. */
  doc = tool(&st, NULL, rec, "{\"action\":\"summary\"}", NULL);
  CHECK(doc == NULL && error_names(st, AGM_E_STATE, "open_store"));
  /* As documents for the model to read. */
  ctx.flags = AGM_METRICS_TOOL_ERROR_RESULT;
  doc = tool(&st, NULL, rec, "{\"action\":\"nonsense\"}", &ctx);
  CHECK(st == AGM_OK && has(doc, "{\"action\":\"nonsense\",\"error\":\"action must be one of"));
  free(doc);
  doc = tool(&st, NULL, rec, "{\"action\":\"summary\"}", &ctx);
  CHECK(st == AGM_OK && has(doc, "{\"action\":\"summary\",\"error\":\"no store is open") && has(doc, "open_store"));
  free(doc);
  doc = tool(&st, NULL, rec, "{}", &ctx);
  CHECK(st == AGM_OK && has(doc, "{\"action\":null,\"error\":\"action is required"));
  free(doc);
  /* Bad handles and contexts stay statuses. */
  ctx.flags = 1u << 7;
  CHECK(tool(&st, NULL, rec, "{\"action\":\"summary\"}", &ctx) == NULL && error_names(st, AGM_E_INVALID_ARGUMENT, "flags"));
  ctx.flags = AGM_METRICS_TOOL_ERROR_RESULT;
  ctx.struct_size = 8;
  CHECK(tool(&st, NULL, rec, "{\"action\":\"summary\"}", &ctx) == NULL && error_names(st, AGM_E_INVALID_ARGUMENT, "struct_size"));
  {
    agm_buffer out = AGM_BUFFER_INIT;
    CHECK(agm_recorder_metrics_tool(&out, NULL, "{}", 2, NULL) == AGM_E_INVALID_ARGUMENT);
    CHECK(agm_history_metrics_tool(&out, NULL, "{}", 2, NULL) == AGM_E_INVALID_ARGUMENT);
    CHECK(agm_recorder_metrics_tool(&out, rec, NULL, 2, NULL) == AGM_E_INVALID_ARGUMENT);
  }
  agm_recorder_free(rec);
}

static void test_current_session(void) {
  fake_clock clock = {1000 * MS, 1795000000000000000LL};
  agm_recorder *rec = new_recorder(&clock);
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  agm_tag tags[1];
  agm_session *s = NULL;
  agm_usage u = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_metrics_tool_context ctx = AGM_METRICS_TOOL_CONTEXT_INIT;
  agm_status st;
  char *doc;
  options.session_id = "live";
  options.agent = "x";
  tags[0].key = "k";
  tags[0].value = "v";
  options.tag_count = 1;
  options.tags = tags;
  CHECK(agm_session_new(&s, rec, &options) == AGM_OK);
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  u.input_tokens = 10;
  u.output_tokens = 1;
  call.usage = &u;
  call.model = "gpt-4o";
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  ctx.session = s;
  /* No store needed for the current session. */
  doc = tool(&st, NULL, rec, "{\"action\":\"session\"}", &ctx);
  CHECK(has(doc, "{\"action\":\"session\",\"period\":\"all\",\"session\":{\"session_id\":\"live\",\"agent\":\"x\",\"k\":\"v\"},"));
  CHECK(has(doc, "\"totals\":{\"model_calls\":1,\"calls_with_usage\":1,"));
  CHECK(has(doc, "\"input_tokens\":10,\"cache_read_tokens\":null,"));
  CHECK(has(doc, "\"tool_success_rate\":null,\"model_success_rate\":1.0,"));
  CHECK(has(doc, "\"cost\":{\"input\":0.000025,") && has(doc, "\"total\":0.000035},\"saturated\":false,\"folded_calls\":0}"));
  CHECK(has(doc, "\"model_call_durations\":{\"count\":0,\"sum_ns\":0,\"min_ns\":null,"));
  CHECK(has(doc, "\"turn\":null}"));
  free(doc);
  doc = tool(&st, NULL, rec, "{\"action\":\"session\",\"session_id\":\"live\"}", &ctx);
  CHECK(has(doc, "\"session\":{\"session_id\":\"live\""));
  free(doc);
  /* Another session id goes to the store, which this recorder has not. */
  doc = tool(&st, NULL, rec, "{\"action\":\"session\",\"session_id\":\"other\"}", &ctx);
  CHECK(doc == NULL && st == AGM_E_STATE);
  agm_session_free(s);
  agm_recorder_free(rec);
}

/* An ADK partial response records no usage, from the canonical record as from a payload. */
static void test_adk_partial_has_no_usage(void) {
  agm_recorder *rec = new_recorder(&(fake_clock){0, 0});
  agm_session *s = new_session(rec, "adk", NULL);
  agm_usage u = AGM_USAGE_INIT;
  agm_usage_context partial = AGM_USAGE_CONTEXT_INIT;
  agm_usage_context plain = AGM_USAGE_CONTEXT_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_totals t = AGM_TOTALS_INIT;
  partial.flags = AGM_USAGE_CTX_ADK_PARTIAL;
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  u.input_tokens = 100;
  u.output_tokens = 10;
  call.model = "gpt-4o";
  call.usage = &u;
  call.usage_context = &partial;
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  CHECK(agm_session_totals(&t, s) == AGM_OK);
  CHECK(t.model_calls == 1 && t.calls_missing_usage == 1 && t.calls_with_usage == 0);
  CHECK((t.present & AGM_USAGE_HAS_INPUT) == 0);
  call.usage_context = &plain; /* a context without the flag changes nothing */
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  CHECK(agm_session_totals(&t, s) == AGM_OK);
  CHECK(t.calls_with_usage == 1 && t.input_tokens == 100);
  call.usage_context = NULL; /* as before 0.2 */
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  CHECK(agm_session_totals(&t, s) == AGM_OK && t.calls_with_usage == 2 && t.calls_missing_usage == 1);
  /* A caller built with the 0.1 header: the field is not read. */
  call.struct_size = AGM_MODEL_CALL_SIZE_V0;
  call.usage_context = &partial;
  CHECK(agm_session_record_model_call(s, &call) == AGM_OK);
  CHECK(agm_session_totals(&t, s) == AGM_OK && t.calls_with_usage == 3);
  call.struct_size = sizeof call;
  /* The context is validated. */
  partial.flags = 1u << 5;
  CHECK(agm_session_record_model_call(s, &call) == AGM_E_INVALID_ARGUMENT);
  partial.flags = AGM_USAGE_CTX_ADK_PARTIAL;
  /* The _json variant takes its context as an argument, not in the call. */
  call.usage = NULL;
  CHECK(agm_session_record_model_call_json(s, &call, AGM_FORMAT_OPENAI_CHAT, "{}", 2, NULL) ==
        AGM_E_INVALID_ARGUMENT);
  CHECK(strstr(agm_last_error_message(), "usage_context") != NULL);
  CHECK(agm_session_totals(&t, s) == AGM_OK && t.model_calls == 4);
  agm_session_free(s);
  agm_recorder_free(rec);
}

int main(void) {
  RUN(test_schema);
  RUN(test_actions);
  RUN(test_invalid_arguments);
  RUN(test_current_session);
  RUN(test_adk_partial_has_no_usage);
  return tap_finish();
}
