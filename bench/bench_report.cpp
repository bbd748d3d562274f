// `agentmetrics summary` and `agentmetrics report --html` over a 1,000,000-record journal and
// the same records in a SQLite database: wall time and peak memory (max RSS) of the command-line
// program, median of --runs runs each, side by side in one run.
//
// The stores are written through the public ABI by one recorder with both a journal and a
// database open: a month of agent work (sessions of 4 turns over 5 agents, 4 phases, 6 models,
// 8 tools, 1% failing calls), 45% model calls, 45% tool calls, 10% turns.
//
//   build/bench/bench_report --cli build/cli/agentmetrics [--records 1000000] [--runs 3] [--dir /tmp]
#include <agentmetrics/metrics_c.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

long g_records = 1000000;
int g_runs = 3;
std::string g_dir = "/tmp", g_cli;

void check(agm_status s, const char *what) {
  if (AGM_FAILED(s)) {
    std::fprintf(stderr, "%s: %s (%s)\n", what, agm_status_name(s), agm_last_error_message());
    std::exit(1);
  }
}

// A month of records, about 2.6 s of wall clock apart.
struct FakeClock {
  int64_t mono = 1'000'000'000, wall = 1'793'000'000'000'000'000;
  static int64_t monotonic(void *p) { return static_cast<FakeClock *>(p)->mono; }
  static int64_t wall_ns(void *p) {
    auto *c = static_cast<FakeClock *>(p);
    return c->wall + c->mono;
  }
};

