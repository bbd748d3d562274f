/* Load a journal and aggregate it through the C ABI, timed.
 *
 *   bench_load JOURNAL [RUNS] [--groups]
 *
 * Each run: agm_recorder_new, agm_recorder_load (journal), then for AGM_BY_MODEL, AGM_BY_AGENT and
 * AGM_BY_PHASE a breakdown with, per key, totals and model-call durations (p95). The timed span
 * is from agm_recorder_new to the last group read; freeing the recorder is timed separately.
 * Prints per-run times, their medians and checksums (model calls, input tokens, p95 of the
 * first model key); --groups also prints one tab-separated line per group of the last run:
 *   group <dimension> <key> <model_calls> <tool_calls> <input> <output> <cache_read> <cost> <p95_ns>
 */
#include <agentmetrics/metrics_c.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fail(const char *what, agm_status st) {
  fprintf(stderr, "bench_load: %s: %s: %s\n", what, agm_status_name(st), agm_last_error_message());
  exit(1);
}

static const struct {
  int32_t by;
  const char *name;
} kDims[] = {{AGM_BY_MODEL, "model"}, {AGM_BY_AGENT, "agent"}, {AGM_BY_PHASE, "phase"}};
#define NDIMS (sizeof kDims / sizeof kDims[0])

int main(int argc, char **argv) {
  const char *path = NULL;
  int runs = 5, groups = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--groups") == 0)
      groups = 1;
    else if (!path)
      path = argv[i];
    else
      runs = atoi(argv[i]);
  }
  if (!path || runs < 1) {
    fprintf(stderr, "usage: bench_load JOURNAL [RUNS] [--groups]\n");
    return 2;
  }
  double *total_ms = calloc((size_t)runs, sizeof(double));
  double *load_ms = calloc((size_t)runs, sizeof(double));
  double *free_ms = calloc((size_t)runs, sizeof(double));
  if (!total_ms || !load_ms || !free_ms) return 1;
  uint64_t model_calls = 0, records = 0;
  int64_t input_tokens = 0, p95_first = 0;

  for (int r = 0; r < runs; r++) {
    int last = r == runs - 1;
    double t0 = now_ms();
    agm_recorder *rec = NULL;
    agm_status st = agm_recorder_new(&rec, NULL);
    if (AGM_FAILED(st)) fail("agm_recorder_new", st);
    agm_load_report report = AGM_LOAD_REPORT_INIT;
    st = agm_recorder_load(rec, path, NULL, &report, NULL);
    if (AGM_FAILED(st)) fail("agm_recorder_load", st);
    double t1 = now_ms();
    model_calls = 0;
    input_tokens = 0;
    p95_first = 0;
    records = report.records;
    for (size_t d = 0; d < NDIMS; d++) {
      agm_breakdown *bd = NULL;
      st = agm_recorder_breakdown(&bd, rec, kDims[d].by);
      if (AGM_FAILED(st)) fail("agm_recorder_breakdown", st);
      size_t n = agm_breakdown_count(bd);
      for (size_t i = 0; i < n; i++) {
        agm_totals tot = AGM_TOTALS_INIT;
        agm_duration_stats ds = AGM_DURATION_STATS_INIT;
        st = agm_breakdown_totals(&tot, bd, i);
        if (AGM_FAILED(st)) fail("agm_breakdown_totals", st);
        st = agm_breakdown_durations(&ds, bd, i, AGM_DURATION_MODEL_CALL);
        if (AGM_FAILED(st)) fail("agm_breakdown_durations", st);
        int64_t p95 = (ds.present & AGM_DURATION_HAS_VALUES) ? ds.p95_ns : -1;
        if (kDims[d].by == AGM_BY_MODEL) {
          model_calls += tot.model_calls;
          input_tokens += tot.input_tokens;
          if (i == 0) p95_first = p95;
        }
        if (groups && last) {
          agm_buffer cost = AGM_BUFFER_INIT;
          if (tot.present & AGM_TOTALS_HAS_COST) {
            st = agm_money_to_decimal(&cost, &tot.cost.total);
            if (AGM_FAILED(st)) fail("agm_money_to_decimal", st);
          }
          printf("group\t%s\t%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                 "\t%s\t%" PRId64 "\n",
                 kDims[d].name, agm_breakdown_key(bd, i), tot.model_calls, tot.tool_calls,
                 tot.input_tokens, tot.output_tokens, tot.cache_read_tokens,
                 cost.data ? cost.data : "", p95);
          agm_buffer_free(&cost);
        }
      }
      agm_breakdown_free(bd);
    }
    double t2 = now_ms();
    agm_recorder_free(rec);
    double t3 = now_ms();
    total_ms[r] = t2 - t0;
    load_ms[r] = t1 - t0;
    free_ms[r] = t3 - t2;
    printf("run\t%d\t%.3f\t%.3f\t%.3f\n", r + 1, total_ms[r], load_ms[r], free_ms[r]);
    if (last)
      printf("report\tfiles=%" PRIu64 " lines=%" PRIu64 " records=%" PRIu64 " skipped=%" PRIu64
             " malformed=%" PRIu64 " first_malformed_line=%" PRIu64 "\n",
             report.files, report.lines, report.records, report.skipped, report.malformed,
             report.first_malformed_line);
  }
  printf("median_ms\t%.3f\tload_ms\t%.3f\tfree_ms\t%.3f\n", median(total_ms, runs),
         median(load_ms, runs), median(free_ms, runs));
  printf("checksum\trecords=%" PRIu64 " model_calls=%" PRIu64 " input_tokens=%" PRId64
         " p95_first_model_ns=%" PRId64 "\n",
         records, model_calls, input_tokens, p95_first);
  free(total_ms);
  free(load_ms);
  free(free_ms);
  return 0;
}
