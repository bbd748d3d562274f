// Recording one model call through the C ABI (usage normalised, priced with the bundled table,
// aggregated, sketched) against a no-op ABI call, on 1 and 2 threads. Prints median ns/op.
//
//   build/bench/bench_record [--runs 15] [--ops 200000] [--only record]
//
// Wall-clock medians move with the load on a shared machine; bench/instructions.sh counts
// instructions per call under callgrind, which does not.
#include <agentmetrics/metrics_c.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int g_runs = 15;
long g_ops = 200000;
// "record", "record_tool", "record_journal" or "noop": run just that loop once (for instruction counts;
// record_journal appends to a journal in a temporary folder, removed afterwards).
std::string g_only;

// Median over runs of the mean ns/op of `threads` threads each running `body` g_ops times.
double median_ns(int threads, const std::function<void(int thread, long ops)> &body) {
  std::vector<double> samples;
  for (int r = 0; r < g_runs; ++r) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<double> per_thread(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load()) {
        }
        const auto start = Clock::now();
        body(t, g_ops);
        per_thread[t] = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / g_ops;
      });
    }
    while (ready.load() != threads) {
    }
    go = true;
    for (auto &th : pool) th.join();
    samples.push_back(*std::max_element(per_thread.begin(), per_thread.end()));
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

void check(agm_status s, const char *what) {
  if (AGM_FAILED(s)) {
    std::fprintf(stderr, "%s: %s (%s)\n", what, agm_status_name(s), agm_last_error_message());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) g_runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--ops")) g_ops = std::atol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--only")) g_only = argv[i + 1];
  }
  agm_recorder *rec = nullptr;
  check(agm_recorder_new(&rec, nullptr), "recorder");
  agm_session *sessions[2] = {nullptr, nullptr};
  for (auto &s : sessions) check(agm_session_new(&s, rec, nullptr), "session");

  agm_usage usage = AGM_USAGE_INIT;
  usage.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_OUTPUT;
  usage.input_tokens = 1247;
  usage.cache_read_tokens = 4096;
  usage.output_tokens = 312;
  auto record_into = [&](agm_session *s, long ops) {
    agm_model_call call = AGM_MODEL_CALL_INIT;
    call.usage = &usage;
    call.model = "claude-sonnet-4-5";
    call.provider = "anthropic";
    call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_END;
    for (long i = 0; i < ops; ++i) {
      call.duration_ns = 1000000 + (i & 1023) * 1000;
      call.end_ns = i;
      check(agm_session_record_model_call(s, &call), "record");
    }
  };
  static const char kAnthropic[] =
      "{\"input_tokens\":1247,\"output_tokens\":312,\"cache_read_input_tokens\":4096,"
      "\"cache_creation_input_tokens\":0}";
  auto record_json = [&](agm_session *s, long ops) {
    agm_model_call call = AGM_MODEL_CALL_INIT;
    call.model = "claude-sonnet-4-5";
    call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_END;
    call.duration_ns = 1000000;
    for (long i = 0; i < ops; ++i) {
      call.end_ns = i;
      check(agm_session_record_model_call_json(s, &call, AGM_FORMAT_ANTHROPIC, kAnthropic,
                                               sizeof kAnthropic - 1, nullptr),
            "record_json");
    }
  };
  auto record_tool = [&](agm_session *s, long ops) {
    agm_tool_call call = AGM_TOOL_CALL_INIT;
    call.name = "search_flights";
    call.present = AGM_CALL_HAS_DURATION | AGM_CALL_HAS_END;
    for (long i = 0; i < ops; ++i) {
      call.duration_ns = 1000000 + (i & 1023) * 1000;
      call.end_ns = i;
      check(agm_session_record_tool_call(s, &call), "record_tool");
    }
  };
  std::atomic<uint32_t> sink{0};
  auto noop = [&](int, long ops) {
    uint32_t acc = 0;
    for (long i = 0; i < ops; ++i) acc += agm_abi_version();
    sink += acc;
  };

  if (!g_only.empty()) {
    if (g_only == "record_journal") {
      std::string dir = "/tmp/agm-bench-XXXXXX";
      if (!::mkdtemp(dir.data())) return 1;
      const std::string journal = dir + "/metrics.jsonl";
      agm_recorder *stored = nullptr;
      agm_session *session = nullptr;
      check(agm_recorder_new(&stored, nullptr), "recorder");
      agm_store_options o = AGM_STORE_OPTIONS_INIT;
      o.journal = journal.c_str();
      check(agm_recorder_open_store(stored, &o), "open_store");
      check(agm_session_new(&session, stored, nullptr), "session");
      record_into(session, g_ops);
      agm_session_free(session);
      agm_recorder_free(stored);
      std::remove(journal.c_str());
      ::rmdir(dir.c_str());
    }
    if (g_only == "record") record_into(sessions[0], g_ops);
    if (g_only == "record_tool") record_tool(sessions[0], g_ops);
    if (g_only == "record_json") record_json(sessions[0], g_ops);
    if (g_only == "noop") noop(0, g_ops);
    for (auto *s : sessions) agm_session_free(s);
    agm_recorder_free(rec);
    return 0;
  }
  const double noop1 = median_ns(1, noop);
  const double rec1 = median_ns(1, [&](int, long ops) { record_into(sessions[0], ops); });
  const double json1 = median_ns(1, [&](int, long ops) { record_json(sessions[0], ops); });
  const double tool1 = median_ns(1, [&](int, long ops) { record_tool(sessions[1], ops); });
  const double noop2 = median_ns(2, noop);
  const double rec2_own = median_ns(2, [&](int t, long ops) { record_into(sessions[t], ops); });
  const double rec2_shared = median_ns(2, [&](int, long ops) { record_into(sessions[0], ops); });

  std::printf("agentmetrics %s: median ns per op over %d runs of %ld ops (lower is better)\n",
              agm_version_string(), g_runs, g_ops);
  std::printf("  %-58s %8.1f\n", "no-op ABI call (agm_abi_version), 1 thread", noop1);
  std::printf("  %-58s %8.1f\n", "record_model_call, 1 thread", rec1);
  std::printf("  %-58s %8.1f\n", "record_model_call_json (Anthropic JSON), 1 thread", json1);
  std::printf("  %-58s %8.1f\n", "record_tool_call, 1 thread", tool1);
  std::printf("  %-58s %8.1f\n", "no-op ABI call, 2 threads", noop2);
  std::printf("  %-58s %8.1f\n", "record_model_call, 2 threads, one session each", rec2_own);
  std::printf("  %-58s %8.1f\n", "record_model_call, 2 threads, one shared session", rec2_shared);
  std::printf(
      "{\"noop_1t\":%.1f,\"record_1t\":%.1f,\"record_json_1t\":%.1f,\"record_tool_1t\":%.1f,"
      "\"noop_2t\":%.1f,\"record_2t_own_sessions\":%.1f,\"record_2t_shared_session\":%.1f}\n",
      noop1, rec1, json1, tool1, noop2, rec2_own, rec2_shared);
  for (auto *s : sessions) agm_session_free(s);
  agm_recorder_free(rec);
  return sink.load() == 0xFFFFFFFF ? 1 : 0;
}
