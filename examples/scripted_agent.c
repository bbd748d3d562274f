/* A scripted multi-turn agent session, recorded through the agentmetrics C ABI.
 *
 * No network and no API keys: the "model" is a script of SDK usage payloads (Anthropic and
 * OpenAI JSON, as the SDKs return them), the monotonic clock is injected and advanced by the
 * script, so every run prints the same numbers. It prints the per-turn metadata lines an agent
 * UI would show, then a session summary and breakdowns by model and by tool.
 *
 * Every record also goes to the embedded default store, a SQLite file (argv[1], default
 * "runs/agentmetrics.db"), which outlives the process: each run adds its records as a session
 * of its own (a new id per run), dated from the time the run started, so the command line
 * (`agentmetrics summary runs/agentmetrics.db --period day`) shows today's runs. */
#include <agentmetrics/metrics_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

typedef struct sim_clock {
  int64_t now;     /* the script's monotonic time, ns */
  int64_t wall_0;  /* the wall-clock time the run started, ns since the epoch */
} sim_clock;

static int64_t sim_now(void *payload) {
  return ((sim_clock *)payload)->now;
}
static int64_t sim_wall(void *payload) {
  const sim_clock *c = payload;
  return c->wall_0 + c->now;
}

static sim_clock g_clock;

static void check(agm_status status, const char *what) {
  if (AGM_FAILED(status)) {
    fprintf(stderr, "%s failed: %s: %s\n", what, agm_status_name(status), agm_last_error_message());
    exit(1);
  }
  if (status != AGM_OK) printf("  ! %s: %s\n", what, agm_status_name(status));
}

/* One model response: its usage JSON in the SDK's own shape, how long it took. */
static void model_call(agm_session *s, const char *model, int32_t format, const char *usage_json,
                       const char *source, int64_t duration_ms, int64_t attempt) {
  agm_model_call call = AGM_MODEL_CALL_INIT;
  g_clock.now += duration_ms * MS;
  call.model = model;
  call.provider = format == AGM_FORMAT_ANTHROPIC ? "anthropic" : "openai";
  call.source = source;
  call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_TTFT | AGM_CALL_HAS_ATTEMPT;
  call.duration_ns = duration_ms * MS;
  call.ttft_ns = duration_ms * MS / 4;
  call.attempt = attempt;
  if (usage_json == NULL) { /* the stream was cut off: no usage arrived */
    check(agm_session_record_model_call(s, &call), "record model call");
    return;
  }
  check(agm_session_record_model_call_json(s, &call, format, usage_json, strlen(usage_json), NULL),
        "record model call");
}

static void tool_end(agm_session *s, const char *call_id, const char *error) {
  agm_tool_call result = AGM_TOOL_CALL_INIT;
  result.call_id = call_id;
  if (error != NULL) {
    result.outcome = AGM_OUTCOME_ERROR;
    result.error_message = error;
  }
  check(agm_session_tool_end(s, &result), "tool end");
}

static void print_turn(agm_session *s, uint32_t flags, const char *prompt) {
  agm_buffer line = AGM_BUFFER_INIT;
  check(agm_session_format_turn(&line, s, flags), "format turn");
  printf("> %s\n%s\n", prompt, line.data);
  agm_buffer_free(&line);
}

static void print_money(const char *label, const agm_money *m) {
  agm_buffer b = AGM_BUFFER_INIT;
  check(agm_format_cost(&b, m), "format cost");
  printf("%s%s", label, b.data);
  agm_buffer_free(&b);
}

static void print_duration(const char *label, int64_t ns) {
  agm_buffer b = AGM_BUFFER_INIT;
  check(agm_format_duration_ns(&b, ns), "format duration");
  printf("%s%s", label, b.data);
  agm_buffer_free(&b);
}

