/* A recording process for the reliability tests (tests/cpp/test_reliability.cpp).
 *
 *   store_child kill JOURNAL DATABASE ROUND
 *     Records forever: for each i = 1, 2, ... an invocation "ROUND-i" and a model call in
 *     session "round-ROUND"; after every 97 records it flushes and prints "flushed i" on
 *     stdout, so the parent knows which records are durable before it kills the process.
 *   store_child burst JOURNAL DATABASE NAME THREADS COUNT
 *     THREADS threads each record COUNT invocations "NAME-t-i" and COUNT model calls (input
 *     tokens = i) into a session of their own, then flush and exit 0.
 *   store_child shared JOURNAL NAME
 *     Opens JOURNAL (a file other processes append to as well), prints "open", then obeys
 *     commands on stdin: "record N" records N invocations "NAME-i" (i counting on from the
 *     previous command), flushes, and prints "flushed LAST STATUS" (STATUS 0: AGM_OK, the
 *     records are acknowledged); "quit" exits 0.
 *   store_child stall JOURNAL DATABASE ROUND MAX_QUEUE_BYTES COUNT kill|release
 *     With a queue bound of MAX_QUEUE_BYTES: records 97 records as kill does, flushes and
 *     prints "flushed 97"; then holds DATABASE's write lock from a second connection (as
 *     another process would) and records COUNT more, checking after each that the queue stays
 *     within its bound; prints "stalled QUEUED DROPPED QUEUED_BYTES" (records queued and
 *     dropped since the flush). kill: then waits to be killed. release: releases the lock,
 *     flushes (which must report the drops) and prints "done MADE WRITTEN DROPPED FAILED" (the
 *     store's records since it opened), then exits 0.
 * JOURNAL or DATABASE may be "-" for none. Exit status 1 on any unexpected error.
 */
#define _POSIX_C_SOURCE 200809L
#include <agentmetrics/metrics_c.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static agm_recorder *open_bounded(const char *journal, const char *database, uint64_t max_queue_bytes) {
  agm_recorder *rec = NULL;
  agm_store_options options = AGM_STORE_OPTIONS_INIT;
  if (agm_recorder_new(&rec, NULL) != AGM_OK) return NULL;
  options.journal = strcmp(journal, "-") ? journal : NULL;
  options.database = strcmp(database, "-") ? database : NULL;
  options.max_queue_bytes = max_queue_bytes;
  if (agm_recorder_open_store(rec, &options) != AGM_OK) {
    fprintf(stderr, "open_store: %s\n", agm_last_error_message());
    agm_recorder_free(rec);
    return NULL;
  }
  return rec;
}

static agm_recorder *open_recorder(const char *journal, const char *database) {
  return open_bounded(journal, database, 0);
}

static int record_one(agm_recorder *rec, agm_session *session, const char *id, long i) {
  agm_invocation inv = AGM_INVOCATION_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_usage usage = AGM_USAGE_INIT;
  inv.invocation_id = id;
  inv.agent = "child";
  inv.phase = 1;
  inv.duration_ns = 1000000;
  inv.tokens = i;
  inv.flags = AGM_INVOCATION_F_SUCCESS;
  inv.present = AGM_INVOCATION_HAS_START;
  inv.start_wall_ns = 1763805600000000000LL + i;
  call.model = "gpt-4o";
  usage.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  usage.input_tokens = i;
  usage.output_tokens = 1;
  call.usage = &usage;
  call.present = AGM_CALL_HAS_DURATION;
  call.duration_ns = 1000;
  if (agm_recorder_record_invocation(rec, &inv) != AGM_OK ||
      AGM_FAILED(agm_session_record_model_call(session, &call))) {
    fprintf(stderr, "record: %s\n", agm_last_error_message());
    return 1;
  }
  return 0;
}

static agm_session *new_session(agm_recorder *rec, const char *id) {
  agm_session *session = NULL;
  agm_session_options options = AGM_SESSION_OPTIONS_INIT;
  options.session_id = id;
  options.agent = "child";
  if (agm_session_new(&session, rec, &options) != AGM_OK) return NULL;
  return session;
}

/* The session "round-ROUND" of kill and stall mode, and stdout unbuffered: the parent reads
 * each progress line as it is printed. */
static agm_session *round_session(agm_recorder *rec, const char *round) {
  char session_id[64];
  snprintf(session_id, sizeof session_id, "round-%s", round);
  setvbuf(stdout, NULL, _IONBF, 0);
  return new_session(rec, session_id);
}

static int kill_mode(const char *journal, const char *database, const char *round) {
  char id[64];
  long i;
  agm_recorder *rec = open_recorder(journal, database);
  agm_session *session;
  if (!rec) return 1;
  session = round_session(rec, round);
  if (!session) return 1;
  for (i = 1;; ++i) {
    snprintf(id, sizeof id, "%s-%ld", round, i);
    if (record_one(rec, session, id, i)) return 1;
    if (i % 97 == 0) {
      if (agm_recorder_flush(rec) != AGM_OK) {
        fprintf(stderr, "flush: %s\n", agm_last_error_message());
        return 1;
      }
      printf("flushed %ld\n", i);
    }
  }
}

struct burst {
  agm_recorder *rec;
  const char *name;
  int thread;
  long count;
  int failed;
};

static void *burst_thread(void *arg) {
  struct burst *b = arg;
  char id[96];
  long i;
  agm_session *session;
  snprintf(id, sizeof id, "%s-t%d", b->name, b->thread);
  session = new_session(b->rec, id);
  if (!session) {
    b->failed = 1;
    return NULL;
  }
  for (i = 1; i <= b->count && !b->failed; ++i) {
    snprintf(id, sizeof id, "%s-%d-%ld", b->name, b->thread, i);
    b->failed = record_one(b->rec, session, id, i);
  }
  agm_session_free(session);
  return NULL;
}

