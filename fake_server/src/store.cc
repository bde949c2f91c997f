// The store's operations: who may touch which queue (decisions 13, 14; the Directory shared
// with the other storages), rate limits (37) and the request semantics of spec sections 4 and 6.
// The queue's own data structure is in queue.h.
#include "rqcheck/fake_server/store.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "directory.h"
#include "persist/changes.h"
#include "queue.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake {

namespace {

std::int64_t lock_ms_of(double lock_secs) {
  return static_cast<std::int64_t>(std::llround(lock_secs * 1000.0));
}

}  // namespace

Store::Store(StoreOptions options, const Clock& clock)
    : options_(std::move(options)),
      lag_seed_(options_.lag.seed.value_or(options_.seed)),
      clock_(clock),
      own_users_(std::make_unique<Users>(&clock)),
      own_limiter_(std::make_unique<RateLimiter>(options_.rate_limits)),
      users_(*own_users_),
      limiter_(*own_limiter_),
      dir_(std::make_unique<Directory<Queue>>(request_queue_kind(), users_, clock_,
                                              options_.seed)) {}

Store::Store(StoreOptions options, const Clock& clock, Users& users, RateLimiter& limiter)
    : options_(std::move(options)),
      lag_seed_(options_.lag.seed.value_or(options_.seed)),
      clock_(clock),
      users_(users),
      limiter_(limiter),
      dir_(
          std::make_unique<Directory<Queue>>(request_queue_kind(), users_, clock_, options_.seed)) {
  limiter_.set(options_.rate_limits);
}

Store::~Store() = default;

RequestQueueInfo Store::info_of(const Queue& q) const {
  RequestQueueInfo info = q.info();
  info.console_url = options_.console_base + q.meta.id;
  const QueueCounters c = counters_of(q);
  info.total_request_count = c.total;
  info.handled_request_count = c.handled;
  info.pending_request_count = c.pending;
  return info;
}

QueueCounters Store::counters_of(const Queue& q) const {
  QueueCounters c;
  c.total = q.total() + q.bug_total_drift;
  c.handled = (options_.quirks.handled_count_frozen ? 0 : q.handled_count) + q.bug_handled_drift;
  c.pending = q.total() - q.handled_count + q.bug_pending_drift;
  c.modified_at = q.meta.modified_at;
  return c;
}

RequestQueueInfo Store::shown_info(const Queue& q, TimeMs now) const {
  RequestQueueInfo info = info_of(q);
  if (q.published.pending && q.published.due > now) {
    const QueueCounters& p = q.published.shown;
    info.total_request_count = p.total;
    info.handled_request_count = p.handled;
    info.pending_request_count = p.pending;
    info.modified_at = p.modified_at;
  }
  return info;
}

// The publication scheme of docs/consistency.md: a call that changes the counters while none is
// pending holds the values of before it until a counters lag later; changes meanwhile join that
// publication. enter() ends a publication that fell due, so `before` is exact at the due time.
void Store::publish_after(Queue& q, const QueueCounters& before, TimeMs now) {
  if (!options_.lag.counters.on() || q.published.pending) return;
  if (counters_of(q) == before) return;
  q.published.pending = true;
  q.published.shown = before;
  ++q.published.count;
  q.published.due =
      now + options_.lag.counters.draw(lag_hash(lag_seed_, q.meta.id, "", q.published.count));
}

ApiError Store::not_found() const {
  if (options_.quirks.not_found_is_500) return errors::internal_server_error("Internal error.");
  return errors::record_not_found();
}

ApiError Store::mapped(ApiError e) const {
  if (e.status == 404 && options_.quirks.not_found_is_500) return not_found();
  return e;
}

// --- users -----------------------------------------------------------------------------------

void Store::set_fixed_users(std::vector<User> users) { users_.set_fixed(std::move(users)); }

Result<User> Store::user_for_token(std::string_view token) { return users_.for_token(token); }

std::optional<User> Store::user_by_id(std::string_view id) const { return users_.by_id(id); }

// --- resolving and entering queues --------------------------------------------------------

// Decisions 13 and 14: who may touch which queue (Directory::resolve).
Result<std::shared_ptr<Store::Queue>> Store::resolve(const User* u, const QueueRef& ref,
                                                     bool write) {
  auto q = dir_->resolve(u, ref.text, write ? Access::kWrite : Access::kRead);
  if (!q && ref.text.find('~') == std::string::npos) {
    // The RestrictedReadableById bug: a read by raw id ignores RESTRICTED.
    if (!write && options_.quirks.restricted_ignored &&
        (q.error().status == 401 || q.error().status == 403)) {
      if (auto found = dir_->find(ref.text)) return found;
    }
    // The SoftDeleteQueue bug: a deleted queue still answers by id.
    if (options_.quirks.soft_delete_queue && q.error().status == 404) {
      std::lock_guard lock(soft_deleted_mu_);
      auto it = soft_deleted_.find(ref.text);
      if (it != soft_deleted_.end()) return it->second;
    }
  }
  if (!q) return mapped(q.error());
  return q;
}

Status Store::charge_user(const User* u, TimeMs now) {
  if (options_.quirks.rate_limits_off) return Ok{};
  return limiter_.charge_user(u, now);
}

// Decision 37: the queue's bucket for this operation class, charged before the work.
Status Store::charge_queue(Queue& q, Operation op, TimeMs now) {
  if (options_.quirks.rate_limits_off) return Ok{};
  return limiter_.charge(q.rate, op, now);
}

void Store::charge_cost(Queue& q, const Caller& c, Operation op, std::int64_t items) {
  const CostCharge cost = cost_of(op, items);
  q.stats.read_count += cost.reads;
  q.stats.write_count += cost.writes;
  q.stats.delete_count += cost.deletes;
  q.stats.head_item_read_count += cost.head_items;
  if (c.charge) *c.charge += cost;
}

