// The store's inspection reads (store.h "inspection"): what the dashboard and the admin API show.
// Typed pages of each state's own index (queue.h): pending in queue order, locked by expiry,
// handled newest first, every request by id; queues a range of the per-user index. No rate limit
// is charged, no client noted, no counter changed; expired locks are released first, as the
// next call would (decision 29). Apart from store.cc so the store's operations stay in one file.
#include <algorithm>
#include <iterator>
#include <limits>
#include <tuple>

#include "directory.h"
#include "queue.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

namespace {

// Walks one state index from `it`: requests that match go to the sink until `limit` are listed
// or `budget` are looked at; `next` is the position of the last one looked at when more are left.
template <class It, class Emit, class Pos>
void walk_state(It it, It end, std::int64_t limit, std::int64_t budget, InspectPage& page,
                const Emit& emit, const Pos& position_of) {
  std::optional<StatePosition> last;
  for (; it != end && page.listed < limit && page.scanned < budget; ++it) {
    ++page.scanned;
    last = position_of(*it);
    if (emit(it->second, *last)) ++page.listed;
  }
  if (it != end && last) page.next = last;
}

// A request with its state and its position in that state's index.
template <class Queue, class It>
InspectedRequest inspected(const Queue& q, It it) {
  const auto& e = it->second;
  InspectedRequest r{q.view(it->first, e), RequestState::kPending, {e.order.t, e.order.seq}};
  if (e.handled()) {
    r.state = RequestState::kHandled;
  } else if (e.locked()) {
    r.state = RequestState::kLocked;
    r.position = StatePosition{e.lock.expires, e.lock.seq};
  }
  return r;
}

}  // namespace

Result<QueueOverviewPage> Store::inspect_queues(const QueueScan& scan) {
  QueueOverviewPage page;
  std::optional<Directory<Queue>::ScanPosition> after;
  if (scan.after) after = {scan.after->user_id, scan.after->created_at, scan.after->created_seq};
  auto picked = dir_->scan(scan.user_id, after,
                           static_cast<std::size_t>(std::max<std::int64_t>(0, scan.limit)));
  page.total = static_cast<std::int64_t>(picked.total);
  const TimeMs now = clock_.now_ms();
  for (auto& q : picked.items) {
    std::lock_guard ql(q->mu);
    q->expire_locks(now, options_.lag.head.on() ? &options_.lag : nullptr, lag_seed_);
    QueueOverview o;
    o.info = info_of(*q);
    o.pending = static_cast<std::int64_t>(q->available.size());
    o.locked = static_cast<std::int64_t>(q->locks.size());
    o.handled = static_cast<std::int64_t>(q->handled.size());
    page.items.push_back(std::move(o));
  }
  if (picked.more && !picked.items.empty()) {
    const StorageMeta& m = picked.items.back()->meta;  // user_id, created_*, id never change
    page.next = QueueScanPosition{m.user_id, m.created_at, m.created_seq, m.id};
  }
  return page;
}

std::shared_ptr<Store::Queue> Store::queue_by_id(std::string_view id) const {
  return dir_->find(id);
}

Result<QueueOverview> Store::inspect_queue(std::string_view queue_id) {
  std::shared_ptr<Queue> q = queue_by_id(queue_id);
  if (!q) return errors::record_not_found();
  std::lock_guard ql(q->mu);
  q->expire_locks(clock_.now_ms(), options_.lag.head.on() ? &options_.lag : nullptr, lag_seed_);
  QueueOverview o;
  o.info = info_of(*q);
  o.pending = static_cast<std::int64_t>(q->available.size());
  o.locked = static_cast<std::int64_t>(q->locks.size());
  o.handled = static_cast<std::int64_t>(q->handled.size());
  return o;
}

