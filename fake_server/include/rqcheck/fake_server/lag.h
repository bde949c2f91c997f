// Seeded eventual consistency (docs/consistency.md): off by default. With a lag, a request that
// is new (add, batch add, upsert, replace) or reclaimed (its lock expired, was deleted or
// released, or it was put back unhandled) shows in GET head and POST head/lock only once its lag
// has passed; the queue's counters and modifiedAt in GET queue and the queue list show the last
// published values, published a counters lag after the first change since the last publication.
// Every lag is a pure function of (seed, queue id, request id or "counters", event number): no
// shared random sequence, so concurrent clients do not change each other's lags.
//
//   auto lag = parse_lag("head=0-800ms;counters=exp:200ms,max=2s");   // Result<LagOptions>
//   TimeMs ms = lag->head.draw(lag_hash(seed, queue_id, request_id, 1));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"

namespace rqcheck::fake {

// The longest lag the syntax accepts (10 minutes): bounded, so a typo cannot hide requests for
// days.
inline constexpr TimeMs kMaxLagMs = 600000;

// One lag distribution: none, a fixed or uniform range min..max ms, or exponential with a mean,
// cut at max.
struct LagDistribution {
  enum class Kind : std::uint8_t { kNone, kUniform, kExponential };
  Kind kind = Kind::kNone;
  TimeMs min_ms = 0, max_ms = 0, mean_ms = 0;
  bool on() const { return kind != Kind::kNone && max_ms > 0; }
  // The lag for a 64-bit hash (uniform over its range): 0..max_ms.
  TimeMs draw(std::uint64_t hash) const;
  std::string describe() const;  // "0-800ms", "exp:200ms,max=2000ms", "off"
};

struct LagOptions {
  LagDistribution head;      // new and reclaimed requests in head and head/lock
  LagDistribution counters;  // totalRequestCount, handledRequestCount, pendingRequestCount,
                             // modifiedAt in GET queue and the queue list
  std::optional<std::uint64_t> seed;  // nullopt: the store's seed (rq-fake --seed)
  bool enabled() const { return head.on() || counters.on(); }
  std::string describe() const;  // the --lag syntax back: "head=0-800ms;counters=off"
};

// Parses --lag: PART[;PART], PART = head=DIST | counters=DIST, DIST = DUR | DUR-DUR |
// exp:DUR[,max=DUR], DUR = a whole number with ms or s (0 may go without). No exceptions; a bad
// part gives a 400 invalid-lag error whose message names it.
Result<LagOptions> parse_lag(std::string_view text);

// The hash a lag is drawn from: FNV-1a over the seed, the queue id, the key and the event number,
// then a splitmix64 finish.
std::uint64_t lag_hash(std::uint64_t seed, std::string_view queue_id, std::string_view key,
                       std::uint64_t event);

}  // namespace rqcheck::fake
