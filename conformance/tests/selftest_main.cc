// The self-test of the catalogue: for every check, one test that runs it against the fake
// (it must pass, or skip with a reason where the fake cannot show the behaviour) and one test
// that runs it against the fake with the check's breaking bug on (it must fail). Tests are
// registered at run time, one per check (testing::RegisterTest).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "rqcheck/conformance/report.h"
#include "rqcheck/conformance/runner.h"
#include "rqcheck/fake_server/server.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::conformance;

constexpr const char* kToken = "rqcheck-conformance";

std::string test_name(const std::string& id) {
  std::string s = id;
  for (char& c : s) {
    if (c == '.') c = '_';
  }
  return s;
}

std::string explain(const CheckResult& r) {
  std::string s = std::string(status_name(r.outcome.status));
  if (!r.outcome.expected.empty()) s += "\n  expected: " + r.outcome.expected;
  if (!r.outcome.received.empty()) s += "\n  received: " + r.outcome.received;
  if (!r.outcome.reason.empty()) s += "\n  reason: " + r.outcome.reason;
  for (const auto& ex : r.outcome.evidence) s += "\n  " + client::describe(ex);
  return s;
}

CheckResult run_against_fake(const Check& check, std::vector<std::string> bugs, bool rate_limits) {
  fake::FakeServerOptions fo;
  fo.threads = 8;
  fo.store.rate_limits.enabled = rate_limits;
  fo.bugs = std::move(bugs);
  fake::FakeServer server(fo);
  auto st = server.start();
  if (!st) {
    CheckResult r;
    r.check = &check;
    r.outcome = Outcome::error("the fake did not start: " + st.error().message);
    return r;
  }
  CheckResult r;
  {
    client::ClientConfig config;
    config.base_url = server.base_url();
    config.token = kToken;
    config.retry = client::RetryPolicy::none();
    client::HttpClient http(config);
    client::ClientConfig c2 = config;
    c2.token = "rqcheck-conformance-second";
    client::HttpClient second(c2);
    TargetInfo target;
    target.base_url = server.base_url();
    target.is_embedded_fake = true;
    target.rate_limits = rate_limits;
    target.has_second_token = true;
    RunState run;
    run.prefix = "rqc-selftest";
    r = run_one(check, http, http, &second, target, run, /*strict=*/true);
  }  // the clients close their connections before the server stops
  server.stop();
  return r;
}

class PassesAgainstFake : public testing::Test {
 public:
  explicit PassesAgainstFake(const Check* c) : check_(c) {}
  void TestBody() override {
    // Rate limits stay off for speed, except for the checks that are about them.
    bool rl = (check_->needs & kNeedRateLimits) != 0;
    CheckResult r = run_against_fake(*check_, {}, rl);
    EXPECT_EQ(r.outcome.status, Verdict::kPass) << check_->id << ": " << explain(r);
  }

 private:
  const Check* check_;
};

class FailsWithBreakingBug : public testing::Test {
 public:
  explicit FailsWithBreakingBug(const Check* c) : check_(c) {}
  void TestBody() override {
    ASSERT_FALSE(check_->breaking_bug.empty()) << check_->id << " names no breaking bug";
    bool rl = (check_->needs & kNeedRateLimits) != 0;
    CheckResult r = run_against_fake(*check_, {check_->breaking_bug}, rl);
    EXPECT_EQ(r.outcome.status, Verdict::kFail)
        << check_->id << " did not fail with bug " << check_->breaking_bug << ": " << explain(r);
  }

 private:
  const Check* check_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (const Check& c : all_checks()) {
    const Check* p = &c;
    std::string name = test_name(c.id);
    testing::RegisterTest("ConformancePassesAgainstFake", name.c_str(), nullptr, c.id.c_str(),
                          __FILE__, __LINE__,
                          [p]() -> testing::Test* { return new PassesAgainstFake(p); });
    testing::RegisterTest("ConformanceFailsWithBreakingBug", name.c_str(), nullptr,
                          c.breaking_bug.c_str(), __FILE__, __LINE__,
                          [p]() -> testing::Test* { return new FailsWithBreakingBug(p); });
  }
  return RUN_ALL_TESTS();
}
