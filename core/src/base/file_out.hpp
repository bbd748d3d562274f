// A file written whole or not at all: the data goes to a temporary file beside the target
// (same folder, so the rename stays on one file system), which is synced and renamed over the
// target on commit(). Until then readers see the old file or none; a failure or a destructor
// without commit() removes the temporary, so nothing half-written is ever left.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace agentmetrics {

class FileOut {
 public:
  // Creates the temporary (mode 0666 & ~umask, as any file the user creates). IoError naming
  // `path` when it cannot be created (no such folder, permission, a read-only file system).
  explicit FileOut(std::string path);
  FileOut(const FileOut &) = delete;
  FileOut &operator=(const FileOut &) = delete;
  ~FileOut();

  // Appends `data`; IoError naming the target on failure (disk full, I/O error).
  void write(std::string_view data);
  // fsync, close and rename over the target, then sync its folder; IoError on failure (the
  // temporary is removed and the target left as it was).
  void commit();
  uint64_t bytes() const { return bytes_; }

 private:
  [[noreturn]] void fail(int err);
  std::string path_, temp_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
};

}  // namespace agentmetrics
