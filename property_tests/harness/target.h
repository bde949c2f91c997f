// Where the properties run: an embedded rq-fake (virtual clock, rate limits off, optional named
// bugs) or a remote endpoint (--base-url/--token). Records every HTTP call of the current test
// case as a transcript, so a failure can be replayed with bash and curl against a fresh rq-fake.
//
//   TargetConfig cfg;                       // embedded fake by default
//   cfg.bugs = {"CursorSkipsItem"};
//   Target target(cfg);
//   auto queue = target.fresh_queue();      // one new queue per test case
#pragma once

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

struct TargetConfig {
  std::optional<std::string> base_url;  // nullopt: embedded fake
  std::string token = "rqcheck-properties";
  std::vector<std::string> bugs;  // embedded fake only
  bool rate_limits = false;       // embedded fake only
  Json rate_limit_overrides;      // embedded fake only: RateLimits fields to set
  client::RetryPolicy retry = client::RetryPolicy::none();
};

// One step of a replayable transcript: an HTTP call, or a move of the fake's virtual clock.
struct TranscriptStep {
  std::string method, target, body;  // target: path + query as sent
  int status = 0;
  std::string response;
  std::optional<std::int64_t> advance_ms;  // a clock move instead of a call
  std::string note;                        // the command that made it
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

  // Creates an unnamed queue for one test case and starts a new transcript.
  Result<std::string> fresh_queue();
  // Deletes a queue (best effort; keeps a remote account tidy).
  void drop_queue(const std::string& id);
  // Moves the embedded fake's virtual clock (recorded in the transcript).
  void advance_clock(std::int64_t ms);
  // The label the following calls carry in the transcript.
  void note(std::string text);

  // Adds an exchange (made by another client) to the transcript.
  void record(const client::Exchange& ex);
  // Sends one call to the embedded fake's admin API (/__admin/...), recorded in the transcript
  // so the replay script repeats it (fault rules, rate limits, the clock).
  client::Exchange admin(const std::string& method, const std::string& path, const Json& body);
  // The embedded fake's clock (virtual), in ms since the epoch; 0 for a remote target.
  std::int64_t clock_now_ms();
  std::vector<TranscriptStep> transcript() const;
  std::string queue_id() const;

 private:
  TargetConfig config_;
  std::unique_ptr<fake::FakeServer> fake_;
  std::unique_ptr<client::HttpClient> http_;
  mutable std::mutex mu_;
  std::vector<TranscriptStep> steps_;
  std::string note_;
  std::string queue_id_;
};

// The fault seed of the embedded fake; the replay script starts rq-fake with the same one, so
// the same calls meet the same faults (docs/faults.md section 1.5).
inline constexpr std::uint64_t kFaultSeed = 1;

// A bash script that starts a fresh rq-fake (or uses $BASE_URL), creates a queue and replays
// `steps` with curl (admin calls included), printing each answer next to the one the failing
// run got.
std::string replay_script(const std::string& property, std::uint64_t seed,
                          const std::vector<std::string>& bugs, const std::string& queue_id,
                          const std::vector<TranscriptStep>& steps);

}  // namespace rqcheck::prop
