// The fake's request-queue store: queues and requests with the semantics of spec sections 4 and
// 6 and the decisions of section 9. Users (users.h), the directory of storages (ids, names,
// owners, access; src/directory.h) and the rate limiter (rate_limits.h) are the ones the
// key-value stores and datasets use too. Semantics only: no HTTP and no wire JSON. Calls take
// typed values (the wire layer parsed the body once into RequestDrafts and checked the request
// rules of core/requests.h) and hand stored requests to a sink as views, so a writer can put them
// on the wire without a copy.
//
//   ManualClock clock(0);
//   Store store(StoreOptions{}, clock);
//   User u = store.user_for_token("t1").value();
//   auto q = store.create_queue(u, "my-queue");                 // {info, created}
//   Caller me{&u, "client-a"};
//   RequestDraft d;  d.unique_key = d.url = "https://example.com";
//   auto r = store.add_request(me, QueueRef::by_id(q->info.id), std::move(d), {.forefront = true});
//
// Every request operation resolves its queue, takes the queue's mutex and charges the rate limit
// once (enter()); it is O(log n) in the queue's size (plus O(k log n) for k locks that expired
// since the last call); a list page is O(log n + page); head is O(log n + limit); the queue list
// is O(log n + page) through a per-user index.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rqcheck/core/limits.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/requests.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"
#include "rqcheck/fake_server/cost.h"
#include "rqcheck/fake_server/lag.h"
#include "rqcheck/fake_server/rate_limits.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake {

template <typename T>
class Directory;  // fake_server/src/directory.h: ids, names, owners, access, the per-user list

namespace persist {  // fake_server/src/persist/changes.h: what the stores tell the data directory
class ChangeLog;
struct StorageRow;
struct RequestRow;
}  // namespace persist

// Switches for the rows of section 9 where a real deployment is known to answer otherwise.
struct Behaviour {
  bool delete_absent_is_404 = false;             // decision 5: 204 (default) or 404
  bool reject_over_max_limit = false;            // decision 10: clamp (default) or 400 (wire layer)
  bool prolong_from_current_expiry = false;      // section 4 (15): now+lockSecs or expiry+lockSecs
  bool prolong_by_other_is_400 = false;          // decision 27: 403 (default) or 400
  bool batch_delete_absent_unprocessed = false;  // decision 5: absent items processed or not
  bool delete_lock_by_other_is_403 = false;      // decision 28: 400 (default) or 403
  bool unnamed_listed_by_default = false;        // decision 35: only with unnamed=1, or always
};

