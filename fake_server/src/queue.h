// One queue of the fake's store (private to the store), the T of Directory<Queue>. Requests live
// in `entries` by id (id_index.h; the list order, decision 31); pending and unlocked ones are also
// in `available` by queue order (decision 24); locked ones in `locks` by expiry, so expiring them
// is O(log n) each; handled ones in `handled` by handledAt (the dashboard lists each state a page
// at a time). Every request is in exactly one of the three, so the state indexes cost one map node
// per request in all.
#pragma once

#include <cctype>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "directory.h"
#include "id_index.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/requests.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"
#include "rqcheck/fake_server/lag.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

struct OrderKey {
  std::int64_t t = 0;
  std::int64_t seq = 0;
  bool operator<(const OrderKey& o) const { return t != o.t ? t < o.t : seq < o.seq; }
};

struct Store::Queue {
  struct LockKey {
    TimeMs expires;
    std::int64_t seq;
    bool operator<(const LockKey& o) const {
      return expires != o.expires ? expires < o.expires : seq < o.seq;
    }
  };
  struct Entry {
    std::string unique_key;
    std::string url;  // empty when equal to unique_key (the common case): saves memory
    std::string extra;
    static constexpr TimeMs kPending = std::numeric_limits<TimeMs>::min();
    TimeMs handled_at = kPending;  // any other value (1969 too) is a handledAt
    OrderKey order;      // position while available; (handledAt, seq) in `handled` once handled
    LockKey lock{0, 0};  // expires == 0: not locked
    std::int32_t retry_count = 0;
    std::uint32_t lock_owner = 0;  // index into client_keys
    std::uint8_t method = 0;
    bool url_is_key = false;
    bool plain = false;  // unique_key and url need no JSON escaping (json_string_is_plain)
    bool forefront = false;
    std::int64_t row = 0;  // its row in the data directory (0: not written yet)
    // Seeded eventual consistency (lag.h): head and head/lock show it from visible_at on (0:
    // at once); `events` counts the times it became new or reclaimed, the lag's event number.
    // Neither is persisted: a restarted fake shows every request.
    TimeMs visible_at = 0;
    std::uint32_t events = 0;
    bool handled() const { return handled_at != kPending; }
    bool locked() const { return lock.expires != 0; }
    const std::string& url_ref() const { return url_is_key ? unique_key : url; }
  };
  using EntryMap = IdIndex<Entry>;
  using EntryIt = EntryMap::iterator;

  std::mutex mu;     // guards everything below (the Directory<Queue> locks it too)
  StorageMeta meta;  // id, name, owner, access, timestamps: what every storage has
  QueueStats stats;
  std::int64_t handled_count = 0;
  std::int64_t seq = 0;
  bool had_multiple_clients = false;
  // Second-set bugs (counters kept apart from the requests): what the shown counters drifted by.
  std::int64_t bug_total_drift = 0, bug_handled_drift = 0, bug_pending_drift = 0;
  bool seen_client = false;
  std::optional<std::string> first_client_key;  // nullopt with seen_client: a keyless caller

  // Persistence (Store::set_change_log): the ids of requests changed since the queue's last
  // flush; `removed` once deleted (nothing more is written); `lazy_queued` while in the
  // store's list of queues whose reads kept changes back.
  bool persisted = false, removed = false, lazy_queued = false;
  std::vector<std::string> dirty;
  std::vector<std::int64_t> dropped_rows;  // rows of erased requests, to delete on disk
  void mark(const std::string& rid) {
    if (persisted) dirty.push_back(rid);
  }

  EntryMap entries;
  bool forefront_fifo = false;  // a named bug (StoreQuirks::forefront_fifo), set on entry when on
  std::map<OrderKey, EntryIt> available;
  std::map<LockKey, EntryIt> locks;
  std::map<OrderKey, EntryIt> handled;       // by (handledAt, seq)
  std::vector<std::string> client_keys{""};  // lock owners; 0 = no clientKey
  std::unordered_map<std::string, std::uint32_t> client_index{{"", 0}};

  // Rate-limit windows (decision 37): one-second buckets per operation class, and the batch
  // items' budget.
  RateBuckets rate;
  RateBuckets::Window batch_items;

