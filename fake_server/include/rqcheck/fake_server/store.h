// The fake's in-memory request-queue store: users, queues and requests with the semantics of
// spec sections 4 and 6 and the decisions of section 9. No HTTP here: the server parses
// requests into these calls and maps the Results to responses.
//
//   ManualClock clock(0);
//   Store store(StoreOptions{}, clock);
//   User u = store.user_for_token("t1").value();
//   auto q = store.create_queue(u, "my-queue");                  // {info, created}
//   auto r = store.add_request(u, QueueRef::by_id(q->info.id), body, {.forefront = true});
//
// Complexity: every request operation is O(log n) in the queue's size (plus O(k log n) for k
// locks that expired since the last call); a list page is O(log n + page); head is
// O(log n + limit). One mutex per queue, a shared mutex for the queue directory.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"

namespace rqcheck::fake {

struct User {
  std::string id;  // 17 alphanumeric characters
  std::string username;
  std::string token;
};

// Per-queue limits (decision 37). 0 disables a limit.
struct RateLimits {
  bool enabled = true;
  int single_request_per_sec = 400;  // add, get, update, delete one request; lock ops
  int batch_per_sec = 40;            // batch add, batch delete, head/lock
  int other_per_sec = 60;            // queue CRUD, head, list, unlock
  int batch_items_per_sec = 1000;  // items of batch add/delete; the rest go to unprocessedRequests
  int global_per_minute = 250000;  // per user
};

// Switches for the rows of section 9 where a real deployment is known to answer otherwise.
struct Behaviour {
  bool delete_absent_is_404 = false;   // decision 5: 204 (default) or 404
  bool reject_over_max_limit = false;  // decision 10: clamp (default) or 400
  bool prolong_from_current_expiry =
      false;  // section 4 (15): now+lockSecs (default) or expiry+lockSecs
  bool prolong_by_other_is_400 =
      false;  // decision 27: 403 (default) or 400 request-handled-or-locked
};

struct StoreOptions {
  RateLimits rate_limits;
  Behaviour behaviour;
  std::string console_base = "https://console.apify.com/storage/request-queues/";
  std::uint64_t seed = 1;  // queue and user ids are drawn from it
};

// How a call names its queue: a 17-char id, "username~name", or "~name" (the caller's own).
struct QueueRef {
  std::string text;
  static QueueRef by_id(std::string id) { return QueueRef{std::move(id)}; }
};

struct RequestOptions {
  std::optional<std::string> client_key;
  bool forefront = false;
};

struct ListOptions {
  std::optional<std::string> client_key;
  std::optional<std::int64_t> limit;
  std::optional<std::string> cursor;
  std::optional<std::string> exclusive_start_id;
  bool filter_locked = false, filter_pending = false;
};

struct QueueListOptions {
  std::int64_t offset = 0;
  std::optional<std::int64_t> limit;
  bool desc = false, unnamed = false;
  std::optional<std::string> ownership;  // ownedByMe | sharedWithMe
};

struct CreateResult {
  RequestQueueInfo info;
  bool created = false;
};

// What a batch add or delete may not process (fault injection: partial failures). Items whose
// mask entry is true go to unprocessedRequests untouched.
using UnprocessedMask = std::vector<bool>;

class Store {
 public:
  Store(StoreOptions options, const Clock& clock);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- users (auth) ---
  // Fixes the set of users; afterwards unknown tokens get 401 user-or-token-not-found.
  void set_fixed_users(std::vector<User> users);
  // The user a token belongs to; without fixed users every non-empty token is its own user.
  Result<User> user_for_token(std::string_view token);

  // --- queues (rows 1-5) ---
  Result<QueuesPage> list_queues(const User& u, const QueueListOptions& o);
  Result<CreateResult> create_queue(const User& u, std::optional<std::string> name);
  // `user` is null for calls without a token (reads by raw id only).
  Result<RequestQueueInfo> get_queue(const User* u, const QueueRef& q);
  Result<RequestQueueInfo> update_queue(const User& u, const QueueRef& q, const Json& body);
  Status delete_queue(const User& u, const QueueRef& q);