// Store decisions a named bug of the fake may change (bugs/, test-only). Each flag breaks one
// rule where the store takes that decision; all false is the contract.
struct StoreQuirks {
  bool never_dedup = false;           // an add of a present uniqueKey stores a second request
  bool dedup_by_url = false;          // dedup compares urls instead of uniqueKeys
  bool duplicate_overwrites = false;  // an add of a present uniqueKey replaces it
  bool upsert_rejected = false;       // PUT of an absent id is 404
  bool cursor_skips_first = false;    // a page after a cursor leaves out its first item
  bool next_cursor_always = false;    // every non-empty page carries nextCursor
  bool head_shows_locked = false;     // GET head also lists requests locked by others
  bool lock_not_exclusive = false;    // head/lock also hands out requests locked by others
  bool lock_owner_ignored = false;    // anyone may prolong or delete a lock
  bool delete_lock_ignored = false;   // deleting a lock keeps it (and answers success)
  bool handled_count_frozen = false;  // handledRequestCount stays 0
  bool not_found_is_500 = false;      // absent queues and requests are 500, not 404 or 204
  bool rate_limits_off = false;       // rate limits are never charged
  bool restricted_ignored = false;    // RESTRICTED queues are read like any other
  // The second set (bugs/subtle_*.cc, issue 12): each flag is one realistic mistake.
  bool soft_delete_queue = false;             // a deleted queue leaves the list but still answers
  bool lock_keeps_modified_at = false;        // head/lock does not move modifiedAt
  bool every_call_a_new_client = false;       // a second call with the same clientKey counts
  bool keyless_calls_one_client = false;      // calls without clientKey are all one client
  bool delete_keeps_handled_count = false;    // deleting a handled request keeps it counted
  bool handled_update_keeps_pending = false;  // PUT pending -> handled leaves pending as it was
  bool duplicate_counts_total = false;        // an add of a present uniqueKey counts in total
  bool dedup_case_insensitive = false;        // uniqueKeys compared ignoring case
  bool dedup_trailing_slash = false;          // uniqueKeys compared without a trailing '/'
  bool duplicate_forefront_moves = false;     // re-adding with forefront moves it to the front
  bool update_merges = false;                 // PUT keeps the stored fields the body leaves out
  bool reclaim_keeps_position = false;        // PUT of a pending request keeps its position
  bool expired_lock_keeps_position = false;   // an expired lock goes back to its old place
  bool lock_expiry_from_order_time = false;   // lockExpiresAt = the request's queue time + secs
  bool prolong_not_stored = false;            // prolong answers the new expiry, keeps the old
  bool unlock_releases_all = false;           // unlock releases every client's locks
  bool head_lock_takes_one_more = false;      // head/lock locks limit + 1, returns limit
  bool has_locked_counts_own_only = false;    // queueHasLockedRequests: the caller's locks only
  bool delete_lock_by_other_noop = false;     // delete lock by another client: 204, nothing done
  bool cursor_inclusive = false;              // a page after a cursor repeats the cursor's item
  bool next_cursor_on_full_matches = false;   // nextCursor only when `limit` items matched
  bool pending_filter_includes_handled = false;     // filter=pending lists handled ones too
  bool list_limit_plus_one = false;                 // a page holds limit + 1 requests
  bool unprocessed_items_stored = false;            // batch items over the budget are stored anyway
  bool add_handled_flag_counts_locked = false;      // add: wasAlreadyHandled true for a locked one
  bool batch_delete_over_budget_processed = false;  // over-budget delete items: processed, kept
  bool batch_delete_absent_dropped = false;         // absent batch delete items: in neither list
  bool handled_add_not_counted = false;  // a new request added handled is not counted handled
  bool head_lock_rehands_own = false;    // head/lock hands the caller's own locked ones out again
  bool locks_expire_early = false;       // locks are treated as expired a second early
  bool forefront_fifo = false;           // forefront requests oldest first among themselves
};

struct StoreOptions {
  RateLimits rate_limits;
  Behaviour behaviour;
  StoreQuirks quirks;
  std::string console_base = "https://console.apify.com/storage/request-queues/";
  std::uint64_t seed = 1;  // queue and user ids are drawn from it
  // Seeded eventual consistency (lag.h, docs/consistency.md): off by default.
  LagOptions lag;
};

// The counters of a queue that a lag may hold back (lag.h): what GET queue shows.
struct QueueCounters {
  std::int64_t total = 0, handled = 0, pending = 0;
  TimeMs modified_at = 0;
  bool operator==(const QueueCounters& o) const {
    return total == o.total && handled == o.handled && pending == o.pending &&
           modified_at == o.modified_at;
  }
};

// How a call names its queue: a 17-char id, "username~name", or "~name" (the caller's own).
struct QueueRef {
  std::string text;
  static QueueRef by_id(std::string id) { return QueueRef{std::move(id)}; }
};

// Who makes a call: the token's user (null without a token) and its clientKey. Each call without
// a clientKey counts as a new client (decision 30). `charge`, when set, receives what the call
// cost (docs/cost.md), the same units the queue's stats count.
struct Caller {
  const User* user = nullptr;
  std::optional<std::string> client_key;
  CostCharge* charge = nullptr;
};

struct WriteOptions {
  bool forefront = false;
};

// A list-requests page to walk (the wire layer decoded the cursor and applied the limits).
struct ListQuery {
  std::int64_t limit = kListRequestsLimit.default_value;
  std::optional<std::string> after;  // list the ids after this one (cursor, exclusiveStartId)
  bool filter_locked = false, filter_pending = false;  // none set: every request
};

struct ListPage {
  std::int64_t listed = 0;
  // Set when the page stopped on `limit` with more requests to scan: the last scanned id, from
  // which the next cursor is made (decision 31).
  std::optional<std::string> next_after;
};

struct QueueListOptions {
  std::int64_t offset = 0;
  std::int64_t limit = kListStoragesLimit.default_value;
  bool desc = false, unnamed = false;
  bool shared_with_me = false;  // ownership=sharedWithMe: nothing (the fake shares no queues)
};

// PUT queue: each field set is changed.
struct QueueChanges {
  std::optional<std::optional<std::string>> name;  // set to nullopt: unnamed
  std::optional<std::string> general_access;
};

