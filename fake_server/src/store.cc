#include "rqcheck/fake_server/store.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake {

namespace {

constexpr std::int64_t kListMaxLimit = 10000, kListDefaultLimit = 1000;
constexpr std::int64_t kHeadMaxLimit = 1000, kHeadDefaultLimit = 100;
constexpr std::int64_t kLockHeadMaxLimit = 25, kLockHeadDefaultLimit = 25;
constexpr std::int64_t kQueuesMaxLimit = 1000;
constexpr double kMaxLockSecs = 1e9;
constexpr std::size_t kMaxQueueName = 63;

constexpr const char* kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                    "CONNECT", "OPTIONS", "TRACE", "PATCH"};

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

struct OrderKey {
  std::int64_t t = 0;
  std::int64_t seq = 0;
  bool operator<(const OrderKey& o) const { return t != o.t ? t < o.t : seq < o.seq; }
};

// A request as parsed from a body: the fields the store reads, and the rest kept as JSON text.
struct ParsedRequest {
  std::string unique_key, url;
  std::optional<std::string> id;
  std::uint8_t method = 0;
  std::int64_t retry_count = 0;
  std::optional<TimeMs> handled_at;
  std::string extra;  // ,"key":value... of every other field, ready to splice into an object
};

ApiError field_error(std::string_view where, std::string_view field, std::string_view what) {
  return errors::invalid_input("Invalid input: " + std::string(where) + "field \"" +
                               std::string(field) + "\" " + std::string(what) + ".");
}

// Decision 1 (uniqueKey required) and the RequestBase types of section 2.
Result<ParsedRequest> parse_request_body(const Json& body, std::string_view where) {
  if (!body.is_object()) {
    return errors::invalid_input("Invalid input: " + std::string(where) +
                                 "the request must be a JSON object.");
  }
  ParsedRequest p;
  bool has_uk = false, has_url = false;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (k == "uniqueKey") {
      if (!v.is_string()) return field_error(where, k, "must be a string");
      p.unique_key = v.get<std::string>();
      has_uk = true;
    } else if (k == "url") {
      if (!v.is_string()) return field_error(where, k, "must be a string");
      p.url = v.get<std::string>();
      has_url = true;
    } else if (k == "id") {
      if (!v.is_string()) return field_error(where, k, "must be a string");
      p.id = v.get<std::string>();
    } else if (k == "method") {
      if (!v.is_string()) return field_error(where, k, "must be a string");
      const auto& m = v.get_ref<const std::string&>();
      auto found = std::find_if(std::begin(kMethods), std::end(kMethods),
                                [&](const char* x) { return m == x; });
      if (found == std::end(kMethods)) {
        return field_error(
            where, k,
            "must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH");
      }
      p.method = static_cast<std::uint8_t>(found - std::begin(kMethods));
    } else if (k == "retryCount") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
          v.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
        return field_error(where, k, "must be a non-negative integer");
      }
      p.retry_count = v.get<std::int64_t>();
    } else if (k == "handledAt") {
      if (v.is_null()) continue;
      std::optional<TimeMs> t;
      if (v.is_string()) t = parse_iso8601(v.get_ref<const std::string&>());
      if (!t) return field_error(where, k, "must be null or an ISO 8601 date-time with a timezone");
      p.handled_at = t;
    } else {
      if ((k == "userData" && !v.is_object() && !v.is_null()) ||
          (k == "headers" && !v.is_object() && !v.is_null()) ||
          (k == "noRetry" && !v.is_boolean() && !v.is_null()) ||
          (k == "errorMessages" && !v.is_array() && !v.is_null()) ||
          (k == "loadedUrl" && !v.is_string() && !v.is_null()) ||
          (k == "payload" && !v.is_string() && !v.is_object() && !v.is_null()) ||
          k == "lockExpiresAt" || k == "lockByClient") {
        if (k == "lockExpiresAt" || k == "lockByClient") continue;  // server-owned, not stored
        return field_error(where, k, "has the wrong type");
      }
      p.extra += ',';
      append_json_string(p.extra, k);
      p.extra += ':';
      p.extra += dump_json(v);
    }
  }
  if (!has_uk) return field_error(where, "uniqueKey", "is required");
  if (!has_url) return field_error(where, "url", "is required");
  return p;
}

Result<bool> check_client_key(const std::optional<std::string>& ck) {
  if (ck && (ck->empty() || ck->size() > 32)) return errors::invalid_client_key(*ck);
  return true;
}

