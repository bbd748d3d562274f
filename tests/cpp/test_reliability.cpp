// Crash and concurrency tests of the store, through the public C ABI: child processes
// (tests/c/store_child.c, path in AGM_STORE_CHILD) record while they are killed with SIGKILL,
// or record from 2 processes x 4 threads into one journal and one database.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "store_helpers.hpp"

using namespace store_test;

namespace {

struct Child {
  pid_t pid = -1;
  FILE *out = nullptr;  // the child's stdout
};

Child spawn(const std::vector<std::string> &args) {
  const char *exe = std::getenv("AGM_STORE_CHILD");
  EXPECT_NE(exe, nullptr) << "AGM_STORE_CHILD is not set";
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char *> argv{const_cast<char *>(exe)};
    for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe, argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  c.out = ::fdopen(fds[0], "r");
  return c;
}

int wait_exit(Child &c) {
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  if (c.out) std::fclose(c.out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What a store holds, read back through agm_recorder_load.
struct Loaded {
  agm_load_report report = AGM_LOAD_REPORT_INIT;
  std::map<std::string, std::vector<long>> ids;  // invocation id prefix -> numbers, in order
  std::map<std::string, int> id_count;           // every invocation id -> times loaded
  std::map<std::string, agm_totals> sessions;    // model-call totals per session
  agm_totals totals = AGM_TOTALS_INIT;
};

Loaded load(const std::string &path) {
  Loaded l;
  Recorder rec = new_recorder();
  Buffer warnings, invocations;
  EXPECT_EQ(agm_recorder_load(rec.get(), path.c_str(), nullptr, &l.report, warnings.get()), AGM_OK)
      << agm_last_error_message();
  EXPECT_EQ(agm_recorder_invocations(invocations.get(), rec.get(), 0, 0), AGM_OK);
  simdjson::dom::parser parser;
  for (auto inv : parser.parse(invocations.str()).get_array()) {
    const std::string id{std::string_view(inv["invocation_id"])};
    ++l.id_count[id];
    const size_t dash = id.rfind('-');
    l.ids[id.substr(0, dash)].push_back(std::stol(id.substr(dash + 1)));
  }
  agm_breakdown *b = nullptr;
  EXPECT_EQ(agm_recorder_breakdown(&b, rec.get(), AGM_BY_SESSION), AGM_OK);
  for (size_t i = 0; i < agm_breakdown_count(b); ++i) {
    agm_totals t = AGM_TOTALS_INIT;
    agm_breakdown_totals(&t, b, i);
    l.sessions[agm_breakdown_key(b, i)] = t;
  }
  agm_breakdown_free(b);
  EXPECT_EQ(agm_recorder_totals(&l.totals, rec.get()), AGM_OK);
  return l;
}

}  // namespace

TEST(Reliability, KilledWritersLoseNothingFlushedAndDuplicateNothing) {
  TempDir dir;
  const std::string journal = dir / "kill.jsonl", database = dir / "kill.db";
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  constexpr int kRounds = 24;
  std::map<std::string, long> acked;  // round -> last record the child reported as flushed
  for (int round = 1; round <= kRounds; ++round) {
    Child child = spawn({"kill", journal, database, std::to_string(round)});
    const int acks = 1 + static_cast<int>(rng() % 8);
    long last = 0;
    char line[64];
    for (int a = 0; a < acks && std::fgets(line, sizeof line, child.out); ++a) {
      ASSERT_EQ(std::sscanf(line, "flushed %ld", &last), 1) << line;
    }
    // A random moment while the child records the next batch.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    ::kill(child.pid, SIGKILL);
    EXPECT_EQ(wait_exit(child), 128 + SIGKILL);
    ASSERT_GT(last, 0) << "round " << round << " never flushed";
    acked[std::to_string(round)] = last;
  }

  for (const std::string &path : {journal, database}) {
    SCOPED_TRACE(path);
    const Loaded l = load(path);
    for (const auto &[id, n] : l.id_count) EXPECT_EQ(n, 1) << id << " loaded " << n << " times";
    for (const auto &[round, last] : acked) {
      const auto it = l.ids.find(round);
      ASSERT_NE(it, l.ids.end()) << "round " << round << " lost";
      const std::vector<long> &got = it->second;
      // Records reach the store in order: what survived is 1..n, with n >= the flushed count.
      ASSERT_GE(static_cast<long>(got.size()), last) << "round " << round;
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i], static_cast<long>(i + 1)) << "round " << round;
      // Each record's model call is stored right after its invocation: at most one of the
      // pair may be cut off by the kill.
      const agm_totals &t = l.sessions.at("round-" + round);
      EXPECT_GE(t.model_calls + 1, got.size());
      EXPECT_LE(t.model_calls, got.size());
    }
    // The journal skips at most one torn line per kill; the database never has one.
    EXPECT_LE(l.report.malformed, static_cast<uint64_t>(path == journal ? kRounds : 0));
  }
}

