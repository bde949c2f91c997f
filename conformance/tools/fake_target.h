// One check against a fresh embedded rq-fake (optionally with named bugs on): what the
// self-test runs for every check, and what rq-conformance runs to show each check's sample
// failure in docs/checks.md. Executables and tests only: the conformance library never links the
// fake.
//
//   RunState run;
//   CheckResult r = run_against_fake(check, {check.breaking_bug}, run);
#pragma once

#include <string>
#include <vector>

#include "rqcheck/conformance/runner.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::conformance {

inline constexpr const char* kFakeToken = "rqcheck-conformance";
inline constexpr const char* kFakeSecondToken = "rqcheck-conformance-second";

// Runs `check` against a fresh fake with `bugs`; rate limits are on only for the checks that
// need them (decision 37). Strict: a should-level failure is a violation. `base_url`, when given,
// receives the fake's URL.
inline CheckResult run_against_fake(const Check& check, const std::vector<std::string>& bugs,
                                    RunState& run, std::string* base_url = nullptr) {
  const bool rate_limits = (check.needs & kNeedRateLimits) != 0;
  fake::FakeServerOptions fo;
  fo.threads = 8;
  fo.store.rate_limits.enabled = rate_limits;
  fo.bugs = bugs;
  fake::FakeServer server(fo);
  CheckResult r;
  r.check = &check;
  if (auto st = server.start(); !st) {
    r.outcome = Outcome::error("the fake did not start: " + st.error().message);
    return r;
  }
  if (base_url) *base_url = server.base_url();
  {
    client::ClientConfig config;
    config.base_url = server.base_url();
    config.token = kFakeToken;
    config.retry = client::RetryPolicy::none();
    client::HttpClient http(config);
    client::ClientConfig c2 = config;
    c2.token = kFakeSecondToken;
    client::HttpClient second(c2);
    TargetInfo target;
    target.base_url = server.base_url();
    target.is_embedded_fake = true;
    target.consistency_wait_ms = 0;  // the embedded fake has no lag: one read is the answer
    target.rate_limits = rate_limits;
    target.has_second_token = true;
    target.fake_bugs = bugs;
    target.fake_rate_limits = rate_limits;
    r = run_one(check, http, http, &second, target, run, /*strict=*/true);
  }  // the clients close their connections before the server stops
  server.stop();
  return r;
}

}  // namespace rqcheck::conformance