void write_stores(const std::string &journal, const std::string &database) {
  FakeClock clock;
  agm_recorder_options ro = AGM_RECORDER_OPTIONS_INIT;
  ro.monotonic_ns = FakeClock::monotonic;
  ro.wall_ns = FakeClock::wall_ns;
  ro.clock_payload = &clock;
  agm_recorder *rec = nullptr;
  check(agm_recorder_new(&rec, &ro), "recorder");
  agm_store_options so = AGM_STORE_OPTIONS_INIT;
  so.journal = journal.c_str();
  so.database = database.c_str();
  check(agm_recorder_open_store(rec, &so), "open_store");

  static const char *kModels[] = {"gpt-4o",           "gpt-4o-mini",      "claude-sonnet-4-5",
                                  "claude-haiku-4-5", "gemini-2.5-flash", "o3-mini"};
  static const char *kProviders[] = {"openai", "openai", "anthropic", "anthropic", "gemini", "openai"};
  static const char *kAgents[] = {"planner", "coder", "reviewer", "tester", "researcher"};
  static const char *kPhases[] = {"plan", "build", "verify", "ship"};
  static const char *kTools[] = {"search", "read_file", "write_file", "run_tests",
                                 "grep",   "fetch",     "shell",      "diff"};
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  auto next = [&rng] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };

  long written = 0;
  for (long s = 0; written < g_records; ++s) {
    const std::string id = "session-" + std::to_string(s);
    agm_session_options o = AGM_SESSION_OPTIONS_INIT;
    o.session_id = id.c_str();
    o.agent = kAgents[s % 5];
    o.phase = kPhases[(s / 5) % 4];
    agm_session *session = nullptr;
    check(agm_session_new(&session, rec, &o), "session");
    ++written;
    for (int turn = 0; turn < 4 && written < g_records; ++turn) {
      check(agm_session_turn_begin(session, nullptr), "turn_begin");
      for (int step = 0; step < 4 && written < g_records; ++step) {
        const size_t m = next() % 6;
        agm_usage usage;
        agm_usage_init(&usage, sizeof usage);
        usage.input_tokens = 500 + static_cast<int64_t>(next() % 20000);
        usage.cache_read_tokens = static_cast<int64_t>(next() % 8000);
        usage.output_tokens = 50 + static_cast<int64_t>(next() % 2000);
        usage.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_CACHE_READ | AGM_USAGE_HAS_OUTPUT;
        agm_model_call call = AGM_MODEL_CALL_INIT;
        call.usage = &usage;
        call.model = kModels[m];
        call.provider = kProviders[m];
        call.duration_ns = 200'000'000 + static_cast<int64_t>(next() % 8'000'000'000);
        call.present = AGM_CALL_HAS_DURATION;
        if (next() % 100 == 0) {
          call.outcome = AGM_OUTCOME_ERROR;
          call.error_type = "rate_limit";
        }
        clock.mono += 1'200'000'000;
        check(agm_session_record_model_call(session, &call), "model call");
        agm_tool_call tool = AGM_TOOL_CALL_INIT;
        tool.name = kTools[next() % 8];
        tool.duration_ns = 1'000'000 + static_cast<int64_t>(next() % 3'000'000'000);
        tool.present = AGM_CALL_HAS_DURATION;
        if (next() % 100 == 0) {
          tool.outcome = AGM_OUTCOME_ERROR;
          tool.error_type = "exit_1";
          tool.error_message = "command failed";
        }
        clock.mono += 1'400'000'000;
        check(agm_session_record_tool_call(session, &tool), "tool call");
        written += 2;
      }
      check(agm_session_turn_end(session, nullptr), "turn_end");
      ++written;
    }
    agm_session_free(session);
  }
  check(agm_recorder_close_store(rec), "close_store");
  agm_recorder_free(rec);
}

struct Measure {
  double seconds;
  long max_rss_kb;
};

// Runs the CLI with `args` (stdout to /dev/null) and measures it.
Measure run_cli(const std::vector<std::string> &args) {
  std::vector<char *> argv;
  argv.push_back(g_cli.data());
  std::vector<std::string> copy = args;
  for (auto &a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    ::execv(g_cli.c_str(), argv.data());
    std::_Exit(127);
  }
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s %s failed (status %d)\n", g_cli.c_str(), args[0].c_str(), status);
    std::exit(1);
  }
  return {seconds, usage.ru_maxrss};
}

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) g_records = std::atol(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) g_runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) g_dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--cli")) g_cli = argv[i + 1];
  }
  if (g_cli.empty()) {
    std::fprintf(stderr, "usage: %s --cli PATH [--records N] [--runs N] [--dir DIR]\n", argv[0]);
    return 2;
  }
  std::string tmpl = g_dir + "/agm-bench-report-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl.data());
  const std::string journal = dir + "/metrics.jsonl", database = dir + "/metrics.db",
                    html = dir + "/report.html";
  std::printf("writing %ld records to a journal and a database...\n", g_records);
  std::fflush(stdout);
  // In a child process: the commands measured are forked from this one, and Linux counts the
  // forking process's peak memory in a child's max RSS.
  const pid_t writer = ::fork();
  if (writer == 0) {
    write_stores(journal, database);
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(writer, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  std::printf("journal %.0f MB, database %.0f MB; median of %d runs, peak memory = max RSS\n",
              std::filesystem::file_size(journal) / 1e6, std::filesystem::file_size(database) / 1e6, g_runs);
  std::printf("%-28s %10s %12s\n", "command", "wall (s)", "peak (MB)");
  for (const auto &[store, name] : {std::pair{journal, "journal"}, std::pair{database, "database"}}) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
        {"summary", {"summary", store, "--no-progress"}},
        {"report --html", {"report", store, "--html", html, "--no-progress"}},
    };
    for (const auto &[label, args] : commands) {
      std::vector<Measure> runs;
      for (int r = 0; r < g_runs; ++r) runs.push_back(run_cli(args));
      std::sort(runs.begin(), runs.end(),
                [](const Measure &a, const Measure &b) { return a.seconds < b.seconds; });
      long rss = 0;
      for (const Measure &m : runs) rss = std::max(rss, m.max_rss_kb);
      std::printf("%-28s %10.3f %12.1f\n", (label + " (" + name + ")").c_str(), runs[runs.size() / 2].seconds,
                  rss / 1024.0);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
