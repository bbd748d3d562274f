#include "file_out.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.hpp"

namespace agentmetrics {

namespace {

// The folder of `path` ("." for a bare name), for syncing the rename.
std::string folder_of(const std::string &path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

FileOut::FileOut(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw InvalidArgument("path is empty");
  temp_ = path_ + ".tmp-XXXXXX";
  fd_ = ::mkostemp(temp_.data(), O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    temp_.clear();
    throw IoError("cannot create " + path_ + ": " + std::strerror(err));
  }
  // mkstemp makes 0600; the result should look like any file the user creates.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
}

FileOut::~FileOut() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

void FileOut::fail(int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
  throw IoError("cannot write " + path_ + ": " + std::strerror(err));
}

void FileOut::write(std::string_view data) {
  if (fd_ < 0) throw IoError("cannot write " + path_ + ": already closed");
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno);
    }
    if (n == 0) fail(EIO);
    data.remove_prefix(static_cast<size_t>(n));
    bytes_ += static_cast<uint64_t>(n);
  }
}

void FileOut::commit() {
  if (fd_ < 0) throw IoError("cannot write " + path_ + ": already closed");
  if (::fsync(fd_) != 0) fail(errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail(errno);
  temp_.clear();
  // The rename itself survives a crash once the folder is synced (best effort: some file
  // systems refuse to sync a folder, and the file is complete either way).
  const int dir = ::open(folder_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace agentmetrics
