// Fault injection for rq-fake: rules that match calls (operation, method, path, queue,
// clientKey, token owner), fire on a schedule (probability, Nth calls, every Nth, first N, after
// N, a time window, bursts) and answer with an action (HTTP error, partial batch, latency, a
// dribbled, truncated or malformed body, a reset or closed connection, a failure after commit).
// Every random draw is a pure function of (seed, rule id, the rule's matching-call index), so the
// same call sequence with the same seed meets the same faults. docs/faults.md has the format.
//
//   FaultEngine faults(seed, clock);
//   faults.add_rule(Json::parse(R"({"id":"rl","match":{"operation":"batch_add"},
//                                   "action":{"type":"error","status":429},
//                                   "schedule":{"probability":0.3}})"));
//   if (!faults.empty()) {
//     FaultDecision d = faults.decide(ctx);      // ctx: what the server knows about the call
//     if (d.kind == FaultKind::kHttpError) return error_reply(*d.error);
//   }
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"

namespace rqcheck::fake {

// What a fault does. Names in JSON: error, partial, latency, dribble, reset, close, truncate,
// malformed, failAfterCommit.
enum class FaultKind {
  kHttpError,            // an error answer before any work; nothing changes
  kPartialBatch,         // batch add/delete: chosen items go to unprocessedRequests, not stored
  kLatency,              // a delay before the work; combines with every other action
  kDribble,              // the response body is sent in small chunks with pauses
  kReset,                // TCP reset (RST) before any response; nothing changes
  kCloseBeforeResponse,  // orderly close (FIN) before any response; nothing changes
  kTruncate,             // the body stops early (the connection closes mid-body)
  kMalformedJson,        // a 2xx whose body is not JSON
  kFailAfterCommit,      // the work is done, then a 5xx or a dropped connection
};

std::string_view fault_kind_name(FaultKind kind);
std::optional<FaultKind> fault_kind_from_name(std::string_view name);

// Every present field must match. Strings compare exactly; `path` is an ECMAScript regex searched
// in the path (use ^...$ to anchor); `queue` matches the queue id or the queue reference as sent;
// `user` matches the token owner's user id or username.
struct FaultMatch {
  std::optional<Operation> op;
  std::optional<std::string> method;
  std::optional<std::string> path;
  std::shared_ptr<const std::regex> path_re;  // compiled once from `path`
  std::optional<std::string> queue;
  std::optional<std::string> client_key;
  std::optional<std::string> user;
};

enum class LatencyDist { kFixed, kUniform, kLogNormal, kPareto };
enum class PartialPick { kRandom, kFirst, kLast, kAll };

struct FaultAction {
  FaultKind kind = FaultKind::kHttpError;
  // kHttpError, and kFailAfterCommit unless `drop`.
  int status = 429;
  std::string error_type;  // defaults from the status (429 rate-limit-exceeded, 500 ...)
  std::string message;     // defaults from core's catalogue
  std::optional<int> retry_after_secs;
  // kPartialBatch: `count` items, else round(fraction * n) (at least 1), picked as `pick` says.
  std::optional<int> count;
  double fraction = 0.5;
  PartialPick pick = PartialPick::kRandom;
  // kLatency. Long tails are parameterised by their median and 99th percentile; capped.
  LatencyDist dist = LatencyDist::kFixed;
  std::int64_t ms = 0, min_ms = 0, max_ms = 0, p50_ms = 0, p99_ms = 0, cap_ms = 60000;
  // kDribble.
  std::size_t chunk_bytes = 16;
  std::int64_t chunk_delay_ms = 100;
  // kTruncate: keep `keep_bytes`, else keep_fraction of the body.
  std::optional<std::size_t> keep_bytes;
  double keep_fraction = 0.5;
  // kFailAfterCommit: drop the connection instead of answering `status`.
  bool drop = false;
};

// All present conditions must hold (a conjunction); none means every matching call.
// Counting is per rule: call k is the rule's k-th matching call (1-based), counted whether or
// not the rule ended up acting on it. `window` first narrows which calls count at all.
struct FaultSchedule {
  std::optional<double> probability;   // each call with probability p
  std::vector<std::uint64_t> nth;      // exactly these calls
  std::optional<std::uint64_t> every;  // calls every, 2*every, ...
  std::optional<std::uint64_t> first;  // calls 1..first
  std::optional<std::uint64_t> after;  // calls after+1, ...
  // [from_ms, to_ms) of the engine's clock, relative to the engine's start unless `absolute`.
  std::optional<TimeMs> from_ms, to_ms;
  bool absolute = false;
  // Burst: runs of `burst_length` consecutive firing calls, starting at call `burst_start`, or at
  // any call outside a run with probability `burst_probability`.
  std::optional<std::uint64_t> burst_length;
  std::optional<std::uint64_t> burst_start;
  std::optional<double> burst_probability;
  std::optional<std::uint64_t> max_fires;  // stop after acting this many times
};

struct FaultRule {
  std::string id;
  FaultMatch match;
  FaultAction action;
  FaultSchedule schedule;
  Json source;  // the rule as added, normalised (id filled in)
};

// Parses one rule. Errors are 400 invalid-input naming the field.
Result<FaultRule> parse_fault_rule(const Json& rule);

// What the server knows about a call when it asks for a decision (after routing, after resolving
// the token, after counting the items of a batch body, before any work).
struct CallContext {
  std::optional<Operation> op;             // nullopt: not an API operation (unknown path, admin)
  std::string method;                      // "POST"
  std::string path;                        // "/v2/request-queues/abc/requests/batch"
  std::string queue_id;                    // the resolved id, when known
  std::string queue_ref;                   // the {queueId} segment as sent (id or user~name)
  std::optional<std::string> client_key;   // ?clientKey=
  std::string user_id, username;           // the token's owner; empty when anonymous
  std::optional<std::size_t> batch_items;  // batch add/delete with an array body: its length
  std::uint64_t seq = 0;                   // the journal's sequence number, for the fault log
};

// The outcome for one call. At most one primary action (`kind`); latency adds up across rules.
struct FaultDecision {
  std::uint64_t call = 0;                  // the engine's global call index (1-based)
  std::optional<FaultKind> kind;           // the primary action; nullopt: none
  std::string rule_id;                     // the rule behind `kind`
  std::optional<ApiError> error;           // kHttpError; kFailAfterCommit unless drop_after_commit
  std::optional<int> retry_after_secs;     // send `Retry-After` with `error`
  std::int64_t latency_ms = 0;             // sleep this long before the work
  std::vector<std::string> latency_rules;  // the rules that added to latency_ms
  std::vector<bool> unprocessed;           // kPartialBatch: per batch item, true = unprocessed
  std::size_t chunk_bytes = 0;             // kDribble
  std::int64_t chunk_delay_ms = 0;         // kDribble
  std::optional<std::size_t> keep_bytes;   // kTruncate (else keep_fraction)
  double keep_fraction = 0;                // kTruncate
  bool drop_after_commit = false;          // kFailAfterCommit: close without an answer

