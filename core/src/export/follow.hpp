// Following a store as it grows (agm_follow_*): journal files and folders by byte offset,
// databases by row id.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace agentmetrics {

class Follower {
 public:
  // NotFound if nothing is at `path`; Corrupt/Unsupported for an unreadable database.
  // from_start: the first poll returns what is already stored; else only what comes after.
  Follower(std::string path, bool from_start);

  // Journal bytes and database rows one poll reads at most (at least one line; a line longer
  // than kMaxLineBytes is skipped as malformed).
  static constexpr uint64_t kMaxPollBytes = 1u << 20;
  static constexpr int64_t kMaxPollRows = 20'000;

  // The records appended since the last poll, as JSON row lines, at most about kMaxPollBytes
  // of journal or kMaxPollRows rows (poll again to catch up); `count` their number.
  std::string poll(uint64_t &count);
  // Journal lines and database rows skipped as malformed by the polls so far.
  uint64_t malformed() const { return malformed_; }

 private:
  std::string poll_journal(const std::string &file, uint64_t &offset, uint64_t &budget, uint64_t &count);

  std::string path_;
  bool database_ = false;
  std::map<std::string, uint64_t> offsets_;  // journal file -> bytes consumed
  int64_t last_row_ = 0;                     // database: the last row id returned
  uint64_t malformed_ = 0;
};

}  // namespace agentmetrics