struct CreateResult {
  RequestQueueInfo info;
  bool created = false;
};

// A stored request, lent to a sink for the duration of one call.
struct RequestView {
  std::string_view id, unique_key, url;
  std::uint8_t method = 0;  // index into kRequestMethods
  std::int32_t retry_count = 0;
  std::string_view extra;  // ,"key":value... of the other fields
  std::optional<TimeMs> handled_at;
  bool plain = false;  // unique_key and url need no JSON escaping
  std::optional<TimeMs> lock_expires_at;
  std::string_view lock_client_key;  // "" when locked without a clientKey or not locked
};
using RequestSink = std::function<void(const RequestView&)>;

// What a batch add or delete may not process (fault injection: partial failures). Items whose
// mask entry is true go to unprocessedRequests untouched.
using UnprocessedMask = std::vector<bool>;

// A queue with everything in it, as plain data: snapshots export and import it.
struct StoredRequest {
  std::string id;
  RequestDraft draft;  // unique_key, url, method, retry_count, handled_at, extra
  bool forefront = false;
  std::optional<TimeMs> lock_expires_at;
  std::optional<std::string> lock_client_key;  // nullopt: locked without a clientKey
};
struct QueueImage {
  RequestQueueInfo info;  // id, name, user, access, times, hadMultipleClients, stats
  // Pending requests in queue order, then locked ones by expiry, then handled ones.
  std::vector<StoredRequest> requests;
};

// --- inspection: what the dashboard and the admin API read (README "The dashboard") -----------
// A request's state: pending (not locked, in `available`), locked (by a client until an
// expiry) or handled.
enum class RequestState : std::uint8_t { kPending, kLocked, kHandled };

// Where a request stands in its state's index, for cursors: pending (queue order: t is the
// time it was queued, negative at the front), locked (t = lock expiry), handled (t = handledAt).
// seq breaks ties and is unique in the queue.
struct StatePosition {
  std::int64_t t = 0;
  std::int64_t seq = 0;
};

// One page of a queue's requests. With `state`: that state in its own order (pending in queue
// order, locked by expiry, handled newest first), after `after`. Without: every request in id
// order, after `after_id`.
struct InspectQuery {
  std::optional<RequestState> state;
  std::optional<StatePosition> after;
  std::optional<std::string> after_id;
  std::int64_t limit = 50;
  // Non-empty: only requests whose id, uniqueKey or url contains it. A page then looks at no
  // more than `max_scan` requests, so a rare match costs a few pages, never a walk of the queue.
  std::string contains;
  std::int64_t max_scan = 10000;
};

struct InspectedRequest {
  RequestView view;
  RequestState state = RequestState::kPending;
  StatePosition position;  // in its state's index
};
using InspectSink = std::function<void(const InspectedRequest&)>;

struct InspectPage {
  std::int64_t listed = 0;
  std::int64_t scanned = 0;
  // Set when requests are left after this page: the position (or id) of the last one looked at.
  std::optional<StatePosition> next;
  std::optional<std::string> next_id;
};

// A queue with the count of each state.
struct QueueOverview {
  RequestQueueInfo info;
  std::int64_t pending = 0, locked = 0, handled = 0;
};

// The queues of every user (or of one), grouped by user and by creation within a user: the
// order of the store's per-user index, so a page is a range of it.
struct QueueScanPosition {
  std::string user_id;
  TimeMs created_at = 0;
  std::int64_t created_seq = 0;
  std::string queue_id;
};
struct QueueScan {
  std::optional<std::string> user_id;  // only this user's queues
  std::optional<QueueScanPosition> after;
  std::int64_t limit = 50;
};
struct QueueOverviewPage {
  std::vector<QueueOverview> items;
  std::int64_t total = 0;  // queues in the store, of every user
  std::optional<QueueScanPosition> next;
};

class Store {
 public:
  // A store of its own users and rate limiter (tests, tools).
  Store(StoreOptions options, const Clock& clock);
  // A store sharing the fake's users and rate limiter with the other storages. The limiter's
  // limits are set to options.rate_limits.
  Store(StoreOptions options, const Clock& clock, Users& users, RateLimiter& limiter);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- users (auth), through the shared Users ---
  // Fixes the set of users; afterwards unknown tokens get 401 user-or-token-not-found.
  void set_fixed_users(std::vector<User> users);
  // The user a token belongs to; without fixed users every non-empty token is its own user.
  Result<User> user_for_token(std::string_view token);
  std::optional<User> user_by_id(std::string_view id) const;
  Users& users() { return users_; }