  // True when anything is to be done (a primary action or latency).
  bool any() const { return kind.has_value() || latency_ms > 0; }
  bool is(FaultKind k) const { return kind && *kind == k; }
  // kTruncate: how many bytes of a body of `size` bytes to send (always < size when size > 0).
  std::size_t truncate_at(std::size_t size) const;
  // "error", "latency", "partial+latency", ... for the journal; "" when nothing applies.
  std::string action_label() const;
};

// Rewrites a successful body so that it is not JSON (kMalformedJson). Deterministic.
std::string malform_json_body(std::string_view body);

// A fault rule store and decision maker. Thread-safe; decide() takes one mutex.
class FaultEngine {
 public:
  // `seed` drives every draw; `clock` times windows and the log (the engine starts at now).
  FaultEngine(std::uint64_t seed, const Clock& clock, std::size_t log_capacity = 10000);

  // Adds one rule (object). Fills in an id ("rule-N") when none is given; a duplicate id is 400.
  Result<std::string> add_rule(const Json& rule);
  // Adds rules from an object, an array of objects, or {"rules":[...]}; all or nothing.
  Result<std::vector<std::string>> add_rules(const Json& doc);
  bool remove_rule(std::string_view id);
  void clear();
  // Cheap (one atomic load): the server skips decide() when no rule is configured.
  bool empty() const { return rule_count_.load(std::memory_order_acquire) == 0; }
  std::uint64_t seed() const { return seed_; }
  // {"seed":N,"rules":[{...rule, "calls":k, "fires":f}]}.
  Json rules_json() const;

  // Precedence: rules are tried in insertion order; every rule whose match and window accept the
  // call counts it. The first one whose schedule fires with a non-latency action decides the
  // primary action; later ones are shadowed (not logged, max_fires not used up). Every firing
  // latency rule adds its delay.
  FaultDecision decide(const CallContext& call);

  // The newest `max` log entries, oldest first: {call, seq, rule, ruleCall, operation, method,
  // path, action, at}; plus {"dropped": n} entries evicted from the bounded log.
  Json fault_log(std::size_t max = 1000) const;

 private:
  struct RuleState {
    FaultRule rule;
    std::uint64_t rule_hash = 0;
    std::uint64_t calls = 0;       // matching calls seen
    std::uint64_t fires = 0;       // times it acted
    std::uint64_t burst_left = 0;  // calls left in the current burst
  };
  struct LogEntry {
    std::uint64_t call, seq, rule_call;
    std::string rule, action, method, path;
    std::optional<Operation> op;
    TimeMs at;
  };
  bool fires(RuleState& st, std::uint64_t k, TimeMs now);
  void apply(const RuleState& st, std::uint64_t k, const CallContext& call, FaultDecision& d);

  const std::uint64_t seed_;
  const Clock& clock_;
  const TimeMs start_ms_;
  const std::size_t log_capacity_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<RuleState>> rules_;
  std::atomic<std::size_t> rule_count_{0};
  std::uint64_t next_auto_id_ = 1;
  std::uint64_t calls_ = 0;
  std::deque<LogEntry> log_;
  std::uint64_t log_dropped_ = 0;
};

// The one-line shorthand (rq-fake --fault): rules separated by ';', each
// ACTION[@SCHEDULE[&SCHEDULE...]][:TARGET], e.g. "429@30%:batch_add",
// "partial=50%@every=2:batch_add", "latency=20-80ms", "reset@nth=3,4", "500@first=2",
// "429+retry=2@every=5:head", "commit500@nth=1:add". Each rule's id is its text.
Result<std::vector<Json>> parse_fault_shorthand(std::string_view text);

}  // namespace rqcheck::fake
