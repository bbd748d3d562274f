#include "writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <type_traits>

#include "errors.hpp"
#include "invocations.hpp"
#include "journal.hpp"
#include "sqlite_store.hpp"
#include "timefmt.hpp"

namespace agentmetrics {

namespace {

// The strings a record shares with others of its session and call site, borrowed into `v`.
void view_shared(const RecordLabels *labels, const CallNames *names, RecordView &v) {
  if (labels) {
    v.session = labels->session;
    v.agent = labels->agent;
    v.phase = labels->phase;
    v.task = labels->task;
    v.tags_json = labels->tags_json;
  }
  if (names) {
    v.model = names->model;
    v.provider = names->provider;
    v.source = names->source;
  }
}

}  // namespace

RecordView Record::view() const {
  RecordView v;
  static_cast<RecordNumbers &>(v) = fields;
  view_shared(labels, names, v);
  v.stop_reason = stop_reason;
  v.error_type = error_type;
  v.error_message = error_message;
  v.tool = tool;
  v.call_id = call_id;
  if (invocation) v.invocation = invocation->view();
  return v;
}

ModelCallParts ModelCallParts::of(const Record &record) {
  const RecordNumbers &f = record.fields;
  return ModelCallParts{f.ts,     f.turn,        record.labels,      record.names,
                        f.error,  f.duration_ns, f.attempt,          f.ttft_ns,
                        &f.usage, &f.cost,       record.stop_reason, record.error_type};
}

void ModelCallParts::fill(Record &record) const {
  RecordNumbers &f = record.fields;
  f.kind = RecordKind::kModelCall;
  f.ts = ts;
  f.turn = turn;
  f.error = error;
  f.duration_ns = duration_ns;
  f.attempt = attempt;
  f.ttft_ns = ttft_ns;
  f.usage = *usage;
  f.cost = *cost;
  record.labels = labels;
  record.names = names;
  record.stop_reason = stop_reason;
  record.error_type = error_type;
}

namespace {

// Records per queue block: few enough that a block stays in the caches between the
// recording thread that fills it and the writer that reads it.
constexpr size_t kBlock = 512;
// Records per write() and SQLite transaction: big enough to amortise the call, small enough
// that a huge backlog does not need one huge buffer.
constexpr size_t kSlice = 4096;
// Emptied blocks kept for reuse.
constexpr size_t kSpareBlocks = 8;
// How often the writer looks at the queue when nobody wakes it (see append_locked()).
constexpr std::chrono::milliseconds kPoll{10};

int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void make_parent_dirs(const std::filesystem::path &file) {
  const auto parent = file.parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw IoError("cannot create folder " + parent.string() + ": " + ec.message());
}

// "20261122T100000.123456789Z-4242-1a2b3c4d.jsonl": sorts by creation time, unique per process.
std::string own_file_name() {
  std::string stamp = format_iso_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }),
              stamp.end());
  char tail[48];
  std::snprintf(tail, sizeof tail, "-%ld-%08x.jsonl", static_cast<long>(::getpid()),
                static_cast<unsigned>(std::random_device{}()));
  return stamp + tail;
}

// A queued record, packed: the numbers its kind uses in three cache lines (the full Record is
// ten), its own strings in the block's text. The recording thread writes these lines and the
// writer reads them, so their count is most of what the store costs the recording thread.
// A record that does not fit (an invocation, a release, a cost item over 2^64 attodollars, a
// string over 4 GiB) is spilled: kept whole in the block, its slot only marks its place.
struct alignas(64) Packed {
  enum Flag : uint8_t {
    kError = 1,
    kDuration = 2,
    kTtft = 4,
    kPriced = 8,
    kInputBytes = 16,
    kOutputBytes = 32,
    kSpilled = 64,
  };
  static constexpr int kStrings = 5;  // stop_reason, error_type, error_message, tool, call_id

