// agm_recorder_load: the records of a journal (file or folder) or database added to a
// recorder's totals and invocations, without storing them again. The only engine file
// that reads stores (stored.hpp) and folds stored records (fold.hpp).
#include <algorithm>
#include <thread>

#include "abi_values.hpp"
#include "engine.hpp"
#include "fold.hpp"
#include "stored.hpp"

namespace agentmetrics {

namespace {

// Aggregates of loaded records, shaped like the recorder's: kept apart while reading so the
// recorder's lock is taken once, at the end. Records usually repeat the labels of the one
// before, so each dimension remembers its last group.
class LoadedTotals {
 public:
  void add(const RecordView &r) {
    const Folded f(r);
    switch (r.kind) {
      case RecordKind::kModelCall:
        add_to(kByModel, r.model, f);
        add_to(kByProvider, r.provider, f);
        add_to(kBySource, r.source, f);
        break;
      case RecordKind::kToolCall: add_to(kByTool, r.tool, f); break;
      case RecordKind::kTurn: break;
      case RecordKind::kSession:
      case RecordKind::kDropped: return;  // readers count markers apart (ReadReport)
      case RecordKind::kInvocation: invocations.emplace_back(r.invocation); return;
    }
    add_to(kByAgent, r.agent, f);
    add_to(kByPhase, r.phase, f);
    add_to(kByTask, r.task, f);
    add_to(kBySession, r.session, f);
    f.add_to(total);
  }

  // Adds `other`, whose records come after this one's.
  void merge(LoadedTotals &&other) {
    total.merge(other.total);
    for (int d = 0; d < kDimensions; ++d) merge_groups(dims[d], std::move(other.dims[d]));
    invocations.insert(invocations.end(), std::make_move_iterator(other.invocations.begin()),
                       std::make_move_iterator(other.invocations.end()));
  }

  static void merge_groups(GroupMap &into, GroupMap &&from) {
    for (auto &[key, group] : from) {
      if (into.size() < kMaxGroupKeys && !into.contains(key)) {
        into.emplace(key, std::move(group));
      } else {
        merge_capped(into, key, group);
      }
    }
  }

  Group total;
  GroupMap dims[kDimensions];
  std::vector<Invocation> invocations;

 private:
  void add_to(Dimension d, std::string_view key, const Folded &f) {
    if (!last_[d] || last_key_[d] != key) {
      auto it = dims[d].find(key);
      if (it == dims[d].end()) {
        // Past AGM_MAX_GROUP_KEYS keys, a hostile store's names fold into AGM_OTHER_KEY.
        const bool fold = dims[d].size() >= kMaxGroupKeys;
        it = dims[d].try_emplace(fold ? std::string(kOtherKey) : std::string(key)).first;
        if (fold) {
          if (f.call()) ++it->second.totals.folded_calls;
          f.add_to(it->second);
          last_[d] = nullptr;  // the next record looks its key up again
          return;
        }
      }
      last_[d] = &it->second;
      last_key_[d] = it->first;
    }
    f.add_to(*last_[d]);
  }
  Group *last_[kDimensions] = {};
  std::string_view last_key_[kDimensions];  // views of the map's keys, which never move
};

}  // namespace

void RecorderState::load(const std::string &path, uint64_t skip, uint64_t limit, ReadReport &report) {
  LoadedTotals loaded;
  if (skip == 0 && limit == 0 && !is_sqlite_file(path)) {
    // Everything from a journal: parsing is most of the work, so each file is split between
    // threads, one per core.
    const size_t threads = std::max(1u, std::thread::hardware_concurrency());
    for (const std::string &file : journal_files(path)) {
      std::vector<LoadedTotals> parts(threads);
      read_journal_file_parallel(file, threads, report,
                                 [&](size_t k, const RecordView &r) { parts[k].add(r); });
      for (auto &part : parts) loaded.merge(std::move(part));
    }
  } else {
    for_each_stored(path, ScanFilter{}, skip, limit, report, [&](const RecordView &r) { loaded.add(r); });
  }
  {
    std::lock_guard lock(mu_);
    retired_total_.merge(loaded.total);
    for (int d = 0; d < kDimensions; ++d) LoadedTotals::merge_groups(retired_[d], std::move(loaded.dims[d]));
  }
  std::lock_guard lock(invocations_mu_);
  invocations_.insert(invocations_.end(), std::make_move_iterator(loaded.invocations.begin()),
                      std::make_move_iterator(loaded.invocations.end()));
}

}  // namespace agentmetrics
