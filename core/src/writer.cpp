#include "writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include "errors.hpp"
#include "invocations.hpp"
#include "journal.hpp"
#include "sqlite_store.hpp"
#include "timefmt.hpp"

namespace agentmetrics {

RecordView Record::view() const {
  RecordView v;
  static_cast<RecordNumbers &>(v) = fields;
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
  v.stop_reason = stop_reason;
  v.error_type = error_type;
  v.error_message = error_message;
  v.tool = tool;
  v.call_id = call_id;
  if (invocation) v.invocation = invocation->view();
  return v;
}

namespace {

// Records per queue block, write() and SQLite transaction: big enough to amortise the call,
// small enough that a huge backlog does not need one huge buffer.
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

}  // namespace

Writer::Writer(const StoreOptions &options) : policy_(options.policy), interval_ns_(options.interval_ns) {
  filling_.reserve(kSlice);
  if (!options.journal_file.empty() || !options.journal_dir.empty()) {
    int flags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC;  // read: the last byte, to detect a torn tail
    if (!options.journal_dir.empty()) {
      journal_path_ = (std::filesystem::path(options.journal_dir) / own_file_name()).string();
      flags |= O_EXCL;
    } else {
      journal_path_ = options.journal_file;
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

void Writer::push(Record &&record) {
  enqueue(std::move(record), true);
}

void Writer::release(std::shared_ptr<const void> owned) {
  Record record;
  record.release = std::move(owned);
  enqueue(std::move(record), false);
}

// A new record at the end of the queue, whose lock the caller holds; `wake` says whether the
// writer must be woken. It polls the queue every kPoll, so a recording thread wakes it (a
// system call) only for a full block, or for the first record under kEveryRecord, whose
// records must reach the disk at once.
Record *Writer::append_locked(bool &wake) {
  wake = policy_ == FlushPolicy::kEveryRecord && pending_.empty() && filling_.empty();
  if (filling_.size() == kSlice) {
    pending_.push_back(std::move(filling_));
    filling_ = spare_block_locked();
    wake = true;
  }
  return &filling_.emplace_back();
}

void Writer::enqueue(Record &&record, bool counted) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (stop_) {
      if (counted) ++failed_;
      return;
    }
    *append_locked(wake) = std::move(record);
    if (counted) ++queued_;
  }
  if (wake) wake_.notify_one();
}

Writer::Reservation Writer::reserve() {
  Reservation r;
  r.lock_ = std::unique_lock(mu_);
  if (stop_) {
    ++failed_;
    r.lock_.unlock();
    return r;
  }
  r.writer_ = this;
  r.record_ = append_locked(r.wake_);
  return r;
}

Writer::Reservation::~Reservation() {
  if (!record_) return;
  if (committed_) {
    ++writer_->queued_;
  } else {
    record_->discard = true;
  }
  lock_.unlock();
  if (wake_) writer_->wake_.notify_one();
}

void Writer::throw_if_failed_locked() {
  if (write_errors_ == errors_reported_) return;
  const uint64_t lost = failed_ - failed_reported_;
  errors_reported_ = write_errors_;
  failed_reported_ = failed_;
  throw IoError(lost == 0   ? "the store failed: " + last_error_
                : lost == 1 ? "1 record was not stored: " + last_error_
                            : std::to_string(lost) + " records were not stored: " + last_error_);
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
  return StoreStatus{queued_, written_, failed_, write_errors_, last_error_};
}

void Writer::note_failure(uint64_t records, const std::string &error) {
  std::lock_guard lock(mu_);
  failed_ += records;
  ++write_errors_;
  last_error_ = error;
}

std::vector<Record> Writer::spare_block_locked() {
  std::vector<Record> block;
  if (!spare_.empty()) {
    block = std::move(spare_.back());
    spare_.pop_back();
  } else {
    block.reserve(kSlice);
  }
  return block;
}

void Writer::run() {
  std::vector<std::vector<Record>> batch;
  int64_t next_sync = 0;  // kInterval: when unsynced writes must be synced
  bool dirty = false;     // written since the last sync
  std::unique_lock lock(mu_);
  for (;;) {
    auto empty = [&] { return pending_.empty() && filling_.empty(); };
    auto asked = [&] { return stop_ || flush_requested_ != flush_done_; };
    if (policy_ == FlushPolicy::kEveryRecord) {
      wake_.wait(lock, [&] { return !empty() || asked(); });
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
    if (!filling_.empty()) {
      batch.push_back(std::move(filling_));
      filling_ = spare_block_locked();
    }
    const uint64_t target = flush_requested_;
    const bool stopping = stop_;
    lock.unlock();

    const int64_t now = monotonic_ns();
    const bool sync = policy_ == FlushPolicy::kEveryRecord || target != flush_done_ || stopping ||
                      (policy_ == FlushPolicy::kInterval && now >= next_sync && (dirty || !batch.empty()));
    for (size_t i = 0; i < batch.size(); ++i) {
      write_slice(batch[i].data(), batch[i].size(), sync && i + 1 == batch.size());
    }
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
    for (auto &block : batch) block.clear();  // frees the records' strings outside the lock

    lock.lock();
    // Emptied blocks keep their capacity for the next records: a few, not a backlog's worth.
    for (auto &block : batch) {
      if (spare_.size() < kSpareBlocks) spare_.push_back(std::move(block));
    }
    batch.clear();
    flush_done_ = target;
    if (stopping && empty()) {
      flush_done_ = UINT64_MAX;  // a flush() that comes too late has nothing left to wait for
      flushed_.notify_all();
      return;
    }
    flushed_.notify_all();
  }
}

void Writer::write_slice(const Record *records, size_t count, bool sync) {
  std::vector<RecordView> views;
  views.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (!records[i].release && !records[i].discard) views.push_back(records[i].view());
  }
  uint64_t stored = views.size();
  if (fd_ >= 0 && (!views.empty() || sync)) {
    size_t bound = 1;
    for (const auto &v : views) bound += encoded_size_bound(v);
    if (encoded_.size() < bound) encoded_.resize(bound);
    char *end = encoded_.data();
    if (torn_ && !views.empty()) *end++ = '\n';
    for (const auto &v : views) end = encode_record(v, end);
    try {
      write_journal(std::string_view(encoded_.data(), static_cast<size_t>(end - encoded_.data())));
      if (sync) sync_journal();
    } catch (const IoError &e) {
      note_failure(views.size(), e.what());
      stored = 0;
    }
  }
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
    } catch (const Error &e) {
      if (stored) note_failure(views.size(), e.what());
      stored = 0;
    }
  }
  std::lock_guard lock(mu_);
  written_ += stored;
}

void Writer::write_journal(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Part of the slice may be on disk, its last line cut: start the next write on a new line.
      torn_ = torn_ || done > 0;
      throw IoError("cannot write journal " + journal_path_ + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  torn_ = false;
}

void Writer::sync_journal() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0 && errno != EINVAL) {
    throw IoError("cannot sync journal " + journal_path_ + ": " + std::strerror(errno));
  }
}

}  // namespace agentmetrics