  // --- requests (rows 6-17). Results carry the JSON text of `data` where the server writes it
  // straight to the wire. ---
  Result<AddResult> add_request(const User& u, const QueueRef& q, const Json& body,
                                const RequestOptions& o);
  // Returns the `data` object of ListOfRequests as JSON text, appended to `into` (which may
  // hold a prefix, such as the server's `{"data":`, so the page is not copied again).
  Result<std::string> list_requests(const User* u, const QueueRef& q, const ListOptions& o,
                                    std::string into = {});
  Result<BatchAddResult> batch_add(const User& u, const QueueRef& q, const Json& body,
                                   const RequestOptions& o, const UnprocessedMask* mask = nullptr);
  Result<BatchDeleteResult> batch_delete(const User& u, const QueueRef& q, const Json& body,
                                         const RequestOptions& o,
                                         const UnprocessedMask* mask = nullptr);
  // Returns the stored request as JSON text, appended to `into` (as for list_requests).
  Result<std::string> get_request(const User* u, const QueueRef& q, std::string_view id,
                                  std::string into = {});
  Result<AddResult> update_request(const User& u, const QueueRef& q, std::string_view id,
                                   const Json& body, const RequestOptions& o);
  Status delete_request(const User& u, const QueueRef& q, std::string_view id,
                        const RequestOptions& o);
  Result<Head> head(const User* u, const QueueRef& q, std::optional<std::int64_t> limit,
                    const std::optional<std::string>& client_key);
  Result<Head> head_and_lock(const User& u, const QueueRef& q, double lock_secs,
                             std::optional<std::int64_t> limit,
                             const std::optional<std::string>& client_key);
  Result<TimeMs> prolong_lock(const User& u, const QueueRef& q, std::string_view id,
                              double lock_secs, const RequestOptions& o);
  Status delete_lock(const User& u, const QueueRef& q, std::string_view id,
                     const RequestOptions& o);
  Result<std::int64_t> unlock_requests(const User& u, const QueueRef& q,
                                       const std::optional<std::string>& client_key);

  // Rate limiting (decision 37): charges one call of `op` against the queue's bucket and the
  // user's global budget. Returns the limit that applies (for X-RateLimit-Limit) or a 429.
  Result<int> charge(const User* u, const QueueRef* q, Operation op);
  int limit_for(Operation op) const;
  void set_rate_limits(const RateLimits& r);
  RateLimits rate_limits() const;

  // Admin: drop everything (users stay), and a JSON snapshot of all queues for export/import.
  void reset();
  Json snapshot() const;
  Status restore(const Json& snapshot);

  std::size_t queue_count() const;
  const Behaviour& behaviour() const { return options_.behaviour; }

  struct Queue;  // defined in store.cc

 private:
  Result<std::shared_ptr<Queue>> resolve(const User* u, const QueueRef& q, bool write,
                                         Operation op);
  // A queue entered by one request operation: kept alive and locked until this goes away.
  struct Entered {
    std::shared_ptr<Queue> queue;
    std::unique_lock<std::mutex> lock;
    TimeMs now = 0;
  };
  // The first step of every request operation: resolve the queue, lock it, release expired
  // locks (decision 29) and, when `caller` is given, note the caller (decision 30).
  Result<Entered> enter(const User* u, const QueueRef& q, bool write, Operation op,
                        const std::optional<std::string>* caller);
  std::string new_id();

  StoreOptions options_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;  // guards everything below; each Queue has its own mutex
  std::unordered_map<std::string, std::shared_ptr<Queue>> queues_;    // by id
  std::map<std::pair<std::string, std::string>, std::string> names_;  // (user id, name) -> id
  std::unordered_map<std::string, User> users_by_token_;
  std::unordered_map<std::string, User> users_by_name_;
  bool fixed_users_ = false;
  std::uint64_t rng_state_;
  std::int64_t next_created_seq_ = 0;
  // Per-user budget (250000/min), in shards by user so that callers of different users never
  // share a lock (each user's calls meet in one shard).
  struct UserBudget {
    std::int64_t window = -1;
    std::int64_t count = 0;
  };
  struct BudgetShard {
    std::mutex mu;
    std::unordered_map<std::string, UserBudget> budgets;
  };
  static constexpr std::size_t kBudgetShards = 64;
  BudgetShard budget_shards_[kBudgetShards];
  // Rate limits are read by every call and written only through the admin API: a seqlock over
  // atomic fields, so readers take no lock; writers serialize on limits_mu_.
  class LimitsCell {
   public:
    void store(const RateLimits& r);
    RateLimits load() const;

   private:
    std::atomic<std::uint32_t> seq_{0};
    std::atomic<bool> enabled_{true};
    std::atomic<int> single_{0}, batch_{0}, other_{0}, batch_items_{0}, global_{0};
  };
  std::mutex limits_mu_;
  LimitsCell limits_;
};

}  // namespace rqcheck::fake
