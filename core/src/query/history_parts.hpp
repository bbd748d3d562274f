// Building blocks the history queries, the HTML report and the export share: maps keyed by
// stored strings, the cost ranking, bounded top-N lists and the rows of the slow and errors
// queries.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "abi_values.hpp"
#include "aggregate.hpp"
#include "record.hpp"

namespace agentmetrics {

template <class T>
using KeyMap = std::map<std::string, T, std::less<>>;

// The entry for `key`, created on first use; looking up an existing key allocates nothing.
template <class T>
T &slot(KeyMap<T> &m, std::string_view key) {
  auto it = m.find(key);
  if (it == m.end()) it = m.emplace(std::string(key), T{}).first;
  return it->second;
}

// As slot(), for maps keyed by stored strings that a hostile store could make huge: once `m`
// has AGM_MAX_GROUP_KEYS keys, a new key's entry is the AGM_OTHER_KEY one, and `folded` is set.
template <class T>
T &capped_slot(KeyMap<T> &m, std::string_view key, bool &folded) {
  auto it = m.find(key);
  if (it == m.end()) {
    if (m.size() >= kMaxGroupKeys) {
      folded = true;
      key = kOtherKey;
      it = m.find(key);
      if (it != m.end()) return it->second;
    }
    it = m.emplace(std::string(key), T{}).first;
  }
  return it->second;
}

// Priced before unpriced, then the higher cost; false for equal costs (the caller breaks ties).
inline bool costlier(const Totals &a, const Totals &b) {
  if ((a.priced_calls > 0) != (b.priced_calls > 0)) return a.priced_calls > 0;
  return a.cost_total > b.cost_total;
}

// The first `limit` of `v` under `before` (a strict total order), sorted.
template <class T, class Before>
void keep_first(std::vector<T> &v, size_t limit, Before before) {
  if (v.size() > limit) {
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(limit), v.end(), before);
    v.resize(limit);
  } else {
    std::sort(v.begin(), v.end(), before);
  }
}

// A failing call's text (error_text in aggregate.hpp).
inline std::string_view error_text(const RecordView &r) {
  return error_text(r.error_message, r.error_type);
}

// The name a call is listed under: its model or its tool (turns have none).
inline std::string_view call_name(const RecordView &r) {
  return r.kind == RecordKind::kModelCall ? r.model : r.tool;
}

// The `limit` items ranking first (smallest rank()), in memory bounded by `limit`; a candidate
// is copied into an owning T (own()) only when it makes the cut.
template <class T>
class TopK {
 public:
  explicit TopK(size_t limit) : limit_(limit) {}
  template <class View>
  void offer(const View &v) {
    if (heap_.size() == limit_) {
      if (!(v.rank() < heap_.front().rank())) return;
      std::pop_heap(heap_.begin(), heap_.end(), before);  // the last-ranked item moves to the back
      heap_.back() = own(v);
    } else {
      heap_.push_back(own(v));
    }
    std::push_heap(heap_.begin(), heap_.end(), before);
  }
  std::vector<T> sorted() const {
    std::vector<T> v = heap_;
    std::sort(v.begin(), v.end(), before);
    return v;
  }

 private:
  static bool before(const T &a, const T &b) { return a.rank() < b.rank(); }
  size_t limit_;
  std::vector<T> heap_;  // max-heap under before(): front() ranks last
};

// A row of the slowest operations (model calls, tool calls, turns).
template <class S>
struct SlowOp {
  int64_t duration_ns, ts;
  RecordKind kind;
  uint64_t turn;
  S name, session;
  // Slowest first; ties: earlier first, then every other field.
  auto rank() const {
    return std::tuple(-duration_ns, ts, kind, std::string_view(name), turn, std::string_view(session));
  }
};
inline SlowOp<std::string> own(const SlowOp<std::string_view> &v) {
  return {v.duration_ns, v.ts, v.kind, v.turn, std::string(v.name), std::string(v.session)};
}

// A row of the most recent errors.
template <class S>
struct ErrorEntry {
  int64_t ts;
  RecordKind kind;
  S name, error_type, message, session;
  // Newest first (~ts reverses the order without overflow), then every other field.
  auto rank() const {
    return std::tuple(~ts, kind, std::string_view(name), std::string_view(message),
                      std::string_view(error_type), std::string_view(session));
  }
};
inline ErrorEntry<std::string> own(const ErrorEntry<std::string_view> &v) {
  return {v.ts,
          v.kind,
          std::string(v.name),
          std::string(v.error_type),
          std::string(v.message),
          std::string(v.session)};
}

}  // namespace agentmetrics
