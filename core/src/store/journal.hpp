// The JSONL journal: one record per line (schema in record.hpp), encoded by the writer thread
// and read back by loads and history queries, a file or a whole folder of files at a time.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
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

 private:
  void decode_document(simdjson::ondemand::document &doc);
  simdjson::ondemand::parser parser_;
  RecordView record_;
  std::string tags_;           // a session's tags, re-encoded
  const char *end_ = nullptr;  // the end of the text being decoded
};

// The longest journal line read, newline excluded (AGM_JOURNAL_MAX_LINE). A longer line is
// skipped and counted as malformed, streaming: a reader's memory stays O(kMaxLineBytes). The
// writer never writes one (a record that would make one fails to be stored, counted).
inline constexpr size_t kMaxLineBytes = size_t{1} << 20;

// What every reader of journals (and of databases) counts, with one definition:
// - a line: a journal line that is not blank, or a database row; a torn fragment followed on
//   the same line by a record (another process appended to a line cut by a crash) counts as
//   two lines, the fragment and the record;
// - a record: a line that decodes (loaded, or skipped by `skip`);
// - malformed: any other line (garbage, a torn fragment, an unknown schema version, a line
//   longer than kMaxLineBytes, a database row that cannot be loaded).
// So lines = records + skipped + malformed when nothing is filtered out.
// A writer's "dropped" marker (records its queue had no room for) is none of these: it is
// counted apart, in `dropped` (the records it names) and `dropped_markers`, whatever a
// command's filter, so every command reports the same figure for one store.
struct JournalWarning {
  std::string file;
  uint64_t line = 0;  // 1-based line of the file; for a database, the row id
  std::string reason;
};

struct ReadReport {
  static constexpr size_t kMaxWarnings = 1000;  // the count goes on; the details stop here
  uint64_t files = 0, lines = 0, records = 0, skipped = 0, malformed = 0;
  uint64_t bytes = 0;     // of the lines read, newlines included (journals only)
  uint64_t numbered = 0;  // physical lines of the files read, blank ones included (numbering)
  uint64_t dropped = 0, dropped_markers = 0;  // records named by "dropped" markers, and markers
  int64_t dropped_from = 0, dropped_to = 0;   // the earliest and latest ts of those records
  std::vector<JournalWarning> warnings;
  // Counts a "dropped" marker (a record of kind kDropped).
  void add_dropped(const RecordView &marker);
  // Adds the dropped figures of `other`.
  void merge_dropped(const ReadReport &other);
  // Counts a malformed line and keeps its warning (the first kMaxWarnings).
  void add_malformed(const std::string &file, uint64_t line, std::string reason);
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

// Splits an open journal file into lines, streaming through a buffer that never grows beyond
// about kMaxLineBytes + 4 MiB: the one line splitter of every reader of journals (loads,
// history queries, reports, exports, follow).
class LineReader {
 public:
  struct Line {
    std::string_view text;  // without its '\n'; empty when too_long
    size_t capacity = 0;    // bytes readable from text.data(): >= text.size() + SIMDJSON_PADDING
    uint64_t number = 0;    // 1-based, counted from `begin`
    uint64_t offset = 0;    // of its first byte in the file
    uint64_t bytes = 0;     // in the file, '\n' included
    bool complete = true;   // ended by a '\n' (false: the file's last line, unterminated)
    bool too_long = false;  // longer than kMaxLineBytes: skipped without being kept
  };

  // The lines that start in [begin, end) of `fd`. tail: also the last line when it has no
  // '\n' (a record cut short by a crash, or one whose '\n' is not written yet); else it is
  // left for a later read. `path` is for error messages.
  LineReader(const std::string &path, int fd, uint64_t begin, uint64_t end, bool tail);
  // The next line, or false at the end. Throws IoError.
  bool next(Line &line);
  // The read buffer's size (for tests of the memory bound).
  size_t buffer_capacity() const { return buf_.size(); }

 private:
  bool fill();

  const std::string &path_;
  int fd_;
  uint64_t end_;
  bool tail_;
  std::vector<char> buf_;
  size_t pos_ = 0, filled_ = 0;
  uint64_t base_;  // file offset of buf_[0]
  uint64_t number_ = 0;
  bool eof_ = false;
};

// Decodes one line the way every reader of journals does. A blank line holds nothing. A line
// that does not decode is re-synchronised: if a record's start ("{\"v\":" and a digit, which
// the writer puts only at the start of a line: strings are escaped and tag values are strings)
// occurs after its first byte and the rest from there decodes, the bytes before it are a torn
// fragment, judged by their content (a record, or malformed), and the rest is a record.
// on_record(const RecordView &) for each record, on_malformed(std::string reason) for each
// malformed part, in file order.
template <class OnRecord, class OnMalformed>
void decode_line(LineDecoder &decoder, const LineReader::Line &line, OnRecord &&on_record,
                 OnMalformed &&on_malformed);

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

// ---------------------------------------------------------------------------------------------

// Where a record starts inside `text` after its first byte (the last such place), or npos.
size_t resync_point(std::string_view text);

template <class OnRecord, class OnMalformed>
void decode_line(LineDecoder &decoder, const LineReader::Line &line, OnRecord &&on_record,
                 OnMalformed &&on_malformed) {
  if (line.too_long) {
    on_malformed("longer than " + std::to_string(kMaxLineBytes) + " bytes (" + std::to_string(line.bytes) +
                 ")");
    return;
  }
  const std::string_view text = line.text;
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank: nothing lost
  const RecordView *r = nullptr;
  std::string reason;
  try {
    r = &decoder.decode(text, line.capacity);
  } catch (const Corrupt &e) {
    reason = e.what();
  }
  if (r) {
    on_record(*r);
    return;
  }
  const size_t at = resync_point(text);
  if (at != std::string_view::npos) {
    try {
      decoder.decode(text.substr(at), line.capacity - at);  // the rest is a record?
    } catch (const Corrupt &) {
      on_malformed(std::move(reason));
      return;
    }
    try {
      r = &decoder.decode(text.substr(0, at), line.capacity);  // bytes after `at` pad it
    } catch (const Corrupt &e) {
      on_malformed(std::string("torn (") + e.what() + "), followed by a record on the same line");
    }
    if (r) on_record(*r);
    on_record(decoder.decode(text.substr(at), line.capacity - at));
    return;
  }
  on_malformed(std::move(reason));
}

}  // namespace agentmetrics