Result<std::int64_t> lock_ms(double lock_secs) {
  if (!std::isfinite(lock_secs) || lock_secs < 0 || lock_secs > kMaxLockSecs) {
    return errors::invalid_parameter(
        "Parameter \"lockSecs\" must be a non-negative number of seconds.");
  }
  return static_cast<std::int64_t>(std::llround(lock_secs * 1000.0));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// One queue. Requests live in `entries` keyed by id (the list order, decision 31); pending and
// unlocked ones are also in `available` by queue order (decision 24); locked ones in `locks` by
// expiry, so expiring them is O(log n) each.
struct Store::Queue {
  struct Entry;
  using EntryMap = std::map<std::string, Entry>;
  using EntryIt = EntryMap::iterator;
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
    TimeMs handled_at = -1;  // -1: pending
    OrderKey order;          // position while available
    LockKey lock{0, 0};      // expires == 0: not locked
    std::int32_t retry_count = 0;
    std::uint32_t lock_owner = 0;  // index into client_keys
    std::uint8_t method = 0;
    bool url_is_key = false;
    bool plain = false;  // unique_key and url need no JSON escaping (json_string_is_plain)
    bool forefront = false;
    bool handled() const { return handled_at >= 0; }
    bool locked() const { return lock.expires != 0; }
    const std::string& url_ref() const { return url_is_key ? unique_key : url; }
  };

  std::mutex mu;
  std::string id;
  std::optional<std::string> name;
  std::string user_id, username;
  std::string general_access = "FOLLOW_USER_SETTING";
  TimeMs created_at = 0, modified_at = 0, accessed_at = 0;
  std::int64_t created_seq = 0;
  QueueStats stats;
  std::int64_t handled_count = 0;
  std::int64_t seq = 0;
  bool had_multiple_clients = false;
  bool seen_client = false;
  std::optional<std::string> first_client_key;  // nullopt with seen_client: a keyless caller

  EntryMap entries;  // use find/lower_bound/upper_bound below, not the map's own: see `fingers`
  std::map<OrderKey, EntryIt> available;
  std::map<LockKey, EntryIt> locks;
  std::vector<std::string> client_keys{""};  // lock owners; 0 = no clientKey
  std::unordered_map<std::string, std::uint32_t> client_index{{"", 0}};

  // Rate-limit windows (decision 37): one-second buckets per operation class.
  struct Bucket {
    std::int64_t window = -1;
    std::int64_t count = 0;
  };
  Bucket buckets[3];
  Bucket batch_items;

  // Decision 37: one batch item against the per-second item budget; false when it is spent.
  bool take_batch_item(const RateLimits& rl, TimeMs now) {
    if (!rl.enabled || rl.batch_items_per_sec <= 0) return true;
    if (batch_items.window != now / 1000) batch_items = Bucket{now / 1000, 0};
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
    return front ? OrderKey{-t, -seq} : OrderKey{t, seq};
  }

  void make_available(EntryIt it, bool front, TimeMs t) {
    it->second.forefront = front;
    it->second.order = make_order(front, t);
    // New requests go to one end of the order (now, or -now at the front): hinting that end
    // makes the insert amortized O(1) instead of a walk down a tree of a million nodes.
    available.emplace_hint(front ? available.begin() : available.end(), it->second.order, it);
  }

  void drop_lock(EntryIt it) {
    if (!it->second.locked()) return;
    locks.erase(it->second.lock);
    it->second.lock = LockKey{0, 0};
    it->second.lock_owner = 0;
  }

  // Takes an entry out of whatever index holds it (before a change of state or a delete).
  void unindex(EntryIt it) {
    Entry& e = it->second;
    if (e.handled()) return;
    if (e.locked())
      drop_lock(it);
    else
      available.erase(e.order);
  }

  // Decision 29: an expired lock makes the request pending again, ordered by its expiry time.
  void expire_locks(TimeMs now) {
    while (!locks.empty() && locks.begin()->first.expires <= now) {
      EntryIt it = locks.begin()->second;
      TimeMs expired_at = it->second.lock.expires;
      drop_lock(it);
      make_available(it, it->second.forefront, expired_at);
    }
  }

  void touch(TimeMs now, bool modified) {
    accessed_at = now;
    if (modified) modified_at = now;
  }

  std::int64_t total() const { return static_cast<std::int64_t>(entries.size()); }

  RequestQueueInfo info() const {
    RequestQueueInfo q;
    q.id = id;
    q.name = name;
    q.user_id = user_id;
    q.username = username;
    q.created_at = created_at;
    q.modified_at = modified_at;
    q.accessed_at = accessed_at;
    q.total_request_count = total();
    q.handled_request_count = handled_count;
    q.pending_request_count = total() - handled_count;
    q.had_multiple_clients = had_multiple_clients;
    q.general_access = general_access;
    q.stats = stats;
    return q;
  }

  void append_request_json(std::string& out, const std::string& rid, const Entry& e) const {
    out += "{\"id\":";
    append_json_string(out, rid);
    if (e.plain) {
      // The common case: nothing to escape, so no per-byte scan of a 1000-item page.
      out += ",\"uniqueKey\":\"";
      out += e.unique_key;
      out += "\",\"url\":\"";
      out += e.url_ref();
      out += '"';
    } else {
      out += ",\"uniqueKey\":";
      append_json_string(out, e.unique_key);
      out += ",\"url\":";
      append_json_string(out, e.url_ref());
    }
    out += ",\"method\":\"";
    out += kMethods[e.method];
    out += "\",\"retryCount\":";
    out += std::to_string(e.retry_count);
    out += e.extra;
    if (e.handled()) {
      out += ",\"handledAt\":\"";
      append_iso8601(out, e.handled_at);
      out += '"';
    }
    out += '}';
  }

  // --- the id index ---------------------------------------------------------------------------
  // A red-black tree of a million ids is ~20 levels of cache misses per lookup (ids are hashes,
  // so no path stays warm): a fifth of the fake's CPU when adding requests. `fingers` cuts that
  // to a few: bucket b holds the first entry whose id falls in bucket b or later, where buckets
  // split the id space by the first four characters (ids are uniform over the 62-character
  // alphabet). A lookup starts at its bucket's finger and steps forward a few entries. There
  // are one to two entries per bucket; the index is rebuilt when the queue outgrows it twofold
  // or shrinks to an eighth (amortized O(1), 8-16 bytes per request).
  static constexpr std::size_t kMinBuckets = 64;  // 512 bytes for a small queue
  std::vector<EntryIt> fingers = std::vector<EntryIt>(kMinBuckets, entries.end());

  // Monotonic in byte order over all strings, so a lookup by any string starts early enough:
  // the first four characters as base-62 digits of the alphabet. Past the end of the string,
  // or at a character outside the alphabet, the rest is filled with the lowest digit (or, after
  // 'z', the highest), which keeps the order.
  std::size_t bucket_of(std::string_view key) const {
    static constexpr std::uint64_t kSpace = 62ull * 62 * 62 * 62;
    std::uint64_t v = 0;
    unsigned fill = 0;
    bool filling = false;
    for (std::size_t i = 0; i < 4; ++i) {
      unsigned rank = fill;
      if (!filling) {
        unsigned c = i < key.size() ? static_cast<unsigned char>(key[i]) : 0;
        bool exact = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        rank = c < '0'    ? 0
               : c <= '9' ? c - '0'
               : c < 'A'  ? 10
               : c <= 'Z' ? c - 'A' + 10
               : c < 'a'  ? 36
               : c <= 'z' ? c - 'a' + 36
                          : 61;
        if (!exact) {
          filling = true;
          fill = c > 'z' ? 61 : 0;
        }
      }
      v = v * 62 + rank;
    }
    return static_cast<std::size_t>(v * fingers.size() / kSpace);
  }

  EntryIt lower_bound(std::string_view key) {
    auto it = fingers[bucket_of(key)];
    while (it != entries.end() && std::string_view(it->first) < key) ++it;
    return it;
  }
  EntryIt find(std::string_view key) {
    auto it = lower_bound(key);
    return it != entries.end() && it->first == key ? it : entries.end();
  }
  EntryIt upper_bound(std::string_view key) {
    auto it = lower_bound(key);
    return it != entries.end() && it->first == key ? std::next(it) : it;
  }

  // Buckets b, b-1, ... whose finger was `was` now point at `now` (the run of empty buckets
  // before b shares b's finger).
  void repoint(std::size_t b, EntryIt was, EntryIt now) {
    for (std::size_t i = b + 1; i-- > 0 && fingers[i] == was;) fingers[i] = now;
  }
  void rebuild_fingers(std::size_t count) {
    fingers.assign(count, entries.end());
    std::size_t next = 0;
    for (auto it = entries.begin(); it != entries.end() && next < count; ++it) {
      std::size_t b = bucket_of(it->first);
      while (next <= b) fingers[next++] = it;
    }
  }
  void resize_fingers() {
    std::size_t n = entries.size(), have = fingers.size();
    if (n > 2 * have || (have > kMinBuckets && n < have / 8)) {
      std::size_t want = kMinBuckets;
      while (want < n) want *= 2;
      rebuild_fingers(want);
    }
  }

  // Inserts a new request parsed from a body; `hint` is where it goes (lower_bound of its id),
  // so a lookup that found nothing is not repeated.
  EntryIt insert(const std::string& rid, ParsedRequest&& p, bool front, TimeMs now) {
    return insert(lower_bound(rid), rid, std::move(p), front, now);
  }
  EntryIt insert(EntryIt hint, const std::string& rid, ParsedRequest&& p, bool front, TimeMs now) {
    Entry e;
    e.url_is_key = p.url == p.unique_key;
    e.unique_key = std::move(p.unique_key);
    if (!e.url_is_key) e.url = std::move(p.url);
    e.plain = json_string_is_plain(e.unique_key) && json_string_is_plain(e.url);
    e.extra = std::move(p.extra);
    e.method = p.method;
    e.retry_count = static_cast<std::int32_t>(p.retry_count);
    auto it = entries.emplace_hint(hint, rid, std::move(e));
    std::size_t b = bucket_of(rid);
    if (fingers[b] == hint) repoint(b, hint, it);  // it is now the first entry of bucket b or later
    resize_fingers();
    if (p.handled_at) {
      it->second.handled_at = *p.handled_at;
      ++handled_count;
    } else {
      make_available(it, front, now);
    }
    stats.storage_bytes +=
        static_cast<std::int64_t>(rid.size() + it->second.unique_key.size() +
                                  it->second.url.size() + it->second.extra.size());
    return it;
  }

  void erase(EntryIt it) {
    unindex(it);
    if (it->second.handled()) --handled_count;
    stats.storage_bytes -=
        static_cast<std::int64_t>(it->first.size() + it->second.unique_key.size() +
                                  it->second.url.size() + it->second.extra.size());
    repoint(bucket_of(it->first), it, std::next(it));
    entries.erase(it);
    resize_fingers();
  }
};