  // --- queues (rows 1-5) ---
  Result<QueuesPage> list_queues(const Caller& c, const QueueListOptions& o);
  Result<CreateResult> create_queue(const Caller& c, std::optional<std::string> name);
  Result<RequestQueueInfo> get_queue(const Caller& c, const QueueRef& q);
  Result<RequestQueueInfo> update_queue(const Caller& c, const QueueRef& q,
                                        const QueueChanges& changes);
  Status delete_queue(const Caller& c, const QueueRef& q);

  // --- requests (rows 6-17) ---
  Result<AddResult> add_request(const Caller& c, const QueueRef& q, RequestDraft d,
                                const WriteOptions& o);
  Result<BatchAddResult> batch_add(const Caller& c, const QueueRef& q,
                                   std::vector<RequestDraft> drafts, const WriteOptions& o,
                                   const UnprocessedMask* mask = nullptr);
  Result<BatchDeleteResult> batch_delete(const Caller& c, const QueueRef& q,
                                         const std::vector<RequestKey>& keys,
                                         const UnprocessedMask* mask = nullptr);
  // Hands each listed request to `sink`, in id order.
  Result<ListPage> list_requests(const Caller& c, const QueueRef& q, const ListQuery& query,
                                 const RequestSink& sink);
  Status get_request(const Caller& c, const QueueRef& q, std::string_view id,
                     const RequestSink& sink);
  Result<AddResult> update_request(const Caller& c, const QueueRef& q, std::string_view id,
                                   RequestDraft d, const WriteOptions& o);
  Status delete_request(const Caller& c, const QueueRef& q, std::string_view id);
  Result<Head> head(const Caller& c, const QueueRef& q, std::int64_t limit);
  // `lock_secs` as asked (echoed as an integer); a request is locked for lock_secs seconds.
  Result<Head> head_and_lock(const Caller& c, const QueueRef& q, double lock_secs,
                             std::int64_t limit);
  Result<TimeMs> prolong_lock(const Caller& c, const QueueRef& q, std::string_view id,
                              double lock_secs, const WriteOptions& o);
  Status delete_lock(const Caller& c, const QueueRef& q, std::string_view id,
                     const WriteOptions& o);
  Result<std::int64_t> unlock_requests(const Caller& c, const QueueRef& q);

  // --- rate limits (decision 37): charged inside each operation, once; shared by every
  // storage of the fake. ---
  int limit_for(Operation op) const;
  void set_rate_limits(const RateLimits& r);
  RateLimits rate_limits() const;
  RateLimiter& rate_limiter() { return limiter_; }

  // --- inspection (the dashboard): typed pages that charge no rate limit, note no client and
  // change no counter; locks that expired are released first, as the next call would do
  // (decision 29). Queues by id only. O(log n + page) each (O(log n + max_scan) with
  // `contains`).
  Result<QueueOverviewPage> inspect_queues(const QueueScan& scan);
  Result<QueueOverview> inspect_queue(std::string_view queue_id);
  Result<InspectPage> inspect_requests(std::string_view queue_id, const InspectQuery& query,
                                       const InspectSink& sink);
  Status inspect_request(std::string_view queue_id, std::string_view request_id,
                         const InspectSink& sink);
  std::size_t user_count() const;
  // The user of this id or username.
  std::optional<User> find_user(std::string_view id_or_name) const;

  // --- admin ---
  // Drops every queue and forgets the users' minute budgets (users stay).
  void reset();
  // Every queue as plain data, and back (all or nothing: a bad image changes nothing).
  std::vector<QueueImage> export_queues() const;
  Status import_queues(std::vector<QueueImage> queues);
  std::size_t queue_count() const;
  const Behaviour& behaviour() const { return options_.behaviour; }
  // The lag in force (docs/consistency.md) and the seed its draws use.
  const LagOptions& lag() const { return options_.lag; }
  std::uint64_t lag_seed() const { return lag_seed_; }
  // Named bugs (test-only) change store decisions; set before serving.
  void set_quirks(const StoreQuirks& q) { options_.quirks = q; }
  const StoreQuirks& quirks() const { return options_.quirks; }

