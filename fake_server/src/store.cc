// The store's operations: who may touch which queue (decisions 13, 14), rate limits (37) and the
// request semantics of spec sections 4 and 6. The queue's own data structure is in queue.h.
#include "rqcheck/fake_server/store.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "queue.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string id_from_hash(std::uint64_t a, std::uint64_t b) {
  static constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(kQueueIdLength, 'A');
  for (std::size_t i = 0; i < kQueueIdLength; ++i) {
    std::uint64_t& src = i < 9 ? a : b;
    id[i] = kAlnum[src % 62];
    src /= 62;
  }
  return id;
}

std::int64_t lock_ms_of(double lock_secs) {
  return static_cast<std::int64_t>(std::llround(lock_secs * 1000.0));
}

Status check_queue_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxStorageNameLength) {
    return errors::invalid_parameter("Request queue name must be 1 to 63 characters long.");
  }
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return errors::invalid_parameter(
          "Request queue name may contain only letters, digits and '-' (got \"" + name + "\").");
    }
  }
  if (name.front() == '-' || name.back() == '-') {
    return errors::invalid_parameter("Request queue name must not start or end with '-'.");
  }
  return Ok{};
}

constexpr std::string_view kAccessValues[] = {
    "ANYONE_WITH_ID_CAN_READ", "ANYONE_WITH_NAME_CAN_READ", "FOLLOW_USER_SETTING", "RESTRICTED"};

}  // namespace

int limit_for(const RateLimits& rl, Operation op) {
  switch (operation_info(op).rate_class) {
    case RateClass::kSingleRequest:
      return rl.single_request_per_sec;
    case RateClass::kBatch:
      return rl.batch_per_sec;
    default:
      return rl.other_per_sec;
  }
}

Store::Store(StoreOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), rng_state_(options_.seed) {
  limits_.store(options_.rate_limits);
}

Store::~Store() = default;

std::string Store::new_id() {
  std::uint64_t a = splitmix64(rng_state_), b = splitmix64(rng_state_);
  return id_from_hash(a, b);
}

RequestQueueInfo Store::info_of(const Queue& q) const {
  RequestQueueInfo info = q.info();
  info.console_url = options_.console_base + q.id;
  if (options_.quirks.handled_count_frozen) {
    info.handled_request_count = 0;
  }
  info.total_request_count += q.bug_total_drift;
  info.handled_request_count += q.bug_handled_drift;
  info.pending_request_count += q.bug_pending_drift;
  return info;
}

ApiError Store::not_found() const {
  if (options_.quirks.not_found_is_500) return errors::internal_server_error("Internal error.");
  return errors::record_not_found();
}

// --- users -----------------------------------------------------------------------------------

void Store::set_fixed_users(std::vector<User> users) {
  std::unique_lock lock(mu_);
  fixed_users_ = true;
  users_by_token_.clear();
  users_by_name_.clear();
  users_by_id_.clear();
  for (User& u : users) {
    if (u.id.empty())
      u.id = id_from_hash(std::hash<std::string>{}(u.username), u.username.size() * 7919 + 17);
    users_by_name_[u.username] = u;
    users_by_id_[u.id] = u;
    users_by_token_[u.token] = std::move(u);
  }
}

Result<User> Store::user_for_token(std::string_view token) {
  if (token.empty()) return errors::token_not_provided();
  {
    std::shared_lock lock(mu_);
    auto it = users_by_token_.find(std::string(token));
    if (it != users_by_token_.end()) return it->second;
    if (fixed_users_) return errors::user_or_token_not_found();
  }
  // Every new token is a new user, with an id and a username derived from the token.
  auto digest = sha256(token);
  std::uint64_t a = 0, b = 0;
  for (int i = 0; i < 8; ++i) {
    a = (a << 8) | digest[i];
    b = (b << 8) | digest[8 + i];
  }
  User u;
  u.id = id_from_hash(a, b);
  u.username = "user-" + u.id.substr(0, 8);
  for (char& c : u.username) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  u.token = std::string(token);
  std::unique_lock lock(mu_);
  auto [it, inserted] = users_by_token_.emplace(u.token, u);
  if (inserted) {
    users_by_name_.emplace(u.username, u);
    users_by_id_.emplace(u.id, u);
  }
  return it->second;
}

std::optional<User> Store::user_by_id(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = users_by_id_.find(std::string(id));
  if (it == users_by_id_.end()) return std::nullopt;
  return it->second;
}