// ---------------------------------------------------------------------------------------------

Store::Store(StoreOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), rng_state_(options_.seed) {
  limits_.store(options_.rate_limits);
}

Store::~Store() = default;

std::string Store::new_id() {
  std::uint64_t a = splitmix64(rng_state_), b = splitmix64(rng_state_);
  return id_from_hash(a, b);
}

void Store::set_fixed_users(std::vector<User> users) {
  std::unique_lock lock(mu_);
  fixed_users_ = true;
  users_by_token_.clear();
  users_by_name_.clear();
  for (User& u : users) {
    if (u.id.empty())
      u.id = id_from_hash(std::hash<std::string>{}(u.username), u.username.size() * 7919 + 17);
    users_by_name_[u.username] = u;
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
  if (inserted) users_by_name_.emplace(u.username, u);
  return it->second;
}

// Decisions 13 and 14: who may touch which queue.
Result<std::shared_ptr<Store::Queue>> Store::resolve(const User* u, const QueueRef& ref, bool write,
                                                     Operation) {
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
      std::string owner_name = t.substr(0, tilde), name = t.substr(tilde + 1);
      std::string owner_id;
      if (owner_name.empty()) {
        if (!u) return errors::token_not_provided();
        owner_id = u->id;
      } else {
        if (!u) return errors::token_not_provided();
        auto un = users_by_name_.find(owner_name);
        if (un == users_by_name_.end()) return errors::record_not_found();
        owner_id = un->second.id;
      }
      auto n = names_.find({owner_id, name});
      if (n != names_.end()) {
        auto it = queues_.find(n->second);
        if (it != queues_.end()) q = it->second;
      }
    }
  }
  if (!q) return errors::record_not_found();
  if (write && !u) return errors::token_not_provided();
  bool owner = u && u->id == q->user_id;
  if (!owner) {
    if (write) {
      return errors::insufficient_permissions(
          "You do not have permission to modify this request queue (it belongs to another user).");
    }
    std::lock_guard ql(q->mu);
    if (q->general_access == "RESTRICTED" ||
        (by_name && q->general_access != "ANYONE_WITH_NAME_CAN_READ")) {
      if (!u) return errors::token_not_provided();
      return errors::insufficient_permissions(
          "You do not have permission to read this request queue.");
    }
  }
  return q;
}

