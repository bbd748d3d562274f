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
    db.scan_after(last_row_, kMaxPollRows, [&](int64_t id, const RecordView &r) {
      last_row_ = id;
      append_row_json(out, r);
      out += '\n';
      ++count;
    });
    return out;
  }
  uint64_t budget = kMaxPollBytes;
  for (const auto &file : journal_files(path_)) {
    if (budget == 0) break;  // the rest waits for the next poll
    out += poll_journal(file, offsets_[file], budget, count);
  }
  return out;
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
  std::vector<char> buf;
  size_t filled = 0, want = static_cast<size_t>(std::min(size - offset, budget));
  for (;;) {
    buf.resize(want + simdjson::SIMDJSON_PADDING);
    while (filled < want) {
      const ssize_t n =
          ::pread(fd.get(), buf.data() + filled, want - filled, static_cast<off_t>(offset + filled));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw IoError("cannot read journal " + file + ": " + errno_text(errno));
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    // A line longer than the budget is read whole rather than never.
    if (filled < want || std::memchr(buf.data(), '\n', filled) || want == size - offset) break;
    want = static_cast<size_t>(std::min<uint64_t>(size - offset, uint64_t{want} * 2));
  }
  LineDecoder decoder;
  size_t pos = 0;
  while (const void *nl = std::memchr(buf.data() + pos, '\n', filled - pos)) {
    const size_t len = static_cast<size_t>(static_cast<const char *>(nl) - (buf.data() + pos));
    const std::string_view line(buf.data() + pos, len);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      try {
        append_row_json(out, decoder.decode(line, buf.size() - pos));
        out += '\n';
        ++count;
      } catch (const Corrupt &) {
        ++malformed_;  // skipped, as every reader of journals does, and counted
      }
    }
    pos += len + 1;
  }
  offset += pos;  // a line still being written waits for its newline
  budget -= std::min<uint64_t>(budget, pos);
  return out;
}

}  // namespace agentmetrics