  // --- persistence (rq-fake --data-dir; docs/persistence.md) ---
  // With a change log every write hands its change records (the rows it changed) to `log`
  // before it lets go of the queue; reads keep theirs (accessedAt, read counters, locks that
  // expired) until the next write of the queue or flush_lazy(). Set before serving.
  void set_change_log(persist::ChangeLog* log) { log_ = log; }
  // Hands over what reads kept back (the writer calls it about once a second and at shutdown).
  void flush_lazy();
  // Appends every queue and request as it is now (after a reset or a snapshot import).
  void persist_all();
  // Start-up: a queue's row, then its requests.
  Status load_queue(persist::StorageRow row);
  Status load_request(persist::RequestRow row);
  // New queue ids from this seed on (a restarted fake does not hand out the ids of before).
  void reseed_ids(std::uint64_t seed);

  struct Queue;  // defined in queue.h

 private:
  // A queue entered by one request operation: kept alive and locked until this goes away.
  struct Entered {
    std::shared_ptr<Queue> queue;
    std::unique_lock<std::mutex> lock;
    TimeMs now = 0;
    Store* store = nullptr;  // hands the call's changes over on leaving (change log, lag)
    bool write = false;
    QueueCounters before;  // with a counters lag: the shown counters as the call began
    Entered() = default;
    Entered(Entered&&) = default;
    Entered& operator=(Entered&&) = default;
    ~Entered();  // before the queue's lock is released
  };
  // The queue's changes after a call: a write appends them now, a read keeps them for later.
  void after_call(const std::shared_ptr<Queue>& q, bool write);
  void flush_locked(Queue& q);  // the caller holds q.mu
  // The first step of every request operation: resolve the queue (decisions 13, 14), lock it,
  // charge the rate limits (decision 37: a refused call changes nothing), release expired locks
  // (decision 29) and note the caller (decision 30).
  Result<Entered> enter(const Caller& c, const QueueRef& q, Operation op);
  Result<std::shared_ptr<Queue>> resolve(const User* u, const QueueRef& q, bool write);
  // The per-user minute budget (spec 1.2): charged by every operation of a user.
  Status charge_user(const User* u, TimeMs now);
  // The queue's per-second bucket of `op`'s class; the caller holds the queue's mutex.
  Status charge_queue(Queue& q, Operation op, TimeMs now);
  // What a call that did its work costs (cost_of: the one table of docs/cost.md), into the
  // queue's stats and the caller's charge; the caller holds the queue's mutex.
  static void charge_cost(Queue& q, const Caller& c, Operation op, std::int64_t items);
  RequestQueueInfo info_of(const Queue& q) const;
  // The live counters (with the second set's drifts), and the ones GET queue shows now: the
  // published ones while a counters lag holds them back (lag.h).
  QueueCounters counters_of(const Queue& q) const;
  RequestQueueInfo shown_info(const Queue& q, TimeMs now) const;
  // After a call: a change of the counters starts a publication due a counters lag later.
  void publish_after(Queue& q, const QueueCounters& before, TimeMs now);
  // 404 record-not-found (500 under the NotFoundIs500 bug).
  ApiError not_found() const;
  // A directory's error, with the NotFoundIs500 bug applied to its 404s.
  ApiError mapped(ApiError e) const;
  // The queue with this id, or null; takes mu_ shared (the inspection reads, store_inspect.cc).
  std::shared_ptr<Queue> queue_by_id(std::string_view id) const;

  StoreOptions options_;
  std::uint64_t lag_seed_ = 1;  // options_.lag.seed, else options_.seed
  const Clock& clock_;
  std::unique_ptr<Users> own_users_;  // set when the store has users of its own
  std::unique_ptr<RateLimiter> own_limiter_;
  Users& users_;
  RateLimiter& limiter_;
  std::unique_ptr<Directory<Queue>> dir_;  // the queues: by id, by (user, name), per user
  persist::ChangeLog* log_ = nullptr;
  std::atomic<std::int64_t> last_row_{0};   // the highest request row handed out
  std::mutex lazy_mu_;                      // after a queue's own mutex, never before
  std::vector<std::weak_ptr<Queue>> lazy_;  // queues whose reads kept changes back
  // Queues deleted under the SoftDeleteQueue bug, still answering by id (empty otherwise).
  mutable std::mutex soft_deleted_mu_;
  std::unordered_map<std::string, std::shared_ptr<Queue>> soft_deleted_;
};

}  // namespace rqcheck::fake