Result<Store::Entered> Store::enter(const User* u, const QueueRef& ref, bool write, Operation op,
                                    const std::optional<std::string>* caller) {
  auto q = resolve(u, ref, write, op);
  if (!q) return q.error();
  Entered e{std::move(*q), {}, 0};
  e.lock = std::unique_lock(e.queue->mu);
  e.now = clock_.now_ms();
  e.queue->expire_locks(e.now);
  if (caller) e.queue->note_client(*caller);
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

namespace {
int limit_of(const RateLimits& rl, Operation op) {
  switch (operation_info(op).rate_class) {
    case RateClass::kSingleRequest:
      return rl.single_request_per_sec;
    case RateClass::kBatch:
      return rl.batch_per_sec;
    default:
      return rl.other_per_sec;
  }
}
}  // namespace

int Store::limit_for(Operation op) const { return limit_of(limits_.load(), op); }

void Store::set_rate_limits(const RateLimits& r) {
  std::lock_guard lock(limits_mu_);
  options_.rate_limits = r;
  limits_.store(r);
}

RateLimits Store::rate_limits() const { return limits_.load(); }

Result<int> Store::charge(const User* u, const QueueRef* ref, Operation op) {
  RateLimits rl = rate_limits();
  int limit = limit_of(rl, op);
  if (!rl.enabled) return limit;
  TimeMs now = clock_.now_ms();
  if (u && rl.global_per_minute > 0) {
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
  }
  if (!ref || limit <= 0) return limit;
  std::shared_ptr<Queue> q;
  {
    std::shared_lock lock(mu_);
    auto it = queues_.find(ref->text);
    if (it != queues_.end())
      q = it->second;
    else if (auto tilde = ref->text.find('~'); tilde != std::string::npos) {
      std::string owner_id;
      std::string owner_name = ref->text.substr(0, tilde);
      if (owner_name.empty()) {
        if (u) owner_id = u->id;
      } else if (auto un = users_by_name_.find(owner_name); un != users_by_name_.end())
        owner_id = un->second.id;
      auto n = names_.find({owner_id, ref->text.substr(tilde + 1)});
      if (n != names_.end()) {
        auto qi = queues_.find(n->second);
        if (qi != queues_.end()) q = qi->second;
      }
    }
  }
  if (!q) return limit;  // the operation itself answers 404
  std::lock_guard ql(q->mu);
  Queue::Bucket& b = q->buckets[static_cast<int>(operation_info(op).rate_class)];
  std::int64_t window = now / 1000;
  if (b.window != window) b = Queue::Bucket{window, 0};
  if (b.count >= limit) return errors::rate_limit_exceeded(limit);
  ++b.count;
  return limit;
}

// --- queues ----------------------------------------------------------------------------------

Result<QueuesPage> Store::list_queues(const User& u, const QueueListOptions& o) {
  if (o.offset < 0)
    return errors::invalid_parameter("Parameter \"offset\" must be a non-negative integer.");
  std::int64_t limit = o.limit.value_or(kQueuesMaxLimit);
  if (limit < 0)
    return errors::invalid_parameter("Parameter \"limit\" must be a non-negative integer.");
  limit = std::min(limit, kQueuesMaxLimit);
  if (o.ownership && *o.ownership != "ownedByMe" && *o.ownership != "sharedWithMe") {
    return errors::invalid_parameter("Parameter \"ownership\" must be ownedByMe or sharedWithMe.");
  }
  std::vector<std::shared_ptr<Queue>> mine;
  if (!(o.ownership && *o.ownership == "sharedWithMe")) {
    std::shared_lock lock(mu_);
    for (const auto& [id, q] : queues_) {
      if (q->user_id == u.id) mine.push_back(q);
    }
  }
  std::vector<RequestQueueInfo> infos;
  for (auto& q : mine) {
    std::lock_guard ql(q->mu);
    if (!q->name && !o.unnamed) continue;
    infos.push_back(q->info());
    infos.back().console_url = options_.console_base + q->id;
    infos.back().created_at = q->created_at;
    infos.back().stats.read_count = q->created_seq;  // sort key, reset below
  }
  std::sort(infos.begin(), infos.end(), [&](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at
                                        : a.stats.read_count < b.stats.read_count;
  });
  if (o.desc) std::reverse(infos.begin(), infos.end());
  QueuesPage page;
  page.total = static_cast<std::int64_t>(infos.size());
  page.offset = o.offset;
  page.limit = limit;
  page.desc = o.desc;
  for (std::int64_t i = o.offset; i < page.total && i < o.offset + limit; ++i) {
    RequestQueueInfo& info = infos[static_cast<std::size_t>(i)];
    info.stats = QueueStats{};
    page.items.push_back(std::move(info));
  }
  page.count = static_cast<std::int64_t>(page.items.size());
  return page;
}

namespace {
Result<bool> check_queue_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxQueueName) {
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
  return true;
}
}  // namespace

Result<CreateResult> Store::create_queue(const User& u, std::optional<std::string> name) {
  if (name) {
    auto ok = check_queue_name(*name);
    if (!ok) return ok.error();
  }
  TimeMs now = clock_.now_ms();
  std::unique_lock lock(mu_);
  if (name) {
    auto n = names_.find({u.id, *name});
    if (n != names_.end()) {
      auto q = queues_.at(n->second);
      std::lock_guard ql(q->mu);
      q->touch(now, false);
      CreateResult r{q->info(), false};
      r.info.console_url = options_.console_base + q->id;
      return r;
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
  if (name) names_.emplace(std::make_pair(u.id, *name), q->id);
  CreateResult r{q->info(), true};
  r.info.console_url = options_.console_base + q->id;
  return r;
}

Result<RequestQueueInfo> Store::get_queue(const User* u, const QueueRef& ref) {
  auto q = resolve(u, ref, false, Operation::kQueueGet);
  if (!q) return q.error();
  std::lock_guard ql((*q)->mu);
  (*q)->touch(clock_.now_ms(), false);
  RequestQueueInfo info = (*q)->info();
  info.console_url = options_.console_base + info.id;
  return info;
}

Result<RequestQueueInfo> Store::update_queue(const User& u, const QueueRef& ref, const Json& body) {
  if (!body.is_object())
    return errors::invalid_input("Invalid input: the body must be a JSON object.");
  auto q = resolve(&u, ref, true, Operation::kQueuePut);
  if (!q) return q.error();
  std::optional<std::optional<std::string>> new_name;
  std::optional<std::string> new_access;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() == "name") {
      if (it->is_null())
        new_name = std::optional<std::string>{};
      else if (it->is_string()) {
        auto ok = check_queue_name(it->get<std::string>());
        if (!ok) return ok.error();
        new_name = it->get<std::string>();
      } else {
        return errors::invalid_input("Invalid input: \"name\" must be a string or null.");
      }
    } else if (it.key() == "generalAccess") {
      static const char* kAccess[] = {"ANYONE_WITH_ID_CAN_READ", "ANYONE_WITH_NAME_CAN_READ",
                                      "FOLLOW_USER_SETTING", "RESTRICTED"};
      if (!it->is_string() || std::none_of(std::begin(kAccess), std::end(kAccess),
                                           [&](const char* a) { return *it == a; })) {
        return errors::invalid_input(
            "Invalid input: \"generalAccess\" must be one of ANYONE_WITH_ID_CAN_READ, "
            "ANYONE_WITH_NAME_CAN_READ, FOLLOW_USER_SETTING, RESTRICTED.");
      }
      new_access = it->get<std::string>();
    }
    // Other keys (e.g. the JS client's `title`) are accepted and ignored.
  }
  TimeMs now = clock_.now_ms();
  std::unique_lock lock(mu_);
  std::lock_guard ql((*q)->mu);
  Queue& queue = **q;
  if (new_name && *new_name != queue.name) {
    if (*new_name && names_.count({queue.user_id, **new_name})) {
      return errors::name_not_unique(**new_name);
    }
    if (queue.name) names_.erase({queue.user_id, *queue.name});
    queue.name = *new_name;
    if (queue.name) names_.emplace(std::make_pair(queue.user_id, *queue.name), queue.id);
  }
  if (new_access) queue.general_access = *new_access;
  queue.touch(now, true);
  RequestQueueInfo info = queue.info();
  info.console_url = options_.console_base + info.id;
  return info;
}

