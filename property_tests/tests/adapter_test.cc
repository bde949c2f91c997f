// The RapidCheck adapter (harness/rapidcheck_adapter.h): what a report says when the shrunk case
// failed while it was shrunk but passed when RapidCheck ran it once more to describe it (a target
// whose answers depend on time), and that a case failing every time keeps RapidCheck's report.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <string>

#include "harness/rapidcheck_adapter.h"

namespace rqcheck::prop {
namespace {

RcParams params() {
  RcParams p;
  p.seed = 42;
  p.max_success = 50;
  p.max_size = 50;
  return p;
}

TEST(RapidCheckAdapter, AFailureThatPassesOnTheReportingRunKeepsItsEvidence) {
  int runs = 0;
  // Fails on its first run only: every shrink candidate and the reporting run pass.
  auto body = [&] {
    const int n = *rc::gen::inRange(0, 1000);
    ++runs;
    if (runs == 1) RC_FAIL("the first run failed with n=" + std::to_string(n));
  };
  RcResult r = rc_check("adapter/flaky", body, params());
  ASSERT_EQ(r.verdict, RcVerdict::kFailed) << r.message;
  EXPECT_GT(runs, 1) << "RapidCheck ran the case again";
  EXPECT_NE(r.message.find("the first run failed with n="), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("passed when RapidCheck ran it once more"), std::string::npos)
      << r.message;
}

TEST(RapidCheckAdapter, AFailureOnEveryRunKeepsRapidChecksReport) {
  auto body = [] {
    const int n = *rc::gen::inRange(0, 1000);
    if (n >= 10) RC_FAIL("n is at least 10: " + std::to_string(n));
  };
  RcResult r = rc_check("adapter/steady", body, params());
  ASSERT_EQ(r.verdict, RcVerdict::kFailed) << r.message;
  // Shrunk to the smallest failing value, and described by RapidCheck's own last run.
  EXPECT_NE(r.message.find("n is at least 10: 10"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("passed when RapidCheck ran it once more"), std::string::npos)
      << r.message;
}

TEST(RapidCheckAdapter, APassingPropertyPassesAndCountsItsCases) {
  int runs = 0;
  auto body = [&] {
    *rc::gen::inRange(0, 10);
    ++runs;
  };
  RcResult r = rc_check("adapter/passing", body, params());
  EXPECT_EQ(r.verdict, RcVerdict::kPassed) << r.message;
  EXPECT_EQ(r.cases, 50);
  EXPECT_EQ(runs, 50);
}

}  // namespace
}  // namespace rqcheck::prop