// --- resolving and entering queues --------------------------------------------------------

// Decisions 13 and 14: who may touch which queue.
Result<std::shared_ptr<Store::Queue>> Store::resolve(const User* u, const QueueRef& ref,
                                                     bool write) {
  const std::string& t = ref.text;
  std::shared_ptr<Queue> q;
  bool by_name = false;
  {
    std::shared_lock lock(mu_);
    auto tilde = t.find('~');
    if (tilde == std::string::npos) {
      auto it = queues_.find(t);
      if (it != queues_.end()) q = it->second;
    } else {
      by_name = true;
      if (!u) return errors::token_not_provided();
      std::string owner_name = t.substr(0, tilde), name = t.substr(tilde + 1);
      std::string owner_id;
      if (owner_name.empty()) {
        owner_id = u->id;
      } else {
        auto un = users_by_name_.find(owner_name);
        if (un == users_by_name_.end()) return not_found();
        owner_id = un->second.id;
      }
      auto n = names_.find({owner_id, name});
      if (n != names_.end()) {
        auto it = queues_.find(n->second);
        if (it != queues_.end()) q = it->second;
      }
    }
  }
  if (!q) return not_found();
  if (write && !u) return errors::token_not_provided();
  bool owner = u && u->id == q->user_id;
  if (!owner) {
    if (write) {
      return errors::insufficient_permissions(
          "You do not have permission to modify this request queue (it belongs to another user).");
    }
    std::lock_guard ql(q->mu);
    if ((q->general_access == "RESTRICTED" && !options_.quirks.restricted_ignored) ||
        (by_name && q->general_access != "ANYONE_WITH_NAME_CAN_READ")) {
      if (!u) return errors::token_not_provided();
      return errors::insufficient_permissions(
          "You do not have permission to read this request queue.");
    }
  }
  return q;
}

Status Store::charge_user(const User* u, TimeMs now) {
  RateLimits rl = rate_limits();
  if (!rl.enabled || options_.quirks.rate_limits_off || !u || rl.global_per_minute <= 0) {
    return Ok{};
  }
  BudgetShard& shard = budget_shards_[std::hash<std::string>{}(u->id) % kBudgetShards];
  std::lock_guard lock(shard.mu);
  UserBudget& b = shard.budgets[u->id];
  std::int64_t window = now / 60000;
  if (b.window != window) b = UserBudget{window, 0};
  if (b.count >= rl.global_per_minute) {
    ApiError e = errors::rate_limit_exceeded(rl.global_per_minute);
    e.message = "You have exceeded the rate limit of " + std::to_string(rl.global_per_minute) +
                " requests per minute. Please try again later.";
    return e;
  }
  ++b.count;
  return Ok{};
}

// Decision 37: the queue's bucket for this operation class, charged before the work.
Status Store::charge_queue(Queue& q, Operation op, TimeMs now) {
  RateLimits rl = rate_limits();
  int limit = fake::limit_for(rl, op);
  if (!rl.enabled || options_.quirks.rate_limits_off || limit <= 0) return Ok{};
  if (!q.take_call(static_cast<int>(operation_info(op).rate_class), limit, now)) {
    return errors::rate_limit_exceeded(limit);
  }
  return Ok{};
}

Result<Store::Entered> Store::enter(const Caller& c, const QueueRef& ref, Operation op) {
  const bool write = operation_info(op).is_write();
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(c.user, now); !st) return st.error();
  auto q = resolve(c.user, ref, write);
  if (!q) return q.error();
  Entered e{std::move(*q), {}, now};
  e.lock = std::unique_lock(e.queue->mu);
  if (auto st = charge_queue(*e.queue, op, now); !st) return st.error();
  if (options_.quirks.expired_lock_keeps_position) {
    auto& qu = *e.queue;
    while (!qu.locks.empty() && qu.locks.begin()->first.expires <= now) {
      auto it = qu.locks.begin()->second;
      qu.drop_lock(it);
      qu.available.emplace(it->second.order, it);  // the place it had before the lock
    }
  }
  e.queue->expire_locks(now);
  // Decision 30; get request takes no clientKey (spec 3 row 10), so it does not count.
  if (op != Operation::kRequestGet) {
    const StoreQuirks& bug = options_.quirks;
    if (bug.every_call_a_new_client && e.queue->seen_client) e.queue->had_multiple_clients = true;
    e.queue->note_client(bug.keyless_calls_one_client ? c.client_key.value_or("") : c.client_key);
  }
  return Result<Entered>(std::move(e));  // the lock moves out with it
}