Result<Store::Entered> Store::enter(const Caller& c, const QueueRef& ref, Operation op) {
  const bool write = operation_info(op).is_write();
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(c.user, now); !st) return st.error();
  auto q = resolve(c.user, ref, write);
  if (!q) return q.error();
  Entered e;
  e.queue = std::move(*q);
  e.now = now;
  e.lock = std::unique_lock(e.queue->mu);
  e.store = this;
  if (log_) {
    e.write = write;
    e.queue->persisted = true;  // from here on its changes are marked
  }
  if (auto st = charge_queue(*e.queue, op, now); !st) return st.error();
  if (options_.quirks.expired_lock_keeps_position) {
    auto& qu = *e.queue;
    while (!qu.locks.empty() && qu.locks.begin()->first.expires <= now) {
      auto it = qu.locks.begin()->second;
      qu.drop_lock(it);
      qu.available.emplace(it->second.order, it);  // the place it had before the lock
    }
  }
  const LagOptions& lag = options_.lag;
  if (lag.counters.on()) {
    Queue::Published& pub = e.queue->published;
    if (pub.pending && pub.due <= now) pub.pending = false;
    e.before = counters_of(*e.queue);
  }
  if (options_.quirks.forefront_fifo) e.queue->forefront_fifo = true;  // a named bug only
  // The LocksExpireEarly bug: the expiry is compared a second early.
  e.queue->expire_locks(options_.quirks.locks_expire_early ? now + 1000 : now,
                        lag.head.on() ? &lag : nullptr, lag_seed_);
  // Decision 30; get request takes no clientKey (spec 3 row 10), so it does not count.
  if (op != Operation::kRequestGet) {
    const StoreQuirks& bug = options_.quirks;
    if (bug.every_call_a_new_client && e.queue->seen_client) e.queue->had_multiple_clients = true;
    e.queue->note_client(bug.keyless_calls_one_client ? c.client_key.value_or("") : c.client_key);
  }
  return Result<Entered>(std::move(e));  // the lock moves out with it
}

// --- rate limits -----------------------------------------------------------------------------

int Store::limit_for(Operation op) const { return limiter_.limit_for(op); }

void Store::set_rate_limits(const RateLimits& r) {
  options_.rate_limits = r;
  limiter_.set(r);
}

RateLimits Store::rate_limits() const { return limiter_.limits(); }

// --- queues ----------------------------------------------------------------------------------

Result<QueuesPage> Store::list_queues(const Caller& c, const QueueListOptions& o) {
  if (!c.user) return errors::token_not_provided();
  if (auto st = charge_user(c.user, clock_.now_ms()); !st) return st.error();
  // The user's queues by creation from the directory's per-user index: O(log n + page).
  // Unnamed queues are listed only with unnamed=1 (decision 35).
  StorageListQuery q;
  q.offset = o.offset;
  q.limit = o.limit;
  q.desc = o.desc;
  q.unnamed = o.unnamed;
  if (o.shared_with_me) q.ownership = "sharedWithMe";  // the fake shares no queues
  // Decision 35: unnamed queues only with unnamed=1, unless the deployment lists them anyway.
  if (options_.behaviour.unnamed_listed_by_default) q.unnamed = true;
  auto listed = dir_->list(*c.user, q);
  if (!listed) return listed.error();
  const TimeMs now = clock_.now_ms();
  return answer_page<QueuesPage>(*listed, [&](const Queue& queue) {
    RequestQueueInfo info = shown_info(queue, now);
    info.stats = QueueStats{};
    return info;
  });
}

Result<CreateResult> Store::create_queue(const Caller& c, std::optional<std::string> name) {
  if (!c.user) return errors::token_not_provided();
  if (name) {
    if (auto ok = check_storage_name(dir_->kind(), *name); !ok) return ok.error();
  }
  if (auto st = charge_user(c.user, clock_.now_ms()); !st) return st.error();
  auto created = dir_->get_or_create(*c.user, std::move(name));
  if (!created) return created.error();
  std::lock_guard ql(created->storage->mu);
  if (log_) flush_locked(*created->storage);
  return CreateResult{info_of(*created->storage), created->created};
}

Result<RequestQueueInfo> Store::get_queue(const Caller& c, const QueueRef& ref) {
  if (auto st = charge_user(c.user, clock_.now_ms()); !st) return st.error();
  auto q = resolve(c.user, ref, false);
  if (!q) return q.error();
  std::lock_guard ql((*q)->mu);
  TimeMs now = clock_.now_ms();
  if (auto st = charge_queue(**q, Operation::kQueueGet, now); !st) return st.error();
  (*q)->touch(now, false);
  if (log_) after_call(*q, false);
  return shown_info(**q, now);
}

Result<RequestQueueInfo> Store::update_queue(const Caller& c, const QueueRef& ref,
                                             const QueueChanges& changes) {
  if (changes.name && *changes.name) {
    if (auto ok = check_storage_name(dir_->kind(), **changes.name); !ok) return ok.error();
  }
  StorageUpdate update;
  update.name = changes.name;
  if (changes.general_access) {
    update.general_access = parse_general_access(*changes.general_access);
    if (!update.general_access) {
      return errors::invalid_input(
          "Invalid input: \"generalAccess\" must be one of ANYONE_WITH_ID_CAN_READ, "
          "ANYONE_WITH_NAME_CAN_READ, FOLLOW_USER_SETTING, RESTRICTED.");
    }
  }
  TimeMs now = clock_.now_ms();
  if (auto st = charge_user(c.user, now); !st) return st.error();
  if (!c.user) return resolve(nullptr, ref, true).error();  // 404, else 401
  auto q = dir_->update(*c.user, ref.text, update, [&](Queue& queue) {
    return charge_queue(queue, Operation::kQueuePut, now);
  });
  if (!q) return mapped(q.error());
  std::lock_guard ql((*q)->mu);
  if (log_) flush_locked(**q);
  return info_of(**q);
}

