// The tester is tested (STYLE.md section 1): each property must fail against the fake with the
// matching deliberately wrong behaviour switched on, and the failure must come with a replay
// script. A test here fails when its property passes.
#include <gtest/gtest.h>

#include <algorithm>

#include "properties.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::prop {
namespace {

bool fake_knows(const std::string& bug) {
  auto all = fake::bug_catalogue();
  return std::any_of(all.begin(), all.end(), [&](const auto& b) { return b.name == bug; });
}

void expect_caught(const std::string& property, const std::string& bug) {
  RunOptions o;
  if (bug == "DropUnprocessed") {
    o.client_drops_unprocessed = true;  // a client-side bug, in our own batch helper's API
  } else {
    // A missing bug is a failure, not a skip: the property would be unguarded.
    ASSERT_TRUE(fake_knows(bug)) << "rq-fake has no bug named " << bug
                                 << " (rqcheck::fake::bug_catalogue(), rq-fake --list-bugs)";
    o.bugs = {bug};
  }
  o.max_success = 200;
  PropertyOutcome r = run_property(property, o);
  std::cout << property << " with " << bug << ": " << (r.passed ? "passed" : "caught") << " after "
            << r.cases << " cases, " << r.seconds << " s, seed " << r.seed << "\n";
  ASSERT_FALSE(r.passed) << "property " << property << " did not find bug " << bug;
  EXPECT_FALSE(r.gave_up);
  EXPECT_NE(r.replay_script.find("curl"), std::string::npos);
  std::cout << r.message << "\n";
}

TEST(SelfTest, PaginationFindsCursorSkipsItem) { expect_caught("pagination", "CursorSkipsItem"); }
TEST(SelfTest, DedupFindsDedupByUrl) { expect_caught("dedup", "DedupByUrl"); }
TEST(SelfTest, LocksFindsLockNotExclusive) { expect_caught("locks", "LockNotExclusive"); }
TEST(SelfTest, CountersFindsCounterNotUpdated) { expect_caught("counters", "CounterNotUpdated"); }
TEST(SelfTest, RetryFindsDropUnprocessed) { expect_caught("retry", "DropUnprocessed"); }

}  // namespace
}  // namespace rqcheck::prop
