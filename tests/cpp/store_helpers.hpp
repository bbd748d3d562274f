// Shared by the persistence tests: temporary folders and small owners over the public C ABI.
#pragma once
#include <agentmetrics/metrics_c.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace store_test {

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agm-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string &name) const { return path_ + "/" + name; }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

constexpr int64_t kWall0 = 1763805600000000000;  // 2025-11-22T10:00:00Z

// A clock the test moves: both the monotonic and the wall clock advance with it.
struct FakeClock {
  int64_t now = 0;
};
inline int64_t mono(void *payload) {
  return static_cast<FakeClock *>(payload)->now;
}
inline int64_t wall(void *payload) {
  return kWall0 + static_cast<FakeClock *>(payload)->now;
}

inline agm_recorder_options clock_options(FakeClock &clock) {
  agm_recorder_options o = AGM_RECORDER_OPTIONS_INIT;
  o.monotonic_ns = mono;
  o.wall_ns = wall;
  o.clock_payload = &clock;
  return o;
}

struct RecorderDeleter {
  void operator()(agm_recorder *r) const { agm_recorder_free(r); }
};
using Recorder = std::unique_ptr<agm_recorder, RecorderDeleter>;

inline Recorder new_recorder(const agm_recorder_options *options = nullptr) {
  agm_recorder *r = nullptr;
  EXPECT_EQ(agm_recorder_new(&r, options), AGM_OK) << agm_last_error_message();
  return Recorder(r);
}

struct SessionDeleter {
  void operator()(agm_session *s) const { agm_session_free(s); }
};
using Session = std::unique_ptr<agm_session, SessionDeleter>;

// A string result; `take` runs an agm_* call that fills it.
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { agm_buffer_free(&buf_); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  agm_buffer *get() { return &buf_; }
  std::string str() const { return buf_.data ? std::string(buf_.data, buf_.size) : std::string(); }

 private:
  agm_buffer buf_{nullptr, 0, nullptr};
};

inline void append_text(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

inline std::string read_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace store_test
