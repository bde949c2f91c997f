// Where the properties run: an embedded rq-fake (virtual clock, rate limits off, optional named
// bugs) or any endpoint (--base-url/--token), whose calls go through the official clients' retry
// policy (429 and 5xx with backoff). Records every HTTP call of the current test case as a
// transcript, so a failure can be replayed with bash and curl (the same script builder as
// rq-conformance's reproducers), and counts the calls against a request budget.
//
//   TargetConfig cfg;                       // embedded fake by default
//   cfg.bugs = {"CursorSkipsItem"};
//   Target target(cfg);
//   auto queue = target.fresh_queue();      // one new queue per test case
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rqcheck/client/api.h"
#include "rqcheck/client/http_client.h"
#include "rqcheck/core/json.h"

namespace rqcheck::fake {
class FakeServer;
}

namespace rqcheck::prop {

// The token of the embedded fake (which takes any); a remote target's token comes from the user.
inline constexpr const char* kEmbeddedToken = "rqcheck-properties";

struct TargetConfig {
  std::optional<std::string> base_url;  // nullopt: embedded fake
  std::string token = kEmbeddedToken;
  std::vector<std::string> bugs;  // embedded fake only
  // Embedded fake only: the alternative answers of section 9 a deployment may give
  // (rq-fake --behave: delete-absent-404, reject-over-max-limit, prolong-from-expiry,
  // prolong-by-other-400). A correct property passes with each.
  std::vector<std::string> behaviours;
  bool rate_limits = false;   // embedded fake only
  Json rate_limit_overrides;  // embedded fake only: RateLimits fields to set
  // The retry policy of the calls. nullopt: the official JS client's (8 retries, 500 ms doubling,
  // jitter) against a remote target; none against the embedded fake, which has no rate limits
  // or faults to retry (and whose virtual clock a backoff must not move).
  std::optional<client::RetryPolicy> retry;
  // Embedded fake only: seeded eventual consistency in rq-fake's --lag syntax
  // (docs/consistency.md), e.g. "head=0-300ms;counters=0-200ms", and its seed (--lag-seed).
  std::optional<std::string> lag;
  std::optional<std::uint64_t> lag_seed;
};

// Checks an rq-fake --lag spec and returns its longest lag in ms (the larger of the head and
// counters maxima): the bound rq-properties allows by default with --lag. A bad spec gives the
// fake's 400 invalid-lag error, whose message names the part.
Result<std::int64_t> lag_spec_bound(const std::string& spec);

// One step of a replayable transcript: an HTTP call (its last attempt), or a move of the fake's
// virtual clock.
struct TranscriptStep {
  std::optional<client::Exchange> exchange;
  std::optional<std::int64_t> advance_ms;  // a clock move instead of a call
  std::string note;                        // the command that made it
};

// What the calls of a run met.
struct TargetStats {
  std::uint64_t requests = 0;      // HTTP attempts
  std::uint64_t retried = 0;       // attempts that repeated a call
  std::uint64_t rate_limited = 0;  // 429 answers
  std::uint64_t server_errors = 0;
};

class Target {
 public:
  explicit Target(TargetConfig config);
  ~Target();
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  bool embedded() const;
  bool virtual_clock() const { return embedded(); }
  const TargetConfig& config() const { return config_; }
  std::string base_url() const;
  client::HttpClient& http() { return *http_; }
  fake::FakeServer* fake() { return fake_.get(); }

  // Creates an unnamed queue for one test case and starts a new transcript with that call.
  Result<std::string> fresh_queue();
  // Deletes a queue (best effort; keeps a remote account tidy).
  void drop_queue(const std::string& id);
  // Moves the embedded fake's virtual clock (recorded in the transcript).
  void advance_clock(std::int64_t ms);
  // The label the following calls carry in the transcript.
  void note(std::string text);

  // Adds an exchange to the transcript. `collapse_retries`: a retry attempt replaces the attempt
  // it repeats (the replay sends each call once); off for the retry property, whose faults the
  // replayed fake repeats.
  void record(const client::Exchange& ex, bool collapse_retries = true);
  // Sends one call to the embedded fake's admin API (/__admin/...), recorded in the transcript
  // so the replay script repeats it (fault rules, rate limits, the clock).
  client::Exchange admin(const std::string& method, const std::string& path, const Json& body);
  // The embedded fake's clock (virtual), in ms since the epoch; 0 for a remote target.
  std::int64_t clock_now_ms();
  std::vector<TranscriptStep> transcript() const;
  // The number of steps so far, and the steps from index `from` on (a command's own calls).
  std::size_t transcript_size() const;
  std::vector<TranscriptStep> transcript_since(std::size_t from) const;
  TargetStats stats() const;

 private:
  TargetConfig config_;
  std::unique_ptr<fake::FakeServer> fake_;
  std::unique_ptr<client::HttpClient> http_;
  mutable std::mutex mu_;
  std::vector<TranscriptStep> steps_;
  std::string note_;
  std::atomic<std::uint64_t> requests_{0}, retried_{0}, rate_limited_{0}, server_errors_{0};
};

// The fault seed of the embedded fake; the replay script starts rq-fake with the same one, so
// the same calls meet the same faults (docs/faults.md section 1.5).
inline constexpr std::uint64_t kFaultSeed = 1;

// The names TargetConfig::behaviours accepts.
const std::vector<std::string>& known_behaviours();

struct ReplayInfo {
  std::string property;
  std::uint64_t seed = 0;
  std::vector<std::string> bugs;        // the embedded fake's
  std::vector<std::string> behaviours;  // the embedded fake's --behave switches
  std::string base_url;                 // a remote target: the script's default BASE_URL
  std::string rerun;                    // the rq-properties line that re-runs the property
  std::string client_side_bug;          // the failing run had this bug of the client on
  std::string lag;                      // the embedded fake's --lag ("" without)
  std::optional<std::uint64_t> lag_seed;
};

// A bash script that replays `steps` with curl against a fresh rq-fake with the run's bugs
// (embedded runs) or the run's target (BASE_URL, token from APIFY_TOKEN), compares every answer
// with the failing run's, and says REPRODUCED (exit 1) or NOT REPRODUCED (exit 0, the answers
// match the model's this time).
std::string replay_script(const ReplayInfo& info, const std::vector<TranscriptStep>& steps);

}  // namespace rqcheck::prop