  RecordKind kind;
  uint8_t flags;
  uint32_t usage_present;
  uint32_t length[kStrings];
  int64_t ts;
  uint64_t turn;
  const RecordLabels *labels;
  const CallNames *names;
  int64_t duration_ns;
  struct ModelCall {
    int64_t attempt, ttft_ns;
    int64_t usage[kTokenKinds];
    uint64_t cost[kCostItems];  // the total is their sum
  };
  struct ToolCall {
    int64_t input_bytes, output_bytes;
  };
  struct Turn {
    int64_t tool_wall_ns, tool_work_ns;
    uint64_t model_calls, tool_calls;
    int64_t tokens;
    uint64_t cost_low, cost_high;
  };
  union {
    ModelCall model;
    ToolCall tool;
    Turn turn_end;
  };
};
static_assert(sizeof(Packed) == 192);
static_assert(std::is_trivially_destructible_v<Packed>);

std::string_view RecordView::*const kViewStrings[Packed::kStrings] = {
    &RecordView::stop_reason, &RecordView::error_type, &RecordView::error_message, &RecordView::tool,
    &RecordView::call_id};

// Sets the string lengths of `p` and appends the strings to `text`; false (nothing appended):
// one is too long.
bool put_strings(Packed &p, std::vector<char> &text, const std::string_view (&strings)[Packed::kStrings]) {
  size_t bytes = 0;
  for (int i = 0; i < Packed::kStrings; ++i) {
    if (strings[i].size() > UINT32_MAX) return false;
    p.length[i] = static_cast<uint32_t>(strings[i].size());
    bytes += strings[i].size();
  }
  if (bytes) {
    const size_t at = text.size();
    text.resize(at + bytes);
    char *out = text.data() + at;
    for (std::string_view str : strings) {
      if (str.empty()) continue;  // data() may be null
      std::memcpy(out, str.data(), str.size());
      out += str.size();
    }
  }
  return true;
}

// Packs the model call into `p` and appends its strings to `text`; false (nothing appended):
// it does not fit, spill it.
bool pack(const ModelCallParts &c, Packed &p, std::vector<char> &text) {
  const Cost &cost = *c.cost;
  u128 sum = 0;
  for (int i = 0; i < kCostItems; ++i) {
    if (cost.item[i] > UINT64_MAX) return false;
    p.model.cost[i] = static_cast<uint64_t>(cost.item[i]);
    sum += cost.item[i];
  }
  if (sum != cost.total) return false;
  p.kind = RecordKind::kModelCall;
  p.flags = (c.error ? Packed::kError : 0) | (c.duration_ns ? Packed::kDuration : 0) |
            (c.ttft_ns ? Packed::kTtft : 0) | (cost.priced ? Packed::kPriced : 0);
  p.ts = c.ts;
  p.turn = c.turn;
  p.labels = c.labels;
  p.names = c.names;
  p.duration_ns = c.duration_ns.value_or(0);
  p.model.attempt = c.attempt;
  p.model.ttft_ns = c.ttft_ns.value_or(0);
  p.usage_present = c.usage->present;
  std::memcpy(p.model.usage, c.usage->count, sizeof p.model.usage);
  return put_strings(p, text, {c.stop_reason, c.error_type, {}, {}, {}});
}

// The same for any record.
bool pack(const Record &r, Packed &p, std::vector<char> &text) {
  const RecordNumbers &f = r.fields;
  if (r.invocation || r.release) return false;
  if (f.kind == RecordKind::kModelCall) return pack(ModelCallParts::of(r), p, text);
  p.kind = f.kind;
  p.flags = (f.error ? Packed::kError : 0) | (f.duration_ns ? Packed::kDuration : 0);
  p.ts = f.ts;
  p.turn = f.turn;
  p.labels = r.labels;
  p.names = r.names;
  p.duration_ns = f.duration_ns.value_or(0);
  switch (f.kind) {
    case RecordKind::kToolCall:
      p.flags |= (f.input_bytes ? Packed::kInputBytes : 0) | (f.output_bytes ? Packed::kOutputBytes : 0);
      p.tool.input_bytes = f.input_bytes.value_or(0);
      p.tool.output_bytes = f.output_bytes.value_or(0);
      break;
    case RecordKind::kTurn:
      p.turn_end.tool_wall_ns = f.tool_wall_ns;
      p.turn_end.tool_work_ns = f.tool_work_ns;
      p.turn_end.model_calls = f.model_calls;
      p.turn_end.tool_calls = f.tool_calls;
      p.turn_end.tokens = f.turn_tokens;
      p.turn_end.cost_low = static_cast<uint64_t>(f.turn_cost);
      p.turn_end.cost_high = static_cast<uint64_t>(f.turn_cost >> 64);
      break;
    case RecordKind::kSession: break;
    default: return false;
  }
  return put_strings(p, text, {r.stop_reason, r.error_type, r.error_message, r.tool, r.call_id});
}