  // Seeded eventual consistency (lag.h). The counters GET queue and the queue list show: while
  // `pending`, the values of before the first change since the last publication, until `due`;
  // afterwards the live ones. `count` numbers the publications (the counters lag's event).
  struct Published {
    QueueCounters shown;
    TimeMs due = 0;
    bool pending = false;
    std::uint64_t count = 0;
  };
  Published published;

  // A request became new or reclaimed at `from`: head shows it once its lag has passed. O(1).
  void hold(EntryIt it, const LagOptions& lag, std::uint64_t seed, TimeMs from) {
    if (!lag.head.on()) return;
    Entry& e = it->second;
    ++e.events;
    e.visible_at = from + lag.head.draw(lag_hash(seed, meta.id, it->first, e.events));
  }

  // Decision 37: one batch item against the per-second item budget; false when it is spent.
  bool take_batch_item(const RateLimits& rl, TimeMs now) {
    if (!rl.enabled || rl.batch_items_per_sec <= 0) return true;
    if (batch_items.second != now / 1000) batch_items = RateBuckets::Window{now / 1000, 0};
    if (batch_items.count >= rl.batch_items_per_sec) return false;
    ++batch_items.count;
    return true;
  }

  std::uint32_t owner_index(const std::optional<std::string>& ck) {
    const std::string& key = ck ? *ck : client_keys[0];
    auto [it, inserted] = client_index.emplace(key, static_cast<std::uint32_t>(client_keys.size()));
    if (inserted) client_keys.push_back(key);
    return it->second;
  }

  // Decision 30: the flag turns true once two different clients, or a second keyless call, touch
  // the queue.
  void note_client(const std::optional<std::string>& ck) {
    if (had_multiple_clients) return;
    if (!seen_client) {
      seen_client = true;
      first_client_key = ck;
      return;
    }
    if (!ck || !first_client_key || *ck != *first_client_key) had_multiple_clients = true;
  }

  OrderKey make_order(bool front, TimeMs t) {
    ++seq;
    // The ForefrontOldestFirst bug: forefront requests in a first-in-first-out list of their own.
    if (front && forefront_fifo) return OrderKey{t - (TimeMs{1} << 52), seq};
    return front ? OrderKey{-t, -seq} : OrderKey{t, seq};
  }

  void make_available(EntryIt it, bool front, TimeMs t) {
    mark(it->first);
    it->second.forefront = front;
    it->second.order = make_order(front, t);
    // New requests go to one end of the order (now, or -now at the front): hinting that end
    // makes the insert amortized O(1) instead of a walk down a tree of a million nodes.
    available.emplace_hint(front ? available.begin() : available.end(), it->second.order, it);
  }

  void drop_lock(EntryIt it) {
    if (!it->second.locked()) return;
    mark(it->first);
    locks.erase(it->second.lock);
    it->second.lock = LockKey{0, 0};
    it->second.lock_owner = 0;
  }

  // Takes an entry out of whatever index holds it (before a change of state or a delete).
  void unindex(EntryIt it) {
    Entry& e = it->second;
    if (e.handled())
      handled.erase(e.order);
    else if (e.locked())
      drop_lock(it);
    else
      available.erase(e.order);
  }

  // Decision 29: an expired lock makes the request pending again, ordered by its expiry time.
  // With a lag, the reclaimed request is held from its expiry on.
  void expire_locks(TimeMs now, const LagOptions* lag = nullptr, std::uint64_t lag_seed = 0) {
    while (!locks.empty() && locks.begin()->first.expires <= now) {
      EntryIt it = locks.begin()->second;
      TimeMs expired_at = it->second.lock.expires;
      drop_lock(it);
      make_available(it, it->second.forefront, expired_at);
      if (lag) hold(it, *lag, lag_seed, expired_at);
    }
  }

  void touch(TimeMs now, bool modified) { meta.touch(now, modified); }

  std::int64_t total() const { return static_cast<std::int64_t>(entries.size()); }

  RequestQueueInfo info() const {
    RequestQueueInfo q;
    q.id = meta.id;
    q.name = meta.name;
    q.user_id = meta.user_id;
    q.username = meta.username;
    q.created_at = meta.created_at;
    q.modified_at = meta.modified_at;
    q.accessed_at = meta.accessed_at;
    q.total_request_count = total();
    q.handled_request_count = handled_count;
    q.pending_request_count = total() - handled_count;
    q.had_multiple_clients = had_multiple_clients;
    q.general_access = std::string(to_string(meta.general_access));
    q.stats = stats;
    return q;
  }