// --- rate limits -----------------------------------------------------------------------------

void Store::LimitsCell::store(const RateLimits& r) {
  seq_.fetch_add(1, std::memory_order_acq_rel);  // odd: a write is in progress
  enabled_.store(r.enabled, std::memory_order_relaxed);
  single_.store(r.single_request_per_sec, std::memory_order_relaxed);
  batch_.store(r.batch_per_sec, std::memory_order_relaxed);
  other_.store(r.other_per_sec, std::memory_order_relaxed);
  batch_items_.store(r.batch_items_per_sec, std::memory_order_relaxed);
  global_.store(r.global_per_minute, std::memory_order_relaxed);
  seq_.fetch_add(1, std::memory_order_release);
}

RateLimits Store::LimitsCell::load() const {
  RateLimits r;
  for (;;) {
    std::uint32_t before = seq_.load(std::memory_order_acquire);
    if (before & 1u) continue;  // a write is in progress (rare: admin calls only)
    r.enabled = enabled_.load(std::memory_order_relaxed);
    r.single_request_per_sec = single_.load(std::memory_order_relaxed);
    r.batch_per_sec = batch_.load(std::memory_order_relaxed);
    r.other_per_sec = other_.load(std::memory_order_relaxed);
    r.batch_items_per_sec = batch_items_.load(std::memory_order_relaxed);
    r.global_per_minute = global_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) == before) return r;
  }
}

int Store::limit_for(Operation op) const { return fake::limit_for(limits_.load(), op); }

void Store::set_rate_limits(const RateLimits& r) {
  std::lock_guard lock(limits_mu_);
  options_.rate_limits = r;
  limits_.store(r);
}

RateLimits Store::rate_limits() const { return limits_.load(); }

// --- queues ----------------------------------------------------------------------------------

Result<QueuesPage> Store::list_queues(const Caller& c, const QueueListOptions& o) {
  if (!c.user) return errors::token_not_provided();
  if (auto st = charge_user(c.user, clock_.now_ms()); !st) return st.error();
  QueuesPage page;
  page.offset = o.offset;
  page.limit = o.limit;
  page.desc = o.desc;
  if (o.shared_with_me) return page;  // the fake shares no queues between users
  // The user's queues in creation order, from the per-user index: O(log n + offset + page).
  std::vector<std::shared_ptr<Queue>> picked;
  {
    std::shared_lock lock(mu_);
    auto lo = by_user_.lower_bound({c.user->id, std::numeric_limits<TimeMs>::min(), 0, ""});
    auto hi = by_user_.lower_bound({c.user->id + '\0', std::numeric_limits<TimeMs>::min(), 0, ""});
    std::vector<std::shared_ptr<Queue>> mine;
    for (auto it = lo; it != hi; ++it) {
      auto q = queues_.find(std::get<3>(*it));
      if (q != queues_.end()) mine.push_back(q->second);
    }
    // Unnamed queues are listed only with unnamed=1 (decision 35). Names change under the
    // directory lock, so reading them here is safe.
    if (!o.unnamed && !options_.behaviour.unnamed_listed_by_default) {
      mine.erase(std::remove_if(mine.begin(), mine.end(),
                                [](const std::shared_ptr<Queue>& q) { return !q->name; }),
                 mine.end());
    }
    page.total = static_cast<std::int64_t>(mine.size());
    if (o.desc) std::reverse(mine.begin(), mine.end());
    for (std::int64_t i = o.offset; i < page.total && i < o.offset + o.limit; ++i) {
      picked.push_back(mine[static_cast<std::size_t>(i)]);
    }
  }
  for (auto& q : picked) {
    std::lock_guard ql(q->mu);
    RequestQueueInfo info = info_of(*q);
    info.stats = QueueStats{};
    page.items.push_back(std::move(info));
  }
  page.count = static_cast<std::int64_t>(page.items.size());
  return page;
}

