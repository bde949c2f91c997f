// Client-compliance monitoring for rq-fake: checks each incoming request against the documented
// rules (validate_request) and watches what each client does after a fault: whether it retried
// the same call, how long it waited, whether waits grew exponentially, whether it honoured
// Retry-After, whether it resent only the unprocessed items of a batch, whether it gave up
// within bounds, whether a retried write after a commit created a duplicate. Served at
// GET /__admin/report and written on exit (rq-fake --report FILE).
//
//   ComplianceMonitor monitor;
//   entry.findings = validate_request(facts);   // before the work
//   ...                                          // serve, fill the JournalEntry
//   monitor.on_exchange(entry);                  // the same entry the journal gets
//   Json report = monitor.report();              // per client: calls, faults, retries, findings
//   std::cout << monitor.summary();
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/cost.h"
#include "rqcheck/fake_server/journal.h"

namespace rqcheck::fake {

// What the server knows about a request before doing it, for validate_request.
struct RequestFacts {
  std::optional<Operation> op;
  std::vector<Header> query;          // decoded query parameters
  std::string content_type;           // the Content-Type header; "" when absent
  bool has_body = false;              // a non-empty body was sent
  const Json* body = nullptr;         // the parsed body; nullptr when absent or not JSON
  std::string path_request_id;        // the {requestId} path segment (ops 10-12, 15, 16)
  bool authorization_header = false;  // "Authorization: Bearer ..." was sent
};

// Findings "request.<rule>: <message>" for the documented request rules: JSON content type,
// batch size 1..25, duplicate uniqueKeys in a batch, uniqueKey present, ids that match uniqueKeys,
// clientKey 1..32 characters, tokens (missing on a write, or sent in the query), lockSecs,
// boolean query values, limits above the maximum. Empty when the request follows them all.
std::vector<std::string> validate_request(const RequestFacts& facts);

struct ComplianceOptions {
  TimeMs immediate_ms = 100;         // a retry sooner than this after a fault: retried immediately
  TimeMs min_wait_ms = 500;          // first backoff wait (spec 1.2 DELAY = 500 ms, 7.1, 7.2)
  double jitter_tolerance = 0.1;     // a wait may fall this fraction below the expected minimum
  TimeMs backoff_cap_ms = 64000;     // the expected minimum stops doubling here
  int max_attempts = 9;              // calls of one retried call (apify-client-js: 1 + 8 retries)
  TimeMs retry_after_slack_ms = 50;  // rounding allowance when checking Retry-After
  std::size_t max_examples = 10;     // findings kept per client and rule; the rest are counted
  std::size_t max_clients = 1000;    // further clients are folded into one "(other clients)"
  std::size_t max_tracked = 20000;   // open retry chains and batch keys tracked per client
  // The same call (method, path, query, body) sent again this soon after a 4xx that only the
  // request itself can cause (400, 401, 405, 413, 414, 415, 422): retried unchanged.
  TimeMs rejected_resend_window_ms = 10000;
  // The consumer oracle (docs/oracle.md): a client silent this long on a queue has gone quiet
  // (its locks are left) or stopped (early finish); requests followed at most.
  TimeMs oracle_quiet_ms = 30000;
  std::size_t oracle_max_requests = 100000;
};

struct Finding {
  std::string rule;      // "client.retry_immediately", "request.batch_size", ...
  std::string severity;  // "error", "warning" or "info"
  std::string message;
  std::vector<std::uint64_t> seqs;  // the journal entries involved
};

struct ComplianceRuleInfo {
  std::string_view id, severity, description;  // description cites the spec section it enforces
};
// Every rule the monitor can report.
const std::vector<ComplianceRuleInfo>& compliance_rules();

class ConsumerOracle;
class CostMeter;

// Thread-safe. Feed entries in roughly arrival order (append them before the answer is sent).
// It also meters what the calls cost (docs/cost.md: the report's "cost" section) and checks the
// run against a cost budget: over it, the report's status is "fail".
class ComplianceMonitor {
 public:
  // `clock` (optional) gives the report time for the consumer oracle; without it the report
  // time is the end of the latest call.
  explicit ComplianceMonitor(ComplianceOptions options = {}, const Clock* clock = nullptr);
  ~ComplianceMonitor();

  void on_exchange(const JournalEntry& entry);
  // Every finding kept, including those decided at the end of the observation (items never
  // resent, calls never retried), client by client.
  std::vector<Finding> findings() const;
  // {"summary":{clients, calls, faultsMet, retries, findings, errors, warnings, infos},
  //  "clients":[{user, clientKey, userAgent, calls, faultsMet, retries, findingCounts,
  //  findings:[{rule, severity, message, seqs}]}], "rules":{id:{severity, description}},
  //  "thresholds":{...}, "consumerOracle":{...} (docs/oracle.md), "cost":{...}
  //  (CostMeter::report), "status":"pass"|"fail"}. The status is "fail" exactly when the run
  //  went over the cost budget. `final`: the run is over, so the oracle judges every client as
  //  stopped (rq-fake --report at exit).
  Json report(bool final = false) const;
  // A few lines for people: totals, then each client's findings with their seqs, then the
  // consumer oracle's findings and end state, then the cost table and the budget's verdict.
  std::string summary(bool final = false) const;
  // Clears what was observed (an admin reset); the cost budget stays.
  void clear();

  // The budget the run is checked against (rq-fake --budget); none by default.
  void set_cost_budget(const CostBudget& budget);
  CostBudget cost_budget() const;
  // Whether the run so far went over the budget (the report's status "fail").
  bool over_budget() const;
  // One line: what the run cost, and the budget's verdict (rq-fake prints it at exit).
  std::string cost_summary() const;

 private:
  struct State;
  const ComplianceOptions options_;
  const Clock* clock_;
  std::unique_ptr<ConsumerOracle> oracle_;
  mutable std::shared_mutex mu_;  // the client map: shared per call, exclusive to add or read all
  std::unique_ptr<State> state_;
  std::unique_ptr<CostMeter> cost_;  // thread-safe on its own
  mutable std::mutex budget_mu_;
  CostBudget budget_;
};

}  // namespace rqcheck::fake