int main(int argc, char **argv) {
  const char *database = argc > 1 ? argv[1] : "runs/agentmetrics.db";
  agm_store_options store = AGM_STORE_OPTIONS_INIT;
  agm_recorder_options options = AGM_RECORDER_OPTIONS_INIT;
  agm_session_options labels = AGM_SESSION_OPTIONS_INIT;
  agm_recorder *rec = NULL;
  agm_session *s = NULL;
  agm_breakdown *by = NULL;
  agm_buffer text = AGM_BUFFER_INIT;
  agm_turn_stats turn = AGM_TURN_STATS_INIT;
  struct timespec started;
  char session_id[64];
  const uint32_t flags = agm_color_enabled(isatty(STDOUT_FILENO)) ? AGM_DISPLAY_F_COLOR : 0;
  size_t i;

  if (agm_abi_version() != AGM_ABI_VERSION) {
    fprintf(stderr, "libagentmetrics ABI %u, expected %u\n", agm_abi_version(), AGM_ABI_VERSION);
    return 1;
  }
  clock_gettime(CLOCK_REALTIME, &started);
  g_clock.wall_0 = (int64_t)started.tv_sec * 1000000000LL + started.tv_nsec;
  strftime(session_id, sizeof session_id, "trip-%Y%m%d-%H%M%S", gmtime(&started.tv_sec));
  snprintf(session_id + strlen(session_id), sizeof session_id - strlen(session_id), "-%ld", (long)getpid());
  options.monotonic_ns = sim_now;
  options.wall_ns = sim_wall;
  options.clock_payload = &g_clock;
  check(agm_recorder_new(&rec, &options), "recorder");
  store.database = database;
  check(agm_recorder_open_store(rec, &store), "store");
  labels.session_id = session_id;
  labels.agent = "travel-planner";
  check(agm_session_new(&s, rec, &labels), "session");

  /* Turn 1: the model asks for two tools at once; they run in parallel. */
  check(agm_session_turn_begin(s, NULL), "turn");
  model_call(s, "claude-sonnet-4-5", AGM_FORMAT_ANTHROPIC,
             "{\"input_tokens\":1180,\"output_tokens\":96,\"cache_creation_input_tokens\":3200,"
             "\"cache_read_input_tokens\":0,\"cache_creation\":{\"ephemeral_5m_input_tokens\":3200,"
             "\"ephemeral_1h_input_tokens\":0}}",
             NULL, 1400, 1);
  check(agm_session_tool_start(s, "search_flights", "toolu_01", NULL), "tool start");
  check(agm_session_tool_start(s, "get_weather", "toolu_02", NULL), "tool start");
  g_clock.now += 450 * MS;
  tool_end(s, "toolu_02", NULL);
  g_clock.now += 380 * MS;
  tool_end(s, "toolu_01", NULL);
  model_call(s, "claude-sonnet-4-5", AGM_FORMAT_ANTHROPIC,
             "{\"input_tokens\":1512,\"output_tokens\":341,\"cache_creation_input_tokens\":0,"
             "\"cache_read_input_tokens\":3200}",
             NULL, 2100, 1);
  check(agm_session_turn_end(s, NULL), "turn end");
  print_turn(s, flags, "Find me a flight to Lisbon next Friday and check the weather.");
  check(agm_session_turn_stats(&turn, s), "turn stats");
  print_duration("    tools: ", turn.tool_wall_ns);
  print_duration(" wall, ", turn.tool_work_ns);
  printf(" of work in %llu calls\n", (unsigned long long)turn.tool_calls);

  /* Turn 2: a tool that calls a cheaper model itself; a failing booking; a rate-limit retry. */
  check(agm_session_turn_begin(s, NULL), "turn");
  check(agm_session_tool_start(s, "summarize_reviews", "toolu_03", NULL), "tool start");
  model_call(s, "gpt-4o-mini", AGM_FORMAT_OPENAI_CHAT,
             "{\"prompt_tokens\":5400,\"completion_tokens\":220,\"total_tokens\":5620,"
             "\"prompt_tokens_details\":{\"cached_tokens\":0}}",
             "tool:summarize_reviews", 900, 1);
  tool_end(s, "toolu_03", NULL);
  check(agm_session_tool_start(s, "book_flight", "toolu_04", NULL), "tool start");
  g_clock.now += 3200 * MS;
  tool_end(s, "toolu_04", "payment provider timeout after 3s");
  model_call(s, "claude-sonnet-4-5", AGM_FORMAT_ANTHROPIC, NULL, NULL, 300, 1); /* 429, no usage */
  model_call(s, "claude-sonnet-4-5", AGM_FORMAT_ANTHROPIC,
             "{\"input_tokens\":2210,\"output_tokens\":188,\"cache_read_input_tokens\":3200,"
             "\"output_tokens_details\":{\"thinking_tokens\":64}}",
             NULL, 1700, 2);
  check(agm_session_turn_end(s, NULL), "turn end");
  print_turn(s, flags, "Book the 9:40 one.");

  /* Turn 3: a short answer. */
  check(agm_session_turn_begin(s, NULL), "turn");
  model_call(s, "claude-sonnet-4-5", AGM_FORMAT_ANTHROPIC,
             "{\"input_tokens\":2650,\"output_tokens\":74,\"cache_read_input_tokens\":3200}", NULL, 800, 1);
  check(agm_session_turn_end(s, NULL), "turn end");
  print_turn(s, flags, "Thanks, what should I pack?");

  check(agm_session_format_summary(&text, s, flags), "summary");
  printf("\n%s\n", text.data);

  printf("\nBy model:\n");
  check(agm_session_breakdown(&by, s, AGM_BY_MODEL), "breakdown");
  for (i = 0; i < agm_breakdown_count(by); ++i) {
    agm_totals t = AGM_TOTALS_INIT;
    agm_duration_stats d = AGM_DURATION_STATS_INIT;
    check(agm_breakdown_totals(&t, by, i), "totals");
    check(agm_breakdown_durations(&d, by, i, AGM_DURATION_MODEL_CALL), "durations");
    printf("  %-20s %llu model call%s, %llu without usage, %llu retried", agm_breakdown_key(by, i),
           (unsigned long long)t.model_calls, t.model_calls == 1 ? "" : "s",
           (unsigned long long)t.calls_missing_usage, (unsigned long long)t.retries);
    print_money("  ", &t.cost.total);
    if (d.present & AGM_DURATION_HAS_VALUES) print_duration("  p95 ", d.p95_ns);
    printf("\n");
  }
  agm_breakdown_free(by);

  printf("By tool:\n");
  check(agm_session_breakdown(&by, s, AGM_BY_TOOL), "breakdown");
  for (i = 0; i < agm_breakdown_count(by); ++i) {
    agm_totals t = AGM_TOTALS_INIT;
    agm_duration_stats d = AGM_DURATION_STATS_INIT;
    const char *error = agm_breakdown_last_error(by, i);
    check(agm_breakdown_totals(&t, by, i), "totals");
    check(agm_breakdown_durations(&d, by, i, AGM_DURATION_TOOL_CALL), "durations");
    printf("  %-20s %llu call%s, %.0f%% ok", agm_breakdown_key(by, i), (unsigned long long)t.tool_calls,
           t.tool_calls == 1 ? "" : "s", 100.0 * t.tool_success_rate);
    print_duration(", p95 ", d.p95_ns);
    if (error != NULL) printf(", last error: %s", error);
    printf("\n");
  }
  agm_breakdown_free(by);

  agm_session_free(s);

  /* The store outlives the run: a durability barrier, then where to look. */
  check(agm_recorder_flush(rec), "flush");
  printf("\nStored in %s as session %s.\n", database, session_id);
  agm_buffer_free(&text);
  agm_recorder_free(rec);
  return 0;
}