  // The stored request as a view for a sink (valid while the queue is locked).
  RequestView view(const std::string& rid, const Entry& e) const {
    RequestView v;
    v.id = rid;
    v.unique_key = e.unique_key;
    v.url = e.url_ref();
    v.method = e.method;
    v.retry_count = e.retry_count;
    v.extra = e.extra;
    if (e.handled()) v.handled_at = e.handled_at;
    v.plain = e.plain;
    if (e.locked()) {
      v.lock_expires_at = e.lock.expires;
      v.lock_client_key = client_keys[e.lock_owner];
    }
    return v;
  }

  EntryIt lower_bound(std::string_view key) { return entries.lower_bound(key); }
  EntryIt find(std::string_view key) { return entries.find(key); }
  EntryIt upper_bound(std::string_view key) { return entries.upper_bound(key); }

  // A new request parsed from a body, as a node not yet in the queue: made before the queue is
  // locked (no queue state is read).
  static EntryMap::NodePtr make_node(std::string rid, RequestDraft&& p) {
    Entry e;
    e.url_is_key = p.url == p.unique_key;
    e.unique_key = std::move(p.unique_key);
    if (!e.url_is_key) e.url = std::move(p.url);
    e.plain = json_string_is_plain(e.unique_key) && json_string_is_plain(e.url);
    e.extra = std::move(p.extra);
    e.method = p.method;
    e.retry_count = static_cast<std::int32_t>(p.retry_count);
    if (p.handled_at) e.handled_at = *p.handled_at;
    return EntryMap::make_node(std::move(rid), std::move(e));
  }

  // Inserts a new request (its id is not in the queue).
  EntryIt insert(const std::string& rid, RequestDraft&& p, bool front, TimeMs now) {
    return link(make_node(rid, std::move(p)), front, now);
  }
  EntryIt link(EntryMap::NodePtr&& node, bool front, TimeMs now) {
    auto it = entries.insert(std::move(node)).first;
    mark(it->first);
    if (it->second.handled()) {
      it->second.order = OrderKey{it->second.handled_at, ++seq};
      // Requests are mostly marked handled as they are: now, at the end of the index.
      handled.emplace_hint(handled.end(), it->second.order, it);
      ++handled_count;
    } else {
      make_available(it, front, now);
    }
    stats.storage_bytes +=
        static_cast<std::int64_t>(it->first.size() + it->second.unique_key.size() +
                                  it->second.url.size() + it->second.extra.size());
    return it;
  }

  // An id no request has yet, derived from `rid` (the NeverDedup bug stores look-alikes).
  std::string fresh_id(const std::string& rid) {
    std::string id = rid;
    for (int n = 1; find(id) != entries.end(); ++n) {
      id = request_id_for(rid + "#" + std::to_string(n));
    }
    return id;
  }

  // The id of a request with this url (the DedupByUrl bug; a scan, test-only).
  std::optional<std::string> id_by_url(std::string_view url) const {
    for (const auto& [rid, e] : entries) {
      if (e.url_ref() == url) return rid;
    }
    return std::nullopt;
  }

  // The id of a request whose uniqueKey equals `key` ignoring case (or only a trailing '/'):
  // the second set's loose-dedup bugs (a scan, test-only).
  std::optional<std::string> id_by_loose_key(std::string_view key, bool ignore_case) const {
    auto loose = [&](std::string_view k) {
      std::string s(k);
      if (ignore_case) {
        for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      } else if (!s.empty() && s.back() == '/') {
        s.pop_back();
      }
      return s;
    };
    const std::string want = loose(key);
    for (const auto& [rid, e] : entries) {
      if (loose(e.unique_key) == want) return rid;
    }
    return std::nullopt;
  }

  void erase(EntryIt it) {
    mark(it->first);
    if (persisted && it->second.row != 0) dropped_rows.push_back(it->second.row);
    unindex(it);
    if (it->second.handled()) --handled_count;
    stats.storage_bytes -=
        static_cast<std::int64_t>(it->first.size() + it->second.unique_key.size() +
                                  it->second.url.size() + it->second.extra.size());
    entries.erase(it);
  }
};

}  // namespace rqcheck::fake