Result<InspectPage> Store::inspect_requests(std::string_view queue_id, const InspectQuery& iq,
                                            const InspectSink& sink) {
  std::shared_ptr<Queue> qp = queue_by_id(queue_id);
  if (!qp) return errors::record_not_found();
  Queue& q = *qp;
  std::lock_guard ql(q.mu);
  q.expire_locks(clock_.now_ms(), options_.lag.head.on() ? &options_.lag : nullptr, lag_seed_);
  InspectPage page;
  const std::int64_t limit = std::max<std::int64_t>(0, iq.limit);
  const std::int64_t budget = iq.contains.empty() ? std::numeric_limits<std::int64_t>::max()
                                                  : std::max<std::int64_t>(1, iq.max_scan);
  const std::string& needle = iq.contains;
  auto matches = [&](const std::string& rid, const Queue::Entry& e) {
    if (needle.empty()) return true;
    return rid.find(needle) != std::string::npos ||
           e.unique_key.find(needle) != std::string::npos ||
           (!e.url_is_key && e.url.find(needle) != std::string::npos);
  };
  auto emit_as = [&](RequestState state) {
    return [&q, &sink, &matches, state](Queue::EntryIt it, const StatePosition& pos) {
      if (!matches(it->first, it->second)) return false;
      sink(InspectedRequest{q.view(it->first, it->second), state, pos});
      return true;
    };
  };
  if (!iq.state) {
    auto it = iq.after_id ? q.upper_bound(*iq.after_id) : q.entries.begin();
    const std::string* last = nullptr;
    for (; it != q.entries.end() && page.listed < limit && page.scanned < budget; ++it) {
      ++page.scanned;
      last = &it->first;
      if (!matches(it->first, it->second)) continue;
      sink(inspected(q, it));
      ++page.listed;
    }
    if (it != q.entries.end() && last) page.next_id = *last;
    return page;
  }
  switch (*iq.state) {
    case RequestState::kPending: {
      auto from = iq.after ? q.available.upper_bound(OrderKey{iq.after->t, iq.after->seq})
                           : q.available.begin();
      walk_state(from, q.available.end(), limit, budget, page, emit_as(RequestState::kPending),
                 [](const auto& kv) {
                   return StatePosition{kv.first.t, kv.first.seq};
                 });
      break;
    }
    case RequestState::kLocked: {
      auto from = iq.after ? q.locks.upper_bound(Queue::LockKey{iq.after->t, iq.after->seq})
                           : q.locks.begin();
      walk_state(from, q.locks.end(), limit, budget, page, emit_as(RequestState::kLocked),
                 [](const auto& kv) {
                   return StatePosition{kv.first.expires, kv.first.seq};
                 });
      break;
    }
    case RequestState::kHandled: {
      // Newest first: backwards from the position before the cursor.
      auto from = iq.after ? std::make_reverse_iterator(
                                 q.handled.lower_bound(OrderKey{iq.after->t, iq.after->seq}))
                           : q.handled.rbegin();
      walk_state(from, q.handled.rend(), limit, budget, page, emit_as(RequestState::kHandled),
                 [](const auto& kv) {
                   return StatePosition{kv.first.t, kv.first.seq};
                 });
      break;
    }
  }
  return page;
}

Status Store::inspect_request(std::string_view queue_id, std::string_view request_id,
                              const InspectSink& sink) {
  std::shared_ptr<Queue> qp = queue_by_id(queue_id);
  if (!qp) return errors::record_not_found();
  Queue& q = *qp;
  std::lock_guard ql(q.mu);
  q.expire_locks(clock_.now_ms(), options_.lag.head.on() ? &options_.lag : nullptr, lag_seed_);
  auto it = q.find(request_id);
  if (it == q.entries.end()) return errors::record_not_found();
  sink(inspected(q, it));
  return Ok{};
}

std::size_t Store::user_count() const { return users_.count(); }

std::optional<User> Store::find_user(std::string_view id_or_name) const {
  auto u = users_.find(id_or_name);
  if (!u) return std::nullopt;
  return *u;
}

}  // namespace rqcheck::fake