Status Store::delete_queue(const User& u, const QueueRef& ref) {
  auto q = resolve(&u, ref, true, Operation::kQueueDelete);
  if (!q) return q.error();
  std::unique_lock lock(mu_);
  std::lock_guard ql((*q)->mu);
  if ((*q)->name) names_.erase({(*q)->user_id, *(*q)->name});
  queues_.erase((*q)->id);
  return Ok{};
}

// --- requests --------------------------------------------------------------------------------

namespace {
// Decision 2: an id in an add body must be the one derived from its uniqueKey.
Result<std::string> derived_id(const ParsedRequest& p) {
  std::string rid = request_id_for(p.unique_key);
  if (p.id && *p.id != rid) {
    return errors::request_id_invalid("Request ID does not correspond to uniqueKey (expected \"" +
                                      rid + "\" for this uniqueKey, got \"" + *p.id + "\").");
  }
  return rid;
}
}  // namespace

Result<AddResult> Store::add_request(const User& u, const QueueRef& ref, const Json& body,
                                     const RequestOptions& o) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  auto parsed = parse_request_body(body, "");
  if (!parsed) return parsed.error();
  auto rid = derived_id(*parsed);
  if (!rid) return rid.error();
  auto entered = enter(&u, ref, true, Operation::kRequestsPost, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  auto it = queue.lower_bound(*rid);
  if (it != queue.entries.end() && it->first == *rid) {
    // Decision 21: an existing uniqueKey is reported, not changed, not moved.
    ++queue.stats.read_count;
    return AddResult{*rid, true, it->second.handled()};
  }
  queue.insert(it, *rid, std::move(*parsed), o.forefront, now);
  ++queue.stats.write_count;
  queue.touch(now, true);
  return AddResult{*rid, false, false};
}

Result<BatchAddResult> Store::batch_add(const User& u, const QueueRef& ref, const Json& body,
                                        const RequestOptions& o, const UnprocessedMask* mask) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  // Decision 6: an array of 1..25 items, else 400 and nothing stored.
  if (!body.is_array())
    return errors::invalid_input("Invalid input: the body must be a JSON array of requests.");
  if (body.empty() || body.size() > kMaxBatch) {
    return errors::invalid_input("Invalid input: a batch must contain 1 to 25 requests (got " +
                                 std::to_string(body.size()) + ").");
  }
  std::vector<ParsedRequest> items;
  std::vector<std::string> ids;
  items.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    auto p = parse_request_body(body[i], "item " + std::to_string(i) + ": ");
    if (!p) return p.error();
    auto rid = derived_id(*p);
    if (!rid) return rid.error();
    // Decision 7: duplicate uniqueKeys inside one batch.
    for (std::size_t j = 0; j < items.size(); ++j) {
      if (ids[j] == *rid && items[j].unique_key == p->unique_key) {
        return errors::duplicate_requests(p->unique_key);
      }
    }
    ids.push_back(std::move(*rid));
    items.push_back(std::move(*p));
  }
  RateLimits rl = rate_limits();
  auto entered = enter(&u, ref, true, Operation::kRequestsBatchPost, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  BatchAddResult out;
  bool modified = false;
  for (std::size_t i = 0; i < items.size(); ++i) {
    ParsedRequest& p = items[i];
    bool over_budget = !queue.take_batch_item(rl, now);
    if (over_budget || (mask && i < mask->size() && (*mask)[i])) {
      out.unprocessed.push_back({p.unique_key, p.url, std::string(kMethods[p.method])});
      continue;
    }
    auto it = queue.lower_bound(ids[i]);
    if (it != queue.entries.end() && it->first == ids[i]) {
      ++queue.stats.read_count;
      out.processed.push_back({ids[i], p.unique_key, true, it->second.handled()});
      continue;
    }
    std::string uk = p.unique_key;
    queue.insert(it, ids[i], std::move(p), o.forefront, now);
    ++queue.stats.write_count;
    modified = true;
    out.processed.push_back({ids[i], std::move(uk), false, false});
  }
  queue.touch(now, modified);
  return out;
}