Result<CreateResult> Store::create_queue(const Caller& c, std::optional<std::string> name) {
  if (!c.user) return errors::token_not_provided();
  const User& u = *c.user;
  if (name) {
    if (auto ok = check_queue_name(*name); !ok) return ok.error();
  }
  TimeMs now = clock_.now_ms();
  if (auto st = charge_user(c.user, now); !st) return st.error();
  std::unique_lock lock(mu_);
  if (name) {
    auto n = names_.find({u.id, *name});
    if (n != names_.end()) {
      auto q = queues_.at(n->second);
      std::lock_guard ql(q->mu);
      q->touch(now, false);
      return CreateResult{info_of(*q), false};
    }
  }
  auto q = std::make_shared<Queue>();
  do {
    q->id = new_id();
  } while (queues_.count(q->id));
  q->name = name;
  q->user_id = u.id;
  q->username = u.username;
  q->created_at = q->modified_at = q->accessed_at = now;
  q->created_seq = next_created_seq_++;
  queues_.emplace(q->id, q);
  by_user_.emplace(q->user_id, q->created_at, q->created_seq, q->id);
  if (name) names_.emplace(std::make_pair(u.id, *name), q->id);
  return CreateResult{info_of(*q), true};
}

Result<RequestQueueInfo> Store::get_queue(const Caller& c, const QueueRef& ref) {
  if (auto st = charge_user(c.user, clock_.now_ms()); !st) return st.error();
  auto q = resolve(c.user, ref, false);
  if (!q) return q.error();
  std::lock_guard ql((*q)->mu);
  TimeMs now = clock_.now_ms();
  if (auto st = charge_queue(**q, Operation::kQueueGet, now); !st) return st.error();
  (*q)->touch(now, false);
  return info_of(**q);
}

Result<RequestQueueInfo> Store::update_queue(const Caller& c, const QueueRef& ref,
                                             const QueueChanges& changes) {
  if (changes.name && *changes.name) {
    if (auto ok = check_queue_name(**changes.name); !ok) return ok.error();
  }
  if (changes.general_access && std::find(std::begin(kAccessValues), std::end(kAccessValues),
                                          *changes.general_access) == std::end(kAccessValues)) {
    return errors::invalid_input(
        "Invalid input: \"generalAccess\" must be one of ANYONE_WITH_ID_CAN_READ, "
        "ANYONE_WITH_NAME_CAN_READ, FOLLOW_USER_SETTING, RESTRICTED.");
  }
  TimeMs now = clock_.now_ms();
  if (auto st = charge_user(c.user, now); !st) return st.error();
  auto q = resolve(c.user, ref, true);
  if (!q) return q.error();
  std::unique_lock lock(mu_);
  std::lock_guard ql((*q)->mu);
  Queue& queue = **q;
  if (auto st = charge_queue(queue, Operation::kQueuePut, now); !st) return st.error();
  if (changes.name && *changes.name != queue.name) {
    const std::optional<std::string>& new_name = *changes.name;
    if (new_name && names_.count({queue.user_id, *new_name})) {
      return errors::name_not_unique(*new_name);
    }
    if (queue.name) names_.erase({queue.user_id, *queue.name});
    queue.name = new_name;
    if (queue.name) names_.emplace(std::make_pair(queue.user_id, *queue.name), queue.id);
  }
  if (changes.general_access) queue.general_access = *changes.general_access;
  queue.touch(now, true);
  return info_of(queue);
}

Status Store::delete_queue(const Caller& c, const QueueRef& ref) {
  if (auto st = charge_user(c.user, clock_.now_ms()); !st) return st.error();
  auto q = resolve(c.user, ref, true);
  if (!q) return q.error();
  std::unique_lock lock(mu_);
  std::lock_guard ql((*q)->mu);
  if (auto st = charge_queue(**q, Operation::kQueueDelete, clock_.now_ms()); !st) {
    return st.error();
  }
  if ((*q)->name) names_.erase({(*q)->user_id, *(*q)->name});
  by_user_.erase({(*q)->user_id, (*q)->created_at, (*q)->created_seq, (*q)->id});
  if (!options_.quirks.soft_delete_queue) queues_.erase((*q)->id);
  return Ok{};
}

// --- requests --------------------------------------------------------------------------------

Result<AddResult> Store::add_request(const Caller& c, const QueueRef& ref, RequestDraft d,
                                     const WriteOptions& o) {
  const StoreQuirks& bug = options_.quirks;
  std::string rid = request_id_for(d.unique_key);
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
    ++queue.stats.read_count;
    return AddResult{rid, true, handled};
  }
  queue.insert(it, rid, std::move(d), o.forefront, now);
  ++queue.stats.write_count;
  queue.touch(now, true);
  return AddResult{rid, false, false};
}

