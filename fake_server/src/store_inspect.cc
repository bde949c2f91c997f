// The store's inspection reads (store.h "inspection"): what the dashboard and the admin API show.
// Typed pages of each state's own index (queue.h): pending in queue order, locked by expiry,
// handled newest first, every request by id; queues a range of the per-user index. No rate limit
// is charged, no client noted, no counter changed; expired locks are released first, as the
// next call would (decision 29). Apart from store.cc so the store's operations stay in one file.
#include <algorithm>
#include <iterator>
#include <limits>
#include <tuple>

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
  using Key = std::tuple<std::string, TimeMs, std::int64_t, std::string>;
  QueueOverviewPage page;
  std::vector<std::shared_ptr<Queue>> picked;
  const std::int64_t limit = std::max<std::int64_t>(0, scan.limit);
  {
    std::shared_lock lock(mu_);
    page.total = static_cast<std::int64_t>(queues_.size());
    auto lo = by_user_.begin(), hi = by_user_.end();
    if (scan.user_id) {
      lo = by_user_.lower_bound(Key{*scan.user_id, std::numeric_limits<TimeMs>::min(), 0, ""});
      hi = by_user_.lower_bound(
          Key{*scan.user_id + '\0', std::numeric_limits<TimeMs>::min(), 0, ""});
    }
    if (scan.after) {
      // The page starts after the cursor, but never before lo nor past hi.
      const QueueScanPosition& a = *scan.after;
      auto from = by_user_.upper_bound(Key{a.user_id, a.created_at, a.created_seq, a.queue_id});
      const auto& less = by_user_.key_comp();
      if (lo != hi) {
        if (from == by_user_.end() || !less(*from, *lo)) lo = from;
        if (hi != by_user_.end() && (lo == by_user_.end() || !less(*lo, *hi))) lo = hi;
      }
    }
    auto it = lo;
    for (; it != hi && static_cast<std::int64_t>(picked.size()) < limit; ++it) {
      auto q = queues_.find(std::get<3>(*it));
      if (q != queues_.end()) picked.push_back(q->second);
    }
    if (it != hi && !picked.empty()) {
      const Queue& last = *picked.back();
      page.next = QueueScanPosition{last.user_id, last.created_at, last.created_seq, last.id};
    }
  }
  const TimeMs now = clock_.now_ms();
  for (auto& q : picked) {
    std::lock_guard ql(q->mu);
    q->expire_locks(now);
    QueueOverview o;
    o.info = info_of(*q);
    o.pending = static_cast<std::int64_t>(q->available.size());
    o.locked = static_cast<std::int64_t>(q->locks.size());
    o.handled = static_cast<std::int64_t>(q->handled.size());
    page.items.push_back(std::move(o));
  }
  return page;
}

std::shared_ptr<Store::Queue> Store::queue_by_id(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = queues_.find(std::string(id));
  return it == queues_.end() ? nullptr : it->second;
}

Result<QueueOverview> Store::inspect_queue(std::string_view queue_id) {
  std::shared_ptr<Queue> q = queue_by_id(queue_id);
  if (!q) return errors::record_not_found();
  std::lock_guard ql(q->mu);
  q->expire_locks(clock_.now_ms());
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
  q.expire_locks(clock_.now_ms());
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
  q.expire_locks(clock_.now_ms());
  auto it = q.find(request_id);
  if (it == q.entries.end()) return errors::record_not_found();
  sink(inspected(q, it));
  return Ok{};
}

std::size_t Store::user_count() const {
  std::shared_lock lock(mu_);
  return users_by_id_.size();
}

std::optional<User> Store::find_user(std::string_view id_or_name) const {
  std::shared_lock lock(mu_);
  std::string key(id_or_name);
  if (auto it = users_by_id_.find(key); it != users_by_id_.end()) return it->second;
  if (auto it = users_by_name_.find(key); it != users_by_name_.end()) return it->second;
  return std::nullopt;
}
}  // namespace rqcheck::fake