Result<BatchDeleteResult> Store::batch_delete(const User& u, const QueueRef& ref, const Json& body,
                                              const RequestOptions& o,
                                              const UnprocessedMask* mask) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  if (!body.is_array())
    return errors::invalid_input("Invalid input: the body must be a JSON array.");
  if (body.empty() || body.size() > kMaxBatch) {
    return errors::invalid_input("Invalid input: a batch must contain 1 to 25 requests (got " +
                                 std::to_string(body.size()) + ").");
  }
  struct Item {
    std::optional<std::string> id, unique_key;
  };
  std::vector<Item> items;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const Json& b = body[i];
    Item item;
    if (!b.is_object())
      return errors::invalid_input("Invalid input: item " + std::to_string(i) +
                                   " must be an object.");
    if (auto it = b.find("id"); it != b.end() && !it->is_null()) {
      if (!it->is_string())
        return errors::invalid_input("Invalid input: item " + std::to_string(i) +
                                     ": \"id\" must be a string.");
      item.id = it->get<std::string>();
    }
    if (auto it = b.find("uniqueKey"); it != b.end() && !it->is_null()) {
      if (!it->is_string())
        return errors::invalid_input("Invalid input: item " + std::to_string(i) +
                                     ": \"uniqueKey\" must be a string.");
      item.unique_key = it->get<std::string>();
    }
    if (!item.id && !item.unique_key) {
      return errors::invalid_input("Invalid input: item " + std::to_string(i) +
                                   " needs an \"id\" or a \"uniqueKey\".");
    }
    if (item.id && item.unique_key && *item.id != request_id_for(*item.unique_key)) {
      return errors::request_id_invalid("Request ID does not correspond to uniqueKey (item " +
                                        std::to_string(i) + ").");
    }
    items.push_back(std::move(item));
  }
  RateLimits rl = rate_limits();
  auto entered = enter(&u, ref, true, Operation::kRequestsBatchDelete, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  BatchDeleteResult out;
  bool modified = false;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Item& item = items[i];
    std::string rid = item.id ? *item.id : request_id_for(*item.unique_key);
    auto it = queue.find(rid);
    if (it != queue.entries.end() && item.unique_key && it->second.unique_key != *item.unique_key) {
      it = queue.entries.end();
    }
    bool over_budget = !queue.take_batch_item(rl, now);
    if (over_budget || (mask && i < mask->size() && (*mask)[i])) {
      // RequestDraft wants uniqueKey and url: known only when the request exists.
      Json u_item = Json::object();
      if (item.id) u_item["id"] = *item.id;
      if (it != queue.entries.end()) {
        u_item["uniqueKey"] = it->second.unique_key;
        u_item["url"] = it->second.url_ref();
        u_item["method"] = kMethods[it->second.method];
      } else if (item.unique_key) {
        u_item["uniqueKey"] = *item.unique_key;
      }
      out.unprocessed.push_back(std::move(u_item));
      continue;
    }
    DeletedRequest d;
    d.id = rid;
    if (it != queue.entries.end()) {
      d.unique_key = it->second.unique_key;
      queue.erase(it);
      ++queue.stats.delete_count;
      modified = true;
    } else {
      // Decision 5: an absent request counts as processed.
      d.unique_key = item.unique_key;
    }
    out.processed.push_back(std::move(d));
  }
  queue.touch(now, modified);
  return out;
}

Result<std::string> Store::list_requests(const User* u, const QueueRef& ref, const ListOptions& o,
                                         std::string out) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  std::int64_t limit = o.limit.value_or(kListDefaultLimit);
  if (limit < 1)
    return errors::invalid_parameter("Parameter \"limit\" must be a positive integer.");
  if (limit > kListMaxLimit) {
    if (options_.behaviour.reject_over_max_limit) {
      return errors::invalid_parameter("Parameter \"limit\" must be at most 10000.");
    }
    limit = kListMaxLimit;  // decision 10
  }
  // Decision 33.
  if (o.exclusive_start_id && (o.cursor || o.filter_locked || o.filter_pending)) {
    return errors::invalid_parameter(
        "Parameter \"exclusiveStartId\" cannot be combined with \"cursor\" or \"filter\".");
  }
  std::optional<std::string> start;
  if (o.cursor) {
    start = decode_cursor(*o.cursor);
    if (!start) return errors::invalid_parameter("Parameter \"cursor\" is not a valid cursor.");
  } else if (o.exclusive_start_id) {
    start = o.exclusive_start_id;
  }
  auto entered = enter(u, ref, false, Operation::kRequestsGet, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  auto it = start ? queue.upper_bound(*start) : queue.entries.begin();
  // One allocation for the page: the size of the first item stands for the rest (a page of
  // 1000 is ~300 KB; growing it by doubling would copy it twice more). Bounded, as one item
  // may carry megabytes of userData.
  if (it != queue.entries.end()) {
    std::size_t first_size = out.size();
    queue.append_request_json(out, it->first, it->second);
    std::size_t per_item = out.size() - first_size + 16;
    out.resize(first_size);
    std::size_t items = static_cast<std::size_t>(std::min<std::int64_t>(limit, kListMaxLimit));
    out.reserve(first_size + std::min<std::size_t>(items * per_item, std::size_t(8) << 20) + 256);
  }
  bool filtered = o.filter_locked || o.filter_pending;
  out += "{\"items\":[";
  bool first = true;
  std::int64_t scanned = 0, listed = 0;
  std::string last_id;
  for (; it != queue.entries.end() && scanned < limit; ++it, ++scanned) {
    const auto& e = it->second;
    last_id = it->first;
    if (filtered) {
      bool locked = !e.handled() && e.locked();
      bool pending = !e.handled() && !e.locked();
      // Decision 32: the union of the requested states.
      if (!((o.filter_locked && locked) || (o.filter_pending && pending))) continue;
    }
    if (!first) out += ',';
    first = false;
    queue.append_request_json(out, it->first, e);
    ++listed;
  }
  queue.stats.read_count += listed;
  out += "],\"limit\":";
  out += std::to_string(limit);
  if (o.exclusive_start_id) {
    out += ",\"exclusiveStartId\":";
    append_json_string(out, *o.exclusive_start_id);
  }
  if (o.cursor) {
    out += ",\"cursor\":";
    append_json_string(out, *o.cursor);
  }
  // Decision 31: nextCursor exactly when the page stopped on `limit` with more to scan.
  if (scanned == limit && it != queue.entries.end()) {
    out += ",\"nextCursor\":\"";
    out += encode_cursor(last_id);
    out += '"';
  }
  out += '}';
  return out;
}

Result<std::string> Store::get_request(const User* u, const QueueRef& ref, std::string_view id,
                                       std::string out) {
  auto entered = enter(u, ref, false, Operation::kRequestGet, nullptr);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  auto it = queue.find(id);
  if (it == queue.entries.end()) return errors::record_not_found();
  ++queue.stats.read_count;
  queue.append_request_json(out, it->first, it->second);
  return out;
}

Result<AddResult> Store::update_request(const User& u, const QueueRef& ref, std::string_view id,
                                        const Json& body, const RequestOptions& o) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  auto parsed = parse_request_body(body, "");
  if (!parsed) return parsed.error();
  std::string rid = request_id_for(parsed->unique_key);
  // Decision 3: a body id must equal the path id and the derived id; the path id must be the
  // derived id too, or the request would be stored under an id its uniqueKey does not give.
  if (parsed->id && *parsed->id != id) {
    return errors::request_id_invalid("The request ID in the body (\"" + *parsed->id +
                                      "\") differs from the one in the URL (\"" + std::string(id) +
                                      "\").");
  }
  if (rid != id) {
    return errors::request_id_invalid("Request ID does not correspond to uniqueKey (expected \"" +
                                      rid + "\" for this uniqueKey, got \"" + std::string(id) +
                                      "\").");
  }
  auto entered = enter(&u, ref, true, Operation::kRequestPut, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, true);
  ++queue.stats.write_count;
  auto it = queue.find(rid);
  if (it == queue.entries.end()) {
    // Decision 4: upsert.
    queue.insert(rid, std::move(*parsed), o.forefront, now);
    return AddResult{rid, false, false};
  }
  // Section 4 (11): a replace, not a merge. Decision 22: wasAlreadyHandled is the state before.
  bool was_handled = it->second.handled();
  queue.erase(it);
  queue.insert(rid, std::move(*parsed), o.forefront, now);  // decision 23: end, or front
  return AddResult{rid, true, was_handled};
}

