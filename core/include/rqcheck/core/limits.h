// Every documented limit and default of the API in one place (spec sections 1, 1.2, 3, 4 and
// decisions 6, 8-11, 37), so the fake, the client, the compliance monitor and the checks cannot
// drift apart.
//
//   if (items.size() > kMaxBatch) return errors::invalid_input(...);
//   std::int64_t limit = clamp_limit(requested, kListRequestsLimit);
#pragma once

#include <cstddef>
#include <cstdint>

namespace rqcheck {

// The payload limit of the API (MAX_PAYLOAD_SIZE_BYTES, 9 MiB), applied after decompression.
inline constexpr std::size_t kMaxPayloadBytes = 9437184;
// Requests per batch add or batch delete (REQUEST_QUEUE_MAX_REQUESTS_PER_BATCH_OPERATION).
inline constexpr std::size_t kMaxBatch = 25;
// clientKey length (decision 8): 1..32 characters.
inline constexpr std::size_t kMinClientKeyLength = 1;
inline constexpr std::size_t kMaxClientKeyLength = 32;
// Storage names (docs: at most 63 characters; decision: [a-zA-Z0-9-], not starting or ending
// with '-').
inline constexpr std::size_t kMaxStorageNameLength = 63;
// lockSecs (decision 9): a non-negative number of seconds; the fake refuses more than this.
inline constexpr double kMaxLockSecs = 1e9;
// Nesting depth the fake accepts in JSON bodies.
inline constexpr std::size_t kMaxJsonDepth = 128;

// A `limit` query parameter: its default, and the maximum the API applies (decisions 10, 11).
struct LimitRule {
  std::int64_t default_value;
  std::int64_t max_value;
};
inline constexpr LimitRule kListRequestsLimit{1000, 10000};  // GET .../requests
inline constexpr LimitRule kHeadLimit{100, 1000};            // GET .../head (@apify/consts)
inline constexpr LimitRule kHeadLockLimit{25, 25};           // POST .../head/lock
inline constexpr LimitRule kListStoragesLimit{1000, 1000};   // GET /v2/request-queues etc.

// The value a request asks for, or the default; over the maximum it is clamped (decision 10).
inline constexpr std::int64_t clamp_limit(std::int64_t requested, LimitRule rule) {
  return requested > rule.max_value ? rule.max_value : requested;
}

// Rate limits (spec 1.2, decision 37): per queue and second by operation class, batch items
// per queue and second, and calls per user and minute.
inline constexpr int kRateSingleRequestPerSec = 400;  // add/get/update/delete one request; locks
inline constexpr int kRateBatchPerSec = 40;           // batch add, batch delete, head/lock
inline constexpr int kRateOtherPerSec = 60;           // queue CRUD, head, list, unlock
inline constexpr int kRateBatchItemsPerSec = 1000;    // items of batch add/delete
inline constexpr int kRateGlobalPerMinute = 250000;   // per user

// Documented client backoff (spec 1.2, 7.1, 7.2): the first wait is in [500 ms, 1000 ms] and
// each further wait doubles.
inline constexpr std::int64_t kClientFirstBackoffMs = 500;

}  // namespace rqcheck
