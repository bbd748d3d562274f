// A session's labels and lifecycle: its labels as records carry them, its registration with
// the recorder, its session record, and at the end its open turn closed, its strings
// released behind the store's queue and its totals handed to the recorder.
#include <algorithm>

#include "engine.hpp"
#include "json.hpp"

namespace agentmetrics {

const std::string *Labels::find(std::string_view key) const {
  if (key == "session_id") return &session_id;
  const std::string *label = key == "agent"   ? &agent
                             : key == "phase" ? &phase
                             : key == "task"  ? &task
                                              : nullptr;
  if (label) return label->empty() ? nullptr : label;
  for (const auto &[k, v] : tags) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

std::shared_ptr<const RecordLabels> record_labels(const Labels &labels) {
  auto r = std::make_shared<RecordLabels>();
  r->session = labels.session_id;
  r->agent = labels.agent;
  r->phase = labels.phase;
  r->task = labels.task;
  for (const auto &[key, value] : labels.tags) {
    r->tags_json += r->tags_json.empty() ? '{' : ',';
    json::append_string(r->tags_json, key);
    r->tags_json += ':';
    json::append_string(r->tags_json, value);
  }
  if (!r->tags_json.empty()) r->tags_json += '}';
  return r;
}

}  // namespace

Session::Session(std::shared_ptr<RecorderState> recorder, Labels labels)
    : recorder_(std::move(recorder)),
      labels_(std::move(labels)),
      record_labels_(record_labels(labels_)),
      started_wall_(recorder_->clock().wall_now()) {
  recorder_->attach(this);
  if (recorder_->persisting()) {
    std::optional<Record> observed;
    stage(RecordKind::kSession, started_wall_, observed).commit();
    if (observed) recorder_->emit(std::move(*observed));
    recorder_->warn_dropped();
  }
}

void Session::release_strings() {
  // Records queued for the store borrow the labels and call names: a release record behind
  // them owns these until the writer reaches it.
  struct Owned {
    std::shared_ptr<const RecordLabels> labels;
    std::vector<std::shared_ptr<const CallNames>> names;
  };
  auto owned = std::make_shared<Owned>();
  owned->labels = record_labels_;
  for (const auto &[key, slot] : calls_) owned->names.push_back(slot.names);
  recorder_->release(std::move(owned));
}

Session::~Session() {
  try {
    std::optional<Record> observed;
    {
      std::lock_guard lock(mu_);
      if (turn_.open) {
        Staged staged;
        if (recorder_->persisting())
          staged = stage(RecordKind::kTurn, recorder_->clock().wall_now(), observed);
        end_turn_locked(std::max(recorder_->clock().now(), turn_.start), staged.record);
        staged.commit();
      }
    }
    if (observed) recorder_->emit(std::move(*observed));
    recorder_->warn_dropped();
    release_strings();
    recorder_->detach(this);
  } catch (...) {
    // Out of memory while merging into the recorder: the session's share of the recorder's
    // totals is lost, but a destructor must not throw.
    std::lock_guard lock(recorder_->mu_);
    recorder_->sessions_.erase(registration_);
  }
}

template <class Map>
auto &Session::slot(Map &map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.try_emplace(std::string(key)).first;
  return it->second;
}

}  // namespace agentmetrics