Status Store::delete_request(const User& u, const QueueRef& ref, std::string_view id,
                             const RequestOptions& o) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  auto entered = enter(&u, ref, true, Operation::kRequestDelete, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  queue.touch(now, false);
  auto it = queue.find(id);
  if (it == queue.entries.end()) {
    if (options_.behaviour.delete_absent_is_404) return errors::record_not_found();
    return Ok{};  // decision 5
  }
  queue.erase(it);
  ++queue.stats.delete_count;
  queue.touch(now, true);
  return Ok{};
}

Result<Head> Store::head(const User* u, const QueueRef& ref, std::optional<std::int64_t> limit_opt,
                         const std::optional<std::string>& client_key) {
  if (auto ck = check_client_key(client_key); !ck) return ck.error();
  std::int64_t limit = limit_opt.value_or(kHeadDefaultLimit);
  if (limit < 0)
    return errors::invalid_parameter("Parameter \"limit\" must be a non-negative integer.");
  if (limit > kHeadMaxLimit) {
    if (options_.behaviour.reject_over_max_limit)
      return errors::invalid_parameter("Parameter \"limit\" must be at most 1000.");
    limit = kHeadMaxLimit;
  }
  auto entered = enter(u, ref, false, Operation::kHeadGet, &client_key);
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
    h.items.push_back(
        {rid, e.unique_key, e.url_ref(), kMethods[e.method], e.retry_count, std::nullopt});
  }
  queue.stats.head_item_read_count += static_cast<std::int64_t>(h.items.size());
  return h;
}