TEST(Reliability, TwoProcessesTimesFourThreadsAppendExactly) {
  TempDir dir;
  const std::string journal = dir / "shared.jsonl", database = dir / "shared.db";
  constexpr int kThreads = 4;
  constexpr long kCount = 1500;
  std::vector<Child> children;
  for (const char *name : {"a", "b"}) {
    children.push_back(
        spawn({"burst", journal, database, name, std::to_string(kThreads), std::to_string(kCount)}));
  }
  for (Child &c : children) ASSERT_EQ(wait_exit(c), 0);

  const uint64_t pairs = 2 * kThreads * kCount;
  for (const std::string &path : {journal, database}) {
    SCOPED_TRACE(path);
    const Loaded l = load(path);
    EXPECT_EQ(l.report.malformed, 0u);
    EXPECT_EQ(l.id_count.size(), pairs);
    for (const auto &[id, n] : l.id_count) ASSERT_EQ(n, 1) << id;
    EXPECT_EQ(l.totals.model_calls, pairs);
    EXPECT_EQ(l.totals.input_tokens, static_cast<int64_t>(2 * kThreads * (kCount * (kCount + 1) / 2)));
    uint64_t records = 0;
    EXPECT_EQ(agm_store_count(&records, path.c_str()), AGM_OK);
    EXPECT_EQ(records, 2 * pairs + 2 * kThreads);  // and one session record per thread
  }
}

namespace {

// A store_child in "shared" mode: commands on its stdin, answers on its stdout.
struct SharedWriter {
  Child child;
  FILE *in = nullptr;
  long last = 0;  // the last record acknowledged (flushed with AGM_OK)

  SharedWriter(const std::string &journal, const std::string &name) {
    const char *exe = std::getenv("AGM_STORE_CHILD");
    EXPECT_NE(exe, nullptr) << "AGM_STORE_CHILD is not set";
    int to_child[2], from_child[2];
    EXPECT_EQ(::pipe(to_child), 0);
    EXPECT_EQ(::pipe(from_child), 0);
    child.pid = ::fork();
    if (child.pid == 0) {
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) ::close(fd);
      ::execl(exe, exe, "shared", journal.c_str(), name.c_str(), static_cast<char *>(nullptr));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in = ::fdopen(to_child[1], "w");
    child.out = ::fdopen(from_child[0], "r");
    char line[64] = "";
    EXPECT_TRUE(std::fgets(line, sizeof line, child.out) && std::string(line) == "open\n") << line;
  }
  // Records n more and flushes; the flush's status.
  int record(long n) {
    std::fprintf(in, "record %ld\n", n);
    std::fflush(in);
    char line[64] = "";
    long now = 0;
    int status = -1000;
    EXPECT_TRUE(std::fgets(line, sizeof line, child.out));
    EXPECT_EQ(std::sscanf(line, "flushed %ld %d", &now, &status), 2) << line;
    if (status == AGM_OK) last = now;
    return status;
  }
  int quit() {
    std::fputs("quit\n", in);
    std::fclose(in);
    return wait_exit(child);
  }
};

// The first `cut` bytes of a record's journal line, as a process killed in the middle of its
// write() leaves them: no newline.
std::string torn_line(size_t cut) {
  const std::string line =
      "{\"v\":1,\"kind\":\"invocation\",\"ts\":1763805600000000000,\"agent\":\"ghost\",\"timestamp\":"
      "\"2025-11-22T10:00:00.000Z\",\"invocation_id\":\"ghost-1\",\"phase\":1,\"tokens\":5}";
  return line.substr(0, std::min(cut, line.size()));
}

}  // namespace