Status Store::delete_queue(const Caller& c, const QueueRef& ref) {
  TimeMs now = clock_.now_ms();
  if (auto st = charge_user(c.user, now); !st) return st.error();
  if (!c.user) return resolve(nullptr, ref, true).error();
  auto q = dir_->erase(*c.user, ref.text, [&](Queue& queue) -> Status {
    if (auto st = charge_queue(queue, Operation::kQueueDelete, now); !st) return st;
    if (log_) {
      // Under the queue's lock: after every change of the queue appended before.
      queue.removed = true;
      queue.dirty.clear();
      std::vector<persist::Change> out;
      out.push_back(persist::DropStorage{persist::Kind::kQueue, queue.meta.id});
      log_->append(std::move(out));
    }
    return Ok{};
  });
  if (!q) return mapped(q.error());
  if (options_.quirks.soft_delete_queue) {
    std::lock_guard lock(soft_deleted_mu_);
    soft_deleted_.emplace((*q)->meta.id, *q);
  }
  return Ok{};
}

// --- requests --------------------------------------------------------------------------------

Result<AddResult> Store::add_request(const Caller& c, const QueueRef& ref, RequestDraft d,
                                     const WriteOptions& o) {
  const StoreQuirks& bug = options_.quirks;
  std::string rid = take_request_id(d);
  auto entered = enter(c, ref, Operation::kRequestsPost);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  if (bug.never_dedup) rid = queue.fresh_id(rid);
  if (bug.dedup_by_url) rid = queue.id_by_url(d.url).value_or(rid);
  if (bug.dedup_case_insensitive || bug.dedup_trailing_slash) {
    rid = queue.id_by_loose_key(d.unique_key, bug.dedup_case_insensitive).value_or(rid);
  }
  auto it = queue.lower_bound(rid);
  if (it != queue.entries.end() && it->first == rid) {
    // Decision 21: an existing uniqueKey is reported, not changed, not moved.
    bool handled = it->second.handled();
    const bool shown_handled =
        handled || (bug.add_handled_flag_counts_locked && it->second.locked());
    if (bug.duplicate_counts_total) ++queue.bug_total_drift, ++queue.bug_pending_drift;
    if (bug.duplicate_forefront_moves && o.forefront && !handled && !it->second.locked()) {
      queue.available.erase(it->second.order);
      queue.make_available(it, true, now);
    }
    if (bug.duplicate_overwrites) {
      queue.erase(it);
      queue.insert(rid, std::move(d), o.forefront, now);
      queue.touch(now, true);
    }
    charge_cost(queue, c, Operation::kRequestsPost, 1);  // a duplicate is a write too
    return AddResult{rid, true, shown_handled};
  }
  const bool added_handled = d.handled_at.has_value();
  auto added = queue.insert(rid, std::move(d), o.forefront, now);
  queue.hold(added, options_.lag, lag_seed_, now);
  if (bug.handled_add_not_counted && added_handled)
    --queue.bug_handled_drift, ++queue.bug_pending_drift;
  charge_cost(queue, c, Operation::kRequestsPost, 1);
  queue.touch(now, true);
  return AddResult{rid, false, false};
}

Result<BatchAddResult> Store::batch_add(const Caller& c, const QueueRef& ref,
                                        std::vector<RequestDraft> drafts, const WriteOptions& o,
                                        const UnprocessedMask* mask) {
  const StoreQuirks& bug = options_.quirks;
  // Each request becomes its node, and its uniqueKey is copied for the answer, before the queue
  // is locked: the allocations and moves need no lock. The nodes of duplicates are freed after
  // the lock is released (`nodes` outlives `entered`).
  std::vector<Queue::EntryMap::NodePtr> nodes;
  std::vector<std::string> keys;
  nodes.reserve(drafts.size());
  keys.reserve(drafts.size());
  for (RequestDraft& d : drafts) {
    keys.push_back(d.unique_key);
    std::string rid = take_request_id(d);
    nodes.push_back(Queue::make_node(std::move(rid), std::move(d)));
  }
  RateLimits rl = rate_limits();
  if (bug.rate_limits_off) rl.enabled = false;
  auto entered = enter(c, ref, Operation::kRequestsBatchPost);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  const bool front = o.forefront;
  queue.touch(now, false);
  BatchAddResult out;
  out.processed.reserve(nodes.size());
  bool modified = false;
  for (const auto& n : nodes) queue.entries.prefetch(n->first);
  // The bugs that store a request under another id than its own.
  auto rename = [](Queue::EntryMap::NodePtr& n, std::string id) {
    if (id != n->first) n = Queue::EntryMap::make_node(std::move(id), std::move(n->second));
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Queue::EntryMap::NodePtr& n = nodes[i];
    bool over_budget = !queue.take_batch_item(rl, now);
    if (over_budget || (mask && i < mask->size() && (*mask)[i])) {
      out.unprocessed.push_back({std::move(keys[i]), n->second.url_ref(),
                                 std::string(kRequestMethods[n->second.method])});
      if (bug.unprocessed_items_stored && over_budget &&
          queue.find(n->first) == queue.entries.end()) {
        queue.hold(queue.link(std::move(n), front, now), options_.lag, lag_seed_, now);
        modified = true;
      }
      continue;
    }
    if (bug.never_dedup) rename(n, queue.fresh_id(n->first));
    if (bug.dedup_by_url) rename(n, queue.id_by_url(n->second.url_ref()).value_or(n->first));
    if (bug.dedup_case_insensitive || bug.dedup_trailing_slash) {
      rename(n, queue.id_by_loose_key(n->second.unique_key, bug.dedup_case_insensitive)
                    .value_or(n->first));
    }
    auto it = queue.find(n->first);
    if (it != queue.entries.end()) {
      if (bug.duplicate_counts_total) ++queue.bug_total_drift, ++queue.bug_pending_drift;
      charge_cost(queue, c, Operation::kRequestsBatchPost, 1);  // processed: a write
      out.processed.push_back({it->first, std::move(keys[i]), true, it->second.handled()});
      continue;
    }
    auto added = queue.link(std::move(n), front, now);
    queue.hold(added, options_.lag, lag_seed_, now);
    charge_cost(queue, c, Operation::kRequestsBatchPost, 1);
    modified = true;
    out.processed.push_back({added->first, std::move(keys[i]), false, false});
  }
  queue.touch(now, modified);
  return out;
}

