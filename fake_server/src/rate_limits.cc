#include "rqcheck/fake_server/rate_limits.h"

#include <functional>

#include "rqcheck/core/errors.h"

namespace rqcheck::fake {

namespace {
using O = Operation;

bool is_kv_record_crud(O op) {
  return op == O::kKvRecordGet || op == O::kKvRecordHead || op == O::kKvRecordPut ||
         op == O::kKvRecordPost || op == O::kKvRecordDelete;
}
}  // namespace

int limit_for(const RateLimits& rl, Operation op) {
  if (is_kv_record_crud(op)) return rl.kv_record_per_sec;
  if (op == O::kDatasetItemsPost) return rl.dataset_push_per_sec;
  switch (operation_info(op).rate_class) {
    case RateClass::kSingleRequest:
      return rl.single_request_per_sec;
    case RateClass::kBatch:
      return rl.batch_per_sec;
    default:
      return rl.other_per_sec;
  }
}

int bucket_of(Operation op) {
  if (operation_info(op).storage == Storage::kRequestQueue) {
    return static_cast<int>(operation_info(op).rate_class);
  }
  return is_kv_record_crud(op) || op == O::kDatasetItemsPost ? 1 : 0;
}

RateLimiter::RateLimiter(const RateLimits& initial) { set(initial); }

void RateLimiter::set(const RateLimits& r) {
  std::lock_guard lock(write_mu_);
  seq_.fetch_add(1, std::memory_order_acq_rel);  // odd: a write is in progress
  enabled_.store(r.enabled, std::memory_order_relaxed);
  single_.store(r.single_request_per_sec, std::memory_order_relaxed);
  batch_.store(r.batch_per_sec, std::memory_order_relaxed);
  other_.store(r.other_per_sec, std::memory_order_relaxed);
  batch_items_.store(r.batch_items_per_sec, std::memory_order_relaxed);
  global_.store(r.global_per_minute, std::memory_order_relaxed);
  kv_record_.store(r.kv_record_per_sec, std::memory_order_relaxed);
  dataset_push_.store(r.dataset_push_per_sec, std::memory_order_relaxed);
  seq_.fetch_add(1, std::memory_order_release);
}

RateLimits RateLimiter::limits() const {
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
    r.kv_record_per_sec = kv_record_.load(std::memory_order_relaxed);
    r.dataset_push_per_sec = dataset_push_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) == before) return r;
  }
}

Status RateLimiter::charge_user(const User* u, TimeMs now) {
  if (!u) return Ok{};
  const bool enabled = enabled_.load(std::memory_order_relaxed);
  const int per_minute = global_.load(std::memory_order_relaxed);
  if (!enabled || per_minute <= 0) return Ok{};
  BudgetShard& shard = budget_shards_[std::hash<std::string>{}(u->id) % kBudgetShards];
  std::lock_guard lock(shard.mu);
  UserBudget& b = shard.budgets[u->id];
  std::int64_t window = now / 60000;
  if (b.window != window) b = UserBudget{window, 0};
  if (b.count >= per_minute) {
    ApiError e = errors::rate_limit_exceeded(per_minute);
    e.message = "You have exceeded the rate limit of " + std::to_string(per_minute) +
                " requests per minute. Please try again later.";
    return e;
  }
  ++b.count;
  return Ok{};
}

Status RateLimiter::charge(RateBuckets& buckets, Operation op, TimeMs now) const {
  RateLimits rl = limits();
  int limit = fake::limit_for(rl, op);
  if (!rl.enabled || limit <= 0) return Ok{};
  RateBuckets::Window& w = buckets.windows[bucket_of(op)];
  std::int64_t second = now / 1000;
  if (w.second != second) w = RateBuckets::Window{second, 0};
  if (w.count >= limit) return errors::rate_limit_exceeded(limit);
  ++w.count;
  return Ok{};
}

void RateLimiter::clear_budgets() {
  for (auto& shard : budget_shards_) {
    std::lock_guard lock(shard.mu);
    shard.budgets.clear();
  }
}

}  // namespace rqcheck::fake