TEST(Reliability, ATornLineLeftByAnotherProcessLosesNoAcknowledgedRecord) {
  TempDir dir;
  const std::string journal = dir / "shared.jsonl";
  SharedWriter b(journal, "b");  // has the file open before the tear
  ASSERT_EQ(b.record(3), AGM_OK);
  append_text(journal, torn_line(40));  // process A, killed in the middle of its write()
  ASSERT_EQ(b.record(10), AGM_OK);
  ASSERT_EQ(b.quit(), 0);

  const Loaded l = load(journal);
  ASSERT_EQ(l.ids.count("b"), 1u);
  EXPECT_EQ(l.ids.at("b"), (std::vector<long>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}));
  for (const auto &[id, n] : l.id_count) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(l.report.malformed, 1u);  // the torn bytes, and only them
  EXPECT_EQ(l.report.lines, l.report.records + l.report.malformed);
}

// The crash test of a shared journal: in every round, process A records into the journal that
// process B also writes, B records and flushes while A runs, A is killed with SIGKILL in the
// middle of its recording, a torn line is left (as a kill in the middle of a write() leaves
// it, at a different cut each round), and B records and flushes again. Every record either
// process had acknowledged loads exactly once. Handshakes over pipes, no sleeps.
TEST(Reliability, SharedJournalKillRoundsLoseNoAcknowledgedRecord) {
  TempDir dir;
  const std::string journal = dir / "shared.jsonl";
  constexpr int kRounds = 40;
  SharedWriter b(journal, "b");
  std::map<std::string, long> acked;  // A's round -> last record it flushed
  for (int round = 1; round <= kRounds; ++round) {
    Child a = spawn({"kill", journal, "-", std::to_string(round)});
    char line[64];
    long last = 0;
    ASSERT_TRUE(std::fgets(line, sizeof line, a.out)) << "round " << round;
    ASSERT_EQ(std::sscanf(line, "flushed %ld", &last), 1) << line;
    ASSERT_EQ(b.record(7), AGM_OK) << "round " << round;  // while A records
    // One more acknowledgement from A on even rounds.
    if (round % 2 == 0) {
      ASSERT_TRUE(std::fgets(line, sizeof line, a.out));
      ASSERT_EQ(std::sscanf(line, "flushed %ld", &last), 1) << line;
    }
    ::kill(a.pid, SIGKILL);
    EXPECT_EQ(wait_exit(a), 128 + SIGKILL);
    acked[std::to_string(round)] = last;
    append_text(journal, torn_line(static_cast<size_t>(round * 7 % 120 + 1)));
    ASSERT_EQ(b.record(5), AGM_OK) << "round " << round;
  }
  ASSERT_EQ(b.quit(), 0);

  const Loaded l = load(journal);
  uint64_t acknowledged = 0, lost = 0;
  for (const auto &[id, n] : l.id_count) EXPECT_EQ(n, 1) << id << " loaded " << n << " times";
  for (const auto &[round, last] : acked) {
    acknowledged += static_cast<uint64_t>(last);
    const auto it = l.ids.find(round);
    const std::vector<long> got = it == l.ids.end() ? std::vector<long>{} : it->second;
    // A's records reach the file in order: what survived is 1..n, n >= what it flushed.
    long contiguous = 0;
    while (contiguous < static_cast<long>(got.size()) &&
           got[static_cast<size_t>(contiguous)] == contiguous + 1)
      ++contiguous;
    EXPECT_EQ(contiguous, static_cast<long>(got.size())) << "round " << round;
    if (contiguous < last) lost += static_cast<uint64_t>(last - contiguous);
  }
  acknowledged += static_cast<uint64_t>(b.last);
  const auto bi = l.ids.find("b");
  const size_t b_loaded = bi == l.ids.end() ? 0 : bi->second.size();
  if (static_cast<long>(b_loaded) < b.last)
    lost += static_cast<uint64_t>(b.last - static_cast<long>(b_loaded));
  EXPECT_EQ(b.last, 12L * kRounds);
  EXPECT_EQ(b_loaded, static_cast<size_t>(b.last));
  EXPECT_EQ(lost, 0u);
  // The torn lines left (one per round), and at most one more per kill.
  EXPECT_GE(l.report.malformed, static_cast<uint64_t>(kRounds));
  EXPECT_LE(l.report.malformed, static_cast<uint64_t>(2 * kRounds));
  EXPECT_EQ(l.report.lines, l.report.records + l.report.malformed);
  std::printf("shared journal: %d kill rounds, %llu records acknowledged, %llu lost, %llu malformed lines\n",
              kRounds, static_cast<unsigned long long>(acknowledged), static_cast<unsigned long long>(lost),
              static_cast<unsigned long long>(l.report.malformed));
}