// The record `p` packed, its strings read from `text` (advanced past them).
void unpack(const Packed &p, const char *&text, RecordView &v) {
  v.kind = p.kind;
  v.ts = p.ts;
  v.turn = p.turn;
  v.error = p.flags & Packed::kError;
  if (p.flags & Packed::kDuration) v.duration_ns = p.duration_ns;
  switch (p.kind) {
    case RecordKind::kModelCall:
      v.attempt = p.model.attempt;
      if (p.flags & Packed::kTtft) v.ttft_ns = p.model.ttft_ns;
      v.usage.present = p.usage_present;
      std::memcpy(v.usage.count, p.model.usage, sizeof v.usage.count);
      v.cost.priced = p.flags & Packed::kPriced;
      for (int i = 0; i < kCostItems; ++i) {
        v.cost.item[i] = p.model.cost[i];
        v.cost.total += p.model.cost[i];
      }
      break;
    case RecordKind::kToolCall:
      if (p.flags & Packed::kInputBytes) v.input_bytes = p.tool.input_bytes;
      if (p.flags & Packed::kOutputBytes) v.output_bytes = p.tool.output_bytes;
      break;
    case RecordKind::kTurn:
      v.tool_wall_ns = p.turn_end.tool_wall_ns;
      v.tool_work_ns = p.turn_end.tool_work_ns;
      v.model_calls = p.turn_end.model_calls;
      v.tool_calls = p.turn_end.tool_calls;
      v.turn_tokens = p.turn_end.tokens;
      v.turn_cost = static_cast<u128>(p.turn_end.cost_high) << 64 | p.turn_end.cost_low;
      break;
    default: break;
  }
  view_shared(p.labels, p.names, v);
  for (int i = 0; i < Packed::kStrings; ++i) {
    v.*kViewStrings[i] = std::string_view(text, p.length[i]);
    text += p.length[i];
  }
}

// What a queued record takes from the queue's bound: its slot and its own strings; a record
// that will be spilled (an invocation) also its Record and what it owns. Shared strings
// (labels, call names) are the session's, not the queue's.
size_t queue_cost(const ModelCallParts &c) {
  return sizeof(Packed) + c.stop_reason.size() + c.error_type.size();
}
size_t queue_cost(const Record &r) {
  size_t cost = sizeof(Packed) + r.stop_reason.size() + r.error_type.size() + r.error_message.size() +
                r.tool.size() + r.call_id.size();
  if (const Invocation *i = r.invocation.get()) {  // spilled, with the Invocation it owns
    cost += sizeof(Record) + sizeof(Invocation) + i->invocation_id.size() + i->agent.size() +
            i->task_id.size() + i->model.size() + i->tier.size() + i->error_class.size();
  }
  return cost;
}

}  // namespace

ssize_t (*journal_write_for_tests)(int fd, const void *data, size_t size) = ::write;

struct Writer::Block {
  size_t size = 0;
  uint64_t bytes = 0;           // the queue_cost() of its records
  std::vector<char> text;       // the packed records' strings, one after another
  std::vector<Record> spilled;  // the records that did not pack, in order
  Packed slots[kBlock];
};