Result<Head> Store::head_and_lock(const User& u, const QueueRef& ref, double lock_secs,
                                  std::optional<std::int64_t> limit_opt,
                                  const std::optional<std::string>& client_key) {
  if (auto ck = check_client_key(client_key); !ck) return ck.error();
  auto ms = lock_ms(lock_secs);
  if (!ms) return ms.error();
  std::int64_t limit = limit_opt.value_or(kLockHeadDefaultLimit);
  if (limit < 0)
    return errors::invalid_parameter("Parameter \"limit\" must be a non-negative integer.");
  if (limit > kLockHeadMaxLimit) {
    if (options_.behaviour.reject_over_max_limit)
      return errors::invalid_parameter("Parameter \"limit\" must be at most 25.");
    limit = kLockHeadMaxLimit;  // decision 10
  }
  auto entered = enter(&u, ref, true, Operation::kHeadLockPost, &client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  std::uint32_t owner = queue.owner_index(client_key);
  Head h;
  h.limit = limit;
  h.lock_secs = static_cast<std::int64_t>(std::llround(lock_secs));
  if (client_key) h.client_key = client_key;
  TimeMs expires = now + *ms;
  // Decision 26: only unlocked requests are handed out, so none goes to two holders at once.
  // A zero-second lock has already expired: it hands the request out but does not hold it.
  while (!queue.available.empty() && std::int64_t(h.items.size()) < limit) {
    auto it = queue.available.begin()->second;
    queue.available.erase(queue.available.begin());
    auto& e = it->second;
    h.items.push_back(
        {it->first, e.unique_key, e.url_ref(), kMethods[e.method], e.retry_count, expires});
    if (*ms > 0) {
      e.lock = Queue::LockKey{expires, ++queue.seq};
      e.lock_owner = owner;
      queue.locks.emplace(e.lock, it);
    } else {
      queue.make_available(it, e.forefront, now);
    }
  }
  queue.touch(now, !h.items.empty());
  queue.stats.head_item_read_count += static_cast<std::int64_t>(h.items.size());
  h.queue_modified_at = queue.modified_at;
  h.had_multiple_clients = queue.had_multiple_clients;
  h.queue_has_locked_requests = !queue.locks.empty();
  return h;
}

Result<TimeMs> Store::prolong_lock(const User& u, const QueueRef& ref, std::string_view id,
                                   double lock_secs, const RequestOptions& o) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  auto ms = lock_ms(lock_secs);
  if (!ms) return ms.error();
  auto entered = enter(&u, ref, true, Operation::kRequestLockPut, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  auto it = queue.find(id);
  if (it == queue.entries.end()) return errors::record_not_found();
  auto& e = it->second;
  if (e.handled() || !e.locked()) {
    return errors::request_handled_or_locked(
        "Request \"" + std::string(id) + "\" is not locked (it is handled, or its lock expired).");
  }
  if (queue.client_keys[e.lock_owner] != o.client_key.value_or("")) {
    std::string msg = "Request \"" + std::string(id) + "\" is locked by another client.";
    if (options_.behaviour.prolong_by_other_is_400) return errors::request_handled_or_locked(msg);
    return errors::insufficient_permissions(msg);  // decision 27
  }
  TimeMs base = options_.behaviour.prolong_from_current_expiry ? e.lock.expires : now;
  TimeMs expires = base + *ms;
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

Status Store::delete_lock(const User& u, const QueueRef& ref, std::string_view id,
                          const RequestOptions& o) {
  if (auto ck = check_client_key(o.client_key); !ck) return ck.error();
  auto entered = enter(&u, ref, true, Operation::kRequestLockDelete, &o.client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  auto it = queue.find(id);
  if (it == queue.entries.end()) return errors::record_not_found();
  auto& e = it->second;
  // Decision 28.
  if (e.handled() || !e.locked()) {
    return errors::request_handled_or_locked("Request \"" + std::string(id) + "\" is not locked.");
  }
  if (queue.client_keys[e.lock_owner] != o.client_key.value_or("")) {
    return errors::request_handled_or_locked("Request \"" + std::string(id) +
                                             "\" is locked by another client.");
  }
  queue.drop_lock(it);
  queue.make_available(it, o.forefront, now);  // section 4 (16): end, or front
  queue.touch(now, true);
  return Ok{};
}

Result<std::int64_t> Store::unlock_requests(const User& u, const QueueRef& ref,
                                            const std::optional<std::string>& client_key) {
  if (auto ck = check_client_key(client_key); !ck) return ck.error();
  auto entered = enter(&u, ref, true, Operation::kRequestsUnlockPost, &client_key);
  if (!entered) return entered.error();
  Queue& queue = *entered->queue;
  const TimeMs now = entered->now;
  const std::string& key = client_key ? *client_key : queue.client_keys[0];
  auto owner = queue.client_index.find(key);
  std::int64_t count = 0;
  if (owner != queue.client_index.end()) {
    // O(locked requests), not O(queue): `locks` holds only what is locked now.
    std::vector<Queue::EntryIt> mine;
    for (const auto& [k, it] : queue.locks) {
      if (it->second.lock_owner == owner->second) mine.push_back(it);
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
  for (auto& shard : budget_shards_) {
    std::lock_guard bl(shard.mu);
    shard.budgets.clear();
  }
}

std::size_t Store::queue_count() const {
  std::shared_lock lock(mu_);
  return queues_.size();
}

Json Store::snapshot() const {
  std::vector<std::shared_ptr<Queue>> all;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, q] : queues_) all.push_back(q);
  }
  Json queues = Json::array();
  for (const auto& q : all) {
    std::lock_guard ql(q->mu);
    Json jq = {{"id", q->id},
               {"name", q->name ? Json(*q->name) : Json(nullptr)},
               {"userId", q->user_id},
               {"username", q->username},
               {"generalAccess", q->general_access},
               {"createdAt", format_iso8601(q->created_at)},
               {"modifiedAt", format_iso8601(q->modified_at)},
               {"accessedAt", format_iso8601(q->accessed_at)},
               {"hadMultipleClients", q->had_multiple_clients}};
    Json reqs = Json::array();
    // Pending requests in queue order first, so a restore keeps the order; then the rest.
    std::string text;
    auto dump_entry = [&](const std::string& rid, const Queue::Entry& e) {
      text.clear();
      q->append_request_json(text, rid, e);
      Json r = Json::parse(text, nullptr, false);
      if (e.forefront) r["__forefront"] = true;
      reqs.push_back(std::move(r));
    };
    for (const auto& [k, it] : q->available) dump_entry(it->first, it->second);
    for (const auto& [k, it] : q->locks) dump_entry(it->first, it->second);
    for (const auto& [rid, e] : q->entries) {
      if (e.handled()) dump_entry(rid, e);
    }
    jq["requests"] = std::move(reqs);
    queues.push_back(std::move(jq));
  }
  return {{"format", "rqcheck-store-snapshot/1"}, {"queues", std::move(queues)}};
}

Status Store::restore(const Json& snap) {
  // Json::value() throws when a key holds another type: every optional field is type-checked
  // first (a "format" array answered 500; found by fuzz/targets/store_restore.cc).
  auto typed = [](const Json& o, const char* key, bool (Json::*is)() const noexcept) {
    auto it = o.find(key);
    return it == o.end() || ((*it).*is)();
  };
  if (!snap.is_object() || !typed(snap, "format", &Json::is_string) ||
      snap.value("format", "") != "rqcheck-store-snapshot/1" || !snap.contains("queues") ||
      !snap["queues"].is_array()) {
    return errors::invalid_input(
        "Invalid input: not an rqcheck store snapshot (format rqcheck-store-snapshot/1).");
  }
  std::unordered_map<std::string, std::shared_ptr<Queue>> queues;
  std::map<std::pair<std::string, std::string>, std::string> names;
  TimeMs now = clock_.now_ms();
  for (const Json& jq : snap["queues"]) {
    if (!jq.is_object() || !jq.contains("id") || !jq["id"].is_string() || !jq.contains("userId") ||
        !jq["userId"].is_string()) {
      return errors::invalid_input(
          "Invalid input: every snapshot queue needs \"id\" and \"userId\".");
    }
    for (const char* key : {"username", "generalAccess", "createdAt", "modifiedAt", "accessedAt"}) {
      if (!typed(jq, key, &Json::is_string)) {
        return errors::invalid_input("Invalid input: snapshot queue field \"" + std::string(key) +
                                     "\" must be a string.");
      }
    }
    if (!typed(jq, "hadMultipleClients", &Json::is_boolean)) {
      return errors::invalid_input(
          "Invalid input: snapshot queue field \"hadMultipleClients\" must be a boolean.");
    }
    auto q = std::make_shared<Queue>();
    q->id = jq["id"];
    q->user_id = jq["userId"];
    q->username = jq.value("username", "");
    if (jq.contains("name") && jq["name"].is_string()) q->name = jq["name"].get<std::string>();
    q->general_access = jq.value("generalAccess", "FOLLOW_USER_SETTING");
    q->created_at = parse_iso8601(jq.value("createdAt", "")).value_or(now);
    q->modified_at = parse_iso8601(jq.value("modifiedAt", "")).value_or(now);
    q->accessed_at = parse_iso8601(jq.value("accessedAt", "")).value_or(now);
    q->had_multiple_clients = jq.value("hadMultipleClients", false);
    q->created_seq = next_created_seq_++;
    if (jq.contains("requests") && jq["requests"].is_array()) {
      for (const Json& r : jq["requests"]) {
        Json body = r;
        if (body.is_object() && !typed(body, "__forefront", &Json::is_boolean)) {
          return errors::invalid_input(
              "Invalid input: snapshot request field \"__forefront\" must be a boolean.");
        }
        bool front = body.is_object() && body.value("__forefront", false);
        if (body.is_object()) body.erase("__forefront");
        auto p = parse_request_body(body, "snapshot request: ");
        if (!p) return p.error();
        auto rid = derived_id(*p);
        if (!rid) return rid.error();
        if (q->find(*rid) != q->entries.end()) continue;
        // In order and at the back, so the snapshot's queue order is kept; the forefront flag
        // still decides where the request goes when a later lock of it expires.
        q->insert(*rid, std::move(*p), false, now)->second.forefront = front;
      }
    }
    if (q->name) names[{q->user_id, *q->name}] = q->id;
    queues[q->id] = std::move(q);
  }
  std::unique_lock lock(mu_);
  queues_ = std::move(queues);
  names_ = std::move(names);
  return Ok{};
}

}  // namespace rqcheck::fake