Result<BatchDeleteResult> Store::batch_delete(const Caller& c, const QueueRef& ref,
                                              const std::vector<RequestKey>& keys,
                                              const UnprocessedMask* mask) {
  const StoreQuirks& bug = options_.quirks;
  RateLimits rl = rate_limits();
  if (bug.rate_limits_off) rl.enabled = false;
  auto entered = enter(c, ref, Operation::kRequestsBatchDelete);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  BatchDeleteResult out;
  bool modified = false;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const RequestKey& key = keys[i];
    std::string rid = key.id ? *key.id : request_id_for(*key.unique_key);
    auto it = queue.find(rid);
    if (it != queue.entries.end() && key.unique_key && it->second.unique_key != *key.unique_key) {
      it = queue.entries.end();
    }
    bool over_budget = !queue.take_batch_item(rl, now);
    const bool absent_unprocessed =
        options_.behaviour.batch_delete_absent_unprocessed && it == queue.entries.end();
    if (bug.batch_delete_absent_dropped && it == queue.entries.end()) continue;
    if (over_budget && bug.batch_delete_over_budget_processed) {
      out.processed.push_back({rid, it != queue.entries.end()
                                        ? std::optional<std::string>(it->second.unique_key)
                                        : key.unique_key});
      continue;
    }
    if (over_budget || absent_unprocessed || (mask && i < mask->size() && (*mask)[i])) {
      // RequestDraft wants uniqueKey and url: known only when the request exists.
      Json u_item = Json::object();
      if (key.id) u_item["id"] = *key.id;
      if (it != queue.entries.end()) {
        u_item["uniqueKey"] = it->second.unique_key;
        u_item["url"] = it->second.url_ref();
        u_item["method"] = kRequestMethods[it->second.method];
      } else if (key.unique_key) {
        u_item["uniqueKey"] = *key.unique_key;
      }
      out.unprocessed.push_back(std::move(u_item));
      continue;
    }
    DeletedRequest d;
    d.id = rid;
    if (it != queue.entries.end()) {
      d.unique_key = it->second.unique_key;
      if (bug.delete_keeps_handled_count && it->second.handled())
        ++queue.bug_handled_drift, --queue.bug_pending_drift;
      queue.erase(it);
      charge_cost(queue, c, Operation::kRequestsBatchDelete, 1);
      modified = true;
    } else {
      // Decision 5: an absent request counts as processed.
      if (bug.not_found_is_500) return not_found();
      d.unique_key = key.unique_key;
    }
    out.processed.push_back(std::move(d));
  }
  queue.touch(now, modified);
  return out;
}

Result<ListPage> Store::list_requests(const Caller& c, const QueueRef& ref, const ListQuery& lq,
                                      const RequestSink& sink) {
  const StoreQuirks& bug = options_.quirks;
  auto entered = enter(c, ref, Operation::kRequestsGet);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  queue.touch(entered->now, false);
  auto it = lq.after ? (bug.cursor_inclusive ? queue.lower_bound(*lq.after)
                                             : queue.upper_bound(*lq.after))
                     : queue.entries.begin();
  const std::int64_t limit = bug.list_limit_plus_one ? lq.limit + 1 : lq.limit;
  if (bug.cursor_skips_first && lq.after && it != queue.entries.end()) ++it;
  const bool filtered = lq.filter_locked || lq.filter_pending;
  ListPage page;
  std::int64_t scanned = 0;
  const std::string* last_id = nullptr;
  for (; it != queue.entries.end() && scanned < limit; ++it, ++scanned) {
    const auto& e = it->second;
    last_id = &it->first;
    if (filtered) {
      bool locked = !e.handled() && e.locked();
      bool pending = (bug.pending_filter_includes_handled || !e.handled()) && !e.locked();
      // Decision 32: the union of the requested states.
      if (!((lq.filter_locked && locked) || (lq.filter_pending && pending))) continue;
    }
    sink(queue.view(it->first, e));
    ++page.listed;
  }
  charge_cost(queue, c, Operation::kRequestsGet, page.listed);
  // Decision 31: nextCursor exactly when the page stopped on `limit` with more to scan.
  const bool full = bug.next_cursor_on_full_matches ? page.listed == limit : scanned == limit;
  if (last_id && ((full && it != queue.entries.end()) || bug.next_cursor_always)) {
    page.next_after = *last_id;
  }
  return page;
}

Status Store::get_request(const Caller& c, const QueueRef& ref, std::string_view id,
                          const RequestSink& sink) {
  auto entered = enter(c, ref, Operation::kRequestGet);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  queue.touch(entered->now, false);
  auto it = queue.find(id);
  if (it == queue.entries.end()) return not_found();
  charge_cost(queue, c, Operation::kRequestGet, 1);
  sink(queue.view(it->first, it->second));
  return Ok{};
}

Result<AddResult> Store::update_request(const Caller& c, const QueueRef& ref, std::string_view id,
                                        RequestDraft d, const WriteOptions& o) {
  const StoreQuirks& bug = options_.quirks;
  std::string rid(id);
  auto entered = enter(c, ref, Operation::kRequestPut);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  const bool front = o.forefront;
  auto it = queue.find(rid);
  if (it == queue.entries.end()) {
    if (bug.upsert_rejected) return errors::record_not_found();
    // Decision 4: upsert.
    queue.touch(now, true);
    charge_cost(queue, c, Operation::kRequestPut, 1);
    queue.hold(queue.insert(rid, std::move(d), front, now), options_.lag, lag_seed_, now);
    return AddResult{rid, false, false};
  }
  queue.touch(now, true);
  charge_cost(queue, c, Operation::kRequestPut, 1);
  // Section 4 (11): a replace, not a merge. Decision 22: wasAlreadyHandled is the state before.
  bool was_handled = it->second.handled();
  if (bug.update_merges && d.extra.empty()) d.extra = it->second.extra;
  const bool keep_place =
      bug.reclaim_keeps_position && !was_handled && !it->second.locked() && !d.handled_at;
  const OrderKey old_place = it->second.order;
  const std::uint32_t events = it->second.events;
  if (bug.handled_update_keeps_pending && !was_handled && d.handled_at) ++queue.bug_pending_drift;
  queue.erase(it);
  auto fresh = queue.insert(rid, std::move(d), front, now);  // decision 23: end, or front
  // Put back unhandled (or replaced while pending): reclaimed, so held by the lag again.
  fresh->second.events = events;
  if (!fresh->second.handled()) queue.hold(fresh, options_.lag, lag_seed_, now);
  if (keep_place) {
    queue.available.erase(fresh->second.order);
    fresh->second.order = old_place;
    queue.available.emplace(old_place, fresh);
  }
  return AddResult{rid, true, was_handled};
}