Writer::Writer(const StoreOptions &options)
    : policy_(options.policy),
      interval_ns_(options.interval_ns),
      max_queue_bytes_(options.max_queue_bytes),
      on_drop_(options.on_drop) {
  filling_ = std::make_unique_for_overwrite<Block>();
  if (!options.journal_file.empty() || !options.journal_dir.empty()) {
    int flags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC;  // read: the last byte, to detect a torn tail
    if (!options.journal_dir.empty()) {
      journal_path_ = (std::filesystem::path(options.journal_dir) / own_file_name()).string();
      flags |= O_EXCL;
    } else {
      journal_path_ = options.journal_file;
      shared_ = true;  // other processes may append to it too
    }
    make_parent_dirs(journal_path_);
    fd_ = ::open(journal_path_.c_str(), flags, 0644);
    if (fd_ < 0) throw IoError("cannot open journal " + journal_path_ + ": " + std::strerror(errno));
    struct stat st;
    char last = '\n';
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      torn_ = ::pread(fd_, &last, 1, st.st_size - 1) == 1 && last != '\n';
    }
  }
  if (!options.database.empty()) {
    database_path_ = options.database;
    try {
      make_parent_dirs(database_path_);
      db_ = std::make_unique<SqliteStore>(database_path_, false);
    } catch (...) {
      if (fd_ >= 0) ::close(fd_);
      throw;
    }
  }
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  try {
    close();
  } catch (...) {
    // Failures were counted in status(); a destructor cannot report them.
  }
  if (fd_ >= 0) ::close(fd_);
}

// The block the next record goes to, under the queue's lock; `wake` says whether the writer
// must be woken. It polls the queue every kPoll, so a recording thread wakes it (a system
// call) only for a full block, or for the first record under kEveryRecord, whose records must
// reach the disk at once.
Writer::Block &Writer::block_locked(bool &wake) {
  wake = policy_ == FlushPolicy::kEveryRecord && pending_.empty() && filling_->size == 0;
  if (filling_->size == kBlock) {
    pending_.push_back(std::move(filling_));
    filling_ = spare_block_locked();
    wake = true;
  }
  return *filling_;
}

namespace {

Record whole(const ModelCallParts &call) {
  Record record;
  call.fill(record);
  return record;
}
const Record &whole(const Record &record) {
  return record;
}

int64_t record_ts(const ModelCallParts &call) {
  return call.ts;
}
int64_t record_ts(const Record &record) {
  return record.fields.ts;
}

}  // namespace

void Writer::Drops::add(uint64_t n, int64_t first, int64_t last) {
  if (n == 0) return;
  if (records == 0) {
    from = first;
    to = last;
  } else {
    from = std::min(from, first);
    to = std::max(to, last);
  }
  records = records + n < records ? UINT64_MAX : records + n;
}

// A record that does not fit under the bound: counted (and remembered for the store's
// marker), and on_drop is due at the first of a run.
void Writer::drop_locked(int64_t ts) {
  ++dropped_;
  unmarked_.add(1, ts, ts);
  if (!dropping_) {
    dropping_ = true;
    if (on_drop_) warn_due_.store(true, std::memory_order_relaxed);
  }
}

template <class Source>
void Writer::push_packed(const Source &source) {
  const size_t cost = queue_cost(source);
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (stop_) {
      ++failed_;
      return;
    }
    // queued_bytes_ <= max_queue_bytes_, so this cannot overflow.
    if (cost > max_queue_bytes_ - queued_bytes_) {
      drop_locked(record_ts(source));
      return;
    }
    queued_bytes_ += cost;
    dropping_ = false;
    Block &block = block_locked(wake);
    block.bytes += cost;
    Packed &slot = block.slots[block.size];
    if (!pack(source, slot, block.text)) {
      block.spilled.push_back(whole(source));
      slot.flags = Packed::kSpilled;
    }
#ifndef NDEBUG
    else {  // the packed record reads back as the record
      const char *text = block.text.data() + block.text.size();
      for (uint32_t n : slot.length) text -= n;
      RecordView v;
      unpack(slot, text, v);
      std::string packed, expected;
      encode_record(v, packed);
      encode_record(whole(source).view(), expected);
      assert(packed == expected);
    }
#endif
    ++block.size;
    ++queued_;
  }
  if (wake) wake_.notify_one();
}

void Writer::push(const Record &record) {
  push_packed(record);
}

void Writer::push(const ModelCallParts &call) {
  push_packed(call);
}

