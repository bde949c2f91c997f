// rq-soak: many concurrent clients (threads, each with its own HttpClient and clientKey) run a
// seeded mix of all 17 request-queue operations for a bounded time; then the soak reads
// everything back and checks what its own bookkeeping (never the target's store) says must hold:
//
//   soak.writes.present_once     every acknowledged write is present exactly once
//   soak.writes.never_sent       no request that was never sent, no content that was never sent
//   soak.handled.last_update     handled state = the last acknowledged update
//   soak.counters.match_list     the queue's counters = what the list shows
//   soak.locks.exclusive         no request locked by two clients at overlapping times
//   soak.pagination.walk         a walk during writes never returns an item twice, and never
//                                misses one that existed throughout the walk
// and, checked as the calls come back (each client is the only writer of its own keys, so it
// knows their state exactly): soak.read_your_writes, soak.locks.owner_only, soak.queues,
// soak.calls (every call answered as documented).
//
//   SoakOptions o;                 // embedded fake, 8 clients, 10 s, random seed
//   o.seed = 42;
//   o.bugs = {"LockNotExclusive"};
//   SoakReport r = run_soak(o);
//   std::cout << format_report(r);  // seed, ops/s, checks and violations per property
//   return r.ok() ? 0 : 1;
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace rqcheck::soak {

struct SoakOptions {
  std::optional<std::string> base_url;  // nullopt: an embedded rq-fake
  std::string token = "rqcheck-soak";
  std::vector<std::string> bugs;  // embedded fake only: named bugs to switch on
  bool rate_limits = false;       // embedded fake only
  std::uint64_t seed = 0;         // 0: drawn from std::random_device (and printed)
  double seconds = 10;            // how long the clients run
  int clients = 8;
  int keys_per_client = 40;  // each client writes only its own keys of the write queue
  // Lock expiries come from the target's clock and grants are timed by ours: a lock counts as
  // surely held only until its expiry minus this margin (clock skew, millisecond rounding).
  std::int64_t clock_margin_ms = 50;
  std::ostream* progress = nullptr;  // one line per second while running, when set
};

struct Violation {
  std::string property;
  std::string detail;
};

struct OperationCount {
  std::int64_t calls = 0;
  std::int64_t failed = 0;  // a status or transport error the soak did not expect
};

struct SoakReport {
  std::uint64_t seed = 0;
  std::string target;
  int clients = 0;
  double seconds = 0;  // wall time of the concurrent phase
  std::int64_t calls = 0;
  std::map<std::string, OperationCount> operations;  // by operationId
  std::map<std::string, std::int64_t> checks;        // by property: individual assertions
  std::map<std::string, std::int64_t> violation_counts;
  std::vector<Violation> violations;  // the first few of each property, with evidence
  std::int64_t uncertain_keys = 0;    // writes without an answer: their state is not asserted
  std::string harness_error;          // set when the soak could not run (setup failed)

  bool ok() const { return harness_error.empty() && violation_counts.empty(); }
  double calls_per_second() const { return seconds > 0 ? static_cast<double>(calls) / seconds : 0; }
};

// The properties, in report order, with one line each.
const std::vector<std::pair<std::string, std::string>>& property_catalogue();

SoakReport run_soak(const SoakOptions& options);

// A text report: the seed, ops/s, calls per operation, checks and violations per property.
std::string format_report(const SoakReport& report);

}  // namespace rqcheck::soak
