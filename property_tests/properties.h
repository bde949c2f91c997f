// Running the registered properties (registry.h), from the CLI and from GoogleTest: each runs a
// RapidCheck property against a target and returns its outcome (seed, cases, time, the shrunk
// counterexample and, on failure, a replay script and a re-run line).
//
//   RunOptions o;                          // embedded fake, RC_PARAMS or the defaults below
//   PropertyOutcome r = run_property("dedup", o);
//   if (!r.passed) std::cerr << r.message << r.replay_script;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/target.h"
#include "registry.h"

namespace rqcheck::prop {

struct RunOptions {
  std::optional<std::string> base_url;    // nullopt: an embedded rq-fake
  std::string token = kEmbeddedToken;     // a remote target's; never printed
  std::vector<std::string> bugs;          // named wrong behaviours of the embedded fake
  std::vector<std::string> behaviours;    // the embedded fake's --behave switches
  bool client_drops_unprocessed = false;  // the client-side bug DropUnprocessed (retry)
  std::optional<std::uint64_t> seed;      // else RC_PARAMS' seed, else random
  std::optional<int> max_success;         // else RC_PARAMS' max_success, else the default
  std::optional<int> max_size;
  // HTTP retries of every call (429, 5xx, transport errors; backoff 500 ms doubling, jitter).
  // nullopt: 8 (apify-client-js) against a remote target, 0 against the embedded fake.
  std::optional<int> retries;
  // Requests this property may send; checked before each case (a case that starts under the
  // budget runs to its end). nullopt: no budget.
  std::optional<std::uint64_t> max_requests;
  // Embedded fake only: rq-fake's --lag (docs/consistency.md) and its seed.
  std::optional<std::string> lag;
  std::optional<std::uint64_t> lag_seed;
  // The lag-tolerant mode (rq-properties --consistency-lag MS): the bound in ms by which head,
  // head/lock and the counters may trail a write; after it every read is exact again, and each
  // case ends by checking that (no loss). 0: the exact model. nullopt: the longest lag of `lag`
  // (0 without).
  std::optional<std::int64_t> consistency_lag_ms;
};

// The bound a run allows: the explicit one, else the --lag spec's longest lag, else 0.
std::int64_t consistency_bound(const RunOptions& options);

struct PropertyOutcome {
  std::string name;
  bool passed = false;
  bool gave_up = false;
  bool skipped = false;  // not applicable to this target (reason in message)
  bool unknown = false;  // no property of that id
  std::uint64_t seed = 0;
  int max_success = 0, max_size = 0;
  int cases = 0;                // cases that ran
  bool budget_reached = false;  // cases after the request budget was used up did not run
  double seconds = 0;
  TargetStats stats;
  std::string message;        // RapidCheck's report (the shrunk command sequence on failure)
  std::string replay_script;  // on failure: bash + curl
  std::string rerun;          // on failure: the rq-properties command line (token as $APIFY_TOKEN)
};

// Default test sizes: command sequences of 1..101 commands (a quarter of the cases over 40),
// and every property together well under 60 s on a 2-core machine (about 10 s).
inline constexpr int kDefaultMaxSuccess = 150;
inline constexpr int kDefaultMaxSize = 100;
inline constexpr int kRemoteRetries = 8;

PropertyOutcome run_property(const Property& property, const RunOptions& options);
PropertyOutcome run_property(const std::string& id, const RunOptions& options);

}  // namespace rqcheck::prop