void Writer::release(std::shared_ptr<const void> owned) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    Block &block = block_locked(wake);
    // Counted, though never dropped: it may take queued_bytes_ a little past the bound.
    constexpr size_t cost = sizeof(Packed) + sizeof(Record);
    queued_bytes_ += cost;
    block.bytes += cost;
    block.spilled.emplace_back().release = std::move(owned);
    block.slots[block.size++].flags = Packed::kSpilled;
  }
  if (wake) wake_.notify_one();
}

void Writer::throw_if_failed_locked() {
  // Records still queued because the database is locked (not an error counted once: a state).
  const uint64_t waiting = db_locked_ && queued_ > written_ + failed_ ? queued_ - written_ - failed_ : 0;
  if (write_errors_ == errors_reported_ && dropped_ == dropped_reported_ && waiting == 0) return;
  const uint64_t lost = failed_ - failed_reported_;
  const uint64_t dropped = dropped_ - dropped_reported_;
  const bool errors = write_errors_ != errors_reported_;
  errors_reported_ = write_errors_;
  failed_reported_ = failed_;
  dropped_reported_ = dropped_;
  std::string failure;
  if (errors) {
    failure = lost == 0   ? "the store failed: " + last_error_
              : lost == 1 ? "1 record was not stored: " + last_error_
                          : std::to_string(lost) + " records were not stored: " + last_error_;
  }
  if (waiting) {
    std::string locked = std::to_string(waiting) + (waiting == 1 ? " record" : " records") +
                         " not yet stored: " + locked_error_ +
                         " (they stay queued; the writer stores them once the database is free)";
    failure = failure.empty() ? locked : failure + "; " + locked;
  }
  if (dropped == 0) throw IoError(failure);
  std::string message = std::to_string(dropped) + (dropped == 1 ? " record was" : " records were") +
                        " dropped: the store's queue was full (max_queue_bytes " +
                        std::to_string(max_queue_bytes_) +
                        "; the store is slower than the recording, or stalled)";
  if (errors) message += "; " + failure;
  throw Dropped(message);
}

void Writer::flush() {
  std::unique_lock lock(mu_);
  if (closed_) {
    throw_if_failed_locked();
    return;
  }
  const uint64_t ticket = ++flush_requested_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= ticket; });
  throw_if_failed_locked();
}

void Writer::close() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  closed_ = true;
  throw_if_failed_locked();
}

StoreStatus Writer::status() const {
  std::lock_guard lock(mu_);
  return StoreStatus{queued_,  written_,      failed_,          write_errors_,
                     dropped_, queued_bytes_, max_queue_bytes_, last_error_};
}

void Writer::warn_dropped() {
  if (!warn_due_.load(std::memory_order_relaxed) || !warn_due_.exchange(false, std::memory_order_acq_rel))
    return;
  uint64_t dropped, bytes;
  {
    std::lock_guard lock(mu_);
    dropped = dropped_;
    bytes = queued_bytes_;
  }
  on_drop_(dropped, bytes);
}

void Writer::note_failure(uint64_t records, const std::string &error) {
  std::lock_guard lock(mu_);
  failed_ += records;
  ++write_errors_;
  last_error_ = error;
}

std::unique_ptr<Writer::Block> Writer::spare_block_locked() {
  if (spare_.empty()) return std::make_unique_for_overwrite<Block>();
  std::unique_ptr<Block> block = std::move(spare_.back());
  spare_.pop_back();
  return block;
}

