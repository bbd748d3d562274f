// The recorder: prices, session ids, the totals of live and freed sessions, the store and
// observers records go to, and invocations (seed 004). Loads are in load.cpp.
#include <algorithm>
#include <cstdio>
#include <random>

#include "abi_values.hpp"
#include "engine.hpp"
#include "errors.hpp"

namespace agentmetrics {

RecorderState::RecorderState(Clock clock, bool bundled_prices)
    : clock_(clock),
      prices_(bundled_prices ? PriceTable::bundled() : PriceTable::empty()),
      id_salt_(std::random_device{}()) {}

void RecorderState::load_prices(std::string_view document, bool replace) {
  std::lock_guard lock(prices_mu_);  // held while merging, so concurrent loads lose nothing
  prices_ = prices_->merged(document, replace);
  price_gen_.fetch_add(1, std::memory_order_release);
}

void RecorderState::set_price(std::string_view model, std::string_view entry_json) {
  std::lock_guard lock(prices_mu_);  // held while copying, so concurrent sets lose nothing
  prices_ = prices_->with_entry(model, entry_json);
  price_gen_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const PriceTable> RecorderState::prices() const {
  std::lock_guard lock(prices_mu_);
  return prices_;
}

RecorderState::~RecorderState() = default;  // closing each Writer drains its queue

std::string RecorderState::next_session_id() {
  std::lock_guard lock(mu_);
  char buf[48];
  std::snprintf(buf, sizeof buf, "session-%08llx-%llu",
                static_cast<unsigned long long>(id_salt_ & 0xffffffffu),
                static_cast<unsigned long long>(++session_seq_));
  return buf;
}

void RecorderState::attach(Session *s) {
  std::lock_guard lock(mu_);
  s->registration_ = sessions_.insert(sessions_.end(), s);
}

void RecorderState::detach(Session *s) {
  std::lock_guard lock(mu_);
  {
    std::lock_guard session_lock(s->mu_);
    retired_total_.merge(s->total_locked());
    for (int d = 0; d < kDimensions; ++d) s->merge_dimension_locked(static_cast<Dimension>(d), retired_[d]);
  }
  sessions_.erase(s->registration_);
}

Group RecorderState::totals() const {
  std::lock_guard lock(mu_);
  Group g = retired_total_;
  for (const Session *s : sessions_) {
    std::lock_guard session_lock(s->mu_);
    g.merge(s->total_locked());
  }
  return g;
}

GroupMap RecorderState::breakdown(Dimension by) const {
  std::lock_guard lock(mu_);
  GroupMap out = retired_[by];
  for (const Session *s : sessions_) {
    std::lock_guard session_lock(s->mu_);
    s->merge_dimension_locked(by, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recorder: store, observers, invocations

void RecorderState::open_store(const StoreOptions &options) {
  auto already_open = [&] {
    if (writer_.load(std::memory_order_acquire)) throw StateError("a store is already open; close it first");
  };
  {
    std::lock_guard lock(store_mu_);
    already_open();
  }
  auto writer = std::make_unique<Writer>(options);  // opens files: outside the lock
  std::lock_guard lock(store_mu_);
  already_open();
  store_path_ = !options.database.empty()      ? options.database
                : !options.journal_dir.empty() ? options.journal_dir
                                               : options.journal_file;
  writer_.store(writer.get(), std::memory_order_release);
  writers_.push_back(std::move(writer));
}

void RecorderState::close_store() {
  // Under store_mu_ until drained, so that release() cannot miss the writer that still holds
  // the records borrowing a session's strings.
  std::lock_guard lock(store_mu_);
  Writer *writer = writer_.exchange(nullptr, std::memory_order_acq_rel);
  if (!writer) throw StateError("no store is open");
  writer->close();
}

void RecorderState::flush() {
  Writer *writer = writer_.load(std::memory_order_acquire);
  if (!writer) throw StateError("no store is open");
  writer->flush();
}

std::optional<StoreStatus> RecorderState::store_status() const {
  const Writer *writer = writer_.load(std::memory_order_acquire);
  if (!writer) return std::nullopt;
  return writer->status();
}

std::string RecorderState::journal_path() const {
  const Writer *writer = writer_.load(std::memory_order_acquire);
  if (!writer) throw StateError("no store is open");
  return writer->journal_path();
}

std::string RecorderState::store_path() const {
  std::lock_guard lock(store_mu_);
  return writer_.load(std::memory_order_acquire) ? store_path_ : std::string();
}

void RecorderState::set_observer(uint32_t kinds, RecordObserver observer) {
  std::lock_guard lock(store_mu_);
  observer_ = observer ? std::make_shared<const RecordObserver>(std::move(observer)) : nullptr;
  observer_kinds_.store(observer_ ? kinds : 0, std::memory_order_release);
}

void RecorderState::emit(Record &&record) {
  const auto kind = record.fields.kind;
  if (observer_kinds_.load(std::memory_order_acquire) & (1u << static_cast<int>(kind))) {
    std::shared_ptr<const RecordObserver> observer;
    {
      std::lock_guard lock(store_mu_);
      observer = observer_;
    }
    if (observer) {
      std::string line;
      encode_record(record.view(), line);
      line.pop_back();  // the newline
      (*observer)(kind, line);
    }
  }
  if (Writer *writer = writer_.load(std::memory_order_acquire)) writer->push(record);
}

void RecorderState::release(std::shared_ptr<const void> owned) {
  // The open writer is the only one that may hold borrowing records: close_store() drains a
  // writer under store_mu_ before another can open.
  std::lock_guard lock(store_mu_);
  if (Writer *writer = writer_.load(std::memory_order_acquire)) writer->release(std::move(owned));
}

void RecorderState::record_invocation(const InvocationView &invocation) {
  validate_invocation(invocation);
  auto stored = std::make_shared<const Invocation>(invocation);
  {
    std::lock_guard lock(invocations_mu_);
    invocations_.push_back(*stored);
  }
  if (persisting()) {
    Record record;
    record.fields.kind = RecordKind::kInvocation;
    record.fields.ts = stored->start_ns;
    record.invocation = std::move(stored);
    emit(std::move(record));
  }
  warn_dropped();
}

uint64_t RecorderState::invocation_count() const {
  std::lock_guard lock(invocations_mu_);
  return invocations_.size();
}

std::string RecorderState::invocations_json(uint64_t skip, uint64_t limit) const {
  std::lock_guard lock(invocations_mu_);
  std::string out = "[";
  const uint64_t end = limit ? std::min<uint64_t>(invocations_.size(), skip + limit) : invocations_.size();
  for (uint64_t i = skip; i < end; ++i) {
    if (i != skip) out += ',';
    RecordView view;
    view.kind = RecordKind::kInvocation;
    view.ts = invocations_[i].start_ns;
    view.invocation = invocations_[i].view();
    encode_record(view, out);
    out.pop_back();  // the newline
  }
  out += ']';
  return out;
}

std::string RecorderState::invocation_aggregate(const InvocationOptions &options) const {
  std::vector<Invocation> all;
  {
    std::lock_guard lock(invocations_mu_);
    all = invocations_;
  }
  return invocation_aggregate_json(all, options);
}

}  // namespace agentmetrics