// The queue's bound (issue 14, item 2): a child whose database is locked by another
// connection records far more than its queue holds; the queue stays within its bound, the
// child is killed while stalled (kill rounds) or the lock is released (the last round), and
// every record flushed before the stall is stored exactly once, in order.
TEST(Reliability, AStalledStoreStaysWithinItsBoundAndLosesNothingAcknowledged) {
  TempDir dir;
  const std::string journal = dir / "stall.jsonl", database = dir / "stall.db";
  constexpr int kRounds = 4;  // the last one releases the lock
  constexpr uint64_t kBound = 256 * 1024;
  constexpr long kCount = 20000;  // ~8 MB of records: most are dropped
  uint64_t dropped_total = 0;
  for (int round = 1; round <= kRounds; ++round) {
    const bool release = round == kRounds;
    Child child = spawn({"stall", journal, database, std::to_string(round), std::to_string(kBound),
                         std::to_string(kCount), release ? "release" : "kill"});
    char line[160];
    ASSERT_NE(std::fgets(line, sizeof line, child.out), nullptr) << "round " << round;
    ASSERT_STREQ(line, "flushed 97\n");
    unsigned long long queued = 0, dropped = 0, bytes = 0;
    ASSERT_NE(std::fgets(line, sizeof line, child.out), nullptr) << "round " << round;
    ASSERT_EQ(std::sscanf(line, "stalled %llu %llu %llu", &queued, &dropped, &bytes), 3) << line;
    EXPECT_LE(bytes, kBound);
    EXPECT_GT(dropped, 0u);
    EXPECT_EQ(queued + dropped, 2u * kCount);  // each is queued or counted as dropped
    dropped_total += dropped;
    if (!release) {
      ::kill(child.pid, SIGKILL);
      EXPECT_EQ(wait_exit(child), 128 + SIGKILL);
      continue;
    }
    unsigned long long made = 0, written = 0, all_dropped = 0, failed = 0;
    ASSERT_NE(std::fgets(line, sizeof line, child.out), nullptr);
    ASSERT_EQ(std::sscanf(line, "done %llu %llu %llu %llu", &made, &written, &all_dropped, &failed), 4)
        << line;
    EXPECT_EQ(wait_exit(child), 0);
    EXPECT_EQ(all_dropped, dropped);
    EXPECT_EQ(failed, 0u);
    EXPECT_EQ(made, written + dropped);  // recorded = stored + dropped
  }
  std::printf("stall rounds %d (%d killed), bound %llu bytes, records dropped and reported %llu\n", kRounds,
              kRounds - 1, static_cast<unsigned long long>(kBound),
              static_cast<unsigned long long>(dropped_total));

  for (const std::string &path : {journal, database}) {
    SCOPED_TRACE(path);
    const Loaded l = load(path);
    EXPECT_EQ(l.report.malformed, 0u);
    for (const auto &[id, n] : l.id_count) EXPECT_EQ(n, 1) << id << " loaded " << n << " times";
    for (int round = 1; round <= kRounds; ++round) {
      const auto it = l.ids.find(std::to_string(round));
      ASSERT_NE(it, l.ids.end()) << "round " << round << " lost";
      const std::vector<long> &got = it->second;
      ASSERT_GE(got.size(), 97u) << "round " << round;
      for (size_t i = 0; i < 97; ++i) ASSERT_EQ(got[i], static_cast<long>(i + 1)) << "round " << round;
      // The killed rounds' database stops at the stall (the lock was never released).
      if (path == database && round < kRounds) {
        EXPECT_EQ(got.size(), 97u) << "round " << round;
      }
    }
  }
}
