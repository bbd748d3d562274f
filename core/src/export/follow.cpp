#include "follow.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "errors.hpp"
#include "export.hpp"
#include "journal.hpp"
#include "sqlite_store.hpp"
#include "strings.hpp"

namespace agentmetrics {

namespace {

uint64_t file_size(const std::string &file) {
  struct stat st;
  return ::stat(file.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

Follower::Follower(std::string path, bool from_start) : path_(std::move(path)) {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) throw NotFound("no journal or database at " + path_);
  database_ = is_sqlite_file(path_);
  if (database_) {
    const SqliteStore db(path_, true);
    if (!from_start) last_row_ = db.last_id();
  } else if (!from_start) {
    for (const auto &file : journal_files(path_)) offsets_[file] = file_size(file);
  }
}

std::string Follower::poll(uint64_t &count) {
  count = 0;
  std::string out;
  if (database_) {
    if (!is_sqlite_file(path_)) throw NotFound("the database " + path_ + " is gone");
    const SqliteStore db(path_, true);
    // Rows that cannot be loaded are passed over and counted, as a load counts them; a poll
    // that found only such rows reads on, so that no record count of 0 hides later rows.
    for (;;) {
      db.scan_after(last_row_, kMaxPollRows, [&](int64_t, const RecordView &r) {
        if (r.kind == RecordKind::kDropped) return;  // a writer's marker, not a record
        append_row_json(out, r);
        out += '\n';
        ++count;
      });
      malformed_ += db.skipped_rows();
      const bool moved = db.last_read_id() > last_row_;
      if (moved) last_row_ = db.last_read_id();
      if (count > 0 || !moved) return out;
    }
  }
  for (;;) {
    uint64_t budget = kMaxPollBytes;
    for (const auto &file : journal_files(path_)) {
      if (budget == 0) break;  // the rest waits for the next poll
      out += poll_journal(file, offsets_[file], budget, count);
    }
    // Only malformed lines in a full budget: read on (they cost no memory), as above.
    if (count > 0 || budget > 0) return out;
  }
}

// The complete lines of `file` after `offset` (about `budget` bytes of them, at least one line),
// which moves past them; `budget` shrinks by what was read.
std::string Follower::poll_journal(const std::string &file, uint64_t &offset, uint64_t &budget,
                                   uint64_t &count) {
  const uint64_t size = file_size(file);
  if (size < offset) offset = 0;  // replaced or truncated: a journal is never rewritten in place
  std::string out;
  if (size == offset) return out;
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw IoError("cannot open journal " + file + ": " + errno_text(errno));
  // Complete lines only: a line still being written waits for its newline.
  LineReader lines(file, fd.get(), offset, UINT64_MAX, false);
  LineReader::Line line;
  LineDecoder decoder;
  uint64_t read = 0;
  while (read < budget && lines.next(line)) {
    decode_line(
        decoder, line,
        [&](const RecordView &r) {
          if (r.kind == RecordKind::kDropped) return;  // a writer's marker, not a record
          append_row_json(out, r);
          out += '\n';
          ++count;
        },
        [&](const std::string &) { ++malformed_; });  // skipped, as every reader of journals does
    read += line.bytes;
    offset = line.offset + line.bytes;
  }
  budget -= std::min<uint64_t>(budget, read);
  return out;
}

}  // namespace agentmetrics
