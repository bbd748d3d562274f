// The JSONL journal: one record per line (schema in record.hpp), encoded by the writer thread
// and read back by loads and history queries, a file or a whole folder of files at a time.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "record.hpp"

namespace agentmetrics {

// Appends `r` to `out` as one journal line, '\n' included.
void encode_record(const RecordView &r, std::string &out);
// The same into `buffer`, which has room for encoded_size_bound(r) chars; returns the end.
char *encode_record(const RecordView &r, char *buffer);
size_t encoded_size_bound(const RecordView &r);

// Decodes journal lines. The RecordView it returns borrows from the decoder and the line: it
// is valid until the next decode.
class LineDecoder {
 public:
  // `line` excludes the '\n'; `capacity` is how many bytes from line.data() may be read
  // (at least line.size() + SIMDJSON_PADDING). Throws Corrupt with the reason for a line
  // that is not a record of a supported schema version.
  const RecordView &decode(std::string_view line, size_t capacity);

  // Decodes a seed 004 InvocationMetric object given by a caller (snake_case or the seed's
  // camelCase names, "timestamp" as ISO 8601). Throws InvalidArgument.
  const RecordView &decode_invocation(std::string_view json);

 private:
  void decode_document(simdjson::ondemand::document &doc, bool invocation_only);
  simdjson::ondemand::parser parser_;
  RecordView record_;
  std::string tags_;           // a session's tags, re-encoded
  std::string padded_;         // decode_invocation's copy of its input, padded
  const char *end_ = nullptr;  // the end of the text being decoded
};

struct JournalWarning {
  std::string file;
  uint64_t line = 0;  // 1-based
  std::string reason;
};

struct ReadReport {
  static constexpr size_t kMaxWarnings = 1000;  // the count goes on; the details stop here
  uint64_t files = 0, lines = 0, records = 0, skipped = 0, malformed = 0;
  uint64_t bytes = 0;  // of the lines read, newlines included (journals only)
  std::vector<JournalWarning> warnings;
  // Every line that failed, as JSON [{"file":…,"line":…,"reason":…}] (the first kMaxWarnings).
  std::string warnings_json() const;
};

// strerror(err) as a string.
std::string errno_text(int err);

// An open file descriptor, closed on destruction (a negative one holds nothing).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// True if `path` is a SQLite database (by its header), false for anything else that exists.
bool is_sqlite_file(const std::string &path);

// The journal files at `path`: the file itself, or a folder's "*.jsonl" files in name order
// (names start with their creation time). Throws NotFound, IoError.
std::vector<std::string> journal_files(const std::string &path);

// Reads a journal file, or every "*.jsonl" file of a folder in name order, and calls `fn` for
// each well-formed record after the first `skip` of them, stopping after `limit` (0: no
// limit). Malformed lines (a torn tail after a crash, garbage, an unknown schema version) are
// skipped and reported, never fatal. Throws NotFound for a missing path, IoError if a file
// cannot be read.
void read_journal(const std::string &path, uint64_t skip, uint64_t limit, ReadReport &report,
                  const std::function<void(const RecordView &)> &fn);

// Reads one journal file with up to `chunks` threads, each taking a run of whole lines (in
// file order: chunk 0 first); fn(k, record) is called from chunk k's thread only. As
// read_journal without skip or limit; warnings keep their file line numbers.
void read_journal_file_parallel(const std::string &file, size_t chunks, ReadReport &report,
                                const std::function<void(size_t chunk, const RecordView &)> &fn);

}  // namespace agentmetrics