Status Store::delete_request(const Caller& c, const QueueRef& ref, std::string_view id) {
  auto entered = enter(c, ref, Operation::kRequestDelete);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  auto it = queue.find(id);
  if (it == queue.entries.end()) {
    if (options_.behaviour.delete_absent_is_404 || options_.quirks.not_found_is_500)
      return not_found();
    return Ok{};  // decision 5
  }
  if (options_.quirks.delete_keeps_handled_count && it->second.handled())
    ++queue.bug_handled_drift, --queue.bug_pending_drift;
  queue.erase(it);
  charge_cost(queue, c, Operation::kRequestDelete, 1);
  queue.touch(now, true);
  return Ok{};
}

Result<Head> Store::head(const Caller& c, const QueueRef& ref, std::int64_t limit) {
  const StoreQuirks& bug = options_.quirks;
  auto entered = enter(c, ref, Operation::kHeadGet);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  Head h;
  h.limit = limit;
  h.queue_modified_at = queue.meta.modified_at;
  h.had_multiple_clients = queue.had_multiple_clients;
  // Decision 25: pending requests not locked by anyone, in queue order.
  // With a lag, requests still in their lag window are passed over: O(page + those).
  for (auto it = queue.available.begin();
       it != queue.available.end() && std::int64_t(h.items.size()) < limit; ++it) {
    const auto& [rid, e] = *it->second;
    if (e.visible_at > now) continue;
    h.items.push_back({rid, e.unique_key, e.url_ref(), std::string(kRequestMethods[e.method]),
                       e.retry_count, std::nullopt});
  }
  if (bug.head_shows_locked) {
    for (auto it = queue.locks.begin();
         it != queue.locks.end() && std::int64_t(h.items.size()) < limit; ++it) {
      const auto& [rid, e] = *it->second;
      h.items.push_back({rid, e.unique_key, e.url_ref(), std::string(kRequestMethods[e.method]),
                         e.retry_count, std::nullopt});
    }
  }
  charge_cost(queue, c, Operation::kHeadGet, static_cast<std::int64_t>(h.items.size()));
  return h;
}

Result<Head> Store::head_and_lock(const Caller& c, const QueueRef& ref, double lock_secs,
                                  std::int64_t limit) {
  const StoreQuirks& bug = options_.quirks;
  const std::int64_t ms = lock_ms_of(lock_secs);
  auto entered = enter(c, ref, Operation::kHeadLockPost);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  std::uint32_t owner = queue.owner_index(c.client_key);
  Head h;
  h.limit = limit;
  h.lock_secs = static_cast<std::int64_t>(std::llround(lock_secs));
  if (c.client_key) h.client_key = c.client_key;
  TimeMs expires = now + ms;
  // Decision 26: only unlocked requests are handed out, so none goes to two holders at once.
  // A zero-second lock has already expired: it hands the request out but does not hold it.
  const std::int64_t take = bug.head_lock_takes_one_more ? limit + 1 : limit;
  const std::int64_t seq_before = queue.seq;  // locks taken by this call have a later seq
  // With a lag, requests still in their lag window are passed over: O(page + those).
  auto pos = queue.available.begin();
  while (pos != queue.available.end() && std::int64_t(h.items.size()) < take) {
    auto it = pos->second;
    if (it->second.visible_at > now) {
      ++pos;
      continue;
    }
    pos = queue.available.erase(pos);
    auto& e = it->second;
    TimeMs exp = expires;
    if (bug.lock_expiry_from_order_time) exp = std::abs(e.order.t) + ms;
    h.items.push_back({it->first, e.unique_key, e.url_ref(), std::string(kRequestMethods[e.method]),
                       e.retry_count, exp});
    queue.mark(it->first);
    if (ms > 0) {
      e.lock = Queue::LockKey{exp, ++queue.seq};
      e.lock_owner = owner;
      queue.locks.emplace(e.lock, it);
    } else {
      queue.make_available(it, e.forefront, now);  // its lock expired at once: reclaimed
      queue.hold(it, options_.lag, lag_seed_, now);
    }
  }
  if (bug.lock_not_exclusive) {
    // Requests locked by others are handed out again (their locks stay as they are).
    for (auto it = queue.locks.begin();
         it != queue.locks.end() && std::int64_t(h.items.size()) < limit; ++it) {
      const auto& [rid, e] = *it->second;
      if (e.lock_owner == owner) continue;
      h.items.push_back({rid, e.unique_key, e.url_ref(), std::string(kRequestMethods[e.method]),
                         e.retry_count, expires});
    }
  }
  if (bug.head_lock_rehands_own && owner != 0 && ms > 0) {
    // The caller's own locked requests (not those just locked) are handed out again, their
    // locks renewed. O(locks of the queue): a bug's path, it keeps no index of its own.
    std::vector<Queue::EntryIt> mine;
    for (auto it = queue.locks.begin();
         it != queue.locks.end() && std::int64_t(h.items.size() + mine.size()) < limit; ++it) {
      if (it->second->second.lock_owner == owner && it->first.seq <= seq_before)
        mine.push_back(it->second);
    }
    for (auto it : mine) {
      auto& e = it->second;
      queue.mark(it->first);
      queue.locks.erase(e.lock);
      e.lock = Queue::LockKey{expires, ++queue.seq};
      queue.locks.emplace(e.lock, it);
      h.items.push_back({it->first, e.unique_key, e.url_ref(),
                         std::string(kRequestMethods[e.method]), e.retry_count, expires});
    }
  }
  if (bug.head_lock_takes_one_more && std::int64_t(h.items.size()) > limit) h.items.pop_back();
  queue.touch(now, !h.items.empty() && !bug.lock_keeps_modified_at);
  charge_cost(queue, c, Operation::kHeadLockPost, static_cast<std::int64_t>(h.items.size()));
  h.queue_modified_at = queue.meta.modified_at;
  h.had_multiple_clients = queue.had_multiple_clients;
  h.queue_has_locked_requests = !queue.locks.empty();
  if (bug.has_locked_counts_own_only) {
    h.queue_has_locked_requests = false;
    for (const auto& [k, lit] : queue.locks) {
      if (lit->second.lock_owner == owner) h.queue_has_locked_requests = true;
    }
  }
  return h;
}

