// The store writer: recording threads hand records to a queue and never wait for disk; one
// thread per open store drains it into the journal and/or the SQLite database.
//
// Journal: each write() carries whole lines only, to a file opened with O_APPEND, so several
// processes may append to one file without interleaving lines (Linux serialises appends to a
// regular file). A batch written after a torn line (a crash or a full disk, ours or another
// process's) starts with a newline, so the torn fragment never swallows a good record (see
// Writer::ends_with_newline for the race, which readers cover). A record whose line would be
// longer than kMaxLineBytes is not written and is counted as failed.
//
// Records dropped at the queue's bound are remembered in the store: once the writer writes
// again, it appends a "dropped" marker (record.hpp) with their count and time range, to the
// journal and to the database, so that later readers report them. Markers are written by the
// writer thread itself, never queued, so never dropped; one that cannot be written is kept
// (and merged with later drops) until it can.
//
// A database locked by another connection: each write waits up to its busy timeout
// (sqlite_busy_timeout_ms) once, not once per slice. The records it could not store stay
// queued, in order (nothing of them is written to the journal either: the database is written
// first), and the writer tries again on its next round; a flush or close waiting meanwhile
// returns then, reporting them ("N records not yet stored: ... database is locked"). Close
// tries once more without waiting and counts what is still not stored as failed.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "record.hpp"

namespace agentmetrics {

class SqliteStore;

// The write() the journal writer calls: a seam for tests of short writes (not thread-safe to
// change while a writer runs).
extern ssize_t (*journal_write_for_tests)(int fd, const void *data, size_t size);

enum class FlushPolicy { kNone = 0, kInterval = 1, kEveryRecord = 2 };

struct StoreOptions {
  std::string journal_file;  // append to this file
  std::string journal_dir;   // or create a file of our own in this folder
  std::string database;      // SQLite
  FlushPolicy policy = FlushPolicy::kNone;
  int64_t interval_ns = 1'000'000'000;
  // The queue's bound: records that would take it past this many bytes are dropped (counted,
  // reported by status(), on_drop and the next flush()). See kDefaultQueueBytes.
  uint64_t max_queue_bytes = kDefaultQueueBytes;
  // Called (see Writer::warn_dropped) when a drop follows a record that was queued: once per
  // overflow, with the total dropped so far and the bytes queued.
  std::function<void(uint64_t dropped, uint64_t queued_bytes)> on_drop;

  // 64 MiB: about 280,000 queued records of ~240 bytes (a model call packs into 192 bytes plus
  // its own strings), a stall of ~30 s at 10,000 records/s, hours at an agent's usual rate,
  // while a process whose disk or database stalls stays far from being OOM-killed.
  static constexpr uint64_t kDefaultQueueBytes = uint64_t{64} << 20;
};

struct StoreStatus {
  uint64_t queued = 0, written = 0, failed = 0, write_errors = 0;
  uint64_t dropped = 0;       // records not queued: the queue was at its bound
  uint64_t queued_bytes = 0;  // what the records queued and not yet written take
  uint64_t max_queue_bytes = 0;
  std::string last_error;
};

class Writer {
 public:
  // Opens the journal and the database (creating missing folders) and starts the thread.
  // Throws IoError, Corrupt or Unsupported with the path in the message.
  explicit Writer(const StoreOptions &options);
  ~Writer();
  Writer(const Writer &) = delete;
  Writer &operator=(const Writer &) = delete;

  // Never blocks on disk: takes the queue's lock only to copy the record into it, packed.
  // A record that would take the queue past its bound is dropped and counted instead.
  void push(const Record &record);
  void push(const ModelCallParts &call);  // the same, without building a Record
  // Queues a record that stores nothing and owns `owned` (see Record::release). Never
  // dropped: the records before it borrow what it owns.
  void release(std::shared_ptr<const void> owned);
  // Durability barrier: returns once every record pushed before the call is written and
  // synced (fdatasync; a synchronous=FULL commit). Dropped records are not waited for. Throws
  // Dropped if records were dropped since the previous flush(), else IoError if any failed to
  // be stored (the message counts them and gives the last error) or if the database is locked
  // (returning after about one busy timeout: the records not yet stored stay queued).
  void flush();
  // Drains the queue, syncs and stops the thread; later pushes are counted as failed.
  // Throws like flush(). Idempotent.
  void close();

