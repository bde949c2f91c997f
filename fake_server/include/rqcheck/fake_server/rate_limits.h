// The fake's rate-limit emulation (spec 1.2, decision 37, the intro's "Rate limiting"), shared
// by every storage: the limits in force (read by every call, written by the admin API), the
// per-user minute budget, and one-second buckets that each storage keeps for itself.
//
//   RateLimiter limiter(RateLimits{});            // the documented defaults
//   if (auto st = limiter.charge_user(&user, now); !st) return st.error();      // 250000/min
//   std::lock_guard lock(store.mu);                                             // the storage's
//   if (auto st = limiter.charge(store.rate, Operation::kKvRecordPut, now); !st) // 200/s
//     return st.error();
//
// A refused call changes nothing: callers charge before the work. Reads of the limits take no
// lock (a seqlock over atomics); the minute budget is sharded by user, so calls of different
// users never share a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "rqcheck/core/limits.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake {

// Per-storage limits per second (decision 37 for queues; the intro's per-resource limits for
// the other storages) and the per-user budget. 0 disables a limit.
struct RateLimits {
  bool enabled = true;
  int single_request_per_sec = kRateSingleRequestPerSec;  // add/get/update/delete one; lock ops
  int batch_per_sec = kRateBatchPerSec;                   // batch add, batch delete, head/lock
  int other_per_sec = kRateOtherPerSec;  // queue CRUD, head, list, unlock; other storages' calls
  int batch_items_per_sec = kRateBatchItemsPerSec;    // batch items; the rest go to unprocessed
  int global_per_minute = kRateGlobalPerMinute;       // per user
  int kv_record_per_sec = kRateKvRecordPerSec;        // record get, head, put, post, delete
  int dataset_push_per_sec = kRateDatasetPushPerSec;  // push items
};
// The per-second limit of `op` (X-RateLimit-Limit): its class for request-queue operations, the
// record or push limit for those, else other_per_sec.
int limit_for(const RateLimits& limits, Operation op);

// A storage's one-second windows, one per bucket of its operations (see bucket_of).
struct RateBuckets {
  struct Window {
    std::int64_t second = -1;
    std::int64_t count = 0;
  };
  Window windows[3];
};
// Which window of a storage `op` counts in: the rate class for queue operations; for the other
// storages 1 for record CRUD and push items, 0 for the rest.
int bucket_of(Operation op);

class RateLimiter {
 public:
  explicit RateLimiter(const RateLimits& initial = {});
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  RateLimits limits() const;
  void set(const RateLimits& limits);
  int limit_for(Operation op) const { return fake::limit_for(limits(), op); }

  // The per-user minute budget (spec 1.2): every call of a user counts once. No user: free
  // (the platform counts anonymous calls per IP address; the fake does not).
  Status charge_user(const User* user, TimeMs now);
  // One call of `op` against the storage's bucket; the caller holds the storage's mutex.
  // 429 rate-limit-exceeded naming the limit when the second's calls are spent.
  Status charge(RateBuckets& buckets, Operation op, TimeMs now) const;
  // Forgets every user's minute budget (admin reset).
  void clear_budgets();

 private:
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

  // Written only through the admin API: a seqlock, so readers take no lock.
  std::mutex write_mu_;
  std::atomic<std::uint32_t> seq_{0};
  std::atomic<bool> enabled_{true};
  std::atomic<int> single_{0}, batch_{0}, other_{0}, batch_items_{0}, global_{0}, kv_record_{0},
      dataset_push_{0};
};

}  // namespace rqcheck::fake