Result<TimeMs> Store::prolong_lock(const Caller& c, const QueueRef& ref, std::string_view id,
                                   double lock_secs, const WriteOptions& o) {
  const StoreQuirks& bug = options_.quirks;
  const std::int64_t ms = lock_ms_of(lock_secs);
  auto entered = enter(c, ref, Operation::kRequestLockPut);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  auto it = queue.find(id);
  if (it == queue.entries.end()) return not_found();
  auto& e = it->second;
  if (e.handled() || !e.locked()) {
    return errors::request_handled_or_locked(
        "Request \"" + std::string(id) + "\" is not locked (it is handled, or its lock expired).");
  }
  if (queue.client_keys[e.lock_owner] != c.client_key.value_or("") && !bug.lock_owner_ignored) {
    std::string msg = "Request \"" + std::string(id) + "\" is locked by another client.";
    if (options_.behaviour.prolong_by_other_is_400) return errors::request_handled_or_locked(msg);
    return errors::insufficient_permissions(msg);  // decision 27
  }
  TimeMs base = options_.behaviour.prolong_from_current_expiry ? e.lock.expires : now;
  TimeMs expires = base + ms;
  charge_cost(queue, c, Operation::kRequestLockPut, 1);
  if (bug.prolong_not_stored && expires > now) {
    queue.touch(now, true);
    return expires;
  }
  queue.locks.erase(e.lock);
  queue.mark(it->first);
  e.forefront = o.forefront;
  if (expires <= now) {
    e.lock = Queue::LockKey{0, 0};
    e.lock_owner = 0;
    queue.make_available(it, e.forefront, now);
    queue.hold(it, options_.lag, lag_seed_, now);
  } else {
    e.lock = Queue::LockKey{expires, ++queue.seq};
    queue.locks.emplace(e.lock, it);
  }
  queue.touch(now, true);
  return expires;
}

Status Store::delete_lock(const Caller& c, const QueueRef& ref, std::string_view id,
                          const WriteOptions& o) {
  const StoreQuirks& bug = options_.quirks;
  auto entered = enter(c, ref, Operation::kRequestLockDelete);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  auto it = queue.find(id);
  if (it == queue.entries.end()) return not_found();
  auto& e = it->second;
  // Decision 28.
  if (e.handled() || !e.locked()) {
    return errors::request_handled_or_locked("Request \"" + std::string(id) + "\" is not locked.");
  }
  if (bug.delete_lock_ignored) {
    charge_cost(queue, c, Operation::kRequestLockDelete, 1);
    return Ok{};
  }
  if (queue.client_keys[e.lock_owner] != c.client_key.value_or("") && !bug.lock_owner_ignored) {
    if (bug.delete_lock_by_other_noop) {
      charge_cost(queue, c, Operation::kRequestLockDelete, 1);
      return Ok{};
    }
    std::string msg = "Request \"" + std::string(id) + "\" is locked by another client.";
    if (options_.behaviour.delete_lock_by_other_is_403)
      return errors::insufficient_permissions(msg);
    return errors::request_handled_or_locked(msg);
  }
  queue.drop_lock(it);
  queue.make_available(it, o.forefront, now);  // section 4 (16): end, or front
  queue.hold(it, options_.lag, lag_seed_, now);
  charge_cost(queue, c, Operation::kRequestLockDelete, 1);
  queue.touch(now, true);
  return Ok{};
}

Result<std::int64_t> Store::unlock_requests(const Caller& c, const QueueRef& ref) {
  auto entered = enter(c, ref, Operation::kRequestsUnlockPost);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  const std::string& key = c.client_key ? *c.client_key : queue.client_keys[0];
  auto owner = queue.client_index.find(key);
  std::int64_t count = 0;
  if (owner != queue.client_index.end()) {
    // O(locked requests), not O(queue): `locks` holds only what is locked now.
    std::vector<Queue::EntryIt> mine;
    for (const auto& [k, it] : queue.locks) {
      if (it->second.lock_owner == owner->second || options_.quirks.unlock_releases_all)
        mine.push_back(it);
    }
    for (auto it : mine) {
      queue.drop_lock(it);
      queue.make_available(it, it->second.forefront, now);
      queue.hold(it, options_.lag, lag_seed_, now);
    }
    count = static_cast<std::int64_t>(mine.size());
  }
  charge_cost(queue, c, Operation::kRequestsUnlockPost, count);
  queue.touch(now, count > 0);
  return count;
}

// --- admin -----------------------------------------------------------------------------------

void Store::reset() {
  for (const auto& q : dir_->all()) {
    std::lock_guard ql(q->mu);
    q->removed = true;  // a call still holding it writes nothing more
  }
  dir_->clear();
  {
    std::lock_guard lock(soft_deleted_mu_);
    soft_deleted_.clear();
  }
  limiter_.clear_budgets();
}

std::size_t Store::queue_count() const { return dir_->count(); }