void Writer::run() {
  std::vector<std::unique_ptr<Block>> batch;
  int64_t next_sync = 0;  // kInterval: when unsynced writes must be synced
  bool dirty = false;     // written since the last sync
  std::unique_lock lock(mu_);
  for (;;) {
    auto empty = [&] { return pending_.empty() && filling_->size == 0; };
    auto asked = [&] { return stop_ || flush_requested_ != flush_done_; };
    if (policy_ == FlushPolicy::kEveryRecord) {
      wake_.wait(lock, [&] { return !empty() || asked() || !held_.empty(); });
    } else {
      // Records gather for up to kPoll (or until a block is full): one write() and one
      // transaction per batch, and no system call on the recording threads.
      auto timeout = std::chrono::nanoseconds(kPoll);
      if (policy_ == FlushPolicy::kInterval && dirty) {
        timeout =
            std::min(timeout, std::chrono::nanoseconds(std::max<int64_t>(next_sync - monotonic_ns(), 0)));
      }
      wake_.wait_for(lock, timeout, [&] { return !pending_.empty() || asked(); });
    }
    batch.swap(pending_);
    if (filling_->size) {
      batch.push_back(std::move(filling_));
      filling_ = spare_block_locked();
    }
    const uint64_t target = flush_requested_;
    const bool stopping = stop_;
    const Drops drops = std::exchange(unmarked_, Drops{});
    lock.unlock();
    if (fd_ >= 0) journal_drops_.add(drops.records, drops.from, drops.to);
    if (db_) db_drops_.add(drops.records, drops.from, drops.to);
    // The records a locked database kept go first.
    if (!held_.empty()) {
      for (auto &block : batch) held_.push_back(std::move(block));
      batch.swap(held_);
      held_.clear();
    }
    const Cursor start = std::exchange(held_at_, Cursor{});
    // Closing after a round that found the database locked: one more try, without waiting.
    if (db_ && stopping && db_busy_) db_->set_busy_timeout(0);

    const int64_t now = monotonic_ns();
    const bool sync = policy_ == FlushPolicy::kEveryRecord || target != flush_done_ || stopping ||
                      (policy_ == FlushPolicy::kInterval && now >= next_sync && (dirty || !batch.empty()));
    db_busy_ = !batch.empty() && !write_blocks(batch, start, sync);
    if (db_busy_ && stopping) {
      // Closing: what the locked database still keeps is not stored; counted as failed.
      uint64_t records = 0;
      for (size_t b = 0; b < held_.size(); ++b) {
        const Block &block = *held_[b];
        size_t spilled = b == 0 ? held_at_.spilled : 0;
        for (size_t i = b == 0 ? held_at_.slot : 0; i < block.size; ++i) {
          const bool release = (block.slots[i].flags & Packed::kSpilled) && block.spilled[spilled++].release;
          if (!release) ++records;
        }
      }
      note_failure(records, busy_error_);
      for (auto &block : held_) batch.push_back(std::move(block));
      held_.clear();
      held_at_ = Cursor{};
    }
    if (journal_drops_.records || db_drops_.records) write_markers(sync);
    dirty = (dirty || !batch.empty()) && !sync;
    if (sync && batch.empty()) {  // a barrier with nothing new still makes earlier writes durable
      try {
        sync_journal();
        if (db_) db_->sync();
      } catch (const Error &e) {
        note_failure(0, e.what());
      }
    }
    if (sync || !dirty) next_sync = now + interval_ns_;
    uint64_t freed = 0;
    for (auto &block : batch) {  // frees the spilled records outside the lock
      if (!block) continue;      // held: still queued
      freed += block->bytes;
      block->bytes = 0;
      block->size = 0;
      block->text.clear();
      block->spilled.clear();
    }

    lock.lock();
    // Emptied blocks keep their capacity for the next records: a few, not a backlog's worth.
    for (auto &block : batch) {
      if (block && spare_.size() < kSpareBlocks) spare_.push_back(std::move(block));
    }
    batch.clear();
    queued_bytes_ -= freed;
    db_locked_ = !held_.empty();
    if (db_locked_) locked_error_ = busy_error_;
    // A locked database: every flush waiting now returns, reporting the records not yet
    // stored, rather than wait another busy timeout.
    flush_done_ = db_locked_ ? flush_requested_ : target;
    if (stopping && empty() && held_.empty()) {
      flush_done_ = UINT64_MAX;  // a flush() that comes too late has nothing left to wait for
      flushed_.notify_all();
      return;
    }
    flushed_.notify_all();
  }
}