Result<BatchAddResult> Store::batch_add(const Caller& c, const QueueRef& ref,
                                        std::vector<RequestDraft> drafts, const WriteOptions& o,
                                        const UnprocessedMask* mask) {
  const StoreQuirks& bug = options_.quirks;
  std::vector<std::string> ids;
  ids.reserve(drafts.size());
  for (const RequestDraft& d : drafts) {
    ids.push_back(request_id_for(d.unique_key));
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
  out.processed.reserve(drafts.size());
  bool modified = false;
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    RequestDraft& d = drafts[i];
    bool over_budget = !queue.take_batch_item(rl, now);
    if (over_budget || (mask && i < mask->size() && (*mask)[i])) {
      out.unprocessed.push_back({d.unique_key, d.url, std::string(kRequestMethods[d.method])});
      if (bug.unprocessed_items_stored && over_budget &&
          queue.find(ids[i]) == queue.entries.end()) {
        queue.insert(ids[i], std::move(d), front, now);
        modified = true;
      }
      continue;
    }
    if (bug.never_dedup) ids[i] = queue.fresh_id(ids[i]);
    if (bug.dedup_by_url) ids[i] = queue.id_by_url(d.url).value_or(ids[i]);
    if (bug.dedup_case_insensitive || bug.dedup_trailing_slash) {
      ids[i] = queue.id_by_loose_key(d.unique_key, bug.dedup_case_insensitive).value_or(ids[i]);
    }
    auto it = queue.lower_bound(ids[i]);
    if (it != queue.entries.end() && it->first == ids[i]) {
      if (bug.duplicate_counts_total) ++queue.bug_total_drift, ++queue.bug_pending_drift;
      ++queue.stats.read_count;
      out.processed.push_back({ids[i], d.unique_key, true, it->second.handled()});
      continue;
    }
    std::string uk = d.unique_key;
    queue.insert(it, ids[i], std::move(d), front, now);
    ++queue.stats.write_count;
    modified = true;
    out.processed.push_back({ids[i], std::move(uk), false, false});
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
      ++queue.stats.delete_count;
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
  queue.stats.read_count += page.listed;
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
  ++queue.stats.read_count;
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
    ++queue.stats.write_count;
    queue.insert(rid, std::move(d), front, now);
    return AddResult{rid, false, false};
  }
  queue.touch(now, true);
  ++queue.stats.write_count;
  // Section 4 (11): a replace, not a merge. Decision 22: wasAlreadyHandled is the state before.
  bool was_handled = it->second.handled();
  if (bug.update_merges && d.extra.empty()) d.extra = it->second.extra;
  const bool keep_place =
      bug.reclaim_keeps_position && !was_handled && !it->second.locked() && !d.handled_at;
  const OrderKey old_place = it->second.order;
  if (bug.handled_update_keeps_pending && !was_handled && d.handled_at) ++queue.bug_pending_drift;
  queue.erase(it);
  auto fresh = queue.insert(rid, std::move(d), front, now);  // decision 23: end, or front
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
  ++queue.stats.delete_count;
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
  h.queue_modified_at = queue.modified_at;
  h.had_multiple_clients = queue.had_multiple_clients;
  // Decision 25: pending requests not locked by anyone, in queue order.
  for (auto it = queue.available.begin();
       it != queue.available.end() && std::int64_t(h.items.size()) < limit; ++it) {
    const auto& [rid, e] = *it->second;
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
  queue.stats.head_item_read_count += static_cast<std::int64_t>(h.items.size());
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
  while (!queue.available.empty() && std::int64_t(h.items.size()) < take) {
    auto it = queue.available.begin()->second;
    queue.available.erase(queue.available.begin());
    auto& e = it->second;
    TimeMs exp = expires;
    if (bug.lock_expiry_from_order_time) exp = std::abs(e.order.t) + ms;
    h.items.push_back({it->first, e.unique_key, e.url_ref(), std::string(kRequestMethods[e.method]),
                       e.retry_count, exp});
    if (ms > 0) {
      e.lock = Queue::LockKey{exp, ++queue.seq};
      e.lock_owner = owner;
      queue.locks.emplace(e.lock, it);
    } else {
      queue.make_available(it, e.forefront, now);
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
  if (bug.head_lock_takes_one_more && std::int64_t(h.items.size()) > limit) h.items.pop_back();
  queue.touch(now, !h.items.empty() && !bug.lock_keeps_modified_at);
  queue.stats.head_item_read_count += static_cast<std::int64_t>(h.items.size());
  h.queue_modified_at = queue.modified_at;
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
  if (bug.prolong_not_stored && expires > now) {
    queue.touch(now, true);
    return expires;
  }
  queue.locks.erase(e.lock);
  e.forefront = o.forefront;
  if (expires <= now) {
    e.lock = Queue::LockKey{0, 0};
    e.lock_owner = 0;
    queue.make_available(it, e.forefront, now);
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
  if (bug.delete_lock_ignored) return Ok{};
  if (queue.client_keys[e.lock_owner] != c.client_key.value_or("") && !bug.lock_owner_ignored) {
    if (bug.delete_lock_by_other_noop) return Ok{};
    std::string msg = "Request \"" + std::string(id) + "\" is locked by another client.";
    if (options_.behaviour.delete_lock_by_other_is_403)
      return errors::insufficient_permissions(msg);
    return errors::request_handled_or_locked(msg);
  }
  queue.drop_lock(it);
  queue.make_available(it, o.forefront, now);  // section 4 (16): end, or front
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
    }
    count = static_cast<std::int64_t>(mine.size());
  }
  queue.touch(now, count > 0);
  return count;
}

// --- admin -----------------------------------------------------------------------------------

void Store::reset() {
  std::unique_lock lock(mu_);
  queues_.clear();
  names_.clear();
  by_user_.clear();
  for (auto& shard : budget_shards_) {
    std::lock_guard bl(shard.mu);
    shard.budgets.clear();
  }
}

std::size_t Store::queue_count() const {
  std::shared_lock lock(mu_);
  return queues_.size();
}

std::vector<QueueImage> Store::export_queues() const {
  std::vector<std::shared_ptr<Queue>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& key : by_user_) {
      auto it = queues_.find(std::get<3>(key));
      if (it != queues_.end()) all.push_back(it->second);
    }
  }
  std::vector<QueueImage> out;
  out.reserve(all.size());
  for (const auto& q : all) {
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
  std::unordered_map<std::string, std::shared_ptr<Queue>> queues;
  std::map<std::pair<std::string, std::string>, std::string> names;
  std::set<std::tuple<std::string, TimeMs, std::int64_t, std::string>> by_user;
  std::int64_t seq = 0;
  {
    std::shared_lock lock(mu_);
    seq = next_created_seq_;
  }
  for (QueueImage& img : images) {
    const RequestQueueInfo& info = img.info;
    if (!is_apify_id(info.id) || info.user_id.empty()) {
      return errors::invalid_input("Invalid input: a queue needs a 17-character id and a userId.");
    }
    if (queues.count(info.id)) {
      return errors::invalid_input("Invalid input: queue \"" + info.id + "\" appears twice.");
    }
    if (info.name) {
      if (auto ok = check_queue_name(*info.name); !ok) return ok.error();
      if (names.count({info.user_id, *info.name})) return errors::name_not_unique(*info.name);
    }
    auto q = std::make_shared<Queue>();
    q->id = info.id;
    q->user_id = info.user_id;
    q->username = info.username;
    q->name = info.name;
    q->general_access = info.general_access;
    q->created_at = info.created_at;
    q->modified_at = info.modified_at;
    q->accessed_at = info.accessed_at;
    q->had_multiple_clients = info.had_multiple_clients;
    q->seen_client = info.had_multiple_clients;
    q->stats = info.stats;
    q->stats.storage_bytes = 0;  // recomputed by insert
    q->created_seq = seq++;
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
      auto it = q->insert(rid, std::move(r.draft), false, q->created_at);
      it->second.forefront = r.forefront;
      if (locked) {
        q->available.erase(it->second.order);
        it->second.lock = Queue::LockKey{*r.lock_expires_at, ++q->seq};
        it->second.lock_owner = q->owner_index(r.lock_client_key);
        q->locks.emplace(it->second.lock, it);
      }
    }
    if (q->name) names[{q->user_id, *q->name}] = q->id;
    by_user.emplace(q->user_id, q->created_at, q->created_seq, q->id);
    queues[q->id] = std::move(q);
  }
  std::unique_lock lock(mu_);
  queues_ = std::move(queues);
  names_ = std::move(names);
  by_user_ = std::move(by_user);
  next_created_seq_ = seq;
  return Ok{};
}

}  // namespace rqcheck::fake