std::vector<QueueImage> Store::export_queues() const {
  std::vector<QueueImage> out;
  for (const auto& q : dir_->all()) {
    std::lock_guard ql(q->mu);
    QueueImage img;
    img.info = info_of(*q);
    auto add = [&](const std::string& rid, const Queue::Entry& e) {
      StoredRequest r;
      r.id = rid;
      r.draft.unique_key = e.unique_key;
      r.draft.url = e.url_ref();
      r.draft.method = e.method;
      r.draft.retry_count = e.retry_count;
      r.draft.extra = e.extra;
      if (e.handled()) r.draft.handled_at = e.handled_at;
      r.forefront = e.forefront;
      if (e.locked()) {
        r.lock_expires_at = e.lock.expires;
        if (e.lock_owner != 0) r.lock_client_key = q->client_keys[e.lock_owner];
      }
      img.requests.push_back(std::move(r));
    };
    // Pending requests in queue order first, so an import keeps the order; then the rest.
    for (const auto& [k, it] : q->available) add(it->first, it->second);
    for (const auto& [k, it] : q->locks) add(it->first, it->second);
    for (const auto& [rid, e] : q->entries) {
      if (e.handled()) add(rid, e);
    }
    out.push_back(std::move(img));
  }
  return out;
}

Status Store::import_queues(std::vector<QueueImage> images) {
  // Everything is built and checked first, so a bad image changes nothing.
  std::vector<std::shared_ptr<Queue>> queues;
  std::set<std::string> ids;
  std::set<std::pair<std::string, std::string>> names;
  std::int64_t seq = 0;
  for (QueueImage& img : images) {
    const RequestQueueInfo& info = img.info;
    if (!is_apify_id(info.id) || info.user_id.empty()) {
      return errors::invalid_input("Invalid input: a queue needs a 17-character id and a userId.");
    }
    if (!ids.insert(info.id).second) {
      return errors::invalid_input("Invalid input: queue \"" + info.id + "\" appears twice.");
    }
    if (info.name) {
      if (auto ok = check_storage_name(dir_->kind(), *info.name); !ok) return ok.error();
      if (!names.insert({info.user_id, *info.name}).second) {
        return errors::name_not_unique(*info.name);
      }
    }
    auto access = parse_general_access(info.general_access);
    if (!access) {
      return errors::invalid_input("Invalid input: queue \"" + info.id +
                                   "\" has an unknown generalAccess \"" + info.general_access +
                                   "\".");
    }
    auto q = std::make_shared<Queue>();
    StorageMeta& m = q->meta;
    m.id = info.id;
    m.user_id = info.user_id;
    m.username = info.username;
    m.name = info.name;
    m.general_access = *access;
    m.created_at = info.created_at;
    m.modified_at = info.modified_at;
    m.accessed_at = info.accessed_at;
    m.created_seq = seq++;  // the image's order among queues created in the same millisecond
    q->had_multiple_clients = info.had_multiple_clients;
    q->seen_client = info.had_multiple_clients;
    q->stats = info.stats;
    q->stats.storage_bytes = 0;  // recomputed by insert
    for (StoredRequest& r : img.requests) {
      std::string rid = request_id_for(r.draft.unique_key);
      if (r.id != rid) {
        return errors::request_id_invalid("Request ID \"" + r.id + "\" of queue \"" + info.id +
                                          "\" does not correspond to its uniqueKey.");
      }
      if (q->find(rid) != q->entries.end()) continue;
      // In order and at the back, so the image's queue order is kept; the forefront flag still
      // decides where the request goes when a later lock of it expires.
      bool locked = !r.draft.handled_at && r.lock_expires_at;
      auto it = q->insert(rid, std::move(r.draft), false, m.created_at);
      it->second.forefront = r.forefront;
      if (locked) {
        q->available.erase(it->second.order);
        it->second.lock = Queue::LockKey{*r.lock_expires_at, ++q->seq};
        it->second.lock_owner = q->owner_index(r.lock_client_key);
        q->locks.emplace(it->second.lock, it);
      }
    }
    queues.push_back(std::move(q));
  }
  for (const auto& q : dir_->all()) {
    std::lock_guard ql(q->mu);
    q->removed = true;  // a call still holding it writes nothing more
  }
  dir_->clear();
  for (auto& q : queues) {
    if (auto st = dir_->restore(std::move(q)); !st) return st.error();  // checked above
  }
  return Ok{};
}

}  // namespace rqcheck::fake

// --- persistence -----------------------------------------------------------------------------

