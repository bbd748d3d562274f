// Persistence costs, side by side in one run:
//  - the caller's cost of recording one model call with no store, a journal, a SQLite
//    database, and both (median ns/op): back to back (the writer thread runs flat out on the
//    other core), and paced, with ~20 us of other work between records, as in an agent;
//  - what the writer sustains: records/s from the first record to the end of the flush() that
//    makes them durable, to the journal (no fsync until the flush) and to SQLite.
//
//   build/bench/bench_store [--runs 9] [--ops 200000] [--records 1000000] [--dir /tmp]
#include <agentmetrics/metrics_c.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int g_runs = 9;
long g_ops = 200000, g_records = 1000000;
std::string g_dir = "/tmp";

void check(agm_status s, const char *what) {
  if (AGM_FAILED(s)) {
    std::fprintf(stderr, "%s: %s (%s)\n", what, agm_status_name(s), agm_last_error_message());
    std::exit(1);
  }
}

struct Store {
  const char *name;
  bool journal, database;
};

// A recorder with the given store in a fresh folder, and a session on it.
struct Setup {
  std::string dir;
  agm_recorder *rec = nullptr;
  agm_session *session = nullptr;

  explicit Setup(const Store &store) {
    std::string tmpl = g_dir + "/agm-bench-XXXXXX";
    dir = ::mkdtemp(tmpl.data());
    check(agm_recorder_new(&rec, nullptr), "recorder");
    const std::string journal = dir + "/metrics.jsonl", database = dir + "/metrics.db";
    if (store.journal || store.database) {
      agm_store_options o = AGM_STORE_OPTIONS_INIT;
      o.journal = store.journal ? journal.c_str() : nullptr;
      o.database = store.database ? database.c_str() : nullptr;
      // Back to back, the caller outruns the writer and the whole run queues (about 200 bytes a
      // record): a bound above it, so that the writer's throughput is measured, not drops.
      o.max_queue_bytes =
          std::max<uint64_t>(AGM_STORE_DEFAULT_QUEUE_BYTES, uint64_t(std::max(g_ops, g_records)) * 512);
      check(agm_recorder_open_store(rec, &o), "open_store");
    }
    agm_session_options so = AGM_SESSION_OPTIONS_INIT;
    so.session_id = "bench-session";
    so.agent = "planner";
    so.phase = "build";
    check(agm_session_new(&session, rec, &so), "session");
  }
  ~Setup() {
    agm_session_free(session);
    agm_recorder_free(rec);
    std::filesystem::remove_all(dir);
  }
};

double record_loop(agm_session *s, long ops) {
  agm_usage usage = AGM_USAGE_INIT;
  usage.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_OUTPUT;
  usage.input_tokens = 1247;
  usage.cache_read_tokens = 4096;
  usage.output_tokens = 312;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  call.usage = &usage;
  call.model = "claude-sonnet-4-5";
  call.provider = "anthropic";
  call.stop_reason = "tool_use";
  call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_END;
  const auto start = Clock::now();
  for (long i = 0; i < ops; ++i) {
    call.duration_ns = 1000000 + (i & 1023) * 1000;
    call.end_ns = i;
    check(agm_session_record_model_call(s, &call), "record");
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// Records `ops` calls one at a time with ~20 us of other work between them, as an agent does
// (between its model calls it runs tools and waits for the network); returns the mean ns of
// the record calls alone.
double sparse_loop(agm_session *s, long ops) {
  agm_usage usage = AGM_USAGE_INIT;
  usage.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  usage.input_tokens = 1247;
  usage.output_tokens = 312;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  call.usage = &usage;
  call.model = "claude-sonnet-4-5";
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = 2000000;
  double recording = 0;
  for (long i = 0; i < ops; ++i) {
    const auto start = Clock::now();
    check(agm_session_record_model_call(s, &call), "record");
    const auto end = Clock::now();
    recording += std::chrono::duration<double, std::nano>(end - start).count();
    while (Clock::now() - end < std::chrono::microseconds(20)) {
    }
  }
  return recording / ops;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) g_runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--ops")) g_ops = std::atol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--records")) g_records = std::atol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) g_dir = argv[i + 1];
  }
  const Store stores[] = {{"no store", false, false},
                          {"journal", true, false},
                          {"SQLite", false, true},
                          {"journal + SQLite", true, true}};

  // Caller's cost: the loop only, the writer drains in the background; the flush after it is
  // not timed. Runs interleave the stores so machine noise hits them alike.
  std::vector<double> caller[4];
  for (int r = 0; r < g_runs; ++r) {
    for (int k = 0; k < 4; ++k) {
      Setup setup(stores[k]);
      caller[k].push_back(record_loop(setup.session, g_ops) / g_ops);
      if (k) check(agm_recorder_flush(setup.rec), "flush");
    }
  }
  // Paced recording: what an agent pays per record when records do not come back to back.
  std::vector<double> paced[4];
  for (int r = 0; r < g_runs; ++r) {
    for (int k = 0; k < 4; ++k) {
      Setup setup(stores[k]);
      paced[k].push_back(sparse_loop(setup.session, 5000));
    }
  }
  // Writer throughput: g_records records, then the flush that makes them durable.
  std::vector<double> rate[4];
  for (int r = 0; r < std::max(3, g_runs / 3); ++r) {
    for (int k = 1; k < 4; ++k) {
      Setup setup(stores[k]);
      const auto start = Clock::now();
      record_loop(setup.session, g_records);
      check(agm_recorder_flush(setup.rec), "flush");
      rate[k].push_back(g_records / std::chrono::duration<double>(Clock::now() - start).count());
    }
  }

  std::printf("agentmetrics %s: persistence, medians over %d runs\n", agm_version_string(), g_runs);
  std::printf("  %-20s %14s %8s %14s %8s %18s\n", "store", "back to back", "vs none", "paced", "vs none",
              "writer records/s");
  const double none = median(caller[0]), paced_none = median(paced[0]);
  for (int k = 0; k < 4; ++k) {
    char sustained[32] = "-";
    if (k) std::snprintf(sustained, sizeof sustained, "%.0f", median(rate[k]));
    std::printf("  %-20s %14.1f %7.2fx %14.1f %7.2fx %18s\n", stores[k].name, median(caller[k]),
                median(caller[k]) / none, median(paced[k]), median(paced[k]) / paced_none, sustained);
  }
  std::printf(
      "  (caller ns per record: back to back, and paced with ~20 us of other work between records)\n");
  std::printf(
      "{\"paced_ns\":{\"none\":%.1f,\"journal\":%.1f,\"sqlite\":%.1f,\"both\":%.1f},"
      "\"caller_ns\":{\"none\":%.1f,\"journal\":%.1f,\"sqlite\":%.1f,\"both\":%.1f},"
      "\"writer_records_per_s\":{\"journal\":%.0f,\"sqlite\":%.0f,\"both\":%.0f}}\n",
      paced_none, median(paced[1]), median(paced[2]), median(paced[3]), none, median(caller[1]),
      median(caller[2]), median(caller[3]), median(rate[1]), median(rate[2]), median(rate[3]));
  return 0;
}