// Writes the records of `blocks`, from `start` in the first, in slices of up to kSlice;
// `sync`: the last slice is synced. False: the database was locked (a slice waited its busy
// timeout in vain); the blocks from that slice's first record on are moved to held_ (their
// place in `blocks` left empty), held_at_ says where in the first of them, and the rest of the
// records are not tried: one busy wait per round, not one per slice.
bool Writer::write_blocks(std::vector<std::unique_ptr<Block>> &blocks, Cursor start, bool sync) {
  views_.clear();
  size_t first_block = 0;  // where the slice being gathered starts
  Cursor first;
  auto hold = [&] {
    for (size_t b = first_block; b < blocks.size(); ++b) held_.push_back(std::move(blocks[b]));
    held_at_ = first;
    views_.clear();
    return false;
  };
  for (size_t b = 0; b < blocks.size(); ++b) {
    Block &block = *blocks[b];
    const Cursor from = b == 0 ? start : Cursor{};
    const char *text = block.text.data() + from.text;
    size_t spilled = from.spilled;
    for (size_t i = from.slot; i < block.size; ++i) {
      if (views_.empty()) {
        first_block = b;
        first = Cursor{i, static_cast<size_t>(text - block.text.data()), spilled};
      }
      const Packed &slot = block.slots[i];
      if (slot.flags & Packed::kSpilled) {
        const Record &record = block.spilled[spilled++];
        if (!record.release) views_.push_back(record.view());
      } else {
        unpack(slot, text, views_.emplace_back());
      }
      if (views_.size() == kSlice) {
        if (!write_slice(false)) return hold();
        views_.clear();
      }
    }
  }
  if (!write_slice(sync)) return hold();
  return true;
}

// Writes views_ to the database and the journal; `sync`: and syncs them. A record counts as
// stored once it is in every store: after a short write, the whole lines that reached the
// journal are stored and only the rest is counted as failed. The database goes first: false
// (nothing written anywhere, busy_error_ set) when it stayed locked for its busy timeout.
bool Writer::write_slice(bool sync) {
  const std::vector<RecordView> &views = views_;
  std::string db_error;  // the records are not in the database: failed
  if (db_ && views.empty() && sync) {
    try {
      db_->sync();  // earlier slices' commits
    } catch (const Error &e) {
      note_failure(0, e.what());
    }
  } else if (db_ && !views.empty()) {
    std::vector<const RecordView *> pointers;
    pointers.reserve(views.size());
    for (const auto &v : views) pointers.push_back(&v);
    try {
      db_->insert(pointers.data(), pointers.size(), sync);
    } catch (const DatabaseBusy &e) {
      busy_error_ = e.what();
      return false;
    } catch (const Error &e) {
      db_error = e.what();
    }
  }
  uint64_t stored = db_error.empty() ? views.size() : 0;
  if (fd_ >= 0 && (!views.empty() || sync)) {
    size_t bound = 1;
    for (const auto &v : views) bound += encoded_size_bound(v);
    if (encoded_.size() < bound) encoded_.resize(bound);
    if (shared_ && !torn_ && !views.empty()) torn_ = !ends_with_newline();
    char *end = encoded_.data();
    const bool fresh_line = torn_ && !views.empty();
    if (fresh_line) *end++ = '\n';
    uint64_t lines = 0, too_long = 0;
    for (const auto &v : views) {
      char *start = end;
      end = encode_record(v, end);
      if (static_cast<size_t>(end - start) > kMaxLineBytes + 1) {
        // Readers would skip it: not written, counted as failed. A guard: the API's limits
        // (labels, tags, messages) keep every record it takes well under the line limit.
        end = start;
        ++too_long;
      } else {
        ++lines;
      }
    }
    const std::string_view bytes(encoded_.data(), static_cast<size_t>(end - encoded_.data()));
    std::string error;
    const size_t done = write_journal(bytes, error);
    if (!error.empty()) {
      // The whole lines before the cut are in the file (the prefixed '\n' is not a line).
      const auto newlines = static_cast<uint64_t>(std::count(bytes.begin(), bytes.begin() + done, '\n'));
      lines = newlines - (fresh_line && done > 0 ? 1 : 0);
    }
    if (sync && (lines > 0 || error.empty())) {  // a barrier with nothing new syncs too
      try {
        sync_journal();
      } catch (const IoError &e) {
        lines = 0;
        error = e.what();
      }
    }
    if (!db_error.empty()) {
      if (!error.empty()) note_failure(0, error);  // every record is counted below
    } else {
      if (too_long) {
        note_failure(too_long, "cannot write journal " + journal_path_ +
                                   ": a record's line would be longer than " + std::to_string(kMaxLineBytes) +
                                   " bytes (the journal's line limit)");
      }
      if (!error.empty()) note_failure(views.size() - too_long - lines, error);
      stored = lines;
    }
  }
  if (!db_error.empty()) note_failure(views.size(), db_error);
  std::lock_guard lock(mu_);
  written_ += stored;
  return true;
}

