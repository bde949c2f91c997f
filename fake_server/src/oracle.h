// The consumer oracle (docs/oracle.md): follows every request of every queue across clients
// from the journal entries (the API's view: calls and their answers, never the store) and reports
// what hurts the people who consume request queues: requests processed twice because a lock
// expired while its owner still worked (crawlee issue 2849), locks that expired under a working
// owner, locks left when their owner went quiet, consumers that stopped while work remained
// (apify-sdk-js 668), and what is still pending or locked at the end. The ComplianceMonitor feeds
// it and puts its report in the client-compliance report as "consumerOracle".
//
//   ConsumerOracle oracle;
//   oracle.on_exchange(entry);                     // every journal entry, as it is appended
//   Json j = oracle.report(clock.now_ms(), false);  // live: clients quiet for quiet_ms stopped
//   std::string text = oracle.summary(now, true);   // final: the run is over
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/journal.h"

namespace rqcheck::fake {

struct OracleOptions {
  // A client that made no call on a queue for this long has gone quiet (its locks are left) or
  // stopped (early finish). A final report (the run is over) treats every client as stopped.
  TimeMs quiet_ms = 30000;
  std::size_t max_requests = 100000;        // requests followed at once, over all queues; the rest
                                            // are counted (requestsNotFollowed)
  std::size_t max_queues = 1000;            // further queues' calls are counted, not followed
  std::size_t max_clients_per_queue = 256;  // further clients' calls are counted, not followed
  std::size_t max_findings = 200;           // findings listed; the rest are counted
  std::size_t max_listed = 20;              // request ids listed per finding and queue
};

// Thread-safe: calls on different queues are followed in parallel, each queue under its own
// mutex; O(1) per request named plus O(log n) per lock taken, released or expired.
class ConsumerOracle {
 public:
  explicit ConsumerOracle(OracleOptions options = {});
  ~ConsumerOracle();

  void on_exchange(const JournalEntry& e);
  // {"summary", "findings", "findingsNotListed", "endState", "rules", "thresholds"}; `now` is
  // the report time, `final` says the run is over (every client stopped).
  Json report(TimeMs now, bool final) const;
  // A few lines for people: the counts, one line per finding, the end state per queue.
  std::string summary(TimeMs now, bool final) const;
  // The latest time a call ended (the report time when there is no clock).
  TimeMs last_seen() const { return last_seen_.load(std::memory_order_relaxed); }
  void clear();

  struct Queue;
  struct Finding;

 private:
  Json report_locked(TimeMs now, bool final) const;
  void add_finding(Finding f, std::int32_t* index);
  void drop_finding(std::int32_t index, const std::string& rule);

  const OracleOptions options_;
  mutable std::shared_mutex mu_;  // the queue map: shared per call, exclusive to add or report
  std::map<std::string, std::unique_ptr<Queue>> queues_;
  mutable std::mutex findings_mu_;  // the findings raised by calls (not the report-time ones)
  std::vector<Finding> findings_;
  std::map<std::string, std::size_t> finding_counts_;  // by rule, exact (listed or not)
  std::atomic<std::size_t> followed_{0}, not_followed_{0}, calls_not_followed_{0};
  std::atomic<TimeMs> run_start_{0}, last_seen_{0};
};

// The text of ConsumerOracle::summary from a report it made.
std::string oracle_text(const Json& report);

}  // namespace rqcheck::fake