  StoreStatus status() const;
  // True when a drop is waiting to be reported to on_drop: cheap, for every record call.
  bool drop_warning_due() const { return warn_due_.load(std::memory_order_relaxed); }
  // Calls on_drop if a drop is waiting to be reported (once per report). Call it with no lock
  // of the library held: the callback may call the library.
  void warn_dropped();
  const std::string &journal_path() const { return journal_path_; }  // the file written, or ""
  const std::string &database_path() const { return database_path_; }

 private:
  struct Block;  // writer.cpp
  // Records dropped and not yet marked in a store: how many, and their earliest and latest ts.
  struct Drops {
    uint64_t records = 0;
    int64_t from = 0, to = 0;
    void add(uint64_t n, int64_t first, int64_t last);
  };
  void run();
  std::unique_ptr<Block> spare_block_locked();
  Block &block_locked(bool &wake);
  template <class Source>
  void push_packed(const Source &source);
  // Where to resume in a block: its next slot, and how far its text and spilled records are read.
  struct Cursor {
    size_t slot = 0, text = 0, spilled = 0;
  };
  void drop_locked(int64_t ts);
  void write_markers(bool sync);
  bool write_blocks(std::vector<std::unique_ptr<Block>> &blocks, Cursor start, bool sync);
  bool write_slice(bool sync);
  size_t write_journal(std::string_view bytes, std::string &error);
  bool ends_with_newline() const;
  void sync_journal();
  void note_failure(uint64_t records, const std::string &error);
  void throw_if_failed_locked();

  const FlushPolicy policy_;
  const int64_t interval_ns_;
  const uint64_t max_queue_bytes_;
  const std::function<void(uint64_t, uint64_t)> on_drop_;
  std::string journal_path_, database_path_;
  int fd_ = -1;
  bool torn_ = false;               // the journal may not end in a newline
  bool shared_ = false;             // the journal is a file other processes may append to
  Drops journal_drops_, db_drops_;  // not yet marked in the journal, the database (writer thread)
  // Records the locked database kept from being stored: these blocks, from held_at_ in the
  // first, go first in the next round (writer thread).
  std::vector<std::unique_ptr<Block>> held_;
  Cursor held_at_;
  bool db_busy_ = false;           // the last round found the database locked (writer thread)
  std::string busy_error_;         // why (writer thread)
  std::vector<char> encoded_;      // the journal lines of a slice (writer thread only)
  std::vector<RecordView> views_;  // the records of a slice (writer thread only)
  std::unique_ptr<SqliteStore> db_;

  // What the recording threads touch for every record, from a cache line of its own (not
  // shared with the writer thread's members above).
  alignas(64) mutable std::mutex mu_;
  std::condition_variable wake_, flushed_;
  // The queue: blocks of packed records (writer.cpp), allocated once and reused, so that
  // pushing never moves the records already queued.
  std::vector<std::unique_ptr<Block>> pending_;  // full blocks, oldest first
  std::unique_ptr<Block> filling_;               // the block records go to now
  std::vector<std::unique_ptr<Block>> spare_;    // emptied blocks for reuse
  uint64_t flush_requested_ = 0, flush_done_ = 0;
  bool stop_ = false, closed_ = false;
  uint64_t queued_ = 0, written_ = 0, failed_ = 0, write_errors_ = 0;
  uint64_t queued_bytes_ = 0;  // of the records in pending_, filling_ and the writer's batch
  uint64_t dropped_ = 0;
  Drops unmarked_;            // dropped since the writer last took them
  bool db_locked_ = false;    // the writer's last round found the database locked
  std::string locked_error_;  // and why
  bool dropping_ = false;     // the last record pushed was dropped
  std::atomic<bool> warn_due_{false};
  uint64_t failed_reported_ = 0, errors_reported_ = 0,
           dropped_reported_ = 0;  // as of the last flush() or close()
  std::string last_error_;
  std::thread thread_;
};

}  // namespace agentmetrics