// Appends a "dropped" marker for the records dropped and not yet marked, to each store that
// has some; `sync`: and syncs it. A marker that does not reach a store stays due there (later
// drops add to it) and is tried again after the next batch.
void Writer::write_markers(bool sync) {
  auto marker = [](const Drops &d) {
    RecordView v;
    v.kind = RecordKind::kDropped;
    v.ts = d.from;
    v.last_ts = d.to;
    v.dropped_records = d.records;
    return v;
  };
  if (fd_ >= 0 && journal_drops_.records) {
    std::string line;
    if (shared_ && !torn_) torn_ = !ends_with_newline();
    if (torn_) line += '\n';
    encode_record(marker(journal_drops_), line);
    std::string error;
    if (write_journal(line, error) == line.size()) {
      journal_drops_ = Drops{};  // written: a failed sync must not write it twice
      if (sync) {
        try {
          sync_journal();
        } catch (const IoError &e) {
          error = e.what();
        }
      }
    }
    if (!error.empty()) note_failure(0, error);
  }
  if (db_ && db_drops_.records && !db_busy_) {  // a locked database: in a later round
    const RecordView v = marker(db_drops_);
    const RecordView *pointer = &v;
    try {
      db_->insert(&pointer, 1, sync);
      db_drops_ = Drops{};
    } catch (const DatabaseBusy &) {
      // Locked again: the marker waits for a later round, like the records.
    } catch (const Error &e) {
      note_failure(0, e.what());
    }
  }
}

// Whether the journal ends in a newline (or is empty), by its last byte. The file is shared
// with other processes, and one of them may have left a torn line (SIGKILLed in the middle of
// its write(), or out of space): appending right after it would merge our first line into
// it. O_APPEND gives no atomic "append after a newline", so this look is racy: a process may
// still tear a line between the look and our write(). Readers cover that window (decode_line
// re-synchronises at the start of a record inside a malformed line, so the record after the
// torn bytes still loads); the look keeps the common case clean: a batch after a torn tail
// starts on a fresh line. It costs two system calls per batch (up to kSlice records), only for
// a file given by path (a file of our own in a folder is written by us alone). Always
// prefixing a batch with '\n' would need no look, but leaves a blank line before every batch.
bool Writer::ends_with_newline() const {
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size <= 0) return true;
  char last = '\n';
  for (;;) {
    const ssize_t n = ::pread(fd_, &last, 1, size - 1);
    if (n < 0 && errno == EINTR) continue;
    return n != 1 || last == '\n';  // unreadable: as before, trust our own writes
  }
}

// Writes `bytes`; returns how many reached the file, with `error` set if not all of them did.
size_t Writer::write_journal(std::string_view bytes, std::string &error) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = journal_write_for_tests(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Part of the slice may be on disk, its last line cut: start the next write on a new line.
      torn_ = torn_ || done > 0;
      error = "cannot write journal " + journal_path_ + ": " + std::strerror(errno);
      return done;
    }
    done += static_cast<size_t>(n);
    if (done < bytes.size() && bytes[done - 1] != '\n') {
      // A short write cut a line (a disk filling up): writing the rest now could put it after
      // another process's lines, where it would be a fragment of nothing. The lines before the
      // cut are stored; the rest fail, and the next write starts on a fresh line.
      torn_ = true;
      error = "cannot write journal " + journal_path_ + ": a short write cut a line (" +
              std::to_string(done) + " of " + std::to_string(bytes.size()) +
              " bytes written; is the disk full?)";
      return done;
    }
  }
  if (!bytes.empty()) torn_ = false;  // every write ends with a whole line
  return done;
}

void Writer::sync_journal() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0 && errno != EINVAL) {
    throw IoError("cannot sync journal " + journal_path_ + ": " + std::strerror(errno));
  }
}

}  // namespace agentmetrics
