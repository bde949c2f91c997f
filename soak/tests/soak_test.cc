// rq-soak against an embedded fake: a clean run holds every property (and checks each one), and
// each named bug of the fake that breaks a soak property is caught by that property.
#include "rqcheck/soak/soak.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace rqcheck::soak {
namespace {

SoakOptions Short(double seconds) {
  SoakOptions o;
  o.seconds = seconds;
  o.clients = 6;
  o.seed = 20261201;
  return o;
}

std::int64_t Count(const std::map<std::string, std::int64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

TEST(SoakTest, CleanRunHoldsEveryProperty) {
  SoakReport r = run_soak(Short(3));
  ASSERT_TRUE(r.harness_error.empty()) << r.harness_error;
  EXPECT_TRUE(r.ok()) << format_report(r);
  EXPECT_EQ(r.seed, 20261201u);
  EXPECT_GT(r.calls, 100) << format_report(r);  // TSan makes every call ~10x slower
  // Every property was actually exercised.
  for (const auto& [name, title] : property_catalogue()) {
    EXPECT_GT(Count(r.checks, name), 0) << name << " was never checked\n" << format_report(r);
  }
  // And all 17 operations were called.
  EXPECT_EQ(r.operations.size(), 17u) << format_report(r);
}

TEST(SoakTest, UnknownBugIsAHarnessError) {
  SoakOptions o = Short(0.5);
  o.bugs = {"NoSuchBug"};
  SoakReport r = run_soak(o);
  EXPECT_FALSE(r.harness_error.empty());
  EXPECT_FALSE(r.ok());
}

struct BugCase {
  const char* bug;
  const char* property;  // the soak property that must catch it
};

class SoakBugTest : public ::testing::TestWithParam<BugCase> {};

TEST_P(SoakBugTest, CatchesNamedBug) {
  SoakOptions o = Short(2.5);
  o.bugs = {GetParam().bug};
  SoakReport r = run_soak(o);
  ASSERT_TRUE(r.harness_error.empty()) << r.harness_error;
  EXPECT_FALSE(r.ok());
  EXPECT_GT(Count(r.violation_counts, GetParam().property), 0)
      << GetParam().bug << " was not caught by " << GetParam().property << "\n"
      << format_report(r);
}

INSTANTIATE_TEST_SUITE_P(NamedBugs, SoakBugTest,
                         ::testing::Values(BugCase{"LockNotExclusive", "soak.locks.exclusive"},
                                           BugCase{"CursorSkipsItem", "soak.pagination.walk"},
                                           BugCase{"CounterNotUpdated", "soak.counters.match_list"},
                                           BugCase{"IgnoreUniqueKey", "soak.writes.present_once"},
                                           BugCase{"ProlongByAnyone", "soak.locks.owner_only"},
                                           BugCase{"DeleteLockIgnored", "soak.locks.owner_only"},
                                           BugCase{"BatchDropsItems", "soak.calls"},
                                           BugCase{"HandledStaysInHead", "soak.read_your_writes"},
                                           BugCase{"UnlockCountWrong", "soak.locks.owner_only"},
                                           BugCase{"DuplicateOverwrites", "soak.read_your_writes"}),
                         [](const ::testing::TestParamInfo<BugCase>& p) {
                           return std::string(p.param.bug);
                         });

}  // namespace
}  // namespace rqcheck::soak
