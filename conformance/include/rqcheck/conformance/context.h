// What a check works with: the API under test (any RequestQueueApi), raw HTTP for malformed
// requests, fresh queues named with the run prefix (deleted by the runner), the evidence of the
// check's exchanges, and the run's request budget. Schema validation of every response happens
// in one place (Context::observe, hooked to the HttpClient), never inside a check; what it finds
// goes to the run's SchemaFindings, not into the check's verdict.
//
//   std::string q = ctx.queue();                         // a fresh queue for this check
//   auto added = ctx.ok(ctx.api().add_request(q, ctx.request("a")), "add a request");
//   ctx.expect(added.was_already_present == false, "wasAlreadyPresent false", "true");
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/client/api.h"
#include "rqcheck/client/exchange.h"
#include "rqcheck/client/http_client.h"
#include "rqcheck/conformance/check.h"
#include "rqcheck/conformance/schema_findings.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/result.h"

namespace rqcheck::conformance {

// Thrown by Context helpers to end a check with a failure (the runner turns it into kFail).
struct CheckFailure {
  std::string expected, received;
};
// Thrown to end a check with a skip.
struct CheckSkip {
  std::string reason;
};

// What the run knows about the target.
struct TargetInfo {
  std::string base_url;
  bool is_embedded_fake = false;
  bool rate_limits = true;  // expected to enforce rate limits (decision 37)
  bool has_second_token = false;
  bool large_bodies = true;  // allow ~9.4 MB requests
  // How long a read after a write may wait for the write to show (the platform is eventually
  // consistent: head, head/lock and the queue's counters may lag; Apify's own integration tests
  // wait up to 10 s). Checks poll with backoff up to this (helpers::eventually); 0 reads once.
  // rq-conformance --consistency-wait-ms; its embedded fake, which never lags, uses 0.
  std::int64_t consistency_wait_ms = 10000;
  // An embedded fake: the named bugs it runs with and whether its rate limits are on (the
  // reproducer scripts start the same fake).
  std::vector<std::string> fake_bugs;
  bool fake_rate_limits = true;
};

// A parsed answer of a raw call.
struct Response {
  int status = 0;
  Json json;             // null when the body is empty or not JSON
  bool json_ok = false;  // the body parsed as JSON
  client::Exchange exchange;
  std::optional<std::string> header(std::string_view name) const;
  // {"error":{"type":string,"message":string}}
  bool has_error_envelope() const;
  std::string error_type() const;
  std::string summary() const;  // "404 record-not-found: ..." or "201 {...}" (cut)
};

// Run-level state shared by every check of a run.
struct RunState {
  std::string prefix;  // e.g. "rqc-1a2b3c4d"
  std::optional<std::uint64_t> max_requests;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> queue_counter{0};
  std::mutex created_mu;
  std::vector<std::string> created_queues;  // ids not yet deleted
  SchemaFindings schema;                    // every response of the run, validated
};

class Context {
 public:
  // `api` is the implementation under test; `http` sends raw requests and is the default `api`
  // (it may be the same object). `second` uses another user's token (may be null).
  Context(const Check& check, client::RequestQueueApi& api, client::HttpClient& http,
          client::HttpClient* second, const TargetInfo& target, RunState& run);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const Check& check() const { return check_; }
  client::RequestQueueApi& api() { return api_; }
  client::HttpClient& http() { return http_; }
  client::HttpClient& second();  // skips the check when there is no second token
  const TargetInfo& target() const { return target_; }

  // The check's fresh queue (created on first use, named "<prefix>-<n>").
  const std::string& queue();
  // Another fresh queue; deleted by the runner like the first.
  std::string new_queue();
  // Records a queue created by other means (e.g. a raw POST) for cleanup.
  void track_queue(const std::string& id);

  // A RequestWithoutId for `key`: {"uniqueKey": "https://example.com/<key>", "url": same}.
  Json request(std::string_view key) const;
  std::string unique_key(std::string_view key) const;
  std::string new_client_key();  // a fresh 1..32-char clientKey

  // Raw call; the path is relative to /v2/request-queues (e.g. "/" + q + "/requests").
  Response call(Operation op, std::string method, std::string path,
                std::vector<std::pair<std::string, std::string>> query = {},
                std::optional<std::string> body = std::nullopt, client::HeaderList headers = {});
  Response send(client::RawRequest request, client::HttpClient* via = nullptr);

  // Helpers that end the check: `ok` returns the value or fails with the error.
  template <typename T>
  T ok(Result<T> r, std::string_view what) {
    if (!r) fail_with(std::string(what) + " succeeds", describe(r.error()));
    return std::move(*r);
  }
  void ok(const ::rqcheck::Status& s, std::string_view what);
  void expect(bool condition, std::string expected, std::string received);
  [[noreturn]] void fail_with(std::string expected, std::string received);
  [[noreturn]] void skip(std::string reason);

  // Adds a note to a passing outcome ("observed: ...").
  void observe_note(std::string note) { note_ += (note_.empty() ? "" : "; ") + note; }
  const std::string& note() const { return note_; }
  // A read that had to wait for a write to show (helpers::eventually): goes to the outcome's
  // evidence, passed or failed ("head showed the request after 3 polls, 412 ms").
  void observe_wait(std::string note) {
    observe_note(note);
    waits_ += (waits_.empty() ? "" : "; ") + note;
  }
  const std::string& waits() const { return waits_; }

  // Called for every exchange of the check (HttpClient observer): counts the budget, keeps the
  // evidence (the first kEvidenceHead and the last kEvidenceTail exchanges) and records the
  // response's schema findings. `second_user`: sent with the second token.
  void observe(const client::Exchange& exchange, bool second_user = false);
  // The kept exchanges in order, which of them used the second token, and how many were left
  // out in the middle.
  void take_evidence(Outcome& out) const;
  // The ids of the run's schema findings that this check's responses showed.
  std::vector<std::string> schema_findings() const;
  bool budget_exhausted() const;

  // Enough for every call of the checks (a rate-limit check makes ~150), so a reproducer can
  // replay them all; the reports show fewer.
  static constexpr std::size_t kEvidenceHead = 1000;
  static constexpr std::size_t kEvidenceTail = 100;

  static std::string describe(const ApiError& e);

 private:
  const Check& check_;
  client::RequestQueueApi& api_;
  client::HttpClient& http_;
  client::HttpClient* second_;
  const TargetInfo& target_;
  RunState& run_;
  std::optional<std::string> queue_;
  std::string note_;
  std::string waits_;
  int client_keys_ = 0;
  mutable std::mutex mu_;
  struct Kept {
    client::Exchange exchange;
    bool second_user = false;
  };
  std::vector<Kept> head_;
  std::vector<Kept> tail_;  // a ring of the last kEvidenceTail once head_ is full
  std::size_t tail_next_ = 0;
  std::size_t seen_ = 0;
  std::vector<std::string> schema_findings_;
};

}  // namespace rqcheck::conformance