static int burst_mode(const char *journal, const char *database, const char *name, int threads, long count) {
  pthread_t ids[64];
  struct burst bursts[64];
  int t, failed = 0;
  agm_recorder *rec = open_recorder(journal, database);
  if (!rec || threads < 1 || threads > 64) return 1;
  for (t = 0; t < threads; ++t) {
    bursts[t].rec = rec;
    bursts[t].name = name;
    bursts[t].thread = t;
    bursts[t].count = count;
    bursts[t].failed = 0;
    pthread_create(&ids[t], NULL, burst_thread, &bursts[t]);
  }
  for (t = 0; t < threads; ++t) {
    pthread_join(ids[t], NULL);
    failed |= bursts[t].failed;
  }
  if (agm_recorder_flush(rec) != AGM_OK) {
    fprintf(stderr, "flush: %s\n", agm_last_error_message());
    failed = 1;
  }
  agm_recorder_free(rec);
  return failed;
}

static int shared_mode(const char *journal, const char *name) {
  char command[64], id[96];
  long i = 0, n, k;
  agm_recorder *rec = open_recorder(journal, "-");
  agm_session *session;
  if (!rec) return 1;
  session = new_session(rec, name);
  if (!session) return 1;
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("open\n");
  while (fgets(command, sizeof command, stdin)) {
    if (strncmp(command, "quit", 4) == 0) break;
    if (sscanf(command, "record %ld", &n) != 1) return 1;
    for (k = 0; k < n; ++k) {
      ++i;
      snprintf(id, sizeof id, "%s-%ld", name, i);
      if (record_one(rec, session, id, i)) return 1;
    }
    printf("flushed %ld %d\n", i, (int)agm_recorder_flush(rec));
  }
  agm_session_free(session);
  agm_recorder_free(rec);
  return 0;
}

static int store_status(agm_recorder *rec, agm_store_status *status) {
  agm_store_status init = AGM_STORE_STATUS_INIT;
  *status = init;
  if (agm_recorder_store_status(status, rec, NULL) != AGM_OK) {
    fprintf(stderr, "store_status: %s\n", agm_last_error_message());
    return 1;
  }
  return 0;
}

static int stall_mode(const char *journal, const char *database, const char *round, uint64_t max_queue_bytes,
                      long count, int release) {
  char id[64];
  long i;
  agm_status status;
  agm_store_status before, st;
  sqlite3 *lock = NULL;
  agm_recorder *rec = open_bounded(journal, database, max_queue_bytes);
  agm_session *session;
  if (!rec) return 1;
  session = round_session(rec, round);
  if (!session) return 1;
  for (i = 1; i <= 97; ++i) {
    snprintf(id, sizeof id, "%s-%ld", round, i);
    if (record_one(rec, session, id, i)) return 1;
  }
  if (agm_recorder_flush(rec) != AGM_OK) {
    fprintf(stderr, "flush: %s\n", agm_last_error_message());
    return 1;
  }
  printf("flushed 97\n");
  if (store_status(rec, &before)) return 1;
  if (sqlite3_open(database, &lock) != SQLITE_OK ||
      sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "lock: %s\n", sqlite3_errmsg(lock));
    return 1;
  }
  for (i = 98; i < 98 + count; ++i) {
    snprintf(id, sizeof id, "%s-%ld", round, i);
    if (record_one(rec, session, id, i) || store_status(rec, &st)) return 1;
    if (st.queued_bytes > st.max_queue_bytes || st.max_queue_bytes != max_queue_bytes) {
      fprintf(stderr, "queue over its bound: %llu > %llu\n", (unsigned long long)st.queued_bytes,
              (unsigned long long)st.max_queue_bytes);
      return 1;
    }
  }
  printf("stalled %llu %llu %llu\n", (unsigned long long)(st.queued - before.queued),
         (unsigned long long)(st.dropped - before.dropped), (unsigned long long)st.queued_bytes);
  if (!release) {
    for (;;) pause();
  }
  sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(lock);
  status = agm_recorder_flush(rec);
  if (status != (st.dropped ? AGM_E_DROPPED : AGM_OK)) {
    fprintf(stderr, "flush: %s %s\n", agm_status_name(status), agm_last_error_message());
    return 1;
  }
  agm_session_free(session); /* its release record, not a record of the store */
  if (agm_recorder_flush(rec) != AGM_OK || store_status(rec, &st)) return 1;
  /* made: the session record, then an invocation and a model call per record */
  printf("done %ld %llu %llu %llu\n", 1 + 2 * (97 + count), (unsigned long long)st.written,
         (unsigned long long)st.dropped, (unsigned long long)st.failed);
  agm_recorder_free(rec);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "shared") == 0) return shared_mode(argv[2], argv[3]);
  if (argc == 5 && strcmp(argv[1], "kill") == 0) return kill_mode(argv[2], argv[3], argv[4]);
  if (argc == 7 && strcmp(argv[1], "burst") == 0) {
    return burst_mode(argv[2], argv[3], argv[4], atoi(argv[5]), atol(argv[6]));
  }
  if (argc == 8 && strcmp(argv[1], "stall") == 0) {
    return stall_mode(argv[2], argv[3], argv[4], strtoull(argv[5], NULL, 10), atol(argv[6]),
                      strcmp(argv[7], "release") == 0);
  }
  fprintf(stderr,
          "usage: store_child kill JOURNAL DATABASE ROUND | burst JOURNAL DATABASE NAME THREADS COUNT"
          " | shared JOURNAL NAME | stall JOURNAL DATABASE ROUND MAX_QUEUE_BYTES COUNT kill|release\n");
  return 2;
}