namespace rqcheck::fake {

namespace {

// Counters of a queue's row, in this order (load_queue reads them back the same way).
enum QueueCounter {
  kReadCount,
  kWriteCount,
  kDeleteCount,
  kHeadItemReadCount,
  kSeq,
  kHadMultipleClients,
  kSeenClient,
  kQueueCounters
};

persist::StorageRow queue_row(const Store::Queue& q) {
  persist::StorageRow r;
  r.kind = persist::Kind::kQueue;
  r.meta = q.meta;
  r.counters = {q.stats.read_count,
                q.stats.write_count,
                q.stats.delete_count,
                q.stats.head_item_read_count,
                q.seq,
                q.had_multiple_clients ? 1 : 0,
                q.seen_client ? 1 : 0};
  r.client = q.first_client_key;
  return r;
}

persist::RequestRow request_row(const Store::Queue& q, const std::string& rid,
                                const Store::Queue::Entry& e) {
  persist::RequestRow r;
  r.row = e.row;
  r.queue_id = q.meta.id;
  r.id = rid;
  r.unique_key = e.unique_key;
  if (!e.url_is_key) r.url = e.url;
  r.method = e.method;
  r.retry_count = e.retry_count;
  r.extra = e.extra;
  if (e.handled()) r.handled_at = e.handled_at;
  r.order_t = e.order.t;
  r.order_seq = e.order.seq;
  r.forefront = e.forefront;
  if (e.locked()) {
    r.lock_expires = e.lock.expires;
    r.lock_seq = e.lock.seq;
    r.lock_client = q.client_keys[e.lock_owner];
  }
  return r;
}

}  // namespace

Store::Entered::~Entered() {
  if (store && queue && lock.owns_lock()) {
    store->publish_after(*queue, before, now);
    store->after_call(queue, write);
  }
}

void Store::after_call(const std::shared_ptr<Queue>& q, bool write) {
  if (!log_ || q->removed) return;
  if (write) {
    flush_locked(*q);
    return;
  }
  if (q->lazy_queued) return;
  q->lazy_queued = true;
  std::lock_guard l(lazy_mu_);
  lazy_.push_back(q);
}

void Store::flush_locked(Queue& q) {
  q.persisted = true;
  if (!log_ || q.removed) {
    q.dirty.clear();
    return;
  }
  std::vector<persist::Change> out;
  std::sort(q.dirty.begin(), q.dirty.end());
  q.dirty.erase(std::unique(q.dirty.begin(), q.dirty.end()), q.dirty.end());
  out.reserve(q.dirty.size() + q.dropped_rows.size() + 1);
  out.push_back(persist::PutStorage{queue_row(q)});
  for (std::int64_t row : q.dropped_rows) out.push_back(persist::DropRequest{row});
  for (const std::string& rid : q.dirty) {
    auto it = q.find(rid);
    if (it == q.entries.end()) continue;  // erased: its row (if written) is in dropped_rows
    if (it->second.row == 0) it->second.row = ++last_row_;
    out.push_back(persist::PutRequest{request_row(q, it->first, it->second)});
  }
  q.dirty.clear();
  q.dropped_rows.clear();
  log_->append(std::move(out));
}

void Store::flush_lazy() {
  std::vector<std::weak_ptr<Queue>> queues;
  {
    std::lock_guard l(lazy_mu_);
    queues.swap(lazy_);
  }
  for (auto& w : queues) {
    auto q = w.lock();
    if (!q) continue;
    std::lock_guard ql(q->mu);
    q->lazy_queued = false;
    if (!q->removed) flush_locked(*q);
  }
}

void Store::persist_all() {
  if (!log_) return;
  for (const auto& q : dir_->all()) {
    std::lock_guard ql(q->mu);
    q->persisted = true;
    q->dirty.clear();
    q->dropped_rows.clear();
    std::vector<persist::Change> out;
    out.reserve(q->entries.size() + 1);
    out.push_back(persist::PutStorage{queue_row(*q)});
    for (auto& [rid, e] : q->entries) {
      if (e.row == 0) e.row = ++last_row_;
      out.push_back(persist::PutRequest{request_row(*q, rid, e)});
    }
    log_->append(std::move(out));
  }
}

void Store::reseed_ids(std::uint64_t seed) { dir_->reseed(seed); }

Status Store::load_queue(persist::StorageRow row) {
  if (row.counters.size() != kQueueCounters) {
    return errors::invalid_input("queue \"" + row.meta.id + "\" has " +
                                 std::to_string(row.counters.size()) + " counters, not " +
                                 std::to_string(kQueueCounters));
  }
  auto q = std::make_shared<Queue>();
  q->meta = std::move(row.meta);
  q->stats.read_count = row.counters[kReadCount];
  q->stats.write_count = row.counters[kWriteCount];
  q->stats.delete_count = row.counters[kDeleteCount];
  q->stats.head_item_read_count = row.counters[kHeadItemReadCount];
  q->seq = row.counters[kSeq];
  q->had_multiple_clients = row.counters[kHadMultipleClients] != 0;
  q->seen_client = row.counters[kSeenClient] != 0;
  q->first_client_key = std::move(row.client);
  q->persisted = true;
  return dir_->restore(std::move(q));
}

Status Store::load_request(persist::RequestRow row) {
  auto q = dir_->find(row.queue_id);
  if (!q) return errors::invalid_input("a request of an unknown queue \"" + row.queue_id + "\"");
  if (row.method >= std::size(kRequestMethods)) {
    return errors::invalid_input("request \"" + row.id + "\" has an unknown method");
  }
  if (row.row <= 0) return errors::invalid_input("request \"" + row.id + "\" has no row number");
  Queue::Entry e;
  e.row = row.row;
  if (row.row > last_row_) last_row_ = row.row;
  e.url_is_key = !row.url;
  e.unique_key = std::move(row.unique_key);
  if (row.url) e.url = std::move(*row.url);
  e.plain = json_string_is_plain(e.unique_key) && json_string_is_plain(e.url);
  e.extra = std::move(row.extra);
  e.method = row.method;
  e.retry_count = row.retry_count;
  e.forefront = row.forefront;
  e.order = OrderKey{row.order_t, row.order_seq};
  q->seq = std::max({q->seq, row.order_seq, row.lock_seq});
  q->stats.storage_bytes += static_cast<std::int64_t>(row.id.size() + e.unique_key.size() +
                                                      e.url.size() + e.extra.size());
  auto node = Queue::EntryMap::make_node(std::move(row.id), std::move(e));
  auto [it, fresh] = q->entries.insert(std::move(node));
  if (!fresh) {
    return errors::invalid_input("request \"" + it->first + "\" twice in queue \"" + q->meta.id +
                                 "\"");
  }
  Queue::Entry& en = it->second;
  if (row.handled_at) {
    en.handled_at = *row.handled_at;
    ++q->handled_count;
    if (!q->handled.emplace(en.order, it).second) {
      return errors::invalid_input("two handled requests at one place in queue \"" + q->meta.id +
                                   "\"");
    }
  } else if (row.lock_expires) {
    en.lock = Queue::LockKey{*row.lock_expires, row.lock_seq};
    en.lock_owner = q->owner_index(row.lock_client);
    if (!q->locks.emplace(en.lock, it).second) {
      return errors::invalid_input("two locks at one place in queue \"" + q->meta.id + "\"");
    }
  } else if (!q->available.emplace(en.order, it).second) {
    return errors::invalid_input("two pending requests at one place in queue \"" + q->meta.id +
                                 "\"");
  }
  return Ok{};
}

}  // namespace rqcheck::fake
