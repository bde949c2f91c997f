// The cost meter (docs/cost.md): what each client's request-queue calls cost in the units the
// platform bills (reads, writes, deletes, head items read; the store charged each call through
// cost_of() and the journal entry carries the charge) and how many calls the platform's
// documented rate limits would have refused, counted even when the fake runs with
// --no-rate-limit. Per client (clientKey, or none) and per run (since start or the last admin
// reset). Part of the compliance report: ComplianceMonitor owns one and feeds it every entry.
//
//   CostMeter meter;
//   meter.on_exchange(entry);               // every journal entry, O(1)
//   Json section = meter.report(budget);    // clients, totals, the budget and what went over
//   std::cerr << meter.summary_line(budget) << "\n";
//
// Thread-safe without a lock that every call takes: the client map is read under a shared lock
// and each client's counters are atomics; the rate windows are sharded by queue and by user.
// Bounded: at most max_clients clients (the rest are folded into "(other clients)") and
// max_windows queues and users with live windows (beyond that a call's refusal is not judged,
// and the report counts those calls as unjudged).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/fake_server/compliance.h"
#include "rqcheck/fake_server/cost.h"
#include "rqcheck/fake_server/journal.h"
#include "rqcheck/fake_server/rate_limits.h"

namespace rqcheck::fake {

struct CostMeterOptions {
  // The limits a call is judged against: the documented ones (core/limits.h, decision 37), not
  // the ones the fake enforces (--rate-limit, --no-rate-limit).
  RateLimits limits{};
  std::size_t max_clients = 1000;
  std::size_t max_windows = 16384;  // queues and users with rate windows, each
};

// The run's figures for one client, or all of them.
struct CostRow {
  std::string client_key;  // "" with has_client_key false: calls without a clientKey
  bool has_client_key = false;
  std::int64_t calls = 0;  // request-queue calls
  CostCharge cost;
  std::int64_t refused = 0;  // calls the documented rate limits would have refused
};

class CostMeter {
 public:
  explicit CostMeter(CostMeterOptions options = {});
  ~CostMeter();

  void on_exchange(const JournalEntry& e);
  // Each client's row (by clientKey; calls without one last), and the total.
  std::vector<CostRow> rows() const;
  CostRow total() const;
  // The budget's metrics the run went over: {"writes", budget, actual}, ...
  struct Overrun {
    std::string metric;
    std::int64_t budget = 0, actual = 0;
  };
  std::vector<Overrun> overruns(const CostBudget& budget) const;
  // {"clients":[{clientKey, calls, reads, writes, deletes, headItems, refused}], "total":{...},
  //  "rules":{operationId:{reads, writes, deletes, headItems, items, source}} (operations seen),
  //  "limits":{...}, "unjudged":n, "budget":{...}|null, "overBudget":[{metric, budget, actual}]}.
  Json report(const CostBudget& budget) const;
  // The findings "cost.over_budget", one per metric over its bound.
  std::vector<Finding> findings(const CostBudget& budget) const;
  // The table for people (the report's .txt).
  std::string table(const CostBudget& budget) const;
  // One line: totals, then the budget's verdict when one is set.
  std::string summary_line(const CostBudget& budget) const;
  void clear();

 private:
  struct Client;
  struct Windows;
  struct Shard;
  static constexpr std::size_t kShards = 32;

  bool would_refuse(const JournalEntry& e);

  const CostMeterOptions options_;
  mutable std::shared_mutex mu_;  // the client map: shared per call, exclusive to add or read all
  std::map<std::string, std::unique_ptr<Client>> clients_;
  std::unique_ptr<std::array<Shard, kShards>> queue_shards_, user_shards_;
  std::atomic<std::int64_t> unjudged_{0};
  std::array<std::atomic<bool>, kOperationCount> seen_{};
};

}  // namespace rqcheck::fake
